/*
 * pending.c — the records of temporary items in the shared tree, and the
 * sweep at start that removes what a kill left (see pending.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "fileops.h"
#include "paths.h"
#include "pending.h"
#include "server.h"
#include "upload-put.h"

#define PENDING_DIR "pending"
#define RECORD_MAX (16 * 1024) /* a record is far smaller */
#define SWEEP_MAX 4096         /* records handled per start */

/* Opens $STATE/pending, made 0700 when missing. Returns the fd or -errno. */
static int open_dir(struct ferry_server *srv)
{
    int fd;

    if (mkdirat(srv->state_fd, PENDING_DIR, 0700) < 0 && errno != EEXIST)
        return -errno;
    fd = openat(srv->state_fd, PENDING_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int pending_save(struct pending *p)
{
    struct ferry_server *srv = p->srv;
    char tmp[sizeof p->file + 8], hex[17], *text = NULL;
    json_t *j;
    int dir = -1, fd = -1, rc;

    if (srv->state_fd < 0)
        return 0;
    if (!p->file[0]) {
        put_random_hex(hex);
        snprintf(p->file, sizeof p->file, "%.16s.json", hex);
    }
    j = json_pack("{s:i, s:s, s:s, s:s, s:s}", "version", 1, "folder", p->folder, "tmp",
                  p->tmp, "name", p->name, "old", p->old);
    text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        return -ENOMEM;
    dir = open_dir(srv);
    if (dir < 0) {
        rc = dir;
        goto out;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", p->file);
    fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    rc = put_write_all(fd, text, strlen(text));
    if (rc == 0 && compat_fsync_durable(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && renameat(dir, tmp, dir, p->file) < 0)
        rc = -errno;
    if (rc < 0)
        unlinkat(dir, tmp, 0);
    else if (compat_fsync_durable(dir) < 0 && errno != EINVAL && errno != EROFS)
        rc = -errno;
out:
    if (dir >= 0)
        close(dir);
    free(text);
    return rc;
}

void pending_end(struct pending *p)
{
    int dir;

    if (!p || !p->file[0] || p->srv->state_fd < 0)
        return;
    dir = openat(p->srv->state_fd, PENDING_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                 O_CLOEXEC);
    if (dir >= 0) {
        unlinkat(dir, p->file, 0);
        close(dir);
    }
    p->file[0] = '\0';
}

/* Whether s is "" or one of ferry's temporary names (no '/'). */
static int temp_or_empty(const char *s)
{
    return !s[0] || (!strchr(s, '/') && paths_temp_name(s, strlen(s)));
}

/* Reads record `file` of the folder dir into a new json_t, or NULL. */
static json_t *record_read(int dir, const char *file)
{
    char buf[RECORD_MAX];
    ssize_t n;
    int fd = openat(dir, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return NULL;
    n = read(fd, buf, sizeof buf);
    close(fd);
    return n > 0 ? json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL) : NULL;
}

/*
 * Carries out one record: the copy removed, the set-aside item put back or
 * removed. Returns how many items it removed or put back.
 */
static unsigned sweep_one(struct ferry_server *srv, json_t *j)
{
    struct paths_opts po = srv->paths;
    const char *folder, *tmp, *name, *old;
    json_int_t version;
    unsigned done = 0;
    struct stat st;
    int dir_fd, rc;

    if (json_unpack(j, "{s:I, s:s, s:s, s:s, s:s !}", "version", &version, "folder", &folder,
                    "tmp", &tmp, "name", &name, "old", &old) != 0 || version != 1 ||
        strlen(folder) > PATHS_MAX || !temp_or_empty(tmp) || !temp_or_empty(old) ||
        strchr(name, '/') || strlen(name) > NAME_MAX || (old[0] && !name[0]) ||
        strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        srv_log(srv, FERRY_LOG_WARN, "a record in the state folder's pending/ is malformed: "
                "ignored");
        return 0;
    }
    po.follow_symlinks = 0; /* as every write: never through a link */
    po.show_hidden = 1;     /* the folder may be a hidden one */
    if (paths_open(srv->root_fd, folder, O_RDONLY | O_DIRECTORY, &po, &dir_fd) < 0)
        return 0; /* the folder is gone: so is what was in it */
    if (tmp[0] && fstatat(dir_fd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        rc = fileops_remove(dir_fd, tmp);
        srv_log(srv, rc < 0 ? FERRY_LOG_WARN : FERRY_LOG_INFO, "'/%s%s%s': %s the copy that "
                "an earlier run left half made%s%s", folder, folder[0] ? "/" : "", tmp,
                rc < 0 ? "cannot remove" : "removed", rc < 0 ? ": " : "",
                rc < 0 ? strerror(-rc) : "");
        done += rc == 0;
    }
    if (old[0] && fstatat(dir_fd, old, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT &&
            put_place(dir_fd, old, dir_fd, name, 1) == 0) {
            srv_log(srv, FERRY_LOG_INFO, "'/%s%s%s': put back (an earlier run was cut while "
                    "replacing it)", folder, folder[0] ? "/" : "", name);
            done++;
        } else if (fileops_remove(dir_fd, old) == 0) {
            done++;
        }
    }
    compat_fsync_durable(dir_fd);
    close(dir_fd);
    return done;
}

unsigned pending_sweep(struct ferry_server *srv)
{
    unsigned done = 0, seen = 0;
    struct dirent *de;
    DIR *d;
    int dir, fd;

    if (srv->state_fd < 0)
        return 0;
    dir = openat(srv->state_fd, PENDING_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0)
        return 0;
    fd = dup(dir);
    d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        close(dir);
        return 0;
    }
    while ((de = readdir(d)) != NULL && seen < SWEEP_MAX) {
        size_t n = strlen(de->d_name);
        json_t *j;

        if (de->d_name[0] == '.')
            continue;
        seen++;
        if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0 &&
            (j = record_read(dir, de->d_name)) != NULL) {
            done += sweep_one(srv, j);
            json_decref(j);
        }
        unlinkat(dir, de->d_name, 0); /* records, and temporary records */
    }
    closedir(d);
    compat_fsync_durable(dir);
    close(dir);
    return done;
}
