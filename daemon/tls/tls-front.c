/*
 * tls-front.c — the TLS front end: terminates TLS with mbedTLS and bridges
 * the plaintext to libmicrohttpd over a socketpair. See tls.h.
 *
 * One thread runs an event loop (evloop.h: epoll, kqueue or poll, chosen by
 * configure) for every TLS connection; the listener's accept thread queues
 * new connections (tls_front_accept) and wakes it with evl_wake (an eventfd,
 * an EVFILT_USER event or a pipe: not a socket, so that a suspension's socket
 * reclaim leaves it alone). A connection goes through:
 *
 *   SNIFF      waiting for the first byte: 0x16 (a TLS handshake record)
 *              starts the handshake; anything else is plain HTTP (or noise)
 *              and gets REFUSE.
 *   HANDSHAKE  a non-blocking mbedTLS handshake: TLS 1.2 only, ECDHE with
 *              AES-GCM or ChaCha20-Poly1305 only, ALPN "http/1.1", session
 *              tickets and a session cache, no renegotiation. SNIFF and
 *              HANDSHAKE together get HANDSHAKE_TIMEOUT_MS; a failure or a
 *              timeout is logged once with the peer's address.
 *   BRIDGE     a socketpair; one end is handed to MHD (the server's
 *              handover callback, with the real peer address), the other is
 *              bridged: records read from the client are decrypted and
 *              written to the pair, bytes read from the pair are encrypted
 *              and sent. At most one record is buffered each way; a side is
 *              not read while the other cannot take what is buffered
 *              (backpressure), and writability is asked for only while output
 *              is pending. The client ending TLS (close_notify or end of
 *              stream) ends both sides at once (TLS 1.2 discards pending
 *              writes); MHD closing its end sends close_notify and ends it.
 *              A client that takes no output for the server's idle
 *              timeout is dropped (MHD cannot see it: its end is full).
 *   REFUSE     "400 Bad Request: this port speaks HTTPS" with the https://
 *              URL, then a lingering half-close (the request is drained so
 *              that the answer is not lost to a reset) for REFUSE_LINGER_MS.
 *
 * Every connection comes admitted by the server's connection caps
 * (conn-limit.h) with a ticket; the front end holds it until the
 * connection ends (conn_kill, or closed unqueued), libmicrohttpd holds it
 * for its end of the socketpair. As a second guard, at most the server's
 * cap of TLS connections exist at once here; more are closed at once.
 * Any error closes both fds and frees the TLS context at once; a connection
 * freed while its events are still in the current batch of events is kept on a
 * graveyard list until the batch is done. An fd with nothing to wait for is
 * taken out of the loop's set, so a hung-up peer cannot make the loop spin.
 *
 * The mbedTLS configuration, the DRBGs, the session cache and the ticket
 * keys belong to the front end and live until tls_front_free(): closing
 * every connection before a suspension keeps them, so clients resume their
 * sessions after the resume.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>

#include "compat.h"
#include "conn-limit.h"
#include "evloop.h"
#include "server.h"
#include "tls-compat.h"
#include "tls.h"

#define HANDSHAKE_TIMEOUT_MS 10000
#define REFUSE_LINGER_MS 2000
#define CLOSE_ALL_WAIT_MS 250      /* bound on tls_front_close_all's wait: it
                                      runs inside an iOS expiration handler,
                                      which may block only "momentarily";
                                      what is left closes on the loop
                                      afterwards, or suspension defuncts it */
#define RECORD_MAX 16384           /* plaintext of one TLS record */
#define MAX_EVENTS 64
#define TICKET_LIFETIME_S (24 * 3600)
#define CACHE_ENTRIES 512
#define SNIFF_MAX 2048             /* bytes of a plain request looked at */
#define HS_LOG_BURST 30            /* failed handshakes logged a minute, each
                                      with its peer (then counted) */

enum conn_state { ST_SNIFF, ST_HANDSHAKE, ST_BRIDGE, ST_REFUSE };

struct tls_conn;

/* What a loop event points at: one of the two fds of a connection. */
struct conn_end {
    struct tls_conn *c;
    int is_pair;
};

/* A list with a fixed timeout: entries are in deadline order. */
struct timer_list {
    struct tls_conn *head, *tail;
};

struct tls_conn {
    struct tls_front *t;
    struct tls_conn *prev, *next;   /* t->conns, or the graveyard */
    struct tls_conn *tprev, *tnext; /* the timer list it is on, if any */
    struct timer_list *timers;
    enum conn_state st;
    int fd;                          /* TCP, owned */
    int pair;                        /* our end of the socketpair, or -1 */
    uint32_t ev_fd, ev_pair;         /* events registered (0: not in the set) */
    struct conn_end end_fd, end_pair;
    uint64_t deadline;
    mbedtls_ssl_context ssl;
    int ssl_ready;
    unsigned char *up;               /* decrypted, not yet written to the pair */
    size_t up_off, up_len;
    unsigned char *down;             /* from the pair, handed to ssl_write */
    size_t down_len;
    unsigned mhd_gone : 1;           /* MHD's end takes no more input */
    unsigned pair_eof : 1;           /* MHD's end has no more to send */
    unsigned want_write : 1;         /* mbedTLS has output waiting for EVL_OUT */
    unsigned closing : 1;            /* close_notify under way */
    unsigned dead : 1;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char peer_text[INET6_ADDRSTRLEN + 10];
    uint32_t ticket;                 /* in the server's caps; held until freed */
};

struct tls_front {
    struct ferry_server *srv;
    const struct tls_identity *id;
    tls_handover_fn handover;
    void *user;

    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;        /* handshakes (front thread only) */
    mbedtls_ctr_drbg_context ticket_drbg; /* ticket keys */
    mbedtls_ssl_ticket_context ticket;
    mbedtls_ssl_cache_context cache;
    mbedtls_ssl_config conf;
    int suites[4];
    int inited;

    struct evloop *loop;
    pthread_t thread;
    int started;

    pthread_mutex_t lock;            /* guards the fields up to `conns` */
    pthread_cond_t cond;
    struct tls_conn *queue;          /* accepted, not yet taken (via next) */
    unsigned close_req, close_done;
    int stop;

    /* front thread only */
    struct tls_conn *conns;
    size_t n_conns, max_conns;       /* max: the server's connection limit */
    struct tls_conn *graveyard;
    struct timer_list hs_timers;     /* SNIFF and HANDSHAKE */
    struct timer_list linger_timers; /* REFUSE */
    struct timer_list stall_timers;  /* BRIDGE with output the client does
                                        not take */
    uint64_t stall_ms;               /* the server's idle timeout */
    struct srv_log_limit hs_log;     /* failed handshakes (any thread) */
    struct srv_log_limit timeout_log; /* handshakes and stalls timed out */
    struct srv_log_limit refused_log; /* over max_conns */
};

static const char *const alpn_list[] = {"http/1.1", NULL};


/* Monotonic milliseconds. */
static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "addr:port" (IPv6 in brackets) of a socket address, into buf. */
static void addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

        inet_ntop(AF_INET, &in->sin_addr, a, sizeof a);
        port = ntohs(in->sin_port);
        snprintf(buf, len, "%s:%d", a, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

        inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof a);
        port = ntohs(in6->sin6_port);
        snprintf(buf, len, "[%s]:%d", a, port);
    } else {
        snprintf(buf, len, "?");
    }
}

/* ------------------------------------------------------------ timers */

/* Takes c off the timer list it is on, if any. */
static void timer_remove(struct tls_conn *c)
{
    struct timer_list *l = c->timers;

    if (!l)
        return;
    if (c->tprev)
        c->tprev->tnext = c->tnext;
    else
        l->head = c->tnext;
    if (c->tnext)
        c->tnext->tprev = c->tprev;
    else
        l->tail = c->tprev;
    c->tprev = c->tnext = NULL;
    c->timers = NULL;
}

/* Puts c at the end of l (every entry of l has the same timeout). */
static void timer_add(struct tls_conn *c, struct timer_list *l, uint64_t deadline)
{
    timer_remove(c);
    c->deadline = deadline;
    c->timers = l;
    c->tprev = l->tail;
    c->tnext = NULL;
    if (l->tail)
        l->tail->tnext = c;
    else
        l->head = c;
    l->tail = c;
}

/* ------------------------------------------------------------ events */

/* Registers exactly `want` (EVL_*) for one fd of c (removing it when 0). */
static void set_events(struct tls_conn *c, int is_pair, uint32_t want)
{
    uint32_t *have = is_pair ? &c->ev_pair : &c->ev_fd;
    int fd = is_pair ? c->pair : c->fd;
    int rc;

    if (fd < 0 || want == *have)
        return;
    rc = evl_set(c->t->loop, fd, *have, want, is_pair ? &c->end_pair : &c->end_fd);
    if (rc == 0)
        *have = want;
    else
        srv_log(c->t->srv, FERRY_LOG_WARN, "TLS: cannot watch the socket of %s (%s): %s",
                c->peer_text, evl_backend(), strerror(-rc));
}

/* ------------------------------------------------------------ lifetime */

/* The front end lets go of its holder of a connection's ticket. */
static void release_ticket(struct tls_front *t, uint32_t ticket)
{
    if (t->srv && t->srv->climit)
        climit_release(t->srv->climit, ticket);
}

/* Closes and frees a connection that never entered the loop. */
static void drop_unqueued(struct tls_front *t, struct tls_conn *c)
{
    close(c->fd);
    release_ticket(t, c->ticket);
    free(c);
}

/*
 * Ends c: closes both fds, frees the TLS context and the buffers, and moves
 * c to the graveyard (freed after the current batch of events).
 */
static void conn_kill(struct tls_conn *c)
{
    struct tls_front *t = c->t;

    if (c->dead)
        return;
    c->dead = 1;
    timer_remove(c);
    set_events(c, 0, 0);
    set_events(c, 1, 0);
    if (c->fd >= 0)
        close(c->fd);
    if (c->pair >= 0)
        close(c->pair);
    c->fd = c->pair = -1;
    if (c->ssl_ready)
        mbedtls_ssl_free(&c->ssl);
    c->ssl_ready = 0;
    free(c->up);
    free(c->down);
    c->up = c->down = NULL;
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = NULL;
    c->next = t->graveyard;
    t->graveyard = c;
    t->n_conns--;
    release_ticket(t, c->ticket);
}

/* Frees the graveyard. */
static void bury(struct tls_front *t)
{
    while (t->graveyard) {
        struct tls_conn *c = t->graveyard;

        t->graveyard = c->next;
        free(c);
    }
}

/* Logs a failed handshake with the peer's address (rate-limited). */
static void log_handshake_failure(struct tls_conn *c, int err)
{
    char e[128];

    if (err == MBEDTLS_ERR_SSL_CONN_EOF || err == MBEDTLS_ERR_NET_CONN_RESET) {
        srv_log_limited(c->t->srv, &c->t->hs_log, FERRY_LOG_INFO, "TLS handshake with %s "
                        "failed: the client closed the connection", c->peer_text);
        return;
    }
    mbedtls_strerror(err, e, sizeof e);
    srv_log_limited(c->t->srv, &c->t->hs_log, FERRY_LOG_INFO,
                    "TLS handshake with %s failed: %s (-0x%04x)", c->peer_text, e,
                    (unsigned)-err);
}

/* ------------------------------------------------------------ BIO */

/* mbedTLS send callback on the TCP fd. */
static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    struct tls_conn *c = ctx;
    ssize_t n;

    do
        n = send(c->fd, buf, len, COMPAT_MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n >= 0)
        return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    if (errno == EPIPE || errno == ECONNRESET)
        return MBEDTLS_ERR_NET_CONN_RESET;
    return MBEDTLS_ERR_NET_SEND_FAILED;
}

/* mbedTLS receive callback on the TCP fd (0: the stream ended). */
static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct tls_conn *c = ctx;
    ssize_t n;

    do
        n = recv(c->fd, buf, len, 0);
    while (n < 0 && errno == EINTR);
    if (n >= 0)
        return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (errno == ECONNRESET || errno == EPIPE)
        return MBEDTLS_ERR_NET_CONN_RESET;
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

/* ------------------------------------------------------------ bridge */

/*
 * Sets the event interest of a bridged connection from its buffers:
 * the client is read while nothing decrypted waits for the pair, written
 * while mbedTLS has output pending; the pair is read while nothing waits
 * for mbedTLS, written while decrypted bytes wait.
 */
static void bridge_interest(struct tls_conn *c)
{
    uint32_t fd_ev = 0, pair_ev = 0;

    if (!c->mhd_gone && c->up_len == 0 && !c->closing)
        fd_ev |= EVL_IN;
    if (c->want_write)
        fd_ev |= EVL_OUT;
    if (!c->pair_eof && c->down_len == 0 && !c->closing)
        pair_ev |= EVL_IN;
    if (c->up_len > 0)
        pair_ev |= EVL_OUT;
    set_events(c, 0, fd_ev);
    set_events(c, 1, pair_ev);
}

/*
 * Sends close_notify (retried on EVL_OUT), then ends c. Returns 1 when c is
 * still waiting to send it, 0 when c was ended.
 */
static int bridge_close(struct tls_conn *c)
{
    int r;

    c->closing = 1;
    r = mbedtls_ssl_close_notify(&c->ssl);
    if (r == MBEDTLS_ERR_SSL_WANT_WRITE || r == MBEDTLS_ERR_SSL_WANT_READ) {
        c->want_write = 1;
        if (!c->timers)
            timer_add(c, &c->t->stall_timers, now_ms() + c->t->stall_ms);
        return 1;
    }
    shutdown(c->fd, SHUT_WR);
    conn_kill(c);
    return 0;
}

/*
 * Client to MHD: writes what is buffered to the pair, then decrypts more,
 * until the pair is full or the client has nothing more. Returns 0, or -1
 * when c was ended.
 */
static int pump_up(struct tls_conn *c)
{
    for (;;) {
        int r;

        while (c->up_len > 0) {
            ssize_t n = send(c->pair, c->up + c->up_off, c->up_len, COMPAT_MSG_NOSIGNAL);

            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return 0; /* backpressure: EVL_OUT on the pair */
            if (n < 0) {  /* MHD closed its end: nothing more goes up */
                c->up_len = 0;
                c->mhd_gone = 1;
                return 0;
            }
            c->up_off += (size_t)n;
            c->up_len -= (size_t)n;
        }
        if (c->mhd_gone || c->closing)
            return 0;
        if (!c->up && !(c->up = malloc(RECORD_MAX))) {
            conn_kill(c);
            return -1;
        }
        r = mbedtls_ssl_read(&c->ssl, c->up, RECORD_MAX);
        if (r > 0) {
            c->up_off = 0;
            c->up_len = (size_t)r;
            continue;
        }
        if (r == MBEDTLS_ERR_SSL_WANT_READ) {
            free(c->up); /* idle connections hold no buffer */
            c->up = NULL;
            return 0;
        }
        if (r == MBEDTLS_ERR_SSL_WANT_WRITE) { /* an alert to send (refused renegotiation) */
            c->want_write = 1;
            return 0;
        }
        if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            /* TLS 1.2 (RFC 5246 7.2.1): answer close_notify and close at
               once, discarding pending writes */
            mbedtls_ssl_close_notify(&c->ssl);
        }
        /* The client is gone (close_notify, end of stream, a bad record, a
           reset): end both sides. Closing the pair (not half-closing it)
           matters: MHD 0.9.75 may miss an end of stream that arrives with
           the last bytes of a request, but never a hang-up. */
        conn_kill(c);
        return -1;
    }
}

/*
 * MHD to client: encrypts and sends what is buffered, then reads more from
 * the pair, until the client's socket is full or the pair has nothing more.
 * When MHD is done, sends close_notify and ends c. Returns 0, or -1 when c
 * was ended (or is only finishing its close_notify).
 */
static int pump_down(struct tls_conn *c)
{
    if (c->closing)
        return bridge_close(c) ? 0 : -1;
    for (;;) {
        ssize_t n;

        if (c->down_len > 0) {
            int r = mbedtls_ssl_write(&c->ssl, c->down, c->down_len);

            if (r == MBEDTLS_ERR_SSL_WANT_WRITE || r == MBEDTLS_ERR_SSL_WANT_READ) {
                c->want_write = 1; /* the record is built; retry with the same data */
                if (!c->timers)
                    timer_add(c, &c->t->stall_timers, now_ms() + c->t->stall_ms);
                return 0;
            }
            if (r < 0) {
                conn_kill(c);
                return -1;
            }
            c->want_write = 0;
            timer_remove(c); /* progress */
            if ((size_t)r < c->down_len)
                memmove(c->down, c->down + r, c->down_len - (size_t)r);
            c->down_len -= (size_t)r;
            continue;
        }
        c->want_write = 0;
        if (c->pair_eof)
            return bridge_close(c) ? 0 : -1;
        if (!c->down && !(c->down = malloc(RECORD_MAX))) {
            conn_kill(c);
            return -1;
        }
        n = recv(c->pair, c->down, RECORD_MAX, 0);
        if (n > 0) {
            c->down_len = (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            free(c->down); /* idle connections hold no buffer */
            c->down = NULL;
            return 0;
        }
        c->pair_eof = 1; /* MHD closed (or the pair broke): finish cleanly */
    }
}

/* Runs a bridged connection after an event and sets its interest. */
static void bridge_run(struct tls_conn *c, int is_pair, uint32_t events)
{
    int fd_event = !is_pair, rd = events & (EVL_IN | EVL_HUP | EVL_ERR),
        wr = events & (EVL_OUT | EVL_HUP | EVL_ERR);

    if (fd_event && (events & EVL_ERR)) {
        conn_kill(c); /* the client's socket failed: a reset */
        return;
    }
    if (fd_event && wr && c->want_write) {
        c->want_write = 0;
        if (c->closing) {
            if (!bridge_close(c))
                return;
        } else if (c->down_len > 0) {
            if (pump_down(c) < 0)
                return;
        } else if (pump_up(c) < 0) { /* an alert from ssl_read was pending */
            return;
        }
    }
    if ((fd_event && rd) || (is_pair && wr)) {
        if (pump_up(c) < 0)
            return;
    }
    if (is_pair && rd) {
        if (pump_down(c) < 0)
            return;
    }
    if (c->closing && !c->want_write)
        return;
    bridge_interest(c);
}

/*
 * The handshake is done: makes the socketpair, hands one end to MHD and
 * starts bridging. Anything the client sent along with its Finished is
 * already inside mbedTLS, so the bridge runs once at once.
 */
static void bridge_start(struct tls_conn *c)
{
    struct tls_front *t = c->t;
    int sv[2], rc;

    timer_remove(c);
    rc = compat_socketpair_nb(sv);
    if (rc < 0) {
        srv_log(t->srv, FERRY_LOG_WARN, "TLS: cannot make a socketpair for %s: %s",
                c->peer_text, strerror(-rc));
        conn_kill(c);
        return;
    }
    c->pair = sv[0];
    c->st = ST_BRIDGE;
    srv_log(t->srv, FERRY_LOG_DEBUG, "TLS: %s: %s, %s%s", c->peer_text,
            mbedtls_ssl_get_version(&c->ssl), mbedtls_ssl_get_ciphersuite(&c->ssl),
            mbedtls_ssl_get_alpn_protocol(&c->ssl) ? ", http/1.1" : "");
    t->handover(t->user, sv[1], (const struct sockaddr *)&c->peer, c->peer_len, c->ticket);
    if (pump_up(c) < 0)
        return;
    bridge_interest(c);
}

/* ------------------------------------------------------------ handshake */

/* Drives the handshake after an event. */
static void handshake_run(struct tls_conn *c)
{
    int r = mbedtls_ssl_handshake(&c->ssl);

    if (r == MBEDTLS_ERR_SSL_WANT_READ) {
        set_events(c, 0, EVL_IN);
        return;
    }
    if (r == MBEDTLS_ERR_SSL_WANT_WRITE) {
        set_events(c, 0, EVL_OUT);
        return;
    }
    if (r != 0) {
        log_handshake_failure(c, r);
        conn_kill(c);
        return;
    }
    bridge_start(c);
}

/* Sets up the TLS context of c and starts the handshake. */
static void handshake_start(struct tls_conn *c)
{
    int r;

    mbedtls_ssl_init(&c->ssl);
    c->ssl_ready = 1;
    r = mbedtls_ssl_setup(&c->ssl, &c->t->conf);
    if (r != 0) {
        char e[128];

        mbedtls_strerror(r, e, sizeof e);
        srv_log(c->t->srv, FERRY_LOG_WARN, "TLS: cannot set up a session for %s: %s",
                c->peer_text, e);
        conn_kill(c);
        return;
    }
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
    c->st = ST_HANDSHAKE;
    handshake_run(c);
}

/* ------------------------------------------------------------ refuse */

/*
 * Copies the value of header `name` from the request head req (NUL-
 * terminated) into out, if it holds only characters of a host[:port].
 */
static void header_value(const char *req, const char *name, char *out, size_t len)
{
    size_t nlen = strlen(name);

    out[0] = '\0';
    for (const char *p = strstr(req, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        const char *v, *end;

        if (strncasecmp(p + 2, name, nlen) != 0 || p[2 + nlen] != ':')
            continue;
        v = p + 3 + nlen;
        v += strspn(v, " \t");
        end = v + strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            "0123456789.-:[]");
        if (end > v && (size_t)(end - v) < len && (*end == '\r' || *end == ' ')) {
            memcpy(out, v, (size_t)(end - v));
            out[end - v] = '\0';
        }
        return;
    }
}

/*
 * A plain-HTTP request (or noise) on the HTTPS port: reads what has come,
 * answers 400 naming https://HOST/ (the Host header, or the local address
 * and port), half-closes and lingers until the client closes or
 * REFUSE_LINGER_MS pass. The request target is never logged nor echoed:
 * it may carry a pairing token (/.ferry/pair?token=...) that must not
 * reach the log or travel back in clear once more.
 */
static void refuse_start(struct tls_conn *c)
{
    char req[SNIFF_MAX + 1], host[256], body[1024], resp[1536];
    ssize_t n;
    int blen, rlen;

    n = recv(c->fd, req, SNIFF_MAX, 0);
    req[n > 0 ? n : 0] = '\0';
    header_value(req, "Host", host, sizeof host);
    if (!host[0]) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;

        if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0)
            addr_text((struct sockaddr *)&ss, host, sizeof host);
    }
    blen = snprintf(body, sizeof body, "400 Bad Request: this port speaks HTTPS, not plain "
                    "HTTP.\nOpen https://%s/ instead.\n", host);
    if (blen < 0 || (size_t)blen >= sizeof body)
        blen = snprintf(body, sizeof body, "400 Bad Request: this port speaks HTTPS, not "
                        "plain HTTP.\n");
    rlen = snprintf(resp, sizeof resp, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; "
                    "charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
                    blen, body);
    srv_log(c->t->srv, FERRY_LOG_INFO, "%s sent plain HTTP (or no TLS) to the HTTPS port: "
            "answered 400 (https://%s/)", c->peer_text, host);
    if (send(c->fd, resp, (size_t)rlen, COMPAT_MSG_NOSIGNAL) < 0 || shutdown(c->fd, SHUT_WR) < 0) {
        conn_kill(c);
        return;
    }
    c->st = ST_REFUSE;
    timer_add(c, &c->t->linger_timers, now_ms() + REFUSE_LINGER_MS);
    set_events(c, 0, EVL_IN | EVL_RDHUP);
}

/* Lingering after the 400: drains what comes until the client closes. */
static void refuse_run(struct tls_conn *c)
{
    char buf[4096];

    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);

        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        conn_kill(c); /* EOF or error: done */
        return;
    }
}

/* ------------------------------------------------------------ sniff */

/* The first byte decides: a TLS handshake record, or a plain request. */
static void sniff_run(struct tls_conn *c)
{
    unsigned char b;
    ssize_t n;

    do
        n = recv(c->fd, &b, 1, MSG_PEEK);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) { /* closed before saying anything: a probe */
        srv_log(c->t->srv, FERRY_LOG_DEBUG, "TLS: %s closed without a word", c->peer_text);
        conn_kill(c);
        return;
    }
    if (b == 0x16)
        handshake_start(c);
    else
        refuse_start(c);
}

/* ------------------------------------------------------------ loop */

/* Dispatches one event of connection c. */
static void conn_event(struct tls_conn *c, int is_pair, uint32_t events)
{
    switch (c->st) {
    case ST_SNIFF:
        sniff_run(c);
        break;
    case ST_HANDSHAKE:
        handshake_run(c);
        break;
    case ST_BRIDGE:
        bridge_run(c, is_pair, events);
        break;
    case ST_REFUSE:
        refuse_run(c);
        break;
    }
}

/*
 * Takes the connections queued by tls_front_accept into the loop; beyond
 * the connection limit, new ones are closed at once (logged once a batch).
 */
static void take_queue(struct tls_front *t, struct tls_conn *q)
{
    uint64_t deadline = now_ms() + HANDSHAKE_TIMEOUT_MS;
    size_t dropped = 0;

    while (q) {
        struct tls_conn *c = q;

        q = c->next;
        if (t->n_conns >= t->max_conns) {
            drop_unqueued(t, c);
            dropped++;
            continue;
        }
        t->n_conns++;
        c->prev = NULL;
        c->next = t->conns;
        if (t->conns)
            t->conns->prev = c;
        t->conns = c;
        timer_add(c, &t->hs_timers, deadline);
        set_events(c, 0, EVL_IN);
        if (!c->ev_fd)
            conn_kill(c);
    }
    if (dropped)
        srv_log_limited(t->srv, &t->refused_log, FERRY_LOG_WARN, "TLS: %zu connection%s "
                        "refused: the limit of %zu TLS connections is reached", dropped,
                        dropped == 1 ? "" : "s", t->max_conns);
}

/* Ends every connection, with a close_notify where the handshake is done. */
static size_t close_every(struct tls_front *t)
{
    size_t n = 0;

    while (t->conns) {
        struct tls_conn *c = t->conns;

        if (c->st == ST_BRIDGE && !c->closing && !c->want_write) {
            mbedtls_ssl_close_notify(&c->ssl); /* best effort: not waited for */
            shutdown(c->fd, SHUT_WR);
        }
        conn_kill(c);
        n++;
    }
    return n;
}

/* Ends the connections whose timer ran out; returns ms to the next one. */
static int expire(struct tls_front *t)
{
    uint64_t now = now_ms(), next = UINT64_MAX;
    struct timer_list *lists[3] = {&t->hs_timers, &t->linger_timers, &t->stall_timers};

    for (int i = 0; i < 3; i++) {
        struct timer_list *l = lists[i];

        while (l->head && l->head->deadline <= now) {
            struct tls_conn *c = l->head;

            if (l == &t->hs_timers)
                srv_log_limited(t->srv, &t->timeout_log, FERRY_LOG_INFO, "TLS handshake "
                                "with %s failed: timed out after %d s", c->peer_text,
                                HANDSHAKE_TIMEOUT_MS / 1000);
            else if (l == &t->stall_timers)
                srv_log_limited(t->srv, &t->timeout_log, FERRY_LOG_INFO, "TLS: %s took "
                                "nothing for %u s: closed", c->peer_text,
                                (unsigned)(t->stall_ms / 1000));
            conn_kill(c);
        }
        if (l->head && l->head->deadline < next)
            next = l->head->deadline;
    }
    if (next == UINT64_MAX)
        return -1;
    return (int)(next - now) + 1;
}

/* The front thread. */
static void *front_main(void *arg)
{
    struct tls_front *t = arg;
    struct evl_event evs[MAX_EVENTS];
    int timeout = -1, stop = 0;

    while (!stop) {
        int n = evl_wait(t->loop, evs, MAX_EVENTS, timeout);

        if (n < 0) {
            srv_log(t->srv, FERRY_LOG_ERROR, "TLS: waiting for events (%s): %s", evl_backend(),
                    strerror(-n));
            break;
        }
        for (int i = 0; i < n; i++) {
            struct conn_end *e = evs[i].data;

            if (!e) { /* evl_wake */
                struct tls_conn *q;
                unsigned req;

                pthread_mutex_lock(&t->lock);
                q = t->queue;
                t->queue = NULL;
                req = t->close_req;
                stop = t->stop;
                pthread_mutex_unlock(&t->lock);
                take_queue(t, q);
                if (req != t->close_done) {
                    size_t k = close_every(t);

                    srv_log(t->srv, FERRY_LOG_INFO, "TLS: ended %zu connection%s", k,
                            k == 1 ? "" : "s");
                    pthread_mutex_lock(&t->lock);
                    t->close_done = req;
                    pthread_cond_broadcast(&t->cond);
                    pthread_mutex_unlock(&t->lock);
                }
                continue;
            }
            if (!e->c->dead)
                conn_event(e->c, e->is_pair, evs[i].events);
        }
        timeout = expire(t);
        bury(t);
    }
    close_every(t);
    bury(t);
    return NULL;
}

/* ------------------------------------------------------------ public */

/* Sets up the mbedTLS configuration shared by every connection. */
static int conf_setup(struct tls_front *t)
{
    static const char pers[] = "ferry tls front";
    static const char tpers[] = "ferry tls tickets";
    int rsa = tls_identity_is_rsa(t->id), r;

    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    mbedtls_ctr_drbg_init(&t->ticket_drbg);
    mbedtls_ssl_ticket_init(&t->ticket);
    mbedtls_ssl_cache_init(&t->cache);
    mbedtls_ssl_config_init(&t->conf);
    t->inited = 1;
    t->suites[0] = rsa ? MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
                       : MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    t->suites[1] = rsa ? MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
                       : MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384;
    t->suites[2] = rsa ? MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
                       : MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256;
    t->suites[3] = 0;
    if ((r = tlsc_init()) != 0 ||
        (r = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
                                   (const unsigned char *)pers, sizeof pers - 1)) != 0 ||
        (r = mbedtls_ctr_drbg_seed(&t->ticket_drbg, mbedtls_entropy_func, &t->entropy,
                                   (const unsigned char *)tpers, sizeof tpers - 1)) != 0 ||
        (r = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_SERVER,
                                         MBEDTLS_SSL_TRANSPORT_STREAM,
                                         MBEDTLS_SSL_PRESET_DEFAULT)) != 0 ||
        (r = mbedtls_ssl_ticket_setup(&t->ticket, mbedtls_ctr_drbg_random, &t->ticket_drbg,
                                      MBEDTLS_CIPHER_AES_256_GCM, TICKET_LIFETIME_S)) != 0 ||
        (r = mbedtls_ssl_conf_alpn_protocols(&t->conf, (const char **)alpn_list)) != 0 ||
        (r = tls_identity_install(t->id, &t->conf)) != 0)
        return r;
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    tlsc_conf_profile(&t->conf);
    mbedtls_ssl_conf_ciphersuites(&t->conf, t->suites);
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_NONE);
    mbedtls_ssl_conf_renegotiation(&t->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
    mbedtls_ssl_conf_legacy_renegotiation(&t->conf, MBEDTLS_SSL_LEGACY_NO_RENEGOTIATION);
    mbedtls_ssl_conf_session_tickets_cb(&t->conf, mbedtls_ssl_ticket_write,
                                        mbedtls_ssl_ticket_parse, &t->ticket);
    mbedtls_ssl_cache_set_max_entries(&t->cache, CACHE_ENTRIES);
    mbedtls_ssl_conf_session_cache(&t->conf, &t->cache, mbedtls_ssl_cache_get,
                                   mbedtls_ssl_cache_set);
    return 0;
}

int tls_front_new(struct ferry_server *srv, const struct tls_identity *id,
                  tls_handover_fn handover, void *user, struct tls_front **out)
{
    struct tls_front *t = calloc(1, sizeof *t);
    int rc, err;

    *out = NULL;
    if (!t)
        return FERRY_ENOMEM;
    t->srv = srv;
    t->id = id;
    t->handover = handover;
    t->user = user;
    t->stall_ms = (uint64_t)(srv && srv->cfg.idle_timeout_s ? srv->cfg.idle_timeout_s : 120) *
                  1000;
    t->max_conns = srv && srv->max_conns ? srv->max_conns : 1024;
    srv_log_limit_init(&t->hs_log, 0, HS_LOG_BURST);
    srv_log_limit_init(&t->timeout_log, 0, HS_LOG_BURST);
    srv_log_limit_init(&t->refused_log, 0, 1);
    pthread_mutex_init(&t->lock, NULL);
    compat_cond_init(&t->cond);
    rc = conf_setup(t);
    if (rc != 0) {
        char e[128];

        mbedtls_strerror(rc, e, sizeof e);
        srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot set up mbedTLS: %s", e);
        rc = FERRY_ETLS;
        goto fail;
    }
    rc = evl_new(&t->loop);
    if (rc < 0) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot set up the event loop (%s): %s",
                evl_backend(), strerror(-rc));
        goto fail;
    }
    err = pthread_create(&t->thread, NULL, front_main, t);
    if (err) {
        rc = -err;
        srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot start the front-end thread: %s",
                strerror(err));
        goto fail;
    }
    t->started = 1;
    *out = t;
    return 0;
fail:
    tls_front_free(t);
    return rc;
}

/* Wakes the front thread. */
static void wake(struct tls_front *t)
{
    evl_wake(t->loop);
}

void tls_front_accept(struct tls_front *t, int fd, const struct sockaddr *peer,
                      socklen_t peer_len, uint32_t ticket)
{
    struct tls_conn *c = calloc(1, sizeof *c);
    int one = 1, stopped;

    if (!c || peer_len > sizeof c->peer) {
        free(c);
        close(fd);
        release_ticket(t, ticket);
        return;
    }
    c->t = t;
    c->fd = fd;
    c->ticket = ticket;
    c->pair = -1;
    c->end_fd = (struct conn_end){.c = c, .is_pair = 0};
    c->end_pair = (struct conn_end){.c = c, .is_pair = 1};
    memcpy(&c->peer, peer, peer_len);
    c->peer_len = peer_len;
    addr_text(peer, c->peer_text, sizeof c->peer_text);
    /* whole records go out at once: Nagle would only add delay */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_mutex_lock(&t->lock);
    stopped = t->stop;
    if (!stopped) {
        c->next = t->queue;
        t->queue = c;
    }
    pthread_mutex_unlock(&t->lock);
    if (stopped) {
        drop_unqueued(t, c);
        return;
    }
    wake(t);
}

/* Closes and frees queued connections that the loop never took. */
static void free_queue(struct tls_front *t, struct tls_conn *q)
{
    while (q) {
        struct tls_conn *c = q;

        q = c->next;
        drop_unqueued(t, c);
    }
}

void tls_front_close_all(struct tls_front *t)
{
    struct timespec until;
    unsigned req;

    if (!t)
        return;
    if (t->started && pthread_equal(pthread_self(), t->thread)) {
        close_every(t); /* from a callback on the loop itself */
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += (long)CLOSE_ALL_WAIT_MS * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&t->lock);
    req = ++t->close_req;
    wake(t);
    while ((int)(t->close_done - req) < 0 && !t->stop) {
        if (compat_cond_timedwait(&t->cond, &t->lock, &until) == ETIMEDOUT) {
            srv_log(t->srv, FERRY_LOG_WARN, "TLS: the front end did not end its "
                    "connections within %d ms; it goes on without waiting",
                    CLOSE_ALL_WAIT_MS);
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
}

void tls_front_free(struct tls_front *t)
{
    struct tls_conn *q;

    if (!t)
        return;
    if (t->started) {
        pthread_mutex_lock(&t->lock);
        t->stop = 1;
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        wake(t);
        pthread_join(t->thread, NULL);
    }
    pthread_mutex_lock(&t->lock);
    q = t->queue;
    t->queue = NULL;
    pthread_mutex_unlock(&t->lock);
    free_queue(t, q);
    evl_free(t->loop);
    if (t->inited) {
        mbedtls_ssl_config_free(&t->conf);
        mbedtls_ssl_cache_free(&t->cache);
        mbedtls_ssl_ticket_free(&t->ticket);
        mbedtls_ctr_drbg_free(&t->ticket_drbg);
        mbedtls_ctr_drbg_free(&t->drbg);
        mbedtls_entropy_free(&t->entropy);
    }
    srv_log_limit_destroy(t->srv, &t->hs_log, FERRY_LOG_INFO, "failed TLS handshakes");
    srv_log_limit_destroy(t->srv, &t->timeout_log, FERRY_LOG_INFO, "TLS timeouts");
    srv_log_limit_destroy(t->srv, &t->refused_log, FERRY_LOG_WARN, "TLS connections refused");
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
