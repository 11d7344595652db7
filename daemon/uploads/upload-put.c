/*
 * upload-put.c — PUT of one whole file: checks before the body, the part
 * file in $STATE/uploads, the atomic move into the shared tree, and the
 * answers (see upload-put.h for the order of calls).
 *
 * Failures found while the body is still coming (413, 507, 500) cannot be
 * queued then (libmicrohttpd takes an answer only before the body or after
 * it): the part file is removed at once, the rest of the body is read and
 * dropped, and the answer goes out at the end.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif
#if defined(__APPLE__)
#include <sys/random.h>
#endif

#include "compat.h"
#include "cond.h"
#include "engine.h"
#include "paths.h"
#include "pending.h"
#include "request.h"
#include "server.h"
#include "upload-put.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

#define UPLOADS_DIR "uploads"
#define WRITE_BUF (64 * 1024)  /* body bytes gathered before one write(): what
                                  a stalled PUT holds (libmicrohttpd hands
                                  over a few KiB at a time) */
#define COPY_BUF (256 * 1024)
#define FILE_MODE 0644         /* of a stored file (the part is 0600) */
#define TEXT_MAX 512

struct put_upload {
    struct ferry_server *srv;
    int updir_fd;               /* $STATE/uploads */
    int part_fd;                /* the part file, write end; -1 once dropped */
    int parent_fd;              /* the target's folder in the tree */
    int part_gone;              /* the part file's name no longer exists */
    int stored;                 /* the file is in place */
    enum put_mode mode;
    int refuse_409;             /* PUT_NOREPLACE from the policy (409), not
                                   from If-None-Match: * (412) */
    uint64_t transfer;          /* registry id, 0 when none */
    uint64_t received;
    char *buf;                  /* WRITE_BUF bytes */
    size_t buffered;
    unsigned err_status;        /* a failure to answer at the end, or 0 */
    char err_text[TEXT_MAX];
    char part[40];              /* "put-<16 hex>.part" */
    char name[NAME_MAX + 1];    /* the target's name */
    char parent[PATHS_MAX + 1]; /* the folder's path below the root ("" for
                                   the root) */
};

/* Reads one request header, or NULL. */
static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/*
 * Queues `status` with `text` (copied) as a text/plain body (none for 204),
 * plus a Location and an ETag when not NULL. Sets *status_out. Returns what
 * srv_queue_response() returns, MHD_NO when out of memory.
 */
static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *text,
                              const char *location, const char *etag, unsigned *status_out)
{
    return srv_answer_text(c, status, text, MHD_HTTP_HEADER_LOCATION, location,
                           MHD_HTTP_HEADER_ETAG, etag, status_out);
}

/* Largest k <= max such that s[0..k) ends on a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t max)
{
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--;
    return max;
}

int put_keep_both_name(const char *name, unsigned n, char *out, size_t outlen)
{
    size_t len = strlen(name), limit, stem, ext;
    const char *dot = strrchr(name, '.');
    char suffix[16];
    int sl = snprintf(suffix, sizeof suffix, " (%u)", n);

    if (outlen)
        out[0] = '\0';
    if (!outlen)
        return -ENAMETOOLONG;
    limit = outlen - 1 < NAME_MAX ? outlen - 1 : NAME_MAX;
    if (!dot || dot == name)
        dot = name + len;
    stem = (size_t)(dot - name);
    ext = len - stem;
    if (ext + (size_t)sl + 1 > limit)
        return -ENAMETOOLONG;
    if (stem + (size_t)sl + ext > limit)
        stem = utf8_cut(name, limit - (size_t)sl - ext);
    if (!stem)
        return -ENAMETOOLONG;
    memcpy(out, name, stem);
    memcpy(out + stem, suffix, (size_t)sl);
    memcpy(out + stem + (size_t)sl, dot, ext);
    out[stem + (size_t)sl + ext] = '\0';
    return (int)(stem + (size_t)sl + ext);
}

/* Whether linkat()'s errno `e` means the file system has no hard links. */
static int no_hard_links(int e)
{
    if (e == EPERM || e == ENOTSUP || e == EMLINK)
        return 1;
    return e == EOPNOTSUPP; /* the same as ENOTSUP on Linux, not on macOS */
}

int put_place(int from_dir, const char *from, int to_dir, const char *to, int noreplace)
{
    if (!noreplace)
        return renameat(from_dir, from, to_dir, to) < 0 ? -errno : 0;
#if defined(__linux__) && defined(SYS_renameat2)
    if (syscall(SYS_renameat2, from_dir, from, to_dir, to, RENAME_NOREPLACE) == 0)
        return 0;
    /* EINVAL: the file system knows no RENAME_NOREPLACE; ENOSYS: old kernel */
    if (errno != EINVAL && errno != ENOSYS)
        return -errno;
#endif
    if (linkat(from_dir, from, to_dir, to, 0) < 0) {
        struct stat st;

        if (!no_hard_links(errno))
            return -errno;
        /* A file system without hard links (FAT, some FUSE): check, then
         * rename. Not atomic there: a name made in between is replaced. */
        if (fstatat(to_dir, to, &st, AT_SYMLINK_NOFOLLOW) == 0)
            return -EEXIST;
        if (errno != ENOENT)
            return -errno;
        return renameat(from_dir, from, to_dir, to) < 0 ? -errno : 0;
    }
    if (unlinkat(from_dir, from, 0) < 0)
        return 1; /* in place; the old name is left for the caller */
    return 0;
}

void put_random_hex(char hex[17])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char r[8];

    if (getentropy(r, sizeof r) != 0) { /* never on a sane system */
        struct timespec ts;
        uint64_t x;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)getpid() ^
            (uint64_t)(uintptr_t)r;
        memcpy(r, &x, sizeof r);
    }
    for (int i = 0; i < 8; i++) {
        hex[2 * i] = digits[r[i] >> 4];
        hex[2 * i + 1] = digits[r[i] & 0xf];
    }
    hex[16] = '\0';
}

int put_write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Copies the file open at src_fd into a new hidden temporary file in dir_fd
 * (name written to tmp), fsynced. Returns 0, or -errno with nothing left
 * behind.
 */
static int copy_to_temp(int src_fd, int dir_fd, const char *name, char *tmp, size_t tmplen,
                        struct pending *pend)
{
    char hex[17], *buf = malloc(COPY_BUF);
    size_t keep;
    int fd = -1, made = 0, rc = -ENOMEM;
    off_t off = 0;

    if (!buf)
        return -ENOMEM;
    for (int tries = 0; tries < 16 && fd < 0; tries++) {
        put_random_hex(hex);
        hex[8] = '\0';
        /* "." name ".ferry-part-" hex: cut the name to fit NAME_MAX */
        keep = strlen(name);
        if (keep > NAME_MAX - 21)
            keep = utf8_cut(name, NAME_MAX - 21);
        snprintf(tmp, tmplen, ".%.*s.ferry-part-%s", (int)keep, name, hex);
        if (pend) { /* recorded before it exists: a kill leaves nothing for good */
            snprintf(pend->tmp, sizeof pend->tmp, "%s", tmp);
            rc = pending_save(pend);
            if (rc < 0)
                goto fail;
        }
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    FILE_MODE);
        if (fd < 0 && errno != EEXIST) {
            rc = -errno;
            goto fail;
        }
    }
    if (fd < 0) {
        rc = -EEXIST;
        goto fail;
    }
    made = 1;
    for (;;) {
        ssize_t n = pread(src_fd, buf, COPY_BUF, off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            goto fail;
        }
        if (n == 0)
            break;
        rc = put_write_all(fd, buf, (size_t)n);
        if (rc < 0)
            goto fail;
        off += n;
    }
    if (compat_fsync_durable(fd) < 0 || close(fd) < 0) {
        rc = -errno;
        fd = -1;
        goto fail;
    }
    free(buf);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    if (made)
        unlinkat(dir_fd, tmp, 0);
    free(buf);
    tmp[0] = '\0';
    return rc;
}

/*
 * Whether dir_fd/name still meets the If-Match / If-Unmodified-Since of h:
 * 0 yes, PUT_EPRECOND no (or gone), -EISDIR when it is not a regular file.
 */
static int still_matches(int dir_fd, const char *name, const struct cond_headers *h)
{
    char etag[COND_ETAG_MAX];
    struct stat st;
    struct cond_validators v = {.etag = etag};

    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return PUT_EPRECOND;
    if (!S_ISREG(st.st_mode))
        return -EISDIR;
    cond_etag(&st, etag);
    v.mtime = st.st_mtime;
    return cond_evaluate(h, &v, 0) == COND_PROCEED ? 0 : PUT_EPRECOND;
}

/*
 * One attempt to put from_dir/from at dir_fd/name as `mode` says (see
 * put_commit). Returns as put_place() (1: in place, `from` left behind),
 * or PUT_EPRECOND / -EISDIR.
 */
static int place_as(int from_dir, const char *from, int dir_fd, const char *name,
                    enum put_mode mode, const struct cond_headers *h, char *final,
                    size_t finallen, int *replaced)
{
    struct stat st;
    int rc;

    *replaced = 0;
    snprintf(final, finallen, "%s", name);
    switch (mode) {
    case PUT_NOREPLACE:
        return put_place(from_dir, from, dir_fd, name, 1);
    case PUT_IF_MATCH:
        rc = still_matches(dir_fd, name, h);
        if (rc < 0)
            return rc;
        *replaced = 1;
        return put_place(from_dir, from, dir_fd, name, 0);
    case PUT_REPLACE:
        rc = put_place(from_dir, from, dir_fd, name, 1);
        if (rc != -EEXIST)
            return rc;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
            return -EISDIR;
        *replaced = 1;
        rc = put_place(from_dir, from, dir_fd, name, 0);
        return rc == -ENOTEMPTY || rc == -EEXIST ? -EISDIR : rc;
    case PUT_KEEP_BOTH:
        for (unsigned n = 0; n <= PUT_KEEP_BOTH_MAX; n++) {
            if (n && put_keep_both_name(name, n, final, finallen) < 0)
                return -EEXIST;
            rc = put_place(from_dir, from, dir_fd, final, 1);
            if (rc != -EEXIST)
                return rc;
        }
        return -EEXIST;
    }
    return -EINVAL;
}

int put_commit(int part_dir, const char *part, int part_fd, int dir_fd, const char *name,
               enum put_mode mode, const struct cond_headers *h, char *final,
               size_t finallen, int *replaced, int *part_gone,
               struct ferry_server *srv, const char *folder)
{
    struct pending *pend = NULL;
    int rfd;
    char tmp[NAME_MAX + 1] = "";
    int rc;

    *replaced = 0;
    *part_gone = 0;
    if (compat_fsync_durable(part_fd) < 0 || fchmod(part_fd, FILE_MODE) < 0)
        return -errno;
    rc = place_as(part_dir, part, dir_fd, name, mode, h, final, finallen, replaced);
    if (rc == -EXDEV) {
        /* The state folder is on another file system: copy next to the
         * target under a hidden name, then move that. */
        if (srv && !(pend = calloc(1, sizeof *pend)))
            return -ENOMEM;
        if (pend) {
            pend->srv = srv;
            snprintf(pend->folder, sizeof pend->folder, "%s", folder);
        }
        /* read through a fd of its own: a PUT's part_fd is write-only */
        rfd = openat(part_dir, part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        rc = rfd < 0 ? -errno : copy_to_temp(rfd, dir_fd, name, tmp, sizeof tmp, pend);
        if (rfd >= 0)
            close(rfd);
        if (rc == 0) {
            rc = place_as(dir_fd, tmp, dir_fd, name, mode, h, final, finallen, replaced);
            if (rc != 0) /* failed, or linked with the temporary name left */
                unlinkat(dir_fd, tmp, 0);
        }
        pending_end(pend);
        free(pend);
        if (rc < 0)
            return rc;
        *part_gone = unlinkat(part_dir, part, 0) == 0;
    } else if (rc < 0) {
        return rc;
    } else {
        *part_gone = rc == 0;
    }
    /* The new name is durable once the folder is. A failure here cannot
     * be undone (the file is in place already), so it is not reported. */
    (void)compat_fsync_durable(dir_fd);
    return 0;
}

/* Records a failure to answer at the end and drops the part file now (its
 * bytes are no use to PUT), so that a full disk is freed at once. */
static void fail_later(struct put_upload *u, unsigned status, const char *text)
{
    if (u->err_status)
        return;
    u->err_status = status;
    snprintf(u->err_text, sizeof u->err_text, "%s", text);
    if (u->part_fd >= 0) {
        close(u->part_fd);
        u->part_fd = -1;
    }
    if (!u->part_gone && unlinkat(u->updir_fd, u->part, 0) == 0)
        u->part_gone = 1;
    u->buffered = 0;
}

/* Text and status for a write error. */
static void fail_write(struct put_upload *u, int rc)
{
    if (rc == -ENOSPC || rc == -EDQUOT) {
        srv_log(u->srv, FERRY_LOG_WARN, "upload of '%s%s%s': the disk of the state folder "
                "is full", u->parent, u->parent[0] ? "/" : "", u->name);
        fail_later(u, 507, "507 Insufficient Storage: the server's disk is full; nothing "
                   "was stored. Free some space on it and upload again.\n");
        return;
    }
    srv_log(u->srv, FERRY_LOG_ERROR, "upload of '%s%s%s': cannot write the part file: %s",
            u->parent, u->parent[0] ? "/" : "", u->name, strerror(-rc));
    fail_later(u, 500, "500 Internal Server Error: the upload could not be written (see "
               "the server's log); nothing was stored. Try again.\n");
}

/* Writes the buffered bytes to the part file. Returns 0 or -errno. */
static int flush(struct put_upload *u)
{
    int rc = put_write_all(u->part_fd, u->buf, u->buffered);

    u->buffered = 0;
    return rc;
}

enum MHD_Result put_body(struct req *rq, const char *data, size_t *size)
{
    struct put_upload *u = rq->state;
    size_t len = *size;
    uint64_t max = u->srv->cfg.max_upload;

    *size = 0;
    if (u->err_status)
        return MHD_YES; /* dropping the rest of the body */
    u->received += len;
    if (max && u->received > max) {
        char text[TEXT_MAX];

        snprintf(text, sizeof text, "413 Content Too Large: the upload is larger than this "
                 "server's limit of %" PRIu64 " bytes (--max-upload); nothing was stored.\n",
                 max);
        fail_later(u, 413, text);
        return MHD_YES;
    }
    while (len) {
        size_t take = WRITE_BUF - u->buffered < len ? WRITE_BUF - u->buffered : len;
        int rc;

        memcpy(u->buf + u->buffered, data, take);
        u->buffered += take;
        data += take;
        len -= take;
        if (u->buffered == WRITE_BUF && (rc = flush(u)) < 0) {
            fail_write(u, rc);
            return MHD_YES;
        }
    }
    if (u->transfer && u->srv->engine)
        lc_engine_transfer_progress(u->srv->engine, u->transfer, u->received);
    return MHD_YES;
}

void put_url_encode(const char *s, char *out, size_t outlen, size_t *len)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s && *len + 4 < outlen; s++) {
        unsigned char ch = (unsigned char)*s;

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '/') {
            out[(*len)++] = (char)ch;
        } else {
            out[(*len)++] = '%';
            out[(*len)++] = hex[ch >> 4];
            out[(*len)++] = hex[ch & 0xf];
        }
    }
    out[*len] = '\0';
}

/*
 * Whether the folder held open at u->parent_fd is still the one u->parent
 * names: not deleted (moved to the trash), moved or replaced while the
 * body came in. The root always is.
 */
static int parent_still_there(const struct put_upload *u)
{
    struct paths_opts po = u->srv->paths;
    struct stat now, held;
    int fd, same;

    if (!u->parent[0])
        return 1;
    po.follow_symlinks = 0;
    if (paths_open(u->srv->root_fd, u->parent, O_RDONLY | O_DIRECTORY, &po, &fd) < 0)
        return 0;
    same = fstat(fd, &now) == 0 && fstat(u->parent_fd, &held) == 0 &&
           now.st_dev == held.st_dev && now.st_ino == held.st_ino;
    close(fd);
    return same;
}

/* The 409 for a folder that went away during the upload. */
static enum MHD_Result answer_parent_gone(struct put_upload *u, struct MHD_Connection *c,
                                          unsigned *status)
{
    char text[TEXT_MAX];

    srv_log(u->srv, FERRY_LOG_INFO, "upload of '%s/%s': the folder was deleted or moved "
            "during the upload; nothing was stored", u->parent, u->name);
    snprintf(text, sizeof text, "409 Conflict: the folder '/%.*s' was deleted or moved "
             "during the upload; nothing was stored. Create it again, then send the file "
             "again.\n", 300, u->parent);
    return answer(c, 409, text, NULL, NULL, status);
}

enum MHD_Result put_finish(struct req *rq)
{
    struct put_upload *u = rq->state;
    struct MHD_Connection *c = rq->c;
    unsigned *status = &rq->status;
    struct cond_headers h = {
        .if_match = header(c, MHD_HTTP_HEADER_IF_MATCH),
        .if_unmodified_since = header(c, MHD_HTTP_HEADER_IF_UNMODIFIED_SINCE),
    };
    char final[NAME_MAX + 1], etag[COND_ETAG_MAX], text[TEXT_MAX];
    char *location = NULL;
    int replaced = 0, gone = 0, rc;
    struct stat st;

    if (!u->err_status && u->buffered && (rc = flush(u)) < 0)
        fail_write(u, rc);
    if (u->err_status)
        return answer(c, u->err_status, u->err_text, NULL, NULL, status);
    if (!parent_still_there(u)) /* the part goes in put_end() */
        return answer_parent_gone(u, c, status);
    rc = put_commit(u->updir_fd, u->part, u->part_fd, u->parent_fd, u->name, u->mode, &h,
                    final, sizeof final, &replaced, &gone, u->srv, u->parent);
    u->part_gone = gone;
    if (rc == -EEXIST && u->mode == PUT_KEEP_BOTH)
        return answer(c, 409, "409 Conflict: every \"name (n)\" variant of this name is "
                      "taken; nothing was stored. Choose another name.\n", NULL, NULL, status);
    if (rc == -EEXIST && u->refuse_409)
        return answer(c, 409, "409 Conflict: a file with this name appeared during the "
                      "upload; nothing was stored. Send If-Match with its ETag to replace "
                      "it, or choose another name.\n", NULL, NULL, status);
    if (rc == -EEXIST || rc == PUT_EPRECOND)
        return answer(c, 412, "412 Precondition Failed: the file changed during the upload "
                      "(If-Match / If-None-Match); nothing was stored. Fetch it again and "
                      "retry.\n", NULL, NULL, status);
    if (rc == -EISDIR)
        return answer(c, 409, "409 Conflict: the name is now taken by a folder or a special "
                      "file; nothing was stored.\n", NULL, NULL, status);
    if (rc == -ENOSPC || rc == -EDQUOT) {
        fail_write(u, rc);
        return answer(c, u->err_status, u->err_text, NULL, NULL, status);
    }
    if (rc < 0) {
        srv_log(u->srv, FERRY_LOG_ERROR, "upload of '%s%s%s': cannot move it into place: %s",
                u->parent, u->parent[0] ? "/" : "", u->name, strerror(-rc));
        return answer(c, 500, "500 Internal Server Error: the upload could not be moved "
                      "into place (see the server's log); nothing was stored. Try again.\n",
                      NULL, NULL, status);
    }
    if (!parent_still_there(u)) {
        /* The folder went away between the check and the rename: the file
         * is in the folder's new place (the trash); it goes, if it is
         * still ours there. */
        struct stat part;

        if (fstatat(u->parent_fd, final, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            fstat(u->part_fd, &part) == 0 && st.st_dev == part.st_dev &&
            st.st_ino == part.st_ino)
            unlinkat(u->parent_fd, final, 0);
        return answer_parent_gone(u, c, status);
    }
    u->stored = 1;
    etag[0] = '\0';
    if (fstatat(u->parent_fd, final, &st, AT_SYMLINK_NOFOLLOW) == 0)
        cond_etag(&st, etag);
    if (replaced)
        return answer(c, 204, "", NULL, etag[0] ? etag : NULL, status);
    {
        size_t cap = 3 * (strlen(u->parent) + strlen(final)) + 8, len = 0;
        enum MHD_Result ret;

        location = malloc(cap);
        if (!location)
            return MHD_NO;
        put_url_encode("/", location, cap, &len);
        put_url_encode(u->parent, location, cap, &len);
        if (u->parent[0])
            put_url_encode("/", location, cap, &len);
        put_url_encode(final, location, cap, &len);
        snprintf(text, sizeof text, "201 Created: /%s%s%.*s (%" PRIu64 " bytes).\n",
                 u->parent, u->parent[0] ? "/" : "", NAME_MAX, final, u->received);
        ret = answer(c, 201, text, location, etag[0] ? etag : NULL, status);
        free(location);
        return ret;
    }
}

/* Releases u (see put_end()). Accepts NULL. */
static void upload_free(struct put_upload *u)
{
    if (!u)
        return;
    if (u->part_fd >= 0)
        close(u->part_fd);
    if (!u->part_gone && u->updir_fd >= 0)
        unlinkat(u->updir_fd, u->part, 0);
    if (u->updir_fd >= 0)
        close(u->updir_fd);
    if (u->parent_fd >= 0)
        close(u->parent_fd);
    /* Closed even when cut: a PUT cannot be resumed (its part file is gone
     * above), so nothing of it may be restored after a relaunch. */
    if (u->transfer && u->srv->engine)
        lc_engine_transfer_close(u->srv->engine, u->transfer);
    free(u->buf);
    free(u);
}

/*
 * Opens (making it, 0700, when missing) $STATE/uploads and creates the part
 * file in it (0600, O_EXCL). Returns 0 or -errno; u->updir_fd and
 * u->part_fd are set on success.
 */
static int open_part(struct put_upload *u, int state_fd)
{
    char hex[17];

    if (mkdirat(state_fd, UPLOADS_DIR, 0700) < 0 && errno != EEXIST)
        return -errno;
    u->updir_fd = openat(state_fd, UPLOADS_DIR,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (u->updir_fd < 0)
        return -errno;
    for (int tries = 0; tries < 16; tries++) {
        put_random_hex(hex);
        snprintf(u->part, sizeof u->part, "put-%s.part", hex);
        u->part_fd = openat(u->updir_fd, u->part,
                            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (u->part_fd >= 0)
            return 0;
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

unsigned put_sweep(int state_fd)
{
    unsigned n = 0;
    int fd = openat(state_fd, UPLOADS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);

        if (strncmp(e->d_name, "put-", 4) == 0 && len > 9 &&
            strcmp(e->d_name + len - 5, ".part") == 0 &&
            unlinkat(dirfd(d), e->d_name, 0) == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* Registers the upload with the lifecycle. Returns the id, or 0. */
static uint64_t register_upload(struct ferry_server *srv, struct MHD_Connection *c,
                                const struct put_upload *u, uint64_t total)
{
    ferry_transfer t = {.direction = FERRY_UPLOAD, .total = total,
                        .last = total ? total - 1 : 0};

    if (!srv->engine)
        return 0;
    if (snprintf(t.path, sizeof t.path, "/%s%s%s", u->parent, u->parent[0] ? "/" : "",
                 u->name) >= (int)sizeof t.path)
        t.path[utf8_cut(t.path, sizeof t.path - 1)] = '\0'; /* a whole character */
    srv_peer_address(c, t.peer, sizeof t.peer);
    t.started_ms = srv->have_os ? srv->os.now_ms(srv->os.ctx) : 0;
    return lc_engine_transfer_open(srv->engine, &t);
}

/*
 * Decides from the headers and the target's stat (exists 0 when it does
 * not) how the file will be put in place. Returns 0 and sets u->mode, or
 * the status to answer with the text in `text`.
 */
static unsigned choose_mode(struct ferry_server *srv, struct MHD_Connection *c,
                            struct put_upload *u, int exists, const struct stat *st,
                            char *text, size_t textlen)
{
    struct cond_headers h = {
        .if_match = header(c, MHD_HTTP_HEADER_IF_MATCH),
        .if_none_match = header(c, MHD_HTTP_HEADER_IF_NONE_MATCH),
        .if_unmodified_since = header(c, MHD_HTTP_HEADER_IF_UNMODIFIED_SINCE),
    };
    char etag[COND_ETAG_MAX];
    struct cond_validators v = {.etag = etag};

    if (exists && !S_ISREG(st->st_mode)) {
        snprintf(text, textlen, "409 Conflict: '%s' exists and is %s; it cannot be replaced "
                 "by an upload. Choose another name.\n", u->name,
                 S_ISDIR(st->st_mode) ? "a folder" : "not a regular file");
        return 409;
    }
    if (exists) {
        cond_etag(st, etag);
        v.mtime = st->st_mtime;
        if (cond_evaluate(&h, &v, 0) != COND_PROCEED) {
            snprintf(text, textlen, "412 Precondition Failed: '%s' %s; nothing was stored. "
                     "Fetch its current ETag and retry.\n", u->name,
                     h.if_match ? "does not match If-Match (it changed)"
                                : "exists (If-None-Match)");
            return 412;
        }
    } else if (h.if_match) {
        snprintf(text, textlen, "412 Precondition Failed: '%s' does not exist, so If-Match "
                 "cannot match; nothing was stored. Upload without If-Match to create "
                 "it.\n", u->name);
        return 412;
    }
    if (h.if_match) {
        u->mode = PUT_IF_MATCH;
    } else if (h.if_none_match) {
        /* "*": the file must stay absent. Tags that did not match the
         * existing file: replace it; no file: it must stay absent. */
        u->mode = exists && !strchr(h.if_none_match, '*') ? PUT_REPLACE : PUT_NOREPLACE;
    } else if (srv->cfg.on_conflict == FERRY_CONFLICT_OVERWRITE) {
        u->mode = PUT_REPLACE;
    } else if (srv->cfg.on_conflict == FERRY_CONFLICT_KEEP_BOTH) {
        u->mode = PUT_KEEP_BOTH;
    } else {
        if (exists) {
            snprintf(text, textlen, "409 Conflict: '%s' exists; nothing was stored. Send "
                     "If-Match with its ETag to replace it, or choose another name (this "
                     "server refuses to overwrite: --on-conflict refuse).\n", u->name);
            return 409;
        }
        u->mode = PUT_NOREPLACE;
        u->refuse_409 = 1;
    }
    return 0;
}

/* Maps a paths_open() failure on the parent folder to a status and text. */
static unsigned parent_error(int rc, char *text, size_t textlen)
{
    switch (rc) {
    case PATHS_ENOTFOUND:
    case -ENOENT:
    case -ENOTDIR:
        snprintf(text, textlen, "409 Conflict: the folder to upload into does not exist; "
                 "create it first (PUT does not create folders).\n");
        return 409;
    case PATHS_EFORBIDDEN:
    case -EACCES:
    case -EPERM:
        snprintf(text, textlen, "403 Forbidden: the folder to upload into is outside the "
                 "shared folder or not accessible.\n");
        return 403;
    case PATHS_EBADREQ:
    case -ENAMETOOLONG:
        snprintf(text, textlen, "400 Bad Request: the folder path is malformed or too long.\n");
        return 400;
    default:
        snprintf(text, textlen, "500 Internal Server Error: the folder to upload into cannot "
                 "be opened (see the server's log).\n");
        return 500;
    }
}

enum MHD_Result put_begin(struct req *rq)
{
    struct ferry_server *srv = rq->srv;
    struct MHD_Connection *c = rq->c;
    const struct req_path *path = &rq->path;
    unsigned *status = &rq->status;
    struct paths_opts po = srv->paths;
    const char *rel = path->rel;
    char text[TEXT_MAX];
    const char *clen = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH), *slash;
    uint64_t total = 0;
    unsigned st_code = 0;
    int trailing = path->trailing, rc = path->rc, exists;
    struct put_upload *u = NULL;
    struct stat st;

    rq->state = NULL;
    *status = 0;
    if (srv->cfg.read_only)
        return answer(c, 403, "403 Forbidden: this server is read-only (--read-only); "
                      "nothing was stored.\n", NULL, NULL, status);
    if (rc == PATHS_EBADREQ)
        return answer(c, 400, "400 Bad Request: the path is malformed (bad %-escape, NUL, "
                      "backslash, control character or invalid UTF-8); rename the file.\n",
                      NULL, NULL, status);
    if (rc == PATHS_EFORBIDDEN)
        return answer(c, 403, "403 Forbidden: the path leaves the shared folder.\n", NULL,
                      NULL, status);
    if (rc == PATHS_ENOTFOUND)
        return answer(c, 403, "403 Forbidden: names that start with '.' are hidden on this "
                      "server (start ferryd with --hidden to accept them).\n", NULL, NULL,
                      status);
    if (rc < 0)
        return answer(c, 400, "400 Bad Request: the path cannot be used.\n", NULL, NULL,
                      status);
    if (strncmp(rel, ".ferry", 6) == 0 && (rel[6] == '/' || rel[6] == '\0'))
        return answer(c, 403, "403 Forbidden: /.ferry/ is reserved for the server's own "
                      "endpoints; upload somewhere else.\n", NULL, NULL, status);
    if (!rel[0] || trailing)
        return answer(c, 409, "409 Conflict: the target is a folder; PUT needs a file name "
                      "(e.g. /folder/name.ext).\n", NULL, NULL, status);
    slash = strrchr(rel, '/');
    if (strlen(slash ? slash + 1 : rel) > NAME_MAX)
        return answer(c, 400, "400 Bad Request: the file name is longer than the file "
                      "system allows (255 bytes); use a shorter name.\n", NULL, NULL, status);
    if (clen) {
        char *end;

        errno = 0;
        total = strtoull(clen, &end, 10);
        if (errno || end == clen)
            total = 0;
    }
    if (srv->cfg.max_upload && total > srv->cfg.max_upload) {
        snprintf(text, sizeof text, "413 Content Too Large: the upload (%" PRIu64 " bytes) is "
                 "larger than this server's limit of %" PRIu64 " bytes (--max-upload); "
                 "nothing was stored.\n", total, srv->cfg.max_upload);
        return answer(c, 413, text, NULL, NULL, status);
    }
    if (srv->state_fd < 0)
        return answer(c, 503, "503 Service Unavailable: uploads need a state folder for "
                      "their part files, and this server has none; start it with "
                      "--state-dir DIR.\n", NULL, NULL, status);

    u = calloc(1, sizeof *u);
    if (!u)
        return MHD_NO;
    u->srv = srv;
    u->updir_fd = u->part_fd = u->parent_fd = -1;
    u->part_gone = 1; /* until it is made */
    /* both fit: rel is at most PATHS_MAX bytes, the name at most NAME_MAX */
    if (slash)
        memcpy(u->parent, rel, (size_t)(slash - rel));
    memcpy(u->name, slash ? slash + 1 : rel, strlen(slash ? slash + 1 : rel));
    po.follow_symlinks = 0; /* uploads never leave the root */
    rc = paths_open(srv->root_fd, u->parent, O_RDONLY | O_DIRECTORY, &po, &u->parent_fd);
    if (rc < 0) {
        st_code = parent_error(rc, text, sizeof text);
        if (st_code == 500)
            srv_log(srv, FERRY_LOG_ERROR, "upload: cannot open the folder '%s': %s",
                    u->parent, strerror(-rc));
        goto refuse;
    }
    exists = fstatat(u->parent_fd, u->name, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists && errno != ENOENT) {
        rc = -errno;
        st_code = rc == -ENAMETOOLONG ? 400 : 500;
        snprintf(text, sizeof text, st_code == 400
                 ? "400 Bad Request: the file name is too long for this file system.\n"
                 : "500 Internal Server Error: the target cannot be checked (see the "
                   "server's log).\n");
        if (st_code == 500)
            srv_log(srv, FERRY_LOG_ERROR, "upload: cannot stat '%s': %s", u->name,
                    strerror(-rc));
        goto refuse;
    }
    st_code = choose_mode(srv, c, u, exists, &st, text, sizeof text);
    if (st_code)
        goto refuse;
    u->buf = malloc(WRITE_BUF);
    if (!u->buf) {
        upload_free(u);
        return MHD_NO;
    }
    rc = open_part(u, srv->state_fd);
    if (rc < 0) {
        srv_log(srv, FERRY_LOG_ERROR, "upload: cannot create a part file in '%s/%s': %s",
                srv->state_dir ? srv->state_dir : "(state)", UPLOADS_DIR, strerror(-rc));
        st_code = rc == -ENOSPC || rc == -EDQUOT ? 507 : 500;
        snprintf(text, sizeof text, st_code == 507
                 ? "507 Insufficient Storage: the server's disk is full; free some space "
                   "and upload again.\n"
                 : "500 Internal Server Error: the upload cannot be stored (see the server's "
                   "log).\n");
        goto refuse;
    }
    u->part_gone = 0;
    u->transfer = register_upload(srv, c, u, total);
    rq->state = u;
    return MHD_YES;
refuse:
    upload_free(u);
    return answer(c, st_code, text, NULL, NULL, status);
}

void put_end(struct req *rq, int completed)
{
    (void)completed; /* a PUT does not resume: its end is the same */
    upload_free(rq->state);
    rq->state = NULL;
}

const struct route_handler put_handler = {
    .name = "put", .begin = put_begin, .body = put_body, .finish = put_finish, .end = put_end};
