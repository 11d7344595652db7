/*
 * assets.c — serves the embedded browser UI (assets.h): content coding,
 * validators and caching. The bytes themselves are generated from www/.
 */
#include "config.h"

#include <string.h>

#include "assets-parse.h"
#include "assets.h"
#include "mhd-compat.h"
#include "request.h"
#include "server.h"

const struct asset *assets_find(const char *name)
{
    for (size_t i = 0; i < assets_count; i++)
        if (strcmp(assets_table[i].name, name) == 0)
            return &assets_table[i];
    return NULL;
}

enum MHD_Result assets_serve(struct MHD_Connection *c, const char *method, const char *url,
                             const char *v, unsigned *status, uint64_t *length)
{
    const struct asset *a = assets_find(url + strlen(ASSETS_PREFIX));
    const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_ACCEPT_ENCODING);
    struct MHD_Response *r;
    enum MHD_Result ret;
    int gz;

    *length = 0;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return srv_answer_text(c, 405, "405 Method Not Allowed: the UI's files answer GET "
                               "and HEAD.\n", MHD_HTTP_HEADER_ALLOW, "GET, HEAD",
                               NULL, NULL, status);
    if (!a)
        return srv_answer_text(c, 404, "404 Not Found: no such file in the UI.\n",
                               NULL, NULL, NULL, NULL, status);
    gz = ae && assets_accepts_gzip(ae);
    if (assets_etag_listed(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_IF_NONE_MATCH),
                     gz ? a->etag_gz : a->etag)) {
        r = mhd_compat_response_304();
        *status = 304;
    } else {
        r = MHD_create_response_from_buffer(gz ? a->gz_len : a->plain_len,
                                            (void *)(gz ? a->gz : a->plain),
                                            MHD_RESPMEM_PERSISTENT);
        *status = 200;
        *length = gz ? a->gz_len : a->plain_len;
    }
    if (!r)
        return MHD_NO;
    if (*status == 200) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
        if (gz)
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, gz ? a->etag_gz : a->etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                            v && strcmp(v, assets_version) == 0
                                ? "public, max-age=31536000, immutable"
                                : "no-cache");
    MHD_add_response_header(r, "Content-Security-Policy", SRV_CSP_UI);
    ret = srv_queue_response(c, *status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result route_finish(struct req *rq)
{
    return assets_serve(rq->c, rq->method, rq->url, rq->query.v, &rq->status, &rq->length);
}

const struct route_handler assets_handler = {.name = "ui", .finish = route_finish};
