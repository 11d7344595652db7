/*
 * routes.c — from a request to an answer.
 *
 *   /.ferry/ui/NAME       the browser UI's files, embedded (daemon/assets.c)
 *   /.ferry/status        JSON about the server (ferry's own endpoints live
 *                         under /.ferry/; everything else is the shared folder)
 *   /path/to/folder/      a listing (HTML, or JSON on request)
 *   /path/to/folder/?download=zip   the folder as a streamed zip (daemon/zip.c)
 *   /path/to/folder/?size=1         what it holds, recursively (JSON)
 *   /path/to/folder/?q=TEXT         names below it holding TEXT, streamed
 *                         JSON (daemon/search.c)
 *   POST /path/to/folder/?download=zip   a zip of the items named in the
 *                         form (name=...), also as GET with name=... in the
 *                         query (daemon/zip-select.c)
 *   /path/to/folder       301 to the form with the slash
 *   /path/to/file         the file (daemon/files.c)
 *   /path/to/file?thumb=1 its thumbnail, for a JPEG or PNG (daemon/thumb.c):
 *                         made off the worker threads while the connection
 *                         is suspended
 *   PUT /path/to/file     an upload (daemon/upload-put.c)
 *   /.ferry/uploads/...   resumable uploads, tus 1.0 (daemon/upload-tus.c)
 *   MKCOL, MOVE, COPY, DELETE /path   file operations (daemon/fileops.c)
 *   /.ferry/trash...      what DELETE put aside (daemon/trash.c)
 *   OPTIONS /path         the methods allowed
 *
 * Other methods get 405.
 *
 * libmicrohttpd calls the handler once when the headers have arrived and
 * again for the body; answering on the first call would make 0.9.75 mark the
 * reply "Connection: close", so every answer is queued on the second call.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assets.h"
#include "auth.h"
#include "engine.h"
#include "fileops.h"
#include "files.h"
#include "gzip-stream.h"
#include "http-framing.h"
#include "listing-cache.h"
#include "listing.h"
#include "routes.h"
#include "search.h"
#include "server.h"
#include "thumb.h"
#include "trash.h"
#include "tree-size.h"
#include "upload-put.h"
#include "upload-tus.h"
#include "zip-ends.h"
#include "zip-select.h"
#include "zip.h"

#define FERRY_PREFIX "/.ferry/"
#define LOG_PATH_MAX 256

/* Per-request state: for the access log and the transfer registry. */
struct request {
    struct timespec start;
    unsigned status;
    uint64_t length;
    uint64_t transfer; /* registry id of a download, closed on completion */
    int transfer_once;  /* it cannot be resumed: closed also when cut */
    struct zip_end *zip_end; /* a ticketed zip's end, released on completion */
    struct put_upload *put; /* a PUT being received, ended on completion */
    struct tus_request *tus; /* a tus request, ended on completion */
    int had_body;           /* a body came that nobody reads (dropped) */
    struct auth_ticket auth; /* the gate's word (daemon/auth.h) */
    struct thumb_wait *thumb; /* a thumbnail being made while the connection
                                 is suspended (daemon/thumb.h) */
    int zip_form;             /* POST /folder/?download=zip: the form is read */
    char *form;               /* its bytes so far (owned), at most
                                 ZIP_SELECT_BODY_MAX */
    size_t form_len;
    int form_too_big;         /* more came: 413 */
    char method[16];
    char path[LOG_PATH_MAX];
};

static const struct {
    unsigned status;
    const char *body;
} page_text[SRV_PAGE_COUNT] = {
    [SRV_PAGE_400] = {400, "400 Bad Request: the path is malformed (bad %-escape, NUL, "
                           "backslash or invalid UTF-8).\n"},
    [SRV_PAGE_403] = {403, "403 Forbidden: the path leaves the shared folder.\n"},
    [SRV_PAGE_404] = {404, "404 Not Found\n"},
    [SRV_PAGE_405] = {405, "405 Method Not Allowed: this server answers GET, HEAD, PUT, "
                           "OPTIONS, MKCOL, MOVE, COPY and DELETE (tus uploads under "
                           "/.ferry/uploads/).\n"},
    [SRV_PAGE_500] = {500, "500 Internal Server Error: see the server's log.\n"},
};

/* The methods the shared folder answers, for Allow: fewer on a read-only
 * server or to read-only credentials (ro), so that the browser UI offers
 * only what will work. */
static const char *allowed_methods(const struct ferry_server *srv, int ro)
{
    return srv->cfg.read_only || ro ? "GET, HEAD, OPTIONS"
                                    : "GET, HEAD, PUT, OPTIONS, MKCOL, MOVE, COPY, DELETE";
}

int routes_pages_create(struct ferry_server *srv)
{
    for (int i = 0; i < SRV_PAGE_COUNT; i++) {
        struct MHD_Response *r = MHD_create_response_from_buffer(
            strlen(page_text[i].body), (void *)page_text[i].body,
            MHD_RESPMEM_PERSISTENT);

        if (!r) {
            routes_pages_free(srv);
            return FERRY_ENOMEM;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
        if (i == SRV_PAGE_405)
            MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allowed_methods(srv, 0));
        srv_secure_headers(r); /* shared: srv_queue_response() only reads it */
        srv->pages[i] = r;
    }
    return 0;
}

void routes_pages_free(struct ferry_server *srv)
{
    for (int i = 0; i < SRV_PAGE_COUNT; i++) {
        if (srv->pages[i])
            MHD_destroy_response(srv->pages[i]);
        srv->pages[i] = NULL;
    }
}

/* Records what was answered, for the access log. */
static void note(struct request *rq, unsigned status, uint64_t length)
{
    rq->status = status;
    rq->length = length;
}

/* Queues a shared error page. */
static enum MHD_Result error_page(struct ferry_server *srv, struct MHD_Connection *c,
                                  struct request *rq, enum srv_error_page page)
{
    note(rq, page_text[page].status, strlen(page_text[page].body));
    return srv_queue_response(c, page_text[page].status, srv->pages[page]);
}

/* Queues `r` (owned) with `status` and records it. NULL r closes. */
static enum MHD_Result reply(struct MHD_Connection *c, struct request *rq,
                             unsigned status, struct MHD_Response *r, uint64_t len)
{
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    note(rq, status, len);
    ret = srv_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Answers a buffer (malloc'd, owned) as 200 with a content type. */
static enum MHD_Result reply_buffer(struct MHD_Connection *c, struct request *rq,
                                    char *body, size_t len, const char *type)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);

    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (strncmp(type, "text/html", 9) == 0) /* ferry's own HTML: the listing */
        MHD_add_response_header(r, "Content-Security-Policy", SRV_CSP_LISTING);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    return reply(c, rq, MHD_HTTP_OK, r, len);
}

/* The transfers for /.ferry/status: open ones and restored ones. */
static json_t *transfers_json(struct ferry_server *srv)
{
    ferry_transfer *list = NULL;
    size_t n = 0;
    json_t *a = json_array();

    if (!a || ferry_server_transfers(srv, &list, &n) < 0)
        return a;
    for (size_t i = 0; i < n; i++) {
        const ferry_transfer *t = &list[i];

        json_array_append_new(a, json_pack(
            "{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:b}", "id", (json_int_t)t->id,
            "direction", t->direction == FERRY_UPLOAD ? "upload" : "download", "path", t->path,
            "validator", t->validator, "first", (json_int_t)t->first, "last",
            (json_int_t)t->last, "done", (json_int_t)t->done, "total", (json_int_t)t->total,
            "peer", t->peer, "restored", t->restored));
    }
    free(list);
    return a;
}

/* The "tls" member of /.ferry/status: HTTPS port, fingerprint, key pin; or
 * null when TLS is off. */
static json_t *tls_json(struct ferry_server *srv)
{
    const char *fp = ferry_server_fingerprint(srv), *pin = ferry_server_pubkey_pin(srv);

    if (!fp || !pin)
        return json_null();
    return json_pack("{s:i, s:s, s:s}", "port", ferry_server_tls_port(srv),
                     "fingerprint", fp, "pin", pin);
}

/* GET /.ferry/status: version, lifecycle state, assertions, transfers, how
 * the last ticketed zips ended, TLS. */
static enum MHD_Result serve_status(struct ferry_server *srv, struct MHD_Connection *c,
                                    struct request *rq)
{
    struct lc_ledger_view lv = {0};
    json_t *j;
    char *body;

    pthread_rwlock_rdlock(&srv->engine_lock);
    if (srv->engine)
        lc_engine_ledger(srv->engine, &lv);
    pthread_rwlock_unlock(&srv->engine_lock);
    char name[256] = "";
    enum disc_state ds = srv->disc ? disc_status(srv->disc, name, sizeof name) : DISC_OFF;

    j = json_pack("{s:s, s:b, s:s, s:i, s:{s:I, s:I, s:I, s:I}, s:o, s:{s:s, s:s, s:s}}",
                  "version", ferry_version(), "read_only", srv->cfg.read_only, "state",
                  ferry_state_name(ferry_server_state(srv)), "port", ferry_server_port(srv),
                  "assertions", "held", (json_int_t)lv.held, "begins", (json_int_t)lv.begins,
                  "ends", (json_int_t)lv.ends, "refused", (json_int_t)lv.refused,
                  "transfers", transfers_json(srv), "discovery", "backend", disc_backend(),
                  "state", disc_state_name(ds), "name", name);
    if (j) {
        json_object_set_new(j, "zips", zip_ends_json(&srv->zip_ends));
        json_object_set_new(j, "tls", tls_json(srv));
    }
    body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body)
        return error_page(srv, c, rq, SRV_PAGE_500);
    return reply_buffer(c, rq, body, strlen(body), "application/json");
}

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
static enum MHD_Result redirect_to_slash(struct ferry_server *srv,
                                         struct MHD_Connection *c, struct request *rq,
                                         const char *rel)
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
        return error_page(srv, c, rq, SRV_PAGE_500);
    }
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, append_arg, &q);
    snprintf(loc + strlen(loc), len - strlen(loc), "%s", query);
    r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (r)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
    free(loc);
    return reply(c, rq, MHD_HTTP_MOVED_PERMANENTLY, r, 0);
}

/* JSON when asked for with ?format=json or an Accept that prefers it. */
static int wants_json(struct MHD_Connection *c)
{
    const char *f = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_ACCEPT);

    if (f)
        return strcmp(f, "json") == 0;
    return accept && strstr(accept, "application/json") && !strstr(accept, "text/html");
}

/*
 * Answers a listing (body malloc'd, owned; HTML, or JSON when json) as 200:
 * to a GET, gzip'd as it is sent when the client accepts it and it is not
 * tiny (daemon/gzip-stream.h: chunked, no Content-Length), else plain with
 * its Content-Length; Vary: Accept-Encoding either way, since the same URL
 * answers both. A HEAD gets the plain one's headers: libmicrohttpd 0.9.75
 * sends a chunked answer's last chunk even to a HEAD, bytes that a
 * keep-alive client would read as the next answer. No ETag: a listing is
 * made anew (Cache-Control: no-cache).
 */
static enum MHD_Result reply_listing(struct MHD_Connection *c, struct request *rq,
                                     char *body, size_t len, int json, int is_head)
{
    const char *type = json ? "application/json" : "text/html; charset=utf-8";
    int gz = !is_head && len >= GZIP_MIN_BYTES && gzip_wanted(c);
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
    return reply(c, rq, MHD_HTTP_OK, r, len);
}

/* A listing of the folder open at fd (owned). */
static enum MHD_Result serve_listing(struct ferry_server *srv, struct MHD_Connection *c,
                                     struct request *rq, int fd, const struct stat *st,
                                     const char *rel, int is_head)
{
    struct listing_opts lo = {.show_hidden = srv->cfg.show_hidden, .root_fd = srv->root_fd,
                              .rel = rel, .paths = &srv->paths};
    int json = wants_json(c);
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
        return error_page(srv, c, rq, rc == -EACCES ? SRV_PAGE_403 : SRV_PAGE_500);
    }
    free(url_path);
    return reply_listing(c, rq, body, len, json, is_head);
}

/* Whether the request asks for a folder's size: ?size=1. */
static int size_requested(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "size");

    return v && strcmp(v, "1") == 0;
}

/*
 * GET /folder/?size=1 of the folder open at fd (owned): 200 JSON
 * {"bytes", "files", "folders", "complete"} from tree_size(), for the
 * browser UI's folder sizes; "complete" false when the count stopped early
 * (TREE_ENTRIES_MAX entries, or a folder that cannot be read).
 */
static enum MHD_Result serve_size(struct ferry_server *srv, struct MHD_Connection *c,
                                  struct request *rq, int fd)
{
    struct tree_size t;
    int rc = tree_size(fd, srv->cfg.show_hidden, &t);
    json_t *j;
    char *body;

    close(fd);
    if (rc < 0)
        return error_page(srv, c, rq, rc == -EACCES ? SRV_PAGE_403 : SRV_PAGE_500);
    j = json_pack("{s:I, s:I, s:I, s:b}", "bytes", (json_int_t)t.bytes, "files",
                  (json_int_t)t.files, "folders", (json_int_t)t.folders, "complete",
                  t.complete);
    body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body)
        return error_page(srv, c, rq, SRV_PAGE_500);
    return reply_buffer(c, rq, body, strlen(body), "application/json");
}

/* Maps a paths_* or -errno code to an error page. */
static enum srv_error_page page_for(int rc)
{
    switch (rc) {
    case PATHS_EBADREQ:
        return SRV_PAGE_400;
    case PATHS_EFORBIDDEN:
    case -EACCES:
    case -EPERM:
        return SRV_PAGE_403;
    case PATHS_ENOTFOUND:
    case -ENOENT:
    case -ENOTDIR:
    case -ENAMETOOLONG:
    case -ELOOP:
        return SRV_PAGE_404;
    default:
        return SRV_PAGE_500;
    }
}

/* Collects the query's name= and ticket= fields into a selection;
 * MHD_KeyValueIterator (the first error stops it, kept in sel_iter.rc). */
struct sel_iter {
    struct zip_selection *sel;
    const struct paths_opts *opts;
    int rc;
};

static enum MHD_Result add_query_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    struct sel_iter *it = cls;

    (void)kind;
    if (!value)
        value = "";
    it->rc = zip_select_add(it->sel, key, strlen(key), value, strlen(value), it->opts);
    return it->rc < 0 ? MHD_NO : MHD_YES;
}

/* Whether the query names items (name=...): a zip of a selection. */
static int selection_in_query(struct MHD_Connection *c)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name") != NULL;
}

/*
 * The zip of a selection of the folder `url` names: the items come from
 * the form body (POST: form, len) or the query (GET, HEAD: form NULL).
 * Refusals are plain text naming the first refused item: 400 (malformed
 * name, none at all, not a form), 403 (a name that leaves the folder), 404
 * (the folder, or an item, is not there or is hidden), 413 (more than
 * ZIP_SELECT_MAX names or a form over ZIP_SELECT_BODY_MAX bytes), 415 (a
 * body that is not application/x-www-form-urlencoded).
 */
static enum MHD_Result serve_selection(struct ferry_server *srv, struct MHD_Connection *c,
                                       struct request *rq, const char *url, int is_head,
                                       const char *form, size_t len)
{
    char rel[PATHS_MAX + 1], msg[512];
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_TYPE);
    struct zip_selection *sel = NULL;
    struct zip_outcome zo;
    unsigned status = 0;
    int fd = -1, rc;

    rc = paths_decode(url, &srv->paths, rel, sizeof rel, NULL);
    if (rc >= 0)
        rc = paths_open(srv->root_fd, rel, O_RDONLY | O_DIRECTORY | O_NONBLOCK, &srv->paths,
                        &fd);
    if (rc < 0)
        return error_page(srv, c, rq, page_for(rc == -ENOTDIR ? PATHS_ENOTFOUND : rc));
    if (form && rq->form_too_big) {
        status = 413;
        snprintf(msg, sizeof msg, "413 Content Too Large: a selection's form may be at most "
                 "%d bytes.\n", ZIP_SELECT_BODY_MAX);
        goto refuse;
    }
    if (form && (!type || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0)) {
        status = 415;
        snprintf(msg, sizeof msg, "415 Unsupported Media Type: send the selection as "
                 "application/x-www-form-urlencoded name=... fields.\n");
        goto refuse;
    }
    sel = zip_selection_new();
    if (!sel) {
        close(fd);
        return MHD_NO;
    }
    if (form) {
        rc = zip_select_parse_form(sel, form, len, &srv->paths);
    } else {
        struct sel_iter it = {sel, &srv->paths, 0};

        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_query_field, &it);
        rc = it.rc;
    }
    if (rc == 0)
        rc = zip_select_check(sel, fd, srv->cfg.show_hidden);
    switch (rc) {
    case 0:
        rc = zip_serve_selection(srv, c, fd, rel, sel, is_head, &zo);
        note(rq, zo.status, 0);
        rq->transfer = zo.transfer;
        rq->transfer_once = 1;
        rq->zip_end = zo.end;
        return (enum MHD_Result)rc;
    case ZIPSEL_EEMPTY:
        status = 400;
        snprintf(msg, sizeof msg, "400 Bad Request: name the items to zip with name=... "
                 "fields (paths relative to this folder, none empty).\n");
        break;
    case ZIPSEL_ETOOMANY:
        status = 413;
        snprintf(msg, sizeof msg, "413 Content Too Large: a selection may name at most %d "
                 "items.\n", ZIP_SELECT_MAX);
        break;
    case PATHS_EBADREQ:
        status = 400;
        snprintf(msg, sizeof msg, "400 Bad Request: the name \"%s\" is malformed (bad "
                 "%%-escape, NUL, backslash or invalid UTF-8).\n", sel->bad);
        break;
    case PATHS_EFORBIDDEN:
        status = 403;
        snprintf(msg, sizeof msg, "403 Forbidden: the name \"%s\" leaves the folder.\n",
                 sel->bad);
        break;
    case PATHS_ENOTFOUND:
        status = 404;
        snprintf(msg, sizeof msg, "404 Not Found: \"%s\" is not in this folder.\n",
                 sel->bad);
        break;
    default:
        zip_selection_free(sel);
        close(fd);
        return error_page(srv, c, rq, SRV_PAGE_500);
    }
refuse:
    zip_selection_free(sel);
    close(fd);
    return srv_answer_text(c, status, msg, NULL, NULL, NULL, NULL, &rq->status);
}

/* GET or HEAD of anything in the shared folder. */
static enum MHD_Result serve_path(struct ferry_server *srv, struct MHD_Connection *c,
                                  struct request *rq, const char *url, int is_head)
{
    char rel[PATHS_MAX + 1];
    int trailing = 0, fd = -1, rc;
    struct stat st;
    struct files_outcome out;

    rc = paths_decode(url, &srv->paths, rel, sizeof rel, &trailing);
    if (rc < 0)
        return error_page(srv, c, rq, page_for(rc));
    /* O_NONBLOCK: opening a FIFO must not hang a worker thread. */
    rc = paths_open(srv->root_fd, rel, O_RDONLY | O_NONBLOCK, &srv->paths, &fd);
    if (rc < 0)
        return error_page(srv, c, rq, page_for(rc));
    if (fstat(fd, &st) < 0) {
        close(fd);
        return error_page(srv, c, rq, SRV_PAGE_500);
    }
    if (S_ISDIR(st.st_mode)) {
        if (!trailing && rel[0]) {
            close(fd);
            return redirect_to_slash(srv, c, rq, rel);
        }
        if (zip_requested(c) && selection_in_query(c)) {
            close(fd);
            return serve_selection(srv, c, rq, url, is_head, NULL, 0);
        }
        if (zip_requested(c)) {
            struct zip_outcome zo;

            rc = zip_serve(srv, c, fd, rel, is_head, &zo);
            note(rq, zo.status, 0); /* length unknown; zip.c logs it (debug) */
            rq->transfer = zo.transfer;
            rq->transfer_once = 1;
            rq->zip_end = zo.end;
            return (enum MHD_Result)rc;
        }
        if (size_requested(c))
            return serve_size(srv, c, rq, fd);
        if (search_requested(c))
            return (enum MHD_Result)search_serve(srv, c, fd, rel, is_head, &rq->status);
        return serve_listing(srv, c, rq, fd, &st, rel, is_head);
    }
    /* A file with ?download=zip is answered as any file: it is one already. */
    if (!S_ISREG(st.st_mode) || trailing) {
        close(fd);
        return error_page(srv, c, rq, SRV_PAGE_404);
    }
    if (thumb_requested(c)) {
        unsigned status = 0;
        uint64_t length = 0;

        rc = thumb_serve(srv, c, fd, &st, rel, &rq->thumb, &status, &length);
        if (rc == THUMB_WAIT)
            return MHD_YES; /* the next call answers, once c is resumed */
        if (rc != THUMB_NONE) {
            note(rq, status, length);
            return (enum MHD_Result)rc;
        }
    }
    rc = files_serve(srv, c, fd, &st, rel, is_head, &out);
    note(rq, out.status, out.length);
    rq->transfer = out.transfer;
    return (enum MHD_Result)rc;
}

/* GET or HEAD of a picture whose connection was suspended while its
 * thumbnail was made (serve_path()): the thumbnail, or the file itself. */
static enum MHD_Result serve_thumb_resumed(struct ferry_server *srv, struct MHD_Connection *c,
                                           struct request *rq, int is_head)
{
    struct thumb_wait *w = rq->thumb;
    unsigned status = 0;
    uint64_t length = 0;
    struct files_outcome out;
    struct stat st;
    const char *rel;
    int fd = -1, rc;

    rc = thumb_resumed(w, c, &fd, &st, &rel, &status, &length);
    if (rc != THUMB_NONE) {
        note(rq, status, length);
    } else {
        rc = files_serve(srv, c, fd, &st, rel, is_head, &out);
        note(rq, out.status, out.length);
        rq->transfer = out.transfer;
    }
    rq->thumb = NULL; /* rel pointed into it: used above */
    thumb_wait_free(w);
    return (enum MHD_Result)rc;
}

/* OPTIONS on the shared folder: 204 with Allow (for these credentials). */
static enum MHD_Result serve_options(struct ferry_server *srv, struct MHD_Connection *c,
                                     struct request *rq)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

    if (r)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
                                allowed_methods(srv, rq->auth.rights == AUTH_RIGHTS_RO));
    return reply(c, rq, MHD_HTTP_NO_CONTENT, r, 0);
}

/* Whether url is the tus endpoint or below it. */
static int is_tus(const char *url)
{
    size_t n = sizeof TUS_PREFIX - 2; /* without the trailing slash */

    return strncmp(url, TUS_PREFIX, n) == 0 && (url[n] == '\0' || url[n] == '/');
}

/* Whether url is the trash endpoint or below it. */
static int is_trash(const char *url)
{
    size_t n = sizeof TRASH_PREFIX - 1;

    return strncmp(url, TRASH_PREFIX, n) == 0 && (url[n] == '\0' || url[n] == '/');
}

/* Allocates the per-request state; NULL when out of memory. */
static struct request *request_begin(struct ferry_server *srv, const char *method,
                                     const char *url)
{
    struct request *rq = calloc(1, sizeof *rq);

    if (!rq || !srv_log_enabled(srv, FERRY_LOG_INFO))
        return rq;
    clock_gettime(CLOCK_MONOTONIC, &rq->start);
    snprintf(rq->method, sizeof rq->method, "%s", method);
    snprintf(rq->path, sizeof rq->path, "%s", url);
    return rq;
}

enum MHD_Result routes_handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **req_cls)
{
    struct ferry_server *srv = cls;
    struct request *rq = *req_cls;
    int is_head;

    is_head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    if (!rq) {
        const char *bad_framing;

        *req_cls = rq = request_begin(srv, method, url);
        if (!rq)
            return MHD_NO;
        /* Ambiguous framing (two lengths, a length and chunked, no Host):
         * 400 before the body is read, and the connection closes, since
         * where this request ends cannot be known. */
        bad_framing = framing_check(c, version);
        if (bad_framing)
            return srv_answer_text(c, 400, bad_framing, MHD_HTTP_HEADER_CONNECTION, "close",
                                   NULL, NULL, &rq->status);
        /* The gate, before anything else: a refused upload is answered
         * before its body; other refusals on the next call (keep-alive). */
        auth_check(srv, c, url, method, &rq->auth);
        if (rq->auth.verdict != AUTH_ALLOW) {
            if (auth_answer_early(method))
                return auth_refuse(srv, c, &rq->auth, &rq->status);
            return MHD_YES;
        }
        if (rq->auth.endpoint)
            return MHD_YES;
        /* Uploads are checked before their body is read; refused methods
         * are answered then too (no "100 Continue"); the connection then
         * closes, as it must with an unread body. */
        if (is_tus(url))
            return tus_begin(srv, c, method, url, &rq->tus, &rq->status);
        if (strcmp(method, MHD_HTTP_METHOD_PUT) == 0)
            return put_begin(srv, c, url, &rq->put, &rq->status);
        if (is_trash(url) || fileops_method(method) ||
            strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0)
            return MHD_YES;
        if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 && zip_requested(c) &&
            strncmp(url, FERRY_PREFIX, sizeof FERRY_PREFIX - 1) != 0) {
            rq->zip_form = 1;
            return MHD_YES;
        }
        if (!is_head && strcmp(method, MHD_HTTP_METHOD_GET) != 0)
            return error_page(srv, c, rq, SRV_PAGE_405);
        return MHD_YES;
    }
    if (rq->tus) {
        if (*upload_data_size)
            return tus_body(rq->tus, upload_data, upload_data_size);
        return tus_finish(rq->tus, c, &rq->status);
    }
    if (rq->put) {
        if (*upload_data_size)
            return put_body(rq->put, upload_data, upload_data_size);
        return put_finish(rq->put, c, &rq->status);
    }
    if (rq->thumb)
        return serve_thumb_resumed(srv, c, rq, is_head);
    if (rq->auth.endpoint && !rq->status) {
        if (*upload_data_size)
            return auth_endpoint_body(&rq->auth, upload_data, upload_data_size);
        return auth_endpoint_serve(srv, c, method, &rq->auth, &rq->status);
    }
    if (rq->zip_form && !rq->status) {
        if (*upload_data_size) {
            size_t n = *upload_data_size;

            if (rq->form_len + n > ZIP_SELECT_BODY_MAX) {
                rq->form_too_big = 1;
            } else {
                char *p = realloc(rq->form, rq->form_len + n + 1);

                if (!p)
                    return MHD_NO;
                memcpy(p + rq->form_len, upload_data, n);
                rq->form = p;
                rq->form_len += n;
            }
            *upload_data_size = 0;
            return MHD_YES;
        }
        return serve_selection(srv, c, rq, url, 0, rq->form ? rq->form : "", rq->form_len);
    }
    if (rq->status || *upload_data_size) { /* answered already, or a body
                                               nobody reads: drop it */
        rq->had_body |= *upload_data_size != 0;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->auth.verdict != AUTH_ALLOW)
        return auth_refuse(srv, c, &rq->auth, &rq->status);
    if (is_trash(url))
        return trash_serve(srv, c, method, url, &rq->status);
    if (fileops_method(method))
        return fileops_handle(srv, c, method, url, rq->had_body, &rq->status);
    if (strncmp(url, FERRY_PREFIX, sizeof FERRY_PREFIX - 1) == 0) {
        if (strcmp(url, FERRY_PREFIX "status") == 0)
            return serve_status(srv, c, rq);
        if (strncmp(url, ASSETS_PREFIX, sizeof ASSETS_PREFIX - 1) == 0)
            return assets_serve(c, method, url, &rq->status, &rq->length);
        return error_page(srv, c, rq, SRV_PAGE_404);
    }
    if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0)
        return serve_options(srv, c, rq);
    return serve_path(srv, c, rq, url, is_head);
}

void srv_peer_address(struct MHD_Connection *c, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    snprintf(buf, len, "-");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)len);
}

/* Writes a string with control characters replaced, for log lines. */
static void sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

void routes_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct ferry_server *srv = cls;
    struct request *rq = *req_cls;
    char addr[64];
    struct timespec now;
    double ms;

    *req_cls = NULL;
    if (!rq)
        return;
    auth_ticket_end(&rq->auth);
    free(rq->form);
    thumb_wait_free(rq->thumb); /* resumed, but not answered: the server stops */
    put_end(rq->put);
    tus_end(rq->tus, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    zip_end_request_done(rq->zip_end, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    if (rq->status == 507) /* a full disk: the trash gives back its oldest first */
        trash_sweep(srv);
    if (rq->transfer && srv->engine) {
        if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK || rq->transfer_once)
            lc_engine_transfer_close(srv->engine, rq->transfer);
        else /* cut: the client may come back for the rest */
            lc_engine_transfer_interrupt(srv->engine, rq->transfer);
    }
    if (!srv_log_enabled(srv, FERRY_LOG_INFO)) {
        free(rq);
        return;
    }
    srv_peer_address(c, addr, sizeof addr);
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (double)(now.tv_sec - rq->start.tv_sec) * 1e3 +
         (double)(now.tv_nsec - rq->start.tv_nsec) / 1e6;
    sanitize(rq->path);
    sanitize(rq->method);
    srv_log(srv, FERRY_LOG_INFO, "%s \"%s %s\" %u %" PRIu64 " %.1fms%s", addr, rq->method,
            rq->path, rq->status, rq->length, ms,
            toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    free(rq);
}
