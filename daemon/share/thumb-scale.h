/*
 * thumb-scale.h — a small JPEG made from a JPEG or PNG picture, for the
 * browser UI's grid (GET /photo.png?thumb=1, daemon/share/thumb.c) when the
 * picture carries no Exif thumbnail of its own: PNG screenshots, pictures
 * saved by apps that strip Exif. The picture is read row by row (a JPEG
 * scaled down by libjpeg while it decodes, a PNG by libpng), averaged down
 * to fit THUMB_SCALE_SIDE pixels, turned upright and encoded as JPEG, so
 * memory follows the picture's width, not its size.
 *
 * Built from thumb-scale.c with libjpeg and libpng (--with-thumbnails), or
 * from thumb-scale-none.c, which makes none.
 */
#ifndef FERRY_THUMB_SCALE_H
#define FERRY_THUMB_SCALE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

#define THUMB_SCALE_SIDE 256                   /* a thumbnail's longer side */
#define THUMB_SCALE_MAX_SIDE 32768             /* pictures wider or taller... */
#define THUMB_SCALE_MAX_PIXELS (100000000ull)  /* ...or larger are not read */
#define THUMB_SCALE_MAX_PNG_PIXELS (40000000ull) /* a PNG has no scaled decode:
                                                  every pixel costs (~16 ns) */
#define THUMB_SCALE_MAX_SCANS 100              /* of a JPEG (a progressive one
                                                  has ~10; each costs a walk
                                                  over every block) */
#define THUMB_SCALE_QUALITY 80                 /* of the JPEG made */

/*
 * Whether the len bytes at head (a file's first bytes, as for
 * thumb_scale_knows()) already show the picture is over the sizes above:
 * a PNG's IHDR, or the SOF segment of a JPEG found by walking its segments
 * within head (every length checked against len). 0 when they do not, or
 * cannot tell (thumb_scale() then decides). Lets a caller answer such a
 * picture as itself without queueing it.
 */
int thumb_scale_over(const unsigned char *head, size_t len);

/*
 * What one thumbnail may cost, beyond the sizes above: a crafted picture
 * must not hold the thread that makes it (a 198 KB progressive JPEG of 5,000
 * scans cost 16 s). Checked while the picture is read: between scans and
 * rows of a JPEG (libjpeg's progress monitor), and each row of a PNG.
 */
struct thumb_scale_limits {
    unsigned max_scans;   /* JPEG scans read at most; 0: THUMB_SCALE_MAX_SCANS */
    long long deadline_ms; /* CLOCK_MONOTONIC time, in ms, to give up at; 0:
                             none */
    const atomic_int *cancel; /* gives up once *cancel is non-zero (set
                                 from another thread); NULL: never */
};

/* Whether the len bytes at head (a file's first bytes) start a picture that
 * thumb_scale() may read: a JPEG or PNG, in builds that make thumbnails. */
int thumb_scale_knows(const unsigned char *head, size_t len);

/*
 * Makes a JPEG thumbnail of the JPEG or PNG picture that `in` holds, read
 * from its current position to the end of the picture (`in` stays the
 * caller's, its position wherever reading stopped): its longer side
 * THUMB_SCALE_SIDE pixels (a smaller picture keeps its size), turned
 * upright as Exif `orientation` (1-8; anything else is taken as 1) says,
 * transparency laid on white, at JPEG quality THUMB_SCALE_QUALITY, within
 * `lim` (NULL: THUMB_SCALE_MAX_SCANS, no deadline, no cancel).
 * Returns 0 with *out (malloc'd: the caller frees it) and *len set, or
 *   -EINVAL    not a JPEG or PNG, or a broken one;
 *   -ENOTSUP   a kind it does not read (a CMYK JPEG, an interlaced PNG), or
 *              a build without thumbnails;
 *   -EFBIG     a side over THUMB_SCALE_MAX_SIDE, more pixels than
 *              THUMB_SCALE_MAX_PIXELS (a PNG: THUMB_SCALE_MAX_PNG_PIXELS;
 *              nothing past the header is read), or a JPEG of more scans
 *              than lim allows (found when the one past it starts);
 *   -ETIMEDOUT lim's deadline passed;
 *   -ECANCELED *lim->cancel became non-zero;
 *   -ENOMEM.
 * *out is NULL on failure. Safe to call from several threads at once.
 */
int thumb_scale(FILE *in, unsigned orientation, const struct thumb_scale_limits *lim,
                unsigned char **out, size_t *len);

#endif
