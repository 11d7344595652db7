/*
 * dav-lock.h — the WebDAV lock table (RFC 4918 §6, §7): write locks,
 * exclusive or shared, depth 0 or infinity, with timeouts, held in memory
 * (locks do not survive a restart, which RFC 4918 §6.7 allows) and bounded
 * (DAV_LOCKS_MAX). Paths are the decoded paths below the shared folder as
 * paths_decode() gives them: no leading or trailing '/', "" for the root.
 *
 * Time is passed in by the caller (seconds of a monotonic clock), so that
 * expiry is testable; expired locks are dropped lazily by every call.
 * Lock tokens are "opaquelocktoken:" URNs with a random (version 4) UUID
 * drawn from mbedTLS's CTR-DRBG, or from the function the caller gives.
 * Thread-safe: one mutex around the table.
 */
#ifndef FERRY_DAV_LOCK_H
#define FERRY_DAV_LOCK_H

#include <stddef.h>
#include <stdint.h>

#define DAV_LOCKS_MAX 4096              /* locks held at once */
#define DAV_LOCK_TIMEOUT_DEFAULT 600    /* seconds, when the client names none */
#define DAV_LOCK_TIMEOUT_MAX 86400      /* longer requests (Infinite) get this */
#define DAV_LOCK_TOKEN_SIZE 53          /* "opaquelocktoken:" + UUID + NUL */
#define DAV_LOCK_OWNER_MAX 4096         /* bytes of owner XML kept */

enum dav_lock_error {
    DAV_LOCK_ECONFLICT = -1001, /* a lock is in the way (423 Locked) */
    DAV_LOCK_ENOLOCK = -1002,   /* no such lock on that path (409 / 412) */
    DAV_LOCK_EFULL = -1003,     /* the table is full (503) */
};

/* A lock as the table holds it; given to callbacks, valid only during the
 * call. */
struct dav_lock {
    char token[DAV_LOCK_TOKEN_SIZE];
    char *root;         /* the path locked */
    int infinity;       /* depth infinity (else 0) */
    int shared;         /* shared (else exclusive) */
    char *owner;        /* DAV:owner's XML as the client sent it, or NULL */
    unsigned timeout;   /* seconds granted at creation or last refresh */
    int64_t expires;    /* when it ends, on the caller's clock */
    int lock_null;      /* LOCK created the resource (RFC 4918 §7.3) */
};

/* Fills buf with n random bytes; 0 or non-zero on failure. */
typedef int (*dav_rand_fn)(void *cls, unsigned char *buf, size_t n);

struct dav_locks;

/* A table of at most `max` locks (0: DAV_LOCKS_MAX). rnd NULL: mbedTLS's
 * CTR-DRBG seeded from its entropy sources. NULL when out of memory or
 * when seeding fails. Owned by the caller: dav_locks_free(). */
struct dav_locks *dav_locks_new(size_t max, dav_rand_fn rnd, void *rnd_cls);
void dav_locks_free(struct dav_locks *t);

/* Whether the caller submitted `token` (for instance dav_if_submits()). */
typedef int (*dav_submitted_fn)(void *cls, const char *token);

/*
 * Creates a lock on `path`. Conflicts (423) with any live lock whose scope
 * overlaps — the same path, a depth-infinity lock on an ancestor, or (for
 * a depth-infinity request) any lock below — unless both are shared.
 * `owner` is copied (cut at DAV_LOCK_OWNER_MAX). Returns 0 and the new
 * token in token_out; DAV_LOCK_ECONFLICT (the conflicting lock's root in
 * conflict_root, if not NULL, `crlen` bytes); DAV_LOCK_EFULL; -ENOMEM.
 */
int dav_lock_create(struct dav_locks *t, const char *path, int shared, int infinity,
                    const char *owner, unsigned timeout, int lock_null, int64_t now,
                    char token_out[DAV_LOCK_TOKEN_SIZE], char *conflict_root, size_t crlen);

/*
 * Refreshes the lock `token` that covers `path` (rooted there, or depth
 * infinity above it): a new timeout from now. Calls fn (if not NULL) with
 * the refreshed lock. Returns 0 or DAV_LOCK_ENOLOCK.
 */
int dav_lock_refresh(struct dav_locks *t, const char *path, const char *token,
                     unsigned timeout, int64_t now,
                     void (*fn)(void *cls, const struct dav_lock *l), void *cls);

/* Removes the lock `token` that covers `path`. Returns 0 or
 * DAV_LOCK_ENOLOCK. */
int dav_lock_release(struct dav_locks *t, const char *path, const char *token, int64_t now);

/*
 * May `path` be written with the tokens the caller submitted? The locks
 * that matter: those covering path (rooted there or depth infinity above);
 * those rooted below it when `recursive` (DELETE, MOVE of a folder, COPY
 * or PUT replacing one); and a depth-0 lock on the parent folder when
 * `member` (the write adds or removes a name in it). Each must have its
 * token submitted; for shared locks on one root, one of their tokens is
 * enough. Returns 0, or DAV_LOCK_ECONFLICT with the first lock not
 * satisfied's root in conflict_root (if not NULL; `crlen` bytes).
 */
int dav_lock_check(struct dav_locks *t, const char *path, int recursive, int member,
                   dav_submitted_fn submitted, void *cls, int64_t now,
                   char *conflict_root, size_t crlen);

/* Calls fn for every live lock covering `path` (rooted there, or depth
 * infinity above it), under the table's mutex: fn must not call into t.
 * Returns how many. */
size_t dav_locks_each(struct dav_locks *t, const char *path, int64_t now,
                      void (*fn)(void *cls, const struct dav_lock *l), void *cls);

/* Forgets the locks rooted at `path` and below (DELETE; the source of a
 * MOVE: locks never move with a resource). */
void dav_locks_drop(struct dav_locks *t, const char *path);

/* Locks held now (expired ones dropped first). */
size_t dav_locks_count(struct dav_locks *t, int64_t now);

/*
 * The seconds to grant for a Timeout header value ("Second-600",
 * "Infinite", a comma-separated list of them: the first understood is
 * taken); NULL or nothing understood gives DAV_LOCK_TIMEOUT_DEFAULT. The
 * result is within 1 .. DAV_LOCK_TIMEOUT_MAX. Pure.
 */
unsigned dav_lock_timeout(const char *header);

/* 1 when `a` is a proper ancestor of `b` ("" is the root's path). Pure. */
int dav_path_ancestor(const char *a, const char *b);

#endif
