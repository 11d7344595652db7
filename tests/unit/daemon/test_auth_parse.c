/*
 * test_auth_parse.c — unit tests of daemon/auth/auth-parse.c (the Cookie and
 * Authorization headers, the same-origin check) and of auth_ct_equal()
 * (daemon/auth/auth-ct.c), which every check of a parsed secret goes through.
 *
 * Inputs are copied into buffers of exactly their length (no NUL after
 * them), so that a read past the given length is caught by ASan.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>

#include "auth-ct.h"
#include "auth-parse.h"

/* A heap copy of n bytes of s without a terminating NUL. */
static char *exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);

    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

/* ------------------------------------------------------------ Cookie */

/* Looks up `name` in the header and checks the result and value. */
static void cookie_n(const char *hdr, size_t len, const char *name, int want,
                     const char *want_value)
{
    char *copy = hdr ? exact(hdr, len) : NULL;
    const char *v = (const char *)1;
    size_t vlen = 12345;
    int rc = auth_cookie_find(copy, len, name, &v, &vlen);

    if (rc != want)
        fail_msg("cookie \"%.*s\" name %s: rc %d (%s), want %d", (int)len,
                 hdr ? hdr : "", name ? name : "(null)", rc,
                 auth_parse_strerror(rc), want);
    if (rc == 0) {
        assert_true(v >= copy && v + vlen <= copy + len);
        if (vlen != strlen(want_value) || memcmp(v, want_value, vlen) != 0)
            fail_msg("cookie \"%s\": value \"%.*s\", want \"%s\"", hdr,
                     (int)vlen, v, want_value);
    } else {
        assert_null(v);
        assert_int_equal(vlen, 0);
    }
    free(copy);
}

static void cookie(const char *hdr, int want, const char *want_value)
{
    cookie_n(hdr, hdr ? strlen(hdr) : 0, "sid", want, want_value);
}

static void test_cookie_basic(void **state)
{
    (void)state;
    cookie("sid=abc", 0, "abc");
    cookie("a=b; sid=xyz; c=d", 0, "xyz");
    cookie("a=b;sid=xyz;c=d", 0, "xyz");
    cookie("  a=b ;  sid = xyz  ; c=d", 0, "xyz");
    cookie("\tsid\t=\txyz\t", 0, "xyz");
    cookie(";;sid=ok;;", 0, "ok");
    cookie("sid=a=b", 0, "a=b");          /* '=' is a cookie-octet */
    cookie("sid=\"quoted\"", 0, "quoted");
    cookie("sid=A-Za-z0-9_~!#$%&'()*+-./:<>?@[]^`{|}", 0,
           "A-Za-z0-9_~!#$%&'()*+-./:<>?@[]^`{|}");
}

static void test_cookie_absent(void **state)
{
    (void)state;
    cookie(NULL, AUTH_PARSE_EABSENT, NULL);
    cookie("", AUTH_PARSE_EABSENT, NULL);
    cookie("   ", AUTH_PARSE_EABSENT, NULL);
    cookie("a=b", AUTH_PARSE_EABSENT, NULL);
    cookie("SID=x", AUTH_PARSE_EABSENT, NULL);  /* names are case-sensitive */
    cookie("sidx=1; xsid=2; si=3", AUTH_PARSE_EABSENT, NULL);
    cookie("sid", AUTH_PARSE_EABSENT, NULL);    /* a nameless cookie "sid" */
    cookie("abc; sid=ok", 0, "ok");
    cookie("=abc; sid=ok", 0, "ok");
    cookie("x sid=1", AUTH_PARSE_EABSENT, NULL);
}

static void test_cookie_bad_value(void **state)
{
    (void)state;
    cookie("sid=", AUTH_PARSE_EMALFORMED, NULL);
    cookie("sid= ; a=b", AUTH_PARSE_EMALFORMED, NULL);
    cookie("sid=\"\"", AUTH_PARSE_EMALFORMED, NULL);
    cookie("sid=\"", AUTH_PARSE_EMALFORMED, NULL);
    cookie("sid=\"abc", AUTH_PARSE_EMALFORMED, NULL);
    cookie("sid=a b", AUTH_PARSE_EMALFORMED, NULL);
    cookie("sid=a,b", AUTH_PARSE_EMALFORMED, NULL);
    cookie("sid=a\\b", AUTH_PARSE_EMALFORMED, NULL);
    cookie("sid=\"a\"b\"", AUTH_PARSE_EMALFORMED, NULL);
    cookie("sid=\xc3\xa9", AUTH_PARSE_EMALFORMED, NULL);
    /* Another cookie's odd value does not matter ... */
    cookie("x=hello world, \"q\"; sid=ok; y=\xc3\xa9", 0, "ok");
    /* ... but a control byte anywhere voids the header. */
    cookie("x=\x01; sid=ok", AUTH_PARSE_EMALFORMED, NULL);
    cookie("sid=ok; x=\x7f", AUTH_PARSE_EMALFORMED, NULL);
    cookie("sid=ok\r\nX: y", AUTH_PARSE_EMALFORMED, NULL);
    cookie_n("sid=ok\0; x=y", 12, "sid", AUTH_PARSE_EMALFORMED, NULL);
    cookie_n("x=\0; sid=ok", 11, "sid", AUTH_PARSE_EMALFORMED, NULL);
}

static void test_cookie_duplicates(void **state)
{
    (void)state;
    cookie("sid=a; sid=a", 0, "a");
    cookie("sid=a; x=1; sid=\"a\"", 0, "a");
    cookie("sid=a; sid=b", AUTH_PARSE_EDUPLICATE, NULL);
    cookie("sid=a; sid=ab", AUTH_PARSE_EDUPLICATE, NULL);
    cookie("sid=ab; sid=a; sid=ab", AUTH_PARSE_EDUPLICATE, NULL);
    /* The first bad occurrence decides, before any comparison. */
    cookie("sid=a; sid=b c", AUTH_PARSE_EMALFORMED, NULL);
    cookie("sid=b c; sid=a", AUTH_PARSE_EMALFORMED, NULL);
}

static void test_cookie_limits(void **state)
{
    char hdr[AUTH_COOKIE_VALUE_MAX + 16];
    char val[AUTH_COOKIE_VALUE_MAX + 2];

    (void)state;
    memset(val, 'v', sizeof val);
    val[AUTH_COOKIE_VALUE_MAX] = '\0';
    snprintf(hdr, sizeof hdr, "sid=%s", val);
    cookie(hdr, 0, val);
    snprintf(hdr, sizeof hdr, "sid=\"%s\"", val);
    cookie(hdr, 0, val);
    val[AUTH_COOKIE_VALUE_MAX] = 'v';
    val[AUTH_COOKIE_VALUE_MAX + 1] = '\0';
    snprintf(hdr, sizeof hdr, "sid=%s", val);
    cookie(hdr, AUTH_PARSE_ETOOLONG, NULL);
    /* Only len bytes are read. */
    cookie_n("sid=abcdef", 6, "sid", 0, "ab");
    cookie_n("sid=abcdef", 3, "sid", AUTH_PARSE_EABSENT, NULL);
    cookie_n("a=1; sid=2", 4, "sid", AUTH_PARSE_EABSENT, NULL);
    cookie_n("sid=\"abc\"", 8, "sid", AUTH_PARSE_EMALFORMED, NULL);
}

static void test_cookie_name_argument(void **state)
{
    (void)state;
    cookie_n("sid=a", 5, "", AUTH_PARSE_EMALFORMED, NULL);
    cookie_n("sid=a", 5, NULL, AUTH_PARSE_EMALFORMED, NULL);
    cookie_n("s d=a", 5, "s d", AUTH_PARSE_EMALFORMED, NULL);
    cookie_n("s;d=a", 5, "s;d", AUTH_PARSE_EMALFORMED, NULL);
    cookie_n("__Host-ferry=a", 14, "__Host-ferry", 0, "a");
}

/* ------------------------------------------------------------ Authorization */

/* Parses hdr (len bytes) and checks the result. */
static void authz_n(const char *hdr, size_t len, int want, struct auth_credentials *c)
{
    char *copy = hdr ? exact(hdr, len) : NULL;
    int rc = auth_authorization_parse(copy, len, c);

    if (rc != want)
        fail_msg("Authorization \"%.*s\": rc %d (%s), want %d", (int)len,
                 hdr ? hdr : "", rc, auth_parse_strerror(rc), want);
    if (rc != 0) {
        /* Nothing decoded is left behind. */
        static const struct auth_credentials zero;

        assert_memory_equal(c, &zero, sizeof zero);
    }
    if (rc == 0 && c->scheme == AUTH_SCHEME_BEARER) {
        assert_true(c->token >= copy && c->token + c->token_len <= copy + len);
        /* Copy the token out before the header copy goes. */
        static char tok[AUTH_BEARER_MAX + 1];

        memcpy(tok, c->token, c->token_len);
        tok[c->token_len] = '\0';
        c->token = tok;
    }
    free(copy);
}

static void authz(const char *hdr, int want, struct auth_credentials *c)
{
    authz_n(hdr, hdr ? strlen(hdr) : 0, want, c);
}

/* Expects Basic with user and password (strings without NUL). */
static void basic(const char *hdr, const char *user, const char *pw)
{
    struct auth_credentials c;

    authz(hdr, 0, &c);
    assert_int_equal(c.scheme, AUTH_SCHEME_BASIC);
    assert_string_equal(c.user, user);
    assert_int_equal(c.user_len, strlen(user));
    assert_string_equal(c.password, pw);
    assert_int_equal(c.password_len, strlen(pw));
    assert_null(c.token);
    assert_true(c.user_len + 1 + c.password_len <= AUTH_BASIC_MAX);
    auth_credentials_wipe(&c);
}

static void bearer(const char *hdr, const char *token)
{
    struct auth_credentials c;

    authz(hdr, 0, &c);
    assert_int_equal(c.scheme, AUTH_SCHEME_BEARER);
    assert_string_equal(c.token, token);
    assert_int_equal(c.token_len, strlen(token));
    assert_null(c.user);
    assert_null(c.password);
}

static void authz_err(const char *hdr, int want)
{
    struct auth_credentials c;

    authz(hdr, want, &c);
}

static void test_basic(void **state)
{
    (void)state;
    basic("Basic dXNlcjpwYXNz", "user", "pass");
    basic("basic dXNlcjpwYXNz", "user", "pass");
    basic("bAsIc dXNlcjpwYXNz", "user", "pass");
    basic("  Basic \t  dXNlcjpwYXNz \t", "user", "pass");
    basic("Basic dXNlcjpwYTpzcw==", "user", "pa:ss");      /* first ':' */
    basic("Basic OnBhc3M=", "", "pass");
    basic("Basic dXNlcjo=", "user", "");
    basic("Basic YTpi", "a", "b");
    basic("Basic asO2cmc6cMOkc3N3b3Jk", "j\xc3\xb6rg", "p\xc3\xa4ssword");
}

static void test_basic_errors(void **state)
{
    (void)state;
    authz_err(NULL, AUTH_PARSE_EABSENT);
    authz_err("", AUTH_PARSE_EMALFORMED);
    authz_err("   ", AUTH_PARSE_EMALFORMED);
    authz_err("Basic", AUTH_PARSE_EMALFORMED);
    authz_err("Basic   ", AUTH_PARSE_EMALFORMED);
    authz_err("Basic bm9jb2xvbg==", AUTH_PARSE_EMALFORMED);  /* no ':' */
    authz_err("Basic YTo", AUTH_PARSE_EMALFORMED);           /* no padding */
    authz_err("Basic YTp=", AUTH_PARSE_EMALFORMED);          /* non-zero bits */
    authz_err("Basic YTo===", AUTH_PARSE_EMALFORMED);
    authz_err("Basic ====", AUTH_PARSE_EMALFORMED);
    authz_err("Basic YT o=", AUTH_PARSE_EMALFORMED);
    authz_err("Basic YTpi YTpi", AUTH_PARSE_EMALFORMED);
    authz_err("Basic YT-i", AUTH_PARSE_EMALFORMED);           /* base64url */
    authz_err("Basic YTpi,", AUTH_PARSE_EMALFORMED);
    authz_err("Basic realm=x", AUTH_PARSE_EMALFORMED);
    authz_err("Basic=YTpi", AUTH_PARSE_EMALFORMED);
    authz_err("Basic dXMAZXI6cHc=", AUTH_PARSE_EBADCHAR);    /* NUL */
    authz_err("Basic dXMJZXI6cHc=", AUTH_PARSE_EBADCHAR);    /* TAB in user */
    authz_err("Basic dXNlcjpwf3c=", AUTH_PARSE_EBADCHAR);    /* DEL in password */
    authz_err("Basic\x01YTpi", AUTH_PARSE_EMALFORMED);
    authz_err("Basic YTpi\r\n", AUTH_PARSE_EMALFORMED);
}

static void test_schemes(void **state)
{
    (void)state;
    authz_err("Digest username=\"a\"", AUTH_PARSE_ESCHEME);
    authz_err("Negotiate YTpi", AUTH_PARSE_ESCHEME);
    authz_err("Basic2 YTpi", AUTH_PARSE_ESCHEME);
    authz_err("BasicYTpi", AUTH_PARSE_ESCHEME);
    authz_err("Bearerabc", AUTH_PARSE_ESCHEME);
    authz_err("\"Basic\" YTpi", AUTH_PARSE_EMALFORMED);
    authz_err(":Basic YTpi", AUTH_PARSE_EMALFORMED);
}

/* Basic with a decoded value of n bytes: user "u", the rest password. */
static void basic_of_size(size_t n, size_t user_len, int want)
{
    unsigned char raw[AUTH_BASIC_MAX + 8];
    char hdr[16 + 2 * AUTH_BASIC_MAX];
    size_t olen = 0;
    struct auth_credentials c;

    assert_true(n <= sizeof raw && user_len < n);
    memset(raw, 'p', n);
    memset(raw, 'u', user_len);
    raw[user_len] = ':';
    memcpy(hdr, "Basic ", 6);
    assert_int_equal(mbedtls_base64_encode((unsigned char *)hdr + 6, sizeof hdr - 6,
                                           &olen, raw, n), 0);
    authz(hdr, want, &c);
    if (want == 0) {
        assert_int_equal(c.user_len, user_len);
        assert_int_equal(c.password_len, n - user_len - 1);
    }
}

static void test_basic_limits(void **state)
{
    (void)state;
    basic_of_size(AUTH_BASIC_MAX, 1, 0);
    basic_of_size(AUTH_BASIC_MAX + 1, 1, AUTH_PARSE_ETOOLONG);
    basic_of_size(AUTH_BASIC_MAX + 3, 1, AUTH_PARSE_ETOOLONG);
    basic_of_size(AUTH_BASIC_MAX + 8, 1, AUTH_PARSE_ETOOLONG);
    basic_of_size(AUTH_USER_MAX + 10, AUTH_USER_MAX, 0);
    basic_of_size(AUTH_USER_MAX + 10, AUTH_USER_MAX + 1, AUTH_PARSE_ETOOLONG);
}

static void test_bearer(void **state)
{
    char hdr[AUTH_BEARER_MAX + 16];
    struct auth_credentials c;

    (void)state;
    bearer("Bearer abc", "abc");
    bearer("bearer abc", "abc");
    bearer("Bearer  \tAZaz09-._~+/== ", "AZaz09-._~+/==");
    bearer("Bearer x=", "x=");
    authz_err("Bearer", AUTH_PARSE_EMALFORMED);
    authz_err("Bearer =", AUTH_PARSE_EMALFORMED);
    authz_err("Bearer abc=def", AUTH_PARSE_EMALFORMED);
    authz_err("Bearer a b", AUTH_PARSE_EMALFORMED);
    authz_err("Bearer a,b", AUTH_PARSE_EMALFORMED);
    authz_err("Bearer a\"b", AUTH_PARSE_EMALFORMED);
    authz_err("Bearer \xc3\xa9", AUTH_PARSE_EMALFORMED);

    memcpy(hdr, "Bearer ", 7);
    memset(hdr + 7, 'k', AUTH_BEARER_MAX);
    hdr[7 + AUTH_BEARER_MAX] = '\0';
    authz(hdr, 0, &c);
    assert_int_equal(c.token_len, AUTH_BEARER_MAX);
    hdr[7 + AUTH_BEARER_MAX] = 'k';
    hdr[8 + AUTH_BEARER_MAX] = '\0';
    authz_err(hdr, AUTH_PARSE_ETOOLONG);

    /* Only len bytes are read. */
    authz_n("Bearer abcdef", 10, 0, &c);
    assert_string_equal(c.token, "abc");
    authz_n("Basic dXNlcjpwYXNzZZZZ", 18, 0, &c);
    assert_string_equal(c.user, "user");
    auth_credentials_wipe(&c);
}

static void test_wipe(void **state)
{
    static const struct auth_credentials zero;
    struct auth_credentials c;

    (void)state;
    authz("Basic dXNlcjpwYXNz", 0, &c);
    auth_credentials_wipe(&c);
    assert_memory_equal(&c, &zero, sizeof c);
    auth_credentials_wipe(NULL);
}

/* ------------------------------------------------------------ same origin */

/* Runs the check with each header (NULL: absent). */
static enum auth_origin origin3(const char *host, const char *origin,
                                const char *site, const char *referer, int tls)
{
    struct auth_origin_headers h;
    char *c[4] = {NULL, NULL, NULL, NULL};
    enum auth_origin r;

    memset(&h, 0, sizeof h);
    if (host) {
        h.host_len = strlen(host);
        h.host = c[0] = exact(host, h.host_len);
    }
    if (origin) {
        h.origin_len = strlen(origin);
        h.origin = c[1] = exact(origin, h.origin_len);
    }
    if (site) {
        h.fetch_site_len = strlen(site);
        h.fetch_site = c[2] = exact(site, h.fetch_site_len);
    }
    if (referer) {
        h.referer_len = strlen(referer);
        h.referer = c[3] = exact(referer, h.referer_len);
    }
    r = auth_origin_check(&h, tls);
    for (int i = 0; i < 4; i++)
        free(c[i]);
    return r;
}

#define SAME AUTH_ORIGIN_SAME
#define CROSS AUTH_ORIGIN_CROSS
#define UNKNOWN AUTH_ORIGIN_UNKNOWN

static void expect_origin(const char *host, const char *origin, const char *site,
                          const char *referer, int tls, enum auth_origin want)
{
    enum auth_origin r = origin3(host, origin, site, referer, tls);

    if (r != want)
        fail_msg("Host %s Origin %s Sec-Fetch-Site %s Referer %s tls %d: %d, want %d",
                 host ? host : "-", origin ? origin : "-", site ? site : "-",
                 referer ? referer : "-", tls, (int)r, (int)want);
}

static void test_origin_header(void **state)
{
    (void)state;
    expect_origin("h:8080", "http://h:8080", NULL, NULL, 0, SAME);
    expect_origin("h:8080", "http://h:8080", NULL, NULL, 1, CROSS);
    expect_origin("h:8443", "https://h:8443", NULL, NULL, 1, SAME);
    expect_origin("h:8080", "http://h:8081", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "http://h", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "http://evil.example:8080", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "http://hh:8080", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "null", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "ftp://h:8080", NULL, NULL, 0, CROSS);
    /* Default ports. */
    expect_origin("h", "http://h:80", NULL, NULL, 0, SAME);
    expect_origin("h:80", "http://h", NULL, NULL, 0, SAME);
    expect_origin("h:", "http://h", NULL, NULL, 0, SAME);
    expect_origin("h:443", "https://h", NULL, NULL, 1, SAME);
    expect_origin("h", "https://h:443", NULL, NULL, 1, SAME);
    expect_origin("h", "http://h:443", NULL, NULL, 0, CROSS);
    expect_origin("h:443", "https://h", NULL, NULL, 0, CROSS);
    /* Case, addresses, whitespace. */
    expect_origin("PHONE.local:8080", "HTTP://phone.LOCAL:8080", NULL, NULL, 0, SAME);
    expect_origin("phone.local.:8080", "http://phone.local:8080", NULL, NULL, 0, CROSS);
    expect_origin("192.168.1.5:8080", "http://192.168.1.5:8080", NULL, NULL, 0, SAME);
    expect_origin("192.168.1.5:8080", "http://192.168.1.50:8080", NULL, NULL, 0, CROSS);
    expect_origin("[fe80::1]:8080", "http://[fe80::1]:8080", NULL, NULL, 0, SAME);
    expect_origin("[fe80::1]:8080", "http://[FE80::1]:8080", NULL, NULL, 0, SAME);
    expect_origin("[fe80::1]:8080", "http://[fe80::2]:8080", NULL, NULL, 0, CROSS);
    expect_origin(" h:8080\t", " http://h:8080 ", NULL, NULL, 0, SAME);
    /* A malformed Origin is cross-site. */
    expect_origin("h:8080", "http://h:8080/", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "http://h:8080/x", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "http://u@h:8080", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "http:/h:8080", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "http://", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "http://h:8080:1", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "http://h:080800", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "http://h:0", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "http://[fe80::1", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "", NULL, NULL, 0, CROSS);
    expect_origin("h:8080", "http://h:8080\x01", NULL, NULL, 0, CROSS);
    /* Leading zeros in a port are the same number. */
    expect_origin("h:8080", "http://h:08080", NULL, NULL, 0, SAME);
}

static void test_origin_fetch_site(void **state)
{
    (void)state;
    expect_origin("h:8080", NULL, "same-origin", NULL, 0, SAME);
    expect_origin("h:8080", NULL, "Same-Origin", NULL, 0, SAME);
    expect_origin("h:8080", NULL, "same-site", NULL, 0, CROSS);
    expect_origin("h:8080", NULL, "cross-site", NULL, 0, CROSS);
    expect_origin("h:8080", NULL, "none", NULL, 0, UNKNOWN);
    expect_origin("h:8080", NULL, "whatever", NULL, 0, UNKNOWN);
    expect_origin(NULL, NULL, "same-origin", NULL, 0, SAME);
    /* Any cross verdict wins. */
    expect_origin("h:8080", "http://evil:8080", "same-origin", NULL, 0, CROSS);
    expect_origin("h:8080", "http://h:8080", "cross-site", NULL, 0, CROSS);
    expect_origin("h:8080", "http://h:8080", "same-site", NULL, 0, CROSS);
    expect_origin("h:8080", "http://h:8080", "same-origin", NULL, 0, SAME);
    expect_origin("h:8080", "http://h:8080", "none", NULL, 0, SAME);
    expect_origin("h:8080", "null", "same-origin", NULL, 0, CROSS);
}

static void test_origin_referer(void **state)
{
    (void)state;
    expect_origin("h:8080", NULL, NULL, "http://h:8080/", 0, SAME);
    expect_origin("h:8080", NULL, NULL, "http://h:8080", 0, SAME);
    expect_origin("h:8080", NULL, NULL, "http://h:8080/a/b?c=d#e", 0, SAME);
    expect_origin("h:8080", NULL, NULL, "http://h:8080?x", 0, SAME);
    expect_origin("h:8080", NULL, NULL, "http://h:8081/", 0, CROSS);
    expect_origin("h:8080", NULL, NULL, "https://h:8080/", 0, CROSS);
    expect_origin("h:8080", NULL, NULL, "http://evil/h:8080/", 0, CROSS);
    expect_origin("h:8080", NULL, NULL, "http://u:p@h:8080/", 0, CROSS);
    expect_origin("h:8080", NULL, NULL, "garbage", 0, CROSS);
    expect_origin("h:8080", NULL, NULL, "null", 0, CROSS);
    /* Referer is not read when Origin is there. */
    expect_origin("h:8080", "http://h:8080", NULL, "http://evil/", 0, SAME);
    expect_origin("h:8080", "http://evil", NULL, "http://h:8080/", 0, CROSS);
    /* With Sec-Fetch-Site. */
    expect_origin("h:8080", NULL, "same-origin", "http://evil/", 0, CROSS);
}

static void test_origin_host(void **state)
{
    (void)state;
    expect_origin(NULL, NULL, NULL, NULL, 0, UNKNOWN);
    expect_origin("h:8080", NULL, NULL, NULL, 0, UNKNOWN);
    /* Without a usable Host only "null" can be judged. */
    expect_origin(NULL, "http://h:8080", NULL, NULL, 0, UNKNOWN);
    expect_origin(NULL, "null", NULL, NULL, 0, CROSS);
    expect_origin(NULL, NULL, NULL, "http://h:8080/", 0, UNKNOWN);
    expect_origin("", "http://h", NULL, NULL, 0, UNKNOWN);
    expect_origin("h:99999", "http://h:99999", NULL, NULL, 0, UNKNOWN);
    expect_origin("h:0", "http://h:0", NULL, NULL, 0, UNKNOWN);
    expect_origin("h:abc", "http://h:abc", NULL, NULL, 0, UNKNOWN);
    expect_origin("h/x", "http://h/x", NULL, NULL, 0, UNKNOWN);
    expect_origin("u@h", "http://u@h", NULL, NULL, 0, UNKNOWN);
    expect_origin("[::1", "http://[::1", NULL, NULL, 0, UNKNOWN);
    expect_origin("[::1]x", "http://[::1]x", NULL, NULL, 0, UNKNOWN);
    expect_origin("[]", "http://[]", NULL, NULL, 0, UNKNOWN);
    expect_origin("h:8080", "http://h:8080", NULL, NULL, 0, SAME);
}

static void test_origin_lengths(void **state)
{
    struct auth_origin_headers h;
    char *big;

    (void)state;
    /* Only host_len bytes of Host are read. */
    memset(&h, 0, sizeof h);
    h.host = exact("h:8080xyz", 9);
    h.host_len = 6;
    h.origin = exact("http://h:8080", 13);
    h.origin_len = 13;
    assert_int_equal(auth_origin_check(&h, 0), SAME);
    h.origin_len = 12; /* "http://h:808" */
    assert_int_equal(auth_origin_check(&h, 0), CROSS);
    free((char *)h.host);
    free((char *)h.origin);

    /* Longer than AUTH_ORIGIN_FIELD_MAX or AUTH_HOST_MAX is malformed. */
    big = malloc(AUTH_ORIGIN_FIELD_MAX + 64);
    assert_non_null(big);
    memcpy(big, "http://", 7);
    memset(big + 7, 'a', AUTH_ORIGIN_FIELD_MAX + 56);
    big[AUTH_ORIGIN_FIELD_MAX + 63] = '\0';
    expect_origin(big + 7, big, NULL, NULL, 0, UNKNOWN);
    expect_origin("aaa", big, NULL, NULL, 0, CROSS);
    memcpy(big + 7 + AUTH_HOST_MAX, "/x", 3);
    expect_origin("a", NULL, NULL, big, 0, CROSS);     /* Referer: host too long */
    big[7 + AUTH_HOST_MAX] = '\0';
    expect_origin(big + 7, big, NULL, NULL, 0, SAME);
    expect_origin("a", NULL, NULL, big, 0, CROSS);
    big[7 + AUTH_HOST_MAX] = 'a';
    big[7 + AUTH_HOST_MAX + 1] = '\0';
    expect_origin(big + 7, big, NULL, NULL, 0, UNKNOWN);
    /* A long Referer: its whole length counts, not only its host. */
    {
        char host[200];
        size_t used;

        memset(host, 'h', 180);
        memcpy(host + 180, ":8080", 6);
        used = (size_t)snprintf(big, AUTH_ORIGIN_FIELD_MAX + 64, "http://%s/", host);
        memset(big + used, 'p', AUTH_ORIGIN_FIELD_MAX - used);
        big[AUTH_ORIGIN_FIELD_MAX] = '\0';
        expect_origin(host, NULL, NULL, big, 0, SAME);
        big[AUTH_ORIGIN_FIELD_MAX] = 'p';
        big[AUTH_ORIGIN_FIELD_MAX + 1] = '\0';
        expect_origin(host, NULL, NULL, big, 0, CROSS);
    }
    free(big);
}

/* ------------------------------------------------------------ ct_equal */

static void test_ct_equal(void **state)
{
    unsigned char a[64], b[64];

    (void)state;
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (unsigned char)(i * 7);
    assert_int_equal(auth_ct_equal(a, b, sizeof a), 1);
    assert_int_equal(auth_ct_equal(NULL, NULL, 0), 1);
    for (size_t i = 0; i < sizeof a; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            assert_int_equal(auth_ct_equal(a, b, sizeof a), 0);
            assert_int_equal(auth_ct_equal(a, b, i), 1);
            b[i] ^= (unsigned char)(1u << bit);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cookie_basic),
        cmocka_unit_test(test_cookie_absent),
        cmocka_unit_test(test_cookie_bad_value),
        cmocka_unit_test(test_cookie_duplicates),
        cmocka_unit_test(test_cookie_limits),
        cmocka_unit_test(test_cookie_name_argument),
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_basic_errors),
        cmocka_unit_test(test_schemes),
        cmocka_unit_test(test_basic_limits),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_wipe),
        cmocka_unit_test(test_origin_header),
        cmocka_unit_test(test_origin_fetch_site),
        cmocka_unit_test(test_origin_referer),
        cmocka_unit_test(test_origin_host),
        cmocka_unit_test(test_origin_lengths),
        cmocka_unit_test(test_ct_equal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
