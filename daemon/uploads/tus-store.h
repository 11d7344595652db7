/*
 * tus-store.h — the resumable (tus) uploads of one server: their records in
 * memory and their files in $STATE/uploads. upload-tus.c speaks the
 * protocol; this module owns what survives a request, a suspension and a
 * kill -9.
 *
 * On disk, per upload (the folder is made 0700 when missing; upload-put.c
 * keeps its own "put-*" part files beside these):
 *   tus-<id>.part   0600, the bytes received; its size is the offset (the
 *                   page cache survives a process kill, so after a kill -9
 *                   the size is what was written)
 *   tus-<id>.info   JSON (jansson), replaced atomically (temporary file
 *                   "tus-<id>.info.tmp", fsync, rename, fsync of the folder):
 *                   {"version": 1, "id", "folder", "name", "length",
 *                    "metadata", "state": "active"|"committing"|"done",
 *                    "stored_as" (done), "verify_from" (a PATCH with
 *                    Upload-Checksum was running: bytes past it are not
 *                    verified), "client" (the creator's address; absent in
 *                    records of older versions)}
 * The last activity is the newer mtime of the two files: an upload expires
 * upload_expiry_s after it (no timer; see tus_store_sweep()).
 *
 * Only unfinished uploads are kept: a finished one leaves the table, and
 * its files, when the request that finished it releases it (or at open).
 * The caps count unfinished uploads only: TUS_STORE_MAX in all, and
 * TUS_CLIENT_MAX per creator address, so one client cannot take every
 * slot. A bounded memory of the last TUS_RECENT_MAX finished uploads
 * (never counted against a cap; their info files stay while they are
 * remembered, and the next open remembers them again) answers a HEAD after
 * a lost final answer, also across a kill -9, with offset == length, as a
 * tus client resuming by its fingerprint expects (else it would upload the
 * file again, and get 409 under --on-conflict refuse).
 *
 * The commit (tus_store_commit) is safe against a kill at any instant:
 * the info says "committing" (durable) before put_commit() moves the part
 * into the tree (fsync, no-replace rename, fsync of the folder) and "done"
 * after. tus_store_open() finishes what a kill cut: a complete part whose
 * info says active or committing is committed again (a target that is the
 * part itself, hard-linked by put_place()'s fallback, counts as done); a
 * committing info without its part is done. So a file in the tree is
 * either absent or complete. No "done" record is written any more: a
 * "committing" info without its part is a finished upload's record (one
 * that says "done", from an older version, is taken the same way).
 *
 * Threads: every function may be called from any thread; one mutex guards
 * the table and the fields marked "guarded". A request that acquired an
 * upload (tus_store_acquire or tus_store_create with `acquire`) is the only
 * writer of its part and info files until tus_store_release(); sweeps and
 * DELETEs leave a busy upload alone, so the pointer stays valid until then.
 * Nothing here takes the lifecycle engine's lock; the registry's lock is
 * taken inside the store's mutex (never the other way round).
 */
#ifndef FERRY_TUS_STORE_H
#define FERRY_TUS_STORE_H

#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "ferry.h"

/* Hex digits of an upload id (128 random bits). */
#define TUS_ID_LEN 32
/* Most unfinished uploads kept at once, in all and per creator address
 * (a folder of 1,024 files dropped on the browser UI creates every upload
 * at once). */
#define TUS_STORE_MAX 4096
#define TUS_CLIENT_MAX 1024
/* Finished uploads remembered for a late HEAD (oldest forgotten first). */
#define TUS_RECENT_MAX 256
/* Room for a client's numeric address (INET6_ADDRSTRLEN) or "-". */
#define TUS_CLIENT_LEN 46

enum tus_state {
    TUS_ACTIVE,     /* receiving bytes (offset < length, or a commit failed
                       and waits for a retry) */
    TUS_COMMITTING, /* on disk only: a commit was cut (recovered at open) */
    TUS_DONE,       /* in place; the record leaves the table at its release
                       (a HEAD after a lost final answer is answered from
                       the memory of recently finished uploads) */
};

struct tus_upload {
    /* set at creation, constant afterwards */
    char id[TUS_ID_LEN + 1];
    char *folder;            /* target folder below the root ("" for the
                                root), as made by paths_decode; owned */
    char name[NAME_MAX + 1]; /* target file name */
    char *metadata;          /* raw Upload-Metadata ("" when none); owned */
    uint64_t length;         /* Upload-Length */
    char client[TUS_CLIENT_LEN]; /* the creator's address, "" when unknown
                                (a record of an older version) */
    /* guarded by the store's mutex */
    uint64_t offset;         /* bytes stored and verified */
    time_t expires;          /* wall clock */
    enum tus_state state;
    char *stored_as;         /* done: the file's path below the root, or
                                NULL when a kill hid the name; owned */
    int busy;                /* acquired by a request */
    int terminated;          /* DELETEd while busy: gone for every other
                                request, removed when the holder releases */
    /* written only by the holder (busy) */
    int64_t verify_from;     /* -1, or where the running checksummed PATCH
                                started (the info says so on disk) */
};

/* A copy of an upload's state, for answers. Strings owned, freed by
 * tus_view_free(). */
struct tus_view {
    char id[TUS_ID_LEN + 1];
    uint64_t length, offset;
    time_t expires;
    int done;
    int busy;
    char *metadata;  /* "" when none */
    char *stored_as; /* NULL unless done and known */
};

/* Frees the strings of a view (not the view). Accepts a zeroed view. */
void tus_view_free(struct tus_view *v);

/* What a creation needs; every string is copied. */
struct tus_new {
    const char *folder;   /* below the root, "" for the root */
    const char *name;
    const char *metadata; /* raw header, or NULL */
    const char *client;   /* the creator's numeric address, or NULL */
    uint64_t length;
};

/*
 * Creates an upload: a fresh id (getentropy), an empty part file and its
 * info, durable before it returns. Sweeps expired uploads first. With
 * `acquire` the upload is returned busy in *held (for a body sent with the
 * creation; release it with tus_store_release()), else *held is NULL.
 * Fills *v (free with tus_view_free()). Returns 0, -EMFILE (TUS_STORE_MAX
 * unfinished uploads exist), -EUSERS (n->client has TUS_CLIENT_MAX
 * unfinished uploads), -ENOSPC/-EDQUOT, -ENOMEM or another -errno; nothing
 * is left on disk on failure.
 */
int tus_store_create(struct tus_store *s, const struct tus_new *n, int acquire,
                     struct tus_view *v, struct tus_upload **held);

/*
 * Copies the state of upload `id` into *v: an unfinished upload, or one
 * finished lately (v->done, offset == length). An expired upload that
 * nobody holds is removed first. Returns 0, or -ENOENT (unknown, expired,
 * finished and forgotten, or malformed id) with *v zeroed.
 */
int tus_store_view(struct tus_store *s, const char *id, struct tus_view *v);

/*
 * Takes upload `id` for writing: marks it busy and counts as activity.
 * Returns 0 with *u set, -ENOENT (unknown, expired or finished) or -EBUSY
 * (another request holds it). Release with tus_store_release().
 */
int tus_store_acquire(struct tus_store *s, const char *id, struct tus_upload **u);

/* Gives an acquired upload back (activity: its expiry moves on). A
 * finished upload leaves the table here (u is freed): it is remembered
 * among the recently finished ones. */
void tus_store_release(struct tus_store *s, struct tus_upload *u);

/* The current offset and expiry of an acquired upload (guarded fields). */
void tus_store_state(struct tus_store *s, const struct tus_upload *u, uint64_t *offset,
                     time_t *expires);

/* Records the offset of an acquired upload (bytes stored and verified). */
void tus_store_set_offset(struct tus_store *s, struct tus_upload *u, uint64_t offset);

/*
 * Opens the part file of an acquired upload for writing, positioned at its
 * offset (O_WRONLY, no O_APPEND, so that it can be truncated back); bytes
 * past the offset (never acknowledged) are cut off. Returns the fd (owned
 * by the caller), -EIO when the part is shorter than the offset, or -errno.
 */
int tus_store_open_part(struct tus_store *s, const struct tus_upload *u);

/*
 * Records durably (info rewritten) that a checksummed PATCH starts at
 * `from` (from >= 0), or that none runs (from -1): a kill then truncates
 * the part back to `from` at the next open. Returns 0 or -errno.
 */
int tus_store_set_verify(struct tus_store *s, struct tus_upload *u, int64_t from);

/*
 * Moves the complete part file of an acquired upload into the tree as the
 * conflict policy says (upload-put.h: put_commit; a name taken since the
 * creation under "refuse", or now a folder, gives the keep-both name
 * instead: the bytes are never lost), with the kill-safe ordering described
 * above. On success the upload is done and u->stored_as set (the record
 * leaves the table at tus_store_release()). Returns 0, or
 * -ENOENT (the folder is gone), -EEXIST (every keep-both name is taken),
 * -ENOSPC/-EDQUOT, -EIO (the part is not complete) or another -errno; the
 * upload then stays active with its part, for a retry; -ECANCELED when it
 * was terminated (nothing is moved).
 */
int tus_store_commit(struct tus_store *s, struct tus_upload *u);

/*
 * Terminates upload `id` (DELETE): part, info and record are removed, and
 * its resumable entry in the registry; a recently finished one is
 * forgotten (its stored file stays). An upload a request holds (a PATCH
 * being written) is terminated at once for every other request (404 from
 * now on) and its files removed (the holder's fd writes on into an
 * unlinked file); its record goes when the holder releases it, and
 * tus_store_terminated() tells the holder to stop. Returns 0 or -ENOENT.
 */
int tus_store_remove(struct tus_store *s, const char *id);

/* Whether the acquired upload u was terminated (DELETE) since: its holder
 * should stop writing it; its bytes go when it is released. */
int tus_store_terminated(struct tus_store *s, const struct tus_upload *u);

/*
 * Fills *t with the upload's transfer for the lifecycle's registry:
 * direction FERRY_UPLOAD, path "/" folder "/" name, validator "tus:<id>",
 * first 0, last length - 1 (0 when length is 0), total length, done
 * `done`. Other fields zeroed.
 */
void tus_store_transfer(const struct tus_upload *u, uint64_t done, ferry_transfer *t);

/*
 * The store of uploads, one per server:
 * tus_store_open() at server start, after the lifecycle engine has read the
 * journal, reads $STATE/uploads (finishing a commit cut by a kill, undoing a
 * cut checksummed PATCH, removing expired uploads and orphans, registering
 * the unfinished ones as resumable); *out is NULL, and 0 returned, without
 * a state folder or with --read-only (tus requests then get 503 / 403).
 * Returns 0, FERRY_ENOMEM or -errno (logged). tus_store_sweep() removes
 * expired uploads (called at start, on creation and on resume: no timer,
 * so no idle wake-ups); accepts NULL. tus_store_free() at server stop, once
 * no request and no event can reach the store; accepts NULL.
 */
struct ferry_server;
int tus_store_open(struct ferry_server *srv, struct tus_store **out);
void tus_store_sweep(struct tus_store *s);
void tus_store_free(struct tus_store *s);

#endif
