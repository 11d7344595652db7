/*
 * test_dav_lock.c — unit tests of the lock table (daemon/dav/dav-lock.c):
 * tokens (URN form, unique, from the given random source and from
 * mbedTLS), exclusive/shared conflicts, depth 0 and infinity over
 * ancestors and descendants, write checks with and without the token
 * (parent membership, recursive writes, shared tokens), refresh, release,
 * expiry on an injected clock, the size bound, drop, the Timeout header.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dav-lock.h"

/* A counter as the random source: deterministic, all tokens distinct. */
static int counter_rand(void *cls, unsigned char *buf, size_t n)
{
    unsigned *c = cls;

    memset(buf, 0, n);
    memcpy(buf, c, sizeof *c);
    (*c)++;
    return 0;
}

static int failing_rand(void *cls, unsigned char *buf, size_t n)
{
    (void)cls, (void)buf, (void)n;
    return -1;
}

/* The submitted tokens: a NULL-terminated array. */
static int in_list(void *cls, const char *token)
{
    for (const char *const *p = cls; *p; p++)
        if (strcmp(*p, token) == 0)
            return 1;
    return 0;
}

static int check(struct dav_locks *t, const char *path, int rec, int member,
                 const char *tok, int64_t now)
{
    const char *list[] = {tok, NULL};

    return dav_lock_check(t, path, rec, member, in_list, (void *)list, now, NULL, 0);
}

static void tokens(void **state)
{
    unsigned c = 7;
    struct dav_locks *t = dav_locks_new(0, counter_rand, &c);
    struct dav_locks *real = dav_locks_new(0, NULL, NULL);
    char a[DAV_LOCK_TOKEN_SIZE], b[DAV_LOCK_TOKEN_SIZE];

    (void)state;
    assert_non_null(t);
    assert_int_equal(dav_lock_create(t, "a", 0, 0, NULL, 60, 0, 0, a, NULL, 0), 0);
    assert_int_equal(dav_lock_create(t, "b", 0, 0, NULL, 60, 0, 0, b, NULL, 0), 0);
    assert_int_equal(strlen(a), DAV_LOCK_TOKEN_SIZE - 1);
    assert_memory_equal(a, "opaquelocktoken:07000000-0000-4000-8000-000000000000", 53);
    assert_string_not_equal(a, b);
    assert_non_null(real);
    assert_int_equal(dav_lock_create(real, "a", 0, 0, NULL, 60, 0, 0, a, NULL, 0), 0);
    assert_int_equal(dav_lock_create(real, "b", 0, 0, NULL, 60, 0, 0, b, NULL, 0), 0);
    assert_string_not_equal(a, b);
    assert_int_equal(a[16 + 14], '4'); /* version 4 */
    dav_locks_free(t);
    dav_locks_free(real);
    t = dav_locks_new(0, failing_rand, NULL);
    assert_int_equal(dav_lock_create(t, "a", 0, 0, NULL, 60, 0, 0, a, NULL, 0), -EIO);
    assert_int_equal(dav_locks_count(t, 0), 0);
    dav_locks_free(t);
    dav_locks_free(NULL);
}

static void conflicts(void **state)
{
    unsigned c = 0;
    struct dav_locks *t = dav_locks_new(0, counter_rand, &c);
    char tk[DAV_LOCK_TOKEN_SIZE], root[64];

    (void)state;
    assert_int_equal(dav_lock_create(t, "d", 0, 1, "<o/>", 60, 0, 0, tk, NULL, 0), 0);
    /* below an exclusive depth-infinity lock: refused, the root named */
    assert_int_equal(dav_lock_create(t, "d/e/f", 0, 0, NULL, 60, 0, 0, tk, root, sizeof root),
                     DAV_LOCK_ECONFLICT);
    assert_string_equal(root, "d");
    assert_int_equal(dav_lock_create(t, "d", 1, 0, NULL, 60, 0, 0, tk, NULL, 0),
                     DAV_LOCK_ECONFLICT);
    /* a sibling with a common prefix is not below */
    assert_int_equal(dav_lock_create(t, "de", 0, 0, NULL, 60, 0, 0, tk, NULL, 0), 0);
    /* depth infinity on an ancestor of a locked path: refused */
    assert_int_equal(dav_lock_create(t, "", 0, 1, NULL, 60, 0, 0, tk, root, sizeof root),
                     DAV_LOCK_ECONFLICT);
    /* depth 0 on the root does not reach below */
    assert_int_equal(dav_lock_create(t, "", 0, 0, NULL, 60, 0, 0, tk, NULL, 0), 0);
    /* shared with shared is fine; exclusive over shared is not */
    assert_int_equal(dav_lock_create(t, "s", 1, 0, NULL, 60, 0, 0, tk, NULL, 0), 0);
    assert_int_equal(dav_lock_create(t, "s", 1, 0, NULL, 60, 0, 0, tk, NULL, 0), 0);
    assert_int_equal(dav_lock_create(t, "s", 0, 0, NULL, 60, 0, 0, tk, NULL, 0),
                     DAV_LOCK_ECONFLICT);
    assert_int_equal(dav_locks_count(t, 0), 5);
    dav_locks_free(t);
}

static void writes(void **state)
{
    unsigned c = 0;
    struct dav_locks *t = dav_locks_new(0, counter_rand, &c);
    char d[DAV_LOCK_TOKEN_SIZE], f[DAV_LOCK_TOKEN_SIZE], s1[DAV_LOCK_TOKEN_SIZE];
    char s2[DAV_LOCK_TOKEN_SIZE], root[64];
    const char *list[] = {"x", NULL};

    (void)state;
    assert_int_equal(dav_lock_create(t, "d", 0, 1, NULL, 60, 0, 0, d, NULL, 0), 0);
    assert_int_equal(dav_lock_create(t, "p", 0, 0, NULL, 60, 0, 0, f, NULL, 0), 0);
    /* covered by an infinity lock */
    assert_int_equal(check(t, "d/x/y", 0, 0, NULL, 0), DAV_LOCK_ECONFLICT);
    assert_int_equal(check(t, "d/x/y", 0, 0, d, 0), 0);
    assert_int_equal(check(t, "d", 0, 0, "opaquelocktoken:nope", 0), DAV_LOCK_ECONFLICT);
    /* unrelated paths */
    assert_int_equal(check(t, "e", 0, 1, NULL, 0), 0);
    assert_int_equal(check(t, "p/q", 0, 0, NULL, 0), 0); /* depth 0: not below */
    /* adding a member to a depth-0 locked folder needs its token */
    assert_int_equal(check(t, "p/q", 0, 1, NULL, 0), DAV_LOCK_ECONFLICT);
    assert_int_equal(check(t, "p/q", 0, 1, f, 0), 0);
    /* deleting an ancestor of a lock */
    assert_int_equal(dav_lock_check(t, "", 1, 0, in_list, list, 0, root, sizeof root),
                     DAV_LOCK_ECONFLICT);
    assert_true(strcmp(root, "d") == 0 || strcmp(root, "p") == 0);
    /* shared locks: either token opens */
    assert_int_equal(dav_lock_create(t, "s", 1, 0, NULL, 60, 0, 0, s1, NULL, 0), 0);
    assert_int_equal(dav_lock_create(t, "s", 1, 0, NULL, 60, 0, 0, s2, NULL, 0), 0);
    assert_int_equal(check(t, "s", 0, 0, s2, 0), 0);
    assert_int_equal(check(t, "s", 0, 0, s1, 0), 0);
    assert_int_equal(check(t, "s", 0, 0, d, 0), DAV_LOCK_ECONFLICT);
    assert_int_equal(dav_lock_check(t, "s", 0, 0, NULL, NULL, 0, NULL, 0), DAV_LOCK_ECONFLICT);
    dav_locks_free(t);
}

static void collect(void *cls, const struct dav_lock *l)
{
    unsigned *got = cls;

    *got = l->timeout;
}

static void lifetime(void **state)
{
    unsigned c = 0, got = 0;
    struct dav_locks *t = dav_locks_new(2, counter_rand, &c);
    char a[DAV_LOCK_TOKEN_SIZE], b[DAV_LOCK_TOKEN_SIZE];

    (void)state;
    assert_int_equal(dav_lock_create(t, "a", 0, 1, NULL, 10, 0, 100, a, NULL, 0), 0);
    assert_int_equal(dav_lock_create(t, "b", 0, 0, NULL, 10, 1, 100, b, NULL, 0), 0);
    /* bounded */
    assert_int_equal(dav_lock_create(t, "c", 0, 0, NULL, 10, 0, 100, b, NULL, 0),
                     DAV_LOCK_EFULL);
    /* refresh through a covered path; wrong path or token refused */
    assert_int_equal(dav_lock_refresh(t, "a/deep", a, 50, 105, collect, &got), 0);
    assert_int_equal(got, 50);
    assert_int_equal(dav_lock_refresh(t, "b", a, 50, 105, NULL, NULL), DAV_LOCK_ENOLOCK);
    assert_int_equal(dav_locks_each(t, "a/x", 105, NULL, NULL), 1);
    assert_int_equal(dav_locks_each(t, "b/x", 105, NULL, NULL), 0);
    /* b expires at 110, a (refreshed) at 155 */
    assert_int_equal(dav_locks_count(t, 110), 1);
    assert_int_equal(check(t, "b", 0, 0, NULL, 110), 0);
    assert_int_equal(check(t, "a", 0, 0, NULL, 154), DAV_LOCK_ECONFLICT);
    assert_int_equal(check(t, "a", 0, 0, NULL, 155), 0);
    /* release */
    assert_int_equal(dav_lock_create(t, "a", 0, 0, NULL, 10, 0, 200, a, NULL, 0), 0);
    assert_int_equal(dav_lock_release(t, "b", a, 200), DAV_LOCK_ENOLOCK);
    assert_int_equal(dav_lock_release(t, "a", a, 200), 0);
    assert_int_equal(dav_lock_release(t, "a", a, 200), DAV_LOCK_ENOLOCK);
    /* drop a subtree */
    assert_int_equal(dav_lock_create(t, "x/y", 0, 0, NULL, 10, 0, 200, a, NULL, 0), 0);
    assert_int_equal(dav_lock_create(t, "xy", 0, 0, NULL, 10, 0, 200, b, NULL, 0), 0);
    dav_locks_drop(t, "x");
    assert_int_equal(dav_locks_count(t, 200), 1);
    assert_int_equal(dav_locks_each(t, "xy", 200, NULL, NULL), 1);
    dav_locks_free(t);
}

static void timeouts(void **state)
{
    (void)state;
    assert_int_equal(dav_lock_timeout(NULL), DAV_LOCK_TIMEOUT_DEFAULT);
    assert_int_equal(dav_lock_timeout("Second-3600"), 3600);
    assert_int_equal(dav_lock_timeout("Infinite, Second-4100000000"), DAV_LOCK_TIMEOUT_MAX);
    assert_int_equal(dav_lock_timeout("Second-99999999999999999999"), DAV_LOCK_TIMEOUT_MAX);
    assert_int_equal(dav_lock_timeout("Foo, Second-30"), 30);
    assert_int_equal(dav_lock_timeout("Second-0"), 1);
    assert_int_equal(dav_lock_timeout("garbage"), DAV_LOCK_TIMEOUT_DEFAULT);
    assert_int_equal(dav_lock_timeout("Second-"), DAV_LOCK_TIMEOUT_DEFAULT);
    assert_true(dav_path_ancestor("", "a"));
    assert_false(dav_path_ancestor("", ""));
    assert_true(dav_path_ancestor("a", "a/b"));
    assert_false(dav_path_ancestor("a", "ab"));
    assert_false(dav_path_ancestor("a/b", "a"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokens),   cmocka_unit_test(conflicts), cmocka_unit_test(writes),
        cmocka_unit_test(lifetime), cmocka_unit_test(timeouts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
