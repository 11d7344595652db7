/*
 * auth-limit.c — the attempt limiter of auth-limit.h: a fixed table of keys
 * (an IPv4 address, an IPv6 address, an IPv6 /64) with chained hashing, one
 * mutex. An address of a /64 is charged to both its own key and the /64's.
 */
#include "config.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ferry.h"
#include "auth-limit.h"

#define KEY_LEN 17           /* kind tag + 16 bytes */
#define TAG_OTHER 0
#define TAG_V4 4
#define TAG_V6 6             /* a whole IPv6 address */
#define TAG_V6_64 7          /* an IPv6 /64 */
#define SLOTS_MAX (1u << 20)
#define NIL (-1)

struct slot {
    unsigned char key[KEY_LEN];
    unsigned char counted;   /* an IPv6 address: counted in its /64's
                                `distinct` */
    uint32_t fails;          /* failures (a /64: of all its addresses) */
    uint32_t pending;        /* attempts in flight */
    uint32_t distinct;       /* a /64: addresses failing or trying */
    uint64_t last_ms;        /* the last failure (or first attempt) */
    uint64_t until_ms;       /* the wait ends; == last_ms when none */
    int32_t next;            /* next in the bucket chain or the free list */
    int32_t bucket;          /* the chain it is on, NIL when free */
};

struct auth_limit {
    pthread_mutex_t mu;
    struct auth_limit_config cfg;
    struct slot *slots;
    int32_t *heads;          /* nbuckets chain heads */
    size_t nbuckets;         /* a power of two >= slots */
    int32_t free_list;
    size_t used;
};

/* See auth-limit.h. */
void auth_limit_defaults(struct auth_limit_config *cfg)
{
    cfg->free_failures = 5;
    cfg->prefix_addresses = 4;
    cfg->max_delay_s = 900;
    cfg->forget_s = 86400;
    cfg->slots = 4096;
    cfg->seed = 0;
}

/* ------------------------------------------------------------ keys */

/* The key of an address (see auth-limit.h); an IPv6 address's /64 key in
 * prefix (tag TAG_OTHER when there is none). */
static void make_key(const struct sockaddr *sa, unsigned char key[KEY_LEN],
                     unsigned char prefix[KEY_LEN])
{
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    memset(key, 0, KEY_LEN);
    memset(prefix, 0, KEY_LEN);
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

        key[0] = TAG_V4;
        memcpy(key + 1, &in->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        const unsigned char *a = in6->sin6_addr.s6_addr;

        if (memcmp(a, v4mapped, sizeof v4mapped) == 0) {
            key[0] = TAG_V4;
            memcpy(key + 1, a + 12, 4);
        } else {
            key[0] = TAG_V6;
            memcpy(key + 1, a, 16);
            prefix[0] = TAG_V6_64;
            memcpy(prefix + 1, a, 8);
        }
    }
}

/* A 64-bit finaliser (MurmurHash3's fmix64). */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* The bucket of a key. */
static size_t bucket_of(const struct auth_limit *lim, const unsigned char key[KEY_LEN])
{
    uint64_t a, b, h;

    memcpy(&a, key + 1, 8);
    memcpy(&b, key + 9, 8);
    h = mix(lim->cfg.seed ^ key[0]);
    h = mix(h ^ a);
    h = mix(h ^ b);
    return (size_t)(h & (lim->nbuckets - 1));
}

/* ------------------------------------------------------------ table */

/* The slot of a key, or NIL. */
static int32_t find(const struct auth_limit *lim, const unsigned char key[KEY_LEN])
{
    for (int32_t i = lim->heads[bucket_of(lim, key)]; i != NIL; i = lim->slots[i].next)
        if (memcmp(lim->slots[i].key, key, KEY_LEN) == 0)
            return i;
    return NIL;
}

/* Takes slot i off its chain and puts it on the free list. */
static void release(struct auth_limit *lim, int32_t i)
{
    struct slot *s = &lim->slots[i];
    int32_t *link = &lim->heads[s->bucket];

    while (*link != i)
        link = &lim->slots[*link].next;
    *link = s->next;
    memset(s, 0, sizeof *s);
    s->bucket = NIL;
    s->next = lim->free_list;
    lim->free_list = i;
    lim->used--;
}

/* The slot to evict from a full table: one without attempts in flight if
 * there is one; the wait that ended (or ends) first, then the older last
 * failure. */
static int32_t victim(const struct auth_limit *lim)
{
    int32_t best = 0;

    for (int32_t i = 1; i < (int32_t)lim->cfg.slots; i++) {
        const struct slot *s = &lim->slots[i], *b = &lim->slots[best];

        if ((s->pending == 0) != (b->pending == 0)) {
            if (s->pending == 0)
                best = i;
            continue;
        }
        if (s->until_ms < b->until_ms ||
            (s->until_ms == b->until_ms && s->last_ms < b->last_ms))
            best = i;
    }
    return best;
}

/* A new slot for key (no failure, nothing in flight, at now_ms), evicting
 * when full. Never fails. */
static int32_t insert(struct auth_limit *lim, const unsigned char key[KEY_LEN],
                      uint64_t now_ms)
{
    size_t b = bucket_of(lim, key);
    int32_t i;

    if (lim->free_list == NIL)
        release(lim, victim(lim));
    i = lim->free_list;
    lim->free_list = lim->slots[i].next;
    memcpy(lim->slots[i].key, key, KEY_LEN);
    lim->slots[i].bucket = (int32_t)b;
    lim->slots[i].last_ms = lim->slots[i].until_ms = now_ms;
    lim->slots[i].next = lim->heads[b];
    lim->heads[b] = i;
    lim->used++;
    return i;
}

/* Whether the entry is old enough to forget (nothing in flight, no
 * failure for forget_s). */
static int forgotten(const struct auth_limit *lim, const struct slot *s, uint64_t now_ms)
{
    return s->pending == 0 && now_ms >= s->last_ms &&
           now_ms - s->last_ms >= (uint64_t)lim->cfg.forget_s * 1000;
}

/* The free failures of a key. */
static uint64_t quota(const struct auth_limit *lim, const struct slot *s)
{
    return s->key[0] == TAG_V6_64
               ? (uint64_t)lim->cfg.free_failures * lim->cfg.prefix_addresses
               : lim->cfg.free_failures;
}

/* The wait of key s after `fails` failures, in ms. */
static uint64_t delay_ms(const struct auth_limit *lim, const struct slot *s, uint64_t fails)
{
    uint64_t cap = (uint64_t)lim->cfg.max_delay_s * 1000, free = quota(lim, s), n;

    if (fails <= free)
        return 0;
    n = fails - free - 1;
    if (n >= 40)
        return cap;
    return ((uint64_t)1000 << n) < cap ? (uint64_t)1000 << n : cap;
}

/* The remaining wait of s at now_ms, in whole seconds rounded up. */
static unsigned wait_s(const struct slot *s, uint64_t now_ms, uint64_t delay)
{
    uint64_t left;

    if (now_ms >= s->until_ms)
        return 0;
    left = s->until_ms - now_ms;
    if (left > delay)
        left = delay; /* the clock went backwards */
    return (unsigned)((left + 999) / 1000);
}

/* ------------------------------------------------------------ API */

/* See auth-limit.h. */
int auth_limit_new(const struct auth_limit_config *cfg, struct auth_limit **out)
{
    struct auth_limit *lim;

    *out = NULL;
    lim = calloc(1, sizeof *lim);
    if (!lim)
        return FERRY_ENOMEM;
    if (cfg)
        lim->cfg = *cfg;
    else
        auth_limit_defaults(&lim->cfg);
    if (lim->cfg.max_delay_s < 1 || lim->cfg.forget_s < lim->cfg.max_delay_s ||
        lim->cfg.prefix_addresses < 1 ||
        lim->cfg.slots < 1 || lim->cfg.slots > SLOTS_MAX) {
        free(lim);
        return FERRY_EINVAL_CONFIG;
    }
    lim->nbuckets = 1;
    while (lim->nbuckets < lim->cfg.slots)
        lim->nbuckets <<= 1;
    lim->slots = calloc(lim->cfg.slots, sizeof *lim->slots);
    lim->heads = malloc(lim->nbuckets * sizeof *lim->heads);
    if (!lim->slots || !lim->heads || pthread_mutex_init(&lim->mu, NULL) != 0) {
        free(lim->slots);
        free(lim->heads);
        free(lim);
        return FERRY_ENOMEM;
    }
    for (size_t i = 0; i < lim->nbuckets; i++)
        lim->heads[i] = NIL;
    for (size_t i = 0; i < lim->cfg.slots; i++) {
        lim->slots[i].bucket = NIL;
        lim->slots[i].next = i + 1 < lim->cfg.slots ? (int32_t)(i + 1) : NIL;
    }
    lim->free_list = 0;
    *out = lim;
    return 0;
}

/* See auth-limit.h. */
void auth_limit_free(struct auth_limit *lim)
{
    if (!lim)
        return;
    pthread_mutex_destroy(&lim->mu);
    free(lim->slots);
    free(lim->heads);
    free(lim);
}

/* ------------------------------------------------------------ attempts */

/* The entry of key, or NIL; a forgotten one is dropped first. lock held */
static int32_t lookup(struct auth_limit *lim, const unsigned char key[KEY_LEN],
                      uint64_t now_ms)
{
    int32_t i = find(lim, key);

    if (i != NIL && forgotten(lim, &lim->slots[i], now_ms)) {
        release(lim, i);
        i = NIL;
    }
    return i;
}

/* The entry of key, made when absent. lock held */
static int32_t get(struct auth_limit *lim, const unsigned char key[KEY_LEN], uint64_t now_ms)
{
    int32_t i = lookup(lim, key, now_ms);

    return i != NIL ? i : insert(lim, key, now_ms);
}

/*
 * The seconds key s must wait before one more attempt may start at now_ms:
 * attempts in flight count as failures; within the free quota none, past
 * it one at a time once the wait is over. lock held
 */
static unsigned slot_wait(const struct auth_limit *lim, const struct slot *s, uint64_t now_ms)
{
    uint64_t used = (uint64_t)s->fails + s->pending;

    if (used < quota(lim, s))
        return 0;
    if (s->pending > 0) { /* as if those in flight failed */
        uint64_t d = delay_ms(lim, s, used);

        return d < 1000 ? 1 : (unsigned)((d + 999) / 1000);
    }
    return wait_s(s, now_ms, delay_ms(lim, s, s->fails));
}

/* Whether the /64 p limits its addresses: enough of them are failing or
 * trying (an address not among them is not counted in). */
static int prefix_limits(const struct auth_limit *lim, const struct slot *p)
{
    return p->distinct >= lim->cfg.prefix_addresses;
}

/* Takes the address entry a out of its /64's count of addresses (prefix
 * key pk) and drops it. lock held */
static void drop_address(struct auth_limit *lim, int32_t a, const unsigned char pk[KEY_LEN])
{
    if (lim->slots[a].counted && pk[0] == TAG_V6_64) {
        int32_t p = find(lim, pk);

        if (p != NIL && lim->slots[p].distinct > 0)
            lim->slots[p].distinct--;
    }
    release(lim, a);
}

/* The wait for an attempt from the address (keys k, pk); reserves it when
 * 0 and `reserve`. lock held */
static unsigned attempt(struct auth_limit *lim, const unsigned char k[KEY_LEN],
                        const unsigned char pk[KEY_LEN], uint64_t now_ms, int reserve)
{
    int32_t a = find(lim, k), p;
    unsigned wait = 0, pw;

    if (a != NIL && forgotten(lim, &lim->slots[a], now_ms)) {
        drop_address(lim, a, pk);
        a = NIL;
    }
    if (a != NIL)
        wait = slot_wait(lim, &lim->slots[a], now_ms);
    p = pk[0] == TAG_V6_64 ? lookup(lim, pk, now_ms) : NIL;
    if (p != NIL && prefix_limits(lim, &lim->slots[p])) {
        pw = slot_wait(lim, &lim->slots[p], now_ms);
        if (pw > wait)
            wait = pw;
    }
    if (wait || !reserve)
        return wait;
    a = get(lim, k, now_ms);
    lim->slots[a].pending++;
    if (pk[0] == TAG_V6_64) {
        p = get(lim, pk, now_ms);
        lim->slots[p].pending++;
        if (!lim->slots[a].counted) {
            lim->slots[a].counted = 1;
            lim->slots[p].distinct++;
        }
    }
    return 0;
}

/* See auth-limit.h. */
unsigned auth_limit_begin(struct auth_limit *lim, const struct sockaddr *addr,
                          uint64_t now_ms)
{
    unsigned char k[KEY_LEN], pk[KEY_LEN];
    unsigned wait;

    make_key(addr, k, pk);
    pthread_mutex_lock(&lim->mu);
    wait = attempt(lim, k, pk, now_ms, 1);
    pthread_mutex_unlock(&lim->mu);
    return wait;
}

/* See auth-limit.h. */
unsigned auth_limit_check(struct auth_limit *lim, const struct sockaddr *addr,
                          uint64_t now_ms)
{
    unsigned char k[KEY_LEN], pk[KEY_LEN];
    unsigned wait;

    make_key(addr, k, pk);
    pthread_mutex_lock(&lim->mu);
    wait = attempt(lim, k, pk, now_ms, 0);
    pthread_mutex_unlock(&lim->mu);
    return wait;
}

/* Records one failure in key s at now_ms, ending one attempt in flight. */
static void count_failure(const struct auth_limit *lim, struct slot *s, uint64_t now_ms)
{
    if (s->pending > 0)
        s->pending--;
    if (s->fails < UINT32_MAX)
        s->fails++;
    s->last_ms = now_ms;
    s->until_ms = now_ms + delay_ms(lim, s, s->fails);
}

/* See auth-limit.h. */
unsigned auth_limit_fail(struct auth_limit *lim, const struct sockaddr *addr,
                         uint64_t now_ms)
{
    unsigned char k[KEY_LEN], pk[KEY_LEN];
    unsigned wait;
    int32_t a, p;

    make_key(addr, k, pk);
    pthread_mutex_lock(&lim->mu);
    a = get(lim, k, now_ms);
    count_failure(lim, &lim->slots[a], now_ms);
    wait = wait_s(&lim->slots[a], now_ms, delay_ms(lim, &lim->slots[a], lim->slots[a].fails));
    if (pk[0] == TAG_V6_64) {
        lim->slots[a].pending++; /* kept while the /64's entry is made */
        p = get(lim, pk, now_ms);
        lim->slots[a].pending--;
        if (!lim->slots[a].counted) {
            lim->slots[a].counted = 1;
            lim->slots[p].distinct++;
        }
        count_failure(lim, &lim->slots[p], now_ms);
        if (prefix_limits(lim, &lim->slots[p])) {
            unsigned pw = wait_s(&lim->slots[p], now_ms,
                                 delay_ms(lim, &lim->slots[p], lim->slots[p].fails));

            if (pw > wait)
                wait = pw;
        }
    }
    pthread_mutex_unlock(&lim->mu);
    return wait;
}

/* Ends an attempt without a failure; `clear` forgets the address's
 * failures. */
static void end_attempt(struct auth_limit *lim, const struct sockaddr *addr, int clear)
{
    unsigned char k[KEY_LEN], pk[KEY_LEN];
    int32_t a, p;

    make_key(addr, k, pk);
    pthread_mutex_lock(&lim->mu);
    if (pk[0] == TAG_V6_64 && (p = find(lim, pk)) != NIL && lim->slots[p].pending > 0)
        lim->slots[p].pending--;
    a = find(lim, k);
    if (a != NIL) {
        struct slot *s = &lim->slots[a];

        if (s->pending > 0)
            s->pending--;
        if (clear)
            s->fails = 0;
        if (s->fails == 0 && s->pending == 0)
            drop_address(lim, a, pk);
        else if (clear)
            s->until_ms = s->last_ms;
    }
    pthread_mutex_unlock(&lim->mu);
}

/* See auth-limit.h. */
void auth_limit_success(struct auth_limit *lim, const struct sockaddr *addr)
{
    end_attempt(lim, addr, 1);
}

/* See auth-limit.h. */
void auth_limit_refund(struct auth_limit *lim, const struct sockaddr *addr)
{
    end_attempt(lim, addr, 0);
}

/* See auth-limit.h. */
size_t auth_limit_count(struct auth_limit *lim)
{
    size_t n;

    pthread_mutex_lock(&lim->mu);
    n = lim->used;
    pthread_mutex_unlock(&lim->mu);
    return n;
}
