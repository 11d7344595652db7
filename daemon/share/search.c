/*
 * search.c — GET /folder/?q=TEXT, streamed; see search.h.
 *
 * Owns: the walk's state between libmicrohttpd's calls for more bytes (a
 * queue of folders still to read, as paths below the searched folder; the
 * one folder being read), the bounds, and the JSON written as it goes.
 * Which folder a URL may reach is decided before (share/paths.c).
 *
 * Ownership: a struct search belongs to its MHD response (or the gzip
 * wrapper around it); search_free, its free callback, closes the folders
 * and frees the queue, whether the walk ended, stopped or was cut.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "gzip-stream.h"
#include "listing.h"
#include "paths.h"
#include "search-fold.h"
#include "search.h"
#include "server.h"
#include "tree-size.h"
#include "zip-select.h"

#define OUT_BLOCK (16 * 1024) /* most bytes handed over per call */
#define STEP_ENTRIES 512      /* entries per call before the clock is read */

enum phase { PH_HEAD, PH_WALK, PH_TAIL, PH_DONE };

struct search {
    struct ferry_server *srv;
    int base_fd;     /* the searched folder (owned) */
    char *base_rel;  /* its path below the root ("" the root) */
    char *base_url;  /* its decoded URL path, "/a/b/" */
    char *query;     /* q as sent (decoded), for the answer */
    char *folded;    /* q folded */
    size_t folded_len;

    char **queue;    /* folders still to read, below the searched one */
    size_t q_head, q_len, q_cap;
    DIR *dir;        /* the folder being read, or NULL */
    char *cur;       /* its path below the searched one ("" itself; owned) */

    enum phase phase;
    uint64_t scanned, results;
    int64_t spent_ns; /* walking time so far */
    const char *stopped; /* NULL, or why the walk stopped early */
    int unreadable;      /* a folder was left out */

    char *out; /* JSON not yet handed over */
    size_t out_len, out_off, out_cap;
    int failed; /* out of memory: the stream ends broken */
};

/* Appends n bytes to s->out. */
static void out_add(struct search *s, const char *p, size_t n)
{
    if (s->failed)
        return;
    if (s->out_off > 0 && s->out_off == s->out_len)
        s->out_off = s->out_len = 0;
    if (s->out_len + n + 1 > s->out_cap) {
        size_t cap = s->out_cap ? s->out_cap : 4096;
        char *q;

        while (cap < s->out_len + n + 1)
            cap *= 2;
        q = realloc(s->out, cap);
        if (!q) {
            s->failed = 1;
            return;
        }
        s->out = q;
        s->out_cap = cap;
    }
    memcpy(s->out + s->out_len, p, n);
    s->out_len += n;
}

/* Appends j (a reference taken) as compact JSON. */
static void out_json(struct search *s, json_t *j, int first)
{
    char *t = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

    json_decref(j);
    if (!t) {
        s->failed = 1;
        return;
    }
    if (!first)
        out_add(s, ",", 1);
    out_add(s, t, strlen(t));
    free(t);
}

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Frees the stream. Accepts NULL. */
static void search_free(void *cls)
{
    struct search *s = cls;

    if (!s)
        return;
    if (s->dir)
        closedir(s->dir);
    if (s->base_fd >= 0)
        close(s->base_fd);
    for (size_t i = s->q_head; i < s->q_len; i++)
        free(s->queue[i]);
    free(s->queue);
    free(s->cur);
    free(s->base_rel);
    free(s->base_url);
    free(s->query);
    free(s->folded);
    free(s->out);
    free(s);
}

/* Queues the folder `path` (malloc'd, taken) to be read. */
static void enqueue(struct search *s, char *path)
{
    if (s->q_len == s->q_cap) {
        size_t cap = s->q_cap ? 2 * s->q_cap : 64;
        char **q;

        if (s->q_head > 0) { /* reuse the front first */
            memmove(s->queue, s->queue + s->q_head, (s->q_len - s->q_head) * sizeof *q);
            s->q_len -= s->q_head;
            s->q_head = 0;
            if (s->q_len < s->q_cap)
                goto add;
        }
        q = realloc(s->queue, cap * sizeof *q);
        if (!q) {
            free(path);
            s->failed = 1;
            return;
        }
        s->queue = q;
        s->q_cap = cap;
    }
add:
    s->queue[s->q_len++] = path;
}

/* Opens the next queued folder into s->dir; 0, or -1 when none is left. */
static int next_folder(struct search *s)
{
    while (s->q_head < s->q_len) {
        char *path = s->queue[s->q_head++];
        int fd = path[0] ? zip_select_open(s->base_fd, path) : dup(s->base_fd);
        DIR *d;

        if (fd >= 0 && (d = fdopendir(fd))) {
            if (!path[0])
                rewinddir(d); /* a dup shares the offset */
            free(s->cur);
            s->cur = path;
            s->dir = d;
            return 0;
        }
        if (fd >= 0)
            close(fd);
        s->unreadable = 1;
        free(path);
    }
    return -1;
}

/* The path below the searched folder of the entry `name` of s->cur
 * (malloc'd), or NULL. */
static char *entry_path(const struct search *s, const char *name, size_t n)
{
    size_t cl = strlen(s->cur);
    char *p = malloc(cl + n + 2);

    if (!p)
        return NULL;
    if (cl) {
        memcpy(p, s->cur, cl);
        p[cl++] = '/';
    }
    memcpy(p + cl, name, n + 1);
    return p;
}

/* What the symlink at `path` (below the searched folder) reaches as GET
 * would (paths_open from the root: never out of it unless
 * --follow-symlinks); 0, or -1 when it is not served. */
static int link_stat(struct search *s, const char *path, struct stat *st)
{
    size_t bl = strlen(s->base_rel), pl = strlen(path);
    char *rel = malloc(bl + pl + 2);
    int fd = -1, rc;

    if (!rel)
        return -1;
    snprintf(rel, bl + pl + 2, bl ? "%s/%s" : "%s%s", s->base_rel, path);
#if defined(O_PATH)
    rc = paths_open(s->srv->root_fd, rel, O_PATH, &s->srv->paths, &fd);
#else
    rc = paths_open(s->srv->root_fd, rel, O_RDONLY | O_NONBLOCK, &s->srv->paths, &fd);
#endif
    free(rel);
    if (rc < 0)
        return -1;
    rc = fstat(fd, st);
    close(fd);
    return rc;
}

/* Writes one result: the entry at `path` named `name`, of st. */
static void emit(struct search *s, const char *name, size_t n, const char *path,
                 const struct stat *st)
{
    int dir = S_ISDIR(st->st_mode);
    size_t ul = strlen(s->base_url), pl = strlen(path);
    char *url = malloc(ul + pl + 2), *href;
    json_t *j;

    if (!url) {
        s->failed = 1;
        return;
    }
    snprintf(url, ul + pl + 2, "%s%s%s", s->base_url, path, dir ? "/" : "");
    href = listing_url_escape(url);
    free(url);
    if (!href) {
        s->failed = 1;
        return;
    }
    (void)n;
    j = json_pack("{s:s, s:s, s:s, s:I, s:s}", "name", name, "path", path, "type",
                  dir ? "dir" : "file", "mtime", (json_int_t)compat_st_mtim(st).tv_sec,
                  "href", href);
    if (j && !dir)
        json_object_set_new(j, "size", json_integer((json_int_t)st->st_size));
    free(href);
    out_json(s, j, s->results == 0);
    s->results++;
}

/* How many '/' separate the names of path: its depth below the searched
 * folder, less one. */
static int depth_of(const char *path)
{
    int d = 1;

    for (; *path; path++)
        d += *path == '/';
    return d;
}

/* Looks at one entry of s->dir. */
static void look(struct search *s, const struct dirent *de)
{
    const char *name = de->d_name;
    size_t n = strlen(name);
    char folded[NAME_MAX * 2 + 8];
    struct stat st;
    char *path;
    long fl;

    if (!tree_name_wanted(s->srv->cfg.show_hidden, name, n) || paths_temp_name(name, n))
        return;
    if (s->scanned >= SEARCH_ENTRIES_MAX) { /* one more than allowed: stop */
        s->stopped = "entries";
        s->phase = PH_TAIL;
        return;
    }
    s->scanned++;
    if (fstatat(dirfd(s->dir), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return;
    path = entry_path(s, name, n);
    if (!path) {
        s->failed = 1;
        return;
    }
    if (S_ISLNK(st.st_mode) && link_stat(s, path, &st) < 0) {
        free(path);
        return;
    }
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
        free(path);
        return;
    }
    fl = search_fold(name, n, folded, sizeof folded);
    if (fl >= 0 && memmem(folded, (size_t)fl, s->folded, s->folded_len)) {
        if (s->results >= SEARCH_RESULTS_MAX) { /* one more than allowed: stop */
            s->stopped = "results";
            s->phase = PH_TAIL;
            free(path);
            return;
        }
        emit(s, name, n, path, &st);
    }
    if (S_ISDIR(st.st_mode) && fstatat(dirfd(s->dir), name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISDIR(st.st_mode)) { /* a real folder, not a link to one */
        if (depth_of(path) < SEARCH_DEPTH_MAX) {
            enqueue(s, path);
            return;
        }
        s->unreadable = 1;
    }
    free(path);
}

/* Walks until some output is ready, the walk ends, or a bound is met. */
static void walk(struct search *s)
{
    int64_t t0 = now_ns();

    while (s->phase == PH_WALK && s->out_len == s->out_off && !s->failed) {
        for (int i = 0; i < STEP_ENTRIES && s->phase == PH_WALK && !s->failed; i++) {
            struct dirent *de;

            if (!s->dir && next_folder(s) < 0) {
                s->phase = PH_TAIL;
                break;
            }
            errno = 0;
            de = readdir(s->dir);
            if (!de) {
                if (errno)
                    s->unreadable = 1;
                closedir(s->dir);
                s->dir = NULL;
                continue;
            }
            look(s, de);
        }
        if (s->phase == PH_WALK && s->spent_ns + (now_ns() - t0) >= SEARCH_TIME_MS * 1000000LL) {
            s->stopped = "time";
            s->phase = PH_TAIL;
        }
    }
    s->spent_ns += now_ns() - t0;
}

/* MHD_ContentReaderCallback: the next bytes of the answer. */
static ssize_t search_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct search *s = cls;
    size_t n;

    (void)pos;
    while (s->out_off == s->out_len && !s->failed) {
        switch (s->phase) {
        case PH_HEAD:
            out_add(s, "{\"path\":", 8);
            out_json(s, json_string(s->base_url), 1);
            out_add(s, ",\"q\":", 5);
            out_json(s, json_string(s->query), 1);
            out_add(s, ",\"results\":[", 12);
            s->phase = PH_WALK;
            break;
        case PH_WALK:
            walk(s);
            break;
        case PH_TAIL: {
            char tail[160];
            const char *why = s->stopped ? s->stopped : s->unreadable ? "unreadable" : NULL;
            int k = snprintf(tail, sizeof tail,
                             "],\"complete\":%s,\"scanned\":%llu,\"stopped\":%s%s%s}",
                             why ? "false" : "true", (unsigned long long)s->scanned,
                             why ? "\"" : "", why ? why : "null", why ? "\"" : "");

            out_add(s, tail, (size_t)k);
            s->phase = PH_DONE;
            srv_log(s->srv, FERRY_LOG_DEBUG, "search of '%s' for '%s': %llu results, "
                    "%llu entries, %.1f ms%s%s", s->base_url, s->query,
                    (unsigned long long)s->results, (unsigned long long)s->scanned,
                    (double)s->spent_ns / 1e6, why ? ", stopped: " : "", why ? why : "");
            break;
        }
        case PH_DONE:
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
    }
    if (s->failed)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    n = s->out_len - s->out_off;
    if (n > max)
        n = max;
    if (n > OUT_BLOCK)
        n = OUT_BLOCK;
    memcpy(buf, s->out + s->out_off, n);
    s->out_off += n;
    return (ssize_t)n;
}

/* Decodes the query's raw value (form-encoded) into out (cap bytes).
 * Returns its length, or -1 when malformed, empty, too long, not UTF-8 or
 * holding a control character. */
static long decode_query(const char *raw, char *out, size_t cap)
{
    size_t o = 0;
    char scratch[SEARCH_QUERY_MAX * 2 + 8];

    for (const char *p = raw; *p; p++) {
        int c = (unsigned char)*p;

        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            unsigned v;

            if (!p[1] || !p[2] || sscanf(p + 1, "%2x", &v) != 1 ||
                !strchr("0123456789abcdefABCDEF", p[1]) || !strchr("0123456789abcdefABCDEF", p[2]))
                return -1;
            c = (int)v;
            p += 2;
        }
        if (c < 0x20 || c == 0x7f || o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    if (o == 0 || o > SEARCH_QUERY_MAX || search_fold(out, o, scratch, sizeof scratch) < 0)
        return -1;
    return (long)o;
}

int search_serve(struct ferry_server *srv, struct MHD_Connection *c, int dir_fd,
                 const char *rel, const char *raw, int is_head, unsigned *status)
{
    char q[SEARCH_QUERY_MAX + 2];
    struct search *s = NULL;
    struct MHD_Response *r;
    enum MHD_Result ret;
    long ql, fl;
    size_t rl = strlen(rel);

    ql = raw ? decode_query(raw, q, sizeof q) : -1;
    if (ql < 0) {
        close(dir_fd);
        return srv_answer_text(c, 400, "400 Bad Request: q must be 1 to 256 bytes of UTF-8 "
                               "(form-encoded), without control characters.\n",
                               NULL, NULL, NULL, NULL, status);
    }
    if (is_head) {
        close(dir_fd);
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        goto queue;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        close(dir_fd);
        return MHD_NO;
    }
    s->srv = srv;
    s->base_fd = dir_fd;
    s->base_rel = strdup(rel);
    s->base_url = malloc(rl + 3);
    s->query = strdup(q);
    s->folded = malloc(2 * (size_t)ql + 8);
    s->cur = strdup("");
    if (!s->base_rel || !s->base_url || !s->query || !s->folded || !s->cur)
        goto oom;
    snprintf(s->base_url, rl + 3, rl ? "/%s/" : "/", rel);
    fl = search_fold(q, (size_t)ql, s->folded, 2 * (size_t)ql + 8);
    if (fl < 0)
        goto oom;
    s->folded_len = (size_t)fl;
    enqueue(s, strdup(""));
    if (s->failed || !s->queue[0])
        goto oom;
    if (gzip_wanted(c))
        r = gzip_response(search_read, s, search_free, 1); /* takes s */
    else
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, OUT_BLOCK, search_read, s,
                                              search_free);
    if (!r) {
        if (!gzip_wanted(c))
            search_free(s);
        return MHD_NO;
    }
    if (!MHD_get_response_header(r, MHD_HTTP_HEADER_VARY))
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
queue:
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    *status = MHD_HTTP_OK;
    ret = srv_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
oom:
    search_free(s);
    return MHD_NO;
}
