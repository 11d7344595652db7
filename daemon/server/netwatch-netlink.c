/*
 * netwatch-netlink.c — the Linux address watcher (netwatch.h): a
 * NETLINK_ROUTE socket subscribed to IPv4 and IPv6 address events, read by
 * one thread that sleeps in poll() until the kernel says something.
 *
 * What it owns: the netlink socket, a wake pipe and the thread. An
 * RTM_NEWADDR or RTM_DELADDR arms a settle deadline (NETWATCH_SETTLE_MS
 * after the last event); when it passes, the thread compares the
 * addresses ferry would serve on (srv_host_addresses) with the last set
 * it saw and posts FERRY_EVENT_NETWORK_CHANGED only when they differ, so
 * a flag change (tentative -> preferred, lifetimes) costs no rebind. A
 * netlink overrun (ENOBUFS: events were lost) is treated as a change.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "compat.h"
#include "netwatch.h"
#include "server.h"

struct netwatch {
    struct ferry_server *srv;
    int nl;          /* the netlink socket */
    int wake[2];     /* netwatch_stop() wakes the thread */
    pthread_t thread;
    char *last;      /* the address set last seen, joined with ' ' */
};

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * Reads every pending netlink message. Returns 1 when one was an address
 * event (or events were lost), 0 when none, -1 when the socket failed.
 */
static int drain(struct netwatch *w)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct nlmsghdr))));
    int seen = 0;

    for (;;) {
        ssize_t len = recv(w->nl, buf, sizeof buf, MSG_DONTWAIT);

        if (len < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return seen;
            if (errno == ENOBUFS) { /* overrun: something changed */
                seen = 1;
                continue;
            }
            return -1;
        }
        if (len == 0)
            return seen;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len);
             h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR)
                seen = 1;
        }
    }
}

/* The watcher's thread. */
static void *watch_main(void *arg)
{
    struct netwatch *w = arg;
    uint64_t settle_at = 0;

    for (;;) {
        struct pollfd pf[2] = {{.fd = w->wake[0], .events = POLLIN},
                               {.fd = w->nl, .events = POLLIN}};
        int timeout = -1, r;

        if (settle_at) {
            uint64_t now = mono_ms();

            timeout = settle_at > now ? (int)(settle_at - now) : 0;
        }
        r = poll(pf, 2, timeout);
        if (r < 0 && errno != EINTR)
            break;
        if (pf[0].revents)
            break; /* netwatch_stop() */
        if (pf[1].revents) {
            int d = drain(w);

            if (d < 0) {
                srv_log(w->srv, FERRY_LOG_WARN, "network: the address watch failed (%s): "
                        "address changes go unnoticed", strerror(errno));
                break;
            }
            if (d)
                settle_at = mono_ms() + NETWATCH_SETTLE_MS;
        }
        if (settle_at && mono_ms() >= settle_at) {
            char *now = srv_address_set(w->srv);

            settle_at = 0;
            if (now && (!w->last || strcmp(now, w->last) != 0)) {
                srv_log(w->srv, FERRY_LOG_INFO, "network: addresses changed: %s",
                        *now ? now : "(none)");
                free(w->last);
                w->last = now;
                ferry_server_post_event(w->srv, FERRY_EVENT_NETWORK_CHANGED);
            } else {
                srv_log(w->srv, FERRY_LOG_DEBUG, "network: address events; the addresses "
                        "ferry serves on are unchanged");
                free(now);
            }
        }
    }
    return NULL;
}

int netwatch_start(struct ferry_server *srv, struct netwatch **out)
{
    struct netwatch *w = calloc(1, sizeof *w);
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
                             .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR};
    int rc;

    *out = NULL;
    if (!w)
        return FERRY_ENOMEM;
    w->srv = srv;
    w->wake[0] = w->wake[1] = -1;
    w->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (w->nl < 0 || bind(w->nl, (struct sockaddr *)&sa, sizeof sa) < 0) {
        rc = -errno;
        goto fail;
    }
    rc = compat_pipe_nb(w->wake);
    if (rc < 0)
        goto fail;
    w->last = srv_address_set(srv);
    rc = -pthread_create(&w->thread, NULL, watch_main, w);
    if (rc < 0)
        goto fail;
    *out = w;
    return 0;
fail:
    srv_log(srv, FERRY_LOG_WARN, "network: cannot watch address changes (%s): new "
            "addresses need a restart", strerror(-rc));
    if (w->nl >= 0)
        close(w->nl);
    if (w->wake[0] >= 0) {
        close(w->wake[0]);
        close(w->wake[1]);
    }
    free(w->last);
    free(w);
    return rc;
}

void netwatch_stop(struct netwatch *w)
{
    char c = 1;

    if (!w)
        return;
    if (write(w->wake[1], &c, 1) < 0) {
        /* the pipe is empty and non-blocking: cannot happen */
    }
    pthread_join(w->thread, NULL);
    close(w->nl);
    close(w->wake[0]);
    close(w->wake[1]);
    free(w->last);
    free(w);
}
