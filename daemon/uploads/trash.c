/*
 * trash.c — $STATE/trash: putting items in (trash_put, trash_delete), taking
 * them back (trash_restore, trash_unput), removing them for good
 * (trash_purge, trash_empty, trash_sweep and its bounds), and the
 * /.ferry/trash endpoints (see trash.h for the layout on disk, the bounds
 * and the URLs).
 *
 * The names in the trash folder:
 *   <id>            the item (file, folder or symlink), moved in by rename
 *   <id>.json       its record, written before the item moves
 *   <id>.json.tmp   a record being written
 *   <id>.part       a copy from another file system being made
 *   <id>.del        an item claimed for removal
 * Anything else there is left alone.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "fileops.h"
#include "paths.h"
#include "request.h"
#include "server.h"
#include "trash.h"
#include "upload-put.h"

#define TRASH_DIR "trash"
#define RECORD_MAX (64 * 1024)  /* a record is far smaller; refuse bigger */
#define DAY_S 86400
#define DEFAULT_DAYS 30
#define NAME_BUF (TRASH_ID_MAX + 16)
#define TEXT_MAX (PATHS_MAX + 256)

#if defined(__APPLE__)
#define ST_NSEC(st) ((st)->st_mtimespec.tv_nsec)
#else
#define ST_NSEC(st) ((st)->st_mtim.tv_nsec)
#endif

enum name_kind { NAME_OTHER, NAME_ITEM, NAME_RECORD, NAME_TMP, NAME_PART, NAME_DEL };

/* ---------------------------------------------------------------- names */

/*
 * Whether s[0..len) is an id ("<1-20 digits>-<16 lowercase hex>"); its
 * seconds go to *secs.
 */
static int parse_id(const char *s, size_t len, time_t *secs)
{
    size_t d = 0;
    long long v = 0;

    while (d < len && d < 20 && s[d] >= '0' && s[d] <= '9') {
        if (v > (LLONG_MAX - 9) / 10)
            return 0;
        v = v * 10 + (s[d] - '0');
        d++;
    }
    if (!d || d + 17 != len || s[d] != '-')
        return 0;
    for (size_t i = d + 1; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    if (secs)
        *secs = (time_t)v;
    return 1;
}

/* Whether a whole string is an id. */
static int is_id(const char *s)
{
    return parse_id(s, strlen(s), NULL);
}

/* What `name` in the trash folder is; its id goes to id (TRASH_ID_MAX). */
static enum name_kind classify(const char *name, char *id, time_t *secs)
{
    static const struct {
        const char *suffix;
        enum name_kind kind;
    } kinds[] = {{".json.tmp", NAME_TMP}, {".json", NAME_RECORD}, {".del", NAME_DEL},
                 {".part", NAME_PART},
                 {"", NAME_ITEM}};
    size_t len = strlen(name);

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t sl = strlen(kinds[i].suffix), il = len - sl;

        if (len < sl || strcmp(name + il, kinds[i].suffix) != 0)
            continue;
        if (il < TRASH_ID_MAX && parse_id(name, il, secs)) {
            memcpy(id, name, il);
            id[il] = '\0';
            return kinds[i].kind;
        }
    }
    return NAME_OTHER;
}

/* ---------------------------------------------------------------- folder */

/* Opens $STATE/trash, making it (0700) when `create`. Returns the fd,
 * -EBADF without a state folder, or -errno. */
static int open_trash(struct ferry_server *srv, int create)
{
    int fd;

    if (srv->state_fd < 0)
        return -EBADF;
    if (create && mkdirat(srv->state_fd, TRASH_DIR, 0700) < 0 && errno != EEXIST)
        return -errno;
    fd = openat(srv->state_fd, TRASH_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* open_trash(srv, 1) with the folder's fstat in *st (for its device).
 * Returns the fd (the caller's), or -EBADF or -errno with nothing open. */
static int open_trash_stat(struct ferry_server *srv, struct stat *st)
{
    int fd = open_trash(srv, 1), rc;

    if (fd >= 0 && fstat(fd, st) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

/* ---------------------------------------------------------------- records */

/* Writes <id>.json atomically (through <id>.json.tmp, fsynced, no-replace
 * rename). Returns 0, -EEXIST or another -errno; nothing left on failure. */
static int write_record(int tfd, const char *id, const char *path, int folder,
                        uint64_t size, time_t deleted, long long depth)
{
    char tmp[NAME_BUF], rec[NAME_BUF];
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", id, "path", path, "kind",
                          folder ? "folder" : "file", "size", (json_int_t)size, "deleted",
                          (json_int_t)deleted);
    char *s;
    size_t len, off = 0;
    int fd = -1, rc = 0;

    /* where it was, in folders below the root: a restore to the same depth
     * leaves every relative symlink in it reaching what it reached */
    if (j && depth >= 0)
        json_object_set_new(j, "depth", json_integer((json_int_t)depth));
    s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    len = s ? strlen(s) : 0;
    json_decref(j);
    if (!s)
        return -ENOMEM; /* or a path jansson refused (not UTF-8) */
    snprintf(tmp, sizeof tmp, "%s.json.tmp", id);
    snprintf(rec, sizeof rec, "%s.json", id);
    fd = openat(tfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        free(s);
        return -errno;
    }
    while (off < len && rc == 0) {
        ssize_t n = write(fd, s + off, len - off);

        if (n < 0 && errno != EINTR)
            rc = -errno;
        else if (n > 0)
            off += (size_t)n;
    }
    free(s);
    if (rc == 0 && compat_fsync_durable(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0) {
        rc = put_place(tfd, tmp, tfd, rec, 1);
        if (rc == 1) /* linked: drop the temporary name */
            rc = 0;
    }
    unlinkat(tfd, tmp, 0);
    return rc;
}

/* One record as read back. */
struct record {
    char id[TRASH_ID_MAX];
    char path[PATHS_MAX + 2]; /* "/" + the path below the root */
    int folder;
    uint64_t size;
    time_t deleted;
    long long depth;          /* folders below the root it was in; -1: unknown */
};

/* Reads <id>.json into *r. Returns 0, -ENOENT or -EBADMSG (unreadable). */
static int read_record(int tfd, const char *id, struct record *r)
{
    char rec[NAME_BUF];
    struct stat st;
    json_error_t err;
    json_t *j = NULL, *path, *kind, *size, *del, *depth;
    int fd, rc = -EBADMSG;

    snprintf(rec, sizeof rec, "%s.json", id);
    fd = openat(tfd, rec, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ENOENT : -EBADMSG;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= RECORD_MAX)
        j = json_loadfd(fd, 0, &err);
    close(fd);
    path = json_object_get(j, "path");
    kind = json_object_get(j, "kind");
    size = json_object_get(j, "size");
    del = json_object_get(j, "deleted");
    depth = json_object_get(j, "depth");
    if (json_is_string(path) && json_string_value(path)[0] == '/' &&
        json_string_length(path) < sizeof r->path && json_is_string(kind) &&
        json_is_integer(size) && json_integer_value(size) >= 0 && json_is_integer(del)) {
        snprintf(r->id, sizeof r->id, "%s", id);
        snprintf(r->path, sizeof r->path, "%s", json_string_value(path));
        r->folder = strcmp(json_string_value(kind), "folder") == 0;
        r->size = (uint64_t)json_integer_value(size);
        r->deleted = (time_t)json_integer_value(del);
        r->depth = json_is_integer(depth) && json_integer_value(depth) >= 0
                       ? (long long)json_integer_value(depth)
                       : -1;
        rc = 0;
    }
    json_decref(j);
    return rc;
}

/* Drops <id>.json (a missing one is fine). */
static void drop_record(int tfd, const char *id)
{
    char rec[NAME_BUF];

    snprintf(rec, sizeof rec, "%s.json", id);
    unlinkat(tfd, rec, 0);
}

/* ---------------------------------------------------------------- space */

/* The size of the file system of fd and what is free on it for ferry, in
 * bytes; both UINT64_MAX when it cannot be known. */
struct space {
    uint64_t total, free;
};

static void space_of(int fd, struct space *sp)
{
    struct statvfs v;

    sp->total = sp->free = UINT64_MAX;
    if (fstatvfs(fd, &v) == 0 && v.f_frsize) {
        sp->total = (uint64_t)v.f_blocks * v.f_frsize;
        sp->free = (uint64_t)v.f_bavail * v.f_frsize;
    }
}

/* Below this many free bytes the disk is nearly full (trash.h). */
static uint64_t low_mark(const struct space *sp)
{
    uint64_t m;

    if (sp->total == UINT64_MAX)
        return 0;
    m = sp->total / 100 * TRASH_LOW_PERCENT;
    return m < TRASH_LOW_MIN ? TRASH_LOW_MIN : m > TRASH_LOW_MAX ? TRASH_LOW_MAX : m;
}

/* The trash's bound on a disk of this size; 0 = none known. */
static uint64_t max_of(struct ferry_server *srv, const struct space *sp)
{
    unsigned pct = srv->cfg.trash_max_percent ? srv->cfg.trash_max_percent
                                              : TRASH_MAX_PERCENT;

    if (srv->cfg.trash_max)
        return srv->cfg.trash_max;
    if (sp->total == UINT64_MAX)
        return 0;
    return sp->total / 100 * pct;
}

uint64_t trash_max_bytes(struct ferry_server *srv)
{
    struct space sp = {UINT64_MAX, UINT64_MAX};
    int tfd = open_trash(srv, 0);

    if (tfd < 0 && srv->state_fd >= 0)
        space_of(srv->state_fd, &sp);
    else if (tfd >= 0)
        space_of(tfd, &sp);
    if (tfd >= 0)
        close(tfd);
    return max_of(srv, &sp);
}

/* ---------------------------------------------------------------- entries */

/* An entry with both its item and its record. */
struct entry {
    char id[TRASH_ID_MAX];
    time_t deleted;
    long nsec; /* of its record's mtime: the order within one second */
    uint64_t size;
    int folder;
    char *path; /* "/" + the path below the root, malloc'd */
};

static void entries_free(struct entry *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].path);
    free(v);
}

static int cmp_entries(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    if (x->deleted != y->deleted)
        return x->deleted < y->deleted ? -1 : 1; /* oldest first */
    if (x->nsec != y->nsec)
        return x->nsec < y->nsec ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether the sorted names hold `name`. */
static int has_name(char **names, size_t n, const char *name)
{
    return bsearch(&name, names, n, sizeof *names, cmp_names) != NULL;
}

/*
 * The entries of the trash folder tfd whose item and readable record are
 * both there, oldest first: *out holds *n of them, freed with
 * entries_free(). Returns 0 or -errno (*out NULL).
 */
static int entries_load(int tfd, struct entry **out, size_t *n)
{
    char **names = NULL, id[TRASH_ID_MAX];
    struct entry *v = NULL;
    size_t cnt = 0, nn = 0;
    struct record *r = malloc(sizeof *r);
    int rc;

    *out = NULL;
    *n = 0;
    if (!r)
        return -ENOMEM;
    rc = fileops_names(tfd, &names, &nn);
    if (rc == 0 && nn && !(v = calloc(nn, sizeof *v)))
        rc = -ENOMEM;
    if (rc < 0)
        goto out;
    if (nn)
        qsort(names, nn, sizeof *names, cmp_names);
    for (size_t i = 0; i < nn; i++) {
        struct stat st;

        if (classify(names[i], id, NULL) != NAME_RECORD || !has_name(names, nn, id) ||
            read_record(tfd, id, r) < 0)
            continue;
        v[cnt].nsec = fstatat(tfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                              st.st_mtime == r->deleted ? ST_NSEC(&st) : 0;
        v[cnt].path = strdup(r->path);
        if (!v[cnt].path) {
            rc = -ENOMEM;
            goto out;
        }
        snprintf(v[cnt].id, sizeof v[cnt].id, "%s", id);
        v[cnt].deleted = r->deleted;
        v[cnt].size = r->size;
        v[cnt].folder = r->folder;
        cnt++;
    }
    if (cnt)
        qsort(v, cnt, sizeof *v, cmp_entries);
out:
    fileops_names_free(names, nn);
    free(r);
    if (rc < 0) {
        entries_free(v, cnt);
        return rc;
    }
    *out = v;
    *n = cnt;
    return 0;
}

static int remove_entry(int tfd, const char *id);

/*
 * Removes the oldest entries of the trash folder tfd for good while its
 * total plus `adding` bytes is over the bound, or while less than the low
 * mark plus `need` bytes are free on its disk; logs each. `adding` and
 * `need` are what an entry about to be made will add to the total and take
 * from the disk.
 */
static void trim(struct ferry_server *srv, int tfd, uint64_t adding, uint64_t need)
{
    struct entry *v = NULL;
    struct space sp;
    uint64_t total = 0, max, low;
    size_t n = 0;

    space_of(tfd, &sp);
    max = max_of(srv, &sp);
    low = low_mark(&sp);
    if (entries_load(tfd, &v, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        total += v[i].size;
    for (size_t i = 0; i < n; i++) {
        int over = max && total + adding > max;
        int full = sp.free != UINT64_MAX && sp.free < low + need;
        int rc;

        if (!over && !full)
            break;
        rc = remove_entry(tfd, v[i].id);
        if (rc == 0 && over)
            srv_log(srv, FERRY_LOG_INFO, "trash: removed '%s' (%" PRIu64 " bytes) for good, "
                    "the oldest entry: the trash keeps at most %" PRIu64 " bytes (--trash-max)",
                    v[i].path, v[i].size, max);
        else if (rc == 0)
            srv_log(srv, FERRY_LOG_WARN, "trash: removed '%s' (%" PRIu64 " bytes) for good, "
                    "the oldest entry: its disk is nearly full (%" PRIu64 " bytes free)",
                    v[i].path, v[i].size, sp.free);
        else if (rc != -ENOENT)
            srv_log(srv, FERRY_LOG_WARN, "trash: cannot remove entry %s ('%s'): %s", v[i].id,
                    v[i].path, strerror(-rc));
        total -= v[i].size;
        space_of(tfd, &sp);
    }
    entries_free(v, n);
}

/* ---------------------------------------------------------------- put */

/* How many folders below the shared root dir_fd is (what a restore compares
 * to decide whether relative symlinks must be checked again); -1 when it
 * cannot be told (a restore then checks every link). */
static long long depth_of(struct ferry_server *srv, int dir_fd)
{
    struct stat rst;
    size_t depth;

    if (fstat(srv->root_fd, &rst) < 0 || fileops_depth(dir_fd, &rst, &depth) < 0)
        return -1;
    return (long long)depth;
}

/*
 * Writes a record for rel (a path below the root), which sits `depth`
 * folders below the root (-1: unknown), under a new id, into id
 * (TRASH_ID_MAX bytes). Returns 0 or -errno (nothing left).
 */
static int new_record(int tfd, const char *rel, int folder, uint64_t size, long long depth,
                      char *id)
{
    char hex[17], *path = malloc(strlen(rel) + 2);
    time_t now = time(NULL);
    int rc = -EEXIST;

    if (!path)
        return -ENOMEM;
    sprintf(path, "/%s", rel);
    for (int tries = 0; tries < 16 && rc == -EEXIST; tries++) {
        put_random_hex(hex);
        snprintf(id, TRASH_ID_MAX, "%lld-%s", (long long)now, hex);
        rc = write_record(tfd, id, path, folder, size, now, depth);
    }
    free(path);
    return rc;
}

/* Moves dir_fd/name into the trash folder tfd by rename, with a record,
 * as entry `id`. Returns 0 or -errno (nothing moved, no record). */
static int put_rename(struct ferry_server *srv, int tfd, int dir_fd, const char *name,
                      const char *rel, int folder, uint64_t size, char *id)
{
    int rc = new_record(tfd, rel, folder, size, depth_of(srv, dir_fd), id);

    if (rc < 0)
        return rc;
    rc = put_place(dir_fd, name, tfd, id, 1);
    if (rc == 1 && unlinkat(dir_fd, name, 0) < 0) { /* linked, but the old name stays */
        rc = -errno;
        unlinkat(tfd, id, 0);
    }
    if (rc < 0) {
        drop_record(tfd, id);
        return rc;
    }
    compat_fsync_durable(tfd);
    return 0;
}

/* Copies dir_fd/name into the trash folder tfd (through "<id>.part"), with
 * a record, as entry `id`; the item stays. Returns 0 or -errno (nothing
 * left in the trash). */
static int put_copy(struct ferry_server *srv, int tfd, int dir_fd, const char *name,
                    const char *rel, int folder, uint64_t size, char *id)
{
    char part[NAME_BUF];
    int rc = new_record(tfd, rel, folder, size, depth_of(srv, dir_fd), id);

    if (rc < 0)
        return rc;
    snprintf(part, sizeof part, "%s.part", id);
    rc = fileops_copy(dir_fd, name, tfd, part, 1);
    if (rc == 0) {
        rc = put_place(tfd, part, tfd, id, 1);
        if (rc == 1)
            unlinkat(tfd, part, 0);
        if (rc < 0)
            fileops_remove(tfd, part);
    }
    if (rc < 0) {
        drop_record(tfd, id);
        return rc;
    }
    compat_fsync_durable(tfd);
    return 0;
}

int trash_put(struct ferry_server *srv, int dir_fd, const char *name, const char *rel,
              char *id_out)
{
    char id[TRASH_ID_MAX];
    struct stat st, tst;
    uint64_t size;
    int tfd, rc;

    if (id_out)
        id_out[0] = '\0';
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    tfd = open_trash_stat(srv, &tst);
    if (tfd < 0)
        return tfd;
    if (tst.st_dev != st.st_dev) { /* a rename would fail: say so before writing */
        rc = -EXDEV;
        goto out;
    }
    size = fileops_size(dir_fd, name);
    trim(srv, tfd, size, 0); /* older entries make room; this one always goes in */
    rc = put_rename(srv, tfd, dir_fd, name, rel, S_ISDIR(st.st_mode), size, id);
    if (rc == 0 && id_out)
        snprintf(id_out, TRASH_ID_MAX, "%s", id);
out:
    close(tfd);
    return rc;
}

int trash_delete(struct ferry_server *srv, int dir_fd, const char *name, const char *rel,
                 char *id_out, uint64_t *size_out)
{
    char id[TRASH_ID_MAX];
    struct stat st, tst;
    struct space sp;
    uint64_t size, max, low;
    int tfd, rc, folder;

    id_out[0] = '\0';
    *size_out = 0;
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    folder = S_ISDIR(st.st_mode);
    size = *size_out = fileops_size(dir_fd, name);
    trash_sweep(srv); /* old entries go first; on a nearly full disk, all of them may */
    tfd = open_trash_stat(srv, &tst);
    if (tfd < 0)
        return tfd;
    space_of(tfd, &sp);
    max = max_of(srv, &sp);
    low = low_mark(&sp);
    if (max && size > max) {
        rc = TRASH_ETOOBIG;
        goto out;
    }
    if (tst.st_dev == st.st_dev) {
        /* a rename frees nothing: on a nearly full disk, ask instead */
        if (sp.free != UINT64_MAX && sp.free < low) {
            rc = TRASH_EFULL;
            goto out;
        }
        trim(srv, tfd, size, 0);
        rc = put_rename(srv, tfd, dir_fd, name, rel, folder, size, id);
    } else {
        if (size > TRASH_COPY_MAX || (!S_ISREG(st.st_mode) && !folder &&
                                      !S_ISLNK(st.st_mode))) {
            rc = TRASH_EOTHERFS;
            goto out;
        }
        trim(srv, tfd, size, size);
        space_of(tfd, &sp);
        if (sp.free != UINT64_MAX && sp.free < low + size) {
            rc = TRASH_EFULL;
            goto out;
        }
        rc = put_copy(srv, tfd, dir_fd, name, rel, folder, size, id);
        if (rc == 0) {
            snprintf(id_out, TRASH_ID_MAX, "%s", id);
            rc = fileops_remove(dir_fd, name) < 0 ? 1 : 0;
            goto out;
        }
    }
    if (rc == -ENOSPC || rc == -EDQUOT)
        rc = TRASH_EFULL;
    if (rc == 0)
        snprintf(id_out, TRASH_ID_MAX, "%s", id);
out:
    close(tfd);
    return rc;
}

int trash_unput(struct ferry_server *srv, const char *id, int dir_fd, const char *name)
{
    int tfd = open_trash(srv, 0), rc;

    if (tfd < 0)
        return tfd;
    rc = put_place(tfd, id, dir_fd, name, 1);
    if (rc == 1)
        unlinkat(tfd, id, 0);
    if (rc >= 0) {
        rc = 0;
        drop_record(tfd, id);
        compat_fsync_durable(tfd);
    }
    close(tfd);
    return rc;
}

/* ---------------------------------------------------------------- removal */

/*
 * Removes item `id` for good: claims it by renaming it to <id>.del, removes
 * that tree, then the record. Returns 0, -ENOENT (no such item: someone
 * else took it) or -errno.
 */
static int remove_entry(int tfd, const char *id)
{
    char del[NAME_BUF];
    int rc;

    snprintf(del, sizeof del, "%s.del", id);
    rc = put_place(tfd, id, tfd, del, 1);
    if (rc == -EEXIST) { /* a leftover of an interrupted removal */
        fileops_remove(tfd, del);
        rc = put_place(tfd, id, tfd, del, 1);
    }
    if (rc == 1)
        unlinkat(tfd, id, 0);
    if (rc < 0)
        return rc;
    rc = fileops_remove(tfd, del);
    if (rc == 0)
        drop_record(tfd, id);
    compat_fsync_durable(tfd);
    return rc;
}

int trash_purge(struct ferry_server *srv, const char *id)
{
    int tfd, rc;

    if (!is_id(id))
        return -ENOENT;
    tfd = open_trash(srv, 0);
    if (tfd < 0)
        return tfd == -ENOENT ? -ENOENT : tfd;
    rc = remove_entry(tfd, id);
    close(tfd);
    return rc;
}

int trash_empty(struct ferry_server *srv, unsigned *n_out, uint64_t *bytes_out)
{
    struct entry *v = NULL;
    uint64_t bytes = 0;
    unsigned cnt = 0;
    size_t n = 0;
    int tfd, rc, first = 0;

    if (n_out)
        *n_out = 0;
    if (bytes_out)
        *bytes_out = 0;
    tfd = open_trash(srv, 0);
    if (tfd == -ENOENT)
        return 0;
    if (tfd < 0)
        return tfd;
    rc = entries_load(tfd, &v, &n);
    if (rc < 0) {
        close(tfd);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        rc = remove_entry(tfd, v[i].id);
        if (rc == 0) {
            cnt++;
            bytes += v[i].size;
        } else if (rc != -ENOENT && !first) {
            first = rc;
        }
    }
    entries_free(v, n);
    close(tfd);
    if (n_out)
        *n_out = cnt;
    if (bytes_out)
        *bytes_out = bytes;
    return first;
}

void trash_sweep_at(struct ferry_server *srv, time_t now)
{
    unsigned days = srv->cfg.trash_days ? srv->cfg.trash_days : DEFAULT_DAYS;
    char **names = NULL, id[TRASH_ID_MAX], other[NAME_BUF];
    size_t n = 0;
    int tfd = open_trash(srv, 0);

    if (tfd < 0)
        return;
    if (fileops_names(tfd, &names, &n) < 0) {
        close(tfd);
        return;
    }
    if (n) /* (qsort() wants a non-NULL array even for none) */
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        time_t secs = 0;
        struct record r;
        int rc;

        switch (classify(names[i], id, &secs)) {
        case NAME_DEL:
            fileops_remove(tfd, names[i]);
            break;
        case NAME_TMP:
            if (now - secs > TRASH_ORPHAN_GRACE_S)
                unlinkat(tfd, names[i], 0);
            break;
        case NAME_PART: /* a copy cut by a kill (or still being made) */
            if (now - secs > TRASH_ORPHAN_GRACE_S)
                fileops_remove(tfd, names[i]);
            break;
        case NAME_RECORD:
            if (!has_name(names, n, id)) { /* its item is gone (or on its way in) */
                if (now - secs > TRASH_ORPHAN_GRACE_S)
                    unlinkat(tfd, names[i], 0);
                break;
            }
            if (read_record(tfd, id, &r) < 0) {
                r.deleted = secs;
                snprintf(r.path, sizeof r.path, "(unreadable record)");
            }
            if (now - r.deleted <= (time_t)days * DAY_S)
                break;
            rc = remove_entry(tfd, id);
            if (rc == 0)
                srv_log(srv, FERRY_LOG_INFO, "trash: removed '%s' for good (deleted more "
                        "than %u days ago)", r.path, days);
            else if (rc != -ENOENT)
                srv_log(srv, FERRY_LOG_WARN, "trash: cannot remove expired entry %s ('%s'): "
                        "%s", id, r.path, strerror(-rc));
            break;
        case NAME_ITEM:
            snprintf(other, sizeof other, "%s.json", id);
            if (has_name(names, n, other) || now - secs <= TRASH_ORPHAN_GRACE_S)
                break;
            rc = remove_entry(tfd, id);
            if (rc == 0)
                srv_log(srv, FERRY_LOG_INFO, "trash: removed entry %s, which had no record",
                        id);
            break;
        default:
            break;
        }
    }
    fileops_names_free(names, n);
    trim(srv, tfd, 0, 0);
    close(tfd);
}

void trash_sweep(struct ferry_server *srv)
{
    trash_sweep_at(srv, time(NULL));
}

/* ---------------------------------------------------------------- restore */

/* Whether rel (a path below the root, from a record) is clean: no empty,
 * "." or ".." segment, not under /.ferry. */
static int clean_rel(const char *rel)
{
    const char *seg = rel;

    if (!*rel || (strncmp(rel, ".ferry", 6) == 0 && (rel[6] == '/' || !rel[6])))
        return 0;
    for (;;) {
        size_t len = strcspn(seg, "/");

        if (!len || len > NAME_MAX || (len == 1 && seg[0] == '.') ||
            (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (!seg[len])
            return 1;
        seg += len + 1;
    }
}

int trash_restore(struct ferry_server *srv, const char *id, char *path, size_t pathlen,
                  int *folder)
{
    struct paths_opts po = srv->paths;
    struct fileops_links links = {0};
    struct record r;
    struct stat st, rst;
    char *rel, *slash;
    int tfd, pfd = -1, rc;

    if (path && pathlen)
        path[0] = '\0';
    if (!is_id(id))
        return -ENOENT;
    tfd = open_trash(srv, 0);
    if (tfd < 0)
        return tfd;
    if (fstatat(tfd, id, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        rc = -errno;
        goto out;
    }
    rc = read_record(tfd, id, &r);
    if (rc < 0)
        goto out;
    rel = r.path + 1;
    if (!clean_rel(rel)) {
        rc = -EBADMSG;
        goto out;
    }
    slash = strrchr(rel, '/');
    if (slash)
        *slash = '\0';
    po.follow_symlinks = 0; /* back into the tree, never out of it */
    rc = paths_open(srv->root_fd, slash ? rel : "", O_RDONLY | O_DIRECTORY, &po, &pfd);
    if (slash)
        *slash = '/';
    if (rc == PATHS_ENOTFOUND || rc == -ENOENT || rc == -ENOTDIR) {
        rc = -ENOTDIR;
        goto out;
    }
    if (rc == PATHS_EFORBIDDEN || rc == -EPERM) {
        rc = -EACCES;
        goto out;
    }
    if (rc < 0)
        goto out;
    /* Back where it was, but that folder may now be at another depth (a
     * symlink on the way): then every relative symlink in the entry must
     * stay inside from there, as for a MOVE (fileops.c). */
    pthread_rwlock_rdlock(&srv->links_lock);
    rc = fstat(srv->root_fd, &rst) < 0 ? -errno : fileops_depth(pfd, &rst, &links.depth);
    if (rc == 0 && (r.depth < 0 || (size_t)r.depth != links.depth))
        rc = fileops_links_check(tfd, id, &links);
    if (rc == 0)
        rc = put_place(tfd, id, pfd, slash ? slash + 1 : rel, 1);
    pthread_rwlock_unlock(&srv->links_lock);
    if (rc == FILEOPS_ELINKOUT) {
        rc = -EXDEV; /* a link would point outside: nothing is put back */
        goto out;
    }
    if (rc == 1)
        unlinkat(tfd, id, 0);
    if (rc == -EXDEV) { /* copied in from another file system: copy it back */
        rc = fileops_copy_place(tfd, id, pfd, slash ? slash + 1 : rel);
        if (rc == 0 && remove_entry(tfd, id) < 0)
            srv_log(srv, FERRY_LOG_WARN, "trash: '%s' is restored, but its copy in the trash "
                    "(%s) could not be removed entirely", r.path, id);
    }
    if (rc < 0)
        goto out;
    rc = 0;
    drop_record(tfd, id);
    compat_fsync_durable(pfd);
    compat_fsync_durable(tfd);
    if (path)
        snprintf(path, pathlen, "%s", r.path);
    if (folder)
        *folder = S_ISDIR(st.st_mode);
out:
    if (pfd >= 0)
        close(pfd);
    close(tfd);
    return rc;
}

/* ---------------------------------------------------------------- HTTP */

/* GET /.ferry/trash: {"entries":[...],"size","max","free"}, newest first.
 * Returns the JSON text (malloc'd) or NULL. */
static char *list_json(struct ferry_server *srv)
{
    struct entry *v = NULL;
    struct space sp = {UINT64_MAX, UINT64_MAX};
    size_t n = 0;
    uint64_t total = 0;
    json_t *arr = json_array(), *root = NULL;
    char *body = NULL;
    int tfd = open_trash(srv, 0);

    if (!arr)
        goto out;
    if (tfd >= 0 && entries_load(tfd, &v, &n) < 0)
        goto out;
    space_of(tfd >= 0 ? tfd : srv->state_fd, &sp);
    for (size_t i = n; i-- > 0;) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", v[i].id, "path", v[i].path,
                              "kind", v[i].folder ? "folder" : "file", "size",
                              (json_int_t)v[i].size, "deleted", (json_int_t)v[i].deleted);

        if (o && json_array_append_new(arr, o) < 0)
            goto out;
        total += v[i].size;
    }
    root = json_pack("{s:O, s:I, s:I, s:I}", "entries", arr, "size", (json_int_t)total, "max",
                     (json_int_t)max_of(srv, &sp), "free",
                     (json_int_t)(sp.free == UINT64_MAX ? -1 : (json_int_t)sp.free));
    body = root ? json_dumps(root, JSON_COMPACT) : NULL;
out:
    entries_free(v, n);
    json_decref(root);
    json_decref(arr);
    if (tfd >= 0)
        close(tfd);
    return body;
}

static enum MHD_Result serve_list(struct ferry_server *srv, struct MHD_Connection *c,
                                  unsigned *status)
{
    char *body = list_json(srv);
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (!body) {
        srv_log(srv, FERRY_LOG_ERROR, "trash: cannot list the entries (out of memory?)");
        return fileops_answer(c, 500, "500 Internal Server Error: the trash cannot be listed "
                              "(see the server's log).\n", NULL, NULL, status);
    }
    r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    *status = 200;
    ret = srv_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result serve_restore(struct ferry_server *srv, struct MHD_Connection *c,
                                     const char *id, unsigned *status)
{
    char path[PATHS_MAX + 2], text[TEXT_MAX], *loc;
    size_t loclen = 3 * PATHS_MAX + 8;
    int folder = 0, rc = trash_restore(srv, id, path, sizeof path, &folder);
    enum MHD_Result ret;

    switch (rc) {
    case 0:
        break;
    case -ENOENT:
        return fileops_answer(c, 404, "404 Not Found: there is no such entry in the trash; "
                              "GET /.ferry/trash lists them.\n", NULL, NULL, status);
    case -EEXIST:
        return fileops_answer(c, 409, "409 Conflict: its name is taken by another item now; "
                              "nothing was restored. Move or delete that one, then restore "
                              "again.\n", NULL, NULL, status);
    case -ENOTDIR:
        return fileops_answer(c, 409, "409 Conflict: the folder it was in is gone; create it "
                              "again (MKCOL), then restore. Nothing was restored.\n", NULL,
                              NULL, status);
    case -EACCES:
        return fileops_answer(c, 403, "403 Forbidden: the folder it was in is no longer "
                              "reachable inside the shared folder; nothing was restored.\n",
                              NULL, NULL, status);
    case -EXDEV:
        return fileops_answer(c, 403, "403 Forbidden: the folder it was in is now at another "
                              "depth (a symlink on the way), from where a symlink in it would "
                              "point outside the shared folder; nothing was restored.\n",
                              NULL, NULL, status);
    default:
        srv_log(srv, FERRY_LOG_ERROR, "trash: cannot restore %s: %s", id,
                rc == -EBADMSG ? "its record is unreadable" : strerror(-rc));
        return fileops_answer(c, 500, "500 Internal Server Error: the entry cannot be restored "
                              "(see the server's log); it stays in the trash.\n", NULL, NULL,
                              status);
    }
    srv_log(srv, FERRY_LOG_INFO, "trash: restored %s to '%s'", id, path);
    loc = malloc(loclen);
    if (!loc)
        return MHD_NO;
    if (fileops_url(path + 1, folder, loc, loclen) < 0)
        loc[0] = '\0';
    snprintf(text, sizeof text, "201 Created: restored %.*s%s\n", PATHS_MAX, path,
             folder ? "/" : "");
    ret = fileops_answer(c, 201, text, loc[0] ? loc : NULL, NULL, status);
    free(loc);
    return ret;
}

static enum MHD_Result serve_purge(struct ferry_server *srv, struct MHD_Connection *c,
                                   const char *id, unsigned *status)
{
    int rc = trash_purge(srv, id);

    if (rc == -ENOENT)
        return fileops_answer(c, 404, "404 Not Found: there is no such entry in the trash; "
                              "GET /.ferry/trash lists them.\n", NULL, NULL, status);
    if (rc < 0) {
        srv_log(srv, FERRY_LOG_ERROR, "trash: cannot remove %s: %s", id, strerror(-rc));
        return fileops_answer(c, 500, "500 Internal Server Error: the entry could not be "
                              "removed entirely (see the server's log).\n", NULL, NULL, status);
    }
    srv_log(srv, FERRY_LOG_INFO, "trash: removed %s for good", id);
    return fileops_answer(c, 204, "", NULL, NULL, status);
}

/* DELETE /.ferry/trash: everything in it, for good. */
static enum MHD_Result serve_empty(struct ferry_server *srv, struct MHD_Connection *c,
                                   unsigned *status)
{
    uint64_t bytes = 0;
    unsigned n = 0;
    int rc;

    if (srv->cfg.read_only)
        return fileops_answer(c, 403, "403 Forbidden: this server is read-only (--read-only); "
                              "the trash cannot be changed.\n", NULL, NULL, status);
    rc = trash_empty(srv, &n, &bytes);
    srv_log(srv, FERRY_LOG_INFO, "trash: emptied: %u entries, %" PRIu64 " bytes, removed for "
            "good", n, bytes);
    if (rc < 0) {
        srv_log(srv, FERRY_LOG_ERROR, "trash: cannot empty it entirely: %s", strerror(-rc));
        return fileops_answer(c, 500, "500 Internal Server Error: the trash could not be "
                              "emptied entirely (see the server's log).\n", NULL, NULL, status);
    }
    return fileops_answer(c, 204, "", NULL, NULL, status);
}

enum MHD_Result trash_serve(struct ferry_server *srv, struct MHD_Connection *c,
                            const char *method, const char *url, unsigned *status)
{
    const char *rest = url + strlen(TRASH_PREFIX), *tail;
    int is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
                 strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    char id[TRASH_ID_MAX];
    size_t idlen;

    *status = 0;
    if (srv->state_fd < 0)
        return fileops_answer(c, 503, "503 Service Unavailable: the trash lives in the state "
                              "folder, and this server has none; start ferryd with "
                              "--state-dir DIR.\n", NULL, NULL, status);
    if (!rest[0] || strcmp(rest, "/") == 0) {
        if (is_get)
            return serve_list(srv, c, status);
        if (strcmp(method, "DELETE") == 0)
            return serve_empty(srv, c, status);
        return fileops_answer(c, 405, "405 Method Not Allowed: the trash is listed with GET "
                              "and emptied with DELETE; entries are restored with POST "
                              "/.ferry/trash/ID/restore and removed with DELETE "
                              "/.ferry/trash/ID.\n", NULL, "GET, HEAD, DELETE", status);
    }
    rest++;
    idlen = strcspn(rest, "/");
    tail = rest + idlen;
    if (idlen >= sizeof id || !parse_id(rest, idlen, NULL) ||
        (tail[0] && strcmp(tail, "/restore") != 0))
        return fileops_answer(c, 404, "404 Not Found: there is no such entry in the trash; "
                              "GET /.ferry/trash lists them.\n", NULL, NULL, status);
    memcpy(id, rest, idlen);
    id[idlen] = '\0';
    if (strcmp(method, tail[0] ? "POST" : "DELETE") != 0)
        return fileops_answer(c, 405, tail[0]
                              ? "405 Method Not Allowed: an entry is restored with POST.\n"
                              : "405 Method Not Allowed: an entry is removed for good with "
                                "DELETE.\n", NULL, tail[0] ? "POST" : "DELETE", status);
    if (srv->cfg.read_only)
        return fileops_answer(c, 403, "403 Forbidden: this server is read-only (--read-only); "
                              "the trash cannot be changed.\n", NULL, NULL, status);
    return tail[0] ? serve_restore(srv, c, id, status) : serve_purge(srv, c, id, status);
}

static enum MHD_Result route_finish(struct req *rq)
{
    return trash_serve(rq->srv, rq->c, rq->method, rq->url, &rq->status);
}

const struct route_handler trash_handler = {.name = "trash", .finish = route_finish};
