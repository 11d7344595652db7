/*
 * port-none.h — the built-in port for hosts that never suspend (a desktop
 * without a sleep port): the real monotonic clock, assertions always granted
 * and never expiring, and a timer thread that sleeps until the one armed
 * deadline (none armed: it sleeps without waking).
 */
#ifndef FERRY_LC_PORT_NONE_H
#define FERRY_LC_PORT_NONE_H

#include "ferry.h"

struct lc_port_none;

/*
 * Creates the port; timers post FERRY_EVENT_TIMER to srv. Returns 0 or
 * FERRY_ENOMEM / -errno.
 */
int lc_port_none_new(ferry_server *srv, struct lc_port_none **out);

/* The port's slots; valid while the port lives. */
const ferry_port *lc_port_none_port(struct lc_port_none *p);

/* Stops the timer thread and frees. Accepts NULL. */
void lc_port_none_free(struct lc_port_none *p);

#endif
