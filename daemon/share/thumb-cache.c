/*
 * thumb-cache.c — thumbnails and failures kept in $STATE/thumbs/; see
 * thumb-cache.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thumb-cache.h"

#if defined(__APPLE__)
#define MTIME(st) ((st)->st_mtimespec)
#define CTIME(st) ((st)->st_ctimespec)
#else
#define MTIME(st) ((st)->st_mtim)
#define CTIME(st) ((st)->st_ctim)
#endif

#define BLOCK 4096u
#define TMP_PREFIX ".tmp-"

struct thumb_cache {
    int dir_fd;          /* THUMB_CACHE_DIR, owned */
    uint64_t max, total; /* total: guarded by lock */
    unsigned seq;        /* numbers temporary names; guarded by lock */
    pthread_mutex_t lock; /* serialises puts and evictions */
};

/* What an entry of `size` bytes counts for the bound. */
static uint64_t cost(uint64_t size)
{
    uint64_t c = (size + BLOCK - 1) / BLOCK * BLOCK;

    return c ? c : BLOCK;
}

/* Whether name is an entry of this cache: NAME.jpg or NAME.no. */
static int is_entry(const char *name)
{
    size_t n = strlen(name);

    return name[0] != '.' && ((n > 4 && strcmp(name + n - 4, ".jpg") == 0) ||
                              (n > 3 && strcmp(name + n - 3, ".no") == 0));
}

void thumb_cache_name(const struct stat *st, int failed, char *buf, size_t len)
{
    snprintf(buf, len, "v1-%jx-%jx-%jx-%jx.%lx-%jx.%lx.%s", (uintmax_t)st->st_dev,
             (uintmax_t)st->st_ino, (uintmax_t)st->st_size, (uintmax_t)MTIME(st).tv_sec,
             (unsigned long)MTIME(st).tv_nsec, (uintmax_t)CTIME(st).tv_sec,
             (unsigned long)CTIME(st).tv_nsec, failed ? "no" : "jpg");
}

/* One entry, for the eviction's sort. */
struct entry {
    struct timespec mtime;
    uint64_t cost;
    char name[THUMB_CACHE_NAME_MAX];
};

static int older(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

/*
 * Reads the folder: removes temporary files (sweep), and returns the
 * entries in *list (malloc'd, the caller frees it; NULL when list is NULL)
 * with their number in *n and their total in *total. Returns 0 or -errno.
 */
static int scan(struct thumb_cache *tc, int sweep, struct entry **list, size_t *n,
                uint64_t *total)
{
    int fd = openat(tc->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct entry *v = NULL;
    size_t cap = 0;
    struct dirent *de;
    int rc = 0;

    *n = 0;
    *total = 0;
    if (list)
        *list = NULL;
    if (!d) {
        rc = -errno;
        if (fd >= 0)
            close(fd);
        return rc;
    }
    while ((de = readdir(d))) {
        struct stat st;

        if (sweep && strncmp(de->d_name, TMP_PREFIX, sizeof TMP_PREFIX - 1) == 0) {
            unlinkat(tc->dir_fd, de->d_name, 0);
            continue;
        }
        if (!is_entry(de->d_name) || strlen(de->d_name) >= THUMB_CACHE_NAME_MAX ||
            fstatat(tc->dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        *total += cost((uint64_t)st.st_size);
        if (!list)
            continue;
        if (*n == cap) {
            size_t c = cap ? cap * 2 : 256;
            struct entry *more = realloc(v, c * sizeof *v);

            if (!more) {
                rc = -ENOMEM;
                break;
            }
            v = more;
            cap = c;
        }
        v[*n].mtime = MTIME(&st);
        v[*n].cost = cost((uint64_t)st.st_size);
        memcpy(v[*n].name, de->d_name, strlen(de->d_name) + 1);
        (*n)++;
    }
    closedir(d);
    if (rc < 0) {
        free(v);
        *n = 0;
        return rc;
    }
    if (list)
        *list = v;
    return 0;
}

int thumb_cache_open(int state_fd, uint64_t max_bytes, struct thumb_cache **out)
{
    struct thumb_cache *tc;
    size_t n;
    int rc;

    *out = NULL;
    if (mkdirat(state_fd, THUMB_CACHE_DIR, 0700) < 0 && errno != EEXIST)
        return -errno;
    tc = calloc(1, sizeof *tc);
    if (!tc)
        return -ENOMEM;
    tc->max = max_bytes;
    tc->dir_fd = openat(state_fd, THUMB_CACHE_DIR,
                        O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (tc->dir_fd < 0) {
        rc = -errno;
        free(tc);
        return rc;
    }
    rc = scan(tc, 1, NULL, &n, &tc->total);
    if (rc < 0) {
        close(tc->dir_fd);
        free(tc);
        return rc;
    }
    pthread_mutex_init(&tc->lock, NULL);
    *out = tc;
    return 0;
}

void thumb_cache_free(struct thumb_cache *tc)
{
    if (!tc)
        return;
    close(tc->dir_fd);
    pthread_mutex_destroy(&tc->lock);
    free(tc);
}

enum thumb_cache_hit thumb_cache_get(struct thumb_cache *tc, const struct stat *st, int *fd,
                                     uint64_t *size)
{
    char name[THUMB_CACHE_NAME_MAX];
    struct stat cs;
    int f;

    *fd = -1;
    *size = 0;
    if (!tc)
        return THUMB_CACHE_MISS;
    thumb_cache_name(st, 0, name, sizeof name);
    f = openat(tc->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (f >= 0) {
        if (fstat(f, &cs) == 0 && S_ISREG(cs.st_mode) && cs.st_size >= 4) {
            *fd = f;
            *size = (uint64_t)cs.st_size;
            return THUMB_CACHE_MADE;
        }
        close(f);
    }
    thumb_cache_name(st, 1, name, sizeof name);
    if (fstatat(tc->dir_fd, name, &cs, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(cs.st_mode))
        return THUMB_CACHE_FAILED;
    return THUMB_CACHE_MISS;
}

/* Writes len bytes of buf to fd. Returns 0 or -errno. */
static int write_all(int fd, const unsigned char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Removes the oldest entries but `keep` until the total is 3/4 of the
 * bound or less. Called with tc->lock held. */
static void evict(struct thumb_cache *tc, const char *keep)
{
    struct entry *v;
    size_t n;

    if (scan(tc, 0, &v, &n, &tc->total) < 0)
        return;
    qsort(v, n, sizeof *v, older);
    for (size_t i = 0; i < n && tc->total > tc->max / 4 * 3; i++) {
        if (strcmp(v[i].name, keep) == 0 || unlinkat(tc->dir_fd, v[i].name, 0) < 0)
            continue;
        tc->total -= v[i].cost;
    }
    free(v);
}

int thumb_cache_put(struct thumb_cache *tc, const struct stat *st, const void *jpeg, size_t len)
{
    char name[THUMB_CACHE_NAME_MAX], tmp[64];
    struct stat old;
    uint64_t replaced = 0; /* the entry's own, when it is made again */
    int fd, rc;

    if (!tc)
        return -EINVAL;
    thumb_cache_name(st, jpeg == NULL, name, sizeof name);
    pthread_mutex_lock(&tc->lock);
    snprintf(tmp, sizeof tmp, TMP_PREFIX "%ld-%u", (long)getpid(), tc->seq++);
    fd = openat(tc->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    rc = jpeg ? write_all(fd, jpeg, len) : 0;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && fstatat(tc->dir_fd, name, &old, AT_SYMLINK_NOFOLLOW) == 0)
        replaced = cost((uint64_t)old.st_size);
    if (rc == 0 && renameat(tc->dir_fd, tmp, tc->dir_fd, name) < 0)
        rc = -errno;
    if (rc < 0) {
        unlinkat(tc->dir_fd, tmp, 0);
        goto out;
    }
    tc->total = tc->total - (replaced < tc->total ? replaced : tc->total) + cost(jpeg ? len : 0);
    if (tc->total > tc->max)
        evict(tc, name);
out:
    pthread_mutex_unlock(&tc->lock);
    return rc;
}

uint64_t thumb_cache_total(struct thumb_cache *tc)
{
    uint64_t t;

    pthread_mutex_lock(&tc->lock);
    t = tc->total;
    pthread_mutex_unlock(&tc->lock);
    return t;
}
