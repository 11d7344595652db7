/*
 * test_engine.c — tests of the lifecycle engine (lifecycle/engine.c) with
 * the real state machine, assertion ledger, transfer registry, journal and
 * fake OS: thousands of random event sequences checked against invariants
 * after every step, every begin refused at every position of a scripted
 * scenario, targeted scenarios (expiration, suspension and resume, cold
 * start, corrupt journal, linger and stale timers, a failing state folder)
 * and a four-thread run.
 *
 * Linked without the server (see Makefile.am): ferry_server_post_event()
 * below forwards what the fake OS posts to the engine of the rig attached to
 * it; the rig itself is the "server" pointer the fake is given. The server's
 * side is a set of stub ops that record every call and model the listener,
 * the mDNS record and the connections. The port the engine gets wraps the
 * fake's port, to see every begin, end and timer the engine asks for.
 *
 * The state folder of each test is a mkdtemp folder, removed by the
 * teardown also when the test fails. It is made under $FERRY_TEST_TMPDIR,
 * else /dev/shm when writable, else $TMPDIR or /tmp: a journal save costs
 * two fsyncs, about 10 ms on a disk, and the random test saves thousands.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry.h"
#include "engine.h"
#include "journal.h"
#include "registry.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_OPEN 8   /* transfers the single-threaded tests keep open */
#define MAX_HELD 16  /* assertions the port wrapper tracks */
#define HIST 24      /* steps kept for a failure message */

#define RANDOM_SEQUENCES 3000
#define RANDOM_STEPS 40
#define RANDOM_SEED 0x5eedf3a7c0ffee01ULL

#define WORKERS 4
#define WORKER_ITERS 2000
#define DRIVER_ITERS 2000

/* Per run of an engine (one "process"): reset by rig_start(). */
struct run {
    ferry_fake_os_config fcfg;
    unsigned linger_ms;
    ferry_fake_os *os;
    const ferry_port *fake;     /* the fake's port */
    ferry_port port;            /* the wrapper the engine gets */
    struct lc_registry *reg;
    struct lc_engine *eng;
    /* The server model, written by the ops (engine lock held). */
    int listening, advertised;
    unsigned quiesces, rebinds, closes, withdraws, readverts;
    unsigned bad_quiesces;      /* quiesce while not listening */
    int close_ends_transfers;   /* close_connections closes our transfers */
    unsigned conns;             /* connections carrying a transfer */
    /* The port as the engine used it, written by the wrapper's slots. */
    uint64_t held[MAX_HELD], held_at[MAX_HELD];
    size_t n_held;
    unsigned begin_calls, begins_refused, bad_ends, begins_after_expiry;
    uint64_t timer_at;          /* armed through the port; 0 = none */
    int bg_expired;             /* an expiration ended this background period */
    /* The engine's log. */
    unsigned snapshots;         /* "journal of N transfers written" lines */
    size_t snap_n;              /* N of the last one */
    unsigned writes;            /* those with N > 0: the journal was written */
    unsigned errors, held_warnings, corrupt_warnings;
    size_t held_at_quiesce, held_at_close; /* assertions held when the
                                              listener / connections closed
                                              last */
    int check_journal;          /* compare the journal at every snapshot */
    char bad[512];              /* first rule broken inside a callback */
    /* The test's transfers (single-threaded tests). */
    uint64_t open[MAX_OPEN];
    uint64_t span[MAX_OPEN];    /* last - first + 1 of each */
    size_t n_open;
    int bg;                     /* the machine's background flag, modelled */
};

/* Everything a test works with; doubles as the "server" of the fake. */
struct rig {
    char dir[PATH_MAX];         /* the state folder */
    int dir_fd;
    int state_fd;               /* what the engine gets; dir_fd by default */
    pthread_mutex_t mu;         /* guards run's model against the workers */
    struct run run;
    int started;
    int silent, start_in_background; /* for the next rig_start */
    /* Totals over the runs (rig_stop adds each run's). */
    unsigned long long runs, begins, refused, expirations, writes, restores;
    /* Failure context. */
    unsigned seq, step;
    uint64_t seed;
    char hist[HIST][128];
    size_t n_hist;
};

/* --------------------------------------------------------------- helpers */

/* splitmix64: the fixed-seed PRNG of the random tests. */
static uint64_t rnd_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A number in [0, n). */
static unsigned rnd_below(uint64_t *s, unsigned n)
{
    return (unsigned)(rnd_next(s) % n);
}

/* Records one line of history for a failure message. */
static void __attribute__((format(printf, 2, 3))) rig_hist(struct rig *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->hist[r->n_hist % HIST], sizeof r->hist[0], fmt, ap);
    va_end(ap);
    r->n_hist++;
}

/* Notes the first rule broken inside a callback (checked after the step). */
static void __attribute__((format(printf, 2, 3))) note_bad(struct run *u, const char *fmt, ...)
{
    va_list ap;

    if (u->bad[0])
        return;
    va_start(ap, fmt);
    vsnprintf(u->bad, sizeof u->bad, fmt, ap);
    va_end(ap);
}

/*
 * Fails the test with `what`, after printing the sequence, the recent steps
 * and the tail of the fake OS's log. Does not return.
 */
static void __attribute__((format(printf, 2, 3), noreturn))
rig_fail(struct rig *r, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    size_t first = r->n_hist > HIST ? r->n_hist - HIST : 0;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (r->seed)
        print_error("# random sequence %u (seed 0x%016llx), step %u\n", r->seq,
                    (unsigned long long)r->seed, r->step);
    else if (r->n_hist)
        print_error("# run %u, step %u\n", r->seq, r->step);
    for (size_t i = first; i < r->n_hist; i++)
        print_error("#   %s\n", r->hist[i % HIST]);
    if (r->started) {
        char *log = ferry_fake_os_log(r->run.os);
        if (log) {
            size_t len = strlen(log), lines = 0, at = len;
            while (at > 0 && lines < 30)
                if (log[--at] == '\n' && at + 1 < len)
                    lines++;
            print_error("# fake OS log (tail):\n%s\n", log + at);
            free(log);
        }
    }
    fail_msg("%s", what);
    abort(); /* not reached: fail_msg() jumps back to cmocka */
}

#define EXPECT(r, cond, ...)                                                   \
    do {                                                                       \
        if (!(cond))                                                           \
            rig_fail((r), __VA_ARGS__);                                        \
    } while (0)

/* Orders transfers by every field the journal keeps (not id nor restored). */
static int cmp_transfer(const void *pa, const void *pb)
{
    const ferry_transfer *a = pa, *b = pb;
    int c;

    if (a->direction != b->direction)
        return a->direction < b->direction ? -1 : 1;
    if ((c = strcmp(a->path, b->path)) != 0 || (c = strcmp(a->validator, b->validator)) != 0 ||
        (c = strcmp(a->peer, b->peer)) != 0)
        return c;
#define CMP_U64(f)                                                             \
    if (a->f != b->f)                                                          \
        return a->f < b->f ? -1 : 1
    CMP_U64(first);
    CMP_U64(last);
    CMP_U64(done);
    CMP_U64(total);
    CMP_U64(started_ms);
#undef CMP_U64
    return 0;
}

/* Whether a[0..na) and b[0..nb) hold the same transfers in any order
 * (both arrays are sorted in place). */
static int same_transfers(ferry_transfer *a, size_t na, ferry_transfer *b, size_t nb)
{
    if (na != nb)
        return 0;
    if (na == 0)
        return 1;
    qsort(a, na, sizeof *a, cmp_transfer);
    qsort(b, nb, sizeof *b, cmp_transfer);
    for (size_t i = 0; i < na; i++)
        if (cmp_transfer(&a[i], &b[i]) != 0)
            return 0;
    return 1;
}

/*
 * Keeps in list[0..*n) the entries whose `restored` flag is `restored`,
 * optionally leaving out those that are the same transfer as an entry of
 * `open`[0..n_open) (as the registry does on restore): the same direction
 * and path, and for uploads the same validator.
 */
static void keep_only(ferry_transfer *list, size_t *n, int restored,
                      const ferry_transfer *open, size_t n_open)
{
    size_t k = 0;

    for (size_t i = 0; i < *n; i++) {
        int drop = list[i].restored != restored;

        for (size_t j = 0; j < n_open && !drop; j++)
            drop = open[j].direction == list[i].direction &&
                   strcmp(open[j].path, list[i].path) == 0 &&
                   (list[i].direction != FERRY_UPLOAD ||
                    strcmp(open[j].validator, list[i].validator) == 0);
        if (!drop)
            list[k++] = list[i];
    }
    *n = k;
}

/* Fills *t with a plausible transfer started at `now`. */
static void make_transfer(ferry_transfer *t, uint64_t *rng, uint64_t now)
{
    static const char *const paths[] = {
        "/DCIM/100APPLE/IMG_0001.HEIC", "/Movies/Holiday 2024.mov",
        "/Documents/Rechnung März.pdf", "/Music/ça va/01 — intro.flac",
        "/backup.tar.zst",              "/a/b/c/d/e/f/deep.bin",
    };

    memset(t, 0, sizeof *t);
    t->direction = rnd_below(rng, 4) == 0 ? FERRY_UPLOAD : FERRY_DOWNLOAD;
    snprintf(t->path, sizeof t->path, "%s", paths[rnd_below(rng, COUNT(paths))]);
    t->total = 1 + rnd_next(rng) % (8ULL << 30);
    t->first = rnd_next(rng) % t->total;
    t->last = t->first + rnd_next(rng) % (t->total - t->first);
    snprintf(t->validator, sizeof t->validator, "\"%llx-%llx\"",
             (unsigned long long)t->total, (unsigned long long)(rnd_next(rng) & 0xffffffu));
    snprintf(t->peer, sizeof t->peer, "192.168.1.%u", 2 + rnd_below(rng, 200));
    t->started_ms = now;
}

/* Identity of the journal file, to see whether a step rewrote it. */
struct file_id {
    int exists;
    ino_t ino;
    off_t size;
    long long mtime_ns;
};

/* Reads the identity of the journal in the state folder. */
static void journal_id(struct rig *r, struct file_id *id)
{
    struct stat st;

    memset(id, 0, sizeof *id);
    if (fstatat(r->dir_fd, LC_JOURNAL_NAME, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return;
    id->exists = 1;
    id->ino = st.st_ino;
    id->size = st.st_size;
    id->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

/* Whether two identities are the same file, unchanged. */
static int same_file(const struct file_id *a, const struct file_id *b)
{
    return a->exists == b->exists && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns;
}

/* Whether the journal on disk lists exactly want[0..n) (left as it is). */
static int journal_is(struct rig *r, const ferry_transfer *want, size_t n)
{
    ferry_transfer *got = NULL, *copy = malloc((n ? n : 1) * sizeof *copy);
    size_t n_got = 0;
    int same = 0;

    if (copy && lc_journal_load(r->dir_fd, &got, &n_got, NULL) == 0) {
        memcpy(copy, want, n * sizeof *copy);
        same = same_transfers(got, n_got, copy, n);
    }
    free(got);
    free(copy);
    return same;
}

/* ---------------------------------------------------- the engine's outside */

/* The per-id expiration the fake delivers with expire_by_id: to the rig's
 * engine. */
int ferry_host_assertion_expiring(ferry_server *srv, uint64_t id)
{
    struct rig *r = (struct rig *)(void *)srv;

    if (!r || !r->started)
        return FERRY_ENOTFOUND;
    return lc_engine_expiring(r->run.eng, id);
}

/* Forwards an event the fake OS (or the test) posts to the rig's engine,
 * and checks what the event promises once the post returns. */
int ferry_server_post_event(ferry_server *srv, enum ferry_event ev)
{
    struct rig *r = (struct rig *)(void *)srv;
    struct run *u;
    enum ferry_state before, after;
    size_t held;

    if (!r || !r->started)
        return FERRY_ESTATE;
    u = &r->run;
    before = lc_engine_state(u->eng);
    if (ev == FERRY_EVENT_TIMER) { /* the fake fired (and forgot) it */
        pthread_mutex_lock(&r->mu);
        if (u->timer_at && u->fake->now_ms(u->fake->ctx) >= u->timer_at)
            u->timer_at = 0;
        pthread_mutex_unlock(&r->mu);
    }
    lc_engine_post(u->eng, (enum lc_input)ev);
    after = lc_engine_state(u->eng);
    pthread_mutex_lock(&r->mu);
    held = u->n_held;
    if (held && (ev == FERRY_EVENT_EXPIRING || ev == FERRY_EVENT_WILL_SUSPEND ||
                 ev == FERRY_EVENT_WILL_TERMINATE))
        note_bad(u, "%zu assertion(s) still held when %s returned (%s -> %s)", held,
                 ferry_event_name(ev), ferry_state_name(before), ferry_state_name(after));
    if (ev == FERRY_EVENT_EXPIRING && after == FERRY_STATE_QUIET &&
        (before == FERRY_STATE_FINISHING || before == FERRY_STATE_LINGER))
        u->bg_expired = 1;
    if (after == FERRY_STATE_FOREGROUND)
        u->bg_expired = 0;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

/* Port wrapper: the fake's clock. */
static uint64_t w_now(void *ctx)
{
    struct rig *r = ctx;

    return r->run.fake->now_ms(r->run.fake->ctx);
}

/* Port wrapper: begins through the fake and records the grant or refusal. */
static int w_begin(void *ctx, enum ferry_assertion_kind kind, const char *reason, uint64_t *id)
{
    struct rig *r = ctx;
    struct run *u = &r->run;
    int rc = u->fake->begin_assertion(u->fake->ctx, kind, reason, id);
    uint64_t now = u->fake->now_ms(u->fake->ctx);

    pthread_mutex_lock(&r->mu);
    u->begin_calls++;
    if (u->bg_expired)
        u->begins_after_expiry++;
    if (rc != 0) {
        u->begins_refused++;
    } else if (u->n_held < MAX_HELD) {
        u->held[u->n_held] = *id;
        u->held_at[u->n_held++] = now;
    } else {
        note_bad(u, "more than %d assertions held", MAX_HELD);
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/* Port wrapper: an end must match a held id (each ended exactly once). */
static void w_end(void *ctx, uint64_t id)
{
    struct rig *r = ctx;
    struct run *u = &r->run;
    size_t i;

    pthread_mutex_lock(&r->mu);
    for (i = 0; i < u->n_held && u->held[i] != id; i++)
        ;
    if (i == u->n_held) {
        u->bad_ends++;
        note_bad(u, "end of assertion %llu, which is not held", (unsigned long long)id);
    } else {
        u->n_held--;
        u->held[i] = u->held[u->n_held];
        u->held_at[i] = u->held_at[u->n_held];
    }
    pthread_mutex_unlock(&r->mu);
    u->fake->end_assertion(u->fake->ctx, id);
}

/* Port wrapper: progress goes straight through. */
static void w_progress(void *ctx, uint64_t id, uint64_t done, uint64_t total)
{
    struct rig *r = ctx;

    r->run.fake->report_progress(r->run.fake->ctx, id, done, total);
}

/* Port wrapper: records the timer the engine armed. */
static void w_arm(void *ctx, uint64_t at_ms)
{
    struct rig *r = ctx;

    pthread_mutex_lock(&r->mu);
    r->run.timer_at = at_ms;
    pthread_mutex_unlock(&r->mu);
    r->run.fake->arm_timer(r->run.fake->ctx, at_ms);
}

/* Op: closes the listener (it must be open). */
static void op_quiesce(void *ctx)
{
    struct rig *r = ctx;

    pthread_mutex_lock(&r->mu);
    r->run.quiesces++;
    r->run.held_at_quiesce = r->run.n_held;
    if (!r->run.listening)
        r->run.bad_quiesces++;
    r->run.listening = 0;
    pthread_mutex_unlock(&r->mu);
}

/* Op: opens the listener again; always succeeds. */
static int op_rebind(void *ctx)
{
    struct rig *r = ctx;

    pthread_mutex_lock(&r->mu);
    r->run.rebinds++;
    r->run.listening = 1;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

/*
 * Op: ends every connection. When close_ends_transfers, also ends the
 * test's transfers through the engine as cut (interrupted: they stay
 * resumable), as the server's completion callbacks would (from inside an
 * action: the engine queues what that posts).
 */
static void op_close(void *ctx)
{
    struct rig *r = ctx;
    struct run *u = &r->run;
    int end;

    pthread_mutex_lock(&r->mu);
    u->closes++;
    u->held_at_close = u->n_held;
    u->conns = 0;
    end = u->close_ends_transfers;
    pthread_mutex_unlock(&r->mu);
    if (end) {
        for (size_t i = 0; i < u->n_open; i++)
            lc_engine_transfer_interrupt(u->eng, u->open[i]);
        u->n_open = 0;
    }
}

/* Op: withdraws the mDNS record. */
static void op_withdraw(void *ctx)
{
    struct rig *r = ctx;

    pthread_mutex_lock(&r->mu);
    r->run.withdraws++;
    r->run.advertised = 0;
    pthread_mutex_unlock(&r->mu);
}

/* Op: publishes the mDNS record again. */
static void op_readvertise(void *ctx)
{
    struct rig *r = ctx;

    pthread_mutex_lock(&r->mu);
    r->run.readverts++;
    r->run.advertised = 1;
    pthread_mutex_unlock(&r->mu);
}

/*
 * Op: the engine's log. Counts snapshots, errors and warnings; at a snapshot
 * that wrote a journal (and when check_journal), checks that the journal on
 * disk lists exactly what the registry holds at that moment.
 */
static void op_log(void *ctx, enum ferry_log_level level, const char *line)
{
    struct rig *r = ctx;
    struct run *u = &r->run;
    const char *p = strstr(line, "journal of ");
    size_t n = 0;
    int used = 0;

    if (getenv("FERRY_TEST_VERBOSE"))
        fprintf(stderr, "# [%d] %s\n", (int)level, line);
    if (p && sscanf(p, "journal of %zu transfers written%n", &n, &used) == 1 && used > 0) {
        pthread_mutex_lock(&r->mu);
        u->snapshots++;
        u->snap_n = n;
        u->writes++; /* written, or removed when n == 0 */
        pthread_mutex_unlock(&r->mu);
        if (n && u->check_journal) {
            ferry_transfer *list = NULL;
            size_t n_reg = 0;

            if (lc_registry_snapshot(u->reg, 1, &list, &n_reg) != 0 || n_reg != n ||
                !journal_is(r, list, n_reg))
                note_bad(u, "the journal on disk is not the %zu transfer(s) of the registry "
                         "at the snapshot (%zu written)", n_reg, n);
            free(list);
        }
    }
    pthread_mutex_lock(&r->mu);
    if (level == FERRY_LOG_ERROR)
        u->errors++;
    if (strstr(line, "left held"))
        u->held_warnings++;
    if (level == FERRY_LOG_WARN && strstr(line, "corrupt"))
        u->corrupt_warnings++;
    pthread_mutex_unlock(&r->mu);
}

/* ------------------------------------------------------------------ rig */

/* Where the state folders go (see the file comment). */
static const char *tmp_base(void)
{
    const char *s = getenv("FERRY_TEST_TMPDIR");

    if (s && *s)
        return s;
    if (access("/dev/shm", W_OK | X_OK) == 0)
        return "/dev/shm";
    s = getenv("TMPDIR");
    return s && *s ? s : "/tmp";
}

/* Empties the folder open at fd (files and empty subfolders). */
static void empty_folder(int fd)
{
    int fresh = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fresh >= 0 ? fdopendir(fresh) : NULL;
    struct dirent *de;

    if (!d) {
        if (fresh >= 0)
            close(fresh);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(fd, de->d_name, 0) != 0)
            unlinkat(fd, de->d_name, AT_REMOVEDIR);
    }
    closedir(d);
}

/* cmocka setup: a rig with a fresh state folder, no engine yet. */
static int rig_setup(void **state)
{
    struct rig *r = calloc(1, sizeof *r);

    if (!r)
        return -1;
    snprintf(r->dir, sizeof r->dir, "%s/ferry-engine-XXXXXX", tmp_base());
    if (!mkdtemp(r->dir)) {
        free(r);
        return -1;
    }
    r->dir_fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r->dir_fd < 0) {
        rmdir(r->dir);
        free(r);
        return -1;
    }
    r->state_fd = r->dir_fd;
    pthread_mutex_init(&r->mu, NULL);
    *state = r;
    return 0;
}

/* Frees the engine, registry and fake of the current run, if any. */
static void rig_stop(struct rig *r)
{
    ferry_fake_os_stats st;

    if (!r->started)
        return;
    ferry_fake_os_get_stats(r->run.os, &st);
    r->runs++;
    r->begins += st.begins;
    r->refused += r->run.begins_refused;
    r->expirations += st.expirations;
    r->writes += r->run.writes;
    r->started = 0;
    lc_engine_free(r->run.eng);
    lc_registry_free(r->run.reg);
    ferry_fake_os_free(r->run.os);
    r->run.eng = NULL;
    r->run.reg = NULL;
    r->run.os = NULL;
}

/* cmocka teardown: stops the run and removes the state folder. */
static int rig_teardown(void **state)
{
    struct rig *r = *state;

    rig_stop(r);
    ferry_fake_os_lock(NULL, 0); /* process-wide: never left locked */
    if (r->state_fd != r->dir_fd && r->state_fd >= 0)
        close(r->state_fd);
    empty_folder(r->dir_fd);
    close(r->dir_fd);
    rmdir(r->dir);
    pthread_mutex_destroy(&r->mu);
    free(r);
    return 0;
}

/*
 * Starts a "process": a fake OS with `fcfg` (NULL: defaults), a registry and
 * an engine in FOREGROUND over the state folder, listening and advertised.
 * The run's model is reset; check_journal is on.
 */
static void rig_start(struct rig *r, const ferry_fake_os_config *fcfg, unsigned linger_ms)
{
    struct run *u = &r->run;
    struct lc_engine_config cfg;

    assert_false(r->started);
    memset(u, 0, sizeof *u);
    if (fcfg)
        u->fcfg = *fcfg;
    else
        ferry_fake_os_config_init(&u->fcfg);
    u->linger_ms = linger_ms ? linger_ms : 1000;
    u->listening = 1;
    u->advertised = 1;
    u->check_journal = 1;
    assert_int_equal(ferry_fake_os_new(&u->fcfg, &u->os), 0);
    u->fake = ferry_fake_os_port(u->os);
    u->port.ctx = r;
    u->port.now_ms = w_now;
    u->port.begin_assertion = w_begin;
    u->port.end_assertion = w_end;
    u->port.report_progress = w_progress;
    u->port.arm_timer = w_arm;
    u->reg = lc_registry_new();
    assert_non_null(u->reg);
    memset(&cfg, 0, sizeof cfg);
    cfg.port = &u->port;
    cfg.ops = (struct lc_ops){
        .ctx = r, .quiesce = op_quiesce, .rebind = op_rebind, .close_connections = op_close,
        .withdraw = op_withdraw, .readvertise = op_readvertise, .log = op_log,
    };
    cfg.registry = u->reg;
    cfg.state_dir_fd = r->state_fd;
    cfg.linger_ms = linger_ms == FERRY_LINGER_NONE ? FERRY_LINGER_NONE : u->linger_ms;
    cfg.silent = r->silent;
    cfg.start_in_background = r->start_in_background;
    if (r->start_in_background)
        u->listening = u->advertised = 0;
    assert_int_equal(lc_engine_new(&cfg, &u->eng), 0);
    r->started = 1;
    ferry_fake_os_attach(u->os, (ferry_server *)(void *)r);
}

/* Posts a host event the way a host would (through the public entry). */
static void host_post(struct rig *r, enum ferry_event ev)
{
    enum ferry_state before = lc_engine_state(r->run.eng);

    if (ev == FERRY_EVENT_BACKGROUND && before == FERRY_STATE_FOREGROUND)
        r->run.bg = 1;
    assert_int_equal(ferry_server_post_event((ferry_server *)(void *)r, ev), 0);
    if (lc_engine_state(r->run.eng) == FERRY_STATE_FOREGROUND)
        r->run.bg = 0;
}

/* Opens transfer *t through the engine and tracks it; returns its id. */
static uint64_t open_transfer(struct rig *r, const ferry_transfer *t)
{
    struct run *u = &r->run;
    uint64_t id;

    assert_true(u->n_open < MAX_OPEN);
    id = lc_engine_transfer_open(u->eng, t);
    if (id == 0)
        rig_fail(r, "lc_engine_transfer_open failed");
    u->span[u->n_open] = t->last - t->first + 1;
    u->open[u->n_open++] = id;
    pthread_mutex_lock(&r->mu);
    u->conns++;
    pthread_mutex_unlock(&r->mu);
    return id;
}

/* Closes the test's open transfer at index i. */
static void close_transfer(struct rig *r, size_t i)
{
    struct run *u = &r->run;
    uint64_t id = u->open[i];

    u->open[i] = u->open[--u->n_open];
    u->span[i] = u->span[u->n_open];
    pthread_mutex_lock(&r->mu);
    if (u->conns)
        u->conns--;
    pthread_mutex_unlock(&r->mu);
    lc_engine_transfer_close(u->eng, id);
}

/* Whether the listener must be open in `st`. */
static int listens_in(enum ferry_state st)
{
    return st == FERRY_STATE_FOREGROUND || st == FERRY_STATE_FINISHING ||
           st == FERRY_STATE_LINGER;
}

/*
 * The invariants that hold after every step of a single-threaded test:
 * no kill, no violation, every begin accounted for (fake, ledger and
 * wrapper agree), at most one assertion and only in FINISHING/LINGER, none
 * older than its budget, no begin after an expiration, the listener and the
 * mDNS record exactly in FOREGROUND/FINISHING/LINGER, the linger timer armed
 * exactly in LINGER, no error nor safety-net warning in the log, the
 * registry agreeing with the test's transfers.
 */
static void check_invariants(struct rig *r)
{
    struct run *u = &r->run;
    ferry_fake_os_stats st;
    struct lc_ledger_view v;
    enum ferry_state s = lc_engine_state(u->eng);
    uint64_t now = ferry_fake_os_now(u->os);

    ferry_fake_os_get_stats(u->os, &st);
    lc_engine_ledger(u->eng, &v);
    EXPECT(r, u->bad[0] == '\0', "%s", u->bad);
    EXPECT(r, st.kills == 0, "the fake OS killed the app");
    EXPECT(r, st.violations == 0, "%llu port violation(s)", (unsigned long long)st.violations);
    EXPECT(r, st.begins == st.ends + st.held, "fake: begins %llu != ends %llu + held %llu",
           (unsigned long long)st.begins, (unsigned long long)st.ends,
           (unsigned long long)st.held);
    EXPECT(r, v.begins == st.begins && v.ends == st.ends && v.held == st.held,
           "ledger %llu/%llu/%zu vs fake %llu/%llu/%llu (begins/ends/held)",
           (unsigned long long)v.begins, (unsigned long long)v.ends, v.held,
           (unsigned long long)st.begins, (unsigned long long)st.ends,
           (unsigned long long)st.held);
    EXPECT(r, v.refused == u->begins_refused, "ledger refused %llu, port refused %u",
           (unsigned long long)v.refused, u->begins_refused);
    EXPECT(r, u->n_held == st.held, "wrapper holds %zu, fake %llu", u->n_held,
           (unsigned long long)st.held);
    EXPECT(r, st.held <= 1, "%llu assertions held at once", (unsigned long long)st.held);
    EXPECT(r, st.held == 0 || s == FERRY_STATE_FINISHING || s == FERRY_STATE_LINGER,
           "%llu assertion(s) held in %s", (unsigned long long)st.held, ferry_state_name(s));
    for (size_t i = 0; i < u->n_held; i++)
        EXPECT(r, now - u->held_at[i] < u->fcfg.finish_up_budget_ms,
               "assertion %llu is %llu ms old", (unsigned long long)u->held[i],
               (unsigned long long)(now - u->held_at[i]));
    EXPECT(r, u->bad_ends == 0, "%u end(s) of assertions not held", u->bad_ends);
    EXPECT(r, u->begins_after_expiry == 0, "begin after an expiration, before foreground");
    EXPECT(r, u->listening == listens_in(s), "listener %s in %s",
           u->listening ? "open" : "closed", ferry_state_name(s));
    EXPECT(r, u->advertised == listens_in(s), "mDNS record %s in %s",
           u->advertised ? "published" : "withdrawn", ferry_state_name(s));
    EXPECT(r, u->bad_quiesces == 0, "quiesce of a closed listener");
    EXPECT(r, (u->timer_at != 0) == (s == FERRY_STATE_LINGER), "timer %s in %s",
           u->timer_at ? "armed" : "not armed", ferry_state_name(s));
    EXPECT(r, u->timer_at == 0 || u->timer_at <= now + u->linger_ms,
           "timer armed beyond the linger");
    EXPECT(r, s != FERRY_STATE_SUSPENDED || st.suspended, "engine suspended, the OS not");
    EXPECT(r, u->errors == 0, "error(s) in the engine's log");
    EXPECT(r, u->held_warnings == 0, "the engine's safety net ended assertions");
    EXPECT(r, lc_registry_open_count(u->reg) == u->n_open, "registry has %u open, test %zu",
           lc_registry_open_count(u->reg), u->n_open);
}

/*
 * Checks that the restored set is the journal on disk minus the entries an
 * open transfer has resumed (what a restore must produce).
 */
static void check_restored_is_journal(struct rig *r)
{
    ferry_transfer *disk = NULL, *reg = NULL, *open = NULL;
    size_t n_disk = 0, n_reg = 0, n_open = 0;
    int rc = lc_journal_load(r->dir_fd, &disk, &n_disk, NULL);

    EXPECT(r, rc == 0, "journal unreadable: %d", rc);
    assert_int_equal(lc_registry_snapshot(r->run.reg, 1, &reg, &n_reg), 0);
    assert_int_equal(lc_registry_snapshot(r->run.reg, 0, &open, &n_open), 0);
    keep_only(disk, &n_disk, 1, open, n_open);
    keep_only(reg, &n_reg, 1, NULL, 0);
    rc = same_transfers(disk, n_disk, reg, n_reg);
    free(disk);
    free(reg);
    free(open);
    EXPECT(r, rc, "restored set (%zu) is not the journal (%zu)", n_reg, n_disk);
}

/* ------------------------------------------------------ a) random sequences */

enum rop {
    R_OPEN, R_CLOSE, R_PROGRESS, R_BG, R_FG, R_NET, R_TERM, R_ADVANCE, R_EXPIRE,
    R_SUSPEND, R_RESUME, R_RESUME_FG, R_STALE_TIMER, R_RELAUNCH, R_NOPS
};

static const char *const rop_names[R_NOPS] = {
    "open", "close", "progress", "background", "foreground", "network", "terminate",
    "advance", "expire", "suspend", "resume", "resume+foreground", "stale-timer", "relaunch",
};

/* Picks the next operation; only what a process in that state can see. */
static enum rop pick(struct rig *r, uint64_t *rng, int suspended)
{
    /* weights: open close progress bg fg net term adv exp susp res resfg stale relaunch */
    static const unsigned awake[R_NOPS] = {20, 16, 5, 12, 10, 4, 1, 16, 8, 5, 0, 0, 2, 0};
    static const unsigned asleep[R_NOPS] = {0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 10, 3, 0, 1};
    const unsigned *w = suspended ? asleep : awake;
    unsigned total = 0, x;

    for (int i = 0; i < R_NOPS; i++)
        total += w[i];
    for (;;) {
        x = rnd_below(rng, total);
        for (int i = 0; i < R_NOPS; i++) {
            if (x < w[i]) {
                if (i == R_OPEN && r->run.n_open >= 5)
                    break;
                if ((i == R_CLOSE || i == R_PROGRESS) && r->run.n_open == 0)
                    break;
                return (enum rop)i;
            }
            x -= w[i];
        }
    }
}

/* A new process over the same state folder (after terminate or a kill while
 * suspended): the restored set must be the journal. */
static void relaunch(struct rig *r)
{
    ferry_fake_os_config fcfg = r->run.fcfg;
    unsigned linger = r->run.linger_ms;
    int cet = r->run.close_ends_transfers;

    rig_stop(r);
    rig_start(r, &fcfg, linger);
    r->run.close_ends_transfers = cet;
    r->restores++;
    EXPECT(r, lc_engine_restore(r->run.eng) == 0, "restore failed");
    check_restored_is_journal(r);
}

/* One random step, then every check. */
static void random_step(struct rig *r, uint64_t *rng)
{
    struct run *u = &r->run;
    ferry_fake_os_stats st;
    enum ferry_state before = lc_engine_state(u->eng), after;
    struct file_id jid0, jid1;
    unsigned snaps0 = u->snapshots, writes0 = u->writes, closes0 = u->closes;
    unsigned refused0 = u->begins_refused;
    uint64_t arg = 0;
    enum rop op;

    ferry_fake_os_get_stats(u->os, &st);
    op = pick(r, rng, st.suspended);
    journal_id(r, &jid0);
    switch (op) {
    case R_OPEN: {
        ferry_transfer t;

        make_transfer(&t, rng, ferry_fake_os_now(u->os));
        arg = open_transfer(r, &t);
        break;
    }
    case R_CLOSE:
        close_transfer(r, rnd_below(rng, (unsigned)u->n_open));
        break;
    case R_PROGRESS: {
        size_t i = rnd_below(rng, (unsigned)u->n_open);

        arg = rnd_next(rng) % (u->span[i] + 1);
        lc_registry_progress(u->reg, u->open[i], arg);
        break;
    }
    case R_BG:
        host_post(r, FERRY_EVENT_BACKGROUND);
        break;
    case R_FG:
        host_post(r, FERRY_EVENT_FOREGROUND);
        break;
    case R_NET:
        host_post(r, FERRY_EVENT_NETWORK_CHANGED);
        break;
    case R_TERM:
        host_post(r, FERRY_EVENT_WILL_TERMINATE);
        break;
    case R_ADVANCE:
        switch (rnd_below(rng, 3)) {
        case 0:
            arg = rnd_below(rng, 2001);
            break;
        case 1:
            arg = rnd_below(rng, 40001);
            break;
        default:
            arg = u->linger_ms - 1 + rnd_below(rng, 3);
            break;
        }
        ferry_fake_os_advance(u->os, arg);
        break;
    case R_EXPIRE:
        ferry_fake_os_expire(u->os);
        break;
    case R_SUSPEND:
        EXPECT(r, ferry_fake_os_suspend(u->os) == 0, "suspend refused");
        break;
    case R_RESUME:
        EXPECT(r, ferry_fake_os_resume(u->os) == 0, "resume refused");
        break;
    case R_RESUME_FG: /* a host that reports only foreground */
        ferry_fake_os_attach(u->os, NULL);
        EXPECT(r, ferry_fake_os_resume(u->os) == 0, "resume refused");
        ferry_fake_os_attach(u->os, (ferry_server *)(void *)r);
        host_post(r, FERRY_EVENT_FOREGROUND);
        break;
    case R_STALE_TIMER: /* a timer that fired before a re-arm or a disarm */
        if (u->timer_at == 0 || ferry_fake_os_now(u->os) < u->timer_at)
            host_post(r, FERRY_EVENT_TIMER);
        break;
    case R_RELAUNCH:
        break;
    case R_NOPS:
        break;
    }
    after = lc_engine_state(u->eng);
    rig_hist(r, "%s %llu: %s -> %s (t=%llu, open %zu, held %zu)", rop_names[op],
             (unsigned long long)arg, ferry_state_name(before), ferry_state_name(after),
             (unsigned long long)ferry_fake_os_now(u->os), u->n_open, u->n_held);
    check_invariants(r);

    /* The journal: rewritten exactly by the snapshots (their content was
     * checked at the snapshot); one of nothing removes it, so that finished
     * transfers never come back. */
    journal_id(r, &jid1);
    if (u->writes == writes0)
        EXPECT(r, same_file(&jid0, &jid1), "the journal changed without a snapshot");
    else if (u->snap_n == 0)
        EXPECT(r, !jid1.exists, "a snapshot of nothing left a journal behind");
    else
        EXPECT(r, !same_file(&jid0, &jid1), "a snapshot of %zu left the journal as it was",
               u->snap_n);

    /* A refused begin leaves the app quiet before the call returns. */
    if (u->begins_refused != refused0)
        EXPECT(r, after == FERRY_STATE_QUIET, "refused begin left the engine %s",
               ferry_state_name(after));

    switch (op) {
    case R_EXPIRE:
        if (before == FERRY_STATE_FINISHING) {
            EXPECT(r, after == FERRY_STATE_QUIET, "expiring in finishing -> %s",
                   ferry_state_name(after));
            EXPECT(r, u->snapshots > snaps0, "expiration without a snapshot");
            EXPECT(r, u->closes > closes0 && u->conns == 0, "expiration left connections");
        }
        break;
    case R_SUSPEND:
        EXPECT(r, after == FERRY_STATE_SUSPENDED, "will-suspend -> %s", ferry_state_name(after));
        EXPECT(r, u->snapshots > snaps0, "suspension without a snapshot");
        if (listens_in(before))
            EXPECT(r, u->closes > closes0 && u->conns == 0, "suspension left connections");
        break;
    case R_TERM:
        EXPECT(r, after == FERRY_STATE_TERMINATED, "will-terminate -> %s",
               ferry_state_name(after));
        if (before != FERRY_STATE_SUSPENDED)
            EXPECT(r, u->snapshots > snaps0, "termination without a snapshot");
        relaunch(r);
        break;
    case R_RELAUNCH: /* iOS kills a suspended app without a word */
        relaunch(r);
        break;
    case R_RESUME:
    case R_RESUME_FG:
        if (before == FERRY_STATE_SUSPENDED) {
            enum ferry_state want = op == R_RESUME && u->bg ? FERRY_STATE_QUIET
                                                            : FERRY_STATE_FOREGROUND;

            EXPECT(r, after == want, "resumed -> %s, want %s", ferry_state_name(after),
                   ferry_state_name(want));
            check_restored_is_journal(r);
        }
        break;
    case R_STALE_TIMER:
        EXPECT(r, after == before, "a stale timer moved %s -> %s", ferry_state_name(before),
               ferry_state_name(after));
        break;
    case R_OPEN:
        if (before == FERRY_STATE_LINGER)
            EXPECT(r, after == FERRY_STATE_FINISHING || after == FERRY_STATE_QUIET,
                   "transfer opened in linger -> %s", ferry_state_name(after));
        break;
    case R_CLOSE:
        if (before == FERRY_STATE_FINISHING && u->n_open == 0)
            EXPECT(r, after == FERRY_STATE_LINGER, "last transfer closed -> %s",
                   ferry_state_name(after));
        break;
    default:
        break;
    }
}

/* a) 3,000 random sequences of host events, fake-OS driving and transfers,
 * every invariant checked after every step. */
static void test_random_sequences(void **state)
{
    struct rig *r = *state;
    static const uint64_t budgets[] = {30000, 30000, 8000, 2000};
    static const uint64_t warnings[] = {5000, 5000, 500, 2000};
    static const unsigned lingers[] = {1000, 1000, 250, 5000};
    unsigned long long steps = 0, kinds[FERRY_STATE_TERMINATED + 1] = {0};

    for (unsigned seq = 0; seq < RANDOM_SEQUENCES; seq++) {
        uint64_t rng = RANDOM_SEED ^ ((uint64_t)seq * 0xd1342543de82ef95ULL);
        ferry_fake_os_config fcfg;

        r->seq = seq;
        r->seed = rng;
        r->n_hist = 0;
        unlinkat(r->dir_fd, LC_JOURNAL_NAME, 0); /* each sequence from scratch */
        ferry_fake_os_config_init(&fcfg);
        fcfg.finish_up_budget_ms = budgets[rnd_below(&rng, COUNT(budgets))];
        fcfg.warning_ms = warnings[rnd_below(&rng, COUNT(warnings))];
        if (rnd_below(&rng, 4) == 0)
            fcfg.fail_begin_nth = 1 + rnd_below(&rng, 4);
        else if (rnd_below(&rng, 20) == 0)
            fcfg.refuse_all = 1;
        rig_start(r, &fcfg, lingers[rnd_below(&rng, COUNT(lingers))]);
        r->run.close_ends_transfers = (int)rnd_below(&rng, 2);
        rig_hist(r, "start: budget %llu, warning %llu, linger %u, close ends transfers %d, "
                 "fail begin %u%s", (unsigned long long)fcfg.finish_up_budget_ms,
                 (unsigned long long)fcfg.warning_ms, r->run.linger_ms,
                 r->run.close_ends_transfers, fcfg.fail_begin_nth,
                 fcfg.refuse_all ? ", refuse all" : "");
        for (r->step = 0; r->step < RANDOM_STEPS; r->step++) {
            random_step(r, &rng);
            kinds[lc_engine_state(r->run.eng)]++;
            steps++;
        }
        /* Wind down: back on screen, nothing may be held. */
        if (lc_engine_state(r->run.eng) == FERRY_STATE_SUSPENDED)
            ferry_fake_os_resume(r->run.os);
        host_post(r, FERRY_EVENT_FOREGROUND);
        rig_hist(r, "wind down: %s", ferry_state_name(lc_engine_state(r->run.eng)));
        check_invariants(r);
        EXPECT(r, r->run.n_held == 0, "held in foreground");
        while (r->run.n_open)
            close_transfer(r, 0);
        check_invariants(r);
        rig_stop(r);
    }
    printf("# %u sequences, %llu steps; states after a step: fg %llu, fin %llu, lin %llu, "
           "quiet %llu, susp %llu, term %llu\n", RANDOM_SEQUENCES, steps,
           kinds[FERRY_STATE_FOREGROUND], kinds[FERRY_STATE_FINISHING],
           kinds[FERRY_STATE_LINGER], kinds[FERRY_STATE_QUIET], kinds[FERRY_STATE_SUSPENDED],
           kinds[FERRY_STATE_TERMINATED]);
    printf("# %llu processes (%llu cold starts), %llu begins, %llu refused, %llu expirations, "
           "%llu journal writes\n", r->runs, r->restores, r->begins, r->refused,
           r->expirations, r->writes);
}

/* ------------------------------------- b) every begin refused, everywhere */

enum sop { S_OPEN, S_CLOSE, S_BG, S_FG, S_NET, S_ADVANCE, S_EXPIRE, S_SUSPEND, S_RESUME };

struct sstep {
    enum sop op;
    unsigned arg; /* transfer slot, or milliseconds */
};

/* A scenario of ~35 steps that begins assertions in every way the machine
 * can (background with transfers, a transfer opened in linger, again after
 * foreground), with expirations, a warning, suspensions and a linger. */
static const struct sstep scenario[] = {
    {S_OPEN, 0},       {S_BG, 0},       {S_OPEN, 1},      {S_CLOSE, 0},    {S_CLOSE, 1},
    {S_ADVANCE, 500},  {S_OPEN, 2},     {S_FG, 0},        {S_BG, 0},       {S_EXPIRE, 0},
    {S_FG, 0},         {S_CLOSE, 2},    {S_BG, 0},        {S_OPEN, 3},     {S_ADVANCE, 30000},
    {S_SUSPEND, 0},    {S_RESUME, 0},   {S_FG, 0},        {S_BG, 0},       {S_NET, 0},
    {S_SUSPEND, 0},    {S_RESUME, 0},   {S_FG, 0},        {S_CLOSE, 3},    {S_BG, 0},
    {S_ADVANCE, 1000}, {S_FG, 0},       {S_OPEN, 0},      {S_BG, 0},       {S_CLOSE, 0},
    {S_OPEN, 1},       {S_ADVANCE, 40000}, {S_FG, 0},     {S_BG, 0},       {S_OPEN, 2},
    {S_CLOSE, 1},      {S_CLOSE, 2},    {S_ADVANCE, 999}, {S_FG, 0},
};

/*
 * Replays the scenario on a fresh run with `fcfg`, checking the invariants
 * after every step and that a refused begin leaves the engine QUIET when the
 * call returns. Returns the number of begin calls the engine made.
 */
static unsigned replay(struct rig *r, const ferry_fake_os_config *fcfg)
{
    struct run *u;
    uint64_t slot[4] = {0};
    uint64_t rng = 42;
    ferry_fake_os_stats st;

    r->n_hist = 0;
    unlinkat(r->dir_fd, LC_JOURNAL_NAME, 0);
    rig_start(r, fcfg, 1000);
    u = &r->run;
    for (r->step = 0; r->step < COUNT(scenario); r->step++) {
        const struct sstep *s = &scenario[r->step];
        enum ferry_state before = lc_engine_state(u->eng);
        unsigned refused0 = u->begins_refused;
        ferry_transfer t;

        switch (s->op) {
        case S_OPEN:
            make_transfer(&t, &rng, ferry_fake_os_now(u->os));
            slot[s->arg] = open_transfer(r, &t);
            break;
        case S_CLOSE:
            for (size_t i = 0; i < u->n_open; i++)
                if (u->open[i] == slot[s->arg])
                    close_transfer(r, i);
            break;
        case S_BG:
            host_post(r, FERRY_EVENT_BACKGROUND);
            break;
        case S_FG:
            host_post(r, FERRY_EVENT_FOREGROUND);
            break;
        case S_NET:
            host_post(r, FERRY_EVENT_NETWORK_CHANGED);
            break;
        case S_ADVANCE:
            ferry_fake_os_advance(u->os, s->arg);
            break;
        case S_EXPIRE:
            ferry_fake_os_expire(u->os);
            break;
        case S_SUSPEND:
            ferry_fake_os_suspend(u->os);
            break;
        case S_RESUME:
            ferry_fake_os_resume(u->os);
            break;
        }
        rig_hist(r, "step %u (op %d %u): %s -> %s, begin calls %u, refused %u", r->step,
                 (int)s->op, s->arg, ferry_state_name(before),
                 ferry_state_name(lc_engine_state(u->eng)), u->begin_calls, u->begins_refused);
        check_invariants(r);
        if (u->begins_refused != refused0)
            EXPECT(r, lc_engine_state(u->eng) == FERRY_STATE_QUIET,
                   "a refused begin left the engine %s",
                   ferry_state_name(lc_engine_state(u->eng)));
    }
    EXPECT(r, lc_engine_state(u->eng) == FERRY_STATE_FOREGROUND, "scenario ends in %s",
           ferry_state_name(lc_engine_state(u->eng)));
    ferry_fake_os_get_stats(u->os, &st);
    EXPECT(r, st.held == 0 && st.begins == st.ends, "begins %llu, ends %llu at the end",
           (unsigned long long)st.begins, (unsigned long long)st.ends);
    EXPECT(r, st.begins + u->begins_refused == u->begin_calls, "begins do not add up");
    rig_stop(r);
    return u->begin_calls;
}

/* b) The Nth begin refused, for every N the scenario reaches (and one past). */
static void test_begin_fails_at_every_position(void **state)
{
    struct rig *r = *state;
    ferry_fake_os_config fcfg;
    unsigned clean, n;

    ferry_fake_os_config_init(&fcfg);
    r->seq = 0;
    clean = replay(r, &fcfg);
    assert_true(clean >= 5); /* the scenario begins in several ways */
    for (n = 1; n <= clean + 1; n++) {
        unsigned calls;

        r->seq = n;
        fcfg.fail_begin_nth = n;
        calls = replay(r, &fcfg);
        /* The calls before the Nth are those of the clean run. */
        if (n <= clean)
            assert_true(calls >= n);
        else
            assert_int_equal(calls, clean);
    }
    printf("# %u begins in the scenario, each refused in turn\n", clean);
}

/* b) Every begin refused. */
static void test_refuse_all(void **state)
{
    struct rig *r = *state;
    ferry_fake_os_config fcfg;
    unsigned calls;

    ferry_fake_os_config_init(&fcfg);
    fcfg.refuse_all = 1;
    calls = replay(r, &fcfg);
    assert_true(calls >= 5);
}

/* ------------------------------------------------------------ c) targeted */

/* Two transfers the targeted tests open. */
static void two_transfers(ferry_transfer t[2], uint64_t now)
{
    memset(t, 0, 2 * sizeof *t);
    t[0].direction = FERRY_DOWNLOAD;
    snprintf(t[0].path, sizeof t[0].path, "/Movies/Holiday 2024.mov");
    snprintf(t[0].validator, sizeof t[0].validator, "\"5f3a-1c2b3d4e\"");
    t[0].first = 1048576;
    t[0].last = 734003199;
    t[0].total = 734003200;
    snprintf(t[0].peer, sizeof t[0].peer, "192.168.1.23");
    t[0].started_ms = now;
    t[1].direction = FERRY_UPLOAD; /* a tus upload: only those resume */
    snprintf(t[1].path, sizeof t[1].path, "/Uploads/Rechnung März.pdf");
    snprintf(t[1].validator, sizeof t[1].validator, "tus:0123456789abcdef0123456789abcdef");
    t[1].last = 81919;
    t[1].total = 81920;
    snprintf(t[1].peer, sizeof t[1].peer, "fe80::1c2b:3dff:fe4e:5f60");
    t[1].started_ms = now;
}

/*
 * Background with two transfers, expiration, suspension, resume in the
 * background, foreground, cold start, corrupt journal, clean stop.
 */
static void test_expire_suspend_resume_restore(void **state)
{
    struct rig *r = *state;
    struct run *u;
    ferry_transfer t[2], *list = NULL;
    ferry_fake_os_stats st;
    size_t n = 0;
    struct stat sb;

    rig_start(r, NULL, 1000);
    u = &r->run;
    u->close_ends_transfers = 1; /* as the server: closing ends the transfers */
    two_transfers(t, ferry_fake_os_now(u->os));
    open_transfer(r, &t[0]);
    open_transfer(r, &t[1]);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FOREGROUND);
    assert_int_equal(u->begin_calls, 0);

    /* background: finishing, one assertion, the two in the journal */
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FINISHING);
    ferry_fake_os_get_stats(u->os, &st);
    assert_int_equal(st.held, 1);
    assert_true(u->snapshots >= 1);
    assert_true(journal_is(r, t, 2));
    check_invariants(r);

    /* the warning: everything inside the one call */
    ferry_fake_os_advance(u->os, 10000);
    assert_int_equal(ferry_fake_os_expire(u->os), 0);
    ferry_fake_os_get_stats(u->os, &st);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.ends, 1);
    assert_int_equal(st.expirations, 1);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
    assert_int_equal(u->quiesces, 1);
    assert_int_equal(u->closes, 1);
    assert_int_equal(u->withdraws, 1);
    assert_false(u->listening);
    assert_true(journal_is(r, t, 2));
    assert_int_equal(lc_registry_open_count(u->reg), 0); /* closed with them */
    check_invariants(r);

    /* suspension: the warning's journal stays the truth */
    assert_int_equal(ferry_fake_os_suspend(u->os), 0);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_SUSPENDED);
    assert_true(journal_is(r, t, 2));
    check_invariants(r);
    ferry_fake_os_advance(u->os, 3600000);

    /* resumed off screen: quiet, not listening, the two restored */
    assert_int_equal(ferry_fake_os_resume(u->os), 0);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
    assert_int_equal(u->rebinds, 0);
    assert_int_equal(lc_registry_snapshot(u->reg, 0, &list, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(lc_registry_snapshot(u->reg, 1, &list, &n), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(list[i].restored, 1);
    assert_true(same_transfers(list, n, t, 2));
    free(list);
    check_invariants(r);

    /* foreground: listening and advertised again */
    host_post(r, FERRY_EVENT_FOREGROUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FOREGROUND);
    assert_int_equal(u->rebinds, 1);
    assert_int_equal(u->readverts, 1);
    assert_true(u->listening);
    check_invariants(r);

    /* cold start over the same folder */
    rig_stop(r);
    rig_start(r, NULL, 1000);
    u = &r->run;
    assert_int_equal(lc_engine_restore(u->eng), 0);
    assert_int_equal(lc_registry_snapshot(u->reg, 1, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_true(same_transfers(list, n, t, 2));
    free(list);
    check_invariants(r);
    rig_stop(r);

    /* a corrupt journal is reported and ignored */
    {
        int fd = openat(r->dir_fd, LC_JOURNAL_NAME, O_RDWR | O_CLOEXEC);
        unsigned char c;
        off_t mid;

        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &sb), 0);
        mid = sb.st_size / 2;
        assert_int_equal(pread(fd, &c, 1, mid), 1);
        c ^= 0x01;
        assert_int_equal(pwrite(fd, &c, 1, mid), 1);
        close(fd);
    }
    rig_start(r, NULL, 1000);
    u = &r->run;
    assert_int_equal(lc_engine_restore(u->eng), LC_JOURNAL_ECORRUPT);
    assert_int_equal(u->corrupt_warnings, 1);
    assert_int_equal(lc_registry_snapshot(u->reg, 1, &list, &n), 0);
    assert_int_equal(n, 0);
    check_invariants(r);

    /* a clean stop with nothing open nor restored removes the journal */
    assert_int_equal(lc_engine_snapshot(u->eng), 0);
    assert_int_equal(fstatat(r->dir_fd, LC_JOURNAL_NAME, &sb, 0), -1);
    assert_int_equal(errno, ENOENT);
    rig_stop(r);
}

/* Linger: background with nothing open holds nothing and goes quiet
 * linger_ms later, to the millisecond. */
static void test_linger(void **state)
{
    struct rig *r = *state;
    struct run *u;

    rig_start(r, NULL, 1000);
    u = &r->run;
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_LINGER);
    assert_int_equal(u->begin_calls, 0);
    assert_int_equal(u->timer_at, 1000);
    check_invariants(r);
    ferry_fake_os_advance(u->os, 999);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_LINGER);
    check_invariants(r);
    ferry_fake_os_advance(u->os, 1);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
    assert_int_equal(u->quiesces, 1);
    assert_int_equal(u->withdraws, 1);
    assert_int_equal(u->closes, 1); /* idle keep-alives end too: nothing runs unheld */
    check_invariants(r);
    host_post(r, FERRY_EVENT_FOREGROUND);
    assert_int_equal(u->rebinds, 1);
    check_invariants(r);
    rig_stop(r);
}

/* Stale timer: armed, then re-armed (a transfer opens and closes again);
 * the first deadline must not end the linger early, whether the port drops
 * it or delivers it late. */
static void test_stale_timer(void **state)
{
    struct rig *r = *state;
    struct run *u;
    ferry_transfer t[2];
    uint64_t id;

    rig_start(r, NULL, 1000);
    u = &r->run;
    host_post(r, FERRY_EVENT_BACKGROUND); /* LINGER, deadline 1000 */
    assert_int_equal(u->timer_at, 1000);
    ferry_fake_os_advance(u->os, 500);
    two_transfers(t, 500);
    id = open_transfer(r, &t[0]);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FINISHING);
    assert_int_equal(u->timer_at, 0); /* disarmed */
    check_invariants(r);
    close_transfer(r, 0);
    (void)id;
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_LINGER);
    assert_int_equal(u->timer_at, 1500); /* re-armed */
    check_invariants(r);
    ferry_fake_os_advance(u->os, 500); /* t=1000: the first deadline */
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_LINGER);
    host_post(r, FERRY_EVENT_TIMER); /* the first timer, delivered late */
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_LINGER);
    check_invariants(r);
    ferry_fake_os_advance(u->os, 499);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_LINGER);
    ferry_fake_os_advance(u->os, 1);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
    check_invariants(r);

    /* foreground disarms; a timer left over from before does nothing */
    host_post(r, FERRY_EVENT_FOREGROUND);
    host_post(r, FERRY_EVENT_BACKGROUND); /* LINGER, deadline 2500 */
    assert_int_equal(u->timer_at, 2500);
    host_post(r, FERRY_EVENT_FOREGROUND);
    assert_int_equal(u->timer_at, 0);
    check_invariants(r);
    ferry_fake_os_advance(u->os, 5000);
    host_post(r, FERRY_EVENT_TIMER);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FOREGROUND);
    check_invariants(r);
    rig_stop(r);
}

/*
 * Runs one of the two "finished" cases below and returns how many transfers
 * come back as restored after suspension and resume.
 *  0: two open, background (a precautionary journal lists both), both
 *     finish, linger ends, suspend, resume.
 *  1: two open, background, expiration (the journal lists both, the
 *     connections are closed), foreground, the clients resume both and
 *     they finish in the foreground, background, linger ends, suspend,
 *     resume.
 * Either way nothing was interrupted in the end: the answer should be 0.
 */
static size_t finished_case(struct rig *r, int which)
{
    struct run *u;
    ferry_transfer t[2], *list = NULL;
    size_t n = 0;

    unlinkat(r->dir_fd, LC_JOURNAL_NAME, 0);
    rig_start(r, NULL, 1000);
    u = &r->run;
    u->close_ends_transfers = 1;
    two_transfers(t, 0);
    open_transfer(r, &t[0]);
    open_transfer(r, &t[1]);
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FINISHING);
    if (which == 1) {
        assert_int_equal(ferry_fake_os_expire(u->os), 0);
        assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
        assert_int_equal(u->n_open, 0);
        host_post(r, FERRY_EVENT_FOREGROUND);
        open_transfer(r, &t[0]); /* resumed by Range / upload offset */
        open_transfer(r, &t[1]);
    }
    close_transfer(r, 0);
    close_transfer(r, 0); /* both finished */
    if (which == 1)
        host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_LINGER);
    ferry_fake_os_advance(u->os, 1000);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
    assert_int_equal(ferry_fake_os_suspend(u->os), 0);
    assert_int_equal(ferry_fake_os_resume(u->os), 0);
    check_invariants(r);
    assert_int_equal(lc_registry_snapshot(u->reg, 1, &list, &n), 0);
    free(list);
    rig_stop(r);
    return n;
}

/* Transfers that finished are not interrupted transfers: after suspension
 * and resume (or a cold start) they must not come back as restored. */
static void test_finished_transfers_not_restored(void **state)
{
    struct rig *r = *state;
    size_t precautionary = finished_case(r, 0), after_expiry = finished_case(r, 1);

    if (precautionary || after_expiry)
        rig_fail(r, "finished transfers restored as interrupted after resume: %zu after the "
                 "background journal, %zu after an expiration and a resumption",
                 precautionary, after_expiry);
}

/*
 * Opens and closes race on their way to the engine (the registry changes
 * before the post arrives): the engine must trust the open count, not the
 * input. Both interleavings are played on one thread, with the registry
 * changed directly where another thread would have changed it.
 */
static void test_racing_posts(void **state)
{
    struct rig *r = *state;
    struct run *u;
    ferry_transfer t[2];
    uint64_t a, b;
    int was_idle = 0;

    rig_start(r, NULL, 1000);
    u = &r->run;
    two_transfers(t, 0);

    /* A closes the last transfer, B opens one and posts, then A's "idle"
     * arrives late: one transfer is open, the engine must stay finishing. */
    open_transfer(r, &t[0]);
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FINISHING);
    assert_int_equal(lc_registry_close(u->reg, u->open[0]), 0); /* A, not yet posted */
    u->n_open = 0;
    b = open_transfer(r, &t[1]);                                 /* B posts */
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FINISHING);
    lc_engine_post(u->eng, LC_IN_TRANSFERS_IDLE);                /* A's post */
    EXPECT(r, lc_engine_state(u->eng) == FERRY_STATE_FINISHING,
           "late idle with a transfer open: %s", ferry_state_name(lc_engine_state(u->eng)));
    check_invariants(r);

    /* B's transfer ends normally: linger. Then A opens one, B's thread
     * completes it before A's "opened" arrives: nothing is open, the engine
     * must keep lingering (and begin nothing). */
    close_transfer(r, 0);
    (void)b;
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_LINGER);
    assert_int_equal(lc_registry_open(u->reg, &t[0], &a, &was_idle), 0); /* A */
    assert_int_equal(was_idle, 1);
    lc_engine_transfer_close(u->eng, a);                                 /* B */
    lc_engine_post(u->eng, LC_IN_TRANSFER_OPENED);                       /* A's post */
    EXPECT(r, lc_engine_state(u->eng) == FERRY_STATE_LINGER,
           "late opened with nothing open: %s", ferry_state_name(lc_engine_state(u->eng)));
    check_invariants(r);
    ferry_fake_os_advance(u->os, 1000);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
    check_invariants(r);
    rig_stop(r);
}

/* A state folder that cannot be written: the snapshot fails (logged), and
 * everything else still happens — the assertion ends within the warning. */
static void test_journal_write_fails(void **state)
{
    struct rig *r = *state;
    struct run *u;
    ferry_transfer t[2];
    ferry_fake_os_stats st;

    assert_int_equal(mkdirat(r->dir_fd, "gone", 0700), 0);
    r->state_fd = openat(r->dir_fd, "gone", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(r->state_fd >= 0);
    assert_int_equal(unlinkat(r->dir_fd, "gone", AT_REMOVEDIR), 0);
    rig_start(r, NULL, 1000);
    u = &r->run;
    u->check_journal = 0;
    two_transfers(t, 0);
    open_transfer(r, &t[0]);
    open_transfer(r, &t[1]);
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FINISHING);
    assert_true(u->errors >= 1); /* "cannot write the journal" */
    assert_int_equal(ferry_fake_os_expire(u->os), 0);
    ferry_fake_os_get_stats(u->os, &st);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.kills, 0);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
    assert_int_equal(u->quiesces, 1);
    assert_int_equal(u->closes, 1);
    assert_true(u->errors >= 2);
    assert_int_equal(ferry_fake_os_suspend(u->os), 0);
    ferry_fake_os_get_stats(u->os, &st);
    assert_int_equal(st.kills, 0);
    rig_stop(r);
}

/* ---------------------------------------------------------- d) threads */

struct worker {
    struct rig *r;
    uint64_t seed;
    unsigned failures;   /* opens that failed */
    atomic_int *done;
};

/* Opens and closes transfers (at most 3 of its own open) WORKER_ITERS times,
 * then closes what is left. Never calls cmocka. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *u = &w->r->run;
    uint64_t ids[3];
    size_t n = 0;

    for (unsigned i = 0; i < WORKER_ITERS; i++) {
        if (n == 0 || (n < COUNT(ids) && rnd_below(&w->seed, 2))) {
            ferry_transfer t;
            uint64_t id;

            make_transfer(&t, &w->seed, 0);
            id = lc_engine_transfer_open(u->eng, &t);
            if (id)
                ids[n++] = id;
            else
                w->failures++;
        } else {
            size_t k = rnd_below(&w->seed, (unsigned)n);

            lc_registry_progress(u->reg, ids[k], rnd_next(&w->seed) % 1000);
            lc_engine_transfer_close(u->eng, ids[k]);
            ids[k] = ids[--n];
        }
        if (rnd_below(&w->seed, 8) == 0)
            sched_yield();
    }
    while (n)
        lc_engine_transfer_close(u->eng, ids[--n]);
    atomic_fetch_add(w->done, 1);
    return NULL;
}

/* d) Four threads open and close transfers while this one posts background,
 * foreground and expirations, suspends, resumes and advances the clock. */
static void test_threads(void **state)
{
    struct rig *r = *state;
    struct run *u;
    struct worker w[WORKERS];
    pthread_t th[WORKERS];
    atomic_int done = 0;
    ferry_fake_os_stats st;
    struct lc_ledger_view v;
    uint64_t rng = 7;
    char broken[256] = "";
    unsigned i;

    alarm(120); /* a deadlock fails the test instead of hanging it */
    rig_start(r, NULL, 250);
    u = &r->run;
    u->check_journal = 0; /* the registry moves under the snapshot */
    for (i = 0; i < WORKERS; i++) {
        w[i] = (struct worker){.r = r, .seed = 1000 + i, .done = &done};
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (i = 0; i < DRIVER_ITERS && !broken[0]; i++) {
        ferry_fake_os_get_stats(u->os, &st);
        switch (rnd_below(&rng, 10)) {
        case 0:
        case 1:
            if (!st.suspended)
                ferry_server_post_event((ferry_server *)(void *)r, FERRY_EVENT_BACKGROUND);
            break;
        case 2:
            if (!st.suspended)
                ferry_server_post_event((ferry_server *)(void *)r, FERRY_EVENT_FOREGROUND);
            break;
        case 3:
            ferry_fake_os_expire(u->os);
            break;
        case 4:
            if (rnd_below(&rng, 4) == 0)
                ferry_fake_os_suspend(u->os);
            break;
        case 5:
            ferry_fake_os_resume(u->os);
            break;
        default:
            ferry_fake_os_advance(u->os, rnd_below(&rng, 40001) / (1 + rnd_below(&rng, 40)));
            break;
        }
        ferry_fake_os_get_stats(u->os, &st);
        if (st.kills || st.violations || st.begins != st.ends + st.held || st.held > 1)
            snprintf(broken, sizeof broken, "iteration %u: kills %llu, violations %llu, "
                     "begins %llu, ends %llu, held %llu", i, (unsigned long long)st.kills,
                     (unsigned long long)st.violations, (unsigned long long)st.begins,
                     (unsigned long long)st.ends, (unsigned long long)st.held);
        if (i % 64 == 0)
            sched_yield();
    }
    for (i = 0; i < WORKERS; i++)
        pthread_join(th[i], NULL);
    alarm(0);
    EXPECT(r, !broken[0], "%s", broken);
    assert_int_equal(atomic_load(&done), WORKERS);
    for (i = 0; i < WORKERS; i++)
        assert_int_equal(w[i].failures, 0);

    /* At the end: back on screen, nothing held, everything agrees. */
    ferry_fake_os_get_stats(u->os, &st);
    if (st.suspended)
        ferry_fake_os_resume(u->os);
    host_post(r, FERRY_EVENT_FOREGROUND);
    ferry_fake_os_get_stats(u->os, &st);
    lc_engine_ledger(u->eng, &v);
    printf("# threads: %llu begins, %u refused, %llu expirations, %u snapshots\n",
           (unsigned long long)st.begins, u->begins_refused,
           (unsigned long long)st.expirations, u->snapshots);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FOREGROUND);
    assert_int_equal(lc_registry_open_count(u->reg), 0);
    assert_true(st.begins > 0);
    check_invariants(r);
    rig_stop(r);
}

/* Runs every test (TAP with CMOCKA_MESSAGE_OUTPUT=TAP). */

/* ------------------------------------------------ iOS as it really is */

/* D2: the expiration ends the assertion first, before the snapshot (fsyncs)
 * and before the listener and the connections close (slow: TLS
 * close_notify, joins). */
static void test_expiry_ends_before_slow_work(void **state)
{
    struct rig *r = *state;
    struct run *u;
    ferry_transfer t[2];
    ferry_fake_os_stats st;

    rig_start(r, NULL, 1000);
    u = &r->run;
    two_transfers(t, ferry_fake_os_now(u->os));
    open_transfer(r, &t[0]);
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FINISHING);
    assert_int_equal(u->n_held, 1);
    assert_int_equal(ferry_fake_os_expire(u->os), 0);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
    assert_true(u->quiesces >= 1 && u->closes >= 1);
    EXPECT(r, u->held_at_quiesce == 0, "the listener closed with %zu assertion(s) still "
           "held: the end waits for the slow work", u->held_at_quiesce);
    EXPECT(r, u->held_at_close == 0, "connections closed with %zu assertion(s) still held",
           u->held_at_close);
    ferry_fake_os_get_stats(u->os, &st);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.kills, 0);
}

/* D3/D4: the expiration of one id ends that id (and, nothing else held,
 * goes quiet); an id ferry does not hold is FERRY_ENOTFOUND and changes
 * nothing; the fake's per-id delivery ends it without a kill; end_all
 * (server stop) ends everything at once. */
static void test_expiring_by_id(void **state)
{
    struct rig *r = *state;
    struct run *u;
    ferry_fake_os_config fc;
    ferry_transfer t[2];
    ferry_fake_os_stats st;
    uint64_t id;

    ferry_fake_os_config_init(&fc);
    fc.expire_by_id = 1;
    rig_start(r, &fc, 1000);
    u = &r->run;
    two_transfers(t, ferry_fake_os_now(u->os));
    open_transfer(r, &t[0]);
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(u->n_held, 1);
    id = u->held[0];
    assert_int_equal(lc_engine_expiring(u->eng, id + 100), FERRY_ENOTFOUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FINISHING);
    assert_int_equal(u->n_held, 1);
    /* the OS's own warning, one id at a time through the host call */
    assert_int_equal(ferry_fake_os_expire_id(u->os, id), 0);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
    assert_int_equal(u->n_held, 0);
    EXPECT(r, u->held_at_quiesce == 0, "held %zu at quiesce", u->held_at_quiesce);
    ferry_fake_os_get_stats(u->os, &st);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.kills, 0);
    assert_int_equal(lc_engine_expiring(u->eng, id), FERRY_ENOTFOUND); /* ended once */
    /* a new background period; the budget runs out on the fake's clock */
    host_post(r, FERRY_EVENT_FOREGROUND);
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(u->n_held, 1);
    assert_int_equal(ferry_fake_os_advance(u->os, 40000), 0);
    ferry_fake_os_get_stats(u->os, &st);
    assert_int_equal(st.kills, 0);
    assert_int_equal(st.held, 0);
    /* the server stops with an assertion held: end_all ends it at once */
    host_post(r, FERRY_EVENT_FOREGROUND);
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(u->n_held, 1);
    assert_int_equal(lc_engine_end_all(u->eng), 1);
    assert_int_equal(u->n_held, 0);
    assert_int_equal(lc_engine_end_all(u->eng), 0);
}

/* D6: a relaunch while the phone is locked finds the journal EPERM: it is
 * kept (no snapshot removes or overwrites it) and read once unlocked. */
static void test_journal_kept_when_locked(void **state)
{
    struct rig *r = *state;
    struct run *u;
    ferry_transfer t[2], *list = NULL;
    size_t n = 0;
    struct stat sb;

    rig_start(r, NULL, 1000);
    u = &r->run;
    two_transfers(t, ferry_fake_os_now(u->os));
    open_transfer(r, &t[0]);
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_true(journal_is(r, t, 1));
    rig_stop(r); /* killed with the transfer open */

    rig_start(r, NULL, 1000);
    u = &r->run;
    u->check_journal = 0;
    assert_int_equal(ferry_fake_os_protect(u->os, LC_JOURNAL_NAME), 0);
    ferry_fake_os_lock(u->os, 1);
    assert_int_equal(lc_engine_restore(u->eng), -EPERM);
    assert_int_equal(lc_engine_journal_pending(u->eng), 1);
    /* background with nothing open, then a suspension: a snapshot */
    host_post(r, FERRY_EVENT_BACKGROUND);
    host_post(r, FERRY_EVENT_WILL_SUSPEND);
    lc_engine_snapshot(u->eng);
    EXPECT(r, fstatat(r->dir_fd, LC_JOURNAL_NAME, &sb, 0) == 0,
           "the journal was removed while it could not be read");
    ferry_fake_os_lock(u->os, 0);
    EXPECT(r, journal_is(r, t, 1), "the journal changed while it could not be read");
    host_post(r, FERRY_EVENT_FOREGROUND); /* retried: read now */
    assert_int_equal(lc_engine_journal_pending(u->eng), 0);
    assert_int_equal(lc_registry_snapshot(u->reg, 1, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_true(list[0].restored);
    assert_string_equal(list[0].path, t[0].path);
    free(list);
    /* a corrupt journal is still replaced (only corruption discards) */
    assert_int_equal(lc_engine_retry_restore(u->eng), 0);
}

/* D1/D11/D7 on the engine: silent, BACKGROUND with nothing open closes the
 * listener inside the call; FERRY_LINGER_NONE likewise; an unprotected
 * linger rebinds on FOREGROUND; started in the background, nothing listens
 * until FOREGROUND. */
static void test_silent_linger_none_background_start(void **state)
{
    struct rig *r = *state;
    struct run *u;
    unsigned rebinds;

    r->silent = 1;
    rig_start(r, NULL, 1000);
    u = &r->run;
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
    assert_int_equal(u->listening, 0);
    assert_int_equal(u->timer_at, 0);
    host_post(r, FERRY_EVENT_FOREGROUND);
    assert_int_equal(u->listening, 1);
    rig_stop(r);

    r->silent = 0;
    rig_start(r, NULL, FERRY_LINGER_NONE);
    u = &r->run;
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
    assert_int_equal(u->listening, 0);
    rig_stop(r);

    /* notified: an unprotected linger, then FOREGROUND: rebind (a silent
     * suspension may have defunct the listener meanwhile) */
    rig_start(r, NULL, 1000);
    u = &r->run;
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_LINGER);
    rebinds = u->rebinds;
    host_post(r, FERRY_EVENT_FOREGROUND);
    EXPECT(r, u->rebinds == rebinds + 1, "foreground after an unprotected linger did not "
           "rebind");
    rig_stop(r);

    r->start_in_background = 1;
    rig_start(r, NULL, 1000);
    u = &r->run;
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_QUIET);
    host_post(r, FERRY_EVENT_TIMER);
    host_post(r, FERRY_EVENT_BACKGROUND);
    assert_int_equal(u->rebinds, 0);
    host_post(r, FERRY_EVENT_FOREGROUND);
    assert_int_equal(lc_engine_state(u->eng), FERRY_STATE_FOREGROUND);
    assert_int_equal(u->rebinds, 1);
    assert_int_equal(u->listening, 1);
    r->start_in_background = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_expire_suspend_resume_restore, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_linger, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_expiry_ends_before_slow_work, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_expiring_by_id, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_journal_kept_when_locked, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_silent_linger_none_background_start, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_stale_timer, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_finished_transfers_not_restored, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_racing_posts, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_journal_write_fails, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_begin_fails_at_every_position, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(test_refuse_all, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_random_sequences, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(test_threads, rig_setup, rig_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
