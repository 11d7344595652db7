/*
 * auth-parse.c — the Cookie and Authorization headers and the same-origin
 * check of auth-parse.h.
 *
 * Every loop is bounded by the length it was given; nothing here relies on
 * a NUL terminator in the input. Base64 is decoded by mbedTLS once the text
 * has been checked here, because mbedtls_base64_decode() skips spaces and
 * line breaks and does not insist on padding or on zero padding bits.
 */
#include "config.h"

#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/platform_util.h>

#include "auth-parse.h"

/* ------------------------------------------------------------ characters */

static int is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* A control byte a header value cannot carry (HTAB is allowed). */
static int is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 6265 cookie-octet. */
static int is_cookie_octet(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
           (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

/* RFC 4648 base64 alphabet (without '='). */
static int is_b64(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '+' || c == '/';
}

/* RFC 9110 token68 characters (without '='). */
static int is_token68(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
           c == '~' || c == '+' || c == '/';
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Whether the n bytes at a equal the NUL-terminated lowercase word w,
 * ASCII case-insensitively. */
static int word_eq(const char *a, size_t n, const char *w)
{
    size_t wl = strlen(w);

    if (n != wl)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != (unsigned char)w[i])
            return 0;
    return 1;
}

/* Narrows [*p, *p + *n) to drop SP and HTAB at both ends. */
static void trim(const char **p, size_t *n)
{
    while (*n > 0 && is_ows((unsigned char)**p)) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && is_ows((unsigned char)(*p)[*n - 1]))
        (*n)--;
}

/* Whether any of the n bytes at p is a control byte (HTAB allowed). */
static int has_ctl(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_ctl((unsigned char)p[i]))
            return 1;
    return 0;
}

/* See auth-parse.h. */
const char *auth_parse_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
    case AUTH_PARSE_EABSENT:
        return "no credentials in the request";
    case AUTH_PARSE_EMALFORMED:
        return "malformed header";
    case AUTH_PARSE_ETOOLONG:
        return "credentials longer than allowed";
    case AUTH_PARSE_ESCHEME:
        return "unsupported authorization scheme";
    case AUTH_PARSE_EDUPLICATE:
        return "the cookie is sent twice with different values";
    case AUTH_PARSE_EBADCHAR:
        return "control character in the user name or password";
    }
    return "unknown error";
}

/* ------------------------------------------------------------ Cookie */

/*
 * Checks one value of our cookie (trimmed) and narrows it to its content
 * without quotes. Returns 0 or an auth_parse_error.
 */
static int cookie_value(const char **v, size_t *n)
{
    if (*n >= 2 && (*v)[0] == '"' && (*v)[*n - 1] == '"') {
        (*v)++;
        *n -= 2;
    }
    if (*n == 0)
        return AUTH_PARSE_EMALFORMED;
    for (size_t i = 0; i < *n; i++)
        if (!is_cookie_octet((unsigned char)(*v)[i]))
            return AUTH_PARSE_EMALFORMED;
    if (*n > AUTH_COOKIE_VALUE_MAX)
        return AUTH_PARSE_ETOOLONG;
    return 0;
}

/* See auth-parse.h. */
int auth_cookie_find(const char *header, size_t len, const char *name,
                     const char **value, size_t *value_len)
{
    const char *found = NULL;
    size_t found_len = 0, name_len, pos = 0;

    *value = NULL;
    *value_len = 0;
    if (!header)
        return AUTH_PARSE_EABSENT;
    name_len = name ? strlen(name) : 0;
    if (name_len == 0)
        return AUTH_PARSE_EMALFORMED;
    for (size_t i = 0; i < name_len; i++)
        if (!is_tchar((unsigned char)name[i]))
            return AUTH_PARSE_EMALFORMED;
    if (has_ctl(header, len))
        return AUTH_PARSE_EMALFORMED;

    while (pos < len) {
        const char *pair = header + pos, *eq, *nm, *v;
        size_t pair_len, nm_len, v_len;
        const char *semi = memchr(pair, ';', len - pos);
        int rc;

        pair_len = semi ? (size_t)(semi - pair) : len - pos;
        pos += pair_len + (semi ? 1 : 0);
        eq = memchr(pair, '=', pair_len);
        if (!eq)
            continue; /* empty, or a nameless cookie */
        nm = pair;
        nm_len = (size_t)(eq - pair);
        trim(&nm, &nm_len);
        if (nm_len != name_len || memcmp(nm, name, name_len) != 0)
            continue;
        v = eq + 1;
        v_len = (size_t)(pair + pair_len - v);
        trim(&v, &v_len);
        rc = cookie_value(&v, &v_len);
        if (rc != 0)
            return rc;
        if (!found) {
            found = v;
            found_len = v_len;
        } else if (v_len != found_len || memcmp(v, found, v_len) != 0) {
            return AUTH_PARSE_EDUPLICATE;
        }
    }
    if (!found)
        return AUTH_PARSE_EABSENT;
    *value = found;
    *value_len = found_len;
    return 0;
}

/* ------------------------------------------------------------ Authorization */

/*
 * Decodes the Basic token68 (n bytes at t) into out->buf and splits it.
 * Returns 0 or an auth_parse_error (out->buf may then hold bytes: the
 * caller wipes it).
 */
static int parse_basic(const char *t, size_t n, struct auth_credentials *out)
{
    unsigned char check[4 * ((AUTH_BASIC_MAX + 2) / 3) + 1];
    size_t pad = 0, dlen = 0, clen = 0;
    const char *colon;

    /* Longest canonical text of AUTH_BASIC_MAX bytes. */
    if (n > 4 * ((AUTH_BASIC_MAX + 2) / 3))
        return AUTH_PARSE_ETOOLONG;
    if (n % 4 != 0)
        return AUTH_PARSE_EMALFORMED;
    while (pad < 2 && pad < n && t[n - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < n - pad; i++)
        if (!is_b64((unsigned char)t[i]))
            return AUTH_PARSE_EMALFORMED;
    if (mbedtls_base64_decode((unsigned char *)out->buf, AUTH_BASIC_MAX, &dlen,
                              (const unsigned char *)t, n) != 0)
        return dlen > AUTH_BASIC_MAX ? AUTH_PARSE_ETOOLONG
                                     : AUTH_PARSE_EMALFORMED;
    /* Canonical: encoding the bytes back gives the same text (this refuses
     * non-zero padding bits, and so two texts for one password). */
    if (mbedtls_base64_encode(check, sizeof check, &clen,
                              (const unsigned char *)out->buf, dlen) != 0 ||
        clen != n || memcmp(check, t, n) != 0)
        return AUTH_PARSE_EMALFORMED;
    out->buf[dlen] = '\0';
    for (size_t i = 0; i < dlen; i++) {
        unsigned char c = (unsigned char)out->buf[i];

        if (c < 0x20 || c == 0x7f)
            return AUTH_PARSE_EBADCHAR;
    }
    colon = memchr(out->buf, ':', dlen);
    if (!colon)
        return AUTH_PARSE_EMALFORMED;
    out->user_len = (size_t)(colon - out->buf);
    if (out->user_len > AUTH_USER_MAX)
        return AUTH_PARSE_ETOOLONG;
    out->buf[out->user_len] = '\0';
    out->user = out->buf;
    out->password = out->buf + out->user_len + 1;
    out->password_len = dlen - out->user_len - 1;
    out->scheme = AUTH_SCHEME_BASIC;
    return 0;
}

/* Checks the Bearer token68 (n bytes at t). Returns 0 or an error. */
static int parse_bearer(const char *t, size_t n, struct auth_credentials *out)
{
    size_t i = 0;

    if (n > AUTH_BEARER_MAX)
        return AUTH_PARSE_ETOOLONG;
    while (i < n && is_token68((unsigned char)t[i]))
        i++;
    if (i == 0)
        return AUTH_PARSE_EMALFORMED;
    while (i < n && t[i] == '=')
        i++;
    if (i != n)
        return AUTH_PARSE_EMALFORMED;
    out->scheme = AUTH_SCHEME_BEARER;
    out->token = t;
    out->token_len = n;
    return 0;
}

/* See auth-parse.h. */
int auth_authorization_parse(const char *header, size_t len,
                             struct auth_credentials *out)
{
    const char *p = header, *scheme, *cred;
    size_t n = len, scheme_len = 0, cred_len;
    int rc;

    memset(out, 0, sizeof *out);
    if (!header)
        return AUTH_PARSE_EABSENT;
    if (has_ctl(header, len))
        return AUTH_PARSE_EMALFORMED;
    trim(&p, &n);
    scheme = p;
    while (scheme_len < n && is_tchar((unsigned char)scheme[scheme_len]))
        scheme_len++;
    if (scheme_len == 0 || (scheme_len < n && !is_ows((unsigned char)scheme[scheme_len])))
        return AUTH_PARSE_EMALFORMED;
    if (!word_eq(scheme, scheme_len, "basic") && !word_eq(scheme, scheme_len, "bearer"))
        return AUTH_PARSE_ESCHEME;
    cred = scheme + scheme_len;
    cred_len = n - scheme_len;
    trim(&cred, &cred_len);
    if (cred_len == 0)
        return AUTH_PARSE_EMALFORMED;
    /* One token68 and nothing else: no whitespace inside. */
    for (size_t i = 0; i < cred_len; i++)
        if (is_ows((unsigned char)cred[i]))
            return AUTH_PARSE_EMALFORMED;
    if (scheme_len == 5)
        rc = parse_basic(cred, cred_len, out);
    else
        rc = parse_bearer(cred, cred_len, out);
    if (rc != 0)
        auth_credentials_wipe(out);
    return rc;
}

/* See auth-parse.h. */
void auth_credentials_wipe(struct auth_credentials *c)
{
    if (c)
        mbedtls_platform_zeroize(c, sizeof *c);
}

/* ------------------------------------------------------------ same origin */

/* A scheme, host and port, the host pointing into a header. */
struct origin {
    int https;
    const char *host;
    size_t host_len;
    unsigned port;    /* 0: the scheme's default */
};

/* Whether [p, p + n) is a host as auth-parse.h describes it. */
static int host_ok(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (p[0] == '[') {
        if (n < 3 || p[n - 1] != ']')
            return 0;
        for (size_t i = 1; i < n - 1; i++) {
            unsigned char c = (unsigned char)p[i];

            if (!is_digit(c) && !(lower(c) >= 'a' && lower(c) <= 'f') &&
                c != ':' && c != '.')
                return 0;
        }
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];

        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_' &&
            c != '~' && c != '%')
            return 0;
    }
    return 1;
}

/*
 * Parses an authority "host [':' [port]]" of n bytes at p into o->host,
 * o->host_len and o->port. Returns 0 or -1.
 */
static int parse_authority(const char *p, size_t n, struct origin *o)
{
    size_t host_end;
    unsigned port = 0;

    if (n > AUTH_HOST_MAX)
        return -1;
    if (n > 0 && p[0] == '[') {
        const char *close = memchr(p, ']', n);

        if (!close)
            return -1;
        host_end = (size_t)(close - p) + 1;
    } else {
        const char *colon = memchr(p, ':', n);

        host_end = colon ? (size_t)(colon - p) : n;
    }
    if (!host_ok(p, host_end))
        return -1;
    if (host_end < n) {
        size_t i = host_end + 1;

        if (p[host_end] != ':')
            return -1;
        if (n - i > 5)
            return -1;
        for (; i < n; i++) {
            if (!is_digit((unsigned char)p[i]))
                return -1;
            port = port * 10 + (unsigned)(p[i] - '0');
        }
        if (n - host_end > 1 && (port == 0 || port > 65535))
            return -1;
    }
    o->host = p;
    o->host_len = host_end;
    o->port = port;
    return 0;
}

/*
 * Parses "scheme://authority" at the start of [p, p + n): the authority
 * ends at the end, or, if `tail` is set, at the first '/', '?' or '#'.
 * Returns 0 or -1 (also for a scheme other than http and https).
 */
static int parse_origin(const char *p, size_t n, int tail, struct origin *o)
{
    size_t i = 0, end;

    while (i < n && p[i] != ':')
        i++;
    if (word_eq(p, i, "http"))
        o->https = 0;
    else if (word_eq(p, i, "https"))
        o->https = 1;
    else
        return -1;
    if (n - i < 3 || memcmp(p + i, "://", 3) != 0)
        return -1;
    i += 3;
    end = i;
    if (tail)
        while (end < n && p[end] != '/' && p[end] != '?' && p[end] != '#')
            end++;
    else
        end = n;
    return parse_authority(p + i, end - i, o);
}

/* The port an origin really uses. */
static unsigned effective_port(const struct origin *o)
{
    return o->port ? o->port : (o->https ? 443 : 80);
}

/* Whether two origins are the same: scheme, host (ASCII case-insensitive),
 * port. */
static int same_origin(const struct origin *a, const struct origin *b)
{
    if (a->https != b->https || effective_port(a) != effective_port(b) ||
        a->host_len != b->host_len)
        return 0;
    for (size_t i = 0; i < a->host_len; i++)
        if (lower((unsigned char)a->host[i]) != lower((unsigned char)b->host[i]))
            return 0;
    return 1;
}

/* A verdict of one header: none, SAME or CROSS. */
#define SAYS_NOTHING 0

/* The verdict of an Origin (tail 0) or Referer (tail 1) value against this
 * server's origin `self` (NULL when Host is absent or malformed). */
static int judge_url(const char *v, size_t n, int tail, const struct origin *self)
{
    struct origin o;

    trim(&v, &n);
    if (!tail && word_eq(v, n, "null"))
        return AUTH_ORIGIN_CROSS;
    if (!self)
        return SAYS_NOTHING;
    if (n > AUTH_ORIGIN_FIELD_MAX || has_ctl(v, n) ||
        parse_origin(v, n, tail, &o) != 0)
        return AUTH_ORIGIN_CROSS;
    return same_origin(&o, self) ? AUTH_ORIGIN_SAME : AUTH_ORIGIN_CROSS;
}

/* See auth-parse.h. */
enum auth_origin auth_origin_check(const struct auth_origin_headers *h, int tls)
{
    struct origin self_buf, *self = NULL;
    int cross = 0, same = 0, v;

    if (h->host) {
        const char *p = h->host;
        size_t n = h->host_len;

        trim(&p, &n);
        self_buf.https = tls != 0;
        if (parse_authority(p, n, &self_buf) == 0)
            self = &self_buf;
    }
    if (h->fetch_site) {
        const char *p = h->fetch_site;
        size_t n = h->fetch_site_len;

        trim(&p, &n);
        if (word_eq(p, n, "same-origin"))
            same = 1;
        else if (word_eq(p, n, "same-site") || word_eq(p, n, "cross-site"))
            cross = 1;
    }
    if (h->origin)
        v = judge_url(h->origin, h->origin_len, 0, self);
    else if (h->referer)
        v = judge_url(h->referer, h->referer_len, 1, self);
    else
        v = SAYS_NOTHING;
    cross |= v == AUTH_ORIGIN_CROSS;
    same |= v == AUTH_ORIGIN_SAME;
    if (cross)
        return AUTH_ORIGIN_CROSS;
    return same ? AUTH_ORIGIN_SAME : AUTH_ORIGIN_UNKNOWN;
}
