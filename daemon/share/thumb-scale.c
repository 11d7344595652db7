/*
 * thumb-scale.c — JPEG thumbnails of JPEG and PNG pictures with libjpeg
 * (libjpeg-turbo) and libpng; see thumb-scale.h. Both libraries report
 * errors by longjmp: each decoder keeps what it must free in a struct that
 * outlives its setjmp, and never returns through a library frame. The
 * limits on time and scans are checked by libjpeg's progress monitor, which
 * leaves the same way, and in the PNG row loop.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jpeglib.h> /* after stdio.h and stddef.h, which it needs */
#include <jerror.h>
#include <png.h>

#include "thumb-decode.h"
#include "thumb-scale.h"

/* libjpeg may use this much memory for one picture (a progressive JPEG
 * keeps all its coefficients): past it, the picture is refused. */
#define JPEG_MEMORY_MAX (64L << 20)

/* ---------------------------------------------------------------- limits */

int thumb_limits_check(const struct thumb_scale_limits *lim)
{
    struct timespec now;

    if (lim->cancel && atomic_load(lim->cancel))
        return -ECANCELED;
    if (!lim->deadline_ms)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 >= lim->deadline_ms)
        return -ETIMEDOUT;
    return 0;
}

/* Whether head starts a JPEG or PNG, the kinds read here. */
static int jpeg_or_png(const unsigned char *head, size_t len)
{
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    if (len >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
        return 1;
    return len >= 8 && memcmp(head, png_sig, 8) == 0;
}

/* The decoder of another kind that knows head, or NULL. */
static const struct thumb_decoder *other_kind(const unsigned char *head, size_t len)
{
    const struct thumb_decoder *const all[] = {thumb_decoder_heif, thumb_decoder_webp,
                                               thumb_decoder_gif};

    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i] && all[i]->knows(head, len))
            return all[i];
    return NULL;
}

int thumb_scale_knows(const unsigned char *head, size_t len)
{
    return jpeg_or_png(head, len) || other_kind(head, len);
}

/* Whether a w x h picture is over the sizes (max_pixels for its kind). */
static int over(unsigned long long w, unsigned long long h, unsigned long long max_pixels)
{
    return w > THUMB_SCALE_MAX_SIDE || h > THUMB_SCALE_MAX_SIDE || w * h > max_pixels;
}

int thumb_scale_over(const unsigned char *head, size_t len)
{
    size_t i = 2;
    const struct thumb_decoder *k;

    if (!jpeg_or_png(head, len))
        return (k = other_kind(head, len)) && k->over(head, len);
    if (head[0] == 0x89) /* PNG: the IHDR chunk comes first */
        return len >= 24 && memcmp(head + 12, "IHDR", 4) == 0 &&
               over((unsigned long long)head[16] << 24 | head[17] << 16 | head[18] << 8 | head[19],
                    (unsigned long long)head[20] << 24 | head[21] << 16 | head[22] << 8 | head[23],
                    THUMB_SCALE_MAX_PNG_PIXELS);
    while (i + 4 <= len && head[i] == 0xFF) { /* JPEG: segments up to the SOF */
        unsigned m = head[i + 1];

        if (m == 0xFF) { /* a fill byte */
            i++;
            continue;
        }
        if (m == 0xDA || m == 0xD9) /* SOS or EOI before any SOF */
            return 0;
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { /* no length */
            i += 2;
            continue;
        }
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC)
            return i + 9 <= len &&
                   over((unsigned)head[i + 7] << 8 | head[i + 8],
                        (unsigned)head[i + 5] << 8 | head[i + 6], THUMB_SCALE_MAX_PIXELS);
        if (((unsigned)head[i + 2] << 8 | head[i + 3]) < 2)
            return 0;
        i += 2 + ((unsigned)head[i + 2] << 8 | head[i + 3]);
    }
    return 0;
}

/* ------------------------------------------------------------ averaging */

/* struct thumb_scaler (thumb-decode.h) does the averaging. */

void thumb_fit(unsigned sw, unsigned sh, unsigned *dw, unsigned *dh)
{
    unsigned long long side = THUMB_SCALE_SIDE;

    if (sw <= side && sh <= side) {
        *dw = sw;
        *dh = sh;
    } else if (sw >= sh) {
        *dw = (unsigned)side;
        *dh = (unsigned)((sh * side + sw / 2) / sw);
    } else {
        *dh = (unsigned)side;
        *dw = (unsigned)((sw * side + sh / 2) / sh);
    }
    if (*dw == 0)
        *dw = 1;
    if (*dh == 0)
        *dh = 1;
}

void thumb_scaler_free(struct thumb_scaler *s)
{
    free(s->xmap);
    free(s->xcount);
    free(s->acc);
    free(s->pix);
    memset(s, 0, sizeof *s);
}

int thumb_scaler_init(struct thumb_scaler *s, unsigned sw, unsigned sh)
{
    memset(s, 0, sizeof *s);
    s->sw = sw;
    s->sh = sh;
    thumb_fit(sw, sh, &s->dw, &s->dh);
    s->xmap = malloc(sizeof *s->xmap * sw);
    s->xcount = calloc(s->dw, sizeof *s->xcount);
    s->acc = calloc((size_t)s->dw * 3, sizeof *s->acc);
    s->pix = malloc((size_t)s->dw * s->dh * 3);
    if (!s->xmap || !s->xcount || !s->acc || !s->pix) {
        thumb_scaler_free(s);
        return -ENOMEM;
    }
    for (unsigned x = 0; x < sw; x++) {
        s->xmap[x] = (unsigned)((unsigned long long)x * s->dw / sw);
        s->xcount[s->xmap[x]]++;
    }
    return 0;
}

void thumb_scaler_flush(struct thumb_scaler *s)
{
    unsigned char *o = s->pix + (size_t)s->oy * s->dw * 3;

    if (!s->rows)
        return;
    for (unsigned x = 0; x < s->dw; x++) {
        uint64_t n = (uint64_t)s->xcount[x] * s->rows;

        for (unsigned c = 0; c < 3; c++)
            o[x * 3 + c] = (unsigned char)((s->acc[x * 3 + c] + n / 2) / n);
    }
    memset(s->acc, 0, sizeof *s->acc * s->dw * 3);
    s->rows = 0;
}

void thumb_scaler_row(struct thumb_scaler *s, unsigned y, const unsigned char *rgb)
{
    unsigned oy = (unsigned)((unsigned long long)y * s->dh / s->sh);

    if (oy != s->oy) {
        thumb_scaler_flush(s);
        s->oy = oy;
    }
    for (unsigned x = 0; x < s->sw; x++) {
        uint64_t *a = s->acc + (size_t)s->xmap[x] * 3;

        a[0] += rgb[x * 3];
        a[1] += rgb[x * 3 + 1];
        a[2] += rgb[x * 3 + 2];
    }
    s->rows++;
}

/* --------------------------------------------------------------- upright */

/*
 * Turns the w x h RGB pixels at src upright as Exif orientation o says
 * (2 mirrored, 3 turned 180°, 4 upside-down mirror, 5-8 the same with
 * width and height swapped; 6 is "turn 90° clockwise to view"). Returns the
 * new pixels (malloc'd) with *ow x *oh, or NULL (-ENOMEM). For o 1 the
 * pixels are copied as they are.
 */
static unsigned char *upright(const unsigned char *src, unsigned w, unsigned h, unsigned o,
                              unsigned *ow, unsigned *oh)
{
    int swap = o >= 5 && o <= 8;
    unsigned W = swap ? h : w, H = swap ? w : h;
    unsigned char *dst = malloc((size_t)w * h * 3);

    if (!dst)
        return NULL;
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            unsigned dx, dy;

            switch (o) {
            case 2: dx = w - 1 - x; dy = y; break;
            case 3: dx = w - 1 - x; dy = h - 1 - y; break;
            case 4: dx = x; dy = h - 1 - y; break;
            case 5: dx = y; dy = x; break;
            case 6: dx = h - 1 - y; dy = x; break;
            case 7: dx = h - 1 - y; dy = w - 1 - x; break;
            case 8: dx = y; dy = w - 1 - x; break;
            default: dx = x; dy = y; break;
            }
            memcpy(dst + ((size_t)dy * W + dx) * 3, src + ((size_t)y * w + x) * 3, 3);
        }
    *ow = W;
    *oh = H;
    return dst;
}

/* ------------------------------------------------------------------ JPEG */

/* libjpeg's error manager, leaving by longjmp instead of exit(). */
struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf jmp;
};

static void jpeg_fail_exit(j_common_ptr ci)
{
    longjmp(((struct jpeg_fail *)ci->err)->jmp, 1);
}

static void jpeg_quiet(j_common_ptr ci, int level)
{
    (void)ci;
    (void)level; /* warnings (a truncated file...) are not worth a log line */
}

static void jpeg_fail_init(struct jpeg_fail *f)
{
    jpeg_std_error(&f->mgr);
    f->mgr.error_exit = jpeg_fail_exit;
    f->mgr.emit_message = jpeg_quiet;
}

/* What a decoder fills, kept outside its setjmp: everything the caller
 * frees, also after a failure. */
struct decode {
    struct thumb_scaler s;
    unsigned char *row;
    struct thumb_scale_limits lim; /* filled in: max_scans is never 0 */
    int why;                /* what stopped libjpeg's progress monitor, or 0 */
};

/* libjpeg's progress monitor, called between the rows of each scan while
 * jpeg_start_decompress() reads a progressive JPEG's scans and on each
 * jpeg_read_scanlines(): leaves through error_exit (a longjmp) once the
 * scans or time are over the limits, with d->why saying which. */
struct jpeg_watch {
    struct jpeg_progress_mgr mgr; /* first: libjpeg hands back &mgr */
    struct decode *d;
};

static void jpeg_watch_monitor(j_common_ptr ci)
{
    struct decode *d = ((struct jpeg_watch *)ci->progress)->d;
    j_decompress_ptr di = (j_decompress_ptr)ci;
    int rc = di->input_scan_number > (int)d->lim.max_scans ? -EFBIG : thumb_limits_check(&d->lim);

    if (rc) {
        d->why = rc;
        ci->err->error_exit(ci);
    }
}

/* Reads the JPEG in `in` into d->s, scaled by libjpeg by the largest of
 * 1/8, 1/4, 1/2 that leaves it at least THUMB_SCALE_SIDE, within d->lim
 * (its progress monitor, jpeg_watch_monitor()). Returns 0 or a negative
 * errno (d holds what to free either way). */
static int jpeg_decode(FILE *in, struct decode *d)
{
    struct jpeg_decompress_struct ci;
    struct jpeg_fail fail;
    struct jpeg_watch watch = {.mgr = {.progress_monitor = jpeg_watch_monitor}, .d = d};
    unsigned long long pixels;
    unsigned longer;

    jpeg_fail_init(&fail);
    ci.err = &fail.mgr;
    if (setjmp(fail.jmp)) { /* broken, over JPEG_MEMORY_MAX, or the limits */
        jpeg_destroy_decompress(&ci);
        return d->why ? d->why : -EINVAL;
    }
    jpeg_create_decompress(&ci);
    ci.mem->max_memory_to_use = JPEG_MEMORY_MAX;
    ci.progress = &watch.mgr;
    jpeg_stdio_src(&ci, in);
    jpeg_read_header(&ci, TRUE);
    pixels = (unsigned long long)ci.image_width * ci.image_height;
    if (ci.image_width > THUMB_SCALE_MAX_SIDE || ci.image_height > THUMB_SCALE_MAX_SIDE ||
        pixels > THUMB_SCALE_MAX_PIXELS) {
        jpeg_destroy_decompress(&ci);
        return -EFBIG;
    }
    if (ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&ci);
        return -ENOTSUP;
    }
    ci.out_color_space = JCS_RGB;
    ci.scale_num = 1;
    ci.scale_denom = 1;
    longer = ci.image_width > ci.image_height ? ci.image_width : ci.image_height;
    while (ci.scale_denom < 8 && longer / (ci.scale_denom * 2) >= THUMB_SCALE_SIDE)
        ci.scale_denom *= 2;
    jpeg_start_decompress(&ci);
    if (ci.output_components != 3 || thumb_scaler_init(&d->s, ci.output_width, ci.output_height) < 0 ||
        !(d->row = malloc((size_t)ci.output_width * 3))) {
        jpeg_destroy_decompress(&ci);
        return ci.output_components != 3 ? -ENOTSUP : -ENOMEM;
    }
    while (ci.output_scanline < ci.output_height) {
        unsigned y = ci.output_scanline;
        JSAMPROW rows[1] = {d->row};

        if (jpeg_read_scanlines(&ci, rows, 1) != 1)
            break;
        thumb_scaler_row(&d->s, y, d->row);
    }
    thumb_scaler_flush(&d->s);
    jpeg_abort_decompress(&ci); /* the rest of the file is not needed */
    jpeg_destroy_decompress(&ci);
    return 0;
}

/* ------------------------------------------------------------------- PNG */

/* libpng's error handler: back to png_decode()'s setjmp, without the
 * message libpng's own handler would print. */
static void png_fail(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void png_quiet(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Reads the PNG in `in` into d->s: any bit depth and colour type, as 8-bit
 * RGBA laid on white, within d->lim (checked before each row). Returns 0 or
 * a negative errno (d holds what to free either way). */
static int png_decode(FILE *in, struct decode *d)
{
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_fail, png_quiet);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *rgba;
    png_uint_32 w, h;
    int depth, type, interlace;

    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return -ENOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return -EINVAL;
    }
    png_set_user_limits(png, THUMB_SCALE_MAX_SIDE, THUMB_SCALE_MAX_SIDE);
    png_init_io(png, in);
    png_read_info(png, info);
    png_get_IHDR(png, info, &w, &h, &depth, &type, &interlace, NULL, NULL);
    if ((unsigned long long)w * h > THUMB_SCALE_MAX_PNG_PIXELS) {
        png_destroy_read_struct(&png, &info, NULL);
        return -EFBIG;
    }
    if (interlace != PNG_INTERLACE_NONE) { /* would need the whole picture */
        png_destroy_read_struct(&png, &info, NULL);
        return -ENOTSUP;
    }
    png_set_expand(png); /* palette, low-depth grey and tRNS: to RGB(A) */
    png_set_strip_16(png);
    png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 4 || thumb_scaler_init(&d->s, w, h) < 0 ||
        !(d->row = malloc((size_t)w * 4))) {
        png_destroy_read_struct(&png, &info, NULL);
        return -ENOMEM;
    }
    rgba = d->row;
    for (png_uint_32 y = 0; y < h; y++) {
        int rc = thumb_limits_check(&d->lim);

        if (rc < 0) {
            png_destroy_read_struct(&png, &info, NULL);
            return rc;
        }
        png_read_row(png, rgba, NULL);
        for (png_uint_32 x = 0; x < w; x++) { /* on white, in place: RGBA -> RGB */
            unsigned a = rgba[x * 4 + 3];

            for (unsigned c = 0; c < 3; c++)
                rgba[x * 3 + c] = (unsigned char)((rgba[x * 4 + c] * a + 255 * (255 - a) + 127) / 255);
        }
        thumb_scaler_row(&d->s, y, rgba);
    }
    thumb_scaler_flush(&d->s);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

/* ---------------------------------------------------------------- encode */

/* A JPEG destination growing a malloc'd buffer that stays reachable from
 * here whatever libjpeg does (its own jpeg_mem_dest() moves the buffer
 * where a failure cannot see it). */
struct grow_dest {
    struct jpeg_destination_mgr mgr;
    unsigned char *buf;
    size_t cap;
};

static void grow_init(j_compress_ptr co)
{
    struct grow_dest *g = (struct grow_dest *)co->dest;

    g->mgr.next_output_byte = g->buf;
    g->mgr.free_in_buffer = g->cap;
}

static boolean grow_more(j_compress_ptr co)
{
    struct grow_dest *g = (struct grow_dest *)co->dest;
    unsigned char *more = realloc(g->buf, g->cap * 2);

    if (!more)
        ERREXIT1(co, JERR_OUT_OF_MEMORY, 0);
    g->buf = more;
    g->mgr.next_output_byte = more + g->cap; /* libjpeg filled the old size */
    g->mgr.free_in_buffer = g->cap;
    g->cap *= 2;
    return TRUE;
}

static void grow_term(j_compress_ptr co)
{
    (void)co; /* the length is cap - free_in_buffer */
}

/* Encodes w x h RGB pixels as a JPEG in memory. Returns 0 with *out
 * (malloc'd) and *len, or -ENOMEM. */
static int jpeg_encode(const unsigned char *pix, unsigned w, unsigned h, unsigned char **out,
                       size_t *len)
{
    struct jpeg_compress_struct co;
    struct jpeg_fail fail;
    struct grow_dest g = {.cap = 32 * 1024};

    if (!(g.buf = malloc(g.cap)))
        return -ENOMEM;
    g.mgr.init_destination = grow_init;
    g.mgr.empty_output_buffer = grow_more;
    g.mgr.term_destination = grow_term;
    jpeg_fail_init(&fail);
    co.err = &fail.mgr;
    if (setjmp(fail.jmp)) { /* only an allocation can fail here */
        jpeg_destroy_compress(&co);
        free(g.buf);
        return -ENOMEM;
    }
    jpeg_create_compress(&co);
    co.dest = &g.mgr;
    co.image_width = w;
    co.image_height = h;
    co.input_components = 3;
    co.in_color_space = JCS_RGB;
    jpeg_set_defaults(&co);
    jpeg_set_quality(&co, THUMB_SCALE_QUALITY, TRUE);
    jpeg_start_compress(&co, TRUE);
    while (co.next_scanline < h) {
        JSAMPROW rows[1] = {(JSAMPROW)(pix + (size_t)co.next_scanline * w * 3)};

        jpeg_write_scanlines(&co, rows, 1);
    }
    jpeg_finish_compress(&co);
    jpeg_destroy_compress(&co);
    *out = g.buf;
    *len = g.cap - g.mgr.free_in_buffer;
    return 0;
}

int thumb_scale(FILE *in, unsigned orientation, const struct thumb_scale_limits *lim,
                unsigned char **out, size_t *len)
{
    unsigned char head[16];
    const struct thumb_decoder *k = NULL;
    size_t got;
    long start = ftell(in);
    struct decode d = {.row = NULL};

    if (lim)
        d.lim = *lim;
    if (!d.lim.max_scans)
        d.lim.max_scans = THUMB_SCALE_MAX_SCANS;
    unsigned char *up = NULL;
    unsigned w, h;
    int rc;

    *out = NULL;
    *len = 0;
    got = fread(head, 1, sizeof head, in);
    if (!jpeg_or_png(head, got) && !(k = other_kind(head, got)))
        return -EINVAL;
    if (start < 0 || fseek(in, start, SEEK_SET) < 0)
        return -EINVAL;
    if (k)
        rc = k->decode(in, &d.lim, &d.s);
    else
        rc = head[0] == 0xFF ? jpeg_decode(in, &d) : png_decode(in, &d);
    if (rc < 0)
        goto fail;
    up = upright(d.s.pix, d.s.dw, d.s.dh, orientation, &w, &h);
    rc = up ? jpeg_encode(up, w, h, out, len) : -ENOMEM;
fail:
    free(up);
    free(d.row);
    thumb_scaler_free(&d.s);
    return rc;
}
