/*
 * listener.c — listening sockets (IPv4 and IPv6, one port) and the accept
 * thread that hands every new connection to a callback.
 *
 * The accept thread sleeps in poll() on the listening sockets and on a wake
 * pipe; it has no timer, so an idle server causes no wake-ups.
 *
 * Out of fds (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM), accept()
 * fails while the connection stays queued, so the listening socket stays
 * readable: the thread then stops polling the listening sockets for a
 * delay that doubles from BACKOFF_MIN_MS to BACKOFF_MAX_MS while no
 * connection can be accepted (BACKOFF_MIN_MS again while some can: the
 * descriptors are coming free; the wake pipe is always polled), and logs
 * one line per episode with a count (srv_log_limited). Queued clients wait
 * in the backlog meanwhile and are served once descriptors are free again,
 * at most BACKOFF_MAX_MS later.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"
#include "sysio.h"

#define LISTENER_MAX (FERRY_MAX_BINDS + 1)
#define LISTEN_BACKLOG 1024
#define BACKOFF_MIN_MS 25
#define BACKOFF_MAX_MS 1000
#define LISTENER_ABORTS_DEAD 16 /* ECONNABORTED in a row: the socket is dead */

struct listener {
    struct ferry_server *srv;
    int fds[LISTENER_MAX];
    size_t n;
    int port;
    int wake[2];                /* wake[1] written by listener_close */
    pthread_t thread;
    int started;
    listener_accept_fn on_accept;
    void *user;
    struct srv_log_limit starved_log; /* "cannot accept" lines */
};

/* Sets O_NONBLOCK and FD_CLOEXEC on fd. Returns 0 or -errno. */
static int set_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
    return 0;
}

/*
 * Parses the IP literal `addr` with `port` into *ss. Returns 0 or
 * FERRY_EADDR.
 */
static int parse_addr(const char *addr, int port, struct sockaddr_storage *ss,
                      socklen_t *len)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *len = sizeof *in4;
        return 0;
    }
    if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof *in6;
        return 0;
    }
    return FERRY_EADDR;
}

/*
 * Creates a listening socket on addr:port. Returns the fd, or -errno with
 * nothing left open.
 */
static int bind_one(const struct sockaddr_storage *ss, socklen_t len)
{
    int one = 1;
    int fd = socket(ss->ss_family, SOCK_STREAM, 0);
    int err;

    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        goto fail;
    if (ss->ss_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
        goto fail;
    if (set_nonblock_cloexec(fd) < 0)
        goto fail;
    if (bind(fd, (const struct sockaddr *)ss, len) < 0)
        goto fail;
    if (listen(fd, LISTEN_BACKLOG) < 0)
        goto fail;
    return fd;
fail:
    err = -errno;
    close(fd);
    return err;
}

/* Reads back the port a socket is bound to, or 0. */
static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/*
 * Binds every address of addrs[0..n) on l->port into l. With wildcard set,
 * a missing IPv6 stack is not an error. Returns 0, or the error of the first
 * address that failed (-errno from bind, or FERRY_EADDR), after logging it
 * unless it is -EADDRINUSE on a port that was picked (*retryable set).
 */
static int bind_all(struct listener *l, const char *const *addrs, size_t n,
                    int wildcard, int picked, int *retryable)
{
    *retryable = 0;
    for (size_t i = 0; i < n; i++) {
        struct sockaddr_storage ss;
        socklen_t len;
        int fd;

        if (parse_addr(addrs[i], l->port, &ss, &len) < 0) {
            srv_log(l->srv, FERRY_LOG_ERROR,
                    "cannot listen on '%s': not an IPv4 or IPv6 address "
                    "(use e.g. 0.0.0.0, 127.0.0.1 or ::1)", addrs[i]);
            return FERRY_EADDR;
        }
        fd = bind_one(&ss, len);
        if (fd < 0 && wildcard && ss.ss_family == AF_INET6 &&
            (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL)) {
            srv_log(l->srv, FERRY_LOG_INFO, "no IPv6 on this host: serving IPv4 only");
            continue;
        }
        if (fd == -EADDRINUSE && picked && i > 0) {
            *retryable = 1; /* the port picked for the first address is
                               taken on another: pick again */
            return fd;
        }
        if (fd < 0) {
            int v6 = ss.ss_family == AF_INET6;

            srv_log(l->srv, FERRY_LOG_ERROR, "cannot listen on %s%s%s port %d: %s%s",
                    v6 ? "[" : "", addrs[i], v6 ? "]" : "", l->port, strerror(-fd),
                    fd == -EADDRINUSE ? " (another program uses it: choose "
                                        "another --port, or 0 for any free port)"
                    : fd == -EACCES ? " (ports below 1024 need privileges: "
                                      "choose a port above 1023)"
                    : fd == -EADDRNOTAVAIL ? " (no interface of this host "
                                             "has that address)" : "");
            return fd;
        }
        l->fds[l->n++] = fd;
        if (l->port == 0)
            l->port = bound_port(fd); /* the rest bind the same port */
    }
    return 0;
}

/* Closes every listening socket of l. */
static void close_all(struct listener *l)
{
    for (size_t i = 0; i < l->n; i++)
        close(l->fds[i]);
    l->n = 0;
}

int listener_open(struct ferry_server *srv, const char *const *addrs, size_t n,
                  int port, struct listener **out)
{
    static const char *const wildcards[] = {"0.0.0.0", "::"};
    struct listener *l;
    int wildcard = (n == 0);
    int rc, retryable = 0;

    *out = NULL;
    if (wildcard) {
        addrs = wildcards;
        n = 2;
    }
    if (n > LISTENER_MAX)
        return FERRY_EINVAL_CONFIG;
    l = calloc(1, sizeof *l);
    if (!l)
        return FERRY_ENOMEM;
    l->srv = srv;
    l->wake[0] = l->wake[1] = -1;
    srv_log_limit_init(&l->starved_log, 0, 1);
    for (int attempt = 0; attempt < 16; attempt++) {
        l->port = port;
        rc = bind_all(l, addrs, n, wildcard, port == 0, &retryable);
        if (rc == 0 || !retryable)
            break;
        close_all(l);
    }
    if (rc < 0) {
        rc = rc == FERRY_EADDR ? rc : FERRY_EBIND;
        goto fail;
    }
    if (l->n == 0) {
        rc = FERRY_EBIND;
        goto fail;
    }
    if (pipe(l->wake) < 0 || set_nonblock_cloexec(l->wake[0]) < 0 ||
        set_nonblock_cloexec(l->wake[1]) < 0) {
        rc = -errno;
        goto fail;
    }
    *out = l;
    return 0;
fail:
    listener_close(l);
    return rc;
}

int listener_port(const struct listener *l)
{
    return l ? l->port : 0;
}

/*
 * Accepts every pending connection on listening socket fd (at most 256 a
 * call) and passes each to the callback, counting them in *accepted.
 * Returns 0, -EMFILE/-ENFILE/-ENOBUFS/-ENOMEM when out of resources
 * (logged through the limiter), -ECONNABORTED when LISTENER_ABORTS_DEAD
 * accepts in a row failed so (a defunct listener: it would spin), or
 * another -errno when the socket itself is unusable.
 */
static int accept_pending(struct listener *l, int fd, unsigned *accepted)
{
    unsigned aborted = 0; /* ECONNABORTED in a row, no success between */

    for (int budget = 256; budget > 0; budget--) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int c;

        c = lc_sys_accept(fd, (struct sockaddr *)&peer, &len);
        if (c >= 0) {
#ifdef SO_NOSIGPIPE
            int one = 1;
            setsockopt(c, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
            (*accepted)++;
            aborted = 0;
            l->on_accept(l->user, c, (struct sockaddr *)&peer, len);
            continue;
        }
        switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return 0;
        case ECONNABORTED:
            /* One is a client that gave up in the queue; every accept
             * failing so is iOS's defunct listener after a suspension. */
            if (++aborted >= LISTENER_ABORTS_DEAD)
                return -ECONNABORTED;
            continue;
        case EINTR:
        case EPROTO:
            continue;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            srv_log_limited(l->srv, &l->starved_log, FERRY_LOG_WARN,
                            "cannot accept connections: %s (raise the open-file limit "
                            "with ulimit -n, or lower --max-connections); new clients "
                            "wait until descriptors are free", strerror(errno));
            return -errno;
        default:
            return -errno;
        }
    }
    return 0;
}

/* The accept thread: poll, accept, hand over; ends when wake[] is written. */
static void *accept_main(void *arg)
{
    struct listener *l = arg;
    struct pollfd pfd[LISTENER_MAX + 1];
    int backoff_ms = 0; /* > 0: out of resources, listening sockets not polled */

    for (size_t i = 0; i < l->n; i++)
        pfd[i] = (struct pollfd){.fd = l->fds[i], .events = POLLIN};
    pfd[l->n] = (struct pollfd){.fd = l->wake[0], .events = POLLIN};
    for (;;) {
        unsigned accepted = 0;
        int starved = 0, r;

        if (backoff_ms > 0) { /* sleep on the wake pipe alone */
            r = poll(&pfd[l->n], 1, backoff_ms);
            if (r < 0 && errno != EINTR)
                break;
            if (r > 0 && pfd[l->n].revents)
                break;
            for (size_t i = 0; i < l->n; i++)
                pfd[i].revents = pfd[i].fd >= 0 ? POLLIN : 0; /* try each again */
        } else {
            r = poll(pfd, l->n + 1, -1);
            if (r < 0 && errno != EINTR)
                break;
            if (r < 0)
                continue;
            if (pfd[l->n].revents)
                break;
        }
        for (size_t i = 0; i < l->n; i++) {
            int rc;

            if (!pfd[i].revents || pfd[i].fd < 0)
                continue;
            rc = accept_pending(l, pfd[i].fd, &accepted);
            if (rc == -EMFILE || rc == -ENFILE || rc == -ENOBUFS || rc == -ENOMEM) {
                starved = 1;
            } else if (rc < 0) {
                srv_log(l->srv, FERRY_LOG_ERROR,
                        "listening socket %d stopped working: %s%s",
                        pfd[i].fd, strerror(-rc), rc == -ECONNABORTED ?
                        " on every accept (defunct, as iOS leaves a listener "
                        "after a suspension)" : "");
                pfd[i].fd = -1; /* poll() ignores it from now on */
                srv_listener_died(l->srv); /* the rebinder listens again */
            }
        }
        if (starved && accepted) { /* descriptors come free: go on soon */
            backoff_ms = BACKOFF_MIN_MS;
        } else if (starved) {
            backoff_ms = backoff_ms ? backoff_ms * 2 : BACKOFF_MIN_MS;
            if (backoff_ms > BACKOFF_MAX_MS)
                backoff_ms = BACKOFF_MAX_MS;
        } else if (backoff_ms > 0) { /* accepted again, or nothing queued */
            backoff_ms = 0;
            srv_log_limit_end(l->srv, &l->starved_log, FERRY_LOG_WARN,
                              "accepting connections again; 'cannot accept' repeated");
        }
    }
    return NULL;
}

int listener_start(struct listener *l, listener_accept_fn on_accept, void *user)
{
    int err;

    l->on_accept = on_accept;
    l->user = user;
    err = pthread_create(&l->thread, NULL, accept_main, l);
    if (err)
        return -err;
    l->started = 1;
    return 0;
}

void listener_close(struct listener *l)
{
    if (!l)
        return;
    if (l->started) {
        char b = 1;

        while (write(l->wake[1], &b, 1) < 0 && errno == EINTR)
            ;
        pthread_join(l->thread, NULL);
    }
    close_all(l);
    if (l->wake[0] >= 0)
        close(l->wake[0]);
    if (l->wake[1] >= 0)
        close(l->wake[1]);
    srv_log_limit_destroy(l->srv, &l->starved_log, FERRY_LOG_WARN,
                          "'cannot accept' repeated");
    free(l);
}
