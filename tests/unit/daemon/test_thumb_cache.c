/*
 * test_thumb_cache.c — the thumbnail cache in a state folder made here:
 * the folder is made 0700; a thumbnail put is got back (an fd on its bytes)
 * and a failure is known; a picture changed (mtime, ctime, size, another
 * inode) is a miss; a symlink or a truncated file in the cache is a miss;
 * temporary files left by a crash go at open, and what is there counts
 * toward the bound; a symlink in place of the cache folder is refused; past the bound the oldest entries go, the newest
 * stays; an entry made again is counted once.
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
#include <unistd.h>

#include "thumb-cache.h"

struct fx {
    char dir[64];
    int state_fd;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-tcache.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->state_fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *state = f;
    return f->state_fd >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    close(f->state_fd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* A picture's identity, as fstat() would give it: number i. */
static struct stat pic(unsigned i)
{
    struct stat st;

    memset(&st, 0, sizeof st);
    st.st_dev = 0x801;
    st.st_ino = 1000 + i;
    st.st_size = 5000000;
    st.st_mtim.tv_sec = 1700000000;
    st.st_mtim.tv_nsec = 123456789;
    st.st_ctim = st.st_mtim;
    return st;
}

/* Reads what fd holds (up to 64 KiB) into buf; closes fd. */
static size_t slurp(int fd, char *buf, size_t cap)
{
    ssize_t n = pread(fd, buf, cap, 0);

    close(fd);
    assert_true(n >= 0);
    return (size_t)n;
}

/* The path of st's entry in the cache folder. */
static void entry_path(const struct fx *f, const struct stat *st, int failed, char *path,
                       size_t len)
{
    char name[THUMB_CACHE_NAME_MAX];

    thumb_cache_name(st, failed, name, sizeof name);
    snprintf(path, len, "%s/" THUMB_CACHE_DIR "/%s", f->dir, name);
}

static void test_put_get(void **state)
{
    struct fx *f = *state;
    struct thumb_cache *tc;
    struct stat st = pic(1), other = pic(2), dir;
    char buf[64], path[256];
    uint64_t size;
    int fd;

    assert_int_equal(thumb_cache_open(f->state_fd, 1 << 20, &tc), 0);
    assert_int_equal(fstatat(f->state_fd, THUMB_CACHE_DIR, &dir, 0), 0);
    assert_int_equal(dir.st_mode & 0777, 0700);
    assert_int_equal(thumb_cache_get(tc, &st, &fd, &size), THUMB_CACHE_MISS);
    assert_int_equal(fd, -1);

    assert_int_equal(thumb_cache_put(tc, &st, "\xFF\xD8 a thumbnail \xFF\xD9", 18), 0);
    assert_int_equal(thumb_cache_get(tc, &st, &fd, &size), THUMB_CACHE_MADE);
    assert_int_equal(size, 18);
    assert_int_equal(slurp(fd, buf, sizeof buf), 18);
    assert_memory_equal(buf, "\xFF\xD8 a thumbnail \xFF\xD9", 18);
    assert_int_equal(thumb_cache_total(tc), 4096);

    assert_int_equal(thumb_cache_put(tc, &other, NULL, 0), 0); /* a failure */
    assert_int_equal(thumb_cache_get(tc, &other, &fd, &size), THUMB_CACHE_FAILED);
    assert_int_equal(fd, -1);
    assert_int_equal(thumb_cache_total(tc), 8192);

    /* the picture changed in any way: another entry */
    for (int i = 0; i < 4; i++) {
        struct stat ch = st;

        if (i == 0)
            ch.st_mtim.tv_nsec++;
        else if (i == 1)
            ch.st_ctim.tv_sec++;
        else if (i == 2)
            ch.st_size++;
        else
            ch.st_ino += 100;
        assert_int_equal(thumb_cache_get(tc, &ch, &fd, &size), THUMB_CACHE_MISS);
    }

    /* made again: counted once */
    assert_int_equal(thumb_cache_put(tc, &st, "\xFF\xD8 again \xFF\xD9", 12), 0);
    assert_int_equal(thumb_cache_total(tc), 8192);

    /* what is not a whole regular file is a miss */
    entry_path(f, &st, 0, path, sizeof path);
    assert_int_equal(truncate(path, 2), 0);
    assert_int_equal(thumb_cache_get(tc, &st, &fd, &size), THUMB_CACHE_MISS);
    unlink(path);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    assert_int_equal(thumb_cache_get(tc, &st, &fd, &size), THUMB_CACHE_MISS);
    assert_int_equal(fd, -1);
    unlink(path);
    thumb_cache_free(tc);
    thumb_cache_free(NULL);
    assert_int_equal(thumb_cache_get(NULL, &st, &fd, &size), THUMB_CACHE_MISS);
    assert_int_equal(thumb_cache_put(NULL, &st, NULL, 0), -EINVAL);
}

static void test_open_sweeps_and_counts(void **state)
{
    struct fx *f = *state;
    struct thumb_cache *tc;
    struct stat a = pic(1);
    char path[256];
    int fd;

    assert_int_equal(thumb_cache_open(f->state_fd, 1 << 20, &tc), 0);
    assert_int_equal(thumb_cache_put(tc, &a, "\xFF\xD8..\xFF\xD9", 6), 0);
    thumb_cache_free(tc);
    snprintf(path, sizeof path, "%s/" THUMB_CACHE_DIR "/.tmp-99-1", f->dir);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "half a thumbn", 13), 13);
    close(fd);

    assert_int_equal(thumb_cache_open(f->state_fd, 1 << 20, &tc), 0);
    assert_int_equal(access(path, F_OK), -1); /* the crash's leftover is gone */
    assert_int_equal(thumb_cache_total(tc), 4096); /* the entry is counted */
    thumb_cache_free(tc);

    /* a symlink in place of the cache folder is not followed */
    assert_int_equal(renameat(f->state_fd, THUMB_CACHE_DIR, f->state_fd, "old"), 0);
    assert_int_equal(symlinkat("/tmp", f->state_fd, THUMB_CACHE_DIR), 0);
    assert_true(thumb_cache_open(f->state_fd, 1 << 20, &tc) < 0);
    assert_null(tc);
}

static void test_eviction_oldest_first(void **state)
{
    struct fx *f = *state;
    struct thumb_cache *tc;
    static char jpeg[4000];
    char path[256];
    uint64_t size;
    int fd;

    memset(jpeg, 'j', sizeof jpeg);
    assert_int_equal(thumb_cache_open(f->state_fd, 5 * 4096, &tc), 0);
    for (unsigned i = 1; i <= 8; i++) {
        struct stat st = pic(i);
        struct timespec t[2] = {{.tv_sec = 1000000 + i}, {.tv_sec = 1000000 + i}};

        assert_int_equal(thumb_cache_put(tc, &st, jpeg, sizeof jpeg), 0);
        entry_path(f, &st, 0, path, sizeof path);
        /* written in order, each an hour older than now and than the next */
        t[0].tv_sec = t[1].tv_sec = 1000000 + 3600 * i;
        assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
        assert_true(thumb_cache_total(tc) <= 5 * 4096);
    }
    /* the 6th put went over 5 entries: the 3 oldest went (3/4 left), then
     * the 7th and 8th came */
    for (unsigned i = 1; i <= 8; i++) {
        struct stat st = pic(i);

        assert_int_equal(thumb_cache_get(tc, &st, &fd, &size),
                         i <= 3 ? THUMB_CACHE_MISS : THUMB_CACHE_MADE);
        if (fd >= 0)
            close(fd);
    }
    assert_int_equal(thumb_cache_total(tc), 5 * 4096);

    /* a failure that comes when full pushes the oldest out, never itself */
    struct stat bad = pic(9);

    assert_int_equal(thumb_cache_put(tc, &bad, NULL, 0), 0);
    assert_int_equal(thumb_cache_get(tc, &bad, &fd, &size), THUMB_CACHE_FAILED);
    thumb_cache_free(tc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_sweeps_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction_oldest_first, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
