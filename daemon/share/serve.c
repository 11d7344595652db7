/*
 * serve.c — GET and HEAD of the shared folder: the route table's
 * share_get_handler (see serve.h). Owns the choice between a file
 * (files.c), a folder's listing (listing.c, through the listing cache), its
 * size (tree-size.c), the folder as a zip (zip.c) or a selection of it
 * (zip-select-serve.c), a search below it (search.c), a picture's
 * thumbnail (thumb.c), and the 301 from /folder to /folder/. The path and the query
 * come decoded from the gate (request.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileops.h"
#include "files.h"
#include "gzip-stream.h"
#include "listing-cache.h"
#include "listing.h"
#include "request.h"
#include "search.h"
#include "serve.h"
#include "server.h"
#include "sysio.h"
#include "thumb.h"
#include "tree-size.h"
#include "zip-select-serve.h"
#include "zip.h"

/* Appends "k=v" pairs of the query to a buffer; MHD_KeyValueIterator. */
struct query_buf {
    char *p;
    size_t len, cap;
};

static enum MHD_Result append_arg(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
    struct query_buf *q = cls;
    int w = snprintf(q->p + q->len, q->cap - q->len, "%c%s%s%s",
                     q->len ? '&' : '?', key, value ? "=" : "", value ? value : "");

    (void)kind;
    if (w < 0 || (size_t)w >= q->cap - q->len)
        return MHD_NO;
    q->len += (size_t)w;
    return MHD_YES;
}

/*
 * 301 from /folder to /folder/, keeping the query string (as sent: MHD
 * leaves it escaped here). The Location is made from `rel`, the decoded
 * path below the root, never from the request's own bytes: "/" + rel
 * percent-encoded + "/", so that it is always path-absolute: a request
 * for "//x" (paths_decode collapses empty segments) can never become a
 * protocol-relative //x/ that a browser would send off-site.
 */
static enum MHD_Result redirect_to_slash(struct req *rq, const char *rel)
{
    char query[1024] = "";
    struct query_buf q = {query, 0, sizeof query};
    size_t plen = 3 * strlen(rel) + 8, len = plen + sizeof query;
    char *loc = malloc(len);
    struct MHD_Response *r;

    if (!loc)
        return MHD_NO;
    if (fileops_url(rel, 1, loc, plen) < 0) {
        free(loc);
        return req_error_page(rq, REQ_PAGE_500);
    }
    MHD_get_connection_values(rq->c, MHD_GET_ARGUMENT_KIND, append_arg, &q);
    snprintf(loc + strlen(loc), len - strlen(loc), "%s", query);
    r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (r)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
    free(loc);
    return req_reply(rq, MHD_HTTP_MOVED_PERMANENTLY, r, 0);
}

/* JSON when asked for with ?format=json or an Accept that prefers it. */
static int wants_json(const struct req *rq)
{
    const char *f = rq->query.format;
    const char *accept = MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_ACCEPT);

    if (f)
        return strcmp(f, "json") == 0;
    return accept && strstr(accept, "application/json") && !strstr(accept, "text/html");
}

/*
 * Answers a listing (body malloc'd, owned; HTML, or JSON when json) as 200:
 * to a GET, gzip'd as it is sent when the client accepts it and it is not
 * tiny (gzip-stream.h: chunked, no Content-Length), else plain with its
 * Content-Length; Vary: Accept-Encoding either way, since the same URL
 * answers both. A HEAD gets the plain one's headers: libmicrohttpd 0.9.75
 * sends a chunked answer's last chunk even to a HEAD, bytes that a
 * keep-alive client would read as the next answer. No ETag: a listing is
 * made anew (Cache-Control: no-cache).
 */
static enum MHD_Result reply_listing(struct req *rq, char *body, size_t len, int json)
{
    const char *type = json ? "application/json" : "text/html; charset=utf-8";
    int gz = !req_is_head(rq) && len >= GZIP_MIN_BYTES && gzip_wanted(rq->c);
    struct MHD_Response *r;

    if (gz)
        r = gzip_response_buffer(body, len); /* takes body, also on failure */
    else
        r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        if (!gz)
            free(body);
        return MHD_NO;
    }
    if (!json)
        MHD_add_response_header(r, "Content-Security-Policy", SRV_CSP_LISTING);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    if (!MHD_get_response_header(r, MHD_HTTP_HEADER_VARY))
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    return req_reply(rq, MHD_HTTP_OK, r, len);
}

/* A listing of the folder open at fd (owned). */
static enum MHD_Result serve_listing(struct req *rq, int fd, const struct stat *st,
                                     const char *rel)
{
    struct ferry_server *srv = rq->srv;
    struct listing_opts lo = {.show_hidden = srv->cfg.show_hidden, .root_fd = srv->root_fd,
                              .rel = rel, .paths = &srv->paths};
    int json = wants_json(rq);
    enum listing_format fmt = json ? LISTING_JSON : LISTING_HTML;
    size_t rlen = strlen(rel), len = 0;
    char *url_path = malloc(rlen + 3);
    char *body = NULL;
    int rc = 0;

    if (!url_path) {
        close(fd);
        return MHD_NO;
    }
    snprintf(url_path, rlen + 3, rlen ? "/%s/" : "/", rel);
    /* *st was taken before rendering: a change during it invalidates. */
    body = listing_cache_get(srv->listings, st, url_path, fmt, &len);
    if (!body) {
        rc = listing_render(fd, url_path, fmt, &lo, &body, &len);
        if (rc == 0)
            listing_cache_put(srv->listings, st, url_path, fmt, body, len);
    }
    close(fd);
    if (rc < 0) {
        srv_log(srv, FERRY_LOG_ERROR, "cannot list '%s': %s", url_path, strerror(-rc));
        free(url_path);
        return req_error_page(rq, rc == -EACCES ? REQ_PAGE_403 : REQ_PAGE_500);
    }
    free(url_path);
    return reply_listing(rq, body, len, json);
}

/*
 * GET /folder/?size=1 of the folder open at fd (owned): 200 JSON
 * {"bytes", "files", "folders", "complete"} from tree_size(), for the
 * browser UI's folder sizes; "complete" false when the count stopped early
 * (TREE_ENTRIES_MAX entries, or a folder that cannot be read).
 */
static enum MHD_Result serve_size(struct req *rq, int fd)
{
    struct tree_size t;
    int rc = tree_size(fd, rq->srv->cfg.show_hidden, &t);
    json_t *j;
    char *body;

    close(fd);
    if (rc < 0)
        return req_error_page(rq, rc == -EACCES ? REQ_PAGE_403 : REQ_PAGE_500);
    j = json_pack("{s:I, s:I, s:I, s:b}", "bytes", (json_int_t)t.bytes, "files",
                  (json_int_t)t.files, "folders", (json_int_t)t.folders, "complete",
                  t.complete);
    body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body)
        return req_error_page(rq, REQ_PAGE_500);
    return req_reply_buffer(rq, body, strlen(body), "application/json");
}

/*
 * 503 for a file the OS keeps locked (EPERM while the host said protected
 * data is unavailable: a locked iPhone and a file of class Complete): not
 * the 403 a client may take as permanent. Retry-After: 30 (the person
 * unlocks the phone); never cached.
 */
static enum MHD_Result reply_locked(struct req *rq)
{
    static const char body[] = "Unavailable while the device is locked: try again after "
                               "it is unlocked.\n";
    struct MHD_Response *r = MHD_create_response_from_buffer(
        sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Retry-After", "30");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    return req_reply(rq, MHD_HTTP_SERVICE_UNAVAILABLE, r, sizeof body - 1);
}

/* GET or HEAD of anything in the shared folder. */
static enum MHD_Result serve_path(struct req *rq)
{
    struct ferry_server *srv = rq->srv;
    struct MHD_Connection *c = rq->c;
    const char *rel = rq->path.rel;
    int is_head = req_is_head(rq), fd = -1, rc;
    struct stat st;
    struct files_outcome out;
    struct thumb_wait *wait = NULL;

    if (rq->path.rc < 0)
        return req_error_page(rq, req_page_for(rq->path.rc));
    /* O_NONBLOCK: opening a FIFO must not hang a worker thread. */
    rc = lc_sys_may_open(rel);
    if (rc == 0)
        rc = paths_open(srv->root_fd, rel, O_RDONLY | O_NONBLOCK, &srv->paths, &fd);
    if (rc == -EPERM && __atomic_load_n(&srv->data_locked, __ATOMIC_ACQUIRE))
        return reply_locked(rq);
    if (rc < 0)
        return req_error_page(rq, req_page_for(rc));
    if (fstat(fd, &st) < 0) {
        close(fd);
        return req_error_page(rq, REQ_PAGE_500);
    }
    if (S_ISDIR(st.st_mode)) {
        if (!rq->path.trailing && rel[0]) {
            close(fd);
            return redirect_to_slash(rq, rel);
        }
        if (zip_requested(rq->query.download) && rq->query.name) {
            close(fd);
            return zip_select_serve(rq, NULL, 0, 0);
        }
        if (zip_requested(rq->query.download)) {
            struct zip_outcome zo;

            rc = zip_serve(srv, c, fd, rel, is_head, rq->query.ticket, &zo);
            req_note(rq, zo.status, 0); /* length unknown; zip.c logs it (debug) */
            rq->transfer = zo.transfer;
            rq->transfer_once = 1;
            rq->zip_end = zo.end;
            return (enum MHD_Result)rc;
        }
        if (rq->query.size && strcmp(rq->query.size, "1") == 0)
            return serve_size(rq, fd);
        if (rq->query.q)
            return (enum MHD_Result)search_serve(srv, c, fd, rel, rq->query.q, is_head,
                                                 &rq->status);
        return serve_listing(rq, fd, &st, rel);
    }
    /* A file with ?download=zip is answered as any file: it is one already. */
    if (!S_ISREG(st.st_mode) || rq->path.trailing) {
        close(fd);
        return req_error_page(rq, REQ_PAGE_404);
    }
    if (thumb_requested(rq->query.thumb)) {
        unsigned status = 0;
        uint64_t length = 0;

        rc = thumb_serve(srv, c, fd, &st, rel, &wait, &status, &length);
        if (rc == THUMB_WAIT) {
            rq->state = wait;
            return MHD_YES; /* finish() is called again once c is resumed */
        }
        if (rc != THUMB_NONE) {
            req_note(rq, status, length);
            return (enum MHD_Result)rc;
        }
    }
    rc = files_serve(srv, c, fd, &st, rel, is_head, &out);
    req_note(rq, out.status, out.length);
    rq->transfer = out.transfer;
    return (enum MHD_Result)rc;
}

/* GET or HEAD of a picture whose connection was suspended while its
 * thumbnail was made (serve_path()): the thumbnail, or the file itself. */
static enum MHD_Result serve_thumb_resumed(struct req *rq)
{
    struct thumb_wait *w = rq->state;
    unsigned status = 0;
    uint64_t length = 0;
    struct files_outcome out;
    struct stat st;
    const char *rel;
    int fd = -1, rc;

    rc = thumb_resumed(w, rq->c, &fd, &st, &rel, &status, &length);
    if (rc != THUMB_NONE) {
        req_note(rq, status, length);
    } else {
        rc = files_serve(rq->srv, rq->c, fd, &st, rel, req_is_head(rq), &out);
        req_note(rq, out.status, out.length);
        rq->transfer = out.transfer;
    }
    rq->state = NULL; /* rel pointed into it: used above */
    thumb_wait_free(w);
    return (enum MHD_Result)rc;
}

static enum MHD_Result share_get_finish(struct req *rq)
{
    if (rq->state)
        return serve_thumb_resumed(rq);
    return serve_path(rq);
}

/* A thumbnail's wait that was never resumed and answered: the server
 * stops. */
static void share_get_end(struct req *rq, int completed)
{
    (void)completed;
    thumb_wait_free(rq->state);
    rq->state = NULL;
}

const struct route_handler share_get_handler = {
    .name = "share", .finish = share_get_finish, .end = share_get_end};
