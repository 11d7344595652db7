/*
 * auth-limit.c — the failed-attempt limiter of auth-limit.h: a fixed table
 * of keys (IPv4 address or IPv6 /64) with chained hashing, one mutex.
 */
#include "config.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ferry.h"
#include "auth-limit.h"

#define KEY_LEN 17           /* family tag + 16 bytes */
#define SLOTS_MAX (1u << 20)
#define NIL (-1)

struct slot {
    unsigned char key[KEY_LEN];
    uint32_t fails;          /* consecutive failures */
    uint64_t last_ms;        /* the last failure */
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
    cfg->max_delay_s = 900;
    cfg->forget_s = 86400;
    cfg->slots = 4096;
    cfg->seed = 0;
}

/* ------------------------------------------------------------ keys */

/* The key of an address (see auth-limit.h). */
static void make_key(const struct sockaddr *sa, unsigned char key[KEY_LEN])
{
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    memset(key, 0, KEY_LEN);
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

        key[0] = 4;
        memcpy(key + 1, &in->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        const unsigned char *a = in6->sin6_addr.s6_addr;

        if (memcmp(a, v4mapped, sizeof v4mapped) == 0) {
            key[0] = 4;
            memcpy(key + 1, a + 12, 4);
        } else {
            key[0] = 6;
            memcpy(key + 1, a, 8);
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

/* The slot to evict from a full table: the wait that ended (or ends)
 * first, then the older last failure. */
static int32_t victim(const struct auth_limit *lim)
{
    int32_t best = 0;

    for (int32_t i = 1; i < (int32_t)lim->cfg.slots; i++) {
        const struct slot *s = &lim->slots[i], *b = &lim->slots[best];

        if (s->until_ms < b->until_ms ||
            (s->until_ms == b->until_ms && s->last_ms < b->last_ms))
            best = i;
    }
    return best;
}

/* A new slot for key, evicting when full. Never fails. */
static int32_t insert(struct auth_limit *lim, const unsigned char key[KEY_LEN])
{
    size_t b = bucket_of(lim, key);
    int32_t i;

    if (lim->free_list == NIL)
        release(lim, victim(lim));
    i = lim->free_list;
    lim->free_list = lim->slots[i].next;
    memcpy(lim->slots[i].key, key, KEY_LEN);
    lim->slots[i].bucket = (int32_t)b;
    lim->slots[i].next = lim->heads[b];
    lim->heads[b] = i;
    lim->used++;
    return i;
}

/* Whether the entry's failures are old enough to forget. */
static int forgotten(const struct auth_limit *lim, const struct slot *s, uint64_t now_ms)
{
    return now_ms >= s->last_ms &&
           now_ms - s->last_ms >= (uint64_t)lim->cfg.forget_s * 1000;
}

/* The wait after `fails` consecutive failures, in ms. */
static uint64_t delay_ms(const struct auth_limit *lim, uint32_t fails)
{
    uint64_t cap = (uint64_t)lim->cfg.max_delay_s * 1000;
    uint32_t n;

    if (fails <= lim->cfg.free_failures)
        return 0;
    n = fails - lim->cfg.free_failures - 1;
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

/* See auth-limit.h. */
unsigned auth_limit_check(struct auth_limit *lim, const struct sockaddr *addr,
                          uint64_t now_ms)
{
    unsigned char key[KEY_LEN];
    unsigned wait = 0;
    int32_t i;

    make_key(addr, key);
    pthread_mutex_lock(&lim->mu);
    i = find(lim, key);
    if (i != NIL) {
        const struct slot *s = &lim->slots[i];

        if (forgotten(lim, s, now_ms))
            release(lim, i);
        else
            wait = wait_s(s, now_ms, delay_ms(lim, s->fails));
    }
    pthread_mutex_unlock(&lim->mu);
    return wait;
}

/* See auth-limit.h. */
unsigned auth_limit_fail(struct auth_limit *lim, const struct sockaddr *addr,
                         uint64_t now_ms)
{
    unsigned char key[KEY_LEN];
    struct slot *s;
    uint64_t delay;
    unsigned wait;
    int32_t i;

    make_key(addr, key);
    pthread_mutex_lock(&lim->mu);
    i = find(lim, key);
    if (i == NIL)
        i = insert(lim, key);
    s = &lim->slots[i];
    if (forgotten(lim, s, now_ms))
        s->fails = 0;
    if (s->fails < UINT32_MAX)
        s->fails++;
    delay = delay_ms(lim, s->fails);
    s->last_ms = now_ms;
    s->until_ms = now_ms + delay;
    wait = wait_s(s, now_ms, delay);
    pthread_mutex_unlock(&lim->mu);
    return wait;
}

/* See auth-limit.h. */
void auth_limit_success(struct auth_limit *lim, const struct sockaddr *addr)
{
    unsigned char key[KEY_LEN];
    int32_t i;

    make_key(addr, key);
    pthread_mutex_lock(&lim->mu);
    i = find(lim, key);
    if (i != NIL)
        release(lim, i);
    pthread_mutex_unlock(&lim->mu);
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
