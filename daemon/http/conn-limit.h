/*
 * conn-limit.h — ferry's own connection caps: at most `max_total`
 * connections at once, and at most `max_per_addr` from one client address,
 * counted from accept() until libmicrohttpd reports the connection closed.
 *
 * Why ferry counts, and not libmicrohttpd: libmicrohttpd 0.9.75 deadlocks
 * when a burst of connections handed over with MHD_add_connection() meets
 * its own connection limit (a mutex left locked on that path; fixed in
 * 1.0.0). So every connection is admitted here first, in the accept thread,
 * and libmicrohttpd is given a limit it can never reach (see
 * climit_mhd_limit()).
 *
 * A connection is a ticket with holders. climit_admit() makes the ticket
 * with one holder, the caller. A plain connection's holder is handed to
 * libmicrohttpd with the fd (climit_give_fd); a TLS connection keeps the
 * front end as a holder and adds one for libmicrohttpd's end of its
 * socketpair (climit_hold + climit_give_fd). The slot (and the address's
 * count) is free again when the last holder lets go. An fd given to
 * libmicrohttpd is let go by climit_fd_closed(), called from the
 * MHD_OPTION_NOTIFY_CONNECTION callback before libmicrohttpd closes it; a
 * connection libmicrohttpd dropped without telling is noticed when its fd
 * number is given again (the kernel reuses only closed fds), so the count
 * cannot drift.
 *
 * Addresses: an IPv4 address, or a whole IPv6 address (/128: on a LAN
 * every SLAAC device shares one /64). Thread-safe: one mutex, held only for
 * a few table operations.
 */
#ifndef FERRY_CONN_LIMIT_H
#define FERRY_CONN_LIMIT_H

#include <stdint.h>
#include <sys/socket.h>

struct conn_limit;

/* climit_admit() refusals. */
#define CLIMIT_TOTAL (-1)    /* max_total connections are open */
#define CLIMIT_PER_ADDR (-2) /* max_per_addr connections from this address */

/*
 * Called (outside the lock, on whichever thread let go) when the count
 * falls to a quarter of its peak after a peak of at least 32: a quiet
 * moment after a burst, e.g. to give memory back.
 */
typedef void (*climit_quiet_fn)(void *user);

/*
 * A counter for max_total (>= 1) connections, max_per_addr (1..max_total)
 * of them from one address. Returns 0 and *out, or FERRY_ENOMEM.
 */
int climit_new(unsigned max_total, unsigned max_per_addr, climit_quiet_fn quiet,
               void *quiet_user, struct conn_limit **out);

/* Frees l, whatever is still counted. Accepts NULL. */
void climit_free(struct conn_limit *l);

/*
 * Admits a connection from `peer`: returns 0 and *ticket (one holder: the
 * caller), or CLIMIT_TOTAL / CLIMIT_PER_ADDR when it must be refused.
 */
int climit_admit(struct conn_limit *l, const struct sockaddr *peer, socklen_t len,
                 uint32_t *ticket);

/* Adds a holder to a ticket that still has one. */
void climit_hold(struct conn_limit *l, uint32_t ticket);

/* A holder lets go; the last one frees the slot. */
void climit_release(struct conn_limit *l, uint32_t ticket);

/*
 * The caller's holder of `ticket` goes to libmicrohttpd with `fd` (call it
 * before MHD_add_connection, which may close fd at once). Returns a serial
 * for climit_fd_failed().
 */
uint64_t climit_give_fd(struct conn_limit *l, uint32_t ticket, int fd);

/* libmicrohttpd is about to close fd (its NOTIFY_CLOSED): lets go of the
 * holder given with fd, if any. */
void climit_fd_closed(struct conn_limit *l, int fd);

/* MHD_add_connection() failed (fd already closed): lets go of the holder
 * given with fd unless the number was given again since (serial differs). */
void climit_fd_failed(struct conn_limit *l, int fd, uint64_t serial);

/* How many connections are counted now. */
unsigned climit_count(struct conn_limit *l);

/*
 * The connection limit to give libmicrohttpd so that its limit path is
 * never taken: with `workers` worker threads (0 or 1: none) each gets
 * limit/workers, and ferry may hand every connection to one worker, so
 * each worker's share is max_total plus a margin for connections
 * libmicrohttpd has reported closed but not yet taken off its count.
 */
unsigned climit_mhd_limit(unsigned max_total, unsigned workers);

#endif
