/*
 * dav-propfind.c — the streamed multistatus; see dav-propfind.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "dav-propfind.h"
#include "dav-props.h"
#include "listing.h"
#include "paths.h"

#define RESPONSE_MAX (1024 * 1024) /* one <D:response> (dead values included) */

enum stage { ST_SELF, ST_MEMBERS, ST_FOOTER, ST_DONE };

struct dav_propfind {
    struct dav_propfind_cfg cfg;
    struct dav_xml_result req;
    struct dav_props_ctx ctx;
    char *path;
    int fd;          /* the resource itself */
    struct stat st;
    DIR *dir;        /* its members (depth 1 on a folder), or NULL */
    int need_fd, need_created; /* of each member (dav-props.h) */
    enum stage stage;
    struct dav_buf out; /* produced, not yet read */
    size_t pos;         /* bytes of out already read */
};

int dav_propfind_is_folder(const struct dav_propfind *pf)
{
    return S_ISDIR(pf->st.st_mode);
}

/* Birth time where the file system keeps one, else the mtime: of fd, or
 * with fd -1 of `name` in the folder dir_fd (not followed). */
static time_t created_at(int dir_fd, const char *name, int fd, const struct stat *st)
{
#ifdef STATX_BTIME
    struct statx sx;
    int rc = fd >= 0 ? statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx)
                     : statx(dir_fd, name, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx);

    if (rc == 0 && (sx.stx_mask & STATX_BTIME))
        return (time_t)sx.stx_btime.tv_sec;
#else
    (void)dir_fd, (void)name, (void)fd;
#endif
    return st->st_mtime;
}

static time_t created(int fd, const struct stat *st)
{
    return created_at(-1, NULL, fd, st);
}

int dav_propfind_open(const struct dav_propfind_cfg *cfg, const char *path, int depth,
                      struct dav_xml_result *req, struct dav_propfind **out)
{
    struct dav_propfind *pf = calloc(1, sizeof *pf);
    struct statvfs vfs;
    int rc;

    *out = NULL;
    if (!pf) {
        dav_xml_result_free(req);
        return -ENOMEM;
    }
    pf->req = *req;
    memset(req, 0, sizeof *req);
    pf->cfg = *cfg;
    pf->fd = -1;
    dav_buf_init(&pf->out, 0);
    dav_buf_init(&pf->ctx.ok, RESPONSE_MAX);
    dav_buf_init(&pf->ctx.missing, RESPONSE_MAX);
    pf->ctx.req = &pf->req;
    pf->need_fd = dav_props_need_fd(&pf->req);
    pf->need_created = dav_props_need_created(&pf->req);
    pf->ctx.locks = cfg->locks;
    pf->ctx.dead = cfg->dead;
    pf->ctx.now = cfg->now;
    pf->path = strdup(path);
    rc = pf->path ? 0 : -ENOMEM;
    if (rc == 0)
        rc = paths_open(cfg->root_fd, path, O_RDONLY | O_NONBLOCK, cfg->paths, &pf->fd);
    if (rc == 0 && fstat(pf->fd, &pf->st) < 0)
        rc = -errno;
    if (rc == 0 && !S_ISDIR(pf->st.st_mode) && !S_ISREG(pf->st.st_mode))
        rc = PATHS_ENOTFOUND;
    if (rc == 0 && fstatvfs(pf->fd, &vfs) == 0) {
        pf->ctx.have_quota = 1;
        pf->ctx.quota_avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
        pf->ctx.quota_used = (unsigned long long)(vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize;
    }
    if (rc == 0 && depth > 0 && S_ISDIR(pf->st.st_mode)) {
        int dfd = openat(pf->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        pf->dir = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (!pf->dir) {
            rc = -errno;
            if (dfd >= 0)
                close(dfd);
        }
    }
    if (rc < 0) {
        dav_propfind_free(pf);
        return rc;
    }
    *out = pf;
    return 0;
}

/* The response of the resource itself. */
static int produce_self(struct dav_propfind *pf)
{
    const char *slash = strrchr(pf->path, '/');
    struct dav_resource r = {
        .path = pf->path,
        .name = pf->path[0] ? (slash ? slash + 1 : pf->path) : pf->cfg.root_name,
        .st = pf->st,
        .created = created(pf->fd, &pf->st),
        .fd = pf->fd,
    };
    int rc = dav_buf_adds(&pf->out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                                    "<D:multistatus xmlns:D=\"DAV:\">");

    return rc ? rc : dav_props_response(&pf->out, &pf->ctx, &r);
}

/* The response of the next member worth showing; 1 when there is none. */
static int produce_member(struct dav_propfind *pf)
{
    struct dirent *de;
    char rel[PATHS_MAX + 1];

    while ((de = readdir(pf->dir))) {
        const char *name = de->d_name;
        size_t n = strlen(name);
        struct dav_resource r = {.path = rel, .name = name, .fd = -1};
        int rc;

        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if ((name[0] == '.' && !pf->cfg.show_hidden) || paths_temp_name(name, n) ||
            !listing_name_servable(name, n))
            continue;
        if (fstatat(dirfd(pf->dir), name, &r.st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (!S_ISLNK(r.st.st_mode) && !S_ISREG(r.st.st_mode) && !S_ISDIR(r.st.st_mode))
            continue;
        if ((size_t)snprintf(rel, sizeof rel, "%s%s%s", pf->path, pf->path[0] ? "/" : "",
                             name) >= sizeof rel)
            continue;
        /* A symlink is followed by the same walk as a GET (one that leaves is
         * left out); a plain member is opened only for its dead properties. */
        if (S_ISLNK(r.st.st_mode) || pf->need_fd) {
            if (paths_open(pf->cfg.root_fd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY,
                           pf->cfg.paths, &r.fd) < 0)
                continue;
            if (fstat(r.fd, &r.st) < 0 || (!S_ISREG(r.st.st_mode) && !S_ISDIR(r.st.st_mode))) {
                close(r.fd);
                continue;
            }
        }
        r.created = !pf->need_created ? r.st.st_mtime
                  : r.fd >= 0 ? created(r.fd, &r.st)
                              : created_at(dirfd(pf->dir), name, -1, &r.st);
        if (!pf->need_fd && r.fd >= 0) { /* a symlink's target: no dead props asked */
            close(r.fd);
            r.fd = -1;
        }
        rc = dav_props_response(&pf->out, &pf->ctx, &r);
        if (r.fd >= 0)
            close(r.fd);
        if (rc == -E2BIG) { /* one oversized entry: left out, not the answer */
            continue;
        }
        return rc;
    }
    return 1;
}

/* Produces the next piece of the answer into pf->out (emptied first).
 * Returns 0, 1 at the end, or -1 when the answer cannot go on. */
static int produce(struct dav_propfind *pf)
{
    int rc = 0;

    dav_buf_reset(&pf->out);
    pf->pos = 0;
    switch (pf->stage) {
    case ST_SELF:
        rc = produce_self(pf);
        pf->stage = pf->dir ? ST_MEMBERS : ST_FOOTER;
        break;
    case ST_MEMBERS:
        rc = produce_member(pf);
        if (rc == 1) {
            rc = 0;
            pf->stage = ST_FOOTER;
        }
        break;
    case ST_FOOTER:
        rc = dav_buf_adds(&pf->out, "</D:multistatus>\n");
        pf->stage = ST_DONE;
        break;
    case ST_DONE:
        return 1;
    }
    return rc < 0 ? -1 : 0;
}

/* Fills buf with as many whole or partial responses as fit (one chunk of
 * the answer, not one per member). */
ssize_t dav_propfind_read(struct dav_propfind *pf, char *buf, size_t max)
{
    size_t done = 0;

    while (done < max) {
        size_t n;

        if (pf->pos == pf->out.len) {
            int rc = produce(pf);

            if (rc == 1)
                break;
            if (rc < 0)
                return -1;
            continue;
        }
        n = pf->out.len - pf->pos;
        if (n > max - done)
            n = max - done;
        memcpy(buf + done, pf->out.p + pf->pos, n);
        pf->pos += n;
        done += n;
    }
    return (ssize_t)done;
}

void dav_propfind_free(struct dav_propfind *pf)
{
    if (!pf)
        return;
    if (pf->dir)
        closedir(pf->dir);
    if (pf->fd >= 0)
        close(pf->fd);
    dav_xml_result_free(&pf->req);
    dav_buf_free(&pf->out);
    dav_buf_free(&pf->ctx.ok);
    dav_buf_free(&pf->ctx.missing);
    free(pf->path);
    free(pf);
}
