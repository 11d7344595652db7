/*
 * test_exif_thumb.c — unit tests of daemon/share/exif-thumb.c on JPEG heads built
 * here byte by byte: the thumbnail found in little- and big-endian Exif,
 * after a JFIF APP0 too, with the picture's Orientation; refused when the
 * file is no JPEG, has no Exif, when an offset or length leaves the segment,
 * the thumbnail is not a whole JPEG, Compression is not JPEG, or IFD1 loops
 * to IFD0; every truncation of a good head is refused without reading past
 * it (run under ASan in the sanitizer build); the orientation told also
 * when there is no thumbnail; the orientation segment that thumb.c puts
 * into a turned thumbnail.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "exif-thumb.h"

/* A JPEG head under construction. */
struct head {
    unsigned char b[4096];
    size_t n;
    int big;
};

static void byte(struct head *h, unsigned v) { h->b[h->n++] = (unsigned char)v; }

static void u16(struct head *h, unsigned v)
{
    if (h->big) { byte(h, v >> 8); byte(h, v & 0xFF); }
    else { byte(h, v & 0xFF); byte(h, v >> 8); }
}

static void u32(struct head *h, uint32_t v)
{
    if (h->big) { u16(h, v >> 16); u16(h, v & 0xFFFF); }
    else { u16(h, v & 0xFFFF); u16(h, v >> 16); }
}

static void entry(struct head *h, unsigned tag, unsigned type, uint32_t v)
{
    u16(h, tag);
    u16(h, type);
    u32(h, 1);
    if (type == 3) { u16(h, v); u16(h, 0); }
    else u32(h, v);
}

/* Knobs for one head. */
struct spec {
    int big, jfif, orientation, compression;
    long thumb_off_delta;  /* added to the right thumbnail offset */
    uint32_t thumb_len;    /* 0: the right length */
    int ifd1_loops;        /* IFD1 offset = IFD0's */
    int bad_thumb;         /* the thumbnail does not end with FF D9 */
};

static const unsigned char thumb[] = {0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x02, 1, 2, 3, 0xFF, 0xD9};

/* Builds the head; *off is where the thumbnail starts in it. */
static struct head build(const struct spec *s, size_t *off)
{
    struct head h = {.big = s->big};
    size_t app1_len_at, tiff_at;
    int n0 = s->orientation ? 1 : 0;
    uint32_t ifd1 = 8 + 2 + 12 * n0 + 4, toff = ifd1 + 2 + 12 * 3 + 4;

    byte(&h, 0xFF); byte(&h, 0xD8);
    if (s->jfif) {
        static const unsigned char app0[] = {0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0,
                                             1, 1, 0, 0, 1, 0, 1, 0, 0};
        memcpy(h.b + h.n, app0, sizeof app0);
        h.n += sizeof app0;
    }
    byte(&h, 0xFF); byte(&h, 0xE1);
    app1_len_at = h.n;
    h.n += 2;
    memcpy(h.b + h.n, "Exif\0\0", 6);
    h.n += 6;
    tiff_at = h.n;
    byte(&h, s->big ? 'M' : 'I'); byte(&h, s->big ? 'M' : 'I');
    u16(&h, 42);
    u32(&h, 8);
    u16(&h, (unsigned)n0);
    if (n0)
        entry(&h, 0x0112, 3, (uint32_t)s->orientation);
    u32(&h, s->ifd1_loops ? 8 : ifd1);
    u16(&h, 3);
    entry(&h, 0x0103, 3, s->compression ? (uint32_t)s->compression : 6);
    entry(&h, 0x0201, 4, (uint32_t)((long)toff + s->thumb_off_delta));
    entry(&h, 0x0202, 4, s->thumb_len ? s->thumb_len : sizeof thumb);
    u32(&h, 0);
    memcpy(h.b + h.n, thumb, sizeof thumb);
    if (s->bad_thumb)
        h.b[h.n + sizeof thumb - 1] = 0x00;
    h.n += sizeof thumb;
    h.b[app1_len_at] = (unsigned char)((h.n - app1_len_at) >> 8);
    h.b[app1_len_at + 1] = (unsigned char)((h.n - app1_len_at) & 0xFF);
    *off = tiff_at + toff;
    byte(&h, 0xFF); byte(&h, 0xDA); /* the picture would follow */
    byte(&h, 0x00); byte(&h, 0x02);
    return h;
}

/* Looks in a copy of exactly n bytes, so that ASan sees any overread. */
static int find(const unsigned char *b, size_t n, struct exif_thumb *t)
{
    unsigned char *copy = malloc(n ? n : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, b, n);
    rc = exif_thumb_find(copy, n, t);
    free(copy);
    return rc;
}

static void test_found(void **state)
{
    (void)state;
    for (int big = 0; big < 2; big++)
        for (int jfif = 0; jfif < 2; jfif++) {
            struct spec s = {.big = big, .jfif = jfif, .orientation = big ? 6 : 0};
            size_t off;
            struct head h = build(&s, &off);
            struct exif_thumb t;

            assert_int_equal(find(h.b, h.n, &t), 0);
            assert_int_equal(t.offset, off);
            assert_int_equal(t.length, sizeof thumb);
            assert_memory_equal(h.b + t.offset, thumb, sizeof thumb);
            assert_int_equal(t.orientation, big ? 6 : 1);
        }
}

static void test_refused(void **state)
{
    (void)state;
    const struct spec bad[] = {
        {.thumb_off_delta = 1},         /* not at the thumbnail's FF D8 */
        {.thumb_off_delta = 100000},    /* past the segment */
        {.thumb_off_delta = -1000},     /* before the TIFF header */
        {.thumb_len = 0xFFFFFFFF},      /* longer than everything */
        {.thumb_len = 3},               /* shorter than a JPEG */
        {.thumb_len = sizeof thumb + 4},/* past the segment */
        {.compression = 1},             /* an uncompressed TIFF thumbnail */
        {.ifd1_loops = 1},
        {.bad_thumb = 1},
    };
    struct exif_thumb t;
    size_t off;

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct head h = build(&bad[i], &off);

        assert_int_equal(find(h.b, h.n, &t), -1);
        assert_int_equal(t.length, 0);
    }
    /* no JPEG; a JPEG without Exif; an APP1 that is not Exif */
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', 13, 10, 26, 10};
    static const unsigned char plain[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0, 0,
                                          0xFF, 0xDA, 0x00, 0x02};
    static const unsigned char xmp[] = {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x0A, 'h', 't', 't',
                                        'p', ':', '/', 0xFF, 0xD9};
    assert_int_equal(find(png, sizeof png, &t), -1);
    assert_int_equal(find(plain, sizeof plain, &t), -1);
    assert_int_equal(find(xmp, sizeof xmp, &t), -1);
    assert_int_equal(find(png, 0, &t), -1);
    assert_int_equal(t.orientation, 1);

    /* no usable thumbnail, but the picture's orientation is still told
     * (thumb.c turns the thumbnail it makes by it) */
    struct spec turned = {.big = 1, .orientation = 6, .compression = 1};
    struct head h = build(&turned, &off);

    assert_int_equal(find(h.b, h.n, &t), -1);
    assert_int_equal(t.length, 0);
    assert_int_equal(t.offset, 0);
    assert_int_equal(t.orientation, 6);
}

static void test_truncated(void **state)
{
    (void)state;
    struct spec s = {.big = 1, .jfif = 1, .orientation = 3};
    size_t off;
    struct head h = build(&s, &off);
    struct exif_thumb t;

    for (size_t n = 0; n < off + sizeof thumb; n++)
        assert_int_equal(find(h.b, n, &t), -1);
    assert_int_equal(find(h.b, off + sizeof thumb, &t), 0);
}

static void test_orientation(void **state)
{
    (void)state;
    struct spec s = {.orientation = 9}; /* out of range: taken as 1 */
    size_t off;
    struct head h = build(&s, &off);
    struct exif_thumb t;
    unsigned char seg[EXIF_ORIENTATION_SEGMENT];

    assert_int_equal(find(h.b, h.n, &t), 0);
    assert_int_equal(t.orientation, 1);

    assert_int_equal(exif_orientation_segment(8, seg), EXIF_ORIENTATION_SEGMENT);
    assert_int_equal(seg[0], 0xFF);
    assert_int_equal(seg[1], 0xE1);
    assert_int_equal(seg[2] << 8 | seg[3], EXIF_ORIENTATION_SEGMENT - 2);
    assert_memory_equal(seg + 4, "Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x08",
                        30);
    assert_memory_equal(seg + 30, "\0\0\0\0\0\0", 6);
    exif_orientation_segment(0, seg);
    assert_int_equal(seg[29], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_orientation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
