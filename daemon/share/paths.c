/*
 * paths.c — owns the mapping from a request path to a file below the shared
 * folder: percent-decoding and validation of the raw path (paths_decode) and
 * opening the result without leaving the root (paths_open).
 *
 * paths_open uses openat2(RESOLVE_BENEATH) where the kernel has it and
 * otherwise a portable component-by-component walk that keeps a stack of
 * directory fds and expands symlinks itself. The only process state is one
 * atomic flag remembering that openat2 is unavailable (ENOSYS, or EPERM from
 * a seccomp filter).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(HAVE_LINUX_OPENAT2_H) && defined(HAVE_SYS_SYSCALL_H)
#include <linux/openat2.h>
#include <sys/syscall.h>
#if defined(SYS_openat2)
#define PATHS_USE_OPENAT2 1
#endif
#endif

#include "paths.h"

/* Most symlinks expanded while resolving one path (Linux's MAXSYMLINKS). */
#define WALK_MAX_LINKS 40
/* Deepest directory nesting the portable walk descends (fds held at once). */
#define WALK_MAX_DEPTH 256
/* Room for the unresolved rest of the path while symlinks are spliced in. */
#define WALK_BUF (3 * (PATHS_MAX + 1))
/* Longest symlink target the walk reads. */
#define WALK_LINK_MAX 4096

/* Flags for the intermediate directories of the walk: search only. */
#if defined(O_PATH)
#define WALK_DIR_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#elif defined(O_SEARCH)
#define WALK_DIR_FLAGS (O_SEARCH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#else
#define WALK_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#endif

/* ------------------------------------------------------------ decoding */

/* Value of one hex digit, or -1. */
static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int paths_temp_name(const char *name, size_t n)
{
    static const char *const kinds[] = {".ferry-copy-", ".ferry-old-", ".ferry-part-"};

    if (n < 1 + 8 || name[0] != '.')
        return 0;
    for (size_t i = n - 8; i < n; i++)
        if (hexval(name[i]) < 0 || (name[i] >= 'A' && name[i] <= 'F'))
            return 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t kl = strlen(kinds[k]);

        if (n >= 1 + kl + 8 && memcmp(name + n - 8 - kl, kinds[k], kl) == 0)
            return 1;
    }
    return 0;
}

/*
 * Ends the segment out[start..start+len): records a "." or ".." segment as
 * PATHS_EFORBIDDEN and a hidden one (or one of ferry's temporary names,
 * even with show_hidden) as PATHS_ENOTFOUND in *verdict, keeping the more
 * severe of the two.
 */
static void end_segment(const char *seg, size_t len, int show_hidden,
                        int *verdict)
{
    if (len == 0 || seg[0] != '.')
        return;
    if (len == 1 || (len == 2 && seg[1] == '.'))
        *verdict = PATHS_EFORBIDDEN;
    else if ((!show_hidden || paths_temp_name(seg, len)) && *verdict == 0)
        *verdict = PATHS_ENOTFOUND;
}

/*
 * See paths.h. One pass over raw, no allocation. UTF-8 is checked with the
 * well-formed byte sequence table of Unicode §3.9 (Table 3-7): the first
 * continuation byte's range depends on the lead byte, which excludes
 * overlong forms, surrogates and code points above U+10FFFF. A malformed
 * request is reported as soon as it is seen; "." / ".." and hidden segments
 * are remembered and reported at the end, so that EBADREQ wins over
 * EFORBIDDEN, which wins over ENOTFOUND, whatever the order in the path.
 */
int paths_decode(const char *raw, const struct paths_opts *opts, char *out,
                 size_t outlen, int *trailing_slash)
{
    const unsigned char *p = (const unsigned char *)raw;
    int show_hidden = opts ? opts->show_hidden : 0;
    size_t cap, o = 0, seg = 0;
    int verdict = 0, trailing = 0;
    unsigned need = 0;                 /* UTF-8 continuation bytes still due */
    unsigned char lo = 0x80, hi = 0xbf; /* range of the next continuation */

    if (trailing_slash)
        *trailing_slash = 0;
    if (!out || outlen == 0)
        return PATHS_EBADREQ;
    out[0] = '\0';
    if (!p || *p != '/')
        return PATHS_EBADREQ;
    cap = outlen - 1 < PATHS_MAX ? outlen - 1 : PATHS_MAX;

    while (*p) {
        unsigned char c = *p++;

        if (c == '/') {
            if (need)
                goto bad;
            if (!trailing)
                end_segment(out + seg, o - seg, show_hidden, &verdict);
            trailing = 1;
            continue;
        }
        if (c == '%') {
            int h = hexval(p[0]), l;

            if (h < 0 || (l = hexval(p[1])) < 0)
                goto bad;
            c = (unsigned char)(h << 4 | l);
            p += 2;
            if (c == '/')      /* %2F: refused, never a separator */
                goto bad;
        }
        if (c < 0x20 || c == 0x7f || c == '\\')
            goto bad;

        if (need) {
            if (c < lo || c > hi)
                goto bad;
            need--;
            lo = 0x80;
            hi = 0xbf;
        } else if (c >= 0x80) {
            if (c >= 0xc2 && c <= 0xdf) {
                need = 1;
            } else if (c >= 0xe0 && c <= 0xef) {
                need = 2;
                if (c == 0xe0)
                    lo = 0xa0;      /* overlong below U+0800 */
                else if (c == 0xed)
                    hi = 0x9f;      /* surrogates U+D800..U+DFFF */
            } else if (c >= 0xf0 && c <= 0xf4) {
                need = 3;
                if (c == 0xf0)
                    lo = 0x90;      /* overlong below U+10000 */
                else if (c == 0xf4)
                    hi = 0x8f;      /* above U+10FFFF */
            } else {
                goto bad;           /* 80..C1 (continuation, overlong), F5.. */
            }
        }

        if (trailing) {
            /* first byte of a new segment (raw starts with '/') */
            if (o > 0) {
                if (o >= cap)
                    goto bad;
                out[o++] = '/';
            }
            seg = o;
            trailing = 0;
        }
        if (o >= cap)
            goto bad;
        out[o++] = (char)c;
    }
    if (need)
        goto bad;
    if (!trailing)
        end_segment(out + seg, o - seg, show_hidden, &verdict);
    out[o] = '\0';
    if (trailing_slash)
        *trailing_slash = trailing;
    if (verdict) {
        out[0] = '\0';
        return verdict;
    }
    return (int)o;

bad:
    out[0] = '\0';
    return PATHS_EBADREQ;
}

/* ------------------------------------------------------------- opening */

/* Maps an errno from resolving a path to the value paths_open returns. */
static int map_errno(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
        return PATHS_ENOTFOUND;
    case EXDEV:
    case ELOOP:
        return PATHS_EFORBIDDEN;
    default:
        return -e;
    }
}

/*
 * Checks that rel could have come from paths_decode as far as safety goes:
 * relative, no "." or ".." segment (empty segments are tolerated), not
 * longer than PATHS_MAX. Returns 0 or a negative paths_error.
 */
static int check_rel(const char *rel)
{
    const char *s = rel;

    if (*s == '/')
        return PATHS_EFORBIDDEN;
    while (*s) {
        const char *e = s;
        size_t n;

        while (*e && *e != '/')
            e++;
        n = (size_t)(e - s);
        if (n >= 1 && n <= 2 && s[0] == '.' && (n == 1 || s[1] == '.'))
            return PATHS_EFORBIDDEN;
        if ((size_t)(e - rel) > PATHS_MAX)
            return PATHS_EBADREQ;
        s = *e ? e + 1 : e;
    }
    return 0;
}

/*
 * Opens rel (already checked) below root_fd by walking it one component at
 * a time, never following a symlink the kernel way: each link is read and
 * its target spliced in front of the rest, with ".." popping the stack of
 * directory fds (never above root_fd). The final component is opened with
 * flags | O_NOFOLLOW | O_CLOEXEC. Returns 0 with *out_fd set, or a negative
 * paths_error / -errno. Every fd opened here, except the result, is closed
 * before returning; root_fd stays the caller's.
 */
static int walk_open(int root_fd, const char *rel, int flags, int *out_fd)
{
    char buf[WALK_BUF];
    char link[WALK_LINK_MAX];
    int stack[WALK_MAX_DEPTH];
    size_t depth = 0, pos, end, len = strlen(rel);
    int links = 0, ret, fd;

    if (len >= sizeof buf)
        return -ENAMETOOLONG;
    /* the unresolved rest lives at the end of buf, so that a link target
     * can be written in front of it without moving it */
    end = sizeof buf - 1;
    pos = end - len;
    memcpy(buf + pos, rel, len + 1);
    stack[0] = root_fd;

    for (;;) {
        size_t q, after, n;
        int last, must_dir, dir = stack[depth], err;
        ssize_t ln;

        while (pos < end && buf[pos] == '/')
            pos++;
        if (pos == end) {
            /* nothing left: the result is the current directory itself */
            fd = openat(dir, ".", flags | O_CLOEXEC);
            if (fd < 0) {
                ret = map_errno(errno);
                goto out;
            }
            break;
        }
        for (q = pos; q < end && buf[q] != '/'; q++)
            ;
        for (after = q; after < end && buf[after] == '/'; after++)
            ;
        n = q - pos;
        last = after == end;
        must_dir = last && q != end;
        if (q < end)
            buf[q] = '\0'; /* put back below where the rest is still needed */

        if (n == 1 && buf[pos] == '.') {
            if (q < end)
                buf[q] = '/';
            pos = q;
            continue;
        }
        if (n == 2 && buf[pos] == '.' && buf[pos + 1] == '.') {
            if (depth == 0) {
                ret = PATHS_EFORBIDDEN;
                goto out;
            }
            close(stack[depth--]);
            if (q < end)
                buf[q] = '/';
            pos = q;
            continue;
        }

        if (!last) {
            fd = openat(dir, buf + pos, WALK_DIR_FLAGS);
            if (fd >= 0) {
                if (depth + 1 >= WALK_MAX_DEPTH) {
                    close(fd);
                    ret = -ENAMETOOLONG;
                    goto out;
                }
                stack[++depth] = fd;
                buf[q] = '/';
                pos = q;
                continue;
            }
            err = errno;
        } else {
            int of = flags | O_NOFOLLOW | O_CLOEXEC | (must_dir ? O_DIRECTORY : 0);

            fd = openat(dir, buf + pos, of);
            if (fd >= 0) {
#if defined(O_PATH)
                struct stat st;

                /* O_PATH | O_NOFOLLOW opens a symlink itself: follow it
                 * here unless the caller asked for exactly that */
                if ((flags & O_PATH) && !(flags & O_NOFOLLOW) &&
                    fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
                    close(fd);
                    err = ELOOP;
                    goto expand;
                }
#endif
                break;
            }
            err = errno;
            /* O_NOFOLLOW keeps a final link unfollowed, but a trailing
             * slash asks for the directory behind it, as in the kernel */
            if ((flags & O_NOFOLLOW) && !must_dir) {
                ret = map_errno(err);
                goto out;
            }
        }

        /* A symlink fails O_NOFOLLOW with ELOOP, or with ENOTDIR under
         * O_DIRECTORY (EMLINK on the BSDs); find out by reading it. */
        if (err != ELOOP && err != ENOTDIR && err != EMLINK) {
            ret = map_errno(err);
            goto out;
        }
#if defined(O_PATH)
expand:
#endif
        ln = readlinkat(dir, buf + pos, link, sizeof link);
        if (ln < 0) {
            ret = map_errno(errno == EINVAL ? err : errno);
            goto out;
        }
        if ((size_t)ln >= sizeof link) {
            ret = -ENAMETOOLONG;
            goto out;
        }
        if (ln == 0) {
            ret = PATHS_ENOTFOUND;
            goto out;
        }
        if (++links > WALK_MAX_LINKS || link[0] == '/') {
            ret = PATHS_EFORBIDDEN;
            goto out;
        }
        if ((size_t)ln > q) {
            ret = -ENAMETOOLONG;
            goto out;
        }
        /* new rest = target + buf[q..end) (which starts with '/' or ends) */
        if (q < end)
            buf[q] = '/';
        pos = q - (size_t)ln;
        memcpy(buf + pos, link, (size_t)ln);
    }
    *out_fd = fd;
    ret = 0;
out:
    while (depth > 0)
        close(stack[depth--]);
    return ret;
}

#if defined(PATHS_USE_OPENAT2)
/*
 * Opens rel below root_fd with openat2. Returns 0 with *out_fd set, a
 * negative paths_error / -errno, or 1 when openat2 cannot be used (the
 * caller then walks).
 */
static int openat2_open(int root_fd, const char *rel, int flags, int follow,
                        atomic_int *missing, int *out_fd)
{
    struct open_how how;
    int fd, tries = 0, err;

    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)(unsigned)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_NO_MAGICLINKS | (follow ? 0 : RESOLVE_BENEATH);
    do {
        fd = (int)syscall(SYS_openat2, root_fd, *rel ? rel : ".", &how, sizeof how);
        err = fd < 0 ? errno : 0;
        /* EAGAIN: the kernel saw a race on ".." and could not rule out an
         * escape; retrying is the documented answer */
    } while (fd < 0 && (err == EAGAIN || err == EINTR) && ++tries < 8);
    if (fd >= 0) {
        *out_fd = fd;
        return 0;
    }
    if (err == ENOSYS) {
        if (missing)
            atomic_store_explicit(missing, 1, memory_order_relaxed);
        return 1;
    }
    if (err == EPERM) {
        /* a seccomp filter, or a real EPERM (e.g. O_NOATIME)? Ask the
         * kernel something harmless to tell the two apart. */
        struct open_how probe;
        int pfd;

        memset(&probe, 0, sizeof probe);
        probe.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
        probe.resolve = RESOLVE_BENEATH;
        pfd = (int)syscall(SYS_openat2, root_fd, ".", &probe, sizeof probe);
        if (pfd >= 0) {
            close(pfd);
            return -EPERM;
        }
        if (errno == EPERM || errno == ENOSYS) {
            if (missing)
            atomic_store_explicit(missing, 1, memory_order_relaxed);
            return 1;
        }
        return -EPERM;
    }
    return map_errno(err);
}
#endif

/*
 * See paths.h. Besides the header's contract: rel must not start with '/'
 * nor contain a "." or ".." segment (PATHS_EFORBIDDEN), O_CREAT and
 * O_TMPFILE give -EINVAL, and opts may be NULL (all options off).
 */
int paths_open(int root_fd, const char *rel, int flags,
               const struct paths_opts *opts, int *out_fd)
{
    int follow = opts ? opts->follow_symlinks : 0;
    int walk = opts ? opts->force_walk : 0;
    atomic_int *missing = opts ? opts->openat2_missing : NULL;
    int ret, fd;

    if (!out_fd)
        return -EINVAL;
    *out_fd = -1;
    if (!rel || (flags & O_CREAT))
        return -EINVAL;
#if defined(O_TMPFILE)
    if ((flags & O_TMPFILE) == O_TMPFILE)
        return -EINVAL;
#endif
    ret = check_rel(rel);
    if (ret < 0)
        return ret;

#if defined(PATHS_USE_OPENAT2)
    if (!walk && !(missing && atomic_load_explicit(missing, memory_order_relaxed))) {
        ret = openat2_open(root_fd, rel, flags, follow, missing, out_fd);
        if (ret <= 0)
            return ret;
    }
#else
    (void)walk;
    (void)missing;
#endif
    if (follow) {
        fd = openat(root_fd, *rel ? rel : ".", flags | O_CLOEXEC);
        if (fd < 0)
            return map_errno(errno);
        *out_fd = fd;
        return 0;
    }
    return walk_open(root_fd, rel, flags, out_fd);
}

/* ------------------------------------------------------------- symlinks */

/* See paths.h. */
int paths_link_stays_inside(const char *target, size_t depth)
{
    const char *s = target;
    size_t up = 0;
    int named = 0; /* a name was seen: a later ".." cannot be judged */

    if (!s || *s == '/')
        return 0;
    while (*s) {
        size_t n = strcspn(s, "/");

        if (n == 2 && s[0] == '.' && s[1] == '.') {
            if (named || ++up > depth)
                return 0;
        } else if (n > 0 && !(n == 1 && s[0] == '.')) {
            named = 1;
        }
        s += n;
        if (*s == '/')
            s++;
    }
    return 1;
}

/* See paths.h. */
int paths_link_movable(const char *target, size_t depth)
{
    return (target && target[0] == '/') || paths_link_stays_inside(target, depth);
}
