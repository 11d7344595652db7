/*
 * auth-file.c — atomic writes and bounded reads of the access-control files
 * in the state folder. See auth-file.h; the dance is the journal's
 * (lifecycle/journal.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "ferry.h"
#include "auth-file.h"

#define TEMP_ATTEMPTS 64

/* Whether a failed fsync of a folder only means the file system cannot
 * sync folders (some network and FUSE file systems). */
static int dir_sync_unsupported(int err)
{
    return err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP;
}

/* Creates a new temporary file for `name` in dir_fd, mode 0600, writing its
 * name into tmp[cap]. Returns the fd or -errno. */
static int open_temp(int dir_fd, const char *name, char *tmp, size_t cap)
{
    struct timespec ts;

    for (unsigned i = 0; i < TEMP_ATTEMPTS; i++) {
        int fd, n;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        n = snprintf(tmp, cap, "%s.tmp-%ld-%lx", name, (long)getpid(),
                     (unsigned long)ts.tv_nsec ^ ((unsigned long)i << 24));
        if (n < 0 || (size_t)n >= cap)
            return -ENAMETOOLONG;
        fd = openat(dir_fd, tmp,
                    O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

/* Writes len bytes at p to fd, across short writes. Returns 0 or -errno. */
static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (w == 0)
            return -EIO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* See auth-file.h. */
int auth_file_save(int dir_fd, const char *name, const void *buf, size_t len)
{
    char tmp[256];
    int fd, created = 0, rc;

    fd = open_temp(dir_fd, name, tmp, sizeof tmp);
    if (fd < 0)
        return fd;
    created = 1;
    if (fchmod(fd, 0600) != 0) {
        rc = -errno;
        goto fail;
    }
    rc = write_all(fd, buf, len);
    if (rc != 0)
        goto fail;
    if (compat_fsync_durable(fd) != 0) {
        rc = -errno;
        goto fail;
    }
    rc = close(fd);
    fd = -1; /* closed even when close() fails */
    if (rc != 0) {
        rc = -errno;
        goto fail;
    }
    if (renameat(dir_fd, tmp, dir_fd, name) != 0) {
        rc = -errno;
        goto fail;
    }
    created = 0;
    if (compat_fsync_durable(dir_fd) != 0 && !dir_sync_unsupported(errno)) {
        rc = -errno;
        goto fail;
    }
    rc = 0;
fail:
    if (fd >= 0)
        close(fd);
    if (created)
        unlinkat(dir_fd, tmp, 0);
    return rc;
}

/* See auth-file.h. */
int auth_file_load(int dir_fd, const char *name, size_t max, char **buf,
                   size_t *len, unsigned *mode_out)
{
    struct stat st;
    char *out = NULL;
    size_t size, got = 0;
    int fd, rc;

    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: a FIFO planted under the name must not hang the open. */
    fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        goto fail;
    }
    rc = -EINVAL;
    if (!S_ISREG(st.st_mode))
        goto fail;
    rc = -EFBIG;
    if (st.st_size < 0 || (unsigned long long)st.st_size > max)
        goto fail;
    size = (size_t)st.st_size;
    out = malloc(size + 1);
    if (!out) {
        rc = FERRY_ENOMEM;
        goto fail;
    }
    /* Read one byte more than fstat said, so that a file that grew since
     * is noticed rather than cut. */
    while (got <= size) {
        ssize_t r = read(fd, out + got, size + 1 - got);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            goto fail;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    rc = -EAGAIN; /* it grew while being read: a writer not using rename */
    if (got > size)
        goto fail;
    out[got] = '\0';
    if (mode_out)
        *mode_out = (unsigned)(st.st_mode & 07777);
    *buf = out;
    *len = got;
    out = NULL;
    rc = 0;
fail:
    free(out);
    close(fd);
    return rc;
}
