/*
 * test_zip_ends.c — the ring of how ticketed zips ended (daemon/share/zip-ends.c):
 * an end is complete only when the stream sent the whole archive and the
 * request completed, whichever side lets go first; a cut is listed with its
 * bytes; at most ZIP_ENDS_MAX are listed, newest first; ends released from
 * many threads at once are all counted, none twice.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "zip-ends.h"

/* The array's entry i as "ticket:done:complete" in out (64 bytes). */
static void entry(json_t *a, size_t i, char *out)
{
    json_t *z = json_array_get(a, i);

    assert_non_null(z);
    snprintf(out, 64, "%s:%lld:%d", json_string_value(json_object_get(z, "ticket")),
             (long long)json_integer_value(json_object_get(z, "done")),
             json_is_true(json_object_get(z, "complete")));
}

static void test_either_order(void **state)
{
    struct zip_ends r;
    char s[64];
    json_t *a;

    (void)state;
    assert_int_equal(zip_ends_init(&r), 0);
    a = zip_ends_json(&r);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);

    struct zip_end *e = zip_end_new(&r, "whole-a"); /* stream first */
    zip_end_stream_done(e, 1000, 1);
    a = zip_ends_json(&r);
    assert_int_equal(json_array_size(a), 0); /* not until both let go */
    json_decref(a);
    zip_end_request_done(e, 1);
    e = zip_end_new(&r, "whole-b"); /* request first */
    zip_end_request_done(e, 1);
    zip_end_stream_done(e, 2000, 1);
    e = zip_end_new(&r, "cut"); /* the socket went away */
    zip_end_stream_done(e, 300, 0);
    zip_end_request_done(e, 0);
    e = zip_end_new(&r, "all-but-done"); /* whole archive, request not completed */
    zip_end_stream_done(e, 400, 1);
    zip_end_request_done(e, 0);
    zip_end_stream_done(NULL, 1, 1); /* NULL accepted */
    zip_end_request_done(NULL, 1);

    a = zip_ends_json(&r);
    assert_int_equal(json_array_size(a), 4);
    entry(a, 0, s);
    assert_string_equal(s, "all-but-done:400:0");
    entry(a, 1, s);
    assert_string_equal(s, "cut:300:0");
    entry(a, 2, s);
    assert_string_equal(s, "whole-b:2000:1");
    entry(a, 3, s);
    assert_string_equal(s, "whole-a:1000:1");
    json_decref(a);
    zip_ends_destroy(&r);
}

static void test_bounded(void **state)
{
    struct zip_ends r;
    char s[64], want[64];
    json_t *a;

    (void)state;
    assert_int_equal(zip_ends_init(&r), 0);
    for (int i = 0; i < 3 * ZIP_ENDS_MAX + 5; i++) {
        char t[16];
        struct zip_end *e;

        snprintf(t, sizeof t, "t%d", i);
        e = zip_end_new(&r, t);
        zip_end_stream_done(e, (uint64_t)i, 1);
        zip_end_request_done(e, 1);
    }
    a = zip_ends_json(&r);
    assert_int_equal(json_array_size(a), ZIP_ENDS_MAX);
    for (int k = 0; k < ZIP_ENDS_MAX; k++) {
        int i = 3 * ZIP_ENDS_MAX + 4 - k;

        entry(a, (size_t)k, s);
        snprintf(want, sizeof want, "t%d:%d:1", i, i);
        assert_string_equal(s, want);
    }
    json_decref(a);
    zip_ends_destroy(&r);
}

#define THREADS 8
#define PER_THREAD 2000

struct half {
    struct zip_end **ends;
    int stream; /* 1: this thread is the streams' side */
};

static void *release_half(void *arg)
{
    struct half *h = arg;

    for (int i = 0; i < PER_THREAD; i++) {
        if (h->stream)
            zip_end_stream_done(h->ends[i], 7, 1);
        else
            zip_end_request_done(h->ends[i], 1);
    }
    return NULL;
}

/* Each end released by two threads racing (ASan/TSan: no double free,
 * no lost end); the ring stays at its bound. */
static void test_threads(void **state)
{
    static struct zip_end *ends[THREADS / 2][PER_THREAD];
    struct half h[THREADS];
    pthread_t th[THREADS];
    struct zip_ends r;
    json_t *a;

    (void)state;
    assert_int_equal(zip_ends_init(&r), 0);
    for (int t = 0; t < THREADS / 2; t++)
        for (int i = 0; i < PER_THREAD; i++)
            assert_non_null(ends[t][i] = zip_end_new(&r, "x"));
    for (int t = 0; t < THREADS; t++) {
        h[t] = (struct half){.ends = ends[t / 2], .stream = t % 2};
        assert_int_equal(pthread_create(&th[t], NULL, release_half, &h[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    a = zip_ends_json(&r);
    assert_int_equal(json_array_size(a), ZIP_ENDS_MAX);
    for (size_t k = 0; k < ZIP_ENDS_MAX; k++) {
        char s[64];

        entry(a, k, s);
        assert_string_equal(s, "x:7:1");
    }
    json_decref(a);
    zip_ends_destroy(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_either_order),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
