/*
 * test_auth_limit.c — unit tests of the failed-attempt limiter
 * (daemon/auth/auth-limit.c) on a virtual clock: the back-off schedule, reset by
 * success, forgetting, keys (IPv4, IPv4-mapped, IPv6 address, other);
 * attempts reserved when they start (200 at once: 5 go), a token's success
 * that keeps failures, IPv6 neighbours never limited by one host, a /64
 * limited once 4 of its addresses fail (also at once), the table bounded
 * under 100,000 IPv6 addresses; 1,000
 * wrong passwords against one address while another logs in, the eviction
 * rule of a full table (and what it takes to push out one's own entry),
 * configuration errors, and several threads at once.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ferry.h"
#include "auth-limit.h"

#define S 1000ull /* one second, in ms */

/* A socket address of the text address (IPv4 or IPv6). */
static const struct sockaddr *addr(const char *text)
{
    static struct sockaddr_storage ss[8];
    static int k;
    struct sockaddr_storage *p = &ss[k++ % 8];

    memset(p, 0, sizeof *p);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)p;

        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(1234);
        assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)p;

        in->sin_family = AF_INET;
        in->sin_port = htons(1234);
        assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
    }
    return (const struct sockaddr *)p;
}

/* The address 10.x.y.z of number n. */
static const struct sockaddr *nth(unsigned n)
{
    char text[32];

    snprintf(text, sizeof text, "10.%u.%u.%u", (n >> 16) & 255, (n >> 8) & 255, n & 255);
    return addr(text);
}

static struct auth_limit *make(unsigned free_failures, unsigned max_delay_s,
                               unsigned forget_s, size_t slots)
{
    struct auth_limit_config cfg;
    struct auth_limit *lim = NULL;

    auth_limit_defaults(&cfg);
    cfg.free_failures = free_failures;
    cfg.max_delay_s = max_delay_s;
    cfg.forget_s = forget_s;
    cfg.slots = slots;
    cfg.seed = 0x1234;
    assert_int_equal(auth_limit_new(&cfg, &lim), 0);
    assert_non_null(lim);
    return lim;
}

static void test_defaults(void **state)
{
    struct auth_limit_config cfg;

    (void)state;
    auth_limit_defaults(&cfg);
    assert_int_equal(cfg.free_failures, 5);
    assert_int_equal(cfg.max_delay_s, 900);
    assert_int_equal(cfg.forget_s, 86400);
    assert_int_equal(cfg.slots, 4096);
}

/* The schedule: 5 free, then 1, 2, 4, ... 512, then 900 s for ever. */
static void test_backoff_sequence(void **state)
{
    static const unsigned want[] = {0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128,
                                    256, 512, 900, 900, 900, 900};
    struct auth_limit *lim = NULL;
    const struct sockaddr *a = addr("192.0.2.1");
    uint64_t now = 1000 * S;

    (void)state;
    assert_int_equal(auth_limit_new(NULL, &lim), 0);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        unsigned w;

        assert_int_equal(auth_limit_check(lim, a, now), 0);
        w = auth_limit_fail(lim, a, now);
        if (w != want[i])
            fail_msg("failure %zu: wait %u, want %u", i + 1, w, want[i]);
        assert_int_equal(auth_limit_check(lim, a, now), want[i]);
        if (want[i] > 0) {
            /* Rounded up; over exactly at the end of the wait. */
            assert_int_equal(auth_limit_check(lim, a, now + 1), want[i]);
            assert_int_equal(auth_limit_check(lim, a, now + want[i] * S - 1000), 1);
            assert_int_equal(auth_limit_check(lim, a, now + want[i] * S - 1), 1);
        }
        now += want[i] * S;
        assert_int_equal(auth_limit_check(lim, a, now), 0);
    }
    assert_int_equal(auth_limit_count(lim), 1);
    auth_limit_free(lim);
    auth_limit_free(NULL);
}

/* Refused attempts do not count; success resets; other keys are free. */
static void test_reset_and_isolation(void **state)
{
    struct auth_limit *lim = make(5, 900, 86400, 4096);
    const struct sockaddr *a = addr("192.0.2.1");
    uint64_t now = 5 * S;

    (void)state;
    for (int i = 0; i < 8; i++)
        auth_limit_fail(lim, a, now);
    assert_int_equal(auth_limit_check(lim, a, now), 4);
    for (int i = 0; i < 1000; i++)
        assert_true(auth_limit_check(lim, a, now + (uint64_t)i) >= 3);
    assert_int_equal(auth_limit_check(lim, a, now + 4 * S), 0);
    /* Neighbours are not slowed. */
    assert_int_equal(auth_limit_check(lim, addr("192.0.2.2"), now), 0);
    assert_int_equal(auth_limit_check(lim, addr("192.0.3.1"), now), 0);
    /* Success wipes the slate: five free failures again. */
    auth_limit_success(lim, a);
    assert_int_equal(auth_limit_count(lim), 0);
    assert_int_equal(auth_limit_check(lim, a, now), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(auth_limit_fail(lim, a, now), 0);
    assert_int_equal(auth_limit_fail(lim, a, now), 1);
    /* Success of a key not known changes nothing. */
    auth_limit_success(lim, addr("192.0.2.77"));
    assert_int_equal(auth_limit_count(lim), 1);
    auth_limit_free(lim);
}

/* A key without failures for forget_s starts afresh. */
static void test_forget(void **state)
{
    struct auth_limit *lim = make(2, 60, 3600, 16);
    const struct sockaddr *a = addr("192.0.2.1");
    uint64_t now = 10 * S;

    (void)state;
    for (int i = 0; i < 10; i++)
        auth_limit_fail(lim, a, now);
    assert_int_equal(auth_limit_check(lim, a, now), 60);
    /* Just before the forget time it is still counted ... */
    now += 3600 * S - 1;
    assert_int_equal(auth_limit_check(lim, a, now), 0);
    assert_int_equal(auth_limit_fail(lim, a, now), 60);
    /* ... and a failure restarts the forget time. */
    now += 3600 * S;
    assert_int_equal(auth_limit_fail(lim, a, now), 0); /* forgotten: 1st */
    assert_int_equal(auth_limit_fail(lim, a, now), 0); /* 2nd, free */
    assert_int_equal(auth_limit_fail(lim, a, now), 1); /* 3rd */
    /* check() drops a forgotten entry. */
    assert_int_equal(auth_limit_count(lim), 1);
    assert_int_equal(auth_limit_check(lim, a, now + 3600 * S), 0);
    assert_int_equal(auth_limit_count(lim), 0);
    auth_limit_free(lim);
}

/* What makes two addresses one key. */
static void test_keys(void **state)
{
    struct auth_limit *lim = make(0, 900, 86400, 64);
    struct sockaddr_un un;
    uint64_t now = S;

    (void)state;
    /* IPv6: an address is its own key; its /64 neighbours are others. */
    auth_limit_fail(lim, addr("2001:db8:1:2::1"), now);
    assert_int_equal(auth_limit_check(lim, addr("2001:db8:1:2:ffff:ffff:ffff:fffe"), now), 0);
    assert_int_equal(auth_limit_check(lim, addr("2001:db8:1:3::1"), now), 0);
    assert_int_equal(auth_limit_check(lim, addr("2001:db8:1:2::1"), now), 1);
    /* IPv4 and its mapped form are one key; the neighbour is another. */
    auth_limit_fail(lim, addr("192.0.2.9"), now);
    assert_int_equal(auth_limit_check(lim, addr("::ffff:192.0.2.9"), now), 1);
    assert_int_equal(auth_limit_check(lim, addr("::ffff:192.0.2.10"), now), 0);
    auth_limit_fail(lim, addr("::ffff:198.51.100.1"), now);
    assert_int_equal(auth_limit_check(lim, addr("198.51.100.1"), now), 1);
    /* An IPv4 key is not the IPv6 address that holds the same bytes. */
    assert_int_equal(auth_limit_check(lim, addr("::"), now), 0);
    assert_int_equal(auth_limit_check(lim, addr("c000:209::"), now), 0);
    /* Other families and NULL share one key. */
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    auth_limit_fail(lim, (const struct sockaddr *)&un, now);
    assert_int_equal(auth_limit_check(lim, NULL, now), 1);
    /* The IPv6 address, its /64, two IPv4 addresses, the other key. */
    assert_int_equal(auth_limit_count(lim), 5);
    auth_limit_free(lim);
}

/*
 * F3: 200 attempts begun at once from one address (headers in, bodies not
 * yet): the first 5 are reserved, the other 195 refused before anything is
 * checked, the right password among them too; once the 5 failed, one more
 * may go (then 1 s).
 */
static void test_concurrent_attempts(void **state)
{
    struct auth_limit *lim = NULL;
    const struct sockaddr *a = addr("192.0.2.50");
    uint64_t now = 10 * S;
    unsigned reserved = 0, refused = 0;

    (void)state;
    assert_int_equal(auth_limit_new(NULL, &lim), 0);
    for (int i = 0; i < 200; i++) {
        unsigned w = auth_limit_begin(lim, a, now);

        if (w == 0)
            reserved++;
        else
            refused++;
        if (w)
            assert_true(w >= 1);
    }
    assert_int_equal(reserved, 5);
    assert_int_equal(refused, 195);
    /* Another address is not slowed meanwhile. */
    assert_int_equal(auth_limit_begin(lim, addr("192.0.2.51"), now), 0);
    auth_limit_success(lim, addr("192.0.2.51"));
    /* The bodies come: all five wrong. */
    for (int i = 0; i < 5; i++)
        assert_int_equal(auth_limit_fail(lim, a, now + S), 0);
    assert_int_equal(auth_limit_begin(lim, a, now + S), 0);
    /* While the 6th is in flight, a 7th waits. */
    assert_true(auth_limit_begin(lim, a, now + S) >= 1);
    assert_int_equal(auth_limit_fail(lim, a, now + S), 1);
    assert_int_equal(auth_limit_begin(lim, a, now + S), 1);
    /* An attempt that checked nothing (the client left) gives its place
     * back: after the wait, one goes; cancelled, another may go. */
    assert_int_equal(auth_limit_begin(lim, a, now + 2 * S), 0);
    auth_limit_refund(lim, a);
    assert_int_equal(auth_limit_begin(lim, a, now + 2 * S), 0);
    auth_limit_success(lim, a);
    assert_int_equal(auth_limit_check(lim, a, now + 2 * S), 0);
    auth_limit_free(lim);
}

/*
 * A token's success gives back its reservation but keeps the failures, so
 * a guest with a read-only token cannot reset its count between password
 * guesses; the password's success forgets them.
 */
static void test_token_success_keeps_failures(void **state)
{
    struct auth_limit *lim = make(5, 900, 86400, 64);
    const struct sockaddr *a = addr("192.0.2.60");
    uint64_t now = 10 * S;

    (void)state;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5 && auth_limit_begin(lim, a, now) == 0; i++)
            auth_limit_fail(lim, a, now);
        /* the guest uses its token: no reset */
        if (auth_limit_begin(lim, a, now) == 0)
            auth_limit_refund(lim, a);
    }
    /* 5 free failures in all, the 6th made it wait. */
    assert_int_equal(auth_limit_check(lim, a, now), 1);
    now += 1 * S;
    assert_int_equal(auth_limit_begin(lim, a, now), 0);
    auth_limit_success(lim, a); /* the password */
    assert_int_equal(auth_limit_count(lim), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(auth_limit_begin(lim, a, now), 0);
        assert_int_equal(auth_limit_fail(lim, a, now), 0);
    }
    auth_limit_free(lim);
}

/* F6: one IPv6 host's failures never limit its /64 neighbours. */
static void test_ipv6_neighbours(void **state)
{
    struct auth_limit *lim = NULL;
    const struct sockaddr *bad = addr("fd00:1::3"), *other = addr("fd00:1::2");
    uint64_t now = 10 * S;

    (void)state;
    assert_int_equal(auth_limit_new(NULL, &lim), 0);
    for (int i = 0; i < 40; i++) {
        unsigned w = auth_limit_begin(lim, bad, now);

        if (w) {
            now += w * S;
            assert_int_equal(auth_limit_begin(lim, bad, now), 0);
        }
        auth_limit_fail(lim, bad, now);
        /* The neighbour is never made to wait. */
        assert_int_equal(auth_limit_begin(lim, other, now), 0);
        auth_limit_refund(lim, other);
    }
    assert_int_equal(auth_limit_check(lim, bad, now), 900);
    assert_int_equal(auth_limit_check(lim, other, now), 0);
    auth_limit_free(lim);
}

/*
 * Many addresses of one /64 failing make the /64 a key: 4 addresses with
 * their 5 free failures each use its quota of 20; the next failure makes
 * the whole /64 wait (1 s, 2 s, ...), other /64s and IPv4 not at all.
 */
static void test_ipv6_prefix_widens(void **state)
{
    struct auth_limit *lim = NULL;
    char text[64];
    uint64_t now = 10 * S;

    (void)state;
    assert_int_equal(auth_limit_new(NULL, &lim), 0);
    for (unsigned k = 1; k <= 4; k++) {
        snprintf(text, sizeof text, "fd00:1::%x", 0x100 + k);
        for (int i = 0; i < 5; i++) {
            assert_int_equal(auth_limit_begin(lim, addr(text), now), 0);
            assert_int_equal(auth_limit_fail(lim, addr(text), now), 0);
        }
    }
    /* Quota used, no wait yet: a fifth address fails once more ... */
    assert_int_equal(auth_limit_begin(lim, addr("fd00:1::105"), now), 0);
    assert_int_equal(auth_limit_fail(lim, addr("fd00:1::105"), now), 1);
    /* ... and the /64 waits, a fresh address of it too. */
    assert_int_equal(auth_limit_begin(lim, addr("fd00:1::9999"), now), 1);
    assert_int_equal(auth_limit_begin(lim, addr("fd00:2::1"), now), 0);
    auth_limit_refund(lim, addr("fd00:2::1"));
    assert_int_equal(auth_limit_begin(lim, addr("192.0.2.1"), now), 0);
    auth_limit_refund(lim, addr("192.0.2.1"));
    now += S;
    assert_int_equal(auth_limit_begin(lim, addr("fd00:1::9999"), now), 0);
    assert_int_equal(auth_limit_fail(lim, addr("fd00:1::9999"), now), 2);
    assert_int_equal(auth_limit_check(lim, addr("fd00:1::1"), now), 2);
    auth_limit_free(lim);

    /* Three addresses, however wrong, never limit the /64. */
    assert_int_equal(auth_limit_new(NULL, &lim), 0);
    now = 10 * S;
    for (unsigned k = 1; k <= 3; k++) {
        snprintf(text, sizeof text, "fd00:1::%x", 0x200 + k);
        for (int i = 0; i < 9; i++) { /* 27 failures in the /64 */
            unsigned w = auth_limit_begin(lim, addr(text), now);

            if (w) {
                now += w * S;
                assert_int_equal(auth_limit_begin(lim, addr(text), now), 0);
            }
            auth_limit_fail(lim, addr(text), now);
        }
    }
    assert_int_equal(auth_limit_begin(lim, addr("fd00:1::2"), now), 0);
    auth_limit_refund(lim, addr("fd00:1::2"));
    /* Trying addresses count while they try: a fourth limits. */
    assert_int_equal(auth_limit_begin(lim, addr("fd00:1::2"), now), 0);
    assert_true(auth_limit_begin(lim, addr("fd00:1::3"), now) >= 1);
    auth_limit_refund(lim, addr("fd00:1::2"));
    assert_int_equal(auth_limit_begin(lim, addr("fd00:1::3"), now), 0);
    auth_limit_refund(lim, addr("fd00:1::3"));
    auth_limit_free(lim);
}

/* 200 addresses of one /64 begin at once: at most the /64's quota (20)
 * are reserved. */
static void test_ipv6_concurrent_addresses(void **state)
{
    struct auth_limit *lim = NULL;
    char text[64];
    unsigned reserved = 0;

    (void)state;
    assert_int_equal(auth_limit_new(NULL, &lim), 0);
    for (unsigned k = 0; k < 200; k++) {
        snprintf(text, sizeof text, "fd00:1::%x:%x", k, k + 1);
        for (int i = 0; i < 5; i++)
            reserved += auth_limit_begin(lim, addr(text), 10 * S) == 0;
    }
    assert_true(reserved <= 20);
    printf("# 200 addresses x 5 attempts of one /64 at once: %u reserved\n", reserved);
    auth_limit_free(lim);
}

/* The table stays within its slots under 100,000 IPv6 addresses of one
 * /64, and the /64 keeps limiting (its entry waits longest). */
static void test_bounded_ipv6_flood(void **state)
{
    struct auth_limit *lim = make(5, 900, 86400, 256);
    char text[64];
    uint64_t now = 10 * S;
    unsigned checked = 0;

    (void)state;
    for (unsigned k = 0; k < 100000; k++) {
        snprintf(text, sizeof text, "fd00:7::%x:%x", k >> 16, k & 0xffff);
        if (auth_limit_begin(lim, addr(text), now) == 0) {
            checked++;
            auth_limit_fail(lim, addr(text), now);
        }
        if (k % 1000 == 999)
            now += S;
        assert_true(auth_limit_count(lim) <= 256);
    }
    printf("# 100000 addresses of one /64 over 100 s: %u checked\n", checked);
    assert_true(checked < 40);
    assert_true(auth_limit_check(lim, addr("fd00:7::beef"), now) >= 1);
    auth_limit_free(lim);
}

/*
 * 1,000 wrong passwords from one address, each made as soon as allowed,
 * while another client logs in now and then: the guesser needs about ten
 * days, the other client never waits, and the right password after the
 * back-off still works.
 */
static void test_thousand_wrong_passwords(void **state)
{
    struct auth_limit *lim = NULL;
    const struct sockaddr *bad = addr("192.0.2.66"), *good = addr("192.0.2.7");
    uint64_t now = 0, at_15 = 0;
    unsigned refused = 0;

    (void)state;
    assert_int_equal(auth_limit_new(NULL, &lim), 0);
    for (int i = 1; i <= 1000; i++) {
        unsigned w = auth_limit_check(lim, bad, now);

        if (w > 0) {
            /* A client retrying early is answered 429 and told to wait. */
            refused++;
            assert_int_equal(auth_limit_check(lim, bad, now + w * S), 0);
            now += w * S;
        }
        auth_limit_fail(lim, bad, now);
        if (i == 15)
            at_15 = now;
        /* The other client logs in without any wait. */
        if (i % 50 == 0) {
            assert_int_equal(auth_limit_check(lim, good, now), 0);
            auth_limit_success(lim, good);
        }
    }
    /* 5 free, then 1+2+...+512 s for failures 6-15, then 900 s each. */
    assert_int_equal(at_15, (1 + 2 + 4 + 8 + 16 + 32 + 64 + 128 + 256) * S);
    assert_int_equal(now, (1023ull + 984ull * 900ull) * S);
    assert_int_equal(refused, 1000 - 6);
    printf("# 1000 wrong passwords take %.1f days\n", (double)now / S / 86400);
    /* After the wait, the right password works and resets. */
    now += 900 * S;
    assert_int_equal(auth_limit_check(lim, bad, now), 0);
    auth_limit_success(lim, bad);
    assert_int_equal(auth_limit_check(lim, bad, now), 0);
    assert_int_equal(auth_limit_fail(lim, bad, now), 0);
    auth_limit_free(lim);
}

/* A full table evicts the entry whose wait ended first. */
static void test_eviction_rule(void **state)
{
    struct auth_limit *lim = make(1, 900, 86400, 8);
    uint64_t now = 100 * S;

    (void)state;
    /* Eight keys, each waiting; key 3 with the shortest wait. */
    for (unsigned k = 0; k < 8; k++) {
        unsigned fails = k == 3 ? 2 : 6; /* 1 s or 16 s */

        for (unsigned i = 0; i < fails; i++)
            auth_limit_fail(lim, nth(k), now);
    }
    assert_int_equal(auth_limit_count(lim), 8);
    assert_int_equal(auth_limit_check(lim, nth(3), now), 1);
    /* A ninth key fails: key 3 goes, nobody else. */
    assert_int_equal(auth_limit_fail(lim, nth(8), now), 0);
    assert_int_equal(auth_limit_count(lim), 8);
    assert_int_equal(auth_limit_check(lim, nth(3), now), 0);
    for (unsigned k = 0; k < 8; k++)
        if (k != 3)
            assert_int_equal(auth_limit_check(lim, nth(k), now), 16);
    auth_limit_free(lim);

    /* Among keys that are not waiting, the older last failure goes first. */
    lim = make(1, 900, 86400, 4);
    for (unsigned k = 0; k < 2; k++)
        for (int i = 0; i < 6; i++)
            auth_limit_fail(lim, nth(k), now);      /* waiting until 116 s */
    auth_limit_fail(lim, nth(10), now);             /* A: not waiting, 100 s */
    auth_limit_fail(lim, nth(11), now + S);         /* B: not waiting, 101 s */
    auth_limit_fail(lim, nth(12), now + 2 * S);     /* evicts A */
    assert_int_equal(auth_limit_count(lim), 4);
    assert_int_equal(auth_limit_fail(lim, nth(11), now + 3 * S), 1); /* B kept */
    assert_int_equal(auth_limit_check(lim, nth(0), now + 3 * S), 13);
    assert_int_equal(auth_limit_check(lim, nth(1), now + 3 * S), 13);
    auth_limit_free(lim);
}

/*
 * A guesser cannot push its own entry out cheaply: with 4096 slots, 4096
 * other keys must fail after its wait ended (4095 to fill the table, one
 * more to evict). With one key fewer its entry survives.
 */
static void test_eviction_cost(void **state)
{
    struct sockaddr_storage me_copy;
    const struct sockaddr *me = (const struct sockaddr *)&me_copy;

    (void)state;
    /* A copy: addr() and nth() reuse a ring of 8 buffers. */
    memcpy(&me_copy, addr("192.0.2.200"), sizeof me_copy);
    for (int extra = 0; extra < 2; extra++) {
        struct auth_limit *lim = NULL;
        uint64_t now = 1000 * S;
        unsigned others = 4094 + (unsigned)extra;

        assert_int_equal(auth_limit_new(NULL, &lim), 0);
        for (int i = 0; i < 12; i++)
            auth_limit_fail(lim, me, now);
        assert_int_equal(auth_limit_check(lim, me, now), 64);
        now += 64 * S;
        for (unsigned k = 0; k < others; k++)
            auth_limit_fail(lim, nth(k), now + 1);
        assert_int_equal(auth_limit_count(lim), others + 1);
        /* One more new key: the table is full only with 4095 others. */
        auth_limit_fail(lim, nth(others), now + 2);
        if (extra == 0) {
            /* Not evicted: the 13th failure waits 128 s. */
            assert_int_equal(auth_limit_fail(lim, me, now + 3), 128);
        } else {
            /* Evicted, after 4096 other keys failed: free failures again. */
            assert_int_equal(auth_limit_fail(lim, me, now + 3), 0);
        }
        auth_limit_free(lim);
    }
}

/* Legitimate clients with a typo or two go before waiting guessers. */
static void test_eviction_spares_waiting(void **state)
{
    struct auth_limit *lim = make(5, 900, 86400, 4);
    uint64_t now = 10 * S;

    (void)state;
    auth_limit_fail(lim, nth(100), now);                 /* a typo */
    for (unsigned k = 0; k < 3; k++)
        for (int i = 0; i < 20; i++)
            auth_limit_fail(lim, nth(k), now + 5 * S);   /* guessers */
    auth_limit_fail(lim, nth(200), now + 6 * S);        /* a new key */
    for (unsigned k = 0; k < 3; k++)
        assert_int_equal(auth_limit_check(lim, nth(k), now + 6 * S), 899);
    assert_int_equal(auth_limit_count(lim), 4);
    auth_limit_free(lim);
}

static void test_clock_backwards(void **state)
{
    struct auth_limit *lim = make(0, 900, 86400, 4);
    const struct sockaddr *a = addr("192.0.2.1");

    (void)state;
    for (int i = 0; i < 20; i++)
        auth_limit_fail(lim, a, 100000 * S);
    assert_int_equal(auth_limit_check(lim, a, 100000 * S), 900);
    assert_int_equal(auth_limit_check(lim, a, 50 * S), 900);
    auth_limit_free(lim);
}

static void test_bad_config(void **state)
{
    struct auth_limit_config cfg;
    struct auth_limit *lim = (struct auth_limit *)&cfg;

    (void)state;
    auth_limit_defaults(&cfg);
    cfg.slots = 0;
    assert_int_equal(auth_limit_new(&cfg, &lim), FERRY_EINVAL_CONFIG);
    assert_null(lim);
    auth_limit_defaults(&cfg);
    cfg.slots = (1u << 20) + 1;
    assert_int_equal(auth_limit_new(&cfg, &lim), FERRY_EINVAL_CONFIG);
    auth_limit_defaults(&cfg);
    cfg.max_delay_s = 0;
    assert_int_equal(auth_limit_new(&cfg, &lim), FERRY_EINVAL_CONFIG);
    auth_limit_defaults(&cfg);
    cfg.forget_s = cfg.max_delay_s - 1;
    assert_int_equal(auth_limit_new(&cfg, &lim), FERRY_EINVAL_CONFIG);
    auth_limit_defaults(&cfg);
    cfg.slots = 1;
    assert_int_equal(auth_limit_new(&cfg, &lim), 0);
    /* One slot: every new key evicts the last. */
    auth_limit_fail(lim, nth(1), S);
    auth_limit_fail(lim, nth(2), S);
    assert_int_equal(auth_limit_count(lim), 1);
    auth_limit_free(lim);
}

/* ------------------------------------------------------------ threads */

struct worker {
    struct auth_limit *lim;
    unsigned id;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    uint64_t x = 0x9e3779b97f4a7c15ull * (w->id + 1);

    for (unsigned i = 0; i < 20000; i++) {
        const struct sockaddr *a;
        struct sockaddr_in in;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memset(&in, 0, sizeof in);
        in.sin_family = AF_INET;
        in.sin_addr.s_addr = htonl(0x0a000000u | (uint32_t)(x % 300));
        a = (const struct sockaddr *)&in;
        switch (x >> 60 & 3) {
        case 0:
            auth_limit_success(w->lim, a);
            break;
        case 1:
            auth_limit_check(w->lim, a, i * 10ull);
            break;
        default:
            assert_true(auth_limit_fail(w->lim, a, i * 10ull) <= 900);
            break;
        }
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct auth_limit *lim = make(3, 900, 86400, 128);
    struct worker w[4];
    pthread_t t[4];

    (void)state;
    for (unsigned i = 0; i < 4; i++) {
        w[i].lim = lim;
        w[i].id = i;
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (unsigned i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_true(auth_limit_count(lim) <= 128);
    auth_limit_free(lim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_backoff_sequence),
        cmocka_unit_test(test_reset_and_isolation),
        cmocka_unit_test(test_forget),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_concurrent_attempts),
        cmocka_unit_test(test_token_success_keeps_failures),
        cmocka_unit_test(test_ipv6_neighbours),
        cmocka_unit_test(test_ipv6_prefix_widens),
        cmocka_unit_test(test_ipv6_concurrent_addresses),
        cmocka_unit_test(test_bounded_ipv6_flood),
        cmocka_unit_test(test_thousand_wrong_passwords),
        cmocka_unit_test(test_eviction_rule),
        cmocka_unit_test(test_eviction_cost),
        cmocka_unit_test(test_eviction_spares_waiting),
        cmocka_unit_test(test_clock_backwards),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
