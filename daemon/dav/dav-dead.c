/*
 * dav-dead.c — dead properties as user xattrs; see dav-dead.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "dav-dead.h"

#define XATTR_NAME_LEN 255 /* Linux XATTR_NAME_MAX */
#define LIST_MAX 65536     /* bytes of xattr names read */

/* "user.ferry.{ns}name" into out. */
static int key(const char *ns, const char *name, char out[XATTR_NAME_LEN + 1])
{
    int n = snprintf(out, XATTR_NAME_LEN + 1, DAV_DEAD_PREFIX "{%s}%s", ns, name);

    return n < 0 || n > XATTR_NAME_LEN ? -ENAMETOOLONG : 0;
}

static int os_err(void)
{
    return errno == EOPNOTSUPP ? -ENOTSUP : -errno;
}

int dav_dead_get(int fd, const char *ns, const char *name, char **value)
{
    char k[XATTR_NAME_LEN + 1];
    char *v;
    ssize_t n;
    int rc = key(ns, name, k);

    *value = NULL;
    if (rc < 0)
        return -ENODATA; /* could never have been set */
    v = malloc(DAV_DEAD_VALUE_MAX + 1);
    if (!v)
        return -ENOMEM;
    n = fgetxattr(fd, k, v, DAV_DEAD_VALUE_MAX);
    if (n < 0) {
        rc = os_err();
        free(v);
        return rc;
    }
    v[n] = '\0';
    *value = v;
    return 0;
}

int dav_dead_list(int fd, int names_only, dav_dead_fn fn, void *cls)
{
    char *list = malloc(LIST_MAX);
    ssize_t len;
    int count = 0;

    if (!list)
        return -ENOMEM;
    len = flistxattr(fd, list, LIST_MAX);
    if (len < 0) {
        count = os_err();
        free(list);
        return count;
    }
    for (char *p = list; p < list + len; p += strlen(p) + 1) {
        char *ns, *close, *value = NULL;

        if (strncmp(p, DAV_DEAD_PREFIX "{", sizeof DAV_DEAD_PREFIX) != 0)
            continue;
        ns = p + sizeof DAV_DEAD_PREFIX;
        close = strrchr(ns, '}');
        if (!close || !close[1])
            continue;
        *close = '\0';
        if (!names_only) {
            char *v = malloc(DAV_DEAD_VALUE_MAX + 1);
            ssize_t n;

            *close = '}';
            n = v ? fgetxattr(fd, p, v, DAV_DEAD_VALUE_MAX) : -1;
            *close = '\0';
            if (n < 0) { /* removed meanwhile, or too big: left out */
                free(v);
                continue;
            }
            v[n] = '\0';
            value = v;
        }
        fn(cls, ns, close + 1, value);
        free(value);
        *close = '}';
        count++;
    }
    free(list);
    return count;
}

int dav_dead_set(int fd, const char *ns, const char *name, const char *value)
{
    char k[XATTR_NAME_LEN + 1];
    int rc = key(ns, name, k);
    size_t n = strlen(value);

    if (rc < 0)
        return rc;
    if (n > DAV_DEAD_VALUE_MAX)
        return -E2BIG;
    return fsetxattr(fd, k, value, n, 0) < 0 ? os_err() : 0;
}

int dav_dead_remove(int fd, const char *ns, const char *name)
{
    char k[XATTR_NAME_LEN + 1];

    if (key(ns, name, k) < 0)
        return 0;
    if (fremovexattr(fd, k) < 0 && errno != ENODATA)
        return os_err();
    return 0;
}

/* Copies one property (dav_dead_fn). */
struct copy_ctx {
    int dst;
    int rc;
};

static void copy_one(void *cls, const char *ns, const char *name, const char *value)
{
    struct copy_ctx *c = cls;
    int rc = dav_dead_set(c->dst, ns, name, value);

    if (rc < 0 && c->rc == 0)
        c->rc = rc;
}

int dav_dead_copy(int src_fd, int dst_fd)
{
    struct copy_ctx c = {dst_fd, 0};
    int rc = dav_dead_list(src_fd, 0, copy_one, &c);

    if (rc == -ENOTSUP)
        return 0;
    return rc < 0 ? rc : c.rc;
}
