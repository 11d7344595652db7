/*
 * zip-ends.h — how the last ticketed zip downloads ended, for
 * /.ferry/status: a bounded ring of their tickets, bytes sent and whether
 * each was sent whole, so that a page can tell a complete zip from a cut
 * one instead of guessing when its download leaves the transfer list.
 *
 * A download's end is known in two places that end in either order: the
 * stream (daemon/share/zip.c: how many bytes it handed to libmicrohttpd, and
 * whether that was the whole archive, central directory included) and the
 * request (daemon/http/routes.c: whether libmicrohttpd completed it,
 * MHD_REQUEST_TERMINATED_COMPLETED_OK). A struct zip_end is shared by the
 * two; whichever lets go of it last writes the entry into the ring.
 */
#ifndef FERRY_ZIP_ENDS_H
#define FERRY_ZIP_ENDS_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#define ZIP_ENDS_MAX 16          /* entries kept: the newest ones */
#define ZIP_ENDS_KEEP_MS 120000  /* an entry is listed this long after its end */
#define ZIP_TICKET_MAX 32        /* longest ticket, [A-Za-z0-9_-] */

struct zip_end_entry {
    char ticket[ZIP_TICKET_MAX + 1];
    uint64_t done;     /* bytes of the archive handed to the socket */
    int complete;      /* the whole archive, and the request completed OK */
    uint64_t ended_ms; /* CLOCK_MONOTONIC, ms */
};

/* The ring; one per server, shared by libmicrohttpd's threads. */
struct zip_ends {
    pthread_mutex_t lock;
    struct zip_end_entry e[ZIP_ENDS_MAX];
    unsigned next;  /* slot the next end is written to */
    unsigned count; /* slots written, at most ZIP_ENDS_MAX */
};

/* Initialises an empty ring. Returns 0 or -1 (mutex). */
int zip_ends_init(struct zip_ends *r);

/* Destroys the ring; nothing may use it afterwards (MHD stopped). */
void zip_ends_destroy(struct zip_ends *r);

/*
 * The ends not older than ZIP_ENDS_KEEP_MS, newest first, as a JSON array
 * of {"ticket": s, "done": n, "complete": b}; an empty array when none, or
 * NULL when out of memory. Thread-safe.
 */
json_t *zip_ends_json(struct zip_ends *r);

/* One download's end, shared by its stream and its request. */
struct zip_end;

/*
 * A shared end for the download with `ticket` (1..ZIP_TICKET_MAX
 * characters, already checked), writing into `r` (which must outlive it):
 * held twice, once by the stream and once by the request, each of which
 * calls its release below exactly once. NULL when out of memory (the
 * download then simply is not remembered).
 */
struct zip_end *zip_end_new(struct zip_ends *r, const char *ticket);

/* The stream lets go: `bytes` handed to libmicrohttpd, `whole` 1 when that
 * was the whole archive. Accepts NULL. */
void zip_end_stream_done(struct zip_end *e, uint64_t bytes, int whole);

/* The request lets go: `completed` 1 when libmicrohttpd completed it
 * (MHD_REQUEST_TERMINATED_COMPLETED_OK). Accepts NULL. */
void zip_end_request_done(struct zip_end *e, int completed);

#endif
