/*
 * listing-cache.c — a small cache of rendered listings; see listing-cache.h.
 *
 * A handful of entries in an array under one mutex: lookups compare the
 * folder's identity first, so a linear scan costs nothing next to the
 * rendering it saves.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "listing-cache.h"

struct entry {
    dev_t dev;
    ino_t ino;
    struct timespec mtime, ctime;
    int format;
    char *url_path;
    char *body;
    size_t len;
    uint64_t born_ms; /* monotonic */
};

struct listing_cache {
    pthread_mutex_t lock;
    struct entry *v;
    size_t n, max_entries, bytes, max_bytes;
    unsigned ttl_ms;
};

/* Monotonic milliseconds. */
static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#if defined(__APPLE__)
#define MTIME(st) ((st)->st_mtimespec)
#define CTIME(st) ((st)->st_ctimespec)
#else
#define MTIME(st) ((st)->st_mtim)
#define CTIME(st) ((st)->st_ctim)
#endif

/* Whether two timestamps are equal. */
static int same_time(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* Index of the entry for (folder, url_path, format), or -1. Lock held. */
static long find(const struct listing_cache *c, const struct stat *dir,
                 const char *url_path, int format)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct entry *e = &c->v[i];

        if (e->ino == dir->st_ino && e->dev == dir->st_dev && e->format == format &&
            strcmp(e->url_path, url_path) == 0)
            return (long)i;
    }
    return -1;
}

/* Frees entry i and closes the gap. Lock held. */
static void drop(struct listing_cache *c, size_t i)
{
    c->bytes -= c->v[i].len;
    free(c->v[i].url_path);
    free(c->v[i].body);
    c->v[i] = c->v[--c->n];
}

struct listing_cache *listing_cache_new(size_t max_entries, size_t max_bytes,
                                        unsigned ttl_ms)
{
    struct listing_cache *c = calloc(1, sizeof *c);

    if (!c)
        return NULL;
    c->v = calloc(max_entries ? max_entries : 1, sizeof *c->v);
    if (!c->v) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->max_entries = max_entries ? max_entries : 1;
    c->max_bytes = max_bytes;
    c->ttl_ms = ttl_ms;
    return c;
}

void listing_cache_free(struct listing_cache *c)
{
    if (!c)
        return;
    while (c->n)
        drop(c, c->n - 1);
    pthread_mutex_destroy(&c->lock);
    free(c->v);
    free(c);
}

char *listing_cache_get(struct listing_cache *c, const struct stat *dir,
                        const char *url_path, int format, size_t *len)
{
    char *copy = NULL;
    long i;

    pthread_mutex_lock(&c->lock);
    i = find(c, dir, url_path, format);
    if (i >= 0) {
        const struct entry *e = &c->v[i];

        if (!same_time(e->mtime, MTIME(dir)) || !same_time(e->ctime, CTIME(dir)) ||
            now_ms() - e->born_ms >= c->ttl_ms) {
            drop(c, (size_t)i); /* the folder changed, or too old */
        } else if ((copy = malloc(e->len + 1)) != NULL) {
            memcpy(copy, e->body, e->len + 1);
            *len = e->len;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return copy;
}

void listing_cache_put(struct listing_cache *c, const struct stat *dir,
                       const char *url_path, int format, const char *body,
                       size_t len)
{
    struct entry e = {.dev = dir->st_dev, .ino = dir->st_ino, .mtime = MTIME(dir),
                      .ctime = CTIME(dir), .format = format, .len = len,
                      .born_ms = now_ms()};
    long i;

    if (len > c->max_bytes)
        return;
    e.url_path = strdup(url_path);
    e.body = malloc(len + 1);
    if (!e.url_path || !e.body) {
        free(e.url_path);
        free(e.body);
        return;
    }
    memcpy(e.body, body, len);
    e.body[len] = '\0';
    pthread_mutex_lock(&c->lock);
    i = find(c, dir, url_path, format);
    if (i >= 0)
        drop(c, (size_t)i);
    while (c->n && (c->n == c->max_entries || c->bytes + len > c->max_bytes)) {
        size_t oldest = 0;

        for (size_t k = 1; k < c->n; k++)
            if (c->v[k].born_ms < c->v[oldest].born_ms)
                oldest = k;
        drop(c, oldest);
    }
    c->v[c->n++] = e;
    c->bytes += len;
    pthread_mutex_unlock(&c->lock);
}
