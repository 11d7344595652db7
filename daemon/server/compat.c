/*
 * compat.c — Linux/Darwin differences behind one interface (see compat.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "compat.h"

#ifdef FERRY_COMPAT_PORTABLE /* the unit test: every fallback */
#undef HAVE_ACCEPT4
#undef HAVE_PIPE2
#undef HAVE_PTHREAD_CONDATTR_SETCLOCK
#undef HAVE_PTHREAD_COND_TIMEDWAIT_RELATIVE_NP
#define TYPE_FLAGS 0
#elif defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
#define TYPE_FLAGS 1
#else
#define TYPE_FLAGS 0
#endif

int compat_fd_flags(int fd, int nonblock)
{
    int fl = fcntl(fd, F_GETFD);

    if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
        return -errno;
    if (!nonblock)
        return 0;
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    return 0;
}

void compat_nosigpipe(int fd)
{
#ifdef SO_NOSIGPIPE
    int one = 1;

    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#else
    (void)fd;
#endif
}

#if !TYPE_FLAGS || !defined(HAVE_PIPE2)
/* Closes both fds of sv, keeping errno; returns -errno. */
static int close_both(int sv[2])
{
    int e = errno;

    close(sv[0]);
    close(sv[1]);
    sv[0] = sv[1] = -1;
    return -e;
}
#endif

int compat_socketpair_nb(int sv[2])
{
#if TYPE_FLAGS
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
#else
    int rc;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return -errno;
    if ((rc = compat_fd_flags(sv[0], 1)) < 0 || (rc = compat_fd_flags(sv[1], 1)) < 0) {
        errno = -rc;
        return close_both(sv);
    }
#endif
    compat_nosigpipe(sv[0]);
    compat_nosigpipe(sv[1]);
    return 0;
}

int compat_pipe_nb(int p[2])
{
#ifdef HAVE_PIPE2
    return pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0 ? 0 : -errno;
#else
    int rc;

    if (pipe(p) < 0)
        return -errno;
    if ((rc = compat_fd_flags(p[0], 1)) < 0 || (rc = compat_fd_flags(p[1], 1)) < 0) {
        errno = -rc;
        return close_both(p);
    }
    return 0;
#endif
}

int compat_socket_cloexec(int domain, int type, int protocol)
{
#if TYPE_FLAGS
    int fd = socket(domain, type | SOCK_CLOEXEC, protocol);

    if (fd < 0)
        return -1;
#else
    int fd = socket(domain, type, protocol), rc;

    if (fd < 0)
        return -1;
    if ((rc = compat_fd_flags(fd, 0)) < 0) {
        close(fd);
        errno = -rc;
        return -1;
    }
#endif
    compat_nosigpipe(fd);
    return fd;
}

int compat_accept(int fd, struct sockaddr *sa, socklen_t *len, int nonblock)
{
    int c, rc;

#if defined(HAVE_ACCEPT4) && TYPE_FLAGS
    c = accept4(fd, sa, len, SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
    if (c < 0)
        return -1;
    (void)rc;
#else
    c = accept(fd, sa, len);
    if (c < 0)
        return -1;
    if ((rc = compat_fd_flags(c, nonblock)) < 0) {
        close(c);
        errno = -rc;
        return -1;
    }
#endif
    compat_nosigpipe(c);
    return c;
}

/* ------------------------------------------------------------ timed waits */

int compat_cond_init(pthread_cond_t *c)
{
#ifdef HAVE_PTHREAD_CONDATTR_SETCLOCK
    pthread_condattr_t ca;
    int rc = pthread_condattr_init(&ca);

    if (rc != 0)
        return rc;
    rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(c, &ca);
    pthread_condattr_destroy(&ca);
    return rc;
#else
    return pthread_cond_init(c, NULL);
#endif
}

#ifndef HAVE_PTHREAD_CONDATTR_SETCLOCK
/* a - b in nanoseconds, a and b normalised; saturates at 0 below. */
static int64_t ts_diff_ns(const struct timespec *a, const struct timespec *b)
{
    int64_t d = ((int64_t)a->tv_sec - (int64_t)b->tv_sec) * 1000000000 +
                ((int64_t)a->tv_nsec - (int64_t)b->tv_nsec);

    return d > 0 ? d : 0;
}
#endif

int compat_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *deadline)
{
#ifdef HAVE_PTHREAD_CONDATTR_SETCLOCK
    return pthread_cond_timedwait(c, m, deadline);
#else
    struct timespec now, rel;
    int64_t left;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &now);
    left = ts_diff_ns(deadline, &now);
    if (left == 0)
        return ETIMEDOUT;
    rel.tv_sec = (time_t)(left / 1000000000);
    rel.tv_nsec = (long)(left % 1000000000);
#ifdef HAVE_PTHREAD_COND_TIMEDWAIT_RELATIVE_NP
    rc = pthread_cond_timedwait_relative_np(c, m, &rel);
#else
    {
        struct timespec abs;

        clock_gettime(CLOCK_REALTIME, &abs);
        abs.tv_sec += rel.tv_sec;
        abs.tv_nsec += rel.tv_nsec;
        if (abs.tv_nsec >= 1000000000) {
            abs.tv_sec++;
            abs.tv_nsec -= 1000000000;
        }
        rc = pthread_cond_timedwait(c, m, &abs);
    }
#endif
    if (rc != ETIMEDOUT)
        return rc;
    /* The wall clock may have jumped: only the monotonic clock says when. */
    clock_gettime(CLOCK_MONOTONIC, &now);
    return ts_diff_ns(deadline, &now) == 0 ? ETIMEDOUT : 0;
#endif
}
