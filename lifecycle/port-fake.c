/*
 * port-fake.c — the fake OS (ferry_fake_os_*): a ferry_port for hosts
 * without a phone that plays iOS's rules against a virtual clock.
 *
 * It owns: the virtual clock; the table of assertions the process holds and
 * their deadlines (finish-up budget and expiration warning, continued-
 * processing stall); the one timer of the port; the watchdog that records a
 * kill (and reports it through on_kill); suspension, resumption and socket
 * reclaim; failure injection of begin; and the event log.
 *
 * Rules it enforces, and where it departs from iOS:
 *  - A finish-up assertion gets its warning (FERRY_EVENT_EXPIRING, once) at
 *    begun + budget - warning (at begun when warning >= budget) and is a
 *    kill if still held at begun + budget, or warning_ms after a warning
 *    forced early by ferry_fake_os_expire(), whichever comes first.
 *  - A continued-processing assertion gets its warning when no progress was
 *    reported for stall_ms (counted from the begin, then from the last
 *    report), and is a kill if still held warning_ms after that.
 *  - iOS kills an app that begins a task inside or after an expiration
 *    handler. The fake cannot see FOREGROUND (the host posts it directly),
 *    so it enforces only the first half: a begin made on the thread that is
 *    posting an EXPIRING, while that post runs (i.e. from inside the
 *    handler, also nested deeper), is a kill. A begin from another thread at
 *    that moment is not (iOS runs the handler on the main thread; the fake
 *    cannot tell which thread is "main").
 *  - Suspending with an assertion still held is a kill (iOS would not
 *    suspend but let it expire and then kill; the outcome is the same).
 *  - A suspended app runs nothing: the clock may be advanced, but no
 *    warning, timer or watchdog fires until ferry_fake_os_resume(); what fell
 *    due meanwhile fires on the next ferry_fake_os_advance() (advance by 0
 *    is enough). Begins are refused while suspended.
 *  - After a kill the process is dead: the clock stops, nothing fires, every
 *    call is ignored (begin returns -ESRCH, expire/suspend/resume
 *    FERRY_ESTATE, advance 0) except free, stats, now and log. on_kill is
 *    called once, on the thread that caught the kill, without the fake's
 *    lock but possibly from inside a slot (ferry's lifecycle lock held, for
 *    a begin inside the handler): it must not call ferry_server_*().
 *
 * Counters (ferry_fake_os_stats): begins counts granted begins, ends valid
 * ends, held the assertions begun and not ended; so begins == ends + held
 * always. After a kill, held stays at what the process died holding (a dead
 * process ends nothing). kills is 0 or 1. expirations counts assertions
 * whose warning fired (each at most once). reclaimed_sockets counts sockets
 * shut down by reclaim. Violations (ending or reporting progress on an id
 * that is not held) are only in the log: the public stats have no field.
 *
 * The log, one line per event, "t=<ms> <what>":
 *   begin 1 finish-up 'transfers'      begin refused: continued 'x' (why)
 *   end 1                              progress 2 512/1024 (coalesced)
 *   timer armed for t=1500             timer disarmed        timer fired
 *   expiration warning: ...            expiration: ... (continued stall)
 *   expiration warning (forced): ...   will-suspend   suspended   resumed
 *   reclaimed 3 sockets                kill: <why>
 *   violation: end of unknown assertion 7
 *   post of timer returned -1004       (the server refused a post)
 *
 * Threads: one mutex guards the state. It is never held while posting an
 * event or calling on_kill: ferry_server_post_event() calls back into the
 * slots on the same thread. The drivers (advance, expire, suspend, resume)
 * are serialised among themselves (a second caller waits; the same thread
 * may nest, e.g. from inside a post), so concurrent advances add up and
 * their events come out in time order. The slots never wait for a driver.
 * Drivers must not be called from inside a slot (a slot runs under ferry's
 * lifecycle lock, and a driver posts).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry.h"
#include "sysio.h"

#define FAKE_BUDGET_MS 30000
#define FAKE_WARNING_MS 5000
#define FAKE_STALL_MS 10000
#define FAKE_PROGRESS_LOG_MS 1000 /* at most one progress line per this */
#define FAKE_LOG_MAX (4u << 20)   /* past this, the oldest half is dropped */
#define FAKE_FD_SCAN_MAX 65536

#if defined(__GNUC__)
#define FAKE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define FAKE_PRINTF(f, a)
#endif

/* One assertion the process holds. */
struct fake_assertion {
    uint64_t id;
    enum ferry_assertion_kind kind;
    char reason[48];
    uint64_t begun_ms;
    uint64_t progress_ms;        /* last progress report; begun_ms before */
    uint64_t progress_logged_ms; /* when a progress line was last logged */
    int progress_logged;         /* whether one was */
    int warned;                  /* the expiration warning fired */
    uint64_t warned_ms;
};

/* What falls due next (see next_due()). Order on a tie: warning, timer, kill. */
enum due_class { DUE_WARNING = 0, DUE_TIMER = 1, DUE_KILL = 2, DUE_NONE = 3 };

struct ferry_fake_os {
    pthread_mutex_t lock;
    pthread_cond_t drive_cv;
    /* Constant after ferry_fake_os_new(). */
    ferry_port port;
    ferry_fake_os_config cfg; /* with the defaults filled in */
    /* Guarded by lock. */
    ferry_server *srv;
    uint64_t now;
    uint64_t timer_at; /* 0 = disarmed */
    uint64_t next_id;
    uint64_t begin_calls; /* every begin_assertion call while alive */
    struct fake_assertion *held;
    size_t n_held, cap_held;
    ferry_fake_os_stats st;
    int dead;
    char why[256]; /* the kill's reason; written once */
    pthread_t drive_owner; /* valid while drive_depth > 0 */
    unsigned drive_depth;
    unsigned expiring_depth; /* EXPIRING posts running on drive_owner */
    int hung;                /* ferry_fake_os_hang(): posts are not delivered */
    int silent;              /* the current suspension was not announced */
    char *log;
    size_t log_len, log_cap;
    uint64_t log_dropped; /* lines dropped from the front (FAKE_LOG_MAX) */
    int log_oom;          /* a line was lost to an allocation failure */
};

/* Name of an assertion kind in the log and in kill reasons. */
static const char *kind_name(enum ferry_assertion_kind kind)
{
    return kind == FERRY_ASSERTION_CONTINUED ? "continued" : "finish-up";
}

/* Name of an event the fake posts (the library's table is not linked in the
 * unit test). */
static const char *event_name(enum ferry_event ev)
{
    switch (ev) {
    case FERRY_EVENT_EXPIRING:
        return "expiring";
    case FERRY_EVENT_WILL_SUSPEND:
        return "will-suspend";
    case FERRY_EVENT_RESUMED:
        return "resumed";
    case FERRY_EVENT_TIMER:
        return "timer";
    default:
        return "other";
    }
}

/* a + b, saturating at UINT64_MAX. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The smaller of a and b. */
static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/*
 * Drops the oldest half of the log (whole lines) to keep it under
 * FAKE_LOG_MAX, counting the lines dropped. Lock held.
 */
static void log_trim(struct ferry_fake_os *os)
{
    const char *cut = memchr(os->log + os->log_len / 2, '\n',
                             os->log_len - os->log_len / 2);
    size_t keep_from = cut ? (size_t)(cut - os->log) + 1 : os->log_len;

    for (size_t i = 0; i < keep_from; i++)
        if (os->log[i] == '\n')
            os->log_dropped++;
    memmove(os->log, os->log + keep_from, os->log_len - keep_from);
    os->log_len -= keep_from;
    os->log[os->log_len] = '\0';
}

/*
 * Appends "t=<now> <what>\n" to the log. On allocation failure the line is
 * lost and log_oom set (the log then says so). Lock held.
 */
static void FAKE_PRINTF(2, 3) log_line(struct ferry_fake_os *os,
                                       const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n = snprintf(line, sizeof line, "t=%llu ",
                     (unsigned long long)os->now);

    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    line[len++] = '\n';
    line[len] = '\0';

    if (os->log_len + len + 1 > os->log_cap) {
        if (os->log_len + len + 1 > FAKE_LOG_MAX && os->log_len > 0)
            log_trim(os);
        size_t cap = os->log_cap ? os->log_cap : 4096;
        while (cap < os->log_len + len + 1)
            cap *= 2;
        if (cap != os->log_cap) {
            char *p = realloc(os->log, cap);
            if (!p) {
                os->log_oom = 1;
                return;
            }
            os->log = p;
            os->log_cap = cap;
        }
    }
    memcpy(os->log + os->log_len, line, len + 1);
    os->log_len += len;
}

/* Index of held assertion `id`, or -1. Lock held. */
static long find_held(const struct ferry_fake_os *os, uint64_t id)
{
    for (size_t i = 0; i < os->n_held; i++)
        if (os->held[i].id == id)
            return (long)i;
    return -1;
}

/*
 * Records a kill with reason `why`: logs it, counts it, and marks the
 * process dead. The caller calls notify_kill() after releasing the lock.
 * Lock held; the process is alive.
 */
static void do_kill(struct ferry_fake_os *os, const char *why)
{
    snprintf(os->why, sizeof os->why, "%s", why);
    log_line(os, "kill: %s", os->why);
    os->st.kills++;
    os->dead = 1;
}

/* Calls on_kill for the kill this thread recorded. Lock NOT held. */
static void notify_kill(struct ferry_fake_os *os)
{
    if (os->cfg.on_kill)
        os->cfg.on_kill(os->cfg.kill_user, os->why);
}

/*
 * Becomes the driver (advance/expire/suspend/resume), waiting while another
 * thread is one; the same thread may nest. Lock held.
 */
static void drive_enter(struct ferry_fake_os *os)
{
    pthread_t self = pthread_self();

    while (os->drive_depth > 0 && !pthread_equal(os->drive_owner, self))
        pthread_cond_wait(&os->drive_cv, &os->lock);
    os->drive_owner = self;
    os->drive_depth++;
}

/* Leaves drive_enter(). Lock held. */
static void drive_leave(struct ferry_fake_os *os)
{
    if (--os->drive_depth == 0)
        pthread_cond_broadcast(&os->drive_cv);
}

/*
 * Posts `ev` to the attached server with the lock released, then takes it
 * again; with no server attached the event is only logged (by the caller).
 * The state may have changed when it returns (the post calls the slots).
 * Lock held, and this thread is the driver.
 */
static void post(struct ferry_fake_os *os, enum ferry_event ev)
{
    ferry_server *srv = os->srv;

    if (!srv)
        return;
    if (os->hung) { /* the app's main thread is blocked: nothing is handled */
        log_line(os, "%s not delivered: the app is hung", event_name(ev));
        return;
    }
    if (ev == FERRY_EVENT_EXPIRING)
        os->expiring_depth++;
    pthread_mutex_unlock(&os->lock);
    int rc = ferry_server_post_event(srv, ev);
    pthread_mutex_lock(&os->lock);
    if (ev == FERRY_EVENT_EXPIRING)
        os->expiring_depth--;
    if (rc != 0 && !os->dead)
        log_line(os, "post of %s returned %d", event_name(ev), rc);
}

/*
 * Delivers the expiration of assertion `id` as an iOS glue does: calls
 * ferry_host_assertion_expiring(srv, id) with the lock released (inside a
 * counted "expiring" post, so a begin from inside it is a kill); when it
 * answers that ferry does not hold `id`, the glue ends it itself (logged
 * "glue ended"). Lock held, this thread is the driver.
 */
static void deliver_expiring_id(struct ferry_fake_os *os, uint64_t id)
{
    ferry_server *srv = os->srv;
    int rc;

    if (!srv)
        return;
    if (os->hung) {
        log_line(os, "expiring %llu not delivered: the app is hung", (unsigned long long)id);
        return;
    }
    os->expiring_depth++;
    pthread_mutex_unlock(&os->lock);
    rc = ferry_host_assertion_expiring(srv, id);
    pthread_mutex_lock(&os->lock);
    os->expiring_depth--;
    if (rc == 0 || os->dead)
        return;
    long i = find_held(os, id);
    log_line(os, "ferry does not hold %llu (%d): the glue ends it", (unsigned long long)id, rc);
    if (i >= 0) {
        os->held[i] = os->held[--os->n_held];
        os->st.ends++;
        os->st.held = os->n_held;
        log_line(os, "glue ended %llu", (unsigned long long)id);
    }
}

/* When assertion `a` gets its expiration warning; `a` is not warned. */
static uint64_t warn_at(const struct ferry_fake_os *os,
                        const struct fake_assertion *a)
{
    if (a->kind == FERRY_ASSERTION_CONTINUED)
        return add_sat(a->progress_ms, os->cfg.stall_ms);
    uint64_t lead = min_u64(os->cfg.warning_ms, os->cfg.finish_up_budget_ms);
    return add_sat(a->begun_ms, os->cfg.finish_up_budget_ms - lead);
}

/* When the watchdog kills over assertion `a`, or UINT64_MAX for never yet. */
static uint64_t kill_at(const struct ferry_fake_os *os,
                        const struct fake_assertion *a)
{
    uint64_t t = UINT64_MAX;

    if (a->kind == FERRY_ASSERTION_FINISH_UP)
        t = add_sat(a->begun_ms, os->cfg.finish_up_budget_ms);
    if (a->warned)
        t = min_u64(t, add_sat(a->warned_ms, os->cfg.warning_ms));
    return t;
}

/*
 * Finds the earliest thing due at or before `limit`: sets *at, *idx (the
 * assertion, for a warning or a kill) and returns its class, or DUE_NONE.
 * Ties go warning, timer, kill, then by assertion id. Lock held.
 */
static enum due_class next_due(const struct ferry_fake_os *os, uint64_t limit,
                               uint64_t *at, size_t *idx)
{
    enum due_class best = DUE_NONE;
    uint64_t best_at = 0, best_id = 0;

    for (size_t i = 0; i < os->n_held; i++) {
        const struct fake_assertion *a = &os->held[i];
        uint64_t t = a->warned ? kill_at(os, a) : warn_at(os, a);
        enum due_class c = a->warned ? DUE_KILL : DUE_WARNING;
        if (t > limit)
            continue;
        if (best == DUE_NONE || t < best_at || (t == best_at && c < best) ||
            (t == best_at && c == best && a->id < best_id)) {
            best = c;
            best_at = t;
            best_id = a->id;
            *idx = i;
        }
    }
    if (os->timer_at != 0 && os->timer_at <= limit &&
        (best == DUE_NONE || os->timer_at < best_at ||
         (os->timer_at == best_at && DUE_TIMER < best))) {
        best = DUE_TIMER;
        best_at = os->timer_at;
    }
    *at = best_at;
    return best;
}

/* Logs the expiration of assertion `a` as it fires now. Lock held. */
static void log_expiration(struct ferry_fake_os *os,
                           const struct fake_assertion *a, int forced)
{
    if (forced)
        log_line(os, "expiration warning (forced): assertion %llu (%s '%s')",
                 (unsigned long long)a->id, kind_name(a->kind), a->reason);
    else if (a->kind == FERRY_ASSERTION_CONTINUED)
        log_line(os, "expiration: assertion %llu (continued '%s') made no "
                 "progress for %llu ms", (unsigned long long)a->id, a->reason,
                 (unsigned long long)os->cfg.stall_ms);
    else
        log_line(os, "expiration warning: assertion %llu (finish-up '%s'), "
                 "%llu ms left", (unsigned long long)a->id, a->reason,
                 (unsigned long long)(kill_at(os, a) - os->now));
}

/* Records the watchdog kill over held assertion `a`. Lock held. */
static void watchdog_kill(struct ferry_fake_os *os,
                          const struct fake_assertion *a)
{
    char why[256];

    if (a->kind == FERRY_ASSERTION_FINISH_UP &&
        os->now >= add_sat(a->begun_ms, os->cfg.finish_up_budget_ms))
        snprintf(why, sizeof why,
                 "assertion %llu (finish-up '%s') outlived its %llu ms budget",
                 (unsigned long long)a->id, a->reason,
                 (unsigned long long)os->cfg.finish_up_budget_ms);
    else
        snprintf(why, sizeof why,
                 "assertion %llu (%s '%s') not ended %llu ms after its "
                 "expiration", (unsigned long long)a->id, kind_name(a->kind),
                 a->reason, (unsigned long long)os->cfg.warning_ms);
    do_kill(os, why);
}

/* ------------------------------------------------------------ the slots */

/* now_ms slot: the virtual clock. Any thread. */
static uint64_t slot_now_ms(void *ctx)
{
    struct ferry_fake_os *os = ctx;

    pthread_mutex_lock(&os->lock);
    uint64_t now = os->now;
    pthread_mutex_unlock(&os->lock);
    return now;
}

/*
 * begin_assertion slot. Returns 0 and a fresh id (1, 2, ...), -ESRCH when
 * the process is dead, -EPERM when refused (suspended, refuse_all, the
 * fail_begin_nth-th call counting every call made while alive) or when made
 * from inside an expiration handler, which is also a kill. Any thread.
 */
static int slot_begin(void *ctx, enum ferry_assertion_kind kind,
                      const char *reason, uint64_t *id)
{
    struct ferry_fake_os *os = ctx;
    const char *refusal = NULL;
    int rc = 0;

    if (!reason)
        reason = "";
    pthread_mutex_lock(&os->lock);
    if (os->dead) {
        pthread_mutex_unlock(&os->lock);
        return -ESRCH;
    }
    os->begin_calls++;
    if (os->expiring_depth > 0 &&
        pthread_equal(os->drive_owner, pthread_self())) {
        char why[256];
        snprintf(why, sizeof why,
                 "begin of a %s assertion ('%s') inside the expiration "
                 "handler", kind_name(kind), reason);
        do_kill(os, why);
        pthread_mutex_unlock(&os->lock);
        notify_kill(os);
        return -EPERM;
    }
    if (os->st.suspended)
        refusal = "suspended";
    else if (os->cfg.refuse_all)
        refusal = "refuse_all";
    else if (os->cfg.fail_begin_nth != 0 &&
             os->begin_calls == os->cfg.fail_begin_nth)
        refusal = "fail_begin_nth";
    if (refusal) {
        log_line(os, "begin refused: %s '%s' (%s)", kind_name(kind), reason,
                 refusal);
        rc = -EPERM;
        goto out;
    }
    if (os->n_held == os->cap_held) {
        size_t cap = os->cap_held ? os->cap_held * 2 : 8;
        struct fake_assertion *p = realloc(os->held, cap * sizeof *p);
        if (!p) {
            log_line(os, "begin refused: %s '%s' (out of memory)",
                     kind_name(kind), reason);
            rc = FERRY_ENOMEM;
            goto out;
        }
        os->held = p;
        os->cap_held = cap;
    }
    struct fake_assertion *a = &os->held[os->n_held++];
    memset(a, 0, sizeof *a);
    a->id = ++os->next_id;
    a->kind = kind;
    snprintf(a->reason, sizeof a->reason, "%s", reason);
    a->begun_ms = os->now;
    a->progress_ms = os->now;
    os->st.begins++;
    os->st.held = os->n_held;
    *id = a->id;
    log_line(os, "begin %llu %s '%s'", (unsigned long long)a->id,
             kind_name(kind), a->reason);
out:
    pthread_mutex_unlock(&os->lock);
    return rc;
}

/*
 * end_assertion slot. Ending an id that is not held (unknown or already
 * ended) is logged as a violation and changes nothing. Ignored when dead.
 * Any thread.
 */
static void slot_end(void *ctx, uint64_t id)
{
    struct ferry_fake_os *os = ctx;

    pthread_mutex_lock(&os->lock);
    if (!os->dead) {
        long i = find_held(os, id);
        if (i < 0) {
            os->st.violations++;
            log_line(os, "violation: end of unknown assertion %llu",
                     (unsigned long long)id);
        } else {
            os->held[i] = os->held[--os->n_held];
            os->st.ends++;
            os->st.held = os->n_held;
            log_line(os, "end %llu", (unsigned long long)id);
        }
    }
    pthread_mutex_unlock(&os->lock);
}

/*
 * report_progress slot: restarts the stall period of a continued-processing
 * assertion (no effect once its warning fired, nor on a finish-up one). At
 * most one log line per assertion per FAKE_PROGRESS_LOG_MS of virtual time.
 * An id not held is a violation. Ignored when dead. Any thread.
 */
static void slot_progress(void *ctx, uint64_t id, uint64_t done,
                          uint64_t total)
{
    struct ferry_fake_os *os = ctx;

    pthread_mutex_lock(&os->lock);
    if (!os->dead) {
        long i = find_held(os, id);
        if (i < 0) {
            os->st.violations++;
            log_line(os, "violation: progress of unknown assertion %llu",
                     (unsigned long long)id);
        } else {
            struct fake_assertion *a = &os->held[i];
            if (!a->warned)
                a->progress_ms = os->now;
            if (!a->progress_logged ||
                os->now >= add_sat(a->progress_logged_ms,
                                   FAKE_PROGRESS_LOG_MS)) {
                a->progress_logged = 1;
                a->progress_logged_ms = os->now;
                log_line(os, "progress %llu %llu/%llu",
                         (unsigned long long)id, (unsigned long long)done,
                         (unsigned long long)total);
            }
        }
    }
    pthread_mutex_unlock(&os->lock);
}

/*
 * arm_timer slot: replaces the armed timer; 0 disarms. A time already past
 * fires on the next ferry_fake_os_advance() (by 0 is enough): a slot never
 * posts. Ignored when dead. Any thread.
 */
static void slot_arm(void *ctx, uint64_t at_ms)
{
    struct ferry_fake_os *os = ctx;

    pthread_mutex_lock(&os->lock);
    if (!os->dead) {
        os->timer_at = at_ms;
        if (at_ms)
            log_line(os, "timer armed for t=%llu", (unsigned long long)at_ms);
        else
            log_line(os, "timer disarmed");
    }
    pthread_mutex_unlock(&os->lock);
}

/* ------------------------------------------------------------ reclaim */

/* Whether `fd` is one of the configured exempt sockets. */
static int is_exempt(const struct ferry_fake_os *os, int fd)
{
    for (size_t i = 0; i < sizeof os->cfg.exempt_fds / sizeof(int); i++)
        if (os->cfg.exempt_fds[i] >= 0 && os->cfg.exempt_fds[i] == fd)
            return 1;
    return 0;
}

/*
 * Defunct listeners: the listening sockets a suspension left defunct, as
 * iOS does, identified by (fd, device, inode) so that a new socket reusing
 * the number is not hit. accept() on one fails with ECONNABORTED without
 * taking the pending connection (so poll() keeps reporting it readable: a
 * listener that ignores this spins, as on a phone). Process-wide, like the
 * sysio table it is reached through; an entry whose fd no longer names the
 * same socket is dropped when next looked at.
 */
#define DEFUNCT_MAX 64
static pthread_mutex_t defunct_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { int fd; dev_t dev; ino_t ino; } defunct[DEFUNCT_MAX];
static size_t n_defunct;

/* Whether fd is a defunct listener. Any thread. */
static int is_defunct(int fd)
{
    struct stat sb;
    int hit = 0;

    if (fstat(fd, &sb) != 0)
        return 0;
    pthread_mutex_lock(&defunct_lock);
    for (size_t i = 0; i < n_defunct; i++)
        if (defunct[i].fd == fd && defunct[i].dev == sb.st_dev && defunct[i].ino == sb.st_ino)
            hit = 1;
    pthread_mutex_unlock(&defunct_lock);
    return hit;
}

/* The fake's sysio accept: ECONNABORTED on a defunct listener. */
static int fake_accept(int fd, struct sockaddr *peer, socklen_t *len)
{
    if (is_defunct(fd)) {
        errno = ECONNABORTED;
        return -1;
    }
    return lc_sysio_real.accept(fd, peer, len);
}

/*
 * Protected data: while locked, opening a file whose last path component
 * is one of the protected names fails with EPERM, as a file of class
 * Complete does on a locked iPhone. Process-wide, like the table.
 */
#define PROTECTED_MAX 8
static char protected_names[PROTECTED_MAX][64];
static size_t n_protected;
static int data_locked;

/* Whether `name`'s last component is protected and the data locked. */
static int is_locked_out(const char *name)
{
    const char *base = strrchr(name, '/');
    int hit = 0;

    base = base ? base + 1 : name;
    pthread_mutex_lock(&defunct_lock);
    for (size_t i = 0; data_locked && i < n_protected; i++)
        if (strcmp(protected_names[i], base) == 0)
            hit = 1;
    pthread_mutex_unlock(&defunct_lock);
    return hit;
}

/* The fake's sysio openat: EPERM on a protected file while locked. */
static int fake_openat(int dir_fd, const char *name, int flags, unsigned mode)
{
    if (is_locked_out(name)) {
        errno = EPERM;
        return -1;
    }
    return lc_sysio_real.openat(dir_fd, name, flags, mode);
}

/* The fake's sysio may_open: -EPERM for a protected file while locked. */
static int fake_may_open(const char *path)
{
    return is_locked_out(path) ? -EPERM : 0;
}

static const struct lc_sysio fake_sysio = {.accept = fake_accept, .openat = fake_openat,
                                           .may_open = fake_may_open};

/* Marks listening socket fd (stat sb) defunct; drops stale entries first.
 * Returns 1, or 0 when the table is full. */
static int defunct_add(int fd, const struct stat *sb)
{
    size_t j = 0;
    int added = 0;

    pthread_mutex_lock(&defunct_lock);
    for (size_t i = 0; i < n_defunct; i++) { /* keep entries still naming their socket */
        struct stat cur;

        if (fstat(defunct[i].fd, &cur) == 0 && cur.st_dev == defunct[i].dev &&
            cur.st_ino == defunct[i].ino && defunct[i].fd != fd)
            defunct[j++] = defunct[i];
    }
    n_defunct = j;
    if (n_defunct < DEFUNCT_MAX) {
        defunct[n_defunct].fd = fd;
        defunct[n_defunct].dev = sb->st_dev;
        defunct[n_defunct].ino = sb->st_ino;
        n_defunct++;
        added = 1;
    }
    pthread_mutex_unlock(&defunct_lock);
    lc_sysio_install(&fake_sysio);
    return added;
}

/* Whether fd is a listening socket. */
static int is_listening(int fd)
{
    int on = 0;
    socklen_t len = sizeof on;

    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

/*
 * Shuts down (both directions, without closing: the app still holds the fd,
 * like iOS's defunct sockets) `fd` if it is a socket and not exempt; with
 * defunct_listeners, a listening socket is left open but defunct instead
 * (every accept fails with ECONNABORTED, as on iOS).
 * Returns 1 if it was reclaimed. A socket that was never connected makes
 * shutdown() fail with ENOTCONN but is marked shut all the same: it counts.
 * Other failures are logged. Lock held.
 */
static int reclaim_fd(struct ferry_fake_os *os, int fd)
{
    struct stat sb;

    if (is_exempt(os, fd) || fstat(fd, &sb) != 0 || !S_ISSOCK(sb.st_mode))
        return 0;
    if (os->cfg.defunct_listeners && is_listening(fd)) {
        if (defunct_add(fd, &sb))
            return 1;
        log_line(os, "reclaim: too many defunct listeners; fd %d shut down", fd);
    }
    if (shutdown(fd, SHUT_RDWR) == 0 || errno == ENOTCONN)
        return 1;
    log_line(os, "reclaim: shutdown of fd %d failed: %s", fd,
             strerror(errno));
    return 0;
}

/*
 * Reclaims every socket of the process except the exempt ones: the fds
 * listed in /proc/self/fd, or where that is missing every fd below
 * min(_SC_OPEN_MAX, FAKE_FD_SCAN_MAX). An fd opened or closed by another
 * thread meanwhile may be missed or, if reused, hit. Returns the count.
 * Lock held.
 */
static uint64_t reclaim_all(struct ferry_fake_os *os)
{
    uint64_t n = 0;
    DIR *d = opendir("/proc/self/fd");

    if (d) {
        struct dirent *e;
        int self = dirfd(d);
        while ((e = readdir(d)) != NULL) {
            char *end;
            long fd = strtol(e->d_name, &end, 10);
            if (end == e->d_name || *end != '\0' || fd < 0 || fd == self)
                continue;
            n += (uint64_t)reclaim_fd(os, (int)fd);
        }
        closedir(d);
        return n;
    }
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > FAKE_FD_SCAN_MAX)
        max = max < 0 ? 1024 : FAKE_FD_SCAN_MAX;
    for (long fd = 0; fd < max; fd++)
        n += (uint64_t)reclaim_fd(os, (int)fd);
    return n;
}

/* ------------------------------------------------------------ public */

/* Fills *cfg: budget 30000, warning 5000, stall 10000 ms, reclaim off,
 * exempt_fds all -1, nothing failing, no on_kill. Never fails. */
void ferry_fake_os_config_init(ferry_fake_os_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->finish_up_budget_ms = FAKE_BUDGET_MS;
    cfg->warning_ms = FAKE_WARNING_MS;
    cfg->stall_ms = FAKE_STALL_MS;
    for (size_t i = 0; i < sizeof cfg->exempt_fds / sizeof(int); i++)
        cfg->exempt_fds[i] = -1;
}

/*
 * Creates a fake OS at virtual time 0 from `cfg` (copied; NULL = the
 * defaults; zero durations take their defaults). On success *out owns it,
 * to be freed with ferry_fake_os_free(). Returns 0 or FERRY_ENOMEM (*out is
 * then NULL).
 */
int ferry_fake_os_new(const ferry_fake_os_config *cfg, ferry_fake_os **out)
{
    struct ferry_fake_os *os = calloc(1, sizeof *os);

    *out = NULL;
    if (!os)
        return FERRY_ENOMEM;
    if (cfg)
        os->cfg = *cfg;
    else
        ferry_fake_os_config_init(&os->cfg);
    if (!os->cfg.finish_up_budget_ms)
        os->cfg.finish_up_budget_ms = FAKE_BUDGET_MS;
    if (!os->cfg.warning_ms)
        os->cfg.warning_ms = FAKE_WARNING_MS;
    if (!os->cfg.stall_ms)
        os->cfg.stall_ms = FAKE_STALL_MS;
    if (pthread_mutex_init(&os->lock, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&os->drive_cv, NULL) != 0) {
        pthread_mutex_destroy(&os->lock);
        goto fail;
    }
    os->port.ctx = os;
    os->port.now_ms = slot_now_ms;
    os->port.begin_assertion = slot_begin;
    os->port.end_assertion = slot_end;
    os->port.report_progress = slot_progress;
    os->port.arm_timer = slot_arm;
    *out = os;
    return 0;
fail:
    free(os);
    return FERRY_ENOMEM;
}

/* Frees `os` and its log. Accepts NULL. No other call may be running. */
void ferry_fake_os_free(ferry_fake_os *os)
{
    if (!os)
        return;
    pthread_cond_destroy(&os->drive_cv);
    pthread_mutex_destroy(&os->lock);
    free(os->held);
    free(os->log);
    free(os);
}

/* The port; owned by `os`. Its slots follow ferry_port's contract. */
const ferry_port *ferry_fake_os_port(ferry_fake_os *os)
{
    return &os->port;
}

/* Sets (or with NULL clears) the server that events are posted to. */
void ferry_fake_os_attach(ferry_fake_os *os, ferry_server *srv)
{
    pthread_mutex_lock(&os->lock);
    os->srv = srv;
    pthread_mutex_unlock(&os->lock);
}

/*
 * Moves the clock forward by `ms`, firing in time order (ties: warning,
 * timer, watchdog) what falls due, each post made with the lock released
 * and the state looked at again afterwards, so what a handler ends, begins
 * or arms counts at once. Suspended: the clock moves, nothing fires. Dead:
 * nothing happens. Returns 0.
 */
int ferry_fake_os_advance(ferry_fake_os *os, uint64_t ms)
{
    int killed = 0;

    pthread_mutex_lock(&os->lock);
    drive_enter(os);
    uint64_t target = add_sat(os->now, ms);
    while (!os->dead) {
        uint64_t at;
        size_t i = 0;
        enum due_class c = os->st.suspended ? DUE_NONE
                                            : next_due(os, target, &at, &i);
        if (c == DUE_NONE) {
            if (target > os->now)
                os->now = target;
            break;
        }
        if (at > os->now)
            os->now = at;
        if (c == DUE_WARNING) {
            struct fake_assertion *a = &os->held[i];
            a->warned = 1;
            a->warned_ms = os->now;
            os->st.expirations++;
            log_expiration(os, a, 0);
            if (os->cfg.expire_by_id)
                deliver_expiring_id(os, a->id);
            else
                post(os, FERRY_EVENT_EXPIRING);
        } else if (c == DUE_TIMER) {
            os->timer_at = 0;
            log_line(os, "timer fired");
            post(os, FERRY_EVENT_TIMER);
        } else {
            watchdog_kill(os, &os->held[i]);
            killed = 1;
        }
    }
    drive_leave(os);
    pthread_mutex_unlock(&os->lock);
    if (killed)
        notify_kill(os);
    return 0;
}

/*
 * Like ferry_fake_os_advance(), with the app hung: what falls due happens
 * (warnings are spent, the watchdog kills) but no event is delivered, as
 * when an iOS app's main thread is blocked past its expiration handler.
 * Returns 0.
 */
int ferry_fake_os_hang(ferry_fake_os *os, uint64_t ms)
{
    int rc;

    pthread_mutex_lock(&os->lock);
    os->hung = 1;
    log_line(os, "app hangs for %llu ms", (unsigned long long)ms);
    pthread_mutex_unlock(&os->lock);
    rc = ferry_fake_os_advance(os, ms);
    pthread_mutex_lock(&os->lock);
    os->hung = 0;
    pthread_mutex_unlock(&os->lock);
    return rc;
}

/*
 * Fires now the expiration warning of every held assertion not yet warned,
 * with one FERRY_EVENT_EXPIRING post (none if there is no such assertion).
 * Returns 0, or FERRY_ESTATE when suspended or dead.
 */
int ferry_fake_os_expire(ferry_fake_os *os)
{
    int rc = 0, any = 0;

    pthread_mutex_lock(&os->lock);
    drive_enter(os);
    if (os->dead || os->st.suspended) {
        rc = FERRY_ESTATE;
        goto out;
    }
    for (size_t i = 0; i < os->n_held; i++) {
        struct fake_assertion *a = &os->held[i];
        if (a->warned)
            continue;
        a->warned = 1;
        a->warned_ms = os->now;
        os->st.expirations++;
        log_expiration(os, a, 1);
        any = 1;
    }
    if (any && os->cfg.expire_by_id) {
        /* one by one, each through the host call: the ids first, as the
         * ends reorder the table */
        uint64_t ids[16];
        size_t n = 0;

        for (size_t i = 0; i < os->n_held && n < 16; i++)
            if (os->held[i].warned && os->held[i].warned_ms == os->now)
                ids[n++] = os->held[i].id;
        for (size_t k = 0; k < n && !os->dead; k++)
            if (find_held(os, ids[k]) >= 0)
                deliver_expiring_id(os, ids[k]);
    } else if (any) {
        post(os, FERRY_EVENT_EXPIRING);
    }
out:
    drive_leave(os);
    pthread_mutex_unlock(&os->lock);
    return rc;
}

/*
 * Suspends: posts FERRY_EVENT_WILL_SUSPEND; then an assertion still held is
 * a kill (and the process is not suspended); else marks suspended and, if
 * configured, reclaims sockets. Returns 0 (also after a kill it recorded),
 * or FERRY_ESTATE when already suspended or dead.
 */
int ferry_fake_os_suspend(ferry_fake_os *os)
{
    int rc = 0, killed = 0;

    pthread_mutex_lock(&os->lock);
    drive_enter(os);
    if (os->dead || os->st.suspended) {
        rc = FERRY_ESTATE;
        goto out;
    }
    log_line(os, "will-suspend");
    post(os, FERRY_EVENT_WILL_SUSPEND);
    if (os->dead)
        goto out;
    if (os->n_held > 0) {
        char why[256];
        size_t len = (size_t)snprintf(why, sizeof why,
                                      "suspended while holding %zu "
                                      "assertion(s):", os->n_held);
        for (size_t i = 0; i < os->n_held && len < sizeof why; i++)
            len += (size_t)snprintf(why + len, sizeof why - len,
                                    "%s %llu (%s '%s')", i ? "," : "",
                                    (unsigned long long)os->held[i].id,
                                    kind_name(os->held[i].kind),
                                    os->held[i].reason);
        do_kill(os, why);
        killed = 1;
        goto out;
    }
    os->st.suspended = 1;
    log_line(os, "suspended");
    if (os->cfg.reclaim_sockets) {
        uint64_t n = reclaim_all(os);
        os->st.reclaimed_sockets += n;
        log_line(os, "reclaimed %llu sockets", (unsigned long long)n);
    }
out:
    drive_leave(os);
    pthread_mutex_unlock(&os->lock);
    if (killed)
        notify_kill(os);
    return rc;
}

/*
 * Suspends as iOS does: without any event. An app holding an assertion is
 * not suspended (iOS lets it run: FERRY_ESTATE, logged); otherwise marks
 * suspended and, if configured, reclaims sockets (defunct listeners
 * included). The matching ferry_fake_os_resume() posts nothing either.
 * Returns 0, or FERRY_ESTATE when dead, already suspended or holding.
 */
int ferry_fake_os_suspend_silently(ferry_fake_os *os)
{
    int rc = 0;

    pthread_mutex_lock(&os->lock);
    drive_enter(os);
    if (os->dead || os->st.suspended) {
        rc = FERRY_ESTATE;
        goto out;
    }
    if (os->n_held > 0) {
        log_line(os, "not suspended: %zu assertion(s) held", os->n_held);
        rc = FERRY_ESTATE;
        goto out;
    }
    os->st.suspended = 1;
    os->silent = 1;
    log_line(os, "suspended silently");
    if (os->cfg.reclaim_sockets) {
        uint64_t n = reclaim_all(os);
        os->st.reclaimed_sockets += n;
        log_line(os, "reclaimed %llu sockets", (unsigned long long)n);
    }
out:
    drive_leave(os);
    pthread_mutex_unlock(&os->lock);
    return rc;
}

/*
 * Marks files named `name` (a last path component) as of protection class
 * Complete. Returns 0, or FERRY_ENOMEM when PROTECTED_MAX are marked or the
 * name is too long. Process-wide.
 */
int ferry_fake_os_protect(ferry_fake_os *os, const char *name)
{
    int rc = FERRY_ENOMEM;

    (void)os;
    pthread_mutex_lock(&defunct_lock);
    if (n_protected < PROTECTED_MAX && strlen(name) < sizeof protected_names[0]) {
        snprintf(protected_names[n_protected++], sizeof protected_names[0], "%s", name);
        rc = 0;
    }
    pthread_mutex_unlock(&defunct_lock);
    lc_sysio_install(&fake_sysio);
    return rc;
}

/*
 * The phone locks (1: protected files fail with EPERM through ferry's file
 * table) or unlocks (0). Logged in os's log (os may be NULL). Process-wide.
 * Returns 0.
 */
int ferry_fake_os_lock(ferry_fake_os *os, int locked)
{
    pthread_mutex_lock(&defunct_lock);
    data_locked = locked != 0;
    pthread_mutex_unlock(&defunct_lock);
    lc_sysio_install(&fake_sysio);
    if (!os)
        return 0;
    pthread_mutex_lock(&os->lock);
    log_line(os, locked ? "device locked: protected files unavailable"
                        : "device unlocked: protected files available");
    pthread_mutex_unlock(&os->lock);
    return 0;
}

/*
 * Fires now the expiration of held assertion `id` alone, through
 * ferry_host_assertion_expiring() (see deliver_expiring_id). Returns 0,
 * FERRY_ENOTFOUND when `id` is not held or was already warned, or
 * FERRY_ESTATE when suspended or dead.
 */
int ferry_fake_os_expire_id(ferry_fake_os *os, uint64_t id)
{
    int rc = 0;
    long i;

    pthread_mutex_lock(&os->lock);
    drive_enter(os);
    if (os->dead || os->st.suspended) {
        rc = FERRY_ESTATE;
        goto out;
    }
    i = find_held(os, id);
    if (i < 0 || os->held[i].warned) {
        rc = FERRY_ENOTFOUND;
        goto out;
    }
    os->held[i].warned = 1;
    os->held[i].warned_ms = os->now;
    os->st.expirations++;
    log_expiration(os, &os->held[i], 1);
    deliver_expiring_id(os, id);
out:
    drive_leave(os);
    pthread_mutex_unlock(&os->lock);
    return rc;
}

/*
 * Resumes: clears suspended and posts FERRY_EVENT_RESUMED. What fell due
 * while suspended fires on the next advance. Returns 0, or FERRY_ESTATE when
 * not suspended or dead.
 */
int ferry_fake_os_resume(ferry_fake_os *os)
{
    int rc = 0;

    pthread_mutex_lock(&os->lock);
    drive_enter(os);
    if (os->dead || !os->st.suspended) {
        rc = FERRY_ESTATE;
    } else {
        os->st.suspended = 0;
        if (os->silent) { /* iOS says nothing: the app just runs again */
            os->silent = 0;
            log_line(os, "resumed silently");
        } else {
            log_line(os, "resumed");
            post(os, FERRY_EVENT_RESUMED);
        }
    }
    drive_leave(os);
    pthread_mutex_unlock(&os->lock);
    return rc;
}

/* The virtual clock (frozen once dead). Any thread. */
uint64_t ferry_fake_os_now(ferry_fake_os *os)
{
    return slot_now_ms(os);
}

/* Copies the counters (see the file comment) into *st. Any thread. */
void ferry_fake_os_get_stats(ferry_fake_os *os, ferry_fake_os_stats *st)
{
    pthread_mutex_lock(&os->lock);
    *st = os->st;
    pthread_mutex_unlock(&os->lock);
}

/*
 * The log as one malloc'd string owned by the caller ("" when empty), led
 * by a note when lines were dropped or lost; NULL when out of memory. Any
 * thread.
 */
char *ferry_fake_os_log(ferry_fake_os *os)
{
    char head[128] = "";
    char *copy;

    pthread_mutex_lock(&os->lock);
    if (os->log_dropped)
        snprintf(head, sizeof head, "(%llu earlier lines dropped)\n",
                 (unsigned long long)os->log_dropped);
    if (os->log_oom)
        snprintf(head + strlen(head), sizeof head - strlen(head),
                 "(lines lost: out of memory)\n");
    size_t hlen = strlen(head);
    copy = malloc(hlen + os->log_len + 1);
    if (copy) {
        memcpy(copy, head, hlen);
        if (os->log_len)
            memcpy(copy + hlen, os->log, os->log_len);
        copy[hlen + os->log_len] = '\0';
    }
    pthread_mutex_unlock(&os->lock);
    return copy;
}
