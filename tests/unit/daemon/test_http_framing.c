/*
 * test_http_framing.c — unit tests for daemon/http/http-framing.c: the verdict
 * on the framing header fields of a request, field by field as MHD hands
 * them over (duplicates included).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http-framing.h"

/* The verdict on `version` and the NULL-terminated name, value pairs. */
static const char *verdict(const char *version, ...)
{
    struct framing f;
    va_list ap;
    const char *name;

    framing_init(&f);
    va_start(ap, version);
    while ((name = va_arg(ap, const char *)) != NULL)
        framing_add(&f, name, va_arg(ap, const char *));
    va_end(ap);
    return framing_verdict(&f, version);
}

#define V11 MHD_HTTP_VERSION_1_1
#define V10 MHD_HTTP_VERSION_1_0
#define H "Host", "127.0.0.1:8080"

static void test_sound(void **state)
{
    (void)state;
    assert_null(verdict(V11, H, NULL));
    assert_null(verdict(V11, H, "Content-Length", "5", NULL));
    assert_null(verdict(V11, H, "content-length", "5", "CONTENT-LENGTH", "5", NULL));
    assert_null(verdict(V11, H, "Content-Length", "5, 5", NULL));
    assert_null(verdict(V11, H, "Content-Length", "0", NULL));
    assert_null(verdict(V11, H, "Content-Length", "007", "Content-Length", "7", NULL));
    assert_null(verdict(V11, H, "Transfer-Encoding", "chunked", NULL));
    assert_null(verdict(V10, NULL));          /* HTTP/1.0 needs no Host */
    assert_null(verdict(V11, "Accept", "*/*", H, "X-Host", "a", NULL));
}

static void test_content_length(void **state)
{
    (void)state;
    assert_non_null(strstr(verdict(V11, H, "Content-Length", "3", "Content-Length", "5",
                                   NULL), "Content-Length"));
    assert_non_null(verdict(V11, H, "Content-Length", "3, 5", NULL));
    assert_non_null(verdict(V11, H, "Content-Length", "3", "Content-Length", "3, 5", NULL));
    assert_non_null(verdict(V11, H, "Content-Length", "-1", NULL));
    assert_non_null(verdict(V11, H, "Content-Length", "", NULL));
    assert_non_null(verdict(V11, H, "Content-Length", NULL, NULL));
    assert_non_null(verdict(V11, H, "Content-Length", "5x", NULL));
    assert_non_null(verdict(V11, H, "Content-Length", "0x5", NULL));
    assert_non_null(verdict(V11, H, "Content-Length", "5,", NULL));
    assert_non_null(verdict(V11, H, "Content-Length", "99999999999999999999999", NULL));
    assert_non_null(verdict(V10, "Content-Length", "1", "Content-Length", "2", NULL));
}

static void test_transfer_encoding(void **state)
{
    (void)state;
    assert_non_null(strstr(verdict(V11, H, "Content-Length", "3", "Transfer-Encoding",
                                   "chunked", NULL), "Transfer-Encoding"));
    assert_non_null(verdict(V11, H, "Transfer-Encoding", "chunked", "Content-Length", "3",
                            NULL));
    assert_non_null(verdict(V10, "transfer-encoding", "chunked", "content-length", "3",
                            NULL));
}

static void test_host(void **state)
{
    (void)state;
    assert_non_null(strstr(verdict(V11, NULL), "Host"));
    assert_non_null(verdict(V11, H, "host", "other.example", NULL));
    assert_non_null(verdict(V10, H, H, NULL));
    assert_non_null(verdict(V11, "Accept", "*/*", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sound),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_transfer_encoding),
        cmocka_unit_test(test_host),
    };

    return cmocka_run_group_tests_name("http_framing", tests, NULL, NULL);
}
