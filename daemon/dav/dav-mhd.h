/*
 * dav-mhd.h — the WebDAV handlers (dav.h) on libmicrohttpd: what routes.c
 * calls. One call per stage of a request, so that the route table takes
 * them as they are:
 *
 *   headers:  dav_mhd_begin()      (PROPFIND, PROPPATCH, LOCK, UNLOCK)
 *   body:     dav_mhd_body()
 *   finish:   dav_mhd_finish()     queues the answer
 *   end:      dav_mhd_end()        from the completion callback
 *
 * and, for the write methods served elsewhere (PUT, DELETE, MKCOL, MOVE,
 * COPY): dav_mhd_write_check() before they act, dav_mhd_written() after.
 * Every answer goes through srv_queue_response().
 */
#ifndef FERRY_DAV_MHD_H
#define FERRY_DAV_MHD_H

#include <microhttpd.h>

#include "dav.h"

struct ferry_server;
struct dav_mhd;

/* Creates srv->dav (the lock table and the handlers' configuration); 0 or
 * FERRY_ENOMEM. dav_mhd_server_free() accepts a server without one. */
int dav_mhd_server_init(struct ferry_server *srv);
void dav_mhd_server_free(struct ferry_server *srv);

/* Starts a dav_method() request on `url` (raw; not under /.ferry/). The
 * request state goes to *out (owned: dav_mhd_end()). Answers nothing yet:
 * an answer known from the headers is queued by dav_mhd_finish(), after
 * the body (0.9.75 would otherwise close the connection). MHD_NO: out of
 * memory. */
enum MHD_Result dav_mhd_begin(struct ferry_server *srv, struct MHD_Connection *c,
                              const char *url, const char *method, struct dav_mhd **out);

/* A chunk of the body: consumed whole. */
enum MHD_Result dav_mhd_body(struct dav_mhd *m, const char *data, size_t *size);

/* The body is in: queues the answer and sets *status. */
enum MHD_Result dav_mhd_finish(struct dav_mhd *m, struct MHD_Connection *c, unsigned *status);

/* Frees the request state; accepts NULL. */
void dav_mhd_end(struct dav_mhd *m);

/*
 * Before PUT, DELETE, MKCOL, MOVE or COPY of `url`: the If: header and the
 * locks (dav_write_check(), on the target and, for MOVE/COPY, the
 * Destination). Returns 0 to go on; 1 when the refusal was queued (*ret,
 * *status set). Paths that do not decode are left to the method itself.
 */
int dav_mhd_write_check(struct ferry_server *srv, struct MHD_Connection *c, const char *method,
                        const char *url, enum MHD_Result *ret, unsigned *status);

/* After such a method answered `status`: locks of what a DELETE or MOVE
 * took away end; COPY brings the dead properties of the item along. */
void dav_mhd_written(struct ferry_server *srv, struct MHD_Connection *c, const char *method,
                     const char *url, unsigned status);

/* The headers OPTIONS adds: DAV: 1, 2 and MS-Author-Via: DAV. */
void dav_mhd_options_headers(struct MHD_Response *r);

#endif
