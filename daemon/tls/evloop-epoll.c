/*
 * evloop-epoll.c — evloop.h on Linux: epoll (level-triggered) and an eventfd
 * for wake-ups. The eventfd is registered with a NULL data pointer.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "evloop.h"

#define BATCH 64 /* epoll_events read per call at most */

struct evloop {
    int ep, wake;
};

const char *evl_backend(void)
{
    return "epoll";
}

int evl_new(struct evloop **out)
{
    struct evloop *l = malloc(sizeof *l);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    int rc;

    *out = NULL;
    if (!l)
        return -ENOMEM;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    l->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->ep < 0 || l->wake < 0 || epoll_ctl(l->ep, EPOLL_CTL_ADD, l->wake, &ev) < 0) {
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
    if (l->ep >= 0)
        close(l->ep);
    if (l->wake >= 0)
        close(l->wake);
    free(l);
}

static uint32_t to_epoll(unsigned want)
{
    return (want & EVL_IN ? EPOLLIN : 0) | (want & EVL_OUT ? EPOLLOUT : 0) |
           (want & EVL_RDHUP ? EPOLLRDHUP : 0);
}

int evl_set(struct evloop *l, int fd, unsigned have, unsigned want, void *data)
{
    struct epoll_event ev = {.events = to_epoll(want), .data.ptr = data};
    int op = !have ? EPOLL_CTL_ADD : !want ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;

    if (want == have)
        return 0;
    return epoll_ctl(l->ep, op, fd, &ev) == 0 ? 0 : -errno;
}

int evl_wait(struct evloop *l, struct evl_event *evs, int max, int timeout_ms)
{
    struct epoll_event ee[BATCH];
    int n = epoll_wait(l->ep, ee, max < BATCH ? max : BATCH, timeout_ms);

    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        uint32_t e = ee[i].events;

        if (!ee[i].data.ptr) {
            uint64_t v;

            if (read(l->wake, &v, sizeof v) < 0) {
                /* EAGAIN: already drained */
            }
        }
        evs[i].data = ee[i].data.ptr;
        evs[i].events = (e & EPOLLIN ? EVL_IN : 0) | (e & EPOLLOUT ? EVL_OUT : 0) |
                        (e & EPOLLRDHUP ? EVL_RDHUP : 0) | (e & EPOLLHUP ? EVL_HUP : 0) |
                        (e & EPOLLERR ? EVL_ERR : 0);
    }
    return n;
}

void evl_wake(struct evloop *l)
{
    uint64_t one = 1;

    while (write(l->wake, &one, sizeof one) < 0 && errno == EINTR)
        ;
}
