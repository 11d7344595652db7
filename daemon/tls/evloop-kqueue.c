/*
 * evloop-kqueue.c — evloop.h on Darwin and the BSDs: kqueue, with
 * EVFILT_READ/EVFILT_WRITE per fd (level-triggered) and an EVFILT_USER event
 * for wake-ups (no file descriptor, so an iOS suspension's socket reclaim
 * cannot take it away).
 *
 * An fd's read and write readiness arrive as separate kevents: each becomes
 * one evl_event. EV_EOF on the read filter is the peer's half-close
 * (EVL_IN|EVL_RDHUP), on the write filter a hang-up (EVL_OUT|EVL_HUP); a
 * socket error (fflags) or EV_ERROR is EVL_ERR.
 *
 * Compiled for aarch64-macos in CI (tests/platforms/darwin-cross.sh); not run
 * here: no Darwin kernel is at hand.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include "compat.h"
#include "evloop.h"

#define BATCH 64
#define WAKE_IDENT 1

struct evloop {
    int kq;
};

const char *evl_backend(void)
{
    return "kqueue";
}

int evl_new(struct evloop **out)
{
    struct evloop *l = malloc(sizeof *l);
    struct kevent ke;
    int rc;

    *out = NULL;
    if (!l)
        return -ENOMEM;
    l->kq = kqueue();
    if (l->kq < 0) {
        rc = -errno;
        free(l);
        return rc;
    }
    compat_fd_flags(l->kq, 0);
    EV_SET(&ke, WAKE_IDENT, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, NULL);
    if (kevent(l->kq, &ke, 1, NULL, 0, NULL) < 0) {
        rc = -errno;
        evl_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

void evl_free(struct evloop *l)
{
    if (!l)
        return;
    if (l->kq >= 0)
        close(l->kq);
    free(l);
}

int evl_set(struct evloop *l, int fd, unsigned have, unsigned want, void *data)
{
    struct kevent ke[2];
    int n = 0;
    unsigned rd_have = have & (EVL_IN | EVL_RDHUP), rd_want = want & (EVL_IN | EVL_RDHUP);

    if (want == have)
        return 0;
    /* EV_ADD on a registered filter updates udata; EV_DELETE removes it. */
    if (rd_want)
        EV_SET(&ke[n++], fd, EVFILT_READ, EV_ADD, 0, 0, data);
    else if (rd_have)
        EV_SET(&ke[n++], fd, EVFILT_READ, EV_DELETE, 0, 0, NULL);
    if (want & EVL_OUT)
        EV_SET(&ke[n++], fd, EVFILT_WRITE, EV_ADD, 0, 0, data);
    else if (have & EVL_OUT)
        EV_SET(&ke[n++], fd, EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
    return kevent(l->kq, ke, n, NULL, 0, NULL) == 0 ? 0 : -errno;
}

int evl_wait(struct evloop *l, struct evl_event *evs, int max, int timeout_ms)
{
    struct kevent ke[BATCH];
    struct timespec ts, *tp = NULL;
    int n;

    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000;
        tp = &ts;
    }
    n = kevent(l->kq, NULL, 0, ke, max < BATCH ? max : BATCH, tp);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        unsigned e = 0;

        if (ke[i].filter == EVFILT_USER) {
            evs[i].data = NULL;
            evs[i].events = EVL_IN;
            continue;
        }
        if (ke[i].flags & EV_ERROR)
            e = EVL_ERR;
        else if (ke[i].filter == EVFILT_READ)
            e = EVL_IN | (ke[i].flags & EV_EOF ? EVL_RDHUP : 0);
        else
            e = EVL_OUT | (ke[i].flags & EV_EOF ? EVL_HUP : 0);
        if ((ke[i].flags & EV_EOF) && ke[i].fflags)
            e |= EVL_ERR; /* fflags holds the socket error */
        evs[i].data = ke[i].udata;
        evs[i].events = e;
    }
    return n;
}

void evl_wake(struct evloop *l)
{
    struct kevent ke;

    EV_SET(&ke, WAKE_IDENT, EVFILT_USER, 0, NOTE_TRIGGER, 0, NULL);
    kevent(l->kq, &ke, 1, NULL, 0, NULL);
}
