/*
 * dav-mhd.c — dav.h behind the route table: the adapter from a struct req
 * to a dav_call, and the If:/lock checks around PUT and fileops; see
 * dav-mhd.h.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dav-mhd.h"
#include "dav.h"
#include "fileops.h"
#include "paths.h"
#include "request.h"
#include "server.h"
#include "upload-put.h"

struct dav_mhd {
    struct ferry_server *srv;
    struct dav_call *call; /* or NULL: `early` is the answer */
    struct dav_reply early;
    int done;
};

int dav_mhd_server_init(struct ferry_server *srv)
{
    const char *slash = strrchr(srv->root, '/');
    struct dav_config cfg = {
        .root_fd = srv->root_fd,
        .paths = &srv->paths,
        .show_hidden = srv->cfg.show_hidden,
        .root_name = slash && slash[1] ? slash + 1 : srv->root,
        .state_fd = srv->state_fd,
    };

    srv->dav = dav_server_new(&cfg);
    return srv->dav ? 0 : FERRY_ENOMEM;
}

void dav_mhd_server_free(struct ferry_server *srv)
{
    dav_server_free(srv->dav);
    srv->dav = NULL;
}

static const char *lookup(void *cls, const char *name)
{
    return MHD_lookup_connection_value(cls, MHD_HEADER_KIND, name);
}

static int64_t now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* Text answers for refusals before the handlers run. */
static void early_text(struct dav_reply *r, unsigned status, const char *text)
{
    r->status = status;
    r->body = strdup(text);
    r->len = r->body ? strlen(text) : 0;
    r->content_type = "text/plain; charset=utf-8";
    if (!r->body)
        r->status = 0;
}

/* begin: the state takes the body; an answer known from the headers is
 * queued by finish, after the body (0.9.75 would otherwise close the
 * connection). MHD_NO: out of memory. */
static enum MHD_Result dav_begin(struct req *rq)
{
    struct ferry_server *srv = rq->srv;
    struct dav_mhd *m = calloc(1, sizeof *m);
    int rc = rq->path.rc;

    if (!m)
        return MHD_NO;
    rq->state = m;
    m->srv = srv;
    if (!srv->dav) {
        early_text(&m->early, 500, "500 WebDAV is not available on this server.\n");
        return MHD_YES;
    }
    if (srv->cfg.read_only && !dav_method_reads(rq->method)) {
        early_text(&m->early, 403, "403 Forbidden: this server is read-only.\n");
        return MHD_YES;
    }
    if (rc < 0) {
        early_text(&m->early, rc == PATHS_EBADREQ ? 400 : rc == PATHS_EFORBIDDEN ? 403 : 404,
                   rc == PATHS_EBADREQ ? "400 Bad Request: the path is malformed.\n"
                   : rc == PATHS_EFORBIDDEN ? "403 Forbidden: the path leaves the shared folder.\n"
                                            : "404 Not Found\n");
        return MHD_YES;
    }
    {
        struct dav_request drq = {
            .method = rq->method, .path = rq->path.rel, .trailing = rq->path.trailing,
            .header = lookup, .header_cls = rq->c, .now = now_s(),
        };

        m->call = dav_call_begin(srv->dav, &drq, &m->early);
    }
    if (!m->call && !m->early.status)
        return MHD_NO;
    return MHD_YES;
}

/* body: consumed whole. */
static enum MHD_Result dav_body(struct req *rq, const char *data, size_t *size)
{
    struct dav_mhd *m = rq->state;

    if (m->call)
        dav_call_body(m->call, data, *size);
    *size = 0;
    return MHD_YES;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct dav_stream *s = cls;
    ssize_t n;

    (void)pos;
    n = s->read(s->cls, buf, max);
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void stream_free(void *cls)
{
    struct dav_stream *s = cls;

    s->free(s->cls);
    free(s);
}

/* Turns a reply (emptied: its parts move into the response) into an MHD
 * response; NULL when out of memory. */
static struct MHD_Response *make_response(struct dav_reply *r)
{
    struct MHD_Response *resp;

    if (r->stream.read) {
        struct dav_stream *s = malloc(sizeof *s);

        if (!s)
            return NULL;
        *s = r->stream;
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_read, s,
                                                 stream_free);
        if (!resp) {
            free(s);
            return NULL;
        }
        memset(&r->stream, 0, sizeof r->stream); /* the response owns it */
    } else {
        resp = MHD_create_response_from_buffer(r->len, r->body ? r->body : (void *)"",
                                               r->body ? MHD_RESPMEM_MUST_FREE
                                                       : MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return NULL;
        r->body = NULL;
    }
    if (r->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    for (size_t i = 0; i < r->nheaders; i++)
        MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
    return resp;
}

/* Queues a reply (consumed), recording its status and length in rq. */
static enum MHD_Result queue(struct req *rq, struct dav_reply *r)
{
    struct MHD_Response *resp;
    unsigned status = r->status;
    uint64_t len = r->stream.read ? 0 : r->len; /* a stream's is unknown */

    if (!status) {
        dav_reply_free(r);
        return MHD_NO;
    }
    resp = make_response(r);
    dav_reply_free(r);
    return req_reply(rq, status, resp, len); /* NULL: MHD_NO */
}

/* finish: the body is in; queues the answer. */
static enum MHD_Result dav_finish(struct req *rq)
{
    struct dav_mhd *m = rq->state;
    struct dav_reply r;

    if (m->done)
        return MHD_YES;
    m->done = 1;
    if (!m->call)
        return queue(rq, &m->early);
    dav_call_finish(m->call, &r);
    return queue(rq, &r);
}

/* end: frees the request state. */
static void dav_end(struct req *rq, int completed)
{
    struct dav_mhd *m = rq->state;

    (void)completed;
    rq->state = NULL;
    if (!m)
        return;
    dav_call_end(m->call);
    dav_reply_free(&m->early);
    free(m);
}

const struct route_handler dav_handler = {
    .name = "webdav", .begin = dav_begin, .body = dav_body, .finish = dav_finish,
    .end = dav_end};

/* The decoded Destination of a MOVE or COPY, or 0 when there is none
 * that decodes. */
static int destination(const struct req *rq, char *rel, size_t len)
{
    struct MHD_Connection *c = rq->c;
    const char *dest = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Destination");
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    char raw[PATHS_MAX + 1];
    int trailing;

    return dest && fileops_destination(dest, host, raw, sizeof raw) == 0 &&
           paths_decode(raw, &rq->srv->paths, rel, len, &trailing) >= 0;
}

/* Whether `rel` names something that exists. */
static int exists(struct ferry_server *srv, const char *rel)
{
#if defined(O_PATH)
    int flags = O_PATH | O_NOFOLLOW;
#else /* Darwin: a final symlink then counts as missing (a stricter check) */
    int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW;
#endif
    int fd = -1;

    if (paths_open(srv->root_fd, rel, flags, &srv->paths, &fd) < 0)
        return 0;
    close(fd);
    return 1;
}

/*
 * Before PUT, DELETE, MKCOL, MOVE or COPY: the If: header and the locks
 * (dav_write_check(), on the target and, for MOVE/COPY, the Destination).
 * Returns 0 to go on; 1 when the refusal was queued (*ret set). Paths that
 * do not decode are left to the method itself.
 */
static int write_check(struct req *rq, enum MHD_Result *ret)
{
    struct ferry_server *srv = rq->srv;
    const char *method = rq->method, *rel = rq->path.rel;
    char dst[PATHS_MAX + 1];
    struct dav_request drq = {.method = method, .path = rel, .trailing = rq->path.trailing,
                              .header = lookup, .header_cls = rq->c, .now = now_s()};
    struct dav_reply r = {0};
    int is_move = rq->method_bit == REQ_MOVE, is_copy = rq->method_bit == REQ_COPY;
    unsigned st = 0;

    if (!srv->dav || rq->path.rc < 0)
        return 0;
    if (is_copy) /* the source is only read */
        st = 0;
    else if (rq->method_bit == REQ_PUT)
        st = dav_write_check(srv->dav, &drq, rel, 0, !exists(srv, rel), &r);
    else
        st = dav_write_check(srv->dav, &drq, rel, rq->method_bit != REQ_MKCOL, 1, &r);
    if (!st && (is_move || is_copy) && destination(rq, dst, sizeof dst)) {
        if (is_copy) { /* If: applies to the request's resource: the source */
            struct dav_reply ignore = {0};

            st = dav_write_check(srv->dav, &drq, rel, 0, 0, &ignore) == 412 ? 412 : 0;
            if (st)
                r = ignore;
            else
                dav_reply_free(&ignore);
        }
        if (!st)
            st = dav_write_check(srv->dav, &drq, dst, 1, 1, &r);
    }
    if (!st)
        return 0;
    *ret = queue(rq, &r);
    return 1;
}

/* After a write method answered rq->status: locks of what a DELETE or MOVE
 * took away end; COPY brings the dead properties of the item along. */
static void written(struct req *rq)
{
    struct ferry_server *srv = rq->srv;
    char dst[PATHS_MAX + 1];

    if (!srv->dav || rq->status < 200 || rq->status > 299 || rq->path.rc < 0)
        return;
    if (rq->method_bit == REQ_DELETE || rq->method_bit == REQ_MOVE)
        dav_forget(srv->dav, rq->path.rel);
    if (rq->method_bit == REQ_COPY && destination(rq, dst, sizeof dst))
        dav_copied(srv->dav, rq->path.rel, dst);
}

/* PUT: the check before the body is read (a refusal closes the
 * connection, as put_handler's own do), then put_handler for every step. */
static enum MHD_Result put_begin_checked(struct req *rq)
{
    enum MHD_Result ret;

    if (write_check(rq, &ret))
        return ret;
    return put_handler.begin(rq);
}

static enum MHD_Result put_body_fwd(struct req *rq, const char *data, size_t *size)
{
    return put_handler.body(rq, data, size);
}

static enum MHD_Result put_finish_fwd(struct req *rq)
{
    return put_handler.finish(rq);
}

static void put_end_fwd(struct req *rq, int completed)
{
    put_handler.end(rq, completed);
}

const struct route_handler dav_put_handler = {
    .name = "put", .begin = put_begin_checked, .body = put_body_fwd, .finish = put_finish_fwd,
    .end = put_end_fwd};

/* MKCOL, MOVE, COPY, DELETE: answered once the body is gone. */
static enum MHD_Result fileops_finish_checked(struct req *rq)
{
    enum MHD_Result ret;

    if (write_check(rq, &ret))
        return ret;
    ret = fileops_handler.finish(rq);
    written(rq);
    return ret;
}

/* fileops_handler answers in finish alone (no begin, no state): were it
 * to take more steps, they would be forwarded here too. */
const struct route_handler dav_fileops_handler = {
    .name = "fileops", .finish = fileops_finish_checked};

void dav_mhd_options_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "DAV", "1, 2");
    MHD_add_response_header(r, "MS-Author-Via", "DAV");
}
