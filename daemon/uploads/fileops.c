/*
 * fileops.c — MKCOL, MOVE, COPY and DELETE on the shared tree (see
 * fileops.h), and the tree walks they share with the trash: copy, removal
 * and size, none of which ever follows a symlink.
 *
 * Each request resolves its path (and the Destination's) to an open folder
 * plus a last name; everything after that is an *at() call on that name
 * with AT_SYMLINK_NOFOLLOW / O_NOFOLLOW. An item that a MOVE or COPY
 * replaces is first set aside (into the trash, or under a hidden name in
 * the same folder when there is no trash), then the new one is put in place
 * with a no-replace rename (put_place()); if that fails the old one is put
 * back.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "fileops.h"
#include "paths.h"
#include "pending.h"
#include "request.h"
#include "server.h"
#include "trash.h"
#include "upload-put.h"

#define COPY_BUF (256 * 1024)
#define TEXT_MAX (2 * PATHS_MAX + 768) /* room for two whole paths */
#define URL_MAX (3 * PATHS_MAX + 8)
#define FOLDER_MODE 0755            /* of a folder made by MKCOL (less umask) */
#define TEMP_SUFFIX_LEN 21          /* "." + ".ferry-copy-" + 8 hex digits */

/* Folders climbed by fileops_depth(): search only, never through a link. */
#if defined(O_PATH)
#define DEPTH_DIR_FLAGS (O_PATH | O_DIRECTORY | O_CLOEXEC)
#else
#define DEPTH_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC)
#endif

#define DEPTH_NONE (-1)             /* no Depth header */
#define DEPTH_BAD (-2)              /* not 0, 1 or infinity */
#define DEPTH_INFINITY 2

#if defined(__APPLE__)
#define ST_MTIM(st) ((st)->st_mtimespec)
#else
#define ST_MTIM(st) ((st)->st_mtim)
#endif

/* ---------------------------------------------------------------- answers */

enum MHD_Result fileops_answer(struct MHD_Connection *c, unsigned status, const char *text,
                               const char *location, const char *allow,
                               unsigned *status_out)
{
    return srv_answer_text(c, status, text, MHD_HTTP_HEADER_LOCATION, location,
                           MHD_HTTP_HEADER_ALLOW, allow, status_out);
}

int fileops_url(const char *rel, int folder, char *out, size_t outlen)
{
    size_t len = 0;

    if (outlen < 3 * strlen(rel) + 8) { /* put_url_encode() stops 4 bytes short */
        if (outlen)
            out[0] = '\0';
        return -ENAMETOOLONG;
    }
    put_url_encode("/", out, outlen, &len);
    put_url_encode(rel, out, outlen, &len);
    if (folder && rel[0])
        put_url_encode("/", out, outlen, &len);
    return 0;
}

int fileops_destination(const char *dest, const char *host, char *out, size_t outlen)
{
    const char *path, *auth;
    size_t alen, plen;

    if (outlen)
        out[0] = '\0';
    if (!dest)
        return FILEOPS_EBADDEST;
    if (dest[0] == '/') {
        if (dest[1] == '/') /* "//host/path": a network-path reference */
            return FILEOPS_EBADDEST;
        path = dest;
    } else {
        if (strncasecmp(dest, "http://", 7) == 0)
            auth = dest + 7;
        else if (strncasecmp(dest, "https://", 8) == 0)
            auth = dest + 8;
        else
            return FILEOPS_EBADDEST;
        alen = strcspn(auth, "/?#");
        if (!alen)
            return FILEOPS_EBADDEST;
        if (!host || strlen(host) != alen || strncasecmp(auth, host, alen) != 0)
            return FILEOPS_EOTHERHOST;
        path = auth + alen;
    }
    plen = strcspn(path, "?#");
    if (!plen) {
        path = "/";
        plen = 1;
    }
    if (plen + 1 > outlen)
        return -ENAMETOOLONG;
    memcpy(out, path, plen);
    out[plen] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- tree walks */

void fileops_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int fileops_names(int dir_fd, char ***names, size_t *n)
{
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;
    char **v = NULL, **nv;
    size_t cnt = 0, cap = 0;
    struct dirent *e;
    DIR *d;

    *names = NULL;
    *n = 0;
    if (fd < 0)
        return -errno;
    d = fdopendir(fd); /* owns fd from here */
    if (!d) {
        rc = -errno;
        close(fd);
        return rc;
    }
    for (;;) {
        errno = 0;
        e = readdir(d);
        if (!e) {
            rc = errno ? -errno : 0;
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (cnt == cap) {
            cap = cap ? 2 * cap : 16;
            nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                rc = -ENOMEM;
                break;
            }
            v = nv;
        }
        v[cnt] = strdup(e->d_name);
        if (!v[cnt]) {
            rc = -ENOMEM;
            break;
        }
        cnt++;
    }
    closedir(d);
    if (rc < 0) {
        fileops_names_free(v, cnt);
        return rc;
    }
    *names = v;
    *n = cnt;
    return 0;
}

/*
 * The tree walks below keep their state in a heap array of frames, one per
 * folder level (its fd and its names), never on the stack: a tree as deep as
 * FILEOPS_DEPTH_MAX costs the same few hundred bytes of stack as a flat one,
 * which matters on the server's small thread stacks.
 */
struct frame {
    int fd;          /* the folder (the source's, for a copy) */
    int dfd;         /* copy: the folder being made */
    char **names;    /* what is in it, listed once */
    size_t n, i;     /* how many; the next one to look at */
    struct stat st;  /* copy: the source folder's lstat (mode, date) */
};

static struct frame *frames_new(void)
{
    return calloc(FILEOPS_DEPTH_MAX, sizeof(struct frame));
}

/* Closes and frees frames 0..top (top may be -1), then the array. */
static void frames_free(struct frame *f, int top)
{
    for (int k = top; k >= 0; k--) {
        if (f[k].fd >= 0)
            close(f[k].fd);
        if (f[k].dfd >= 0)
            close(f[k].dfd);
        fileops_names_free(f[k].names, f[k].n);
    }
    free(f);
}

/*
 * Removes dir_fd/name if it is not a folder (or is gone already): 0.
 * A folder is opened (never through a symlink) and listed into *f: 1, with
 * a listing failure in *err. Otherwise -errno.
 */
static int unlink_or_enter(int dir_fd, const char *name, struct frame *f, int *err)
{
    int e;

    if (unlinkat(dir_fd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM) /* EPERM: a folder, on POSIX */
        return -errno;
    e = -errno;
    f->fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (f->fd < 0) {
        if (errno == ENOENT)
            return 0;
        return errno == ENOTDIR || errno == ELOOP ? e : -errno;
    }
    f->dfd = -1;
    f->i = 0;
    *err = fileops_names(f->fd, &f->names, &f->n);
    return 1;
}

int fileops_remove(int dir_fd, const char *name)
{
    struct frame *f;
    int top = 0, first = 0, rc, err = 0;

    f = frames_new();
    if (!f)
        return -ENOMEM;
    rc = unlink_or_enter(dir_fd, name, &f[0], &err);
    if (rc != 1) {
        free(f);
        return rc;
    }
    first = err;
    while (top >= 0) {
        struct frame *cur = &f[top];
        int pfd;
        const char *pname;

        if (cur->i < cur->n) {
            const char *child = cur->names[cur->i++];

            if (top + 1 >= FILEOPS_DEPTH_MAX) { /* too deep to enter; fine if empty */
                if (unlinkat(cur->fd, child, 0) < 0 && errno != ENOENT &&
                    unlinkat(cur->fd, child, AT_REMOVEDIR) < 0 && errno != ENOENT && !first)
                    first = -ELOOP;
                continue;
            }
            err = 0;
            rc = unlink_or_enter(cur->fd, child, &f[top + 1], &err);
            if (rc == 1)
                top++;
            if (rc < 0 && !first)
                first = rc;
            if (err < 0 && !first)
                first = err;
            continue;
        }
        /* everything in it is gone (or failed): the folder itself */
        close(cur->fd);
        fileops_names_free(cur->names, cur->n);
        pfd = top ? f[top - 1].fd : dir_fd;
        pname = top ? f[top - 1].names[f[top - 1].i - 1] : name;
        if (unlinkat(pfd, pname, AT_REMOVEDIR) < 0 && errno != ENOENT && !first)
            first = -errno;
        top--;
    }
    free(f);
    return first;
}

/* Copies the bytes of in to out (both at offset 0). Returns 0 or -errno. */
static int copy_data(int in, int out)
{
    char *buf;
    int rc = 0;

#if defined(__linux__)
    /* In the kernel (and a reflink where the file system can); falls back
     * to read/write where it cannot, before anything was copied. */
    for (int copied = 0;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0);

        if (n > 0) {
            copied = 1;
            continue;
        }
        if (n == 0 && copied)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && copied)
            return -errno;
        if (n < 0 && errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
            errno != EOPNOTSUPP && errno != ENOTSUP && errno != EBADF && errno != EPERM)
            return -errno;
        break; /* nothing copied: 0 may mean "not supported" here, so read */
    }
#endif
    buf = malloc(COPY_BUF);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        ssize_t n = read(in, buf, COPY_BUF);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        rc = put_write_all(out, buf, (size_t)n);
        if (rc < 0)
            break;
    }
    free(buf);
    return rc;
}

/* Same inode on the same device. */
static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* A regular file, with its permission bits and modification time. */
static int copy_file(int sdir, const char *sname, int ddir, const char *dname, int *made)
{
    struct timespec ts[2];
    struct stat ist;
    int in = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    int out = -1, rc = 0;

    if (in < 0)
        return -errno;
    if (fstat(in, &ist) < 0) {
        rc = -errno;
        goto done;
    }
    if (!S_ISREG(ist.st_mode)) { /* replaced since it was looked at */
        rc = -ENOTSUP;
        goto done;
    }
    out = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        rc = -errno;
        goto done;
    }
    *made = 1;
    rc = copy_data(in, out);
    if (rc == 0 && fchmod(out, ist.st_mode & 0777) < 0)
        rc = -errno;
    if (rc == 0) {
        ts[0].tv_sec = 0;
        ts[0].tv_nsec = UTIME_OMIT;
        ts[1] = ST_MTIM(&ist);
        futimens(out, ts); /* best effort: the bytes matter, the date less */
        if (compat_fsync_durable(out) < 0)
            rc = -errno;
    }
done:
    if (out >= 0 && close(out) < 0 && rc == 0)
        rc = -errno;
    close(in);
    return rc;
}

/*
 * Writes into links->bad the path below the copied or checked item of the
 * entry being looked at in frame top: the names current in f[0..top].
 */
static void name_bad(const struct fileops_links *links, const struct frame *f, int top)
{
    size_t len = 0;

    if (!links->bad || !links->badlen)
        return;
    links->bad[0] = '\0';
    for (int k = 0; k <= top; k++) {
        int w = snprintf(links->bad + len, links->badlen - len, "%s%s", k ? "/" : "",
                         f[k].names[f[k].i - 1]);

        if (w < 0 || (size_t)w >= links->badlen - len)
            return; /* cut: what fits */
        len += (size_t)w;
    }
}

/*
 * A symlink, as a symlink: its target is copied, never followed. With
 * `links`, only when paths_link_movable() allows its target in a folder
 * links->depth + at levels below the root (else FILEOPS_ELINKOUT, nothing
 * made).
 */
static int copy_link(int sdir, const char *sname, const struct stat *st, int ddir,
                     const char *dname, int *made, const struct fileops_links *links,
                     size_t at)
{
    size_t cap = st->st_size > 0 && st->st_size < PATH_MAX ? (size_t)st->st_size + 1 : PATH_MAX;
    char *target = malloc(cap);
    struct timespec ts[2];
    ssize_t n;
    int rc = 0;

    if (!target)
        return -ENOMEM;
    n = readlinkat(sdir, sname, target, cap);
    if (n < 0) {
        rc = -errno;
        goto done;
    }
    if ((size_t)n >= cap) { /* changed since it was looked at */
        rc = -ENAMETOOLONG;
        goto done;
    }
    target[n] = '\0';
    if (links && !paths_link_movable(target, links->depth + at)) {
        rc = FILEOPS_ELINKOUT;
        goto done;
    }
    if (symlinkat(target, ddir, dname) < 0) {
        rc = -errno;
        goto done;
    }
    *made = 1;
    ts[0].tv_sec = 0;
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1] = ST_MTIM(st);
    utimensat(ddir, dname, ts, AT_SYMLINK_NOFOLLOW); /* best effort */
done:
    free(target);
    return rc;
}

/*
 * Opens the source folder sdir/sname (lstat st), makes ddir/dname (0700
 * while it fills) and, when `recurse`, lists the source: *f. *made is set
 * once ddir/dname exists. Returns 0 or -errno (f's fds closed).
 */
static int enter_copy(int sdir, const char *sname, const struct stat *st, int ddir,
                      const char *dname, int recurse, struct frame *f, int *made)
{
    int rc;

    f->names = NULL;
    f->n = f->i = 0;
    f->st = *st;
    f->dfd = -1;
    f->fd = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (f->fd < 0)
        return -errno;
    if (mkdirat(ddir, dname, 0700) < 0)
        goto fail;
    *made = 1;
    f->dfd = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (f->dfd < 0)
        goto fail;
    if (recurse && (rc = fileops_names(f->fd, &f->names, &f->n)) < 0) {
        errno = -rc;
        goto fail;
    }
    return 0;
fail:
    rc = -errno;
    close(f->fd);
    f->fd = -1;
    if (f->dfd >= 0)
        close(f->dfd);
    f->dfd = -1;
    return rc;
}

/* A copied folder is complete: its mode and date, fsync; closes f's fds. */
static int leave_copy(struct frame *f)
{
    struct timespec ts[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT}, ST_MTIM(&f->st)};
    int rc = 0;

    if (fchmod(f->dfd, f->st.st_mode & 0777) < 0)
        rc = -errno;
    futimens(f->dfd, ts); /* best effort */
    if (rc == 0 && compat_fsync_durable(f->dfd) < 0)
        rc = -errno;
    close(f->dfd);
    close(f->fd);
    f->fd = f->dfd = -1;
    fileops_names_free(f->names, f->n);
    f->names = NULL;
    f->n = 0;
    return rc;
}

/* Copies a folder (lstat st) with what is in it when `recurse`; links as
 * copy_link() says. */
static int copy_tree(int sdir, const char *sname, const struct stat *st, int ddir,
                     const char *dname, int recurse, int *made,
                     const struct fileops_links *links)
{
    struct stat top;
    struct frame *f = frames_new();
    int depth = 0, rc;

    if (!f)
        return -ENOMEM;
    rc = enter_copy(sdir, sname, st, ddir, dname, recurse, &f[0], made);
    if (rc < 0) {
        free(f);
        return rc;
    }
    if (fstat(f[0].dfd, &top) < 0) {
        rc = -errno;
        frames_free(f, 0);
        return rc;
    }
    while (depth >= 0) {
        struct frame *cur = &f[depth];
        struct stat cst;
        const char *nm;
        int m = 0;

        if (cur->i >= cur->n) {
            rc = leave_copy(cur);
            depth--;
            if (rc < 0)
                break;
            continue;
        }
        nm = cur->names[cur->i++];
        if (fstatat(cur->fd, nm, &cst, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) /* gone since it was listed: skip it */
                continue;
            rc = -errno;
            break;
        }
        if (S_ISREG(cst.st_mode)) {
            rc = copy_file(cur->fd, nm, cur->dfd, nm, &m);
        } else if (S_ISLNK(cst.st_mode)) {
            /* frame 0 is the item, one level below where it is put */
            rc = copy_link(cur->fd, nm, &cst, cur->dfd, nm, &m, links, (size_t)depth + 1);
            if (rc == FILEOPS_ELINKOUT)
                name_bad(links, f, depth);
        } else if (S_ISDIR(cst.st_mode)) {
            if (same_file(&cst, &top))
                continue; /* the copy being made, seen from inside the source */
            if (depth + 1 >= FILEOPS_DEPTH_MAX) {
                rc = -ELOOP;
                break;
            }
            rc = enter_copy(cur->fd, nm, &cst, cur->dfd, nm, 1, &f[depth + 1], &m);
            if (rc == 0)
                depth++;
        } /* else: FIFOs, sockets, devices are skipped */
        if (rc < 0)
            break;
    }
    frames_free(f, rc < 0 ? depth : -1);
    return rc;
}

int fileops_copy(int src_dir, const char *src, int dst_dir, const char *dst, int recurse)
{
    return fileops_copy_links(src_dir, src, dst_dir, dst, recurse, NULL);
}

int fileops_copy_links(int src_dir, const char *src, int dst_dir, const char *dst,
                       int recurse, const struct fileops_links *links)
{
    struct stat st;
    int made = 0, rc;

    if (links && links->bad && links->badlen)
        links->bad[0] = '\0';
    if (fstatat(src_dir, src, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (S_ISREG(st.st_mode))
        rc = copy_file(src_dir, src, dst_dir, dst, &made);
    else if (S_ISLNK(st.st_mode))
        rc = copy_link(src_dir, src, &st, dst_dir, dst, &made, links, 0);
    else if (S_ISDIR(st.st_mode))
        rc = copy_tree(src_dir, src, &st, dst_dir, dst, recurse, &made, links);
    else
        rc = -ENOTSUP;
    if (rc < 0 && made)
        fileops_remove(dst_dir, dst);
    return rc;
}

/* Whether the link dir_fd/name stays inside from a folder `depth` levels
 * below the root: 0, FILEOPS_ELINKOUT, or -errno. */
static int link_check(int dir_fd, const char *name, size_t depth)
{
    char *target = malloc(PATH_MAX);
    ssize_t n;
    int rc;

    if (!target)
        return -ENOMEM;
    n = readlinkat(dir_fd, name, target, PATH_MAX);
    if (n < 0)
        rc = errno == EINVAL ? 0 : -errno; /* EINVAL: replaced by a non-link */
    else if ((size_t)n >= PATH_MAX)
        rc = FILEOPS_ELINKOUT; /* cannot be judged whole */
    else {
        target[n] = '\0';
        rc = paths_link_movable(target, depth) ? 0 : FILEOPS_ELINKOUT;
    }
    free(target);
    return rc;
}

int fileops_links_check(int dir_fd, const char *name, const struct fileops_links *links)
{
    struct stat st;
    struct frame *f;
    int depth = 0, rc, fd;

    if (links->bad && links->badlen)
        links->bad[0] = '\0';
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (S_ISLNK(st.st_mode))
        return link_check(dir_fd, name, links->depth);
    if (!S_ISDIR(st.st_mode))
        return 0;
    f = frames_new();
    if (!f)
        return -ENOMEM;
    f[0].dfd = -1;
    f[0].fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (f[0].fd < 0) {
        rc = -errno;
        free(f);
        return rc;
    }
    rc = fileops_names(f[0].fd, &f[0].names, &f[0].n);
    while (rc == 0 && depth >= 0) {
        struct frame *cur = &f[depth];
        const char *nm;

        if (cur->i >= cur->n) {
            close(cur->fd);
            fileops_names_free(cur->names, cur->n);
            depth--;
            continue;
        }
        nm = cur->names[cur->i++];
        if (fstatat(cur->fd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT) /* ENOENT: deleted since listed; not moved */
                rc = -errno;
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            /* frame 0 is the item, one level below where it is put */
            rc = link_check(cur->fd, nm, links->depth + (size_t)depth + 1);
            if (rc == FILEOPS_ELINKOUT)
                name_bad(links, f, depth);
            continue;
        }
        if (!S_ISDIR(st.st_mode))
            continue;
        if (depth + 1 >= FILEOPS_DEPTH_MAX) {
            rc = -ELOOP;
            continue;
        }
        fd = openat(cur->fd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno != ENOENT)
                rc = -errno;
            continue;
        }
        f[depth + 1] = (struct frame){.fd = fd, .dfd = -1};
        rc = fileops_names(fd, &f[depth + 1].names, &f[depth + 1].n);
        depth++; /* also on failure: frames_free() closes it */
    }
    frames_free(f, rc < 0 ? depth : -1);
    return rc;
}

/*
 * Walks up from the folder open at dir_fd, ".." by ".." (each opened with
 * `flags`, at most PATHS_MAX + 1 folders), until it meets `target`: 0, with
 * the number of steps in *steps. 1 when it meets `stop` (NULL: none) or "/"
 * (whose ".." is itself) first, or runs out of steps; -errno when a folder
 * cannot be opened or read. The fds it opens are its own.
 */
static int steps_up(int dir_fd, int flags, const struct stat *target,
                    const struct stat *stop, size_t *steps)
{
    struct stat st, prev;
    int fd = openat(dir_fd, ".", flags), up, rc = 1;

    if (fd < 0)
        return -errno;
    memset(&prev, 0, sizeof prev);
    for (size_t i = 0; i <= PATHS_MAX; i++) {
        if (fstat(fd, &st) < 0) {
            rc = -errno;
            break;
        }
        if (same_file(&st, target)) {
            *steps = i;
            rc = 0;
            break;
        }
        if ((stop && same_file(&st, stop)) || (i && same_file(&st, &prev)))
            break;
        prev = st;
        up = openat(fd, "..", flags);
        if (up < 0) {
            rc = -errno;
            break;
        }
        close(fd);
        fd = up;
    }
    close(fd);
    return rc;
}

int fileops_depth(int dir_fd, const struct stat *root, size_t *depth)
{
    int rc;

    *depth = 0;
    rc = steps_up(dir_fd, DEPTH_DIR_FLAGS, root, NULL, depth);
    return rc == 1 ? -EXDEV : rc; /* "/" reached: the root is not above */
}

uint64_t fileops_size(int dir_fd, const char *name)
{
    struct stat st;
    struct frame *f;
    uint64_t sum = 0;
    int depth = 0;

    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    f = frames_new();
    if (!f)
        return 0;
    f[0].dfd = -1;
    f[0].fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (f[0].fd < 0 || fileops_names(f[0].fd, &f[0].names, &f[0].n) < 0) {
        frames_free(f, f[0].fd >= 0 ? 0 : -1);
        return 0;
    }
    while (depth >= 0) {
        struct frame *cur = &f[depth];
        const char *nm;
        int fd;

        if (cur->i >= cur->n) {
            close(cur->fd);
            fileops_names_free(cur->names, cur->n);
            depth--;
            continue;
        }
        nm = cur->names[cur->i++];
        if (fstatat(cur->fd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(st.st_mode))
            sum += (uint64_t)st.st_size;
        if (!S_ISDIR(st.st_mode) || depth + 1 >= FILEOPS_DEPTH_MAX)
            continue;
        fd = openat(cur->fd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        f[depth + 1] = (struct frame){.fd = fd, .dfd = -1};
        if (fileops_names(fd, &f[depth + 1].names, &f[depth + 1].n) < 0) {
            close(fd);
            continue;
        }
        depth++;
    }
    free(f);
    return sum;
}

/* ---------------------------------------------------------------- requests */

/* One side of an operation: a path below the root, as its open folder and
 * last name. */
struct target {
    char rel[PATHS_MAX + 1]; /* the decoded path below the root */
    const char *name;        /* its last name, inside rel */
    int trailing;            /* the URL ended with '/' */
    int dir_fd;              /* the folder that holds name, or -1 */
    int exists;              /* name exists (st is its lstat) */
    struct stat st;
};

/* Everything one request works with, on the heap (MHD threads have small
 * stacks). */
struct op {
    struct ferry_server *srv;
    struct MHD_Connection *c;
    const struct req_path *path; /* the request's, decoded by the gate */
    struct target src, dst;
    char raw[3 * PATHS_MAX + 2]; /* the Destination's path, still
                                    percent-encoded */
    struct req_path dst_path;    /* and decoded */
    char tmp[NAME_MAX + 1];      /* a copy being built, in dst's folder */
    int same_folder;             /* MOVE/COPY: src and dst share their folder */
    struct stat root_st;         /* MOVE/COPY: the root's */
    char bad[PATHS_MAX + 1];     /* a symlink that would leave, below src */
    struct pending pend;         /* the record of tmp and of an item set
                                    aside, for the sweep after a kill */
    char text[TEXT_MAX];
    char loc[URL_MAX];
};

/* Writes op's answer text (printf-style), cut to TEXT_MAX: a message that
 * names two very long paths ends early rather than overflowing. */
__attribute__((format(printf, 2, 3))) static void op_say(struct op *op, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(op->text, sizeof op->text, fmt, ap);
    va_end(ap);
}

/* What aside_put() did with the item being replaced. */
struct aside {
    int how;                     /* ASIDE_* */
    char id[TRASH_ID_MAX];       /* ASIDE_TRASH: its trash entry */
    char name[NAME_MAX + 1];     /* ASIDE_HIDDEN: its hidden name */
};

enum { ASIDE_NONE, ASIDE_TRASH, ASIDE_HIDDEN };

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static void target_close(struct target *t)
{
    if (t->dir_fd >= 0)
        close(t->dir_fd);
    t->dir_fd = -1;
}

/* Whether rel is /.ferry or below it. */
static int is_reserved(const char *rel)
{
    return strncmp(rel, ".ferry", 6) == 0 && (rel[6] == '/' || rel[6] == '\0');
}

/*
 * Resolves the decoded path p (the request's, or the Destination's:
 * struct req_path, request.h) into t: refuses what paths_decode()
 * refused (p->rc), the root, /.ferry/, and paths that leave the root,
 * opens the folder that holds the last name (symlinks never followed out
 * of the root) and looks at the name without following it. `what` names
 * the path in the texts ("the path", "the Destination"); a missing folder
 * is `missing` (404 for a source, 409 for a target). Returns 0, or the
 * status to answer with the text in op->text.
 */
static unsigned resolve(struct op *op, const struct req_path *p, const char *what,
                        unsigned missing, struct target *t)
{
    struct paths_opts po = op->srv->paths;
    char *slash;
    int rc = p->rc;

    po.follow_symlinks = 0; /* file operations never leave the root */
    t->dir_fd = -1;
    t->exists = 0;
    t->trailing = p->trailing;
    snprintf(t->rel, sizeof t->rel, "%s", p->rel);
    if (rc == PATHS_EFORBIDDEN) {
        op_say(op, "403 Forbidden: %s leaves the shared folder.\n",
               what);
        return 403;
    }
    if (rc == PATHS_ENOTFOUND) {
        op_say(op, "403 Forbidden: names that start with '.' are "
               "hidden on this server (start ferryd with --hidden to use them).\n");
        return 403;
    }
    if (rc < 0) {
        op_say(op, "400 Bad Request: %s is malformed (bad %%-escape, "
               "encoded slash, NUL, backslash, control character or invalid UTF-8).\n",
               what);
        return 400;
    }
    if (!t->rel[0]) {
        op_say(op, "403 Forbidden: the shared folder itself cannot "
               "be created, moved, copied or deleted; name something inside it.\n");
        return 403;
    }
    if (is_reserved(t->rel)) {
        op_say(op, "403 Forbidden: /.ferry/ is reserved for the "
               "server's own endpoints.\n");
        return 403;
    }
    slash = strrchr(t->rel, '/');
    t->name = slash ? slash + 1 : t->rel;
    if (strlen(t->name) > NAME_MAX) {
        op_say(op, "400 Bad Request: a name in %s is longer than the "
               "file system allows (255 bytes); use a shorter name.\n", what);
        return 400;
    }
    if (slash)
        *slash = '\0';
    rc = paths_open(op->srv->root_fd, slash ? t->rel : "", O_RDONLY | O_DIRECTORY, &po,
                    &t->dir_fd);
    if (slash)
        *slash = '/';
    switch (rc) {
    case 0:
        break;
    case PATHS_ENOTFOUND:
    case -ENOENT:
    case -ENOTDIR:
        if (missing == 404)
            op_say(op, "404 Not Found: %s does not exist.\n", what);
        else
            op_say(op, "409 Conflict: the folder %s should be in "
                   "does not exist; create it first (MKCOL).\n", what);
        return missing;
    case PATHS_EFORBIDDEN:
    case -EACCES:
    case -EPERM:
        op_say(op, "403 Forbidden: the folder of %s is outside the "
               "shared folder or not accessible.\n", what);
        return 403;
    case PATHS_EBADREQ:
    case -ENAMETOOLONG:
        op_say(op, "400 Bad Request: %s is malformed or too long.\n",
               what);
        return 400;
    default:
        srv_log(op->srv, FERRY_LOG_ERROR, "cannot open the folder of '/%s': %s", t->rel,
                strerror(-rc));
        op_say(op, "500 Internal Server Error: the folder of %s "
               "cannot be opened (see the server's log).\n", what);
        return 500;
    }
    if (fstatat(t->dir_fd, t->name, &t->st, AT_SYMLINK_NOFOLLOW) == 0) {
        t->exists = 1;
    } else if (errno == ENAMETOOLONG) {
        op_say(op, "400 Bad Request: %s is too long for this file "
               "system.\n", what);
        return 400;
    } else if (errno != ENOENT) {
        srv_log(op->srv, FERRY_LOG_ERROR, "cannot stat '/%s': %s", t->rel, strerror(errno));
        op_say(op, "500 Internal Server Error: %s cannot be "
               "checked (see the server's log).\n", what);
        return 500;
    }
    return 0;
}

/*
 * The status and text for a file-system failure rc (-errno) while `doing`
 * ("moving '/a' to '/b'"); `after` says what state the tree is in
 * ("nothing changed"). Logs the unexpected ones.
 */
static unsigned os_failure(struct op *op, int rc, const char *doing, const char *after)
{
    switch (rc) {
    case -ENOSPC:
    case -EDQUOT:
        srv_log(op->srv, FERRY_LOG_WARN, "%s: the disk is full", doing);
        op_say(op, "507 Insufficient Storage: the disk is full "
               "(%s); %s. Free some space and try again.\n", doing, after);
        return 507;
    case -EACCES:
    case -EPERM:
    case -EROFS:
        op_say(op, "403 Forbidden: the file system does not allow "
               "%s (permissions, or a read-only disk); %s.\n", doing, after);
        return 403;
    case -EBUSY:
        op_say(op, "409 Conflict: %s is not possible while the item "
               "is in use (a mount point?); %s.\n", doing, after);
        return 409;
    case -ENAMETOOLONG:
        op_say(op, "400 Bad Request: a name is too long for this "
               "file system (%s); %s.\n", doing, after);
        return 400;
    case -ENOENT:
    case -EEXIST:
    case -ENOTEMPTY:
        op_say(op, "409 Conflict: something changed under the "
               "request (%s); %s. Look again and retry.\n", doing, after);
        return 409;
    default:
        srv_log(op->srv, FERRY_LOG_ERROR, "%s: %s", doing, rc == -ELOOP
                ? "folders nested too deeply" : strerror(-rc));
        op_say(op, "500 Internal Server Error: %s failed (see the "
               "server's log); %s. Try again.\n", doing, after);
        return 500;
    }
}

/* The Depth header: DEPTH_NONE, 0, 1, DEPTH_INFINITY or DEPTH_BAD. */
static int depth_of(struct MHD_Connection *c)
{
    const char *v = header(c, "Depth");

    if (!v)
        return DEPTH_NONE;
    if (strcmp(v, "0") == 0)
        return 0;
    if (strcmp(v, "1") == 0)
        return 1;
    if (strcasecmp(v, "infinity") == 0)
        return DEPTH_INFINITY;
    return DEPTH_BAD;
}

/*
 * 1 when the folder open at dir_fd is `anc` or below it, found by walking
 * ".." up to the root (`root`: its stat), 0 when not, or -errno.
 */
static int is_within(int dir_fd, const struct stat *anc, const struct stat *root)
{
    size_t steps;
    int rc = steps_up(dir_fd, O_RDONLY | O_DIRECTORY | O_CLOEXEC, anc, root, &steps);

    return rc < 0 ? rc : !rc; /* anc met: 1; the root or "/" first: 0 */
}

/* Writes "." name ".ferry-<kind>-" 8 hex digits into out (NAME_MAX + 1
 * bytes), the name cut at a character boundary so that it fits. */
static void hidden_name(const char *name, const char *kind, char *out)
{
    char hex[17];
    size_t keep = strlen(name);

    put_random_hex(hex);
    hex[8] = '\0';
    if (keep > NAME_MAX - TEMP_SUFFIX_LEN) {
        keep = NAME_MAX - TEMP_SUFFIX_LEN;
        while (keep > 0 && ((unsigned char)name[keep] & 0xc0) == 0x80)
            keep--;
    }
    snprintf(out, NAME_MAX + 1, ".%.*s.ferry-%s-%s", (int)keep, name, kind, hex);
}

/*
 * Records in op->pend (pending_save) that the hidden names op->tmp and,
 * with `old`, old beside dst's name are about to be made in dst's folder.
 * Returns 0 or -errno (nothing may be made then).
 */
static int pend_save(struct op *op, const char *old)
{
    struct pending *p = &op->pend;
    size_t flen = (size_t)(op->dst.name - op->dst.rel);

    p->srv = op->srv;
    snprintf(p->folder, sizeof p->folder, "%.*s", (int)(flen ? flen - 1 : 0), op->dst.rel);
    snprintf(p->tmp, sizeof p->tmp, "%s", op->tmp);
    if (old) {
        snprintf(p->name, sizeof p->name, "%s", op->dst.name);
        snprintf(p->old, sizeof p->old, "%s", old);
    }
    return pending_save(p);
}

/*
 * Copies src into a new hidden temporary name in dst's folder (op->tmp),
 * fsynced, recorded first (pending.h) so that a kill leaves nothing for
 * good. Returns 0, or -errno with nothing left behind.
 */
static int copy_to_temp(struct op *op, int recurse, const struct fileops_links *links)
{
    int rc = -EEXIST;

    for (int tries = 0; tries < 16 && rc == -EEXIST; tries++) {
        hidden_name(op->dst.name, "copy", op->tmp);
        rc = pend_save(op, NULL);
        if (rc == 0)
            rc = fileops_copy_links(op->src.dir_fd, op->src.name, op->dst.dir_fd, op->tmp,
                                    recurse, links);
    }
    return rc;
}

int fileops_copy_place(int src_dir, const char *src, int dst_dir, const char *dst)
{
    char tmp[NAME_MAX + 1];
    int rc = -EEXIST;

    for (int tries = 0; tries < 16 && rc == -EEXIST; tries++) {
        hidden_name(dst, "copy", tmp);
        rc = fileops_copy(src_dir, src, dst_dir, tmp, 1);
    }
    if (rc < 0)
        return rc;
    rc = put_place(dst_dir, tmp, dst_dir, dst, 1);
    if (rc == 1)
        unlinkat(dst_dir, tmp, 0);
    if (rc < 0) {
        fileops_remove(dst_dir, tmp);
        return rc;
    }
    compat_fsync_durable(dst_dir);
    return 0;
}

/*
 * Moves the existing target out of the way before it is replaced: into the
 * trash (like a DELETE), or, with --no-trash or a trash on another file
 * system, to a hidden name in the same folder, removed by aside_end(). Returns
 * 0 or -errno (nothing moved).
 */
static int aside_put(struct op *op, struct aside *a)
{
    struct ferry_server *srv = op->srv;
    int rc;

    a->how = ASIDE_NONE;
    if (!srv->cfg.no_trash) {
        rc = trash_put(srv, op->dst.dir_fd, op->dst.name, op->dst.rel, a->id);
        if (rc == 0) {
            a->how = ASIDE_TRASH;
            srv_log(srv, FERRY_LOG_INFO, "'/%s' is replaced: the old one is in the trash as %s",
                    op->dst.rel, a->id);
            return 0;
        }
        if (rc != -EXDEV)
            return rc;
        srv_log(srv, FERRY_LOG_WARN, "'/%s' is replaced: the trash is on another file system, "
                "so the old one is removed at once", op->dst.rel);
    }
    rc = -EEXIST;
    for (int tries = 0; tries < 16 && rc == -EEXIST; tries++) {
        hidden_name(op->dst.name, "old", a->name);
        rc = pend_save(op, a->name); /* a kill puts it back at the next start */
        if (rc == 0)
            rc = put_place(op->dst.dir_fd, op->dst.name, op->dst.dir_fd, a->name, 1);
    }
    if (rc == 1) /* a hard link was made and the old name stayed */
        rc = unlinkat(op->dst.dir_fd, op->dst.name, 0) < 0 ? -errno : 0;
    if (rc < 0)
        return rc;
    a->how = ASIDE_HIDDEN;
    return 0;
}

/* Puts the set-aside target back after a failure. */
static void aside_undo(struct op *op, struct aside *a)
{
    int rc = 0;

    if (a->how == ASIDE_TRASH)
        rc = trash_unput(op->srv, a->id, op->dst.dir_fd, op->dst.name);
    else if (a->how == ASIDE_HIDDEN)
        rc = put_place(op->dst.dir_fd, a->name, op->dst.dir_fd, op->dst.name, 1);
    if (rc < 0)
        srv_log(op->srv, FERRY_LOG_ERROR, "cannot put '/%s' back after a failed replace: %s "
                "(it is %s)", op->dst.rel, strerror(-rc),
                a->how == ASIDE_TRASH ? "in the trash" : "beside it under a hidden name");
    a->how = ASIDE_NONE;
}

/* The replace is done: removes a target set aside under a hidden name. */
static void aside_end(struct op *op, struct aside *a)
{
    int rc;

    if (a->how != ASIDE_HIDDEN)
        return;
    rc = fileops_remove(op->dst.dir_fd, a->name);
    if (rc < 0)
        srv_log(op->srv, FERRY_LOG_ERROR, "the replaced '/%s' could not be removed entirely "
                "from its hidden name '%s': %s", op->dst.rel, a->name, strerror(-rc));
}

static enum MHD_Result answer(struct op *op, unsigned status, unsigned *status_out)
{
    return fileops_answer(op->c, status, op->text, NULL, NULL, status_out);
}

/* 201 Created with the Location of op->dst (or op->src for MKCOL). */
static enum MHD_Result created(struct op *op, const struct target *t, int folder,
                               unsigned *status)
{
    const char *loc = fileops_url(t->rel, folder, op->loc, sizeof op->loc) == 0 ? op->loc
                                                                                : NULL;

    op_say(op, "201 Created: /%s%s\n", t->rel,
           folder ? "/" : "");
    return fileops_answer(op->c, 201, op->text, loc, NULL, status);
}

/* MKCOL: one new folder. */
static enum MHD_Result do_mkcol(struct op *op, int had_body, unsigned *status)
{
    struct target *t = &op->src;
    unsigned code = resolve(op, op->path, "the new folder", 409, t);
    char doing[64 + PATHS_MAX];

    if (code)
        return answer(op, code, status);
    if (had_body) {
        op_say(op, "415 Unsupported Media Type: MKCOL takes no "
               "request body here; send it without one. Nothing was created.\n");
        return answer(op, 415, status);
    }
    if (t->exists || mkdirat(t->dir_fd, t->name, FOLDER_MODE) < 0) {
        if (t->exists || errno == EEXIST) {
            op_say(op, "405 Method Not Allowed: '/%s' exists "
                   "already; MKCOL only creates. Nothing changed.\n", t->rel);
            return fileops_answer(op->c, 405, op->text, NULL,
                                  "GET, HEAD, PUT, OPTIONS, MOVE, COPY, DELETE", status);
        }
        snprintf(doing, sizeof doing, "creating '/%s'", t->rel);
        return answer(op, os_failure(op, -errno, doing, "nothing was created"), status);
    }
    compat_fsync_durable(t->dir_fd);
    return created(op, t, 1, status);
}

/*
 * The 409 of a DELETE that the trash cannot take (trash_delete()'s reason
 * rc, the item's size): what the trash could not do, and how to delete for
 * good instead. The headers say it to the browser UI, which asks.
 */
static enum MHD_Result ask_first(struct op *op, int rc, uint64_t size, unsigned *status)
{
    struct MHD_Response *r;
    const char *reason;
    char num[24];
    enum MHD_Result ret;

    switch (rc) {
    case TRASH_ETOOBIG:
        reason = "too-big";
        op_say(op, "409 Conflict: '/%s' (%" PRIu64 " bytes) is "
               "bigger than the trash may hold (%" PRIu64 " bytes, --trash-max); nothing "
               "was deleted.", op->src.rel, size, trash_max_bytes(op->srv));
        break;
    case TRASH_EOTHERFS:
        reason = "other-disk";
        op_say(op, "409 Conflict: '/%s' (%" PRIu64 " bytes) is on "
               "another disk than the trash and too big to copy there (at most %" PRIu64
               " bytes are copied); nothing was deleted.", op->src.rel, size,
               (uint64_t)TRASH_COPY_MAX);
        break;
    default:
        reason = "disk-full";
        op_say(op, "409 Conflict: the disk is full: moving '/%s' "
               "to the trash would free no space (or the trash has no room); nothing was "
               "deleted.", op->src.rel);
        break;
    }
    srv_log(op->srv, FERRY_LOG_INFO, "DELETE '/%s': not deleted, the client is asked first "
            "(Ferry-Trash: %s)", op->src.rel, reason);
    snprintf(op->text + strlen(op->text), sizeof op->text - strlen(op->text), " Send the "
             "DELETE again with the header 'Ferry-Trash: skip' to delete it for good.\n");
    r = MHD_create_response_from_buffer(strlen(op->text), op->text, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    snprintf(num, sizeof num, "%" PRIu64, size);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    MHD_add_response_header(r, "Ferry-Trash", reason);
    MHD_add_response_header(r, "Ferry-Trash-Size", num);
    *status = 409;
    ret = srv_queue_response(op->c, 409, r);
    MHD_destroy_response(r);
    return ret;
}

/* DELETE: to the trash; removed at once with --no-trash or the client's
 * "Ferry-Trash: skip"; when the trash cannot take it, ask_first(). */
static enum MHD_Result do_delete(struct op *op, unsigned *status)
{
    struct ferry_server *srv = op->srv;
    struct target *t = &op->src;
    unsigned code = resolve(op, op->path, "the item to delete", 404, t);
    const char *skip = header(op->c, "Ferry-Trash");
    char id[TRASH_ID_MAX], doing[64 + PATHS_MAX];
    int depth = depth_of(op->c), rc, at_once = srv->cfg.no_trash;
    uint64_t size = 0;

    if (code)
        return answer(op, code, status);
    if (!t->exists || (t->trailing && !S_ISDIR(t->st.st_mode))) {
        op_say(op, "404 Not Found: '/%s' does not exist; nothing was "
               "deleted.\n", t->rel);
        return answer(op, 404, status);
    }
    if (depth == DEPTH_BAD || (S_ISDIR(t->st.st_mode) && depth != DEPTH_NONE &&
                               depth != DEPTH_INFINITY)) {
        op_say(op, "400 Bad Request: a folder is deleted with "
               "everything in it: send Depth: infinity, or no Depth. Nothing was "
               "deleted.\n");
        return answer(op, 400, status);
    }
    if (skip && strcasecmp(skip, "skip") != 0) {
        op_say(op, "400 Bad Request: the only value of the header "
               "Ferry-Trash is 'skip' (delete for good). Nothing was deleted.\n");
        return answer(op, 400, status);
    }
    if (skip)
        at_once = 1;
    if (!at_once && srv->state_fd < 0) {
        op_say(op, "503 Service Unavailable: DELETE moves items to "
               "the trash in the state folder, and this server has none; start ferryd with "
               "--state-dir DIR, or with --no-trash to delete at once. Nothing was "
               "deleted.\n");
        return answer(op, 503, status);
    }
    snprintf(doing, sizeof doing, "deleting '/%s'", t->rel);
    if (!at_once) {
        rc = trash_delete(srv, t->dir_fd, t->name, t->rel, id, &size);
        if (rc == TRASH_ETOOBIG || rc == TRASH_EOTHERFS || rc == TRASH_EFULL)
            return ask_first(op, rc, size, status);
        if (rc < 0)
            return answer(op, os_failure(op, rc, doing, "nothing was deleted"), status);
        srv_log(srv, FERRY_LOG_INFO, "DELETE '/%s': moved to the trash as %s", t->rel, id);
        if (rc == 1) {
            compat_fsync_durable(t->dir_fd);
            srv_log(srv, FERRY_LOG_ERROR, "DELETE '/%s': its copy is in the trash as %s, but "
                    "it could only be partly removed", t->rel, id);
            op_say(op, "500 Internal Server Error: a whole copy of "
                   "'/%s' is in the trash, but it could only be partly removed (see the "
                   "server's log); delete what is left of it.\n", t->rel);
            return answer(op, 500, status);
        }
    } else {
        trash_sweep(srv); /* old entries go on every DELETE (trash_delete() sweeps too) */
        rc = fileops_remove(t->dir_fd, t->name);
        if (rc < 0) {
            compat_fsync_durable(t->dir_fd);
            return answer(op, os_failure(op, rc, doing, "it may be partly removed"), status);
        }
        srv_log(srv, FERRY_LOG_INFO, "DELETE '/%s': removed at once (%s)", t->rel,
                skip ? "the client chose to: Ferry-Trash: skip" : "--no-trash");
    }
    compat_fsync_durable(t->dir_fd);
    /* the trash entry, for an undo (POST /.ferry/trash/ID/restore) */
    return srv_answer_text(op->c, 204, "", "Ferry-Trash-Id", at_once ? NULL : id, NULL, NULL,
                           status);
}

/*
 * MOVE across file systems: a copy under a hidden name in the destination
 * folder (symlinks checked as `links` says), moved into place, then the
 * source removed. Returns 0, 1 (in place, but the source could only be
 * partly removed) or -errno / FILEOPS_ELINKOUT (nothing changed).
 */
static int move_across(struct op *op, const struct fileops_links *links)
{
    int rc = copy_to_temp(op, 1, links);

    if (rc < 0) {
        op->tmp[0] = '\0'; /* fileops_copy() left nothing */
        return rc;
    }
    rc = put_place(op->dst.dir_fd, op->tmp, op->dst.dir_fd, op->dst.name, 1);
    if (rc < 0) {
        fileops_remove(op->dst.dir_fd, op->tmp);
        op->tmp[0] = '\0';
        return rc;
    }
    if (rc == 1)
        unlinkat(op->dst.dir_fd, op->tmp, 0);
    op->tmp[0] = '\0';
    compat_fsync_durable(op->dst.dir_fd);
    rc = fileops_remove(op->src.dir_fd, op->src.name);
    if (rc < 0) {
        srv_log(op->srv, FERRY_LOG_ERROR, "MOVE '/%s' to '/%s' across file systems: the copy "
                "is in place, but the source could only be partly removed: %s",
                op->src.rel, op->dst.rel, strerror(-rc));
        return 1;
    }
    return 0;
}

/* Checks the headers and both paths of a MOVE or COPY. Returns 0 or the
 * status to answer with op->text; sets *overwrite and *recurse. */
static unsigned transfer_check(struct op *op, int move, int *overwrite, int *recurse)
{
    struct ferry_server *srv = op->srv;
    const char *verb = move ? "moved" : "copied";
    const char *dest = header(op->c, "Destination"), *ow = header(op->c, "Overwrite");
    struct stat sdir, ddir, root;
    int depth = depth_of(op->c), rc, is_dir;
    unsigned code;

    code = resolve(op, op->path, "the source", 404, &op->src);
    if (code)
        return code;
    is_dir = op->src.exists && S_ISDIR(op->src.st.st_mode);
    if (!op->src.exists || (op->src.trailing && !is_dir)) {
        op_say(op, "404 Not Found: '/%s' does not exist; nothing "
               "was %s.\n", op->src.rel, verb);
        return 404;
    }
    if (!move && !is_dir && !S_ISREG(op->src.st.st_mode) && !S_ISLNK(op->src.st.st_mode)) {
        op_say(op, "403 Forbidden: '/%s' is not a file, folder or "
               "symlink (a FIFO, socket or device); it cannot be copied.\n", op->src.rel);
        return 403;
    }
    if (depth == DEPTH_BAD || (is_dir && (move ? depth != DEPTH_NONE && depth !=
                                                     DEPTH_INFINITY
                                               : depth == 1))) {
        op_say(op, "400 Bad Request: Depth must be %s for a folder; "
               "nothing was %s.\n", move ? "infinity (or absent)"
                                         : "0 (the folder alone) or infinity (the default)",
               verb);
        return 400;
    }
    *recurse = depth != 0;
    if (ow && strcasecmp(ow, "T") != 0 && strcasecmp(ow, "F") != 0) {
        op_say(op, "400 Bad Request: Overwrite must be T or F; "
               "nothing was %s.\n", verb);
        return 400;
    }
    *overwrite = !ow || strcasecmp(ow, "T") == 0;
    if (!dest) {
        op_say(op, "400 Bad Request: %s needs a Destination header "
               "(an absolute path or URL on this server); nothing was %s.\n",
               move ? "MOVE" : "COPY", verb);
        return 400;
    }
    rc = fileops_destination(dest, header(op->c, MHD_HTTP_HEADER_HOST), op->raw,
                             sizeof op->raw);
    if (rc == FILEOPS_EOTHERHOST) {
        op_say(op, "502 Bad Gateway: the Destination is on another "
               "server (its host:port is not this request's Host); ferry moves and copies "
               "only within itself. Nothing was %s.\n", verb);
        return 502;
    }
    if (rc < 0) {
        op_say(op, "400 Bad Request: the Destination must be an "
               "absolute path (/folder/name) or an http(s) URL of this server; nothing was "
               "%s.\n", verb);
        return 400;
    }
    /* The Destination is another URL: decoded here, by the same rules. */
    op->dst_path.rc = paths_decode(op->raw, &srv->paths, op->dst_path.rel,
                                   sizeof op->dst_path.rel, &op->dst_path.trailing);
    code = resolve(op, &op->dst_path, "the Destination", 409, &op->dst);
    if (code)
        return code;
    if (fstat(op->src.dir_fd, &sdir) < 0 || fstat(op->dst.dir_fd, &ddir) < 0 ||
        fstat(srv->root_fd, &root) < 0) {
        op_say(op, "500 Internal Server Error: the folders cannot "
               "be checked (see the server's log).\n");
        srv_log(srv, FERRY_LOG_ERROR, "fstat: %s", strerror(errno));
        return 500;
    }
    op->same_folder = same_file(&sdir, &ddir);
    op->root_st = root;
    if (op->same_folder && strcmp(op->src.name, op->dst.name) == 0) {
        op_say(op, "403 Forbidden: the source and the Destination "
               "are the same; nothing was %s.\n", verb);
        return 403;
    }
    if (is_dir && (rc = is_within(op->dst.dir_fd, &op->src.st, &root)) != 0) {
        if (rc < 0)
            return os_failure(op, rc, "checking the Destination", "nothing changed");
        op_say(op, "409 Conflict: a folder cannot be %s into itself "
               "or below itself; nothing was %s.\n", verb, verb);
        return 409;
    }
    if (!op->dst.exists)
        return 0;
    if (!*overwrite) {
        op_say(op, "412 Precondition Failed: '/%s' exists and "
               "Overwrite: F was sent; nothing was %s. Send Overwrite: T (or none) to "
               "replace it.\n", op->dst.rel, verb);
        return 412;
    }
    if (S_ISDIR(op->dst.st.st_mode) &&
        (rc = is_within(op->src.dir_fd, &op->dst.st, &root)) != 0) {
        if (rc < 0)
            return os_failure(op, rc, "checking the Destination", "nothing changed");
        op_say(op, "409 Conflict: the Destination contains the "
               "source, so replacing it would delete the source; nothing was %s.\n", verb);
        return 409;
    }
    if (!srv->cfg.no_trash && srv->state_fd < 0) {
        op_say(op, "503 Service Unavailable: '/%s' would be replaced, "
               "and what is replaced goes to the trash in the state folder, which this "
               "server does not have; start ferryd with --state-dir DIR, or with --no-trash "
               "to replace for good. Nothing was %s.\n", op->dst.rel, verb);
        return 503;
    }
    return 0;
}

/* The 403 for a symlink (op->bad below the source) that would point
 * outside the root from the Destination. */
static unsigned link_refused(struct op *op, const char *verb)
{
    if (op->bad[0])
        op_say(op, "403 Forbidden: '/%s' holds a symlink, '%s', "
               "that would point outside the shared folder from '/%s'; nothing was %s. "
               "Symlinks are moved and copied only where they still point inside (or "
               "within their own folder).\n", op->src.rel, op->bad, op->dst.rel, verb);
    else
        op_say(op, "403 Forbidden: '/%s' is a symlink that would "
               "point outside the shared folder from '/%s'; nothing was %s. Symlinks are "
               "moved and copied only where they still point inside (or within their own "
               "folder).\n", op->src.rel, op->dst.rel, verb);
    return 403;
}

/*
 * Before a MOVE or COPY into another folder: how deep that folder is below
 * the root (links->depth), and for a MOVE, whether every symlink in the
 * source stays inside from there (a COPY checks each one as it copies it).
 * Called with srv->links_lock held. Returns 0 or the status to answer with
 * op->text.
 */
static unsigned links_prepare(struct op *op, int move, struct fileops_links *links)
{
    const char *verb = move ? "moved" : "copied";
    int rc = fileops_depth(op->dst.dir_fd, &op->root_st, &links->depth);

    if (rc < 0)
        return os_failure(op, rc, "checking the Destination's folder", "nothing changed");
    if (!move)
        return 0;
    rc = fileops_links_check(op->src.dir_fd, op->src.name, links);
    if (rc == FILEOPS_ELINKOUT)
        return link_refused(op, verb);
    if (rc < 0)
        return os_failure(op, rc, "checking the symlinks in the source", "nothing changed");
    return 0;
}

/*
 * MOVE and COPY. A symlink keeps its target text, and a relative one is
 * resolved from its new folder: so unless the item stays in its folder
 * (a rename or a copy beside it, which changes nothing any link reaches),
 * every relative symlink in it must stay inside the root from its new
 * place (absolute ones point where they did: paths_link_movable()), else
 * 403 and nothing changes. srv->links_lock
 * keeps the folders' depths still meanwhile: a MOVE of a folder into
 * another folder holds it for writing (it changes the depth of everything
 * below), every other MOVE and COPY for reading.
 */
static enum MHD_Result do_transfer(struct op *op, int move, unsigned *status)
{
    struct ferry_server *srv = op->srv;
    struct aside a = {.how = ASIDE_NONE};
    struct fileops_links links = {.bad = op->bad, .badlen = sizeof op->bad}, *lk = NULL;
    char *doing = NULL;
    int overwrite = 1, recurse = 1, rc, src_left = 0, replaced = 0, locked = 0;
    size_t dlen = 2 * PATHS_MAX + 64;
    unsigned code = transfer_check(op, move, &overwrite, &recurse);
    enum MHD_Result ret;

    if (code)
        return answer(op, code, status);
    doing = malloc(dlen);
    if (!doing)
        return MHD_NO;
    snprintf(doing, dlen, "%s '/%s' to '/%s'", move ? "moving" : "copying", op->src.rel,
             op->dst.rel);
    op->tmp[0] = '\0';
    if (move && !op->same_folder && S_ISDIR(op->src.st.st_mode))
        pthread_rwlock_wrlock(&srv->links_lock);
    else
        pthread_rwlock_rdlock(&srv->links_lock);
    locked = 1;
    if (!op->same_folder) {
        code = links_prepare(op, move, &links);
        if (code)
            goto out;
        lk = &links;
    }
    if (!move && (rc = copy_to_temp(op, recurse, lk)) < 0) {
        op->tmp[0] = '\0'; /* fileops_copy() left nothing */
        code = rc == FILEOPS_ELINKOUT ? link_refused(op, "copied")
                                      : os_failure(op, rc, doing, "nothing was copied");
        goto out;
    }
    replaced = op->dst.exists;
    if (replaced && (rc = aside_put(op, &a)) < 0) {
        code = os_failure(op, rc, doing, "nothing changed");
        goto out;
    }
    if (move) {
        rc = put_place(op->src.dir_fd, op->src.name, op->dst.dir_fd, op->dst.name, 1);
        if (rc == 1 && unlinkat(op->src.dir_fd, op->src.name, 0) < 0)
            srv_log(op->srv, FERRY_LOG_ERROR, "%s: the old name stays too: %s", doing,
                    strerror(errno));
        if (rc == -EXDEV) {
            rc = move_across(op, lk);
            src_left = rc == 1;
        }
    } else {
        rc = put_place(op->dst.dir_fd, op->tmp, op->dst.dir_fd, op->dst.name, 1);
        if (rc == 1)
            unlinkat(op->dst.dir_fd, op->tmp, 0);
    }
    if (rc < 0) {
        aside_undo(op, &a);
        code = rc == -EEXIST && !overwrite ? 412
               : rc == FILEOPS_ELINKOUT    ? link_refused(op, "moved")
                                           : os_failure(op, rc, doing, "nothing changed");
        if (code == 412)
            op_say(op, "412 Precondition Failed: '/%s' was created "
                   "during the request and Overwrite: F was sent; nothing changed.\n",
                   op->dst.rel);
        goto out;
    }
    op->tmp[0] = '\0'; /* in place now */
    pthread_rwlock_unlock(&srv->links_lock);
    locked = 0;
    aside_end(op, &a);
    compat_fsync_durable(op->dst.dir_fd);
    if (move)
        compat_fsync_durable(op->src.dir_fd);
    if (src_left) {
        op_say(op, "500 Internal Server Error: '/%s' is in place, "
               "but '/%s' could only be partly removed (see the server's log); delete "
               "what is left of it.\n", op->dst.rel, op->src.rel);
        code = 500;
        goto out;
    }
    free(doing);
    if (replaced)
        return fileops_answer(op->c, 204, "", NULL, NULL, status);
    return created(op, &op->dst, S_ISDIR(op->src.st.st_mode), status);
out:
    if (op->tmp[0])
        fileops_remove(op->dst.dir_fd, op->tmp);
    if (locked)
        pthread_rwlock_unlock(&srv->links_lock);
    free(doing);
    ret = answer(op, code, status);
    return ret;
}

enum MHD_Result fileops_handle(struct ferry_server *srv, struct MHD_Connection *c,
                               const char *method, const char *url,
                               const struct req_path *path, int had_body, unsigned *status)
{
    struct op *op;
    enum MHD_Result ret;

    *status = 0;
    if (srv->cfg.read_only)
        return fileops_answer(c, 403, "403 Forbidden: this server is read-only (--read-only); "
                              "nothing changed.\n", NULL, NULL, status);
    if (strlen(url) >= sizeof op->raw)
        return fileops_answer(c, 400, "400 Bad Request: the path is too long.\n", NULL, NULL,
                              status);
    op = calloc(1, sizeof *op);
    if (!op)
        return MHD_NO;
    op->srv = srv;
    op->c = c;
    op->path = path;
    op->src.dir_fd = op->dst.dir_fd = -1;
    if (strcmp(method, "MKCOL") == 0)
        ret = do_mkcol(op, had_body, status);
    else if (strcmp(method, "DELETE") == 0)
        ret = do_delete(op, status);
    else
        ret = do_transfer(op, strcmp(method, "MOVE") == 0, status);
    pending_end(&op->pend); /* whatever the outcome: nothing is left to sweep */
    target_close(&op->src);
    target_close(&op->dst);
    free(op);
    return ret;
}

static enum MHD_Result route_finish(struct req *rq)
{
    return fileops_handle(rq->srv, rq->c, rq->method, rq->url, &rq->path, rq->had_body,
                          &rq->status);
}

const struct route_handler fileops_handler = {.name = "fileops", .finish = route_finish};
