/*
 * engine.c — the lifecycle engine: one lock, one state machine, and the
 * carrying out of its actions (assertions through the ledger and the port,
 * snapshots through the registry and the journal, everything else through
 * the server's ops).
 *
 * A step is: read the facts, step the machine, carry out every action in
 * order. A refused BEGIN_ASSERTION feeds LC_IN_BEGIN_FAILED within the same
 * post, before any other queued input, so that the app goes quiet before the
 * call returns.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "journal.h"
#include "ledger.h"
#include "registry.h"

#define QUEUE_MAX 16

struct lc_engine {
    pthread_mutex_t lock;       /* recursive: an action may post */
    int busy;                   /* a step is running on the lock owner */
    enum lc_input queue[QUEUE_MAX];
    size_t qhead, qn;
    struct lc_machine m;
    struct lc_ledger ledger;
    struct lc_engine_config cfg;
    uint64_t linger_deadline;   /* port clock; 0 when no linger runs */
    int journal_pending;        /* the journal could not be read for a
                                   passing reason: keep it (D6) */
};

static const char *const state_names[] = {
    [FERRY_STATE_FOREGROUND] = "foreground", [FERRY_STATE_FINISHING] = "finishing",
    [FERRY_STATE_LINGER] = "linger",         [FERRY_STATE_QUIET] = "quiet",
    [FERRY_STATE_SUSPENDED] = "suspended",   [FERRY_STATE_TERMINATED] = "terminated",
};

const char *ferry_state_name(enum ferry_state st)
{
    if ((unsigned)st < sizeof state_names / sizeof *state_names && state_names[st])
        return state_names[st];
    return "?";
}

const char *ferry_event_name(enum ferry_event ev)
{
    return lc_input_name((enum lc_input)ev);
}

/* Formats a line for the server's log. */
static void elog(const struct lc_engine *e, enum ferry_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void elog(const struct lc_engine *e, enum ferry_log_level level, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (!e->cfg.ops.log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    e->cfg.ops.log(e->cfg.ops.ctx, level, line);
}

int lc_engine_new(const struct lc_engine_config *cfg, struct lc_engine **out)
{
    struct lc_engine *e = calloc(1, sizeof *e);
    pthread_mutexattr_t attr;

    *out = NULL;
    if (!e)
        return FERRY_ENOMEM;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&e->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    e->cfg = *cfg;
    if (!e->cfg.linger_ms)
        e->cfg.linger_ms = 1000;
    if (e->cfg.start_in_background)
        lc_machine_init_background(&e->m);
    else
        lc_machine_init(&e->m);
    e->m.silent = e->cfg.silent != 0;
    e->m.no_linger = e->cfg.linger_ms == FERRY_LINGER_NONE;
    lc_ledger_init(&e->ledger);
    *out = e;
    return 0;
}

void lc_engine_free(struct lc_engine *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    if (e->ledger.n) /* never leave an assertion to the watchdog */
        lc_ledger_end_all(&e->ledger, e->cfg.port);
    if (e->linger_deadline)
        e->cfg.port->arm_timer(e->cfg.port->ctx, 0);
    pthread_mutex_unlock(&e->lock);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

/*
 * Writes the open and restored transfers that can resume to the journal
 * (a PUT cannot: lc_transfer_resumable), or removes it when there are
 * none: the registry is the truth, and finished transfers must not come
 * back after a relaunch. Lock held. Returns 0 or a negative code.
 */
static int restore_locked(struct lc_engine *e);

static int snapshot_locked(struct lc_engine *e)
{
    ferry_transfer *list = NULL;
    size_t n = 0;
    struct timespec t0, t1;
    int rc;

    if (e->cfg.state_dir_fd < 0)
        return 0;
    if (e->journal_pending && restore_locked(e) < 0 && e->journal_pending) {
        elog(e, FERRY_LOG_WARN, "lifecycle: the journal in the state folder still cannot be "
             "read; it is kept as it is, and this snapshot is not written");
        return FERRY_ESTATE;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = lc_registry_snapshot(e->cfg.registry, 1, &list, &n);
    if (rc == 0)
        lc_transfers_keep_resumable(list, &n);
    if (rc == 0)
        rc = n ? lc_journal_save(e->cfg.state_dir_fd, list, n,
                                 e->cfg.port->now_ms(e->cfg.port->ctx))
               : lc_journal_remove(e->cfg.state_dir_fd);
    free(list);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc < 0)
        elog(e, FERRY_LOG_ERROR, "lifecycle: cannot write the journal of %zu transfers "
             "in the state folder: %s", n, ferry_strerror(rc));
    else
        elog(e, FERRY_LOG_DEBUG, "lifecycle: journal of %zu transfers written in %.2f ms", n,
             (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    return rc;
}

/* Reads the journal into the registry's restored set. Lock held. */
static int restore_locked(struct lc_engine *e)
{
    ferry_transfer *list = NULL;
    size_t n = 0;
    uint64_t saved = 0;
    int rc;

    if (e->cfg.state_dir_fd < 0)
        return 0;
    rc = lc_journal_load(e->cfg.state_dir_fd, &list, &n, &saved);
    if (rc == LC_JOURNAL_ECORRUPT || rc == LC_JOURNAL_EVERSION || rc == -ELOOP) {
        elog(e, FERRY_LOG_WARN, "lifecycle: the journal in the state folder is corrupt "
             "(%s); ignoring it", rc == LC_JOURNAL_ECORRUPT ? "bad checksum or content"
             : rc == LC_JOURNAL_EVERSION ? "written by a newer ferry" : ferry_strerror(rc));
        e->journal_pending = 0;
        return rc;
    }
    if (rc < 0) { /* EPERM on a locked phone, EIO, ENOMEM: it may read later */
        if (!e->journal_pending)
            elog(e, FERRY_LOG_WARN, "lifecycle: the journal in the state folder cannot be "
                 "read now (%s); it is kept and read again later", ferry_strerror(rc));
        e->journal_pending = 1;
        return rc;
    }
    if (e->journal_pending)
        elog(e, FERRY_LOG_INFO, "lifecycle: the journal in the state folder can be read again");
    e->journal_pending = 0;
    lc_transfers_keep_resumable(list, &n); /* a PUT in an older version's journal */
    rc = lc_registry_set_restored(e->cfg.registry, list, n);
    free(list);
    if (rc == 0 && n)
        elog(e, FERRY_LOG_INFO, "lifecycle: restored %zu transfer%s from the journal", n,
             n == 1 ? "" : "s");
    return rc;
}

/* Carries out one action. Returns 1 when a begin was refused. Lock held. */
static int act(struct lc_engine *e, enum lc_action a)
{
    const ferry_port *p = e->cfg.port;
    const struct lc_ops *ops = &e->cfg.ops;
    int rc;

    switch (a) {
    case LC_ACT_BEGIN_ASSERTION:
        rc = lc_ledger_begin(&e->ledger, p, FERRY_ASSERTION_FINISH_UP, "ferry: finish transfers");
        if (rc < 0) {
            elog(e, FERRY_LOG_WARN, "lifecycle: the OS refused background time (%s); "
                 "going quiet now", ferry_strerror(rc));
            return 1;
        }
        return 0;
    case LC_ACT_END_ASSERTIONS:
        lc_ledger_end_all(&e->ledger, p);
        return 0;
    case LC_ACT_ARM_LINGER:
        e->linger_deadline = p->now_ms(p->ctx) + e->cfg.linger_ms;
        p->arm_timer(p->ctx, e->linger_deadline);
        return 0;
    case LC_ACT_DISARM_TIMER:
        e->linger_deadline = 0;
        p->arm_timer(p->ctx, 0);
        return 0;
    case LC_ACT_SNAPSHOT:
        snapshot_locked(e);
        return 0;
    case LC_ACT_QUIESCE:
        ops->quiesce(ops->ctx);
        return 0;
    case LC_ACT_CLOSE_CONNECTIONS:
        ops->close_connections(ops->ctx);
        return 0;
    case LC_ACT_WITHDRAW:
        ops->withdraw(ops->ctx);
        return 0;
    case LC_ACT_REBIND:
        rc = ops->rebind(ops->ctx);
        if (rc < 0)
            elog(e, FERRY_LOG_ERROR, "lifecycle: cannot listen again after resume: %s",
                 ferry_strerror(rc));
        return 0;
    case LC_ACT_READVERTISE:
        ops->readvertise(ops->ctx);
        return 0;
    case LC_ACT_RESTORE:
        restore_locked(e);
        return 0;
    case LC_ACT_REVIVE:
        if (ops->listener_alive && ops->listener_alive(ops->ctx))
            return 0;
        elog(e, FERRY_LOG_INFO, "lifecycle: the listener is not known to be alive: "
             "listening again");
        rc = ops->rebind(ops->ctx);
        if (rc < 0)
            elog(e, FERRY_LOG_ERROR, "lifecycle: cannot listen again: %s", ferry_strerror(rc));
        ops->readvertise(ops->ctx);
        return 0;
    }
    return 0;
}

/* One machine step and its actions. Lock held. */
static void step(struct lc_engine *e, enum lc_input in)
{
    struct lc_facts f = {.open_transfers = lc_registry_open_count(e->cfg.registry)};
    enum ferry_state before = e->m.state;
    struct lc_actions acts;
    char trace[256] = "";
    size_t used = 0;
    int refused = 0;

    if (in == LC_IN_TIMER) {
        const ferry_port *p = e->cfg.port;

        /* A stale timer (re-armed or disarmed since) means nothing. */
        if (!e->linger_deadline || p->now_ms(p->ctx) < e->linger_deadline)
            return;
        e->linger_deadline = 0;
    }
    /* Opens and closes race on their way here: trust the count. */
    if (in == LC_IN_TRANSFER_OPENED && f.open_transfers == 0)
        in = LC_IN_TRANSFERS_IDLE;
    else if (in == LC_IN_TRANSFERS_IDLE && f.open_transfers > 0)
        in = LC_IN_TRANSFER_OPENED;
    lc_machine_step(&e->m, in, &f, &acts);
    for (size_t i = 0; i < acts.n; i++) {
        int w = snprintf(trace + used, sizeof trace - used, " %s", lc_action_name(acts.v[i]));

        if (w > 0 && (size_t)w < sizeof trace - used)
            used += (size_t)w;
    }
    elog(e, before != e->m.state ? FERRY_LOG_INFO : FERRY_LOG_DEBUG,
         "lifecycle: %s: %s -> %s%s%s", lc_input_name(in), ferry_state_name(before),
         ferry_state_name(e->m.state), acts.n ? ";" : "", trace);
    for (size_t i = 0; i < acts.n; i++)
        refused |= act(e, acts.v[i]);
    if (in == LC_IN_FOREGROUND && e->journal_pending)
        restore_locked(e); /* unlocked by now, most likely */
    if (refused) {
        step(e, LC_IN_BEGIN_FAILED); /* before anything else queued */
        return;
    }
    /* Only FINISHING and LINGER may hold anything: whatever the machine
     * knows of, the ledger is the truth about what the OS granted. */
    if (e->ledger.n && e->m.state != FERRY_STATE_FINISHING &&
        e->m.state != FERRY_STATE_LINGER) {
        elog(e, FERRY_LOG_WARN, "lifecycle: %zu assertion(s) left held in state %s: ending them",
             e->ledger.n, ferry_state_name(e->m.state));
        lc_ledger_end_all(&e->ledger, e->cfg.port);
    }
}

/* Queues `in` behind the running step (lock held, busy). */
static void enqueue(struct lc_engine *e, enum lc_input in)
{
    if (e->qn < QUEUE_MAX)
        e->queue[(e->qhead + e->qn++) % QUEUE_MAX] = in;
    else
        elog(e, FERRY_LOG_ERROR, "lifecycle: event queue full, %s dropped",
             lc_input_name(in));
}

/* Steps `in` and then everything queued meanwhile. Lock held, not busy. */
static void run(struct lc_engine *e, enum lc_input in)
{
    e->busy = 1;
    step(e, in);
    while (e->qn) {
        enum lc_input next = e->queue[e->qhead];

        e->qhead = (e->qhead + 1) % QUEUE_MAX;
        e->qn--;
        step(e, next);
    }
    e->busy = 0;
}

int lc_engine_post(struct lc_engine *e, enum lc_input in)
{
    pthread_mutex_lock(&e->lock);
    if (e->busy) /* posted by an action on this thread: run it next */
        enqueue(e, in);
    else
        run(e, in);
    pthread_mutex_unlock(&e->lock);
    return 0;
}

int lc_engine_expiring(struct lc_engine *e, uint64_t id)
{
    int found;

    pthread_mutex_lock(&e->lock);
    found = lc_ledger_end_one(&e->ledger, e->cfg.port, id);
    if (found)
        elog(e, FERRY_LOG_INFO, "lifecycle: assertion %llu expiring: ended it%s",
             (unsigned long long)id, e->ledger.n ? "; others are still held" : "");
    if (found && e->ledger.n == 0) {
        if (e->busy)
            enqueue(e, LC_IN_EXPIRING);
        else
            run(e, LC_IN_EXPIRING);
    }
    pthread_mutex_unlock(&e->lock);
    return found ? 0 : FERRY_ENOTFOUND;
}

size_t lc_engine_end_all(struct lc_engine *e)
{
    size_t n;

    pthread_mutex_lock(&e->lock);
    n = e->ledger.n;
    if (n) {
        elog(e, FERRY_LOG_INFO, "lifecycle: stopping: ending %zu assertion%s first", n,
             n == 1 ? "" : "s");
        lc_ledger_end_all(&e->ledger, e->cfg.port);
    }
    pthread_mutex_unlock(&e->lock);
    return n;
}

enum ferry_state lc_engine_state(struct lc_engine *e)
{
    enum ferry_state st;

    pthread_mutex_lock(&e->lock);
    st = e->m.state;
    pthread_mutex_unlock(&e->lock);
    return st;
}

void lc_engine_ledger(struct lc_engine *e, struct lc_ledger_view *v)
{
    pthread_mutex_lock(&e->lock);
    v->begins = e->ledger.begins;
    v->ends = e->ledger.ends;
    v->refused = e->ledger.refused;
    v->held = e->ledger.n;
    pthread_mutex_unlock(&e->lock);
}

uint64_t lc_engine_transfer_open(struct lc_engine *e, const ferry_transfer *t)
{
    uint64_t id = 0;
    int was_idle = 0;

    if (lc_registry_open(e->cfg.registry, t, &id, &was_idle) < 0)
        return 0;
    if (was_idle)
        lc_engine_post(e, LC_IN_TRANSFER_OPENED);
    return id;
}

void lc_engine_transfer_progress(struct lc_engine *e, uint64_t id, uint64_t done)
{
    if (id)
        lc_registry_progress(e->cfg.registry, id, done);
}

void lc_engine_transfer_close(struct lc_engine *e, uint64_t id)
{
    if (id && lc_registry_close(e->cfg.registry, id) == 0)
        lc_engine_post(e, LC_IN_TRANSFERS_IDLE);
}

void lc_engine_transfer_interrupt(struct lc_engine *e, uint64_t id)
{
    if (id && lc_registry_interrupt(e->cfg.registry, id) == 0)
        lc_engine_post(e, LC_IN_TRANSFERS_IDLE);
}

int lc_engine_restore(struct lc_engine *e)
{
    int rc;

    pthread_mutex_lock(&e->lock);
    if (e->cfg.state_dir_fd >= 0 && lc_journal_clean_temp(e->cfg.state_dir_fd) > 0)
        elog(e, FERRY_LOG_INFO, "lifecycle: removed the temporary journal of an interrupted save");
    rc = restore_locked(e);
    pthread_mutex_unlock(&e->lock);
    return rc;
}

int lc_engine_retry_restore(struct lc_engine *e)
{
    int rc = 0;

    pthread_mutex_lock(&e->lock);
    if (e->journal_pending)
        rc = restore_locked(e);
    pthread_mutex_unlock(&e->lock);
    return rc;
}

int lc_engine_journal_pending(struct lc_engine *e)
{
    int p;

    pthread_mutex_lock(&e->lock);
    p = e->journal_pending;
    pthread_mutex_unlock(&e->lock);
    return p;
}

int lc_engine_snapshot(struct lc_engine *e)
{
    int rc;

    pthread_mutex_lock(&e->lock);
    rc = snapshot_locked(e);
    pthread_mutex_unlock(&e->lock);
    return rc;
}
