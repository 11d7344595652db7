/*
 * auth-parse.h — the request headers access control reads: the Cookie
 * header (one named cookie), the Authorization header (Basic and Bearer),
 * and the same-origin check against CSRF (Host, Origin, Sec-Fetch-Site,
 * Referer).
 *
 * Pure: no I/O, no state, no allocation. Every input is a pointer and a
 * length and is never read past that length (a NUL inside counts as a byte,
 * and is refused where a header cannot hold one). Results point into the
 * caller's input or into the caller's struct. Safe from any thread.
 */
#ifndef FERRY_AUTH_PARSE_H
#define FERRY_AUTH_PARSE_H

#include <stddef.h>

enum auth_parse_error {
    AUTH_PARSE_EABSENT = -3001,    /* no header (NULL), or the named cookie
                                      is not in it */
    AUTH_PARSE_EMALFORMED = -3002, /* the syntax below is not met */
    AUTH_PARSE_ETOOLONG = -3003,   /* a part is longer than its limit */
    AUTH_PARSE_ESCHEME = -3004,    /* Authorization with a scheme other than
                                      Basic and Bearer */
    AUTH_PARSE_EDUPLICATE = -3005, /* the cookie is named twice with
                                      different values */
    AUTH_PARSE_EBADCHAR = -3006,   /* Basic: a NUL or control character in
                                      the decoded user or password */
};

/* A static text for an auth_parse_error (or "unknown error"). */
const char *auth_parse_strerror(int code);

/* ------------------------------------------------------------ Cookie */

/* Longest cookie value accepted (bytes, without quotes). */
#define AUTH_COOKIE_VALUE_MAX 256

/*
 * Finds the cookie `name` in a Cookie header of len bytes at `header`
 * (RFC 6265 §4.2.1 and §5.4, read tolerantly):
 *   - the header is a list of pairs separated by ';'; SP and HTAB around
 *     pairs, names and values are ignored; empty pairs, and pairs without
 *     '=' (nameless cookies), are skipped;
 *   - a name is the bytes before the pair's first '='; names compare
 *     byte for byte (case matters); `name` is NUL-terminated and must be a
 *     non-empty token (RFC 9110 tchar), else AUTH_PARSE_EMALFORMED;
 *   - a control byte (0x00-0x1f but HTAB, 0x7f) anywhere in the header makes
 *     the whole header AUTH_PARSE_EMALFORMED; other cookies are otherwise
 *     not judged (a neighbour's odd value does not hide ours);
 *   - the value of our cookie may be in double quotes, which are removed;
 *     what remains must be 1..AUTH_COOKIE_VALUE_MAX cookie-octets (0x21,
 *     0x23-0x2b, 0x2d-0x3a, 0x3c-0x5b, 0x5d-0x7e): empty or other bytes give
 *     AUTH_PARSE_EMALFORMED, longer AUTH_PARSE_ETOOLONG;
 *   - duplicates: every occurrence of the name is checked, in order (the
 *     first bad one gives its error); if they do not all carry the same
 *     value the result is AUTH_PARSE_EDUPLICATE. Cookies are not isolated by
 *     port (nor, without the __Host- prefix, by scheme), so another service
 *     on the same host can plant a cookie of our name; browsers send the one
 *     with the longest path first, so "first wins" would let it choose the
 *     session. Refusing differing duplicates fails closed: the browser is
 *     asked to pair again instead of acting with someone else's session.
 * header NULL gives AUTH_PARSE_EABSENT (len is then ignored), as does a
 * header without the cookie. Returns 0 with *value pointing into header
 * (not NUL-terminated) and *value_len bytes, or a negative auth_parse_error
 * with *value NULL and *value_len 0.
 */
int auth_cookie_find(const char *header, size_t len, const char *name,
                     const char **value, size_t *value_len);

/* ------------------------------------------------------------ Authorization */

#define AUTH_BASIC_MAX 1024   /* decoded "user:password", bytes */
#define AUTH_USER_MAX 255     /* user, bytes */
#define AUTH_BEARER_MAX 512   /* bearer token, bytes */

enum auth_scheme {
    AUTH_SCHEME_BASIC = 1,
    AUTH_SCHEME_BEARER = 2,
};

/*
 * What an Authorization header carries. Basic: user and password point into
 * buf, each NUL-terminated (user_len + 1 + password_len <= AUTH_BASIC_MAX),
 * token is NULL. Bearer: token points into the caller's header (not
 * NUL-terminated), user and password are NULL. Wipe it with
 * auth_credentials_wipe() once done: buf holds a password.
 */
struct auth_credentials {
    enum auth_scheme scheme;
    const char *user;
    size_t user_len;
    const char *password;
    size_t password_len;
    const char *token;
    size_t token_len;
    char buf[AUTH_BASIC_MAX + 1];
};

/*
 * Parses an Authorization header of len bytes at `header` into *out:
 *   credentials = scheme 1*(SP / HTAB) token68 ; OWS around the whole value
 * The scheme is a token compared case-insensitively: "Basic" or "Bearer";
 * any other token gives AUTH_PARSE_ESCHEME. After the scheme there must be
 * exactly one token68 and nothing else (auth-params, a second word, a
 * missing token68: AUTH_PARSE_EMALFORMED); a control byte but HTAB anywhere
 * is AUTH_PARSE_EMALFORMED.
 *   - Basic (RFC 7617): the token68 must be canonical base64 (RFC 4648
 *     alphabet, '=' padding to a multiple of 4, zero padding bits: the text
 *     must be what encoding the decoded bytes gives back), decoded by
 *     mbedtls_base64_decode, at most AUTH_BASIC_MAX bytes once decoded
 *     (AUTH_PARSE_ETOOLONG beyond). It is split at its first ':' (none:
 *     AUTH_PARSE_EMALFORMED); the user (maybe empty) is at most
 *     AUTH_USER_MAX bytes (AUTH_PARSE_ETOOLONG); a NUL or control byte
 *     (0x00-0x1f, 0x7f) in either part gives AUTH_PARSE_EBADCHAR (RFC 7617
 *     §2). Bytes >= 0x80 are kept as they are (no charset is assumed).
 *   - Bearer (RFC 6750 §2.1): token68 = 1*(ALPHA / DIGIT / "-" / "." / "_"
 *     / "~" / "+" / "/") *"=", at most AUTH_BEARER_MAX bytes.
 * header NULL gives AUTH_PARSE_EABSENT. Returns 0, or a negative
 * auth_parse_error with *out zeroed (nothing decoded is left in buf).
 */
int auth_authorization_parse(const char *header, size_t len,
                             struct auth_credentials *out);

/* Zeroes *c (the decoded password included) in a way the compiler keeps.
 * c may be NULL. */
void auth_credentials_wipe(struct auth_credentials *c);

/* ------------------------------------------------------------ same origin */

enum auth_origin {
    AUTH_ORIGIN_SAME = 1,    /* the request comes from a page of this
                                server (scheme, host and port) */
    AUTH_ORIGIN_CROSS = 2,   /* from another site, or another port or
                                scheme of this host, or a sandboxed or
                                opaque origin */
    AUTH_ORIGIN_UNKNOWN = 3, /* no header says: an old browser, or not a
                                browser; the caller decides (e.g. ask for a
                                token header) */
};

/*
 * The request headers the check reads. A NULL pointer means the header is
 * absent (its length is then ignored); each is read for its length only.
 */
struct auth_origin_headers {
    const char *host;
    size_t host_len;
    const char *origin;
    size_t origin_len;
    const char *fetch_site;     /* Sec-Fetch-Site */
    size_t fetch_site_len;
    const char *referer;
    size_t referer_len;
};

/* Longest Origin, Referer or Sec-Fetch-Site value the check reads, and
 * longest host [":" port] in any of them or in Host; longer is malformed. */
#define AUTH_ORIGIN_FIELD_MAX 2048
#define AUTH_HOST_MAX 300

/*
 * Decides whether a request is same-origin, for a server reached over
 * https (tls != 0) or http. Each header present gives a verdict or none
 * (values are trimmed of SP/HTAB first):
 *   - Sec-Fetch-Site: "same-origin" says SAME; "same-site" and
 *     "cross-site" say CROSS (same-site is another origin: another port or
 *     subdomain); "none" (typed by the user) and unknown values say nothing.
 *     Compared case-insensitively.
 *   - Origin: "null" says CROSS. Otherwise it must be exactly
 *     scheme "://" host [":" [port]] (no path, no userinfo, nothing after):
 *     malformed says CROSS (browsers send it well-formed). It says SAME
 *     when it equals this server's origin — scheme "https" if tls else
 *     "http", and the Host header's host and port — and CROSS otherwise.
 *     Scheme and host compare ASCII case-insensitively, byte for byte
 *     otherwise (no IDNA, a trailing dot matters); a missing or empty port
 *     is the scheme's default (80 or 443), so a different port is CROSS.
 *     When Host is absent or malformed, no Origin but "null" can match:
 *     such an Origin says nothing.
 *   - Referer: read only when Origin is absent; scheme "://" host
 *     [":" [port]] followed by the end, '/', '?' or '#' is compared like an
 *     Origin; malformed (userinfo included) says CROSS; Host absent or
 *     malformed: nothing.
 * Host is host [":" [port]] with host a reg-name (ALPHA, DIGIT, "-", ".",
 * "_", "~", "%"; escapes are compared as they are, not decoded), an IPv4
 * address (as a reg-name) or an IPv6 literal in brackets (hex digits, ':'
 * and '.'); port is 1-65535 (leading zeros allowed, at most 5
 * digits). A host [":" port] longer than AUTH_HOST_MAX, or an Origin or
 * Referer longer than AUTH_ORIGIN_FIELD_MAX, is malformed.
 * Result: CROSS if any header says CROSS, else SAME if any says SAME, else
 * UNKNOWN. h must not be NULL.
 * Note: Host comes from the client; a DNS-rebinding page sends its own name
 * in both Host and Origin and is judged SAME here. It never holds our
 * cookies (they belong to our name), but a server without authentication
 * must also check Host against the names it serves.
 */
enum auth_origin auth_origin_check(const struct auth_origin_headers *h,
                                   int tls);

#endif
