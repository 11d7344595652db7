/*
 * zip-ends.c — the ring of how the last ticketed zips ended (zip-ends.h).
 *
 * Owns: the ring's entries (fixed, ZIP_ENDS_MAX of them: no growth) and
 * each struct zip_end until its second release, which writes it into the
 * ring and frees it. The ring's lock is held only to copy an entry in or
 * out; the shared end needs none: each side writes its own fields before
 * its release, and the release (an atomic acquire-release decrement) hands
 * them to the side that comes last.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zip-ends.h"

struct zip_end {
    struct zip_ends *ring;
    char ticket[ZIP_TICKET_MAX + 1];
    uint64_t bytes; /* the stream's */
    int whole;      /* the stream's */
    int completed;  /* the request's */
    int refs;       /* 2, then 1, then freed */
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int zip_ends_init(struct zip_ends *r)
{
    memset(r, 0, sizeof *r);
    return pthread_mutex_init(&r->lock, NULL) == 0 ? 0 : -1;
}

void zip_ends_destroy(struct zip_ends *r)
{
    pthread_mutex_destroy(&r->lock);
}

/* Writes e's end into its ring (over the oldest entry when full). */
static void ring_add(const struct zip_end *e)
{
    struct zip_ends *r = e->ring;
    struct zip_end_entry *slot;

    pthread_mutex_lock(&r->lock);
    slot = &r->e[r->next];
    memcpy(slot->ticket, e->ticket, sizeof slot->ticket);
    slot->done = e->bytes;
    slot->complete = e->whole && e->completed;
    slot->ended_ms = now_ms();
    r->next = (r->next + 1) % ZIP_ENDS_MAX;
    if (r->count < ZIP_ENDS_MAX)
        r->count++;
    pthread_mutex_unlock(&r->lock);
}

json_t *zip_ends_json(struct zip_ends *r)
{
    struct zip_end_entry copy[ZIP_ENDS_MAX];
    unsigned n, next;
    uint64_t now = now_ms();
    json_t *a = json_array();

    if (!a)
        return NULL;
    pthread_mutex_lock(&r->lock);
    memcpy(copy, r->e, sizeof copy);
    n = r->count;
    next = r->next;
    pthread_mutex_unlock(&r->lock);
    for (unsigned i = 1; i <= n; i++) { /* newest first */
        const struct zip_end_entry *x = &copy[(next + ZIP_ENDS_MAX - i) % ZIP_ENDS_MAX];

        if (now - x->ended_ms > ZIP_ENDS_KEEP_MS)
            break; /* older ones are older still */
        json_array_append_new(a, json_pack("{s:s, s:I, s:b}", "ticket", x->ticket, "done",
                                           (json_int_t)x->done, "complete", x->complete));
    }
    return a;
}

struct zip_end *zip_end_new(struct zip_ends *r, const char *ticket)
{
    struct zip_end *e = calloc(1, sizeof *e);

    if (!e)
        return NULL;
    e->ring = r;
    strncpy(e->ticket, ticket, ZIP_TICKET_MAX);
    e->refs = 2;
    return e;
}

/* Drops one hold; the last one records the end and frees it. */
static void release(struct zip_end *e)
{
    if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    ring_add(e);
    free(e);
}

void zip_end_stream_done(struct zip_end *e, uint64_t bytes, int whole)
{
    if (!e)
        return;
    e->bytes = bytes;
    e->whole = whole;
    release(e);
}

void zip_end_request_done(struct zip_end *e, int completed)
{
    if (!e)
        return;
    e->completed = completed;
    release(e);
}
