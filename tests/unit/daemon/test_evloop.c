/*
 * test_evloop.c — unit tests of the event loop backend this build chose
 * (daemon/evloop-<epoll|kqueue|poll>.c, --with-event-loop): readiness with
 * the caller's data, changing and removing interest, timeouts, wake-ups from
 * another thread (coalesced), a peer's half-close, and a few hundred fds
 * added and removed in a scattered order (the poll backend's slot table).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "evloop.h"

#define MANY 300

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits once (at most 2 s) and returns the events for data, or 0. */
static unsigned events_for(struct evloop *l, void *data, int *n_out)
{
    struct evl_event evs[8];
    unsigned e = 0;
    int n = evl_wait(l, evs, 8, 2000);

    assert_true(n >= 0);
    for (int i = 0; i < n; i++)
        if (evs[i].data == data)
            e |= evs[i].events;
    if (n_out)
        *n_out = n;
    return e;
}

static void readiness(void **state)
{
    struct evloop *l;
    struct evl_event evs[8];
    int sv[2], n, tag;
    int64_t t0;

    (void)state;
    printf("# backend: %s\n", evl_backend());
    assert_int_equal(evl_new(&l), 0);
    assert_int_equal(compat_socketpair_nb(sv), 0);
    assert_int_equal(evl_set(l, sv[0], 0, EVL_IN, &tag), 0);
    /* nothing to read: the wait times out */
    t0 = mono_ms();
    assert_int_equal(evl_wait(l, evs, 8, 100), 0);
    assert_true(mono_ms() - t0 >= 90);
    /* data: EVL_IN with our pointer, again and again while unread (level) */
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_true(events_for(l, &tag, NULL) & EVL_IN);
    assert_true(events_for(l, &tag, NULL) & EVL_IN);
    /* interest changed to EVL_OUT: writable, and no EVL_IN any more */
    assert_int_equal(evl_set(l, sv[0], EVL_IN, EVL_OUT, &tag), 0);
    n = 0;
    assert_int_equal(events_for(l, &tag, &n) & (EVL_IN | EVL_OUT), EVL_OUT);
    /* removed: nothing */
    assert_int_equal(evl_set(l, sv[0], EVL_OUT, 0, &tag), 0);
    assert_int_equal(evl_wait(l, evs, 8, 50), 0);
    /* the same fd can come back */
    assert_int_equal(evl_set(l, sv[0], 0, EVL_IN, &tag), 0);
    assert_true(events_for(l, &tag, NULL) & EVL_IN);
    assert_int_equal(evl_set(l, sv[0], EVL_IN, 0, &tag), 0);
    close(sv[0]);
    close(sv[1]);
    evl_free(l);
}

static void half_close(void **state)
{
    struct evloop *l;
    int sv[2], tag;
    char c;

    (void)state;
    assert_int_equal(evl_new(&l), 0);
    assert_int_equal(compat_socketpair_nb(sv), 0);
    assert_int_equal(evl_set(l, sv[0], 0, EVL_IN | EVL_RDHUP, &tag), 0);
    assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
    /* readable, and a read says end of stream */
    assert_true(events_for(l, &tag, NULL) & EVL_IN);
    assert_int_equal(read(sv[0], &c, 1), 0);
    /* the peer gone entirely: still reported (HUP and/or IN), never silent */
    close(sv[1]);
    assert_true(events_for(l, &tag, NULL) & (EVL_IN | EVL_HUP | EVL_ERR));
    assert_int_equal(evl_set(l, sv[0], EVL_IN | EVL_RDHUP, 0, &tag), 0);
    close(sv[0]);
    evl_free(l);
}

static void *wake_later(void *arg)
{
    struct timespec d = {.tv_sec = 0, .tv_nsec = 100 * 1000000};

    nanosleep(&d, NULL);
    evl_wake(arg);
    return NULL;
}

static void wake_ups(void **state)
{
    struct evloop *l;
    struct evl_event evs[8];
    pthread_t th;
    int64_t t0;
    int n;

    (void)state;
    assert_int_equal(evl_new(&l), 0);
    /* from another thread, into a wait with no limit */
    assert_int_equal(pthread_create(&th, NULL, wake_later, l), 0);
    t0 = mono_ms();
    n = evl_wait(l, evs, 8, -1);
    assert_int_equal(n, 1);
    assert_null(evs[0].data);
    assert_true(mono_ms() - t0 < 5000);
    pthread_join(th, NULL);
    /* consumed: the next wait times out */
    assert_int_equal(evl_wait(l, evs, 8, 50), 0);
    /* before the wait, and coalesced: three wakes are one event */
    evl_wake(l);
    evl_wake(l);
    evl_wake(l);
    n = evl_wait(l, evs, 8, 1000);
    assert_int_equal(n, 1);
    assert_null(evs[0].data);
    assert_int_equal(evl_wait(l, evs, 8, 50), 0);
    evl_free(l);
}

static void many_fds(void **state)
{
    static int sv[MANY][2];
    static int tags[MANY];
    static int seen[MANY];
    struct evloop *l;
    struct evl_event evs[64];
    int got = 0;

    (void)state;
    assert_int_equal(evl_new(&l), 0);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(compat_socketpair_nb(sv[i]), 0);
        tags[i] = i;
        assert_int_equal(evl_set(l, sv[i][0], 0, EVL_IN, &tags[i]), 0);
    }
    /* remove every third, scattered, then make every fd readable */
    for (int i = MANY - 1; i >= 0; i -= 3)
        assert_int_equal(evl_set(l, sv[i][0], EVL_IN, 0, &tags[i]), 0);
    for (int i = 0; i < MANY; i++)
        assert_int_equal(write(sv[i][1], "x", 1), 1);
    /* exactly the registered ones report, each with its own tag */
    for (int round = 0; round < 50 && got < MANY - MANY / 3; round++) {
        int n = evl_wait(l, evs, 64, 1000);

        assert_true(n > 0);
        for (int i = 0; i < n; i++) {
            int k = *(int *)evs[i].data;
            char c;

            assert_true(evs[i].events & EVL_IN);
            if ((MANY - 1 - k) % 3 == 0)
                fail_msg("fd %d was removed but reported", k);
            assert_int_equal(read(sv[k][0], &c, 1), 1); /* drained: level-triggered */
            if (!seen[k]++)
                got++;
        }
    }
    assert_int_equal(got, MANY - MANY / 3);
    assert_int_equal(evl_wait(l, evs, 64, 50), 0);
    for (int i = 0; i < MANY; i++) {
        if ((MANY - 1 - i) % 3 != 0)
            assert_int_equal(evl_set(l, sv[i][0], EVL_IN, 0, &tags[i]), 0);
        close(sv[i][0]);
        close(sv[i][1]);
    }
    evl_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(readiness),
        cmocka_unit_test(half_close),
        cmocka_unit_test(wake_ups),
        cmocka_unit_test(many_fds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
