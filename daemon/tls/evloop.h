/*
 * evloop.h — the small event loop under the TLS front end (tls-front.c):
 * one thread waits until registered fds are ready or another thread wakes
 * it. Level-triggered. One backend is built, chosen by configure
 * (--with-event-loop): evloop-epoll.c (Linux: epoll + eventfd),
 * evloop-kqueue.c (Darwin/BSD: kqueue, EVFILT_USER wake-ups, no fd for them)
 * or evloop-poll.c (POSIX poll() + a pipe; anywhere).
 *
 * Threads: evl_wake() from any thread; everything else from the loop's own
 * thread (evl_new/evl_free from the thread that owns the loop while no one
 * waits on it).
 */
#ifndef FERRY_EVLOOP_H
#define FERRY_EVLOOP_H

/* Interest (evl_set) and readiness (evl_wait) bits. */
#define EVL_IN 0x01    /* readable (data, or end of stream) */
#define EVL_OUT 0x02   /* writable */
#define EVL_RDHUP 0x04 /* interest: the peer's half-close; readiness: it happened
                          (backends that cannot tell report EVL_IN only) */
#define EVL_HUP 0x08   /* readiness only: both directions are gone */
#define EVL_ERR 0x10   /* readiness only: the fd has a pending error */

struct evloop;

/* One ready fd, or a wake-up (data == NULL). */
struct evl_event {
    void *data;      /* as given to evl_set */
    unsigned events; /* EVL_* */
};

/* Makes a loop into *out. Returns 0 or -errno. */
int evl_new(struct evloop **out);

/* Frees l and its fds (the registered fds are the caller's). NULL is fine. */
void evl_free(struct evloop *l);

/*
 * Sets fd's interest to want (EVL_IN|EVL_OUT|EVL_RDHUP; 0 removes fd), where
 * have is the interest the caller set last (0: fd is not registered). data
 * comes back with fd's events (not NULL). Returns 0 or -errno (the interest
 * is then still have).
 */
int evl_set(struct evloop *l, int fd, unsigned have, unsigned want, void *data);

/*
 * Waits at most timeout_ms (-1: no limit) for events and stores up to max of
 * them in evs. A wake-up (evl_wake since the last one was returned) is one
 * event with data NULL. Returns how many (0: timed out or interrupted by a
 * signal) or -errno.
 */
int evl_wait(struct evloop *l, struct evl_event *evs, int max, int timeout_ms);

/* Wakes the loop's evl_wait (now or the next one). Any thread. */
void evl_wake(struct evloop *l);

/* The backend's name: "epoll", "kqueue" or "poll". */
const char *evl_backend(void);

#endif
