/*
 * tus-store.c — the uploads of one server (see tus-store.h): the table
 * behind one mutex, the part and info files in $STATE/uploads, the
 * kill-safe commit, the recovery at open, expiry and orphan sweeps, and the
 * uploads' resumable entries in the lifecycle's registry.
 *
 * An id enters the table before any of its files exist and leaves it only
 * after they are gone, and every file operation on an id happens either
 * under the mutex or by the request holding the upload (busy): so a sweep
 * removes as orphans exactly the files whose id is not in the table.
 *
 * A finished upload leaves the table at its release (retire_at): what a
 * late HEAD needs (length, metadata, where the file went) moves to a ring
 * of the last TUS_RECENT_MAX finished uploads, which no cap counts. Its
 * info file stays while it is in the ring (it says "committing" and has no
 * part: the next open takes it as finished and puts it back in the ring),
 * so a HEAD after a kill -9 that cut the final answer still says
 * offset == length; it goes when the ring forgets the upload.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <sys/random.h>
#endif

#include "compat.h"
#include "paths.h"
#include "registry.h"
#include "server.h"
#include "tus-header.h"
#include "tus-store.h"
#include "upload-put.h"

#define UPLOADS_DIR "uploads"
#define DEFAULT_EXPIRY_S 86400
#define INFO_MAX (64 * 1024)  /* an info file is far smaller */
#define FILE_NAME_MAX 64      /* "tus-<32 hex>.info.tmp" and the NUL fit */
#define WALK_EVERY_S 600      /* the uploads folder is read for orphans at
                                 open, then at most this often */

/* A finished upload, remembered for a late HEAD. Strings owned. */
struct tus_recent {
    char id[TUS_ID_LEN + 1];  /* "" when the slot is free */
    uint64_t length;
    time_t expires;
    char *metadata;
    char *stored_as;          /* NULL when unknown */
};

struct tus_store {
    struct ferry_server *srv;
    int updir_fd;             /* $STATE/uploads */
    unsigned expiry_s;
    pthread_mutex_t lock;
    struct tus_upload **v;    /* [0, n): the uploads, in no order */
    size_t n, cap;
    struct tus_recent recent[TUS_RECENT_MAX]; /* a ring; guarded */
    size_t recent_next;       /* the slot the next finished upload takes */
    time_t last_walk;         /* when the folder was last read for orphans */
};

/* The file kinds of an upload, for names. */
static const char *const suffixes[] = {".part", ".info", ".info.tmp"};
enum { F_PART, F_INFO, F_TMP };

static const char *const state_names[] = {
    [TUS_ACTIVE] = "active", [TUS_COMMITTING] = "committing", [TUS_DONE] = "done"};

/* Writes the name of file `kind` of upload `id` into buf. */
static void file_name(char buf[FILE_NAME_MAX], const char *id, int kind)
{
    snprintf(buf, FILE_NAME_MAX, "tus-%s%s", id, suffixes[kind]);
}

/* Whether id is TUS_ID_LEN lowercase hex digits and nothing else. */
static int valid_id(const char *id)
{
    size_t i;

    for (i = 0; i < TUS_ID_LEN; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return id[i] == '\0';
}

/*
 * Parses a file name of the uploads folder: "tus-<id>" plus a suffix. Sets
 * id and *kind. Returns 0, or -1 for any other name (not ours).
 */
static int parse_file_name(const char *name, char id[TUS_ID_LEN + 1], int *kind)
{
    if (strncmp(name, "tus-", 4) != 0 || strlen(name) < 4 + TUS_ID_LEN)
        return -1;
    memcpy(id, name + 4, TUS_ID_LEN);
    id[TUS_ID_LEN] = '\0';
    if (!valid_id(id))
        return -1;
    for (int k = 0; k < 3; k++) {
        if (strcmp(name + 4 + TUS_ID_LEN, suffixes[k]) == 0) {
            *kind = k;
            return 0;
        }
    }
    return -1;
}

/* A fresh id from getentropy(): 128 bits. Returns 0 or -errno (no weaker
 * fallback: the id is all that protects an upload from other clients). */
static int make_id(char id[TUS_ID_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char r[TUS_ID_LEN / 2];

    if (getentropy(r, sizeof r) != 0)
        return -errno;
    for (size_t i = 0; i < sizeof r; i++) {
        id[2 * i] = digits[r[i] >> 4];
        id[2 * i + 1] = digits[r[i] & 0xf];
    }
    id[TUS_ID_LEN] = '\0';
    return 0;
}

static void upload_free(struct tus_upload *u)
{
    if (!u)
        return;
    free(u->folder);
    free(u->metadata);
    free(u->stored_as);
    free(u);
}

void tus_view_free(struct tus_view *v)
{
    free(v->metadata);
    free(v->stored_as);
    v->metadata = v->stored_as = NULL;
}

/* Index of upload `id` in the table, or SIZE_MAX. Lock held. */
static size_t find(const struct tus_store *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i]->id, id) == 0)
            return i;
    return SIZE_MAX;
}

/* Appends u to the table. Lock held. Returns 0 or -ENOMEM. */
static int insert(struct tus_store *s, struct tus_upload *u)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct tus_upload **v = realloc(s->v, cap * sizeof *v);

        if (!v)
            return -ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = u;
    return 0;
}

/* Removes entry i from the table (not freed). Lock held. */
static void unlink_at(struct tus_store *s, size_t i)
{
    s->v[i] = s->v[--s->n];
}

/* The expiry after activity now. */
static time_t expiry_after(const struct tus_store *s, time_t t)
{
    return t + (time_t)s->expiry_s;
}

void tus_store_transfer(const struct tus_upload *u, uint64_t done, ferry_transfer *t)
{
    int w;

    memset(t, 0, sizeof *t);
    t->direction = FERRY_UPLOAD;
    w = snprintf(t->path, sizeof t->path, "/%s%s%s", u->folder, u->folder[0] ? "/" : "",
                 u->name);
    if (w >= (int)sizeof t->path) { /* cut at a character boundary */
        size_t k = sizeof t->path - 1;

        while (k > 0 && ((unsigned char)t->path[k] & 0xc0) == 0x80)
            k--;
        t->path[k] = '\0';
    }
    snprintf(t->validator, sizeof t->validator, "tus:%s", u->id);
    t->first = 0;
    t->last = u->length ? u->length - 1 : 0;
    t->total = u->length;
    t->done = done;
}

/* Drops the upload's resumable entry from the registry. */
static void forget_transfer(struct tus_store *s, const struct tus_upload *u)
{
    ferry_transfer t;

    tus_store_transfer(u, 0, &t);
    lc_registry_forget(s->srv->registry, &t);
}

/* Removes every file of upload `id`. */
static void remove_files(struct tus_store *s, const char *id)
{
    char name[FILE_NAME_MAX];

    for (int k = 0; k < 3; k++) {
        file_name(name, id, k);
        unlinkat(s->updir_fd, name, 0);
    }
}

/* Removes upload i: files, registry entry, record. Lock held. */
static void drop_at(struct tus_store *s, size_t i)
{
    struct tus_upload *u = s->v[i];

    remove_files(s, u->id);
    forget_transfer(s, u);
    unlink_at(s, i);
    upload_free(u);
}

/* fsync of a folder; a file system that cannot sync folders is fine. */
static int sync_dir(int fd)
{
    if (compat_fsync_durable(fd) == 0 || errno == EINVAL || errno == EROFS)
        return 0;
    return -errno;
}

/*
 * Writes the info file of u with `state` atomically (temporary file,
 * fsync, rename, fsync of the folder). Called by the holder of u, or at
 * open. Returns 0 or -errno (the old info is then untouched).
 */
static int info_write(struct tus_store *s, const struct tus_upload *u, enum tus_state state)
{
    char tmp[FILE_NAME_MAX], info[FILE_NAME_MAX], *text = NULL;
    json_t *j = json_pack("{s:i, s:s, s:s, s:s, s:I, s:s, s:s}", "version", 1, "id", u->id,
                          "folder", u->folder, "name", u->name, "length",
                          (json_int_t)u->length, "metadata", u->metadata, "state",
                          state_names[state]);
    int fd = -1, rc;

    if (j && u->stored_as && state == TUS_DONE)
        json_object_set_new(j, "stored_as", json_string(u->stored_as));
    if (j && u->verify_from >= 0)
        json_object_set_new(j, "verify_from", json_integer((json_int_t)u->verify_from));
    if (j && u->client[0])
        json_object_set_new(j, "client", json_string(u->client));
    text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        return -ENOMEM;
    file_name(tmp, u->id, F_TMP);
    file_name(info, u->id, F_INFO);
    fd = openat(s->updir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        goto fail;
    }
    rc = put_write_all(fd, text, strlen(text));
    if (rc == 0 && compat_fsync_durable(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && renameat(s->updir_fd, tmp, s->updir_fd, info) < 0)
        rc = -errno;
    if (rc < 0) {
        unlinkat(s->updir_fd, tmp, 0);
        goto fail;
    }
    rc = sync_dir(s->updir_fd);
fail:
    free(text);
    return rc;
}

/* Orders uploads by id, for qsort and bsearch. */
static int by_id(const void *a, const void *b)
{
    const struct tus_upload *const *x = a, *const *y = b;

    return strcmp((*x)->id, (*y)->id);
}

/* Whether `id` is an upload of the table (a binary search in `sorted`, n
 * entries sorted by by_id, or a linear one when it is NULL) or of the ring
 * of finished ones (whose info stays). Lock held. */
static int known(const struct tus_store *s, struct tus_upload **sorted, const char *id)
{
    struct tus_upload key, *k = &key;

    for (size_t i = 0; i < TUS_RECENT_MAX; i++)
        if (strcmp(s->recent[i].id, id) == 0)
            return 1;
    if (!sorted)
        return find(s, id) != SIZE_MAX;
    memcpy(key.id, id, sizeof key.id);
    return bsearch(&k, sorted, s->n, sizeof *sorted, by_id) != NULL;
}

/* Forgets the recently finished uploads that expired. Lock held. */
static void recent_expire(struct tus_store *s, time_t now)
{
    for (size_t i = 0; i < TUS_RECENT_MAX; i++) {
        struct tus_recent *r = &s->recent[i];

        if (r->id[0] && r->expires <= now) {
            remove_files(s, r->id);
            free(r->metadata);
            free(r->stored_as);
            memset(r, 0, sizeof *r);
        }
    }
}

/* Removes expired uploads nobody holds and forgets expired finished ones;
 * with `walk`, then files of ids the table does not know (parts without
 * info, infos without part, temporary files). Lock held. */
static void sweep_locked(struct tus_store *s, time_t now, int walk)
{
    size_t i = 0;
    int fd;
    DIR *d;
    struct dirent *de;
    struct tus_upload **sorted;

    while (i < s->n) {
        struct tus_upload *u = s->v[i];

        if (!u->busy && u->expires <= now) {
            srv_log(s->srv, FERRY_LOG_INFO, "tus: upload %s (%s%s%s, %" PRIu64 " of %" PRIu64
                    " bytes) expired: removed", u->id, u->folder, u->folder[0] ? "/" : "",
                    u->name, u->offset, u->length);
            drop_at(s, i); /* entry i is now another one */
        } else {
            i++;
        }
    }
    recent_expire(s, now);
    if (!walk)
        return;
    s->last_walk = now;
    fd = openat(s->updir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    /* a sorted copy keeps the walk O(n log n) with thousands of uploads
     * (without memory, a linear search per file does) */
    sorted = s->n ? malloc(s->n * sizeof *sorted) : NULL;
    if (sorted) {
        memcpy(sorted, s->v, s->n * sizeof *sorted);
        qsort(sorted, s->n, sizeof *sorted, by_id);
    }
    while ((de = readdir(d)) != NULL) {
        char id[TUS_ID_LEN + 1];
        int kind;

        if (parse_file_name(de->d_name, id, &kind) < 0 || known(s, sorted, id))
            continue;
        if (unlinkat(s->updir_fd, de->d_name, 0) == 0 && kind != F_TMP)
            srv_log(s->srv, FERRY_LOG_INFO, "tus: removed %s (no upload of its own)",
                    de->d_name);
    }
    free(sorted);
    closedir(d);
}

/* Whether the orphan walk is due (WALK_EVERY_S after the last). */
static int walk_due(const struct tus_store *s, time_t now)
{
    return now < s->last_walk || now - s->last_walk >= WALK_EVERY_S;
}

void tus_store_sweep(struct tus_store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    sweep_locked(s, time(NULL), 1);
    pthread_mutex_unlock(&s->lock);
}

/*
 * The creation caps: -EMFILE when TUS_STORE_MAX unfinished uploads exist,
 * -EUSERS when `client` (may be NULL or "") has TUS_CLIENT_MAX, else 0.
 * Finished records (held by the request that finished them) and
 * terminated ones do not count. Lock held.
 */
static int over_cap(const struct tus_store *s, const char *client)
{
    size_t all = 0, mine = 0;

    for (size_t i = 0; i < s->n; i++) {
        const struct tus_upload *u = s->v[i];

        if (u->state == TUS_DONE || u->terminated)
            continue;
        all++;
        if (client && client[0] && strcmp(u->client, client) == 0)
            mine++;
    }
    if (all >= TUS_STORE_MAX)
        return -EMFILE;
    return mine >= TUS_CLIENT_MAX ? -EUSERS : 0;
}

/* The recently finished upload `id`, or NULL. Lock held. */
static struct tus_recent *recent_find(struct tus_store *s, const char *id, time_t now)
{
    if (!valid_id(id))
        return NULL;
    for (size_t i = 0; i < TUS_RECENT_MAX; i++)
        if (s->recent[i].id[0] && s->recent[i].expires > now &&
            strcmp(s->recent[i].id, id) == 0)
            return &s->recent[i];
    return NULL;
}

/*
 * Finished upload i leaves the table: remembered in the ring with its info
 * file (the oldest entry, and its info, are forgotten when it is full),
 * its registry entry removed, its record freed. `expires` is when the ring
 * forgets it. Lock held.
 */
static void retire_at(struct tus_store *s, size_t i, time_t expires)
{
    struct tus_upload *u = s->v[i];
    struct tus_recent *r = &s->recent[s->recent_next];

    if (r->id[0])
        remove_files(s, r->id);
    free(r->metadata);
    free(r->stored_as);
    memset(r, 0, sizeof *r);
    r->metadata = u->metadata;    /* taken from u */
    r->stored_as = u->stored_as;
    u->metadata = u->stored_as = NULL;
    memcpy(r->id, u->id, sizeof r->id);
    r->length = u->length;
    r->expires = expires;
    s->recent_next = (s->recent_next + 1) % TUS_RECENT_MAX;
    forget_transfer(s, u);
    unlink_at(s, i);
    upload_free(u);
}

/* Copies u into *v. Lock held. Returns 0 or -ENOMEM (v zeroed). */
static int view_of(const struct tus_upload *u, struct tus_view *v)
{
    memset(v, 0, sizeof *v);
    memcpy(v->id, u->id, sizeof v->id);
    v->length = u->length;
    v->offset = u->offset;
    v->expires = u->expires;
    v->done = u->state == TUS_DONE;
    v->busy = u->busy;
    v->metadata = strdup(u->metadata);
    v->stored_as = u->stored_as && v->done ? strdup(u->stored_as) : NULL;
    if (!v->metadata || (u->stored_as && v->done && !v->stored_as)) {
        tus_view_free(v);
        return -ENOMEM;
    }
    return 0;
}

int tus_store_create(struct tus_store *s, const struct tus_new *n, int acquire,
                     struct tus_view *v, struct tus_upload **held)
{
    struct tus_upload *u = calloc(1, sizeof *u);
    char part[FILE_NAME_MAX];
    int rc, fd, tries, in_table = 0;

    memset(v, 0, sizeof *v);
    *held = NULL;
    if (!u)
        return -ENOMEM;
    u->folder = strdup(n->folder);
    u->metadata = strdup(n->metadata ? n->metadata : "");
    if (!u->folder || !u->metadata || strlen(n->name) > NAME_MAX) {
        rc = !u->folder || !u->metadata ? -ENOMEM : -ENAMETOOLONG;
        goto fail;
    }
    memcpy(u->name, n->name, strlen(n->name) + 1);
    snprintf(u->client, sizeof u->client, "%s", n->client ? n->client : "");
    u->length = n->length;
    u->state = TUS_ACTIVE;
    u->verify_from = -1;
    u->busy = 1; /* until the files exist: no sweep or DELETE touches it */

    pthread_mutex_lock(&s->lock);
    sweep_locked(s, time(NULL), walk_due(s, time(NULL)));
    rc = over_cap(s, n->client);
    for (tries = 0; rc == 0 && tries < 4; tries++) {
        rc = make_id(u->id);
        if (rc == 0 && find(s, u->id) == SIZE_MAX)
            break; /* (a clash has odds of 2^-128 per upload) */
    }
    if (rc == 0 && tries == 4)
        rc = -EEXIST;
    if (rc == 0)
        rc = insert(s, u);
    pthread_mutex_unlock(&s->lock);
    if (rc < 0)
        goto fail;
    in_table = 1;

    file_name(part, u->id, F_PART);
    fd = openat(s->updir_fd, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        goto fail;
    }
    close(fd);
    rc = info_write(s, u, TUS_ACTIVE); /* its folder fsync covers the part */
    if (rc < 0)
        goto fail;

    pthread_mutex_lock(&s->lock);
    u->expires = expiry_after(s, time(NULL));
    rc = view_of(u, v);
    if (rc == 0 && acquire)
        *held = u;
    else
        u->busy = 0;
    pthread_mutex_unlock(&s->lock);
    return rc;
fail:
    if (in_table) {
        remove_files(s, u->id);
        pthread_mutex_lock(&s->lock);
        unlink_at(s, find(s, u->id));
        pthread_mutex_unlock(&s->lock);
    }
    upload_free(u);
    return rc;
}

/*
 * Index of upload `id` for a request, removing it when it expired and
 * nobody holds it. Lock held. Returns SIZE_MAX when there is none.
 */
static size_t find_live(struct tus_store *s, const char *id)
{
    size_t i;

    if (!valid_id(id))
        return SIZE_MAX;
    i = find(s, id);
    if (i != SIZE_MAX && s->v[i]->terminated)
        return SIZE_MAX; /* its holder removes it */
    if (i != SIZE_MAX && !s->v[i]->busy && s->v[i]->expires <= time(NULL)) {
        drop_at(s, i);
        return SIZE_MAX;
    }
    return i;
}

int tus_store_view(struct tus_store *s, const char *id, struct tus_view *v)
{
    size_t i;
    int rc;

    memset(v, 0, sizeof *v);
    pthread_mutex_lock(&s->lock);
    i = find_live(s, id);
    if (i != SIZE_MAX) {
        rc = view_of(s->v[i], v);
    } else {
        const struct tus_recent *r = recent_find(s, id, time(NULL));

        rc = r ? 0 : -ENOENT;
        if (r) {
            memcpy(v->id, r->id, sizeof v->id);
            v->length = v->offset = r->length;
            v->expires = r->expires;
            v->done = 1;
            v->metadata = strdup(r->metadata);
            v->stored_as = r->stored_as ? strdup(r->stored_as) : NULL;
            if (!v->metadata || (r->stored_as && !v->stored_as)) {
                tus_view_free(v);
                memset(v, 0, sizeof *v);
                rc = -ENOMEM;
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int tus_store_acquire(struct tus_store *s, const char *id, struct tus_upload **u)
{
    size_t i;
    int rc = 0;

    *u = NULL;
    pthread_mutex_lock(&s->lock);
    i = find_live(s, id);
    if (i == SIZE_MAX) {
        rc = -ENOENT;
    } else if (s->v[i]->busy) {
        rc = -EBUSY;
    } else {
        *u = s->v[i];
        (*u)->busy = 1;
        (*u)->expires = expiry_after(s, time(NULL));
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void tus_store_release(struct tus_store *s, struct tus_upload *u)
{
    int dropped = 0;

    if (!u)
        return;
    pthread_mutex_lock(&s->lock);
    u->busy = 0;
    u->expires = expiry_after(s, time(NULL));
    if (u->terminated) { /* a DELETE came while it was held */
        drop_at(s, find(s, u->id));
        dropped = 1;
    } else if (u->state == TUS_DONE) { /* finished: it leaves the table */
        retire_at(s, find(s, u->id), expiry_after(s, time(NULL)));
    }
    pthread_mutex_unlock(&s->lock);
    if (dropped)
        sync_dir(s->updir_fd);
}

int tus_store_terminated(struct tus_store *s, const struct tus_upload *u)
{
    int t;

    pthread_mutex_lock(&s->lock);
    t = u->terminated;
    pthread_mutex_unlock(&s->lock);
    return t;
}

void tus_store_state(struct tus_store *s, const struct tus_upload *u, uint64_t *offset,
                     time_t *expires)
{
    pthread_mutex_lock(&s->lock);
    *offset = u->offset;
    *expires = u->expires;
    pthread_mutex_unlock(&s->lock);
}

void tus_store_set_offset(struct tus_store *s, struct tus_upload *u, uint64_t offset)
{
    pthread_mutex_lock(&s->lock);
    u->offset = offset;
    pthread_mutex_unlock(&s->lock);
}

int tus_store_open_part(struct tus_store *s, const struct tus_upload *u)
{
    char part[FILE_NAME_MAX];
    uint64_t offset;
    struct stat st;
    int fd, e;

    pthread_mutex_lock(&s->lock);
    offset = u->offset;
    pthread_mutex_unlock(&s->lock);
    file_name(part, u->id, F_PART);
    fd = openat(s->updir_fd, part, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        goto fail;
    /* Bytes past the offset were never acknowledged (a truncation that
     * failed): they go. */
    if ((uint64_t)st.st_size > offset && ftruncate(fd, (off_t)offset) < 0)
        goto fail;
    if ((uint64_t)st.st_size < offset) {
        errno = EIO;
        goto fail;
    }
    if (lseek(fd, (off_t)offset, SEEK_SET) < 0)
        goto fail;
    return fd;
fail:
    e = errno;
    close(fd);
    return -e;
}

int tus_store_set_verify(struct tus_store *s, struct tus_upload *u, int64_t from)
{
    int64_t old = u->verify_from;
    int rc;

    u->verify_from = from;
    rc = info_write(s, u, TUS_ACTIVE);
    if (rc < 0)
        u->verify_from = old;
    return rc;
}

/* The put_commit() mode of upload u: what its creator chose when the name
 * was taken (its metadata's "onconflict"), else the server's policy. */
static enum put_mode policy_mode(const struct ferry_server *srv, const struct tus_upload *u)
{
    struct tus_metadata m;

    if (tus_metadata_parse(u->metadata, 0, &m) == 0 && m.conflict != TUS_CONFLICT_POLICY)
        return m.conflict == TUS_CONFLICT_REPLACE ? PUT_REPLACE : PUT_KEEP_BOTH;
    switch (srv->cfg.on_conflict) {
    case FERRY_CONFLICT_OVERWRITE:
        return PUT_REPLACE;
    case FERRY_CONFLICT_KEEP_BOTH:
        return PUT_KEEP_BOTH;
    default:
        return PUT_NOREPLACE;
    }
}

/* Maps a paths_open() failure to an -errno for tus_store_commit(). */
static int paths_errno(int rc)
{
    switch (rc) {
    case PATHS_ENOTFOUND:
        return -ENOENT;
    case PATHS_EFORBIDDEN:
        return -EACCES;
    case PATHS_EBADREQ:
        return -EINVAL;
    default:
        return rc;
    }
}

/*
 * Whether dir_fd/name is the part file itself (put_place()'s link fallback
 * linked it and was cut before removing the part's name).
 */
static int same_inode(int dir_fd, const char *name, int part_fd)
{
    struct stat a, b;

    return fstatat(dir_fd, name, &a, AT_SYMLINK_NOFOLLOW) == 0 && fstat(part_fd, &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int tus_store_commit(struct tus_store *s, struct tus_upload *u)
{
    struct ferry_server *srv = s->srv;
    struct paths_opts po = srv->paths;
    char part[FILE_NAME_MAX], final[NAME_MAX + 1], *stored = NULL;
    enum put_mode mode = policy_mode(srv, u);
    int part_fd = -1, dir_fd = -1, replaced = 0, gone = 0, rc;
    struct stat st;
    size_t len;

    if (tus_store_terminated(s, u))
        return -ECANCELED;
    file_name(part, u->id, F_PART);
    part_fd = openat(s->updir_fd, part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (part_fd < 0 || fstat(part_fd, &st) < 0) {
        rc = -errno;
        goto out;
    }
    if ((uint64_t)st.st_size != u->length) {
        rc = -EIO;
        goto out;
    }
    po.follow_symlinks = 0; /* uploads never leave the root */
    rc = paths_open(srv->root_fd, u->folder, O_RDONLY | O_DIRECTORY, &po, &dir_fd);
    if (rc < 0) {
        rc = paths_errno(rc);
        goto out;
    }
    /* From here a kill leaves "committing": the next open finishes it. */
    rc = info_write(s, u, TUS_COMMITTING);
    if (rc < 0)
        goto out;
    snprintf(final, sizeof final, "%s", u->name);
    if (same_inode(dir_fd, u->name, part_fd)) {
        rc = 0; /* in place already: only the part's name is left */
    } else {
        rc = put_commit(s->updir_fd, part, part_fd, dir_fd, u->name, mode, NULL, final,
                        sizeof final, &replaced, &gone, srv, u->folder);
        if ((rc == -EEXIST || rc == -EISDIR) && mode != PUT_KEEP_BOTH) {
            /* The name was taken (or became a folder) since the creation:
             * keep the bytes under the keep-both name. */
            srv_log(srv, FERRY_LOG_INFO, "tus: '%s' is taken now: storing upload %s under "
                    "another name", u->name, u->id);
            rc = put_commit(s->updir_fd, part, part_fd, dir_fd, u->name, PUT_KEEP_BOTH,
                            NULL, final, sizeof final, &replaced, &gone, srv, u->folder);
        }
    }
    if (rc < 0)
        goto out;
    if (!gone)
        unlinkat(s->updir_fd, part, 0);
    len = strlen(u->folder) + strlen(final) + 2;
    stored = malloc(len);
    if (stored)
        snprintf(stored, len, "%s%s%s", u->folder, u->folder[0] ? "/" : "", final);
    pthread_mutex_lock(&s->lock);
    free(u->stored_as);
    u->stored_as = stored;
    u->offset = u->length;
    u->state = TUS_DONE;
    pthread_mutex_unlock(&s->lock);
    u->verify_from = -1;
    /* The file is in place. The info says "committing" and the part is
     * gone: that is what a finished upload's record looks like from now
     * on (the next open takes it as finished), kept until the ring of
     * recently finished uploads forgets it; no write is needed. */
    rc = 0;
out:
    if (part_fd >= 0)
        close(part_fd);
    if (dir_fd >= 0)
        close(dir_fd);
    return rc;
}

int tus_store_remove(struct tus_store *s, const char *id)
{
    size_t i;
    int rc = 0;

    pthread_mutex_lock(&s->lock);
    i = find_live(s, id);
    if (i == SIZE_MAX) {
        struct tus_recent *r = recent_find(s, id, time(NULL));

        rc = r ? 1 : -ENOENT; /* finished: forgotten, nothing to sync */
        if (r) {
            remove_files(s, r->id);
            free(r->metadata);
            free(r->stored_as);
            memset(r, 0, sizeof *r);
        }
    } else if (s->v[i]->busy) { /* the holder writes on into unlinked files */
        s->v[i]->terminated = 1; /* tus_store_release() drops the record */
        remove_files(s, id);
    } else
        drop_at(s, i);
    pthread_mutex_unlock(&s->lock);
    if (rc == 0)
        sync_dir(s->updir_fd);
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------ open */

/* Reads the info file of `id` into a new record (not yet in the table).
 * Returns it, or NULL when it is unreadable or malformed (logged). */
static struct tus_upload *info_read(struct tus_store *s, const char *id, struct stat *ist)
{
    char name[FILE_NAME_MAX], *buf = NULL;
    struct tus_upload *u = NULL;
    json_t *j = NULL;
    json_error_t err;
    const char *jid = NULL, *folder = NULL, *fname = NULL, *meta = NULL, *state = NULL;
    const char *stored = NULL, *client = NULL;
    json_int_t version = 0, length = -1, verify = -1;
    ssize_t got = 0;
    int fd;

    file_name(name, id, F_INFO);
    fd = openat(s->updir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, ist) < 0 || !S_ISREG(ist->st_mode) || ist->st_size > INFO_MAX)
        goto bad;
    buf = malloc((size_t)ist->st_size + 1);
    if (!buf)
        goto bad;
    while (got < ist->st_size) {
        ssize_t r = read(fd, buf + got, (size_t)(ist->st_size - got));

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            goto bad;
        got += r;
    }
    j = json_loadb(buf, (size_t)got, JSON_REJECT_DUPLICATES, &err);
    if (!j || json_unpack(j, "{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s?s, s?I, s?s !}",
                          "version", &version, "id", &jid, "folder", &folder, "name", &fname,
                          "length", &length, "metadata", &meta, "state", &state, "stored_as",
                          &stored, "verify_from", &verify, "client", &client) != 0)
        goto bad;
    if (version != 1 || strcmp(jid, id) != 0 || strlen(folder) > PATHS_MAX ||
        folder[0] == '/' || !fname[0] || strlen(fname) > NAME_MAX || strchr(fname, '/') ||
        strcmp(fname, ".") == 0 || strcmp(fname, "..") == 0 || length < 0 ||
        strlen(meta) > TUS_METADATA_MAX || (stored && strlen(stored) > PATHS_MAX) ||
        verify < -1 || verify > length || (client && strlen(client) >= TUS_CLIENT_LEN))
        goto bad;
    u = calloc(1, sizeof *u);
    if (!u)
        goto bad;
    memcpy(u->id, id, sizeof u->id);
    memcpy(u->name, fname, strlen(fname) + 1);
    snprintf(u->client, sizeof u->client, "%s", client ? client : "");
    u->folder = strdup(folder);
    u->metadata = strdup(meta);
    u->stored_as = stored ? strdup(stored) : NULL;
    u->length = (uint64_t)length;
    u->verify_from = verify;
    if (strcmp(state, "active") == 0)
        u->state = TUS_ACTIVE;
    else if (strcmp(state, "committing") == 0)
        u->state = TUS_COMMITTING;
    else if (strcmp(state, "done") == 0)
        u->state = TUS_DONE;
    else
        goto bad;
    if (!u->folder || !u->metadata || (stored && !u->stored_as))
        goto bad;
    json_decref(j);
    free(buf);
    close(fd);
    return u;
bad:
    srv_log(s->srv, FERRY_LOG_WARN, "tus: the record %s in the uploads folder is unreadable "
            "or malformed: removing the upload", name);
    upload_free(u);
    json_decref(j);
    free(buf);
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* The later of two mtimes, in seconds. */
static time_t later(const struct stat *a, const struct stat *b)
{
    return a->st_mtime > b->st_mtime ? a->st_mtime : b->st_mtime;
}

/*
 * Brings upload `id` back from its files (single-threaded, at open): cut
 * checksummed PATCHes truncated back, cut commits finished, complete parts
 * committed. Adds it to the table, or removes its files when it cannot be
 * used.
 */
static void recover(struct tus_store *s, const char *id)
{
    char part[FILE_NAME_MAX];
    struct stat ist, pst;
    struct tus_upload *u = info_read(s, id, &ist);
    int have_part;

    file_name(part, id, F_PART);
    if (!u) {
        remove_files(s, id);
        return;
    }
    have_part = fstatat(s->updir_fd, part, &pst, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISREG(pst.st_mode);
    if (!have_part)
        pst = ist;
    if (u->state == TUS_COMMITTING && !have_part) {
        u->state = TUS_DONE; /* moved into place, then cut before the end */
    } else if (u->state == TUS_COMMITTING) {
        u->state = TUS_ACTIVE; /* commit again below */
    }
    if (u->state == TUS_DONE) { /* finished: remembered, its files go below */
        if (have_part)
            unlinkat(s->updir_fd, part, 0);
        u->offset = u->length;
        u->verify_from = -1;
    } else if (!have_part || (uint64_t)pst.st_size > u->length) {
        srv_log(s->srv, FERRY_LOG_WARN, "tus: upload %s has %s: removing it", id,
                have_part ? "more bytes than its length" : "no part file");
        remove_files(s, id);
        upload_free(u);
        return;
    } else {
        u->offset = (uint64_t)pst.st_size;
        if (u->verify_from >= 0) {
            /* a checksummed PATCH was cut: its bytes were never verified */
            if (u->offset > (uint64_t)u->verify_from) {
                int fd = openat(s->updir_fd, part, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);

                if (fd >= 0 && ftruncate(fd, (off_t)u->verify_from) == 0 && compat_fsync_durable(fd) == 0)
                    u->offset = (uint64_t)u->verify_from;
                if (fd >= 0)
                    close(fd);
            }
            if (u->offset == (uint64_t)u->verify_from)
                tus_store_set_verify(s, u, -1);
        }
    }
    u->expires = expiry_after(s, later(&ist, &pst));
    u->busy = 1;
    pthread_mutex_lock(&s->lock);
    if (insert(s, u) < 0) {
        pthread_mutex_unlock(&s->lock);
        upload_free(u); /* out of memory: its files stay for the next start */
        return;
    }
    pthread_mutex_unlock(&s->lock);
    if (u->state == TUS_ACTIVE && u->offset == u->length && u->verify_from < 0) {
        int rc = tus_store_commit(s, u);

        if (rc < 0)
            srv_log(s->srv, FERRY_LOG_WARN, "tus: upload %s is complete but cannot be moved "
                    "to '%s%s%s' (%s); it is kept for a retry", id, u->folder,
                    u->folder[0] ? "/" : "", u->name, strerror(-rc));
        else
            srv_log(s->srv, FERRY_LOG_INFO, "tus: upload %s was complete: stored as '%s'",
                    id, u->stored_as ? u->stored_as : u->name);
    }
    pthread_mutex_lock(&s->lock);
    u->busy = 0;
    if (u->state == TUS_DONE) /* finished before the kill, or just now */
        retire_at(s, find(s, id), u->expires);
    pthread_mutex_unlock(&s->lock);
}

/*
 * The registry after a cold start: every unfinished upload is resumable,
 * and entries of uploads that no longer exist (from the journal) go.
 */
static void sync_registry(struct tus_store *s)
{
    ferry_transfer *list = NULL;
    size_t n = 0;

    for (size_t i = 0; i < s->n; i++) {
        ferry_transfer t;

        if (s->v[i]->state == TUS_DONE)
            continue;
        tus_store_transfer(s->v[i], s->v[i]->offset, &t);
        lc_registry_add_restored(s->srv->registry, &t);
    }
    if (lc_registry_snapshot(s->srv->registry, 1, &list, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        const ferry_transfer *t = &list[i];
        size_t k;

        if (!t->restored || t->direction != FERRY_UPLOAD ||
            strncmp(t->validator, "tus:", 4) != 0)
            continue;
        k = valid_id(t->validator + 4) ? find(s, t->validator + 4) : SIZE_MAX;
        if (k == SIZE_MAX || s->v[k]->state == TUS_DONE)
            lc_registry_forget(s->srv->registry, t);
    }
    free(list);
}

int tus_store_open(struct ferry_server *srv, struct tus_store **out)
{
    struct tus_store *s;
    struct dirent *de;
    DIR *d;
    int fd, rc;

    *out = NULL;
    if (srv->state_fd < 0 || srv->cfg.read_only)
        return 0; /* read-only: no commit or sweep may touch anything */
    s = calloc(1, sizeof *s);
    if (!s)
        return FERRY_ENOMEM;
    s->srv = srv;
    s->updir_fd = -1;
    s->expiry_s = srv->cfg.upload_expiry_s ? srv->cfg.upload_expiry_s : DEFAULT_EXPIRY_S;
    pthread_mutex_init(&s->lock, NULL);
    if (mkdirat(srv->state_fd, UPLOADS_DIR, 0700) < 0 && errno != EEXIST)
        goto fail_errno;
    s->updir_fd = openat(srv->state_fd, UPLOADS_DIR,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s->updir_fd < 0)
        goto fail_errno;
    fd = openat(s->updir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        goto fail_errno;
    }
    while ((de = readdir(d)) != NULL) {
        char id[TUS_ID_LEN + 1];
        int kind;

        if (parse_file_name(de->d_name, id, &kind) == 0 && kind == F_INFO)
            recover(s, id);
    }
    closedir(d);
    pthread_mutex_lock(&s->lock);
    sweep_locked(s, time(NULL), 1); /* expired ones, orphans, temporary files */
    sync_registry(s);
    pthread_mutex_unlock(&s->lock);
    if (s->n)
        srv_log(srv, FERRY_LOG_INFO, "tus: %zu unfinished upload%s kept from before", s->n,
                s->n == 1 ? "" : "s");
    *out = s;
    return 0;
fail_errno:
    rc = -errno;
    srv_log(srv, FERRY_LOG_ERROR, "tus: cannot use the uploads folder in '%s': %s",
            srv->state_dir ? srv->state_dir : "(state)", strerror(errno));
    tus_store_free(s);
    return rc;
}

void tus_store_free(struct tus_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        upload_free(s->v[i]);
    free(s->v);
    for (size_t i = 0; i < TUS_RECENT_MAX; i++) {
        free(s->recent[i].metadata);
        free(s->recent[i].stored_as);
    }
    if (s->updir_fd >= 0)
        close(s->updir_fd);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
