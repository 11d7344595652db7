/*
 * thumb-decode.h — what the thumbnail maker (share/thumb-scale.c, which
 * reads JPEG and PNG itself) shares with the decoders of other kinds of
 * pictures, each in a file of its own chosen by configure: HEIC/HEIF
 * (share/thumb-heif.c, libheif), WebP (share/thumb-webp.c, libwebp) and
 * GIF (share/thumb-gif.c, giflib), or its -none.c twin, which sets the
 * decoder to NULL. Internal to the thumbnail maker.
 */
#ifndef FERRY_THUMB_DECODE_H
#define FERRY_THUMB_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "thumb-scale.h"

/* Averages rows of sw x sh RGB pixels down to dw x dh (the thumbnail's
 * size: the longer side THUMB_SCALE_SIDE, or the picture's own when
 * smaller): each source pixel counts once, toward the output pixel its
 * position maps to. Memory follows sw, not sw x sh. */
struct thumb_scaler {
    unsigned sw, sh, dw, dh;
    unsigned *xmap;   /* sw: the output column of each source column */
    unsigned *xcount; /* dw: source columns per output column */
    uint64_t *acc;    /* dw * 3: sums for the output row being made */
    unsigned rows;    /* source rows summed in acc */
    unsigned oy;      /* the output row being made */
    unsigned char *pix; /* dw * dh * 3: the result */
};

/* The thumbnail's size for a sw x sh picture; never 0. */
void thumb_fit(unsigned sw, unsigned sh, unsigned *dw, unsigned *dh);

/* Sets s up for a sw x sh source. Returns 0 or -ENOMEM (s then holds
 * nothing). thumb_scaler_free() in both cases. */
int thumb_scaler_init(struct thumb_scaler *s, unsigned sw, unsigned sh);

/* Adds source row y (sw RGB pixels); rows come in order, 0 first. */
void thumb_scaler_row(struct thumb_scaler *s, unsigned y, const unsigned char *rgb);

/* Writes the last output row; call after the last source row. */
void thumb_scaler_flush(struct thumb_scaler *s);

/* Frees what s holds; s may be zeroed or half made. */
void thumb_scaler_free(struct thumb_scaler *s);

/* 0 while a picture may still be read under lim (filled in), else
 * -ECANCELED or -ETIMEDOUT. */
int thumb_limits_check(const struct thumb_scale_limits *lim);

/* Lays the RGBA pixel at p on white into RGB at out (may be p). */
static inline void thumb_on_white(const unsigned char *p, unsigned char *out)
{
    unsigned a = p[3];

    for (unsigned c = 0; c < 3; c++)
        out[c] = (unsigned char)((p[c] * a + 255 * (255 - a) + 127) / 255);
}

/*
 * One kind of picture. knows(): whether a file's first len bytes start one
 * (len >= 16 is enough). over(): whether they already show it over the
 * kind's bounds (0 when they do not, or cannot tell). decode(): reads the
 * picture from `in` (its position at the picture's start; stays the
 * caller's) into s, which it sets up with thumb_scaler_init() and fills,
 * within lim (filled in; checked between pieces of the picture, as often
 * as the library lets), returning 0 or the errors of thumb_scale()
 * (-EINVAL broken, -ENOTSUP a variant not read, -EFBIG over the bounds,
 * -ETIMEDOUT, -ECANCELED, -ENOMEM); s is freed by the caller either way.
 */
struct thumb_decoder {
    const char *name;
    int (*knows)(const unsigned char *head, size_t len);
    int (*over)(const unsigned char *head, size_t len);
    int (*decode)(FILE *in, const struct thumb_scale_limits *lim, struct thumb_scaler *s);
};

/* The decoders of this build; NULL when configured without. */
extern const struct thumb_decoder *const thumb_decoder_heif;
extern const struct thumb_decoder *const thumb_decoder_webp;
extern const struct thumb_decoder *const thumb_decoder_gif;

#endif
