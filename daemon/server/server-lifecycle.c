/*
 * server-lifecycle.c — where the server meets the lifecycle engine: the
 * actions the engine asks of the server (close and reopen the listener, end
 * the open connections, withdraw and re-advertise), the tracking of
 * connection sockets that makes ending them possible, and the public
 * lifecycle calls of ferry.h.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conn-limit.h"
#include "engine.h"
#include "listener.h"
#include "port-none.h"
#include "registry.h"
#include "server.h"
#include "thumb-jobs.h"
#include "tls.h"
#include "tus-store.h"

void srv_track_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    struct ferry_server *srv = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    int fd = ci ? ci->connect_fd : -1;

    if (fd < 0)
        return;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED && srv->climit)
        climit_fd_closed(srv->climit, fd); /* before MHD closes fd */
    pthread_mutex_lock(&srv->conns_lock);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        if (srv->n_conns == srv->cap_conns) {
            size_t cap = srv->cap_conns ? srv->cap_conns * 2 : 64;
            int *v = realloc(srv->conns, cap * sizeof *v);

            if (!v) { /* untracked: it just won't be ended early */
                pthread_mutex_unlock(&srv->conns_lock);
                return;
            }
            srv->conns = v;
            srv->cap_conns = cap;
        }
        srv->conns[srv->n_conns++] = fd;
    } else {
        /* MHD notifies before it closes the fd, so it cannot be reused yet. */
        for (size_t i = 0; i < srv->n_conns; i++) {
            if (srv->conns[i] == fd) {
                srv->conns[i] = srv->conns[--srv->n_conns];
                break;
            }
        }
    }
    pthread_mutex_unlock(&srv->conns_lock);
}

/* Engine op: the listener closes (before suspension or in the background). */
static void op_quiesce(void *ctx)
{
    srv_unlisten(ctx);
}

/*
 * Engine op: listen again. The old sockets are closed first even when they
 * look open: a suspended iOS app's listener is defunct and accepts nothing.
 * With them closed, a change of addresses is taken in (srv_network_refresh).
 */
static int op_rebind(void *ctx)
{
    struct ferry_server *srv = ctx;
    int moved, rc;

    srv_unlisten(srv);
    moved = srv_network_refresh(srv); /* a new certificate, if addresses moved */
    rc = srv_listen(srv, 1);
    if (rc == 0 && moved)
        srv_network_announce(srv); /* the new URLs */
    return rc;
}

/*
 * Engine op: end every open connection. TLS connections end first (with a
 * close_notify; the TLS sessions are kept, so clients resume them after a
 * suspension); thumbnails being made for suspended connections stop, and
 * those connections are resumed, so that libmicrohttpd sees them end.
 * shutdown() wakes libmicrohttpd, which then closes the connection as it
 * would any that failed; the client sees the stream end and resumes by
 * Range.
 */
static void op_close_connections(void *ctx)
{
    struct ferry_server *srv = ctx;
    size_t n;

    tls_front_close_all(srv->tls_front);
    thumb_jobs_cancel(srv->thumbs); /* suspended connections see no shutdown() */
    pthread_mutex_lock(&srv->conns_lock);
    n = srv->n_conns;
    for (size_t i = 0; i < srv->n_conns; i++)
        shutdown(srv->conns[i], SHUT_RDWR);
    pthread_mutex_unlock(&srv->conns_lock);
    srv_log(srv, FERRY_LOG_INFO, "lifecycle: ended %zu open connection%s", n,
            n == 1 ? "" : "s");
}

/* Engine op: withdraw the mDNS record before suspension or sleep. */
static void op_withdraw(void *ctx)
{
    struct ferry_server *srv = ctx;

    if (srv->disc)
        disc_withdraw(srv->disc);
}

/* Engine op: advertise again, on the port the rebind got. */
static void op_readvertise(void *ctx)
{
    struct ferry_server *srv = ctx;
    struct disc_info info;

    if (!srv->disc)
        return;
    srv_disc_info(srv, &info);
    disc_update(srv->disc, &info);
    disc_publish(srv->disc);
}

static void op_log(void *ctx, enum ferry_log_level level, const char *line)
{
    srv_log(ctx, level, "%s", line);
}

/* Engine op: whether the listener is open and no accept thread reported it
 * dead (srv_listener_died clears `listening`). */
static int op_listener_alive(void *ctx)
{
    struct ferry_server *srv = ctx;

    return __atomic_load_n(&srv->listening, __ATOMIC_ACQUIRE);
}

/* The rebinder thread: waits for srv_listener_died(), then posts
 * NETWORK_CHANGED (which rebinds in FG, FIN and LIN; nothing in QUIET,
 * where no listener should be open), until stopping. It cannot be the
 * accept thread itself: the rebind joins that thread. Started on the first
 * death, joined by srv_lifecycle_stopping(). */
static void *rebinder_main(void *arg)
{
    struct ferry_server *srv = arg;

    pthread_mutex_lock(&srv->rebind_lock);
    for (;;) {
        while (!srv->rebinder_again && !srv->rebinder_off)
            pthread_cond_wait(&srv->rebind_cv, &srv->rebind_lock);
        if (srv->rebinder_off)
            break;
        srv->rebinder_again = 0;
        pthread_mutex_unlock(&srv->rebind_lock);
        srv_log(srv, FERRY_LOG_WARN, "lifecycle: a listening socket died: listening again");
        ferry_server_post_event(srv, FERRY_EVENT_NETWORK_CHANGED);
        pthread_mutex_lock(&srv->rebind_lock);
    }
    pthread_mutex_unlock(&srv->rebind_lock);
    return NULL;
}

void srv_listener_died(struct ferry_server *srv)
{
    __atomic_store_n(&srv->listening, 0, __ATOMIC_RELEASE);
    pthread_mutex_lock(&srv->rebind_lock);
    if (!srv->rebinder_off) {
        srv->rebinder_again = 1;
        if (!srv->rebinder_started &&
            pthread_create(&srv->rebinder, NULL, rebinder_main, srv) == 0)
            srv->rebinder_started = 1;
        pthread_cond_signal(&srv->rebind_cv);
    }
    pthread_mutex_unlock(&srv->rebind_lock);
}

void srv_lifecycle_stopping(struct ferry_server *srv)
{
    int join;

    pthread_rwlock_rdlock(&srv->engine_lock);
    if (srv->engine)
        lc_engine_end_all(srv->engine);
    pthread_rwlock_unlock(&srv->engine_lock);
    pthread_mutex_lock(&srv->rebind_lock);
    srv->rebinder_off = 1;
    join = srv->rebinder_started;
    srv->rebinder_started = 0;
    pthread_cond_signal(&srv->rebind_cv);
    pthread_mutex_unlock(&srv->rebind_lock);
    if (join)
        pthread_join(srv->rebinder, NULL);
}

int srv_lifecycle_start(struct ferry_server *srv)
{
    struct lc_engine_config ec = {
        .ops = {.ctx = srv, .quiesce = op_quiesce, .rebind = op_rebind,
                .close_connections = op_close_connections, .withdraw = op_withdraw,
                .readvertise = op_readvertise, .log = op_log,
                .listener_alive = op_listener_alive},
        .registry = srv->registry,
        .state_dir_fd = srv->state_fd,
        .linger_ms = srv->cfg.linger_ms,
        .silent = srv->cfg.suspend_model == FERRY_SUSPEND_SILENT,
        .start_in_background = srv->cfg.start_in_background,
    };
    int rc;

    pthread_mutex_lock(&srv->rebind_lock);
    srv->rebinder_off = 0;
    srv->rebinder_again = 0;
    pthread_mutex_unlock(&srv->rebind_lock);
    if (!srv->have_os && !srv->none) {
        rc = lc_port_none_new(srv, &srv->none);
        if (rc < 0)
            return rc;
    }
    ec.port = srv->have_os ? &srv->os : lc_port_none_port(srv->none);
    rc = lc_engine_new(&ec, &srv->engine);
    if (rc < 0)
        return rc;
    lc_engine_restore(srv->engine); /* a cold start: the journal is the truth */
    return 0;
}

void srv_lifecycle_stop(struct ferry_server *srv)
{
    struct lc_engine *e;

    /* No post may run on an engine being freed: wait for them, then hide it. */
    pthread_rwlock_wrlock(&srv->engine_lock);
    e = srv->engine;
    srv->engine = NULL;
    pthread_rwlock_unlock(&srv->engine_lock);
    lc_engine_free(e);
    lc_port_none_free(srv->none);
    srv->none = NULL;
}

int ferry_server_set_port(ferry_server *srv, const ferry_port *port)
{
    if (srv->engine)
        return FERRY_ESTATE;
    if (!port || !port->now_ms || !port->begin_assertion || !port->end_assertion ||
        !port->arm_timer)
        return FERRY_EINVAL_CONFIG;
    srv->os = *port;
    srv->have_os = 1;
    return 0;
}

int ferry_server_post_event(ferry_server *srv, enum ferry_event ev)
{
    int rc = FERRY_ESTATE;

    if (ev < FERRY_EVENT_BACKGROUND || ev > FERRY_EVENT_TIMER)
        return FERRY_EINVAL_CONFIG;
    if (!srv)
        return FERRY_ESTATE;
    pthread_rwlock_rdlock(&srv->engine_lock);
    if (srv->engine)
        rc = lc_engine_post(srv->engine, (enum lc_input)ev);
    /* Uploads that expired while the process slept go now (and their
     * entries that the restored journal brought back). No timer: ferry
     * does not wake up when idle. FOREGROUND too: iOS never posts
     * RESUMED. */
    if (srv->engine && (ev == FERRY_EVENT_RESUMED || ev == FERRY_EVENT_FOREGROUND))
        tus_store_sweep(srv->tus);
    pthread_rwlock_unlock(&srv->engine_lock);
    return rc;
}

enum ferry_state ferry_server_state(const ferry_server *srv)
{
    enum ferry_state st = FERRY_STATE_FOREGROUND;

    pthread_rwlock_rdlock((pthread_rwlock_t *)&srv->engine_lock);
    if (srv->engine)
        st = lc_engine_state(srv->engine);
    pthread_rwlock_unlock((pthread_rwlock_t *)&srv->engine_lock);
    return st;
}

int ferry_server_transfers(ferry_server *srv, ferry_transfer **list, size_t *n)
{
    return lc_registry_snapshot(srv->registry, 1, list, n);
}

/* The host API (ferry.h, "host API"): thin, named entry points over the
 * engine; every contract is written there. */
int ferry_host_app_state(ferry_server *srv, enum ferry_app_state st)
{
    switch (st) {
    case FERRY_APP_ACTIVE:
        return ferry_server_post_event(srv, FERRY_EVENT_FOREGROUND);
    case FERRY_APP_BACKGROUND:
        return ferry_server_post_event(srv, FERRY_EVENT_BACKGROUND);
    case FERRY_APP_INACTIVE: { /* nothing changes: only say whether running */
        int rc = FERRY_ESTATE;

        if (!srv)
            return rc;
        pthread_rwlock_rdlock(&srv->engine_lock);
        if (srv->engine)
            rc = 0;
        pthread_rwlock_unlock(&srv->engine_lock);
        return rc;
    }
    }
    return FERRY_EINVAL_CONFIG;
}

int ferry_host_assertion_expiring(ferry_server *srv, uint64_t id)
{
    int rc = FERRY_ENOTFOUND;

    if (!srv)
        return rc;
    pthread_rwlock_rdlock(&srv->engine_lock);
    if (srv->engine)
        rc = lc_engine_expiring(srv->engine, id);
    pthread_rwlock_unlock(&srv->engine_lock);
    return rc;
}

int ferry_host_protected_data(ferry_server *srv, int available)
{
    int rc = FERRY_ESTATE;

    if (!srv)
        return rc;
    pthread_rwlock_rdlock(&srv->engine_lock);
    if (srv->engine) {
        __atomic_store_n(&srv->data_locked, !available, __ATOMIC_RELEASE);
        if (available)
            lc_engine_retry_restore(srv->engine);
        else
            lc_engine_snapshot(srv->engine);
        rc = 0;
    }
    pthread_rwlock_unlock(&srv->engine_lock);
    return rc;
}

int ferry_host_network_changed(ferry_server *srv)
{
    return ferry_server_post_event(srv, FERRY_EVENT_NETWORK_CHANGED);
}

int ferry_host_will_terminate(ferry_server *srv)
{
    return ferry_server_post_event(srv, FERRY_EVENT_WILL_TERMINATE);
}

int ferry_host_timer(ferry_server *srv)
{
    return ferry_server_post_event(srv, FERRY_EVENT_TIMER);
}
