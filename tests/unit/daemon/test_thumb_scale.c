/*
 * test_thumb_scale.c — unit tests of daemon/share/thumb-scale.c on pictures made
 * here (PNGs with libpng's simplified writer or byte by byte, JPEGs with
 * libjpeg) and read back from the JPEG it makes: sizes (the longer side
 * 256, small pictures kept, a 1-pixel line), colours where they belong,
 * the eight Exif orientations, transparency on white, grey pictures, and
 * the refusals: garbage, a truncated PNG, a CMYK JPEG, an interlaced PNG,
 * and headers claiming more pixels than allowed (refused before any
 * allocation of that size). The limits on cost (issue 16): a progressive
 * JPEG of 704 valid scans is refused (-EFBIG) and one of 6 is made, or
 * refused under a limit of 3; a deadline already passed gives -ETIMEDOUT
 * for a JPEG, a progressive JPEG and a PNG, a cancel flag -ECANCELED; a
 * 48-megapixel PNG header is over the PNG bound; thumb_scale_over() tells
 * pictures over the bounds from their first bytes. Built only with
 * --with-thumbnails.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "thumb-scale.h"

/* A picture in memory: its file's bytes. */
struct file {
    unsigned char *b;
    size_t n;
};

/* Decoded thumbnail: w x h RGB. */
struct rgb {
    unsigned w, h;
    unsigned char *p;
};

/* Runs thumb_scale() on the bytes of f through a memory FILE. */
static int scale(const struct file *f, unsigned orientation, unsigned char **out, size_t *len)
{
    FILE *in = fmemopen(f->b, f->n, "rb");
    int rc;

    assert_non_null(in);
    rc = thumb_scale(in, orientation, NULL, out, len);
    fclose(in);
    return rc;
}

/* Runs thumb_scale() on f within lim; frees what it made. Returns its code. */
static int scale_within(const struct file *f, const struct thumb_scale_limits *lim)
{
    FILE *in = fmemopen(f->b, f->n, "rb");
    unsigned char *out = NULL;
    size_t len = 0;
    int rc;

    assert_non_null(in);
    rc = thumb_scale(in, 1, lim, &out, &len);
    fclose(in);
    assert_true(rc == 0 ? out != NULL : out == NULL);
    free(out);
    return rc;
}

/* Decodes the JPEG thumbnail at b (len bytes). */
static struct rgb decode(const unsigned char *b, size_t len)
{
    struct jpeg_decompress_struct ci;
    struct jpeg_error_mgr err;
    struct rgb r;

    ci.err = jpeg_std_error(&err);
    jpeg_create_decompress(&ci);
    jpeg_mem_src(&ci, b, (unsigned long)len);
    assert_int_equal(jpeg_read_header(&ci, TRUE), JPEG_HEADER_OK);
    ci.out_color_space = JCS_RGB;
    jpeg_start_decompress(&ci);
    r.w = ci.output_width;
    r.h = ci.output_height;
    r.p = malloc((size_t)r.w * r.h * 3);
    assert_non_null(r.p);
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW row = r.p + (size_t)ci.output_scanline * r.w * 3;

        jpeg_read_scanlines(&ci, &row, 1);
    }
    jpeg_finish_decompress(&ci);
    jpeg_destroy_decompress(&ci);
    return r;
}

/* Scales f with `orientation`, expects success, returns the decoded result. */
static struct rgb thumb_of(const struct file *f, unsigned orientation)
{
    unsigned char *out;
    size_t len;
    struct rgb r;

    assert_int_equal(scale(f, orientation, &out, &len), 0);
    assert_true(len > 100 && out[0] == 0xFF && out[1] == 0xD8);
    r = decode(out, len);
    free(out);
    return r;
}

/* Whether the pixel at x, y is near (r, g, b): JPEG moves colours a little. */
static int near(const struct rgb *t, unsigned x, unsigned y, int r, int g, int b)
{
    const unsigned char *p = t->p + ((size_t)y * t->w + x) * 3;

    return abs(p[0] - r) < 40 && abs(p[1] - g) < 40 && abs(p[2] - b) < 40;
}

#define RED 255, 0, 0
#define BLUE 0, 0, 255

/* t is w x h, red on its left, blue on its right (halves() below, upright). */
static void assert_halves(const struct rgb *t, unsigned w, unsigned h)
{
    assert_int_equal(t->w, w);
    assert_int_equal(t->h, h);
    assert_true(near(t, 10, h / 2, RED));
    assert_true(near(t, w - 11, h / 2, BLUE));
}

/* A w x h PNG of `format` (libpng's PNG_FORMAT_*) whose pixels pix() gives. */
static struct file png_of(unsigned w, unsigned h, png_uint_32 format,
                          void (*pix)(unsigned x, unsigned y, unsigned char *px))
{
    png_image img;
    unsigned ch;
    unsigned char *buf;
    png_alloc_size_t n = 0;
    struct file f;

    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = w;
    img.height = h;
    img.format = format;
    ch = PNG_IMAGE_PIXEL_CHANNELS(format);
    buf = malloc((size_t)w * h * ch);
    assert_non_null(buf);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            pix(x, y, buf + ((size_t)y * w + x) * ch);
    assert_true(png_image_write_to_memory(&img, NULL, &n, 0, buf, 0, NULL));
    f.b = malloc(n);
    f.n = n;
    assert_non_null(f.b);
    assert_true(png_image_write_to_memory(&img, f.b, &n, 0, buf, 0, NULL));
    free(buf);
    return f;
}

/* A w x h JPEG of `components` (3 RGB, 1 grey, 4 CMYK) whose pixels pix() gives. */
static struct file jpeg_of(unsigned w, unsigned h, int components,
                           void (*pix)(unsigned x, unsigned y, unsigned char *px))
{
    struct jpeg_compress_struct co;
    struct jpeg_error_mgr err;
    unsigned char *mem = NULL, *row = malloc((size_t)w * components);
    unsigned long size = 0;
    struct file f;

    assert_non_null(row);
    co.err = jpeg_std_error(&err);
    jpeg_create_compress(&co);
    jpeg_mem_dest(&co, &mem, &size);
    co.image_width = w;
    co.image_height = h;
    co.input_components = components;
    co.in_color_space = components == 3 ? JCS_RGB : components == 1 ? JCS_GRAYSCALE : JCS_CMYK;
    jpeg_set_defaults(&co);
    jpeg_set_quality(&co, 90, TRUE);
    jpeg_start_compress(&co, TRUE);
    while (co.next_scanline < h) {
        unsigned char px[4] = {0, 0, 0, 0};

        for (unsigned x = 0; x < w; x++) {
            pix(x, co.next_scanline, px);
            memcpy(row + (size_t)x * components, px, (size_t)components);
        }
        jpeg_write_scanlines(&co, &row, 1);
    }
    jpeg_finish_compress(&co);
    jpeg_destroy_compress(&co);
    free(row);
    f.b = mem;
    f.n = size;
    return f;
}

/*
 * A w x h grey progressive JPEG whose pixels pix() gives: with `many`, of
 * every scan libjpeg allows (the DC coefficient and each AC coefficient on
 * its own, each first sent at Al 10 and then refined bit by bit: 11 + 63 *
 * 11 = 704 scans), else libjpeg's usual progression (6 scans for grey).
 */
static struct file progressive_of(unsigned w, unsigned h, int many,
                                  void (*pix)(unsigned x, unsigned y, unsigned char *px))
{
    static jpeg_scan_info scans[704];
    struct jpeg_compress_struct co;
    struct jpeg_error_mgr err;
    unsigned char *mem = NULL, *row = malloc(w);
    unsigned long size = 0;
    int n = 0;
    struct file f;

    assert_non_null(row);
    for (int k = 0; k < 64; k++)
        for (int al = 10; al >= 0; al--)
            scans[n++] = (jpeg_scan_info){.comps_in_scan = 1, .component_index = {0},
                                          .Ss = k, .Se = k, .Ah = al == 10 ? 0 : al + 1,
                                          .Al = al};
    co.err = jpeg_std_error(&err);
    jpeg_create_compress(&co);
    jpeg_mem_dest(&co, &mem, &size);
    co.image_width = w;
    co.image_height = h;
    co.input_components = 1;
    co.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&co);
    jpeg_set_quality(&co, 90, TRUE);
    if (many) {
        co.scan_info = scans;
        co.num_scans = n;
    } else {
        jpeg_simple_progression(&co);
    }
    jpeg_start_compress(&co, TRUE);
    while (co.next_scanline < h) {
        for (unsigned x = 0; x < w; x++)
            pix(x, co.next_scanline, row + x);
        jpeg_write_scanlines(&co, &row, 1);
    }
    jpeg_finish_compress(&co);
    jpeg_destroy_compress(&co);
    free(row);
    f.b = mem;
    f.n = size;
    return f;
}

/* Left half red, right half blue (of a 2000-wide picture, or any). */
static unsigned halves_w;
static void halves(unsigned x, unsigned y, unsigned char *px)
{
    (void)y;
    px[0] = x < halves_w / 2 ? 255 : 0;
    px[1] = 0;
    px[2] = x < halves_w / 2 ? 0 : 255;
}

static void test_png_sizes_and_colours(void **state)
{
    (void)state;
    halves_w = 2000;
    struct file f = png_of(2000, 1000, PNG_FORMAT_RGB, halves);
    struct rgb t = thumb_of(&f, 1);

    assert_halves(&t, 256, 128);
    free(t.p);
    free(f.b);

    halves_w = 30; /* taller than wide, and a small one kept as it is */
    f = png_of(30, 4000, PNG_FORMAT_RGB, halves);
    t = thumb_of(&f, 1);
    assert_int_equal(t.w, 2); /* 30 * 256 / 4000 = 1.9 */
    assert_int_equal(t.h, 256);
    free(t.p);
    free(f.b);
    f = png_of(30, 20, PNG_FORMAT_RGB, halves);
    t = thumb_of(&f, 1);
    assert_int_equal(t.w, 30);
    assert_int_equal(t.h, 20);
    assert_true(near(&t, 2, 10, RED));
    assert_true(near(&t, 27, 10, BLUE));
    free(t.p);
    free(f.b);

    halves_w = 3000; /* a line: never 0 pixels high */
    f = png_of(3000, 1, PNG_FORMAT_RGB, halves);
    t = thumb_of(&f, 1);
    assert_int_equal(t.w, 256);
    assert_int_equal(t.h, 1);
    free(t.p);
    free(f.b);
}

static void test_orientations(void **state)
{
    (void)state;
    /* where the red half (the picture's left) ends up once upright */
    static const struct {
        unsigned o, w, h;
        unsigned rx, ry, bx, by; /* a red and a blue pixel */
    } want[] = {
        {1, 256, 128, 10, 64, 245, 64},  {2, 256, 128, 245, 64, 10, 64},
        {3, 256, 128, 245, 64, 10, 64},  {4, 256, 128, 10, 64, 245, 64},
        {5, 128, 256, 64, 10, 64, 245},  {6, 128, 256, 64, 10, 64, 245},
        {7, 128, 256, 64, 245, 64, 10},  {8, 128, 256, 64, 245, 64, 10},
        {0, 256, 128, 10, 64, 245, 64},  {9, 256, 128, 10, 64, 245, 64},
    };
    halves_w = 2000;
    struct file f = png_of(2000, 1000, PNG_FORMAT_RGB, halves);

    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        struct rgb t = thumb_of(&f, want[i].o);

        assert_int_equal(t.w, want[i].w);
        assert_int_equal(t.h, want[i].h);
        assert_true(near(&t, want[i].rx, want[i].ry, RED));
        assert_true(near(&t, want[i].bx, want[i].by, BLUE));
        free(t.p);
    }
    free(f.b);
}

/* Top half: transparent; bottom half: black at alpha 128. */
static void see_through(unsigned x, unsigned y, unsigned char *px)
{
    (void)x;
    px[0] = px[1] = px[2] = 0;
    px[3] = y < 50 ? 0 : 128;
}

static void grey(unsigned x, unsigned y, unsigned char *px)
{
    (void)y;
    px[0] = x < 100 ? 40 : 200;
}

static void test_png_kinds(void **state)
{
    (void)state;
    struct file f = png_of(100, 100, PNG_FORMAT_RGBA, see_through);
    struct rgb t = thumb_of(&f, 1);

    assert_int_equal(t.w, 100);
    assert_true(near(&t, 50, 20, 255, 255, 255)); /* on white */
    assert_true(near(&t, 50, 80, 127, 127, 127));
    free(t.p);
    free(f.b);

    f = png_of(200, 50, PNG_FORMAT_GRAY, grey);
    t = thumb_of(&f, 1);
    assert_true(near(&t, 20, 25, 40, 40, 40));
    assert_true(near(&t, 180, 25, 200, 200, 200));
    free(t.p);
    free(f.b);
}

static void test_jpeg(void **state)
{
    (void)state;
    halves_w = 1600;
    struct file f = jpeg_of(1600, 1200, 3, halves);
    struct rgb t = thumb_of(&f, 1);

    assert_halves(&t, 256, 192);
    free(t.p);
    t = thumb_of(&f, 6);
    assert_int_equal(t.w, 192);
    assert_int_equal(t.h, 256);
    assert_true(near(&t, 96, 10, RED));
    free(t.p);
    free(f.b);

    f = jpeg_of(300, 100, 1, grey);
    t = thumb_of(&f, 1);
    assert_int_equal(t.w, 256);
    assert_true(near(&t, 20, 40, 40, 40, 40));
    free(t.p);
    free(f.b);
}

/* Appends a PNG chunk (length, type, data, CRC) to buf at *n. */
static void chunk(unsigned char *buf, size_t *n, const char *type, const unsigned char *d,
                  size_t len)
{
    unsigned char *p = buf + *n;
    uLong crc;

    p[0] = (unsigned char)(len >> 24);
    p[1] = (unsigned char)(len >> 16);
    p[2] = (unsigned char)(len >> 8);
    p[3] = (unsigned char)len;
    memcpy(p + 4, type, 4);
    if (len)
        memcpy(p + 8, d, len);
    crc = crc32(crc32(0, NULL, 0), p + 4, (uInt)(4 + len));
    p[8 + len] = (unsigned char)(crc >> 24);
    p[9 + len] = (unsigned char)(crc >> 16);
    p[10 + len] = (unsigned char)(crc >> 8);
    p[11 + len] = (unsigned char)crc;
    *n += 12 + len;
}

/* A PNG of a header only (w x h, 8-bit RGB, interlaced or not), an IDAT of
 * a few bytes and an IEND: enough for everything before the pixels. */
static struct file png_header(unsigned w, unsigned h, int interlace)
{
    static unsigned char buf[128];
    unsigned char ihdr[13] = {(unsigned char)(w >> 24), (unsigned char)(w >> 16),
                              (unsigned char)(w >> 8), (unsigned char)w,
                              (unsigned char)(h >> 24), (unsigned char)(h >> 16),
                              (unsigned char)(h >> 8), (unsigned char)h,
                              8, 2, 0, 0, (unsigned char)interlace};
    static const unsigned char idat[] = {0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
    size_t n = 8;

    memcpy(buf, "\x89PNG\r\n\x1a\n", 8);
    chunk(buf, &n, "IHDR", ihdr, sizeof ihdr);
    chunk(buf, &n, "IDAT", idat, sizeof idat);
    chunk(buf, &n, "IEND", NULL, 0);
    return (struct file){.b = buf, .n = n};
}

static void test_refused(void **state)
{
    (void)state;
    unsigned char *out = (unsigned char *)"x";
    size_t len = 1;
    struct file f = {.b = (unsigned char *)"not a picture at all", .n = 20};

    assert_int_equal(scale(&f, 1, &out, &len), -EINVAL);
    assert_null(out);
    assert_int_equal(len, 0);
    f.n = 0;
    assert_int_equal(scale(&f, 1, &out, &len), -EINVAL);

    halves_w = 2000; /* a PNG cut in its pixels */
    f = png_of(2000, 1000, PNG_FORMAT_RGB, halves);
    for (size_t cut = 1; cut < f.n; cut += f.n / 7) {
        struct file part = {.b = f.b, .n = cut};

        assert_int_equal(scale(&part, 1, &out, &len), -EINVAL);
        assert_null(out);
    }
    free(f.b);

    f = jpeg_of(64, 64, 4, halves);
    assert_int_equal(scale(&f, 1, &out, &len), -ENOTSUP);
    free(f.b);

    f = png_header(64, 64, 1);
    assert_int_equal(scale(&f, 1, &out, &len), -ENOTSUP);
    f = png_header(64, 64, 0); /* the same, not interlaced: its pixels are missing */
    assert_int_equal(scale(&f, 1, &out, &len), -EINVAL);
    f = png_header(20000, 20000, 0); /* 400 megapixels */
    assert_int_equal(scale(&f, 1, &out, &len), -EFBIG);
    f = png_header(THUMB_SCALE_MAX_SIDE + 1, 1, 0);
    assert_int_not_equal(scale(&f, 1, &out, &len), 0);
    assert_null(out);
}

/* How many scans (SOS markers) the JPEG f holds. */
static int count_scans(const struct file *f)
{
    int n = 0;

    for (size_t i = 0; i + 1 < f->n; i++)
        n += f->b[i] == 0xFF && f->b[i + 1] == 0xDA;
    return n;
}

static void test_scan_bound(void **state)
{
    (void)state;
    struct file many = progressive_of(512, 512, 1, grey);
    struct file usual = progressive_of(512, 512, 0, grey);
    struct thumb_scale_limits three = {.max_scans = 3};
    struct thumb_scale_limits all = {.max_scans = 1000};

    assert_int_equal(count_scans(&many), 704);
    assert_int_equal(scale_within(&many, NULL), -EFBIG); /* THUMB_SCALE_MAX_SCANS */
    assert_int_equal(scale_within(&many, &all), 0);      /* a valid picture */
    assert_true(count_scans(&usual) > 3 && count_scans(&usual) < THUMB_SCALE_MAX_SCANS);
    assert_int_equal(scale_within(&usual, NULL), 0);
    assert_int_equal(scale_within(&usual, &three), -EFBIG);
    free(many.b);
    free(usual.b);
}

/* CLOCK_MONOTONIC now, in ms, plus delta. */
static long long ms_from_now(long long delta)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 + delta;
}

static void test_time_bound(void **state)
{
    (void)state;
    halves_w = 1600;
    struct file kinds[3] = {jpeg_of(1600, 1200, 3, halves), progressive_of(640, 480, 0, grey),
                            png_of(1600, 1200, PNG_FORMAT_RGB, halves)};
    atomic_int stop = 0;
    struct thumb_scale_limits passed = {.deadline_ms = ms_from_now(-1)};
    struct thumb_scale_limits later = {.deadline_ms = ms_from_now(60000), .cancel = &stop};

    for (int i = 0; i < 3; i++) {
        assert_int_equal(scale_within(&kinds[i], &passed), -ETIMEDOUT);
        atomic_store(&stop, 0);
        assert_int_equal(scale_within(&kinds[i], &later), 0);
        atomic_store(&stop, 1);
        assert_int_equal(scale_within(&kinds[i], &later), -ECANCELED);
        free(kinds[i].b);
    }
}

static void test_png_bound(void **state)
{
    (void)state;
    struct file f = png_header(8000, 6000, 0); /* 48 megapixels: over the PNG bound */

    assert_int_equal(scale_within(&f, NULL), -EFBIG);
    f = png_header(6000, 6000, 0); /* 36: under it, read (and found cut) */
    assert_int_equal(scale_within(&f, NULL), -EINVAL);
}

static void test_over(void **state)
{
    (void)state;
    struct file f = png_header(20000, 20000, 0);
    struct file j;
    unsigned char *sof = NULL;

    assert_true(thumb_scale_over(f.b, f.n));
    f = png_header(8000, 6000, 0); /* 48 megapixels: over the PNG bound */
    assert_true(thumb_scale_over(f.b, f.n));
    f = png_header(THUMB_SCALE_MAX_SIDE + 1, 1, 0);
    assert_true(thumb_scale_over(f.b, f.n));
    f = png_header(6000, 6000, 0);
    assert_false(thumb_scale_over(f.b, f.n));
    assert_false(thumb_scale_over(f.b, 20)); /* too short to tell */

    halves_w = 64;
    j = jpeg_of(64, 48, 3, halves);
    assert_false(thumb_scale_over(j.b, j.n));
    for (size_t i = 2; i + 9 < j.n && !sof; i++) /* its SOF0: FF C0 len P H H W W */
        if (j.b[i] == 0xFF && j.b[i + 1] == 0xC0)
            sof = j.b + i;
    assert_non_null(sof);
    sof[5] = 16000 >> 8, sof[6] = 16000 & 0xFF, sof[7] = 16000 >> 8, sof[8] = 16000 & 0xFF;
    assert_true(thumb_scale_over(j.b, j.n)); /* 256 megapixels */
    assert_false(thumb_scale_over(j.b, (size_t)(sof - j.b) + 6)); /* cut before W */
    sof[5] = 0, sof[6] = 10, sof[7] = 40000 >> 8, sof[8] = 40000 & 0xFF;
    assert_true(thumb_scale_over(j.b, j.n)); /* 40000 wide */
    free(j.b);
    assert_false(thumb_scale_over((const unsigned char *)"\xFF\xD8\xFF\xE0\x00\x01", 6));
    assert_false(thumb_scale_over((const unsigned char *)"GIF89a", 6)); /* no screen yet */
}

static void test_knows(void **state)
{
    (void)state;
    assert_true(thumb_scale_knows((const unsigned char *)"\xFF\xD8\xFF\xE0", 4));
    assert_true(thumb_scale_knows((const unsigned char *)"\x89PNG\r\n\x1a\n", 8));
    assert_false(thumb_scale_knows((const unsigned char *)"\x89PNG\r\n\x1a", 7));
    assert_false(thumb_scale_knows((const unsigned char *)"\xFF\xD8", 2));
    /* the other kinds, in builds that read them (thumb-decode.h) */
#ifdef FERRY_THUMB_GIF
    const int gif = 1;
#else
    const int gif = 0;
#endif
#ifdef FERRY_THUMB_WEBP
    const int webp = 1;
#else
    const int webp = 0;
#endif
#ifdef FERRY_THUMB_HEIF
    const int heif = 1;
#else
    const int heif = 0;
#endif
    assert_int_equal(thumb_scale_knows((const unsigned char *)"GIF89a", 6), gif);
    assert_int_equal(thumb_scale_knows((const unsigned char *)"GIF87a", 6), gif);
    assert_false(thumb_scale_knows((const unsigned char *)"GIF89", 5));
    assert_int_equal(thumb_scale_knows((const unsigned char *)"RIFF\0\0\0\0WEBPVP8 ", 16), webp);
    assert_false(thumb_scale_knows((const unsigned char *)"RIFF\0\0\0\0WAVEfmt ", 16));
    assert_int_equal(thumb_scale_knows((const unsigned char *)"\0\0\0\x18" "ftypheic\0\0\0\0", 16),
                     heif);
    assert_int_equal(thumb_scale_knows((const unsigned char *)"\0\0\0\x18" "ftypmif1\0\0\0\0", 16),
                     heif);
    assert_false(thumb_scale_knows((const unsigned char *)"\0\0\0\x18" "ftypisom\0\0\0\0", 16));
    /* headers that already say too large: a GIF screen, a WebP's VP8L */
    assert_int_equal(thumb_scale_over((const unsigned char *)"GIF89a\x20\x4e\x20\x4e\x80\0\0", 13),
                     gif); /* 20000 x 20000 */
    assert_false(thumb_scale_over((const unsigned char *)"GIF89a\xa0\x0f\xa0\x0f\x80\0\0", 13)); /* 4000x4000 */
    {
        unsigned char w[33] = "RIFF\x19\0\0\0WEBPVP8L\x0d\0\0\0\x2f";
        unsigned bits = 16383u | 16383u << 14; /* 16384 x 16384 */

        w[21] = (unsigned char)bits, w[22] = (unsigned char)(bits >> 8);
        w[23] = (unsigned char)(bits >> 16), w[24] = (unsigned char)(bits >> 24);
        assert_int_equal(thumb_scale_over(w, sizeof w), webp);
        bits = 999u | 999u << 14; /* 1000 x 1000 */
        w[21] = (unsigned char)bits, w[22] = (unsigned char)(bits >> 8);
        w[23] = (unsigned char)(bits >> 16), w[24] = (unsigned char)(bits >> 24);
        assert_false(thumb_scale_over(w, sizeof w));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_sizes_and_colours),
        cmocka_unit_test(test_orientations),
        cmocka_unit_test(test_png_kinds),
        cmocka_unit_test(test_jpeg),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_scan_bound),
        cmocka_unit_test(test_time_bound),
        cmocka_unit_test(test_png_bound),
        cmocka_unit_test(test_over),
        cmocka_unit_test(test_knows),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
