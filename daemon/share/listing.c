/*
 * listing.c — renders one folder as JSON or as an HTML page that needs no
 * script; it links the browser UI (www/, from /.ferry/ui/ with ?v= the
 * ASSETS_VERSION of the build), which enhances it when scripts run.
 *
 * Owns: reading a folder (one readdir pass, one fstatat per entry, and for
 * a symlink the resolver's open of it), the filtering rules (".", "..",
 * dot-files, names that are not valid UTF-8, entries that cannot be
 * stat()ed or are neither regular files nor folders, symlinks that GET
 * would refuse),
 * the sort order, the JSON shape, the HTML page (markup and its inline
 * style) and the percent-encoding of links. It does not decide which folder
 * a URL may reach (paths.c) nor send anything (routes.c).
 *
 * Memory: names are copied into one growing arena, entries live in one
 * growing array sorted with qsort, and each body is built in one growing
 * buffer, so a listing costs a handful of allocations whatever its size
 * (plus jansson's own per-value allocations for JSON).
 */
#include "config.h"

#include "daemon/assets-version.h" /* generated: ASSETS_VERSION */
#include "listing.h"
#include "paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ buffer */

/*
 * A growing byte buffer with a sticky failure flag: after an allocation
 * fails every append is a no-op and buf_finish() reports -ENOMEM, so
 * renderers check once at the end. data is always NUL-terminated once
 * anything was appended.
 */
struct buf {
    char *data;
    size_t len;
    size_t cap;
    int failed;
};

/*
 * Makes room for `extra` more bytes plus a NUL, doubling the capacity.
 * Returns 0, or -1 (and sets b->failed) when memory runs out.
 */
static int buf_reserve(struct buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (extra < b->cap - b->len) /* strictly less: keeps room for the NUL */
        return 0;
    if (extra > (size_t)-1 / 2 - b->len) {
        b->failed = 1;
        return -1;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= extra)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

/* Appends n bytes of p. */
static void buf_add(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* Appends the NUL-terminated string s. */
static void buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Appends v in decimal (no printf: this runs for every row). */
static void buf_add_int(struct buf *b, long long v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
                                 : (unsigned long long)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--i] = '-';
    buf_add(b, tmp + i, sizeof tmp - i);
}

/*
 * Appends n bytes of s with & < > " ' replaced by entities, so the result is
 * safe both as element text and inside a double- or single-quoted attribute.
 */
static void buf_add_html(struct buf *b, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *ent;
        switch (s[i]) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: continue;
        }
        buf_add(b, s + run, i - run);
        buf_adds(b, ent);
        run = i + 1;
    }
    buf_add(b, s + run, n - run);
}

/* 1 for the bytes a URL path may carry unescaped: RFC 3986 unreserved, '/'. */
static const unsigned char url_plain[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1, ['/'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

/*
 * Appends n bytes of s percent-encoded (every byte outside unreserved and
 * '/' becomes %XX, uppercase hex). The output needs no further escaping in
 * HTML attributes or JSON strings.
 */
static void buf_add_url(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    if (buf_reserve(b, 3 * n) < 0)
        return;
    char *o = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (url_plain[c]) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

/* Releases the buffer's memory and resets it; accepts an empty buffer. */
static void buf_free(struct buf *b)
{
    free(b->data);
    *b = (struct buf){0};
}

/*
 * Hands the buffer's bytes to the caller: on success *body owns them
 * (NUL-terminated, *len bytes without the NUL) and b is reset. On failure
 * the buffer is freed, *body is NULL and -ENOMEM is returned.
 */
static int buf_finish(struct buf *b, char **body, size_t *len)
{
    buf_add(b, "", 0); /* an empty body is still a NUL-terminated string */
    if (b->failed) {
        buf_free(b);
        return -ENOMEM;
    }
    *body = b->data;
    *len = b->len;
    *b = (struct buf){0};
    return 0;
}

char *listing_url_escape(const char *in)
{
    struct buf b = {0};
    char *out;
    size_t len;

    if (!in) {
        errno = EINVAL;
        return NULL;
    }
    buf_add_url(&b, in, strlen(in));
    if (buf_finish(&b, &out, &len) < 0) {
        errno = ENOMEM;
        return NULL;
    }
    return out;
}

/* ------------------------------------------------------------ reading */

/* One listed entry. name points into the folder's name arena. */
struct entry {
    const char *name;
    size_t off;  /* offset of name in the arena while it may still move */
    size_t nlen;
    long long size;
    long long mtime;
    int is_dir;
};

struct folder {
    struct entry *v;
    size_t n;
    size_t cap;
    struct buf names; /* every name, each NUL-terminated */
};

/* Frees what a folder holds; accepts a zeroed folder. */
static void folder_free(struct folder *f)
{
    free(f->v);
    buf_free(&f->names);
    *f = (struct folder){0};
}

/*
 * Returns 1 when the n bytes at s are valid UTF-8 under RFC 3629: no
 * overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF,
 * no truncated sequence. 0 otherwise.
 */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        unsigned lo = 0x80, hi = 0xBF;
        size_t k;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
        } else if (c == 0xE0) {
            k = 2, lo = 0xA0;
        } else if (c == 0xED) {
            k = 2, hi = 0x9F;
        } else if (c >= 0xE1 && c <= 0xEF) {
            k = 2;
        } else if (c == 0xF0) {
            k = 3, lo = 0x90;
        } else if (c == 0xF4) {
            k = 3, hi = 0x8F;
        } else if (c >= 0xF1 && c <= 0xF3) {
            k = 3;
        } else {
            return 0;
        }
        if (n - i - 1 < k || s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t j = 2; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        i += k + 1;
    }
    return 1;
}

/* See listing.h. Names that fail would list links that only ever answer
 * 400, so they are left out. */
int listing_name_servable(const char *name, size_t n)
{
    if (paths_temp_name(name, n)) /* ferry's own, half made */
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c < 0x20 || c == 0x7f || c == '\\')
            return 0;
    }
    return utf8_valid((const unsigned char *)name, n);
}

/*
 * The stat of what the symlink `name` in the folder open at fd points to,
 * as GET would reach it (see struct listing_opts). Returns 0, or -1 when
 * it is dangling, refused (it leaves the root) or unreadable: then it is
 * not listed.
 */
static int link_stat(int fd, const char *name, size_t nlen,
                     const struct listing_opts *opts, struct stat *st)
{
    char rel[PATHS_MAX + 1];
    size_t rlen;
    int lfd = -1, rc;

    if (!opts || !opts->paths)
        return fstatat(fd, name, st, 0);
    rlen = opts->rel ? strlen(opts->rel) : 0;
    if (rlen + 1 + nlen >= sizeof rel)
        return -1;
    if (rlen) {
        memcpy(rel, opts->rel, rlen);
        rel[rlen++] = '/';
    }
    memcpy(rel + rlen, name, nlen + 1);
#if defined(O_PATH)
    rc = paths_open(opts->root_fd, rel, O_PATH, opts->paths, &lfd);
#else
    rc = paths_open(opts->root_fd, rel, O_RDONLY | O_NONBLOCK, opts->paths, &lfd);
#endif
    if (rc < 0)
        return -1;
    rc = fstat(lfd, st);
    close(lfd);
    return rc;
}

/*
 * Reads the folder open at dir_fd (borrowed: a fresh descriptor for "." is
 * opened and closed here, so the caller's offset and flags are untouched)
 * into f, unsorted; symlinks as link_stat() says. Returns 0, or -errno when
 * the folder cannot be opened or read, or memory runs out; f then holds
 * whatever was read and the caller frees it either way.
 */
static int folder_read(int dir_fd, const struct listing_opts *opts, struct folder *f)
{
    int show_hidden = opts && opts->show_hidden;
    int rc = 0;
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        rc = -errno;
        close(fd);
        return rc;
    }

    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            rc = -errno; /* 0 at the end of the folder */
            break;
        }
        const char *name = de->d_name;
        if (name[0] == '.' &&
            (!show_hidden || name[1] == '\0' ||
             (name[1] == '.' && name[2] == '\0')))
            continue;
        size_t nlen = strlen(name);
        if (!listing_name_servable(name, nlen))
            continue;

        struct stat st;
        if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* raced unlink, no permission */
        if (S_ISLNK(st.st_mode) && link_stat(fd, name, nlen, opts, &st) < 0)
            continue; /* dangling, or leaving the shared folder */
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
            continue; /* fifos, sockets, devices: nothing to browse */

        if (f->n == f->cap) {
            size_t cap = f->cap ? 2 * f->cap : 64;
            struct entry *v = realloc(f->v, cap * sizeof *v);
            if (!v) {
                rc = -ENOMEM;
                break;
            }
            f->v = v;
            f->cap = cap;
        }
        struct entry *e = &f->v[f->n];
        e->off = f->names.len;
        e->nlen = nlen;
        e->is_dir = S_ISDIR(st.st_mode);
        e->size = e->is_dir ? 0 : (long long)st.st_size;
        e->mtime = (long long)st.st_mtime;
        buf_add(&f->names, name, nlen + 1); /* with its NUL */
        if (f->names.failed) {
            rc = -ENOMEM;
            break;
        }
        f->n++;
    }
    closedir(d); /* closes fd */

    for (size_t i = 0; i < f->n; i++)
        f->v[i].name = f->names.data + f->v[i].off;
    return rc;
}

/* ASCII case fold for sorting. */
static inline unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/*
 * qsort comparator: folders first, then names compared with ASCII case
 * folded, then bytewise (so "README" sorts before "readme").
 */
static int entry_cmp(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    if (a->is_dir != b->is_dir)
        return b->is_dir - a->is_dir;
    const unsigned char *x = (const unsigned char *)a->name;
    const unsigned char *y = (const unsigned char *)b->name;
    for (;; x++, y++) {
        unsigned char cx = fold(*x), cy = fold(*y);
        if (cx != cy)
            return cx < cy ? -1 : 1;
        if (!cx)
            break;
    }
    return strcmp(a->name, b->name);
}

/* ------------------------------------------------------------ JSON */

/*
 * Appends j dumped with `flags` (JSON_COMPACT, plus JSON_ENCODE_ANY for a
 * bare string) straight into b: one json_dumpb into `estimate` bytes of
 * room, and a second, exact one only when the estimate was short. Returns 0
 * or -ENOMEM.
 */
static int buf_add_json(struct buf *b, const json_t *j, size_t flags,
                        size_t estimate)
{
    for (;;) {
        if (buf_reserve(b, estimate) < 0)
            return -ENOMEM;
        size_t room = b->cap - b->len - 1;
        size_t need = json_dumpb(j, b->data + b->len, room, flags);
        if (need == 0)
            return -ENOMEM;
        if (need <= room) {
            b->len += need;
            b->data[b->len] = '\0';
            return 0;
        }
        estimate = need;
    }
}

/*
 * One entry's JSON object, built once per render and per type and reused:
 * each entry replaces the values in place and is dumped on its own. This
 * keeps the key order fixed (name, type, [size,] mtime, href), allocates
 * nothing per entry beyond jansson's string copies, and bounds memory by
 * one object instead of a tree of 10,000. The row holds one reference on
 * obj and one on each value (obj holds its own).
 */
struct json_row {
    json_t *obj;
    json_t *name;
    json_t *type;
    json_t *size; /* NULL for folders */
    json_t *mtime;
    json_t *href;
};

/* Drops the row's references; accepts a zeroed or half-built row. */
static void json_row_free(struct json_row *r)
{
    json_decref(r->obj);
    json_decref(r->name);
    json_decref(r->type);
    json_decref(r->size);
    json_decref(r->mtime);
    json_decref(r->href);
    *r = (struct json_row){0};
}

/*
 * Builds the reusable object for files (is_dir 0) or folders (is_dir 1)
 * into a zeroed r. Returns 0 or -ENOMEM; r is to be freed with
 * json_row_free either way.
 */
static int json_row_init(struct json_row *r, int is_dir)
{
    r->obj = json_object();
    r->name = json_string("");
    r->type = json_string(is_dir ? "dir" : "file");
    r->size = is_dir ? NULL : json_integer(0);
    r->mtime = json_integer(0);
    r->href = json_string("");
    if (!r->obj || !r->name || !r->type || (!is_dir && !r->size) ||
        !r->mtime || !r->href)
        return -ENOMEM;
    if (json_object_set_nocheck(r->obj, "name", r->name) < 0 ||
        json_object_set_nocheck(r->obj, "type", r->type) < 0 ||
        (r->size && json_object_set_nocheck(r->obj, "size", r->size) < 0) ||
        json_object_set_nocheck(r->obj, "mtime", r->mtime) < 0 ||
        json_object_set_nocheck(r->obj, "href", r->href) < 0)
        return -ENOMEM;
    return 0;
}

/*
 * Builds the JSON body for f (sorted) at url_path into out: the enclosing
 * {"path":...,"entries":[...]} is written around entries that jansson
 * encodes one by one. Returns 0 or -ENOMEM; out is freed by the caller
 * either way.
 */
static int render_json(const struct folder *f, const char *url_path,
                       size_t plen, struct buf *out)
{
    int rc = -ENOMEM;
    struct json_row rows[2] = {{0}}; /* [0] files, [1] folders */
    struct buf href = {0};
    json_t *path = json_stringn_nocheck(url_path, plen);

    if (!path || json_row_init(&rows[0], 0) < 0 ||
        json_row_init(&rows[1], 1) < 0)
        goto fail;

    buf_adds(out, "{\"path\":");
    if (buf_add_json(out, path, JSON_COMPACT | JSON_ENCODE_ANY, 2 * plen + 8)
        < 0)
        goto fail;
    buf_adds(out, ",\"entries\":[");
    /* Most names need no escaping: start with room for all of them. */
    size_t estimate = 16;
    for (size_t i = 0; i < f->n; i++)
        estimate += 2 * f->v[i].nlen + 3 * plen + 80;
    if (buf_reserve(out, estimate) < 0)
        goto fail;

    for (size_t i = 0; i < f->n; i++) {
        const struct entry *e = &f->v[i];
        struct json_row *r = &rows[e->is_dir];
        href.len = 0;
        buf_add_url(&href, url_path, plen);
        buf_add_url(&href, e->name, e->nlen);
        if (e->is_dir)
            buf_add(&href, "/", 1);
        if (href.failed ||
            json_string_setn_nocheck(r->name, e->name, e->nlen) < 0 ||
            json_string_setn_nocheck(r->href, href.data, href.len) < 0 ||
            json_integer_set(r->mtime, (json_int_t)e->mtime) < 0 ||
            (r->size && json_integer_set(r->size, (json_int_t)e->size) < 0))
            goto fail;
        if (i > 0)
            buf_add(out, ",", 1);
        if (buf_add_json(out, r->obj, JSON_COMPACT,
                         2 * e->nlen + href.len + 80) < 0)
            goto fail;
    }
    buf_adds(out, "]}");
    rc = out->failed ? -ENOMEM : 0;
fail:
    json_decref(path);
    json_row_free(&rows[0]);
    json_row_free(&rows[1]);
    buf_free(&href);
    return rc;
}

/* ------------------------------------------------------------ HTML */

static const char html_style[] =
    ":root{color-scheme:light dark}"
    "body{margin:0 auto;max-width:60rem;padding:1rem;"
    "font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"Helvetica Neue\",Arial,sans-serif;color:#1f1f1f;background:#fff}"
    "h1{font-size:1.25rem;font-weight:600;margin:.5rem 0 1rem;"
    "overflow-wrap:anywhere}"
    "a{color:#0b57d0;text-decoration:none}"
    "a:hover,a:focus{text-decoration:underline}"
    "table{width:100%;border-collapse:collapse}"
    "th,td{padding:.5rem;text-align:left;border-bottom:1px solid #e3e3e3;"
    "vertical-align:top}"
    "th{font-size:.8rem;font-weight:600;color:#5f6368}"
    "td:first-child{overflow-wrap:anywhere}"
    "th+th,td+td{white-space:nowrap;color:#5f6368;"
    "font-variant-numeric:tabular-nums}"
    "th:nth-child(2),td:nth-child(2){text-align:right}"
    ".d a{font-weight:600}"
    ".e td{color:#5f6368;font-style:italic}"
    "@media (prefers-color-scheme:dark){"
    "body{color:#e3e3e3;background:#131314}"
    "a{color:#a8c7fa}"
    "th,td{border-color:#3c4043}"
    "th,th+th,td+td,.e td{color:#9aa0a6}}";

/*
 * Appends size as a short human-readable string: "512 B", "4.2 KiB",
 * "1.0 MiB" (binary units, one decimal, rounded half up; a value that would
 * round to 1024.0 moves to the next unit).
 */
static void add_human_size(struct buf *b, long long size)
{
    static const char *const units[] =
        {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    const size_t nunits = sizeof units / sizeof *units;
    if (size < 1024) {
        buf_add_int(b, size);
        buf_add(b, " B", 2);
        return;
    }
    double v = (double)size;
    unsigned long long tenths;
    size_t u = 0;
    for (;;) {
        tenths = (unsigned long long)(v * 10 + 0.5);
        if (tenths < 10240 || u + 1 == nunits)
            break;
        v /= 1024;
        u++;
    }
    buf_add_int(b, (long long)(tenths / 10));
    char frac[2] = {'.', (char)('0' + tenths % 10)};
    buf_add(b, frac, 2);
    buf_add(b, " ", 1);
    buf_adds(b, units[u]);
}

/* Appends t as "YYYY-MM-DD HH:MM" in UTC, or "-" if it cannot be shown. */
static void add_date(struct buf *b, long long t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if ((long long)tt != t || !gmtime_r(&tt, &tm) ||
        tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
        buf_add(b, "-", 1);
        return;
    }
    int y = tm.tm_year + 1900;
    char d[16] = {
        (char)('0' + y / 1000), (char)('0' + y / 100 % 10),
        (char)('0' + y / 10 % 10), (char)('0' + y % 10), '-',
        (char)('0' + (tm.tm_mon + 1) / 10), (char)('0' + (tm.tm_mon + 1) % 10),
        '-', (char)('0' + tm.tm_mday / 10), (char)('0' + tm.tm_mday % 10),
        ' ', (char)('0' + tm.tm_hour / 10), (char)('0' + tm.tm_hour % 10),
        ':', (char)('0' + tm.tm_min / 10), (char)('0' + tm.tm_min % 10),
    };
    buf_add(b, d, sizeof d);
}

/*
 * Appends the breadcrumbs for url_path: every ancestor (the root "/"
 * included) is a link, the current folder is plain text, so the whole reads
 * like the path itself.
 */
static void add_breadcrumbs(struct buf *b, const char *url_path, size_t plen)
{
    size_t start = 1; /* first byte of the current segment */
    if (plen == 1) {
        buf_add(b, "/", 1);
        return;
    }
    buf_adds(b, "<a href=\"/\">/</a>");
    for (size_t i = 1; i < plen; i++) {
        if (url_path[i] != '/')
            continue;
        if (i == plen - 1) { /* the current folder */
            buf_add_html(b, url_path + start, i - start);
            buf_add(b, "/", 1);
        } else if (i > start) {
            buf_adds(b, "<a href=\"");
            buf_add_url(b, url_path, i + 1);
            buf_adds(b, "\">");
            buf_add_html(b, url_path + start, i - start);
            buf_adds(b, "</a>/");
        }
        start = i + 1;
    }
}

/*
 * Appends the JSON listing (as render_json makes it) in a data block,
 * <script type="application/json" id="ferry-listing">, so that the browser
 * UI builds its view from the page it has instead of fetching the folder
 * again (a data block is never run: the listing's CSP allows no inline
 * script and need not). Every '<' in it (only in names) is written
 * "\u003c", so that no "</script>" can end the block early. Returns 0 or
 * -ENOMEM.
 */
static int add_embedded_json(const struct folder *f, const char *url_path, size_t plen,
                             struct buf *out)
{
    struct buf j = {0};
    int rc = render_json(f, url_path, plen, &j);

    if (rc == 0 && !j.failed) {
        const char *p = j.data, *end = j.data + j.len;

        buf_adds(out, "<script type=\"application/json\" id=\"ferry-listing\">");
        while (p < end) {
            const char *lt = memchr(p, '<', (size_t)(end - p));
            size_t n = lt ? (size_t)(lt - p) : (size_t)(end - p);

            buf_add(out, p, n);
            if (!lt)
                break;
            buf_adds(out, "\\u003c");
            p = lt + 1;
        }
        buf_adds(out, "</script>\n");
    }
    buf_free(&j);
    return rc < 0 || out->failed ? -ENOMEM : 0;
}

/*
 * Builds the HTML page for f (sorted) at url_path into out. Returns 0 or
 * -ENOMEM; out is freed by the caller either way.
 */
static int render_html(const struct folder *f, const char *url_path,
                       size_t plen, struct buf *out)
{
    size_t estimate = 2048 + 2 * plen;
    for (size_t i = 0; i < f->n; i++)
        estimate += 150 + 4 * f->v[i].nlen + 3 * plen;
    if (buf_reserve(out, estimate) < 0)
        return -ENOMEM;

    buf_adds(out, "<!doctype html>\n<html lang=\"en\">\n<head>\n"
             "<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" "
             "content=\"width=device-width,initial-scale=1\">\n"
             "<title>Index of ");
    buf_add_html(out, url_path, plen);
    buf_adds(out, "</title>\n<style>");
    buf_add(out, html_style, sizeof html_style - 1);
    buf_adds(out, "</style>\n"
             "<link rel=\"stylesheet\" href=\"/.ferry/ui/app.css?v=" ASSETS_VERSION "\">\n"
             "<script src=\"/.ferry/ui/vendor/tus.min.js?v=" ASSETS_VERSION "\" defer></script>\n"
             "<script src=\"/.ferry/ui/app.js?v=" ASSETS_VERSION "\" defer></script>\n"
             "</head>\n<body>\n<h1>Index of ");
    add_breadcrumbs(out, url_path, plen);
    buf_adds(out, "</h1>\n<table>\n<thead><tr><th>Name</th><th>Size</th>"
             "<th>Modified (UTC)</th></tr></thead>\n<tbody>\n");

    if (plen > 1) {
        size_t up = plen - 1; /* the trailing '/' */
        while (up > 0 && url_path[up - 1] != '/')
            up--;
        buf_adds(out, "<tr class=\"d\"><td colspan=\"3\"><a href=\"");
        buf_add_url(out, url_path, up);
        buf_adds(out, "\">&#8593; Parent folder</a></td></tr>\n");
    }
    if (f->n == 0)
        buf_adds(out, "<tr class=\"e\"><td colspan=\"3\">"
                 "This folder is empty.</td></tr>\n");

    for (size_t i = 0; i < f->n; i++) {
        const struct entry *e = &f->v[i];
        buf_adds(out, e->is_dir ? "<tr class=\"d\"><td><a href=\""
                                : "<tr><td><a href=\"");
        buf_add_url(out, url_path, plen);
        buf_add_url(out, e->name, e->nlen);
        buf_adds(out, e->is_dir ? "/\">" : "\">");
        buf_add_html(out, e->name, e->nlen);
        if (e->is_dir) {
            buf_adds(out, "/</a></td><td>&#8212;</td><td>");
        } else {
            buf_adds(out, "</a></td><td title=\"");
            buf_add_int(out, e->size);
            buf_adds(out, " bytes\">");
            add_human_size(out, e->size);
            buf_adds(out, "</td><td>");
        }
        add_date(out, e->mtime);
        buf_adds(out, "</td></tr>\n");
    }
    buf_adds(out, "</tbody>\n</table>\n");
    if (add_embedded_json(f, url_path, plen, out) < 0)
        return -ENOMEM;
    buf_adds(out, "</body>\n</html>\n");
    return out->failed ? -ENOMEM : 0;
}

/* ------------------------------------------------------------ entry */

int listing_render(int dir_fd, const char *url_path, enum listing_format fmt,
                   const struct listing_opts *opts, char **body, size_t *len)
{
    struct folder f = {0};
    struct buf out = {0};
    int rc;

    if (!body || !len)
        return -EINVAL;
    *body = NULL;
    *len = 0;
    if (!url_path)
        return -EINVAL;
    size_t plen = strlen(url_path);
    if (plen == 0 || url_path[0] != '/' || url_path[plen - 1] != '/' ||
        !utf8_valid((const unsigned char *)url_path, plen) ||
        (fmt != LISTING_HTML && fmt != LISTING_JSON))
        return -EINVAL;

    rc = folder_read(dir_fd, opts, &f);
    if (rc < 0)
        goto fail;
    if (f.n > 1)
        qsort(f.v, f.n, sizeof *f.v, entry_cmp);

    rc = fmt == LISTING_JSON ? render_json(&f, url_path, plen, &out)
                             : render_html(&f, url_path, plen, &out);
    if (rc < 0)
        goto fail;
    rc = buf_finish(&out, body, len);
fail:
    buf_free(&out);
    folder_free(&f);
    return rc;
}
