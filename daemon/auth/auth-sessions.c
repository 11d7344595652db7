/*
 * auth-sessions.c — pairing tokens, sessions and bearer tokens of
 * auth-sessions.h: the tables, the secrets (CTR_DRBG, SHA-256, base64url),
 * and the JSON file in the state folder.
 *
 * Locks: `mu` guards the tables and `gen` (the number of changes that
 * should reach the file); `rng_mu` the DRBG; `save_mu` the file and
 * `saved_gen`. Order: mu before rng_mu; save_mu is never held with mu (a
 * write encodes under mu, lets go, then writes under save_mu, and skips
 * the write if a newer state was written meanwhile).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "auth-ct.h"
#include "auth-file.h"
#include "auth-sessions.h"
#include "tls-compat.h"

#define HASH_LEN 32
#define FORMAT_VERSION 2
#define FILE_MAX ((size_t)16 << 20)
#define TIME_MAX ((int64_t)1 << 62)
#define ID_ATTEMPTS 64

/* A session or a bearer token. */
struct entry {
    unsigned char hash[HASH_LEN];   /* SHA-256 of the secret text */
    char id[AUTH_ID_LEN + 1];
    enum auth_rights rights;
    int64_t created;
    int64_t last_seen;              /* tokens: last use, 0 never */
    int64_t written_seen;           /* last_seen as last put in the file */
    char peer[AUTH_PEER_MAX];
    char agent[AUTH_AGENT_MAX];
    char name[AUTH_NAME_MAX];
    char maker[AUTH_ID_LEN + 1];    /* sessions: "" for the host's */
    unsigned depth;
    uint64_t seq;                   /* order of making in this process (0:
                                       loaded), after `created` */
};

struct pair {
    unsigned char hash[HASH_LEN];
    int64_t expires;
    enum auth_rights rights;
    int live;
    uint64_t seq;                   /* order of making */
    char maker[AUTH_ID_LEN + 1];    /* share links: who made it */
    unsigned depth;                 /* share links: the maker's depth */
};

#define PAIRS (AUTH_PAIR_LIVE_MAX + AUTH_SHARE_POOL)

/* One of the two tables. */
struct table {
    struct entry *e;                /* cap entries, n in use, dense */
    size_t n, cap;
    enum auth_kind kind;
};

struct auth_sessions {
    struct auth_sessions_config cfg; /* state_path: NULL, see path */
    int dir_fd;                     /* owned, or -1 */
    char path[512];                 /* the file's path, for messages */

    pthread_mutex_t mu;
    struct table sessions, tokens;
    struct pair pairs[PAIRS];      /* the host's, then shares' */
    uint64_t pair_seq;
    uint64_t entry_seq;
    uint64_t gen;

    pthread_mutex_t rng_mu;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;

    pthread_mutex_t save_mu;
    uint64_t saved_gen;
    int last_save_err;
};

/* See auth-sessions.h. */
const char *auth_sessions_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
    case AUTH_S_ENOTFOUND:
        return "no such session or token";
    case AUTH_S_EEXPIRED:
        return "expired";
    case AUTH_S_EFULL:
        return "too many bearer tokens: revoke one first";
    case AUTH_S_ECORRUPT:
        return "the sessions file is corrupt";
    case AUTH_S_ECRYPTO:
        return "the crypto library failed";
    case AUTH_S_EDEPTH:
        return "a session made from a guest's link cannot share further";
    }
    return "unknown error";
}

/* See auth-sessions.h. */
void auth_sessions_defaults(struct auth_sessions_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->pair_ttl_s = 300;
    cfg->idle_s = 7 * 86400;
    cfg->absolute_s = 30 * 86400;
    cfg->max_sessions = 256;
    cfg->max_made = 16;
    cfg->max_guests = 1024;
    cfg->max_tokens = 64;
    cfg->seen_persist_s = 3600;
    cfg->state_fd = -1;
}

/* Formats a line for the configured log. */
static void say(const struct auth_sessions *s, enum ferry_log_level level,
                const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(const struct auth_sessions *s, enum ferry_log_level level,
                const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (!s->cfg.log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->cfg.log(s->cfg.log_user, level, line);
}

/* ------------------------------------------------------------ helpers */

/* t + d seconds, saturating at TIME_MAX. */
static int64_t add_s(int64_t t, unsigned d)
{
    return t > TIME_MAX - (int64_t)d ? TIME_MAX : t + (int64_t)d;
}

/* SHA-256 of n bytes at p. Returns 0 or AUTH_S_ECRYPTO. */
static int sha256(const void *p, size_t n, unsigned char out[HASH_LEN])
{
    return tlsc_sha256(p, n, out) == 0 ? 0 : AUTH_S_ECRYPTO;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Parses exactly 2n lowercase hex digits at s into out. Returns 0 or -1. */
static int unhex(const char *s, size_t n, unsigned char *out)
{
    if (strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = s[i];
        unsigned v;

        if (c >= '0' && c <= '9')
            v = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = (unsigned)(c - 'a' + 10);
        else
            return -1;
        if (out)
            out[i / 2] = (unsigned char)(i % 2 ? out[i / 2] | v : v << 4);
    }
    return 0;
}

/* Copies src into dst (cap bytes), bytes outside 0x20-0x7e as '?', cut to
 * fit. src may be NULL (""). */
static void sanitise(char *dst, size_t cap, const char *src)
{
    size_t i = 0;

    for (; src && src[i] && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)src[i];

        dst[i] = c >= 0x20 && c <= 0x7e ? (char)c : '?';
    }
    dst[i] = '\0';
}

/* Whether a string read from the file is what sanitise() would keep. */
static int clean(const char *str, size_t cap)
{
    size_t i = 0;

    for (; str[i]; i++)
        if ((unsigned char)str[i] < 0x20 || (unsigned char)str[i] > 0x7e)
            return 0;
    return i < cap;
}

static int rights_ok(enum auth_rights r)
{
    return r == AUTH_RIGHTS_RO || r == AUTH_RIGHTS_RW;
}

/* ------------------------------------------------------------ randomness */

/* See auth-sessions.h. */
int auth_sessions_random(void *ctx, unsigned char *buf, size_t len)
{
    struct auth_sessions *s = ctx;
    int rc = 0;

    pthread_mutex_lock(&s->rng_mu);
    /* The DRBG gives at most MBEDTLS_CTR_DRBG_MAX_REQUEST bytes a call. */
    while (rc == 0 && len > 0) {
        size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;

        rc = mbedtls_ctr_drbg_random(&s->drbg, buf, n);
        buf += n;
        len -= n;
    }
    pthread_mutex_unlock(&s->rng_mu);
    return rc;
}

/* A new secret: its text in *secret, its hash in hash. Returns 0 or
 * AUTH_S_ECRYPTO. */
static int new_secret(struct auth_sessions *s, struct auth_secret *secret,
                      unsigned char hash[HASH_LEN])
{
    unsigned char raw[AUTH_SECRET_BYTES];
    unsigned char b64[4 * ((AUTH_SECRET_BYTES + 2) / 3) + 1];
    size_t olen = 0;
    int rc = AUTH_S_ECRYPTO;

    if (auth_sessions_random(s, raw, sizeof raw) != 0 ||
        mbedtls_base64_encode(b64, sizeof b64, &olen, raw, sizeof raw) != 0)
        goto done;
    while (olen > 0 && b64[olen - 1] == '=')
        olen--;
    if (olen != AUTH_SECRET_LEN)
        goto done;
    for (size_t i = 0; i < olen; i++)
        secret->text[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
    secret->text[olen] = '\0';
    rc = sha256(secret->text, olen, hash);
done:
    mbedtls_platform_zeroize(raw, sizeof raw);
    mbedtls_platform_zeroize(b64, sizeof b64);
    if (rc != 0)
        mbedtls_platform_zeroize(secret, sizeof *secret);
    return rc;
}

/* Whether an id is taken by a session or a token. mu held. */
static int id_taken(const struct auth_sessions *s, const char *id)
{
    for (size_t i = 0; i < s->sessions.n; i++)
        if (strcmp(s->sessions.e[i].id, id) == 0)
            return 1;
    for (size_t i = 0; i < s->tokens.n; i++)
        if (strcmp(s->tokens.e[i].id, id) == 0)
            return 1;
    return 0;
}

/* A new public id, unique among sessions and tokens. mu held. Returns 0 or
 * AUTH_S_ECRYPTO. */
static int new_id(struct auth_sessions *s, char id[AUTH_ID_LEN + 1])
{
    unsigned char raw[AUTH_ID_LEN / 2];

    for (int i = 0; i < ID_ATTEMPTS; i++) {
        if (auth_sessions_random(s, raw, sizeof raw) != 0)
            return AUTH_S_ECRYPTO;
        hex(raw, sizeof raw, id);
        if (!id_taken(s, id))
            return 0;
    }
    return AUTH_S_ECRYPTO; /* 64 collisions in a row: the DRBG is broken */
}

/* ------------------------------------------------------------ tables */

/* Index of the entry whose hash is `hash`, or -1; compares with every
 * entry, in constant time each. */
static long find_hash(const struct table *t, const unsigned char hash[HASH_LEN])
{
    long found = -1;

    for (size_t i = 0; i < t->n; i++)
        if (auth_ct_equal(t->e[i].hash, hash, HASH_LEN))
            found = (long)i;
    return found;
}

static void remove_at(struct table *t, size_t i)
{
    t->e[i] = t->e[t->n - 1];
    mbedtls_platform_zeroize(&t->e[t->n - 1], sizeof t->e[0]);
    t->n--;
}

/* When a session expires unless seen again. */
static int64_t session_expires(const struct auth_sessions *s, const struct entry *e)
{
    int64_t idle = add_s(e->last_seen, s->cfg.idle_s);
    int64_t absolute = add_s(e->created, s->cfg.absolute_s);

    return idle < absolute ? idle : absolute;
}

/* Drops expired sessions and pairing tokens. mu held. */
static void sweep(struct auth_sessions *s, int64_t now)
{
    for (size_t i = 0; i < s->sessions.n;) {
        if (now >= session_expires(s, &s->sessions.e[i]))
            remove_at(&s->sessions, i);
        else
            i++;
    }
    for (size_t i = 0; i < PAIRS; i++)
        if (s->pairs[i].live && now >= s->pairs[i].expires)
            mbedtls_platform_zeroize(&s->pairs[i], sizeof s->pairs[i]);
}

static void fill_info(const struct auth_sessions *s, const struct table *t,
                      const struct entry *e, struct auth_info *info)
{
    if (!info)
        return;
    memset(info, 0, sizeof *info);
    info->kind = t->kind;
    memcpy(info->id, e->id, sizeof info->id);
    info->rights = e->rights;
    info->created = e->created;
    info->last_seen = e->last_seen;
    info->expires = t->kind == AUTH_KIND_SESSION ? session_expires(s, e) : 0;
    memcpy(info->peer, e->peer, sizeof info->peer);
    memcpy(info->agent, e->agent, sizeof info->agent);
    memcpy(info->name, e->name, sizeof info->name);
    memcpy(info->maker, e->maker, sizeof info->maker);
    info->depth = e->depth;
}

static void remove_with_made(struct auth_sessions *s, size_t i);

/* Removes what `id` made: its live share links, and its sessions with
 * what those made. mu held. */
static void remove_made_by(struct auth_sessions *s, const char *id)
{
    struct table *t = &s->sessions;

    for (size_t i = AUTH_PAIR_LIVE_MAX; i < PAIRS; i++)
        if (s->pairs[i].live && strcmp(s->pairs[i].maker, id) == 0)
            mbedtls_platform_zeroize(&s->pairs[i], sizeof s->pairs[i]);
    for (size_t k = 0; k < t->n;) {
        if (strcmp(t->e[k].maker, id) == 0) {
            remove_with_made(s, k); /* depth is bounded: so is the recursion */
            k = 0;                  /* entries moved */
        } else {
            k++;
        }
    }
}

/* Removes the session at i and what it made. mu held. */
static void remove_with_made(struct auth_sessions *s, size_t i)
{
    char id[AUTH_ID_LEN + 1];

    memcpy(id, s->sessions.e[i].id, sizeof id);
    remove_at(&s->sessions, i);
    remove_made_by(s, id);
}

/*
 * Makes room for a session of `maker` ("" for the host's) as the bounds of
 * auth-sessions.h say, evicting only the host's own least recently seen
 * session or the maker's own oldest. mu held. Returns 0 or AUTH_S_EFULL.
 */
static int make_room(struct auth_sessions *s, const char *maker)
{
    struct table *t = &s->sessions;
    size_t mine = 0, guests = 0;
    long pick = -1;

    for (size_t i = 0; i < t->n; i++) {
        const struct entry *e = &t->e[i];

        if (e->maker[0])
            guests++;
        if (strcmp(e->maker, maker) != 0)
            continue;
        mine++;
        if (pick < 0)
            pick = (long)i;
        else if (!maker[0] ? e->last_seen < t->e[pick].last_seen ||
                                 (e->last_seen == t->e[pick].last_seen &&
                                  e->created < t->e[pick].created)
                           : e->created < t->e[pick].created ||
                                 (e->created == t->e[pick].created &&
                                  e->seq < t->e[pick].seq))
            pick = (long)i;
    }
    if (!maker[0]) {
        if (mine >= s->cfg.max_sessions)
            remove_at(t, (size_t)pick);
        return 0;
    }
    if (mine >= s->cfg.max_made || guests >= s->cfg.max_guests) {
        if (pick < 0)
            return AUTH_S_EFULL;
        remove_with_made(s, (size_t)pick);
    }
    return 0;
}

/* Creates a session made by `maker` ("" for the host's) of `depth`,
 * making room first. mu held. Returns 0, AUTH_S_EFULL or AUTH_S_ECRYPTO
 * (nothing changed but what the room took). */
static int add_session(struct auth_sessions *s, enum auth_rights rights,
                       const char *peer, const char *agent, const char *maker,
                       unsigned depth, int64_t now, struct auth_secret *secret,
                       struct auth_info *info)
{
    struct table *t = &s->sessions;
    struct entry e;
    int rc;

    memset(&e, 0, sizeof e);
    sweep(s, now);
    if ((rc = new_id(s, e.id)) != 0 || (rc = new_secret(s, secret, e.hash)) != 0)
        return rc;
    e.rights = rights;
    e.created = e.last_seen = e.written_seen = now;
    sanitise(e.peer, sizeof e.peer, peer);
    sanitise(e.agent, sizeof e.agent, agent);
    snprintf(e.maker, sizeof e.maker, "%s", maker);
    e.depth = depth;
    e.seq = ++s->entry_seq;
    rc = make_room(s, maker);
    if (rc == 0 && t->n == t->cap) /* cannot happen: the bounds add up */
        rc = AUTH_S_EFULL;
    if (rc != 0) {
        mbedtls_platform_zeroize(&e, sizeof e);
        mbedtls_platform_zeroize(secret, sizeof *secret);
        return rc;
    }
    t->e[t->n++] = e;
    s->gen++;
    fill_info(s, t, &e, info);
    mbedtls_platform_zeroize(&e, sizeof e);
    return 0;
}

/* ------------------------------------------------------------ the file */

static const char *rights_name(enum auth_rights r)
{
    return r == AUTH_RIGHTS_RW ? "rw" : "ro";
}

/* The JSON of one entry, or NULL (ENOMEM). */
static json_t *entry_json(const struct table *t, const struct entry *e)
{
    char h[2 * HASH_LEN + 1];

    hex(e->hash, HASH_LEN, h);
    if (t->kind == AUTH_KIND_SESSION)
        return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:I}", "id", e->id,
                         "hash", h, "rights", rights_name(e->rights), "created",
                         (json_int_t)e->created, "last_seen",
                         (json_int_t)e->last_seen, "peer", e->peer, "agent",
                         e->agent, "maker", e->maker, "depth", (json_int_t)e->depth);
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "id", e->id, "hash", h,
                     "rights", rights_name(e->rights), "created",
                     (json_int_t)e->created, "last_used",
                     (json_int_t)e->last_seen, "name", e->name);
}

/* Orders pointers to entries by making: created, then seq. */
static int cmp_made(const void *a, const void *b)
{
    const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;

    if (x->created != y->created)
        return (x->created > y->created) - (x->created < y->created);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The file's text for the tables (malloc'd), or NULL (ENOMEM). Entries
 * are written in the order they were made, which loading takes as their
 * order within one second. mu held. */
static char *encode(const struct auth_sessions *s)
{
    const struct table *tables[2] = {&s->sessions, &s->tokens};
    json_t *root = json_pack("{s:i, s:[], s:[]}", "version", FORMAT_VERSION,
                             "sessions", "tokens");
    const struct entry **order = NULL;
    char *text = NULL;

    if (!root)
        return NULL;
    for (int k = 0; k < 2; k++) {
        json_t *arr = json_object_get(root, k == 0 ? "sessions" : "tokens");
        size_t n = tables[k]->n;

        free(order);
        order = malloc((n ? n : 1) * sizeof *order);
        if (!order)
            goto done;
        for (size_t i = 0; i < n; i++)
            order[i] = &tables[k]->e[i];
        if (n > 1)
            qsort(order, n, sizeof *order, cmp_made);
        for (size_t i = 0; i < n; i++)
            if (json_array_append_new(arr, entry_json(tables[k], order[i])) != 0)
                goto done;
    }
    text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
done:
    free(order);
    json_decref(root);
    return text;
}

/*
 * Writes the current state if it is newer than what the file holds.
 * Returns 0, FERRY_ENOMEM or -errno.
 */
static int save(struct auth_sessions *s)
{
    char *text;
    uint64_t gen;
    int rc = 0;

    if (s->dir_fd < 0)
        return 0;
    pthread_mutex_lock(&s->mu);
    gen = s->gen;
    text = encode(s);
    pthread_mutex_unlock(&s->mu);

    pthread_mutex_lock(&s->save_mu);
    if (gen > s->saved_gen) {
        if (!text) {
            rc = FERRY_ENOMEM;
        } else {
            size_t len = strlen(text);

            text[len] = '\n'; /* json_dumps leaves no newline: use the NUL */
            rc = auth_file_save(s->dir_fd, AUTH_SESSIONS_FILE, text, len + 1);
            text[len] = '\0';
        }
        if (rc == 0) {
            s->saved_gen = gen;
            if (s->last_save_err != 0)
                say(s, FERRY_LOG_INFO, "auth: %s is written again", s->path);
        } else if (rc != s->last_save_err) {
            say(s, FERRY_LOG_ERROR, "auth: cannot write %s: %s; sessions and "
                "tokens made or revoked since the last write will not survive "
                "a restart (check free space and permissions)", s->path,
                ferry_strerror(rc));
        }
        s->last_save_err = rc;
    }
    pthread_mutex_unlock(&s->save_mu);
    if (text)
        mbedtls_platform_zeroize(text, strlen(text));
    free(text);
    return rc;
}

/* See auth-sessions.h. */
int auth_sessions_flush(struct auth_sessions *s)
{
    struct table *tables[2] = {&s->sessions, &s->tokens};
    int dirty = 0;

    pthread_mutex_lock(&s->mu);
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < tables[k]->n; i++) {
            struct entry *e = &tables[k]->e[i];

            dirty |= e->written_seen != e->last_seen;
            e->written_seen = e->last_seen;
        }
    if (dirty)
        s->gen++;
    pthread_mutex_unlock(&s->mu);
    return save(s);
}

/* Reads o[key] as an integer time in [0, TIME_MAX]. Returns 0 or -1. */
static int get_time(const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > TIME_MAX)
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

/* Copies the clean string o[key] into dst (cap bytes). Returns 0 or -1. */
static int get_str(const json_t *o, const char *key, char *dst, size_t cap)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
        !clean(json_string_value(v), cap))
        return -1;
    strcpy(dst, json_string_value(v));
    return 0;
}

/* Whether a maker read from the file is "", AUTH_MAKER_HOST or an id. */
static int maker_ok(const char *m)
{
    return !m[0] || strcmp(m, AUTH_MAKER_HOST) == 0 ||
           unhex(m, AUTH_ID_LEN / 2, NULL) == 0;
}

/* Reads one entry of a file of `version` into *e. Returns 0 or -1. */
static int entry_from_json(const json_t *o, enum auth_kind kind, int version,
                           struct entry *e)
{
    size_t keys = kind == AUTH_KIND_TOKEN ? 6u : version >= 2 ? 9u : 7u;
    const json_t *rights = json_object_get(o, "rights");
    const json_t *id = json_object_get(o, "id");
    const json_t *h = json_object_get(o, "hash");

    memset(e, 0, sizeof *e);
    if (!json_is_object(o) || json_object_size(o) != keys ||
        !json_is_string(id) || unhex(json_string_value(id), AUTH_ID_LEN / 2, NULL) != 0 ||
        !json_is_string(h) || unhex(json_string_value(h), HASH_LEN, e->hash) != 0 ||
        !json_is_string(rights) || get_time(o, "created", &e->created) != 0)
        return -1;
    memcpy(e->id, json_string_value(id), AUTH_ID_LEN + 1);
    if (strcmp(json_string_value(rights), "ro") == 0)
        e->rights = AUTH_RIGHTS_RO;
    else if (strcmp(json_string_value(rights), "rw") == 0)
        e->rights = AUTH_RIGHTS_RW;
    else
        return -1;
    if (kind == AUTH_KIND_SESSION) {
        if (get_time(o, "last_seen", &e->last_seen) != 0 || e->last_seen < e->created ||
            get_str(o, "peer", e->peer, sizeof e->peer) != 0 ||
            get_str(o, "agent", e->agent, sizeof e->agent) != 0)
            return -1;
        if (version >= 2) {
            json_int_t depth;

            if (get_str(o, "maker", e->maker, sizeof e->maker) != 0 ||
                !maker_ok(e->maker) || !json_is_integer(json_object_get(o, "depth")))
                return -1;
            depth = json_integer_value(json_object_get(o, "depth"));
            if (e->maker[0] ? depth < 1 || depth > AUTH_SHARE_DEPTH_MAX : depth != 0)
                return -1;
            e->depth = (unsigned)depth;
        }
    } else {
        if (get_time(o, "last_used", &e->last_seen) != 0 ||
            (e->last_seen != 0 && e->last_seen < e->created) ||
            get_str(o, "name", e->name, sizeof e->name) != 0)
            return -1;
    }
    e->written_seen = e->last_seen;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_hash(const void *a, const void *b)
{
    return memcmp(((const struct entry *)a)->hash, ((const struct entry *)b)->hash,
                  HASH_LEN);
}

/* Orders sessions most recently seen first. */
static int cmp_recent(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    return (x->last_seen < y->last_seen) - (x->last_seen > y->last_seen);
}

/* Orders entries by creation time. */
static int cmp_created(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    return (x->created > y->created) - (x->created < y->created);
}

/* Reads one list of the file into a new array *out of *n entries. Returns
 * 0, -1 (corrupt) or FERRY_ENOMEM. */
static int list_from_json(const json_t *arr, enum auth_kind kind, int version,
                          struct entry **out, size_t *n)
{
    size_t count;

    *out = NULL;
    *n = 0;
    if (!json_is_array(arr))
        return -1;
    count = json_array_size(arr);
    if (count > AUTH_SESSIONS_HARD_MAX)
        return -1;
    if (count == 0)
        return 0;
    *out = calloc(count, sizeof **out);
    if (!*out)
        return FERRY_ENOMEM;
    for (size_t i = 0; i < count; i++)
        if (entry_from_json(json_array_get(arr, i), kind, version, &(*out)[i]) != 0)
            return -1;
        else
            (*out)[i].seq = i + 1; /* the file is in the order of making */
    *n = count;
    /* Hashes unique within the list. */
    qsort(*out, count, sizeof **out, cmp_hash);
    for (size_t i = 1; i < count; i++)
        if (memcmp((*out)[i - 1].hash, (*out)[i].hash, HASH_LEN) == 0)
            return -1;
    return 0;
}

/* Whether ids are unique across both lists. Returns 0, -1 or FERRY_ENOMEM. */
static int ids_unique(const struct entry *a, size_t na, const struct entry *b, size_t nb)
{
    const char **ids;
    int rc = 0;

    if (na + nb < 2)
        return 0;
    ids = malloc((na + nb) * sizeof *ids);
    if (!ids)
        return FERRY_ENOMEM;
    for (size_t i = 0; i < na; i++)
        ids[i] = a[i].id;
    for (size_t i = 0; i < nb; i++)
        ids[na + i] = b[i].id;
    qsort(ids, na + nb, sizeof *ids, cmp_str);
    for (size_t i = 1; i < na + nb && rc == 0; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            rc = -1;
    free(ids);
    return rc;
}

/* Parses and checks the file's text. Returns 0 with the two lists (owned
 * by the caller), AUTH_S_ECORRUPT with a reason, or FERRY_ENOMEM. */
static int decode(const char *buf, size_t len, struct entry **ses, size_t *n_ses,
                  struct entry **tok, size_t *n_tok, const char **why)
{
    json_error_t err;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    const json_t *version;
    int rc = AUTH_S_ECORRUPT, r, v;

    *ses = *tok = NULL;
    *n_ses = *n_tok = 0;
    *why = "not JSON";
    if (!root) {
        if (json_error_code(&err) == json_error_out_of_memory)
            rc = FERRY_ENOMEM;
        goto fail;
    }
    version = json_object_get(root, "version");
    *why = "not a version 1 or 2 sessions file";
    if (!json_is_object(root) || json_object_size(root) != 3 ||
        !json_is_integer(version) || json_integer_value(version) < 1 ||
        json_integer_value(version) > FORMAT_VERSION)
        goto fail;
    v = (int)json_integer_value(version);
    *why = "a session breaks the format";
    r = list_from_json(json_object_get(root, "sessions"), AUTH_KIND_SESSION, v, ses, n_ses);
    if (r != 0) {
        rc = r == FERRY_ENOMEM ? r : AUTH_S_ECORRUPT;
        goto fail;
    }
    *why = "a token breaks the format";
    r = list_from_json(json_object_get(root, "tokens"), AUTH_KIND_TOKEN, v, tok, n_tok);
    if (r != 0) {
        rc = r == FERRY_ENOMEM ? r : AUTH_S_ECORRUPT;
        goto fail;
    }
    *why = "two entries share an id";
    r = ids_unique(*ses, *n_ses, *tok, *n_tok);
    if (r != 0) {
        rc = r == FERRY_ENOMEM ? r : AUTH_S_ECORRUPT;
        goto fail;
    }
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    free(*ses);
    free(*tok);
    *ses = *tok = NULL;
    *n_ses = *n_tok = 0;
    return rc;
}

/* Empties both tables. mu held. */
static void clear_tables(struct auth_sessions *s)
{
    /* Entries past n are zero already (remove_at): only n are touched. */
    mbedtls_platform_zeroize(s->sessions.e, s->sessions.n * sizeof s->sessions.e[0]);
    mbedtls_platform_zeroize(s->tokens.e, s->tokens.n * sizeof s->tokens.e[0]);
    s->sessions.n = s->tokens.n = 0;
}

/* See auth-sessions.h. */
int auth_sessions_load(struct auth_sessions *s, int64_t now)
{
    struct entry *ses = NULL, *tok = NULL;
    size_t n_ses = 0, n_tok = 0, ses_dropped = 0, tok_dropped;
    const char *why = "";
    char *buf = NULL;
    size_t len = 0;
    unsigned mode = 0;
    int rc;

    if (s->dir_fd < 0)
        return 0;
    rc = auth_file_load(s->dir_fd, AUTH_SESSIONS_FILE, FILE_MAX, &buf, &len, &mode);
    if (rc == -ENOENT) {
        rc = 0;
        goto apply;
    }
    if (rc == -EFBIG || rc == -EAGAIN) {
        rc = AUTH_S_ECORRUPT;
        why = "too large";
    } else if (rc == 0) {
        rc = decode(buf, len, &ses, &n_ses, &tok, &n_tok, &why);
    }
    if (rc == AUTH_S_ECORRUPT)
        say(s, FERRY_LOG_ERROR, "auth: %s is corrupt (%s): ignored, every "
            "browser must pair again and every API token be made again; it "
            "is replaced at the next change", s->path, why);
    else if (rc != 0)
        say(s, FERRY_LOG_ERROR, "auth: cannot read %s: %s; starting without "
            "sessions and tokens", s->path, ferry_strerror(rc));
    else if (mode & 077)
        say(s, FERRY_LOG_WARN, "auth: %s can be read by others (mode %03o): "
            "it holds only hashes, but should be 0600 (chmod 600 it)",
            s->path, mode);
apply:
    pthread_mutex_lock(&s->mu);
    clear_tables(s);
    if (rc == 0) {
        /* Live sessions, most recently seen first, within the bound. */
        if (n_ses > 1)
            qsort(ses, n_ses, sizeof *ses, cmp_recent);
        size_t host = 0, guests = 0;

        for (size_t i = 0; i < n_ses; i++) {
            size_t *count = ses[i].maker[0] ? &guests : &host;

            if (now >= session_expires(s, &ses[i]))
                continue;
            if (*count >= (ses[i].maker[0] ? s->cfg.max_guests : s->cfg.max_sessions)) {
                ses_dropped++;
                continue;
            }
            (*count)++;
            if (ses[i].seq > s->entry_seq)
                s->entry_seq = ses[i].seq;
            s->sessions.e[s->sessions.n++] = ses[i];
        }
        if (n_tok > 1)
            qsort(tok, n_tok, sizeof *tok, cmp_created);
        tok_dropped = n_tok > s->tokens.cap ? n_tok - s->tokens.cap : 0;
        for (size_t i = 0; i < n_tok && s->tokens.n < s->tokens.cap; i++)
            s->tokens.e[s->tokens.n++] = tok[i];
        if (ses_dropped || tok_dropped)
            say(s, FERRY_LOG_WARN, "auth: %s holds more than the configured "
                "bounds: %zu least recently seen sessions and %zu newest "
                "tokens dropped", s->path, ses_dropped, tok_dropped);
    }
    pthread_mutex_unlock(&s->mu);
    if (ses)
        mbedtls_platform_zeroize(ses, n_ses * sizeof *ses);
    if (tok)
        mbedtls_platform_zeroize(tok, n_tok * sizeof *tok);
    free(ses);
    free(tok);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------ life */

/* See auth-sessions.h. */
int auth_sessions_new(const struct auth_sessions_config *cfg,
                      struct auth_sessions **out)
{
    static const char pers[] = "ferry auth sessions";
    struct auth_sessions *s;
    int rc = FERRY_ENOMEM, locks = 0;

    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s)
        return FERRY_ENOMEM;
    if (cfg)
        s->cfg = *cfg;
    else
        auth_sessions_defaults(&s->cfg);
    s->dir_fd = -1;
    snprintf(s->path, sizeof s->path, "%s/%s",
             s->cfg.state_path ? s->cfg.state_path : "(state folder)",
             AUTH_SESSIONS_FILE);
    s->cfg.state_path = NULL; /* not kept: the caller's string may go */
    mbedtls_entropy_init(&s->entropy);
    mbedtls_ctr_drbg_init(&s->drbg);
    if (s->cfg.pair_ttl_s < 1 || s->cfg.idle_s < 1 || s->cfg.absolute_s < s->cfg.idle_s ||
        s->cfg.max_sessions < 1 || s->cfg.max_sessions > AUTH_SESSIONS_HARD_MAX ||
        s->cfg.max_made < 1 || s->cfg.max_guests < 1 ||
        s->cfg.max_guests > AUTH_SESSIONS_HARD_MAX ||
        s->cfg.max_tokens < 1 || s->cfg.max_tokens > AUTH_SESSIONS_HARD_MAX) {
        rc = FERRY_EINVAL_CONFIG;
        goto fail;
    }
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        goto fail;
    locks++;
    if (pthread_mutex_init(&s->rng_mu, NULL) != 0)
        goto fail;
    locks++;
    if (pthread_mutex_init(&s->save_mu, NULL) != 0)
        goto fail;
    locks++;
    s->sessions.kind = AUTH_KIND_SESSION;
    s->sessions.cap = s->cfg.max_sessions + s->cfg.max_guests;
    s->sessions.e = calloc(s->sessions.cap, sizeof *s->sessions.e);
    s->tokens.kind = AUTH_KIND_TOKEN;
    s->tokens.cap = s->cfg.max_tokens;
    s->tokens.e = calloc(s->tokens.cap, sizeof *s->tokens.e);
    if (!s->sessions.e || !s->tokens.e)
        goto fail;
    if (s->cfg.state_fd >= 0) {
        s->dir_fd = fcntl(s->cfg.state_fd, F_DUPFD_CLOEXEC, 0);
        if (s->dir_fd < 0) {
            rc = -errno;
            goto fail;
        }
    }
    if (mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy,
                              (const unsigned char *)pers, sizeof pers - 1) != 0) {
        rc = AUTH_S_ECRYPTO;
        goto fail;
    }
    *out = s;
    return 0;
fail:
    if (locks > 2)
        pthread_mutex_destroy(&s->save_mu);
    if (locks > 1)
        pthread_mutex_destroy(&s->rng_mu);
    if (locks > 0)
        pthread_mutex_destroy(&s->mu);
    mbedtls_ctr_drbg_free(&s->drbg);
    mbedtls_entropy_free(&s->entropy);
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    free(s->sessions.e);
    free(s->tokens.e);
    free(s);
    return rc;
}

/* See auth-sessions.h. */
void auth_sessions_free(struct auth_sessions *s)
{
    if (!s)
        return;
    clear_tables(s);
    mbedtls_platform_zeroize(s->pairs, sizeof s->pairs);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->rng_mu);
    pthread_mutex_destroy(&s->save_mu);
    mbedtls_ctr_drbg_free(&s->drbg);
    mbedtls_entropy_free(&s->entropy);
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    free(s->sessions.e);
    free(s->tokens.e);
    free(s);
}

/* ------------------------------------------------------------ pairing */

/*
 * Makes a pairing token: the host's (maker NULL: in the first
 * AUTH_PAIR_LIVE_MAX slots, replacing the one that expires first) or a
 * share link of `maker` (in the share pool: a free slot unless the maker
 * has AUTH_PAIR_LIVE_MAX live links, then its oldest; AUTH_S_EFULL when
 * there is neither).
 */
static int pair_new(struct auth_sessions *s, const char *maker, unsigned depth,
                    enum auth_rights rights, unsigned ttl_s, int64_t now,
                    struct auth_secret *token, int64_t *expires)
{
    struct pair p;
    long slot = -1, oldest = -1, free_slot = -1;
    size_t mine = 0;
    int rc;

    if (!rights_ok(rights))
        return -EINVAL;
    if (maker && depth >= AUTH_SHARE_DEPTH_MAX)
        return AUTH_S_EDEPTH;
    memset(&p, 0, sizeof p);
    rc = new_secret(s, token, p.hash);
    if (rc != 0)
        return rc;
    p.rights = rights;
    p.expires = add_s(now, ttl_s ? ttl_s : s->cfg.pair_ttl_s);
    p.live = 1;
    p.depth = depth;
    snprintf(p.maker, sizeof p.maker, "%s", maker ? maker : "");
    pthread_mutex_lock(&s->mu);
    sweep(s, now);
    p.seq = ++s->pair_seq;
    if (!maker) {
        /* A free slot, else the one that expires first. */
        slot = 0;
        for (size_t i = 0; i < AUTH_PAIR_LIVE_MAX; i++) {
            if (!s->pairs[i].live) {
                slot = (long)i;
                break;
            }
            if (s->pairs[i].expires < s->pairs[slot].expires)
                slot = (long)i;
        }
    } else {
        for (size_t i = AUTH_PAIR_LIVE_MAX; i < PAIRS; i++) {
            const struct pair *q = &s->pairs[i];

            if (!q->live) {
                if (free_slot < 0)
                    free_slot = (long)i;
            } else if (strcmp(q->maker, p.maker) == 0) {
                mine++;
                if (oldest < 0 || q->seq < s->pairs[oldest].seq)
                    oldest = (long)i;
            }
        }
        slot = mine >= AUTH_PAIR_LIVE_MAX || free_slot < 0 ? oldest : free_slot;
    }
    if (slot >= 0)
        s->pairs[slot] = p;
    pthread_mutex_unlock(&s->mu);
    if (slot < 0) {
        mbedtls_platform_zeroize(token, sizeof *token);
        rc = AUTH_S_EFULL;
    } else if (expires) {
        *expires = p.expires;
    }
    mbedtls_platform_zeroize(&p, sizeof p);
    return rc;
}

/* See auth-sessions.h. */
int auth_pair_new(struct auth_sessions *s, enum auth_rights rights,
                  unsigned ttl_s, int64_t now, struct auth_secret *token,
                  int64_t *expires)
{
    return pair_new(s, NULL, 0, rights, ttl_s, now, token, expires);
}

/* See auth-sessions.h. */
int auth_share_new(struct auth_sessions *s, enum auth_rights rights,
                   unsigned ttl_s, int64_t now, const char *maker, unsigned depth,
                   struct auth_secret *token, int64_t *expires)
{
    if (!maker || !maker[0] || strlen(maker) > AUTH_ID_LEN)
        return -EINVAL;
    return pair_new(s, maker, depth, rights, ttl_s, now, token, expires);
}

/* See auth-sessions.h. */
int auth_pair_redeem(struct auth_sessions *s, const char *token, size_t len,
                     const char *peer, const char *agent, int64_t now,
                     struct auth_secret *secret, struct auth_info *info)
{
    unsigned char h[HASH_LEN];
    long found = -1;
    int rc;

    if (len != AUTH_SECRET_LEN)
        return AUTH_S_ENOTFOUND;
    rc = sha256(token, len, h);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < PAIRS; i++)
        if (auth_ct_equal(s->pairs[i].hash, h, HASH_LEN) && s->pairs[i].live)
            found = (long)i;
    if (found < 0) {
        rc = AUTH_S_ENOTFOUND;
    } else if (now >= s->pairs[found].expires) {
        mbedtls_platform_zeroize(&s->pairs[found], sizeof s->pairs[found]);
        rc = AUTH_S_EEXPIRED;
    } else {
        const struct pair *q = &s->pairs[found];

        rc = add_session(s, q->rights, peer, agent, q->maker, q->maker[0] ? q->depth + 1 : 0,
                         now, secret, info);
        if (rc == 0)
            mbedtls_platform_zeroize(&s->pairs[found], sizeof s->pairs[found]);
    }
    pthread_mutex_unlock(&s->mu);
    if (rc == 0)
        save(s);
    return rc;
}

/* See auth-sessions.h. */
void auth_pair_clear(struct auth_sessions *s)
{
    pthread_mutex_lock(&s->mu);
    mbedtls_platform_zeroize(s->pairs, sizeof s->pairs);
    pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------ sessions */

/* See auth-sessions.h. */
int auth_session_create(struct auth_sessions *s, enum auth_rights rights,
                        const char *peer, const char *agent, int64_t now,
                        struct auth_secret *secret, struct auth_info *info)
{
    int rc;

    if (!rights_ok(rights))
        return -EINVAL;
    pthread_mutex_lock(&s->mu);
    rc = add_session(s, rights, peer, agent, "", 0, now, secret, info);
    pthread_mutex_unlock(&s->mu);
    if (rc == 0)
        save(s);
    return rc;
}

/*
 * Looks up a secret in table t (sessions or tokens), marking it seen.
 * Returns 0, AUTH_S_ENOTFOUND, AUTH_S_EEXPIRED or AUTH_S_ECRYPTO.
 */
static int lookup(struct auth_sessions *s, struct table *t, const char *secret,
                  size_t len, int64_t now, struct auth_info *info)
{
    unsigned char h[HASH_LEN];
    int rc = 0, dirty = 0;
    long i;

    if (len != AUTH_SECRET_LEN)
        return AUTH_S_ENOTFOUND;
    rc = sha256(secret, len, h);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&s->mu);
    i = find_hash(t, h);
    if (i < 0) {
        rc = AUTH_S_ENOTFOUND;
    } else if (t->kind == AUTH_KIND_SESSION && now >= session_expires(s, &t->e[i])) {
        remove_at(t, (size_t)i);
        rc = AUTH_S_EEXPIRED;
    } else {
        struct entry *e = &t->e[i];

        if (now > e->last_seen)
            e->last_seen = now;
        if (e->last_seen - e->written_seen >= (int64_t)s->cfg.seen_persist_s) {
            e->written_seen = e->last_seen;
            s->gen++;
            dirty = 1;
        }
        fill_info(s, t, e, info);
    }
    pthread_mutex_unlock(&s->mu);
    if (dirty)
        save(s);
    return rc;
}

/* See auth-sessions.h. */
int auth_session_lookup(struct auth_sessions *s, const char *secret,
                        size_t len, int64_t now, struct auth_info *info)
{
    return lookup(s, &s->sessions, secret, len, now, info);
}

/* ------------------------------------------------------------ tokens */

/* See auth-sessions.h. */
int auth_token_create(struct auth_sessions *s, const char *name,
                      enum auth_rights rights, int64_t now,
                      struct auth_secret *secret, struct auth_info *info)
{
    struct entry e;
    int rc;

    if (!rights_ok(rights))
        return -EINVAL;
    memset(&e, 0, sizeof e);
    pthread_mutex_lock(&s->mu);
    if (s->tokens.n == s->tokens.cap) {
        rc = AUTH_S_EFULL;
    } else if ((rc = new_id(s, e.id)) == 0 && (rc = new_secret(s, secret, e.hash)) == 0) {
        e.rights = rights;
        e.created = now;
        sanitise(e.name, sizeof e.name, name);
        s->tokens.e[s->tokens.n++] = e;
        s->gen++;
        fill_info(s, &s->tokens, &e, info);
    }
    pthread_mutex_unlock(&s->mu);
    mbedtls_platform_zeroize(&e, sizeof e);
    if (rc == 0)
        save(s);
    return rc;
}

/* See auth-sessions.h. */
int auth_token_lookup(struct auth_sessions *s, const char *secret,
                      size_t len, int64_t now, struct auth_info *info)
{
    return lookup(s, &s->tokens, secret, len, now, info);
}

/* ------------------------------------------------------------ both */

/* See auth-sessions.h. */
int auth_list(struct auth_sessions *s, int64_t now, struct auth_info **list,
              size_t *n)
{
    struct entry *copy = NULL;
    struct auth_info *out = NULL;
    size_t ns, nt;
    int rc = FERRY_ENOMEM;

    *list = NULL;
    *n = 0;
    pthread_mutex_lock(&s->mu);
    sweep(s, now);
    ns = s->sessions.n;
    nt = s->tokens.n;
    if (ns + nt == 0) {
        rc = 0;
        goto done;
    }
    copy = malloc((ns + nt) * sizeof *copy);
    out = calloc(ns + nt, sizeof *out);
    if (!copy || !out)
        goto done;
    memcpy(copy, s->sessions.e, ns * sizeof *copy);
    memcpy(copy + ns, s->tokens.e, nt * sizeof *copy);
    qsort(copy, ns, sizeof *copy, cmp_created);
    qsort(copy + ns, nt, sizeof *copy, cmp_created);
    for (size_t i = 0; i < ns + nt; i++)
        fill_info(s, i < ns ? &s->sessions : &s->tokens, &copy[i], &out[i]);
    *list = out;
    *n = ns + nt;
    out = NULL;
    rc = 0;
done:
    pthread_mutex_unlock(&s->mu);
    if (copy)
        mbedtls_platform_zeroize(copy, (ns + nt) * sizeof *copy);
    free(copy);
    free(out);
    return rc;
}

/* See auth-sessions.h. */
int auth_revoke(struct auth_sessions *s, const char *id)
{
    struct table *tables[2] = {&s->sessions, &s->tokens};
    int rc = AUTH_S_ENOTFOUND;

    pthread_mutex_lock(&s->mu);
    for (int k = 0; k < 2 && rc != 0; k++)
        for (size_t i = 0; i < tables[k]->n; i++)
            if (strcmp(tables[k]->e[i].id, id) == 0) {
                char copy[AUTH_ID_LEN + 1];

                memcpy(copy, id, sizeof copy); /* id may be the entry's */
                remove_at(tables[k], i);
                remove_made_by(s, copy);
                s->gen++;
                rc = 0;
                break;
            }
    pthread_mutex_unlock(&s->mu);
    if (rc == 0)
        save(s);
    return rc;
}

/* See auth-sessions.h. */
size_t auth_revoke_all(struct auth_sessions *s, enum auth_kind kind)
{
    struct table *t = kind == AUTH_KIND_TOKEN ? &s->tokens : &s->sessions;
    size_t n;

    pthread_mutex_lock(&s->mu);
    n = t->n;
    mbedtls_platform_zeroize(t->e, t->n * sizeof t->e[0]); /* past n: zero already */
    t->n = 0;
    if (n > 0)
        s->gen++;
    pthread_mutex_unlock(&s->mu);
    if (n > 0)
        save(s);
    return n;
}
