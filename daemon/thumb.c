/*
 * thumb.c — answering ?thumb=1 with a JPEG's Exif thumbnail, or a JPEG made
 * from the picture (thumb-scale.h); see thumb.h.
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
#include "thumb-scale.h"
#include "thumb.h"

int thumb_requested(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "thumb");

    return v && strcmp(v, "1") == 0;
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

/*
 * Makes the scaled thumbnail of the picture open at fd (thumb-scale.h),
 * reading through a FILE of a dup of fd. fd stays the caller's, its
 * offset back at 0. Returns what thumb_scale() returns, or -errno when
 * fd cannot be read through a FILE.
 */
static int scale_file(int fd, unsigned orientation, unsigned char **out, size_t *len)
{
    int dupfd = dup(fd);
    FILE *f = dupfd >= 0 ? fdopen(dupfd, "rb") : NULL;
    int rc;

    *out = NULL;
    *len = 0;
    if (!f) {
        rc = -errno;
        if (dupfd >= 0)
            close(dupfd);
        return rc;
    }
    rc = lseek(fd, 0, SEEK_SET) == 0 ? thumb_scale(f, orientation, out, len) : -errno;
    fclose(f);
    lseek(fd, 0, SEEK_SET);
    return rc;
}

int thumb_serve(struct MHD_Connection *c, int fd, const struct stat *st, unsigned *status,
                uint64_t *length)
{
    unsigned char *head = malloc(EXIF_THUMB_SCAN), *body = NULL;
    struct exif_thumb t;
    char etag[COND_ETAG_MAX + 8];
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_IF_NONE_MATCH);
    struct cond_headers h = {.if_none_match = inm};
    struct cond_validators v = {.etag = etag, .mtime = st->st_mtime};
    struct MHD_Response *r;
    ssize_t n;
    size_t len = 0;
    int exif;
    enum MHD_Result ret;

    if (!head)
        return THUMB_NONE;
    n = read_head(fd, head);
    exif = n >= 0 && exif_thumb_find(head, (size_t)n, &t) == 0;
    if (!exif && (n < 0 || !thumb_scale_knows(head, (size_t)n))) {
        free(head);
        return THUMB_NONE;
    }
    cond_etag(st, etag);
    memcpy(etag + strlen(etag) - 1, "-thumb\"", 8); /* inside the quotes */
    *status = cond_evaluate(&h, &v, 1) == COND_NOT_MODIFIED ? 304 : 200;
    if (*status == 200 && exif) { /* SOI, the orientation when turned, the rest */
        body = malloc(t.length + EXIF_ORIENTATION_SEGMENT);
        if (body) {
            body[0] = 0xFF;
            body[1] = 0xD8;
            len = 2;
            if (t.orientation != 1)
                len += exif_orientation_segment(t.orientation, body + 2);
            memcpy(body + len, head + t.offset + 2, t.length - 2);
            len += t.length - 2;
        }
    } else if (*status == 200 && scale_file(fd, t.orientation, &body, &len) < 0) {
        free(head); /* not a picture it can read: the file answers */
        return THUMB_NONE;
    }
    free(head);
    close(fd);
    *length = len;
    if (*status == 200 && !body)
        return MHD_NO;
    /* (for HEAD, libmicrohttpd sends the headers alone) */
    r = *status == 304 ? mhd_compat_response_304()
                       : MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    if (*status == 200)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "image/jpeg");
    ret = srv_queue_response(c, *status, r);
    MHD_destroy_response(r);
    return ret;
}
