/*
 * test_listing.c — unit tests for daemon/share/listing.c: the JSON shape and
 * values, link encoding, sort order, filtering (hidden, invalid UTF-8,
 * unstat-able, special files), the HTML page (escaping, breadcrumbs, parent
 * link, empty folder, sizes and dates), a 10,000-entry folder, error
 * returns, and that the caller's descriptor is borrowed, not consumed.
 *
 * Each test gets its own folder from mkdtemp, removed in the teardown even
 * when the test fails.
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
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "listing.h"
#include "paths.h"

struct fixture {
    char dir[PATH_MAX];
    int fd; /* the folder, O_RDONLY|O_DIRECTORY */
};

/* Creates a fresh temporary folder and opens it. */
static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    const char *tmp = getenv("TMPDIR");
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "%s/test_listing.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    fx->fd = open(fx->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fx->fd < 0) {
        rmdir(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

/* nftw callback: removes one file, link or (emptied) folder. */
static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes the temporary folder and everything in it. */
static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc;
    if (!fx)
        return 0;
    close(fx->fd);
    rc = nftw(fx->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return rc == 0 ? 0 : -1;
}

/* Sets both times of `name` (in the fixture folder) to `mtime`. */
static void set_mtime(struct fixture *fx, const char *name, time_t mtime)
{
    struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
    assert_int_equal(utimensat(fx->fd, name, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* Creates the file `name` of `size` bytes (sparse) with the given mtime. */
static void make_file(struct fixture *fx, const char *name, off_t size,
                      time_t mtime)
{
    int fd = openat(fx->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    close(fd);
    set_mtime(fx, name, mtime);
}

/* Creates the folder `name` with the given mtime. */
static void make_dir(struct fixture *fx, const char *name, time_t mtime)
{
    assert_int_equal(mkdirat(fx->fd, name, 0755), 0);
    set_mtime(fx, name, mtime);
}

/* Renders the fixture folder, asserting success and a NUL at *len. */
static char *render(struct fixture *fx, const char *url_path,
                    enum listing_format fmt, int show_hidden, size_t *len)
{
    struct listing_opts opts = {.show_hidden = show_hidden};
    char *body = (char *)1;
    size_t n = 0;
    assert_int_equal(listing_render(fx->fd, url_path, fmt, &opts, &body, &n),
                     0);
    assert_non_null(body);
    assert_int_equal(strlen(body), n);
    if (len)
        *len = n;
    return body;
}

/* Renders as JSON and parses it back; the caller json_decref()s it. */
static json_t *render_json(struct fixture *fx, const char *url_path,
                           int show_hidden)
{
    size_t len;
    json_error_t err;
    char *body = render(fx, url_path, LISTING_JSON, show_hidden, &len);
    json_t *root = json_loadb(body, len, 0, &err);
    if (!root)
        fail_msg("listing JSON does not parse: %s: %s", err.text, body);
    free(body);
    assert_true(json_is_object(root));
    assert_true(json_is_array(json_object_get(root, "entries")));
    return root;
}

/* The entries array of a parsed listing (borrowed). */
static json_t *entries_of(json_t *root)
{
    return json_object_get(root, "entries");
}

/* The entry called `name`, or NULL (borrowed). */
static json_t *find_entry(json_t *root, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(entries_of(root), i, e) {
        if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            return e;
    }
    return NULL;
}

/* Asserts the string member `key` of `obj` equals `want`. */
static void assert_member_str(json_t *obj, const char *key, const char *want)
{
    json_t *v = json_object_get(obj, key);
    assert_true(json_is_string(v));
    assert_string_equal(json_string_value(v), want);
}

/* Asserts the integer member `key` of `obj` equals `want`. */
static void assert_member_int(json_t *obj, const char *key, long long want)
{
    json_t *v = json_object_get(obj, key);
    assert_true(json_is_integer(v));
    assert_int_equal(json_integer_value(v), want);
}

/* Number of open descriptors of this process. */
static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Number of non-overlapping occurrences of needle in hay. */
static size_t count_str(const char *hay, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + k, needle))
        n++;
    return n;
}

/* Offset of the first occurrence of needle in hay; fails if absent. */
static size_t offset_of(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    if (!p)
        fail_msg("\"%s\" not found in the body", needle);
    return (size_t)(p - hay);
}

/* ------------------------------------------------------------ tests */

static void test_url_escape(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},
        {"/", "/"},
        {"AZaz09-._~/", "AZaz09-._~/"},
        {"a b", "a%20b"},
        {"#?%", "%23%3F%25"},
        {"<script>&\"'", "%3Cscript%3E%26%22%27"},
        {"+=;:@!$*,()[]", "%2B%3D%3B%3A%40%21%24%2A%2C%28%29%5B%5D"},
        {"\xc3\xbc\xe2\x82\xac", "%C3%BC%E2%82%AC"}, /* "ü€" */
        {"\x01\x7f\xff", "%01%7F%FF"},
        {"/my docs/x/", "/my%20docs/x/"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = listing_url_escape(cases[i].in);
        assert_non_null(got);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
    errno = 0;
    assert_null(listing_url_escape(NULL));
    assert_int_equal(errno, EINVAL);
}

static void test_json_exact_entries(void **state)
{
    struct fixture *fx = *state;
    make_file(fx, "a.txt", 4300, 1700000000);
    make_file(fx, "empty", 0, 1000);
    make_dir(fx, "sub", 1600000000);

    json_t *root = render_json(fx, "/a/", 0);
    assert_int_equal(json_object_size(root), 2);
    assert_member_str(root, "path", "/a/");
    json_t *entries = entries_of(root);
    assert_int_equal(json_array_size(entries), 3);

    json_t *e = json_array_get(entries, 0);
    assert_int_equal(json_object_size(e), 4); /* no "size" for folders */
    assert_member_str(e, "name", "sub");
    assert_member_str(e, "type", "dir");
    assert_member_int(e, "mtime", 1600000000);
    assert_member_str(e, "href", "/a/sub/");

    e = json_array_get(entries, 1);
    assert_int_equal(json_object_size(e), 5);
    assert_member_str(e, "name", "a.txt");
    assert_member_str(e, "type", "file");
    assert_member_int(e, "size", 4300);
    assert_member_int(e, "mtime", 1700000000);
    assert_member_str(e, "href", "/a/a.txt");

    e = json_array_get(entries, 2);
    assert_member_str(e, "name", "empty");
    assert_member_int(e, "size", 0);
    assert_member_int(e, "mtime", 1000);
    json_decref(root);

    /* Compact: no whitespace between tokens. */
    char *body = render(fx, "/a/", LISTING_JSON, 0, NULL);
    assert_string_equal(body,
        "{\"path\":\"/a/\",\"entries\":["
        "{\"name\":\"sub\",\"type\":\"dir\",\"mtime\":1600000000,"
        "\"href\":\"/a/sub/\"},"
        "{\"name\":\"a.txt\",\"type\":\"file\",\"size\":4300,"
        "\"mtime\":1700000000,\"href\":\"/a/a.txt\"},"
        "{\"name\":\"empty\",\"type\":\"file\",\"size\":0,\"mtime\":1000,"
        "\"href\":\"/a/empty\"}]}");
    free(body);
}

static void test_json_empty_folder(void **state)
{
    struct fixture *fx = *state;
    char *body = render(fx, "/", LISTING_JSON, 0, NULL);
    assert_string_equal(body, "{\"path\":\"/\",\"entries\":[]}");
    free(body);
}

static void test_json_hrefs_percent_encoded(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *name, *href;
    } cases[] = {
        {"a b.txt", "/my%20docs/%C3%BC/a%20b.txt"},
        {"x#y", "/my%20docs/%C3%BC/x%23y"},
        {"q?.txt", "/my%20docs/%C3%BC/q%3F.txt"},
        {"100%", "/my%20docs/%C3%BC/100%25"},
        {"\xc3\xbcn\xc3\xaf.txt", "/my%20docs/%C3%BC/%C3%BCn%C3%AF.txt"},
        {"<script>x.js", "/my%20docs/%C3%BC/%3Cscript%3Ex.js"},
        {"quote\"mark", "/my%20docs/%C3%BC/quote%22mark"},
        {"semi;colon&amp", "/my%20docs/%C3%BC/semi%3Bcolon%26amp"},
    };
    const size_t n = sizeof cases / sizeof *cases;
    for (size_t i = 0; i < n; i++)
        make_file(fx, cases[i].name, (off_t)i, 1234);
    make_dir(fx, "sp ace", 1234);

    json_t *root = render_json(fx, "/my docs/\xc3\xbc/", 0);
    assert_member_str(root, "path", "/my docs/\xc3\xbc/");
    assert_int_equal(json_array_size(entries_of(root)), n + 1);
    for (size_t i = 0; i < n; i++) {
        json_t *e = find_entry(root, cases[i].name);
        if (!e)
            fail_msg("entry \"%s\" missing", cases[i].name);
        assert_member_str(e, "href", cases[i].href);
        assert_member_int(e, "size", (long long)i);
    }
    json_t *e = find_entry(root, "sp ace");
    assert_non_null(e);
    assert_member_str(e, "type", "dir");
    assert_member_str(e, "href", "/my%20docs/%C3%BC/sp%20ace/");
    json_decref(root);
}

static void test_order_folders_first_case_insensitive(void **state)
{
    struct fixture *fx = *state;
    static const char *const files[] = {"banana", "cherry", "apple", "Apple",
                                        "_under", "9", "10", "Banana2"};
    static const char *const dirs[] = {"Zeta", "alpha", "Beta"};
    static const char *const want[] = {"alpha", "Beta", "Zeta",
                                       "10", "9", "_under", "Apple", "apple",
                                       "banana", "Banana2", "cherry"};
    const size_t n = sizeof want / sizeof *want;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        make_file(fx, files[i], 1, 1);
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        make_dir(fx, dirs[i], 1);

    json_t *root = render_json(fx, "/", 0);
    json_t *entries = entries_of(root);
    assert_int_equal(json_array_size(entries), n);
    for (size_t i = 0; i < n; i++)
        assert_member_str(json_array_get(entries, i), "name", want[i]);
    json_decref(root);

    /* The HTML rows come in the same order. */
    char *html = render(fx, "/", LISTING_HTML, 0, NULL);
    size_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\">%s%s</a>", want[i],
                 i < 3 ? "/" : "");
        size_t at = offset_of(html, needle);
        assert_true(at > prev);
        prev = at;
    }
    free(html);
}

static void test_hidden_files(void **state)
{
    struct fixture *fx = *state;
    make_file(fx, ".secret", 1, 1);
    make_dir(fx, ".git", 1);
    make_file(fx, "visible", 1, 1);

    json_t *root = render_json(fx, "/", 0);
    assert_int_equal(json_array_size(entries_of(root)), 1);
    assert_non_null(find_entry(root, "visible"));
    json_decref(root);

    char *html = render(fx, "/", LISTING_HTML, 0, NULL);
    assert_null(strstr(html, "secret"));
    assert_null(strstr(html, ".git"));
    free(html);

    root = render_json(fx, "/", 1);
    assert_int_equal(json_array_size(entries_of(root)), 3); /* no . or .. */
    assert_non_null(find_entry(root, ".secret"));
    assert_non_null(find_entry(root, ".git"));
    assert_non_null(find_entry(root, "visible"));
    assert_null(find_entry(root, "."));
    assert_null(find_entry(root, ".."));
    json_decref(root);
}

static void test_unrequestable_names_left_out(void **state)
{
    struct fixture *fx = *state;
    static const char *const bad[] = {
        "tab\there",            /* control characters: paths_decode says 400 */
        "new\nrow",
        "del\x7f",
        "back\\slash",         /* backslash: paths_decode says 400 */
        "latin1-\xe9.txt",      /* lone continuation-less lead byte */
        "\xff.bin",             /* never valid */
        "\x80start",            /* stray continuation byte */
        "over-\xc0\xaf",        /* overlong '/' (2 bytes) */
        "over-\xe0\x80\xaf",    /* overlong '/' (3 bytes) */
        "over-\xf0\x80\x80\xaf", /* overlong '/' (4 bytes) */
        "surrogate-\xed\xa0\x80", /* U+D800 */
        "big-\xf4\x90\x80\x80", /* U+110000 */
        "trunc-\xe2\x82",       /* cut short */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int fd = openat(fx->fd, bad[i], O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0 && (errno == EILSEQ || errno == EINVAL))
            skip(); /* this file system only takes valid names */
        assert_true(fd >= 0);
        close(fd);
    }
    make_file(fx, "euro-\xe2\x82\xac", 1, 1);      /* U+20AC */
    make_file(fx, "max-\xf4\x8f\xbf\xbf", 1, 1);  /* U+10FFFF */
    make_file(fx, "ascii", 1, 1);

    json_t *root = render_json(fx, "/", 0);
    assert_int_equal(json_array_size(entries_of(root)), 3);
    assert_non_null(find_entry(root, "euro-\xe2\x82\xac"));
    assert_non_null(find_entry(root, "max-\xf4\x8f\xbf\xbf"));
    assert_non_null(find_entry(root, "ascii"));
    json_decref(root);

    char *html = render(fx, "/", LISTING_HTML, 0, NULL);
    assert_null(strstr(html, "latin1"));
    assert_null(strstr(html, "over-"));
    assert_null(strstr(html, "\xff"));
    assert_null(strstr(html, "slash"));
    assert_int_equal(count_str(html, "<tr><td><a href="), 3);
    free(html);
}

static void test_symlinks_and_special_files(void **state)
{
    struct fixture *fx = *state;
    make_file(fx, "target.txt", 10, 500);
    make_dir(fx, "sub", 600);
    assert_int_equal(symlinkat("target.txt", fx->fd, "link.txt"), 0);
    assert_int_equal(symlinkat("sub", fx->fd, "dirlink"), 0);
    assert_int_equal(symlinkat("nowhere", fx->fd, "dangling"), 0);
    assert_int_equal(symlinkat("loop", fx->fd, "loop"), 0);
    assert_int_equal(mkfifoat(fx->fd, "pipe", 0644), 0);

    json_t *root = render_json(fx, "/", 0);
    assert_int_equal(json_array_size(entries_of(root)), 4);
    json_t *e = find_entry(root, "link.txt"); /* followed */
    assert_non_null(e);
    assert_member_str(e, "type", "file");
    assert_member_int(e, "size", 10);
    assert_member_int(e, "mtime", 500);
    e = find_entry(root, "dirlink");
    assert_non_null(e);
    assert_member_str(e, "type", "dir");
    assert_member_str(e, "href", "/dirlink/");
    assert_null(find_entry(root, "dangling"));
    assert_null(find_entry(root, "loop"));
    assert_null(find_entry(root, "pipe")); /* neither a file nor a folder */
    json_decref(root);
}

/* With the resolver's options, a symlink GET would refuse (it leaves the
 * root) is left out, and nothing of its target shows; one that stays
 * inside is listed as what it points to; with follow_symlinks both are. */
static void test_symlinks_that_leave(void **state)
{
    struct fixture *fx = *state;
    struct paths_opts po = {0};
    struct listing_opts opts = {.root_fd = -1, .rel = "share/in", .paths = &po};
    char *body = NULL;
    size_t n = 0;
    int share, in;

    make_file(fx, "outside.bin", 12345, 981173106);
    make_dir(fx, "share", 600);
    share = openat(fx->fd, "share", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(share >= 0);
    assert_int_equal(mkdirat(share, "in", 0755), 0);
    make_file(fx, "share/f.txt", 7, 700);
    in = openat(share, "in", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(in >= 0);
    assert_int_equal(symlinkat("../../outside.bin", in, "rel_out"), 0);
    assert_int_equal(symlinkat("../f.txt", in, "rel_in"), 0);
    assert_int_equal(symlinkat("../..", in, "dir_out"), 0);
    {
        char abs[PATH_MAX + 32];

        snprintf(abs, sizeof abs, "%s/outside.bin", fx->dir);
        assert_int_equal(symlinkat(abs, in, "abs_out"), 0);
    }

    opts.root_fd = share;
    opts.rel = "in";
    assert_int_equal(listing_render(in, "/in/", LISTING_JSON, &opts, &body, &n), 0);
    assert_null(strstr(body, "rel_out"));
    assert_null(strstr(body, "abs_out"));
    assert_null(strstr(body, "dir_out"));
    assert_null(strstr(body, "12345"));
    assert_null(strstr(body, "981173106"));
    assert_non_null(strstr(body, "\"rel_in\""));
    assert_non_null(strstr(body, "\"size\":7"));
    free(body);

    po.follow_symlinks = 1;
    assert_int_equal(listing_render(in, "/in/", LISTING_JSON, &opts, &body, &n), 0);
    assert_non_null(strstr(body, "\"rel_out\""));
    assert_non_null(strstr(body, "\"abs_out\""));
    assert_non_null(strstr(body, "\"dir_out\""));
    assert_non_null(strstr(body, "12345"));
    free(body);
    close(in);
    close(share);
}

static void test_html_escapes_names(void **state)
{
    struct fixture *fx = *state;
    make_file(fx, "<img src=x onerror=alert(1)>", 1, 1);
    make_file(fx, "\"'&", 1, 1);
    make_dir(fx, "<b>dir", 1);

    char *html = render(fx, "/x<i>&/", LISTING_HTML, 0, NULL);
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "<b>"));
    assert_null(strstr(html, "<i>"));
    assert_non_null(strstr(html, ">&lt;img src=x onerror=alert(1)&gt;</a>"));
    assert_non_null(strstr(html, ">&quot;&#39;&amp;</a>"));
    assert_non_null(strstr(html, ">&lt;b&gt;dir/</a>"));
    assert_non_null(strstr(html,
        "href=\"/x%3Ci%3E%26/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E\""));
    assert_non_null(strstr(html, "href=\"/x%3Ci%3E%26/%22%27%26\""));
    assert_non_null(strstr(html, "href=\"/x%3Ci%3E%26/%3Cb%3Edir/\""));
    assert_non_null(strstr(html, "<title>Index of /x&lt;i&gt;&amp;/</title>"));
    /* in the JSON data block, every '<' is \u003c */
    assert_non_null(strstr(html, "\"name\":\"\\u003cimg src=x onerror=alert(1)>\""));
    assert_non_null(strstr(html, "{\"path\":\"/x\\u003ci>&/\""));
    free(html);

    /* A path can hold "</script>" (a folder "a<" holding "script>"): it
     * cannot end the data block early. */
    html = render(fx, "/a</script>/", LISTING_HTML, 0, NULL);
    assert_int_equal(count_str(html, "</script>"), 3); /* two UI scripts, the block */
    assert_non_null(strstr(html, "{\"path\":\"/a\\u003c/script>/\""));
    free(html);
}

static void test_html_page(void **state)
{
    struct fixture *fx = *state;
    make_file(fx, "notes.txt", 4300, 1700000000); /* 2023-11-14 22:13:20 */
    make_file(fx, "big.bin", 1048576, 0);
    make_file(fx, "zero", 0, 86399);
    make_file(fx, "odd", 1023, 1);
    make_file(fx, "k1000", 1024000, 1709201159); /* 2024-02-29 10:05:59 */
    make_file(fx, "almost", 1048575, 1);
    make_file(fx, "five", 5368709120LL, 1);
    make_dir(fx, "sub", 1700000000);

    char *html = render(fx, "/a/b c/", LISTING_HTML, 0, NULL);
    assert_int_equal(offset_of(html, "<!doctype html>"), 0);
    assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
    assert_non_null(strstr(html, "<meta name=\"viewport\" "
                                 "content=\"width=device-width"));
    assert_non_null(strstr(html, "<title>Index of /a/b c/</title>"));
    assert_non_null(strstr(html, "<style>"));
    assert_non_null(strstr(html, "@media (prefers-color-scheme:dark)"));
    assert_non_null(strstr(html, "system-ui"));

    /* Breadcrumbs: the root and "a" are links, the current folder is not. */
    assert_non_null(strstr(html, "<h1>Index of <a href=\"/\">/</a>"
                                 "<a href=\"/a/\">a</a>/b c/</h1>"));
    assert_null(strstr(html, "href=\"/a/b%20c/\""));
    /* Parent link. */
    assert_non_null(strstr(html, "<a href=\"/a/\">&#8593; Parent folder</a>"));
    assert_null(strstr(html, "This folder is empty."));

    /* Rows: folder names end in '/', sizes are human with exact titles,
     * dates are UTC minutes. */
    assert_non_null(strstr(html, "<a href=\"/a/b%20c/sub/\">sub/</a>"
                                 "</td><td>&#8212;</td>"
                                 "<td>2023-11-14 22:13</td>"));
    assert_non_null(strstr(html, "<a href=\"/a/b%20c/notes.txt\">notes.txt</a>"
                                 "</td><td title=\"4300 bytes\">4.2 KiB</td>"
                                 "<td>2023-11-14 22:13</td>"));
    assert_non_null(strstr(html, "<td title=\"1048576 bytes\">1.0 MiB</td>"
                                 "<td>1970-01-01 00:00</td>"));
    assert_non_null(strstr(html, "<td title=\"0 bytes\">0 B</td>"
                                 "<td>1970-01-01 23:59</td>"));
    assert_non_null(strstr(html, "<td title=\"1023 bytes\">1023 B</td>"));
    assert_non_null(strstr(html, "<td title=\"1024000 bytes\">1000.0 KiB</td>"
                                 "<td>2024-02-29 10:05</td>"));
    assert_non_null(strstr(html, "<td title=\"1048575 bytes\">1.0 MiB</td>"));
    assert_non_null(strstr(html,
                           "<td title=\"5368709120 bytes\">5.0 GiB</td>"));
    assert_int_equal(count_str(html, "<tr"), 1 + 1 + 8); /* head, up, rows */

    /* Works without scripts; the only resources are the UI's own, from
     * /.ferry/ui/ on the same server, versioned; nothing external. */
    assert_int_equal(count_str(html, "<script"), 3);
    /* ... and the listing as JSON in a data block, for the UI: no refetch */
    assert_int_equal(count_str(html, "<script type=\"application/json\" "
                                     "id=\"ferry-listing\">{\"path\":\"/a/b c/\","
                                     "\"entries\":[{\"name\":\"sub\",\"type\":\"dir\""), 1);
    assert_non_null(strstr(html, "{\"name\":\"five\",\"type\":\"file\","
                                 "\"size\":5368709120,\"mtime\":1,"
                                 "\"href\":\"/a/b%20c/five\"}"));
    assert_true(offset_of(html, "id=\"ferry-listing\"") > offset_of(html, "</table>"));
    assert_int_equal(count_str(html, "<link"), 1);
    assert_int_equal(count_str(html, "src=\"/.ferry/ui/"), 2);
    assert_int_equal(count_str(html, "src="), 2);
    assert_int_equal(count_str(html, "href=\"/.ferry/ui/app.css?v="), 1);
    assert_int_equal(count_str(html, "\" defer></script>"), 2);
    assert_null(strstr(html, "http:"));
    assert_null(strstr(html, "https:"));
    assert_null(strstr(html, "url("));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "\"//"));
    assert_non_null(strstr(html, "</html>\n"));
    free(html);
}

static void test_html_root_and_empty(void **state)
{
    struct fixture *fx = *state;
    char *html = render(fx, "/", LISTING_HTML, 0, NULL);
    assert_non_null(strstr(html, "<title>Index of /</title>"));
    assert_non_null(strstr(html, "<h1>Index of /</h1>"));
    assert_null(strstr(html, "Parent folder"));
    assert_non_null(strstr(html,
                           "<td colspan=\"3\">This folder is empty.</td>"));
    free(html);

    /* An empty subfolder still links to its parent. */
    html = render(fx, "/only/", LISTING_HTML, 0, NULL);
    assert_non_null(strstr(html, "<a href=\"/\">&#8593; Parent folder</a>"));
    assert_non_null(strstr(html, "This folder is empty."));
    assert_non_null(strstr(html, "<h1>Index of <a href=\"/\">/</a>only/</h1>"));
    free(html);

    /* A folder with only hidden files looks empty when they are hidden. */
    make_file(fx, ".hidden", 1, 1);
    html = render(fx, "/", LISTING_HTML, 0, NULL);
    assert_non_null(strstr(html, "This folder is empty."));
    free(html);
    html = render(fx, "/", LISTING_HTML, 1, NULL);
    assert_null(strstr(html, "This folder is empty."));
    free(html);
}

static void test_ten_thousand_entries(void **state)
{
    struct fixture *fx = *state;
    enum { N = 10000 };
    char name[32];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "IMG_%05d.jpg", i);
        int fd = openat(fx->fd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
        assert_true(fd >= 0);
        close(fd);
    }

    json_t *root = render_json(fx, "/photos/", 0);
    json_t *entries = entries_of(root);
    assert_int_equal(json_array_size(entries), N);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "IMG_%05d.jpg", i);
        assert_member_str(json_array_get(entries, (size_t)i), "name", name);
    }
    json_decref(root);

    char *html = render(fx, "/photos/", LISTING_HTML, 0, NULL);
    assert_int_equal(count_str(html, "<tr><td><a href=\"/photos/IMG_"), N);
    free(html);
}

static void test_dir_fd_is_borrowed(void **state)
{
    struct fixture *fx = *state;
    char name[16];
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "f%02d", i);
        make_file(fx, name, 1, 1);
    }
    /* Move the caller's offset part-way: the listing must not care. */
    char dents[256];
    assert_true(syscall(SYS_getdents64, fx->fd, dents, sizeof dents) > 0);
    off_t off = lseek(fx->fd, 0, SEEK_CUR);
    int flags = fcntl(fx->fd, F_GETFL);
    struct stat before, after;
    assert_int_equal(fstat(fx->fd, &before), 0);
    int fds = count_fds();

    for (int round = 0; round < 3; round++) {
        json_t *root = render_json(fx, "/", 0);
        assert_int_equal(json_array_size(entries_of(root)), 50);
        json_decref(root);
        char *html = render(fx, "/", LISTING_HTML, 0, NULL);
        assert_int_equal(count_str(html, "<tr><td>"), 50);
        free(html);
    }

    assert_int_equal(count_fds(), fds);
    assert_int_equal(lseek(fx->fd, 0, SEEK_CUR), off);
    assert_int_equal(fcntl(fx->fd, F_GETFL), flags);
    assert_int_equal(fstat(fx->fd, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_int_equal(before.st_dev, after.st_dev);
}

static void test_errors(void **state)
{
    struct fixture *fx = *state;
    char *body = (char *)1;
    size_t len = 1;
    int fds = count_fds();

    make_file(fx, "plain", 1, 1);
    int file_fd = openat(fx->fd, "plain", O_RDONLY | O_CLOEXEC);
    assert_true(file_fd >= 0);
    assert_int_equal(listing_render(file_fd, "/", LISTING_JSON, NULL,
                                    &body, &len), -ENOTDIR);
    assert_null(body);
    assert_int_equal(len, 0);
    close(file_fd);

    body = (char *)1;
    assert_int_equal(listing_render(-1, "/", LISTING_HTML, NULL, &body, &len),
                     -EBADF);
    assert_null(body);

    static const char *const bad_paths[] = {"", "a/", "/a", "/\xff/"};
    for (size_t i = 0; i < sizeof bad_paths / sizeof *bad_paths; i++) {
        body = (char *)1;
        assert_int_equal(listing_render(fx->fd, bad_paths[i], LISTING_HTML,
                                        NULL, &body, &len), -EINVAL);
        assert_null(body);
    }
    body = (char *)1;
    assert_int_equal(listing_render(fx->fd, NULL, LISTING_JSON, NULL, &body,
                                    &len), -EINVAL);
    assert_null(body);
    assert_int_equal(listing_render(fx->fd, "/", (enum listing_format)7, NULL,
                                    &body, &len), -EINVAL);
    assert_int_equal(listing_render(fx->fd, "/", LISTING_JSON, NULL, NULL,
                                    &len), -EINVAL);
    assert_int_equal(listing_render(fx->fd, "/", LISTING_JSON, NULL, &body,
                                    NULL), -EINVAL);

    /* NULL opts means the defaults: hidden files are left out. */
    make_file(fx, ".dot", 1, 1);
    assert_int_equal(listing_render(fx->fd, "/", LISTING_JSON, NULL, &body,
                                    &len), 0);
    assert_null(strstr(body, ".dot"));
    assert_non_null(strstr(body, "plain"));
    free(body);

    assert_int_equal(count_fds(), fds);
}

/* jansson allocator that fails its Nth call (counting from 1). */
static unsigned long jansson_calls, jansson_fail_at;

static void *failing_malloc(size_t n)
{
    if (++jansson_calls == jansson_fail_at)
        return NULL;
    return malloc(n);
}

static void test_json_out_of_memory(void **state)
{
    struct fixture *fx = *state;
    make_file(fx, "a b", 3, 3);
    make_file(fx, "c", 4, 4);
    make_dir(fx, "d", 5);

    unsigned long n;
    for (n = 1; n < 10000; n++) {
        char *body = (char *)1;
        size_t len = 1;
        jansson_calls = 0;
        jansson_fail_at = n;
        json_set_alloc_funcs(failing_malloc, free);
        int rc = listing_render(fx->fd, "/", LISTING_JSON, NULL, &body, &len);
        json_set_alloc_funcs(malloc, free);
        if (rc == 0) {
            assert_true(jansson_calls < n); /* every failure point was hit */
            free(body);
            break;
        }
        assert_int_equal(rc, -ENOMEM);
        assert_null(body);
        assert_int_equal(len, 0);
    }
    assert_true(n > 5); /* jansson did allocate: the failures were real */
}

/* Restores jansson's allocator, then removes the folder. */
static int teardown_jansson(void **state)
{
    json_set_alloc_funcs(malloc, free);
    return teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_escape),
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_json_exact_entries),
        T(test_json_empty_folder),
        T(test_json_hrefs_percent_encoded),
        T(test_order_folders_first_case_insensitive),
        T(test_hidden_files),
        T(test_unrequestable_names_left_out),
        T(test_symlinks_and_special_files),
        T(test_symlinks_that_leave),
        T(test_html_escapes_names),
        T(test_html_page),
        T(test_html_root_and_empty),
        T(test_ten_thousand_entries),
        T(test_dir_fd_is_borrowed),
        T(test_errors),
        cmocka_unit_test_setup_teardown(test_json_out_of_memory, setup,
                                        teardown_jansson),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
