/*
 * upload-tus.c — the tus 1.0 protocol under /.ferry/uploads/ (see
 * upload-tus.h): the checks before a body, the body into the part file,
 * the answers, and the upload's transfer in the lifecycle's registry. The
 * uploads themselves (files, records, commit, expiry) are tus-store.c's;
 * the header parsers tus-header.c's.
 *
 * A request with a body that is refused is answered at once (the body is
 * then never read and the connection closes); every other answer goes out
 * from tus_finish(), so that a keep-alive connection stays open. A PATCH
 * writes its body through a WRITE_BUF buffer straight into the part file;
 * without Upload-Checksum every byte written is kept, also when the client
 * goes away (a resume carries on from there); with it, the PATCH is all or
 * nothing (the part is truncated back to where it began on a mismatch, a
 * cut, a write error, or after a kill: tus-store.c records where it began).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "engine.h"
#include "httpdate.h"
#include "paths.h"
#include "request.h"
#include "server.h"
#include "tus-header.h"
#include "tls-compat.h"
#include "tus-store.h"
#include "upload-put.h"
#include "upload-tus.h"

#define WRITE_BUF (256 * 1024) /* body bytes gathered before one write() */
#define TEXT_MAX 640
#define CT_OFFSET "application/offset+octet-stream"
#define EXTENSIONS "creation,creation-with-upload,termination,expiration,checksum"
#define ALLOW_COLLECTION "OPTIONS, POST"
#define ALLOW_UPLOAD "OPTIONS, HEAD, PATCH, DELETE"
#define STATUS_CHECKSUM_MISMATCH 460 /* tus checksum extension */


enum tus_op { OP_OPTIONS, OP_HEAD, OP_POST, OP_PATCH, OP_DELETE };

struct tus_request {
    struct ferry_server *srv;
    struct tus_store *store;
    enum tus_op op;
    int has_body;
    char id[TUS_ID_LEN + 1];     /* the upload named by the URL */

    /* an answer decided before the body, given by tus_finish() */
    unsigned status;
    char text[TEXT_MAX];
    const char *extra_name, *extra_value; /* one more header (Allow, ...) */

    /* POST: what to create (folder and name resolved) */
    struct tus_new create;
    char folder[PATHS_MAX + 1];
    char name[NAME_MAX + 1];
    const char *metadata;        /* the request's header (MHD owns it) */
    char client[TUS_CLIENT_LEN]; /* the creator's address, for the caps */
    struct tus_view created;     /* after the creation */

    /* writing a body (PATCH, or POST with a body) */
    struct tus_upload *u;        /* acquired; released by tus_end() */
    int part_fd;                 /* -1 when not writing */
    uint64_t start;              /* the offset when the body began */
    uint64_t length;             /* the upload's Upload-Length */
    uint64_t received;           /* body bytes taken */
    char *buf;                   /* WRITE_BUF bytes */
    size_t buffered;
    int checksum;                /* Upload-Checksum given: all or nothing */
    unsigned char want[TUS_SHA256_LEN];
    mbedtls_sha256_context sha;
    unsigned err;                /* a failure met in the body (400, 500, 507) */
    char err_text[TEXT_MAX];
    int truncate;                /* the part goes back to `start` */
    int finished;                /* tus_finish() has run */
    uint64_t transfer;           /* registry id, 0 when none */
};

/* ------------------------------------------------------------ answers */

/* Reads one request header, or NULL. */
static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* A response with `text` (copied) as a text/plain body, none for 2xx. */
static struct MHD_Response *response(unsigned status, const char *text)
{
    size_t len = status >= 300 && text ? strlen(text) : 0;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(len ? text : ""), MHD_RESPMEM_MUST_COPY);

    if (r && len)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    return r;
}

/* Queues r (owned; NULL closes the connection) with Tus-Resumable. */
static enum MHD_Result queue(struct MHD_Connection *c, struct MHD_Response *r,
                             unsigned status, unsigned *status_out)
{
    enum MHD_Result ret;

    *status_out = status;
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Tus-Resumable", TUS_VERSION);
    ret = srv_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Adds Upload-Expires. */
static void add_expires(struct MHD_Response *r, time_t expires)
{
    char date[HTTPDATE_LEN];

    MHD_add_response_header(r, "Upload-Expires", httpdate_format(expires, date));
}

/* Adds a number header. */
static void add_number(struct MHD_Response *r, const char *name, uint64_t v)
{
    char num[24];

    snprintf(num, sizeof num, "%" PRIu64, v);
    MHD_add_response_header(r, name, num);
}

/* Adds Ferry-Stored-As: the stored file's URL path, %-encoded. */
static void add_stored_as(struct MHD_Response *r, const char *stored_as)
{
    size_t cap, len = 0;
    char *url;

    if (!stored_as)
        return;
    cap = 3 * strlen(stored_as) + 8;
    url = malloc(cap);
    if (!url)
        return;
    put_url_encode("/", url, cap, &len);
    put_url_encode(stored_as, url, cap, &len);
    MHD_add_response_header(r, "Ferry-Stored-As", url);
    free(url);
}

/* Records the answer to give: status and text (printf). */
static void decide(struct tus_request *t, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void decide(struct tus_request *t, unsigned status, const char *fmt, ...)
{
    va_list ap;

    t->status = status;
    va_start(ap, fmt);
    vsnprintf(t->text, sizeof t->text, fmt, ap);
    va_end(ap);
}

/* Queues the decided answer (an error, or a bodiless success). */
static enum MHD_Result answer_decided(struct tus_request *t, struct MHD_Connection *c,
                                      unsigned *status)
{
    struct MHD_Response *r = response(t->status, t->text);

    if (r && t->extra_name)
        MHD_add_response_header(r, t->extra_name, t->extra_value);
    return queue(c, r, t->status, status);
}

/* Records the failure of a body being received (the first one counts). */
static void fail_body(struct tus_request *t, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_body(struct tus_request *t, unsigned status, const char *fmt, ...)
{
    va_list ap;

    if (t->err)
        return;
    t->err = status;
    va_start(ap, fmt);
    vsnprintf(t->err_text, sizeof t->err_text, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ the part */

/* Records a write error: ENOSPC is 507 (the bytes written are kept,
 * unless the PATCH has a checksum), anything else 500. */
static void fail_write(struct tus_request *t, int rc)
{
    if (rc == -ENOSPC || rc == -EDQUOT) {
        srv_log(t->srv, FERRY_LOG_WARN, "tus: upload %s: the disk of the state folder is "
                "full", t->id);
        fail_body(t, 507, "507 Insufficient Storage: the server's disk is full. %s Free "
                  "some space on it, then resume the upload (HEAD for the offset).\n",
                  t->checksum ? "Nothing of this PATCH was kept (Upload-Checksum)."
                              : "What arrived until then is kept.");
    } else {
        srv_log(t->srv, FERRY_LOG_ERROR, "tus: upload %s: cannot write the part file: %s",
                t->id, strerror(-rc));
        fail_body(t, 500, "500 Internal Server Error: the upload could not be written (see "
                  "the server's log). Resume it later (HEAD for the offset).\n");
    }
    if (t->checksum)
        t->truncate = 1;
}

/* Writes the buffered bytes. Returns 0 or -errno (recorded). */
static int flush(struct tus_request *t)
{
    int rc = put_write_all(t->part_fd, t->buf, t->buffered);

    t->buffered = 0;
    if (rc < 0)
        fail_write(t, rc);
    return rc;
}

/*
 * Ends the writing of a body: truncates the part back to where the body
 * began when the PATCH is void (t->truncate), else writes out the buffer;
 * fsyncs; records the offset (the part's size; `start` for a void PATCH)
 * and, for a checksummed PATCH, that it is over (unless the truncation
 * failed: the next open of the store truncates then). Returns the offset.
 */
static uint64_t settle(struct tus_request *t)
{
    struct stat st;
    uint64_t offset = t->start;
    int size_ok;

    if (!t->truncate && !t->err && t->buffered)
        flush(t);
    t->buffered = 0;
    if (compat_fsync_durable(t->part_fd) < 0 && !t->err)
        fail_write(t, -errno); /* a checksummed PATCH becomes void */
    if (t->truncate && (ftruncate(t->part_fd, (off_t)t->start) < 0 || compat_fsync_durable(t->part_fd) < 0))
        srv_log(t->srv, FERRY_LOG_ERROR, "tus: upload %s: cannot truncate the part file "
                "back: %s", t->id, strerror(errno));
    size_ok = fstat(t->part_fd, &st) == 0;
    if (!t->truncate && size_ok && (uint64_t)st.st_size <= t->length)
        offset = (uint64_t)st.st_size;
    tus_store_set_offset(t->store, t->u, offset);
    if (t->checksum && (!t->truncate || (size_ok && (uint64_t)st.st_size == t->start)) &&
        tus_store_set_verify(t->store, t->u, -1) < 0)
        srv_log(t->srv, FERRY_LOG_WARN, "tus: upload %s: the end of a checksummed PATCH "
                "could not be recorded", t->id);
    if (t->transfer && t->srv->engine)
        lc_engine_transfer_progress(t->srv->engine, t->transfer, offset);
    return offset;
}

/*
 * The last byte is in: moves the file into place. Returns 0, or the status
 * to answer with its text recorded (the part is kept for a retry).
 */
static unsigned commit(struct tus_request *t)
{
    int rc = tus_store_commit(t->store, t->u);

    if (rc == 0) {
        srv_log(t->srv, FERRY_LOG_INFO, "tus: upload %s complete: stored as '%s' (%" PRIu64
                " bytes)", t->id, t->u->stored_as ? t->u->stored_as : t->u->name, t->length);
        return 0;
    }
    if (rc == -ECANCELED) {
        fail_body(t, 404, "404 Not Found: the upload was deleted while this PATCH sent it; "
                  "nothing was stored.\n");
        return 404;
    }
    if (rc == -ENOENT || rc == -ENOTDIR) {
        fail_body(t, 409, "409 Conflict: every byte is in, but the folder to store the file "
                  "in is gone. Create it again, then send an empty PATCH at offset %" PRIu64
                  " to store the file.\n", t->length);
        return 409;
    }
    if (rc == -EEXIST) {
        fail_body(t, 409, "409 Conflict: every byte is in, but the name and all its "
                  "\"name (n)\" variants are taken. Free one, then send an empty PATCH at "
                  "offset %" PRIu64 " to store the file.\n", t->length);
        return 409;
    }
    if (rc == -EACCES || rc == -EPERM) {
        fail_body(t, 403, "403 Forbidden: every byte is in, but the folder cannot be "
                  "written. Fix its permissions, then send an empty PATCH at offset %" PRIu64
                  ".\n", t->length);
        return 403;
    }
    if (rc == -ENOSPC || rc == -EDQUOT) {
        fail_body(t, 507, "507 Insufficient Storage: every byte is in, but the disk is too "
                  "full to move the file into place. Free some space, then send an empty "
                  "PATCH at offset %" PRIu64 ".\n", t->length);
        return 507;
    }
    srv_log(t->srv, FERRY_LOG_ERROR, "tus: upload %s: cannot move it into place: %s", t->id,
            strerror(-rc));
    fail_body(t, 500, "500 Internal Server Error: every byte is in, but the file could not "
              "be moved into place (see the server's log). Send an empty PATCH at offset %"
              PRIu64 " to try again.\n", t->length);
    return 500;
}

/* Registers the body being received with the lifecycle (an open transfer). */
static void open_transfer(struct tus_request *t, struct MHD_Connection *c)
{
    ferry_transfer tr;

    if (!t->srv->engine)
        return;
    tus_store_transfer(t->u, t->start, &tr);
    srv_peer_address(c, tr.peer, sizeof tr.peer);
    tr.started_ms = t->srv->have_os ? t->srv->os.now_ms(t->srv->os.ctx) : 0;
    t->transfer = lc_engine_transfer_open(t->srv->engine, &tr); /* done: t->start */
}

/*
 * Gets ready to write a body into t->u from offset t->start: the part file,
 * the buffer, the checksum's record, the transfer. Returns 0, or records
 * the answer (500/507) and returns -1.
 */
static int begin_body(struct tus_request *t, struct MHD_Connection *c)
{
    int rc;

    t->buf = malloc(WRITE_BUF);
    if (!t->buf) {
        decide(t, 500, "500 Internal Server Error: out of memory. Try again.\n");
        return -1;
    }
    rc = tus_store_open_part(t->store, t->u);
    if (rc >= 0 && t->checksum) {
        int v = tus_store_set_verify(t->store, t->u, (int64_t)t->start);

        if (v < 0) {
            close(rc);
            rc = v;
        }
    }
    if (rc < 0) {
        srv_log(t->srv, FERRY_LOG_ERROR, "tus: upload %s: cannot open its part file: %s",
                t->id, strerror(-rc));
        if (rc == -ENOSPC || rc == -EDQUOT)
            decide(t, 507, "507 Insufficient Storage: the server's disk is full; nothing "
                   "was written. Free some space, then resume the upload.\n");
        else
            decide(t, 500, "500 Internal Server Error: the upload's part file cannot be "
                   "opened (see the server's log).\n");
        return -1;
    }
    t->part_fd = rc;
    if (t->checksum)
        tlsc_sha256_starts(&t->sha);
    open_transfer(t, c);
    return 0;
}

/* ------------------------------------------------------------ checks */

/* Whether Content-Type is application/offset+octet-stream (parameters
 * allowed). */
static int offset_stream(struct MHD_Connection *c)
{
    const char *ct = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t n = sizeof CT_OFFSET - 1;

    return ct && strncasecmp(ct, CT_OFFSET, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

/*
 * The declared body: sets *has_body and *clen (Content-Length, or
 * UINT64_MAX when chunked or unparsable). Returns whether a
 * Content-Length was given.
 */
static int body_size(struct MHD_Connection *c, int *has_body, uint64_t *clen)
{
    const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = header(c, MHD_HTTP_HEADER_TRANSFER_ENCODING);

    *clen = UINT64_MAX;
    if (cl && tus_parse_uint(cl, clen) == 0) {
        *has_body = *clen > 0;
        return 1;
    }
    *has_body = te != NULL || cl != NULL;
    return 0;
}

/* Records the answer for a bad Upload-Checksum. Returns 0 when it is fine
 * (or absent) and t->want / t->checksum are set. */
static int check_checksum(struct tus_request *t, struct MHD_Connection *c)
{
    const char *h = header(c, "Upload-Checksum");
    int rc;

    if (!h)
        return 0;
    rc = tus_checksum_parse(h, t->want);
    if (rc == TUS_EALGORITHM) {
        decide(t, 400, "400 Bad Request: Upload-Checksum names an algorithm this server "
               "does not support; the one supported is sha256 (Tus-Checksum-Algorithm).\n");
        return -1;
    }
    if (rc < 0) {
        decide(t, 400, "400 Bad Request: Upload-Checksum is malformed; send \"sha256 \" and "
               "the base64 of the body's 32-byte SHA-256.\n");
        return -1;
    }
    t->checksum = 1;
    return 0;
}

/* The answer for a resolver failure on the upload's folder/name. */
static void path_error(struct tus_request *t, int rc)
{
    switch (rc) {
    case PATHS_EBADREQ:
        decide(t, 400, "400 Bad Request: the folder or file name in Upload-Metadata is "
               "malformed (control character, backslash, invalid UTF-8, or too long); "
               "rename the file.\n");
        return;
    case PATHS_EFORBIDDEN:
        decide(t, 403, "403 Forbidden: the folder in Upload-Metadata leaves the shared "
               "folder ('..', or a link out of it).\n");
        return;
    case PATHS_ENOTFOUND:
        decide(t, 403, "403 Forbidden: names that start with '.' are hidden on this server "
               "(start ferryd with --hidden to accept them).\n");
        return;
    default:
        decide(t, 400, "400 Bad Request: the folder or file name cannot be used.\n");
    }
}

/* The answer for a failure to open the target's folder. */
static void folder_error(struct tus_request *t, int rc)
{
    switch (rc) {
    case PATHS_ENOTFOUND:
    case -ENOENT:
    case -ENOTDIR:
        decide(t, 409, "409 Conflict: the folder to upload into does not exist; create it "
               "first (uploads do not create folders).\n");
        return;
    case PATHS_EFORBIDDEN:
    case -EACCES:
    case -EPERM:
        decide(t, 403, "403 Forbidden: the folder to upload into is outside the shared "
               "folder or not accessible.\n");
        return;
    case PATHS_EBADREQ:
    case -ENAMETOOLONG:
        decide(t, 400, "400 Bad Request: the folder path is malformed or too long.\n");
        return;
    default:
        srv_log(t->srv, FERRY_LOG_ERROR, "tus: cannot open the folder '%s': %s", t->folder,
                strerror(-rc));
        decide(t, 500, "500 Internal Server Error: the folder to upload into cannot be "
               "opened (see the server's log).\n");
    }
}

/*
 * Resolves the metadata's folder and file name through the path rules of
 * a URL (percent-encoded into a raw path, then paths_decode and
 * paths_open: '..', hidden names, symlinks out of the root, /.ferry), and
 * checks the target: a folder there, or a file under policy "refuse", is
 * a conflict. Fills t->folder and t->name. Returns 0, or -1 with the answer
 * recorded.
 */
static int resolve_target(struct tus_request *t, const struct tus_metadata *m)
{
    struct ferry_server *srv = t->srv;
    struct paths_opts po = srv->paths;
    size_t cap = 3 * (strlen(m->folder) + strlen(m->filename)) + 16, len = 0;
    char *raw = malloc(cap), *rel = malloc(PATHS_MAX + 1), *slash;
    int rc, trailing = 0, dir_fd = -1, ret = -1;
    struct stat st;

    if (!raw || !rel) {
        decide(t, 500, "500 Internal Server Error: out of memory. Try again.\n");
        goto out;
    }
    raw[0] = '\0';
    put_url_encode("/", raw, cap, &len);
    put_url_encode(m->folder, raw, cap, &len);
    put_url_encode("/", raw, cap, &len);
    put_url_encode(m->filename, raw, cap, &len);
    rc = paths_decode(raw, &po, rel, PATHS_MAX + 1, &trailing);
    if (rc < 0) {
        path_error(t, rc);
        goto out;
    }
    if (strncmp(rel, ".ferry", 6) == 0 && (rel[6] == '/' || rel[6] == '\0')) {
        decide(t, 403, "403 Forbidden: /.ferry/ is reserved for the server's own endpoints; "
               "upload somewhere else.\n");
        goto out;
    }
    slash = strrchr(rel, '/');
    if (strcmp(slash ? slash + 1 : rel, m->filename) != 0) { /* never: no '/' in it */
        decide(t, 400, "400 Bad Request: the file name cannot be used.\n");
        goto out;
    }
    if (slash)
        *slash = '\0';
    snprintf(t->folder, sizeof t->folder, "%s", slash ? rel : "");
    snprintf(t->name, sizeof t->name, "%s", m->filename);
    po.follow_symlinks = 0; /* uploads never leave the root */
    rc = paths_open(srv->root_fd, t->folder, O_RDONLY | O_DIRECTORY, &po, &dir_fd);
    if (rc < 0) {
        folder_error(t, rc);
        goto out;
    }
    if (fstatat(dir_fd, t->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISREG(st.st_mode)) {
            decide(t, 409, "409 Conflict: '%s' exists and is %s; an upload cannot replace "
                   "it. Choose another name.\n", t->name,
                   S_ISDIR(st.st_mode) ? "a folder" : "not a regular file");
            goto out;
        }
        if (srv->cfg.on_conflict == FERRY_CONFLICT_REFUSE &&
            m->conflict == TUS_CONFLICT_POLICY) { /* the person chose nothing */
            decide(t, 409, "409 Conflict: '%s' exists; nothing was created. Choose another "
                   "name (this server refuses to overwrite: --on-conflict refuse).\n",
                   t->name);
            goto out;
        }
    } else if (errno == ENAMETOOLONG) {
        decide(t, 400, "400 Bad Request: the file name is too long for this file system.\n");
        goto out;
    } else if (errno != ENOENT) {
        srv_log(srv, FERRY_LOG_ERROR, "tus: cannot check '%s': %s", t->name, strerror(errno));
        decide(t, 500, "500 Internal Server Error: the target cannot be checked (see the "
               "server's log).\n");
        goto out;
    }
    ret = 0;
out:
    if (dir_fd >= 0)
        close(dir_fd);
    free(raw);
    free(rel);
    return ret;
}

/* Maps a tus_store_create() failure to the answer. */
static void create_error(struct tus_request *t, int rc)
{
    if (rc == -EMFILE) {
        srv_log(t->srv, FERRY_LOG_WARN, "tus: %d unfinished uploads exist: creation refused",
                TUS_STORE_MAX);
        decide(t, 503, "503 Service Unavailable: this server holds %d unfinished uploads "
               "already; finish or delete some (DELETE), or wait until they expire.\n",
               TUS_STORE_MAX);
    } else if (rc == -EUSERS) {
        srv_log(t->srv, FERRY_LOG_INFO, "tus: %s has %d unfinished uploads: creation refused",
                t->client, TUS_CLIENT_MAX);
        decide(t, 429, "429 Too Many Requests: your address has %d unfinished uploads on "
               "this server already; finish or delete some (DELETE) before starting more.\n",
               TUS_CLIENT_MAX);
    } else if (rc == -ENOSPC || rc == -EDQUOT) {
        decide(t, 507, "507 Insufficient Storage: the server's disk is full; nothing was "
               "created. Free some space and try again.\n");
    } else {
        srv_log(t->srv, FERRY_LOG_ERROR, "tus: cannot create an upload in '%s/uploads': %s",
                t->srv->state_dir ? t->srv->state_dir : "(state)", strerror(-rc));
        decide(t, 500, "500 Internal Server Error: the upload cannot be created (see the "
               "server's log).\n");
    }
}

/* POST: the checks of a creation; with a body, the creation itself. */
static void begin_post(struct tus_request *t, struct MHD_Connection *c, uint64_t clen)
{
    struct ferry_server *srv = t->srv;
    struct tus_metadata *m = NULL;
    uint64_t length;
    int rc;

    if (header(c, "Upload-Defer-Length")) {
        decide(t, 400, "400 Bad Request: Upload-Defer-Length is not supported here; send "
               "Upload-Length with the file's size.\n");
        return;
    }
    rc = tus_parse_uint(header(c, "Upload-Length"), &length);
    if (rc < 0) {
        decide(t, 400, "400 Bad Request: Upload-Length is %s; send the file's size in bytes "
               "(digits only).\n", rc == TUS_EMISSING ? "missing" : rc == TUS_ERANGE
               ? "too large" : "malformed");
        return;
    }
    if (srv->cfg.max_upload && length > srv->cfg.max_upload) {
        decide(t, 413, "413 Content Too Large: the upload (%" PRIu64 " bytes) is larger "
               "than this server's limit of %" PRIu64 " bytes (--max-upload, Tus-Max-Size); "
               "nothing was created.\n", length, srv->cfg.max_upload);
        return;
    }
    m = malloc(sizeof *m);
    if (!m) {
        decide(t, 500, "500 Internal Server Error: out of memory. Try again.\n");
        return;
    }
    t->metadata = header(c, "Upload-Metadata");
    rc = tus_metadata_parse(t->metadata, 1, m);
    if (rc < 0) {
        decide(t, 400, "400 Bad Request: Upload-Metadata: %s. Send \"filename <base64>\" "
               "(and optionally \"folder <base64>\"), pairs separated by ','.\n",
               tus_header_strerror(rc));
        goto out;
    }
    if (resolve_target(t, m) < 0)
        goto out;
    if (t->has_body && !offset_stream(c)) {
        decide(t, 415, "415 Unsupported Media Type: a body sent with the creation must be "
               "Content-Type: " CT_OFFSET ".\n");
        goto out;
    }
    if (t->has_body && clen != UINT64_MAX && clen > length) {
        decide(t, 400, "400 Bad Request: the body (%" PRIu64 " bytes) is longer than "
               "Upload-Length (%" PRIu64 "); nothing was created.\n", clen, length);
        goto out;
    }
    if (t->has_body && check_checksum(t, c) < 0)
        goto out;
    srv_peer_address(c, t->client, sizeof t->client);
    t->create = (struct tus_new){.folder = t->folder, .name = t->name,
                                 .metadata = t->metadata, .client = t->client,
                                 .length = length};
    t->length = length;
    if (!t->has_body)
        goto out; /* created in tus_finish() */
    rc = tus_store_create(t->store, &t->create, 1, &t->created, &t->u);
    if (rc < 0) {
        create_error(t, rc);
        goto out;
    }
    memcpy(t->id, t->created.id, sizeof t->id);
    t->start = 0;
    if (begin_body(t, c) < 0) { /* nothing of it may stay */
        tus_store_release(t->store, t->u);
        t->u = NULL;
        tus_store_remove(t->store, t->id);
    }
out:
    free(m);
}

/* PATCH: the checks before a body; then ready to write it. */
static void begin_patch(struct tus_request *t, struct MHD_Connection *c, uint64_t clen)
{
    uint64_t offset, stored;
    time_t expires;
    int rc;

    if (!offset_stream(c)) {
        decide(t, 415, "415 Unsupported Media Type: a PATCH must be Content-Type: "
               CT_OFFSET ".\n");
        return;
    }
    rc = tus_store_acquire(t->store, t->id, &t->u);
    if (rc == -ENOENT) {
        decide(t, 404, "404 Not Found: no such upload (it expired, was deleted, or never "
               "existed); create a new one.\n");
        return;
    }
    if (rc == -EBUSY) {
        decide(t, 423, "423 Locked: another request is writing this upload right now; "
               "retry in a moment (HEAD for the offset).\n");
        return;
    }
    t->length = t->u->length;
    tus_store_state(t->store, t->u, &stored, &expires);
    rc = tus_parse_uint(header(c, "Upload-Offset"), &offset);
    if (rc < 0) {
        decide(t, 400, "400 Bad Request: Upload-Offset is %s; send the offset HEAD gives "
               "(digits only).\n", rc == TUS_EMISSING ? "missing" : "malformed");
        return;
    }
    if (offset != stored) {
        decide(t, 409, "409 Conflict: Upload-Offset is %" PRIu64 " but the server has %"
               PRIu64 " bytes of this upload; nothing was written. Send from %" PRIu64
               " (HEAD tells).\n", offset, stored, stored);
        return;
    }
    if (clen != UINT64_MAX && clen > t->length - stored) {
        decide(t, 400, "400 Bad Request: the body (%" PRIu64 " bytes) goes past "
               "Upload-Length (%" PRIu64 " bytes remain); nothing was written.\n", clen,
               t->length - stored);
        return;
    }
    if (check_checksum(t, c) < 0)
        return;
    t->start = stored;
    if (t->has_body)
        begin_body(t, c);
}

/* Fills t->id from the URL after the prefix; "" when there is none. */
static void url_id(struct tus_request *t, const char *url)
{
    const char *rest = url + sizeof TUS_PREFIX - 2; /* at the '/' or NUL */

    t->id[0] = '\0';
    if (*rest == '/' && strlen(rest + 1) == TUS_ID_LEN)
        memcpy(t->id, rest + 1, TUS_ID_LEN + 1);
}

/* Whether url names the collection ("/.ferry/uploads" or ".../"). */
static int is_collection(const char *url)
{
    const char *rest = url + sizeof TUS_PREFIX - 2;

    return rest[0] == '\0' || (rest[0] == '/' && rest[1] == '\0');
}

/*
 * The method as tus sees it: X-HTTP-Method-Override is honoured on POST
 * (PATCH or DELETE). Returns 0 and sets *op, 1 for a method tus does not
 * answer (405), -1 for a bad override (400).
 */
static int method_op(struct MHD_Connection *c, const char *method, enum tus_op *op)
{
    const char *ov = header(c, "X-HTTP-Method-Override");

    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 && ov) {
        if (strcmp(ov, "PATCH") == 0)
            *op = OP_PATCH;
        else if (strcmp(ov, "DELETE") == 0)
            *op = OP_DELETE;
        else if (strcmp(ov, "POST") == 0)
            *op = OP_POST;
        else
            return -1;
        return 0;
    }
    if (strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0)
        *op = OP_OPTIONS;
    else if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
        *op = OP_HEAD;
    else if (strcmp(method, MHD_HTTP_METHOD_POST) == 0)
        *op = OP_POST;
    else if (strcmp(method, "PATCH") == 0)
        *op = OP_PATCH;
    else if (strcmp(method, MHD_HTTP_METHOD_DELETE) == 0)
        *op = OP_DELETE;
    else
        return 1;
    return 0;
}

/* Releases what a request holds; the common end of tus_end() and of a
 * refusal in tus_begin(). */
static void request_free(struct tus_request *t)
{
    if (t->part_fd >= 0)
        close(t->part_fd);
    if (t->u)
        tus_store_release(t->store, t->u);
    mbedtls_sha256_free(&t->sha);
    tus_view_free(&t->created);
    free(t->buf);
    free(t);
}

enum MHD_Result tus_begin(struct req *rq)
{
    struct ferry_server *srv = rq->srv;
    struct MHD_Connection *c = rq->c;
    const char *method = rq->method, *url = rq->url;
    unsigned *status = &rq->status;
    struct tus_request *t = calloc(1, sizeof *t);
    uint64_t clen = UINT64_MAX;
    enum MHD_Result ret;
    int collection, rc;

    rq->state = NULL;
    *status = 0;
    if (!t)
        return MHD_NO;
    t->srv = srv;
    t->store = srv->tus;
    t->part_fd = -1;
    mbedtls_sha256_init(&t->sha);
    body_size(c, &t->has_body, &clen);
    collection = is_collection(url);
    url_id(t, url);
    rc = method_op(c, method, &t->op);
    if (rc < 0) {
        decide(t, 400, "400 Bad Request: X-HTTP-Method-Override must be PATCH or DELETE.\n");
    } else if (rc > 0 || (collection && t->op != OP_OPTIONS && t->op != OP_POST) ||
               (!collection && t->op == OP_POST)) {
        t->extra_name = MHD_HTTP_HEADER_ALLOW;
        t->extra_value = collection ? ALLOW_COLLECTION : ALLOW_UPLOAD;
        decide(t, 405, "405 Method Not Allowed: %s takes %s (tus 1.0).\n",
               collection ? TUS_PREFIX : "an upload's URL", t->extra_value);
    } else if (t->op == OP_OPTIONS) {
        /* answered by tus_finish(), whatever the rest says */
    } else if (!tus_resumable_ok(header(c, "Tus-Resumable"))) {
        t->extra_name = "Tus-Version";
        t->extra_value = TUS_VERSION;
        decide(t, 412, "412 Precondition Failed: this server speaks tus " TUS_VERSION
               " only; send Tus-Resumable: " TUS_VERSION ".\n");
    } else if (srv->cfg.read_only) {
        decide(t, 403, "403 Forbidden: this server is read-only (--read-only); nothing can "
               "be uploaded.\n");
    } else if (!t->store) {
        decide(t, 503, "503 Service Unavailable: resumable uploads need a state folder for "
               "their part files, and this server has none; start it with --state-dir "
               "DIR.\n");
    } else if (t->op == OP_POST) {
        begin_post(t, c, clen);
    } else if (t->op == OP_PATCH) {
        begin_patch(t, c, clen);
    }
    /* HEAD, DELETE and OPTIONS have no checks left before tus_finish(). */
    if (t->status && t->has_body) {
        /* refused before the body: answer now, the body is never read */
        ret = answer_decided(t, c, status);
        request_free(t);
        return ret;
    }
    rq->state = t;
    return MHD_YES;
}

enum MHD_Result tus_body(struct req *rq, const char *data, size_t *size)
{
    struct tus_request *t = rq->state;
    size_t len = *size;

    *size = 0;
    if (t->part_fd < 0 || t->err || t->truncate)
        return MHD_YES; /* not ours to keep, or being dropped */
    if (len > t->length - t->start - t->received) {
        fail_body(t, 400, "400 Bad Request: the body goes past Upload-Length (%" PRIu64
                  " bytes remained at offset %" PRIu64 "); nothing of it was kept.\n",
                  t->length - t->start, t->start);
        t->truncate = 1;
        return MHD_YES;
    }
    if (t->checksum)
        tlsc_sha256_update(&t->sha, (const unsigned char *)data, len);
    t->received += len;
    while (len) {
        size_t take = WRITE_BUF - t->buffered < len ? WRITE_BUF - t->buffered : len;

        memcpy(t->buf + t->buffered, data, take);
        t->buffered += take;
        data += take;
        len -= take;
        if (t->buffered == WRITE_BUF) {
            if (tus_store_terminated(t->store, t->u)) { /* DELETEd: stop reading it */
                srv_log(t->srv, FERRY_LOG_INFO, "tus: upload %s was deleted while this PATCH "
                        "wrote it: the connection is closed", t->id);
                return MHD_NO;
            }
            if (flush(t) < 0)
                return MHD_YES;
            if (!t->checksum)
                tus_store_set_offset(t->store, t->u, t->start + t->received - len);
            if (t->transfer && t->srv->engine)
                lc_engine_transfer_progress(t->srv->engine, t->transfer,
                                            t->start + t->received - len);
        }
    }
    return MHD_YES;
}

/* The answer to a HEAD. */
static enum MHD_Result finish_head(struct tus_request *t, struct MHD_Connection *c,
                                   unsigned *status)
{
    struct tus_view v;
    struct MHD_Response *r;

    if (tus_store_view(t->store, t->id, &v) < 0) {
        decide(t, 404, "404 Not Found: no such upload (it expired, was deleted, or never "
               "existed); create a new one.\n");
        return answer_decided(t, c, status);
    }
    r = response(200, NULL);
    if (r) {
        add_number(r, "Upload-Offset", v.offset);
        add_number(r, "Upload-Length", v.length);
        if (v.metadata[0])
            MHD_add_response_header(r, "Upload-Metadata", v.metadata);
        add_expires(r, v.expires);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        if (v.stored_as)
            add_stored_as(r, v.stored_as);
    }
    tus_view_free(&v);
    return queue(c, r, 200, status);
}

/* The answer to OPTIONS: what this server supports. */
static enum MHD_Result finish_options(struct tus_request *t, struct MHD_Connection *c,
                                      unsigned *status)
{
    struct MHD_Response *r = response(204, NULL);

    if (r) {
        MHD_add_response_header(r, "Tus-Version", TUS_VERSION);
        MHD_add_response_header(r, "Tus-Extension", EXTENSIONS);
        MHD_add_response_header(r, "Tus-Checksum-Algorithm", "sha256");
        if (t->srv->cfg.max_upload)
            add_number(r, "Tus-Max-Size", t->srv->cfg.max_upload);
    }
    return queue(c, r, 204, status);
}

/* The answer to a DELETE (termination). */
static enum MHD_Result finish_delete(struct tus_request *t, struct MHD_Connection *c,
                                     unsigned *status)
{
    int rc = tus_store_remove(t->store, t->id); /* also while a PATCH writes it */

    if (rc < 0) {
        decide(t, 404, "404 Not Found: no such upload (it expired, was deleted, or never "
               "existed).\n");
        return answer_decided(t, c, status);
    }
    srv_log(t->srv, FERRY_LOG_INFO, "tus: upload %s deleted", t->id);
    return queue(c, response(204, NULL), 204, status);
}

/*
 * The end of a PATCH or of a POST with a body: settles the part, verifies
 * the checksum, commits when the last byte is in, answers.
 */
static enum MHD_Result finish_write(struct tus_request *t, struct MHD_Connection *c,
                                    unsigned *status)
{
    unsigned char got[TUS_SHA256_LEN];
    struct MHD_Response *r;
    uint64_t offset;
    time_t expires;
    unsigned code;

    if (t->part_fd >= 0) {
        if (t->checksum && !t->err && !t->truncate) {
            tlsc_sha256_finish(&t->sha, got);
            if (memcmp(got, t->want, sizeof got) != 0) {
                t->truncate = 1;
                fail_body(t, STATUS_CHECKSUM_MISMATCH, "460 Checksum Mismatch: the body "
                          "does not have the SHA-256 of Upload-Checksum; nothing of it was "
                          "kept. Send it again from offset %" PRIu64 ".\n", t->start);
            }
        }
        settle(t);
        close(t->part_fd);
        t->part_fd = -1;
    }
    tus_store_state(t->store, t->u, &offset, &expires);
    if (!t->err && offset == t->length && t->u->state != TUS_DONE)
        commit(t);
    tus_store_state(t->store, t->u, &offset, &expires);
    if (t->err) {
        r = response(t->err, t->err_text);
        code = t->err;
    } else {
        code = t->op == OP_POST ? 201 : 204;
        r = response(code, NULL);
    }
    if (r) {
        add_number(r, "Upload-Offset", offset);
        add_expires(r, expires);
        if (t->op == OP_POST) {
            char loc[sizeof TUS_PREFIX + TUS_ID_LEN];

            snprintf(loc, sizeof loc, TUS_PREFIX "%s", t->id);
            MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
        }
        if (t->u->state == TUS_DONE && t->u->stored_as)
            add_stored_as(r, t->u->stored_as);
    }
    return queue(c, r, code, status);
}

enum MHD_Result tus_finish(struct req *rq)
{
    struct tus_request *t = rq->state;
    struct MHD_Connection *c = rq->c;
    unsigned *status = &rq->status;
    struct MHD_Response *r;
    int rc;

    t->finished = 1;
    if (t->status)
        return answer_decided(t, c, status);
    switch (t->op) {
    case OP_OPTIONS:
        return finish_options(t, c, status);
    case OP_HEAD:
        return finish_head(t, c, status);
    case OP_DELETE:
        return finish_delete(t, c, status);
    case OP_PATCH:
        return finish_write(t, c, status);
    case OP_POST:
        break;
    }
    if (t->u) /* created with a body */
        return finish_write(t, c, status);
    /* An empty file is complete at once: held, so that it is stored now. */
    rc = tus_store_create(t->store, &t->create, t->length == 0, &t->created, &t->u);
    if (rc < 0) {
        create_error(t, rc);
        return answer_decided(t, c, status);
    }
    memcpy(t->id, t->created.id, sizeof t->id);
    srv_log(t->srv, FERRY_LOG_INFO, "tus: upload %s created for '%s%s%s' (%" PRIu64 " bytes)",
            t->id, t->folder, t->folder[0] ? "/" : "", t->name, t->length);
    if (t->u)
        return finish_write(t, c, status);
    r = response(201, NULL);
    if (r) {
        char loc[sizeof TUS_PREFIX + TUS_ID_LEN];

        snprintf(loc, sizeof loc, TUS_PREFIX "%s", t->id);
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
        add_expires(r, t->created.expires);
    }
    return queue(c, r, 201, status);
}

void tus_end(struct req *rq, int completed)
{
    struct tus_request *t = rq->state;
    int done;

    rq->state = NULL;
    if (!t)
        return;
    if (t->part_fd >= 0 && !t->finished) {
        /* cut before the end of the body: a checksummed PATCH is void,
         * any other keeps what came */
        uint64_t offset;

        if (t->checksum)
            t->truncate = 1;
        offset = settle(t);
        if (!t->err && !t->truncate && offset == t->length && t->u->state != TUS_DONE)
            commit(t);
        srv_log(t->srv, FERRY_LOG_INFO, "tus: upload %s cut at %" PRIu64 " of %" PRIu64
                " bytes%s", t->id, offset, t->length,
                t->checksum ? " (checksummed PATCH: truncated back)" : "");
    }
    if (t->transfer && t->srv->engine) {
        done = t->u && t->u->state == TUS_DONE;
        if (done)
            lc_engine_transfer_close(t->srv->engine, t->transfer);
        else /* resumable: the journal keeps it */
            lc_engine_transfer_interrupt(t->srv->engine, t->transfer);
    }
    (void)completed;
    request_free(t);
}

const struct route_handler tus_handler = {
    .name = "tus", .begin = tus_begin, .body = tus_body, .finish = tus_finish, .end = tus_end};
