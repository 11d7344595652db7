/*
 * ledger.c — the assertion ledger (ledger.h): the list of OS assertions
 * ferry holds, in the order they were granted, and the counters that prove
 * every begin was ended exactly once (begins == ends + n, always).
 *
 * No lock, no allocation: the engine calls it with its lock held. The port's
 * slots are called from here and must not call back into the ledger.
 */
#include "config.h"

#include <string.h>

#include "ledger.h"

void lc_ledger_init(struct lc_ledger *l)
{
    memset(l, 0, sizeof *l);
}

int lc_ledger_begin(struct lc_ledger *l, const ferry_port *port,
                    enum ferry_assertion_kind kind, const char *reason)
{
    uint64_t id = 0;
    int rc;

    if (l->n >= LC_LEDGER_MAX)
        return FERRY_ESTATE;
    rc = port->begin_assertion(port->ctx, kind, reason, &id);
    if (rc != 0) {
        l->refused++;
        /* The contract says negative; a positive code is a port bug, and
         * still a refusal. */
        return rc < 0 ? rc : FERRY_ESTATE;
    }
    l->held[l->n].id = id;
    l->held[l->n].kind = kind;
    l->held[l->n].begun_ms = port->now_ms(port->ctx);
    l->n++;
    l->begins++;
    return 0;
}

void lc_ledger_end_all(struct lc_ledger *l, const ferry_port *port)
{
    struct lc_assertion ending[LC_LEDGER_MAX];
    size_t n = l->n;

    /* Forget them before calling out, so that no path can end one twice. */
    memcpy(ending, l->held, n * sizeof ending[0]);
    l->n = 0;
    l->ends += n;
    for (size_t i = 0; i < n; i++)
        port->end_assertion(port->ctx, ending[i].id);
}

int lc_ledger_end_one(struct lc_ledger *l, const ferry_port *port, uint64_t id)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->held[i].id != id)
            continue;
        memmove(&l->held[i], &l->held[i + 1], (l->n - i - 1) * sizeof l->held[0]);
        l->n--;
        l->ends++;
        port->end_assertion(port->ctx, id);
        return 1;
    }
    return 0;
}

void lc_ledger_progress(struct lc_ledger *l, const ferry_port *port,
                        uint64_t done, uint64_t total)
{
    if (!port->report_progress)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (l->held[i].kind == FERRY_ASSERTION_CONTINUED)
            port->report_progress(port->ctx, l->held[i].id, done, total);
}
