/*
 * exif-thumb.h — finding the thumbnail a camera or phone embeds in a JPEG's
 * Exif block (APP1, IFD1: JPEGInterchangeFormat and its length), and the
 * picture's Orientation, in the first bytes of the file; for the browser
 * UI's grid (GET /photo.jpg?thumb=1, daemon/share/thumb.c). Pure: bytes in, offsets
 * out; no I/O, no allocation.
 */
#ifndef FERRY_EXIF_THUMB_H
#define FERRY_EXIF_THUMB_H

#include <stddef.h>

/* Bytes of a file that hold any Exif thumbnail: APP1 segments come before
 * the picture data and one is at most 65,535 bytes long; a few segments
 * (APP0, another APP1) may come first. */
#define EXIF_THUMB_SCAN (128 * 1024)

/* Length of the Exif segment exif_orientation_segment() writes. */
#define EXIF_ORIENTATION_SEGMENT 36

struct exif_thumb {
    size_t offset;        /* of the thumbnail's first byte (its FF D8) */
    size_t length;        /* its bytes, through its FF D9 */
    unsigned orientation; /* the picture's Exif Orientation, 1-8 (1 when
                             absent or out of range) */
};

/*
 * Looks for an Exif thumbnail in the len bytes at buf, the start of a file:
 * the file must start with a JPEG SOI (FF D8), the segments before the
 * first SOS or EOI must be well formed, the first APP1 segment starting
 * "Exif\0\0" must hold a TIFF header (II or MM, 42) whose IFD1 names a
 * JPEG thumbnail (JPEGInterchangeFormat 0x0201 and its length 0x0202;
 * Compression 0x0103, if present, 6) that lies inside that segment and
 * starts with FF D8 and ends with FF D9. Every offset is checked against
 * the segment's bounds before it is read. Returns 0 with *out filled, or -1
 * when there is no such thumbnail: offset and length are then 0, and
 * orientation is still the picture's when the Exif block's IFD0 could be
 * read (1 otherwise).
 */
int exif_thumb_find(const unsigned char *buf, size_t len, struct exif_thumb *out);

/*
 * Writes an APP1 segment (FF E1, length, "Exif\0\0", a big-endian TIFF
 * header and an IFD0 holding Orientation = `orientation`) of
 * EXIF_ORIENTATION_SEGMENT bytes to out, for putting after a thumbnail's
 * SOI so that a browser turns it as the picture is turned. Returns
 * EXIF_ORIENTATION_SEGMENT.
 */
size_t exif_orientation_segment(unsigned orientation,
                                unsigned char out[EXIF_ORIENTATION_SEGMENT]);

#endif
