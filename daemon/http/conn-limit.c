/*
 * conn-limit.c — ferry's connection caps (see conn-limit.h).
 *
 * Owns three tables, all behind one mutex:
 *   - tickets[max_total]: one per admitted connection (its address and how
 *     many holders it has), free ones chained through `next_free`;
 *   - addrs: an open-addressing table (linear probing, backward-shift
 *     deletion) of address -> connections counted, at most max_total
 *     entries in twice as many slots;
 *   - by_fd: for each fd given to libmicrohttpd, the ticket (+1) and a
 *     serial; grown as fd numbers grow (fd numbers stay about as small as
 *     the number of open fds).
 */
#include "config.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "conn-limit.h"
#include "ferry.h"

#define KEY_LEN 17          /* family tag + 16 address bytes */
#define QUIET_PEAK_MIN 32   /* a burst: at least this many at once */
#define MHD_MARGIN 16       /* see climit_mhd_limit() */

struct ticket {
    unsigned char key[KEY_LEN];
    unsigned holders;       /* 0: free */
    uint32_t next_free;
};

struct addr_slot {
    unsigned char key[KEY_LEN];
    unsigned count;         /* 0: empty slot */
};

struct fd_slot {
    uint32_t ticket1;       /* ticket + 1; 0: nothing given with this fd */
    uint64_t serial;
};

struct conn_limit {
    pthread_mutex_t lock;
    unsigned max_total, max_per_addr;
    unsigned total, peak;
    struct ticket *tickets;
    uint32_t free_head;     /* max_total: none free */
    struct addr_slot *addrs;
    size_t addr_mask;       /* slots - 1 (a power of two minus one) */
    struct fd_slot *by_fd;
    size_t n_fd;
    uint64_t serial;
    climit_quiet_fn quiet;
    void *quiet_user;
};

/* The table key of a peer address: IPv4 or the whole IPv6 address. */
static void make_key(const struct sockaddr *sa, socklen_t len, unsigned char key[KEY_LEN])
{
    memset(key, 0, KEY_LEN);
    if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        key[0] = 4;
        memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6 &&
               len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        key[0] = 6;
        memcpy(key + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    } /* else: one shared key for anything else (never seen from TCP) */
}

/* FNV-1a of a key. */
static size_t key_hash(const unsigned char key[KEY_LEN])
{
    uint64_t h = 1469598103934665603ull;

    for (int i = 0; i < KEY_LEN; i++) {
        h ^= key[i];
        h *= 1099511628211ull;
    }
    return (size_t)(h ^ (h >> 29));
}

/* The slot holding key, or the empty slot where it would go. */
static size_t addr_find(const struct conn_limit *l, const unsigned char key[KEY_LEN])
{
    size_t i = key_hash(key) & l->addr_mask;

    while (l->addrs[i].count && memcmp(l->addrs[i].key, key, KEY_LEN) != 0)
        i = (i + 1) & l->addr_mask;
    return i;
}

/* Empties slot i and shifts the entries after it back (linear probing
 * without tombstones). */
static void addr_remove(struct conn_limit *l, size_t i)
{
    size_t j = i;

    l->addrs[i].count = 0;
    for (;;) {
        size_t home;

        j = (j + 1) & l->addr_mask;
        if (!l->addrs[j].count)
            return;
        home = key_hash(l->addrs[j].key) & l->addr_mask;
        /* move j to the hole at i unless its home lies cyclically in (i, j] */
        if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
            continue;
        l->addrs[i] = l->addrs[j];
        l->addrs[j].count = 0;
        i = j;
    }
}

int climit_new(unsigned max_total, unsigned max_per_addr, climit_quiet_fn quiet,
               void *quiet_user, struct conn_limit **out)
{
    struct conn_limit *l = calloc(1, sizeof *l);
    size_t slots = 16;

    *out = NULL;
    if (!l)
        return FERRY_ENOMEM;
    if (max_total < 1)
        max_total = 1;
    if (max_per_addr < 1 || max_per_addr > max_total)
        max_per_addr = max_total;
    while (slots < 2 * (size_t)max_total)
        slots *= 2;
    l->max_total = max_total;
    l->max_per_addr = max_per_addr;
    l->quiet = quiet;
    l->quiet_user = quiet_user;
    l->tickets = calloc(max_total, sizeof *l->tickets);
    l->addrs = calloc(slots, sizeof *l->addrs);
    if (!l->tickets || !l->addrs) {
        free(l->tickets);
        free(l->addrs);
        free(l);
        return FERRY_ENOMEM;
    }
    l->addr_mask = slots - 1;
    for (uint32_t i = 0; i < max_total; i++)
        l->tickets[i].next_free = i + 1;
    l->free_head = 0;
    pthread_mutex_init(&l->lock, NULL);
    *out = l;
    return 0;
}

void climit_free(struct conn_limit *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->lock);
    free(l->tickets);
    free(l->addrs);
    free(l->by_fd);
    free(l);
}

int climit_admit(struct conn_limit *l, const struct sockaddr *peer, socklen_t len,
                 uint32_t *ticket)
{
    unsigned char key[KEY_LEN];
    struct ticket *t;
    size_t i;

    make_key(peer, len, key);
    pthread_mutex_lock(&l->lock);
    if (l->total >= l->max_total || l->free_head >= l->max_total) {
        pthread_mutex_unlock(&l->lock);
        return CLIMIT_TOTAL;
    }
    i = addr_find(l, key);
    if (l->addrs[i].count >= l->max_per_addr) {
        pthread_mutex_unlock(&l->lock);
        return CLIMIT_PER_ADDR;
    }
    if (!l->addrs[i].count)
        memcpy(l->addrs[i].key, key, KEY_LEN);
    l->addrs[i].count++;
    *ticket = l->free_head;
    t = &l->tickets[*ticket];
    l->free_head = t->next_free;
    memcpy(t->key, key, KEY_LEN);
    t->holders = 1;
    if (++l->total > l->peak)
        l->peak = l->total;
    pthread_mutex_unlock(&l->lock);
    return 0;
}

void climit_hold(struct conn_limit *l, uint32_t ticket)
{
    pthread_mutex_lock(&l->lock);
    if (ticket < l->max_total && l->tickets[ticket].holders)
        l->tickets[ticket].holders++;
    pthread_mutex_unlock(&l->lock);
}

/*
 * Lets go of one holder of `ticket`, under the lock. Returns 1 when this was
 * a quiet moment after a burst (the caller calls l->quiet after unlocking).
 */
static int release_locked(struct conn_limit *l, uint32_t ticket)
{
    struct ticket *t;
    size_t i;

    if (ticket >= l->max_total || !l->tickets[ticket].holders)
        return 0;
    t = &l->tickets[ticket];
    if (--t->holders)
        return 0;
    i = addr_find(l, t->key);
    if (l->addrs[i].count && --l->addrs[i].count == 0)
        addr_remove(l, i);
    t->next_free = l->free_head;
    l->free_head = ticket;
    l->total--;
    if (l->peak >= QUIET_PEAK_MIN && l->total <= l->peak / 4) {
        l->peak = l->total;
        return 1;
    }
    return 0;
}

/* Calls the quiet callback when `quiet` is set. */
static void after_release(struct conn_limit *l, int quiet)
{
    if (quiet && l->quiet)
        l->quiet(l->quiet_user);
}

void climit_release(struct conn_limit *l, uint32_t ticket)
{
    int quiet;

    pthread_mutex_lock(&l->lock);
    quiet = release_locked(l, ticket);
    pthread_mutex_unlock(&l->lock);
    after_release(l, quiet);
}

uint64_t climit_give_fd(struct conn_limit *l, uint32_t ticket, int fd)
{
    uint64_t serial;
    int quiet = 0;

    pthread_mutex_lock(&l->lock);
    serial = ++l->serial;
    if (fd >= 0 && (size_t)fd >= l->n_fd) {
        size_t n = l->n_fd ? l->n_fd : 256;
        struct fd_slot *v;

        while (n <= (size_t)fd)
            n *= 2;
        v = realloc(l->by_fd, n * sizeof *v);
        if (v) {
            memset(v + l->n_fd, 0, (n - l->n_fd) * sizeof *v);
            l->by_fd = v;
            l->n_fd = n;
        }
    }
    if (fd < 0 || (size_t)fd >= l->n_fd) {
        /* no room to remember it: counted as closed at once rather than
         * never (the cap is then loose by one, never stuck) */
        quiet = release_locked(l, ticket);
    } else {
        struct fd_slot *s = &l->by_fd[fd];

        if (s->ticket1) /* the number is free again, so that one is gone */
            quiet = release_locked(l, s->ticket1 - 1);
        s->ticket1 = ticket + 1;
        s->serial = serial;
    }
    pthread_mutex_unlock(&l->lock);
    after_release(l, quiet);
    return serial;
}

/* Lets go of what was given with fd (any serial when `serial` is 0). */
static void fd_gone(struct conn_limit *l, int fd, uint64_t serial)
{
    int quiet = 0;

    pthread_mutex_lock(&l->lock);
    if (fd >= 0 && (size_t)fd < l->n_fd && l->by_fd[fd].ticket1 &&
        (!serial || l->by_fd[fd].serial == serial)) {
        quiet = release_locked(l, l->by_fd[fd].ticket1 - 1);
        l->by_fd[fd].ticket1 = 0;
    }
    pthread_mutex_unlock(&l->lock);
    after_release(l, quiet);
}

void climit_fd_closed(struct conn_limit *l, int fd)
{
    fd_gone(l, fd, 0);
}

void climit_fd_failed(struct conn_limit *l, int fd, uint64_t serial)
{
    fd_gone(l, fd, serial);
}

unsigned climit_count(struct conn_limit *l)
{
    unsigned n;

    pthread_mutex_lock(&l->lock);
    n = l->total;
    pthread_mutex_unlock(&l->lock);
    return n;
}

unsigned climit_mhd_limit(unsigned max_total, unsigned workers)
{
    if (workers < 1)
        workers = 1;
    return (max_total + MHD_MARGIN + workers) * workers;
}
