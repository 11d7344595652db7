/*
 * test_upload_put.c — unit tests for daemon/uploads/upload-put.c without sockets:
 * the keep-both name generator, put_place()'s no-replace move, and
 * put_commit() in every mode against a real temporary tree, also across
 * file systems (a part file in /dev/shm) when the machine has a second
 * one; no fd may leak and no temporary file may stay behind.
 *
 * upload-put.c calls into the server and the lifecycle; the few functions
 * it needs are defined here as stand-ins.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "server.h"
#include "upload-put.h"

/* ------------------------------------------------------------ stand-ins */

void srv_log(const struct ferry_server *srv, enum ferry_log_level level,
             const char *fmt, ...)
{
    (void)srv;
    (void)level;
    (void)fmt;
}

void srv_peer_address(struct MHD_Connection *c, char *buf, size_t len)
{
    (void)c;
    snprintf(buf, len, "-");
}

uint64_t lc_engine_transfer_open(struct lc_engine *e, const ferry_transfer *t)
{
    (void)e;
    (void)t;
    return 0;
}

void lc_engine_transfer_progress(struct lc_engine *e, uint64_t id, uint64_t done)
{
    (void)e;
    (void)id;
    (void)done;
}

void lc_engine_transfer_close(struct lc_engine *e, uint64_t id)
{
    (void)e;
    (void)id;
}

void lc_engine_transfer_interrupt(struct lc_engine *e, uint64_t id)
{
    (void)e;
    (void)id;
}

/* ------------------------------------------------------ keep-both names */

struct name_case {
    const char *name;
    unsigned n;
    const char *want; /* NULL: -ENAMETOOLONG */
};

static void test_keep_both_names(void **state)
{
    static const struct name_case cases[] = {
        {"a.txt", 1, "a (1).txt"},
        {"a.txt", 12, "a (12).txt"},
        {"noext", 1, "noext (1)"},
        {".bashrc", 1, ".bashrc (1)"},
        {".hidden.txt", 3, ".hidden (3).txt"},
        {"a.tar.gz", 1, "a.tar (1).gz"},
        {"trailing.", 1, "trailing (1)."},
        {"photo 1.JPG", 2, "photo 1 (2).JPG"},
        {"été.txt", 1, "été (1).txt"},
    };
    char out[NAME_MAX + 1];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = put_keep_both_name(cases[i].name, cases[i].n, out, sizeof out);

        assert_int_equal(rc, (int)strlen(cases[i].want));
        assert_string_equal(out, cases[i].want);
    }
}

static void test_keep_both_at_name_max(void **state)
{
    char name[NAME_MAX + 1], out[NAME_MAX + 1];
    int rc;

    (void)state;
    /* 251 'a' + ".txt" = 255 bytes: the stem gives way to " (1)" */
    memset(name, 'a', NAME_MAX - 4);
    memcpy(name + NAME_MAX - 4, ".txt", 5);
    rc = put_keep_both_name(name, 1, out, sizeof out);
    assert_int_equal(rc, NAME_MAX);
    assert_int_equal(strlen(out), NAME_MAX);
    assert_string_equal(out + NAME_MAX - 8, " (1).txt");

    /* 2-byte characters: the cut never splits one */
    for (size_t i = 0; i + 2 <= NAME_MAX - 1; i += 2)
        memcpy(name + i, "\xc3\xa9", 2); /* é */
    name[NAME_MAX - 1] = '\0';          /* 254 bytes, 127 characters */
    rc = put_keep_both_name(name, 1, out, sizeof out);
    assert_true(rc > 0 && rc <= NAME_MAX);
    assert_string_equal(out + rc - 4, " (1)");
    assert_int_equal((rc - 4) % 2, 0); /* whole characters only */

    /* an extension that leaves no room for a stem */
    name[0] = 'a';
    name[1] = '.';
    memset(name + 2, 'x', NAME_MAX - 2);
    name[NAME_MAX] = '\0';
    assert_int_equal(put_keep_both_name(name, 1, out, sizeof out), -ENAMETOOLONG);
    assert_string_equal(out, "");

    /* an output buffer too small */
    assert_int_equal(put_keep_both_name("a.txt", 1, out, 6), -ENAMETOOLONG);
    assert_int_equal(put_keep_both_name("a.txt", 1, out, 10), 9);
}

/* ------------------------------------------------------------ a temp tree */

struct tree {
    char path[64];
    int dir_fd;   /* the "shared folder" */
    int part_dir; /* where part files live */
    char part_path[128];
};

/* Number of open fds of this process. */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Writes `text` into dir/name. */
static void put_file(int dir, const char *name, const char *text)
{
    int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* The content of dir/name ("" when absent). */
static const char *read_file(int dir, const char *name)
{
    static char buf[256];
    int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    buf[0] = '\0';
    if (fd < 0)
        return buf;
    n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
    return buf;
}

/* Number of entries of dir whose name contains `part`. */
static int count_names(int dir, const char *part)
{
    int fd = dup(dir), n = 0;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;

    assert_non_null(d);
    rewinddir(d);
    while ((e = readdir(d)))
        if (strstr(e->d_name, part))
            n++;
    closedir(d);
    return n;
}

static int tree_setup(void **state)
{
    struct tree *t = calloc(1, sizeof *t);

    snprintf(t->path, sizeof t->path, "/tmp/ferry-test-put.XXXXXX");
    if (!mkdtemp(t->path))
        return -1;
    t->dir_fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal(mkdirat(t->dir_fd, "state", 0700), 0);
    t->part_dir = openat(t->dir_fd, "state", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *state = t;
    return 0;
}

static int tree_teardown(void **state)
{
    struct tree *t = *state;
    char cmd[128];

    close(t->part_dir);
    close(t->dir_fd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->path);
    if (system(cmd) != 0)
        return -1;
    free(t);
    return 0;
}

/* Makes part file "p.part" in part_dir with `text`; returns its fd. */
static int make_part(int part_dir, const char *text)
{
    int fd = openat(part_dir, "p.part", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    return fd;
}

/* One put_commit() of a part holding `text`; returns its result. */
static int commit(struct tree *t, int part_dir, const char *text, const char *name,
                  enum put_mode mode, const struct cond_headers *h, char *final,
                  int *replaced, int *gone)
{
    int fd = make_part(part_dir, text), rc;

    rc = put_commit(part_dir, "p.part", fd, t->dir_fd, name, mode, h, final,
                    NAME_MAX + 1, replaced, gone, NULL, NULL);
    close(fd);
    if (!*gone)
        unlinkat(part_dir, "p.part", 0);
    return rc;
}

static void test_place_noreplace(void **state)
{
    struct tree *t = *state;

    put_file(t->part_dir, "src", "new");
    put_file(t->dir_fd, "dst", "old");
    assert_int_equal(put_place(t->part_dir, "src", t->dir_fd, "dst", 1), -EEXIST);
    assert_string_equal(read_file(t->dir_fd, "dst"), "old");
    assert_string_equal(read_file(t->part_dir, "src"), "new");
    assert_int_equal(put_place(t->part_dir, "src", t->dir_fd, "fresh", 1), 0);
    assert_string_equal(read_file(t->dir_fd, "fresh"), "new");
    assert_int_equal(faccessat(t->part_dir, "src", F_OK, 0), -1);
    put_file(t->part_dir, "src", "newer");
    assert_int_equal(put_place(t->part_dir, "src", t->dir_fd, "dst", 0), 0);
    assert_string_equal(read_file(t->dir_fd, "dst"), "newer");
}

static void test_commit_modes(void **state)
{
    struct tree *t = *state;
    char final[NAME_MAX + 1], etag[COND_ETAG_MAX], wrong[] = "\"1-2-3\"";
    struct cond_headers h = {0};
    int replaced, gone, fds = count_fds();
    struct stat st;

    /* a new name */
    assert_int_equal(commit(t, t->part_dir, "one", "a.txt", PUT_NOREPLACE, NULL, final,
                            &replaced, &gone), 0);
    assert_string_equal(final, "a.txt");
    assert_false(replaced);
    assert_true(gone);
    assert_string_equal(read_file(t->dir_fd, "a.txt"), "one");
    assert_int_equal(fstatat(t->dir_fd, "a.txt", &st, 0), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    /* refuse: the name is taken, nothing changes */
    assert_int_equal(commit(t, t->part_dir, "two", "a.txt", PUT_NOREPLACE, NULL, final,
                            &replaced, &gone), -EEXIST);
    assert_false(gone);
    assert_string_equal(read_file(t->dir_fd, "a.txt"), "one");

    /* keep both: "a (1).txt", then "a (2).txt" */
    assert_int_equal(commit(t, t->part_dir, "two", "a.txt", PUT_KEEP_BOTH, NULL, final,
                            &replaced, &gone), 0);
    assert_string_equal(final, "a (1).txt");
    assert_int_equal(commit(t, t->part_dir, "three", "a.txt", PUT_KEEP_BOTH, NULL, final,
                            &replaced, &gone), 0);
    assert_string_equal(final, "a (2).txt");
    assert_string_equal(read_file(t->dir_fd, "a (2).txt"), "three");
    assert_string_equal(read_file(t->dir_fd, "a.txt"), "one");

    /* overwrite */
    assert_int_equal(commit(t, t->part_dir, "four", "a.txt", PUT_REPLACE, NULL, final,
                            &replaced, &gone), 0);
    assert_true(replaced);
    assert_string_equal(read_file(t->dir_fd, "a.txt"), "four");
    assert_int_equal(commit(t, t->part_dir, "five", "b.txt", PUT_REPLACE, NULL, final,
                            &replaced, &gone), 0);
    assert_false(replaced);

    /* overwrite never replaces a folder */
    assert_int_equal(mkdirat(t->dir_fd, "folder", 0755), 0);
    assert_int_equal(commit(t, t->part_dir, "six", "folder", PUT_REPLACE, NULL, final,
                            &replaced, &gone), -EISDIR);

    /* If-Match: a wrong tag, then the right one */
    h.if_match = wrong;
    assert_int_equal(commit(t, t->part_dir, "seven", "a.txt", PUT_IF_MATCH, &h, final,
                            &replaced, &gone), PUT_EPRECOND);
    assert_string_equal(read_file(t->dir_fd, "a.txt"), "four");
    assert_int_equal(fstatat(t->dir_fd, "a.txt", &st, 0), 0);
    cond_etag(&st, etag);
    h.if_match = etag;
    assert_int_equal(commit(t, t->part_dir, "eight", "a.txt", PUT_IF_MATCH, &h, final,
                            &replaced, &gone), 0);
    assert_true(replaced);
    assert_string_equal(read_file(t->dir_fd, "a.txt"), "eight");
    /* If-Match on a name that is gone */
    assert_int_equal(commit(t, t->part_dir, "nine", "gone.txt", PUT_IF_MATCH, &h, final,
                            &replaced, &gone), PUT_EPRECOND);

    assert_int_equal(count_names(t->part_dir, ".part"), 0);
    assert_int_equal(count_names(t->dir_fd, "ferry-part"), 0);
    assert_int_equal(count_fds(), fds);
}

/* The part on another file system (/dev/shm is tmpfs on most Linux
 * machines): the copy through a hidden temporary file. */
static void test_commit_across_file_systems(void **state)
{
    struct tree *t = *state;
    char shm[] = "/dev/shm/ferry-test-put.XXXXXX", final[NAME_MAX + 1];
    struct stat a, b;
    int shm_fd, replaced, gone, fds = count_fds();

    if (!mkdtemp(shm)) {
        print_message("# no /dev/shm: the cross-file-system case is not run here\n");
        return;
    }
    shm_fd = open(shm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(shm_fd >= 0);
    assert_int_equal(fstat(shm_fd, &a), 0);
    assert_int_equal(fstat(t->dir_fd, &b), 0);
    if (a.st_dev == b.st_dev) {
        print_message("# /dev/shm and /tmp are one file system: cross case not run\n");
    } else {
        assert_int_equal(commit(t, shm_fd, "far", "far.txt", PUT_NOREPLACE, NULL, final,
                                &replaced, &gone), 0);
        assert_true(gone);
        assert_string_equal(read_file(t->dir_fd, "far.txt"), "far");
        assert_int_equal(commit(t, shm_fd, "again", "far.txt", PUT_NOREPLACE, NULL, final,
                                &replaced, &gone), -EEXIST);
        assert_string_equal(read_file(t->dir_fd, "far.txt"), "far");
        assert_int_equal(commit(t, shm_fd, "kept", "far.txt", PUT_KEEP_BOTH, NULL, final,
                                &replaced, &gone), 0);
        assert_string_equal(final, "far (1).txt");
        assert_int_equal(commit(t, shm_fd, "over", "far.txt", PUT_REPLACE, NULL, final,
                                &replaced, &gone), 0);
        assert_true(replaced);
        assert_string_equal(read_file(t->dir_fd, "far.txt"), "over");
        assert_int_equal(count_names(t->dir_fd, "ferry-part"), 0);
        assert_int_equal(count_names(shm_fd, ".part"), 0);
    }
    close(shm_fd);
    rmdir(shm);
    assert_int_equal(count_fds(), fds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_both_names),
        cmocka_unit_test(test_keep_both_at_name_max),
        cmocka_unit_test_setup_teardown(test_place_noreplace, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_commit_modes, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_commit_across_file_systems, tree_setup,
                                        tree_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
