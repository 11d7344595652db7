/*
 * sysio.h — the socket calls ferry routes through a replaceable table, as
 * SQLite routes its VFS, so that a fake OS can make them fail the way iOS
 * does (a listener defunct by suspension fails every accept() with
 * ECONNABORTED; a file of protection class Complete fails open() with
 * EPERM while the phone is locked) without touching the real files.
 *
 * One process-wide table. The default is the real calls. A fake installs its
 * own with lc_sysio_install() and restores the default with NULL. Install
 * and calls may race: a call uses the table it read (the pointer is atomic;
 * an installed table must outlive every call that may have read it, which
 * the fake OS guarantees by installing a static table once).
 */
#ifndef FERRY_LC_SYSIO_H
#define FERRY_LC_SYSIO_H

#include <sys/socket.h>

struct lc_sysio {
    /* accept4() with flags SOCK_NONBLOCK|SOCK_CLOEXEC (emulated where
     * accept4 is missing). Returns the new fd, or -1 with errno set. */
    int (*accept)(int fd, struct sockaddr *peer, socklen_t *len);
    /* openat(dir_fd, name, flags, mode): the fd, or -1 with errno. */
    int (*openat)(int dir_fd, const char *name, int flags, unsigned mode);
    /* Whether a file of the shared folder at `path` ('/'-led, below the
     * root) may be opened now: 0, or -EPERM when its data protection class
     * makes it unreadable (a locked iPhone). The real one always says 0:
     * the real EPERM comes from the open itself. */
    int (*may_open)(const char *path);
};

/* The real calls. */
extern const struct lc_sysio lc_sysio_real;

/* Installs `t` (borrowed: must outlive the process' use of it), or the real
 * calls with NULL. Any thread. */
void lc_sysio_install(const struct lc_sysio *t);

/* accept through the installed table: a non-blocking, close-on-exec
 * connection fd, or -1 with errno. Any thread. */
int lc_sys_accept(int fd, struct sockaddr *peer, socklen_t *len);

/* may_open through the installed table. Any thread. */
int lc_sys_may_open(const char *path);

/* openat through the installed table. Any thread. */
int lc_sys_openat(int dir_fd, const char *name, int flags, unsigned mode);

#endif
