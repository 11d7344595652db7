/*
 * discovery-avahi.c — the discovery backend of Linux: the Avahi client
 * (avahi-daemon over the system D-Bus), run by an AvahiThreadedPoll of its
 * own.
 *
 * A struct disc owns: the poll thread, the client, one entry group holding
 * the _http._tcp (and _https._tcp) services, a retry timer, a wake pipe
 * watched by the poll, and copies of what is advertised. Everything but the
 * request and the status copy is touched only by the poll thread (or with
 * the poll's lock held, before it runs and after it stopped).
 *
 * The disc_* calls never take the poll's lock: the poll thread holds it
 * through every D-Bus round trip, and a hung (not dead) avahi-daemon keeps
 * it there up to libdbus's 25 s, far past the OS's warning window in which
 * the lifecycle withdraws. A call only records what is wanted (`req`, under
 * `req_lock`), writes a byte into the wake pipe and returns; on_wake, in the
 * poll thread, applies it. disc_withdraw() alone then waits, at most
 * WAIT_APPLIED_MS, until it has been applied, so that the goodbyes normally
 * are on their way when it returns.
 *
 * How it keeps going:
 *  - avahi-daemon not running: the client is made with AVAHI_CLIENT_NO_FAIL
 *    and waits (state "connecting") until the daemon appears.
 *  - avahi-daemon restarted, or the bus connection lost (the fake OS's
 *    socket reclaim does that too): the client fails with
 *    AVAHI_ERR_DISCONNECTED and does not come back by itself; it is freed
 *    and made again from the retry timer (at once), outside its callback.
 *  - the system bus itself gone: avahi_client_new fails even with NO_FAIL;
 *    the timer retries after 1 s, doubling up to 30 s, until it works.
 *  - a name collision (another device, or another program of this host):
 *    the next alternative name ("Files on hal #2") in the same entry group.
 * Each change is logged once. Idle (published, withdrawn, or waiting for
 * the daemon) the timer is off and the thread sleeps in poll(). Withdrawn,
 * nothing is retried: a connection lost meanwhile (the fake OS's socket
 * reclaim on suspension) is made again after disc_publish(). Only a wanted
 * service with the bus gone wakes the thread, at most every 30 s.
 */
#include "config.h"

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <avahi-common/thread-watch.h>
#include <avahi-common/timeval.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#define MAX_LOCAL_RENAMES 32 /* alternative names tried in one go */
#define WAIT_APPLIED_MS DISC_WAIT_MAX_MS /* the longest disc_withdraw() waits */

/* What the callers want advertised (a copy of their disc_info). */
struct request {
    int want;                  /* 0 after disc_withdraw() */
    char *name;                /* never NULL */
    int port, tls_port, read_only;
    char *fingerprint;         /* or NULL */
};

struct disc {
    struct ferry_server *srv;  /* for logging only */
    AvahiThreadedPoll *poll;
    const AvahiPoll *api;
    AvahiClient *client;       /* NULL while the bus is unreachable */
    AvahiEntryGroup *group;    /* NULL until first needed; freed with client */
    AvahiTimeout *retry;       /* reconnect / re-register; off when idle */
    int retry_ms;              /* next back-off delay */
    int bus_down;              /* avahi_client_new failed (logged once) */
    int lost;                  /* the client failed; recreate it */
    AvahiWatch *wake_watch;    /* on wake[0]: on_wake applies `req` */
    int wake[2];               /* non-blocking pipe (not a socket: no reclaim) */

    /* what the callers asked for: req_lock; never held across an Avahi call */
    pthread_mutex_t req_lock;
    pthread_cond_t applied_cond;
    struct request req;
    unsigned long gen;         /* bumped by every disc_* call */
    unsigned long applied;     /* the gen on_wake has applied */

    /* what is applied (poll thread) */
    int want;                  /* 0 after disc_withdraw() */
    char *req_name;            /* the name asked for */
    char *name;                /* in use: req_name or an alternative */
    int port, tls_port, read_only;
    char *fingerprint;         /* or NULL */

    /* what disc_status() reports */
    pthread_mutex_t status_lock;
    enum disc_state state;     /* poll lock to write; status_lock too */
    char status_name[256];
};

/* discovery.h: "avahi". */
const char *disc_backend(void)
{
    return "avahi";
}

/* Publishes the state and the name in use to disc_status(). Poll lock held
 * (or disc_new before the thread runs). */
static void set_state(struct disc *d, enum disc_state st)
{
    pthread_mutex_lock(&d->status_lock);
    d->state = st;
    snprintf(d->status_name, sizeof d->status_name, "%s", d->name ? d->name : "");
    pthread_mutex_unlock(&d->status_lock);
}

/* Arms the retry timer `ms` from now. Poll lock held. */
static void arm_retry(struct disc *d, int ms)
{
    struct timeval tv;

    d->api->timeout_update(d->retry, avahi_elapse_time(&tv, (unsigned)ms, 0));
}

/* The TXT records of ferry's services, or NULL when out of memory. */
static AvahiStringList *make_txt(const struct disc *d)
{
    AvahiStringList *l = avahi_string_list_new("path=/", "txtvers=1", "api=1", NULL);

    if (l)
        l = avahi_string_list_add_printf(l, "ferry=%s", ferry_version());
    if (l)
        l = avahi_string_list_add_printf(l, "up=%d", d->read_only ? 0 : 1);
    if (l && d->fingerprint)
        l = avahi_string_list_add_printf(l, "fp=%s", d->fingerprint);
    return l;
}

/* The AvahiEntryGroupCallback, defined below. */
static void on_group(AvahiEntryGroup *g, AvahiEntryGroupState state, void *user);

/*
 * Takes the next alternative name ("X" -> "X #2" -> "X #3") and logs why,
 * `where` being "on the network" or "by another program here". Returns 0
 * or FERRY_ENOMEM (the name is unchanged then). Poll lock held.
 */
static int rename_alternative(struct disc *d, const char *where)
{
    char *alt = avahi_alternative_service_name(d->name);
    char *mine = alt ? strdup(alt) : NULL;

    avahi_free(alt);
    if (!mine)
        return FERRY_ENOMEM;
    srv_log(d->srv, FERRY_LOG_WARN, "mDNS: '%s' is taken %s; renamed to '%s'", d->name,
            where, mine);
    free(d->name);
    d->name = mine;
    return 0;
}

/*
 * Adds the services to the (empty) entry group under d->name and commits.
 * A name already used on this host (AVAHI_ERR_COLLISION) moves on to the
 * next alternative name. Returns 0 or an AVAHI_ERR_* (< 0). Poll lock held.
 */
static int add_services(struct disc *d)
{
    static const char *const types[] = {"_http._tcp", "_https._tcp"};
    const int ports[] = {d->port, d->tls_port};
    AvahiStringList *txt = make_txt(d);
    int rc = AVAHI_ERR_NO_MEMORY;

    if (!txt)
        goto fail;
    for (int tries = 0; tries < MAX_LOCAL_RENAMES; tries++) {
        rc = AVAHI_OK;
        for (size_t i = 0; i < 2 && rc == AVAHI_OK; i++)
            if (ports[i] > 0)
                rc = avahi_entry_group_add_service_strlst(
                    d->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, d->name, types[i],
                    NULL, NULL, (uint16_t)ports[i], txt);
        if (rc != AVAHI_ERR_COLLISION)
            break;
        avahi_entry_group_reset(d->group);
        if (rename_alternative(d, "by another program here") < 0) {
            rc = AVAHI_ERR_NO_MEMORY;
            goto fail;
        }
    }
    if (rc == AVAHI_OK)
        rc = avahi_entry_group_commit(d->group);
fail:
    avahi_string_list_free(txt);
    return rc;
}

/* After a failure: logs it, and arms the timer with the back-off delay. */
static void retry_later(struct disc *d, const char *what, int err)
{
    srv_log(d->srv, FERRY_LOG_ERROR, "mDNS: %s '%s' (port %d): %s; retrying in %d s", what,
            d->name, d->port, avahi_strerror(err), d->retry_ms / 1000);
    set_state(d, DISC_FAILED);
    arm_retry(d, d->retry_ms);
    d->retry_ms = d->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : d->retry_ms * 2;
}

/*
 * Brings the responder in line with what is wanted: withdraws the group,
 * or fills and commits it when it is empty and the client runs. Does
 * nothing while the client is not running (its callback calls again).
 * Poll lock held.
 */
static void sync_services(struct disc *d)
{
    int rc;

    if (!d->want || (d->port <= 0 && d->tls_port <= 0)) {
        if (d->group)
            avahi_entry_group_reset(d->group);
        set_state(d, DISC_WITHDRAWN);
        return;
    }
    if (!d->client || d->lost || avahi_client_get_state(d->client) != AVAHI_CLIENT_S_RUNNING) {
        set_state(d, DISC_CONNECTING);
        return;
    }
    if (!d->group) {
        d->group = avahi_entry_group_new(d->client, on_group, d);
        if (!d->group) {
            retry_later(d, "cannot create an entry group for", avahi_client_errno(d->client));
            return;
        }
    }
    if (!avahi_entry_group_is_empty(d->group))
        return; /* committed already: its callback reports */
    rc = add_services(d);
    if (rc < 0) {
        avahi_entry_group_reset(d->group);
        retry_later(d, "cannot advertise", rc);
        return;
    }
    set_state(d, DISC_REGISTERING);
}

/* AvahiEntryGroupCallback (poll thread). */
static void on_group(AvahiEntryGroup *g, AvahiEntryGroupState state, void *user)
{
    struct disc *d = user;

    if (g != d->group)
        return; /* still being made: UNCOMMITED */
    switch (state) {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
        d->retry_ms = RETRY_FIRST_MS;
        srv_log(d->srv, FERRY_LOG_INFO, "mDNS: advertised as '%s' (_http._tcp, port %d)",
                d->name, d->port);
        set_state(d, DISC_PUBLISHED);
        break;
    case AVAHI_ENTRY_GROUP_COLLISION:
        /* Another device has the name: the next one, in the same group. */
        avahi_entry_group_reset(g);
        if (rename_alternative(d, "on the network") < 0) {
            retry_later(d, "cannot rename", AVAHI_ERR_NO_MEMORY);
            break;
        }
        sync_services(d);
        break;
    case AVAHI_ENTRY_GROUP_FAILURE:
        /* on_retry frees the failed group and makes a new one */
        retry_later(d, "avahi-daemon refused",
                    avahi_client_errno(avahi_entry_group_get_client(g)));
        break;
    case AVAHI_ENTRY_GROUP_UNCOMMITED:
    case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
}

/* AvahiClientCallback (poll thread; also from inside avahi_client_new). */
static void on_client(AvahiClient *c, AvahiClientState state, void *user)
{
    struct disc *d = user;

    d->client = c; /* the first call may come before avahi_client_new returns */
    switch (state) {
    case AVAHI_CLIENT_S_RUNNING:
        srv_log(d->srv, FERRY_LOG_INFO, "mDNS: connected to avahi-daemon");
        sync_services(d);
        break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
        /* The daemon is (re)establishing its host name: ours go back after. */
        if (d->group)
            avahi_entry_group_reset(d->group);
        if (d->want)
            set_state(d, DISC_REGISTERING);
        break;
    case AVAHI_CLIENT_CONNECTING:
        srv_log(d->srv, FERRY_LOG_WARN, "mDNS: avahi-daemon is not running; "
                "advertising as soon as it starts");
        if (d->want)
            set_state(d, DISC_CONNECTING);
        break;
    case AVAHI_CLIENT_FAILURE:
        /* NO_FAIL does not reconnect after a disconnection: a new client,
         * made from the timer, outside this callback. */
        srv_log(d->srv, FERRY_LOG_WARN,
                "mDNS: lost the connection to avahi-daemon (%s); reconnecting",
                avahi_strerror(avahi_client_errno(c)));
        d->lost = 1;
        if (d->want) {
            set_state(d, DISC_CONNECTING);
            arm_retry(d, 0);
        } /* else: reconnected by disc_publish(), nothing runs meanwhile */
        break;
    }
}

/*
 * Frees the client (and with it the group), if any, and makes a new one.
 * When the bus cannot be reached, arms the retry timer with the back-off
 * delay. Poll lock held, outside any client callback.
 */
static void connect_client(struct disc *d)
{
    int err = 0;
    AvahiClient *c;

    if (d->client) {
        avahi_client_free(d->client); /* frees the group too */
        d->client = NULL;
        d->group = NULL;
    }
    d->lost = 0;
    c = avahi_client_new(d->api, AVAHI_CLIENT_NO_FAIL, on_client, d, &err);
    if (!c) {
        if (!d->bus_down)
            srv_log(d->srv, FERRY_LOG_WARN, "mDNS: the system D-Bus is not reachable (%s); "
                    "retrying in the background", avahi_strerror(err));
        d->bus_down = 1;
        d->client = NULL; /* on_client may have seen it */
        if (d->want) { /* withdrawn: no retries until disc_publish() */
            set_state(d, DISC_CONNECTING);
            arm_retry(d, d->retry_ms);
            d->retry_ms = d->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : d->retry_ms * 2;
        }
        return;
    }
    if (d->bus_down)
        srv_log(d->srv, FERRY_LOG_INFO, "mDNS: the system D-Bus is back");
    d->bus_down = 0;
    d->retry_ms = RETRY_FIRST_MS;
    d->client = c;
}

/* AvahiTimeoutCallback (poll thread): reconnects or re-registers. */
static void on_retry(AvahiTimeout *t, void *user)
{
    struct disc *d = user;

    d->api->timeout_update(t, NULL);
    if (!d->want)
        return; /* withdrawn meanwhile: disc_publish() starts again */
    if (!d->client || d->lost) {
        connect_client(d);
        return;
    }
    if (d->group && avahi_entry_group_get_state(d->group) == AVAHI_ENTRY_GROUP_FAILURE) {
        avahi_entry_group_free(d->group);
        d->group = NULL;
    }
    sync_services(d);
}

/* Whether two optional strings differ. */
static int str_differ(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/*
 * Copies what `info` asks for into d's applied copies. Returns 1 if anything
 * advertised changed, 0 if not, or FERRY_ENOMEM (d unchanged then). A new
 * name replaces the one in use; the same name keeps an alternative picked
 * after a collision. Poll lock held (or before the thread runs).
 */
static int copy_info(struct disc *d, const struct request *info)
{
    const char *name = info->name;
    int new_name = str_differ(d->req_name, name);
    int changed = new_name || str_differ(d->fingerprint, info->fingerprint) ||
                  d->port != info->port || d->tls_port != info->tls_port ||
                  d->read_only != info->read_only;
    char *req = NULL, *cur = NULL, *fp = NULL;

    if (!changed)
        return 0;
    if (!(req = strdup(name)) || !(cur = strdup(name)) ||
        (info->fingerprint && !(fp = strdup(info->fingerprint)))) {
        free(req);
        free(cur);
        return FERRY_ENOMEM;
    }
    if (new_name) {
        free(d->name);
        d->name = cur;
        cur = NULL;
    }
    free(cur);
    free(d->req_name);
    d->req_name = req;
    free(d->fingerprint);
    d->fingerprint = fp;
    d->port = info->port;
    d->tls_port = info->tls_port;
    d->read_only = info->read_only;
    return 1;
}

/* Frees the strings of *r and zeroes it. */
static void request_clear(struct request *r)
{
    free(r->name);
    free(r->fingerprint);
    memset(r, 0, sizeof *r);
}

/*
 * Fills *r (cleared first by the caller) with copies of info's records,
 * keeping r->want. Returns 0 or FERRY_ENOMEM (*r holds no strings then).
 */
static int request_from_info(struct request *r, const struct disc_info *info)
{
    const char *name = info->name && *info->name ? info->name : "ferry";

    r->name = strdup(name);
    r->fingerprint = info->fingerprint ? strdup(info->fingerprint) : NULL;
    if (!r->name || (info->fingerprint && !r->fingerprint)) {
        free(r->name);
        free(r->fingerprint);
        r->name = r->fingerprint = NULL;
        return FERRY_ENOMEM;
    }
    r->port = info->port;
    r->tls_port = info->tls_port;
    r->read_only = info->read_only;
    return 0;
}

/*
 * Brings d in line with `r`: when the records changed the group is emptied
 * and filled again (a new probe); wanted again, it reconnects first if the
 * connection was lost while withdrawn; withdrawn, the group is reset (avahi
 * sends the goodbyes). Poll thread (poll lock held), outside any client
 * callback.
 */
static void apply_request(struct disc *d, const struct request *r)
{
    int changed = copy_info(d, r);

    if (changed < 0)
        srv_log(d->srv, FERRY_LOG_ERROR, "mDNS: out of memory; advertising what was before");
    if (changed > 0 && d->group)
        avahi_entry_group_reset(d->group); /* re-added with the new port/TXT */
    if (r->want && !d->want) {
        d->want = 1;
        d->retry_ms = RETRY_FIRST_MS;
        if (!d->client || d->lost) {
            connect_client(d); /* nothing was retried while withdrawn */
            sync_services(d);
            return;
        }
    } else if (!r->want && d->want) {
        srv_log(d->srv, FERRY_LOG_INFO, "mDNS: withdrawing '%s'", d->name);
        d->want = 0;
    } else if (changed > 0 && d->want) {
        srv_log(d->srv, FERRY_LOG_INFO, "mDNS: advertising '%s' again on port %d", d->name,
                d->port);
    } else if (changed <= 0) {
        return; /* nothing new */
    }
    sync_services(d);
}

/*
 * AvahiWatchCallback (poll thread) on the wake pipe: drains it, takes a copy
 * of what the callers asked for, applies it, and tells a waiting
 * disc_withdraw(). req_lock is held only to copy and to mark applied.
 */
static void on_wake(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *user)
{
    struct disc *d = user;
    struct request snap = {0};
    unsigned long gen;
    char drain[64];
    int rc = 0, stale;

    (void)w;
    (void)ev;
    while (read(fd, drain, sizeof drain) > 0) {
    }
    pthread_mutex_lock(&d->req_lock);
    gen = d->gen;
    stale = gen == d->applied;
    if (!stale) {
        snap.want = d->req.want;
        snap.name = strdup(d->req.name);
        snap.fingerprint = d->req.fingerprint ? strdup(d->req.fingerprint) : NULL;
        snap.port = d->req.port;
        snap.tls_port = d->req.tls_port;
        snap.read_only = d->req.read_only;
        if (!snap.name || (d->req.fingerprint && !snap.fingerprint))
            rc = FERRY_ENOMEM;
    }
    pthread_mutex_unlock(&d->req_lock);
    if (stale)
        return; /* a byte of a request applied already */
    if (rc == 0) {
        apply_request(d, &snap);
    } else {
        /* without the copies, at least withdraw or publish as asked */
        struct request r = {.want = snap.want, .name = d->req_name, .port = d->port,
                            .tls_port = d->tls_port, .read_only = d->read_only,
                            .fingerprint = d->fingerprint};

        srv_log(d->srv, FERRY_LOG_ERROR, "mDNS: out of memory; keeping the records as they were");
        apply_request(d, &r);
    }
    request_clear(&snap);
    pthread_mutex_lock(&d->req_lock);
    d->applied = gen;
    pthread_cond_broadcast(&d->applied_cond);
    pthread_mutex_unlock(&d->req_lock);
}

/*
 * Sends the wake byte to on_wake. Never blocks: the pipe is non-blocking,
 * and a full pipe wakes the thread as well.
 */
static void wake(struct disc *d)
{
    ssize_t n = write(d->wake[1], "w", 1);

    (void)n;
}

/* discovery.h. Connects (or arms the retry) before the poll thread starts. */
int disc_new(struct ferry_server *srv, const struct disc_info *info, struct disc **out)
{
    struct disc *d = calloc(1, sizeof *d);
    int rc = FERRY_ENOMEM;

    *out = NULL;
    if (!d)
        return FERRY_ENOMEM;
    d->srv = srv;
    d->want = 1;
    d->retry_ms = RETRY_FIRST_MS;
    d->wake[0] = d->wake[1] = -1;
    pthread_mutex_init(&d->status_lock, NULL);
    pthread_mutex_init(&d->req_lock, NULL);
    compat_cond_init(&d->applied_cond); /* waits take CLOCK_MONOTONIC deadlines */
    d->req.want = 1;
    if (request_from_info(&d->req, info) < 0 || copy_info(d, &d->req) < 0)
        goto fail;
    set_state(d, DISC_CONNECTING);
    if (pipe(d->wake) < 0) {
        rc = -errno;
        d->wake[0] = d->wake[1] = -1;
        srv_log(srv, FERRY_LOG_ERROR, "mDNS: cannot make a pipe: %s", strerror(-rc));
        goto fail;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(d->wake[i], F_SETFD, FD_CLOEXEC);
        fcntl(d->wake[i], F_SETFL, O_NONBLOCK);
    }
    d->poll = avahi_threaded_poll_new();
    if (!d->poll)
        goto fail;
    d->api = avahi_threaded_poll_get(d->poll);
    d->retry = d->api->timeout_new(d->api, NULL, on_retry, d);
    d->wake_watch = d->api->watch_new(d->api, d->wake[0], AVAHI_WATCH_IN, on_wake, d);
    if (!d->retry || !d->wake_watch)
        goto fail;
    /* The thread does not run yet: no lock needed. */
    connect_client(d);
    if (avahi_threaded_poll_start(d->poll) < 0) {
        srv_log(srv, FERRY_LOG_ERROR, "mDNS: cannot start the Avahi thread");
        goto fail;
    }
    *out = d;
    return 0;
fail:
    disc_free(d);
    return rc;
}

/*
 * Records what the callers want: the records of `info` (when not NULL,
 * keeping the want flag) or else the want flag `want`; wakes the poll
 * thread; with `wait`, waits until it has applied the request, at most
 * WAIT_APPLIED_MS. Takes only req_lock, which the poll thread never holds
 * across an Avahi call. Returns 0 or FERRY_ENOMEM (nothing recorded then).
 */
static int request(struct disc *d, const struct disc_info *info, int want, int wait)
{
    struct request r = {0};
    struct timespec until;
    unsigned long gen;

    if (info && request_from_info(&r, info) < 0)
        return FERRY_ENOMEM;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += (long)WAIT_APPLIED_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
    }
    pthread_mutex_lock(&d->req_lock);
    if (info) {
        r.want = d->req.want;
        request_clear(&d->req);
        d->req = r;
    } else {
        d->req.want = want;
    }
    gen = ++d->gen;
    wake(d);
    while (wait && d->applied < gen)
        if (compat_cond_timedwait(&d->applied_cond, &d->req_lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&d->req_lock);
    return 0;
}

/*
 * discovery.h. Records the new records and returns; the poll thread empties
 * the group and fills it again (a new probe) when anything changed. Never
 * waits for avahi-daemon.
 */
int disc_update(struct disc *d, const struct disc_info *info)
{
    return d ? request(d, info, 0, 0) : 0;
}

/*
 * discovery.h. The poll thread resets the group (avahi sends the
 * goodbyes); waits for that at most WAIT_APPLIED_MS, so it returns in time
 * even when avahi-daemon hangs.
 */
void disc_withdraw(struct disc *d)
{
    if (d)
        request(d, NULL, 0, 1);
}

/*
 * discovery.h. The poll thread reconnects first if the connection was lost
 * while withdrawn, and registers again. Never waits for avahi-daemon.
 */
void disc_publish(struct disc *d)
{
    if (d)
        request(d, NULL, 1, 0);
}

/* discovery.h. Takes only status_lock: never waits for the responder. */
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

/*
 * discovery.h. Stops (joins) the poll thread, then frees the group
 * (withdrawing it) and the client. Not from a callback. This one may wait
 * for avahi-daemon: the poll thread finishes the D-Bus call it is in.
 */
void disc_free(struct disc *d)
{
    if (!d)
        return;
    if (d->poll)
        avahi_threaded_poll_stop(d->poll); /* joins the thread: no lock needed after */
    if (d->group)
        avahi_entry_group_free(d->group); /* withdraws first */
    if (d->client)
        avahi_client_free(d->client);
    if (d->wake_watch)
        d->api->watch_free(d->wake_watch);
    if (d->retry)
        d->api->timeout_free(d->retry);
    if (d->poll)
        avahi_threaded_poll_free(d->poll);
    for (int i = 0; i < 2; i++)
        if (d->wake[i] >= 0)
            close(d->wake[i]);
    request_clear(&d->req);
    pthread_cond_destroy(&d->applied_cond);
    pthread_mutex_destroy(&d->req_lock);
    pthread_mutex_destroy(&d->status_lock);
    free(d->req_name);
    free(d->name);
    free(d->fingerprint);
    free(d);
}
