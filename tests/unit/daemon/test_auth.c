/*
 * test_auth.c — the gate's rules (daemon/auth/auth-decide.c): every verdict of
 * auth_decide() over the request summaries that matter, the Host check
 * against DNS rebinding, and the login form's field decoding.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth-decide.h"

/* A read-write cookie session's same-origin GET on a host we serve. */
static struct auth_summary base(enum ferry_auth mode)
{
    struct auth_summary s = {.mode = mode, .host_ok = 1, .writes = 0,
                             .cred = AUTH_CRED_COOKIE, .rights = AUTH_RIGHTS_RW,
                             .origin = AUTH_ORIGIN_SAME, .browser = 1};
    return s;
}

static void test_unauthenticated(void **state)
{
    (void)state;
    enum ferry_auth modes[] = {FERRY_AUTH_TOKEN, FERRY_AUTH_PASSWORD};

    for (size_t i = 0; i < 2; i++) {
        struct auth_summary s = base(modes[i]);

        s.cred = AUTH_CRED_NONE;
        assert_int_equal(auth_decide(&s), AUTH_DENY_UNAUTH);
        s.writes = 1; /* 401 before any CSRF talk */
        s.origin = AUTH_ORIGIN_CROSS;
        assert_int_equal(auth_decide(&s), AUTH_DENY_UNAUTH);
        s.browser = 0;
        s.origin = AUTH_ORIGIN_UNKNOWN;
        assert_int_equal(auth_decide(&s), AUTH_DENY_UNAUTH);
    }
    assert_int_equal(auth_verdict_status(AUTH_DENY_UNAUTH), 401);
}

static void test_open_mode(void **state)
{
    (void)state;
    struct auth_summary s = base(FERRY_AUTH_OPEN);

    s.cred = AUTH_CRED_NONE;
    s.browser = 0;
    s.origin = AUTH_ORIGIN_UNKNOWN;
    assert_int_equal(auth_decide(&s), AUTH_ALLOW);
    s.writes = 1; /* curl PUT in open mode */
    assert_int_equal(auth_decide(&s), AUTH_ALLOW);
    s.origin = AUTH_ORIGIN_CROSS; /* a cross-site form post, even when open */
    assert_int_equal(auth_decide(&s), AUTH_DENY_CROSS);
    s.origin = AUTH_ORIGIN_SAME;
    s.browser = 1;
    assert_int_equal(auth_decide(&s), AUTH_ALLOW);
    s.host_ok = 0; /* rebinding is refused in every mode */
    assert_int_equal(auth_decide(&s), AUTH_DENY_HOST);
    assert_int_equal(auth_verdict_status(AUTH_DENY_HOST), 421);
}

static void test_csrf(void **state)
{
    (void)state;
    struct auth_summary s = base(FERRY_AUTH_TOKEN);

    s.writes = 1;
    assert_int_equal(auth_decide(&s), AUTH_ALLOW);        /* same-origin */
    s.origin = AUTH_ORIGIN_CROSS;
    assert_int_equal(auth_decide(&s), AUTH_DENY_CROSS);   /* cookie, cross */
    s.origin = AUTH_ORIGIN_UNKNOWN;
    assert_int_equal(auth_decide(&s), AUTH_DENY_CROSS);   /* cookie, no word */
    s.writes = 0;
    s.origin = AUTH_ORIGIN_CROSS;
    assert_int_equal(auth_decide(&s), AUTH_ALLOW);        /* reads are not CSRF */

    s = base(FERRY_AUTH_PASSWORD);
    s.cred = AUTH_CRED_BASIC;
    s.writes = 1;
    s.browser = 0;
    s.origin = AUTH_ORIGIN_UNKNOWN;
    assert_int_equal(auth_decide(&s), AUTH_ALLOW);        /* curl -u */
    s.browser = 1;
    assert_int_equal(auth_decide(&s), AUTH_DENY_CROSS);   /* a browser that hides */
    s.origin = AUTH_ORIGIN_CROSS;
    assert_int_equal(auth_decide(&s), AUTH_DENY_CROSS);
    s.origin = AUTH_ORIGIN_SAME;
    assert_int_equal(auth_decide(&s), AUTH_ALLOW);

    s = base(FERRY_AUTH_TOKEN);
    s.cred = AUTH_CRED_BEARER;
    s.writes = 1;
    s.origin = AUTH_ORIGIN_CROSS; /* browsers never add a bearer token */
    assert_int_equal(auth_decide(&s), AUTH_ALLOW);
    s.origin = AUTH_ORIGIN_UNKNOWN;
    assert_int_equal(auth_decide(&s), AUTH_ALLOW);
}

static void test_read_only(void **state)
{
    (void)state;
    enum auth_cred creds[] = {AUTH_CRED_COOKIE, AUTH_CRED_BEARER, AUTH_CRED_BASIC};

    for (size_t i = 0; i < 3; i++) {
        struct auth_summary s = base(FERRY_AUTH_PASSWORD);

        s.cred = creds[i];
        s.rights = AUTH_RIGHTS_RO;
        assert_int_equal(auth_decide(&s), AUTH_ALLOW);
        s.writes = 1;
        assert_int_equal(auth_decide(&s), AUTH_DENY_READONLY);
    }
    assert_int_equal(auth_verdict_status(AUTH_DENY_READONLY), 403);
    assert_int_equal(auth_verdict_status(AUTH_DENY_CROSS), 403);
}

/* POST /.ferry/share: read-only rights may make it, the CSRF rule holds. */
static void test_ro_may_write(void **state)
{
    (void)state;
    struct auth_summary s = base(FERRY_AUTH_TOKEN);

    s.writes = 1;
    s.rights = AUTH_RIGHTS_RO;
    s.ro_may_write = 1;
    assert_int_equal(auth_decide(&s), AUTH_ALLOW);
    s.origin = AUTH_ORIGIN_CROSS;
    assert_int_equal(auth_decide(&s), AUTH_DENY_CROSS);
    s.origin = AUTH_ORIGIN_UNKNOWN;
    assert_int_equal(auth_decide(&s), AUTH_DENY_CROSS);
    s.origin = AUTH_ORIGIN_SAME;
    s.cred = AUTH_CRED_NONE;
    assert_int_equal(auth_decide(&s), AUTH_DENY_UNAUTH);
}

static void test_return_path(void **state)
{
    (void)state;
    static const char *good[] = {"/", "/album/", "/a%20b/c%C3%A9/", "/x-y_z.~/f.txt",
                                 "/%2F/x", "/a/.ferry/"};
    static const char *bad[] = {"", "album/", "//evil.example/", "/\\evil", "/a b/",
                                "http://evil/", "/a?b", "/a#b", "/%", "/%2", "/%zz",
                                "/a\r\nSet-Cookie:x", "/.ferry/pair", "/.ferry/", "/a:b",
                                "/a\"b", "/<x>"};
    char big[AUTH_RETURN_PATH_MAX + 2];

    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(auth_return_path_ok(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(auth_return_path_ok(bad[i]));
    assert_false(auth_return_path_ok(NULL));
    memset(big, 'a', sizeof big);
    big[0] = '/';
    big[AUTH_RETURN_PATH_MAX] = '\0';
    assert_true(auth_return_path_ok(big));
    big[AUTH_RETURN_PATH_MAX] = 'a';
    big[AUTH_RETURN_PATH_MAX + 1] = '\0';
    assert_false(auth_return_path_ok(big));
}

static void test_limited(void **state)
{
    (void)state;
    struct auth_summary s = base(FERRY_AUTH_PASSWORD);

    s.cred = AUTH_CRED_NONE;
    s.wait_s = 4;
    assert_int_equal(auth_decide(&s), AUTH_DENY_LIMITED);
    assert_int_equal(auth_verdict_status(AUTH_DENY_LIMITED), 429);
    s.host_ok = 0; /* the Host check comes first */
    assert_int_equal(auth_decide(&s), AUTH_DENY_HOST);
}

static void test_host(void **state)
{
    (void)state;
    const char *names[] = {"localhost", "hal", "hal.local", "hal.example.org"};
#define H(s) auth_host_ok(s, strlen(s), names, 4)

    assert_true(auth_host_ok(NULL, 0, names, 4));
    assert_true(H("127.0.0.1:8731"));
    assert_true(H("192.168.1.20"));
    assert_true(H("[::1]:8731"));
    assert_true(H("[fe80::1]"));
    assert_true(H("localhost:1"));
    assert_true(H("HAL.Local:8731"));
    assert_true(H("hal.local."));
    assert_true(H("hal.example.org"));
    assert_false(H("evil.example"));
    assert_false(H("evil.example:8731"));
    assert_false(H("hal.local.evil.example"));
    assert_false(H("127.0.0.1.evil.example"));
    assert_false(H("localhost.evil"));
    assert_false(H("[::1"));
    assert_false(H("[::1]x"));
    assert_false(H("[evil]"));
    assert_false(H(""));
    assert_false(H(":80"));
    assert_false(H("a:b:c"));
    assert_false(auth_host_ok("hal\0x", 5, names, 4));
#undef H
}

static void test_form(void **state)
{
    (void)state;
    char out[16];
    size_t len;
    const char *b = "user=x&password=a%20b+c%2B%26&z=1";

    assert_int_equal(auth_form_field(b, strlen(b), "password", out, sizeof out, &len), 0);
    assert_string_equal(out, "a b c+&");
    assert_int_equal(len, 7);
    assert_int_equal(auth_form_field(b, strlen(b), "pass", out, sizeof out, &len),
                     AUTH_PARSE_EABSENT);
    assert_int_equal(auth_form_field("password=%4", 11, "password", out, sizeof out, &len),
                     AUTH_PARSE_EMALFORMED);
    assert_int_equal(auth_form_field("password=%zz", 12, "password", out, sizeof out, &len),
                     AUTH_PARSE_EMALFORMED);
    assert_int_equal(auth_form_field("password=0123456789abcdefXYZ", 28, "password", out,
                                     sizeof out, &len),
                     AUTH_PARSE_ETOOLONG);
    assert_int_equal(auth_form_field("password=", 9, "password", out, sizeof out, &len), 0);
    assert_int_equal(len, 0);
    /* the body is not NUL-terminated: a field cut at len */
    assert_int_equal(auth_form_field("password=abcdef", 12, "password", out, sizeof out, &len),
                     0);
    assert_string_equal(out, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unauthenticated), cmocka_unit_test(test_open_mode),
        cmocka_unit_test(test_csrf),            cmocka_unit_test(test_read_only),
        cmocka_unit_test(test_limited),         cmocka_unit_test(test_host),
        cmocka_unit_test(test_form),            cmocka_unit_test(test_ro_may_write),
        cmocka_unit_test(test_return_path),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
