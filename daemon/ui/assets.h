/*
 * assets.h — the browser UI's files (www/), embedded at build time by
 * tools/embed-assets.sh and served under /.ferry/ui/.
 */
#ifndef FERRY_ASSETS_H
#define FERRY_ASSETS_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#define ASSETS_PREFIX "/.ferry/ui/"

/* The route table's handler of ASSETS_PREFIX and below (request.h):
 * assets_serve() once the request is in. */
struct route_handler;
extern const struct route_handler assets_handler;

/* One embedded file: static data, never freed. */
struct asset {
    const char *name;  /* path under www/, e.g. "app.js" */
    const char *type;  /* Content-Type */
    const char *etag;    /* strong, quoted: a hash of the plain bytes */
    const char *etag_gz; /* the same with "-gz", for the gzip'd bytes */
    const unsigned char *plain;
    size_t plain_len;
    const unsigned char *gz; /* gzip -9 of plain */
    size_t gz_len;
};

/* The generated table (daemon/assets-data.c, in the build tree). */
extern const struct asset assets_table[];
extern const size_t assets_count;
extern const char assets_version[]; /* the ?v= of the listing's links */

/* The asset called `name` (path under www/), or NULL. */
const struct asset *assets_find(const char *name);

/*
 * Answers GET or HEAD of `url` (which starts with ASSETS_PREFIX): 200 with
 * the gzip'd bytes when Accept-Encoding allows gzip, else the plain ones;
 * 304 when If-None-Match names the ETag; 404 for an unknown name; 405 for
 * another method. Cached for a year (immutable) when `v`, the query's v=
 * (or NULL), is the current ASSETS_VERSION, else revalidated each time.
 * Sets *status and *length (body bytes) for the access log. Called from
 * the request handler (routes.c) on the second call, as every answer is.
 */
enum MHD_Result assets_serve(struct MHD_Connection *c, const char *method, const char *url,
                             const char *v, unsigned *status, uint64_t *length);

#endif
