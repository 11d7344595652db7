/*
 * routes.h — libmicrohttpd's entry points into ferry, and the route table.
 *
 * routes_handle() is the access handler: at its first call for a request
 * it is the gate (framing checks, the request's context, request.h, and
 * access control, auth.h), then it picks the first row of the route table
 * whose namespace, path and methods match, and drives that row's handler
 * through headers → body chunks → finish → end (request.h). No row for the
 * method: 405 with Allow, made from the rows that match the path, for the
 * caller's rights. routes_completed() ends the request and writes the
 * access log.
 *
 * Adding a method or an endpoint is a row in route-table.c and a handler
 * (a struct route_handler) in a file of its own.
 */
#ifndef FERRY_ROUTES_H
#define FERRY_ROUTES_H

#include <microhttpd.h>
#include <stddef.h>

struct ferry_server;
struct req;
struct route_handler;

/* How a row's `prefix` is matched against the raw request path. */
enum route_match {
    ROUTE_ANY,    /* every path of the row's namespaces (prefix NULL) */
    ROUTE_EXACT,  /* the path is `prefix` */
    ROUTE_BELOW,  /* the path is `prefix` (no trailing '/'), or below it:
                     prefix + "/..." */
    ROUTE_PREFIX, /* the path starts with `prefix` */
};

/* One row: requests with one of `methods` for a path of one of `spaces`
 * that `match`es `prefix` go to `handler`. */
struct route {
    unsigned methods; /* enum req_method bits (request.h); REQ_ANY */
    unsigned spaces;  /* enum req_space bits */
    enum route_match match;
    const char *prefix;
    const struct route_handler *handler;
    int unlisted;     /* not in Allow: the handler only refuses here (with
                         a better answer than 405), or takes the method
                         for one query only and answers the rest with
                         routes_method_not_allowed() (POST: a selection's
                         zip) */
};

/* The table, in route-table.c: the first matching row wins. */
extern const struct route routes_table[];
extern const size_t routes_count;

/* The handler of the first row that matches rq (method, namespace and
 * path), or NULL. */
const struct route_handler *routes_find(const struct req *rq);

/*
 * The methods (enum req_method bits, REQ_OTHER left out) of the rows that
 * match rq's namespace and path, without the writes when the server is
 * read-only or rq's credentials are (auth.h).
 */
unsigned routes_allowed(const struct req *rq);

/* 405 for a method no row takes on rq's path (or that its handler turns
 * away), with Allow from the table for these credentials; before any body
 * is read. Returns what req_reply() returns. */
enum MHD_Result routes_method_not_allowed(struct req *rq);

/* Writes methods (enum req_method bits) as an Allow value ("GET, HEAD")
 * into buf, in the order of the bits; the names that do not fit in len
 * (with the NUL) are left out whole. */
void routes_allow_text(unsigned methods, char *buf, size_t len);

/* The handlers route-table.c keeps for itself: OPTIONS of the shared
 * folder (204 with Allow) and anything else under /.ferry/ (404). */
extern const struct route_handler routes_options_handler;
extern const struct route_handler routes_not_found_handler;

/* MHD_AccessHandlerCallback; cls is the ferry_server. Runs on MHD threads. */
enum MHD_Result routes_handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls);

/*
 * MHD_RequestCompletedCallback: ends the request's handler, logs the access
 * line of a finished request and frees its state. Runs on MHD threads.
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
