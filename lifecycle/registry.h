/*
 * registry.h — the transfer registry: every open download (and later upload)
 * with what is needed to resume it, plus the transfers restored from the
 * journal. Thread-safe: every function but new and free may be called from
 * any thread at any time (MHD worker threads open, update and close entries
 * while the lifecycle takes snapshots); one mutex guards the lot.
 *
 * Ids: a 64-bit counter from 1, never 0 and never reused; restored entries
 * get fresh ids too (the ids in a journal are those of an earlier process).
 *
 * "The same transfer" below means the same direction and path, and for an
 * upload also the same validator: an upload's validator names the upload
 * (a tus upload's is "tus:<id>"), so two resumable uploads to one target
 * never replace each other, while a download resumed after its file changed
 * (a new ETag) still replaces its restored entry.
 * Strings are copied bounded: text that does not fit its ferry_transfer
 * field is cut at a UTF-8 character boundary, always NUL-terminated.
 */
#ifndef FERRY_LC_REGISTRY_H
#define FERRY_LC_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "ferry.h"

struct lc_registry;

/* Creates an empty registry. Returns NULL when out of memory. */
struct lc_registry *lc_registry_new(void);

/* Frees it. Accepts NULL. */
void lc_registry_free(struct lc_registry *r);

/*
 * Adds an open transfer described by *t (copied; its id and restored fields
 * are ignored; done is kept: 0 for a new transfer, the bytes it has for a
 * resumed upload, so that a snapshot taken at once — the first open of a
 * background period takes one — is not behind). Every restored entry of the same
 * transfer (after truncation) is dropped: it has been resumed. On success returns 0, sets *id (never 0, never reused) and
 * *was_idle to whether it is now the only open transfer (the open count
 * went from 0 to 1). Returns FERRY_ENOMEM otherwise, with nothing changed.
 */
int lc_registry_open(struct lc_registry *r, const ferry_transfer *t,
                     uint64_t *id, int *was_idle);

/* Records that `done` bytes are through. Unknown and restored ids are
 * ignored. */
void lc_registry_progress(struct lc_registry *r, uint64_t id, uint64_t done);

/*
 * Removes an open transfer. Returns the number of transfers still open
 * (restored ones not counted), or -1 when the id is unknown or belongs to a
 * restored entry (those leave through lc_registry_open() or
 * lc_registry_set_restored()).
 */
int lc_registry_close(struct lc_registry *r, uint64_t id);

/* Most entries kept for transfers that were cut before they finished. */
#define LC_REGISTRY_MAX_RESUMABLE 256

/*
 * Like lc_registry_close(), for a transfer cut before it finished (the
 * client went away, or the lifecycle ended the connection): the entry stays
 * as a restored one, resumable, replacing older ones of the same transfer,
 * so that snapshots keep it. Beyond LC_REGISTRY_MAX_RESUMABLE
 * restored entries the oldest is dropped. Returns as lc_registry_close().
 */
int lc_registry_interrupt(struct lc_registry *r, uint64_t id);

/* Number of open (not restored) transfers. */
unsigned lc_registry_open_count(struct lc_registry *r);

/*
 * Copies every open transfer (restored ones too, with restored = 1, when
 * with_restored) into a malloc'd array owned by the caller, in no particular
 * order; *list is NULL when *n is 0. Returns 0, or FERRY_ENOMEM with *list
 * NULL and *n 0.
 */
int lc_registry_snapshot(struct lc_registry *r, int with_restored,
                         ferry_transfer **list, size_t *n);

/*
 * Replaces the restored set with list[0..n) (copied, marked restored, each
 * with a fresh id; list's id and restored fields are ignored, done is kept).
 * An entry that is the same transfer as an open one is left out: it has been
 * resumed already. Returns 0, or FERRY_ENOMEM with nothing changed.
 */
int lc_registry_set_restored(struct lc_registry *r, const ferry_transfer *list,
                             size_t n);

/*
 * Adds one restored (resumable) entry for *t (copied like lc_registry_open,
 * done kept, restored set, a fresh id) unless the registry already holds
 * the same transfer, open or restored — for what a cold start finds on
 * disk besides the journal (e.g. partial uploads). Beyond
 * LC_REGISTRY_MAX_RESUMABLE restored entries the oldest is dropped.
 * Returns 0 (added), 1 (already there: nothing changed) or FERRY_ENOMEM
 * (nothing changed).
 */
int lc_registry_add_restored(struct lc_registry *r, const ferry_transfer *t);

/*
 * Removes the restored entries of the same transfer as *t (only direction,
 * path and validator are read), e.g. an upload abandoned or expired while
 * nobody was sending it. Open entries are left alone. Returns how many were
 * removed.
 */
size_t lc_registry_forget(struct lc_registry *r, const ferry_transfer *t);

/*
 * Whether a client can resume *t after a cut: a download always (by
 * Range), an upload only when its validator names something that keeps
 * the bytes (a tus upload, "tus:<id>"). A PUT has none: its part file goes
 * with its connection, so it must never be journaled or shown as restored.
 */
int lc_transfer_resumable(const ferry_transfer *t);

/* Removes the entries of list[0..*n) that cannot resume, in place. */
void lc_transfers_keep_resumable(ferry_transfer *list, size_t *n);

#endif
