/*
 * auth-limit.h — the attempt limiter: slows down whoever guesses passwords
 * (or tokens), per client address, without slowing anyone else.
 *
 * Attempts, not only failures. An attempt is reserved when it starts
 * (auth_limit_begin(), when the request's headers are in, before any body
 * is read) and ended exactly once: auth_limit_fail() (the credential was
 * wrong), auth_limit_success() (the right password: the address's failures
 * are forgotten), or auth_limit_refund() (a right token, or nothing was
 * checked after all: the reservation is given back, failures stay). An
 * attempt in flight counts as a failure for the quota, so concurrent
 * attempts cannot outrun it: with the default 5 free failures, at most 5
 * attempts of one address are in flight at once, and the 6th concurrent one
 * is refused (429) before its body is read. Past the free failures, one
 * attempt at a time, once the wait is over.
 *
 * Keys. An IPv4 address is its own key (an IPv4-mapped IPv6 address
 * ::ffff:a.b.c.d counts as a.b.c.d); so is a full IPv6 address, so that one
 * host's failures never delay its neighbours on the LAN. Because whoever
 * holds one address of a /64 can take any other, each IPv6 /64 also has a
 * key of its own, which counts every failure of its addresses and the
 * distinct addresses failing (or trying) in it; it limits the /64's
 * addresses only while at least `prefix_addresses` (default 4) of them
 * have failed (within forget_s) or are trying (an address that is not
 * among them is limited only when that many others are), and then with a
 * quota of free_failures times that (20) before its own waits start. So one guessing host limits only
 * itself; a host cycling through addresses gets about 20 free guesses per
 * /64, then the usual waits for the /64. Other families (and NULL) share
 * one key.
 *
 * Schedule. The first `free_failures` (default 5) failures of a key cost
 * nothing; the n-th failure after them makes the key wait 2^(n-1) s before
 * its next attempt (1 s, 2 s, 4 s, ...), capped at `max_delay_s` (default
 * 900 s = 15 min, reached at the 16th failure). A password success removes
 * the address's failures (not its /64's); a token success does not, so a
 * guest holding a read-only token cannot wipe its count between password
 * guesses. A key with no failure for `forget_s` (default 24 h) starts
 * afresh. Attempts refused during a wait (answered 429 without checking
 * anything) are not failures and do not extend the wait. So 1,000 wrong
 * passwords from one address take 5 + 10 attempts in the first 17 min,
 * then one per 15 min (about 10 days in all).
 *
 * Memory. A fixed table of `slots` entries (default 4096, about 60 bytes
 * each with its bucket: 240 KiB, allocated once), hashed with a seed given
 * by the owner. When it is full, a new key evicts the entry whose wait
 * ended first (one that is not waiting counts as ending at its last
 * failure; ties: the older last failure), never one with an attempt in
 * flight while another can go. An IPv6 host can make many address keys
 * cheaply, but its /64's key, which waits longest, is the last to go.
 * Said plainly: an attacker with more keys than slots (an Internet-facing
 * server hit from many /64s or a botnet) can cycle them, getting the free
 * quota per key per cycle, and is then limited only by its request rate and
 * the cost of the password hash. Tokens (256-bit) are not guessable at any
 * rate; this guards passwords.
 *
 * Time is passed in by the caller as milliseconds of a monotonic clock, so
 * that tests run on a virtual clock; it must not go backwards (if it does,
 * a wait is never longer than its delay).
 *
 * Thread-safety: every function may be called from any thread; one mutex
 * per limiter.
 */
#ifndef FERRY_AUTH_LIMIT_H
#define FERRY_AUTH_LIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct auth_limit;

struct auth_limit_config {
    unsigned free_failures;  /* failures before any wait (default 5) */
    unsigned prefix_addresses; /* distinct failing addresses that make an
                                IPv6 /64 a key of its own (default 4), >= 1 */
    unsigned max_delay_s;    /* longest wait (default 900), >= 1 */
    unsigned forget_s;       /* failures older than this are forgotten
                                (default 86400), >= max_delay_s */
    size_t slots;            /* entries (default 4096), 1..1048576 */
    uint64_t seed;           /* hash seed: random, from the owner (e.g.
                                auth_sessions_random); 0 works but lets a
                                client with many keys aim at one bucket */
};

/* Fills *cfg with the defaults above (seed 0). */
void auth_limit_defaults(struct auth_limit_config *cfg);

/*
 * Makes a limiter with *cfg (NULL: the defaults). Returns 0 with *out
 * (owned by the caller: auth_limit_free()), FERRY_EINVAL_CONFIG for a
 * value out of range, or FERRY_ENOMEM; *out is NULL on error.
 */
int auth_limit_new(const struct auth_limit_config *cfg, struct auth_limit **out);

/* Frees the limiter. NULL is fine. No call may be running on it. */
void auth_limit_free(struct auth_limit *lim);

/*
 * Before checking a credential from `addr` (the client's address; may be
 * NULL): reserves an attempt and returns 0, or reserves nothing and returns
 * the seconds to wait (rounded up, >= 1; for Retry-After with a 429). After
 * 0, the caller ends the attempt with exactly one of auth_limit_fail(),
 * auth_limit_success() or auth_limit_refund(), with the same address.
 */
unsigned auth_limit_begin(struct auth_limit *lim, const struct sockaddr *addr,
                          uint64_t now_ms);

/*
 * What auth_limit_begin() would answer now, reserving nothing. Changes
 * nothing but dropping a forgotten entry.
 */
unsigned auth_limit_check(struct auth_limit *lim, const struct sockaddr *addr,
                          uint64_t now_ms);

/*
 * Ends a reserved attempt of `addr` as failed at now_ms, creating the
 * keys' entries (evicting as described above when the table is full).
 * Counted also without a reservation. Returns the seconds the address
 * must now wait before its next attempt (0 while failures are free; its
 * /64's wait included when that limits).
 */
unsigned auth_limit_fail(struct auth_limit *lim, const struct sockaddr *addr,
                         uint64_t now_ms);

/* Ends a reserved attempt of `addr` with the right password: the address's
 * failures are forgotten (its /64's are not). */
void auth_limit_success(struct auth_limit *lim, const struct sockaddr *addr);

/* Ends a reserved attempt of `addr` without a failure (a right token, or
 * nothing was checked): the reservation is given back, failures stay. */
void auth_limit_refund(struct auth_limit *lim, const struct sockaddr *addr);

/* The number of keys with recorded failures (for status and tests). */
size_t auth_limit_count(struct auth_limit *lim);

#endif
