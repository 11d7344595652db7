/*
 * respond.c — srv_queue_response(), the one place every answer goes
 * through, and the headers it adds (see server.h). A file of its own so
 * that the unit tests of the modules that answer can link it alone.
 */
#include "config.h"

#include <microhttpd.h>
#include <string.h>

#include "server.h"

void srv_secure_headers(struct MHD_Response *r)
{
    if (!MHD_get_response_header(r, "X-Content-Type-Options"))
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (!MHD_get_response_header(r, "Referrer-Policy"))
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    if (!MHD_get_response_header(r, "Content-Security-Policy"))
        MHD_add_response_header(r, "Content-Security-Policy", SRV_CSP_FILES);
}

enum MHD_Result srv_queue_response(struct MHD_Connection *c, unsigned status,
                                   struct MHD_Response *r)
{
    srv_secure_headers(r);
    return MHD_queue_response(c, status, r);
}

enum MHD_Result srv_answer_text(struct MHD_Connection *c, unsigned status, const char *text,
                                const char *name1, const char *value1,
                                const char *name2, const char *value2,
                                unsigned *status_out)
{
    size_t len = status == 204 ? 0 : strlen(text);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    *status_out = status;
    if (!r)
        return MHD_NO;
    if (len)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (value1)
        MHD_add_response_header(r, name1, value1);
    if (value2)
        MHD_add_response_header(r, name2, value2);
    ret = srv_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}
