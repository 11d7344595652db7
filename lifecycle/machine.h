/*
 * machine.h — the lifecycle state machine: a pure function from (state,
 * input, facts) to (new state, actions). No I/O, no clock, no locks: the
 * engine (engine.c) feeds it and carries out the actions, so that every
 * sequence of events can be unit-tested and replayed from a log.
 *
 * The rules it encodes (DESIGN.md, "Lifecycle rules"):
 *  - FOREGROUND holds nothing.
 *  - BACKGROUND with transfers open: begin a finish-up assertion
 *    (FINISHING). With none: linger, then go quiet.
 *  - Last transfer ends in the background: keep the assertion for the
 *    linger (LINGER), then end it and go quiet (QUIET).
 *  - EXPIRING or WILL_SUSPEND: snapshot, quiesce the listener, close the
 *    connections, withdraw the service, end every assertion — all in that one
 *    step. After an expiration no assertion is begun again until the app is
 *    in the foreground.
 *  - RESUMED after SUSPENDED: restore the journal; rebind and re-advertise
 *    only when on screen (resumed in the background it stays QUIET, not
 *    listening, until FOREGROUND). FOREGROUND after QUIET or SUSPENDED:
 *    rebind, re-advertise (and restore, after SUSPENDED).
 * The full (state, input) table is at the top of machine.c.
 */
#ifndef FERRY_LC_MACHINE_H
#define FERRY_LC_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry.h"

/* Inputs: the public events, plus what the engine observes itself. */
enum lc_input {
    LC_IN_BACKGROUND = FERRY_EVENT_BACKGROUND,
    LC_IN_FOREGROUND = FERRY_EVENT_FOREGROUND,
    LC_IN_EXPIRING = FERRY_EVENT_EXPIRING,
    LC_IN_WILL_SUSPEND = FERRY_EVENT_WILL_SUSPEND,
    LC_IN_RESUMED = FERRY_EVENT_RESUMED,
    LC_IN_WILL_TERMINATE = FERRY_EVENT_WILL_TERMINATE,
    LC_IN_NETWORK_CHANGED = FERRY_EVENT_NETWORK_CHANGED,
    LC_IN_TIMER = FERRY_EVENT_TIMER,   /* the linger deadline passed */
    LC_IN_TRANSFER_OPENED = 100,       /* open transfers went from 0 to 1 */
    LC_IN_TRANSFERS_IDLE,              /* open transfers went to 0 */
    LC_IN_BEGIN_FAILED,                /* the port refused the
                                          BEGIN_ASSERTION just asked for:
                                          fed by the engine in that step */
};
#define LC_INPUT_COUNT 11 /* number of distinct inputs, for tests */

enum lc_action {
    LC_ACT_BEGIN_ASSERTION = 1, /* begin a finish-up assertion; on failure
                                   feed LC_IN_BEGIN_FAILED */
    LC_ACT_END_ASSERTIONS,      /* end every held assertion */
    LC_ACT_ARM_LINGER,          /* arm the timer at now + linger */
    LC_ACT_DISARM_TIMER,
    LC_ACT_SNAPSHOT,            /* write open transfers to the journal */
    LC_ACT_QUIESCE,             /* close the listening sockets */
    LC_ACT_CLOSE_CONNECTIONS,   /* end every open connection cleanly */
    LC_ACT_WITHDRAW,            /* withdraw the mDNS record */
    LC_ACT_REBIND,              /* (re)open the listening sockets */
    LC_ACT_READVERTISE,         /* publish the mDNS record again */
    LC_ACT_RESTORE,             /* read the journal back */
    LC_ACT_REVIVE,              /* rebind and re-advertise, unless the
                                   listener is known to be alive (it was
                                   protected the whole time and its accept
                                   thread reported no failure) */
};

#define LC_MAX_ACTIONS 12

struct lc_actions {
    enum lc_action v[LC_MAX_ACTIONS];
    size_t n;
};

/* Everything the machine remembers between steps. */
struct lc_machine {
    enum ferry_state state;
    int background;   /* the app is off screen (survives SUSPENDED) */
    int held;         /* assertions are held (the engine reports begin
                         results through LC_IN_BEGIN_FAILED) */
    int expired;      /* an expiration happened in this background period:
                         no new begin until FOREGROUND */
    /* Configuration, set once after lc_machine_init(); never changed by a
     * step (last, so that tables of {state, bg, held, expired} still
     * initialise the rest to 0). */
    int silent;       /* the OS suspends without notice whenever nothing is
                         held in the background (iOS): never linger
                         unprotected; BACKGROUND with nothing open goes
                         quiet inside the call */
    int no_linger;    /* FERRY_LINGER_NONE: go quiet as soon as nothing is
                         open in the background */
    int exposed;      /* this background period had a listener open with
                         no assertion held (an unprotected linger): a
                         silent suspension may have defunct it, unseen, so
                         FOREGROUND rebinds. Cleared on FOREGROUND. */
};

/* What the engine knows when it feeds an input. */
struct lc_facts {
    unsigned open_transfers;
};

/* The machine at start: FOREGROUND, nothing held, notified model. */
void lc_machine_init(struct lc_machine *m);

/* The machine of an app launched straight into the background: QUIET,
 * background, nothing held (the caller opens no listener and publishes
 * nothing); FOREGROUND later rebinds and re-advertises. */
void lc_machine_init_background(struct lc_machine *m);

/*
 * Applies `in` to *m given *f, and lists in *out (overwritten) the actions to
 * carry out, in order. An input that means nothing in the current state
 * leaves *m unchanged and yields no action. Never fails.
 */
void lc_machine_step(struct lc_machine *m, enum lc_input in,
                     const struct lc_facts *f, struct lc_actions *out);

/* Names for logs and tests. */
const char *lc_input_name(enum lc_input in);
const char *lc_action_name(enum lc_action a);

#endif
