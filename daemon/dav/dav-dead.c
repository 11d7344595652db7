/*
 * dav-dead.c — dead properties as user xattrs, or in the state folder;
 * see dav-dead.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef HAVE_SYS_XATTR_H
#include <sys/xattr.h>
#endif
#include <unistd.h>

#include "dav-buf.h"
#include "dav-dead.h"

#define XATTR_NAME_LEN 255 /* Linux XATTR_NAME_MAX */

/* Darwin's xattr calls take a position and options, and a missing
 * attribute is ENOATTR there. Without <sys/xattr.h> (zig's macOS headers)
 * every call fails with ENOTSUP: the state folder holds the properties. */
#if !defined(HAVE_SYS_XATTR_H)
#define FGETXATTR(fd, n, v, s) ((void)(fd), (void)(n), (void)(v), (void)(s), errno = ENOTSUP, -1)
#define FSETXATTR(fd, n, v, s) ((void)(fd), (void)(n), (void)(v), (void)(s), errno = ENOTSUP, -1)
#define FLISTXATTR(fd, b, s) ((void)(fd), (void)(b), (void)(s), errno = ENOTSUP, -1)
#define FREMOVEXATTR(fd, n) ((void)(fd), (void)(n), errno = ENOTSUP, -1)
#define NOT_SET(e) ((e) == ENODATA)
#elif defined(__APPLE__)
#define FGETXATTR(fd, n, v, s) fgetxattr(fd, n, v, s, 0, 0)
#define FSETXATTR(fd, n, v, s) fsetxattr(fd, n, v, s, 0, 0)
#define FLISTXATTR(fd, b, s) flistxattr(fd, b, s, 0)
#define FREMOVEXATTR(fd, n) fremovexattr(fd, n, 0)
#define NOT_SET(e) ((e) == ENOATTR || (e) == ENODATA)
#else
#define FGETXATTR(fd, n, v, s) fgetxattr(fd, n, v, s)
#define FSETXATTR(fd, n, v, s) fsetxattr(fd, n, v, s, 0)
#define FLISTXATTR(fd, b, s) flistxattr(fd, b, s)
#define FREMOVEXATTR(fd, n) fremovexattr(fd, n)
#define NOT_SET(e) ((e) == ENODATA)
#endif
#define LIST_MAX 65536     /* bytes of xattr names read */

void dav_dead_store_init(struct dav_dead_store *s, int state_fd)
{
    s->state_fd = state_fd;
    s->no_xattr = 0;
    pthread_mutex_init(&s->mu, NULL);
}

void dav_dead_store_destroy(struct dav_dead_store *s)
{
    if (s)
        pthread_mutex_destroy(&s->mu);
}

/* ---------------------------------------------------------------- xattrs */

/* "user.ferry.{ns}name" into out. */
static int key(const char *ns, const char *name, char out[XATTR_NAME_LEN + 1])
{
    int n = snprintf(out, XATTR_NAME_LEN + 1, DAV_DEAD_PREFIX "{%s}%s", ns, name);

    return n < 0 || n > XATTR_NAME_LEN ? -ENAMETOOLONG : 0;
}

static int os_err(void)
{
    if (NOT_SET(errno))
        return -ENODATA;
    return errno == EOPNOTSUPP ? -ENOTSUP : -errno;
}

static int x_get(int fd, const char *ns, const char *name, char **value)
{
    char k[XATTR_NAME_LEN + 1];
    char *v;
    ssize_t n;
    int rc = key(ns, name, k);

    if (rc < 0)
        return -ENODATA; /* could never have been set */
    v = malloc(DAV_DEAD_VALUE_MAX + 1);
    if (!v)
        return -ENOMEM;
    n = FGETXATTR(fd, k, v, DAV_DEAD_VALUE_MAX);
    if (n < 0) {
        rc = os_err();
        free(v);
        return rc;
    }
    v[n] = '\0';
    *value = v;
    return 0;
}

static int x_list(int fd, int names_only, dav_dead_fn fn, void *cls)
{
    char small[2048], *list = small; /* most items have few or no xattrs */
    ssize_t len;
    int count = 0;

    len = FLISTXATTR(fd, list, sizeof small);
    if (len < 0 && errno == ERANGE) {
        list = malloc(LIST_MAX);
        if (!list)
            return -ENOMEM;
        len = FLISTXATTR(fd, list, LIST_MAX);
    }
    if (len < 0) {
        count = os_err();
        if (list != small)
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
        if (!names_only) {
            char *v = malloc(DAV_DEAD_VALUE_MAX + 1);
            ssize_t n = v ? FGETXATTR(fd, p, v, DAV_DEAD_VALUE_MAX) : -1;

            if (n < 0) { /* removed meanwhile, or too big: left out */
                free(v);
                continue;
            }
            v[n] = '\0';
            value = v;
        }
        *close = '\0';
        fn(cls, ns, close + 1, value);
        *close = '}';
        free(value);
        count++;
    }
    if (list != small)
        free(list);
    return count;
}

static int x_set(int fd, const char *ns, const char *name, const char *value)
{
    char k[XATTR_NAME_LEN + 1];
    int rc = key(ns, name, k);

    if (rc < 0)
        return rc;
    return FSETXATTR(fd, k, value, strlen(value)) < 0 ? os_err() : 0;
}

static int x_remove(int fd, const char *ns, const char *name)
{
    char k[XATTR_NAME_LEN + 1];

    if (key(ns, name, k) < 0)
        return 0;
    if (FREMOVEXATTR(fd, k) < 0 && !NOT_SET(errno))
        return os_err();
    return 0;
}


/* ---------------------------------------------------------- state folder */

/* The state file's name for the resource open at fd. */
static int s_name(int fd, char *out, size_t len)
{
    struct stat st;
    long long birth = 0;

    if (fstat(fd, &st) < 0)
        return -errno;
#ifdef STATX_BTIME
    {
        struct statx sx;

        if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME))
            birth = (long long)sx.stx_btime.tv_sec * 1000000000LL + sx.stx_btime.tv_nsec;
    }
#endif
    snprintf(out, len, DAV_DEAD_DIR "/%llx-%llx-%llx", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino, (unsigned long long)birth);
    return 0;
}

/* Reads the resource's records into b (empty when there are none). */
static int s_load(struct dav_dead_store *s, const char *name, struct dav_buf *b)
{
    char chunk[8192];
    int fd = openat(s->state_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;
    ssize_t n;

    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    while (rc == 0 && (n = read(fd, chunk, sizeof chunk)) > 0)
        rc = dav_buf_add(b, chunk, (size_t)n);
    if (rc == 0 && n < 0)
        rc = -errno;
    close(fd);
    return rc;
}

/* Replaces the resource's state file with b's records (removed when b is
 * empty): a temporary name, fsynced, renamed over. */
static int s_save(struct dav_dead_store *s, const char *name, const struct dav_buf *b)
{
    char tmp[128];
    int fd, rc = 0;

    if (!b->len)
        return unlinkat(s->state_fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
    if (mkdirat(s->state_fd, DAV_DEAD_DIR, 0700) < 0 && errno != EEXIST)
        return -errno;
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    fd = openat(s->state_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    if (write(fd, b->p, b->len) != (ssize_t)b->len || fsync(fd) < 0)
        rc = errno ? -errno : -EIO;
    close(fd);
    if (rc == 0 && renameat(s->state_fd, tmp, s->state_fd, name) < 0)
        rc = -errno;
    if (rc < 0)
        unlinkat(s->state_fd, tmp, 0);
    return rc;
}

/* Walks the records of b: fn(ns, name, value) for each; stops at a
 * malformed tail. */
static void s_each(const struct dav_buf *b, void (*fn)(void *, const char *, const char *,
                                                       const char *), void *cls)
{
    const char *p = b->p, *end = b->p + b->len;

    while (p && p < end) {
        const char *ns = p, *name, *value;

        name = memchr(ns, '\0', (size_t)(end - ns));
        if (!name++ || name >= end)
            return;
        value = memchr(name, '\0', (size_t)(end - name));
        if (!value++ || value >= end)
            return;
        p = memchr(value, '\0', (size_t)(end - value));
        if (!p++)
            return;
        fn(cls, ns, name, value);
    }
}

/* Rebuilds records without ns/name, and with `value` for it when not NULL. */
struct rebuild {
    struct dav_buf out;
    const char *ns, *name;
    char *found; /* a copy of its old value (get) */
    int want_found;
    int rc;
};

static int add_record(struct dav_buf *b, const char *ns, const char *name, const char *value)
{
    int rc = dav_buf_add(b, ns, strlen(ns) + 1);

    rc = rc ? rc : dav_buf_add(b, name, strlen(name) + 1);
    return rc ? rc : dav_buf_add(b, value, strlen(value) + 1);
}

static void keep_others(void *cls, const char *ns, const char *name, const char *value)
{
    struct rebuild *r = cls;

    if (strcmp(ns, r->ns) == 0 && strcmp(name, r->name) == 0) {
        if (r->want_found && !r->found)
            r->found = strdup(value);
        return;
    }
    if (r->rc == 0)
        r->rc = add_record(&r->out, ns, name, value);
}

/* Reads, edits (value NULL: remove) and writes one resource's records. */
static int s_edit(struct dav_dead_store *s, int fd, const char *ns, const char *name,
                  const char *value)
{
    struct dav_buf in;
    struct rebuild r = {.ns = ns, .name = name};
    char file[96];
    int rc = s_name(fd, file, sizeof file);

    if (rc < 0)
        return rc;
    dav_buf_init(&in, DAV_DEAD_FILE_MAX);
    dav_buf_init(&r.out, DAV_DEAD_FILE_MAX);
    pthread_mutex_lock(&s->mu);
    rc = s_load(s, file, &in);
    if (rc == 0)
        s_each(&in, keep_others, &r);
    rc = rc ? rc : r.rc;
    if (rc == 0 && value)
        rc = add_record(&r.out, ns, name, value);
    if (rc == 0)
        rc = s_save(s, file, &r.out);
    pthread_mutex_unlock(&s->mu);
    dav_buf_free(&in);
    dav_buf_free(&r.out);
    return rc == -E2BIG ? -ENOSPC : rc;
}

struct lister {
    dav_dead_fn fn;
    void *cls;
    int names_only, count;
};

static void list_one(void *cls, const char *ns, const char *name, const char *value)
{
    struct lister *l = cls;

    l->fn(l->cls, ns, name, l->names_only ? NULL : value);
    l->count++;
}

/* Loads the records of the resource at fd into b, under the mutex. */
static int s_read(struct dav_dead_store *s, int fd, struct dav_buf *b)
{
    char file[96];
    int rc = s_name(fd, file, sizeof file);

    if (rc < 0)
        return rc;
    pthread_mutex_lock(&s->mu);
    rc = s_load(s, file, b);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ------------------------------------------------------------------- API */

/* Whether an xattr call's result sends the operation to the state folder:
 * xattrs are not supported there (or turned off) and there is one. */
static int to_state(struct dav_dead_store *s, int rc)
{
    return rc == -ENOTSUP && s && s->state_fd >= 0;
}

/* The xattr result to use when tests turn xattrs off. */
static int x_off(struct dav_dead_store *s)
{
    return s && s->no_xattr;
}

int dav_dead_list(struct dav_dead_store *s, int fd, int names_only, dav_dead_fn fn, void *cls)
{
    struct lister l = {fn, cls, names_only, 0};
    struct dav_buf b;
    int rc = x_off(s) ? -ENOTSUP : x_list(fd, names_only, fn, cls);

    if (!to_state(s, rc))
        return rc;
    dav_buf_init(&b, DAV_DEAD_FILE_MAX);
    rc = s_read(s, fd, &b);
    if (rc == 0)
        s_each(&b, list_one, &l);
    dav_buf_free(&b);
    return rc < 0 ? rc : l.count;
}

int dav_dead_get(struct dav_dead_store *s, int fd, const char *ns, const char *name,
                 char **value)
{
    struct rebuild r = {.ns = ns, .name = name, .want_found = 1};
    struct dav_buf b;
    int rc;

    *value = NULL;
    rc = x_off(s) ? -ENOTSUP : x_get(fd, ns, name, value);
    if (!to_state(s, rc))
        return rc;
    dav_buf_init(&b, DAV_DEAD_FILE_MAX);
    dav_buf_init(&r.out, 0);
    rc = s_read(s, fd, &b);
    if (rc == 0)
        s_each(&b, keep_others, &r);
    dav_buf_free(&b);
    dav_buf_free(&r.out);
    if (rc < 0) {
        free(r.found);
        return rc;
    }
    *value = r.found;
    return r.found ? 0 : -ENODATA;
}

int dav_dead_set(struct dav_dead_store *s, int fd, const char *ns, const char *name,
                 const char *value)
{
    char k[XATTR_NAME_LEN + 1];
    int rc = key(ns, name, k);

    if (rc < 0) /* the same bound everywhere, so that a copy never loses one */
        return rc;
    if (strlen(value) > DAV_DEAD_VALUE_MAX)
        return -E2BIG;
    rc = x_off(s) ? -ENOTSUP : x_set(fd, ns, name, value);
    return to_state(s, rc) ? s_edit(s, fd, ns, name, value) : rc;
}

int dav_dead_remove(struct dav_dead_store *s, int fd, const char *ns, const char *name)
{
    int rc = x_off(s) ? -ENOTSUP : x_remove(fd, ns, name);

    if (to_state(s, rc))
        return s_edit(s, fd, ns, name, NULL);
    return rc == -ENOTSUP ? 0 : rc;
}

/* Copies one property (dav_dead_fn). */
struct copy_ctx {
    struct dav_dead_store *s;
    int dst;
    int rc;
};

static void copy_one(void *cls, const char *ns, const char *name, const char *value)
{
    struct copy_ctx *c = cls;
    int rc = dav_dead_set(c->s, c->dst, ns, name, value);

    if (rc < 0 && c->rc == 0)
        c->rc = rc;
}

int dav_dead_copy(struct dav_dead_store *s, int src_fd, int dst_fd)
{
    struct copy_ctx c = {s, dst_fd, 0};
    int rc = dav_dead_list(s, src_fd, 0, copy_one, &c);

    if (rc == -ENOTSUP)
        return 0;
    return rc < 0 ? rc : c.rc;
}
