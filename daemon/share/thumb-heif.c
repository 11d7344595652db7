/*
 * thumb-heif.c — HEIC/HEIF pictures (what iPhones shoot) for the thumbnail
 * maker (thumb-decode.h), with libheif. A HEIC from a phone carries a small
 * picture of its own (a thumbnail item, ~320x240): that one is decoded when
 * it is at least THUMB_SCALE_SIDE on its longer side, as the Exif thumbnail
 * of a JPEG is preferred. Else the primary picture is decoded whole (libheif
 * has no scaled or row-by-row decode) when it is at most HEIF_MAX_PIXELS;
 * libheif applies the picture's own rotation and mirroring. libheif cannot
 * be stopped inside a decode, so the limits are checked before it and after
 * it (a picture that took too long is failed, and remembered so); the pixel
 * bound is what keeps one decode short. Decoding runs on the calling thread
 * (no libheif worker threads). The file is read through a libheif reader
 * over the FILE, never whole into memory by ferry.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <libheif/heif.h>

#include "thumb-decode.h"

/* The primary picture is decoded whole: 48 megapixels (an iPhone's "HEIF
 * Max") fit; larger ones are answered as themselves. */
#define HEIF_MAX_PIXELS (50000000ull)
#define HEIF_MAX_THUMB_PIXELS (4000000ull) /* a thumbnail item bigger than
                                              this is no thumbnail */

/* The ISO BMFF "ftyp" box's major brands of HEIF pictures libheif reads. */
static int heif_knows(const unsigned char *head, size_t len)
{
    static const char brands[][4] = {{'h', 'e', 'i', 'c'}, {'h', 'e', 'i', 'x'},
                                     {'h', 'e', 'i', 'm'}, {'h', 'e', 'i', 's'},
                                     {'m', 'i', 'f', '1'}, {'m', 's', 'f', '1'}};

    if (len < 12 || memcmp(head + 4, "ftyp", 4) != 0)
        return 0;
    for (size_t i = 0; i < sizeof brands / sizeof *brands; i++)
        if (memcmp(head + 8, brands[i], 4) == 0)
            return 1;
    return 0;
}

static int heif_over(const unsigned char *head, size_t len)
{
    (void)head;
    (void)len;
    return 0; /* the size lies in boxes further in: decode() tells */
}

/* ------------------------------------------------------------ the reader */

struct source {
    FILE *f;
    int64_t size; /* the file's size, from where the picture starts */
    int64_t base; /* where it starts in f */
};

static int64_t src_position(void *u)
{
    struct source *s = u;

    return (int64_t)ftello(s->f) - s->base;
}

static int src_read(void *data, size_t size, void *u)
{
    struct source *s = u;

    return fread(data, 1, size, s->f) == size ? 0 : -1;
}

static int src_seek(int64_t pos, void *u)
{
    struct source *s = u;

    return pos < 0 || pos > s->size ? -1 : fseeko(s->f, (off_t)(s->base + pos), SEEK_SET);
}

static enum heif_reader_grow_status src_wait(int64_t target, void *u)
{
    struct source *s = u;

    return target <= s->size ? heif_reader_grow_status_size_reached
                             : heif_reader_grow_status_size_beyond_eof;
}

static const struct heif_reader reader = {
    .reader_api_version = 1,
    .get_position = src_position,
    .read = src_read,
    .seek = src_seek,
    .wait_for_file_size = src_wait,
};

/* heif_init() loads libheif's decoder plugins (libheif 1.14 and later keep
 * them apart); once per process, never undone. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init(void)
{
    heif_init(NULL);
}

/* The handle to decode: the thumbnail item of `main` when there is one of
 * a useful size, else main itself (a new reference either way, or NULL). */
static struct heif_image_handle *pick(struct heif_image_handle *main)
{
    heif_item_id ids[4];
    int n = heif_image_handle_get_list_of_thumbnail_IDs(main, ids, 4);

    for (int i = 0; i < n; i++) {
        struct heif_image_handle *t = NULL;
        unsigned long long w, h;

        if (heif_image_handle_get_thumbnail(main, ids[i], &t).code != heif_error_Ok || !t)
            continue;
        w = (unsigned)heif_image_handle_get_width(t);
        h = (unsigned)heif_image_handle_get_height(t);
        if ((w >= THUMB_SCALE_SIDE || h >= THUMB_SCALE_SIDE) && w * h <= HEIF_MAX_THUMB_PIXELS)
            return t;
        heif_image_handle_release(t);
    }
    return NULL;
}

static int heif_error_rc(struct heif_error e)
{
    switch (e.code) {
    case heif_error_Ok:
        return 0;
    case heif_error_Memory_allocation_error:
        return -ENOMEM;
    case heif_error_Unsupported_feature:
    case heif_error_Unsupported_filetype:
        return -ENOTSUP;
    default:
        return e.subcode == heif_suberror_Security_limit_exceeded ? -EFBIG : -EINVAL;
    }
}

static int heif_decode(FILE *in, const struct thumb_scale_limits *lim, struct thumb_scaler *s)
{
    struct source src = {.f = in, .base = ftello(in)};
    struct heif_context *ctx = NULL;
    struct heif_image_handle *main = NULL, *h = NULL;
    struct heif_image *img = NULL;
    const uint8_t *plane;
    int stride = 0, rc;
    unsigned long long w, ht;

    if (src.base < 0 || fseeko(in, 0, SEEK_END) < 0 || (src.size = ftello(in) - src.base) < 0 ||
        fseeko(in, src.base, SEEK_SET) < 0)
        return -EINVAL;
    pthread_once(&init_once, init);
    ctx = heif_context_alloc();
    if (!ctx)
        return -ENOMEM;
    heif_context_set_maximum_image_size_limit(ctx, THUMB_SCALE_MAX_SIDE);
    heif_context_set_max_decoding_threads(ctx, 0);
    rc = heif_error_rc(heif_context_read_from_reader(ctx, &reader, &src, NULL));
    if (rc == 0)
        rc = heif_error_rc(heif_context_get_primary_image_handle(ctx, &main));
    if (rc < 0)
        goto done;
    h = pick(main);
    if (!h) { /* no thumbnail item: the picture itself, if not too large */
        w = (unsigned)heif_image_handle_get_width(main);
        ht = (unsigned)heif_image_handle_get_height(main);
        if (w == 0 || ht == 0) {
            rc = -EINVAL;
            goto done;
        }
        if (w > THUMB_SCALE_MAX_SIDE || ht > THUMB_SCALE_MAX_SIDE || w * ht > HEIF_MAX_PIXELS) {
            rc = -EFBIG;
            goto done;
        }
        h = main;
        main = NULL;
    }
    if ((rc = thumb_limits_check(lim)) < 0)
        goto done;
    rc = heif_error_rc(heif_decode_image(h, &img, heif_colorspace_RGB,
                                         heif_chroma_interleaved_RGBA, NULL));
    if (rc < 0)
        goto done;
    if ((rc = thumb_limits_check(lim)) < 0) /* it took too long: failed all the same */
        goto done;
    w = (unsigned)heif_image_get_width(img, heif_channel_interleaved);
    ht = (unsigned)heif_image_get_height(img, heif_channel_interleaved);
    plane = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
    if (!plane || w == 0 || ht == 0 || (unsigned long long)stride < w * 4) {
        rc = -EINVAL;
        goto done;
    }
    {
        unsigned char *row = malloc(w * 3);

        if (!row || thumb_scaler_init(s, (unsigned)w, (unsigned)ht) < 0) {
            free(row);
            rc = -ENOMEM;
            goto done;
        }
        for (unsigned y = 0; y < ht; y++) {
            const uint8_t *p = plane + (size_t)y * (size_t)stride;

            for (unsigned x = 0; x < w; x++)
                thumb_on_white(p + x * 4, row + x * 3);
            thumb_scaler_row(s, y, row);
        }
        thumb_scaler_flush(s);
        free(row);
    }
    rc = 0;
done:
    if (img)
        heif_image_release(img);
    if (h)
        heif_image_handle_release(h);
    if (main)
        heif_image_handle_release(main);
    heif_context_free(ctx);
    return rc;
}

static const struct thumb_decoder heif = {"HEIF", heif_knows, heif_over, heif_decode};
const struct thumb_decoder *const thumb_decoder_heif = &heif;
