/*
 * test_ledger.c — unit tests of the assertion ledger (lifecycle/ledger.c)
 * against a mock port that counts begins and ends per id, refuses on
 * demand or on the Nth begin, and checks the ledger from inside its slots:
 * every begin ended exactly once, oldest first; refusals and a full ledger
 * record nothing; progress only to continued-processing assertions.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "ledger.h"

#define MOCK_IDS 64
#define ID_BASE UINT64_C(7000) /* ids the mock grants: ID_BASE + 3 * k */

struct progress_call {
    uint64_t id, done, total;
};

/* The mock OS. */
struct mock {
    uint64_t now;
    unsigned grants;          /* ids granted so far */
    unsigned begin_calls;     /* every begin_assertion call */
    unsigned fail_nth;        /* this begin call (1-based) is refused; 0 never */
    int refuse_all;
    int refuse_code;          /* what a refusal returns */
    unsigned ended[MOCK_IDS]; /* end_assertion calls per granted id */
    unsigned end_calls, bad_ends;
    uint64_t end_order[MOCK_IDS];
    unsigned now_calls, timer_calls;
    struct progress_call progress[MOCK_IDS]; /* the first MOCK_IDS calls */
    unsigned progress_calls;
    enum ferry_assertion_kind last_kind;
    const char *last_reason;
    const struct lc_ledger *ledger; /* checked from inside end_assertion */
};

static uint64_t mock_now(void *ctx)
{
    struct mock *k = ctx;

    k->now_calls++;
    return k->now;
}

static int mock_begin(void *ctx, enum ferry_assertion_kind kind,
                      const char *reason, uint64_t *id)
{
    struct mock *k = ctx;

    k->begin_calls++;
    k->last_kind = kind;
    k->last_reason = reason;
    if (k->refuse_all || k->begin_calls == k->fail_nth)
        return k->refuse_code;
    assert_true(k->grants < MOCK_IDS);
    *id = ID_BASE + 3 * (uint64_t)k->grants++;
    return 0;
}

static void mock_end(void *ctx, uint64_t id)
{
    struct mock *k = ctx;
    uint64_t g = (id - ID_BASE) / 3;

    if (id < ID_BASE || (id - ID_BASE) % 3 || g >= k->grants) {
        k->bad_ends++;
        return;
    }
    if (k->ledger) {
        /* The ledger has let go before calling out. */
        assert_int_equal(k->ledger->n, 0);
        assert_true(k->ledger->begins == k->ledger->ends + k->ledger->n);
    }
    k->ended[g]++;
    if (k->end_calls < MOCK_IDS)
        k->end_order[k->end_calls] = id;
    k->end_calls++;
}

static void mock_progress(void *ctx, uint64_t id, uint64_t done,
                          uint64_t total)
{
    struct mock *k = ctx;

    if (k->progress_calls < MOCK_IDS)
        k->progress[k->progress_calls] = (struct progress_call){id, done, total};
    k->progress_calls++;
}

static void mock_arm(void *ctx, uint64_t at_ms)
{
    struct mock *k = ctx;

    (void)at_ms;
    k->timer_calls++;
}

/* A fresh mock and its port. */
static void mock_init(struct mock *k, ferry_port *port)
{
    memset(k, 0, sizeof *k);
    k->refuse_code = -EPERM;
    k->now = 1000;
    *port = (ferry_port){
        .ctx = k,
        .now_ms = mock_now,
        .begin_assertion = mock_begin,
        .end_assertion = mock_end,
        .report_progress = mock_progress,
        .arm_timer = mock_arm,
    };
}

/* The ledger's own accounting. */
static void check_counts(const struct lc_ledger *l)
{
    assert_true(l->n <= LC_LEDGER_MAX);
    assert_true(l->begins == l->ends + l->n);
}

/* Every id granted so far was ended exactly once, and nothing else. */
static void check_all_ended_once(const struct mock *k)
{
    assert_int_equal(k->bad_ends, 0);
    for (unsigned g = 0; g < k->grants; g++)
        if (k->ended[g] != 1)
            fail_msg("id %llu ended %u times",
                     (unsigned long long)(ID_BASE + 3 * g), k->ended[g]);
    assert_int_equal(k->end_calls, k->grants);
}

static void test_init_and_empty_end_all(void **state)
{
    struct mock k;
    ferry_port port;
    struct lc_ledger l;

    (void)state;
    mock_init(&k, &port);
    memset(&l, 0x77, sizeof l);
    lc_ledger_init(&l);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.begins, 0);
    assert_int_equal(l.ends, 0);
    assert_int_equal(l.refused, 0);
    lc_ledger_end_all(&l, &port);
    lc_ledger_end_all(&l, &port);
    lc_ledger_progress(&l, &port, 1, 2);
    /* Not a single slot was called. */
    assert_int_equal(k.begin_calls + k.end_calls + k.bad_ends + k.now_calls +
                     k.timer_calls + k.progress_calls, 0);
    assert_int_equal(l.ends, 0);
    check_counts(&l);
}

static void test_begin_records(void **state)
{
    struct mock k;
    ferry_port port;
    struct lc_ledger l;

    (void)state;
    mock_init(&k, &port);
    lc_ledger_init(&l);
    k.now = 1234;
    assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_FINISH_UP, "finish"), 0);
    assert_int_equal(k.last_kind, FERRY_ASSERTION_FINISH_UP);
    assert_string_equal(k.last_reason, "finish");
    k.now = 5678;
    assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_CONTINUED, "upload"), 0);
    assert_int_equal(k.last_kind, FERRY_ASSERTION_CONTINUED);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.begins, 2);
    assert_int_equal(l.held[0].id, ID_BASE);
    assert_int_equal(l.held[0].kind, FERRY_ASSERTION_FINISH_UP);
    assert_int_equal(l.held[0].begun_ms, 1234);
    assert_int_equal(l.held[1].id, ID_BASE + 3);
    assert_int_equal(l.held[1].kind, FERRY_ASSERTION_CONTINUED);
    assert_int_equal(l.held[1].begun_ms, 5678);
    assert_int_equal(k.end_calls, 0);
    check_counts(&l);
}

/* end_all ends oldest first, once each, and empties the ledger before the
 * first call goes out; a second end_all calls nothing. */
static void test_end_all_order(void **state)
{
    struct mock k;
    ferry_port port;
    struct lc_ledger l;

    (void)state;
    mock_init(&k, &port);
    lc_ledger_init(&l);
    k.ledger = &l;
    for (int i = 0; i < LC_LEDGER_MAX; i++)
        assert_int_equal(lc_ledger_begin(&l, &port, (enum ferry_assertion_kind)(i % 2), "x"), 0);
    lc_ledger_end_all(&l, &port);
    assert_int_equal(k.end_calls, LC_LEDGER_MAX);
    for (unsigned i = 0; i < LC_LEDGER_MAX; i++)
        assert_int_equal(k.end_order[i], ID_BASE + 3 * i);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.ends, LC_LEDGER_MAX);
    check_counts(&l);
    lc_ledger_end_all(&l, &port);
    assert_int_equal(k.end_calls, LC_LEDGER_MAX);
    assert_int_equal(l.ends, LC_LEDGER_MAX);
    check_all_ended_once(&k);
}

/* A full ledger refuses without asking the port and counts nothing. */
static void test_full(void **state)
{
    struct mock k;
    ferry_port port;
    struct lc_ledger l;

    (void)state;
    mock_init(&k, &port);
    lc_ledger_init(&l);
    for (int i = 0; i < LC_LEDGER_MAX; i++)
        assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_FINISH_UP, "x"), 0);
    assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_FINISH_UP, "x"),
                     FERRY_ESTATE);
    assert_int_equal(k.begin_calls, LC_LEDGER_MAX);
    assert_int_equal(l.n, LC_LEDGER_MAX);
    assert_int_equal(l.begins, LC_LEDGER_MAX);
    assert_int_equal(l.refused, 0);
    check_counts(&l);
    /* Room again after ending. */
    lc_ledger_end_all(&l, &port);
    assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_FINISH_UP, "x"), 0);
    lc_ledger_end_all(&l, &port);
    check_all_ended_once(&k);
    check_counts(&l);
}

/* A refusal returns the port's code, records nothing, counts `refused`. */
static void test_refusal(void **state)
{
    struct mock k;
    ferry_port port;
    struct lc_ledger l;

    (void)state;
    mock_init(&k, &port);
    lc_ledger_init(&l);
    k.refuse_all = 1;
    assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_FINISH_UP, "x"), -EPERM);
    k.refuse_code = FERRY_ESTATE;
    assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_CONTINUED, "x"), FERRY_ESTATE);
    /* A positive code breaks the port's contract: still a refusal, and the
     * caller sees a negative code. */
    k.refuse_code = 1;
    assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_FINISH_UP, "x"), FERRY_ESTATE);
    assert_int_equal(k.begin_calls, 3);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.begins, 0);
    assert_int_equal(l.refused, 3);
    check_counts(&l);
    lc_ledger_end_all(&l, &port);
    assert_int_equal(k.end_calls + k.bad_ends, 0);
    /* The refusals did not use up room. */
    k.refuse_all = 0;
    for (int i = 0; i < LC_LEDGER_MAX; i++)
        assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_FINISH_UP, "x"), 0);
    lc_ledger_end_all(&l, &port);
    check_all_ended_once(&k);
    assert_int_equal(l.refused, 3);
}

/*
 * The Nth begin fails, for every N in 1..5, in a sequence that begins,
 * ends, fills the ledger and ends again: every granted id is ended exactly
 * once, the refused one never, and the counters add up after every call.
 */
static void test_fail_nth(void **state)
{
    /* 'b' begin (finish-up), 'c' begin (continued), 'e' end_all,
     * 'p' progress */
    static const char script[] = "bbepbcbbebe";

    (void)state;
    for (unsigned nth = 1; nth <= 5; nth++) {
        struct mock k;
        ferry_port port;
        struct lc_ledger l;
        unsigned calls = 0;

        mock_init(&k, &port);
        lc_ledger_init(&l);
        k.fail_nth = nth;
        k.ledger = &l;
        for (const char *s = script; *s; s++) {
            int rc;

            switch (*s) {
            case 'b':
            case 'c':
                calls++;
                rc = lc_ledger_begin(&l, &port,
                                     *s == 'b' ? FERRY_ASSERTION_FINISH_UP
                                               : FERRY_ASSERTION_CONTINUED,
                                     "x");
                if (calls == nth)
                    assert_int_equal(rc, -EPERM);
                else
                    assert_int_equal(rc, 0);
                break;
            case 'e':
                lc_ledger_end_all(&l, &port);
                assert_int_equal(l.n, 0);
                break;
            case 'p':
                lc_ledger_progress(&l, &port, 1, 2);
                break;
            }
            check_counts(&l);
            assert_int_equal(l.refused, calls >= nth);
        }
        assert_int_equal(k.begin_calls, calls);
        assert_int_equal(k.grants, calls - 1);
        assert_int_equal(l.begins, calls - 1);
        assert_int_equal(l.ends, calls - 1);
        check_all_ended_once(&k);
    }
}

/* Progress goes only to continued-processing assertions, with the values
 * given, and nowhere without a report_progress slot. */
static void test_progress(void **state)
{
    struct mock k;
    ferry_port port;
    struct lc_ledger l;

    (void)state;
    mock_init(&k, &port);
    lc_ledger_init(&l);
    assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_FINISH_UP, "a"), 0);
    assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_CONTINUED, "b"), 0);
    assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_FINISH_UP, "c"), 0);
    assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_CONTINUED, "d"), 0);
    lc_ledger_progress(&l, &port, 300, UINT64_C(5000000000));
    assert_int_equal(k.progress_calls, 2);
    assert_int_equal(k.progress[0].id, ID_BASE + 3);
    assert_int_equal(k.progress[0].done, 300);
    assert_int_equal(k.progress[0].total, UINT64_C(5000000000));
    assert_int_equal(k.progress[1].id, ID_BASE + 9);
    assert_int_equal(k.progress[1].done, 300);
    /* Without the slot: nothing, and no crash. */
    port.report_progress = NULL;
    lc_ledger_progress(&l, &port, 400, 500);
    assert_int_equal(k.progress_calls, 2);
    port.report_progress = mock_progress;
    /* After end_all nothing is held: nothing reported. */
    lc_ledger_end_all(&l, &port);
    lc_ledger_progress(&l, &port, 500, 500);
    assert_int_equal(k.progress_calls, 2);
    /* Finish-up only: nothing reported. */
    assert_int_equal(lc_ledger_begin(&l, &port, FERRY_ASSERTION_FINISH_UP, "e"), 0);
    lc_ledger_progress(&l, &port, 1, 2);
    assert_int_equal(k.progress_calls, 2);
    lc_ledger_end_all(&l, &port);
    assert_int_equal(k.end_calls, 5);
    check_all_ended_once(&k);
    /* Progress never ends anything. */
    assert_int_equal(k.bad_ends, 0);
}

/* xorshift64*: a fixed-seed PRNG for the random walk below. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* Random begins (some refused), ends and progress: the accounting holds
 * after every call and every grant ends exactly once. */
static void test_random_walk(void **state)
{
    uint64_t rng = UINT64_C(0x2545f4914f6cdd1d);

    (void)state;
    for (int run = 0; run < 200; run++) {
        struct mock k;
        ferry_port port;
        struct lc_ledger l;
        uint64_t refusals = 0;

        mock_init(&k, &port);
        lc_ledger_init(&l);
        k.ledger = &l;
        for (int i = 0; i < 100; i++) {
            unsigned r = (unsigned)(rng_next(&rng) >> 40) % 10;
            size_t n = l.n;
            int rc;

            if (r < 6) {
                k.refuse_all = r == 0;
                rc = lc_ledger_begin(&l, &port, (enum ferry_assertion_kind)(r % 2), "x");
                if (n == LC_LEDGER_MAX) {
                    assert_int_equal(rc, FERRY_ESTATE);
                    assert_int_equal(l.n, n);
                } else if (r == 0) {
                    assert_int_equal(rc, -EPERM);
                    assert_int_equal(l.n, n);
                    refusals++;
                } else {
                    assert_int_equal(rc, 0);
                    assert_int_equal(l.n, n + 1);
                }
            } else if (r < 8) {
                lc_ledger_end_all(&l, &port);
            } else {
                unsigned want = k.progress_calls;

                for (size_t j = 0; j < l.n; j++)
                    want += l.held[j].kind == FERRY_ASSERTION_CONTINUED;
                lc_ledger_progress(&l, &port, (uint64_t)i, 100);
                assert_int_equal(k.progress_calls, want);
            }
            check_counts(&l);
            assert_int_equal(l.refused, refusals);
            assert_int_equal(l.begins, k.grants);
        }
        lc_ledger_end_all(&l, &port);
        check_all_ended_once(&k);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_empty_end_all),
        cmocka_unit_test(test_begin_records),
        cmocka_unit_test(test_end_all_order),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_refusal),
        cmocka_unit_test(test_fail_nth),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_random_walk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
