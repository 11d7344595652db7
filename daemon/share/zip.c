/*
 * zip.c — a folder answered as one zip download, streamed.
 *
 * Owns: the walk of the folder (a stack of folders, each child opened
 * with openat(O_NOFOLLOW) relative to its parent's fd, never by a path
 * string, so the walk cannot leave the folder), what the walk leaves out,
 * the entries handed to libarchive's zip writer, the output buffer between
 * libarchive and libmicrohttpd, and the answer's headers
 * (Content-Disposition above all). Which folder a URL may reach is decided
 * before (daemon/share/paths.c), access before that (daemon/auth/auth.c).
 *
 * Flow: libmicrohttpd calls stream_read() whenever the socket can take
 * more. It drains the output buffer; once that is empty it advances the
 * walk by one step — the next entry's header, the next read (at most
 * READ_BLOCK) of the current file, or the archive's end — and libarchive's
 * write callback appends that step's bytes to the buffer. libarchive writes
 * unblocked (bytes_per_block 0), so the buffer holds one step's output:
 * a header or one read of a file. Only the central directory at the end is
 * as large as the entry count makes it (about 100 bytes an entry, which
 * libarchive keeps in memory until then anyway).
 *
 * Descriptors: only the downloaded folder and the ZIP_OPEN_MAX innermost
 * folders of the stack stay open (plus the file being sent). Going deeper
 * closes the outermost open one, after noting where its reading stood
 * (telldir before the entry it descended into) and its device and inode.
 * Coming back up to a closed folder opens it again one name at a time from
 * the downloaded folder (openat, O_NOFOLLOW), checks that it is the same
 * folder, and goes on after the entry it had descended into: seekdir to
 * the noted place if that entry is found there, else by reading from the
 * start up to it. A folder replaced or renamed meanwhile has the rest of
 * its entries left out (logged), as a folder that cannot be read.
 *
 * Ownership: a struct zip_stream belongs to its MHD response; the response's
 * free callback (stream_free) closes every fd of the walk and frees
 * libarchive, whether the archive was finished, failed or was cut.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "engine.h"
#include "listing.h"
#include "paths.h"
#include "server.h"
#include "tree-size.h"
#include "zip-ends.h"
#include "zip-select.h"
#include "zip.h"

#define READ_BLOCK (64 * 1024) /* largest read of a file per step */
#define MHD_BLOCK (64 * 1024)  /* most bytes libmicrohttpd asks for at once */
#define DISPOSITION_MAX 1200   /* a NAME_MAX name, both forms, with room */
#define PROGRESS_STEP (256 * 1024) /* bytes between progress reports */
#define ENTRY_OVERHEAD 160     /* estimated bytes an entry adds, beside twice
                                  its name: local and central headers, extra
                                  fields, data descriptor */

/* One folder of the walk. */
struct level {
    DIR *dir;        /* owns its fd; NULL while closed (above the open ones) */
    size_t path_len; /* length of the entry prefix before this folder */
    long pos;        /* telldir() before the entry last read */
    dev_t dev;       /* the folder's identity, checked when it is opened */
    ino_t ino;       /* again */
};

enum phase {
    PHASE_WALK, /* next: the next entry of the innermost folder */
    PHASE_FILE, /* next: the next read of the current file */
    PHASE_END,  /* next: the central directory (archive_write_close) */
    PHASE_DONE, /* the archive is complete */
    PHASE_FAILED,
};

struct zip_stream {
    struct ferry_server *srv;
    struct archive *a;
    struct archive_entry *entry; /* reused for every header */
    enum phase phase;
    char *folder; /* the folder's URL path, "/a/b/", for log lines */

    struct level stack[ZIP_DEPTH_MAX + 1]; /* [0] is the folder itself */
    int depth;                             /* levels */
    int lo;                                /* levels [lo, depth) and [0] are
                                              open; [1, lo) closed */
    char path[PATHS_MAX + 2]; /* the current entry's name, e.g. "a/b/c.jpg" */
    size_t path_len;          /* the innermost folder's prefix ("a/b/") */

    int fd;             /* the file being sent, or -1 */
    uint64_t announced; /* its size in its header */
    uint64_t done;      /* its bytes written so far */
    char *block;        /* READ_BLOCK bytes */

    char *out; /* libarchive's output not yet taken by libmicrohttpd */
    size_t out_off, out_len, out_cap;
    int discard; /* the response is gone: drop what libarchive writes */

    uint64_t entries, bytes; /* for the closing log line */
    uint64_t transfer;       /* registry id (0: none), for progress */
    uint64_t reported;       /* bytes last reported to the registry */
    int ended;               /* the whole archive was handed to libmicrohttpd */
    struct zip_end *end;     /* its end, remembered for /.ferry/status (a
                                ticketed GET), or NULL; released when freed */
    struct zip_selection *sel; /* a selection (owned): its items, not the
                                  folder's entries, are what level 0 holds */
    size_t sel_next;           /* the next item of sel */
};

/* libarchive's write callback: appends n bytes to the output buffer.
 * Returns n, or -1 (libarchive's error set) when memory runs out. */
static la_ssize_t stream_write(struct archive *a, void *cls, const void *buf, size_t n)
{
    struct zip_stream *z = cls;

    if (z->discard)
        return (la_ssize_t)n;
    if (z->out_off > 0) { /* keep what is still unsent at the front */
        memmove(z->out, z->out + z->out_off, z->out_len - z->out_off);
        z->out_len -= z->out_off;
        z->out_off = 0;
    }
    if (n > z->out_cap - z->out_len) {
        size_t cap = z->out_cap ? z->out_cap : MHD_BLOCK;
        char *p;

        while (cap - z->out_len < n) {
            if (cap > SIZE_MAX / 2) {
                archive_set_error(a, ENOMEM, "output buffer too large");
                return -1;
            }
            cap *= 2;
        }
        p = realloc(z->out, cap);
        if (!p) {
            archive_set_error(a, ENOMEM, "out of memory");
            return -1;
        }
        z->out = p;
        z->out_cap = cap;
    }
    memcpy(z->out + z->out_len, buf, n);
    z->out_len += n;
    return (la_ssize_t)n;
}

/*
 * Writes the header of the entry named z->path: a folder (AE_IFDIR, 0755)
 * or a regular file (AE_IFREG, 0644) of `size` bytes, with st's mtime.
 * Returns 0 when written, 1 when libarchive refused this entry alone
 * (logged; the archive goes on), or -1 when the archive is broken.
 */
static int write_header(struct zip_stream *z, unsigned type, const struct stat *st,
                        int64_t size)
{
    struct archive_entry *e = z->entry;
    int r;

    archive_entry_clear(e);
    archive_entry_set_pathname_utf8(e, z->path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_mtime(e, compat_st_mtim(st).tv_sec, compat_st_mtim(st).tv_nsec);
    /* A known size lets libarchive choose zip64 for a file over 4 GiB. */
    archive_entry_set_size(e, size);
    r = archive_write_header(z->a, e);
    if (r == ARCHIVE_FATAL)
        return -1;
    if (r == ARCHIVE_FAILED) {
        srv_log(z->srv, FERRY_LOG_WARN, "zip of '%s': '%s' left out: %s", z->folder,
                z->path, archive_error_string(z->a));
        return 1;
    }
    z->entries++;
    return 0;
}

/* Logs an entry of the walk that is left out because an OS call failed. */
static void log_skip(struct zip_stream *z, const char *what, int err)
{
    srv_log(z->srv, FERRY_LOG_WARN, "zip of '%s': cannot %s '%s' (%s): left out",
            z->folder, what, z->path, strerror(err));
}

/*
 * Descends into the folder `name` of the innermost folder (z->path already
 * names it, with its '/'): opens it, writes its entry and pushes it.
 * Returns 0 (also when it is left out) or -1 when the archive is broken.
 */
static int push_folder(struct zip_stream *z, int fd, size_t entry_len);

static int enter_folder(struct zip_stream *z, const char *name, size_t entry_len)
{
    struct level *top = &z->stack[z->depth - 1];
    int fd;

    if (z->depth > ZIP_DEPTH_MAX) {
        srv_log(z->srv, FERRY_LOG_WARN,
                "zip of '%s': '%s' is more than %d folders deep: left out", z->folder,
                z->path, ZIP_DEPTH_MAX);
        return 0;
    }
    fd = openat(dirfd(top->dir), name,
                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        log_skip(z, "open folder", errno);
        return 0;
    }
    return push_folder(z, fd, entry_len);
}

/*
 * The folder open at fd (taken in every case), which z->path names with its
 * '/' (entry_len bytes): writes its entry and pushes it as the innermost
 * level. Returns 0 (also when it is left out) or -1 when the archive is
 * broken.
 */
static int push_folder(struct zip_stream *z, int fd, size_t entry_len)
{
    struct stat st;
    DIR *d;
    int rc;

    if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) { /* raced: replaced */
        close(fd);
        return 0;
    }
    d = fdopendir(fd);
    if (!d) {
        log_skip(z, "read folder", errno);
        close(fd);
        return 0;
    }
    rc = write_header(z, AE_IFDIR, &st, 0);
    if (rc == 0 && archive_write_finish_entry(z->a) == ARCHIVE_FATAL)
        rc = -1;
    if (rc != 0) {
        closedir(d);
        return rc < 0 ? -1 : 0;
    }
    z->stack[z->depth++] = (struct level){.dir = d, .path_len = z->path_len,
                                          .dev = st.st_dev, .ino = st.st_ino};
    z->path_len = entry_len;
    if (z->depth - z->lo > ZIP_OPEN_MAX) { /* close the outermost open one */
        closedir(z->stack[z->lo].dir);
        z->stack[z->lo].dir = NULL;
        z->lo++;
    }
    return 0;
}

/*
 * Opens the closed level z->depth - 1 again (its path below the downloaded
 * folder is z->path[0, z->path_len)) and places its reading just after the
 * entry `child` (the folder the walk came back from). Returns 0, or -1 when
 * it is gone, replaced or `child` is no longer in it (logged: the rest of
 * it is left out).
 */
static int reopen_level(struct zip_stream *z, const char *child)
{
    struct level *lv = &z->stack[z->depth - 1];
    int fd = dup(dirfd(z->stack[0].dir)), found = 0;
    size_t at = 0;
    struct dirent *de;
    struct stat st;
    DIR *d;

    while (fd >= 0 && at < z->path_len) {
        char name[NAME_MAX + 1];
        size_t n = strcspn(z->path + at, "/");
        int next;

        if (n == 0 || n > NAME_MAX)
            break;
        memcpy(name, z->path + at, n);
        name[n] = '\0';
        at += n + 1;
        next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        close(fd);
        fd = next;
    }
    if (fd < 0 || at != z->path_len || fstat(fd, &st) < 0 || st.st_dev != lv->dev ||
        st.st_ino != lv->ino || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        goto gone;
    }
    seekdir(d, lv->pos);
    errno = 0;
    de = readdir(d);
    found = de && strcmp(de->d_name, child) == 0;
    if (!found) { /* the noted place did not hold: read up to it */
        rewinddir(d);
        while (!found && (de = readdir(d)))
            found = strcmp(de->d_name, child) == 0;
    }
    if (!found) {
        closedir(d);
        goto gone;
    }
    lv->dir = d;
    z->lo = z->depth - 1;
    return 0;
gone:
    z->path[z->path_len] = '\0';
    srv_log(z->srv, FERRY_LOG_WARN, "zip of '%s': '%s' changed while it was sent: the rest "
            "of it is left out", z->folder, z->path);
    return -1;
}

/*
 * Ends the innermost level: closes it and goes back to its parent, opening
 * that again when it was closed (and past it too when it is gone).
 */
static void leave_level(struct zip_stream *z)
{
    char child[NAME_MAX + 1];

    for (;;) {
        struct level *top = &z->stack[z->depth - 1];
        size_t n = z->path_len - top->path_len;

        /* the folder left: z->path[top->path_len, z->path_len - 1) */
        if (n > 1 && n - 1 <= NAME_MAX) {
            memcpy(child, z->path + top->path_len, n - 1);
            child[n - 1] = '\0';
        } else {
            child[0] = '\0';
        }
        if (top->dir)
            closedir(top->dir);
        top->dir = NULL;
        z->path_len = top->path_len;
        if (--z->depth == 0) {
            z->phase = PHASE_END;
            return;
        }
        if (z->depth - 1 >= z->lo || z->depth == 1) {
            if (z->lo > z->depth)
                z->lo = z->depth;
            return;
        }
        if (reopen_level(z, child) == 0)
            return;
    }
}

/*
 * Begins the regular file `name` of the innermost folder (z->path names
 * it): opens it and writes its header; its bytes follow in PHASE_FILE.
 * Returns 0 (also when it is left out) or -1 when the archive is broken.
 */
static int send_file(struct zip_stream *z, int fd);

static int begin_file(struct zip_stream *z, const char *name)
{
    struct level *top = &z->stack[z->depth - 1];
    int fd;

    /* O_NONBLOCK: should a FIFO take the name after the fstatat, opening it
     * does not hang; the fstat below then leaves it out. */
    fd = openat(dirfd(top->dir), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        log_skip(z, "open", errno);
        return 0;
    }
    return send_file(z, fd);
}

/* The file open at fd (taken in every case), named z->path: its header
 * now, its bytes in PHASE_FILE; anything but a regular file is left out.
 * Returns 0 or -1 when the archive is broken. */
static int send_file(struct zip_stream *z, int fd)
{
    struct stat st;
    int rc;

    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    rc = write_header(z, AE_IFREG, &st, (int64_t)st.st_size);
    if (rc != 0) {
        close(fd);
        return rc < 0 ? -1 : 0;
    }
    if (st.st_size == 0) {
        close(fd);
        return archive_write_finish_entry(z->a) == ARCHIVE_FATAL ? -1 : 0;
    }
    z->fd = fd;
    z->announced = (uint64_t)st.st_size;
    z->done = 0;
    z->phase = PHASE_FILE;
    return 0;
}

/* One step of PHASE_WALK at level 0 of a selection: the next selected
 * item (opened one name at a time, no link followed), or the end. Returns 0
 * or -1 (archive broken). */
static int step_select(struct zip_stream *z)
{
    const char *name;
    size_t nlen;
    int fd;

    if (z->sel_next == z->sel->n) {
        leave_level(z);
        return 0;
    }
    name = z->sel->names[z->sel_next++];
    nlen = strlen(name);
    if (nlen + 1 > PATHS_MAX)
        return 0;
    memcpy(z->path, name, nlen + 1);
    z->path_len = 0;
    fd = zip_select_open(dirfd(z->stack[0].dir), name);
    if (fd < 0) { /* a link (ELOOP), gone, unreadable: left out */
        if (fd != -ELOOP)
            log_skip(z, "open", -fd);
        return 0;
    }
    {
        struct stat st;

        if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            z->path[nlen] = '/';
            z->path[nlen + 1] = '\0';
            return push_folder(z, fd, nlen + 1);
        }
    }
    return send_file(z, fd);
}

/* One step of PHASE_WALK: the next entry of the innermost folder, or the
 * end of that folder. Returns 0 or -1 (archive broken). */
static int step_walk(struct zip_stream *z)
{
    struct level *top = &z->stack[z->depth - 1];
    struct dirent *de;
    struct stat st;
    const char *name;
    size_t nlen;

    if (z->sel && z->depth == 1)
        return step_select(z);
    top->pos = telldir(top->dir);
    errno = 0;
    de = readdir(top->dir);
    if (!de) {
        if (errno) {
            z->path[z->path_len] = '\0';
            log_skip(z, "read the rest of folder", errno);
        }
        leave_level(z);
        return 0;
    }
    name = de->d_name;
    nlen = strlen(name);
    if (!tree_name_wanted(z->srv->cfg.show_hidden, name, nlen)) /* as the listing */
        return 0;
    if (z->path_len + nlen + 1 > PATHS_MAX) {
        srv_log(z->srv, FERRY_LOG_WARN, "zip of '%s': a name in '%.*s' is too long: left out",
                z->folder, (int)z->path_len, z->path);
        return 0;
    }
    memcpy(z->path + z->path_len, name, nlen + 1);
    if (fstatat(dirfd(top->dir), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT) /* ENOENT: removed since readdir */
            log_skip(z, "stat", errno);
        return 0;
    }
    if (S_ISDIR(st.st_mode)) {
        z->path[z->path_len + nlen] = '/';
        z->path[z->path_len + nlen + 1] = '\0';
        return enter_folder(z, name, z->path_len + nlen + 1);
    }
    if (S_ISREG(st.st_mode))
        return begin_file(z, name);
    return 0; /* symlinks, FIFOs, sockets, devices: never followed or read */
}

/* One step of PHASE_FILE: the next read of the current file. A file that
 * shrank (or cannot be read) is padded with zeros, one that grew is cut,
 * both to the size announced in its header. Returns 0 or -1. */
static int step_file(struct zip_stream *z)
{
    uint64_t left = z->announced - z->done;
    size_t want = left < READ_BLOCK ? (size_t)left : READ_BLOCK;
    ssize_t n = 0;

    if (z->fd >= 0) {
        do
            n = read(z->fd, z->block, want);
        while (n < 0 && errno == EINTR);
        if (n <= 0) {
            if (n < 0)
                srv_log(z->srv, FERRY_LOG_WARN,
                        "zip of '%s': cannot read '%s' (%s): the rest of its %" PRIu64
                        " bytes are sent as zeros", z->folder, z->path, strerror(errno),
                        z->announced);
            else
                srv_log(z->srv, FERRY_LOG_WARN,
                        "zip of '%s': '%s' shrank while it was sent: padded with zeros "
                        "to the %" PRIu64 " bytes announced", z->folder, z->path,
                        z->announced);
            close(z->fd);
            z->fd = -1;
        }
    }
    if (z->fd < 0) {
        memset(z->block, 0, want);
        n = (ssize_t)want;
    }
    if (archive_write_data(z->a, z->block, (size_t)n) != n)
        return -1;
    z->done += (uint64_t)n;
    if (z->done < z->announced)
        return 0;
    if (z->fd >= 0) {
        struct stat st;

        if (fstat(z->fd, &st) == 0 && (uint64_t)st.st_size != z->announced)
            srv_log(z->srv, FERRY_LOG_WARN,
                    "zip of '%s': '%s' changed size while it was sent (now %" PRIu64
                    " bytes): sent the %" PRIu64 " bytes announced", z->folder, z->path,
                    (uint64_t)st.st_size, z->announced);
        close(z->fd);
        z->fd = -1;
    }
    z->phase = PHASE_WALK;
    return archive_write_finish_entry(z->a) == ARCHIVE_FATAL ? -1 : 0;
}

/* MHD_ContentReaderCallback: the next bytes of the archive. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct zip_stream *z = cls;
    size_t n;

    (void)pos; /* sequential: libmicrohttpd never seeks a chunked body */
    while (z->out_off == z->out_len) {
        int rc = 0;

        switch (z->phase) {
        case PHASE_WALK:
            rc = step_walk(z);
            break;
        case PHASE_FILE:
            rc = step_file(z);
            break;
        case PHASE_END:
            rc = archive_write_close(z->a) == ARCHIVE_OK ? 0 : -1;
            if (rc == 0)
                z->phase = PHASE_DONE;
            break;
        case PHASE_DONE:
            z->ended = 1;
            return MHD_CONTENT_READER_END_OF_STREAM;
        case PHASE_FAILED:
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (rc < 0) {
            srv_log(z->srv, FERRY_LOG_ERROR, "zip of '%s' failed at '%s': %s", z->folder,
                    z->path, archive_error_string(z->a) ? archive_error_string(z->a)
                                                        : "unknown error");
            z->phase = PHASE_FAILED;
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    n = z->out_len - z->out_off < max ? z->out_len - z->out_off : max;
    memcpy(buf, z->out + z->out_off, n);
    z->out_off += n;
    z->bytes += n;
    if (z->transfer && z->bytes - z->reported >= PROGRESS_STEP && z->srv->engine) {
        lc_engine_transfer_progress(z->srv->engine, z->transfer, z->bytes);
        z->reported = z->bytes;
    }
    return (ssize_t)n;
}

/* MHD_ContentReaderFreeCallback, and the destructor. Accepts NULL. */
static void stream_free(void *cls)
{
    struct zip_stream *z = cls;

    if (!z)
        return;
    /* An unfinished archive is closed into the void rather than marked
     * with archive_write_fail(): libarchive 3.6.2 frees its client state
     * only in close, so a failed archive would leak it (LeakSanitizer).
     * Closing costs the central directory's bytes, nothing else. */
    z->discard = 1;
    zip_end_stream_done(z->end, z->bytes, z->ended);
    archive_write_free(z->a);
    archive_entry_free(z->entry);
    if (z->fd >= 0)
        close(z->fd);
    for (int i = 0; i < z->depth; i++)
        if (z->stack[i].dir)
            closedir(z->stack[i].dir);
    if (z->folder)
        srv_log(z->srv, FERRY_LOG_DEBUG, "zip of '%s': %" PRIu64 " entries, %" PRIu64
                " bytes sent%s", z->folder, z->entries, z->bytes,
                z->phase == PHASE_DONE ? "" : " (not finished)");
    zip_selection_free(z->sel);
    free(z->folder);
    free(z->block);
    free(z->out);
    free(z);
}

/*
 * A stream over the folder open at dir_fd (taken in every case), named
 * `rel` below the root. Returns NULL (with dir_fd closed) on failure.
 */
static struct zip_stream *stream_new(struct ferry_server *srv, int dir_fd, const char *rel)
{
    struct zip_stream *z = calloc(1, sizeof *z);
    size_t rlen = strlen(rel);
    DIR *d = NULL;

    if (!z) {
        close(dir_fd);
        return NULL;
    }
    z->srv = srv;
    z->fd = -1;
    d = fdopendir(dir_fd);
    if (!d) {
        close(dir_fd);
        goto fail;
    }
    z->stack[z->depth++] = (struct level){.dir = d};
    z->lo = 1;
    z->folder = malloc(rlen + 3);
    z->block = malloc(READ_BLOCK);
    z->entry = archive_entry_new();
    z->a = archive_write_new();
    if (!z->folder || !z->block || !z->entry || !z->a)
        goto fail;
    snprintf(z->folder, rlen + 3, rlen ? "/%s/" : "/", rel);
    if (archive_write_set_format_zip(z->a) != ARCHIVE_OK ||
        archive_write_set_format_option(z->a, "zip", "compression", "store") != ARCHIVE_OK ||
        archive_write_set_format_option(z->a, "zip", "hdrcharset", "UTF-8") != ARCHIVE_OK ||
        archive_write_set_bytes_per_block(z->a, 0) != ARCHIVE_OK ||
        archive_write_open2(z->a, z, NULL, stream_write, NULL, NULL) != ARCHIVE_OK)
        goto fail;
    return z;
fail:
    srv_log(srv, FERRY_LOG_ERROR, "cannot begin the zip of '/%s': %s", rel,
            z->a && archive_error_string(z->a) ? archive_error_string(z->a)
                                               : "out of memory");
    free(z->folder); /* no line from stream_free: logged here */
    z->folder = NULL;
    stream_free(z);
    return NULL;
}

/* About how many bytes the zip of the folder open at dir_fd (stays the
 * caller's) will be: the files' sizes, ENTRY_OVERHEAD and twice the name per
 * entry, and the end record; 0 (unknown) when tree_size() stopped early. */
static uint64_t estimate_size(const struct ferry_server *srv, int dir_fd)
{
    struct tree_size t;

    if (tree_size(dir_fd, srv->cfg.show_hidden, &t) < 0 || !t.complete)
        return 0;
    return 22 + t.bytes + (t.files + t.folders) * ENTRY_OVERHEAD + 2 * t.name_bytes;
}

/* The query's ticket=TICKET (t) when it is 1..ZIP_TICKET_MAX characters
 * of [A-Za-z0-9_-] (the browser UI's way to find its own download in
 * /.ferry/status), else NULL: another ticket is ignored. */
static const char *zip_ticket(const char *t)
{
    size_t n = t ? strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                             "0123456789_-") : 0;

    return t && n && n <= ZIP_TICKET_MAX && t[n] == '\0' ? t : NULL;
}

/*
 * The Content-Disposition for a download named `name` (UTF-8, as
 * listing_name_servable() accepts) + ".zip": attachment; filename="..."
 * with an ASCII stand-in ('_' for each non-ASCII character and for
 * '"', '\\', '%', ';'), and filename*=UTF-8''... percent-encoded (RFC 6266,
 * RFC 8187). out holds DISPOSITION_MAX bytes; name at most NAME_MAX.
 */
static void disposition(const char *name, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    static const char attr_extra[] = "!#$&+-.^_`|~";
    size_t o = 0;

    o += (size_t)snprintf(out, DISPOSITION_MAX, "attachment; filename=\"");
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p & 0xC0) == 0x80) /* a continuation byte: already replaced */
            continue;
        out[o++] = *p >= 0x80 || *p == '"' || *p == '\\' || *p == '%' || *p == ';'
                       ? '_' : (char)*p;
    }
    o += (size_t)snprintf(out + o, DISPOSITION_MAX - o, ".zip\"; filename*=UTF-8''");
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || (*p && strchr(attr_extra, *p))) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    snprintf(out + o, DISPOSITION_MAX - o, ".zip");
}

/* The download's name without ".zip": the folder's own name, or for the
 * root the shared folder's basename (or "files"). Points into rel or
 * srv->root. */
static const char *download_name(const struct ferry_server *srv, const char *rel)
{
    const char *slash, *name;
    size_t n;

    if (rel[0]) {
        slash = strrchr(rel, '/');
        return slash ? slash + 1 : rel;
    }
    slash = srv->root ? strrchr(srv->root, '/') : NULL;
    name = slash ? slash + 1 : srv->root;
    n = name ? strlen(name) : 0;
    if (n == 0 || n > 255 || !listing_name_servable(name, n))
        return "files";
    return name;
}

int zip_requested(const char *download)
{
    return download && strcmp(download, "zip") == 0;
}

/*
 * Queues the answer for the stream z (taken in every case: handed to the
 * response, or freed), named after the folder `rel`: headers, the ticket's
 * end, the transfer registered with `estimate` as its total (GET only).
 */
static int serve_stream(struct ferry_server *srv, struct MHD_Connection *c,
                        struct zip_stream *z, const char *rel, const char *ticket,
                        uint64_t estimate, int is_head, struct zip_outcome *out)
{
    char cd[DISPOSITION_MAX];
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, MHD_BLOCK, stream_read, z,
                                          stream_free);
    if (!r) {
        stream_free(z);
        return MHD_NO;
    }
    disposition(download_name(srv, rel), cd);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/zip");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, cd);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    out->status = MHD_HTTP_OK;
    if (!is_head && ticket) { /* held by the stream and the request */
        z->end = zip_end_new(&srv->zip_ends, ticket);
        out->end = z->end;
    }
    if (!is_head && srv->engine) {
        ferry_transfer t = {.direction = FERRY_DOWNLOAD};

        t.total = estimate;
        snprintf(t.path, sizeof t.path, "%s", z->folder);
        snprintf(t.validator, sizeof t.validator, ticket ? "zip:%s" : "zip",
                 ticket ? ticket : "");
        srv_peer_address(c, t.peer, sizeof t.peer);
        t.started_ms = srv->have_os ? srv->os.now_ms(srv->os.ctx) : 0;
        out->transfer = lc_engine_transfer_open(srv->engine, &t);
        z->transfer = out->transfer;
    }
    ret = srv_queue_response(c, out->status, r);
    MHD_destroy_response(r);
    return ret;
}

int zip_serve(struct ferry_server *srv, struct MHD_Connection *c, int dir_fd,
              const char *rel, int is_head, const char *query_ticket, struct zip_outcome *out)
{
    struct zip_stream *z;

    out->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    out->transfer = 0;
    out->end = NULL;
    z = stream_new(srv, dir_fd, rel);
    if (!z)
        return srv_queue_response(c, out->status, srv->pages[REQ_PAGE_500]);
    return serve_stream(srv, c, z, rel, zip_ticket(query_ticket),
                        is_head || !srv->engine ? 0 : estimate_size(srv, dirfd(z->stack[0].dir)),
                        is_head, out);
}

int zip_serve_selection(struct ferry_server *srv, struct MHD_Connection *c, int dir_fd,
                        const char *rel, struct zip_selection *sel, int is_head,
                        const char *query_ticket, struct zip_outcome *out)
{
    struct zip_stream *z;
    const char *ticket = sel->ticket[0] ? sel->ticket : zip_ticket(query_ticket);
    uint64_t estimate = sel->estimate;

    out->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    out->transfer = 0;
    out->end = NULL;
    z = stream_new(srv, dir_fd, rel);
    if (!z) {
        zip_selection_free(sel);
        return srv_queue_response(c, out->status, srv->pages[REQ_PAGE_500]);
    }
    z->sel = sel; /* owned by z now (ticket may point into it) */
    return serve_stream(srv, c, z, rel, ticket, estimate, is_head, out);
}
