/*
 * respond.c — srv_queue_response(), the one place every answer goes
 * through, and the headers it adds (see server.h). A file of its own so
 * that the unit tests of the modules that answer can link it alone.
 */
#include "config.h"

#include <microhttpd.h>

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
