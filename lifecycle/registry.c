/*
 * registry.c — the transfer registry: one mutex-protected growable array of
 * ferry_transfer holding the open transfers and the restored ones.
 *
 * Owns: id allocation (a 64-bit counter from 1, never reused, restored
 * entries included), the bounded copy of the caller's strings, the rule that
 * a newly opened transfer replaces the restored ones of the same transfer
 * (direction and path; for uploads the validator too), and the copies handed
 * out by snapshots. It knows nothing of the journal or of HTTP.
 *
 * Layout: items[0..n) in no particular order (removal swaps the last entry
 * into the hole), with a parallel array ids[] (ids[i] == items[i].id) so that
 * lookups by id scan 8 bytes per entry instead of a whole ferry_transfer.
 * Every operation is O(n) at worst under the one lock, which is fine for the
 * few thousand transfers a LAN server sees.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

#define MIN_CAP 16

struct lc_registry {
    pthread_mutex_t lock;
    ferry_transfer *items; /* [0, n): open and restored entries */
    uint64_t *ids;         /* ids[i] == items[i].id */
    size_t n;
    size_t cap;            /* both arrays hold cap entries */
    size_t n_open;         /* entries with restored == 0 */
    uint64_t next_id;      /* the next id handed out; starts at 1 */
};

/* Whether byte c is a UTF-8 continuation byte (10xxxxxx). */
static int is_continuation(char c)
{
    return ((unsigned char)c & 0xc0) == 0x80;
}

/*
 * Copies the string in the field src (cap bytes, NUL-terminated or not) into
 * dst (cap bytes). Text that does not fit in cap - 1 bytes is cut, and the
 * cut is moved back to the start of a UTF-8 character so that valid UTF-8
 * stays valid. dst is always NUL-terminated.
 */
static void copy_field(char *dst, const char *src, size_t cap)
{
    size_t len = strnlen(src, cap);

    if (len > cap - 1) {
        len = cap - 1;
        /* src[len] is the first byte left out: if it continues a character,
         * leave out that character's earlier bytes too (at most 3). */
        for (int i = 0; i < 3 && len > 0 && is_continuation(src[len]); i++)
            len--;
        if (len > 0 && is_continuation(src[len]))
            len = cap - 1; /* not UTF-8 anyway: keep the plain cut */
    }
    memcpy(dst, src, len);
    memset(dst + len, 0, cap - len);
}

/* Copies *t into *e with bounded strings; id, done and restored are zeroed. */
static void copy_transfer(ferry_transfer *e, const ferry_transfer *t)
{
    memset(e, 0, sizeof *e);
    e->direction = t->direction;
    copy_field(e->path, t->path, sizeof e->path);
    copy_field(e->validator, t->validator, sizeof e->validator);
    e->first = t->first;
    e->last = t->last;
    e->total = t->total;
    copy_field(e->peer, t->peer, sizeof e->peer);
    e->started_ms = t->started_ms;
}

/*
 * Makes room for at least `need` entries. Returns 0, or FERRY_ENOMEM with
 * the registry unchanged (apart from a possibly larger items array).
 */
static int reserve(struct lc_registry *r, size_t need)
{
    ferry_transfer *items;
    uint64_t *ids;
    size_t cap;

    if (need <= r->cap)
        return 0;
    cap = r->cap < MIN_CAP ? MIN_CAP : r->cap;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return FERRY_ENOMEM;
        cap *= 2;
    }
    if (cap > SIZE_MAX / sizeof *items)
        return FERRY_ENOMEM;
    items = realloc(r->items, cap * sizeof *items);
    if (!items)
        return FERRY_ENOMEM;
    r->items = items;
    ids = realloc(r->ids, cap * sizeof *ids);
    if (!ids)
        return FERRY_ENOMEM;
    r->ids = ids;
    r->cap = cap;
    return 0;
}

/*
 * Gives memory back when the arrays are mostly empty. Never fails: cap
 * shrinks as soon as items has shrunk, and ids may stay larger than cap.
 */
static void maybe_shrink(struct lc_registry *r)
{
    ferry_transfer *items;
    uint64_t *ids;
    size_t cap = r->cap / 2;

    if (r->cap <= 4 * MIN_CAP || r->n > r->cap / 4)
        return;
    items = realloc(r->items, cap * sizeof *items);
    if (!items)
        return; /* keep the larger block */
    r->items = items;
    r->cap = cap;
    ids = realloc(r->ids, cap * sizeof *ids);
    if (ids)
        r->ids = ids;
}

/* Appends *e (already complete) to the array; room must be reserved. */
static void append(struct lc_registry *r, const ferry_transfer *e)
{
    r->items[r->n] = *e;
    r->ids[r->n] = e->id;
    r->n++;
}

/* Removes entry i by moving the last entry into its place. */
static void remove_at(struct lc_registry *r, size_t i)
{
    r->n--;
    if (i != r->n) {
        r->items[i] = r->items[r->n];
        r->ids[i] = r->ids[r->n];
    }
}

/* Index of the open (not restored) entry with `id`, or SIZE_MAX. */
static size_t find_open(const struct lc_registry *r, uint64_t id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->ids[i] == id && !r->items[i].restored)
            return i;
    return SIZE_MAX;
}

/*
 * Whether entry e is the transfer (direction, path, validator): the same
 * direction and path, and for uploads the same validator too (an upload's
 * validator names the upload, e.g. "tus:<id>": two resumable uploads to one
 * target are two transfers). Strings are compared as copied (bounded).
 */
static int same_transfer(const ferry_transfer *e, enum ferry_direction direction,
                         const char *path, const char *validator)
{
    return e->direction == direction && strcmp(e->path, path) == 0 &&
           (direction != FERRY_UPLOAD || strcmp(e->validator, validator) == 0);
}

/* Removes every restored entry that is the transfer of *t (same_transfer).
 * Returns how many. */
static size_t drop_restored(struct lc_registry *r, const ferry_transfer *t)
{
    size_t i = 0, dropped = 0;

    while (i < r->n) {
        const ferry_transfer *e = &r->items[i];

        if (e->restored && same_transfer(e, t->direction, t->path, t->validator)) {
            remove_at(r, i); /* entry i is now another one: look again */
            dropped++;
        } else {
            i++;
        }
    }
    return dropped;
}

/* Whether an entry (open, or also restored with `any`) is the transfer of
 * *t (same_transfer). */
static int matches(const struct lc_registry *r, const ferry_transfer *t, int any)
{
    for (size_t i = 0; i < r->n; i++) {
        const ferry_transfer *e = &r->items[i];

        if ((any || !e->restored) && same_transfer(e, t->direction, t->path, t->validator))
            return 1;
    }
    return 0;
}

/* Drops the oldest restored entries beyond LC_REGISTRY_MAX_RESUMABLE. */
static void cap_restored(struct lc_registry *r)
{
    size_t restored = 0;

    for (size_t k = 0; k < r->n; k++)
        restored += r->items[k].restored != 0;
    for (; restored > LC_REGISTRY_MAX_RESUMABLE; restored--) {
        size_t oldest = SIZE_MAX; /* ids grow: the smallest is oldest */

        for (size_t k = 0; k < r->n; k++)
            if (r->items[k].restored && (oldest == SIZE_MAX || r->ids[k] < r->ids[oldest]))
                oldest = k;
        remove_at(r, oldest);
    }
}

/* See registry.h. */
struct lc_registry *lc_registry_new(void)
{
    struct lc_registry *r = calloc(1, sizeof *r);

    if (!r)
        return NULL;
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return NULL;
    }
    r->next_id = 1;
    return r;
}

/* See registry.h. */
void lc_registry_free(struct lc_registry *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->lock);
    free(r->items);
    free(r->ids);
    free(r);
}

/* See registry.h. */
int lc_registry_open(struct lc_registry *r, const ferry_transfer *t,
                     uint64_t *id, int *was_idle)
{
    ferry_transfer e;

    copy_transfer(&e, t);
    e.done = t->done; /* a resumed upload starts with what it has */
    pthread_mutex_lock(&r->lock);
    /* Room first, so that a failure changes nothing. */
    if (reserve(r, r->n + 1) != 0) {
        pthread_mutex_unlock(&r->lock);
        return FERRY_ENOMEM;
    }
    drop_restored(r, &e);
    e.id = r->next_id++;
    append(r, &e);
    r->n_open++;
    *id = e.id;
    *was_idle = r->n_open == 1;
    pthread_mutex_unlock(&r->lock);
    return 0;
}

/* See registry.h. */
void lc_registry_progress(struct lc_registry *r, uint64_t id, uint64_t done)
{
    size_t i;

    pthread_mutex_lock(&r->lock);
    i = find_open(r, id);
    if (i != SIZE_MAX)
        r->items[i].done = done;
    pthread_mutex_unlock(&r->lock);
}

/*
 * Ends the open entry `id`; with keep, it stays as a restored (resumable)
 * one. Returns the number still open, or -1 for an unknown id.
 */
static int end_open(struct lc_registry *r, uint64_t id, int keep)
{
    ferry_transfer e;
    size_t i;
    int left;

    pthread_mutex_lock(&r->lock);
    i = find_open(r, id);
    if (i == SIZE_MAX) {
        pthread_mutex_unlock(&r->lock);
        return -1;
    }
    e = r->items[i];
    remove_at(r, i);
    r->n_open--;
    if (keep) {
        drop_restored(r, &e);
        e.restored = 1;
        append(r, &e); /* fits: an entry was just removed */
        cap_restored(r);
    }
    maybe_shrink(r);
    left = r->n_open > INT_MAX ? INT_MAX : (int)r->n_open;
    pthread_mutex_unlock(&r->lock);
    return left;
}

/* See registry.h. */
int lc_registry_close(struct lc_registry *r, uint64_t id)
{
    return end_open(r, id, 0);
}

/* See registry.h. */
int lc_registry_interrupt(struct lc_registry *r, uint64_t id)
{
    return end_open(r, id, 1);
}

/* See registry.h. */
unsigned lc_registry_open_count(struct lc_registry *r)
{
    unsigned n;

    pthread_mutex_lock(&r->lock);
    n = r->n_open > UINT_MAX ? UINT_MAX : (unsigned)r->n_open;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* See registry.h. */
int lc_registry_snapshot(struct lc_registry *r, int with_restored,
                         ferry_transfer **list, size_t *n)
{
    ferry_transfer *out = NULL;
    size_t count, j = 0;

    *list = NULL;
    *n = 0;
    pthread_mutex_lock(&r->lock);
    count = with_restored ? r->n : r->n_open;
    if (count == 0)
        goto done;
    out = malloc(count * sizeof *out); /* count <= cap: cannot overflow */
    if (!out) {
        pthread_mutex_unlock(&r->lock);
        return FERRY_ENOMEM;
    }
    if (with_restored) {
        memcpy(out, r->items, count * sizeof *out);
        j = count;
    } else {
        for (size_t i = 0; i < r->n; i++)
            if (!r->items[i].restored)
                out[j++] = r->items[i];
    }
done:
    pthread_mutex_unlock(&r->lock);
    *list = out;
    *n = j;
    return 0;
}

/* See registry.h. */
int lc_registry_set_restored(struct lc_registry *r, const ferry_transfer *list,
                             size_t n)
{
    size_t j = 0;

    pthread_mutex_lock(&r->lock);
    if (n > SIZE_MAX - r->n_open || reserve(r, r->n_open + n) != 0) {
        pthread_mutex_unlock(&r->lock);
        return FERRY_ENOMEM;
    }
    /* Drop the old restored set, keeping the open entries in order. */
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i].restored)
            continue;
        if (i != j) {
            r->items[j] = r->items[i];
            r->ids[j] = r->ids[i];
        }
        j++;
    }
    r->n = j;
    for (size_t k = 0; k < n; k++) {
        ferry_transfer e;

        copy_transfer(&e, &list[k]);
        if (matches(r, &e, 0))
            continue; /* already resumed */
        e.done = list[k].done;
        e.restored = 1;
        e.id = r->next_id++;
        append(r, &e);
    }
    maybe_shrink(r);
    pthread_mutex_unlock(&r->lock);
    return 0;
}

/* See registry.h. */
int lc_registry_add_restored(struct lc_registry *r, const ferry_transfer *t)
{
    ferry_transfer e;

    copy_transfer(&e, t);
    e.done = t->done;
    e.restored = 1;
    pthread_mutex_lock(&r->lock);
    if (matches(r, &e, 1)) {
        pthread_mutex_unlock(&r->lock);
        return 1;
    }
    if (reserve(r, r->n + 1) != 0) {
        pthread_mutex_unlock(&r->lock);
        return FERRY_ENOMEM;
    }
    e.id = r->next_id++;
    append(r, &e);
    cap_restored(r);
    pthread_mutex_unlock(&r->lock);
    return 0;
}

/* See registry.h. */
size_t lc_registry_forget(struct lc_registry *r, const ferry_transfer *t)
{
    ferry_transfer e;
    size_t n;

    copy_transfer(&e, t);
    pthread_mutex_lock(&r->lock);
    n = drop_restored(r, &e);
    maybe_shrink(r);
    pthread_mutex_unlock(&r->lock);
    return n;
}

int lc_transfer_resumable(const ferry_transfer *t)
{
    return t->direction != FERRY_UPLOAD || t->validator[0] != '\0';
}

void lc_transfers_keep_resumable(ferry_transfer *list, size_t *n)
{
    size_t k = 0;

    for (size_t i = 0; i < *n; i++)
        if (lc_transfer_resumable(&list[i]))
            list[k++] = list[i];
    *n = k;
}
