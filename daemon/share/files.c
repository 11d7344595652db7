/*
 * files.c — serving one regular file.
 *
 * Order of evaluation (RFC 9110 §13.2.2): preconditions (412/304), then
 * If-Range and Range (206/416), then the full representation (200). Bodies:
 * files up to SMALL_FILE_MAX are read into one buffer (header and body then
 * leave in one packet); larger ones and single ranges go out with sendfile
 * through an fd response; several ranges as multipart/byteranges.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cond.h"
#include "engine.h"
#include "files.h"
#include "httpdate.h"
#include "mhd-compat.h"
#include "mime.h"
#include "range.h"
#include "server.h"
#include "tls-compat.h"

#define SMALL_FILE_MAX (64 * 1024)
#define BOUNDARY_LEN 24
#define MULTIPART_BLOCK (64 * 1024)

/* Adds the headers every answer about this file carries. */
static void add_validators(struct MHD_Response *r, const char *etag,
                           const char *last_modified)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, last_modified);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
}

/*
 * Queues `r` with `status` and drops our reference. A NULL `r` (allocation
 * failed) becomes MHD_NO, which closes the connection.
 */
static int queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    ret = srv_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Reads exactly len bytes at off into a new buffer, or returns NULL. */
static char *read_all(int fd, uint64_t off, size_t len)
{
    char *buf = malloc(len ? len : 1);
    size_t done = 0;

    if (!buf)
        return NULL;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return NULL;
        }
        done += (size_t)n;
    }
    return buf;
}

/*
 * A body of `len` bytes at `off` of fd: read into memory when small and not
 * HEAD, else an fd response. Takes fd in every case. Returns NULL on failure.
 */
static struct MHD_Response *body_response(int fd, uint64_t off, uint64_t len,
                                          int is_head)
{
    struct MHD_Response *r;

    if (!is_head && len <= SMALL_FILE_MAX) {
        char *buf = read_all(fd, off, (size_t)len);

        close(fd);
        if (!buf)
            return NULL;
        r = MHD_create_response_from_buffer((size_t)len, buf, MHD_RESPMEM_MUST_FREE);
        if (!r)
            free(buf);
        return r;
    }
    r = MHD_create_response_from_fd_at_offset64(len, fd, off);
    if (!r)
        close(fd);
    return r;
}

/* One piece of a multipart/byteranges body: text in memory or file bytes. */
struct segment {
    uint64_t start;  /* offset of this segment within the body */
    uint64_t len;
    const char *text; /* NULL: file bytes from file_off */
    uint64_t file_off;
};

struct multipart {
    int fd;
    size_t n;
    char *texts;              /* all part headers, one allocation */
    struct segment seg[2 * RANGE_MAX_SPANS + 1];
};

/* MHD content reader for multipart bodies. */
static ssize_t multipart_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct multipart *mp = cls;

    for (size_t i = 0; i < mp->n; i++) {
        const struct segment *s = &mp->seg[i];
        uint64_t in;
        size_t want;

        if (pos >= s->start + s->len)
            continue;
        in = pos - s->start;
        want = s->len - in < max ? (size_t)(s->len - in) : max;
        if (s->text) {
            memcpy(buf, s->text + in, want);
            return (ssize_t)want;
        }
        for (;;) {
            ssize_t got = pread(mp->fd, buf, want, (off_t)(s->file_off + in));

            if (got < 0 && errno == EINTR)
                continue;
            return got > 0 ? got : MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    return MHD_CONTENT_READER_END_OF_STREAM;
}

static void multipart_free(void *cls)
{
    struct multipart *mp = cls;

    close(mp->fd);
    free(mp->texts);
    free(mp);
}

/*
 * A boundary that depends only on the representation (deterministic answers
 * are easier to cache and to test): "ferry" + hex of SHA-256(etag).
 */
static void make_boundary(const char *etag, char out[BOUNDARY_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char h[32];

    tlsc_sha256(etag, strlen(etag), h);
    memcpy(out, "ferry", 5);
    for (int i = 5; i < BOUNDARY_LEN; i++)
        out[i] = hex[(h[(i - 5) / 2] >> ((i - 5) % 2 ? 0 : 4)) & 0xf];
    out[BOUNDARY_LEN] = '\0';
}

/*
 * The multipart/byteranges response for spans[0..n). Takes fd in every case.
 * Sets *content_type (caller's buffer) and *len. Returns NULL on failure.
 */
static struct MHD_Response *multipart_response(int fd, uint64_t size,
                                               const char *type, const char *etag,
                                               const struct range_span *spans,
                                               size_t n, char *content_type,
                                               size_t ct_len, uint64_t *len)
{
    char boundary[BOUNDARY_LEN + 1];
    struct multipart *mp = calloc(1, sizeof *mp);
    size_t cap = (n + 1) * (128 + strlen(type)), used = 0;
    struct MHD_Response *r;
    uint64_t pos = 0;

    if (!mp || !(mp->texts = malloc(cap))) {
        free(mp);
        close(fd);
        return NULL;
    }
    mp->fd = fd;
    make_boundary(etag, boundary);
    for (size_t i = 0; i <= n; i++) {
        char *t = mp->texts + used;
        int w = i < n ? snprintf(t, cap - used,
                                 "%s--%s\r\nContent-Type: %s\r\n"
                                 "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n\r\n",
                                 i ? "\r\n" : "", boundary, type, spans[i].first,
                                 spans[i].last, size)
                      : snprintf(t, cap - used, "\r\n--%s--\r\n", boundary);

        mp->seg[mp->n++] = (struct segment){.start = pos, .len = (uint64_t)w, .text = t};
        pos += (uint64_t)w;
        used += (size_t)w + 1;
        if (i < n) {
            uint64_t l = spans[i].last - spans[i].first + 1;

            mp->seg[mp->n++] = (struct segment){.start = pos, .len = l,
                                                .file_off = spans[i].first};
            pos += l;
        }
    }
    snprintf(content_type, ct_len, "multipart/byteranges; boundary=%s", boundary);
    *len = pos;
    r = MHD_create_response_from_callback(pos, MULTIPART_BLOCK, multipart_read, mp,
                                          multipart_free);
    if (!r)
        multipart_free(mp);
    return r;
}

/* Reads one request header, or NULL. */
static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/*
 * Registers a download of spans first..last (total = file size) with the
 * lifecycle, so that it holds background time and is snapshotted. Returns
 * the registry id, or 0.
 */
static uint64_t register_download(struct ferry_server *srv, struct MHD_Connection *c,
                                  const char *rel, const char *etag, uint64_t first,
                                  uint64_t last, uint64_t size)
{
    ferry_transfer t = {.direction = FERRY_DOWNLOAD, .first = first, .last = last,
                        .total = size};

    if (!srv->engine)
        return 0;
    snprintf(t.path, sizeof t.path, "/%s", rel);
    snprintf(t.validator, sizeof t.validator, "%s", etag);
    srv_peer_address(c, t.peer, sizeof t.peer);
    t.started_ms = srv->have_os ? srv->os.now_ms(srv->os.ctx) : 0;
    return lc_engine_transfer_open(srv->engine, &t);
}

int files_serve(struct ferry_server *srv, struct MHD_Connection *c, int fd,
                const struct stat *st, const char *rel, int is_head,
                struct files_outcome *out)
{
    const char *name = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    char etag[COND_ETAG_MAX], last_modified[HTTPDATE_LEN], crange[96];
    const char *type = mime_type_for(name);
    uint64_t size = (uint64_t)st->st_size;
    struct range_span spans[RANGE_MAX_SPANS];
    struct cond_headers h = {
        .if_match = header(c, MHD_HTTP_HEADER_IF_MATCH),
        .if_none_match = header(c, MHD_HTTP_HEADER_IF_NONE_MATCH),
        .if_modified_since = header(c, MHD_HTTP_HEADER_IF_MODIFIED_SINCE),
        .if_unmodified_since = header(c, MHD_HTTP_HEADER_IF_UNMODIFIED_SINCE),
        .if_range = header(c, MHD_HTTP_HEADER_IF_RANGE),
    };
    struct cond_validators v = {.etag = etag, .mtime = st->st_mtime};
    const char *range = header(c, MHD_HTTP_HEADER_RANGE);
    enum range_result rr = RANGE_NONE;
    struct MHD_Response *r;
    size_t n = 0;

    cond_etag(st, etag);
    httpdate_format(st->st_mtime, last_modified);
    out->length = 0;
    out->transfer = 0;

    out->status = cond_evaluate(&h, &v, 1);
    if (out->status != COND_PROCEED) {
        close(fd);
        /* 304, or 412: libmicrohttpd 0.9.75 adds "Content-Length: 0" to a
         * 304 (README, Known warts); 1.0 is told not to (mhd-compat.h). */
        r = out->status == COND_NOT_MODIFIED
                ? mhd_compat_response_304()
                : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (r)
            add_validators(r, etag, last_modified);
        return queue(c, out->status, r);
    }

    if (range && cond_if_range_allows(&h, &v))
        rr = range_parse(range, size, spans, RANGE_MAX_SPANS, &n);

    if (rr == RANGE_UNSATISFIABLE) {
        close(fd);
        out->status = MHD_HTTP_RANGE_NOT_SATISFIABLE;
        snprintf(crange, sizeof crange, "bytes */%" PRIu64, size);
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (r) {
            add_validators(r, etag, last_modified);
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
        }
        return queue(c, out->status, r);
    }

    if (rr == RANGE_OK && n == 1) {
        out->status = MHD_HTTP_PARTIAL_CONTENT;
        out->length = spans[0].last - spans[0].first + 1;
        snprintf(crange, sizeof crange, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
                 spans[0].first, spans[0].last, size);
        r = body_response(fd, spans[0].first, out->length, is_head);
        if (r)
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
    } else if (rr == RANGE_OK) {
        char ctype[128];

        out->status = MHD_HTTP_PARTIAL_CONTENT;
        r = multipart_response(fd, size, type, etag, spans, n, ctype, sizeof ctype,
                               &out->length);
        type = NULL;
        if (r)
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    } else {
        out->status = MHD_HTTP_OK;
        out->length = size;
        r = body_response(fd, 0, size, is_head);
    }
    if (!r) {
        srv_log(srv, FERRY_LOG_ERROR, "cannot read '%s' to answer a request: %s",
                name, strerror(errno));
        out->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        return srv_queue_response(c, out->status, srv->pages[REQ_PAGE_500]);
    }
    add_validators(r, etag, last_modified);
    if (type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (!is_head && out->length > SMALL_FILE_MAX)
        out->transfer = register_download(srv, c, rel, etag,
                                          n ? spans[0].first : 0,
                                          n ? spans[n - 1].last : size ? size - 1 : 0, size);
    return queue(c, out->status, r);
}
