/*
 * test_fileops.c — unit tests for daemon/uploads/fileops.c and daemon/uploads/trash.c
 * without sockets: the Destination parser and URL encoder, the tree copy
 * (contents, modes, dates, symlinks copied as links, special files skipped,
 * Depth 0, refusal onto an existing name, nothing left after a failure, a
 * tree as deep as allowed on a small thread stack),
 * the tree removal (never following a symlink out), and the trash on a temp
 * tree: put, record, restore (byte-identical; name taken; folder gone),
 * unput, purge, sweep by age and trash_days, orphans and leftovers, a
 * trash on another file system (trash_put: -EXDEV, nothing moved;
 * trash_delete: a small item copied in and back, a big one refused, a cut
 * copy swept), and the bound (oldest first, too big refused, a percentage
 * of the disk, emptying). No fd may leak.
 *
 * fileops.c and trash.c call into the server and upload-put.c into the
 * lifecycle; the few functions they need are defined here as stand-ins.
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
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "fileops.h"
#include "server.h"
#include "trash.h"

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

/* ------------------------------------------------------------ helpers */

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

/* Writes len bytes of data into dir/name with `mode`. */
static void put_bytes(int dir, const char *name, const void *data, size_t len, mode_t mode)
{
    int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void put_file(int dir, const char *name, const char *text)
{
    put_bytes(dir, name, text, strlen(text), 0644);
}

/* The content of dir/name ("<absent>" when it cannot be opened). */
static const char *read_file(int dir, const char *name)
{
    static char buf[256];
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return "<absent>";
    n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
    return buf;
}

static int exists(int dir, const char *name)
{
    struct stat st;

    return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Number of entries of dir (without "." and ".."), or of those whose name
 * contains `part` when not NULL. */
static int count_names(int dir, const char *part)
{
    char **names;
    size_t n;
    int cnt = 0;

    assert_int_equal(fileops_names(dir, &names, &n), 0);
    for (size_t i = 0; i < n; i++)
        if (!part || strstr(names[i], part))
            cnt++;
    fileops_names_free(names, n);
    return cnt;
}

static int open_dir(int dir, const char *name)
{
    int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    assert_true(fd >= 0);
    return fd;
}

/* A temp tree: root/ (the shared folder), state/ (the state folder),
 * outside/ (beside the root), and a server that points at them. */
struct tree {
    char path[64];
    int top, root, state, outside;
    struct ferry_server srv;
};

static int tree_setup(void **state)
{
    struct tree *t = calloc(1, sizeof *t);

    snprintf(t->path, sizeof t->path, "/tmp/ferry-test-fileops.XXXXXX");
    if (!t || !mkdtemp(t->path))
        return -1;
    t->top = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal(mkdirat(t->top, "root", 0755), 0);
    assert_int_equal(mkdirat(t->top, "state", 0700), 0);
    assert_int_equal(mkdirat(t->top, "outside", 0755), 0);
    t->root = open_dir(t->top, "root");
    t->state = open_dir(t->top, "state");
    t->outside = open_dir(t->top, "outside");
    put_file(t->outside, "keep.txt", "outside");
    t->srv.root_fd = t->root;
    t->srv.state_fd = t->state;
    t->srv.cfg.trash_days = 0; /* 30 */
    *state = t;
    return 0;
}

static int tree_teardown(void **state)
{
    struct tree *t = *state;
    char cmd[128];

    close(t->root);
    close(t->state);
    close(t->outside);
    close(t->top);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->path);
    if (system(cmd) != 0)
        return -1;
    free(t);
    return 0;
}

/* ------------------------------------------------------------ parsers */

static void test_destination(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(fileops_destination("/a/b%20c", NULL, out, sizeof out), 0);
    assert_string_equal(out, "/a/b%20c");
    assert_int_equal(fileops_destination("http://127.0.0.1:8080/x/y?q=1", "127.0.0.1:8080",
                                         out, sizeof out), 0);
    assert_string_equal(out, "/x/y");
    assert_int_equal(fileops_destination("HTTPS://Host.Local:1/z", "host.local:1", out,
                                         sizeof out), 0);
    assert_string_equal(out, "/z");
    assert_int_equal(fileops_destination("http://h:1", "h:1", out, sizeof out), 0);
    assert_string_equal(out, "/");
    assert_int_equal(fileops_destination("http://h:2/x", "h:1", out, sizeof out),
                     FILEOPS_EOTHERHOST);
    assert_string_equal(out, "");
    assert_int_equal(fileops_destination("http://evil.example/x", "h:1", out, sizeof out),
                     FILEOPS_EOTHERHOST);
    assert_int_equal(fileops_destination("http://user@h:1/x", "h:1", out, sizeof out),
                     FILEOPS_EOTHERHOST);
    assert_int_equal(fileops_destination("http://h:1/x", NULL, out, sizeof out),
                     FILEOPS_EOTHERHOST);
    assert_int_equal(fileops_destination("http:///x", "h:1", out, sizeof out),
                     FILEOPS_EBADDEST);
    assert_int_equal(fileops_destination("//h:1/x", "h:1", out, sizeof out),
                     FILEOPS_EBADDEST);
    assert_int_equal(fileops_destination("ftp://h:1/x", "h:1", out, sizeof out),
                     FILEOPS_EBADDEST);
    assert_int_equal(fileops_destination("x/y", "h:1", out, sizeof out), FILEOPS_EBADDEST);
    assert_int_equal(fileops_destination("", "h:1", out, sizeof out), FILEOPS_EBADDEST);
    assert_int_equal(fileops_destination(NULL, "h:1", out, sizeof out), FILEOPS_EBADDEST);
    assert_int_equal(fileops_destination("/abcdefgh", NULL, out, 5), -ENAMETOOLONG);
}

static void test_url(void **state)
{
    char out[128];

    (void)state;
    assert_int_equal(fileops_url("Fotos été/a b.txt", 0, out, sizeof out), 0);
    assert_string_equal(out, "/Fotos%20%C3%A9t%C3%A9/a%20b.txt");
    assert_int_equal(fileops_url("dir", 1, out, sizeof out), 0);
    assert_string_equal(out, "/dir/");
    assert_int_equal(fileops_url("", 1, out, sizeof out), 0);
    assert_string_equal(out, "/");
    assert_int_equal(fileops_url("a%b", 0, out, sizeof out), 0);
    assert_string_equal(out, "/a%25b");
    assert_int_equal(fileops_url("abcdef", 0, out, 25), -ENAMETOOLONG);
    assert_string_equal(out, "");
    assert_int_equal(fileops_url("abcdef", 1, out, 26), 0);
    assert_string_equal(out, "/abcdef/");
}

/* ------------------------------------------------------------ copy and remove */

/* A small tree in dir/src: files (one 1 MiB random, one 0600), a nested
 * folder (0750), an empty folder, a symlink out of the root, a FIFO. */
static void make_source(struct tree *t, int dir)
{
    static unsigned char big[1 << 20];
    struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = 1000000000, .tv_nsec = 5}};
    int src, sub;
    char link[128];

    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(rand() >> 7);
    assert_int_equal(mkdirat(dir, "src", 0755), 0);
    src = open_dir(dir, "src");
    put_bytes(src, "big.bin", big, sizeof big, 0644);
    put_bytes(src, "secret.txt", "s", 1, 0600);
    assert_int_equal(utimensat(src, "secret.txt", ts, 0), 0);
    assert_int_equal(mkdirat(src, "sub", 0750), 0);
    assert_int_equal(fchmodat(src, "sub", 0750, 0), 0);
    sub = open_dir(src, "sub");
    put_file(sub, "deep.txt", "deep");
    assert_int_equal(mkdirat(sub, "empty", 0755), 0);
    snprintf(link, sizeof link, "%s/outside", t->path);
    assert_int_equal(symlinkat(link, sub, "out"), 0);
    assert_int_equal(mkfifoat(sub, "fifo", 0644), 0);
    close(sub);
    close(src);
}

/* Whether two files have the same bytes. */
static int same_bytes(int da, const char *a, int db, const char *b)
{
    int fa = openat(da, a, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int fb = openat(db, b, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), same = fa >= 0 && fb >= 0;
    char x[4096], y[4096];

    while (same) {
        ssize_t n = read(fa, x, sizeof x), m = read(fb, y, sizeof y);

        if (n != m || n < 0 || memcmp(x, y, (size_t)n) != 0)
            same = 0;
        if (n <= 0)
            break;
    }
    if (fa >= 0)
        close(fa);
    if (fb >= 0)
        close(fb);
    return same;
}

static void test_copy_tree(void **state)
{
    struct tree *t = *state;
    char target[128], want[128];
    struct stat st;
    int fds = count_fds(), dst, sub;
    ssize_t n;

    make_source(t, t->root);
    assert_int_equal(fileops_copy(t->root, "src", t->root, "dst", 1), 0);
    dst = open_dir(t->root, "dst");
    assert_true(same_bytes(t->root, "src/big.bin", dst, "big.bin"));
    assert_string_equal(read_file(dst, "secret.txt"), "s");
    assert_int_equal(fstatat(dst, "secret.txt", &st, 0), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_mtim.tv_sec, 1000000000);
    assert_int_equal(fstatat(dst, "sub", &st, 0), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0750);
    sub = open_dir(dst, "sub");
    assert_string_equal(read_file(sub, "deep.txt"), "deep");
    assert_true(exists(sub, "empty"));
    /* the symlink is a symlink with the same target, and nothing outside moved */
    assert_int_equal(fstatat(sub, "out", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISLNK(st.st_mode));
    n = readlinkat(sub, "out", target, sizeof target - 1);
    assert_true(n > 0);
    target[n] = '\0';
    snprintf(want, sizeof want, "%s/outside", t->path);
    assert_string_equal(target, want);
    assert_int_equal(count_names(t->outside, NULL), 1);
    assert_false(exists(sub, "fifo")); /* special files are skipped */
    assert_int_equal(count_names(sub, NULL), 3);
    close(sub);
    close(dst);

    /* Depth 0: the folder alone */
    assert_int_equal(fileops_copy(t->root, "src", t->root, "flat", 0), 0);
    dst = open_dir(t->root, "flat");
    assert_int_equal(count_names(dst, NULL), 0);
    close(dst);

    /* onto an existing name: refused, the existing one untouched */
    put_file(t->root, "taken", "mine");
    assert_int_equal(fileops_copy(t->root, "src", t->root, "taken", 1), -EEXIST);
    assert_string_equal(read_file(t->root, "taken"), "mine");
    assert_int_equal(fileops_copy(t->root, "src/secret.txt", t->root, "dst", 1), -EEXIST);

    /* a special file as the source: refused, nothing made */
    assert_int_equal(fileops_copy(t->root, "src/sub/fifo", t->root, "f2", 1), -ENOTSUP);
    assert_false(exists(t->root, "f2"));
    /* a missing source */
    assert_int_equal(fileops_copy(t->root, "nope", t->root, "n2", 1), -ENOENT);
    assert_false(exists(t->root, "n2"));
    /* a single symlink is copied as itself */
    assert_int_equal(fileops_copy(t->root, "src/sub/out", t->root, "out2", 1), 0);
    assert_int_equal(fstatat(t->root, "out2", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISLNK(st.st_mode));

    assert_int_equal(fileops_size(t->root, "src"), (1 << 20) + 1 + 4);
    assert_int_equal(fileops_size(t->root, "src/secret.txt"), 1);
    assert_int_equal(fileops_size(t->root, "src/sub/out"), 0);
    assert_int_equal(count_fds(), fds);
}

/* A failure half-way leaves nothing: an unreadable file inside the source
 * (only when not root, who reads anything). */
static void test_copy_failure_leaves_nothing(void **state)
{
    struct tree *t = *state;
    int fds = count_fds(), src;

    make_source(t, t->root);
    src = open_dir(t->root, "src");
    put_file(src, "zz-locked", "x");
    assert_int_equal(fchmodat(src, "zz-locked", 0, 0), 0);
    close(src);
    if (geteuid() == 0) {
        print_message("# running as root: unreadable files are readable, case skipped\n");
        return;
    }
    assert_int_equal(fileops_copy(t->root, "src", t->root, "dst", 1), -EACCES);
    assert_false(exists(t->root, "dst"));
    assert_int_equal(count_fds(), fds);
}

static void test_remove_tree(void **state)
{
    struct tree *t = *state;
    char link[128];
    int fds = count_fds(), src;

    make_source(t, t->root);
    src = open_dir(t->root, "src");
    snprintf(link, sizeof link, "%s/outside", t->path);
    assert_int_equal(symlinkat(link, src, "dirlink"), 0);
    close(src);
    assert_int_equal(fileops_remove(t->root, "src"), 0);
    assert_false(exists(t->root, "src"));
    assert_string_equal(read_file(t->outside, "keep.txt"), "outside");
    assert_int_equal(fileops_remove(t->root, "src"), 0); /* gone already */
    put_file(t->root, "f", "x");
    assert_int_equal(fileops_remove(t->root, "f"), 0);
    assert_int_equal(count_names(t->root, NULL), 0);
    assert_int_equal(count_fds(), fds);
}

/* Nests `levels` folders "d" under dir/name, with a file at the bottom. */
static void make_deep(int dir, const char *name, int levels)
{
    int fd, next;

    assert_int_equal(mkdirat(dir, name, 0755), 0);
    fd = open_dir(dir, name);
    for (int i = 0; i < levels; i++) {
        assert_int_equal(mkdirat(fd, "d", 0755), 0);
        next = open_dir(fd, "d");
        close(fd);
        fd = next;
    }
    put_file(fd, "bottom", "b");
    close(fd);
}

struct deep_job {
    int dir;
    int copy_rc, remove_rc, copy_too_deep_rc;
};

static void *deep_thread(void *arg)
{
    struct deep_job *j = arg;

    j->copy_rc = fileops_copy(j->dir, "deep", j->dir, "deep-copy", 1);
    j->copy_too_deep_rc = fileops_copy(j->dir, "deeper", j->dir, "deeper-copy", 1);
    j->remove_rc = fileops_remove(j->dir, "deep-copy");
    return NULL;
}

/* As deep as allowed, on a thread stack a quarter of the server's (64 KiB
 * of 256 KiB; the walks keep their frames on the heap): copy and removal
 * work; one level more is -ELOOP and leaves nothing. */
static void test_deep_tree(void **state)
{
    struct tree *t = *state;
    struct deep_job j = {.dir = t->root};
    pthread_attr_t attr;
    pthread_t th;
    int fds = count_fds();

    make_deep(t->root, "deep", FILEOPS_DEPTH_MAX - 1);
    make_deep(t->root, "deeper", FILEOPS_DEPTH_MAX);
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, 64 * 1024), 0);
    assert_int_equal(pthread_create(&th, &attr, deep_thread, &j), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&attr);
    assert_int_equal(j.copy_rc, 0);
    assert_int_equal(j.copy_too_deep_rc, -ELOOP);
    assert_false(exists(t->root, "deeper-copy"));
    assert_int_equal(j.remove_rc, 0);
    assert_false(exists(t->root, "deep-copy"));
    assert_int_equal(count_fds(), fds);
}

/* ------------------------------------------------------------ trash */

/* Reads the record of id as JSON (NULL when absent). */
static json_t *record(struct tree *t, const char *id)
{
    char path[256];

    snprintf(path, sizeof path, "%s/state/trash/%s.json", t->path, id);
    return json_load_file(path, 0, NULL);
}

/* Rewrites the record of id with "deleted" = when. */
static void age_record(struct tree *t, const char *id, time_t when)
{
    char path[256];
    json_t *j = record(t, id);

    assert_non_null(j);
    json_object_set_new(j, "deleted", json_integer((json_int_t)when));
    snprintf(path, sizeof path, "%s/state/trash/%s.json", t->path, id);
    assert_int_equal(json_dump_file(j, path, 0), 0);
    json_decref(j);
}

static void test_trash_put_restore(void **state)
{
    struct tree *t = *state;
    char id[TRASH_ID_MAX], path[PATHS_MAX + 2];
    struct stat st;
    json_t *j;
    int fds = count_fds(), folder = -1, tfd, sub;

    make_source(t, t->root);
    assert_int_equal(fileops_copy(t->root, "src", t->top, "orig", 1), 0);
    sub = open_dir(t->root, "src");

    /* a folder into the trash: one rename, a record */
    assert_int_equal(trash_put(&t->srv, t->root, "src", "src", id), 0);
    assert_false(exists(t->root, "src"));
    assert_int_equal(fstatat(t->state, "trash", &st, 0), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    j = record(t, id);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/src");
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "folder");
    assert_int_equal(json_integer_value(json_object_get(j, "size")), (1 << 20) + 1 + 4);
    assert_true(llabs((long long)json_integer_value(json_object_get(j, "deleted")) -
                      (long long)time(NULL)) < 5);
    json_decref(j);
    tfd = open_dir(t->state, "trash");
    assert_int_equal(count_names(tfd, ".tmp"), 0);

    /* restore: back where it was, byte-identical */
    assert_int_equal(trash_restore(&t->srv, id, path, sizeof path, &folder), 0);
    assert_string_equal(path, "/src");
    assert_int_equal(folder, 1);
    assert_true(same_bytes(t->root, "src/big.bin", t->top, "orig/big.bin"));
    assert_string_equal(read_file(t->root, "src/sub/deep.txt"), "deep");
    assert_int_equal(count_names(tfd, NULL), 0); /* entry and record gone */
    assert_int_equal(trash_restore(&t->srv, id, path, sizeof path, &folder), -ENOENT);

    /* a file, restored when its name is taken: refused, stays in the trash */
    assert_int_equal(trash_put(&t->srv, sub, "secret.txt", "src/secret.txt", id), 0);
    j = record(t, id);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "file");
    json_decref(j);
    put_file(sub, "secret.txt", "someone else");
    assert_int_equal(trash_restore(&t->srv, id, path, sizeof path, &folder), -EEXIST);
    assert_string_equal(read_file(sub, "secret.txt"), "someone else");
    assert_int_equal(count_names(tfd, NULL), 2);
    assert_int_equal(unlinkat(sub, "secret.txt", 0), 0);
    assert_int_equal(trash_restore(&t->srv, id, path, sizeof path, &folder), 0);
    assert_int_equal(folder, 0);
    assert_string_equal(read_file(sub, "secret.txt"), "s");

    /* its folder gone: -ENOTDIR, stays in the trash */
    assert_int_equal(trash_put(&t->srv, sub, "secret.txt", "src/secret.txt", id), 0);
    close(sub);
    assert_int_equal(fileops_remove(t->root, "src"), 0);
    assert_int_equal(trash_restore(&t->srv, id, path, sizeof path, &folder), -ENOTDIR);
    assert_true(exists(tfd, id));

    /* purge: gone for good */
    assert_int_equal(trash_purge(&t->srv, id), 0);
    assert_int_equal(count_names(tfd, NULL), 0);
    assert_int_equal(trash_purge(&t->srv, id), -ENOENT);
    assert_int_equal(trash_purge(&t->srv, "../../root"), -ENOENT);
    assert_int_equal(trash_restore(&t->srv, "../x", path, sizeof path, &folder), -ENOENT);

    /* unput: back in place after a caller's failure */
    put_file(t->root, "u.txt", "undo me");
    assert_int_equal(trash_put(&t->srv, t->root, "u.txt", "u.txt", id), 0);
    assert_false(exists(t->root, "u.txt"));
    assert_int_equal(trash_unput(&t->srv, id, t->root, "u.txt"), 0);
    assert_string_equal(read_file(t->root, "u.txt"), "undo me");
    assert_int_equal(count_names(tfd, NULL), 0);

    /* a symlink goes in as itself; what it points to stays */
    {
        char link[128];

        snprintf(link, sizeof link, "%s/outside", t->path);
        assert_int_equal(symlinkat(link, t->root, "lnk"), 0);
        assert_int_equal(trash_put(&t->srv, t->root, "lnk", "lnk", id), 0);
        assert_int_equal(fstatat(tfd, id, &st, AT_SYMLINK_NOFOLLOW), 0);
        assert_true(S_ISLNK(st.st_mode));
        assert_int_equal(trash_purge(&t->srv, id), 0);
        assert_string_equal(read_file(t->outside, "keep.txt"), "outside");
    }
    close(tfd);
    assert_int_equal(count_fds(), fds);
}

/* The record of a restored entry names a path that was edited to leave the
 * root: refused, the entry stays. */
static void test_trash_bad_record(void **state)
{
    struct tree *t = *state;
    char id[TRASH_ID_MAX], path[PATHS_MAX + 2], file[256];
    json_t *j;
    int folder, fds = count_fds();

    put_file(t->root, "x.txt", "x");
    assert_int_equal(trash_put(&t->srv, t->root, "x.txt", "x.txt", id), 0);
    j = record(t, id);
    json_object_set_new(j, "path", json_string("/../outside/x.txt"));
    snprintf(file, sizeof file, "%s/state/trash/%s.json", t->path, id);
    assert_int_equal(json_dump_file(j, file, 0), 0);
    json_decref(j);
    assert_int_equal(trash_restore(&t->srv, id, path, sizeof path, &folder), -EBADMSG);
    assert_false(exists(t->outside, "x.txt"));
    assert_int_equal(count_names(t->outside, NULL), 1);
    assert_int_equal(count_fds(), fds);
}

static void test_trash_sweep(void **state)
{
    struct tree *t = *state;
    char id[TRASH_ID_MAX], old_id[TRASH_ID_MAX], young_id[TRASH_ID_MAX], name[128];
    time_t now = time(NULL);
    int tfd, fds = count_fds();

    make_source(t, t->root);
    put_file(t->root, "young.txt", "young");
    assert_int_equal(trash_put(&t->srv, t->root, "src", "src", old_id), 0);
    assert_int_equal(trash_put(&t->srv, t->root, "young.txt", "young.txt", young_id), 0);
    tfd = open_dir(t->state, "trash");

    /* 29 days: kept (default 30); 31 days: removed with its whole tree */
    age_record(t, old_id, now - 29 * 86400);
    trash_sweep_at(&t->srv, now);
    assert_true(exists(tfd, old_id));
    age_record(t, old_id, now - 31 * 86400);
    trash_sweep_at(&t->srv, now);
    assert_false(exists(tfd, old_id));
    snprintf(name, sizeof name, "%s.json", old_id);
    assert_false(exists(tfd, name));
    assert_true(exists(tfd, young_id));
    assert_int_equal(count_names(tfd, NULL), 2);

    /* trash_days 1: two days old is removed */
    t->srv.cfg.trash_days = 1;
    trash_sweep_at(&t->srv, now + 86400 - 10);
    assert_true(exists(tfd, young_id));
    trash_sweep_at(&t->srv, now + 2 * 86400);
    assert_false(exists(tfd, young_id));
    assert_int_equal(count_names(tfd, NULL), 0);
    t->srv.cfg.trash_days = 0;

    /* orphans: removed only after the grace period; leftovers of removals
     * at once; foreign names never */
    snprintf(id, sizeof id, "%lld-0123456789abcdef", (long long)now);
    snprintf(name, sizeof name, "%s.json", id);
    put_file(tfd, name, "{\"path\":\"/gone\",\"kind\":\"file\",\"size\":1,\"deleted\":1}");
    snprintf(name, sizeof name, "%lld-00000000000000aa", (long long)now);
    put_file(tfd, name, "item without record");
    snprintf(name, sizeof name, "%lld-00000000000000bb.del", (long long)now);
    assert_int_equal(mkdirat(tfd, name, 0700), 0);
    snprintf(name, sizeof name, "%lld-00000000000000cc.json.tmp", (long long)now);
    put_file(tfd, name, "{");
    put_file(tfd, "README", "not ours");
    trash_sweep_at(&t->srv, now);
    assert_int_equal(count_names(tfd, NULL), 4); /* the .del went at once */
    trash_sweep_at(&t->srv, now + TRASH_ORPHAN_GRACE_S + 1);
    assert_int_equal(count_names(tfd, NULL), 1);
    assert_true(exists(tfd, "README"));
    close(tfd);
    assert_int_equal(count_fds(), fds);
}

static void test_trash_without_state(void **state)
{
    struct tree *t = *state;
    char id[TRASH_ID_MAX];

    put_file(t->root, "f", "x");
    t->srv.state_fd = -1;
    assert_int_equal(trash_put(&t->srv, t->root, "f", "f", id), -EBADF);
    trash_sweep(&t->srv); /* nothing to do, no crash */
    t->srv.state_fd = t->state;
    assert_true(exists(t->root, "f"));
}

/* The trash on another file system (/dev/shm is tmpfs on most Linux
 * machines): -EXDEV before anything moves, and no record is left. */
static void test_trash_other_file_system(void **state)
{
    struct tree *t = *state;
    char shm[] = "/dev/shm/ferry-test-fileops.XXXXXX", id[TRASH_ID_MAX], cmd[128];
    char path[PATH_MAX];
    struct stat a, b;
    uint64_t size = 0;
    time_t now = time(NULL);
    int shm_fd, fds = count_fds(), tfd, big, folder = 0;

    if (!mkdtemp(shm)) {
        print_message("# no /dev/shm: the cross-file-system case is not run here\n");
        return;
    }
    shm_fd = open(shm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(shm_fd >= 0);
    assert_int_equal(fstat(shm_fd, &a), 0);
    assert_int_equal(fstat(t->root, &b), 0);
    if (a.st_dev == b.st_dev) {
        print_message("# /dev/shm and /tmp are one file system: cross case not run\n");
    } else {
        put_file(t->root, "f", "stay");
        t->srv.state_fd = shm_fd;
        assert_int_equal(trash_put(&t->srv, t->root, "f", "f", id), -EXDEV);
        t->srv.state_fd = t->state;
        assert_string_equal(read_file(t->root, "f"), "stay");
        tfd = open_dir(shm_fd, "trash");
        assert_int_equal(count_names(tfd, NULL), 0);
        close(tfd);
        /* a copy across works, though */
        assert_int_equal(fileops_copy(t->root, "f", shm_fd, "f", 1), 0);
        assert_string_equal(read_file(shm_fd, "f"), "stay");

        /* trash_delete() copies a small item in, and restore copies it back */
        t->srv.state_fd = shm_fd;
        assert_int_equal(trash_delete(&t->srv, t->root, "f", "f", id, &size), 0);
        assert_int_equal(size, 4);
        assert_false(exists(t->root, "f"));
        tfd = open_dir(shm_fd, "trash");
        assert_string_equal(read_file(tfd, id), "stay");
        assert_int_equal(trash_restore(&t->srv, id, path, sizeof path, &folder), 0);
        assert_string_equal(path, "/f");
        assert_string_equal(read_file(t->root, "f"), "stay");
        assert_int_equal(count_names(tfd, NULL), 0);
        assert_int_equal(count_names(t->root, "ferry-copy"), 0);

        /* a big one (sparse) is refused before anything changes */
        big = openat(t->root, "big", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(big >= 0);
        assert_int_equal(ftruncate(big, (off_t)TRASH_COPY_MAX + 1), 0);
        close(big);
        assert_int_equal(trash_delete(&t->srv, t->root, "big", "big", id, &size),
                         TRASH_EOTHERFS);
        assert_int_equal(size, TRASH_COPY_MAX + 1);
        assert_true(exists(t->root, "big"));
        assert_int_equal(count_names(tfd, NULL), 0);

        /* a copy cut by a kill ("<id>.part") goes once old enough */
        snprintf(path, sizeof path, "%lld-00000000000000dd.part", (long long)now);
        assert_int_equal(mkdirat(tfd, path, 0700), 0);
        put_file(tfd, "keep-out", "not ours");
        trash_sweep_at(&t->srv, now);
        assert_true(exists(tfd, path));
        trash_sweep_at(&t->srv, now + TRASH_ORPHAN_GRACE_S + 1);
        assert_false(exists(tfd, path));
        assert_true(exists(tfd, "keep-out"));
        close(tfd);
        t->srv.state_fd = t->state;
    }
    close(shm_fd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", shm);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(count_fds(), fds);
}

/* The bound: the oldest entries leave first, a bigger item is refused
 * (nothing changed), a percentage of the disk; emptying. */
static void test_trash_bound(void **state)
{
    struct tree *t = *state;
    char id1[TRASH_ID_MAX], id2[TRASH_ID_MAX], id3[TRASH_ID_MAX], name[8];
    struct statvfs v;
    uint64_t size, bytes;
    unsigned n;
    int tfd, fds = count_fds();

    t->srv.cfg.trash_max = 100;
    for (int i = 1; i <= 4; i++) {
        snprintf(name, sizeof name, "f%d", i);
        put_file(t->root, name, "0123456789012345678901234567890123456789"); /* 40 */
    }
    assert_int_equal(trash_delete(&t->srv, t->root, "f1", "f1", id1, &size), 0);
    assert_int_equal(trash_delete(&t->srv, t->root, "f2", "f2", id2, &size), 0);
    assert_int_equal(trash_delete(&t->srv, t->root, "f3", "f3", id3, &size), 0);
    tfd = open_dir(t->state, "trash");
    assert_false(exists(tfd, id1)); /* 120 > 100: the oldest went, in the same second */
    assert_true(exists(tfd, id2));
    assert_true(exists(tfd, id3));
    assert_int_equal(count_names(tfd, NULL), 4);

    /* bigger than the bound: refused, nothing changed */
    t->srv.cfg.trash_max = 30;
    assert_int_equal(trash_delete(&t->srv, t->root, "f4", "f4", id1, &size), TRASH_ETOOBIG);
    assert_int_equal(size, 40);
    assert_true(exists(t->root, "f4"));
    assert_string_equal(id1, "");
    /* (the sweep before it did trim to the new bound) */
    assert_int_equal(count_names(tfd, NULL), 0);

    /* a percentage of the state folder's disk */
    t->srv.cfg.trash_max = 0;
    t->srv.cfg.trash_max_percent = 50;
    assert_int_equal(fstatvfs(t->state, &v), 0);
    assert_true(trash_max_bytes(&t->srv) ==
                (uint64_t)v.f_blocks * v.f_frsize / 100 * 50);
    t->srv.cfg.trash_max_percent = 0;
    assert_true(trash_max_bytes(&t->srv) ==
                (uint64_t)v.f_blocks * v.f_frsize / 100 * TRASH_MAX_PERCENT);

    /* emptying */
    assert_int_equal(trash_delete(&t->srv, t->root, "f4", "f4", id1, &size), 0);
    assert_int_equal(trash_empty(&t->srv, &n, &bytes), 0);
    assert_int_equal(n, 1);
    assert_int_equal(bytes, 40);
    assert_int_equal(count_names(tfd, NULL), 0);
    assert_int_equal(trash_empty(&t->srv, &n, &bytes), 0);
    assert_int_equal(n, 0);
    close(tfd);
    assert_int_equal(count_fds(), fds);
}

/* fileops_depth, fileops_links_check and fileops_copy_links: the depth
 * of a folder as ".." climbs it, and every symlink of a tree judged from
 * where it would land, the first bad one named. */
static void test_links(void **state)
{
    struct tree *t = *state;
    struct stat rst;
    char bad[64];
    struct fileops_links lk = {.bad = bad, .badlen = sizeof bad};
    int a, ab, fds = count_fds();
    size_t d = 99;

    assert_int_equal(fstat(t->root, &rst), 0);
    assert_int_equal(mkdirat(t->root, "a", 0755), 0);
    a = open_dir(t->root, "a");
    assert_int_equal(mkdirat(a, "b", 0755), 0);
    ab = open_dir(a, "b");
    assert_int_equal(fileops_depth(t->root, &rst, &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(fileops_depth(ab, &rst, &d), 0);
    assert_int_equal(d, 2);
    assert_int_equal(fileops_depth(t->outside, &rst, &d), -EXDEV);

    /* a/b/t/{x/up -> ../../.., abs -> /etc, in -> ../in.txt} */
    assert_int_equal(mkdirat(ab, "t", 0755), 0);
    assert_int_equal(mkdirat(ab, "t/x", 0755), 0);
    assert_int_equal(symlinkat("../../..", ab, "t/x/up"), 0);
    assert_int_equal(symlinkat("/etc", ab, "t/abs"), 0);
    assert_int_equal(symlinkat("../in.txt", ab, "t/in"), 0);
    put_file(ab, "t/x/f.txt", "f");

    /* t moved into a/b (where it is): up reaches a; fine */
    lk.depth = 2;
    assert_int_equal(fileops_links_check(ab, "t", &lk), 0);
    /* into the root: t/x/up would reach the root's parent */
    lk.depth = 0;
    assert_int_equal(fileops_links_check(ab, "t", &lk), FILEOPS_ELINKOUT);
    assert_string_equal(bad, "x/up");
    lk.depth = 1;
    assert_int_equal(fileops_links_check(ab, "t", &lk), 0);
    /* a link alone */
    lk.depth = 0;
    assert_int_equal(fileops_links_check(ab, "t/x/up", &lk), FILEOPS_ELINKOUT);
    assert_string_equal(bad, "");
    assert_int_equal(fileops_links_check(ab, "t/abs", &lk), 0);
    assert_int_equal(fileops_links_check(ab, "t/x/f.txt", &lk), 0);
    assert_int_equal(fileops_links_check(ab, "nope", &lk), -ENOENT);

    /* a copy into the root: refused, nothing left; into a: made */
    lk.depth = 0;
    assert_int_equal(fileops_copy_links(ab, "t", t->root, "t2", 1, &lk), FILEOPS_ELINKOUT);
    assert_string_equal(bad, "x/up");
    assert_false(exists(t->root, "t2"));
    lk.depth = 1;
    assert_int_equal(fileops_copy_links(ab, "t", a, "t2", 1, &lk), 0);
    assert_true(exists(a, "t2/x/up"));
    assert_int_equal(fileops_copy_links(ab, "t/x/up", t->root, "up", 1, NULL), 0);
    assert_true(exists(t->root, "up")); /* no check without links */
    close(ab);
    close(a);
    assert_int_equal(count_fds(), fds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_destination),
        cmocka_unit_test(test_url),
        cmocka_unit_test_setup_teardown(test_copy_tree, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_copy_failure_leaves_nothing, tree_setup,
                                        tree_teardown),
        cmocka_unit_test_setup_teardown(test_remove_tree, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_deep_tree, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_trash_put_restore, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_trash_bad_record, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_trash_sweep, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_trash_without_state, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_links, tree_setup, tree_teardown),
        cmocka_unit_test_setup_teardown(test_trash_other_file_system, tree_setup,
                                        tree_teardown),
        cmocka_unit_test_setup_teardown(test_trash_bound, tree_setup, tree_teardown),
    };

    srand((unsigned)time(NULL));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
