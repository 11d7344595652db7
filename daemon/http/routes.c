/*
 * routes.c — from a request to an answer: the gate, the dispatch to the
 * route table's handlers (routes.h, route-table.c), the shared answers of
 * request.h, and the access log.
 *
 * The gate runs at the first call of the access handler, when the headers
 * have arrived: framing checks, the request's context (request.c: path,
 * query, namespace), access control (auth.h), then the route. libmicrohttpd
 * calls the handler again for the body; answering on the first call would
 * make 0.9.75 mark the reply "Connection: close", so answers are queued on
 * a later call, except refusals of a request whose body must not be read
 * (a refused upload, a method no row takes).
 */
#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "engine.h"
#include "http-framing.h"
#include "request.h"
#include "routes.h"
#include "server.h"
#include "trash.h"
#include "zip-ends.h"

static const struct {
    unsigned status;
    const char *body;
} page_text[REQ_PAGE_COUNT] = {
    [REQ_PAGE_400] = {400, "400 Bad Request: the path is malformed (bad %-escape, NUL, "
                           "backslash or invalid UTF-8).\n"},
    [REQ_PAGE_403] = {403, "403 Forbidden: the path leaves the shared folder.\n"},
    [REQ_PAGE_404] = {404, "404 Not Found\n"},
    [REQ_PAGE_500] = {500, "500 Internal Server Error: see the server's log.\n"},
};

int routes_pages_create(struct ferry_server *srv)
{
    for (int i = 0; i < REQ_PAGE_COUNT; i++) {
        struct MHD_Response *r = MHD_create_response_from_buffer(
            strlen(page_text[i].body), (void *)page_text[i].body,
            MHD_RESPMEM_PERSISTENT);

        if (!r) {
            routes_pages_free(srv);
            return FERRY_ENOMEM;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
        srv_secure_headers(r); /* shared: srv_queue_response() only reads it */
        srv->pages[i] = r;
    }
    return 0;
}

void routes_pages_free(struct ferry_server *srv)
{
    for (int i = 0; i < REQ_PAGE_COUNT; i++) {
        if (srv->pages[i])
            MHD_destroy_response(srv->pages[i]);
        srv->pages[i] = NULL;
    }
}

void req_note(struct req *rq, unsigned status, uint64_t length)
{
    rq->status = status;
    rq->length = length;
}

enum MHD_Result req_error_page(struct req *rq, enum req_page page)
{
    req_note(rq, page_text[page].status, strlen(page_text[page].body));
    return srv_queue_response(rq->c, page_text[page].status, rq->srv->pages[page]);
}

enum MHD_Result req_reply(struct req *rq, unsigned status, struct MHD_Response *r,
                          uint64_t len)
{
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    req_note(rq, status, len);
    ret = srv_queue_response(rq->c, status, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result req_reply_buffer(struct req *rq, char *body, size_t len, const char *type)
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
    return req_reply(rq, MHD_HTTP_OK, r, len);
}

/* 405 for a method no row takes on this path, with Allow from the table
 * (for these credentials); answered before any body is read. */
enum MHD_Result routes_method_not_allowed(struct req *rq)
{
    char allow[160], text[256];
    struct MHD_Response *r;
    size_t n;

    routes_allow_text(routes_allowed(rq), allow, sizeof allow);
    n = (size_t)snprintf(text, sizeof text, "405 Method Not Allowed: this server answers %s "
                         "here (tus uploads under /.ferry/uploads/).\n",
                         allow[0] ? allow : "no method");
    if (n >= sizeof text)
        n = sizeof text - 1;
    r = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_COPY);
    if (r) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    }
    return req_reply(rq, MHD_HTTP_METHOD_NOT_ALLOWED, r, n);
}

/* Allocates and fills the request's context; NULL when out of memory. */
static struct req *request_begin(struct ferry_server *srv, struct MHD_Connection *c,
                                 const char *method, const char *url)
{
    struct req *rq = req_new();

    if (!rq)
        return NULL;
    rq->srv = srv;
    rq->c = c;
    req_parse(rq, method, url, &srv->paths);
    if (!srv_log_enabled(srv, FERRY_LOG_INFO))
        return rq;
    clock_gettime(CLOCK_MONOTONIC, &rq->start);
    snprintf(rq->log_method, sizeof rq->log_method, "%s", method);
    snprintf(rq->log_path, sizeof rq->log_path, "%s", url);
    return rq;
}

/* The first call: the gate, then the route. */
static enum MHD_Result gate(struct ferry_server *srv, struct MHD_Connection *c,
                            const char *url, const char *method, const char *version,
                            void **req_cls)
{
    struct req *rq = request_begin(srv, c, method, url);
    const char *bad_framing;

    *req_cls = rq;
    if (!rq)
        return MHD_NO;
    /* Ambiguous framing (two lengths, a length and chunked, no Host):
     * 400 before the body is read, and the connection closes, since
     * where this request ends cannot be known. */
    bad_framing = framing_check(c, version);
    if (bad_framing)
        return srv_answer_text(c, 400, bad_framing, MHD_HTTP_HEADER_CONNECTION, "close",
                               NULL, NULL, &rq->status);
    /* Access control, before anything else: a refused upload is answered
     * before its body; other refusals on the next call (keep-alive). */
    auth_check(srv, c, url, method, rq->query.download, &rq->auth);
    if (rq->auth.verdict != AUTH_ALLOW) {
        if (auth_answer_early(method))
            return auth_refuse(srv, c, &rq->auth, &rq->status);
        return MHD_YES;
    }
    if (rq->auth.endpoint) { /* pairing, login, share links: the gate's own */
        rq->handler = &auth_endpoint_handler;
        rq->state = &rq->auth;
        return MHD_YES;
    }
    /* Uploads are checked before their body is read; refused methods are
     * answered then too (no "100 Continue"); the connection then closes,
     * as it must with an unread body. */
    rq->handler = routes_find(rq);
    if (!rq->handler)
        return routes_method_not_allowed(rq);
    if (rq->handler->begin)
        return rq->handler->begin(rq);
    return MHD_YES;
}

enum MHD_Result routes_handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **req_cls)
{
    struct req *rq = *req_cls;

    if (!rq)
        return gate(cls, c, url, method, version, req_cls);
    /* A handler that took the body (its begin set rq->state), or one
     * whose suspended connection was resumed. */
    if (rq->state && !rq->status) {
        if (!*upload_data_size)
            return rq->handler->finish(rq);
        if (rq->handler->body)
            return rq->handler->body(rq, upload_data, upload_data_size);
    }
    if (rq->status || *upload_data_size) { /* answered already, or a body
                                               nobody reads: drop it */
        rq->had_body |= *upload_data_size != 0;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->auth.verdict != AUTH_ALLOW)
        return auth_refuse(rq->srv, c, &rq->auth, &rq->status);
    return rq->handler->finish(rq);
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
    struct req *rq = *req_cls;
    int completed = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    char addr[64];
    struct timespec now;
    double ms;

    *req_cls = NULL;
    if (!rq)
        return;
    auth_ticket_end(&rq->auth);
    if (rq->handler && rq->handler->end)
        rq->handler->end(rq, completed);
    zip_end_request_done(rq->zip_end, completed);
    if (rq->status == 507) /* a full disk: the trash gives back its oldest first */
        trash_sweep(srv);
    if (rq->transfer && srv->engine) {
        if (completed || rq->transfer_once)
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
    sanitize(rq->log_path);
    sanitize(rq->log_method);
    srv_log(srv, FERRY_LOG_INFO, "%s \"%s %s\" %u %" PRIu64 " %.1fms%s", addr,
            rq->log_method, rq->log_path, rq->status, rq->length, ms,
            completed ? "" : " (aborted)");
    free(rq);
}
