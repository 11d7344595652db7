/*
 * discovery-dnssd.c — the discovery backend of the dns_sd API: Apple's
 * mDNSResponder (macOS, iOS), and on Linux Avahi's compatibility library
 * (libavahi-compat-libdnssd), which is how this file is built and tested
 * there (tests/ferryd-dnssd).
 *
 * A struct disc owns a worker thread, a wake pipe, and one DNSServiceRef
 * per advertised service type (_http._tcp, _https._tcp). Only the worker
 * calls the dns_sd API: it polls the refs' sockets (DNSServiceRefSockFD)
 * and the wake pipe, and runs DNSServiceProcessResult, which calls the
 * register callback on the worker. The disc_* calls only record what is
 * wanted under `lock` (which the worker never holds across a dns_sd call),
 * wake the worker and return: they never wait for the responder, which may
 * hang (with Avahi's library, DNSServiceRefDeallocate may block in D-Bus
 * calls to avahi-daemon). disc_withdraw() alone waits, at most WAIT_APPLIED_MS, until the
 * worker has acted, so that normally the withdrawal has reached the
 * responder when it returns.
 *
 * How it keeps going:
 *  - the responder not running (kDNSServiceErr_ServiceNotRunning; Avahi's
 *    library says kDNSServiceErr_Unknown), or a registration failing
 *    later (the responder restarted): the refs are deallocated and the
 *    registration made again from a timer, after 1 s, doubling up to 30 s.
 *  - a name collision: the responder renames by itself (flags 0, i.e.
 *    kDNSServiceFlagsNoAutoRename off); the callback reports the final
 *    name, which is kept for the next registrations. A conflict reported
 *    as kDNSServiceErr_NameConflict is renamed here ("X (2)").
 * Each change is logged once. Idle, the worker sleeps in poll() without a
 * timeout.
 *
 * Avahi's library prints a warning about being a compatibility layer on
 * its first use unless AVAHI_COMPAT_NOWARN is set in the environment. The
 * library does not set it (setenv is process-wide); the tests do.
 *
 * Limits: the fake OS's socket reclaim must not hit a live ref's socket
 * (Avahi's library asserts when it cannot write to its own socketpair);
 * the lifecycle withdraws — deallocates the refs — before it suspends,
 * which holds as long as the responder answers within WAIT_APPLIED_MS.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dns_sd.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "discovery.h"
#include "ferry.h"
#include "server.h"

#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 30000
#define WAIT_APPLIED_MS DISC_WAIT_MAX_MS /* the longest disc_withdraw() waits */
#define N_TYPES 2            /* _http._tcp, _https._tcp */
#define MAX_RENAMES 32       /* names tried in one go on conflicts */

static const char *const service_types[N_TYPES] = {"_http._tcp", "_https._tcp"};

/* What is advertised: wanted by the callers, or registered by the worker. */
struct want {
    int on;            /* publish (0 after disc_withdraw) */
    char *name;        /* the name asked for */
    int ports[N_TYPES];
    int read_only;
    char *fingerprint; /* or NULL */
};

struct disc {
    struct ferry_server *srv; /* for logging only */
    pthread_t thread;
    int thread_started;
    int wake[2];              /* pipe: the worker polls [0] */

    /* shared with the callers */
    pthread_mutex_t lock;
    pthread_cond_t applied_cond;
    struct want want;
    unsigned long gen;        /* bumped by every call */
    unsigned long applied;    /* the gen the worker has acted on */
    int quit;

    /* the worker's own */
    DNSServiceRef refs[N_TYPES];
    unsigned refs_gen;        /* bumped when refs are dropped */
    struct want reg;          /* what refs were registered with */
    char *chosen;             /* the name in use (renamed after collisions) */
    int failed;               /* a callback reported an error */
    DNSServiceErrorType failed_err;
    int conflict;             /* a callback reported kDNSServiceErr_NameConflict */
    long long retry_at;       /* monotonic ms, or -1 */
    int retry_ms;
    int down;                 /* "responder not running" was logged */

    /* what disc_status() reports */
    pthread_mutex_t status_lock;
    enum disc_state state;
    char status_name[256];
};

/* discovery.h: "dns_sd". */
const char *disc_backend(void)
{
    return "dns_sd";
}

/* Milliseconds of CLOCK_MONOTONIC. */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Publishes the state and the name in use to disc_status(). Worker (or
 * disc_new before the worker runs). */
static void set_state(struct disc *d, enum disc_state st)
{
    pthread_mutex_lock(&d->status_lock);
    d->state = st;
    snprintf(d->status_name, sizeof d->status_name, "%s", d->chosen ? d->chosen : "");
    pthread_mutex_unlock(&d->status_lock);
}

/* Frees the strings of *w and zeroes it. */
static void want_clear(struct want *w)
{
    free(w->name);
    free(w->fingerprint);
    memset(w, 0, sizeof *w);
}

/* Deep-copies src into *dst (cleared first). Returns 0 or FERRY_ENOMEM
 * (*dst is left cleared). */
static int want_copy(struct want *dst, const struct want *src)
{
    want_clear(dst);
    *dst = *src;
    dst->name = src->name ? strdup(src->name) : NULL;
    dst->fingerprint = src->fingerprint ? strdup(src->fingerprint) : NULL;
    if ((src->name && !dst->name) || (src->fingerprint && !dst->fingerprint)) {
        want_clear(dst);
        return FERRY_ENOMEM;
    }
    return 0;
}

/* Whether two optional strings differ. */
static int str_differ(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/* Whether the records of a and b differ (not counting `on`). */
static int want_differ(const struct want *a, const struct want *b)
{
    for (int i = 0; i < N_TYPES; i++)
        if (a->ports[i] != b->ports[i])
            return 1;
    return str_differ(a->name, b->name) || a->read_only != b->read_only ||
           str_differ(a->fingerprint, b->fingerprint);
}

/* Deallocates every ref: the responder withdraws their records. Worker. */
static void drop_refs(struct disc *d)
{
    d->refs_gen++;
    for (int i = 0; i < N_TYPES; i++) {
        if (d->refs[i])
            DNSServiceRefDeallocate(d->refs[i]);
        d->refs[i] = NULL;
    }
}

/* Sets *name to the next alternative name: "X" -> "X (2)" -> "X (3)".
 * Returns 0 or FERRY_ENOMEM (unchanged then). */
static int next_name(char **name)
{
    const char *s = *name;
    size_t len = strlen(s);
    unsigned n = 1;
    char *out;

    if (len >= 4 && s[len - 1] == ')') {
        size_t i = len - 2;

        while (i > 0 && s[i] >= '0' && s[i] <= '9')
            i--;
        if (i >= 1 && s[i] == '(' && s[i - 1] == ' ' && i < len - 2) {
            n = (unsigned)strtoul(s + i + 1, NULL, 10);
            len = i - 1;
        }
    }
    out = malloc(len + 16);
    if (!out)
        return FERRY_ENOMEM;
    snprintf(out, len + 16, "%.*s (%u)", (int)len, s, n + 1);
    free(*name);
    *name = out;
    return 0;
}

/* DNSServiceRegisterReply: runs on the worker, inside DNSServiceProcessResult. */
static void DNSSD_API on_register(DNSServiceRef ref, DNSServiceFlags flags,
                                  DNSServiceErrorType err, const char *name,
                                  const char *regtype, const char *domain, void *ctx)
{
    struct disc *d = ctx;

    if (err == kDNSServiceErr_NameConflict) {
        d->conflict = 1;
        return;
    }
    if (err != kDNSServiceErr_NoError) {
        d->failed = 1;
        d->failed_err = err;
        return;
    }
    /* The first registered type names the service. */
    for (int i = 0; i < N_TYPES; i++) {
        if (!d->refs[i])
            continue;
        if (d->refs[i] != ref)
            return;
        break;
    }
    if (name && str_differ(d->chosen, name)) {
        char *s = strdup(name);

        if (s) {
            srv_log(d->srv, FERRY_LOG_WARN, "mDNS: '%s' is taken; the responder renamed "
                    "it to '%s'", d->chosen ? d->chosen : "", s);
            free(d->chosen);
            d->chosen = s;
        }
    }
    d->retry_ms = RETRY_FIRST_MS;
    srv_log(d->srv, FERRY_LOG_INFO, "mDNS: advertised as '%s' (%s, port %d)",
            d->chosen ? d->chosen : "", regtype ? regtype : "", d->reg.ports[0]);
    set_state(d, DISC_PUBLISHED);
}

/* Arms the retry timer with the back-off delay. Worker. */
static void retry_later(struct disc *d)
{
    d->retry_at = now_ms() + d->retry_ms;
    d->retry_ms = d->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : d->retry_ms * 2;
}

/*
 * Builds the TXT record into t (buffer buf[0..len)). Returns 0 or a
 * kDNSServiceErr_* code.
 */
static DNSServiceErrorType make_txt(const struct want *w, TXTRecordRef *t, char *buf,
                                    uint16_t len)
{
    const char *version = ferry_version();
    const char *up = w->read_only ? "0" : "1";
    DNSServiceErrorType e;

    TXTRecordCreate(t, len, buf);
    e = TXTRecordSetValue(t, "path", 1, "/");
    if (!e)
        e = TXTRecordSetValue(t, "txtvers", 1, "1");
    if (!e)
        e = TXTRecordSetValue(t, "ferry", (uint8_t)strlen(version), version);
    if (!e)
        e = TXTRecordSetValue(t, "api", 1, "1");
    if (!e)
        e = TXTRecordSetValue(t, "up", 1, up);
    if (!e && w->fingerprint)
        e = TXTRecordSetValue(t, "fp", (uint8_t)strnlen(w->fingerprint, 255), w->fingerprint);
    return e;
}

/*
 * Registers every type with a port in d->reg under d->chosen, once. Returns
 * 0 or the kDNSServiceErr_* code (the refs are dropped then). Worker.
 */
static DNSServiceErrorType register_once(struct disc *d)
{
    char buf[512];
    TXTRecordRef txt;
    DNSServiceErrorType e;

    d->failed = d->conflict = 0;
    e = make_txt(&d->reg, &txt, buf, sizeof buf);
    for (int i = 0; i < N_TYPES && !e; i++) {
        if (d->reg.ports[i] <= 0)
            continue;
        e = DNSServiceRegister(&d->refs[i], 0, 0, d->chosen, service_types[i], NULL, NULL,
                               htons((uint16_t)d->reg.ports[i]), TXTRecordGetLength(&txt),
                               TXTRecordGetBytesPtr(&txt), on_register, d);
        if (e)
            d->refs[i] = NULL;
    }
    TXTRecordDeallocate(&txt);
    if (e)
        drop_refs(d);
    return e;
}

/*
 * Registers d->reg under d->chosen, moving on to the next name while the
 * responder reports a conflict. On failure the state is set and, when the
 * responder may come back, the retry timer armed. Worker.
 */
static void register_all(struct disc *d)
{
    DNSServiceErrorType e = register_once(d);

    for (int tries = 0; e == kDNSServiceErr_NameConflict && tries < MAX_RENAMES; tries++) {
        char *old = strdup(d->chosen);

        if (!old || next_name(&d->chosen) < 0) {
            free(old);
            e = kDNSServiceErr_NoMemory;
            break;
        }
        srv_log(d->srv, FERRY_LOG_WARN, "mDNS: '%s' is taken; renamed to '%s'", old, d->chosen);
        free(old);
        e = register_once(d);
    }
    if (!e) {
        if (d->down)
            srv_log(d->srv, FERRY_LOG_INFO, "mDNS: the responder is back");
        d->down = 0;
        d->retry_at = -1;
        set_state(d, DISC_REGISTERING);
        return;
    }
    switch (e) {
    case kDNSServiceErr_BadParam:
    case kDNSServiceErr_Unsupported:
    case kDNSServiceErr_Invalid:
    case kDNSServiceErr_BadFlags:
    case kDNSServiceErr_NoMemory:
    case kDNSServiceErr_NameConflict:
        srv_log(d->srv, FERRY_LOG_ERROR, "mDNS: cannot advertise '%s' (port %d): dns_sd "
                "error %d; giving up", d->chosen, d->reg.ports[0], (int)e);
        set_state(d, DISC_FAILED);
        return;
    default:
        if (!d->down)
            srv_log(d->srv, FERRY_LOG_WARN, "mDNS: the responder is not running (dns_sd "
                    "error %d); retrying in the background", (int)e);
        d->down = 1;
        set_state(d, DISC_CONNECTING);
        retry_later(d);
    }
}

/*
 * Makes the registered records what `w` asks for: withdraws, registers, or
 * registers again with a new port, name or TXT. Worker.
 */
static void apply(struct disc *d, const struct want *w)
{
    int any = 0;

    for (int i = 0; i < N_TYPES; i++)
        any |= w->ports[i] > 0;
    if (!w->on || !any) {
        if (d->refs[0] || d->refs[1])
            srv_log(d->srv, FERRY_LOG_INFO, "mDNS: withdrawing '%s'", d->chosen);
        drop_refs(d);
        d->retry_at = -1;
        d->reg.on = 0;
        set_state(d, DISC_WITHDRAWN);
        return;
    }
    if (d->reg.on && !want_differ(&d->reg, w) && (d->refs[0] || d->refs[1] ||
                                                   d->retry_at >= 0))
        return; /* registered (or waiting to retry) with these records already */
    if (!d->chosen || str_differ(d->reg.name, w->name)) {
        char *s = strdup(w->name);

        if (!s)
            goto nomem;
        free(d->chosen);
        d->chosen = s;
    }
    if (want_copy(&d->reg, w) < 0)
        goto nomem;
    drop_refs(d);
    register_all(d);
    return;
nomem:
    srv_log(d->srv, FERRY_LOG_ERROR, "mDNS: out of memory");
    set_state(d, DISC_FAILED);
}

/* After DNSServiceProcessResult: handles what the callbacks reported. */
static void after_callbacks(struct disc *d)
{
    if (d->conflict) {
        /* reported late (not by DNSServiceRegister): same as at once */
        char *old = strdup(d->chosen);

        drop_refs(d);
        if (!old || next_name(&d->chosen) < 0) {
            free(old);
            srv_log(d->srv, FERRY_LOG_ERROR, "mDNS: out of memory");
            set_state(d, DISC_FAILED);
            return;
        }
        srv_log(d->srv, FERRY_LOG_WARN, "mDNS: '%s' is taken; renamed to '%s'", old, d->chosen);
        free(old);
        register_all(d);
    } else if (d->failed) {
        srv_log(d->srv, FERRY_LOG_WARN, "mDNS: the responder dropped '%s' (dns_sd error %d); "
                "registering again", d->chosen, (int)d->failed_err);
        drop_refs(d);
        d->failed = 0;
        d->down = 1;
        set_state(d, DISC_CONNECTING);
        retry_later(d);
    }
}

/* The worker: applies what is wanted, serves the refs, retries. */
static void *worker(void *arg)
{
    struct disc *d = arg;
    struct want snap = {0};
    sigset_t all;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&d->lock);
    while (!d->quit) {
        struct pollfd pfd[1 + N_TYPES];
        DNSServiceRef polled[N_TYPES] = {NULL};
        unsigned long gen = d->gen;
        unsigned refs_gen;
        int n = 1, timeout = -1, rc;

        if (gen != d->applied) {
            rc = want_copy(&snap, &d->want);
            pthread_mutex_unlock(&d->lock);
            if (rc == 0)
                apply(d, &snap);
            pthread_mutex_lock(&d->lock);
            d->applied = gen;
            pthread_cond_broadcast(&d->applied_cond);
            continue; /* more may have come meanwhile */
        }
        pthread_mutex_unlock(&d->lock);

        if (d->retry_at >= 0 && now_ms() >= d->retry_at) {
            d->retry_at = -1;
            drop_refs(d);
            register_all(d);
        }
        pfd[0] = (struct pollfd){.fd = d->wake[0], .events = POLLIN};
        for (int i = 0; i < N_TYPES; i++) {
            if (!d->refs[i])
                continue;
            polled[i] = d->refs[i];
            pfd[n++] = (struct pollfd){.fd = DNSServiceRefSockFD(d->refs[i]), .events = POLLIN};
        }
        if (d->retry_at >= 0) {
            long long left = d->retry_at - now_ms();

            timeout = left < 0 ? 0 : (int)left;
        }
        refs_gen = d->refs_gen;
        rc = poll(pfd, (nfds_t)n, timeout);
        if (rc > 0) {
            char drain[64];

            if (pfd[0].revents & POLLIN)
                while (read(d->wake[0], drain, sizeof drain) > 0) {
                }
            for (int i = 0, k = 1; i < N_TYPES; i++) {
                if (!polled[i])
                    continue;
                /* a callback may have replaced the refs: their fds were not polled */
                if (pfd[k++].revents && d->refs_gen == refs_gen) {
                    DNSServiceErrorType e = DNSServiceProcessResult(d->refs[i]);

                    if (e && !d->failed) {
                        d->failed = 1;
                        d->failed_err = e;
                    }
                    after_callbacks(d);
                }
            }
        }
        pthread_mutex_lock(&d->lock);
    }
    pthread_mutex_unlock(&d->lock);
    want_clear(&snap);
    return NULL;
}

/* Wakes the worker. Never blocks (the pipe is non-blocking; a full pipe
 * wakes it as well). */
static void wake(struct disc *d)
{
    ssize_t w = write(d->wake[1], "w", 1);

    (void)w;
}

/*
 * Records `w` (or only the on flag when w is NULL) as wanted and wakes the
 * worker; with `wait`, waits until it has acted on it, at most
 * WAIT_APPLIED_MS. Returns 0 or FERRY_ENOMEM.
 */
static int request(struct disc *d, const struct want *w, int on, int wait)
{
    struct timespec until;
    unsigned long gen;
    int rc = 0;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += (long)WAIT_APPLIED_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
    }
    pthread_mutex_lock(&d->lock);
    if (w) {
        struct want copy = {0};

        rc = want_copy(&copy, w);
        if (rc == 0) {
            copy.on = d->want.on;
            want_clear(&d->want);
            d->want = copy;
        }
    } else {
        d->want.on = on;
    }
    gen = ++d->gen;
    wake(d);
    while (wait && d->applied < gen && !d->quit)
        if (compat_cond_timedwait(&d->applied_cond, &d->lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&d->lock);
    return rc;
}

/* Fills *w from info (strings borrowed, not copied). */
static void want_from_info(struct want *w, const struct disc_info *info)
{
    *w = (struct want){.on = 1,
                       .name = (char *)(info->name && *info->name ? info->name : "ferry"),
                       .ports = {info->port, info->tls_port},
                       .read_only = info->read_only,
                       .fingerprint = (char *)info->fingerprint};
}

/* discovery.h. Starts the worker, which registers first thing; does not
 * wait for it. Returns 0, FERRY_ENOMEM or -errno (pipe, thread). */
int disc_new(struct ferry_server *srv, const struct disc_info *info, struct disc **out)
{
    struct disc *d = calloc(1, sizeof *d);
    struct want w;
    int rc = FERRY_ENOMEM;

    *out = NULL;
    if (!d)
        return FERRY_ENOMEM;
    d->srv = srv;
    d->wake[0] = d->wake[1] = -1;
    d->retry_at = -1;
    d->retry_ms = RETRY_FIRST_MS;
    pthread_mutex_init(&d->lock, NULL);
    pthread_mutex_init(&d->status_lock, NULL);
    compat_cond_init(&d->applied_cond); /* waits take CLOCK_MONOTONIC deadlines */
    want_from_info(&w, info);
    if (want_copy(&d->want, &w) < 0)
        goto fail;
    d->chosen = strdup(d->want.name);
    if (!d->chosen)
        goto fail;
    d->gen = 1; /* the worker applies it first thing */
    set_state(d, DISC_CONNECTING);
    if (pipe(d->wake) < 0) {
        rc = -errno;
        d->wake[0] = d->wake[1] = -1;
        goto fail;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(d->wake[i], F_SETFD, FD_CLOEXEC);
        fcntl(d->wake[i], F_SETFL, O_NONBLOCK);
    }
    rc = pthread_create(&d->thread, NULL, worker, d);
    if (rc != 0) {
        srv_log(srv, FERRY_LOG_ERROR, "mDNS: cannot start the dns_sd thread: %s",
                strerror(rc));
        rc = -rc;
        goto fail;
    }
    d->thread_started = 1;
    *out = d;
    return 0;
fail:
    disc_free(d);
    return rc;
}

/* discovery.h. The worker registers again (new refs) when anything
 * advertised changed. Never waits for the worker. */
int disc_update(struct disc *d, const struct disc_info *info)
{
    struct want w;

    if (!d)
        return 0;
    want_from_info(&w, info);
    return request(d, &w, 0, 0);
}

/* discovery.h. The worker deallocates the refs (the responder withdraws);
 * waits for that at most WAIT_APPLIED_MS. */
void disc_withdraw(struct disc *d)
{
    if (d)
        request(d, NULL, 0, 1);
}

/* discovery.h. The worker registers again. Never waits for the worker. */
void disc_publish(struct disc *d)
{
    if (d)
        request(d, NULL, 1, 0);
}

/* discovery.h. Takes only status_lock: never waits for the worker. */
enum disc_state disc_status(struct disc *d, char *name, size_t len)
{
    enum disc_state st;

    pthread_mutex_lock(&d->status_lock);
    st = d->state;
    if (len)
        snprintf(name, len, "%s", d->status_name);
    pthread_mutex_unlock(&d->status_lock);
    return st;
}

/* discovery.h. Stops (joins) the worker, then deallocates the refs
 * (withdrawing them). May wait for a hung responder: the worker finishes
 * the dns_sd call it is in. */
void disc_free(struct disc *d)
{
    if (!d)
        return;
    if (d->thread_started) {
        pthread_mutex_lock(&d->lock);
        d->quit = 1;
        wake(d);
        pthread_mutex_unlock(&d->lock);
        pthread_join(d->thread, NULL);
    }
    drop_refs(d); /* the worker is gone: safe here */
    for (int i = 0; i < 2; i++)
        if (d->wake[i] >= 0)
            close(d->wake[i]);
    want_clear(&d->want);
    want_clear(&d->reg);
    free(d->chosen);
    pthread_cond_destroy(&d->applied_cond);
    pthread_mutex_destroy(&d->lock);
    pthread_mutex_destroy(&d->status_lock);
    free(d);
}
