/*
 * thumb.c — answering ?thumb=1 with a JPEG's Exif thumbnail, a cached
 * thumbnail, or one made by the thumbnail thread (thumb-jobs.h) while the
 * connection waits; see thumb.h.
 */
#include "config.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cond.h"
#include "exif-thumb.h"
#include "mhd-compat.h"
#include "server.h"
#include "thumb-cache.h"
#include "thumb-jobs.h"
#include "thumb-scale.h"
#include "thumb.h"

/* A request waiting for its thumbnail: the job and what the answer needs. */
struct thumb_wait {
    struct thumb_job job; /* job.fd: the picture, owned here (-1 once given back) */
    char etag[COND_ETAG_MAX + 8];
    char rel[]; /* the picture's path */
};

int thumb_requested(const char *thumb)
{
    return thumb && strcmp(thumb, "1") == 0;
}

/* Reads up to EXIF_THUMB_SCAN bytes from the start of fd into buf. Returns
 * how many, or -1. */
static ssize_t read_head(int fd, unsigned char *buf)
{
    size_t got = 0;

    while (got < EXIF_THUMB_SCAN) {
        ssize_t n = pread(fd, buf + got, EXIF_THUMB_SCAN - got, (off_t)got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Queues r (NULL: MHD_NO) with `status`, the thumbnail's ETag and caching
 * headers, and, for a 200, its type. r is destroyed. */
static int answer(struct MHD_Connection *c, struct MHD_Response *r, unsigned status,
                  const char *etag)
{
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    if (status == 200)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "image/jpeg");
    ret = srv_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Answers `status` with the len bytes at body (malloc'd, owned; NULL for
 * none) (for HEAD, libmicrohttpd sends the headers alone). */
static int answer_buffer(struct MHD_Connection *c, unsigned status, unsigned char *body,
                         size_t len, const char *etag)
{
    /* (for HEAD, libmicrohttpd sends the headers alone) */
    struct MHD_Response *r = status == 304 ? mhd_compat_response_304()
                                           : MHD_create_response_from_buffer(
                                                 len, body, MHD_RESPMEM_MUST_FREE);

    if (!r || status == 304)
        free(body);
    return answer(c, r, status, etag);
}

/* Answers 200 with the size bytes of the file open at fd (owned). */
static int answer_fd(struct MHD_Connection *c, int fd, uint64_t size, const char *etag)
{
    struct MHD_Response *r = MHD_create_response_from_fd64(size, fd);

    if (!r)
        close(fd);
    return answer(c, r, 200, etag);
}

/* The Exif thumbnail t found in head, as a JPEG of its own: SOI, the
 * orientation when turned, the rest. Returns it (malloc'd) with *len, or
 * NULL. */
static unsigned char *exif_jpeg(const unsigned char *head, const struct exif_thumb *t,
                                size_t *len)
{
    unsigned char *body = malloc(t->length + EXIF_ORIENTATION_SEGMENT);

    if (!body)
        return NULL;
    body[0] = 0xFF;
    body[1] = 0xD8;
    *len = 2;
    if (t->orientation != 1)
        *len += exif_orientation_segment(t->orientation, body + 2);
    memcpy(body + *len, head + t->offset + 2, t->length - 2);
    *len += t->length - 2;
    return body;
}

/*
 * Hands the picture to the thumbnail thread. Returns THUMB_WAIT with *wait
 * set (fd now its), or THUMB_NONE (fd still the caller's) when there is no
 * room or no thread.
 */
static int submit(struct ferry_server *srv, struct MHD_Connection *c, int fd,
                  const struct stat *st, const char *rel, unsigned orientation,
                  const char *etag, struct thumb_wait **wait)
{
    size_t rlen = strlen(rel);
    struct thumb_wait *w = calloc(1, sizeof *w + rlen + 2);
    int rc;

    if (!w)
        return THUMB_NONE;
    w->job.conn = c;
    w->job.fd = fd;
    w->job.st = *st;
    w->job.orientation = orientation;
    snprintf(w->rel, rlen + 2, "/%s", rel);
    w->job.rel = w->rel;
    srv_peer_address(c, w->job.client, sizeof w->job.client);
    snprintf(w->etag, sizeof w->etag, "%s", etag);
    rc = thumb_jobs_submit(srv->thumbs, &w->job);
    if (rc < 0) {
        if (rc == -EBUSY)
            srv_log(srv, FERRY_LOG_DEBUG, "thumbnail of '%s': the queue is full for %s, the "
                    "picture itself is answered", w->rel, w->job.client);
        free(w);
        return THUMB_NONE;
    }
    *wait = w;
    return THUMB_WAIT;
}

int thumb_serve(struct ferry_server *srv, struct MHD_Connection *c, int fd, const struct stat *st,
                const char *rel, struct thumb_wait **wait, unsigned *status, uint64_t *length)
{
    unsigned char *head = malloc(EXIF_THUMB_SCAN), *body = NULL;
    struct exif_thumb t;
    char etag[COND_ETAG_MAX + 8];
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_IF_NONE_MATCH);
    struct cond_headers h = {.if_none_match = inm};
    struct cond_validators v = {.etag = etag, .mtime = st->st_mtime};
    ssize_t n;
    size_t len = 0;
    uint64_t size;
    int exif, cfd;

    if (!head)
        return THUMB_NONE;
    n = read_head(fd, head);
    exif = n >= 0 && exif_thumb_find(head, (size_t)n, &t) == 0;
    if (!exif && (n < 0 || !thumb_scale_knows(head, (size_t)n) ||
                  thumb_scale_over(head, (size_t)n))) { /* over: at once, not queued */
        free(head);
        return THUMB_NONE;
    }
    cond_etag(st, etag);
    memcpy(etag + strlen(etag) - 1, "-thumb\"", 8); /* inside the quotes */
    *status = cond_evaluate(&h, &v, 1) == COND_NOT_MODIFIED ? 304 : 200;
    *length = 0;
    if (*status == 200 && exif) {
        body = exif_jpeg(head, &t, &len);
    } else if (*status == 200) {
        free(head);
        switch (thumb_cache_get(thumb_jobs_cache(srv->thumbs), st, &cfd, &size)) {
        case THUMB_CACHE_MADE:
            close(fd);
            *length = size;
            return answer_fd(c, cfd, size, etag);
        case THUMB_CACHE_FAILED:
            return THUMB_NONE;
        case THUMB_CACHE_MISS:
            break;
        }
        return submit(srv, c, fd, st, rel, t.orientation, etag, wait);
    }
    free(head);
    close(fd);
    *length = len;
    if (*status == 200 && !body)
        return MHD_NO;
    return answer_buffer(c, *status, body, len, etag);
}

int thumb_resumed(struct thumb_wait *w, struct MHD_Connection *c, int *fd, struct stat *st,
                  const char **rel, unsigned *status, uint64_t *length)
{
    unsigned char *body = w->job.jpeg;

    *length = 0;
    if (w->job.rc == -ECANCELED)
        return srv_answer_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "503 Service Unavailable: "
                               "the server is stopping or pausing; ask again.\n",
                               MHD_HTTP_HEADER_RETRY_AFTER, "1", NULL, NULL, status);
    if (w->job.rc < 0) {
        *fd = w->job.fd;
        w->job.fd = -1;
        *st = w->job.st;
        *rel = w->rel + 1;
        return THUMB_NONE;
    }
    w->job.jpeg = NULL;
    *status = 200;
    *length = w->job.len;
    return answer_buffer(c, 200, body, w->job.len, w->etag);
}

void thumb_wait_free(struct thumb_wait *w)
{
    if (!w)
        return;
    if (w->job.fd >= 0)
        close(w->job.fd);
    free(w->job.jpeg);
    free(w);
}
