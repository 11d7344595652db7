/*
 * dav-mhd.c — dav.h on libmicrohttpd; see dav-mhd.h.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dav-mhd.h"
#include "fileops.h"
#include "paths.h"
#include "server.h"

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

enum MHD_Result dav_mhd_begin(struct ferry_server *srv, struct MHD_Connection *c,
                              const char *url, const char *method, struct dav_mhd **out)
{
    struct dav_mhd *m = calloc(1, sizeof *m);
    char rel[PATHS_MAX + 1];
    int trailing = 0, rc;

    *out = m;
    if (!m)
        return MHD_NO;
    m->srv = srv;
    if (!srv->dav) {
        early_text(&m->early, 500, "500 WebDAV is not available on this server.\n");
        return MHD_YES;
    }
    if (srv->cfg.read_only && !dav_method_reads(method)) {
        early_text(&m->early, 403, "403 Forbidden: this server is read-only.\n");
        return MHD_YES;
    }
    rc = paths_decode(url, &srv->paths, rel, sizeof rel, &trailing);
    if (rc < 0) {
        early_text(&m->early, rc == PATHS_EBADREQ ? 400 : rc == PATHS_EFORBIDDEN ? 403 : 404,
                   rc == PATHS_EBADREQ ? "400 Bad Request: the path is malformed.\n"
                   : rc == PATHS_EFORBIDDEN ? "403 Forbidden: the path leaves the shared folder.\n"
                                            : "404 Not Found\n");
        return MHD_YES;
    }
    {
        struct dav_request rq = {
            .method = method, .path = rel, .trailing = trailing,
            .header = lookup, .header_cls = c, .now = now_s(),
        };

        m->call = dav_call_begin(srv->dav, &rq, &m->early);
    }
    if (!m->call && !m->early.status)
        return MHD_NO;
    return MHD_YES;
}

enum MHD_Result dav_mhd_body(struct dav_mhd *m, const char *data, size_t *size)
{
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

/* Queues a reply (consumed) and records its status. */
static enum MHD_Result queue(struct MHD_Connection *c, struct dav_reply *r, unsigned *status)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (!r->status) {
        dav_reply_free(r);
        return MHD_NO;
    }
    resp = make_response(r);
    if (!resp) {
        dav_reply_free(r);
        return MHD_NO;
    }
    *status = r->status;
    ret = srv_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    dav_reply_free(r);
    return ret;
}

enum MHD_Result dav_mhd_finish(struct dav_mhd *m, struct MHD_Connection *c, unsigned *status)
{
    struct dav_reply r;

    if (m->done)
        return MHD_YES;
    m->done = 1;
    if (!m->call)
        return queue(c, &m->early, status);
    dav_call_finish(m->call, &r);
    return queue(c, &r, status);
}

void dav_mhd_end(struct dav_mhd *m)
{
    if (!m)
        return;
    dav_call_end(m->call);
    dav_reply_free(&m->early);
    free(m);
}

/* The decoded Destination of a MOVE or COPY, or 0 when there is none
 * that decodes. */
static int destination(struct ferry_server *srv, struct MHD_Connection *c, char *rel,
                       size_t len)
{
    const char *dest = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Destination");
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    char raw[PATHS_MAX + 1];
    int trailing;

    return dest && fileops_destination(dest, host, raw, sizeof raw) == 0 &&
           paths_decode(raw, &srv->paths, rel, len, &trailing) >= 0;
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

int dav_mhd_write_check(struct ferry_server *srv, struct MHD_Connection *c, const char *method,
                        const char *url, enum MHD_Result *ret, unsigned *status)
{
    char rel[PATHS_MAX + 1], dst[PATHS_MAX + 1];
    struct dav_request rq = {.method = method, .header = lookup, .header_cls = c,
                             .now = now_s()};
    struct dav_reply r = {0};
    int trailing = 0, is_put = strcmp(method, MHD_HTTP_METHOD_PUT) == 0;
    int is_move = strcmp(method, "MOVE") == 0, is_copy = strcmp(method, "COPY") == 0;
    unsigned st = 0;

    if (!srv->dav || paths_decode(url, &srv->paths, rel, sizeof rel, &trailing) < 0)
        return 0;
    rq.path = rel;
    rq.trailing = trailing;
    if (is_copy) /* the source is only read */
        st = 0;
    else if (is_put)
        st = dav_write_check(srv->dav, &rq, rel, 0, !exists(srv, rel), &r);
    else
        st = dav_write_check(srv->dav, &rq, rel, strcmp(method, "MKCOL") != 0, 1, &r);
    if (!st && (is_move || is_copy) && destination(srv, c, dst, sizeof dst)) {
        if (is_copy) { /* If: applies to the request's resource: the source */
            struct dav_reply ignore = {0};

            st = dav_write_check(srv->dav, &rq, rel, 0, 0, &ignore) == 412 ? 412 : 0;
            if (st)
                r = ignore;
            else
                dav_reply_free(&ignore);
        }
        if (!st)
            st = dav_write_check(srv->dav, &rq, dst, 1, 1, &r);
    }
    if (!st)
        return 0;
    *ret = queue(c, &r, status);
    return 1;
}

void dav_mhd_written(struct ferry_server *srv, struct MHD_Connection *c, const char *method,
                     const char *url, unsigned status)
{
    char rel[PATHS_MAX + 1], dst[PATHS_MAX + 1];
    int trailing = 0;

    if (!srv->dav || status < 200 || status > 299 ||
        paths_decode(url, &srv->paths, rel, sizeof rel, &trailing) < 0)
        return;
    if (strcmp(method, "DELETE") == 0 || strcmp(method, "MOVE") == 0)
        dav_forget(srv->dav, rel);
    if (strcmp(method, "COPY") == 0 && destination(srv, c, dst, sizeof dst))
        dav_copied(srv->dav, rel, dst);
}

void dav_mhd_options_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "DAV", "1, 2");
    MHD_add_response_header(r, "MS-Author-Via", "DAV");
}
