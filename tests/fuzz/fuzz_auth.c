/*
 * fuzz_auth.c — fuzz target for the request parsers of access control
 * (daemon/auth/auth-parse.c): the Cookie header, the Authorization header and
 * the same-origin check, with the output contracts of auth-parse.h checked
 * after every call; and three of the gate's (daemon/auth/auth-decide.c): the
 * login form's field decoder, the Host rule and the pairing links' return
 * path rule. The whole input (after the flags byte) is also a form body, a
 * Host value and a return path (up to its first NUL).
 *
 * Input layout: the first byte holds flags (bit 0: the server uses TLS;
 * bits 1-2: which cookie name is looked up). The rest is, whole, a Cookie
 * header and an Authorization header; split at NUL bytes it is Host,
 * Origin, Sec-Fetch-Site and Referer (an empty field, or a missing one, is
 * an absent header). Every header is copied into a buffer of
 * exactly its length, so that a read past it trips ASan.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>

#include "auth-decide.h"
#include "auth-parse.h"
#include "fuzz.h"

/* Aborts with a message when an invariant does not hold. */
static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_auth: %s\n", what);
    abort();
}

/* A heap copy of n bytes without a terminator (never NULL). */
static char *dup_exact(const void *p, size_t n)
{
    char *c = malloc(n ? n : 1);

    if (!c)
        abort();
    if (n)
        memcpy(c, p, n);
    return c;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int cookie_octet(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
           (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

/* ------------------------------------------------------------ Cookie */

/* Checks that the value found sits after "name=" as auth-parse.h says. */
static void check_cookie_place(const char *h, const char *v, size_t vlen,
                               const char *name)
{
    const char *p = v, *end = v + vlen;
    size_t nlen = strlen(name);

    if (p > h && p[-1] == '"') {
        check(*end == '"', "quote not closed"); /* in bounds: see the caller */
        p--;
    }
    while (p > h && is_ows(p[-1]))
        p--;
    check(p > h && p[-1] == '=', "value not after '='");
    p--;
    while (p > h && is_ows(p[-1]))
        p--;
    check((size_t)(p - h) >= nlen && memcmp(p - nlen, name, nlen) == 0,
          "value not after the name");
    p -= nlen;
    while (p > h && is_ows(p[-1]))
        p--;
    check(p == h || p[-1] == ';', "name not at the start of a pair");
}

static void run_cookie(const uint8_t *data, size_t size, const char *name)
{
    char *h = dup_exact(data, size), *twice, *more;
    const char *v = (const char *)1, *v2;
    size_t vlen = 99, v2len;
    int rc, rc2;

    rc = auth_cookie_find(h, size, name, &v, &vlen);
    check(rc == 0 || rc == AUTH_PARSE_EABSENT || rc == AUTH_PARSE_EMALFORMED ||
          rc == AUTH_PARSE_ETOOLONG || rc == AUTH_PARSE_EDUPLICATE,
          "cookie: unknown result");
    if (rc != 0) {
        check(v == NULL && vlen == 0, "cookie: output on error");
    } else {
        check(v >= h && vlen >= 1 && vlen <= AUTH_COOKIE_VALUE_MAX &&
              (size_t)(v - h) + vlen <= size, "cookie: value out of bounds");
        for (size_t i = 0; i < vlen; i++)
            check(cookie_octet((unsigned char)v[i]), "cookie: bad octet in value");
        /* The closing quote, if any, is inside the header. */
        if (v > h && v[-1] == '"')
            check((size_t)(v - h) + vlen < size, "cookie: quote past the end");
        check_cookie_place(h, v, vlen, name);
    }

    /* "H; H" has every pair twice: the same verdict and value. */
    twice = malloc(2 * size + 2);
    if (!twice)
        abort();
    memcpy(twice, h, size);
    memcpy(twice + size, "; ", 2);
    memcpy(twice + size + 2, h, size);
    rc2 = auth_cookie_find(twice, 2 * size + 2, name, &v2, &v2len);
    check(rc2 == rc, "cookie: H; H differs from H");
    if (rc == 0)
        check(v2len == vlen && memcmp(v2, v, vlen) == 0, "cookie: H; H value differs");

    /* A second, different value of our cookie is refused. */
    if (rc == 0) {
        size_t nlen = strlen(name), mlen = size + 2 + nlen + 1 + vlen + 1;

        more = malloc(mlen);
        if (!more)
            abort();
        memcpy(more, h, size);
        memcpy(more + size, "; ", 2);
        memcpy(more + size + 2, name, nlen);
        more[size + 2 + nlen] = '=';
        memcpy(more + size + 3 + nlen, v, vlen);
        more[mlen - 1] = v[vlen - 1] == 'x' ? 'y' : 'x';
        rc2 = auth_cookie_find(more, mlen, name, &v2, &v2len);
        check(rc2 == (vlen + 1 > AUTH_COOKIE_VALUE_MAX ? AUTH_PARSE_ETOOLONG
                                                       : AUTH_PARSE_EDUPLICATE),
              "cookie: a differing duplicate is not refused");
        free(more);
    }
    free(twice);
    free(h);
}

/* ------------------------------------------------------------ Authorization */

/* Whether [p, end) is only OWS. */
static int only_ows(const char *p, const char *end)
{
    for (; p < end; p++)
        if (!is_ows(*p))
            return 0;
    return 1;
}

static void run_authorization(const uint8_t *data, size_t size)
{
    static const struct auth_credentials zero;
    struct auth_credentials c;
    char *h = dup_exact(data, size);
    int rc;

    memset(&c, 0xa5, sizeof c);
    rc = auth_authorization_parse(h, size, &c);
    check(rc == 0 || rc == AUTH_PARSE_EMALFORMED || rc == AUTH_PARSE_ETOOLONG ||
          rc == AUTH_PARSE_ESCHEME || rc == AUTH_PARSE_EBADCHAR,
          "authorization: unknown result");
    if (rc != 0) {
        check(memcmp(&c, &zero, sizeof c) == 0, "authorization: not zeroed on error");
    } else if (c.scheme == AUTH_SCHEME_BASIC) {
        unsigned char raw[AUTH_BASIC_MAX + 1], enc[4 * ((AUTH_BASIC_MAX + 3) / 3) + 1];
        size_t n = c.user_len + 1 + c.password_len, elen = 0;
        const char *at;

        check(c.token == NULL && c.user == c.buf, "basic: fields");
        check(c.user_len <= AUTH_USER_MAX && n <= AUTH_BASIC_MAX, "basic: too long");
        check(c.user[c.user_len] == '\0' && c.password == c.user + c.user_len + 1 &&
              c.password[c.password_len] == '\0', "basic: not terminated");
        check(memchr(c.user, ':', c.user_len) == NULL, "basic: ':' in user");
        for (size_t i = 0; i < c.user_len; i++)
            check((unsigned char)c.user[i] >= 0x20 && c.user[i] != 0x7f, "basic: CTL in user");
        for (size_t i = 0; i < c.password_len; i++)
            check((unsigned char)c.password[i] >= 0x20 && c.password[i] != 0x7f,
                  "basic: CTL in password");
        /* The header carries exactly the canonical base64 of user:password. */
        memcpy(raw, c.user, c.user_len);
        raw[c.user_len] = ':';
        memcpy(raw + c.user_len + 1, c.password, c.password_len);
        check(mbedtls_base64_encode(enc, sizeof enc, &elen, raw, n) == 0, "basic: encode");
        at = NULL;
        for (size_t i = 0; i + elen <= size && !at; i++)
            if (memcmp(h + i, enc, elen) == 0 && (i == 0 || is_ows(h[i - 1])) &&
                only_ows(h + i + elen, h + size))
                at = h + i;
        check(at != NULL, "basic: decoded credentials do not encode back to the header");
        auth_credentials_wipe(&c);
    } else {
        check(c.scheme == AUTH_SCHEME_BEARER, "authorization: unknown scheme");
        check(c.user == NULL && c.password == NULL, "bearer: fields");
        check(c.token >= h && c.token_len >= 1 && c.token_len <= AUTH_BEARER_MAX &&
              (size_t)(c.token - h) + c.token_len <= size, "bearer: token out of bounds");
        check(c.token > h && is_ows(c.token[-1]), "bearer: token not after whitespace");
        check(only_ows(c.token + c.token_len, h + size), "bearer: bytes after the token");
    }
    free(h);
}

/* ------------------------------------------------------------ same origin */

struct field {
    const uint8_t *p;
    size_t n;
    int present;
};

static enum auth_origin origin_of(const struct field f[4], int tls)
{
    struct auth_origin_headers h;
    char *c[4];
    enum auth_origin r;

    for (int i = 0; i < 4; i++)
        c[i] = f[i].present ? dup_exact(f[i].p, f[i].n) : NULL;
    h.host = c[0];
    h.host_len = f[0].n;
    h.origin = c[1];
    h.origin_len = f[1].n;
    h.fetch_site = c[2];
    h.fetch_site_len = f[2].n;
    h.referer = c[3];
    h.referer_len = f[3].n;
    r = auth_origin_check(&h, tls);
    for (int i = 0; i < 4; i++)
        free(c[i]);
    return r;
}

static void run_origin(const uint8_t *data, size_t size, int tls)
{
    struct field f[4], g[4];
    size_t start = 0;
    int k = 0;
    enum auth_origin r;
    char *built;

    memset(f, 0, sizeof f);
    for (size_t i = 0; i <= size && k < 4; i++) {
        if (i == size || data[i] == 0) {
            f[k].p = data + start;
            f[k].n = i - start;
            f[k].present = f[k].n > 0;
            k++;
            start = i + 1;
        }
    }
    r = origin_of(f, tls);
    check(r == AUTH_ORIGIN_SAME || r == AUTH_ORIGIN_CROSS || r == AUTH_ORIGIN_UNKNOWN,
          "origin: unknown result");
    check(origin_of(f, tls) == r, "origin: not deterministic");
    if (r == AUTH_ORIGIN_SAME)
        check(f[1].present || f[2].present || f[3].present, "origin: SAME from nothing");

    /* "null" as Origin is always cross-site. */
    memcpy(g, f, sizeof g);
    g[1].p = (const uint8_t *)"null";
    g[1].n = 4;
    g[1].present = 1;
    check(origin_of(g, tls) == AUTH_ORIGIN_CROSS, "origin: null is not CROSS");

    /* Host alone says nothing. */
    memset(g, 0, sizeof g);
    g[0] = f[0];
    check(origin_of(g, tls) == AUTH_ORIGIN_UNKNOWN, "origin: Host alone decided");

    /* An Origin made of our scheme and the Host is never CROSS; of the other
     * scheme never SAME. */
    if (f[0].present) {
        const uint8_t *hp = f[0].p;
        size_t hn = f[0].n;

        while (hn > 0 && is_ows((char)hp[0])) {
            hp++;
            hn--;
        }
        while (hn > 0 && is_ows((char)hp[hn - 1]))
            hn--;
        built = malloc(hn + 8);
        if (!built)
            abort();
        for (int other = 0; other < 2; other++) {
            int https = tls ^ other;
            size_t pre = https ? 8 : 7;
            enum auth_origin r2;

            memcpy(built, https ? "https://" : "http://", pre);
            memcpy(built + pre, hp, hn);
            g[1].p = (const uint8_t *)built;
            g[1].n = pre + hn;
            g[1].present = 1;
            r2 = origin_of(g, tls);
            if (other)
                check(r2 != AUTH_ORIGIN_SAME, "origin: other scheme is SAME");
            else
                check(r2 != AUTH_ORIGIN_CROSS, "origin: own origin is CROSS");
        }
        free(built);
    }
}

/* See fuzz.h. */
/* The login form decoder: the result fits, is terminated, and a decoded
 * field is never longer than the body it came from. */
static void run_form(const uint8_t *data, size_t size)
{
    char *body = dup_exact(data, size), out[64];
    size_t len = 12345;
    int rc = auth_form_field(body, size, "password", out, sizeof out, &len);

    if (rc == 0) {
        check(len < sizeof out && out[len] == '\0', "form: decoded field not terminated");
        check(len <= size, "form: decoded field longer than the body");
    } else {
        check(rc == AUTH_PARSE_EABSENT || rc == AUTH_PARSE_EMALFORMED ||
                  rc == AUTH_PARSE_ETOOLONG, "form: unexpected error code");
    }
    free(body);
}

/* The Host rule: any bytes give 0 or 1, and a name in the list is always
 * accepted whatever its case. */
static void run_host(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"phone", "phone.local", "localhost"};
    char *host = dup_exact(data, size);
    int ok = auth_host_ok(host, size, names, 3);

    check(ok == 0 || ok == 1, "host: not 0 or 1");
    check(auth_host_ok("PHONE.local:8731", 16, names, 3) == 1, "host: own name refused");
    free(host);
}

/* The return path rule: an accepted path can only be a path of this
 * server: it starts with exactly one '/' and has no byte that could end a
 * header or start a scheme, query or fragment. */
static void run_return_path(const uint8_t *data, size_t size)
{
    char *z = malloc(size + 1);

    if (!z)
        return;
    memcpy(z, data, size);
    z[size] = '\0';
    if (auth_return_path_ok(z)) {
        size_t n = strlen(z);

        check(z[0] == '/' && z[1] != '/', "return path: not one leading '/'");
        check(n <= AUTH_RETURN_PATH_MAX, "return path: too long accepted");
        check(strcspn(z, "\r\n\\:?#\" <>") == n, "return path: unsafe byte accepted");
    }
    free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"sid", "__Host-ferry", "a", "ferry_session"};
    uint8_t flags;

    if (size == 0)
        return 0;
    flags = data[0];
    data++;
    size--;
    run_cookie(data, size, names[(flags >> 1) & 3]);
    run_authorization(data, size);
    run_origin(data, size, flags & 1);
    run_form(data, size);
    run_host(data, size);
    run_return_path(data, size);
    return 0;
}
