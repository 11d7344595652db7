/*
 * test_dav_dead.c — the dead-property store (daemon/dav/dav-dead.c), with
 * both backends: user xattrs (where the temp folder's file system has
 * them; skipped otherwise) and the state folder: set, get, replace,
 * list (names only or values), remove, copy, a rename keeping them, a new
 * file at a deleted one's name starting with none, name and size limits,
 * and no state folder and no xattrs answering -ENOTSUP.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "dav-dead.h"

static char tmp[64];
static int dir_fd = -1, state_fd = -1;

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/test_dav_dead.XXXXXX");
    assert_non_null(mkdtemp(tmp));
    dir_fd = open(tmp, O_RDONLY | O_DIRECTORY);
    assert_int_equal(mkdirat(dir_fd, "state", 0700), 0);
    state_fd = openat(dir_fd, "state", O_RDONLY | O_DIRECTORY);
    assert_true(dir_fd >= 0 && state_fd >= 0);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    close(state_fd);
    close(dir_fd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static int open_new(const char *name)
{
    int fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_TRUNC, 0644);

    assert_true(fd >= 0);
    return fd;
}

/* Collects "ns|name=value;" for dav_dead_list(). */
static void collect(void *cls, const char *ns, const char *name, const char *value)
{
    char *out = cls;

    snprintf(out + strlen(out), 512 - strlen(out), "%s|%s=%s;", ns, name,
             value ? value : "(null)");
}

static void exercise(struct dav_dead_store *s)
{
    char list[512] = "", *v = NULL, big[DAV_DEAD_VALUE_MAX + 2], longname[300];
    int a = open_new("a"), b, c;

    assert_int_equal(dav_dead_get(s, a, "urn:x", "k", &v), -ENODATA);
    assert_int_equal(dav_dead_set(s, a, "urn:x", "k", "one"), 0);
    assert_int_equal(dav_dead_set(s, a, "", "bare", "<i>x</i>"), 0);
    assert_int_equal(dav_dead_set(s, a, "urn:x", "k", "two"), 0); /* replaced */
    assert_int_equal(dav_dead_get(s, a, "urn:x", "k", &v), 0);
    assert_string_equal(v, "two");
    free(v);
    assert_int_equal(dav_dead_list(s, a, 0, collect, list), 2);
    assert_non_null(strstr(list, "urn:x|k=two;"));
    assert_non_null(strstr(list, "|bare=<i>x</i>;"));
    list[0] = '\0';
    assert_int_equal(dav_dead_list(s, a, 1, collect, list), 2);
    assert_non_null(strstr(list, "urn:x|k=(null);"));
    /* copy */
    b = open_new("b");
    assert_int_equal(dav_dead_copy(s, a, b), 0);
    assert_int_equal(dav_dead_get(s, b, "", "bare", &v), 0);
    assert_string_equal(v, "<i>x</i>");
    free(v);
    /* a rename keeps them (same fd, same identity) */
    assert_int_equal(renameat(dir_fd, "a", dir_fd, "renamed"), 0);
    assert_int_equal(dav_dead_get(s, a, "urn:x", "k", &v), 0);
    free(v);
    /* remove */
    assert_int_equal(dav_dead_remove(s, a, "urn:x", "k"), 0);
    assert_int_equal(dav_dead_remove(s, a, "urn:x", "k"), 0);
    assert_int_equal(dav_dead_get(s, a, "urn:x", "k", &v), -ENODATA);
    /* a deleted file's successor starts with none */
    close(b);
    assert_int_equal(unlinkat(dir_fd, "b", 0), 0);
    c = open_new("b");
    assert_int_equal(dav_dead_list(s, c, 0, collect, list), 0);
    /* limits */
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(dav_dead_set(s, c, "urn:x", longname, "v"), -ENAMETOOLONG);
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(dav_dead_set(s, c, "urn:x", "big", big), -E2BIG);
    close(a);
    close(c);
    unlinkat(dir_fd, "renamed", 0);
    unlinkat(dir_fd, "b", 0);
}

static void xattrs(void **state)
{
    struct dav_dead_store s;
    int fd = open_new("probe");
    int ok = fsetxattr(fd, "user.ferry.probe", "1", 1, 0) == 0;

    (void)state;
    close(fd);
    unlinkat(dir_fd, "probe", 0);
    if (!ok)
        skip();
    dav_dead_store_init(&s, -1);
    exercise(&s);
    dav_dead_store_destroy(&s);
}

static void state_folder(void **state)
{
    struct dav_dead_store s;
    char *v;
    int fd;

    (void)state;
    dav_dead_store_init(&s, state_fd);
    s.no_xattr = 1;
    exercise(&s);
    /* the files live in STATE/dav-props/, and none is left for removed sets */
    fd = open_new("c");
    assert_int_equal(dav_dead_set(&s, fd, "urn:y", "z", "1"), 0);
    assert_int_equal(faccessat(state_fd, DAV_DEAD_DIR, F_OK, 0), 0);
    assert_int_equal(dav_dead_remove(&s, fd, "urn:y", "z"), 0);
    close(fd);
    dav_dead_store_destroy(&s);
    /* no state folder and no xattrs: nowhere to keep them */
    dav_dead_store_init(&s, -1);
    s.no_xattr = 1;
    fd = open_new("d");
    assert_int_equal(dav_dead_set(&s, fd, "urn:y", "z", "1"), -ENOTSUP);
    assert_int_equal(dav_dead_get(&s, fd, "urn:y", "z", &v), -ENOTSUP);
    assert_int_equal(dav_dead_copy(&s, fd, fd), 0);
    close(fd);
    dav_dead_store_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xattrs),
        cmocka_unit_test(state_folder),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
