/*
 * test_registry.c — unit tests of the transfer registry
 * (lifecycle/registry.c): open/close and the counts, was_idle, ids, the
 * restored set and its replacement by path and direction (and validator for
 * uploads), adding and forgetting single restored entries, snapshots,
 * unknown ids, bounded string copies, and four threads opening and closing
 * while a fifth takes snapshots.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

/* A transfer of `path` and `direction` with recognisable numbers. */
static ferry_transfer make(const char *path, enum ferry_direction direction)
{
    ferry_transfer t;

    memset(&t, 0, sizeof t);
    t.direction = direction;
    snprintf(t.path, sizeof t.path, "%s", path);
    snprintf(t.validator, sizeof t.validator, "\"v-%s\"", path);
    snprintf(t.peer, sizeof t.peer, "192.0.2.7:4242");
    t.first = 10;
    t.last = 99;
    t.total = 1000;
    t.started_ms = 1234;
    return t;
}

/* Opens `path`, checks success and returns the id; *was_idle if wanted. */
static uint64_t open_one(struct lc_registry *r, const char *path,
                         enum ferry_direction direction, int *was_idle)
{
    ferry_transfer t = make(path, direction);
    uint64_t id = 0;
    int idle = -1;

    assert_int_equal(lc_registry_open(r, &t, &id, &idle), 0);
    assert_true(id != 0);
    assert_true(idle == 0 || idle == 1);
    if (was_idle)
        *was_idle = idle;
    return id;
}

/* Snapshot helper: returns the list, checks NULL-ness against n. */
static ferry_transfer *snap(struct lc_registry *r, int with_restored, size_t *n)
{
    ferry_transfer *list = (ferry_transfer *)1;

    *n = 12345;
    assert_int_equal(lc_registry_snapshot(r, with_restored, &list, n), 0);
    if (*n == 0)
        assert_null(list);
    else
        assert_non_null(list);
    return list;
}

/* The entry of `list` with `id`, or NULL. */
static const ferry_transfer *find(const ferry_transfer *list, size_t n,
                                  uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].id == id)
            return &list[i];
    return NULL;
}

/* How many entries of `list` have `path`, `direction` and `restored`. */
static size_t count(const ferry_transfer *list, size_t n, const char *path,
                    enum ferry_direction direction, int restored)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].path, path) == 0 && list[i].direction == direction &&
            list[i].restored == restored)
            c++;
    return c;
}

static void test_new_empty_free(void **state)
{
    struct lc_registry *r = lc_registry_new();
    size_t n;

    (void)state;
    assert_non_null(r);
    assert_int_equal(lc_registry_open_count(r), 0);
    snap(r, 0, &n);
    assert_int_equal(n, 0);
    snap(r, 1, &n);
    assert_int_equal(n, 0);
    lc_registry_free(r);
    lc_registry_free(NULL);
}

static void test_open_close_counts(void **state)
{
    struct lc_registry *r = lc_registry_new();
    uint64_t a, b, c;
    int idle;

    (void)state;
    a = open_one(r, "/a", FERRY_DOWNLOAD, &idle);
    assert_int_equal(idle, 1);
    b = open_one(r, "/b", FERRY_DOWNLOAD, &idle);
    assert_int_equal(idle, 0);
    c = open_one(r, "/a", FERRY_DOWNLOAD, &idle); /* same file twice is fine */
    assert_int_equal(idle, 0);
    assert_true(a != b && b != c && a != c);
    assert_int_equal(lc_registry_open_count(r), 3);

    assert_int_equal(lc_registry_close(r, b), 2);
    assert_int_equal(lc_registry_close(r, b), -1); /* twice */
    assert_int_equal(lc_registry_open_count(r), 2);
    assert_int_equal(lc_registry_close(r, a), 1);
    assert_int_equal(lc_registry_close(r, c), 0);
    assert_int_equal(lc_registry_open_count(r), 0);
    lc_registry_free(r);
}

static void test_was_idle_transitions(void **state)
{
    struct lc_registry *r = lc_registry_new();
    int idle;
    uint64_t a, b;

    (void)state;
    for (int round = 0; round < 3; round++) {
        a = open_one(r, "/x", FERRY_UPLOAD, &idle);
        assert_int_equal(idle, 1);
        b = open_one(r, "/y", FERRY_UPLOAD, &idle);
        assert_int_equal(idle, 0);
        assert_int_equal(lc_registry_close(r, a), 1);
        /* one still open: the next open is not the first */
        a = open_one(r, "/z", FERRY_UPLOAD, &idle);
        assert_int_equal(idle, 0);
        assert_int_equal(lc_registry_close(r, b), 1);
        assert_int_equal(lc_registry_close(r, a), 0);
    }
    /* restored entries do not count as open */
    {
        ferry_transfer t = make("/r", FERRY_DOWNLOAD);

        assert_int_equal(lc_registry_set_restored(r, &t, 1), 0);
        a = open_one(r, "/other", FERRY_DOWNLOAD, &idle);
        assert_int_equal(idle, 1);
        assert_int_equal(lc_registry_close(r, a), 0);
    }
    lc_registry_free(r);
}

static void test_ids_unique_never_reused(void **state)
{
    struct lc_registry *r = lc_registry_new();
    uint64_t prev = 0, first;
    ferry_transfer rest[3];

    (void)state;
    first = open_one(r, "/f", FERRY_DOWNLOAD, NULL);
    assert_int_equal(first, 1); /* the counter starts at 1 */
    prev = first;
    assert_int_equal(lc_registry_close(r, first), 0);
    for (int i = 0; i < 2000; i++) {
        uint64_t id = open_one(r, "/f", FERRY_DOWNLOAD, NULL);

        assert_true(id > prev); /* never reused, never 0 */
        prev = id;
        if (i % 3 != 0)
            assert_true(lc_registry_close(r, id) >= 0);
    }
    /* restored entries take fresh ids as well, whatever the list says */
    for (int i = 0; i < 3; i++) {
        rest[i] = make("/rest", FERRY_UPLOAD);
        rest[i].id = (uint64_t)i + 1; /* collides with live ids */
    }
    assert_int_equal(lc_registry_set_restored(r, rest, 3), 0);
    {
        size_t n;
        ferry_transfer *list = snap(r, 1, &n);

        for (size_t i = 0; i < n; i++) {
            assert_true(list[i].id != 0);
            if (list[i].restored)
                assert_true(list[i].id > prev);
            for (size_t j = i + 1; j < n; j++)
                assert_true(list[i].id != list[j].id);
        }
        free(list);
    }
    lc_registry_free(r);
}

static void test_fields_copied_progress(void **state)
{
    struct lc_registry *r = lc_registry_new();
    ferry_transfer t = make("/file.bin", FERRY_UPLOAD);
    ferry_transfer *list;
    const ferry_transfer *e;
    uint64_t id;
    int idle;
    size_t n;

    (void)state;
    t.id = 777;       /* ignored */
    t.done = 555;     /* kept: a resumed upload starts with what it has */
    t.restored = 1;   /* ignored */
    assert_int_equal(lc_registry_open(r, &t, &id, &idle), 0);
    assert_true(id != 777);
    memset(&t, 0x5a, sizeof t); /* the registry keeps its own copy */
    list = snap(r, 0, &n);
    assert_int_equal(n, 1);
    e = &list[0];
    assert_int_equal(e->id, id);
    assert_int_equal(e->direction, FERRY_UPLOAD);
    assert_string_equal(e->path, "/file.bin");
    assert_string_equal(e->validator, "\"v-/file.bin\"");
    assert_string_equal(e->peer, "192.0.2.7:4242");
    assert_int_equal(e->first, 10);
    assert_int_equal(e->last, 99);
    assert_int_equal(e->done, 555);
    assert_int_equal(e->total, 1000);
    assert_int_equal(e->started_ms, 1234);
    assert_int_equal(e->restored, 0);
    free(list);

    lc_registry_progress(r, id, 42);
    lc_registry_progress(r, id + 1000, 99); /* unknown: ignored */
    lc_registry_progress(r, 0, 99);
    list = snap(r, 1, &n);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].done, 42);
    free(list);
    lc_registry_free(r);
}

static void test_unknown_ids(void **state)
{
    struct lc_registry *r = lc_registry_new();
    ferry_transfer t = make("/r", FERRY_DOWNLOAD);
    ferry_transfer *list;
    uint64_t id, rid = 0;
    size_t n;

    (void)state;
    assert_int_equal(lc_registry_close(r, 0), -1);
    assert_int_equal(lc_registry_close(r, 1), -1);
    assert_int_equal(lc_registry_close(r, UINT64_MAX), -1);
    lc_registry_progress(r, 1, 5); /* nothing to update, no crash */
    id = open_one(r, "/a", FERRY_DOWNLOAD, NULL);
    assert_int_equal(lc_registry_close(r, id + 1), -1);
    assert_int_equal(lc_registry_close(r, 0), -1);
    assert_int_equal(lc_registry_open_count(r), 1);

    /* a restored entry cannot be closed nor updated through its id */
    t.done = 17;
    assert_int_equal(lc_registry_set_restored(r, &t, 1), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        if (list[i].restored)
            rid = list[i].id;
    free(list);
    assert_true(rid != 0 && rid != id);
    assert_int_equal(lc_registry_close(r, rid), -1);
    lc_registry_progress(r, rid, 99);
    list = snap(r, 1, &n);
    assert_int_equal(n, 2);
    assert_int_equal(find(list, n, rid)->done, 17);
    free(list);
    assert_int_equal(lc_registry_close(r, id), 0);
    lc_registry_free(r);
}

static void test_restored_replaced_by_open(void **state)
{
    struct lc_registry *r = lc_registry_new();
    ferry_transfer rest[5];
    ferry_transfer *list;
    uint64_t id;
    int idle;
    size_t n;

    (void)state;
    rest[0] = make("/a", FERRY_DOWNLOAD);
    rest[1] = make("/a", FERRY_DOWNLOAD); /* a second segment (aria2 -x) */
    rest[2] = make("/a", FERRY_UPLOAD);
    rest[3] = make("/b", FERRY_DOWNLOAD);
    rest[4] = make("/a/", FERRY_DOWNLOAD);
    for (int i = 0; i < 5; i++) {
        rest[i].done = (uint64_t)i + 1;
        rest[i].restored = 0; /* set_restored marks them */
    }
    assert_int_equal(lc_registry_set_restored(r, rest, 5), 0);
    assert_int_equal(lc_registry_open_count(r), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(list[i].restored, 1);
    free(list);

    id = open_one(r, "/a", FERRY_DOWNLOAD, &idle);
    assert_int_equal(idle, 1);
    list = snap(r, 1, &n);
    assert_int_equal(n, 4); /* both /a downloads gone, the rest stays */
    assert_int_equal(count(list, n, "/a", FERRY_DOWNLOAD, 1), 0);
    assert_int_equal(count(list, n, "/a", FERRY_DOWNLOAD, 0), 1);
    assert_int_equal(count(list, n, "/a", FERRY_UPLOAD, 1), 1);
    assert_int_equal(count(list, n, "/b", FERRY_DOWNLOAD, 1), 1);
    assert_int_equal(count(list, n, "/a/", FERRY_DOWNLOAD, 1), 1);
    free(list);

    /* closing the resumed transfer does not bring the restored one back */
    assert_int_equal(lc_registry_close(r, id), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 3);
    free(list);

    /* the upload of /a is resumed too */
    id = open_one(r, "/a", FERRY_UPLOAD, NULL);
    list = snap(r, 1, &n);
    assert_int_equal(n, 3);
    assert_int_equal(count(list, n, "/a", FERRY_UPLOAD, 1), 0);
    assert_int_equal(count(list, n, "/a", FERRY_UPLOAD, 0), 1);
    free(list);
    assert_int_equal(lc_registry_close(r, id), 0);
    lc_registry_free(r);
}

static void test_set_restored_replaces_set(void **state)
{
    struct lc_registry *r = lc_registry_new();
    ferry_transfer rest[3];
    ferry_transfer *list;
    uint64_t id;
    size_t n;

    (void)state;
    rest[0] = make("/one", FERRY_DOWNLOAD);
    rest[1] = make("/two", FERRY_DOWNLOAD);
    rest[2] = make("/open", FERRY_UPLOAD);
    id = open_one(r, "/open", FERRY_UPLOAD, NULL);
    assert_int_equal(lc_registry_set_restored(r, rest, 3), 0);
    list = snap(r, 1, &n);
    /* /open is being transferred already: not restored */
    assert_int_equal(n, 3);
    assert_int_equal(count(list, n, "/open", FERRY_UPLOAD, 1), 0);
    assert_int_equal(count(list, n, "/one", FERRY_DOWNLOAD, 1), 1);
    free(list);

    /* a second call replaces the set, open transfers stay */
    assert_int_equal(lc_registry_set_restored(r, &rest[1], 1), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 2);
    assert_int_equal(count(list, n, "/two", FERRY_DOWNLOAD, 1), 1);
    assert_int_equal(count(list, n, "/open", FERRY_UPLOAD, 0), 1);
    free(list);

    /* an empty set clears it */
    assert_int_equal(lc_registry_set_restored(r, NULL, 0), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, id);
    free(list);
    assert_int_equal(lc_registry_open_count(r), 1);
    lc_registry_free(r);
}

static void test_snapshot_with_without_restored(void **state)
{
    struct lc_registry *r = lc_registry_new();
    ferry_transfer rest[2];
    ferry_transfer *list;
    uint64_t ids[3];
    size_t n;

    (void)state;
    rest[0] = make("/r0", FERRY_DOWNLOAD);
    rest[1] = make("/r1", FERRY_UPLOAD);
    assert_int_equal(lc_registry_set_restored(r, rest, 2), 0);
    list = snap(r, 0, &n);
    assert_int_equal(n, 0); /* only restored: nothing open */
    list = snap(r, 1, &n);
    assert_int_equal(n, 2);
    free(list);
    for (int i = 0; i < 3; i++) {
        char p[16];

        snprintf(p, sizeof p, "/o%d", i);
        ids[i] = open_one(r, p, FERRY_DOWNLOAD, NULL);
    }
    list = snap(r, 0, &n);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        assert_non_null(find(list, n, ids[i]));
        assert_int_equal(find(list, n, ids[i])->restored, 0);
    }
    free(list);
    list = snap(r, 1, &n);
    assert_int_equal(n, 5);
    assert_int_equal(count(list, n, "/r0", FERRY_DOWNLOAD, 1), 1);
    assert_int_equal(count(list, n, "/r1", FERRY_UPLOAD, 1), 1);
    free(list);
    /* a snapshot is a copy: closing afterwards does not change it */
    list = snap(r, 0, &n);
    assert_int_equal(lc_registry_close(r, ids[1]), 2);
    assert_int_equal(n, 3);
    assert_non_null(find(list, n, ids[1]));
    free(list);
    lc_registry_free(r);
}

/* Fills the field f of size cap with `byte`, no NUL anywhere. */
#define FILL(f, byte) memset((f), (byte), sizeof(f))

static void test_truncation(void **state)
{
    struct lc_registry *r = lc_registry_new();
    ferry_transfer t, *list;
    uint64_t id;
    int idle;
    size_t n;

    (void)state;
    /* unterminated fields: cut to size - 1 bytes, NUL-terminated */
    memset(&t, 0, sizeof t);
    FILL(t.path, 'p');
    FILL(t.validator, 'v');
    FILL(t.peer, 'a');
    assert_int_equal(lc_registry_open(r, &t, &id, &idle), 0);
    list = snap(r, 0, &n);
    assert_int_equal(n, 1);
    assert_int_equal(strlen(list[0].path), sizeof t.path - 1);
    assert_int_equal(strlen(list[0].validator), sizeof t.validator - 1);
    assert_int_equal(strlen(list[0].peer), sizeof t.peer - 1);
    assert_int_equal(list[0].path[0], 'p');
    free(list);
    assert_int_equal(lc_registry_close(r, id), 0);

    /* a 2-byte character across the cut is left out whole */
    memset(&t, 0, sizeof t);
    memset(t.path, 'a', sizeof t.path - 2);
    t.path[sizeof t.path - 2] = (char)0xc3; /* é = c3 a9 */
    t.path[sizeof t.path - 1] = (char)0xa9;
    /* a 4-byte character (U+1F600) cut after 2 bytes */
    memset(t.peer, 'b', sizeof t.peer);
    memcpy(t.peer + sizeof t.peer - 3, "\xf0\x9f\x98", 3);
    /* a 2-byte character that ends exactly at size - 1 stays */
    memset(t.validator, 'c', sizeof t.validator - 3);
    memcpy(t.validator + sizeof t.validator - 3, "\xc3\xa9", 2);
    t.validator[sizeof t.validator - 1] = 'X'; /* no NUL, X is cut */
    assert_int_equal(lc_registry_open(r, &t, &id, &idle), 0);
    list = snap(r, 0, &n);
    assert_int_equal(n, 1);
    assert_int_equal(strlen(list[0].path), sizeof t.path - 2);
    assert_int_equal(strlen(list[0].peer), sizeof t.peer - 3);
    assert_int_equal(strlen(list[0].validator), sizeof t.validator - 1);
    assert_memory_equal(list[0].validator + sizeof t.validator - 3, "\xc3\xa9", 2);
    free(list);
    assert_int_equal(lc_registry_close(r, id), 0);

    /* restored entries are copied the same way, and the replacement rule
     * compares the truncated paths */
    memset(&t, 0, sizeof t);
    FILL(t.path, 'q');
    assert_int_equal(lc_registry_set_restored(r, &t, 1), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 1);
    assert_int_equal(strlen(list[0].path), sizeof t.path - 1);
    free(list);
    assert_int_equal(lc_registry_open(r, &t, &id, &idle), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].restored, 0);
    free(list);
    lc_registry_free(r);
}

static void test_many_entries_grow_shrink(void **state)
{
    struct lc_registry *r = lc_registry_new();
    enum { N = 5000 };
    uint64_t *ids = malloc(N * sizeof *ids);
    ferry_transfer *list;
    size_t n;

    (void)state;
    assert_non_null(ids);
    for (int i = 0; i < N; i++) {
        char p[32];

        snprintf(p, sizeof p, "/f%d", i);
        ids[i] = open_one(r, p, i % 2 ? FERRY_UPLOAD : FERRY_DOWNLOAD, NULL);
    }
    assert_int_equal(lc_registry_open_count(r), N);
    for (int i = 0; i < N; i += 2)
        lc_registry_progress(r, ids[i], (uint64_t)i);
    list = snap(r, 0, &n);
    assert_int_equal(n, N);
    for (int i = 0; i < N; i++) {
        const ferry_transfer *e = find(list, n, ids[i]);
        char p[32];

        snprintf(p, sizeof p, "/f%d", i);
        assert_non_null(e);
        assert_string_equal(e->path, p);
        assert_int_equal(e->done, i % 2 ? 0 : (uint64_t)i);
    }
    free(list);
    /* close every other one from the end, then the rest from the start */
    for (int i = N - 1; i >= 0; i -= 2)
        assert_true(lc_registry_close(r, ids[i]) >= 0);
    for (int i = 0; i < N; i += 2)
        assert_true(lc_registry_close(r, ids[i]) >= 0);
    assert_int_equal(lc_registry_open_count(r), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 0);
    free(ids);
    lc_registry_free(r);
}

/* ------------------------------------------------------------ threads */

enum { THREADS = 4, PER_THREAD = 10000, BATCH = 4, RESTORED = 5 };

struct worker {
    struct lc_registry *r;
    int index;
    uint64_t ids[PER_THREAD];
    int errors;
};

static atomic_int workers_left;

/* Opens and closes PER_THREAD transfers, BATCH at a time. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;

    for (int i = 0; i < PER_THREAD; i += BATCH) {
        for (int k = 0; k < BATCH; k++) {
            ferry_transfer t = make("/stress", (enum ferry_direction)(k % 2));
            int idle;

            snprintf(t.peer, sizeof t.peer, "thread %d", w->index);
            if (lc_registry_open(w->r, &t, &w->ids[i + k], &idle) != 0 ||
                w->ids[i + k] == 0)
                w->errors++;
            lc_registry_progress(w->r, w->ids[i + k], (uint64_t)i);
        }
        for (int k = 0; k < BATCH; k++) {
            int left = lc_registry_close(w->r, w->ids[i + k]);

            if (left < 0 || left > THREADS * BATCH)
                w->errors++;
        }
    }
    atomic_fetch_sub(&workers_left, 1);
    return NULL;
}

struct snapper {
    struct lc_registry *r;
    unsigned snapshots;
    int errors;
};

/* Takes snapshots until every worker is done, checking each. */
static void *snapper_main(void *arg)
{
    struct snapper *s = arg;

    while (atomic_load(&workers_left) > 0) {
        ferry_transfer *list;
        size_t n, restored = 0;
        int with = (int)(s->snapshots % 2);

        if (lc_registry_snapshot(s->r, with, &list, &n) != 0) {
            s->errors++;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            if (list[i].restored)
                restored++;
            else if (strcmp(list[i].path, "/stress") != 0 || list[i].id == 0)
                s->errors++;
        }
        if (n - restored > THREADS * BATCH || restored != (with ? RESTORED : 0))
            s->errors++;
        (void)lc_registry_open_count(s->r);
        free(list);
        s->snapshots++;
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static void test_threads(void **state)
{
    struct lc_registry *r = lc_registry_new();
    struct worker *w = calloc(THREADS, sizeof *w);
    struct snapper s = {.r = r};
    ferry_transfer rest[RESTORED];
    pthread_t tw[THREADS], ts;
    uint64_t *all;
    ferry_transfer *list;
    size_t n;

    (void)state;
    assert_non_null(w);
    for (int i = 0; i < RESTORED; i++) {
        char p[16];

        snprintf(p, sizeof p, "/kept%d", i); /* never resumed */
        rest[i] = make(p, FERRY_DOWNLOAD);
    }
    assert_int_equal(lc_registry_set_restored(r, rest, RESTORED), 0);
    atomic_store(&workers_left, THREADS);
    for (int i = 0; i < THREADS; i++) {
        w[i].r = r;
        w[i].index = i;
        assert_int_equal(pthread_create(&tw[i], NULL, worker_main, &w[i]), 0);
    }
    assert_int_equal(pthread_create(&ts, NULL, snapper_main, &s), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(tw[i], NULL), 0);
    assert_int_equal(pthread_join(ts, NULL), 0);

    for (int i = 0; i < THREADS; i++)
        assert_int_equal(w[i].errors, 0);
    assert_int_equal(s.errors, 0);
    assert_int_equal(lc_registry_open_count(r), 0);
    list = snap(r, 0, &n);
    assert_int_equal(n, 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, RESTORED);
    free(list);

    /* every id handed out was distinct */
    all = malloc(sizeof(uint64_t) * THREADS * PER_THREAD);
    assert_non_null(all);
    for (int i = 0; i < THREADS; i++)
        memcpy(all + (size_t)i * PER_THREAD, w[i].ids, sizeof w[i].ids);
    qsort(all, THREADS * PER_THREAD, sizeof *all, cmp_u64);
    assert_true(all[0] != 0);
    for (size_t i = 1; i < THREADS * PER_THREAD; i++)
        assert_true(all[i] != all[i - 1]);
    printf("# %d threads x %d transfers, %u snapshots taken meanwhile\n",
           THREADS, PER_THREAD, s.snapshots);
    free(all);
    free(w);
    lc_registry_free(r);
}

/* An upload of `path` whose validator names it ("tus:<name>"). */
static ferry_transfer upload_of(const char *path, const char *name)
{
    ferry_transfer t = make(path, FERRY_UPLOAD);

    snprintf(t.validator, sizeof t.validator, "tus:%s", name);
    return t;
}

/* How many entries of `list` have `validator` and `restored`. */
static size_t count_validator(const ferry_transfer *list, size_t n, const char *validator,
                              int restored)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].validator, validator) == 0 && list[i].restored == restored)
            c++;
    return c;
}

/* Two resumable uploads to one target are two transfers: opening,
 * interrupting or restoring one never evicts the other; downloads still
 * match on direction and path alone. */
static void test_uploads_matched_by_validator(void **state)
{
    struct lc_registry *r = lc_registry_new();
    ferry_transfer rest[3], a = upload_of("/t.bin", "a"), b = upload_of("/t.bin", "b");
    ferry_transfer dl = make("/t.bin", FERRY_DOWNLOAD), *list;
    uint64_t ida, idb;
    int idle;
    size_t n;

    (void)state;
    rest[0] = a;
    rest[1] = b;
    rest[2] = dl;
    assert_int_equal(lc_registry_set_restored(r, rest, 3), 0);

    /* resuming "a" drops a's restored entry only */
    assert_int_equal(lc_registry_open(r, &a, &ida, &idle), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 3);
    assert_int_equal(count_validator(list, n, "tus:a", 1), 0);
    assert_int_equal(count_validator(list, n, "tus:a", 0), 1);
    assert_int_equal(count_validator(list, n, "tus:b", 1), 1);
    assert_int_equal(count(list, n, "/t.bin", FERRY_DOWNLOAD, 1), 1);
    free(list);

    /* "b" is opened and cut too: both stay resumable */
    assert_int_equal(lc_registry_open(r, &b, &idb, &idle), 0);
    assert_int_equal(lc_registry_interrupt(r, ida), 1);
    assert_int_equal(lc_registry_interrupt(r, idb), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 3);
    assert_int_equal(count_validator(list, n, "tus:a", 1), 1);
    assert_int_equal(count_validator(list, n, "tus:b", 1), 1);
    free(list);

    /* a restore while "a" is open leaves out a's entry, keeps b's */
    assert_int_equal(lc_registry_open(r, &a, &ida, &idle), 0);
    assert_int_equal(lc_registry_set_restored(r, rest, 3), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 3);
    assert_int_equal(count_validator(list, n, "tus:a", 1), 0);
    assert_int_equal(count_validator(list, n, "tus:b", 1), 1);
    free(list);

    /* a download of the same path with another ETag still replaces */
    snprintf(dl.validator, sizeof dl.validator, "\"changed\"");
    assert_int_equal(lc_registry_open(r, &dl, &idb, &idle), 0);
    list = snap(r, 1, &n);
    assert_int_equal(count(list, n, "/t.bin", FERRY_DOWNLOAD, 1), 0);
    assert_int_equal(count(list, n, "/t.bin", FERRY_DOWNLOAD, 0), 1);
    free(list);
    assert_int_equal(lc_registry_close(r, idb), 1);
    assert_int_equal(lc_registry_close(r, ida), 0);
    lc_registry_free(r);
}

static void test_add_restored(void **state)
{
    struct lc_registry *r = lc_registry_new();
    ferry_transfer a = upload_of("/x", "a"), b = upload_of("/x", "b"), *list;
    uint64_t id;
    int idle;
    size_t n;

    (void)state;
    a.done = 77;
    a.restored = 0; /* set by the call */
    assert_int_equal(lc_registry_add_restored(r, &a), 0);
    assert_int_equal(lc_registry_open_count(r), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].restored, 1);
    assert_int_equal(list[0].done, 77);
    assert_int_equal(list[0].total, 1000);
    assert_string_equal(list[0].validator, "tus:a");
    assert_true(list[0].id != 0);
    id = list[0].id;
    free(list);

    /* the same upload again: nothing changes; another one is added */
    assert_int_equal(lc_registry_add_restored(r, &a), 1);
    assert_int_equal(lc_registry_add_restored(r, &b), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 2);
    assert_non_null(find(list, n, id));
    free(list);

    /* restored entries leave by close/interrupt only as open ones */
    assert_int_equal(lc_registry_close(r, id), -1);
    assert_int_equal(lc_registry_interrupt(r, id), -1);

    /* an open upload is there already: not added */
    assert_int_equal(lc_registry_forget(r, &a), 1);
    assert_int_equal(lc_registry_open(r, &a, &id, &idle), 0);
    assert_int_equal(lc_registry_add_restored(r, &a), 1);
    list = snap(r, 1, &n);
    assert_int_equal(n, 2);
    assert_int_equal(count_validator(list, n, "tus:a", 0), 1);
    assert_int_equal(count_validator(list, n, "tus:a", 1), 0);
    free(list);
    assert_int_equal(lc_registry_close(r, id), 0);

    /* the cap on resumable entries holds: the oldest go */
    for (int i = 0; i < LC_REGISTRY_MAX_RESUMABLE + 10; i++) {
        char name[16];
        ferry_transfer t;

        snprintf(name, sizeof name, "n%d", i);
        t = upload_of("/many", name);
        assert_int_equal(lc_registry_add_restored(r, &t), 0);
    }
    list = snap(r, 1, &n);
    assert_int_equal(n, LC_REGISTRY_MAX_RESUMABLE);
    assert_int_equal(count_validator(list, n, "tus:n0", 1), 0);
    assert_int_equal(count_validator(list, n, "tus:b", 1), 0);
    assert_int_equal(count_validator(list, n, "tus:n265", 1), 1);
    free(list);
    lc_registry_free(r);
}

static void test_forget(void **state)
{
    struct lc_registry *r = lc_registry_new();
    ferry_transfer a = upload_of("/f", "a"), b = upload_of("/f", "b");
    ferry_transfer d = make("/f", FERRY_DOWNLOAD), rest[3], *list;
    uint64_t id;
    int idle;
    size_t n;

    (void)state;
    rest[0] = a;
    rest[1] = b;
    rest[2] = d;
    assert_int_equal(lc_registry_set_restored(r, rest, 3), 0);
    assert_int_equal(lc_registry_forget(r, &a), 1);
    assert_int_equal(lc_registry_forget(r, &a), 0);
    list = snap(r, 1, &n);
    assert_int_equal(n, 2);
    assert_int_equal(count_validator(list, n, "tus:b", 1), 1);
    free(list);
    /* open entries are never forgotten */
    assert_int_equal(lc_registry_open(r, &b, &id, &idle), 0);
    assert_int_equal(lc_registry_forget(r, &b), 0);
    assert_int_equal(lc_registry_open_count(r), 1);
    /* downloads: by direction and path, whatever the validator */
    snprintf(d.validator, sizeof d.validator, "\"other\"");
    assert_int_equal(lc_registry_forget(r, &d), 1);
    list = snap(r, 1, &n);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, id);
    free(list);
    assert_int_equal(lc_registry_close(r, id), 0);
    lc_registry_free(r);
}

/* Only what can resume is journaled: downloads, and uploads with a
 * validator (tus); a PUT (an upload without one) is left out. */
static void test_keep_resumable(void **state)
{
    ferry_transfer l[4];
    size_t n = 4;

    (void)state;
    memset(l, 0, sizeof l);
    l[0].direction = FERRY_DOWNLOAD; /* no validator: still resumable by Range */
    snprintf(l[0].path, sizeof l[0].path, "/a");
    l[1].direction = FERRY_UPLOAD; /* a PUT */
    snprintf(l[1].path, sizeof l[1].path, "/b");
    l[2].direction = FERRY_UPLOAD;
    snprintf(l[2].path, sizeof l[2].path, "/c");
    snprintf(l[2].validator, sizeof l[2].validator, "tus:00");
    l[3].direction = FERRY_UPLOAD; /* a PUT */
    snprintf(l[3].path, sizeof l[3].path, "/d");
    assert_true(lc_transfer_resumable(&l[0]));
    assert_false(lc_transfer_resumable(&l[1]));
    assert_true(lc_transfer_resumable(&l[2]));
    lc_transfers_keep_resumable(l, &n);
    assert_int_equal(n, 2);
    assert_string_equal(l[0].path, "/a");
    assert_string_equal(l[1].path, "/c");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_empty_free),
        cmocka_unit_test(test_open_close_counts),
        cmocka_unit_test(test_was_idle_transitions),
        cmocka_unit_test(test_ids_unique_never_reused),
        cmocka_unit_test(test_fields_copied_progress),
        cmocka_unit_test(test_unknown_ids),
        cmocka_unit_test(test_restored_replaced_by_open),
        cmocka_unit_test(test_set_restored_replaces_set),
        cmocka_unit_test(test_snapshot_with_without_restored),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_many_entries_grow_shrink),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_uploads_matched_by_validator),
        cmocka_unit_test(test_add_restored),
        cmocka_unit_test(test_forget),
        cmocka_unit_test(test_keep_resumable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
