/*
 * auth.c — the gate in front of every request, ferry's pairing and login
 * endpoints, and the access-control part of the public API; see auth.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/md.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth-ct.h"
#include "auth-limit.h"
#include "auth-pages.h"
#include "auth-password.h"
#include "auth-sessions.h"
#include "auth.h"
#include "request.h"
#include "server.h"
#include "share.h"

#define BASIC_CACHE_SLOTS 8
#define BASIC_CACHE_MS 60000 /* a verified Basic password is taken on trust
                                this long (then PBKDF2 again) */
#define NAMES_MAX 4
#define NAME_LEN 300

struct basic_cache_entry {
    unsigned char mac[32]; /* HMAC-SHA256(cache_key, password) */
    uint64_t until_ms;     /* 0: empty */
};

struct auth_gate {
    struct auth_sessions *sessions;
    struct auth_limit *limit;
    char pw_text[AUTH_PW_TEXT_MAX]; /* password mode: the stored hash text */
    pthread_mutex_t cache_lock;
    unsigned char cache_key[32];
    struct basic_cache_entry cache[BASIC_CACHE_SLOTS];
    char names[NAMES_MAX][NAME_LEN];
    const char *name_ptrs[NAMES_MAX];
    size_t n_names;
    int clear;                      /* HTTP reachable beyond loopback */
    unsigned max_age;               /* the cookie's Max-Age */
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *hdr(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static const struct sockaddr *client_addr(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    return ci ? ci->client_addr : NULL;
}

/* Every bind address is loopback (nothing crosses a network). */
static int loopback_only(const struct ferry_server *srv)
{
    if (srv->cfg.n_binds == 0)
        return 0;
    for (size_t i = 0; i < srv->cfg.n_binds; i++) {
        const char *b = srv->cfg.binds[i];

        if (strncmp(b, "127.", 4) != 0 && strcmp(b, "::1") != 0)
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ the gate */

int auth_gate_new(struct ferry_server *srv, struct auth_gate **out)
{
    struct auth_gate *g = calloc(1, sizeof *g);
    struct auth_sessions_config sc;
    struct auth_limit_config lc;
    char host[256] = "";
    int rc;

    *out = NULL;
    if (!g)
        return FERRY_ENOMEM;
    pthread_mutex_init(&g->cache_lock, NULL);
    auth_sessions_defaults(&sc);
    if (srv->cfg.pairing_ttl_s)
        sc.pair_ttl_s = srv->cfg.pairing_ttl_s;
    sc.state_fd = srv->state_fd;
    sc.state_path = srv->state_dir;
    sc.log = srv->cfg.log;
    sc.log_user = srv->cfg.log_user;
    g->max_age = sc.absolute_s;
    rc = auth_sessions_new(&sc, &g->sessions);
    if (rc < 0)
        goto fail;
    auth_sessions_load(g->sessions, (int64_t)time(NULL)); /* problems are logged */
    auth_limit_defaults(&lc);
    if (auth_sessions_random(g->sessions, (unsigned char *)&lc.seed, sizeof lc.seed) != 0 ||
        auth_sessions_random(g->sessions, g->cache_key, sizeof g->cache_key) != 0) {
        rc = AUTH_S_ECRYPTO;
        goto fail;
    }
    rc = auth_limit_new(&lc, &g->limit);
    if (rc < 0)
        goto fail;
    if (srv->cfg.auth == FERRY_AUTH_PASSWORD) {
        unsigned mode = 0;

        rc = srv->state_fd >= 0 ? auth_password_file_read(srv->state_fd, g->pw_text,
                                                          sizeof g->pw_text, &mode)
                                : -ENOENT;
        if (rc == -ENOENT) {
            srv_log(srv, FERRY_LOG_ERROR, "--auth password: no password is set%s%s: run "
                    "'ferryd --set-password' first (it reads the password from stdin)",
                    srv->state_dir ? " in " : " (no state folder)",
                    srv->state_dir ? srv->state_dir : "");
            rc = FERRY_ENOPASSWORD;
            goto fail;
        }
        if (rc < 0) {
            srv_log(srv, FERRY_LOG_ERROR, "cannot read the password file %s/%s: %s; set "
                    "the password again with 'ferryd --set-password'", srv->state_dir,
                    AUTH_PASSWORD_FILE, rc == AUTH_PW_EFORMAT ? "it is corrupt"
                                                              : ferry_strerror(rc));
            rc = FERRY_ENOPASSWORD;
            goto fail;
        }
        if (mode & 077)
            srv_log(srv, FERRY_LOG_WARN, "the password file %s/%s can be read by others "
                    "(mode %03o): chmod 600 it", srv->state_dir, AUTH_PASSWORD_FILE, mode);
    }
    snprintf(g->names[g->n_names++], NAME_LEN, "localhost");
    if (gethostname(host, sizeof host - 1) == 0 && host[0]) {
        size_t label = strcspn(host, ".");

        snprintf(g->names[g->n_names++], NAME_LEN, "%s", host);
        snprintf(g->names[g->n_names++], NAME_LEN, "%.*s", (int)label, host);
        snprintf(g->names[g->n_names++], NAME_LEN, "%.*s.local", (int)label, host);
    }
    for (size_t i = 0; i < g->n_names; i++)
        g->name_ptrs[i] = g->names[i];
    g->clear = srv->cfg.tls != FERRY_TLS_ONLY && !loopback_only(srv);
    *out = g;
    return 0;
fail:
    auth_gate_free(g);
    return rc == AUTH_S_ECRYPTO ? FERRY_ETLS : rc;
}

struct auth_sessions *auth_gate_sessions(struct auth_gate *g)
{
    return g->sessions;
}

void auth_gate_free(struct auth_gate *g)
{
    if (!g)
        return;
    if (g->sessions)
        auth_sessions_flush(g->sessions);
    auth_sessions_free(g->sessions);
    auth_limit_free(g->limit);
    pthread_mutex_destroy(&g->cache_lock);
    memset(g, 0, sizeof *g); /* the hash text and the cache key */
    free(g);
}

void auth_gate_announce(struct ferry_server *srv)
{
    if (srv->cfg.auth == FERRY_AUTH_OPEN) {
        srv_log(srv, FERRY_LOG_WARN, "ACCESS CONTROL IS OFF (--auth open): anyone who can "
                "reach this port can read%s every file shared; use it only on a network "
                "you trust", srv->cfg.read_only ? "" : ", upload, rename and delete");
        return;
    }
    if (srv->auth && srv->auth->clear)
        srv_log(srv, FERRY_LOG_WARN, "plain HTTP is reachable from the network: %s and "
                "session cookies cross it in clear, readable by anyone on it; use --tls "
                "(HTTPS) or bind to 127.0.0.1",
                srv->cfg.auth == FERRY_AUTH_PASSWORD ? "the password" : "pairing tokens");
}

/*
 * Checks a Basic password: a cache hit (HMAC of the password, kept
 * BASIC_CACHE_MS) or PBKDF2 (~70 ms). Returns 1 when right.
 */
static int basic_verify(struct auth_gate *g, const char *pw, size_t len)
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    unsigned char mac[32];
    uint64_t now = now_ms();
    int hit = 0;

    if (!md || mbedtls_md_hmac(md, g->cache_key, sizeof g->cache_key,
                               (const unsigned char *)pw, len, mac) != 0)
        return auth_password_verify(g->pw_text, strlen(g->pw_text), pw, len) == 0;
    pthread_mutex_lock(&g->cache_lock);
    for (size_t i = 0; i < BASIC_CACHE_SLOTS; i++)
        hit |= g->cache[i].until_ms > now && auth_ct_equal(g->cache[i].mac, mac, sizeof mac);
    pthread_mutex_unlock(&g->cache_lock);
    if (hit)
        return 1;
    if (auth_password_verify(g->pw_text, strlen(g->pw_text), pw, len) != 0)
        return 0;
    pthread_mutex_lock(&g->cache_lock);
    {
        size_t oldest = 0;

        for (size_t i = 1; i < BASIC_CACHE_SLOTS; i++)
            if (g->cache[i].until_ms < g->cache[oldest].until_ms)
                oldest = i;
        memcpy(g->cache[oldest].mac, mac, sizeof mac);
        g->cache[oldest].until_ms = now + BASIC_CACHE_MS;
    }
    pthread_mutex_unlock(&g->cache_lock);
    return 1;
}

static int is_method(const char *m, const char *want)
{
    return strcmp(m, want) == 0;
}

int auth_answer_early(const char *method)
{
    return is_method(method, MHD_HTTP_METHOD_PUT) || is_method(method, MHD_HTTP_METHOD_POST) ||
           is_method(method, "PATCH");
}

/* Checks Authorization (Bearer; Basic in password mode) into *s. */
static void check_authorization(struct ferry_server *srv, struct MHD_Connection *c,
                                struct auth_summary *s)
{
    struct auth_gate *g = srv->auth;
    const char *h = hdr(c, MHD_HTTP_HEADER_AUTHORIZATION);
    struct auth_credentials cr;
    struct auth_info info;
    const struct sockaddr *peer = client_addr(c);
    int ok;

    if (!h || auth_authorization_parse(h, strlen(h), &cr) != 0)
        return;
    if (cr.scheme == AUTH_SCHEME_BASIC && srv->cfg.auth != FERRY_AUTH_PASSWORD) {
        auth_credentials_wipe(&cr);
        return;
    }
    s->wait_s = auth_limit_begin(g->limit, peer, now_ms());
    if (s->wait_s) {
        auth_credentials_wipe(&cr);
        return;
    }
    if (cr.scheme == AUTH_SCHEME_BEARER) {
        ok = auth_token_lookup(g->sessions, cr.token, cr.token_len, (int64_t)time(NULL),
                               &info) == 0;
        if (ok) {
            s->cred = AUTH_CRED_BEARER;
            s->rights = info.rights;
            memcpy(s->id, info.id, sizeof s->id);
            s->depth = info.depth;
        }
    } else {
        ok = basic_verify(g, cr.password, cr.password_len); /* the user is ignored */
        if (ok) {
            s->cred = AUTH_CRED_BASIC;
            s->rights = AUTH_RIGHTS_RW;
            snprintf(s->id, sizeof s->id, "%s", AUTH_MAKER_HOST);
        }
    }
    auth_credentials_wipe(&cr);
    if (!ok)
        auth_limit_fail(g->limit, peer, now_ms());
    else if (cr.scheme == AUTH_SCHEME_BASIC)
        auth_limit_success(g->limit, peer); /* the password: failures forgotten */
    else
        auth_limit_refund(g->limit, peer);  /* a token: a guest's failures stay */
}

/* Whether the request is POST /folder/?download=zip, a zip of a selection
 * (share/zip-select.h): it writes nothing, so read-only rights may make it,
 * but it is a POST, so the same-origin rule still applies. `download` is
 * the query's value of download (struct req_query). */
static int zip_of_selection(const char *url, const char *method, const char *download)
{
    return is_method(method, MHD_HTTP_METHOD_POST) && download &&
           strcmp(download, "zip") == 0 && strncmp(url, "/.ferry/", 8) != 0;
}

void auth_check(struct ferry_server *srv, struct MHD_Connection *c, const char *url,
                const char *method, const char *download, struct auth_ticket *t)
{
    struct auth_gate *g = srv->auth;
    struct auth_summary s = {.mode = srv->cfg.auth, .rights = AUTH_RIGHTS_RW};
    const char *host = hdr(c, MHD_HTTP_HEADER_HOST), *cookie = hdr(c, MHD_HTTP_HEADER_COOKIE);
    const char *origin = hdr(c, "Origin"), *site = hdr(c, "Sec-Fetch-Site");
    const char *referer = hdr(c, MHD_HTTP_HEADER_REFERER);
    struct auth_origin_headers oh = {
        .host = host, .host_len = host ? strlen(host) : 0,
        .origin = origin, .origin_len = origin ? strlen(origin) : 0,
        .fetch_site = site, .fetch_site_len = site ? strlen(site) : 0,
        .referer = referer, .referer_len = referer ? strlen(referer) : 0};

    memset(t, 0, sizeof *t);
    s.host_ok = auth_host_ok(host, oh.host_len, g->name_ptrs, g->n_names);
    s.writes = !is_method(method, MHD_HTTP_METHOD_GET) &&
               !is_method(method, MHD_HTTP_METHOD_HEAD) &&
               !is_method(method, MHD_HTTP_METHOD_OPTIONS) &&
               !is_method(method, "PROPFIND"); /* WebDAV: reads (daemon/dav/) */
    s.ro_may_write = strcmp(url, SHARE_PATH) == 0 || zip_of_selection(url, method, download);
    s.origin = auth_origin_check(&oh, srv_conn_tls(srv, c));
    s.browser = cookie || site || origin || hdr(c, "Sec-Fetch-Mode");
    if (s.host_ok && srv->cfg.auth != FERRY_AUTH_OPEN &&
        (strcmp(url, "/.ferry/pair") == 0 ||
         (srv->cfg.auth == FERRY_AUTH_PASSWORD && strcmp(url, "/.ferry/login") == 0))) {
        t->endpoint = url[8] == 'p' ? AUTH_EP_PAIR : AUTH_EP_LOGIN;
        if (t->endpoint == AUTH_EP_LOGIN && s.writes && s.origin == AUTH_ORIGIN_CROSS) {
            t->verdict = AUTH_DENY_CROSS; /* login CSRF */
        } else if (t->endpoint == AUTH_EP_PAIR || s.writes) {
            /* The attempt counts from now: the body (a password) is read
             * only within the quota. */
            const struct sockaddr *peer = client_addr(c);

            t->retry_after = auth_limit_begin(g->limit, peer, now_ms());
            if (t->retry_after) {
                t->verdict = AUTH_DENY_LIMITED;
            } else {
                t->attempt = g->limit;
                if (peer)
                    memcpy(&t->peer, peer, peer->sa_family == AF_INET6
                                               ? sizeof(struct sockaddr_in6)
                                               : peer->sa_family == AF_INET
                                                     ? sizeof(struct sockaddr_in)
                                                     : sizeof(struct sockaddr));
            }
        }
        if (t->verdict != AUTH_ALLOW)
            t->endpoint = AUTH_EP_NONE;
        return;
    }
    if (s.host_ok && srv->cfg.auth != FERRY_AUTH_OPEN && strcmp(url, "/.ferry/logout") == 0) {
        /* Anyone may end the session their cookie names, from this
         * server's pages only (a page elsewhere cannot log one out). */
        t->endpoint = AUTH_EP_LOGOUT;
        if (s.writes && s.origin == AUTH_ORIGIN_CROSS) {
            t->verdict = AUTH_DENY_CROSS;
            t->endpoint = AUTH_EP_NONE;
        }
        return;
    }
    if (s.host_ok && srv->cfg.auth != FERRY_AUTH_OPEN) {
        const char *v;
        size_t vlen;
        struct auth_info info;

        /* An unknown, expired or revoked cookie is no session, not a failure. */
        if (cookie && auth_cookie_find(cookie, strlen(cookie), AUTH_COOKIE_NAME, &v,
                                       &vlen) == 0 &&
            auth_session_lookup(g->sessions, v, vlen, (int64_t)time(NULL), &info) == 0) {
            s.cred = AUTH_CRED_COOKIE;
            s.rights = info.rights;
            memcpy(s.id, info.id, sizeof s.id);
            s.depth = info.depth;
        }
        if (s.cred == AUTH_CRED_NONE)
            check_authorization(srv, c, &s);
    }
    t->verdict = auth_decide(&s);
    t->retry_after = s.wait_s;
    t->rights = s.cred == AUTH_CRED_NONE ? AUTH_RIGHTS_RW : s.rights; /* open mode */
    memcpy(t->maker, s.id, sizeof t->maker);
    t->depth = s.depth;
    if (t->verdict == AUTH_ALLOW && strcmp(url, SHARE_PATH) == 0)
        t->endpoint = AUTH_EP_SHARE;
}

/* ------------------------------------------------------------ answers */

/* Whether the request is a browser's page load (it wants a page to show,
 * not a status for a program): Accept: text/html, or Sec-Fetch-Mode:
 * navigate. */
static int wants_html(struct MHD_Connection *c)
{
    const char *a = hdr(c, MHD_HTTP_HEADER_ACCEPT), *m = hdr(c, "Sec-Fetch-Mode");

    return (a && strstr(a, "text/html")) || (m && strcmp(m, "navigate") == 0);
}

/* Queues body (owned; HTML or text) with status and the usual auth headers. */
static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, char *body,
                              int html, struct MHD_Response **extra_out)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (!body)
        return MHD_NO;
    r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            html ? "text/html; charset=utf-8" : "text/plain; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (html) {
        MHD_add_response_header(r, "Content-Security-Policy", SRV_CSP_UI);
        /* The login form's POST then carries this server's Origin (with
         * no-referrer, browsers send "Origin: null", which the gate counts
         * as another site); no other site ever sees a Referer. */
        MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    }
    if (extra_out) {
        *extra_out = r;
        return MHD_YES;
    }
    ret = srv_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result queue_owned(struct MHD_Connection *c, unsigned status,
                                   struct MHD_Response *r)
{
    enum MHD_Result ret = srv_queue_response(c, status, r);

    MHD_destroy_response(r);
    return ret;
}

/* The 401 answer. A browser's page load gets the page (login form or how
 * to be let in) and no Basic challenge, so that it shows the page instead
 * of its own password dialog; programs get a line of text and the
 * challenge of the mode (Basic for the password, else Bearer). `error`:
 * a line next to the password field (a wrong password), or NULL. */
static enum MHD_Result refuse_401(struct ferry_server *srv, struct MHD_Connection *c,
                                  const char *error)
{
    int pw = srv->cfg.auth == FERRY_AUTH_PASSWORD, html = wants_html(c);
    int clear = srv->auth->clear && !srv_conn_tls(srv, c);
    struct MHD_Response *r = NULL;
    char text[1024];
    char *body;

    if (html) {
        body = auth_page(pw ? AUTH_PAGE_LOGIN : AUTH_PAGE_NOT_PAIRED, srv->service_name, error,
                         pw && clear);
    } else {
        snprintf(text, sizeof text, "401 Unauthorized: %s%s\n",
                 pw ? "log in with the password (HTTP Basic, e.g. curl -u :PASSWORD, or "
                      "the form at /.ferry/login), or a bearer token"
                    : "open the pairing URL printed by ferryd (or scan its QR code), or "
                      "run `ferryctl pair`; API clients send Authorization: Bearer TOKEN "
                      "(ferryctl token create)",
                 clear ? ". Warning: plain HTTP, credentials cross the network in clear" : "");
        body = strdup(text);
    }
    if (answer(c, 401, body, html, &r) != MHD_YES || !r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            pw && !html ? "Basic realm=\"ferry\", charset=\"UTF-8\""
                                        : "Bearer realm=\"ferry\"");
    return queue_owned(c, 401, r);
}

enum MHD_Result auth_refuse(struct ferry_server *srv, struct MHD_Connection *c,
                            const struct auth_ticket *t, unsigned *status)
{
    struct MHD_Response *r = NULL;
    char text[512];

    *status = auth_verdict_status(t->verdict);
    switch (t->verdict) {
    case AUTH_DENY_UNAUTH:
        return refuse_401(srv, c, NULL);
    case AUTH_DENY_HOST:
        return answer(c, 421, strdup("421 Misdirected Request: this server does not answer "
                                     "to that host name (Host header); open it by its "
                                     "address or its .local name.\n"), 0, NULL);
    case AUTH_DENY_LIMITED:
        snprintf(text, sizeof text, "429 Too Many Requests: too many failed (or "
                 "simultaneous) attempts from your address; try again in %u s.\n",
                 t->retry_after);
        if (answer(c, 429, strdup(text), 0, &r) != MHD_YES || !r)
            return MHD_NO;
        snprintf(text, sizeof text, "%u", t->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, text);
        return queue_owned(c, 429, r);
    case AUTH_DENY_CROSS:
        if (wants_html(c))
            return answer(c, 403, auth_page(AUTH_PAGE_CROSS, srv->service_name, NULL, 0), 1,
                          NULL);
        return answer(c, 403, strdup("403 Forbidden: a request that changes files must come "
                                     "from this server's own pages; a request from another "
                                     "site (or without Origin/Sec-Fetch-Site) is refused.\n"),
                      0, NULL);
    case AUTH_DENY_READONLY:
        return answer(c, 403, strdup("403 Forbidden: this session (or token) is read-only.\n"),
                      0, NULL);
    case AUTH_ALLOW:
        break;
    }
    return MHD_NO;
}

/* Takes body bytes of an endpoint request (a form). */
static enum MHD_Result endpoint_body(struct auth_ticket *t, const char *data, size_t *size)
{
    if (!t->body_too_long && t->body_len + *size <= AUTH_FORM_MAX) {
        if (!t->body) {
            t->body = malloc(AUTH_FORM_MAX + 1);
            if (!t->body)
                return MHD_NO;
        }
        memcpy(t->body + t->body_len, data, *size);
        t->body_len += *size;
    } else {
        t->body_too_long = 1;
    }
    *size = 0;
    return MHD_YES;
}

/* 303 to `location` (a path of this server) with a new session cookie. */
static enum MHD_Result admit(struct ferry_server *srv, struct MHD_Connection *c,
                             const struct auth_secret *secret, const char *location,
                             unsigned *status)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    char cookie[256];

    if (!r)
        return MHD_NO;
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; Max-Age=%u; HttpOnly; SameSite=Strict%s",
             AUTH_COOKIE_NAME, secret->text, srv->auth->max_age,
             srv_conn_tls(srv, c) ? "; Secure" : "");
    MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
    MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    memset(cookie, 0, sizeof cookie);
    *status = 303;
    return queue_owned(c, 303, r);
}

/* The peer address an attempt of t was reserved for. */
static const struct sockaddr *attempt_peer(const struct auth_ticket *t)
{
    return t->peer.ss_family ? (const struct sockaddr *)&t->peer : NULL;
}

/* GET /.ferry/pair?token=T[&to=PATH]: token and to are the query's. */
static enum MHD_Result serve_pair(struct ferry_server *srv, struct MHD_Connection *c,
                                  struct auth_ticket *t, const char *token, const char *to,
                                  unsigned *status)
{
    struct auth_gate *g = srv->auth;
    const char *agent = hdr(c, MHD_HTTP_HEADER_USER_AGENT);
    struct auth_secret secret;
    char peer[64];
    int rc = AUTH_S_ENOTFOUND;

    /* A share link lands on its folder; a tampered target is refused
     * before the token is spent, so the genuine link still works. */
    if (to && !auth_return_path_ok(to)) {
        *status = 400;
        return answer(c, 400, strdup("400 Bad Request: this link's \"to\" is not a path "
                                     "of this server; open the link exactly as it was "
                                     "given.\n"), 0, NULL);
    }
    srv_peer_address(c, peer, sizeof peer);
    if (token)
        rc = auth_pair_redeem(g->sessions, token, strlen(token), peer, agent,
                              (int64_t)time(NULL), &secret, NULL);
    if (rc == 0) {
        enum MHD_Result ret;

        auth_limit_refund(g->limit, attempt_peer(t)); /* a token: failures stay */
        t->attempt = NULL;
        srv_log(srv, FERRY_LOG_INFO, "paired a new session from %s", peer);
        ret = admit(srv, c, &secret, to ? to : "/", status);
        memset(&secret, 0, sizeof secret);
        return ret;
    }
    if (rc == AUTH_S_EFULL || rc == AUTH_S_ECRYPTO) { /* a live token: no failure */
        auth_limit_refund(g->limit, attempt_peer(t));
        t->attempt = NULL;
        *status = 503;
        return answer(c, 503, strdup(rc == AUTH_S_EFULL
                                         ? "503 Service Unavailable: the server holds as "
                                           "many guests as it can; whoever shared this link "
                                           "can free one. The link stays valid.\n"
                                         : "503 Service Unavailable: cannot make a session "
                                           "(random source); try again.\n"),
                      0, NULL);
    }
    auth_limit_fail(g->limit, attempt_peer(t), now_ms());
    t->attempt = NULL;
    *status = 403;
    return answer(c, 403, auth_page(AUTH_PAGE_BAD_LINK, srv->service_name, NULL, 0), 1, NULL);
}

static enum MHD_Result serve_login(struct ferry_server *srv, struct MHD_Connection *c,
                                   const char *method, struct auth_ticket *t,
                                   unsigned *status)
{
    struct auth_gate *g = srv->auth;
    int clear = g->clear && !srv_conn_tls(srv, c);
    char pw[AUTH_PW_MAX + 1];
    size_t len = 0;
    int ok;

    if (is_method(method, MHD_HTTP_METHOD_GET) || is_method(method, MHD_HTTP_METHOD_HEAD)) {
        *status = 200;
        return answer(c, 200, auth_page(AUTH_PAGE_LOGIN, srv->service_name, NULL, clear), 1,
                      NULL);
    }
    if (!is_method(method, MHD_HTTP_METHOD_POST)) {
        *status = 405;
        return answer(c, 405, strdup("405 Method Not Allowed: GET or POST /.ferry/login\n"),
                      0, NULL);
    }
    ok = !t->body_too_long && t->body &&
         auth_form_field(t->body, t->body_len, "password", pw, sizeof pw, &len) == 0 &&
         basic_verify(g, pw, len);
    memset(pw, 0, sizeof pw);
    if (t->body)
        memset(t->body, 0, t->body_len);
    if (ok) {
        struct auth_secret secret;
        char peer[64];
        enum MHD_Result ret;

        srv_peer_address(c, peer, sizeof peer);
        auth_limit_success(g->limit, attempt_peer(t));
        t->attempt = NULL;
        if (auth_session_create(g->sessions, AUTH_RIGHTS_RW, peer,
                                hdr(c, MHD_HTTP_HEADER_USER_AGENT), (int64_t)time(NULL),
                                &secret, NULL) != 0) {
            *status = 500;
            return answer(c, 500, strdup("500: cannot create a session\n"), 0, NULL);
        }
        ret = admit(srv, c, &secret, "/", status);
        memset(&secret, 0, sizeof secret);
        return ret;
    }
    auth_limit_fail(g->limit, attempt_peer(t), now_ms());
    t->attempt = NULL;
    *status = 401;
    return refuse_401(srv, c, "That password is not right. Check it and try again.");
}

/* POST /.ferry/logout: revokes the session the cookie names (if any), clears
 * the cookie, and sends the browser to "/" (which then asks it in again). */
static enum MHD_Result serve_logout(struct ferry_server *srv, struct MHD_Connection *c,
                                    const char *method, unsigned *status)
{
    const char *cookie = hdr(c, MHD_HTTP_HEADER_COOKIE), *v;
    struct MHD_Response *r;
    struct auth_info info;
    size_t vlen;
    char clear[160];

    if (!is_method(method, MHD_HTTP_METHOD_POST)) {
        *status = 405;
        return answer(c, 405, strdup("405 Method Not Allowed: POST /.ferry/logout\n"), 0, NULL);
    }
    if (cookie && auth_cookie_find(cookie, strlen(cookie), AUTH_COOKIE_NAME, &v, &vlen) == 0 &&
        auth_session_lookup(srv->auth->sessions, v, vlen, (int64_t)time(NULL), &info) == 0 &&
        info.kind == AUTH_KIND_SESSION) {
        auth_revoke(srv->auth->sessions, info.id);
        auth_sessions_flush(srv->auth->sessions);
        srv_log(srv, FERRY_LOG_INFO, "session %s logged out", info.id);
    }
    r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    snprintf(clear, sizeof clear, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
             AUTH_COOKIE_NAME, srv_conn_tls(srv, c) ? "; Secure" : "");
    MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, clear);
    MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, "/");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    *status = 303;
    return queue_owned(c, 303, r);
}

/* Answers an endpoint request once its body is in. Sets rq->status. */
static enum MHD_Result endpoint_finish(struct req *rq)
{
    struct ferry_server *srv = rq->srv;
    struct MHD_Connection *c = rq->c;
    struct auth_ticket *t = &rq->auth;

    if (t->endpoint == AUTH_EP_LOGOUT)
        return serve_logout(srv, c, rq->method, &rq->status);
    if (t->endpoint == AUTH_EP_SHARE)
        return share_serve(srv, c, rq->method, t, auth_gate_sessions(srv->auth),
                           &rq->status);
    if (t->endpoint == AUTH_EP_PAIR) {
        if (!req_is_head(rq) && rq->method_bit != REQ_GET) {
            rq->status = 405;
            return answer(c, 405, strdup("405 Method Not Allowed: GET /.ferry/pair\n"), 0,
                          NULL);
        }
        return serve_pair(srv, c, t, rq->query.token, rq->query.to, &rq->status);
    }
    return serve_login(srv, c, rq->method, t, &rq->status);
}

static enum MHD_Result endpoint_body_of(struct req *rq, const char *data, size_t *size)
{
    return endpoint_body(&rq->auth, data, size);
}

const struct route_handler auth_endpoint_handler = {
    .name = "auth endpoint", .body = endpoint_body_of, .finish = endpoint_finish};

void auth_ticket_end(struct auth_ticket *t)
{
    if (!t)
        return;
    if (t->attempt)
        auth_limit_refund(t->attempt, attempt_peer(t));
    t->attempt = NULL;
    if (t->body)
        memset(t->body, 0, AUTH_FORM_MAX);
    free(t->body);
    t->body = NULL;
}

/* ------------------------------------------------------------ public API */

int ferry_server_pairing_urls(ferry_server *srv, int read_only, char ***urls, size_t *n)
{
    struct auth_secret tok;
    char **v = NULL;
    size_t k = 0;
    int rc;

    if (!srv || !urls || !n)
        return FERRY_EINVAL_CONFIG;
    rc = ferry_server_urls(srv, &v, &k);
    if (rc < 0 || srv->cfg.auth == FERRY_AUTH_OPEN) {
        *urls = v;
        *n = k;
        return rc;
    }
    *urls = NULL;
    *n = 0;
    rc = auth_pair_new(srv->auth->sessions, read_only ? AUTH_RIGHTS_RO : AUTH_RIGHTS_RW, 0,
                       (int64_t)time(NULL), &tok, NULL);
    if (rc < 0) {
        ferry_urls_free(v, k);
        return rc == AUTH_S_ECRYPTO ? FERRY_ETLS : rc;
    }
    for (size_t i = 0; i < k; i++) {
        size_t len = strlen(v[i]) + sizeof "/.ferry/pair?token=" + AUTH_SECRET_LEN + 1;
        char *u = malloc(len);

        if (!u) {
            ferry_urls_free(v, k);
            memset(&tok, 0, sizeof tok);
            return FERRY_ENOMEM;
        }
        snprintf(u, len, "%s.ferry/pair?token=%s", v[i], tok.text); /* v[i] ends in '/' */
        free(v[i]);
        v[i] = u;
    }
    memset(&tok, 0, sizeof tok);
    *urls = v;
    *n = k;
    return 0;
}

int ferry_server_sessions(ferry_server *srv, ferry_session **list, size_t *n)
{
    struct auth_info *in = NULL;
    size_t k = 0;
    ferry_session *out;

    *list = NULL;
    *n = 0;
    if (auth_list(srv->auth->sessions, (int64_t)time(NULL), &in, &k) < 0)
        return FERRY_ENOMEM;
    if (!k)
        return 0;
    out = calloc(k, sizeof *out);
    if (!out) {
        free(in);
        return FERRY_ENOMEM;
    }
    for (size_t i = 0; i < k; i++) {
        snprintf(out[i].id, sizeof out[i].id, "%s", in[i].id);
        out[i].is_token = in[i].kind == AUTH_KIND_TOKEN;
        out[i].read_only = in[i].rights == AUTH_RIGHTS_RO;
        out[i].created = in[i].created;
        out[i].last_seen = in[i].last_seen;
        out[i].expires = in[i].expires;
        snprintf(out[i].peer, sizeof out[i].peer, "%s", in[i].peer);
        snprintf(out[i].agent, sizeof out[i].agent, "%s", in[i].agent);
        snprintf(out[i].name, sizeof out[i].name, "%s", in[i].name);
    }
    free(in);
    *list = out;
    *n = k;
    return 0;
}

int ferry_server_revoke(ferry_server *srv, const char *id)
{
    if (!srv || !id || auth_revoke(srv->auth->sessions, id) != 0)
        return FERRY_ENOTFOUND;
    auth_sessions_flush(srv->auth->sessions);
    return 0;
}

int ferry_server_token_create(ferry_server *srv, const char *name, int read_only,
                              char secret[FERRY_SECRET_LEN + 1], char id[FERRY_ID_LEN + 1])
{
    struct auth_secret s;
    struct auth_info info;
    int rc = auth_token_create(srv->auth->sessions, name,
                               read_only ? AUTH_RIGHTS_RO : AUTH_RIGHTS_RW,
                               (int64_t)time(NULL), &s, &info);

    if (rc == AUTH_S_EFULL)
        return FERRY_ETOKENS;
    if (rc < 0)
        return rc == AUTH_S_ECRYPTO ? FERRY_ETLS : rc;
    memcpy(secret, s.text, FERRY_SECRET_LEN + 1);
    memcpy(id, info.id, FERRY_ID_LEN + 1);
    memset(&s, 0, sizeof s);
    auth_sessions_flush(srv->auth->sessions);
    return 0;
}

int ferry_password_set(const char *state_dir, const char *pw, size_t len)
{
    struct auth_sessions_config sc;
    struct auth_sessions *s = NULL;
    char text[AUTH_PW_TEXT_MAX], *copy;
    int fd, rc;

    if (!state_dir || !*state_dir)
        return FERRY_EINVAL_CONFIG;
    if (!pw || auth_password_acceptable(pw, len) != 0)
        return FERRY_EPASSWORD;
    copy = strdup(state_dir);
    if (!copy)
        return FERRY_ENOMEM;
    for (char *p = copy + 1;; p++) { /* mkdir -p, 0700 */
        char ch = *p;

        if (ch != '/' && ch != '\0')
            continue;
        *p = '\0';
        if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
            rc = -errno;
            free(copy);
            return rc;
        }
        *p = ch;
        if (!ch)
            break;
    }
    free(copy);
    fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    rc = auth_password_hash(pw, len, 0, NULL, NULL, text, sizeof text);
    if (rc == 0)
        rc = auth_password_file_write(fd, text);
    memset(text, 0, sizeof text);
    if (rc == 0) { /* a new password ends every browser session */
        auth_sessions_defaults(&sc);
        sc.state_fd = fd;
        if (auth_sessions_new(&sc, &s) == 0 && auth_sessions_load(s, (int64_t)time(NULL)) == 0 &&
            auth_revoke_all(s, AUTH_KIND_SESSION) > 0)
            auth_sessions_flush(s);
        auth_sessions_free(s);
    } else if (rc == AUTH_PW_EBADCHAR || rc == AUTH_PW_ETOOLONG) {
        rc = FERRY_EPASSWORD;
    } else if (rc < -3000) {
        rc = FERRY_ETLS;
    }
    close(fd);
    return rc;
}
