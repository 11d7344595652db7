/*
 * compat.h — the POSIX calls that differ between Linux and Darwin (macOS,
 * iOS), behind one interface. The rest of ferry calls these and never tests
 * for a platform. What each hides:
 *   - accept4, pipe2 and the SOCK_NONBLOCK/SOCK_CLOEXEC type flags are Linux
 *     (and BSD) only: the fallbacks set O_NONBLOCK and FD_CLOEXEC with fcntl
 *     (not atomic with fork+exec; ferry's library never execs);
 *   - SIGPIPE: MSG_NOSIGNAL on Linux, SO_NOSIGPIPE on each socket on Darwin
 *     (set by the constructors below, so COMPAT_MSG_NOSIGNAL may be 0);
 *   - a monotonic deadline for pthread_cond_timedwait needs
 *     pthread_condattr_setclock, which Darwin lacks: there the wait is
 *     relative (pthread_cond_timedwait_relative_np) or converted to a
 *     realtime deadline, and the monotonic clock still decides the timeout;
 *   - fsync does not flush the drive's cache on Darwin: F_FULLFSYNC does;
 *   - struct stat's modification time is st_mtim (POSIX 2008) or
 *     st_mtimespec (Darwin).
 * Building with FERRY_COMPAT_PORTABLE defined takes every fallback (the unit
 * test does, so that the Darwin paths run on Linux too).
 */
#ifndef FERRY_COMPAT_H
#define FERRY_COMPAT_H

#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(MSG_NOSIGNAL) && !defined(FERRY_COMPAT_PORTABLE)
#define COMPAT_MSG_NOSIGNAL MSG_NOSIGNAL
#else
#define COMPAT_MSG_NOSIGNAL 0 /* SO_NOSIGPIPE is set on the socket instead */
#endif

/* The modification time of *st. */
static inline struct timespec compat_st_mtim(const struct stat *st)
{
#ifdef __APPLE__
    return st->st_mtimespec;
#else
    return st->st_mtim;
#endif
}

/* Sets O_NONBLOCK (when nonblock) and FD_CLOEXEC on fd. Returns 0 or -errno. */
int compat_fd_flags(int fd, int nonblock);

/* Sets SO_NOSIGPIPE on a socket where the system has it (Darwin); no-op
 * elsewhere. */
void compat_nosigpipe(int fd);

/* socketpair(AF_UNIX, SOCK_STREAM) with both ends non-blocking, close-on-exec
 * and without SIGPIPE. Returns 0 or -errno (nothing left open). */
int compat_socketpair_nb(int sv[2]);

/* A pipe with both ends non-blocking and close-on-exec. Returns 0 or -errno. */
int compat_pipe_nb(int p[2]);

/* socket() with close-on-exec (and without SIGPIPE). Returns the fd, or -1
 * with errno set (as socket does). */
int compat_socket_cloexec(int domain, int type, int protocol);

/*
 * accept() on fd; the new socket is close-on-exec, without SIGPIPE, and
 * non-blocking when nonblock. Returns the fd, or -1 with errno set (as
 * accept does, so callers keep their errno checks).
 */
int compat_accept(int fd, struct sockaddr *sa, socklen_t *len, int nonblock);

/* Initialises c for compat_cond_timedwait (monotonic where it can). Returns
 * 0 or an errno value. */
int compat_cond_init(pthread_cond_t *c);

/*
 * pthread_cond_timedwait until deadline on CLOCK_MONOTONIC, on a condition
 * variable made by compat_cond_init. Returns 0 (woken, maybe spuriously:
 * callers loop on their predicate) or ETIMEDOUT once the monotonic clock has
 * reached deadline; a change of the wall clock can end a wait early but never
 * makes it report ETIMEDOUT early.
 */
int compat_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *deadline);

/*
 * Makes what was written to fd durable: fcntl(F_FULLFSYNC) where it exists
 * (Darwin: the drive's cache too), falling back to fsync when the file system
 * refuses it; fsync elsewhere. Returns 0 or -1 with errno set, as fsync.
 * Inline: the journal and the upload code are also linked alone into tests.
 */
static inline int compat_fsync_durable(int fd)
{
#ifdef F_FULLFSYNC
    if (fcntl(fd, F_FULLFSYNC) == 0)
        return 0;
    /* ENOTSUP, EINVAL: a file system without it (network, some external) */
#endif
    return fsync(fd);
}

#endif
