/*
 * thumb-webp.c — WebP pictures for the thumbnail maker (thumb-decode.h),
 * with libwebp: the file is fed to libwebp's incremental decoder 64 KiB at
 * a time, which scales while it decodes (its own rescaler, memory following
 * the width) straight to the thumbnail's size; the limits are checked
 * between pieces. Animated WebP (frames need libwebpdemux and a canvas) is
 * not read: -ENOTSUP, answered as itself.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>

#include "thumb-decode.h"

#define PIECE (64 * 1024)

/* A WebP picture has no scaled decode of its own bits: every pixel costs,
 * as a PNG's does. */
#define WEBP_MAX_PIXELS THUMB_SCALE_MAX_PNG_PIXELS

static int webp_knows(const unsigned char *head, size_t len)
{
    return len >= 12 && memcmp(head, "RIFF", 4) == 0 && memcmp(head + 8, "WEBP", 4) == 0;
}

static int too_big(unsigned long long w, unsigned long long h)
{
    return w > THUMB_SCALE_MAX_SIDE || h > THUMB_SCALE_MAX_SIDE || w * h > WEBP_MAX_PIXELS;
}

static int webp_over(const unsigned char *head, size_t len)
{
    int w = 0, h = 0;

    return webp_knows(head, len) && WebPGetInfo(head, len, &w, &h) && too_big(w, h);
}

static int webp_decode(FILE *in, const struct thumb_scale_limits *lim, struct thumb_scaler *s)
{
    WebPDecoderConfig cfg;
    WebPIDecoder *idec = NULL;
    unsigned char *piece = malloc(PIECE);
    size_t got;
    unsigned dw, dh;
    int rc = -EINVAL;
    VP8StatusCode st;

    if (!piece || !WebPInitDecoderConfig(&cfg)) {
        free(piece);
        return -ENOMEM;
    }
    got = fread(piece, 1, PIECE, in);
    if (WebPGetFeatures(piece, got, &cfg.input) != VP8_STATUS_OK)
        goto done;
    if (too_big((unsigned)cfg.input.width, (unsigned)cfg.input.height)) {
        rc = -EFBIG;
        goto done;
    }
    if (cfg.input.has_animation) {
        rc = -ENOTSUP;
        goto done;
    }
    thumb_fit((unsigned)cfg.input.width, (unsigned)cfg.input.height, &dw, &dh);
    cfg.options.use_scaling = 1;
    cfg.options.scaled_width = (int)dw;
    cfg.options.scaled_height = (int)dh;
    cfg.output.colorspace = MODE_RGBA;
    idec = WebPIDecode(NULL, 0, &cfg);
    if (!idec) {
        rc = -ENOMEM;
        goto done;
    }
    for (;;) {
        if (got == 0) /* the file ended before the picture did */
            goto done;
        st = WebPIAppend(idec, piece, got);
        if (st == VP8_STATUS_OK)
            break;
        if (st != VP8_STATUS_SUSPENDED) {
            rc = st == VP8_STATUS_OUT_OF_MEMORY ? -ENOMEM
                 : st == VP8_STATUS_UNSUPPORTED_FEATURE ? -ENOTSUP : -EINVAL;
            goto done;
        }
        rc = thumb_limits_check(lim);
        if (rc < 0)
            goto done;
        rc = -EINVAL;
        got = fread(piece, 1, PIECE, in);
    }
    if (cfg.output.width != (int)dw || cfg.output.height != (int)dh) /* never, but cheap */
        goto done;
    rc = thumb_scaler_init(s, dw, dh); /* already scaled: copied through */
    if (rc < 0)
        goto done;
    for (unsigned y = 0; y < dh; y++) {
        unsigned char *row = cfg.output.u.RGBA.rgba + (size_t)y * (size_t)cfg.output.u.RGBA.stride;

        for (unsigned x = 0; x < dw; x++) /* on white, in place: RGBA -> RGB */
            thumb_on_white(row + x * 4, row + x * 3);
        thumb_scaler_row(s, y, row);
    }
    thumb_scaler_flush(s);
    rc = 0;
done:
    if (idec)
        WebPIDelete(idec);
    WebPFreeDecBuffer(&cfg.output);
    free(piece);
    return rc;
}

static const struct thumb_decoder webp = {"WebP", webp_knows, webp_over, webp_decode};
const struct thumb_decoder *const thumb_decoder_webp = &webp;
