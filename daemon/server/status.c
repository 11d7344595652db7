/*
 * status.c — GET /.ferry/status: the route table's status_handler (see
 * status.h). JSON about the server: version, lifecycle state, assertions,
 * transfers, discovery, how the last ticketed zips ended, TLS.
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "request.h"
#include "server.h"
#include "status.h"
#include "zip-ends.h"

/* The transfers for /.ferry/status: open ones and restored ones. */
static json_t *transfers_json(struct ferry_server *srv)
{
    ferry_transfer *list = NULL;
    size_t n = 0;
    json_t *a = json_array();

    if (!a || ferry_server_transfers(srv, &list, &n) < 0)
        return a;
    for (size_t i = 0; i < n; i++) {
        const ferry_transfer *t = &list[i];

        json_array_append_new(a, json_pack(
            "{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:b}", "id", (json_int_t)t->id,
            "direction", t->direction == FERRY_UPLOAD ? "upload" : "download", "path", t->path,
            "validator", t->validator, "first", (json_int_t)t->first, "last",
            (json_int_t)t->last, "done", (json_int_t)t->done, "total", (json_int_t)t->total,
            "peer", t->peer, "restored", t->restored));
    }
    free(list);
    return a;
}

/* The "urls" member of /.ferry/status: where the server answers now
 * (addresses read afresh, so a network change shows at once). */
static json_t *urls_json(struct ferry_server *srv)
{
    char **urls = NULL;
    size_t n = 0;
    json_t *a = json_array();

    if (!a || ferry_server_urls(srv, &urls, &n) < 0)
        return a;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(urls[i]));
    ferry_urls_free(urls, n);
    return a;
}

/* The "tls" member of /.ferry/status: HTTPS port, fingerprint, key pin; or
 * null when TLS is off. */
static json_t *tls_json(struct ferry_server *srv)
{
    const char *fp = ferry_server_fingerprint(srv), *pin = ferry_server_pubkey_pin(srv);

    if (!fp || !pin)
        return json_null();
    return json_pack("{s:i, s:s, s:s}", "port", ferry_server_tls_port(srv),
                     "fingerprint", fp, "pin", pin);
}

static enum MHD_Result serve_status(struct req *rq)
{
    struct ferry_server *srv = rq->srv;
    struct lc_ledger_view lv = {0};
    json_t *j;
    char *body;

    pthread_rwlock_rdlock(&srv->engine_lock);
    if (srv->engine)
        lc_engine_ledger(srv->engine, &lv);
    pthread_rwlock_unlock(&srv->engine_lock);
    char name[256] = "";
    enum disc_state ds = srv->disc ? disc_status(srv->disc, name, sizeof name) : DISC_OFF;

    j = json_pack("{s:s, s:b, s:s, s:i, s:{s:I, s:I, s:I, s:I}, s:o, s:{s:s, s:s, s:s}}",
                  "version", ferry_version(), "read_only", srv->cfg.read_only, "state",
                  ferry_state_name(ferry_server_state(srv)), "port", ferry_server_port(srv),
                  "assertions", "held", (json_int_t)lv.held, "begins", (json_int_t)lv.begins,
                  "ends", (json_int_t)lv.ends, "refused", (json_int_t)lv.refused,
                  "transfers", transfers_json(srv), "discovery", "backend", disc_backend(),
                  "state", disc_state_name(ds), "name", name);
    if (j) {
        json_object_set_new(j, "zips", zip_ends_json(&srv->zip_ends));
        /* for the browser UI: the name people know the server by, and
         * whether a browser has a session to log out of */
        json_object_set_new(j, "name", json_string(srv->service_name ? srv->service_name : ""));
        json_object_set_new(j, "auth", json_string(srv->cfg.auth == FERRY_AUTH_OPEN ? "open"
                                                   : srv->cfg.auth == FERRY_AUTH_PASSWORD
                                                       ? "password" : "token"));
        json_object_set_new(j, "urls", urls_json(srv));
        json_object_set_new(j, "tls", tls_json(srv));
    }
    body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body)
        return req_error_page(rq, REQ_PAGE_500);
    return req_reply_buffer(rq, body, strlen(body), "application/json");
}

const struct route_handler status_handler = {.name = "status", .finish = serve_status};
