/*
 * auth-decide.h — the access-control rules as pure functions: what the gate
 * (auth.c) does with a request once it knows who presented what. No I/O, no
 * state, no allocation; safe from any thread. Kept apart from auth.c so that
 * the unit tests cover every rule without a server.
 */
#ifndef FERRY_AUTH_DECIDE_H
#define FERRY_AUTH_DECIDE_H

#include <stddef.h>

#include "auth-parse.h"
#include "auth-sessions.h"
#include "ferry.h"

/* What admitted the request. */
enum auth_cred {
    AUTH_CRED_NONE = 0,  /* nothing valid was presented */
    AUTH_CRED_COOKIE,    /* a live session cookie */
    AUTH_CRED_BEARER,    /* a live bearer token */
    AUTH_CRED_BASIC,     /* the right password (password mode) */
};

/* What the gate knows about one request when it decides. */
struct auth_summary {
    enum ferry_auth mode;
    int host_ok;             /* Host names this server (auth_host_ok) */
    int writes;              /* the method can change something */
    enum auth_cred cred;
    enum auth_rights rights; /* of cred (ignored for AUTH_CRED_NONE) */
    char id[AUTH_ID_LEN + 1]; /* of cred: the session's or token's id,
                                AUTH_MAKER_HOST for Basic ("" none) */
    unsigned depth;          /* of cred: the session's depth */
    unsigned wait_s;         /* credentials were presented but not checked:
                                the limiter says wait this long (0: none) */
    enum auth_origin origin; /* auth_origin_check() */
    int browser;             /* a header only browsers send is present
                                (Cookie, Sec-Fetch-*) */
    int ro_may_write;        /* a write that read-only rights may make too
                                (POST /.ferry/share: a link with the
                                caller's rights at most) */
};

enum auth_verdict {
    AUTH_ALLOW = 0,
    AUTH_DENY_HOST,      /* 421: Host is not a name of this server (DNS
                            rebinding) */
    AUTH_DENY_LIMITED,   /* 429 + Retry-After: too many failures */
    AUTH_DENY_UNAUTH,    /* 401 + WWW-Authenticate */
    AUTH_DENY_CROSS,     /* 403: a state-changing request from another site
                            (CSRF) */
    AUTH_DENY_READONLY,  /* 403: read-only credentials */
};

/*
 * The rules, in this order: Host not ours → AUTH_DENY_HOST (every mode);
 * wait_s → AUTH_DENY_LIMITED; no valid credentials outside open mode →
 * AUTH_DENY_UNAUTH; then for a request that writes: a cross-site origin →
 * AUTH_DENY_CROSS, unless admitted by a bearer token (browsers never send
 * one on their own); an unknown origin → AUTH_DENY_CROSS when the request
 * came with a cookie or any browser header (a browser always says where a
 * write comes from); read-only rights → AUTH_DENY_READONLY unless
 * ro_may_write. Else AUTH_ALLOW. s must not be NULL.
 */
enum auth_verdict auth_decide(const struct auth_summary *s);

/* The HTTP status for a verdict (200 for AUTH_ALLOW). */
unsigned auth_verdict_status(enum auth_verdict v);

/*
 * Whether the Host header value (len bytes; host [":" port]) names this
 * server: an IP literal (IPv4 dotted quad, or IPv6 in brackets; a DNS
 * rebinding attack needs a name, never a literal), or one of the n names
 * (compared ASCII case-insensitively, a trailing dot ignored). An absent
 * Host (NULL) is accepted (HTTP/1.0; no browser omits it). Malformed: 0.
 */
int auth_host_ok(const char *host, size_t len, const char *const *names, size_t n);

#define AUTH_RETURN_PATH_MAX 4096 /* longest return path, in bytes */

/*
 * Whether `path` (NUL-terminated, as decoded from the query of a pairing
 * link's "to") may be where a redeemed pairing link sends the browser
 * (Location), so that a link can never redirect off this server: a
 * percent-encoded absolute path of at most AUTH_RETURN_PATH_MAX bytes that
 * starts with one '/' (never "//", a scheme-relative URL) and holds only
 * RFC 3986 unreserved characters, '/' and %XX escapes (two hex digits) —
 * the form listing links have — and no "/.ferry/" prefix (ferry's own
 * endpoints are no folder to land on). NULL: 0.
 */
int auth_return_path_ok(const char *path);

/*
 * Finds the field `name` in an application/x-www-form-urlencoded body of len
 * bytes and decodes it ('+' is a space, %XX a byte) into out (outlen bytes,
 * NUL-terminated; the decoded length in *out_len). Returns 0,
 * AUTH_PARSE_EABSENT, AUTH_PARSE_EMALFORMED (bad escape) or
 * AUTH_PARSE_ETOOLONG.
 */
int auth_form_field(const char *body, size_t len, const char *name, char *out,
                    size_t outlen, size_t *out_len);

#endif
