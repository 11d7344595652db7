/*
 * test_paths.c — unit tests for daemon/share/paths.c: a hostile table for
 * paths_decode, and paths_open against a real temporary tree full of
 * symlinks, run through openat2 and through the portable walk, which must
 * agree case by case and leak no fd.
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
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__) && defined(HAVE_LINUX_OPENAT2_H) && defined(HAVE_SYS_SYSCALL_H)
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#if defined(SYS_openat2)
#define TEST_SECCOMP 1
#endif
#endif

#include "paths.h"

/* ------------------------------------------------------- paths_decode */

struct decode_case {
    const char *raw;
    int show_hidden;
    int ret;            /* expected return; >= 0 means success */
    const char *out;    /* expected output on success */
    int trailing;       /* expected *trailing_slash on success */
};

#define OK(raw, out, tr) { raw, 0, (int)sizeof(out) - 1, out, tr }
#define OKH(raw, out, tr) { raw, 1, (int)sizeof(out) - 1, out, tr }
#define BAD(raw) { raw, 0, PATHS_EBADREQ, NULL, 0 }
#define BADH(raw) { raw, 1, PATHS_EBADREQ, NULL, 0 }
#define FORB(raw) { raw, 0, PATHS_EFORBIDDEN, NULL, 0 }
#define FORBH(raw) { raw, 1, PATHS_EFORBIDDEN, NULL, 0 }
#define NOTF(raw) { raw, 0, PATHS_ENOTFOUND, NULL, 0 }

static const struct decode_case decode_cases[] = {
    /* plain */
    OK("/", "", 1),
    OK("//", "", 1),
    OK("///", "", 1),
    OK("/a", "a", 0),
    OK("/a/", "a", 1),
    OK("/a/b/c.txt", "a/b/c.txt", 0),
    OK("//a///b/", "a/b", 1),
    OK("/a//b", "a/b", 0),
    OK("/a+b", "a+b", 0),
    OK("/a%2Bb", "a+b", 0),
    OK("/a%20b", "a b", 0),
    OK("/%41%62", "Ab", 0),
    OK("/%4a%4A%4b", "JJK", 0),
    OK("/100%25", "100%", 0),
    OK("/%25zz", "%zz", 0),
    OK("/a%3Fb%23c", "a?b#c", 0),
    OK("/a..b", "a..b", 0),
    OK("/a./b.", "a./b.", 0),
    OK("/a.../x", "a.../x", 0),
    OK("/~user", "~user", 0),
    /* unicode that must pass */
    OK("/Fotos/M%C3%BCnchen%20%F0%9F%8C%89.jpg",
       "Fotos/M\xc3\xbc" "nchen \xf0\x9f\x8c\x89.jpg", 0),
    OK("/M\xc3\xbc" "nchen", "M\xc3\xbc" "nchen", 0),      /* raw UTF-8 */
    OK("/\xc3%BC", "\xc3\xbc", 0),                         /* mixed */
    OK("/%E2%82%AC", "\xe2\x82\xac", 0),                   /* U+20AC */
    OK("/%e2%82%ac", "\xe2\x82\xac", 0),
    OK("/%C2%80", "\xc2\x80", 0),                          /* U+0080 */
    OK("/%DF%BF", "\xdf\xbf", 0),                          /* U+07FF */
    OK("/%E0%A0%80", "\xe0\xa0\x80", 0),                   /* U+0800 */
    OK("/%ED%9F%BF", "\xed\x9f\xbf", 0),                   /* U+D7FF */
    OK("/%EE%80%80", "\xee\x80\x80", 0),                   /* U+E000 */
    OK("/%EF%BF%BD", "\xef\xbf\xbd", 0),                   /* U+FFFD */
    OK("/%F0%90%80%80", "\xf0\x90\x80\x80", 0),            /* U+10000 */
    OK("/%F4%8F%BF%BF", "\xf4\x8f\xbf\xbf", 0),            /* U+10FFFF */
    OK("/%E4%B8%AD%E6%96%87/%D0%BA%D0%B8%D1%80",
       "\xe4\xb8\xad\xe6\x96\x87/\xd0\xba\xd0\xb8\xd1\x80", 0),

    /* hidden */
    NOTF("/.hidden"),
    NOTF("/.hidden/"),
    NOTF("/a/.git/config"),
    NOTF("/%2ehidden"),
    NOTF("/%2Ehidden"),
    NOTF("/..."),
    NOTF("/.%2e."),
    OKH("/.hidden", ".hidden", 0),
    OKH("/a/.git/config", "a/.git/config", 0),
    OKH("/%2ehidden/", ".hidden", 1),
    OKH("/...", "...", 0),

    /* dot segments, plain and encoded in every case and mix */
    FORB("/."),
    FORB("/./"),
    FORB("/./a"),
    FORB("/a/."),
    FORB("/a/./b"),
    FORB("/.."),
    FORB("/../"),
    FORB("/../etc/passwd"),
    FORB("/a/../b"),
    FORB("/a/.."),
    FORB("//..//"),
    FORB("/%2e"),
    FORB("/%2E"),
    FORB("/%2e/"),
    FORB("/%2e%2e"),
    FORB("/%2E%2E"),
    FORB("/%2e%2E"),
    FORB("/%2E%2e"),
    FORB("/.%2e"),
    FORB("/.%2E"),
    FORB("/%2e."),
    FORB("/%2E."),
    FORB("/%2e%2e/%2e%2e/etc/passwd"),
    FORB("/a/%2e%2e/"),
    FORB("/.hidden/.."),         /* forbidden beats hidden */
    FORB("/../.hidden"),
    FORBH("/.."),
    FORBH("/."),
    FORBH("/%2e%2e"),

    /* not starting with '/' */
    BAD(""),
    BAD("a"),
    BAD("a/b"),
    BAD(" /a"),
    BAD("%2Fa"),
    BAD("%2e%2e/"),
    BAD("\\a"),

    /* truncated or bad escapes */
    BAD("/%"),
    BAD("/%4"),
    BAD("/%zz"),
    BAD("/%g0"),
    BAD("/%0g"),
    BAD("/%%41"),
    BAD("/a%"),
    BAD("/a%2"),
    BAD("/a%2/"),
    BAD("/% 1"),
    BAD("/%+1"),
    BAD("/%-1"),

    /* %2F: refused, never a separator */
    BAD("/a%2Fb"),
    BAD("/a%2fb"),
    BAD("/%2F"),
    BAD("/%2f%2f"),
    BAD("/..%2f..%2fetc%2fpasswd"),
    BAD("/%2e%2e%2f%2e%2e%2fetc"),
    BAD("/%2e%2e%2F"),

    /* NUL, controls, DEL */
    BAD("/%00"),
    BAD("/a%00b"),
    BAD("/a%00"),
    BAD("/%0a"),
    BAD("/%0A"),
    BAD("/%0d%0a"),
    BAD("/%09"),
    BAD("/%1f"),
    BAD("/%1F"),
    BAD("/%7f"),
    BAD("/%7F"),
    BAD("/a\tb"),
    BAD("/a\nb"),
    BAD("/a\rb"),
    BAD("/a\x1b"),
    BAD("/a\x7f"),
    BAD("/a\x01"),

    /* backslash, raw and encoded */
    BAD("/a\\b"),
    BAD("/\\"),
    BAD("/..\\..\\etc"),
    BAD("/%5c"),
    BAD("/%5C"),
    BAD("/..%5c..%5cwindows"),
    BAD("/%2e%2e%5c"),
    BAD("/%2e%2e%5C%2e%2e"),
    BADH("/.%5c"),

    /* overlong UTF-8 */
    BAD("/%C0%AE"),
    BAD("/%c0%ae"),
    BAD("/%C0%AE%C0%AE"),
    BAD("/%C0%AE%C0%AE/"),
    BAD("/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd"),
    BAD("/%C0%AF"),
    BAD("/%C0%80"),
    BAD("/%C1%9C"),
    BAD("/%C1%BF"),
    BAD("/%E0%80%AE"),
    BAD("/%e0%80%ae%e0%80%ae"),
    BAD("/%E0%80%AF"),
    BAD("/%E0%9F%BF"),
    BAD("/%F0%80%80%AE"),
    BAD("/%F0%8F%BF%BF"),
    BAD("/%F8%80%80%80%AE"),
    BAD("/%FC%80%80%80%80%AE"),
    BAD("/\xc0\xae\xc0\xae"),
    BAD("/\xe0\x80\xae"),
    BADH("/%C0%AE"),

    /* surrogates and above U+10FFFF */
    BAD("/%ED%A0%80"),
    BAD("/%ED%AF%BF"),
    BAD("/%ED%B0%80"),
    BAD("/%ED%BF%BF"),
    BAD("/%ED%A0%BD%ED%B8%80"),
    BAD("/%F4%90%80%80"),
    BAD("/%F4%BF%BF%BF"),
    BAD("/%F5%80%80%80"),
    BAD("/%F7%BF%BF%BF"),
    BAD("/%FE"),
    BAD("/%FF"),
    BAD("/\xff"),

    /* truncated or broken sequences */
    BAD("/%C3"),
    BAD("/%C3/x"),
    BAD("/%C3%28"),
    BAD("/%E2%82"),
    BAD("/%E2%82/"),
    BAD("/%E2%28%A1"),
    BAD("/%F0%9F%8C"),
    BAD("/%F0%9F%8C%28"),
    BAD("/%80"),
    BAD("/%BF"),
    BAD("/a%80b"),
    BAD("/%C3%BC%BC"),
    BAD("/\xc3"),
    BAD("/\xc3" "a"),

    /* malformed wins over forbidden and hidden, wherever it is */
    BAD("/../%zz"),
    BAD("/.hidden/%00"),
    BAD("/%2e%2e/a%5c"),
};

/* Every entry of decode_cases, with a guard region after the buffer. */
static void test_decode_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof decode_cases / sizeof decode_cases[0]; i++) {
        const struct decode_case *c = &decode_cases[i];
        struct paths_opts opts = { .show_hidden = c->show_hidden };
        char out[PATHS_MAX + 1 + 16];
        int trailing = -1, ret;

        memset(out, 'X', sizeof out);
        ret = paths_decode(c->raw, &opts, out, PATHS_MAX + 1, &trailing);
        if (ret != c->ret)
            print_error("case %zu: raw \"%s\" show_hidden=%d\n", i, c->raw,
                        c->show_hidden);
        assert_int_equal(ret, c->ret);
        for (size_t k = PATHS_MAX + 1; k < sizeof out; k++)
            assert_int_equal(out[k], 'X');
        if (ret >= 0) {
            assert_string_equal(out, c->out);
            assert_int_equal(strlen(out), (size_t)ret);
            assert_int_equal(trailing, c->trailing);
        } else {
            assert_string_equal(out, "");
        }
    }
}

/* Builds "/" followed by n copies of 'a', or of "%61" when encoded. */
static char *long_raw(size_t n, int encoded, int slashes)
{
    char *s = malloc(3 * n + 2), *p = s;

    assert_non_null(s);
    *p++ = '/';
    for (size_t i = 0; i < n; i++) {
        if (slashes && i % 10 == 9) {
            *p++ = '/';
        } else if (encoded) {
            memcpy(p, "%61", 3);
            p += 3;
        } else {
            *p++ = 'a';
        }
    }
    *p = '\0';
    return s;
}

/* PATHS_MAX is the longest decoded length; one more byte is refused. */
static void test_decode_length_limit(void **state)
{
    static char out[PATHS_MAX + 64];
    char *raw;

    (void)state;
    for (int enc = 0; enc <= 1; enc++) {
        for (int sl = 0; sl <= 1; sl++) {
            raw = long_raw(PATHS_MAX, enc, sl);
            assert_int_equal(paths_decode(raw, NULL, out, sizeof out, NULL),
                             PATHS_MAX);
            assert_int_equal(strlen(out), PATHS_MAX);
            free(raw);
            raw = long_raw(PATHS_MAX + 1, enc, sl);
            assert_int_equal(paths_decode(raw, NULL, out, sizeof out, NULL),
                             PATHS_EBADREQ);
            assert_string_equal(out, "");
            free(raw);
            raw = long_raw(100000, enc, sl);
            assert_int_equal(paths_decode(raw, NULL, out, sizeof out, NULL),
                             PATHS_EBADREQ);
            free(raw);
        }
    }
    /* collapsed slashes and the trailing slash do not count */
    raw = long_raw(PATHS_MAX, 0, 0);
    {
        size_t n = strlen(raw);
        char *r2 = malloc(n + 8);

        assert_non_null(r2);
        memcpy(r2, "///", 3);
        memcpy(r2 + 3, raw, n);
        memcpy(r2 + 3 + n, "///", 4);
        assert_int_equal(paths_decode(r2, NULL, out, sizeof out, NULL), PATHS_MAX);
        free(r2);
    }
    free(raw);
}

/* outlen bounds the result (with its NUL) and nothing is written past it. */
static void test_decode_outlen(void **state)
{
    char out[16];
    int tr = -1;

    (void)state;
    memset(out, 'X', sizeof out);
    assert_int_equal(paths_decode("/abc", NULL, out, 4, &tr), 3);
    assert_string_equal(out, "abc");
    assert_int_equal(out[4], 'X');
    assert_int_equal(tr, 0);

    memset(out, 'X', sizeof out);
    assert_int_equal(paths_decode("/abcd", NULL, out, 4, NULL), PATHS_EBADREQ);
    for (size_t k = 4; k < sizeof out; k++)
        assert_int_equal(out[k], 'X');

    memset(out, 'X', sizeof out);
    assert_int_equal(paths_decode("/abc/d", NULL, out, 4, NULL), PATHS_EBADREQ);
    assert_int_equal(out[4], 'X');
    assert_int_equal(paths_decode("/ab/c", NULL, out, 4, NULL), PATHS_EBADREQ);
    assert_int_equal(out[4], 'X');
    assert_int_equal(paths_decode("/ab/c", NULL, out, 5, NULL), 4);

    memset(out, 'X', sizeof out);
    assert_int_equal(paths_decode("/", NULL, out, 1, &tr), 0);
    assert_string_equal(out, "");
    assert_int_equal(tr, 1);
    assert_int_equal(out[1], 'X');
    assert_int_equal(paths_decode("/a", NULL, out, 1, NULL), PATHS_EBADREQ);
    assert_int_equal(out[1], 'X');

    memset(out, 'X', sizeof out);
    assert_int_equal(paths_decode("/", NULL, out, 0, NULL), PATHS_EBADREQ);
    assert_int_equal(out[0], 'X');
    assert_int_equal(paths_decode("/", NULL, NULL, 0, NULL), PATHS_EBADREQ);
    assert_int_equal(paths_decode(NULL, NULL, out, sizeof out, &tr), PATHS_EBADREQ);
    assert_int_equal(tr, 0);
}

/* ---------------------------------------------------------- paths_open */

static char base[64];   /* the mkdtemp folder; "" when none */

/* nftw callback: removes one entry of the temp tree. */
static int rm_entry(const char *path, const struct stat *st, int type,
                    struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

/* Makes parent folders of the entries below writable again, then removes. */
static void rm_tree(void)
{
    char p[256];

    if (!base[0])
        return;
    snprintf(p, sizeof p, "%s/root/locked", base);
    chmod(p, 0700);
    nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    base[0] = '\0';
}

static void mk_file(const char *rel, const char *content)
{
    char p[256];
    FILE *f;

    snprintf(p, sizeof p, "%s/%s", base, rel);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void mk_dir(const char *rel)
{
    char p[256];

    snprintf(p, sizeof p, "%s/%s", base, rel);
    assert_int_equal(mkdir(p, 0700), 0);
}

static void mk_link(const char *target, const char *rel)
{
    char p[256];

    snprintf(p, sizeof p, "%s/%s", base, rel);
    assert_int_equal(symlink(target, p), 0);
}

/*
 * Group setup: the tree every paths_open test uses.
 *   base/root/...            the shared folder
 *   base/outside/secret      must never be reachable without follow_symlinks
 */
static int tree_setup(void **state)
{
    char t[256];

    (void)state;
    snprintf(base, sizeof base, "%s", "/tmp/ferry-paths-XXXXXX");
    if (!mkdtemp(base)) {
        base[0] = '\0';
        return -1;
    }
    mk_dir("root");
    mk_dir("outside");
    mk_file("outside/secret", "secret\n");
    mk_file("root/file.txt", "hello\n");
    mk_file("root/.hidden", "hidden\n");
    mk_dir("root/sub");
    mk_file("root/sub/inner.txt", "inner\n");
    mk_dir("root/sub/deeper");
    mk_file("root/sub/deeper/d.txt", "d\n");
    mk_dir("root/locked");
    mk_file("root/locked/x", "x\n");

    /* inside the root: allowed */
    mk_link("file.txt", "root/link_in");
    mk_link("../file.txt", "root/sub/link_up");
    mk_link("..", "root/sub/up");
    mk_link(".", "root/sub/here");
    mk_link("sub", "root/dirlink");
    mk_link("sub/", "root/dirlink_slash");
    mk_link("sub/deeper/../inner.txt", "root/dotdot_in");
    mk_link("./sub//./inner.txt", "root/dots_in");
    mk_link("file.txt", "root/file_link");
    /* out of the root: refused */
    snprintf(t, sizeof t, "%s/outside/secret", base);
    mk_link(t, "root/abs_out");
    snprintf(t, sizeof t, "%s/root/file.txt", base);
    mk_link(t, "root/abs_in");
    mk_link("/etc/passwd", "root/etc_passwd");
    mk_link("../outside/secret", "root/rel_out");
    mk_link("../../../../../../../../../../etc/passwd", "root/rel_far");
    mk_link("../../outside/secret", "root/sub/sub_out");
    mk_link("../root/file.txt", "root/out_and_back");
    mk_link("chain2", "root/chain1");
    mk_link("sub/chain3", "root/chain2");
    mk_link("../../outside/secret", "root/sub/chain3");
    mk_link("../outside", "root/outdir");
    mk_link("here/../../outside", "root/sub/upup");
    /* broken */
    mk_link("loop2", "root/loop1");
    mk_link("loop1", "root/loop2");
    mk_link("self", "root/self");
    mk_link("nowhere", "root/dangling");
    /* a chain of 41 links: c0 -> c1 -> ... -> c40 -> file.txt */
    mk_dir("root/c");
    for (int i = 0; i <= 40; i++) {
        char name[64], target[64];

        snprintf(name, sizeof name, "root/c/c%d", i);
        if (i == 40)
            snprintf(target, sizeof target, "../file.txt");
        else
            snprintf(target, sizeof target, "c%d", i + 1);
        mk_link(target, name);
    }
    snprintf(t, sizeof t, "%s/root/locked", base);
    chmod(t, 0);
    return 0;
}

/* Group teardown: removes the tree, also after a failed test. */
static int tree_teardown(void **state)
{
    (void)state;
    rm_tree();
    return 0;
}

/* Number of open fds of this process, or -1 without /proc. */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    int n = 0;

    if (!d)
        return -1;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static int open_root(void)
{
    char p[256];
    int fd;

    snprintf(p, sizeof p, "%s/root", base);
    fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

struct open_case {
    const char *rel;
    int flags;
    int follow;
    int ret;
    const char *target;  /* below base, the file the fd must be; NULL: none */
};

static const struct open_case open_cases[] = {
    /* plain files and folders */
    { "file.txt", O_RDONLY, 0, 0, "root/file.txt" },
    { "", O_RDONLY | O_DIRECTORY, 0, 0, "root" },
    { "", O_RDONLY, 0, 0, "root" },
    { "sub", O_RDONLY | O_DIRECTORY, 0, 0, "root/sub" },
    { "sub", O_RDONLY, 0, 0, "root/sub" },
    { "sub/", O_RDONLY, 0, 0, "root/sub" },
    { "sub//inner.txt", O_RDONLY, 0, 0, "root/sub/inner.txt" },
    { "sub/deeper/d.txt", O_RDONLY, 0, 0, "root/sub/deeper/d.txt" },
    { ".hidden", O_RDONLY, 0, 0, "root/.hidden" },
    { "file.txt", O_WRONLY, 0, 0, "root/file.txt" },
    { "missing", O_RDONLY, 0, PATHS_ENOTFOUND, NULL },
    { "sub/missing/x", O_RDONLY, 0, PATHS_ENOTFOUND, NULL },
    { "file.txt/x", O_RDONLY, 0, PATHS_ENOTFOUND, NULL },
    { "file.txt/", O_RDONLY, 0, PATHS_ENOTFOUND, NULL },
    { "file.txt", O_RDONLY | O_DIRECTORY, 0, PATHS_ENOTFOUND, NULL },
    /* rel that paths_decode cannot produce */
    { "../outside/secret", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "sub/../file.txt", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "./file.txt", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "sub/.", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "..", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "/etc/passwd", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "../outside/secret", O_RDONLY, 1, PATHS_EFORBIDDEN, NULL },
    /* symlinks that stay inside */
    { "link_in", O_RDONLY, 0, 0, "root/file.txt" },
    { "sub/link_up", O_RDONLY, 0, 0, "root/file.txt" },
    { "sub/up/file.txt", O_RDONLY, 0, 0, "root/file.txt" },
    { "sub/up", O_RDONLY | O_DIRECTORY, 0, 0, "root" },
    { "sub/up/", O_RDONLY, 0, 0, "root" },
    { "sub/here/inner.txt", O_RDONLY, 0, 0, "root/sub/inner.txt" },
    { "sub/here", O_RDONLY, 0, 0, "root/sub" },
    { "dirlink/inner.txt", O_RDONLY, 0, 0, "root/sub/inner.txt" },
    { "dirlink", O_RDONLY | O_DIRECTORY, 0, 0, "root/sub" },
    { "dirlink_slash", O_RDONLY, 0, 0, "root/sub" },
    { "dirlink_slash/inner.txt", O_RDONLY, 0, 0, "root/sub/inner.txt" },
    { "dirlink/up/dirlink/deeper/d.txt", O_RDONLY, 0, 0, "root/sub/deeper/d.txt" },
    { "dotdot_in", O_RDONLY, 0, 0, "root/sub/inner.txt" },
    { "dots_in", O_RDONLY, 0, 0, "root/sub/inner.txt" },
    { "c/c1", O_RDONLY, 0, 0, "root/file.txt" },       /* 40 links: allowed */
    { "file_link/x", O_RDONLY, 0, PATHS_ENOTFOUND, NULL },
    { "file_link/", O_RDONLY, 0, PATHS_ENOTFOUND, NULL },
    { "link_in", O_RDONLY | O_DIRECTORY, 0, PATHS_ENOTFOUND, NULL },
    /* symlinks that leave */
    { "abs_out", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "abs_in", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "etc_passwd", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "rel_out", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "rel_far", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "sub/sub_out", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "out_and_back", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "chain1", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "chain2", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "outdir", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "outdir/secret", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "outdir/missing", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "sub/upup/secret", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "dirlink/up/up/outside/secret", O_RDONLY, 0, PATHS_ENOTFOUND, NULL },
    { "sub/up/sub/up/rel_out", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    /* broken */
    { "loop1", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "loop1/x", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "self", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },
    { "c/c0", O_RDONLY, 0, PATHS_EFORBIDDEN, NULL },    /* 41 links */
    { "dangling", O_RDONLY, 0, PATHS_ENOTFOUND, NULL },
    { "dangling/x", O_RDONLY, 0, PATHS_ENOTFOUND, NULL },
    /* O_NOFOLLOW: a final link is not followed */
    { "link_in", O_RDONLY | O_NOFOLLOW, 0, PATHS_EFORBIDDEN, NULL },
    { "dirlink/inner.txt", O_RDONLY | O_NOFOLLOW, 0, 0, "root/sub/inner.txt" },
    { "dirlink", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, PATHS_ENOTFOUND, NULL },
    { "dirlink/", O_RDONLY | O_NOFOLLOW, 0, 0, "root/sub" },  /* '/' follows */
    { "link_in/", O_RDONLY | O_NOFOLLOW, 0, PATHS_ENOTFOUND, NULL },
    { "abs_out/", O_RDONLY | O_NOFOLLOW, 0, PATHS_EFORBIDDEN, NULL },
#ifdef O_PATH
    { "link_in", O_PATH, 0, 0, "root/file.txt" },
    { "dirlink", O_PATH, 0, 0, "root/sub" },
    { "sub/up", O_PATH, 0, 0, "root" },
    { "abs_out", O_PATH, 0, PATHS_EFORBIDDEN, NULL },
    { "loop1", O_PATH, 0, PATHS_EFORBIDDEN, NULL },
#endif
    /* follow_symlinks: anything goes, except loops and missing targets */
    { "abs_out", O_RDONLY, 1, 0, "outside/secret" },
    { "rel_out", O_RDONLY, 1, 0, "outside/secret" },
    { "chain1", O_RDONLY, 1, 0, "outside/secret" },
    { "outdir/secret", O_RDONLY, 1, 0, "outside/secret" },
    { "link_in", O_RDONLY, 1, 0, "root/file.txt" },
    { "file.txt", O_RDONLY, 1, 0, "root/file.txt" },
    { "", O_RDONLY, 1, 0, "root" },
    { "loop1", O_RDONLY, 1, PATHS_EFORBIDDEN, NULL },
    { "dangling", O_RDONLY, 1, PATHS_ENOTFOUND, NULL },
    { "missing", O_RDONLY, 1, PATHS_ENOTFOUND, NULL },
    { "file.txt/x", O_RDONLY, 1, PATHS_ENOTFOUND, NULL },
};

/* Asserts that fd is the same inode as base/target. */
static void assert_same_file(int fd, const char *target)
{
    struct stat a, b;
    char p[256];

    snprintf(p, sizeof p, "%s/%s", base, target);
    assert_int_equal(fstat(fd, &a), 0);
    assert_int_equal(stat(p, &b), 0);
    assert_true(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

/* Every entry of open_cases through openat2 and through the walk. */
static void test_open_table(void **state)
{
    int root = open_root(), before;

    (void)state;
    before = count_fds();
    for (size_t i = 0; i < sizeof open_cases / sizeof open_cases[0]; i++) {
        const struct open_case *c = &open_cases[i];
        int got[2];

        for (int walk = 0; walk <= 1; walk++) {
            struct paths_opts opts = { .follow_symlinks = c->follow,
                                       .force_walk = walk };
            int fd = 12345;

            got[walk] = paths_open(root, c->rel, c->flags, &opts, &fd);
            if (got[walk] != c->ret)
                print_error("case %zu: \"%s\" flags %#x follow=%d walk=%d: %d\n",
                            i, c->rel, (unsigned)c->flags, c->follow, walk,
                            got[walk]);
            assert_int_equal(got[walk], c->ret);
            if (got[walk] == 0) {
                assert_true(fd >= 0);
                assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
                assert_same_file(fd, c->target);
                close(fd);
            } else {
                assert_int_equal(fd, -1);
            }
        }
        assert_int_equal(got[0], got[1]);
    }
    assert_int_equal(count_fds(), before);
    close(root);
}

/* Flags that would create are refused before anything is opened. */
static void test_open_refuses_create(void **state)
{
    int root = open_root(), fd = 7;
    struct paths_opts opts = { 0 };
    char p[256];

    (void)state;
    for (int walk = 0; walk <= 1; walk++) {
        opts.force_walk = walk;
        assert_int_equal(paths_open(root, "new.txt", O_WRONLY | O_CREAT, &opts, &fd),
                         -EINVAL);
        assert_int_equal(fd, -1);
        assert_int_equal(paths_open(root, "file.txt", O_RDWR | O_CREAT | O_EXCL,
                                    &opts, &fd), -EINVAL);
#ifdef O_TMPFILE
        assert_int_equal(paths_open(root, "sub", O_RDWR | O_TMPFILE, &opts, &fd),
                         -EINVAL);
#endif
        assert_int_equal(paths_open(root, NULL, O_RDONLY, &opts, &fd), -EINVAL);
        assert_int_equal(paths_open(root, "file.txt", O_RDONLY, &opts, NULL),
                         -EINVAL);
    }
    snprintf(p, sizeof p, "%s/root/new.txt", base);
    assert_int_equal(access(p, F_OK), -1);
    close(root);
}

/* opts may be NULL: the defaults (no symlink escapes). */
static void test_open_null_opts(void **state)
{
    int root = open_root(), fd;

    (void)state;
    assert_int_equal(paths_open(root, "link_in", O_RDONLY, NULL, &fd), 0);
    assert_same_file(fd, "root/file.txt");
    close(fd);
    assert_int_equal(paths_open(root, "abs_out", O_RDONLY, NULL, &fd),
                     PATHS_EFORBIDDEN);
    assert_int_equal(fd, -1);
    close(root);
}

/*
 * A folder without permission: both modes give what open(2) itself gives
 * (-EACCES, or success when running with CAP_DAC_OVERRIDE, e.g. as root).
 */
static void test_open_eacces(void **state)
{
    int root = open_root(), fd, expect;
    char p[256];

    (void)state;
    snprintf(p, sizeof p, "%s/root/locked/x", base);
    fd = open(p, O_RDONLY | O_CLOEXEC);
    expect = fd >= 0 ? 0 : -errno;
    if (fd >= 0)
        close(fd);
    for (int walk = 0; walk <= 1; walk++) {
        struct paths_opts opts = { .force_walk = walk };

        assert_int_equal(paths_open(root, "locked/x", O_RDONLY, &opts, &fd), expect);
        if (expect == 0)
            close(fd);
        else
            assert_int_equal(fd, -1);
    }
    close(root);
}

/* Deep and long rel values: both modes agree and nothing leaks. */
static void test_open_long(void **state)
{
    static char rel[PATHS_MAX + 64];
    int root = open_root(), before = count_fds(), fd, r[2];

    (void)state;
    /* "sub/up/sub/up/..." — alternating, never deeper than 2 */
    rel[0] = '\0';
    while (strlen(rel) + 7 + 8 <= PATHS_MAX)
        strcat(rel, "sub/up/");
    strcat(rel, "file.txt");
    for (int walk = 0; walk <= 1; walk++) {
        struct paths_opts opts = { .force_walk = walk };

        r[walk] = paths_open(root, rel, O_RDONLY, &opts, &fd);
        if (r[walk] == 0)
            close(fd);
    }
    /* more than 40 links in one lookup */
    assert_int_equal(r[0], PATHS_EFORBIDDEN);
    assert_int_equal(r[1], PATHS_EFORBIDDEN);

    /* longer than PATHS_MAX */
    memset(rel, 'a', PATHS_MAX + 1);
    rel[PATHS_MAX + 1] = '\0';
    for (int walk = 0; walk <= 1; walk++) {
        struct paths_opts opts = { .force_walk = walk };

        assert_int_equal(paths_open(root, rel, O_RDONLY, &opts, &fd), PATHS_EBADREQ);
    }
    /* one name longer than NAME_MAX */
    memset(rel, 'a', 300);
    rel[300] = '\0';
    for (int walk = 0; walk <= 1; walk++) {
        struct paths_opts opts = { .force_walk = walk };

        assert_int_equal(paths_open(root, rel, O_RDONLY, &opts, &fd), -ENAMETOOLONG);
    }
    assert_int_equal(count_fds(), before);
    close(root);
}

/*
 * The walk holds one fd per directory level and stops at 256 levels with
 * -ENAMETOOLONG (documented in paths.h); openat2 has no such limit. Either
 * way nothing leaks.
 */
static void test_open_deep(void **state)
{
    static char rel[PATHS_MAX + 1];
    int root = open_root(), before = count_fds(), dir, fd, r;
    struct paths_opts walk = { .force_walk = 1 }, kernel = { 0 };

    (void)state;
    /* root/deep/d/d/.../d/f.txt with 300 levels of d */
    assert_int_equal(mkdirat(root, "deep", 0700), 0);
    dir = openat(root, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dir >= 0);
    strcpy(rel, "deep");
    for (int i = 0; i < 300; i++) {
        int next;

        assert_int_equal(mkdirat(dir, "d", 0700), 0);
        next = openat(dir, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(next >= 0);
        close(dir);
        dir = next;
        strcat(rel, "/d");
        if (i == 250) {
            /* 252 levels below the root: within reach of the walk */
            fd = openat(dir, "f.txt", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
            assert_true(fd >= 0);
            close(fd);
            strcat(rel, "/f.txt");
            assert_int_equal(paths_open(root, rel, O_RDONLY, &walk, &fd), 0);
            close(fd);
            assert_int_equal(paths_open(root, rel, O_RDONLY, &kernel, &fd), 0);
            close(fd);
            rel[strlen(rel) - 6] = '\0';
        }
    }
    close(dir);
    assert_int_equal(paths_open(root, rel, O_RDONLY, &walk, &fd), -ENAMETOOLONG);
    assert_int_equal(fd, -1);
    r = paths_open(root, rel, O_RDONLY, &kernel, &fd);
    assert_true(r == 0 || r == -ENAMETOOLONG);
    if (r == 0)
        close(fd);
    assert_int_equal(count_fds(), before);
    close(root);
}

#if defined(TEST_SECCOMP)
/*
 * In a child: makes openat2 fail with `err` through a seccomp filter, then
 * runs the open table without force_walk. Exits 0 when every case matched,
 * 77 when no filter could be installed, 1 otherwise.
 */
static void seccomp_child(int err)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
    int root = open_root(), bad = 0;
    atomic_int missing = 0; /* shared by every case, as a server's flag is */

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        _exit(77);
    for (size_t i = 0; i < sizeof open_cases / sizeof open_cases[0]; i++) {
        const struct open_case *c = &open_cases[i];
        struct paths_opts opts = { .follow_symlinks = c->follow,
                                   .openat2_missing = (i % 2) ? &missing : NULL };
        struct stat a, b;
        char p[256];
        int fd, r = paths_open(root, c->rel, c->flags, &opts, &fd);

        if (r != c->ret) {
            fprintf(stderr, "seccomp %d: case %zu \"%s\": %d, want %d\n", err, i,
                    c->rel, r, c->ret);
            bad = 1;
        }
        if (r == 0) {
            snprintf(p, sizeof p, "%s/%s", base, c->target);
            if (fstat(fd, &a) != 0 || stat(p, &b) != 0 || a.st_ino != b.st_ino)
                bad = 1;
            close(fd);
        }
    }
    close(root);
    if (!atomic_load(&missing)) { /* the owner's flag learnt it once */
        fprintf(stderr, "seccomp %d: openat2_missing was not set\n", err);
        bad = 1;
    }
    _exit(bad);
}

/* openat2 missing (ENOSYS) or filtered (EPERM): the walk takes over. */
static void test_open_without_openat2(void **state)
{
    static const int errs[] = { ENOSYS, EPERM };

    (void)state;
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        int status = 0;
        pid_t pid;

        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            seccomp_child(errs[i]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77) {
            print_message("# seccomp unavailable: fallback not exercised\n");
            continue;
        }
        assert_int_equal(WEXITSTATUS(status), 0);
    }
}
#endif

/* Decode then open, the way the server uses the pair. */
static void test_decode_then_open(void **state)
{
    static const struct {
        const char *raw;
        int ret;
    } cases[] = {
        { "/sub/inner.txt", 0 },
        { "/sub/%69nner.txt", 0 },
        { "//sub///up//file.txt", 0 },
        { "/rel_out", PATHS_EFORBIDDEN },
        { "/sub/%2e%2e/file.txt", PATHS_EFORBIDDEN },
        { "/.hidden", PATHS_ENOTFOUND },
        { "/sub%2finner.txt", PATHS_EBADREQ },
    };
    int root = open_root();
    char rel[PATHS_MAX + 1];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int r = paths_decode(cases[i].raw, NULL, rel, sizeof rel, NULL), fd;

        for (int walk = 0; walk <= 1 && r >= 0; walk++) {
            struct paths_opts opts = { .force_walk = walk };
            int o = paths_open(root, rel, O_RDONLY, &opts, &fd);

            if (o == 0)
                close(fd);
            assert_int_equal(o, cases[i].ret);
        }
        if (r < 0)
            assert_int_equal(r, cases[i].ret);
    }
    close(root);
}

/* ------------------------------------------------ paths_link_stays_inside */

/* The verdicts, from the text alone. */
static void test_link_table(void **state)
{
    static const struct {
        const char *target;
        size_t depth;
        int inside;
    } cases[] = {
        {"..", 0, 0},            /* F8: photos/up -> .. moved to the root */
        {"..", 1, 1},
        {"../..", 1, 0},
        {"../../..", 3, 1},
        {"../../../x", 2, 0},
        {"ok.txt", 0, 1},
        {"a/b/c", 0, 1},
        {"./../x", 1, 1},
        {".//..//x/", 1, 1},
        {"../.", 0, 0},
        {".", 0, 1},
        {"", 0, 1},              /* no such link on Linux; harmless */
        {"sub/../ok.txt", 5, 0}, /* ".." after a name: cannot be judged */
        {"../a/..", 5, 0},
        {"..a/b", 0, 1},         /* a name, not ".." */
        {"a..", 0, 1},
        {"...", 0, 1},
        {"/etc/shadow", 9, 0},   /* absolute: leaves, or is refused */
        {"/", 0, 0},
        {"//x", 3, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (paths_link_stays_inside(cases[i].target, cases[i].depth) != cases[i].inside)
            fail_msg("'%s' at depth %zu: expected %d", cases[i].target, cases[i].depth,
                     cases[i].inside);
    }
    assert_int_equal(paths_link_stays_inside(NULL, 3), 0);
    /* movable: what stays inside, and absolute links (they point where
     * they did from any folder) */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(paths_link_movable(cases[i].target, cases[i].depth),
                         cases[i].target[0] == '/' ? 1 : cases[i].inside);
    assert_int_equal(paths_link_movable(NULL, 3), 0);
}

/*
 * The resolver agrees: a link said to stay inside, put at that depth in a
 * real tree, opens (or is missing) through paths_open without leaving the
 * root; one that climbs too high is refused by paths_open
 * (PATHS_EFORBIDDEN), through openat2 and through the walk alike.
 */
static void test_link_resolver_agrees(void **state)
{
    static const char *targets[] = {"..", "../..", "../../..", "../../../..",
                                    "../f", "../../f", "../../../f", "f", "./../f"};
    char p[256], rel[64];
    int root;

    (void)state;
    /* base/root/lk/d1/d2/d3: folders 1..4 below the root */
    mk_dir("root/lk");
    mk_dir("root/lk/d1");
    mk_dir("root/lk/d1/d2");
    mk_dir("root/lk/d1/d2/d3");
    root = open_root();
    for (size_t depth = 1; depth <= 4; depth++) {
        static const char *dirs[] = {"", "lk", "lk/d1", "lk/d1/d2", "lk/d1/d2/d3"};

        for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
            int want = paths_link_stays_inside(targets[i], depth);

            snprintf(rel, sizeof rel, "%s/ln%zu", dirs[depth], i);
            snprintf(p, sizeof p, "%s/root/%s", base, rel);
            assert_int_equal(symlink(targets[i], p), 0);
            for (int walk = 0; walk <= 1; walk++) {
                struct paths_opts opts = {.force_walk = walk};
                int fd = -1, o = paths_open(root, rel, O_RDONLY, &opts, &fd);

                if (o == 0)
                    close(fd);
                if (want && o != 0 && o != PATHS_ENOTFOUND)
                    fail_msg("'%s' at depth %zu (walk %d): inside by the text, "
                             "paths_open says %d", targets[i], depth, walk, o);
                if (!want && o != PATHS_EFORBIDDEN)
                    fail_msg("'%s' at depth %zu (walk %d): outside by the text, "
                             "paths_open says %d", targets[i], depth, walk, o);
            }
            unlink(p);
        }
    }
    close(root);
}

int main(void)
{
    /* one group, so that TAP sees one plan; the tree is only used by the
     * paths_open tests */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_table),
        cmocka_unit_test(test_decode_length_limit),
        cmocka_unit_test(test_decode_outlen),
        cmocka_unit_test(test_open_table),
        cmocka_unit_test(test_open_refuses_create),
        cmocka_unit_test(test_open_null_opts),
        cmocka_unit_test(test_open_eacces),
        cmocka_unit_test(test_open_long),
        cmocka_unit_test(test_open_deep),
#if defined(TEST_SECCOMP)
        cmocka_unit_test(test_open_without_openat2),
#endif
        cmocka_unit_test(test_decode_then_open),
        cmocka_unit_test(test_link_table),
        cmocka_unit_test(test_link_resolver_agrees),
    };

    return cmocka_run_group_tests_name("paths", tests, tree_setup, tree_teardown);
}
