/*
 * test_port_fake.c — unit tests of the fake OS (lifecycle/port-fake.c): the
 * virtual clock and the timer, expiration warnings and the watchdog, begins
 * refused or fatal (failure injection, inside the expiration handler),
 * continued processing, suspension with socket reclaim, the event log, the
 * dead process after a kill, and a two-thread run.
 *
 * Linked with port-fake.c alone: ferry_server_post_event() below stands in
 * for the engine. It records every posted event and, as scripted per test,
 * reacts through the port's slots like the engine would (end what it holds
 * on EXPIRING or WILL_SUSPEND, or not; begin inside the handler; re-arm the
 * timer). The "server" attached to the fake is the test's struct rec.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ferry.h"

#define MAX_EV 8192
#define MAX_IDS 64

/* How the stand-in engine answers FERRY_EVENT_EXPIRING. */
enum on_expiring {
    EXP_END_ALL = 0, /* end every assertion it holds (well behaved) */
    EXP_IGNORE,      /* do nothing (misbehaving) */
    EXP_BEGIN,       /* begin a new assertion (fatal on iOS) */
};

/* The stand-in engine and what it saw; doubles as the attached server. */
struct rec {
    ferry_fake_os *os;
    const ferry_port *port;
    enum ferry_event ev[MAX_EV];
    uint64_t at[MAX_EV];    /* virtual time of each post */
    size_t n_ev;
    enum on_expiring on_expiring;
    int end_on_suspend;     /* end what it holds on WILL_SUSPEND */
    uint64_t rearm_every;   /* on TIMER: re-arm at now + this; 0 = no */
    uint64_t ids[MAX_IDS];  /* assertions the stand-in engine holds */
    size_t n_ids;
    int handler_begin_rc;   /* what begin returned inside the handler */
    int kills;              /* on_kill calls */
    char why[256];
    /* Two-thread test: the worker's assertion, ended by whoever comes first. */
    pthread_mutex_t mu;
    uint64_t worker_id;
    int worker_held;
    uint64_t hook_ends;
};

/* Ends every assertion the stand-in engine holds. */
static void rec_end_all(struct rec *r)
{
    for (size_t i = 0; i < r->n_ids; i++)
        r->port->end_assertion(r->port->ctx, r->ids[i]);
    r->n_ids = 0;
}

/* The per-id expiration: recorded as an EXPIRING; ferry "holds" nothing
 * here, so the fake's glue ends the id itself. */
int ferry_host_assertion_expiring(ferry_server *srv, uint64_t id)
{
    struct rec *r = (struct rec *)srv;

    (void)id;
    if (r->n_ev < MAX_EV) {
        r->ev[r->n_ev] = FERRY_EVENT_EXPIRING;
        r->at[r->n_ev] = ferry_fake_os_now(r->os);
        r->n_ev++;
    }
    return FERRY_ENOTFOUND;
}

/* The engine's entry point, here: record, then react as scripted. */
int ferry_server_post_event(ferry_server *srv, enum ferry_event ev)
{
    struct rec *r = (struct rec *)srv;

    if (r->n_ev < MAX_EV) {
        r->ev[r->n_ev] = ev;
        r->at[r->n_ev] = ferry_fake_os_now(r->os);
        r->n_ev++;
    }
    if (ev == FERRY_EVENT_EXPIRING) {
        if (r->on_expiring == EXP_END_ALL)
            rec_end_all(r);
        else if (r->on_expiring == EXP_BEGIN) {
            uint64_t id = 0;
            r->handler_begin_rc = r->port->begin_assertion(
                r->port->ctx, FERRY_ASSERTION_FINISH_UP, "late", &id);
        }
        pthread_mutex_lock(&r->mu);
        if (r->worker_held) {
            r->port->end_assertion(r->port->ctx, r->worker_id);
            r->worker_held = 0;
            r->hook_ends++;
        }
        pthread_mutex_unlock(&r->mu);
    } else if (ev == FERRY_EVENT_WILL_SUSPEND && r->end_on_suspend) {
        rec_end_all(r);
    } else if (ev == FERRY_EVENT_TIMER && r->rearm_every) {
        r->port->arm_timer(r->port->ctx,
                           r->port->now_ms(r->port->ctx) + r->rearm_every);
    }
    return 0;
}

/* on_kill: counts the calls and keeps the last reason. */
static void on_kill(void *user, const char *why)
{
    struct rec *r = user;

    r->kills++;
    snprintf(r->why, sizeof r->why, "%s", why);
}

/* A fake OS from `cfg` (NULL: defaults, with on_kill) attached to `r`. */
static void rec_setup(struct rec *r, ferry_fake_os_config *cfg)
{
    ferry_fake_os_config def;

    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    if (!cfg) {
        ferry_fake_os_config_init(&def);
        cfg = &def;
    }
    cfg->on_kill = on_kill;
    cfg->kill_user = r;
    assert_int_equal(ferry_fake_os_new(cfg, &r->os), 0);
    r->port = ferry_fake_os_port(r->os);
    ferry_fake_os_attach(r->os, (ferry_server *)r);
}

/* Frees what rec_setup() made. */
static void rec_teardown(struct rec *r)
{
    ferry_fake_os_free(r->os);
    pthread_mutex_destroy(&r->mu);
}

/* Begins an assertion the stand-in engine then holds; returns its id. */
static uint64_t rec_begin(struct rec *r, enum ferry_assertion_kind kind,
                          const char *reason)
{
    uint64_t id = 0;

    assert_int_equal(r->port->begin_assertion(r->port->ctx, kind, reason,
                                              &id), 0);
    assert_true(r->n_ids < MAX_IDS);
    r->ids[r->n_ids++] = id;
    return id;
}

/* The fake's counters. */
static ferry_fake_os_stats stats(struct rec *r)
{
    ferry_fake_os_stats st;

    ferry_fake_os_get_stats(r->os, &st);
    return st;
}

/* Number of times `line` appears as a whole line of the log. */
static int log_count(struct rec *r, const char *line)
{
    char *log = ferry_fake_os_log(r->os);
    size_t len = strlen(line);
    int n = 0;

    assert_non_null(log);
    for (const char *p = log; (p = strstr(p, line)) != NULL; p += len)
        if ((p == log || p[-1] == '\n') && p[len] == '\n')
            n++;
    free(log);
    return n;
}

/* Fails unless `line` is a whole line of the log exactly once. */
static void expect_log(struct rec *r, const char *line)
{
    if (log_count(r, line) != 1) {
        char *log = ferry_fake_os_log(r->os);
        fail_msg("want the line \"%s\" once in the log:\n%s", line, log);
    }
}

/* Fails unless exactly events ev[0..n) were posted, at times at[0..n). */
static void expect_events(struct rec *r, size_t n, const enum ferry_event *ev,
                          const uint64_t *at)
{
    if (r->n_ev != n)
        fail_msg("%zu events posted, want %zu", r->n_ev, n);
    for (size_t i = 0; i < n; i++)
        if (r->ev[i] != ev[i] || r->at[i] != at[i])
            fail_msg("event %zu is %d at t=%llu, want %d at t=%llu", i,
                     (int)r->ev[i], (unsigned long long)r->at[i], (int)ev[i],
                     (unsigned long long)at[i]);
}

#define EVENTS(...) \
    sizeof((const enum ferry_event[]){__VA_ARGS__}) / sizeof(enum ferry_event), \
    (const enum ferry_event[]){__VA_ARGS__}
#define AT(...) (const uint64_t[]){__VA_ARGS__}

/* ------------------------------------------------------------ tests */

/* config_init's defaults; a new fake is at t=0 with nothing counted. */
static void test_config_defaults(void **state)
{
    ferry_fake_os_config cfg;
    ferry_fake_os *os = NULL;
    ferry_fake_os_stats st;

    (void)state;
    memset(&cfg, 0x5a, sizeof cfg);
    ferry_fake_os_config_init(&cfg);
    assert_int_equal(cfg.finish_up_budget_ms, 30000);
    assert_int_equal(cfg.warning_ms, 5000);
    assert_int_equal(cfg.stall_ms, 10000);
    assert_int_equal(cfg.reclaim_sockets, 0);
    assert_int_equal(cfg.refuse_all, 0);
    assert_int_equal(cfg.fail_begin_nth, 0);
    assert_null(cfg.on_kill);
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(cfg.exempt_fds[i], -1);

    assert_int_equal(ferry_fake_os_new(&cfg, &os), 0);
    assert_int_equal(ferry_fake_os_now(os), 0);
    assert_int_equal(ferry_fake_os_port(os)->now_ms(ferry_fake_os_port(os)->ctx), 0);
    ferry_fake_os_get_stats(os, &st);
    assert_int_equal(st.begins + st.ends + st.held + st.kills +
                     st.expirations + st.reclaimed_sockets, 0);
    assert_int_equal(st.suspended, 0);
    char *log = ferry_fake_os_log(os);
    assert_string_equal(log, "");
    free(log);
    ferry_fake_os_free(os);
    ferry_fake_os_free(NULL);
}

/* The clock moves; the timer fires once when due, is replaced, disarmed,
 * and fires late (at advance 0) when armed in the past. */
static void test_clock_and_timer(void **state)
{
    struct rec r;

    (void)state;
    rec_setup(&r, NULL);
    assert_int_equal(ferry_fake_os_advance(r.os, 40), 0);
    assert_int_equal(ferry_fake_os_now(r.os), 40);
    assert_int_equal(r.port->now_ms(r.port->ctx), 40);

    r.port->arm_timer(r.port->ctx, 100);
    ferry_fake_os_advance(r.os, 59);
    assert_int_equal(r.n_ev, 0);
    ferry_fake_os_advance(r.os, 1);
    expect_events(&r, EVENTS(FERRY_EVENT_TIMER), AT(100));
    ferry_fake_os_advance(r.os, 1000);
    assert_int_equal(r.n_ev, 1);

    r.port->arm_timer(r.port->ctx, 1500); /* replaced before it fires */
    r.port->arm_timer(r.port->ctx, 1200);
    ferry_fake_os_advance(r.os, 10000);
    expect_events(&r, EVENTS(FERRY_EVENT_TIMER, FERRY_EVENT_TIMER),
                  AT(100, 1200));

    r.port->arm_timer(r.port->ctx, 12000);
    r.port->arm_timer(r.port->ctx, 0);
    ferry_fake_os_advance(r.os, 10000);
    assert_int_equal(r.n_ev, 2);

    r.port->arm_timer(r.port->ctx, 5); /* already past */
    ferry_fake_os_advance(r.os, 0);
    assert_int_equal(r.n_ev, 3);
    assert_int_equal(r.at[2], 21100);
    expect_log(&r, "t=40 timer armed for t=100");
    expect_log(&r, "t=100 timer fired");
    expect_log(&r, "t=11100 timer disarmed");
    rec_teardown(&r);
}

/* A timer and a warning falling due in one advance fire in time order, and
 * on a tie the warning goes first. */
static void test_firing_order(void **state)
{
    static const uint64_t timer_at[] = {26000, 24000, 25000};
    static const enum ferry_event order[][2] = {
        {FERRY_EVENT_EXPIRING, FERRY_EVENT_TIMER},
        {FERRY_EVENT_TIMER, FERRY_EVENT_EXPIRING},
        {FERRY_EVENT_EXPIRING, FERRY_EVENT_TIMER},
    };
    struct rec r;

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        rec_setup(&r, NULL);
        rec_begin(&r, FERRY_ASSERTION_FINISH_UP, "transfers");
        r.port->arm_timer(r.port->ctx, timer_at[i]);
        ferry_fake_os_advance(r.os, 60000);
        uint64_t exp_at = 25000;
        const uint64_t *first = order[i][0] == FERRY_EVENT_TIMER ? &timer_at[i]
                                                                 : &exp_at;
        const uint64_t *second = order[i][0] == FERRY_EVENT_TIMER ? &exp_at
                                                                  : &timer_at[i];
        expect_events(&r, 2, order[i], AT(*first, *second));
        assert_int_equal(stats(&r).kills, 0);
        rec_teardown(&r);
    }
}

/* Begin, warning at 25 s, end inside the handler: no kill, and the whole
 * log as expected. */
static void test_well_behaved(void **state)
{
    struct rec r;

    (void)state;
    rec_setup(&r, NULL);
    uint64_t id = rec_begin(&r, FERRY_ASSERTION_FINISH_UP, "transfers");
    assert_int_equal(id, 1);
    r.port->arm_timer(r.port->ctx, 1000);
    ferry_fake_os_advance(r.os, 24999);
    expect_events(&r, EVENTS(FERRY_EVENT_TIMER), AT(1000));
    ferry_fake_os_advance(r.os, 1);
    expect_events(&r, EVENTS(FERRY_EVENT_TIMER, FERRY_EVENT_EXPIRING),
                  AT(1000, 25000));
    ferry_fake_os_advance(r.os, 100000);
    assert_int_equal(r.n_ev, 2);

    ferry_fake_os_stats st = stats(&r);
    assert_int_equal(st.begins, 1);
    assert_int_equal(st.ends, 1);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.kills, 0);
    assert_int_equal(st.expirations, 1);
    assert_int_equal(r.kills, 0);
    char *log = ferry_fake_os_log(r.os);
    assert_string_equal(log,
        "t=0 begin 1 finish-up 'transfers'\n"
        "t=0 timer armed for t=1000\n"
        "t=1000 timer fired\n"
        "t=25000 expiration warning: assertion 1 (finish-up 'transfers'), "
        "5000 ms left\n"
        "t=25000 end 1\n");
    free(log);
    rec_teardown(&r);
}

/* The warning is ignored: a kill at 30 s, on_kill once; then the process is
 * dead and nothing moves. */
static void test_ignores_warning(void **state)
{
    struct rec r;
    uint64_t id = 0;

    (void)state;
    rec_setup(&r, NULL);
    r.on_expiring = EXP_IGNORE;
    ferry_fake_os_advance(r.os, 500);
    rec_begin(&r, FERRY_ASSERTION_FINISH_UP, "transfers");
    r.port->arm_timer(r.port->ctx, 40000);
    ferry_fake_os_advance(r.os, 29999);
    assert_int_equal(r.kills, 0);
    ferry_fake_os_advance(r.os, 1);
    expect_events(&r, EVENTS(FERRY_EVENT_EXPIRING), AT(25500));
    assert_int_equal(r.kills, 1);
    assert_string_equal(r.why,
        "assertion 1 (finish-up 'transfers') outlived its 30000 ms budget");
    expect_log(&r, "t=30500 kill: assertion 1 (finish-up 'transfers') "
               "outlived its 30000 ms budget");

    /* Dead: the clock, the timer, the slots and the drivers do nothing. */
    char *before = ferry_fake_os_log(r.os);
    ferry_fake_os_stats st0 = stats(&r);
    ferry_fake_os_advance(r.os, 100000);
    assert_int_equal(ferry_fake_os_now(r.os), 30500);
    assert_int_equal(r.port->begin_assertion(r.port->ctx,
                     FERRY_ASSERTION_FINISH_UP, "x", &id), -ESRCH);
    r.port->end_assertion(r.port->ctx, 1);
    r.port->arm_timer(r.port->ctx, 1);
    assert_int_equal(ferry_fake_os_expire(r.os), FERRY_ESTATE);
    assert_int_equal(ferry_fake_os_suspend(r.os), FERRY_ESTATE);
    assert_int_equal(ferry_fake_os_resume(r.os), FERRY_ESTATE);
    ferry_fake_os_advance(r.os, 100000);
    char *after = ferry_fake_os_log(r.os);
    assert_string_equal(before, after);
    free(before);
    free(after);
    ferry_fake_os_stats st = stats(&r);
    assert_memory_equal(&st, &st0, sizeof st);
    assert_int_equal(st.kills, 1);
    assert_int_equal(st.begins, st.ends + st.held);
    assert_int_equal(st.held, 1); /* died holding it */
    assert_int_equal(r.n_ev, 1);
    assert_int_equal(r.kills, 1);
    rec_teardown(&r);
}

/* Beginning inside the expiration handler is a kill, even if the handler
 * ended what it held. */
static void test_begin_inside_handler(void **state)
{
    struct rec r;

    (void)state;
    rec_setup(&r, NULL);
    r.on_expiring = EXP_BEGIN;
    uint64_t id = rec_begin(&r, FERRY_ASSERTION_FINISH_UP, "transfers");
    ferry_fake_os_advance(r.os, 25000);
    assert_true(r.handler_begin_rc < 0);
    assert_int_equal(r.kills, 1);
    assert_string_equal(r.why, "begin of a finish-up assertion ('late') "
                        "inside the expiration handler");
    expect_log(&r, "t=25000 kill: begin of a finish-up assertion ('late') "
               "inside the expiration handler");
    ferry_fake_os_stats st = stats(&r);
    assert_int_equal(st.begins, 1);
    assert_int_equal(st.kills, 1);
    r.port->end_assertion(r.port->ctx, id); /* too late: ignored */
    ferry_fake_os_advance(r.os, 10000);
    assert_int_equal(r.kills, 1);
    assert_int_equal(stats(&r).ends, 0);

    /* The same from ferry_fake_os_expire(). */
    rec_teardown(&r);
    rec_setup(&r, NULL);
    r.on_expiring = EXP_BEGIN;
    rec_begin(&r, FERRY_ASSERTION_CONTINUED, "upload");
    assert_int_equal(ferry_fake_os_expire(r.os), 0);
    assert_int_equal(r.kills, 1);
    assert_int_equal(stats(&r).kills, 1);
    rec_teardown(&r);
}

/* The Nth begin fails for every N; the others are granted fresh ids, each
 * is ended exactly once, and nothing is killed. refuse_all refuses all. */
static void test_failure_injection(void **state)
{
    struct rec r;
    ferry_fake_os_config cfg;

    (void)state;
    for (unsigned n = 1; n <= 5; n++) {
        ferry_fake_os_config_init(&cfg);
        cfg.fail_begin_nth = n;
        rec_setup(&r, &cfg);
        uint64_t want_id = 1;
        for (unsigned k = 1; k <= 5; k++) {
            uint64_t id = 0;
            int rc = r.port->begin_assertion(r.port->ctx,
                                             FERRY_ASSERTION_FINISH_UP, "n",
                                             &id);
            if (k == n) {
                assert_true(rc < 0);
                continue;
            }
            assert_int_equal(rc, 0);
            assert_int_equal(id, want_id++);
            r.ids[r.n_ids++] = id;
        }
        assert_int_equal(log_count(&r, "t=0 begin refused: finish-up 'n' "
                                   "(fail_begin_nth)"), 1);
        rec_end_all(&r);
        ferry_fake_os_advance(r.os, 100000);
        ferry_fake_os_stats st = stats(&r);
        assert_int_equal(st.begins, 4);
        assert_int_equal(st.ends, 4);
        assert_int_equal(st.held, 0);
        assert_int_equal(st.kills, 0);
        assert_int_equal(r.n_ev, 0);
        rec_teardown(&r);
    }

    ferry_fake_os_config_init(&cfg);
    cfg.refuse_all = 1;
    rec_setup(&r, &cfg);
    for (int k = 0; k < 5; k++) {
        uint64_t id = 0;
        assert_true(r.port->begin_assertion(r.port->ctx,
                    FERRY_ASSERTION_CONTINUED, "all", &id) < 0);
    }
    assert_int_equal(log_count(&r, "t=0 begin refused: continued 'all' "
                               "(refuse_all)"), 5);
    ferry_fake_os_advance(r.os, 100000);
    assert_int_equal(stats(&r).begins, 0);
    assert_int_equal(r.n_ev, 0);
    rec_teardown(&r);
}

/* Continued processing expires when progress stalls, is killed when not
 * ended after that, and stays alive while progress keeps coming. */
static void test_continued(void **state)
{
    struct rec r;

    (void)state;
    rec_setup(&r, NULL);
    r.on_expiring = EXP_IGNORE;
    uint64_t id = rec_begin(&r, FERRY_ASSERTION_CONTINUED, "upload");
    ferry_fake_os_advance(r.os, 9999);
    assert_int_equal(r.n_ev, 0);
    ferry_fake_os_advance(r.os, 1);
    expect_events(&r, EVENTS(FERRY_EVENT_EXPIRING), AT(10000));
    expect_log(&r, "t=10000 expiration: assertion 1 (continued 'upload') "
               "made no progress for 10000 ms");
    r.port->report_progress(r.port->ctx, id, 5, 10); /* too late */
    ferry_fake_os_advance(r.os, 4999);
    assert_int_equal(r.kills, 0);
    ferry_fake_os_advance(r.os, 1);
    assert_int_equal(r.kills, 1);
    assert_string_equal(r.why, "assertion 1 (continued 'upload') not ended "
                        "5000 ms after its expiration");
    rec_teardown(&r);

    /* Progress every 4 s for 100 s keeps it; then a stall ends it. */
    rec_setup(&r, NULL);
    id = rec_begin(&r, FERRY_ASSERTION_CONTINUED, "upload");
    for (uint64_t done = 1; done <= 25; done++) {
        ferry_fake_os_advance(r.os, 4000);
        r.port->report_progress(r.port->ctx, id, done, 100);
    }
    assert_int_equal(r.n_ev, 0);
    ferry_fake_os_advance(r.os, 10000);
    expect_events(&r, EVENTS(FERRY_EVENT_EXPIRING), AT(110000));
    ferry_fake_os_advance(r.os, 100000);
    ferry_fake_os_stats st = stats(&r);
    assert_int_equal(st.kills, 0);
    assert_int_equal(st.ends, 1);
    assert_int_equal(st.expirations, 1);
    rec_teardown(&r);
}

/* Progress is logged at most once per 1000 virtual ms per assertion. */
static void test_progress_coalesced(void **state)
{
    static const uint64_t steps[] = {0, 500, 499, 1, 500, 500, 999};
    struct rec r;

    (void)state;
    rec_setup(&r, NULL);
    uint64_t a = rec_begin(&r, FERRY_ASSERTION_CONTINUED, "a");
    uint64_t b = rec_begin(&r, FERRY_ASSERTION_CONTINUED, "b");
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        ferry_fake_os_advance(r.os, steps[i]);
        r.port->report_progress(r.port->ctx, a, i, 10);
    }
    r.port->report_progress(r.port->ctx, b, 7, 10);
    /* a reported at 0, 500, 999, 1000, 1500, 2000, 2999 */
    expect_log(&r, "t=0 progress 1 0/10");
    expect_log(&r, "t=1000 progress 1 3/10");
    expect_log(&r, "t=2000 progress 1 5/10");
    expect_log(&r, "t=2999 progress 2 7/10");
    char *log = ferry_fake_os_log(r.os);
    size_t lines = 0;
    for (const char *p = log; (p = strstr(p, " progress ")) != NULL; p++)
        lines++;
    free(log);
    assert_int_equal(lines, 4);
    rec_teardown(&r);
}

/* A warning window longer than the budget warns at the begin; the kill is
 * still at the budget. */
static void test_short_budget(void **state)
{
    struct rec r;
    ferry_fake_os_config cfg;

    (void)state;
    ferry_fake_os_config_init(&cfg);
    cfg.finish_up_budget_ms = 1000;
    cfg.warning_ms = 5000;
    rec_setup(&r, &cfg);
    r.on_expiring = EXP_IGNORE;
    ferry_fake_os_advance(r.os, 10);
    rec_begin(&r, FERRY_ASSERTION_FINISH_UP, "short");
    ferry_fake_os_advance(r.os, 0);
    expect_events(&r, EVENTS(FERRY_EVENT_EXPIRING), AT(10));
    ferry_fake_os_advance(r.os, 999);
    assert_int_equal(r.kills, 0);
    ferry_fake_os_advance(r.os, 1);
    assert_int_equal(r.kills, 1);
    expect_log(&r, "t=1010 kill: assertion 1 (finish-up 'short') outlived "
               "its 1000 ms budget");
    rec_teardown(&r);
}

/* The log stays bounded: past 4 MiB the oldest lines go, and it says how
 * many; the newest are kept whole. */
static void test_log_bounded(void **state)
{
    struct rec r;
    char last[64];

    (void)state;
    rec_setup(&r, NULL);
    for (uint64_t t = 1; t <= 300000; t++)
        r.port->arm_timer(r.port->ctx, t);
    snprintf(last, sizeof last, "t=0 timer armed for t=%d", 300000);
    expect_log(&r, last);
    char *log = ferry_fake_os_log(r.os);
    unsigned long long dropped = 0;
    assert_int_equal(sscanf(log, "(%llu earlier lines dropped)", &dropped), 1);
    assert_true(strlen(log) <= (4u << 20) + 64);
    size_t kept = 0;
    for (const char *p = strchr(log, '\n') + 1; *p; p = strchr(p, '\n') + 1) {
        assert_memory_equal(p, "t=0 timer armed for t=", 22);
        kept++;
    }
    assert_int_equal(dropped + kept, 300000);
    free(log);
    rec_teardown(&r);
}

/* Ending twice or ending an id never begun is a logged violation, not a
 * counted end; progress of an unknown id too. */
static void test_violations(void **state)
{
    struct rec r;

    (void)state;
    rec_setup(&r, NULL);
    uint64_t id = rec_begin(&r, FERRY_ASSERTION_FINISH_UP, "t");
    r.port->end_assertion(r.port->ctx, id);
    r.port->end_assertion(r.port->ctx, id);
    r.port->end_assertion(r.port->ctx, 42);
    r.port->report_progress(r.port->ctx, 43, 1, 2);
    expect_log(&r, "t=0 violation: end of unknown assertion 1");
    expect_log(&r, "t=0 violation: end of unknown assertion 42");
    expect_log(&r, "t=0 violation: progress of unknown assertion 43");
    ferry_fake_os_stats st = stats(&r);
    assert_int_equal(st.begins, 1);
    assert_int_equal(st.ends, 1);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.kills, 0);
    rec_teardown(&r);
}

/* expire() warns every held assertion now with one post, and only once. */
static void test_expire(void **state)
{
    struct rec r;

    (void)state;
    rec_setup(&r, NULL);
    r.on_expiring = EXP_IGNORE;
    assert_int_equal(ferry_fake_os_expire(r.os), 0); /* nothing held */
    assert_int_equal(r.n_ev, 0);
    rec_begin(&r, FERRY_ASSERTION_FINISH_UP, "a");
    rec_begin(&r, FERRY_ASSERTION_CONTINUED, "b");
    ferry_fake_os_advance(r.os, 1000);
    assert_int_equal(ferry_fake_os_expire(r.os), 0);
    expect_events(&r, EVENTS(FERRY_EVENT_EXPIRING), AT(1000));
    assert_int_equal(stats(&r).expirations, 2);
    assert_int_equal(ferry_fake_os_expire(r.os), 0);
    assert_int_equal(r.n_ev, 1);
    expect_log(&r, "t=1000 expiration warning (forced): assertion 1 "
               "(finish-up 'a')");
    /* No second warning at 25 s; the warning window runs from the forced
     * warning: killed at 6000, not 30000. */
    ferry_fake_os_advance(r.os, 4999);
    assert_int_equal(r.kills, 0);
    ferry_fake_os_advance(r.os, 1);
    assert_int_equal(r.kills, 1);
    assert_string_equal(r.why, "assertion 1 (finish-up 'a') not ended 5000 ms "
                        "after its expiration");
    assert_int_equal(r.n_ev, 1);
    rec_teardown(&r);
}

/* Suspending while holding an assertion is a kill. */
static void test_suspend_holding(void **state)
{
    struct rec r;

    (void)state;
    rec_setup(&r, NULL);
    rec_begin(&r, FERRY_ASSERTION_FINISH_UP, "transfers");
    ferry_fake_os_advance(r.os, 100);
    assert_int_equal(ferry_fake_os_suspend(r.os), 0);
    expect_events(&r, EVENTS(FERRY_EVENT_WILL_SUSPEND), AT(100));
    assert_int_equal(r.kills, 1);
    assert_string_equal(r.why, "suspended while holding 1 assertion(s): 1 "
                        "(finish-up 'transfers')");
    ferry_fake_os_stats st = stats(&r);
    assert_int_equal(st.kills, 1);
    assert_int_equal(st.suspended, 0);
    rec_teardown(&r);
}

/* Suspend and resume post the right events; while suspended begins are
 * refused and nothing fires; what fell due fires after resume. */
static void test_suspend_resume(void **state)
{
    struct rec r;
    uint64_t id;

    (void)state;
    rec_setup(&r, NULL);
    r.end_on_suspend = 1;
    rec_begin(&r, FERRY_ASSERTION_FINISH_UP, "transfers");
    ferry_fake_os_advance(r.os, 1000);
    assert_int_equal(ferry_fake_os_resume(r.os), FERRY_ESTATE);
    assert_int_equal(ferry_fake_os_suspend(r.os), 0);
    assert_int_equal(ferry_fake_os_suspend(r.os), FERRY_ESTATE);
    assert_int_equal(stats(&r).suspended, 1);
    assert_int_equal(r.kills, 0);

    r.port->arm_timer(r.port->ctx, 1010);
    assert_int_equal(r.port->begin_assertion(r.port->ctx,
                     FERRY_ASSERTION_FINISH_UP, "late", &id), -EPERM);
    ferry_fake_os_advance(r.os, 100000);
    assert_int_equal(ferry_fake_os_now(r.os), 101000);
    assert_int_equal(ferry_fake_os_expire(r.os), FERRY_ESTATE);
    expect_events(&r, EVENTS(FERRY_EVENT_WILL_SUSPEND), AT(1000));

    assert_int_equal(ferry_fake_os_resume(r.os), 0);
    assert_int_equal(stats(&r).suspended, 0);
    ferry_fake_os_advance(r.os, 0);
    expect_events(&r, EVENTS(FERRY_EVENT_WILL_SUSPEND, FERRY_EVENT_RESUMED,
                             FERRY_EVENT_TIMER), AT(1000, 101000, 101000));
    expect_log(&r, "t=1000 will-suspend");
    expect_log(&r, "t=1000 end 1");
    expect_log(&r, "t=1000 suspended");
    expect_log(&r, "t=1000 begin refused: finish-up 'late' (suspended)");
    expect_log(&r, "t=101000 resumed");
    assert_int_equal(log_count(&r, "t=1000 reclaimed 0 sockets"), 0);
    ferry_fake_os_stats st = stats(&r);
    assert_int_equal(st.kills, 0);
    assert_int_equal(st.reclaimed_sockets, 0);
    rec_teardown(&r);
}

/* ---------------------------------------------------------- reclaim */

#define CHECK(c)                                                           \
    do {                                                                   \
        if (!(c)) {                                                        \
            fprintf(stderr, "# reclaim child: line %d: %s (errno %d)\n",   \
                    __LINE__, #c, errno);                                  \
            return 1;                                                      \
        }                                                                  \
    } while (0)

/* Whether one byte goes from a to b. */
static int works(int a, int b)
{
    char c = 0;

    return send(a, "x", 1, MSG_NOSIGNAL) == 1 &&
           recv(b, &c, 1, MSG_DONTWAIT) == 1 && c == 'x';
}

/*
 * Runs in a child process, which first closes every socket it inherited, so
 * that reclaim touches only what is made here. Returns 0 or 1 (the reason
 * printed).
 */
static int reclaim_child(void)
{
    int sp[2], ex[2], pp[2], lst;
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    ferry_fake_os_config cfg;
    ferry_fake_os *os;
    ferry_fake_os_stats st;
    char c;

    for (int fd = 0; fd < 1024; fd++) {
        struct stat sb;
        if (fstat(fd, &sb) == 0 && S_ISSOCK(sb.st_mode))
            close(fd);
    }
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, ex) == 0);
    CHECK(pipe(pp) == 0);
    CHECK((lst = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(lst, (struct sockaddr *)&sin, sizeof sin) == 0);
    CHECK(listen(lst, 4) == 0);
    CHECK(getsockname(lst, (struct sockaddr *)&sin, &sl) == 0);
    CHECK(fcntl(lst, F_SETFL, O_NONBLOCK) == 0);

    /* Reclaim off (the default): suspension leaves every socket alone. */
    CHECK(ferry_fake_os_new(NULL, &os) == 0);
    CHECK(ferry_fake_os_suspend(os) == 0);
    ferry_fake_os_get_stats(os, &st);
    CHECK(st.suspended == 1 && st.reclaimed_sockets == 0);
    CHECK(works(sp[0], sp[1]) && works(sp[1], sp[0]));
    CHECK(ferry_fake_os_resume(os) == 0);
    ferry_fake_os_free(os);

    /* Reclaim on, the ex pair exempt, no server attached. */
    ferry_fake_os_config_init(&cfg);
    cfg.reclaim_sockets = 1;
    cfg.exempt_fds[3] = ex[0];
    cfg.exempt_fds[7] = ex[1];
    CHECK(ferry_fake_os_new(&cfg, &os) == 0);
    CHECK(ferry_fake_os_suspend(os) == 0);
    ferry_fake_os_get_stats(os, &st);
    CHECK(st.suspended == 1);
    CHECK(st.reclaimed_sockets == 3);
    char *log = ferry_fake_os_log(os);
    CHECK(log && strcmp(log, "t=0 will-suspend\nt=0 suspended\n"
                             "t=0 reclaimed 3 sockets\n") == 0);
    free(log);

    /* The socketpair is shut: EOF, and writes fail. */
    CHECK(recv(sp[0], &c, 1, MSG_DONTWAIT) == 0);
    CHECK(recv(sp[1], &c, 1, MSG_DONTWAIT) == 0);
    CHECK(send(sp[1], "x", 1, MSG_NOSIGNAL) == -1);
    /* The listener is still open but dead: hung up, accepts nothing, and a
     * connection to its port is refused. */
    struct pollfd pfd = {.fd = lst, .events = POLLIN};
    CHECK(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP));
    CHECK(accept(lst, NULL, NULL) == -1 && errno != EAGAIN &&
          errno != EWOULDBLOCK);
    CHECK(fcntl(lst, F_GETFD) != -1);
    int cl = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(cl >= 0);
    CHECK(connect(cl, (struct sockaddr *)&sin, sizeof sin) == -1 &&
          errno == ECONNREFUSED);
    close(cl);
    /* The exempt pair and the pipe work. */
    CHECK(works(ex[0], ex[1]) && works(ex[1], ex[0]));
    CHECK(write(pp[1], "y", 1) == 1 && read(pp[0], &c, 1) == 1 && c == 'y');

    CHECK(ferry_fake_os_resume(os) == 0);
    ferry_fake_os_free(os);
    close(sp[0]);
    close(sp[1]);
    close(ex[0]);
    close(ex[1]);
    close(pp[0]);
    close(pp[1]);
    close(lst);
    return 0;
}

/* Reclaim shuts down every non-exempt socket, in a child so that no socket
 * the test runner inherited is touched. */
static void test_reclaim(void **state)
{
    int status;

    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(reclaim_child());
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---------------------------------------------------------- threads */

#define ADVANCE_CALLS 4000 /* per advancing thread: 10000 ms each */
#define ADVANCES (2 * ADVANCE_CALLS / 4 * (1 + 2 + 3 + 4))
#define WORKER_ROUNDS 600
#define TIMER_EVERY 7

/* The thread that begins and ends assertions, and what it got. */
struct worker {
    struct rec *r;
    atomic_int *advancer_done;
    uint64_t granted, ended, refused;
};

/* Begins an assertion, holds it for a varying stretch of virtual time
 * (reporting progress on continued ones), and ends it unless the stand-in
 * engine did in the expiration handler. Bounded. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct rec *r = w->r;
    const ferry_port *p = r->port;

    for (unsigned i = 0; i < WORKER_ROUNDS; i++) {
        enum ferry_assertion_kind kind =
            i % 3 == 0 ? FERRY_ASSERTION_CONTINUED : FERRY_ASSERTION_FINISH_UP;
        uint64_t id = 0;
        pthread_mutex_lock(&r->mu);
        int rc = p->begin_assertion(p->ctx, kind, "worker", &id);
        if (rc == 0) {
            r->worker_id = id;
            r->worker_held = 1;
            w->granted++;
        } else {
            w->refused++;
        }
        pthread_mutex_unlock(&r->mu);
        uint64_t until = p->now_ms(p->ctx) + (i * 37) % 160;
        for (unsigned spin = 0; spin < 100000 && !atomic_load(w->advancer_done)
             && p->now_ms(p->ctx) < until; spin++) {
            if (kind == FERRY_ASSERTION_CONTINUED && rc == 0 && spin % 8 == 0)
                p->report_progress(p->ctx, id, spin, 100000);
            sched_yield();
        }
        pthread_mutex_lock(&r->mu);
        if (r->worker_held) {
            p->end_assertion(p->ctx, id);
            r->worker_held = 0;
            w->ended++;
        }
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

/* Advances the clock ADVANCE_CALLS times by 1 to 4 ms (ADVANCES / 2 in
 * all), checking the counters. */
static void *advancer_main(void *arg)
{
    struct rec *r = arg;

    for (unsigned i = 0; i < ADVANCE_CALLS; i++) {
        ferry_fake_os_advance(r->os, 1 + i % 4);
        sched_yield();
        if (i % 64 == 0) {
            ferry_fake_os_stats st;
            ferry_fake_os_get_stats(r->os, &st);
            if (st.begins != st.ends + st.held || st.held > 1)
                return (void *)1;
        }
    }
    return NULL;
}

/* Two threads advance the clock by a few ms at a time (the stand-in engine
 * re-arming the timer and ending the worker's assertion on warnings) while
 * a third begins and ends assertions. No deadlock; the advances add up and
 * their posts come out in time order; and the counters add up: begins ==
 * ends + held, every begin granted to the worker ended exactly once (by it
 * or by the handler), no kill, one EXPIRING per expiration, and the timer
 * fired exactly every TIMER_EVERY ms. */
static void test_threads(void **state)
{
    struct rec r;
    ferry_fake_os_config cfg;
    atomic_int done = 0;
    struct worker w = {.r = &r, .advancer_done = &done};
    pthread_t tw, ta[2];
    void *ret;

    (void)state;
    ferry_fake_os_config_init(&cfg);
    cfg.finish_up_budget_ms = 100;
    cfg.warning_ms = 20;
    cfg.stall_ms = 50;
    rec_setup(&r, &cfg);
    r.rearm_every = TIMER_EVERY;
    r.port->arm_timer(r.port->ctx, TIMER_EVERY);
    assert_int_equal(pthread_create(&tw, NULL, worker_main, &w), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&ta[i], NULL, advancer_main, &r), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(ta[i], &ret), 0);
        assert_null(ret);
    }
    atomic_store(&done, 1);
    assert_int_equal(pthread_join(tw, NULL), 0);

    ferry_fake_os_stats st = stats(&r);
    size_t timers = 0, expiring = 0;
    for (size_t i = 0; i < r.n_ev; i++) {
        if (r.ev[i] == FERRY_EVENT_TIMER) {
            assert_int_equal(r.at[i], (timers + 1) * TIMER_EVERY);
            timers++;
        } else if (r.ev[i] == FERRY_EVENT_EXPIRING) {
            expiring++;
        }
        if (i > 0)
            assert_true(r.at[i] >= r.at[i - 1]);
    }
    assert_int_equal(ferry_fake_os_now(r.os), ADVANCES);
    assert_int_equal(timers, ADVANCES / TIMER_EVERY);
    assert_int_equal(st.kills, 0);
    assert_int_equal(r.kills, 0);
    assert_int_equal(w.refused, 0);
    assert_int_equal(st.begins, w.granted);
    assert_int_equal(st.begins, WORKER_ROUNDS);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.ends, w.ended + r.hook_ends);
    assert_int_equal(st.begins, st.ends + st.held);
    assert_int_equal(st.expirations, expiring);
    assert_true(r.hook_ends <= expiring);
    printf("# threads: %llu begins, %zu expirations, %llu ended in the "
           "handler\n", (unsigned long long)st.begins, expiring,
           (unsigned long long)r.hook_ends);
    rec_teardown(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_clock_and_timer),
        cmocka_unit_test(test_firing_order),
        cmocka_unit_test(test_well_behaved),
        cmocka_unit_test(test_ignores_warning),
        cmocka_unit_test(test_begin_inside_handler),
        cmocka_unit_test(test_failure_injection),
        cmocka_unit_test(test_continued),
        cmocka_unit_test(test_progress_coalesced),
        cmocka_unit_test(test_short_budget),
        cmocka_unit_test(test_log_bounded),
        cmocka_unit_test(test_violations),
        cmocka_unit_test(test_expire),
        cmocka_unit_test(test_suspend_holding),
        cmocka_unit_test(test_suspend_resume),
        cmocka_unit_test(test_reclaim),
        cmocka_unit_test(test_threads),
    };

    /* A deadlock (say, the fake posting with its lock held: the stand-in
     * engine calls back into it) fails the run instead of hanging it. */
    alarm(120);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
