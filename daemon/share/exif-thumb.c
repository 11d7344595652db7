/*
 * exif-thumb.c — the Exif thumbnail of a JPEG; see exif-thumb.h.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "exif-thumb.h"

#define TAG_COMPRESSION 0x0103
#define TAG_ORIENTATION 0x0112
#define TAG_THUMB_OFFSET 0x0201
#define TAG_THUMB_LENGTH 0x0202
#define TYPE_SHORT 3
#define TYPE_LONG 4

/* A TIFF block of len bytes in the byte order `big` (MM) or not (II). */
struct tiff {
    const unsigned char *p;
    size_t len;
    int big;
};

static unsigned u16(const struct tiff *t, size_t off)
{
    const unsigned char *b = t->p + off;

    return t->big ? (unsigned)b[0] << 8 | b[1] : (unsigned)b[1] << 8 | b[0];
}

static uint32_t u32(const struct tiff *t, size_t off)
{
    const unsigned char *b = t->p + off;

    return t->big ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
                  : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* The value of a SHORT or LONG entry with one value at off, or -1. */
static long entry_value(const struct tiff *t, size_t off)
{
    unsigned type = u16(t, off + 2);

    if (u32(t, off + 4) != 1)
        return -1;
    if (type == TYPE_SHORT)
        return (long)u16(t, off + 8);
    if (type == TYPE_LONG)
        return (long)u32(t, off + 8);
    return -1;
}

/*
 * Checks the IFD at off (its count, entries and next-IFD offset inside the
 * block). Returns its entry count, or -1.
 */
static long ifd_entries(const struct tiff *t, uint32_t off)
{
    unsigned n;

    if (off < 8 || (size_t)off + 2 > t->len)
        return -1;
    n = u16(t, off);
    if ((size_t)off + 2 + 12 * (size_t)n + 4 > t->len)
        return -1;
    return (long)n;
}

/* Reads the Exif TIFF block: orientation from IFD0, the thumbnail from
 * IFD1, as offsets inside the block. Returns 0 or -1. */
static int parse_tiff(const struct tiff *t, struct exif_thumb *out)
{
    long n0, n1, off = -1, len = -1;
    uint32_t ifd0, ifd1;

    if (t->len < 8 || u16(t, 2) != 42)
        return -1;
    ifd0 = u32(t, 4);
    n0 = ifd_entries(t, ifd0);
    if (n0 < 0)
        return -1;
    for (long i = 0; i < n0; i++) {
        size_t e = ifd0 + 2 + 12 * (size_t)i;

        if (u16(t, e) == TAG_ORIENTATION) {
            long v = entry_value(t, e);

            if (v >= 1 && v <= 8)
                out->orientation = (unsigned)v;
        }
    }
    ifd1 = u32(t, ifd0 + 2 + 12 * (size_t)n0);
    if (ifd1 == ifd0)
        return -1;
    n1 = ifd_entries(t, ifd1);
    if (n1 < 0)
        return -1;
    for (long i = 0; i < n1; i++) {
        size_t e = ifd1 + 2 + 12 * (size_t)i;
        unsigned tag = u16(t, e);

        if (tag == TAG_THUMB_OFFSET)
            off = entry_value(t, e);
        else if (tag == TAG_THUMB_LENGTH)
            len = entry_value(t, e);
        else if (tag == TAG_COMPRESSION && entry_value(t, e) != 6)
            return -1;
    }
    if (off < 8 || len < 4 || (size_t)off > t->len || (size_t)len > t->len - (size_t)off)
        return -1;
    if (t->p[off] != 0xFF || t->p[off + 1] != 0xD8 || t->p[off + len - 2] != 0xFF ||
        t->p[off + len - 1] != 0xD9)
        return -1;
    out->offset = (size_t)off;
    out->length = (size_t)len;
    return 0;
}

int exif_thumb_find(const unsigned char *buf, size_t len, struct exif_thumb *out)
{
    size_t i = 2;

    memset(out, 0, sizeof *out);
    out->orientation = 1;
    if (len < 4 || buf[0] != 0xFF || buf[1] != 0xD8)
        return -1;
    while (i + 4 <= len) {
        unsigned m, seg;

        if (buf[i] != 0xFF)
            return -1;
        m = buf[i + 1];
        if (m == 0xFF) { /* fill byte */
            i++;
            continue;
        }
        if (m == 0xD9 || m == 0xDA) /* end, or the picture data: no Exif */
            return -1;
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { /* no length */
            i += 2;
            continue;
        }
        seg = (unsigned)buf[i + 2] << 8 | buf[i + 3];
        if (seg < 2 || i + 2 + seg > len)
            return -1;
        if (m == 0xE1 && seg >= 2 + 6 + 8 && memcmp(buf + i + 4, "Exif\0\0", 6) == 0) {
            struct tiff t = {.p = buf + i + 10, .len = seg - 8};

            if (t.p[0] == 'M' && t.p[1] == 'M')
                t.big = 1;
            else if (!(t.p[0] == 'I' && t.p[1] == 'I'))
                return -1;
            if (parse_tiff(&t, out) < 0) { /* the orientation may be known */
                out->offset = out->length = 0;
                return -1;
            }
            out->offset += i + 10;
            return 0;
        }
        i += 2 + seg;
    }
    return -1;
}

size_t exif_orientation_segment(unsigned orientation,
                                unsigned char out[EXIF_ORIENTATION_SEGMENT])
{
    static const unsigned char head[] = {
        0xFF, 0xE1, 0x00, EXIF_ORIENTATION_SEGMENT - 2, 'E', 'x', 'i', 'f', 0, 0,
        'M', 'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, /* TIFF, IFD0 at 8 */
        0x00, 0x01,                                   /* one entry */
        0x01, 0x12, 0x00, TYPE_SHORT, 0x00, 0x00, 0x00, 0x01, /* Orientation */
    };

    memcpy(out, head, sizeof head);
    out[sizeof head] = 0x00;
    out[sizeof head + 1] = (unsigned char)(orientation >= 1 && orientation <= 8 ? orientation : 1);
    memset(out + sizeof head + 2, 0, EXIF_ORIENTATION_SEGMENT - sizeof head - 2);
    return EXIF_ORIENTATION_SEGMENT;
}
