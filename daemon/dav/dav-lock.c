/*
 * dav-lock.c — the lock table; see dav-lock.h. A flat array searched
 * linearly: it is bounded, and a lock check is rare next to the I/O of
 * the write it guards.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "dav-lock.h"

struct dav_locks {
    pthread_mutex_t mu;
    struct dav_lock *locks; /* [0, n) live or expired, compacted */
    size_t n, max;
    dav_rand_fn rnd;
    void *rnd_cls;
    int own_drbg; /* the DRBG below is ours (rnd was NULL) */
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

int dav_path_ancestor(const char *a, const char *b)
{
    size_t n = strlen(a);

    if (n == 0)
        return b[0] != '\0';
    return strncmp(a, b, n) == 0 && b[n] == '/';
}

/* Whether lock l covers path: rooted there, or depth infinity above. */
static int covers(const struct dav_lock *l, const char *path)
{
    return strcmp(l->root, path) == 0 || (l->infinity && dav_path_ancestor(l->root, path));
}

static void lock_clear(struct dav_lock *l)
{
    free(l->root);
    free(l->owner);
}

/* Drops expired locks. Caller holds mu. */
static void expire(struct dav_locks *t, int64_t now)
{
    size_t w = 0;

    for (size_t i = 0; i < t->n; i++) {
        if (t->locks[i].expires <= now)
            lock_clear(&t->locks[i]);
        else
            t->locks[w++] = t->locks[i];
    }
    t->n = w;
}

/* Removes lock i. Caller holds mu. */
static void remove_at(struct dav_locks *t, size_t i)
{
    lock_clear(&t->locks[i]);
    t->locks[i] = t->locks[--t->n];
}

static int drbg_rand(void *cls, unsigned char *buf, size_t n)
{
    return mbedtls_ctr_drbg_random(cls, buf, n);
}

struct dav_locks *dav_locks_new(size_t max, dav_rand_fn rnd, void *rnd_cls)
{
    static const char pers[] = "ferry dav locks";
    struct dav_locks *t = calloc(1, sizeof *t);

    if (!t)
        return NULL;
    t->max = max ? max : DAV_LOCKS_MAX;
    t->locks = calloc(t->max, sizeof *t->locks);
    if (!t->locks)
        goto fail;
    if (!rnd) {
        mbedtls_entropy_init(&t->entropy);
        mbedtls_ctr_drbg_init(&t->drbg);
        t->own_drbg = 1;
        if (mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
                                  (const unsigned char *)pers, sizeof pers - 1) != 0)
            goto fail;
        rnd = drbg_rand;
        rnd_cls = &t->drbg;
    }
    t->rnd = rnd;
    t->rnd_cls = rnd_cls;
    pthread_mutex_init(&t->mu, NULL);
    return t;
fail:
    if (t->own_drbg) {
        mbedtls_ctr_drbg_free(&t->drbg);
        mbedtls_entropy_free(&t->entropy);
    }
    free(t->locks);
    free(t);
    return NULL;
}

void dav_locks_free(struct dav_locks *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        lock_clear(&t->locks[i]);
    free(t->locks);
    if (t->own_drbg) {
        mbedtls_ctr_drbg_free(&t->drbg);
        mbedtls_entropy_free(&t->entropy);
    }
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* Writes a new token: "opaquelocktoken:" and a version 4 UUID. */
static int new_token(struct dav_locks *t, char out[DAV_LOCK_TOKEN_SIZE])
{
    unsigned char u[16];

    if (t->rnd(t->rnd_cls, u, sizeof u) != 0)
        return -EIO;
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
    snprintf(out, DAV_LOCK_TOKEN_SIZE,
             "opaquelocktoken:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
             u[13], u[14], u[15]);
    return 0;
}

static void put_root(char *out, size_t len, const char *root)
{
    if (out && len)
        snprintf(out, len, "%s", root);
}

int dav_lock_create(struct dav_locks *t, const char *path, int shared, int infinity,
                    const char *owner, unsigned timeout, int lock_null, int64_t now,
                    char token_out[DAV_LOCK_TOKEN_SIZE], char *conflict_root, size_t crlen)
{
    struct dav_lock l = {0};
    int rc = 0;

    pthread_mutex_lock(&t->mu);
    expire(t, now);
    for (size_t i = 0; i < t->n; i++) {
        const struct dav_lock *o = &t->locks[i];

        if ((covers(o, path) || (infinity && dav_path_ancestor(path, o->root))) &&
            !(shared && o->shared)) {
            put_root(conflict_root, crlen, o->root);
            rc = DAV_LOCK_ECONFLICT;
            goto out;
        }
    }
    if (t->n == t->max) {
        rc = DAV_LOCK_EFULL;
        goto out;
    }
    l.root = strdup(path);
    l.owner = owner ? strndup(owner, DAV_LOCK_OWNER_MAX) : NULL;
    if (!l.root || (owner && !l.owner)) {
        rc = -ENOMEM;
        goto out;
    }
    rc = new_token(t, l.token);
    if (rc < 0)
        goto out;
    l.infinity = infinity;
    l.shared = shared;
    l.timeout = timeout;
    l.expires = now + (int64_t)timeout;
    l.lock_null = lock_null;
    snprintf(token_out, DAV_LOCK_TOKEN_SIZE, "%s", l.token);
    t->locks[t->n++] = l;
    memset(&l, 0, sizeof l); /* the table owns it now */
out:
    pthread_mutex_unlock(&t->mu);
    lock_clear(&l);
    return rc;
}

/* The index of lock `token` covering path, or -1. Caller holds mu. */
static long find(struct dav_locks *t, const char *path, const char *token)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->locks[i].token, token) == 0 && covers(&t->locks[i], path))
            return (long)i;
    return -1;
}

int dav_lock_refresh(struct dav_locks *t, const char *path, const char *token,
                     unsigned timeout, int64_t now,
                     void (*fn)(void *cls, const struct dav_lock *l), void *cls)
{
    long i;

    pthread_mutex_lock(&t->mu);
    expire(t, now);
    i = find(t, path, token);
    if (i >= 0) {
        t->locks[i].timeout = timeout;
        t->locks[i].expires = now + (int64_t)timeout;
        if (fn)
            fn(cls, &t->locks[i]);
    }
    pthread_mutex_unlock(&t->mu);
    return i >= 0 ? 0 : DAV_LOCK_ENOLOCK;
}

int dav_lock_release(struct dav_locks *t, const char *path, const char *token, int64_t now)
{
    long i;

    pthread_mutex_lock(&t->mu);
    expire(t, now);
    i = find(t, path, token);
    if (i >= 0)
        remove_at(t, (size_t)i);
    pthread_mutex_unlock(&t->mu);
    return i >= 0 ? 0 : DAV_LOCK_ENOLOCK;
}

/* Whether lock o matters to a write of path. */
static int applies(const struct dav_lock *o, const char *path, int recursive, int member)
{
    const char *slash;

    if (covers(o, path) || (recursive && dav_path_ancestor(path, o->root)))
        return 1;
    if (!member || !path[0])
        return 0;
    /* the parent's own lock (depth 0) guards its list of members */
    slash = strrchr(path, '/');
    if (!slash)
        return o->root[0] == '\0';
    return strlen(o->root) == (size_t)(slash - path) &&
           strncmp(o->root, path, (size_t)(slash - path)) == 0;
}

int dav_lock_check(struct dav_locks *t, const char *path, int recursive, int member,
                   dav_submitted_fn submitted, void *cls, int64_t now,
                   char *conflict_root, size_t crlen)
{
    int rc = 0;

    pthread_mutex_lock(&t->mu);
    expire(t, now);
    for (size_t i = 0; i < t->n && rc == 0; i++) {
        const struct dav_lock *o = &t->locks[i];
        int ok;

        if (!applies(o, path, recursive, member))
            continue;
        ok = submitted && submitted(cls, o->token);
        /* one token of the shared locks on the same root is enough */
        for (size_t j = 0; !ok && o->shared && j < t->n; j++)
            ok = t->locks[j].shared && strcmp(t->locks[j].root, o->root) == 0 &&
                 submitted && submitted(cls, t->locks[j].token);
        if (!ok) {
            put_root(conflict_root, crlen, o->root);
            rc = DAV_LOCK_ECONFLICT;
        }
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

size_t dav_locks_each(struct dav_locks *t, const char *path, int64_t now,
                      void (*fn)(void *cls, const struct dav_lock *l), void *cls)
{
    size_t n = 0;

    pthread_mutex_lock(&t->mu);
    expire(t, now);
    for (size_t i = 0; i < t->n; i++) {
        if (covers(&t->locks[i], path)) {
            n++;
            if (fn)
                fn(cls, &t->locks[i]);
        }
    }
    pthread_mutex_unlock(&t->mu);
    return n;
}

void dav_locks_drop(struct dav_locks *t, const char *path)
{
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->n;) {
        if (strcmp(t->locks[i].root, path) == 0 || dav_path_ancestor(path, t->locks[i].root))
            remove_at(t, i);
        else
            i++;
    }
    pthread_mutex_unlock(&t->mu);
}

size_t dav_locks_count(struct dav_locks *t, int64_t now)
{
    size_t n;

    pthread_mutex_lock(&t->mu);
    expire(t, now);
    n = t->n;
    pthread_mutex_unlock(&t->mu);
    return n;
}

unsigned dav_lock_timeout(const char *h)
{
    while (h && *h) {
        while (*h == ' ' || *h == '\t' || *h == ',')
            h++;
        if (strncasecmp(h, "Infinite", 8) == 0)
            return DAV_LOCK_TIMEOUT_MAX;
        if (strncasecmp(h, "Second-", 7) == 0 && h[7] >= '0' && h[7] <= '9') {
            unsigned long long v = 0;

            for (h += 7; *h >= '0' && *h <= '9'; h++)
                if (v < DAV_LOCK_TIMEOUT_MAX)
                    v = v * 10 + (unsigned)(*h - '0');
            if (v == 0)
                v = 1;
            return v > DAV_LOCK_TIMEOUT_MAX ? DAV_LOCK_TIMEOUT_MAX : (unsigned)v;
        }
        h = strchr(h, ',');
    }
    return DAV_LOCK_TIMEOUT_DEFAULT;
}
