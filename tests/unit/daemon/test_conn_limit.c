/*
 * test_conn_limit.c — unit tests of ferry's connection caps
 * (daemon/http/conn-limit.c): the total and per-address caps (IPv4, whole IPv6
 * addresses), holders (a TLS connection's front end and libmicrohttpd), an
 * fd given again meaning the old connection is gone, a failed handover
 * that must not release a number given again since, the quiet callback
 * after a burst, and the limit given to libmicrohttpd.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conn-limit.h"

static struct sockaddr_storage v4(const char *a)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;

    memset(&ss, 0, sizeof ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(40000);
    assert_int_equal(inet_pton(AF_INET, a, &in->sin_addr), 1);
    return ss;
}

static struct sockaddr_storage v6(const char *a)
{
    struct sockaddr_storage ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

    memset(&ss, 0, sizeof ss);
    in6->sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, a, &in6->sin6_addr), 1);
    return ss;
}

static int admit(struct conn_limit *l, struct sockaddr_storage ss, uint32_t *t)
{
    return climit_admit(l, (struct sockaddr *)&ss,
                        ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                                : sizeof(struct sockaddr_in6), t);
}

static void test_caps(void **state)
{
    struct conn_limit *l;
    uint32_t t[8], x;

    (void)state;
    assert_int_equal(climit_new(5, 2, NULL, NULL, &l), 0);
    assert_int_equal(admit(l, v4("10.0.0.1"), &t[0]), 0);
    assert_int_equal(admit(l, v4("10.0.0.1"), &t[1]), 0);
    assert_int_equal(admit(l, v4("10.0.0.1"), &x), CLIMIT_PER_ADDR);
    assert_int_equal(admit(l, v4("10.0.0.2"), &t[2]), 0);
    /* whole IPv6 addresses: two of one /64 are two addresses */
    assert_int_equal(admit(l, v6("fd00:1::1"), &t[3]), 0);
    assert_int_equal(admit(l, v6("fd00:1::2"), &t[4]), 0);
    assert_int_equal(climit_count(l), 5);
    assert_int_equal(admit(l, v6("fd00:1::3"), &x), CLIMIT_TOTAL);
    climit_release(l, t[0]);
    assert_int_equal(climit_count(l), 4);
    assert_int_equal(admit(l, v4("10.0.0.1"), &t[0]), 0);
    for (int i = 0; i < 5; i++)
        climit_release(l, t[i]);
    assert_int_equal(climit_count(l), 0);
    climit_release(l, t[0]); /* a second release is ignored */
    assert_int_equal(climit_count(l), 0);
    climit_free(l);
}

static void test_holders_and_fds(void **state)
{
    struct conn_limit *l;
    uint32_t a, b, c;
    uint64_t serial;

    (void)state;
    assert_int_equal(climit_new(10, 10, NULL, NULL, &l), 0);
    /* TLS: the front end holds, libmicrohttpd holds its end (fd 7) */
    assert_int_equal(admit(l, v4("10.0.0.1"), &a), 0);
    climit_hold(l, a);
    climit_give_fd(l, a, 7);
    climit_release(l, a); /* the front end is done */
    assert_int_equal(climit_count(l), 1);
    climit_fd_closed(l, 7); /* libmicrohttpd too */
    assert_int_equal(climit_count(l), 0);
    climit_fd_closed(l, 7); /* nothing is given with 7 any more */
    assert_int_equal(climit_count(l), 0);

    /* a connection dropped without a notice: its fd number comes again */
    assert_int_equal(admit(l, v4("10.0.0.1"), &a), 0);
    climit_give_fd(l, a, 9);
    assert_int_equal(admit(l, v4("10.0.0.2"), &b), 0);
    climit_give_fd(l, b, 9);
    assert_int_equal(climit_count(l), 1);
    climit_fd_closed(l, 9);
    assert_int_equal(climit_count(l), 0);

    /* a failed handover whose number was given again meanwhile */
    assert_int_equal(admit(l, v4("10.0.0.1"), &a), 0);
    serial = climit_give_fd(l, a, 300); /* grows the table */
    assert_int_equal(admit(l, v4("10.0.0.2"), &c), 0);
    climit_give_fd(l, c, 300);           /* releases a's */
    climit_fd_failed(l, 300, serial);    /* must not release c's */
    assert_int_equal(climit_count(l), 1);
    climit_fd_closed(l, 300);
    assert_int_equal(climit_count(l), 0);
    climit_free(l);
}

static int quiet_calls;

static void on_quiet(void *user)
{
    (void)user;
    quiet_calls++;
}

static void test_quiet(void **state)
{
    struct conn_limit *l;
    uint32_t t[64];
    char a[32];

    (void)state;
    assert_int_equal(climit_new(64, 64, on_quiet, NULL, &l), 0);
    for (int i = 0; i < 40; i++) {
        snprintf(a, sizeof a, "10.0.%d.%d", i / 200, i % 200 + 1);
        assert_int_equal(admit(l, v4(a), &t[i]), 0);
    }
    for (int i = 0; i < 29; i++)
        climit_release(l, t[i]);
    assert_int_equal(quiet_calls, 0); /* 11 left of 40: not yet a quarter */
    climit_release(l, t[29]);
    assert_int_equal(quiet_calls, 1); /* 10 = 40 / 4 */
    for (int i = 30; i < 40; i++)
        climit_release(l, t[i]);
    assert_int_equal(quiet_calls, 1); /* a peak of 10 is no burst */
    climit_free(l);
}

static void test_mhd_limit(void **state)
{
    (void)state;
    /* every connection may go to one worker: each worker's share must
     * hold them all */
    assert_true(climit_mhd_limit(1024, 2) / 2 > 1024 + 2);
    assert_true(climit_mhd_limit(1024, 1) > 1024 + 1);
    assert_true(climit_mhd_limit(16, 0) > 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_holders_and_fds),
        cmocka_unit_test(test_quiet),
        cmocka_unit_test(test_mhd_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
