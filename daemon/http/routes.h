/*
 * routes.h — libmicrohttpd's entry points into ferry: the access handler
 * that maps a request to a file, a listing or one of ferry's own endpoints
 * (under /.ferry/), the completion callback that writes the access log, and
 * the shared error pages.
 */
#ifndef FERRY_ROUTES_H
#define FERRY_ROUTES_H

#include <microhttpd.h>

struct ferry_server;

/* MHD_AccessHandlerCallback; cls is the ferry_server. Runs on MHD threads. */
enum MHD_Result routes_handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls);

/*
 * MHD_RequestCompletedCallback: logs the access line of a finished request
 * and frees its state. Runs on MHD threads.
 */
void routes_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe);

/*
 * Builds the shared error responses into srv->pages. Returns 0 or
 * FERRY_ENOMEM (having freed what it built).
 */
int routes_pages_create(struct ferry_server *srv);

/* Releases srv->pages. Safe to call twice. */
void routes_pages_free(struct ferry_server *srv);

#endif
