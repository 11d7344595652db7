/*
 * port-logind.c — the Linux desktop port (ferry.h, "logind port"): sleep,
 * shutdown and session idleness from systemd-logind over sd-bus, turned
 * into lifecycle events; finish-up assertions as "idle" block inhibitors.
 *
 * What it owns: one sd-bus connection to the system bus, the delay-lock fd
 * ("sleep:shutdown", mode delay), the idle-lock fd ("idle", mode block) and
 * one thread. Every bus call and every post to the server happens on that
 * thread. The ferry_port slots (called by the engine from whatever thread
 * posted, with the engine's lock held) never touch the bus: they record
 * what is wanted (an idle lock, a timer) and wake the thread through a
 * pipe. That also keeps the slots from blocking on logind while the
 * engine's lock is held.
 *
 * The thread's loop: sd_bus_process() until idle (signal callbacks only
 * record what arrived), then carry out what was recorded, in this order:
 * logind gone/back, PrepareForShutdown, PrepareForSleep, session hints,
 * the idle lock, the timer; then poll the bus fd, the wake pipe and the
 * nearest deadline. A lost bus (dbus-daemon gone) drops both locks and is
 * reconnected every RECONNECT_MS.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-login.h>

#include "compat.h"
#include "ferry.h"

#define LOGIND_NAME "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_MANAGER "org.freedesktop.login1.Manager"
#define LOGIND_SESSION "org.freedesktop.login1.Session"
#define CALL_TIMEOUT_US 2000000ull  /* one bus call: logind answers in ms */
#define DEFAULT_DELAY_MS 5000ull    /* logind's InhibitDelayMaxSec default */
#define RECONNECT_MS 2000ull

struct ferry_logind {
    ferry_port port;
    ferry_server *srv;
    ferry_logind_config cfg;
    uint64_t delay_ms;          /* InhibitDelayMaxUSec / 1000 */

    /* Shared with the slots: under lock. */
    pthread_mutex_t lock;
    uint64_t next_id;
    unsigned idle_wanted;       /* assertions held (each one is the idle lock) */
    uint64_t timer_at;          /* armed deadline, 0 = none */
    int stop;
    int wake[2];                /* pipe: the slots wake the thread */

    /* The thread's own (no lock). */
    pthread_t thread;
    int started;
    sd_bus *bus;                /* NULL while lost */
    uint64_t reconnect_at;
    int delay_fd;               /* -1 when not held */
    int idle_fd;
    int asleep;                 /* between PrepareForSleep(true) and (false) */
    int terminated;
    char *session_path;         /* our session's object, or NULL */
    int session_bg;             /* last posted: 1 background, 0 foreground */
    int hint_idle, hint_locked; /* the session's last known hints */
    /* Recorded by the bus callbacks, carried out after sd_bus_process(). */
    int sig_sleep, sig_wake, sig_shutdown, sig_hints, sig_gone, sig_back;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One log line through the configured sink. */
static void ld_log(struct ferry_logind *ld, enum ferry_log_level lv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ld_log(struct ferry_logind *ld, enum ferry_log_level lv, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (!ld->cfg.log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ld->cfg.log(ld->cfg.log_user, lv, line);
}

static void poke(struct ferry_logind *ld)
{
    char c = 1;

    if (write(ld->wake[1], &c, 1) < 0) {
        /* full: the thread is awake anyway */
    }
}

/* ---------------------------------------------------------------- slots
 * Called by the engine, on any thread, with its lock held: no bus here. */

static uint64_t slot_now(void *ctx)
{
    return mono_ms();
}

/* A finish-up (or continued) assertion is the idle block lock: granted at
 * once; the thread takes the lock on logind. */
static int slot_begin(void *ctx, enum ferry_assertion_kind kind, const char *reason,
                      uint64_t *id)
{
    struct ferry_logind *ld = ctx;

    pthread_mutex_lock(&ld->lock);
    *id = ++ld->next_id;
    ld->idle_wanted++;
    pthread_mutex_unlock(&ld->lock);
    poke(ld);
    return 0;
}

static void slot_end(void *ctx, uint64_t id)
{
    struct ferry_logind *ld = ctx;

    pthread_mutex_lock(&ld->lock);
    if (ld->idle_wanted)
        ld->idle_wanted--;
    pthread_mutex_unlock(&ld->lock);
    poke(ld);
}

static void slot_arm(void *ctx, uint64_t at_ms)
{
    struct ferry_logind *ld = ctx;

    pthread_mutex_lock(&ld->lock);
    ld->timer_at = at_ms;
    pthread_mutex_unlock(&ld->lock);
    poke(ld);
}

/* ---------------------------------------------------------------- locks */

/*
 * Takes an inhibitor lock: Inhibit(what, "ferry", why, mode). Returns an fd
 * of ours (the reply's is dup'd: the message owns it), or -1 (logged).
 */
static int take_lock(struct ferry_logind *ld, const char *what, const char *why,
                     const char *mode)
{
    sd_bus_error err = SD_BUS_ERROR_NULL;
    sd_bus_message *reply = NULL;
    int fd = -1, r;

    if (!ld->bus)
        return -1;
    r = sd_bus_call_method(ld->bus, LOGIND_NAME, LOGIND_PATH, LOGIND_MANAGER, "Inhibit",
                           &err, &reply, "ssss", what, "ferry", why, mode);
    if (r >= 0)
        r = sd_bus_message_read(reply, "h", &fd);
    if (r >= 0)
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (r < 0 || fd < 0) {
        ld_log(ld, FERRY_LOG_WARN, "logind: cannot take the %s %s lock: %s", what, mode,
               err.message ? err.message : strerror(r < 0 ? -r : errno));
        fd = -1;
    }
    sd_bus_error_free(&err);
    sd_bus_message_unref(reply);
    return fd;
}

static void drop_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void take_delay_lock(struct ferry_logind *ld)
{
    if (ld->delay_fd < 0 && !ld->terminated)
        ld->delay_fd = take_lock(ld, "sleep:shutdown",
                                 "save transfer state before sleep", "delay");
}

/* Holds the idle lock exactly while an assertion is held (and not asleep). */
static void sync_idle_lock(struct ferry_logind *ld)
{
    unsigned want;

    pthread_mutex_lock(&ld->lock);
    want = ld->idle_wanted;
    pthread_mutex_unlock(&ld->lock);
    if (want && ld->idle_fd < 0 && !ld->asleep && ld->bus) {
        ld->idle_fd = take_lock(ld, "idle", "transfers open while the session is idle",
                                "block");
        if (ld->idle_fd >= 0)
            ld_log(ld, FERRY_LOG_INFO, "logind: idle lock taken (transfers open)");
    } else if (!want && ld->idle_fd >= 0) {
        drop_fd(&ld->idle_fd);
        ld_log(ld, FERRY_LOG_INFO, "logind: idle lock released");
    }
}

/* ---------------------------------------------------------------- signals
 * Bus callbacks: record, never act (acting may call the bus or post). */

static int on_prepare_sleep(sd_bus_message *m, void *ud, sd_bus_error *e)
{
    struct ferry_logind *ld = ud;
    int b = 0;

    if (sd_bus_message_read(m, "b", &b) < 0)
        return 0;
    if (b) {
        ld->sig_sleep = 1;
        ld->sig_wake = 0;
    } else {
        ld->sig_wake = 1;
    }
    return 0;
}

static int on_prepare_shutdown(sd_bus_message *m, void *ud, sd_bus_error *e)
{
    struct ferry_logind *ld = ud;
    int b = 0;

    if (sd_bus_message_read(m, "b", &b) >= 0 && b)
        ld->sig_shutdown = 1;
    return 0;
}

static int on_owner_changed(sd_bus_message *m, void *ud, sd_bus_error *e)
{
    struct ferry_logind *ld = ud;
    const char *name, *old_owner, *new_owner;

    if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
        strcmp(name, LOGIND_NAME) != 0)
        return 0;
    if (*new_owner) {
        ld->sig_back = 1;
    } else {
        ld->sig_gone = 1;
        ld->sig_back = 0;
    }
    return 0;
}

/* PropertiesChanged on our session: picks IdleHint and LockedHint. */
static int on_session_props(sd_bus_message *m, void *ud, sd_bus_error *e)
{
    struct ferry_logind *ld = ud;
    const char *iface, *name;
    int r, v;

    if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, LOGIND_SESSION) != 0)
        return 0;
    if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
        return 0;
    while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        if (sd_bus_message_read(m, "s", &name) < 0)
            return 0;
        if ((strcmp(name, "IdleHint") == 0 || strcmp(name, "LockedHint") == 0) &&
            sd_bus_message_read(m, "v", "b", &v) >= 0) {
            if (name[0] == 'I')
                ld->hint_idle = !!v;
            else
                ld->hint_locked = !!v;
            ld->sig_hints = 1;
        } else if (sd_bus_message_skip(m, "v") < 0) {
            return 0;
        }
        if (sd_bus_message_exit_container(m) < 0)
            return 0;
    }
    return 0;
}

/* ---------------------------------------------------------------- bus */

/* Reads InhibitDelayMaxUSec (logind's budget for delay locks), in ms. */
static uint64_t read_delay_budget(struct ferry_logind *ld)
{
    sd_bus_error err = SD_BUS_ERROR_NULL;
    uint64_t us = 0;
    int r = sd_bus_get_property_trivial(ld->bus, LOGIND_NAME, LOGIND_PATH, LOGIND_MANAGER,
                                        "InhibitDelayMaxUSec", &err, 't', &us);

    sd_bus_error_free(&err);
    if (r < 0 || us == 0) {
        ld_log(ld, FERRY_LOG_INFO, "logind: InhibitDelayMaxUSec unreadable; assuming %llu ms",
               (unsigned long long)DEFAULT_DELAY_MS);
        return DEFAULT_DELAY_MS;
    }
    return us / 1000u;
}

/* Our session's id: XDG_SESSION_ID, else the one of our cgroup. Caller
 * frees. NULL when the process is in no session (a system service). */
static char *own_session_id(void)
{
    const char *env = getenv("XDG_SESSION_ID");
    char *id = NULL;

    if (env && *env)
        return strdup(env);
    if (sd_pid_get_session(0, &id) < 0)
        return NULL;
    return id;
}

/* Finds our session and reads its hints; follows their changes. */
static void watch_session(struct ferry_logind *ld)
{
    sd_bus_error err = SD_BUS_ERROR_NULL;
    sd_bus_message *reply = NULL;
    const char *path;
    char *id = own_session_id();
    int v;

    if (!id)
        return;
    if (sd_bus_call_method(ld->bus, LOGIND_NAME, LOGIND_PATH, LOGIND_MANAGER, "GetSession",
                           &err, &reply, "s", id) < 0 ||
        sd_bus_message_read(reply, "o", &path) < 0 || !(ld->session_path = strdup(path))) {
        ld_log(ld, FERRY_LOG_INFO, "logind: session %s not found (%s): idleness not followed",
               id, err.message ? err.message : "no answer");
        goto out;
    }
    sd_bus_match_signal(ld->bus, NULL, LOGIND_NAME, ld->session_path,
                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                        on_session_props, ld);
    if (sd_bus_get_property_trivial(ld->bus, LOGIND_NAME, ld->session_path, LOGIND_SESSION,
                                    "IdleHint", NULL, 'b', &v) >= 0)
        ld->hint_idle = !!v;
    if (sd_bus_get_property_trivial(ld->bus, LOGIND_NAME, ld->session_path, LOGIND_SESSION,
                                    "LockedHint", NULL, 'b', &v) >= 0)
        ld->hint_locked = !!v;
    ld->sig_hints = 1;
    ld_log(ld, FERRY_LOG_INFO, "logind: following session %s (idle or locked = background)",
           id);
out:
    sd_bus_error_free(&err);
    sd_bus_message_unref(reply);
    free(id);
}

/*
 * Opens the bus, checks that logind answers, adds the matches. Returns 0,
 * or a negative errno with *why naming what failed; ld->bus is NULL then.
 */
static int bus_connect(struct ferry_logind *ld, const char **why)
{
    sd_bus_error err = SD_BUS_ERROR_NULL;
    int r;

    *why = "cannot connect to the system bus";
    r = sd_bus_open_system(&ld->bus);
    if (r < 0)
        goto fail;
    sd_bus_set_method_call_timeout(ld->bus, CALL_TIMEOUT_US);
    *why = "org.freedesktop.login1 is not on the system bus";
    r = sd_bus_call_method(ld->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "GetNameOwner", &err, NULL, "s",
                           LOGIND_NAME);
    if (r < 0)
        goto fail;
    *why = "cannot watch logind's signals";
    if ((r = sd_bus_match_signal(ld->bus, NULL, LOGIND_NAME, LOGIND_PATH, LOGIND_MANAGER,
                                 "PrepareForSleep", on_prepare_sleep, ld)) < 0 ||
        (r = sd_bus_match_signal(ld->bus, NULL, LOGIND_NAME, LOGIND_PATH, LOGIND_MANAGER,
                                 "PrepareForShutdown", on_prepare_shutdown, ld)) < 0 ||
        (r = sd_bus_add_match(ld->bus, NULL,
                              "type='signal',sender='org.freedesktop.DBus',"
                              "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
                              "member='NameOwnerChanged',arg0='" LOGIND_NAME "'",
                              on_owner_changed, ld)) < 0)
        goto fail;
    sd_bus_error_free(&err);
    return 0;
fail:
    sd_bus_error_free(&err);
    ld->bus = sd_bus_flush_close_unref(ld->bus);
    return r;
}

/* Everything that needs logind: the budget, the delay lock, the session. */
static void logind_attach(struct ferry_logind *ld)
{
    ld->delay_ms = read_delay_budget(ld);
    take_delay_lock(ld);
    if (ld->delay_fd >= 0)
        ld_log(ld, FERRY_LOG_INFO,
               "logind: sleep and shutdown delay lock taken (InhibitDelayMaxUSec %llu ms)",
               (unsigned long long)ld->delay_ms);
    free(ld->session_path);
    ld->session_path = NULL;
    if (ld->cfg.track_session)
        watch_session(ld);
    ld->sig_hints = 1;
}

/* The bus or logind went away: the locks mean nothing now. */
static void logind_detach(struct ferry_logind *ld, const char *why)
{
    drop_fd(&ld->delay_fd);
    drop_fd(&ld->idle_fd);
    ld_log(ld, FERRY_LOG_WARN, "logind: %s; sleep goes unnoticed until it is back", why);
}

/* ---------------------------------------------------------------- steps */

static void post(struct ferry_logind *ld, enum ferry_event ev)
{
    ferry_server_post_event(ld->srv, ev);
}

/* PrepareForSleep(true): go quiet, then let logind go on. */
static void handle_sleep(struct ferry_logind *ld)
{
    uint64_t t0 = mono_ms(), dt;
    int had = ld->delay_fd >= 0;

    ld->asleep = 1;
    post(ld, FERRY_EVENT_WILL_SUSPEND); /* snapshot, close, withdraw, end */
    sync_idle_lock(ld);                 /* the assertions just ended */
    drop_fd(&ld->idle_fd);
    drop_fd(&ld->delay_fd);
    dt = mono_ms() - t0;
    ld_log(ld, dt * 2 > ld->delay_ms ? FERRY_LOG_WARN : FERRY_LOG_INFO,
           "logind: PrepareForSleep(true): quiet in %llu ms, %s (budget %llu ms)",
           (unsigned long long)dt, had ? "sleep lock released" : "no lock was held",
           (unsigned long long)ld->delay_ms);
}

/*
 * PrepareForSleep(false): back, lock again. Addresses may have moved while
 * asleep: RESUMED's rebind takes that in (srv_network_refresh: URLs,
 * certificate; then the re-advertise), so no NETWORK_CHANGED is posted
 * after it, which would only close and reopen the listener a second time
 * (a client connecting just then would be refused). Resumed in the
 * background, the listener stays closed until the session is active.
 */
static void handle_wake(struct ferry_logind *ld)
{
    ld->asleep = 0;
    post(ld, FERRY_EVENT_RESUMED);
    take_delay_lock(ld);
    ld_log(ld, FERRY_LOG_INFO, "logind: PrepareForSleep(false): resumed, sleep lock %s",
           ld->delay_fd >= 0 ? "taken again" : "NOT taken");
}

static void handle_shutdown(struct ferry_logind *ld)
{
    ld->terminated = 1;
    post(ld, FERRY_EVENT_WILL_TERMINATE);
    sync_idle_lock(ld);
    drop_fd(&ld->idle_fd);
    drop_fd(&ld->delay_fd);
    ld_log(ld, FERRY_LOG_INFO, "logind: PrepareForShutdown(true): state saved, lock released");
    if (ld->cfg.on_shutdown)
        ld->cfg.on_shutdown(ld->cfg.shutdown_user);
}

/* The session's hints changed: idle or locked is the background. */
static void handle_hints(struct ferry_logind *ld)
{
    int bg;

    if (!ld->session_path)
        return;
    bg = ld->hint_idle || ld->hint_locked;
    if (bg == ld->session_bg)
        return;
    ld->session_bg = bg;
    ld_log(ld, FERRY_LOG_INFO, "logind: session %s%s: %s", ld->hint_idle ? "idle" : "active",
           ld->hint_locked ? ", locked" : "", bg ? "background" : "foreground");
    post(ld, bg ? FERRY_EVENT_BACKGROUND : FERRY_EVENT_FOREGROUND);
}

/* Carries out what the callbacks recorded. Returns 1 when it did anything
 * (the bus may then hold unread messages: process again before polling). */
static int run_recorded(struct ferry_logind *ld)
{
    int did = 0;

    if (ld->sig_gone) {
        ld->sig_gone = 0;
        logind_detach(ld, "org.freedesktop.login1 left the bus");
        did = 1;
    }
    if (ld->sig_back) {
        ld->sig_back = 0;
        ld_log(ld, FERRY_LOG_INFO, "logind: org.freedesktop.login1 is back");
        logind_attach(ld);
        did = 1;
    }
    if (ld->sig_shutdown && !ld->terminated) {
        ld->sig_shutdown = 0;
        handle_shutdown(ld);
        did = 1;
    }
    if (ld->terminated)
        ld->sig_sleep = ld->sig_wake = ld->sig_hints = 0;
    if (ld->sig_sleep) {
        ld->sig_sleep = 0;
        handle_sleep(ld);
        did = 1;
    }
    if (ld->sig_wake) {
        ld->sig_wake = 0;
        if (ld->asleep) {
            handle_wake(ld);
            did = 1;
        }
    }
    if (ld->sig_hints && !ld->asleep) { /* a lock at sleep counts after the wake */
        ld->sig_hints = 0;
        handle_hints(ld);
        did = 1;
    }
    return did;
}

/* The port's thread. */
static void *port_main(void *arg)
{
    struct ferry_logind *ld = arg;

    for (;;) {
        struct pollfd pf[2] = {{.fd = ld->wake[0], .events = POLLIN}, {.fd = -1}};
        uint64_t now, deadline = UINT64_MAX, at, us;
        int r, stop, timeout;
        char buf[64];

        if (ld->bus) {
            while ((r = sd_bus_process(ld->bus, NULL)) > 0)
                ;
            if (r < 0) {
                ld->bus = sd_bus_flush_close_unref(ld->bus);
                logind_detach(ld, "the system bus connection was lost");
                ld->reconnect_at = mono_ms() + RECONNECT_MS;
            }
        }
        if (run_recorded(ld))
            continue;
        sync_idle_lock(ld);

        pthread_mutex_lock(&ld->lock);
        stop = ld->stop;
        at = ld->timer_at;
        if (at && mono_ms() >= at)
            ld->timer_at = 0;
        pthread_mutex_unlock(&ld->lock);
        if (stop)
            break;
        now = mono_ms();
        if (at && now >= at) {
            post(ld, FERRY_EVENT_TIMER);
            continue;
        }
        if (!ld->bus && ld->reconnect_at && now >= ld->reconnect_at) {
            const char *why;

            if (bus_connect(ld, &why) == 0) {
                ld_log(ld, FERRY_LOG_INFO, "logind: the system bus is back");
                ld->reconnect_at = 0;
                logind_attach(ld);
                continue;
            }
            ld->reconnect_at = now + RECONNECT_MS;
        }
        if (at)
            deadline = at;
        if (!ld->bus && ld->reconnect_at && ld->reconnect_at < deadline)
            deadline = ld->reconnect_at;
        if (ld->bus) {
            pf[1].fd = sd_bus_get_fd(ld->bus);
            pf[1].events = (short)sd_bus_get_events(ld->bus);
            if (sd_bus_get_timeout(ld->bus, &us) >= 0 && us != UINT64_MAX &&
                us / 1000u < deadline)
                deadline = us / 1000u; /* CLOCK_MONOTONIC too */
        }
        if (deadline == UINT64_MAX)
            timeout = -1;
        else if (deadline <= now)
            timeout = 0;
        else
            timeout = deadline - now > 60000 ? 60000 : (int)(deadline - now);
        if (poll(pf, pf[1].fd >= 0 ? 2 : 1, timeout) > 0 && (pf[0].revents & POLLIN)) {
            while (read(ld->wake[0], buf, sizeof buf) > 0)
                ;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- API */

int ferry_logind_new(ferry_server *srv, const ferry_logind_config *cfg, ferry_logind **out)
{
    struct ferry_logind *ld = calloc(1, sizeof *ld);
    const char *why = "";
    int rc;

    *out = NULL;
    if (!ld)
        return FERRY_ENOMEM;
    ld->srv = srv;
    if (cfg)
        ld->cfg = *cfg;
    ld->delay_fd = ld->idle_fd = -1;
    ld->wake[0] = ld->wake[1] = -1;
    ld->delay_ms = DEFAULT_DELAY_MS;
    ld->port = (ferry_port){.ctx = ld, .now_ms = slot_now, .begin_assertion = slot_begin,
                            .end_assertion = slot_end, .arm_timer = slot_arm};
    pthread_mutex_init(&ld->lock, NULL);
    rc = compat_pipe_nb(ld->wake);
    if (rc < 0)
        goto fail;
    rc = bus_connect(ld, &why);
    if (rc < 0) {
        ld_log(ld, FERRY_LOG_INFO, "logind: %s (%s): sleep and shutdown go unnoticed",
               why, strerror(-rc));
        rc = FERRY_EUNAVAIL;
        goto fail;
    }
    logind_attach(ld);
    rc = pthread_create(&ld->thread, NULL, port_main, ld);
    if (rc) {
        rc = -rc;
        goto fail;
    }
    ld->started = 1;
    *out = ld;
    return 0;
fail:
    ferry_logind_free(ld);
    return rc;
}

const ferry_port *ferry_logind_port(ferry_logind *ld)
{
    return &ld->port;
}

uint64_t ferry_logind_delay_budget_ms(const ferry_logind *ld)
{
    return ld->delay_ms;
}

void ferry_logind_stop(ferry_logind *ld)
{
    if (!ld)
        return;
    if (ld->started) {
        pthread_mutex_lock(&ld->lock);
        ld->stop = 1;
        pthread_mutex_unlock(&ld->lock);
        poke(ld);
        pthread_join(ld->thread, NULL);
        ld->started = 0;
    }
    drop_fd(&ld->idle_fd);
    drop_fd(&ld->delay_fd);
    ld->bus = sd_bus_flush_close_unref(ld->bus);
}

void ferry_logind_free(ferry_logind *ld)
{
    if (!ld)
        return;
    ferry_logind_stop(ld);
    if (ld->wake[0] >= 0)
        close(ld->wake[0]);
    if (ld->wake[1] >= 0)
        close(ld->wake[1]);
    free(ld->session_path);
    pthread_mutex_destroy(&ld->lock);
    free(ld);
}
