/*
 * auth-sessions.h — who is admitted: one-time pairing tokens (the QR code),
 * browser sessions (the cookie), and bearer tokens for API clients, with
 * their rights, expiry, listing and revocation, kept across restarts.
 *
 * Secrets. Every secret is 32 bytes (256 bits) from this object's own
 * CTR_DRBG (seeded from mbedTLS's entropy sources, behind its own mutex),
 * written as 43 characters of base64url without padding (RFC 4648 §5:
 * A-Z a-z 0-9 '-' '_'), which is a valid cookie value and Bearer token68.
 * Only SHA-256 hashes of secrets are kept, in memory and on disk; a lookup
 * hashes the presented secret and compares it with every stored hash with
 * auth_ct_equal() (no early exit), so neither the time nor the file tells
 * a secret.
 *
 * Pairing tokens: one-time, valid for `pair_ttl_s` (default 300 s) from
 * their making; a new one can be made at any time (the QR code shows the
 * newest) and earlier ones stay valid until used or expired, at most
 * AUTH_PAIR_LIVE_MAX at once (making one more drops the one that expires
 * first). Share links (auth_share_new) are pairing tokens too, made by a
 * session or token (their maker) in a pool of AUTH_SHARE_POOL of their
 * own: at most AUTH_PAIR_LIVE_MAX live links per maker, one more drops
 * that maker's oldest link, never anyone else's (AUTH_S_EFULL when the
 * pool is full of other makers' live links). Redeeming one removes it and
 * creates a session under one lock, so two requests racing with one token
 * get one session between them.
 * Never written to disk: a restart invalidates every pairing token.
 *
 * Sessions: created by redeeming a pairing token or after a password login.
 * A session has a public id (AUTH_ID_LEN lowercase hex digits, for listing
 * and revoking; unique among sessions and tokens) apart from its secret
 * (the cookie value), rights (read-only or read-write), the wall-clock
 * times it was created and last seen, the peer address it was created from
 * and the client's User-Agent (both sanitised: bytes outside 0x20-0x7e
 * become '?', cut to fit), and its maker. It expires `idle_s` (default 7
 * days) after it was last seen or `absolute_s` (default 30 days) after it
 * was created, whichever comes first.
 *
 * Makers and bounds. The host's sessions (a pairing URL of ferryd's or
 * ferryctl pair, a password login) have no maker and depth 0: at most
 * `max_sessions` (default 256) of them; one more evicts the least recently
 * seen of them, so only the host's own pairing can push one out. A session
 * made from a share link is a guest session: its maker is the session or
 * token that made the link (AUTH_MAKER_HOST when made with the password),
 * its depth one more than the maker's (a token's depth is 0). Each maker
 * has at most `max_made` (default 16) live sessions made through its
 * links; one more evicts the maker's oldest (and what that one made), so
 * a guest's activity only ever ends its own sessions. Links may be made by
 * sessions of depth below AUTH_SHARE_DEPTH_MAX (2): a guest's guest cannot
 * share further (AUTH_S_EDEPTH), which bounds what one host session or
 * token can grow to (16 + 16 x 16 sessions). All guest sessions together
 * are at most `max_guests` (default 1024): one more evicts the maker's own
 * oldest, and fails with AUTH_S_EFULL when the maker has none.
 *
 * Bearer tokens: for API clients, made and revoked by the host, named
 * (sanitised like a User-Agent), with rights, no expiry; at most
 * `max_tokens` (default 64): making one more fails with AUTH_S_EFULL (an API
 * client silently losing its token would be worse).
 *
 * Revocation (by id, of a session or a token) takes effect at the next
 * lookup: the entry is gone from memory at once, with what it made.
 *
 * Memory: max_sessions + max_guests + max_tokens entries of 352 bytes,
 * allocated when the store is made (462 KiB of address space with the
 * defaults; pages are touched only as entries are used); a lookup scans
 * its table (1,280 hash comparisons at most by default: microseconds).
 *
 * Persistence. With a state folder, sessions and tokens are kept in
 * AUTH_SESSIONS_FILE there (JSON via jansson, mode 0600, written
 * atomically, see auth-file.h), so that a host app killed and relaunched
 * cold keeps its paired browsers. It is rewritten whole after every
 * creation and revocation, and when a session's last-seen time (or a
 * token's last use) has moved `seen_persist_s` (default 3600 s) past the
 * written one — so after a crash a session may look up to that much older
 * than it was. Writes happen after the change, outside the table lock,
 * the newest state winning; a failed write is logged (once per distinct
 * error), the change stands in memory, and the next change or
 * auth_sessions_flush() writes again. The file format (version 2; version
 * 1, without "maker" and "depth", is read as the host's sessions):
 *   {"version": 2,
 *    "sessions": [{"id", "hash", "rights", "created", "last_seen", "peer",
 *                  "agent", "maker", "depth"}, ...],
 *    "tokens": [{"id", "hash", "rights", "created", "last_used", "name"},
 *               ...]}
 * with exactly these keys, no duplicates, id AUTH_ID_LEN lowercase hex
 * digits unique across both lists, hash 64 lowercase hex digits (SHA-256
 * of the secret text) unique within its list, rights "ro" or "rw", maker
 * "" (then depth 0), AUTH_MAKER_HOST or an id (then depth 1 to
 * AUTH_SHARE_DEPTH_MAX), times
 * integers in [0, 2^62] (a session's last_seen >= created; a token's
 * last_used 0 for never, else >= created), strings of printable ASCII
 * within their field sizes. A file that breaks any rule is corrupt:
 * reported and ignored whole (never partly trusted); it is replaced at the
 * next change. Entries beyond the bounds (after a lower bound was
 * configured) are dropped: sessions least recently seen first (the host's
 * and guests' bounds apart), tokens last made first; expired sessions are
 * dropped when loading.
 *
 * Time. Every function takes `now`, wall-clock Unix seconds, from the
 * caller (the server passes time(NULL); tests a virtual clock). If the
 * clock goes backwards nothing expires early; if it jumps ahead, sessions
 * may expire early (the safe direction).
 *
 * Thread-safety: every function but auth_sessions_free() may be called from
 * any thread at any time. One mutex guards the tables, one the DRBG, one
 * the file writes; no callback is called with a lock held but the log.
 */
#ifndef FERRY_AUTH_SESSIONS_H
#define FERRY_AUTH_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "ferry.h"

#define AUTH_SECRET_BYTES 32
#define AUTH_SECRET_LEN 43       /* characters, without the NUL */
#define AUTH_ID_LEN 8            /* hex digits, without the NUL */
#define AUTH_PEER_MAX 64         /* with the NUL */
#define AUTH_AGENT_MAX 128       /* with the NUL */
#define AUTH_NAME_MAX 64         /* with the NUL */
#define AUTH_PAIR_LIVE_MAX 4     /* the host's pairing tokens; share links
                                    per maker */
#define AUTH_SHARE_POOL 64       /* live share links of all makers */
#define AUTH_SHARE_DEPTH_MAX 2   /* sessions this deep make no links */
#define AUTH_MAKER_HOST "host"   /* the maker of links made with the password */
#define AUTH_SESSIONS_HARD_MAX 100000 /* largest max_sessions / max_tokens */

#define AUTH_SESSIONS_FILE "auth-sessions.json"

enum auth_sessions_error {
    AUTH_S_ENOTFOUND = -3201, /* no live entry with that secret or id */
    AUTH_S_EEXPIRED = -3202,  /* the session (or pairing token) has expired;
                                 it is dropped */
    AUTH_S_EFULL = -3203,     /* max_tokens bearer tokens exist already */
    AUTH_S_ECORRUPT = -3204,  /* the file breaks the format: ignored */
    AUTH_S_ECRYPTO = -3205,   /* mbedTLS failed (entropy, DRBG, SHA-256) */
    AUTH_S_EDEPTH = -3206,    /* a guest's guest makes no share links */
};

/* A static text for an auth_sessions_error (or "unknown error"). */
const char *auth_sessions_strerror(int code);

enum auth_rights {
    AUTH_RIGHTS_RO = 1,      /* list and download */
    AUTH_RIGHTS_RW = 2,      /* also upload, rename, delete */
};

enum auth_kind {
    AUTH_KIND_SESSION = 1,
    AUTH_KIND_TOKEN = 2,
};

/* A secret as handed out once to its holder. */
struct auth_secret {
    char text[AUTH_SECRET_LEN + 1]; /* NUL-terminated */
};

/* What can be shown of a session or token (never its secret). */
struct auth_info {
    enum auth_kind kind;
    char id[AUTH_ID_LEN + 1];
    enum auth_rights rights;
    int64_t created;         /* Unix seconds */
    int64_t last_seen;       /* sessions: last lookup; tokens: last use
                                (0: never) */
    int64_t expires;         /* sessions: when it expires unless seen again;
                                tokens: 0 (never) */
    char peer[AUTH_PEER_MAX];   /* sessions: created from; tokens: "" */
    char agent[AUTH_AGENT_MAX]; /* sessions: User-Agent; tokens: "" */
    char name[AUTH_NAME_MAX];   /* tokens: the name; sessions: "" */
    char maker[AUTH_ID_LEN + 1]; /* sessions: who made the link it came
                                    from ("" for the host's sessions) */
    unsigned depth;          /* sessions: 0 for the host's, else the
                                maker's depth + 1; tokens: 0 */
};

struct auth_sessions_config {
    unsigned pair_ttl_s;     /* default 300 */
    unsigned idle_s;         /* default 604800 (7 days) */
    unsigned absolute_s;     /* default 2592000 (30 days), >= idle_s */
    size_t max_sessions;     /* the host's sessions: default 256,
                                1..AUTH_SESSIONS_HARD_MAX */
    size_t max_made;         /* sessions made through one maker's links:
                                default 16, >= 1 */
    size_t max_guests;       /* guest sessions in all: default 1024,
                                1..AUTH_SESSIONS_HARD_MAX */
    size_t max_tokens;       /* default 64, 1..AUTH_SESSIONS_HARD_MAX */
    unsigned seen_persist_s; /* default 3600 */
    int state_fd;            /* the state folder (dup'ed: stays the
                                caller's), or -1 to keep nothing on disk */
    const char *state_path;  /* its path, for messages only (copied); NULL:
                                "(state folder)" */
    ferry_log_fn log;        /* where to report file problems; NULL: not */
    void *log_user;
};

struct auth_sessions;

/* Fills *cfg with the defaults above (state_fd -1, no path, no log). */
void auth_sessions_defaults(struct auth_sessions_config *cfg);

/*
 * Makes an empty store with *cfg (NULL: the defaults) and seeds its DRBG.
 * Does not read the file (see auth_sessions_load). Returns 0 with *out
 * (owned by the caller: auth_sessions_free()), FERRY_EINVAL_CONFIG for a
 * value out of range, AUTH_S_ECRYPTO when the DRBG cannot be seeded,
 * -errno when state_fd cannot be dup'ed, or FERRY_ENOMEM; *out is NULL on
 * error.
 */
int auth_sessions_new(const struct auth_sessions_config *cfg,
                      struct auth_sessions **out);

/* Frees the store (wiping its hashes and DRBG). Writes nothing: call
 * auth_sessions_flush() first to keep the last last-seen times. NULL is
 * fine. No other call may be running on it. */
void auth_sessions_free(struct auth_sessions *s);

/*
 * Replaces the sessions and tokens in memory with those of the file (pairing
 * tokens are kept), dropping expired sessions. Meant for start-up, before
 * the store is used. Returns 0 (also when there is no file or no state
 * folder), AUTH_S_ECORRUPT (logged with the path and the reason; the store
 * is then empty of sessions and tokens), FERRY_ENOMEM or -errno (unreadable,
 * e.g. -ELOOP for a symlink: logged, the store is empty). A file whose mode
 * lets others read it is loaded with a warning.
 */
int auth_sessions_load(struct auth_sessions *s, int64_t now);

/*
 * Writes the file now if anything is not written yet (a failed write, or
 * last-seen times within seen_persist_s). Returns 0 (also without a state
 * folder), FERRY_ENOMEM or -errno from the write.
 */
int auth_sessions_flush(struct auth_sessions *s);

/*
 * Random bytes from the store's DRBG, with mbedTLS's f_rng shape (ctx is
 * the struct auth_sessions *): for password salts (auth_password_hash) and
 * the limiter's hash seed. Returns 0 or an mbedTLS error.
 */
int auth_sessions_random(void *ctx, unsigned char *buf, size_t len);

/* ------------------------------------------------------------ pairing */

/*
 * Makes a pairing token for `rights`, valid for ttl_s seconds (0: the
 * configured pair_ttl_s) from now. Writes its secret to *token (to put in
 * the URL and QR code; not kept) and, if expires is not NULL, its expiry.
 * Returns 0, -EINVAL for bad rights, or AUTH_S_ECRYPTO.
 */
int auth_pair_new(struct auth_sessions *s, enum auth_rights rights,
                  unsigned ttl_s, int64_t now, struct auth_secret *token,
                  int64_t *expires);

/*
 * Makes a pairing token for a share link (POST /.ferry/share) as
 * auth_pair_new() does, in the share links' pool (see above), for `maker`
 * (the id of the session or token asking, or AUTH_MAKER_HOST; NUL-
 * terminated) of `depth`. Returns 0, -EINVAL, AUTH_S_EDEPTH (depth >=
 * AUTH_SHARE_DEPTH_MAX), AUTH_S_EFULL (the pool is full of other makers'
 * live links; try again when some expire) or AUTH_S_ECRYPTO.
 */
int auth_share_new(struct auth_sessions *s, enum auth_rights rights,
                   unsigned ttl_s, int64_t now, const char *maker, unsigned depth,
                   struct auth_secret *token, int64_t *expires);

/*
 * Redeems the pairing token (len bytes at token, from the request): if it
 * is live, removes it and creates a session with its rights for the
 * client `peer` and `agent` (NUL-terminated, may be NULL), as one atomic
 * step (a share link's session is its maker's, see Makers and bounds).
 * Returns 0 with the new session's secret in *secret (for the cookie) and
 * its description in *info (may be NULL); AUTH_S_ENOTFOUND (unknown, or
 * already used), AUTH_S_EEXPIRED (dropped), AUTH_S_EFULL (every guest
 * session is taken and the maker has none to give up: the token is then
 * still live) or AUTH_S_ECRYPTO (the token is then still live). The file is written
 * after (see Persistence).
 */
int auth_pair_redeem(struct auth_sessions *s, const char *token, size_t len,
                     const char *peer, const char *agent, int64_t now,
                     struct auth_secret *secret, struct auth_info *info);

/* Drops every pairing token. */
void auth_pair_clear(struct auth_sessions *s);

/* ------------------------------------------------------------ sessions */

/*
 * Creates a host's session directly (after a successful password login),
 * like auth_pair_redeem without a token. Returns 0, -EINVAL for bad rights, or
 * AUTH_S_ECRYPTO.
 */
int auth_session_create(struct auth_sessions *s, enum auth_rights rights,
                        const char *peer, const char *agent, int64_t now,
                        struct auth_secret *secret, struct auth_info *info);

/*
 * Finds the session whose secret is the len bytes at secret (the cookie
 * value). When it is live, marks it seen at now and returns 0 with *info
 * (may be NULL). Returns AUTH_S_ENOTFOUND (unknown, revoked, or not even
 * the length of a secret), AUTH_S_EEXPIRED (idle or too old: it is
 * dropped), or AUTH_S_ECRYPTO.
 */
int auth_session_lookup(struct auth_sessions *s, const char *secret,
                        size_t len, int64_t now, struct auth_info *info);

/* ------------------------------------------------------------ tokens */

/*
 * Makes a bearer token `name` (NUL-terminated, sanitised; NULL is "") with
 * `rights`. Returns 0 with its secret in *secret (shown to the host once;
 * only its hash is kept) and *info (may be NULL), -EINVAL for bad rights,
 * AUTH_S_EFULL, or AUTH_S_ECRYPTO.
 */
int auth_token_create(struct auth_sessions *s, const char *name,
                      enum auth_rights rights, int64_t now,
                      struct auth_secret *secret, struct auth_info *info);

/*
 * Finds the bearer token whose secret is the len bytes at secret (from
 * "Authorization: Bearer"). Returns 0 with *info (may be NULL), recording
 * the use at now, or AUTH_S_ENOTFOUND, or AUTH_S_ECRYPTO.
 */
int auth_token_lookup(struct auth_sessions *s, const char *secret,
                      size_t len, int64_t now, struct auth_info *info);

/* ------------------------------------------------------------ both */

/*
 * Lists the live sessions (expired ones are dropped first) and then the
 * tokens, each group by creation time. *list is a malloc'd array owned by
 * the caller (free()) of *n entries, NULL when *n is 0. Returns 0 or
 * FERRY_ENOMEM.
 */
int auth_list(struct auth_sessions *s, int64_t now, struct auth_info **list,
              size_t *n);

/*
 * Revokes the session or token with the public id (NUL-terminated): it
 * fails its next lookup, and so do what it made (its live share links and
 * the sessions made from them, with what those made), so that a guest
 * keeps no way in through cookies it made for itself. Returns 0 or
 * AUTH_S_ENOTFOUND. The file is written
 * after; call auth_sessions_flush() to know that the revocation will
 * survive a restart.
 */
int auth_revoke(struct auth_sessions *s, const char *id);

/* Revokes every entry of `kind` (e.g. every session after the password
 * changed). Returns how many were revoked. */
size_t auth_revoke_all(struct auth_sessions *s, enum auth_kind kind);

#endif
