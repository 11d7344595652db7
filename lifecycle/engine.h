/*
 * engine.h — the lifecycle engine: serialises events, runs the state
 * machine, and carries out its actions through the assertion ledger, the
 * transfer registry, the journal and the server's callbacks.
 *
 * Threads: lc_engine_post() may be called from any thread; one lock
 * serialises every step, and all actions of a step are carried out before it
 * returns (an iOS expiration handler must finish synchronously). The port's
 * slots and the ops below run with that lock held, on the posting thread —
 * which may be the host's main thread, an HTTP worker (a transfer opening)
 * or the port's timer. A slot therefore must return fast, must not call
 * ferry, and must never wait for another thread that may itself be waiting
 * for ferry (an iOS glue must not DispatchQueue.main.sync from a slot: the
 * main thread may be blocked in ferry_host_app_state() on this lock).
 * An input posted while a step runs on the same thread (from an action) is
 * queued and handled right after it.
 */
#ifndef FERRY_LC_ENGINE_H
#define FERRY_LC_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry.h"
#include "machine.h"

struct lc_engine;
struct lc_registry;

/* The server side of the actions; every slot is required. */
struct lc_ops {
    void *ctx;
    /* Close the listening sockets. */
    void (*quiesce)(void *ctx);
    /* Open them again (same port if free). Returns 0 or a negative code. */
    int (*rebind)(void *ctx);
    /* End every open connection (clients then resume by Range). */
    void (*close_connections)(void *ctx);
    /* Withdraw / publish the mDNS record (no-ops until discovery exists). */
    void (*withdraw)(void *ctx);
    void (*readvertise)(void *ctx);
    /* Log a line. */
    void (*log)(void *ctx, enum ferry_log_level level, const char *line);
    /* Whether the listener is open and its accept thread has reported no
     * failure. May be NULL: then "revive" always rebinds. */
    int (*listener_alive)(void *ctx);
};

struct lc_engine_config {
    const ferry_port *port; /* borrowed, must outlive the engine */
    struct lc_ops ops;
    struct lc_registry *registry; /* borrowed */
    int state_dir_fd;       /* journal folder, or -1: nothing persisted */
    unsigned linger_ms;     /* 0 = 1000; FERRY_LINGER_NONE: no linger */
    int silent;             /* FERRY_SUSPEND_SILENT (see lc_machine.silent) */
    int start_in_background; /* start QUIET (nothing bound or published) */
};

/* Creates an engine in FOREGROUND. Returns 0 or FERRY_ENOMEM. */
int lc_engine_new(const struct lc_engine_config *cfg, struct lc_engine **out);

/* Frees it. Accepts NULL. Ends any assertion still held. */
void lc_engine_free(struct lc_engine *e);

/* Handles one input (see the threading note above). Returns 0. */
int lc_engine_post(struct lc_engine *e, enum lc_input in);

/* The machine's current state. */
enum ferry_state lc_engine_state(struct lc_engine *e);

/* The ledger's counters, for status and tests. */
struct lc_ledger_view {
    uint64_t begins, ends, refused;
    size_t held;
};
void lc_engine_ledger(struct lc_engine *e, struct lc_ledger_view *v);

/*
 * Registers a transfer (see lc_registry_open) and tells the machine when it
 * is the first one. Returns the id, or 0 when it could not be registered.
 */
uint64_t lc_engine_transfer_open(struct lc_engine *e, const ferry_transfer *t);

/* Records that `done` bytes of transfer `id` are through (forwarded to
 * lc_registry_progress: unknown ids and 0 are ignored). Callable from any
 * thread; takes only the registry's lock, never the engine's. */
void lc_engine_transfer_progress(struct lc_engine *e, uint64_t id, uint64_t done);

/* Unregisters a finished transfer, and tells the machine when none is left.
 * Accepts id 0. */
void lc_engine_transfer_close(struct lc_engine *e, uint64_t id);

/* The same for a transfer cut before it finished: it stays in the registry
 * as resumable (lc_registry_interrupt), so snapshots keep it. */
void lc_engine_transfer_interrupt(struct lc_engine *e, uint64_t id);

/*
 * Reads the journal into the registry's restored set (cold start). A
 * journal that is corrupt or of a newer version (LC_JOURNAL_ECORRUPT,
 * _EVERSION, a symlink) is ignored and replaced by the next snapshot. Any
 * other error (EPERM/EACCES of a protected file on a locked phone, EIO,
 * ENOMEM) leaves the journal "pending": no snapshot writes or removes it
 * until a later read succeeds; the read is tried again before each
 * snapshot, on FOREGROUND and on lc_engine_retry_restore(). Returns 0 or the
 * error.
 */
int lc_engine_restore(struct lc_engine *e);

/* Retries a pending journal read (protected data became available).
 * Returns 0 (nothing pending, or read now) or the error. */
int lc_engine_retry_restore(struct lc_engine *e);

/* Whether the journal is pending (see lc_engine_restore). */
int lc_engine_journal_pending(struct lc_engine *e);

/*
 * The expiration warning of assertion `id`: when the engine holds it, ends
 * it through the port first (before anything slow), then, if nothing else
 * is held, goes quiet (the EXPIRING input) within the same call. Returns 0
 * when the engine held `id` and has ended it, FERRY_ENOTFOUND when it does
 * not hold it (the caller must end it itself). Any thread; from inside an
 * action on the same thread the end happens at once and the rest is queued.
 */
int lc_engine_expiring(struct lc_engine *e, uint64_t id);

/* Ends every held assertion now (the server is stopping): the slow
 * teardown that follows must not hold one. Returns how many were ended. */
size_t lc_engine_end_all(struct lc_engine *e);

/* Writes the open and restored transfers to the journal now, or removes
 * it when there are none. */
int lc_engine_snapshot(struct lc_engine *e);

#endif
