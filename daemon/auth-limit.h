/*
 * auth-limit.h — the failed-attempt limiter: slows down whoever guesses
 * passwords (or tokens), per client address, without slowing anyone else.
 *
 * Key. An IPv4 address is its own key (an IPv4-mapped IPv6 address
 * ::ffff:a.b.c.d counts as the IPv4 address a.b.c.d); an IPv6 address is
 * keyed by its /64 prefix, because whoever holds one address of a /64
 * (SLAAC, privacy addresses) can take any other at will. Other families
 * (and NULL) share one key. Consequence on a LAN: every IPv6 client of one
 * link prefix shares one counter, so a guesser there also delays new
 * logins of the others on that prefix (never already paired browsers,
 * which present a session and are not limited).
 *
 * Schedule. The first `free_failures` (default 5) consecutive failures of
 * a key cost nothing; the n-th failure after them makes the key wait
 * 2^(n-1) s before its next attempt (1 s, 2 s, 4 s, ...), capped at
 * `max_delay_s` (default 900 s = 15 min, reached at the 16th failure). A
 * success removes the key (back to free failures). A key with no failure
 * for `forget_s` (default 24 h) starts afresh. Attempts refused during a
 * wait (auth_limit_check() > 0, answered 429 without checking anything)
 * are not failures and do not extend the wait. So 1,000 wrong passwords
 * from one address take 5 + 10 attempts in the first 17 min, then one per
 * 15 min (about 10 days in all).
 *
 * Memory. A fixed table of `slots` entries (default 4096, 52 bytes each
 * with its bucket: 208 KiB, allocated once), hashed with a seed given by the
 * owner. When it is full,
 * the failure of a new key evicts the entry whose wait ended first (one
 * that is not waiting counts as ending at its last failure; ties: the
 * older last failure). Why this does not help a guesser much: to push out
 * its own entry after a wait it must fill the other slots - 1
 * entries with failures made later than that and then fail with one more
 * new key, i.e. hold `slots` (4,096) other keys (IPv4 addresses or IPv6
 * /64s); a LAN guesser has a handful (its address, a few spoofed
 * neighbours, the link's /64s). Said plainly: an attacker with
 * more keys than slots (an Internet-facing server hit from a /48 or a
 * botnet) can cycle them, getting `free_failures` guesses per key per
 * cycle, and is then limited only by its request rate and the cost of the
 * password hash — but such an attacker already has free_failures guesses
 * per key without any eviction. Tokens (256-bit) are not guessable at any
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
 * Before checking credentials from `addr` (the client's address; may be
 * NULL): returns 0 when an attempt may be made now, or the seconds to wait
 * (rounded up, >= 1; for Retry-After with a 429). Changes nothing but
 * dropping a forgotten entry.
 */
unsigned auth_limit_check(struct auth_limit *lim, const struct sockaddr *addr,
                          uint64_t now_ms);

/*
 * Records a failed attempt from `addr` at now_ms, creating the key's entry
 * (evicting as described above when the table is full). Counted even when
 * made during a wait (the caller should have asked auth_limit_check()).
 * Returns the seconds the key must now wait before its next attempt (0
 * while failures are free).
 */
unsigned auth_limit_fail(struct auth_limit *lim, const struct sockaddr *addr,
                         uint64_t now_ms);

/* Records a successful attempt from `addr`: its failures are forgotten. */
void auth_limit_success(struct auth_limit *lim, const struct sockaddr *addr);

/* The number of keys with recorded failures (for status and tests). */
size_t auth_limit_count(struct auth_limit *lim);

#endif
