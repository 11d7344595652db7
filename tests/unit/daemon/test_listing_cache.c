/*
 * test_listing_cache.c — the listing cache: hits, invalidation when the
 * folder changes, expiry, keys, and eviction by count and by size.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listing-cache.h"

/* A temp folder whose stat the tests use as the cache key. */
struct fx {
    char dir[64];
    struct stat st;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-lcache.XXXXXX");
    if (!mkdtemp(f->dir) || stat(f->dir, &f->st) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char path[128];

    snprintf(path, sizeof path, "%s/new", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Returns the cached body as a string (freed by the caller), or NULL. */
static char *get(struct listing_cache *c, const struct stat *st, const char *url, int fmt)
{
    size_t len = 0;
    char *b = listing_cache_get(c, st, url, fmt, &len);

    if (b)
        assert_int_equal(len, strlen(b));
    return b;
}

static void test_hit_and_keys(void **state)
{
    struct fx *f = *state;
    struct listing_cache *c = listing_cache_new(4, 1 << 20, 60000);
    char *b;

    assert_non_null(c);
    assert_null(get(c, &f->st, "/a/", 0));
    listing_cache_put(c, &f->st, "/a/", 0, "<html>", 6);
    b = get(c, &f->st, "/a/", 0);
    assert_string_equal(b, "<html>");
    free(b);
    /* the same body twice: a copy each time */
    b = get(c, &f->st, "/a/", 0);
    assert_string_equal(b, "<html>");
    free(b);
    assert_null(get(c, &f->st, "/a/", 1));  /* other format */
    assert_null(get(c, &f->st, "/b/", 0));  /* other URL path (other hrefs) */
    listing_cache_put(c, &f->st, "/a/", 1, "{}", 2);
    b = get(c, &f->st, "/a/", 1);
    assert_string_equal(b, "{}");
    free(b);
    listing_cache_put(c, &f->st, "/a/", 0, "<new>", 5); /* replaces */
    b = get(c, &f->st, "/a/", 0);
    assert_string_equal(b, "<new>");
    free(b);
    listing_cache_free(c);
}

static void test_folder_change_invalidates(void **state)
{
    struct fx *f = *state;
    struct listing_cache *c = listing_cache_new(4, 1 << 20, 60000);
    struct timespec later[2] = {{.tv_sec = f->st.st_mtime + 10}, {.tv_sec = f->st.st_mtime + 10}};
    struct stat st2;
    char path[128];
    int fd;

    listing_cache_put(c, &f->st, "/", 0, "old", 3);
    snprintf(path, sizeof path, "%s/new", f->dir);
    fd = open(path, O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);
    close(fd);
    utimensat(AT_FDCWD, f->dir, later, 0); /* a new mtime, whatever the clock's grain */
    assert_int_equal(stat(f->dir, &st2), 0);
    assert_null(get(c, &st2, "/", 0));
    assert_null(get(c, &f->st, "/", 0)); /* and the stale entry is gone */
    listing_cache_free(c);
}

static void test_expiry(void **state)
{
    struct fx *f = *state;
    struct listing_cache *c = listing_cache_new(4, 1 << 20, 0);

    listing_cache_put(c, &f->st, "/", 0, "x", 1);
    assert_null(get(c, &f->st, "/", 0)); /* ttl 0: never fresh */
    listing_cache_free(c);
}

static void test_eviction(void **state)
{
    struct fx *f = *state;
    struct listing_cache *c = listing_cache_new(2, 10, 60000);
    char *b;

    listing_cache_put(c, &f->st, "/1/", 0, "aaaa", 4);
    listing_cache_put(c, &f->st, "/2/", 0, "bbbb", 4);
    listing_cache_put(c, &f->st, "/3/", 0, "cccc", 4); /* count: evicts /1/ */
    assert_null(get(c, &f->st, "/1/", 0));
    b = get(c, &f->st, "/2/", 0);
    assert_string_equal(b, "bbbb");
    free(b);
    listing_cache_put(c, &f->st, "/4/", 0, "dddddddd", 8); /* bytes: evicts both */
    assert_null(get(c, &f->st, "/2/", 0));
    assert_null(get(c, &f->st, "/3/", 0));
    b = get(c, &f->st, "/4/", 0);
    assert_string_equal(b, "dddddddd");
    free(b);
    listing_cache_put(c, &f->st, "/5/", 0, "this is too long", 16); /* > max: not kept */
    assert_null(get(c, &f->st, "/5/", 0));
    b = get(c, &f->st, "/4/", 0);
    assert_non_null(b);
    free(b);
    listing_cache_free(c);
    listing_cache_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hit_and_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_change_invalidates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
