/*
 * dav-mhd.h — the WebDAV handlers (dav.h) as route-table handlers (struct
 * route_handler, request.h): the adapter from a struct req to a dav_call.
 *
 *   dav_handler          PROPFIND, PROPPATCH, LOCK, UNLOCK on the shared
 *                        folder: begin takes the body, finish answers
 *   dav_put_handler      PUT on the shared folder: the If: header and the
 *                        locks first, then put_handler (upload-put.h)
 *   dav_fileops_handler  MKCOL, MOVE, COPY, DELETE on the shared folder:
 *                        the same check, then fileops_handler (fileops.h),
 *                        then the locks of what went away end and a COPY
 *                        carries the dead properties along
 *
 * The write methods stay where they are (uploads/): the wrappers call their
 * handlers, so that uploads/ does not know WebDAV, and dav/ depends on
 * http/, share/ and uploads/ only through their headers (no include
 * circle). Every answer goes through req_reply() (srv_queue_response()).
 */
#ifndef FERRY_DAV_MHD_H
#define FERRY_DAV_MHD_H

#include <microhttpd.h>

struct ferry_server;
struct route_handler;

/* Creates srv->dav (the lock table and the handlers' configuration); 0 or
 * FERRY_ENOMEM. dav_mhd_server_free() accepts a server without one. Called
 * by the server's parts (server/parts.c). */
int dav_mhd_server_init(struct ferry_server *srv);
void dav_mhd_server_free(struct ferry_server *srv);

extern const struct route_handler dav_handler;
extern const struct route_handler dav_put_handler;
extern const struct route_handler dav_fileops_handler;

/* The headers OPTIONS adds: DAV: 1, 2 and MS-Author-Via: DAV. */
void dav_mhd_options_headers(struct MHD_Response *r);

#endif
