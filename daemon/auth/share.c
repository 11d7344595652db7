/*
 * share.c — POST /.ferry/share, links that open a folder on another
 * device; see share.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth-sessions.h"
#include "listing.h"
#include "paths.h"
#include "qr-svg.h"
#include "server.h"
#include "share.h"

#define HOST_MAX 256

/* Whether host (host[:port], an IPv6 literal in brackets) names only this
 * device: localhost, *.localhost, 127.0.0.0/8 or [::1]. */
static int host_is_loopback(const char *host)
{
    char name[HOST_MAX];
    size_t n;

    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        struct in6_addr a6;

        n = end ? (size_t)(end - host - 1) : 0;
        if (!n || n >= sizeof name)
            return 0;
        memcpy(name, host + 1, n);
        name[n] = '\0';
        return inet_pton(AF_INET6, name, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
    }
    n = strcspn(host, ":/");
    if (n >= sizeof name)
        return 0;
    memcpy(name, host, n);
    name[n] = '\0';
    if (n && name[n - 1] == '.')
        name[--n] = '\0';
    struct in_addr a4;

    if (inet_pton(AF_INET, name, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return strcasecmp(name, "localhost") == 0 ||
           (n > 10 && strcasecmp(name + n - 10, ".localhost") == 0);
}

/* "scheme://host" (malloc'd, the caller's), or NULL when out of memory. */
static char *join_origin(const char *scheme, const char *host)
{
    size_t len = strlen(scheme) + 3 + strlen(host) + 1;
    char *out = malloc(len);

    if (out)
        snprintf(out, len, "%s://%s", scheme, host);
    return out;
}

/* The first URL of `scheme` that ferry_server_urls() lists (LAN addresses
 * come first), without its final '/'; with lan_only, only a non-loopback
 * one. Returns a malloc'd string owned by the caller, or NULL. */
static char *listed_origin(struct ferry_server *srv, const char *scheme, int lan_only)
{
    size_t slen = strlen(scheme), n = 0;
    char **urls = NULL, *out = NULL;

    if (ferry_server_urls(srv, &urls, &n) < 0)
        return NULL;
    for (size_t i = 0; i < n && !out; i++) {
        const char *u = urls[i];

        if (strncmp(u, scheme, slen) == 0 && strncmp(u + slen, "://", 3) == 0 &&
            !(lan_only && host_is_loopback(u + slen + 3)))
            out = strndup(u, strlen(u) - 1); /* URLs end in '/' */
    }
    ferry_urls_free(urls, n);
    return out;
}

/*
 * The scheme://host[:port] another device should open: the request's Host
 * (the gate checked that it names this server) unless it is loopback, then
 * the server's first LAN URL of the same scheme; when there is none,
 * *local_only is set and the loopback one is used. Returns a malloc'd
 * string owned by the caller, NULL when out of memory.
 */
static char *link_origin(struct ferry_server *srv, struct MHD_Connection *c,
                         int *local_only)
{
    const char *scheme = srv_conn_tls(srv, c) ? "https" : "http";
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    char *out;

    *local_only = 0;
    if (host && (!*host || strlen(host) >= HOST_MAX))
        host = NULL;
    if (host && !host_is_loopback(host))
        return join_origin(scheme, host);
    out = listed_origin(srv, scheme, 1);
    if (out)
        return out;
    *local_only = 1;
    return host ? join_origin(scheme, host) : listed_origin(srv, scheme, 0);
}

/* Answers a refusal: text/plain status + text. */
static enum MHD_Result refuse(struct MHD_Connection *c, unsigned status, const char *text,
                              unsigned *out)
{
    return srv_answer_text(c, status, text, NULL, NULL, NULL, NULL, out);
}

/*
 * The server's spelling of `url_path` (a percent-encoded URL path, from the
 * form) in *canon (malloc'd, the caller's): percent-encoded as listing
 * links are, folders with a final '/', after checking that it names a
 * folder or file of the shared folder. Returns 0, or the status to answer
 * with its reason in *why.
 */
static unsigned canonical_path(struct ferry_server *srv, const char *url_path,
                               char **canon, const char **why)
{
    char rel[PATHS_MAX + 1], *esc;
    int trailing = 0, fd = -1, dir, rc;
    struct stat st;
    unsigned status = 0;

    *canon = NULL;
    rc = url_path[0] == '/' ? paths_decode(url_path, &srv->paths, rel, sizeof rel, &trailing)
                            : PATHS_EBADREQ;
    if (rc < 0 && rc != PATHS_ENOTFOUND) { /* ENOTFOUND: a hidden name */
        *why = "400 Bad Request: path must be a URL path of the shared folder, "
               "such as /photos/ (the folder the page shows).\n";
        status = 400;
    } else if (rc < 0 || strncmp(url_path, "/.ferry/", 8) == 0 ||
               paths_open(srv->root_fd, rel, O_RDONLY | O_NONBLOCK, &srv->paths, &fd) < 0 ||
               fstat(fd, &st) < 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
        *why = "404 Not Found: there is no such folder or file to share.\n";
        status = 404;
    }
    if (fd >= 0)
        close(fd);
    if (status)
        return status;
    dir = S_ISDIR(st.st_mode);
    esc = listing_url_escape(rel);
    if (!esc)
        return 500;
    *canon = malloc(strlen(esc) + 3);
    if (*canon)
        sprintf(*canon, rel[0] && dir ? "/%s/" : "/%s", esc);
    free(esc);
    return *canon ? 0 : 500;
}

/* The JSON answer for link (and its QR code; "svg": null in a build without
 * libqrencode), or NULL when out of memory. */
static char *answer_json(const char *link, const char *canon, int read_only,
                         int64_t expires, int local_only)
{
    char *svg = NULL, *body = NULL;
    size_t svg_len;
    json_t *j;
    int rc = qr_svg(link, "QR code of the share link", &svg, &svg_len);

    if (rc < 0 && rc != -ENOSYS)
        return NULL;
    j = json_pack("{s:s, s:s, s:b, s:o, s:b, s:o}", "url", link, "path", canon,
                  "read_only", read_only, "expires",
                  expires ? json_integer(expires) : json_null(), "local_only", local_only,
                  "svg", svg ? json_string(svg) : json_null());
    if (j)
        body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    free(svg);
    return body;
}

enum MHD_Result share_serve(struct ferry_server *srv, struct MHD_Connection *c,
                            const char *method, const struct auth_ticket *t,
                            struct auth_sessions *sessions, unsigned *status)
{
    char url_path[AUTH_FORM_MAX + 1], rights[8];
    size_t dlen = 0, rlen = 0;
    const char *why = NULL;
    char *canon = NULL, *origin = NULL, *link = NULL, *body = NULL;
    int read_only = 1, local_only = 0, rc;
    int64_t expires = 0;
    struct auth_secret tok;
    struct MHD_Response *r;
    unsigned st;

    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return srv_answer_text(c, 405, "405 Method Not Allowed: POST " SHARE_PATH
                               " with a form body path=/folder/\n", MHD_HTTP_HEADER_ALLOW,
                               "POST", NULL, NULL, status);
    if (t->body_too_long || !t->body ||
        auth_form_field(t->body, t->body_len, "path", url_path, sizeof url_path, &dlen) != 0 ||
        strlen(url_path) != dlen)
        return refuse(c, 400, "400 Bad Request: send a form body path=/folder/ (the URL "
                      "path of a folder of the shared folder, form-encoded).\n", status);
    rc = auth_form_field(t->body, t->body_len, "rights", rights, sizeof rights, &rlen);
    if (rc == 0 && strcmp(rights, "rw") == 0)
        read_only = 0;
    else if (rc != AUTH_PARSE_EABSENT && !(rc == 0 && strcmp(rights, "ro") == 0))
        return refuse(c, 400, "400 Bad Request: rights must be ro (list and download) or "
                      "rw (also upload and change).\n", status);
    if (!read_only && (t->rights != AUTH_RIGHTS_RW || srv->cfg.read_only))
        return refuse(c, 403, srv->cfg.read_only
                                  ? "403 Forbidden: this server is read-only, so are its "
                                    "links; ask for rights=ro.\n"
                                  : "403 Forbidden: this session is read-only; it can "
                                    "make read-only links (rights=ro) only.\n", status);
    st = canonical_path(srv, url_path, &canon, &why);
    if (st)
        return refuse(c, st, why ? why : "500 Internal Server Error: see the server's "
                                          "log.\n", status);
    origin = link_origin(srv, c, &local_only);
    if (!origin) {
        free(canon);
        return refuse(c, 500, "500 Internal Server Error: out of memory.\n", status);
    }
    if (srv->cfg.auth == FERRY_AUTH_OPEN) {
        link = malloc(strlen(origin) + strlen(canon) + 1);
        if (link)
            sprintf(link, "%s%s", origin, canon);
    } else {
        size_t len = strlen(origin) + sizeof "/.ferry/pair?token=&to=" + AUTH_SECRET_LEN +
                     strlen(canon);

        rc = auth_share_new(sessions,
                            read_only ? AUTH_RIGHTS_RO : AUTH_RIGHTS_RW, 0,
                            (int64_t)time(NULL), t->maker, t->depth, &tok, &expires);
        if (rc != 0) {
            free(origin);
            free(canon);
            if (rc == AUTH_S_EDEPTH)
                return refuse(c, 403, "403 Forbidden: this session came from a link that "
                              "a guest made; it cannot share further. Ask whoever shared "
                              "with you.\n", status);
            if (rc == AUTH_S_EFULL)
                return refuse(c, 503, "503 Service Unavailable: too many share links are "
                              "waiting to be opened; try again in a few minutes.\n",
                              status);
            return refuse(c, 500, "500 Internal Server Error: cannot make a pairing token "
                          "(random source); see the server's log.\n", status);
        }
        link = malloc(len);
        if (link)
            snprintf(link, len, "%s/.ferry/pair?token=%s&to=%s", origin, tok.text, canon);
        memset(&tok, 0, sizeof tok);
    }
    body = link ? answer_json(link, canon, read_only, expires, local_only) : NULL;
    if (body)
        srv_log(srv, FERRY_LOG_INFO, "made a %s share link to %s",
                read_only ? "read-only" : "read-write", canon);
    free(origin);
    free(canon);
    if (link) /* it holds a live token */
        memset(link, 0, strlen(link));
    free(link);
    if (!body)
        return refuse(c, 500, "500 Internal Server Error: out of memory.\n", status);
    r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    *status = 200;
    rc = srv_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return (enum MHD_Result)rc;
}
