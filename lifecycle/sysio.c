/*
 * sysio.c — the replaceable table of socket calls (sysio.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <unistd.h>

#include "sysio.h"

/* accept4(SOCK_NONBLOCK|SOCK_CLOEXEC), or accept + fcntl where missing. */
static int real_accept(int fd, struct sockaddr *peer, socklen_t *len)
{
#ifdef HAVE_ACCEPT4
    return accept4(fd, peer, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    int c = accept(fd, peer, len), fl;

    if (c < 0)
        return -1;
    fl = fcntl(c, F_GETFL);
    if (fl < 0 || fcntl(c, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(c, F_SETFD, FD_CLOEXEC) < 0) {
        int err = errno;

        close(c);
        errno = err;
        return -1;
    }
    return c;
#endif
}

static int real_openat(int dir_fd, const char *name, int flags, unsigned mode)
{
    return openat(dir_fd, name, flags, (mode_t)mode);
}

static int real_may_open(const char *path)
{
    (void)path;
    return 0;
}

const struct lc_sysio lc_sysio_real = {.accept = real_accept, .openat = real_openat,
                                       .may_open = real_may_open};

static _Atomic(const struct lc_sysio *) table = &lc_sysio_real;

void lc_sysio_install(const struct lc_sysio *t)
{
    atomic_store(&table, t ? t : &lc_sysio_real);
}

int lc_sys_accept(int fd, struct sockaddr *peer, socklen_t *len)
{
    return atomic_load(&table)->accept(fd, peer, len);
}

int lc_sys_openat(int dir_fd, const char *name, int flags, unsigned mode)
{
    return atomic_load(&table)->openat(dir_fd, name, flags, mode);
}

int lc_sys_may_open(const char *path)
{
    return atomic_load(&table)->may_open(path);
}
