/*
 * ledger.h — the assertion ledger: which OS assertions ferry holds, so that
 * every begin is ended exactly once (also from the expiration path), and
 * never one begun after an expiration. The engine owns one and calls it with
 * its lock held; the ledger itself has no lock.
 */
#ifndef FERRY_LC_LEDGER_H
#define FERRY_LC_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "ferry.h"

#define LC_LEDGER_MAX 4

struct lc_assertion {
    uint64_t id;           /* the port's id */
    enum ferry_assertion_kind kind;
    uint64_t begun_ms;     /* port clock at begin */
};

struct lc_ledger {
    struct lc_assertion held[LC_LEDGER_MAX];
    size_t n;
    uint64_t begins;       /* successful begins, ever */
    uint64_t ends;         /* ends, ever: begins == ends + n always */
    uint64_t refused;      /* begins the port refused */
};

/* An empty ledger. */
void lc_ledger_init(struct lc_ledger *l);

/*
 * Asks the port for an assertion of `kind` and records it with the port's
 * clock (now_ms, read after the grant). Returns 0; the port's negative code
 * when it refuses (nothing recorded, `refused` counted; a positive code, a
 * port bug, is a refusal too and returns FERRY_ESTATE); or FERRY_ESTATE when
 * LC_LEDGER_MAX are already held (the port is not asked, nothing counted).
 */
int lc_ledger_begin(struct lc_ledger *l, const ferry_port *port,
                    enum ferry_assertion_kind kind, const char *reason);

/*
 * Ends every held assertion through the port, oldest first: end_assertion is
 * called exactly once per held id, none on an empty ledger. The ledger is
 * empty (and `ends` counted) before the first call goes out.
 */
void lc_ledger_end_all(struct lc_ledger *l, const ferry_port *port);

/*
 * Ends held assertion `id` alone (the others stay held). Returns 1 when it
 * was held and is ended (forgotten before the port's end_assertion), 0 when
 * it is not held (nothing called).
 */
int lc_ledger_end_one(struct lc_ledger *l, const ferry_port *port, uint64_t id);

/*
 * Reports progress to every held continued-processing assertion (none to a
 * finish-up one); nothing when the port's report_progress is NULL.
 */
void lc_ledger_progress(struct lc_ledger *l, const ferry_port *port,
                        uint64_t done, uint64_t total);

#endif
