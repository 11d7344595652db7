/*
 * machine.c — the lifecycle state machine (machine.h): every (state, input)
 * pair, what it does to the remembered facts, and the actions it asks for.
 * Pure: no I/O, no clock, no globals but the const name tables.
 *
 * The whole machine. Rows are inputs, columns states; "-" means the input is
 * ignored there: no action, *m unchanged.
 *
 *                  FG          FIN         LIN         QT        SU          TE
 * background       (1)         -           -           -         -           -
 * foreground       -           (7)         D (7)       R V >FG   T R V >FG   -
 * expiring         -           Y >QT !     D Y >QT !   -         -           -
 * will-suspend     X >SU       X >SU       D X >SU     S >SU     -           -
 * resumed          -           -           -           -         (2)         -
 * will-terminate   X >TE       X >TE       D X >TE     S >TE     >TE         -
 * network-changed  R V         R V         R V         -         -           -
 * timer            -           -           (3)         -         -           -
 * transfer-opened  -           -           (4)         -         -           -
 * transfers-idle   -           (8)         -           -         -           -
 * begin-failed     -           (5)         (6)         -         -           -
 *
 * States: FG foreground, FIN finishing, LIN linger, QT quiet, SU suspended,
 * TE terminated. Actions, in the order written: B begin-assertion (then
 * held=1), E* end-assertions only if held (then held=0), A arm-linger,
 * D disarm-timer, S snapshot, Q quiesce, C close-connections, W withdraw,
 * R rebind, V readvertise, T restore, K revive (R V unless the listener is
 * known to be alive). X ("go quiet") is S Q C W E*. Y ("go quiet at
 * once", the expiration) is E* S Q C W: the assertion ends first, before
 * the snapshot (two fsyncs: up to hundreds of ms on a busy disk) and the
 * slow work (closing TLS connections, withdrawing, joining the accept
 * thread), which all run after it inside the same call: the expiration
 * handler has not returned, so the app is not suspended yet, and iOS
 * allows the end only "momentarily" after the warning. The journal is
 * current anyway: BACKGROUND wrote it when the assertion was begun.
 * ">ST" is the new state; every ">FG" also clears background and expired;
 * "!" sets expired.
 *
 * (1) background=1. With open_transfers > 0, enter finishing: if held,
 *     S >FIN; else if not expired, S B >FIN (the snapshot keeps the journal
 *     current should the app hang and be killed before its expiration
 *     handler runs); else S Q C W >QT (an expired app must not
 *     begin: go quiet as a refused begin would). With none open: A >LIN.
 *     With none open: Q C W >QT when silent or no_linger (an unprotected
 *     linger would be suspended without notice, and the listener defunct:
 *     TN2277 says close it when going into the background), else A >LIN.
 *     (FG is never held nor expired: the last two cases cannot happen.)
 * (2) T; then if background, >QT (resumed off screen: the listener stays
 *     closed until foreground); else R V >FG.
 * (3) S only if open_transfers > 0, then Q C W E* >QT. C ends idle
 *     keep-alive connections too: a request on one while quiet would start a
 *     transfer without an assertion, which suspension would cut.
 * (4) D; then if held, S >FIN (the assertion carries on); else if not
 *     expired, S B >FIN; else S Q C W >QT. The expired case cannot happen (LIN is only
 *     entered from FG, which is never expired, or from FIN, which holds, and
 *     expiring always ends in QT); if it did, the app may not begin again,
 *     and a transfer left running without an assertion would be cut by
 *     suspension mid-write, so it is snapshotted and closed cleanly (the
 *     client resumes by Range or upload offset after foreground) — the same
 *     outcome as a refused begin (5).
 * (5) The begin just asked for was refused: held=0 (without E: nothing was
 *     granted), then S Q C W >QT. Only the engine feeds this, right after a
 *     B that the port refused; B is always the last action of its step.
 * (6) If held: D X >QT. LIN never begins, so the refusal cannot concern the
 *     assertion held here, which was granted earlier: it is ended. Not held:
 *     ignored.
 *
 * (7) If held and not exposed, K E* >FG (protected the whole time: the
 *     listener is alive unless its accept thread said otherwise); else
 *     R V E* >FG. exposed is set on entering LINGER from FG with nothing
 *     held and cleared by every >FG: an unprotected linger may have been
 *     suspended without notice, which defuncts the listener unseen (its
 *     accept thread notices only when a client comes), also when a
 *     transfer then began an assertion. Rebinding is cheap.
 * (8) no_linger: Q C W E* >QT; else A >LIN (the linger is protected by
 *     the held assertion, so it is safe also when silent).
 *
 * Invariants (checked by tests/unit/lifecycle/test_machine.c): B never while
 * held or expired; E* only while held, and held is 0 after it; E* is the last
 * action of its step, except in Y, where it is the first; every way from FIN/LIN to QT/SU/TE leaves held 0; A
 * only on entering LIN; D on every way out of LIN but timer; FG holds
 * nothing; the listener is open exactly in FG, FIN and LIN.
 */
#include "config.h"

#include "machine.h"

/* Appends `a` to *out. LC_MAX_ACTIONS exceeds the longest row (6). */
static void emit(struct lc_actions *out, enum lc_action a)
{
    if (out->n < LC_MAX_ACTIONS)
        out->v[out->n++] = a;
}

/* E*: ends the assertions if any is held. */
static void end_if_held(struct lc_machine *m, struct lc_actions *out)
{
    if (m->held) {
        emit(out, LC_ACT_END_ASSERTIONS);
        m->held = 0;
    }
}

/* S Q C W: snapshot, stop listening, close connections, withdraw. */
static void close_down(struct lc_actions *out)
{
    emit(out, LC_ACT_SNAPSHOT);
    emit(out, LC_ACT_QUIESCE);
    emit(out, LC_ACT_CLOSE_CONNECTIONS);
    emit(out, LC_ACT_WITHDRAW);
}

/* X: goes quiet into `to` (QUIET, SUSPENDED or TERMINATED), ending what is
 * held as the last action. */
static void go_quiet(struct lc_machine *m, struct lc_actions *out,
                     enum ferry_state to)
{
    close_down(out);
    end_if_held(m, out);
    m->state = to;
}

/* Y: the expiration. End what is held first, then snapshot and the slow
 * close-down, into QUIET; sets expired. */
static void expire_now(struct lc_machine *m, struct lc_actions *out)
{
    end_if_held(m, out);
    emit(out, LC_ACT_SNAPSHOT);
    emit(out, LC_ACT_QUIESCE);
    emit(out, LC_ACT_CLOSE_CONNECTIONS);
    emit(out, LC_ACT_WITHDRAW);
    m->state = FERRY_STATE_QUIET;
    m->expired = 1;
}

/* Q C W (E*) >QT: nothing is open, go quiet now. */
static void quiet_idle(struct lc_machine *m, struct lc_actions *out)
{
    emit(out, LC_ACT_QUIESCE);
    emit(out, LC_ACT_CLOSE_CONNECTIONS);
    emit(out, LC_ACT_WITHDRAW);
    end_if_held(m, out);
    m->state = FERRY_STATE_QUIET;
}

/* >FG after the caller's actions: ends what is held, clears the background
 * period. */
static void to_foreground(struct lc_machine *m, struct lc_actions *out)
{
    end_if_held(m, out);
    m->background = 0;
    m->expired = 0;
    m->exposed = 0;
    m->state = FERRY_STATE_FOREGROUND;
}

/* Enters FINISHING because transfers are open in the background: snapshots
 * them (the journal is then current even if the app hangs and is killed
 * before its expiration handler runs), keeps a held assertion or begins one
 * if allowed, else goes quiet ((1) and (4)). */
static void enter_finishing(struct lc_machine *m, struct lc_actions *out)
{
    if (m->held) {
        emit(out, LC_ACT_SNAPSHOT);
        m->state = FERRY_STATE_FINISHING;
    } else if (!m->expired) {
        emit(out, LC_ACT_SNAPSHOT);
        emit(out, LC_ACT_BEGIN_ASSERTION);
        m->held = 1;
        m->state = FERRY_STATE_FINISHING;
    } else {
        close_down(out);
        m->state = FERRY_STATE_QUIET;
    }
}

/* The FOREGROUND column. */
static void step_foreground(struct lc_machine *m, enum lc_input in,
                            const struct lc_facts *f, struct lc_actions *out)
{
    switch (in) {
    case LC_IN_BACKGROUND:
        m->background = 1;
        if (f->open_transfers > 0) {
            enter_finishing(m, out);
        } else if (m->silent || m->no_linger) {
            quiet_idle(m, out);
        } else {
            emit(out, LC_ACT_ARM_LINGER);
            m->state = FERRY_STATE_LINGER;
            m->exposed = 1; /* listening, nothing held */
        }
        break;
    case LC_IN_WILL_SUSPEND:
        go_quiet(m, out, FERRY_STATE_SUSPENDED);
        break;
    case LC_IN_WILL_TERMINATE:
        go_quiet(m, out, FERRY_STATE_TERMINATED);
        break;
    case LC_IN_NETWORK_CHANGED:
        emit(out, LC_ACT_REBIND);
        emit(out, LC_ACT_READVERTISE);
        break;
    default:
        break;
    }
}

/* K, or R V when the background period was exposed (see lc_machine). */
static void revive_or_rebind(struct lc_machine *m, struct lc_actions *out)
{
    if (m->exposed || !m->held) {
        emit(out, LC_ACT_REBIND);
        emit(out, LC_ACT_READVERTISE);
    } else {
        emit(out, LC_ACT_REVIVE);
    }
}

/* The FINISHING column. */
static void step_finishing(struct lc_machine *m, enum lc_input in,
                           struct lc_actions *out)
{
    switch (in) {
    case LC_IN_FOREGROUND:
        revive_or_rebind(m, out);
        to_foreground(m, out);
        break;
    case LC_IN_EXPIRING:
        expire_now(m, out);
        break;
    case LC_IN_WILL_SUSPEND:
        go_quiet(m, out, FERRY_STATE_SUSPENDED);
        break;
    case LC_IN_WILL_TERMINATE:
        go_quiet(m, out, FERRY_STATE_TERMINATED);
        break;
    case LC_IN_NETWORK_CHANGED:
        emit(out, LC_ACT_REBIND);
        emit(out, LC_ACT_READVERTISE);
        break;
    case LC_IN_TRANSFERS_IDLE:
        if (m->no_linger) {
            quiet_idle(m, out);
        } else {
            emit(out, LC_ACT_ARM_LINGER);
            m->state = FERRY_STATE_LINGER;
        }
        break;
    case LC_IN_BEGIN_FAILED:
        m->held = 0;
        close_down(out);
        m->state = FERRY_STATE_QUIET;
        break;
    default:
        break;
    }
}

/* The LINGER column. */
static void step_linger(struct lc_machine *m, enum lc_input in,
                        const struct lc_facts *f, struct lc_actions *out)
{
    switch (in) {
    case LC_IN_FOREGROUND:
        emit(out, LC_ACT_DISARM_TIMER);
        revive_or_rebind(m, out);
        to_foreground(m, out);
        break;
    case LC_IN_EXPIRING:
        emit(out, LC_ACT_DISARM_TIMER);
        expire_now(m, out);
        break;
    case LC_IN_WILL_SUSPEND:
        emit(out, LC_ACT_DISARM_TIMER);
        go_quiet(m, out, FERRY_STATE_SUSPENDED);
        break;
    case LC_IN_WILL_TERMINATE:
        emit(out, LC_ACT_DISARM_TIMER);
        go_quiet(m, out, FERRY_STATE_TERMINATED);
        break;
    case LC_IN_NETWORK_CHANGED:
        emit(out, LC_ACT_REBIND);
        emit(out, LC_ACT_READVERTISE);
        break;
    case LC_IN_TIMER:
        if (f->open_transfers > 0)
            emit(out, LC_ACT_SNAPSHOT);
        emit(out, LC_ACT_QUIESCE);
        emit(out, LC_ACT_CLOSE_CONNECTIONS);
        emit(out, LC_ACT_WITHDRAW);
        end_if_held(m, out);
        m->state = FERRY_STATE_QUIET;
        break;
    case LC_IN_TRANSFER_OPENED:
        emit(out, LC_ACT_DISARM_TIMER);
        enter_finishing(m, out);
        break;
    case LC_IN_BEGIN_FAILED:
        if (m->held) {
            emit(out, LC_ACT_DISARM_TIMER);
            go_quiet(m, out, FERRY_STATE_QUIET);
        }
        break;
    default:
        break;
    }
}

/* The QUIET column. */
static void step_quiet(struct lc_machine *m, enum lc_input in,
                       struct lc_actions *out)
{
    switch (in) {
    case LC_IN_FOREGROUND:
        emit(out, LC_ACT_REBIND);
        emit(out, LC_ACT_READVERTISE);
        to_foreground(m, out);
        break;
    case LC_IN_WILL_SUSPEND:
        emit(out, LC_ACT_SNAPSHOT);
        m->state = FERRY_STATE_SUSPENDED;
        break;
    case LC_IN_WILL_TERMINATE:
        emit(out, LC_ACT_SNAPSHOT);
        m->state = FERRY_STATE_TERMINATED;
        break;
    default:
        break;
    }
}

/* The SUSPENDED column. */
static void step_suspended(struct lc_machine *m, enum lc_input in,
                           struct lc_actions *out)
{
    switch (in) {
    case LC_IN_RESUMED:
        emit(out, LC_ACT_RESTORE);
        if (m->background) {
            m->state = FERRY_STATE_QUIET;
        } else {
            emit(out, LC_ACT_REBIND);
            emit(out, LC_ACT_READVERTISE);
            to_foreground(m, out);
        }
        break;
    case LC_IN_FOREGROUND:
        emit(out, LC_ACT_RESTORE);
        emit(out, LC_ACT_REBIND);
        emit(out, LC_ACT_READVERTISE);
        to_foreground(m, out);
        break;
    case LC_IN_WILL_TERMINATE:
        m->state = FERRY_STATE_TERMINATED;
        break;
    default:
        break;
    }
}

void lc_machine_init(struct lc_machine *m)
{
    m->state = FERRY_STATE_FOREGROUND;
    m->background = 0;
    m->held = 0;
    m->expired = 0;
    m->silent = 0;
    m->no_linger = 0;
    m->exposed = 0;
}

void lc_machine_init_background(struct lc_machine *m)
{
    lc_machine_init(m);
    m->state = FERRY_STATE_QUIET;
    m->background = 1;
}

void lc_machine_step(struct lc_machine *m, enum lc_input in,
                     const struct lc_facts *f, struct lc_actions *out)
{
    out->n = 0;
    switch (m->state) {
    case FERRY_STATE_FOREGROUND:
        step_foreground(m, in, f, out);
        break;
    case FERRY_STATE_FINISHING:
        step_finishing(m, in, out);
        break;
    case FERRY_STATE_LINGER:
        step_linger(m, in, f, out);
        break;
    case FERRY_STATE_QUIET:
        step_quiet(m, in, out);
        break;
    case FERRY_STATE_SUSPENDED:
        step_suspended(m, in, out);
        break;
    case FERRY_STATE_TERMINATED: /* absorbing */
    default:
        break;
    }
}

/* Input names, indexed by input; the engine-only inputs follow the events. */
static const char *const event_names[] = {
    [LC_IN_BACKGROUND] = "background",
    [LC_IN_FOREGROUND] = "foreground",
    [LC_IN_EXPIRING] = "expiring",
    [LC_IN_WILL_SUSPEND] = "will-suspend",
    [LC_IN_RESUMED] = "resumed",
    [LC_IN_WILL_TERMINATE] = "will-terminate",
    [LC_IN_NETWORK_CHANGED] = "network-changed",
    [LC_IN_TIMER] = "timer",
};
static const char *const engine_input_names[] = {
    [LC_IN_TRANSFER_OPENED - LC_IN_TRANSFER_OPENED] = "transfer-opened",
    [LC_IN_TRANSFERS_IDLE - LC_IN_TRANSFER_OPENED] = "transfers-idle",
    [LC_IN_BEGIN_FAILED - LC_IN_TRANSFER_OPENED] = "begin-failed",
};

static const char *const action_names[] = {
    [LC_ACT_BEGIN_ASSERTION] = "begin-assertion",
    [LC_ACT_END_ASSERTIONS] = "end-assertions",
    [LC_ACT_ARM_LINGER] = "arm-linger",
    [LC_ACT_DISARM_TIMER] = "disarm-timer",
    [LC_ACT_SNAPSHOT] = "snapshot",
    [LC_ACT_QUIESCE] = "quiesce",
    [LC_ACT_CLOSE_CONNECTIONS] = "close-connections",
    [LC_ACT_WITHDRAW] = "withdraw",
    [LC_ACT_REBIND] = "rebind",
    [LC_ACT_READVERTISE] = "readvertise",
    [LC_ACT_RESTORE] = "restore",
    [LC_ACT_REVIVE] = "revive",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Looks up `i` in a name table with holes; "?" when absent. */
static const char *name_at(const char *const *names, size_t n, long i)
{
    if (i < 0 || (size_t)i >= n || !names[i])
        return "?";
    return names[i];
}

const char *lc_input_name(enum lc_input in)
{
    long i = (long)in;

    if (i >= LC_IN_TRANSFER_OPENED)
        return name_at(engine_input_names, COUNT(engine_input_names),
                       i - LC_IN_TRANSFER_OPENED);
    return name_at(event_names, COUNT(event_names), i);
}

const char *lc_action_name(enum lc_action a)
{
    return name_at(action_names, COUNT(action_names), (long)a);
}
