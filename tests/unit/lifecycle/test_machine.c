/*
 * test_machine.c — unit tests of the lifecycle state machine
 * (lifecycle/machine.c): the expected new state and exact action list of
 * every (state, input) pair, with every variant of the facts that matters;
 * the invariants after every step of 10,000 random input sequences, played
 * against a model of the ledger, the listener, the mDNS record and the
 * timer; replays of text logs; and the names.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "machine.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define NSTATES 6

/* Every input, in declaration order. */
static const enum lc_input all_inputs[LC_INPUT_COUNT] = {
    LC_IN_BACKGROUND,      LC_IN_FOREGROUND,      LC_IN_EXPIRING,
    LC_IN_WILL_SUSPEND,    LC_IN_RESUMED,         LC_IN_WILL_TERMINATE,
    LC_IN_NETWORK_CHANGED, LC_IN_TIMER,           LC_IN_TRANSFER_OPENED,
    LC_IN_TRANSFERS_IDLE,  LC_IN_BEGIN_FAILED,
};

/* The test's own state names (ferry_state_name lives in the library). */
static const char *state_name(enum ferry_state s)
{
    static const char *const names[NSTATES] = {
        "foreground", "finishing", "linger", "quiet", "suspended", "terminated",
    };
    return (unsigned)s < NSTATES ? names[s] : "?";
}

/* Index of `in` in all_inputs; fails the test for an unknown input. */
static size_t input_index(enum lc_input in)
{
    for (size_t i = 0; i < LC_INPUT_COUNT; i++)
        if (all_inputs[i] == in)
            return i;
    fail_msg("unknown input %d", (int)in);
    return 0;
}

/* Writes the actions as space-separated names into buf. */
static void format_actions(const struct lc_actions *a, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < a->n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? " " : "",
                         lc_action_name(a->v[i]));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* Formats a machine for failure messages. */
static void format_machine(const struct lc_machine *m, char *buf, size_t size)
{
    snprintf(buf, size, "%s bg=%d held=%d expired=%d", state_name(m->state),
             m->background, m->held, m->expired);
}

/* Whether two machines are equal field by field. */
static int same_machine(const struct lc_machine *a, const struct lc_machine *b)
{
    return a->state == b->state && a->background == b->background &&
           a->held == b->held && a->expired == b->expired;
}

/* ------------------------------------------------------------------ table */

/* open_transfers values a row is checked with. */
#define ANY (-1) /* 0, 1 and 3: the row must not depend on it */
#define POS (-2) /* 1 and 3 */

struct row {
    struct lc_machine from;
    int open; /* a count, ANY or POS */
    enum lc_input in;
    struct lc_machine to;
    const char *acts; /* the exact action list, by name */
};

#define R(s, bg, h, x, open, in, s2, bg2, h2, x2, acts)                        \
    {{FERRY_STATE_##s, bg, h, x, 0, 0, 0}, open, LC_IN_##in,                   \
     {FERRY_STATE_##s2, bg2, h2, x2, 0, 0, 0}, acts}
/* Ignored: nothing changes, no action, whatever the open transfers. */
#define IGN(s, bg, h, x, in) R(s, bg, h, x, ANY, in, s, bg, h, x, "")

/* Going quiet, without and with ending the assertion. */
#define SQCW "snapshot quiesce close-connections withdraw"
#define SQCWE SQCW " end-assertions"
/* The expiration: the assertion ends first (D2). */
#define SEQCW "end-assertions snapshot quiesce close-connections withdraw"

/*
 * Every (state, input) pair, for every reachable combination of the facts
 * that changes the answer, plus the unreachable combinations the machine
 * still defines (marked). Each group of one `from` lists all 11 inputs;
 * test_table_is_complete checks that.
 */
static const struct row table[] = {
    /* FOREGROUND: on screen, nothing held. */
    R(FOREGROUND, 0, 0, 0, 0, BACKGROUND, LINGER, 1, 0, 0, "arm-linger"),
    R(FOREGROUND, 0, 0, 0, POS, BACKGROUND, FINISHING, 1, 1, 0, "snapshot begin-assertion"),
    IGN(FOREGROUND, 0, 0, 0, FOREGROUND),
    IGN(FOREGROUND, 0, 0, 0, EXPIRING),
    R(FOREGROUND, 0, 0, 0, ANY, WILL_SUSPEND, SUSPENDED, 0, 0, 0, SQCW),
    IGN(FOREGROUND, 0, 0, 0, RESUMED),
    R(FOREGROUND, 0, 0, 0, ANY, WILL_TERMINATE, TERMINATED, 0, 0, 0, SQCW),
    R(FOREGROUND, 0, 0, 0, ANY, NETWORK_CHANGED, FOREGROUND, 0, 0, 0, "rebind readvertise"),
    IGN(FOREGROUND, 0, 0, 0, TIMER),
    IGN(FOREGROUND, 0, 0, 0, TRANSFER_OPENED),
    IGN(FOREGROUND, 0, 0, 0, TRANSFERS_IDLE),
    IGN(FOREGROUND, 0, 0, 0, BEGIN_FAILED),

    /* FINISHING: background, transfers open, assertion held. */
    IGN(FINISHING, 1, 1, 0, BACKGROUND),
    R(FINISHING, 1, 1, 0, ANY, FOREGROUND, FOREGROUND, 0, 0, 0, "revive end-assertions"),
    R(FINISHING, 1, 1, 0, ANY, EXPIRING, QUIET, 1, 0, 1, SEQCW),
    R(FINISHING, 1, 1, 0, ANY, WILL_SUSPEND, SUSPENDED, 1, 0, 0, SQCWE),
    IGN(FINISHING, 1, 1, 0, RESUMED),
    R(FINISHING, 1, 1, 0, ANY, WILL_TERMINATE, TERMINATED, 1, 0, 0, SQCWE),
    R(FINISHING, 1, 1, 0, ANY, NETWORK_CHANGED, FINISHING, 1, 1, 0, "rebind readvertise"),
    IGN(FINISHING, 1, 1, 0, TIMER),
    IGN(FINISHING, 1, 1, 0, TRANSFER_OPENED),
    R(FINISHING, 1, 1, 0, ANY, TRANSFERS_IDLE, LINGER, 1, 1, 0, "arm-linger"),
    /* the begin of this step was refused: nothing to end */
    R(FINISHING, 1, 1, 0, ANY, BEGIN_FAILED, QUIET, 1, 0, 0, SQCW),

    /* LINGER, holding the assertion of a finished transfer. */
    IGN(LINGER, 1, 1, 0, BACKGROUND),
    R(LINGER, 1, 1, 0, ANY, FOREGROUND, FOREGROUND, 0, 0, 0, "disarm-timer revive end-assertions"),
    R(LINGER, 1, 1, 0, ANY, EXPIRING, QUIET, 1, 0, 1, "disarm-timer " SEQCW),
    R(LINGER, 1, 1, 0, ANY, WILL_SUSPEND, SUSPENDED, 1, 0, 0, "disarm-timer " SQCWE),
    IGN(LINGER, 1, 1, 0, RESUMED),
    R(LINGER, 1, 1, 0, ANY, WILL_TERMINATE, TERMINATED, 1, 0, 0, "disarm-timer " SQCWE),
    R(LINGER, 1, 1, 0, ANY, NETWORK_CHANGED, LINGER, 1, 1, 0, "rebind readvertise"),
    R(LINGER, 1, 1, 0, 0, TIMER, QUIET, 1, 0, 0, "quiesce close-connections withdraw end-assertions"),
    R(LINGER, 1, 1, 0, POS, TIMER, QUIET, 1, 0, 0, "snapshot quiesce close-connections withdraw end-assertions"),
    R(LINGER, 1, 1, 0, ANY, TRANSFER_OPENED, FINISHING, 1, 1, 0, "disarm-timer snapshot"),
    IGN(LINGER, 1, 1, 0, TRANSFERS_IDLE),
    /* spurious (LINGER never begins): the held assertion is real, end it */
    R(LINGER, 1, 1, 0, ANY, BEGIN_FAILED, QUIET, 1, 0, 0, "disarm-timer " SQCWE),

    /* LINGER, holding nothing (backgrounded with no transfer open). */
    IGN(LINGER, 1, 0, 0, BACKGROUND),
    /* unprotected: a silent suspension may have defunct the listener (D1) */
    R(LINGER, 1, 0, 0, ANY, FOREGROUND, FOREGROUND, 0, 0, 0, "disarm-timer rebind readvertise"),
    R(LINGER, 1, 0, 0, ANY, EXPIRING, QUIET, 1, 0, 1, "disarm-timer " SQCW),
    R(LINGER, 1, 0, 0, ANY, WILL_SUSPEND, SUSPENDED, 1, 0, 0, "disarm-timer " SQCW),
    IGN(LINGER, 1, 0, 0, RESUMED),
    R(LINGER, 1, 0, 0, ANY, WILL_TERMINATE, TERMINATED, 1, 0, 0, "disarm-timer " SQCW),
    R(LINGER, 1, 0, 0, ANY, NETWORK_CHANGED, LINGER, 1, 0, 0, "rebind readvertise"),
    R(LINGER, 1, 0, 0, 0, TIMER, QUIET, 1, 0, 0, "quiesce close-connections withdraw"),
    R(LINGER, 1, 0, 0, POS, TIMER, QUIET, 1, 0, 0, "snapshot quiesce close-connections withdraw"),
    R(LINGER, 1, 0, 0, ANY, TRANSFER_OPENED, FINISHING, 1, 1, 0, "disarm-timer snapshot begin-assertion"),
    IGN(LINGER, 1, 0, 0, TRANSFERS_IDLE),
    IGN(LINGER, 1, 0, 0, BEGIN_FAILED),

    /* LINGER after an expiration (unreachable; defined all the same). */
    IGN(LINGER, 1, 0, 1, BACKGROUND),
    R(LINGER, 1, 0, 1, ANY, FOREGROUND, FOREGROUND, 0, 0, 0, "disarm-timer rebind readvertise"),
    R(LINGER, 1, 0, 1, ANY, EXPIRING, QUIET, 1, 0, 1, "disarm-timer " SQCW),
    R(LINGER, 1, 0, 1, ANY, WILL_SUSPEND, SUSPENDED, 1, 0, 1, "disarm-timer " SQCW),
    IGN(LINGER, 1, 0, 1, RESUMED),
    R(LINGER, 1, 0, 1, ANY, WILL_TERMINATE, TERMINATED, 1, 0, 1, "disarm-timer " SQCW),
    R(LINGER, 1, 0, 1, ANY, NETWORK_CHANGED, LINGER, 1, 0, 1, "rebind readvertise"),
    R(LINGER, 1, 0, 1, 0, TIMER, QUIET, 1, 0, 1, "quiesce close-connections withdraw"),
    R(LINGER, 1, 0, 1, POS, TIMER, QUIET, 1, 0, 1, "snapshot quiesce close-connections withdraw"),
    /* may not begin again: close the new transfer cleanly and go quiet */
    R(LINGER, 1, 0, 1, ANY, TRANSFER_OPENED, QUIET, 1, 0, 1, "disarm-timer " SQCW),
    IGN(LINGER, 1, 0, 1, TRANSFERS_IDLE),
    IGN(LINGER, 1, 0, 1, BEGIN_FAILED),

    /* QUIET: background, not listening, nothing held. */
    IGN(QUIET, 1, 0, 0, BACKGROUND),
    R(QUIET, 1, 0, 0, ANY, FOREGROUND, FOREGROUND, 0, 0, 0, "rebind readvertise"),
    IGN(QUIET, 1, 0, 0, EXPIRING),
    R(QUIET, 1, 0, 0, ANY, WILL_SUSPEND, SUSPENDED, 1, 0, 0, "snapshot"),
    IGN(QUIET, 1, 0, 0, RESUMED),
    R(QUIET, 1, 0, 0, ANY, WILL_TERMINATE, TERMINATED, 1, 0, 0, "snapshot"),
    IGN(QUIET, 1, 0, 0, NETWORK_CHANGED),
    IGN(QUIET, 1, 0, 0, TIMER),
    IGN(QUIET, 1, 0, 0, TRANSFER_OPENED),
    IGN(QUIET, 1, 0, 0, TRANSFERS_IDLE),
    IGN(QUIET, 1, 0, 0, BEGIN_FAILED),

    /* QUIET after an expiration. */
    IGN(QUIET, 1, 0, 1, BACKGROUND),
    R(QUIET, 1, 0, 1, ANY, FOREGROUND, FOREGROUND, 0, 0, 0, "rebind readvertise"),
    IGN(QUIET, 1, 0, 1, EXPIRING),
    R(QUIET, 1, 0, 1, ANY, WILL_SUSPEND, SUSPENDED, 1, 0, 1, "snapshot"),
    IGN(QUIET, 1, 0, 1, RESUMED),
    R(QUIET, 1, 0, 1, ANY, WILL_TERMINATE, TERMINATED, 1, 0, 1, "snapshot"),
    IGN(QUIET, 1, 0, 1, NETWORK_CHANGED),
    IGN(QUIET, 1, 0, 1, TIMER),
    IGN(QUIET, 1, 0, 1, TRANSFER_OPENED),
    IGN(QUIET, 1, 0, 1, TRANSFERS_IDLE),
    IGN(QUIET, 1, 0, 1, BEGIN_FAILED),

    /* SUSPENDED from the screen (desktop sleep). */
    IGN(SUSPENDED, 0, 0, 0, BACKGROUND),
    R(SUSPENDED, 0, 0, 0, ANY, FOREGROUND, FOREGROUND, 0, 0, 0, "restore rebind readvertise"),
    IGN(SUSPENDED, 0, 0, 0, EXPIRING),
    IGN(SUSPENDED, 0, 0, 0, WILL_SUSPEND),
    R(SUSPENDED, 0, 0, 0, ANY, RESUMED, FOREGROUND, 0, 0, 0, "restore rebind readvertise"),
    R(SUSPENDED, 0, 0, 0, ANY, WILL_TERMINATE, TERMINATED, 0, 0, 0, ""),
    IGN(SUSPENDED, 0, 0, 0, NETWORK_CHANGED),
    IGN(SUSPENDED, 0, 0, 0, TIMER),
    IGN(SUSPENDED, 0, 0, 0, TRANSFER_OPENED),
    IGN(SUSPENDED, 0, 0, 0, TRANSFERS_IDLE),
    IGN(SUSPENDED, 0, 0, 0, BEGIN_FAILED),

    /* SUSPENDED from the background: resumes into QUIET. */
    IGN(SUSPENDED, 1, 0, 0, BACKGROUND),
    R(SUSPENDED, 1, 0, 0, ANY, FOREGROUND, FOREGROUND, 0, 0, 0, "restore rebind readvertise"),
    IGN(SUSPENDED, 1, 0, 0, EXPIRING),
    IGN(SUSPENDED, 1, 0, 0, WILL_SUSPEND),
    R(SUSPENDED, 1, 0, 0, ANY, RESUMED, QUIET, 1, 0, 0, "restore"),
    R(SUSPENDED, 1, 0, 0, ANY, WILL_TERMINATE, TERMINATED, 1, 0, 0, ""),
    IGN(SUSPENDED, 1, 0, 0, NETWORK_CHANGED),
    IGN(SUSPENDED, 1, 0, 0, TIMER),
    IGN(SUSPENDED, 1, 0, 0, TRANSFER_OPENED),
    IGN(SUSPENDED, 1, 0, 0, TRANSFERS_IDLE),
    IGN(SUSPENDED, 1, 0, 0, BEGIN_FAILED),

    /* SUSPENDED after an expiration: the expiration outlives the resume. */
    IGN(SUSPENDED, 1, 0, 1, BACKGROUND),
    R(SUSPENDED, 1, 0, 1, ANY, FOREGROUND, FOREGROUND, 0, 0, 0, "restore rebind readvertise"),
    IGN(SUSPENDED, 1, 0, 1, EXPIRING),
    IGN(SUSPENDED, 1, 0, 1, WILL_SUSPEND),
    R(SUSPENDED, 1, 0, 1, ANY, RESUMED, QUIET, 1, 0, 1, "restore"),
    R(SUSPENDED, 1, 0, 1, ANY, WILL_TERMINATE, TERMINATED, 1, 0, 1, ""),
    IGN(SUSPENDED, 1, 0, 1, NETWORK_CHANGED),
    IGN(SUSPENDED, 1, 0, 1, TIMER),
    IGN(SUSPENDED, 1, 0, 1, TRANSFER_OPENED),
    IGN(SUSPENDED, 1, 0, 1, TRANSFERS_IDLE),
    IGN(SUSPENDED, 1, 0, 1, BEGIN_FAILED),

    /* TERMINATED: absorbing. */
    IGN(TERMINATED, 0, 0, 0, BACKGROUND),
    IGN(TERMINATED, 0, 0, 0, FOREGROUND),
    IGN(TERMINATED, 0, 0, 0, EXPIRING),
    IGN(TERMINATED, 0, 0, 0, WILL_SUSPEND),
    IGN(TERMINATED, 0, 0, 0, RESUMED),
    IGN(TERMINATED, 0, 0, 0, WILL_TERMINATE),
    IGN(TERMINATED, 0, 0, 0, NETWORK_CHANGED),
    IGN(TERMINATED, 0, 0, 0, TIMER),
    IGN(TERMINATED, 0, 0, 0, TRANSFER_OPENED),
    IGN(TERMINATED, 0, 0, 0, TRANSFERS_IDLE),
    IGN(TERMINATED, 0, 0, 0, BEGIN_FAILED),

    /* Unreachable combinations the machine still defines: a held or
     * expired FOREGROUND, an unheld FINISHING. */
    R(FOREGROUND, 0, 1, 0, 0, BACKGROUND, LINGER, 1, 1, 0, "arm-linger"),
    R(FOREGROUND, 0, 1, 0, POS, BACKGROUND, FINISHING, 1, 1, 0, "snapshot"),
    R(FOREGROUND, 0, 1, 0, ANY, WILL_SUSPEND, SUSPENDED, 0, 0, 0, SQCWE),
    R(FOREGROUND, 0, 0, 1, POS, BACKGROUND, QUIET, 1, 0, 1, SQCW),
    R(FOREGROUND, 0, 0, 1, 0, BACKGROUND, LINGER, 1, 0, 1, "arm-linger"),
    R(FINISHING, 1, 0, 0, ANY, FOREGROUND, FOREGROUND, 0, 0, 0, "rebind readvertise"),
    R(FINISHING, 1, 0, 0, ANY, EXPIRING, QUIET, 1, 0, 1, SQCW),
    R(FINISHING, 1, 0, 0, ANY, BEGIN_FAILED, QUIET, 1, 0, 0, SQCW),
};

/* Steps a copy of row->from with `open` and checks the result. */
static void check_row(const struct row *r, unsigned open, size_t idx)
{
    struct lc_machine m = r->from;
    struct lc_facts f = {.open_transfers = open};
    struct lc_actions a;
    char got[256], from[96], want_m[96], got_m[96];

    a.n = 7; /* must be overwritten */
    lc_machine_step(&m, r->in, &f, &a);
    format_actions(&a, got, sizeof got);
    if (!same_machine(&m, &r->to) || strcmp(got, r->acts) != 0) {
        format_machine(&r->from, from, sizeof from);
        format_machine(&r->to, want_m, sizeof want_m);
        format_machine(&m, got_m, sizeof got_m);
        fail_msg("row %zu: %s + %s (open %u):\n  got  %s [%s]\n  want %s [%s]",
                 idx, from, lc_input_name(r->in), open, got_m, got, want_m,
                 r->acts);
    }
}

/* One step of a machine in `from` with the silent / no_linger flags, and
 * what it must give. */
static void check_flags_row(int silent, int no_linger, struct lc_machine from, unsigned open,
                            enum lc_input in, enum ferry_state want, int want_held,
                            const char *want_acts)
{
    struct lc_facts f = {.open_transfers = open};
    struct lc_actions a;
    char got[256];

    from.silent = silent;
    from.no_linger = no_linger;
    lc_machine_step(&from, in, &f, &a);
    format_actions(&a, got, sizeof got);
    if (from.state != want || from.held != want_held || strcmp(got, want_acts) != 0)
        fail_msg("silent=%d no_linger=%d + %s (open %u): got %s held=%d [%s], want %s "
                 "held=%d [%s]", silent, no_linger, lc_input_name(in), open,
                 state_name(from.state), from.held, got, state_name(want), want_held,
                 want_acts);
}

/* D1, D7, D11: the silent model never lingers unprotected; no_linger never
 * lingers; an app launched into the background starts QUIET and listens
 * on FOREGROUND. */
static void test_silent_and_no_linger(void **state)
{
    struct lc_machine fg, fin = {FERRY_STATE_FINISHING, 1, 1, 0, 0, 0, 0}, bgq;

    (void)state;
    lc_machine_init(&fg);
    /* silent: background with nothing open goes quiet in the call */
    check_flags_row(1, 0, fg, 0, LC_IN_BACKGROUND, FERRY_STATE_QUIET, 0,
                    "quiesce close-connections withdraw");
    check_flags_row(1, 0, fg, 2, LC_IN_BACKGROUND, FERRY_STATE_FINISHING, 1,
                    "snapshot begin-assertion");
    /* silent, the last transfer done: the linger is protected, so kept */
    check_flags_row(1, 0, fin, 0, LC_IN_TRANSFERS_IDLE, FERRY_STATE_LINGER, 1, "arm-linger");
    /* no linger: quiet at once, both ways */
    check_flags_row(0, 1, fg, 0, LC_IN_BACKGROUND, FERRY_STATE_QUIET, 0,
                    "quiesce close-connections withdraw");
    check_flags_row(0, 1, fin, 0, LC_IN_TRANSFERS_IDLE, FERRY_STATE_QUIET, 0,
                    "quiesce close-connections withdraw end-assertions");
    /* notified: unchanged */
    check_flags_row(0, 0, fg, 0, LC_IN_BACKGROUND, FERRY_STATE_LINGER, 0, "arm-linger");
    /* launched into the background */
    lc_machine_init_background(&bgq);
    assert_int_equal(bgq.state, FERRY_STATE_QUIET);
    assert_int_equal(bgq.background, 1);
    assert_int_equal(bgq.held, 0);
    check_flags_row(1, 0, bgq, 0, LC_IN_TRANSFER_OPENED, FERRY_STATE_QUIET, 0, "");
    check_flags_row(1, 0, bgq, 0, LC_IN_FOREGROUND, FERRY_STATE_FOREGROUND, 0,
                    "rebind readvertise");
}

/* Every row, with every open_transfers value it stands for. */
static void test_table(void **state)
{
    static const unsigned any[] = {0, 1, 3}, pos[] = {1, 3};
    size_t checked = 0;

    (void)state;
    for (size_t i = 0; i < COUNT(table); i++) {
        const struct row *r = &table[i];

        if (r->open == ANY) {
            for (size_t k = 0; k < COUNT(any); k++, checked++)
                check_row(r, any[k], i);
        } else if (r->open == POS) {
            for (size_t k = 0; k < COUNT(pos); k++, checked++)
                check_row(r, pos[k], i);
        } else {
            check_row(r, (unsigned)r->open, i);
            checked++;
        }
    }
    print_message("# %zu rows, %zu steps checked\n", COUNT(table), checked);
}

/*
 * The table itself: every (state, input) pair appears; within each group of
 * one `from`, every input appears, and where a row is split by open
 * transfers the split covers every count exactly once (0 and POS).
 */
static void test_table_is_complete(void **state)
{
    int pairs[NSTATES][LC_INPUT_COUNT] = {{0}};

    (void)state;
    for (size_t i = 0; i < COUNT(table); i++) {
        const struct lc_machine *from = &table[i].from;
        int seen[LC_INPUT_COUNT] = {0}, zero[LC_INPUT_COUNT] = {0},
            pos[LC_INPUT_COUNT] = {0};
        int first = 1;

        /* Check each group once, at its first row. */
        for (size_t j = 0; j < i; j++)
            if (same_machine(&table[j].from, from))
                first = 0;
        if (!first)
            continue;
        for (size_t j = i; j < COUNT(table); j++) {
            size_t k;

            if (!same_machine(&table[j].from, from))
                continue;
            k = input_index(table[j].in);
            pairs[from->state][k] = 1;
            if (table[j].open == ANY)
                seen[k] += 2;
            else if (table[j].open == POS)
                pos[k]++, seen[k]++;
            else if (table[j].open == 0)
                zero[k]++, seen[k]++;
            else
                fail_msg("row %zu: open must be 0, ANY or POS", j);
        }
        for (size_t k = 0; k < LC_INPUT_COUNT; k++) {
            /* Reachable groups list all inputs; the few unreachable
             * FOREGROUND/FINISHING extras list only what they show. */
            int partial = (from->state == FERRY_STATE_FOREGROUND &&
                           (from->held || from->expired)) ||
                          (from->state == FERRY_STATE_FINISHING && !from->held);

            if (seen[k] == 0 && partial)
                continue;
            if (seen[k] != 2 || zero[k] != pos[k])
                fail_msg("group of row %zu (%s): input %s listed wrongly "
                         "(seen %d, zero %d, pos %d)", i,
                         state_name(from->state), lc_input_name(all_inputs[k]),
                         seen[k], zero[k], pos[k]);
        }
    }
    for (int s = 0; s < NSTATES; s++)
        for (size_t k = 0; k < LC_INPUT_COUNT; k++)
            if (!pairs[s][k])
                fail_msg("(%s, %s) has no row", state_name((enum ferry_state)s),
                         lc_input_name(all_inputs[k]));
}

/* Unknown inputs and states do nothing. */
static void test_unknown(void **state)
{
    static const int bad_inputs[] = {0, 9, 99, 103, 1000, -1};
    struct lc_facts f = {.open_transfers = 1};
    struct lc_actions a;

    (void)state;
    for (size_t i = 0; i < COUNT(table); i++) {
        for (size_t k = 0; k < COUNT(bad_inputs); k++) {
            struct lc_machine m = table[i].from;

            a.n = 3;
            lc_machine_step(&m, (enum lc_input)bad_inputs[k], &f, &a);
            assert_int_equal(a.n, 0);
            assert_true(same_machine(&m, &table[i].from));
        }
    }
    for (size_t k = 0; k < LC_INPUT_COUNT; k++) {
        struct lc_machine m = {(enum ferry_state)42, 1, 1, 0, 0, 0, 0}, was = m;

        a.n = 3;
        lc_machine_step(&m, all_inputs[k], &f, &a);
        assert_int_equal(a.n, 0);
        assert_true(same_machine(&m, &was));
    }
}

static void test_init(void **state)
{
    struct lc_machine m;

    (void)state;
    memset(&m, 0x5a, sizeof m);
    lc_machine_init(&m);
    assert_int_equal(m.state, FERRY_STATE_FOREGROUND);
    assert_int_equal(m.background, 0);
    assert_int_equal(m.held, 0);
    assert_int_equal(m.expired, 0);
}

/* ------------------------------------------------------- random sequences */

/* xorshift64*: the test's own PRNG, with a fixed seed. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* A number in 0..n-1. */
static unsigned rng_below(uint64_t *s, unsigned n)
{
    return (unsigned)((rng_next(s) >> 32) % n);
}

/* What the engine would have done with the actions so far. */
struct world {
    int held;       /* assertions the ledger holds */
    int listening;  /* the listener is open */
    int advertised; /* the mDNS record is published */
    int armed;      /* the linger timer is armed */
    int on_screen;  /* the last BACKGROUND/FOREGROUND the app acted on */
    int warned;     /* an expiration warning went out in this background
                       period (no begin until the foreground) */
    int defunct;    /* the OS suspended silently while the listener was
                       open: it accepts nothing until a rebind */
    unsigned begins, ends, refusals;
    unsigned visited[NSTATES][LC_INPUT_COUNT];
};

static int has_action(const struct lc_actions *a, enum lc_action x)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i] == x)
            return 1;
    return 0;
}

static int is_down(enum ferry_state s)
{
    return s == FERRY_STATE_QUIET || s == FERRY_STATE_SUSPENDED ||
           s == FERRY_STATE_TERMINATED;
}

static int is_background_held_state(enum ferry_state s)
{
    return s == FERRY_STATE_FINISHING || s == FERRY_STATE_LINGER;
}

/* Fails with the sequence context. */
#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            char b_[96], a_[96], acts_[256];                                   \
            format_machine(before, b_, sizeof b_);                             \
            format_machine(m, a_, sizeof a_);                                  \
            format_actions(acts, acts_, sizeof acts_);                         \
            print_error("seq %u step %u: %s + %s (open %u) -> %s [%s]\n",      \
                        seq, stepno, b_, lc_input_name(in), f->open_transfers, \
                        a_, acts_);                                            \
            fail_msg(__VA_ARGS__);                                             \
        }                                                                      \
    } while (0)

/* Checks one step (before -> m with acts) and plays it on the world. */
static void check_step(unsigned seq, unsigned stepno,
                       const struct lc_machine *before, enum lc_input in,
                       const struct lc_facts *f, const struct lc_machine *m,
                       const struct lc_actions *acts, struct world *w)
{
    int begun = 0;

    CHECK(acts->n <= LC_MAX_ACTIONS, "too many actions");
    if (in == LC_IN_TIMER && before->state == FERRY_STATE_LINGER)
        w->armed = 0; /* this is the timer firing */
    for (size_t i = 0; i < acts->n; i++) {
        switch (acts->v[i]) {
        case LC_ACT_BEGIN_ASSERTION:
            CHECK(!before->held && !before->expired && w->held == 0 &&
                  !w->warned, "begin while held or expired");
            CHECK(!begun, "two begins in one step");
            CHECK(i == acts->n - 1, "begin is not the last action");
            begun = 1;
            w->held++;
            w->begins++;
            break;
        case LC_ACT_END_ASSERTIONS:
            CHECK(w->held == 1 && before->held, "end with nothing held");
            /* last, except in the expiration, where it comes first
             * (after disarming the timer): nothing slow before it */
            if (in == LC_IN_EXPIRING)
                CHECK(i == 0 || (i == 1 && acts->v[0] == LC_ACT_DISARM_TIMER),
                      "expiration: end is not first");
            else
                CHECK(i == acts->n - 1, "end is not the last action");
            w->held = 0;
            w->ends++;
            break;
        case LC_ACT_ARM_LINGER:
            CHECK(before->state != FERRY_STATE_LINGER &&
                  m->state == FERRY_STATE_LINGER, "arm without entering linger");
            w->armed = 1;
            break;
        case LC_ACT_DISARM_TIMER:
            CHECK(before->state == FERRY_STATE_LINGER &&
                  m->state != FERRY_STATE_LINGER, "disarm without leaving linger");
            CHECK(w->armed, "disarm of an unarmed timer");
            w->armed = 0;
            break;
        case LC_ACT_QUIESCE:
            CHECK(w->listening, "quiesce while not listening");
            w->listening = 0;
            break;
        case LC_ACT_REBIND:
            w->listening = 1;
            w->defunct = 0;
            break;
        case LC_ACT_WITHDRAW:
            CHECK(w->advertised, "withdraw while not advertised");
            w->advertised = 0;
            break;
        case LC_ACT_READVERTISE:
            w->advertised = 1;
            break;
        case LC_ACT_RESTORE:
            CHECK(before->state == FERRY_STATE_SUSPENDED, "restore not on resume");
            break;
        case LC_ACT_REVIVE:
            /* rebinds only a listener its accept thread reported dead: a
             * defunct one nobody tried is not known, so stays defunct */
            w->listening = 1;
            w->advertised = 1;
            break;
        case LC_ACT_SNAPSHOT:
        case LC_ACT_CLOSE_CONNECTIONS:
            break;
        default:
            CHECK(0, "unknown action %d", (int)acts->v[i]);
        }
    }
    if (in == LC_IN_EXPIRING && is_background_held_state(before->state))
        w->warned = 1;
    if (in == LC_IN_FOREGROUND && before->state != FERRY_STATE_TERMINATED)
        w->on_screen = 1;
    if (in == LC_IN_BACKGROUND && before->state == FERRY_STATE_FOREGROUND)
        w->on_screen = 0;
    if (m->state == FERRY_STATE_FOREGROUND)
        w->warned = 0;
    if (has_action(acts, LC_ACT_END_ASSERTIONS))
        CHECK(!m->held, "still held after end");
    else if (begun)
        CHECK(m->held, "begun but not held");
    else if (in == LC_IN_BEGIN_FAILED && before->state == FERRY_STATE_FINISHING)
        CHECK(!m->held, "still held after a refused begin");
    else
        CHECK(m->held == before->held, "held changed without begin or end");
    if (m->state == FERRY_STATE_LINGER && before->state != FERRY_STATE_LINGER)
        CHECK(has_action(acts, LC_ACT_ARM_LINGER), "linger entered unarmed");
    if (before->state == FERRY_STATE_LINGER && m->state != FERRY_STATE_LINGER &&
        in != LC_IN_TIMER)
        CHECK(has_action(acts, LC_ACT_DISARM_TIMER), "linger left armed");
    if ((m->state == FERRY_STATE_SUSPENDED || m->state == FERRY_STATE_TERMINATED) &&
        before->state != FERRY_STATE_SUSPENDED &&
        before->state != FERRY_STATE_TERMINATED)
        CHECK(has_action(acts, LC_ACT_SNAPSHOT), "suspended without snapshot");
    if (before->state == FERRY_STATE_SUSPENDED &&
        m->state != FERRY_STATE_SUSPENDED && m->state != FERRY_STATE_TERMINATED)
        CHECK(has_action(acts, LC_ACT_RESTORE), "resumed without restore");
    if (acts->n == 0 &&
        !(before->state == FERRY_STATE_SUSPENDED && in == LC_IN_WILL_TERMINATE))
        CHECK(same_machine(before, m), "silent change");
}

/* Checks what must hold between engine steps; `before` is the machine
 * before the step (and its BEGIN_FAILED, if any). */
static void check_settled(unsigned seq, unsigned stepno,
                          const struct lc_machine *before, enum lc_input in,
                          const struct lc_facts *f, const struct lc_machine *m,
                          const struct lc_actions *acts, const struct world *w)
{
    CHECK(w->held == m->held, "ledger holds %d, machine says %d", w->held,
          m->held);
    CHECK(w->held == 0 || w->held == 1, "ledger holds %d", w->held);
    CHECK(w->begins == w->ends + (unsigned)w->held, "begins != ends + held");
    if (m->state == FERRY_STATE_FOREGROUND)
        CHECK(!m->held && !m->background && !m->expired, "foreground holds");
    if (m->state == FERRY_STATE_FINISHING)
        CHECK(m->held, "finishing without an assertion");
    if (is_down(m->state))
        CHECK(w->held == 0, "quiet/suspended/terminated holding");
    if (is_background_held_state(before->state) && is_down(m->state))
        CHECK(w->held == 0, "left %s holding", state_name(before->state));
    CHECK(m->background == !w->on_screen, "background is %d on %s screen",
          m->background, w->on_screen ? "the" : "no");
    if (m->state == FERRY_STATE_FOREGROUND) {
        CHECK(w->on_screen, "foreground while off screen");
        CHECK(!w->defunct, "foreground with a defunct listener: nothing is answered");
    }
    if ((m->state == FERRY_STATE_FINISHING || m->state == FERRY_STATE_LINGER) && m->held &&
        w->defunct && !m->exposed)
        CHECK(0, "a defunct listener not known to the machine");
    CHECK(m->expired == w->warned, "expired is %d after %s warning",
          m->expired, w->warned ? "a" : "no");
    if (m->expired)
        CHECK(!m->held && m->background, "expired and held");
    CHECK(w->listening == !is_down(m->state), "listener %s in %s",
          w->listening ? "open" : "closed", state_name(m->state));
    CHECK(w->advertised == w->listening, "record and listener disagree");
    CHECK(w->armed == (m->state == FERRY_STATE_LINGER), "timer %s in %s",
          w->armed ? "armed" : "unarmed", state_name(m->state));
}

/* The rules of the silent model and of no linger (D1, D11): never linger
 * unprotected when silent, never linger at all without a linger. */
static void check_models(unsigned seq, unsigned stepno,
                         const struct lc_machine *before, enum lc_input in,
                         const struct lc_facts *f, const struct lc_machine *m,
                         const struct lc_actions *acts)
{
    if (m->silent && m->state == FERRY_STATE_LINGER)
        CHECK(m->held, "silent: a linger without an assertion");
    if (m->no_linger)
        CHECK(m->state != FERRY_STATE_LINGER, "no_linger: lingering");
    if (m->silent && in == LC_IN_BACKGROUND && before->state == FERRY_STATE_FOREGROUND &&
        f->open_transfers == 0)
        CHECK(m->state == FERRY_STATE_QUIET && has_action(acts, LC_ACT_QUIESCE),
              "silent: background with nothing open did not go quiet in the call");
}

/* The facts the engine would pass with `in` (it makes the counts agree with
 * TRANSFER_OPENED / TRANSFERS_IDLE). */
static unsigned random_open(uint64_t *rng, enum lc_input in)
{
    if (in == LC_IN_TRANSFER_OPENED)
        return 1 + rng_below(rng, 3);
    if (in == LC_IN_TRANSFERS_IDLE)
        return 0;
    return rng_below(rng, 4);
}

static void test_random_sequences(void **state)
{
    uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);
    struct world w;
    unsigned injected = 0, spurious = 0, steps = 0;

    (void)state;
    memset(&w, 0, sizeof w);
    for (unsigned seq = 0; seq < 10000; seq++) {
        struct lc_machine m;
        unsigned len = 1 + rng_below(&rng, 50);
        unsigned variant = seq % 4; /* notified, silent, no linger, launched
                                       into the background (and silent) */

        if (variant == 3)
            lc_machine_init_background(&m);
        else
            lc_machine_init(&m);
        m.silent = variant == 1 || variant == 3;
        m.no_linger = variant == 2;
        w.held = 0;
        w.listening = w.advertised = variant != 3;
        w.armed = w.warned = 0;
        w.on_screen = variant != 3;
        w.begins = w.ends = 0;
        for (unsigned stepno = 0; stepno < len; stepno++, steps++) {
            struct lc_machine first = m, mid;
            struct lc_actions acts;
            struct lc_facts fa;
            enum lc_input in;
            unsigned pick = rng_below(&rng, 41);

            /* Mostly the ten inputs the OS and the engine send on their
             * own; now and then a spurious BEGIN_FAILED (outside FINISHING,
             * where the engine never sends one unprompted). */
            if (pick < 40) {
                in = all_inputs[pick / 4];
            } else {
                if (m.state == FERRY_STATE_FINISHING)
                    continue;
                in = LC_IN_BEGIN_FAILED;
                spurious++;
            }
            fa.open_transfers = random_open(&rng, in);
            w.visited[m.state][input_index(in)]++;
            lc_machine_step(&m, in, &fa, &acts);
            check_step(seq, stepno, &first, in, &fa, &m, &acts, &w);
            if (has_action(&acts, LC_ACT_BEGIN_ASSERTION) &&
                rng_below(&rng, 3) == 0) {
                /* The port refuses: the ledger records nothing, and the
                 * engine feeds BEGIN_FAILED in the same step. */
                w.held--;
                w.begins--;
                w.refusals++;
                injected++;
                mid = m;
                w.visited[m.state][input_index(LC_IN_BEGIN_FAILED)]++;
                lc_machine_step(&m, LC_IN_BEGIN_FAILED, &fa, &acts);
                check_step(seq, stepno, &mid, LC_IN_BEGIN_FAILED, &fa, &m,
                           &acts, &w);
                in = LC_IN_BEGIN_FAILED;
            }
            check_settled(seq, stepno, &first, in, &fa, &m, &acts, &w);
            check_models(seq, stepno, &first, in, &fa, &m, &acts);
        }
    }
    print_message("# %u steps, %u refused begins, %u spurious begin-failed\n",
                  steps, injected, spurious);
    /* The walk must have met every (state, input) pair. */
    for (int s = 0; s < NSTATES; s++)
        for (size_t k = 0; k < LC_INPUT_COUNT; k++)
            if (!w.visited[s][k])
                fail_msg("random walk never fed %s in %s",
                         lc_input_name(all_inputs[k]),
                         state_name((enum ferry_state)s));
}


/* --------------------------------------------------------- exhaustive */

#define EXPLORE_DEPTH 8

/* What the exhaustive walk remembers: for each (machine, world) state the
 * most steps that were still to go when it was met; a state met again with
 * no more steps to go has nothing new below it. */
struct explore {
    signed char best[NSTATES * 2 * 2 * 2 * 4 * 256];
    unsigned long long steps, states, refusals;
};

/* A dense index of the parts of (m, w) that decide every later step (the
 * counters do not: the checks compare them with each other only). */
static size_t explore_key(const struct lc_machine *m, const struct world *w)
{
    size_t k = (size_t)m->state;

    k = k * 2 + (size_t)(m->background != 0);
    k = k * 2 + (size_t)(m->held != 0);
    k = k * 2 + (size_t)(m->expired != 0);
    k = k * 4 + (size_t)((m->silent != 0) | (m->no_linger != 0) << 1);
    k = k * 2 + (size_t)(w->held != 0);
    k = k * 2 + (size_t)(w->listening != 0);
    k = k * 2 + (size_t)(w->advertised != 0);
    k = k * 2 + (size_t)(w->armed != 0);
    k = k * 2 + (size_t)(w->on_screen != 0);
    k = k * 2 + (size_t)(w->warned != 0);
    k = k * 2 + (size_t)(w->defunct != 0);
    k = k * 2 + (size_t)(m->exposed != 0);
    return k;
}

/*
 * Every input (with every open-transfer count the engine could pass with
 * it: 0, 1 or 2, as TRANSFER_OPENED / TRANSFERS_IDLE allow), and after
 * every begin both a grant and a refusal (the port failing that call),
 * from (m, w), `left` steps deep, each step checked as the random walk
 * checks it.
 */
static void explore(struct explore *x, const struct lc_machine *m, const struct world *w,
                    int left)
{
    size_t key = explore_key(m, w);

    if (left <= 0 || x->best[key] >= left)
        return;
    if (x->best[key] < 0)
        x->states++;
    x->best[key] = (signed char)left;
    /* The OS suspends silently: only in the background with nothing held
     * (iOS never suspends an app holding a task), and it tells nobody. The
     * listener, if open, is defunct from then on. The app runs again (in
     * the background) at once: the next input is its next event. */
    if (m->background && !m->held && w->listening && !w->defunct) {
        struct world wn = *w;

        wn.defunct = 1;
        x->steps++;
        explore(x, m, &wn, left - 1);
    }
    for (size_t k = 0; k < LC_INPUT_COUNT; k++) {
        enum lc_input in = all_inputs[k];

        for (unsigned open = 0; open < 3; open++) {
            if ((in == LC_IN_TRANSFER_OPENED && open == 0) ||
                (in == LC_IN_TRANSFERS_IDLE && open > 0))
                continue;
            for (int refuse = 0; refuse < 2; refuse++) {
                struct lc_machine next = *m, mid;
                struct world wn = *w;
                struct lc_facts fa = {.open_transfers = open};
                struct lc_actions acts;
                enum lc_input fed = in;

                /* a BEGIN_FAILED the engine never feeds unprompted in FIN */
                if (in == LC_IN_BEGIN_FAILED && m->state == FERRY_STATE_FINISHING)
                    continue;
                lc_machine_step(&next, in, &fa, &acts);
                x->steps++;
                check_step(0, (unsigned)(EXPLORE_DEPTH - left), m, in, &fa, &next, &acts, &wn);
                if (has_action(&acts, LC_ACT_BEGIN_ASSERTION)) {
                    if (refuse) { /* the port refuses this begin */
                        wn.held--;
                        wn.begins--;
                        wn.refusals++;
                        x->refusals++;
                        mid = next;
                        lc_machine_step(&next, LC_IN_BEGIN_FAILED, &fa, &acts);
                        check_step(0, (unsigned)(EXPLORE_DEPTH - left), &mid,
                                   LC_IN_BEGIN_FAILED, &fa, &next, &acts, &wn);
                        fed = LC_IN_BEGIN_FAILED;
                    }
                } else if (refuse) {
                    continue; /* no begin: nothing to refuse */
                }
                check_settled(0, (unsigned)(EXPLORE_DEPTH - left), m, fed, &fa, &next, &acts,
                              &wn);
                check_models(0, (unsigned)(EXPLORE_DEPTH - left), m, in, &fa, &next, &acts);
                explore(x, &next, &wn, left - 1);
            }
        }
    }
}

/* Every sequence of up to EXPLORE_DEPTH inputs over the whole alphabet,
 * every refusal of every begin, from every start (foreground, launched into
 * the background) in every model (notified, silent, no linger, both). */
static void test_exhaustive(void **state)
{
    static struct explore x;
    unsigned long long total_states = 0, total_steps = 0, total_refusals = 0;

    (void)state;
    for (int model = 0; model < 4; model++) {
        for (int bg_start = 0; bg_start < 2; bg_start++) {
            struct lc_machine m;
            struct world w;

            memset(&x, 0, sizeof x);
            memset(x.best, -1, sizeof x.best);
            memset(&w, 0, sizeof w);
            if (bg_start)
                lc_machine_init_background(&m);
            else
                lc_machine_init(&m);
            m.silent = model & 1;
            m.no_linger = (model >> 1) & 1;
            w.listening = w.advertised = w.on_screen = !bg_start;
            explore(&x, &m, &w, EXPLORE_DEPTH);
            total_states += x.states;
            total_steps += x.steps;
            total_refusals += x.refusals;
        }
    }
    print_message("# exhaustive to depth %d: %llu distinct states, %llu steps, %llu refused "
                  "begins\n", EXPLORE_DEPTH, total_states, total_steps, total_refusals);
    assert_true(total_states > 50);
}

/* ----------------------------------------------------------------- replay */

/*
 * Replays a log of input names (one a line; blank lines and '#' comments
 * skipped) from a fresh machine, as the engine would: transfer-opened sets
 * one open transfer, transfers-idle none. Writes a trace line per input,
 * "input: from -> to[; action ...]", into trace and returns the final
 * machine.
 */
static struct lc_machine replay(const char *log, char *trace, size_t size)
{
    struct lc_machine m;
    struct lc_facts f = {.open_transfers = 0};
    size_t used = 0;
    const char *p = log;

    lc_machine_init(&m);
    trace[0] = '\0';
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char name[64], acts_text[256];
        enum ferry_state from = m.state;
        struct lc_actions a;
        size_t k;
        int w;

        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
            len--;
        if (len && *p != '#') {
            assert_true(len < sizeof name);
            memcpy(name, p, len);
            name[len] = '\0';
            for (k = 0; k < LC_INPUT_COUNT; k++)
                if (strcmp(lc_input_name(all_inputs[k]), name) == 0)
                    break;
            if (k == LC_INPUT_COUNT)
                fail_msg("replay: unknown input \"%s\"", name);
            if (all_inputs[k] == LC_IN_TRANSFER_OPENED)
                f.open_transfers = 1;
            else if (all_inputs[k] == LC_IN_TRANSFERS_IDLE)
                f.open_transfers = 0;
            lc_machine_step(&m, all_inputs[k], &f, &a);
            format_actions(&a, acts_text, sizeof acts_text);
            w = snprintf(trace + used, size - used, "%s: %s -> %s%s%s\n", name,
                         state_name(from), state_name(m.state),
                         a.n ? "; " : "", acts_text);
            assert_true(w > 0 && (size_t)w < size - used);
            used += (size_t)w;
        }
        p += end ? (size_t)(end - p) + 1 : strlen(p);
    }
    return m;
}

/* Replays `log` and compares the trace and the final state. */
static void expect_replay(const char *log, const char *want_trace,
                          enum ferry_state want_state)
{
    char trace[4096];
    struct lc_machine m = replay(log, trace, sizeof trace);

    if (strcmp(trace, want_trace) != 0)
        fail_msg("replay trace:\n%s\nwant:\n%s", trace, want_trace);
    assert_int_equal(m.state, want_state);
    assert_int_equal(m.held, 0);
}

/* A download outlives the screen, the OS warns, suspends and resumes the
 * app, the person comes back, leaves again with nothing open, and quits. */
static void test_replay_expiration(void **state)
{
    static const char log[] =
        "# phone locked during a download\n"
        "transfer-opened\n"
        "background\n"
        "network-changed\n"
        "transfers-idle\n"
        "transfer-opened\n"
        "expiring\n"
        "\n"
        "timer\n"
        "transfer-opened\n"
        "will-suspend\n"
        "resumed\n"
        "transfers-idle\n"
        "foreground\n"
        "  background  \n"
        "timer\n"
        "will-terminate\n"
        "foreground\n";
    static const char want[] =
        "transfer-opened: foreground -> foreground\n"
        "background: foreground -> finishing; snapshot begin-assertion\n"
        "network-changed: finishing -> finishing; rebind readvertise\n"
        "transfers-idle: finishing -> linger; arm-linger\n"
        "transfer-opened: linger -> finishing; disarm-timer snapshot\n"
        "expiring: finishing -> quiet; end-assertions snapshot quiesce "
        "close-connections withdraw\n"
        "timer: quiet -> quiet\n"
        "transfer-opened: quiet -> quiet\n"
        "will-suspend: quiet -> suspended; snapshot\n"
        "resumed: suspended -> quiet; restore\n"
        "transfers-idle: quiet -> quiet\n"
        "foreground: quiet -> foreground; rebind readvertise\n"
        "background: foreground -> linger; arm-linger\n"
        "timer: linger -> quiet; quiesce close-connections withdraw\n"
        "will-terminate: quiet -> terminated; snapshot\n"
        "foreground: terminated -> terminated\n";

    (void)state;
    expect_replay(log, want, FERRY_STATE_TERMINATED);
}

/* The OS refuses background time: quiet at once, nothing to end; a linger
 * that is interrupted by a transfer and by desktop sleep. */
static void test_replay_refusal_and_sleep(void **state)
{
    static const char log[] =
        "transfer-opened\n"
        "background\n"
        "begin-failed\n"
        "expiring\n"
        "foreground\n"
        "transfers-idle\n"
        "background\n"
        "transfer-opened\n"
        "transfers-idle\n"
        "timer\n"
        "foreground\n"
        "will-suspend\n"
        "resumed\n";
    static const char want[] =
        "transfer-opened: foreground -> foreground\n"
        "background: foreground -> finishing; snapshot begin-assertion\n"
        "begin-failed: finishing -> quiet; snapshot quiesce close-connections "
        "withdraw\n"
        "expiring: quiet -> quiet\n"
        "foreground: quiet -> foreground; rebind readvertise\n"
        "transfers-idle: foreground -> foreground\n"
        "background: foreground -> linger; arm-linger\n"
        "transfer-opened: linger -> finishing; disarm-timer snapshot begin-assertion\n"
        "transfers-idle: finishing -> linger; arm-linger\n"
        "timer: linger -> quiet; quiesce close-connections withdraw end-assertions\n"
        "foreground: quiet -> foreground; rebind readvertise\n"
        "will-suspend: foreground -> suspended; snapshot quiesce "
        "close-connections withdraw\n"
        "resumed: suspended -> foreground; restore rebind readvertise\n";

    (void)state;
    expect_replay(log, want, FERRY_STATE_FOREGROUND);
}

/* ------------------------------------------------------------------ names */

static void test_names(void **state)
{
    static const char *const inputs[LC_INPUT_COUNT] = {
        "background", "foreground", "expiring", "will-suspend", "resumed",
        "will-terminate", "network-changed", "timer", "transfer-opened",
        "transfers-idle", "begin-failed",
    };
    static const char *const actions[] = {
        "begin-assertion", "end-assertions", "arm-linger", "disarm-timer",
        "snapshot", "quiesce", "close-connections", "withdraw", "rebind",
        "readvertise", "restore", "revive",
    };
    static const int bad_inputs[] = {0, 9, 99, 103, 1000, -1};
    static const int bad_actions[] = {0, 13, 100, -1};

    (void)state;
    for (size_t i = 0; i < LC_INPUT_COUNT; i++)
        assert_string_equal(lc_input_name(all_inputs[i]), inputs[i]);
    for (size_t i = 0; i < COUNT(actions); i++)
        assert_string_equal(lc_action_name((enum lc_action)(LC_ACT_BEGIN_ASSERTION + (int)i)),
                            actions[i]);
    for (size_t i = 0; i < COUNT(bad_inputs); i++)
        assert_string_equal(lc_input_name((enum lc_input)bad_inputs[i]), "?");
    for (size_t i = 0; i < COUNT(bad_actions); i++)
        assert_string_equal(lc_action_name((enum lc_action)bad_actions[i]), "?");
    /* The public events and the machine's inputs agree. */
    assert_int_equal(LC_IN_TIMER, FERRY_EVENT_TIMER);
    assert_int_equal(LC_IN_BACKGROUND, FERRY_EVENT_BACKGROUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_table_is_complete),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_silent_and_no_linger),
        cmocka_unit_test(test_exhaustive),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_random_sequences),
        cmocka_unit_test(test_replay_expiration),
        cmocka_unit_test(test_replay_refusal_and_sleep),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
