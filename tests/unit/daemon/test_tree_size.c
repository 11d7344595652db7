/*
 * test_tree_size.c — unit tests of tree_size() (daemon/share/tree-size.c) on a
 * temp tree: bytes, files, folders and name bytes counted recursively;
 * dot-files only with show_hidden; symlinks (to files, folders, outside),
 * FIFOs and unservable names left out; folders deeper than TREE_DEPTH_MAX
 * not counted (and the answer then incomplete); the walk stops, incomplete, past TREE_ENTRIES_MAX entries;
 * an unreadable folder makes it incomplete; no fd leaks.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree-size.h"

static char top[64];

static void put(const char *rel, size_t size)
{
    char p[4200 + sizeof top];
    FILE *f;

    snprintf(p, sizeof p, "%s/%s", top, rel);
    f = fopen(p, "w");
    assert_non_null(f);
    for (size_t i = 0; i < size; i++)
        fputc('x', f);
    fclose(f);
}

static void dir(const char *rel)
{
    char p[4200 + sizeof top];

    snprintf(p, sizeof p, "%s/%s", top, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    assert_non_null(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static int setup(void **state)
{
    (void)state;
    snprintf(top, sizeof top, "/tmp/test_tree_size.XXXXXX");
    assert_non_null(mkdtemp(top));
    return 0;
}

static int teardown(void **state)
{
    char cmd[3 * sizeof top + 64];

    (void)state;
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' && rm -rf '%s'", top, top);
    return system(cmd) == 0 ? 0 : -1;
}

static struct tree_size measure(const char *rel, int show_hidden)
{
    char p[4200 + sizeof top];
    struct tree_size t;
    int fd, before = open_fds();

    snprintf(p, sizeof p, "%s/%s", top, rel);
    fd = open(p, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    assert_int_equal(tree_size(fd, show_hidden, &t), 0);
    close(fd);
    assert_int_equal(open_fds(), before);
    return t;
}

static void test_counts(void **state)
{
    char p[4200], q[4200];
    struct tree_size t;

    (void)state;
    dir("a");
    dir("a/sub");
    dir("a/empty");
    put("a/one.txt", 10);          /* "one.txt": 7 */
    put("a/sub/two.bin", 1000);    /* "sub/two.bin": 11 */
    put("a/.hidden", 5);           /* ".hidden": 7 */
    dir("a/.dot");
    put("a/.dot/in.txt", 3);       /* ".dot/" 5, ".dot/in.txt" 11 */
    snprintf(p, sizeof p, "%s/a/sub/two.bin", top);
    snprintf(q, sizeof q, "%s/a/link", top);
    assert_int_equal(symlink(p, q), 0);
    snprintf(q, sizeof q, "%s/a/dirlink", top);
    assert_int_equal(symlink("/etc", q), 0);
    snprintf(q, sizeof q, "%s/a/fifo", top);
    assert_int_equal(mkfifo(q, 0644), 0);
    put("a/bad\x01name", 100);     /* not servable: left out */

    t = measure("a", 0);
    assert_int_equal(t.bytes, 1010);
    assert_int_equal(t.files, 2);
    assert_int_equal(t.folders, 2); /* sub, empty */
    assert_int_equal(t.name_bytes, 7 + 4 + 11 + 6); /* one.txt sub/ sub/two.bin empty/ */
    assert_int_equal(t.complete, 1);

    t = measure("a", 1);
    assert_int_equal(t.bytes, 1018);
    assert_int_equal(t.files, 4);
    assert_int_equal(t.folders, 3);
    assert_int_equal(t.name_bytes, 7 + 4 + 11 + 6 + 7 + 5 + 11);

    t = measure("a/empty", 0);
    assert_int_equal(t.bytes + t.files + t.folders + t.name_bytes, 0);
    assert_int_equal(t.complete, 1);
}

static void test_depth(void **state)
{
    char rel[4200] = "deep";
    struct tree_size t;

    (void)state;
    dir(rel);
    for (int i = 0; i < TREE_DEPTH_MAX + 3; i++) {
        strcat(rel, "/d");
        dir(rel);
    }
    t = measure("deep", 0);
    assert_int_equal(t.folders, TREE_DEPTH_MAX);
    assert_int_equal(t.complete, 0); /* folders were left out: not complete */
}

static void test_limit_and_unreadable(void **state)
{
    char p[4200];
    struct tree_size t;

    (void)state;
    dir("many");
    for (int i = 0; i < TREE_ENTRIES_MAX + 5; i++) {
        snprintf(p, sizeof p, "many/f%d", i);
        put(p, 1);
    }
    t = measure("many", 0);
    assert_int_equal(t.files, TREE_ENTRIES_MAX);
    assert_int_equal(t.bytes, TREE_ENTRIES_MAX);
    assert_int_equal(t.complete, 0);

    if (geteuid() == 0) /* root reads anything: no unreadable folder */
        return;
    dir("locked");
    dir("locked/shut");
    put("locked/shut/x", 1);
    snprintf(p, sizeof p, "%s/locked/shut", top);
    assert_int_equal(chmod(p, 0), 0);
    t = measure("locked", 0);
    assert_int_equal(t.folders, 1);
    assert_int_equal(t.files, 0);
    assert_int_equal(t.complete, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_limit_and_unreadable),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
