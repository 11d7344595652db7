/*
 * route-table.c — the route table (routes.h): which handler answers which
 * methods on which paths, the first matching row winning, and the two
 * handlers that are the table's own (OPTIONS, and 404 under /.ferry/).
 *
 * To add a method or an endpoint: write its handler (a struct
 * route_handler, request.h) in a file of its concern, declare it in that
 * file's header, and add a row here, before any row that would take the
 * request first. The methods the rows give a path make its Allow (OPTIONS
 * and 405), in the order of enum req_method.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "assets.h"
#include "dav-mhd.h"
#include "fileops.h"
#include "request.h"
#include "routes.h"
#include "serve.h"
#include "server.h"
#include "status.h"
#include "trash.h"
#include "upload-put.h"
#include "upload-tus.h"
#include "zip-select-serve.h"

/* The reads of ferry's own endpoints (REQ_READS but PROPFIND). */
#define FERRY_READS (REQ_GET | REQ_HEAD | REQ_OPTIONS)

const struct route routes_table[] = {
    /* methods, namespaces, match, prefix, handler, unlisted */
    /* resumable uploads, tus 1.0 (uploads/upload-tus.h): every method */
    {REQ_ANY, REQ_SPACE_FERRY, ROUTE_BELOW, "/.ferry/uploads", &tus_handler, 0},
    /* an upload of one whole file (uploads/upload-put.h), which also
     * answers, with 403, one under /.ferry/ */
    {REQ_PUT, REQ_SPACE_SHARED, ROUTE_ANY, NULL, &dav_put_handler, 0}, /* If: and
                                                      locks first (dav/dav-mhd.h) */
    {REQ_PUT, REQ_SPACE_FERRY, ROUTE_ANY, NULL, &put_handler, 1},
    /* what DELETE put aside (uploads/trash.h): every method */
    {REQ_ANY, REQ_SPACE_FERRY, ROUTE_BELOW, TRASH_PREFIX, &trash_handler, 0},
    /* file operations (uploads/fileops.h), which also answer, with 403,
     * those under /.ferry/ */
    {REQ_MKCOL | REQ_MOVE | REQ_COPY | REQ_DELETE, REQ_SPACE_SHARED, ROUTE_ANY, NULL,
     &dav_fileops_handler, 0}, /* If: and locks first (dav/dav-mhd.h) */
    {REQ_MKCOL | REQ_MOVE | REQ_COPY | REQ_DELETE, REQ_SPACE_FERRY, ROUTE_ANY, NULL,
     &fileops_handler, 1},
    /* ferry's own read-only endpoints (no WebDAV there: PROPFIND gets 405) */
    {FERRY_READS, REQ_SPACE_FERRY, ROUTE_EXACT, "/.ferry/status", &status_handler, 0},
    {FERRY_READS, REQ_SPACE_FERRY, ROUTE_PREFIX, ASSETS_PREFIX, &assets_handler, 0},
    {FERRY_READS, REQ_SPACE_FERRY, ROUTE_ANY, NULL, &routes_not_found_handler, 0},
    /* the shared folder */
    {REQ_OPTIONS, REQ_SPACE_SHARED, ROUTE_ANY, NULL, &routes_options_handler, 0},
    {REQ_GET | REQ_HEAD, REQ_SPACE_SHARED, ROUTE_ANY, NULL, &share_get_handler, 0},
    /* WebDAV class 2 (dav/dav-mhd.h) */
    {REQ_PROPFIND | REQ_PROPPATCH | REQ_LOCK | REQ_UNLOCK, REQ_SPACE_SHARED, ROUTE_ANY, NULL,
     &dav_handler, 0},
    /* a zip of a selection, POST /folder/?download=zip with a form
     * (share/zip-select-serve.h); any other POST is its 405: not in Allow */
    {REQ_POST, REQ_SPACE_SHARED, ROUTE_ANY, NULL, &zip_select_handler, 1},
};
const size_t routes_count = sizeof routes_table / sizeof routes_table[0];

/* Whether row r takes rq's namespace and path (whatever the method). */
static int path_matches(const struct route *r, const struct req *rq)
{
    size_t n;

    if (!(r->spaces & rq->space))
        return 0;
    switch (r->match) {
    case ROUTE_ANY:
        return 1;
    case ROUTE_EXACT:
        return strcmp(rq->url, r->prefix) == 0;
    case ROUTE_BELOW:
        n = strlen(r->prefix);
        return strncmp(rq->url, r->prefix, n) == 0 &&
               (rq->url[n] == '\0' || rq->url[n] == '/');
    case ROUTE_PREFIX:
        return strncmp(rq->url, r->prefix, strlen(r->prefix)) == 0;
    }
    return 0;
}

const struct route_handler *routes_find(const struct req *rq)
{
    for (size_t i = 0; i < routes_count; i++)
        if ((routes_table[i].methods & rq->method_bit) && path_matches(&routes_table[i], rq))
            return routes_table[i].handler;
    return NULL;
}

unsigned routes_allowed(const struct req *rq)
{
    unsigned m = 0;

    for (size_t i = 0; i < routes_count; i++)
        if (!routes_table[i].unlisted && path_matches(&routes_table[i], rq))
            m |= routes_table[i].methods;
    if (rq->srv->cfg.read_only || rq->auth.rights == AUTH_RIGHTS_RO)
        m &= REQ_READS;
    return m & ~REQ_OTHER;
}

void routes_allow_text(unsigned methods, char *buf, size_t len)
{
    static const char *const names[] = {
        "GET", "HEAD", "PUT", "OPTIONS", "MKCOL", "MOVE", "COPY", "DELETE",
        "POST", "PATCH", "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK",
    };
    size_t o = 0;

    if (len)
        buf[0] = '\0';
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        int w;

        if (!(methods & 1u << i))
            continue;
        w = snprintf(buf + o, len - o, "%s%s", o ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= len - o) {
            buf[o] = '\0'; /* no name cut in half */
            return;
        }
        o += (size_t)w;
    }
}

/* OPTIONS on the shared folder: 204 with Allow (for these credentials),
 * and WebDAV's DAV: 1, 2 and MS-Author-Via. */
static enum MHD_Result serve_options(struct req *rq)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    char allow[160];

    routes_allow_text(routes_allowed(rq), allow, sizeof allow);
    if (r) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
        dav_mhd_options_headers(r);
    }
    return req_reply(rq, MHD_HTTP_NO_CONTENT, r, 0);
}

const struct route_handler routes_options_handler = {
    .name = "options", .finish = serve_options};

static enum MHD_Result serve_not_found(struct req *rq)
{
    return req_error_page(rq, REQ_PAGE_404);
}

const struct route_handler routes_not_found_handler = {
    .name = "not found", .finish = serve_not_found};
