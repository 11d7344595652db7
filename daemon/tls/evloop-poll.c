/*
 * evloop-poll.c — evloop.h on POSIX poll(): works anywhere; O(fds) a wait.
 *
 * The loop keeps a dense pollfd array (slot 0: the read end of the wake-up
 * pipe) and, per fd number, the slot it is in (-1: none), so evl_set is O(1):
 * a removed slot is filled by the last one. evl_wait copies the ready slots
 * out before returning, so evl_set during the caller's dispatch is safe.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "evloop.h"

struct evloop {
    struct pollfd *pfd; /* [0]: the wake pipe's read end */
    void **data;        /* per slot, as given to evl_set */
    size_t n, cap;      /* slots used, allocated */
    int *slot_of;       /* by fd number: slot, or -1 */
    size_t n_fds;       /* entries in slot_of */
    int wake[2];
};

const char *evl_backend(void)
{
    return "poll";
}

/* Grows the slot arrays to hold one more. Returns 0 or -ENOMEM. */
static int grow_slots(struct evloop *l)
{
    size_t cap = l->cap ? 2 * l->cap : 64;
    struct pollfd *p;
    void **d;

    if (l->n < l->cap)
        return 0;
    p = realloc(l->pfd, cap * sizeof *p);
    if (!p)
        return -ENOMEM;
    l->pfd = p;
    d = realloc(l->data, cap * sizeof *d);
    if (!d)
        return -ENOMEM;
    l->data = d;
    l->cap = cap;
    return 0;
}

/* Makes slot_of cover fd. Returns 0 or -ENOMEM. */
static int grow_index(struct evloop *l, int fd)
{
    size_t n = l->n_fds ? l->n_fds : 64;
    int *s;

    if ((size_t)fd < l->n_fds)
        return 0;
    while (n <= (size_t)fd)
        n *= 2;
    s = realloc(l->slot_of, n * sizeof *s);
    if (!s)
        return -ENOMEM;
    for (size_t i = l->n_fds; i < n; i++)
        s[i] = -1;
    l->slot_of = s;
    l->n_fds = n;
    return 0;
}

int evl_new(struct evloop **out)
{
    struct evloop *l = calloc(1, sizeof *l);
    int rc;

    *out = NULL;
    if (!l)
        return -ENOMEM;
    l->wake[0] = l->wake[1] = -1;
    if ((rc = compat_pipe_nb(l->wake)) < 0 || (rc = grow_slots(l)) < 0) {
        evl_free(l);
        return rc;
    }
    l->pfd[0] = (struct pollfd){.fd = l->wake[0], .events = POLLIN};
    l->data[0] = NULL;
    l->n = 1;
    *out = l;
    return 0;
}

void evl_free(struct evloop *l)
{
    if (!l)
        return;
    if (l->wake[0] >= 0)
        close(l->wake[0]);
    if (l->wake[1] >= 0)
        close(l->wake[1]);
    free(l->pfd);
    free(l->data);
    free(l->slot_of);
    free(l);
}

static short to_poll(unsigned want)
{
    /* A half-close shows as POLLIN (read returns 0); POLLRDHUP is Linux's. */
    return (short)((want & (EVL_IN | EVL_RDHUP) ? POLLIN : 0) | (want & EVL_OUT ? POLLOUT : 0));
}

int evl_set(struct evloop *l, int fd, unsigned have, unsigned want, void *data)
{
    int s, rc;

    if (want == have)
        return 0;
    if (fd < 0)
        return -EBADF;
    s = (size_t)fd < l->n_fds ? l->slot_of[fd] : -1;
    if (!want) {
        if (s < 0)
            return -ENOENT;
        l->n--;
        if ((size_t)s != l->n) { /* the last slot fills the hole */
            l->pfd[s] = l->pfd[l->n];
            l->data[s] = l->data[l->n];
            l->slot_of[l->pfd[s].fd] = s;
        }
        l->slot_of[fd] = -1;
        return 0;
    }
    if (s < 0) {
        if (have)
            return -ENOENT;
        if ((rc = grow_index(l, fd)) < 0 || (rc = grow_slots(l)) < 0)
            return rc;
        s = (int)l->n++;
        l->slot_of[fd] = s;
        l->pfd[s].fd = fd;
    } else if (!have) {
        return -EEXIST;
    }
    l->pfd[s].events = to_poll(want);
    l->pfd[s].revents = 0;
    l->data[s] = data;
    return 0;
}

int evl_wait(struct evloop *l, struct evl_event *evs, int max, int timeout_ms)
{
    int n = poll(l->pfd, (nfds_t)l->n, timeout_ms), k = 0;

    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (size_t i = 0; i < l->n && n > 0 && k < max; i++) {
        short r = l->pfd[i].revents;

        if (!r)
            continue;
        n--;
        if (i == 0) {
            char buf[64];

            while (read(l->wake[0], buf, sizeof buf) > 0)
                ;
        }
        evs[k].data = l->data[i];
        evs[k].events = (r & POLLIN ? EVL_IN : 0) | (r & POLLOUT ? EVL_OUT : 0) |
                        (r & POLLHUP ? EVL_HUP : 0) | (r & (POLLERR | POLLNVAL) ? EVL_ERR : 0);
        k++;
    }
    return k;
}

void evl_wake(struct evloop *l)
{
    char one = 1;

    /* EAGAIN: the pipe is full, so a wake-up is pending anyway */
    while (write(l->wake[1], &one, 1) < 0 && errno == EINTR)
        ;
}
