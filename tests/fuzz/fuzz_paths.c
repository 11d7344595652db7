/*
 * fuzz_paths.c — fuzz target for daemon/paths.c.
 *
 * The input is a raw request path. paths_decode runs with and without hidden
 * files and with a small buffer, and every success must be a clean relative
 * path (checked here with an independent UTF-8 decoder) that survives a
 * percent-encoding round trip. Then paths_open runs on the decoded path and
 * on the raw input against a small symlink-laden tree (made once, removed at
 * exit), through openat2 and through the portable walk: both must agree,
 * never reach outside the root without follow_symlinks, and leak no fd.
 * The input is also judged as a symlink target (paths_link_stays_inside)
 * against a lexical walk. Any violation aborts.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "paths.h"

/* Aborts with a message when cond is false. */
static void require(int cond, const char *what, const char *raw)
{
    if (cond)
        return;
    fprintf(stderr, "fuzz_paths: invariant violated: %s (input \"%s\")\n", what, raw);
    abort();
}

/*
 * Whether s[0..n) is well-formed UTF-8, written differently from paths.c:
 * decode each code point, then check its range and the shortest form.
 */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i], len, cp, min;

        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

/* Checks everything a successful paths_decode promises about out. */
static void check_clean(const char *raw, const char *out, int ret, int show_hidden)
{
    size_t n = strlen(out);

    require(ret >= 0 && ret <= PATHS_MAX, "length within PATHS_MAX", raw);
    require(n == (size_t)ret, "length equals the return value", raw);
    require(n == 0 || (out[0] != '/' && out[n - 1] != '/'),
            "no leading or trailing slash", raw);
    require(strstr(out, "//") == NULL, "no empty segment", raw);
    require(strchr(out, '\\') == NULL, "no backslash", raw);
    require(utf8_ok((const unsigned char *)out, n), "valid UTF-8", raw);
    for (size_t i = 0; i < n; i++)
        require((unsigned char)out[i] >= 0x20 && out[i] != 0x7f, "no control byte", raw);
    for (const char *s = out; *s;) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);

        require(len > 0, "no empty segment", raw);
        require(!(len == 1 && s[0] == '.'), "no \".\" segment", raw);
        require(!(len == 2 && s[0] == '.' && s[1] == '.'), "no \"..\" segment", raw);
        require(show_hidden || s[0] != '.', "no hidden segment", raw);
        s += len;
        if (*s == '/')
            s++;
    }
}

/* ------------------------------------------------------------ the tree */

static char tree_base[64];
static int tree_root = -1;
static struct stat outside_dir, outside_secret;

/* nftw callback: removes one entry. */
static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)type;
    (void)f;
    return remove(path);
}

/* atexit: removes the tree. */
static void tree_remove(void)
{
    if (tree_root >= 0)
        close(tree_root);
    tree_root = -1;
    if (tree_base[0])
        nftw(tree_base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tree_base[0] = '\0';
}

/* Creates one entry below tree_base: a folder, a file or a symlink. */
static void tree_add(char kind, const char *rel, const char *arg)
{
    char p[256];
    int ok;

    snprintf(p, sizeof p, "%s/%s", tree_base, rel);
    if (kind == 'd') {
        ok = mkdir(p, 0700) == 0;
    } else if (kind == 'f') {
        FILE *f = fopen(p, "w");

        ok = f != NULL;
        if (f)
            fclose(f);
    } else {
        ok = symlink(arg, p) == 0;
    }
    require(ok, "fuzz tree could be built", rel);
}

/* Builds the tree once; returns the root fd, or -1 if it cannot be made. */
static int tree_get(void)
{
    static int tried;
    char p[256];
    const char *tmp = getenv("TMPDIR");

    if (tried)
        return tree_root;
    tried = 1;
    snprintf(tree_base, sizeof tree_base, "%s/ferry-fuzz-XXXXXX",
             tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(tree_base)) {
        tree_base[0] = '\0';
        return -1;
    }
    atexit(tree_remove);
    tree_add('d', "outside", NULL);
    tree_add('f', "outside/secret", NULL);
    tree_add('d', "root", NULL);
    tree_add('f', "root/file.txt", NULL);
    tree_add('f', "root/.hidden", NULL);
    tree_add('d', "root/sub", NULL);
    tree_add('f', "root/sub/inner.txt", NULL);
    tree_add('d', "root/sub/deeper", NULL);
    tree_add('f', "root/sub/deeper/d.txt", NULL);
    tree_add('l', "root/link_in", "file.txt");
    tree_add('l', "root/dirlink", "sub");
    tree_add('l', "root/sub/up", "..");
    tree_add('l', "root/sub/here", ".");
    tree_add('l', "root/sub/dd", "deeper/../inner.txt");
    tree_add('l', "root/sub/upup", "here/../../outside");
    tree_add('l', "root/rel_out", "../outside/secret");
    tree_add('l', "root/outdir", "../outside");
    tree_add('l', "root/chain1", "chain2");
    tree_add('l', "root/chain2", "sub/chain3");
    tree_add('l', "root/sub/chain3", "../../outside/secret");
    tree_add('l', "root/loop1", "loop2");
    tree_add('l', "root/loop2", "loop1");
    tree_add('l', "root/dangling", "nowhere");
    snprintf(p, sizeof p, "%s/outside/secret", tree_base);
    tree_add('l', "root/abs_out", p);
    require(stat(p, &outside_secret) == 0, "stat outside/secret", p);
    snprintf(p, sizeof p, "%s/outside", tree_base);
    require(stat(p, &outside_dir) == 0, "stat outside", p);
    snprintf(p, sizeof p, "%s/root", tree_base);
    tree_root = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return tree_root;
}

static int same_inode(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Opens rel both ways with flags and follow; checks they agree. */
static void open_both(int root, const char *raw, const char *rel, int flags, int follow)
{
    struct stat st[2];
    int ret[2], fd[2];

    for (int walk = 0; walk <= 1; walk++) {
        struct paths_opts opts = { .follow_symlinks = follow, .force_walk = walk };

        ret[walk] = paths_open(root, rel, flags, &opts, &fd[walk]);
        require(ret[walk] == 0 ? fd[walk] >= 0 : fd[walk] == -1,
                "fd set exactly on success", raw);
        require(ret[walk] <= 0, "paths_open returns 0 or negative", raw);
        if (ret[walk] == 0)
            require(fstat(fd[walk], &st[walk]) == 0, "result fd is open", raw);
    }
    if (ret[0] != ret[1])
        fprintf(stderr, "fuzz_paths: rel \"%s\" flags %#x follow %d: openat2 %d, walk %d\n",
                rel, (unsigned)flags, follow, ret[0], ret[1]);
    require(ret[0] == ret[1], "openat2 and the walk agree", raw);
    if (ret[0] == 0) {
        require(same_inode(&st[0], &st[1]), "openat2 and the walk open the same file", raw);
        if (!follow)
            require(!same_inode(&st[0], &outside_secret) &&
                    !same_inode(&st[0], &outside_dir), "nothing outside the root", raw);
        close(fd[0]);
        close(fd[1]);
    }
}

/* -------------------------------------------------------------- target */

/* Percent-encodes every byte of rel but '/', alternating hex case. */
static void encode(const char *rel, char *dst)
{
    static const char up[] = "0123456789ABCDEF", lo[] = "0123456789abcdef";
    size_t k = 0;

    dst[k++] = '/';
    for (size_t i = 0; rel[i]; i++) {
        unsigned char c = (unsigned char)rel[i];
        const char *hex = i & 1 ? lo : up;

        if (c == '/') {
            dst[k++] = '/';
            continue;
        }
        dst[k++] = '%';
        dst[k++] = hex[c >> 4];
        dst[k++] = hex[c & 15];
    }
    dst[k] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char out[2][PATHS_MAX + 1], small[32 + 8], again[PATHS_MAX + 1];
    static char enc[3 * PATHS_MAX + 2];
    struct paths_opts opts = { 0 };
    int ret[2], tr, rs, root, probe;
    size_t smallen;
    char *raw;

    if (size > 3 * PATHS_MAX + 64)
        return 0;
    raw = malloc(size + 1);
    if (!raw)
        return 0;
    memcpy(raw, data, size);
    raw[size] = '\0';

    for (int h = 0; h <= 1; h++) {
        opts.show_hidden = h;
        tr = -1;
        ret[h] = paths_decode(raw, &opts, out[h], sizeof out[h], &tr);
        require(ret[h] >= 0 || ret[h] == PATHS_EBADREQ || ret[h] == PATHS_EFORBIDDEN ||
                ret[h] == PATHS_ENOTFOUND, "known return value", raw);
        require(tr == 0 || tr == 1, "trailing_slash set", raw);
        if (ret[h] >= 0) {
            check_clean(raw, out[h], ret[h], h);
            require(tr == (size > 0 && strlen(raw) > 0 && raw[strlen(raw) - 1] == '/'),
                    "trailing_slash is whether raw ends with '/'", raw);
        } else {
            require(out[h][0] == '\0', "out is empty on error", raw);
        }
    }
    /* showing hidden files only turns ENOTFOUND into success */
    if (ret[1] < 0)
        require(ret[0] == ret[1], "show_hidden changes only hidden results", raw);
    else
        require(ret[0] == PATHS_ENOTFOUND ||
                (ret[0] == ret[1] && strcmp(out[0], out[1]) == 0),
                "show_hidden changes only hidden results", raw);

    /* a small buffer: same answer if it fits, EBADREQ otherwise */
    smallen = size % 32 + 1;
    memset(small, 'X', sizeof small);
    opts.show_hidden = 1;
    rs = paths_decode(raw, &opts, small, smallen, NULL);
    for (size_t k = smallen; k < sizeof small; k++)
        require(small[k] == 'X', "nothing written past outlen", raw);
    if (ret[1] >= 0 && (size_t)ret[1] < smallen)
        require(rs == ret[1] && strcmp(small, out[1]) == 0, "small buffer, same result", raw);
    else if (ret[1] >= 0)
        require(rs == PATHS_EBADREQ, "small buffer refuses", raw);
    else
        require(rs == PATHS_EBADREQ || rs == ret[1], "small buffer, same error", raw);

    /* round trip: fully percent-encoded output decodes to itself */
    if (ret[1] >= 0) {
        encode(out[1], enc);
        require(paths_decode(enc, &opts, again, sizeof again, NULL) == ret[1] &&
                strcmp(again, out[1]) == 0, "encode/decode round trip", raw);
    }

    /* the input as a symlink's target (paths_link_stays_inside): against a
     * lexical walk from a folder `d` levels deep; more depth never hurts */
    for (size_t d = 0; d <= 4; d++) {
        int in = paths_link_stays_inside(raw, d), named = 0, low = 0, late = 0;
        long level = (long)d;

        require(in == 0 || in == 1, "link verdict is 0 or 1", raw);
        require(paths_link_movable(raw, d) == (raw[0] == '/' || in), "movable", raw);
        if (d < 4)
            require(!in || paths_link_stays_inside(raw, d + 1), "deeper stays inside", raw);
        for (const char *q = raw; *q;) {
            size_t n = strcspn(q, "/");

            if (n == 2 && q[0] == '.' && q[1] == '.') {
                late |= named;
                low |= --level < 0;
            } else if (n && !(n == 1 && q[0] == '.')) {
                named = 1;
                level++;
            }
            q += n + (q[n] == '/');
        }
        if (raw[0] != '/' && !late)
            require(in == !low, "relative link: inside exactly when the walk stays", raw);
        else
            require(!in, "absolute, or '..' after a name: never inside", raw);
    }

    /* paths_open, on what the server would open and on the raw bytes */
    root = tree_get();
    if (root >= 0) {
        static const int flag_sets[] = {
            O_RDONLY, O_RDONLY | O_DIRECTORY, O_RDONLY | O_NOFOLLOW,
#ifdef O_PATH
            O_PATH,
#endif
        };
        int flags = flag_sets[size % (sizeof flag_sets / sizeof flag_sets[0])];

        uint64_t open_before = 0, open_after = 0;

        probe = dup(root);
        require(probe >= 0, "dup", raw);
        close(probe);
        for (int k = 0; k < 64; k++)
            if (fcntl(probe + k, F_GETFD) != -1)
                open_before |= (uint64_t)1 << k;
        for (int follow = 0; follow <= 1; follow++) {
            if (ret[1] >= 0)
                open_both(root, raw, out[1], flags, follow);
            open_both(root, raw, raw, flags, follow);
        }
        /* no fd leaked: the fds from the lowest free one on are as they were
         * (the environment may have left some open higher up) */
        for (int k = 0; k < 64; k++)
            if (fcntl(probe + k, F_GETFD) != -1)
                open_after |= (uint64_t)1 << k;
        require(open_after == open_before, "no fd leaked", raw);
    }
    free(raw);
    return 0;
}
