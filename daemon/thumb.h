/*
 * thumb.h — GET /photo.jpg?thumb=1: a small picture for the browser UI's
 * grid. A JPEG's own Exif thumbnail (what cameras and phones embed, about
 * 160x120 and 5-20 KB, daemon/exif-thumb.h) is answered instead of the
 * megabytes of the picture; anything else is answered as the file itself
 * (the browser then scales the original, as without ?thumb).
 */
#ifndef FERRY_THUMB_H
#define FERRY_THUMB_H

#include <stdint.h>
#include <sys/stat.h>

struct MHD_Connection;

#define THUMB_NONE (-1) /* thumb_serve(): no thumbnail, nothing done */

/* Whether the request asks for a thumbnail: ?thumb=1. */
int thumb_requested(struct MHD_Connection *c);

/*
 * Answers GET or HEAD of the regular file open at fd (fstat in *st) with
 * its Exif thumbnail: 200 image/jpeg, the thumbnail's bytes with
 * an Exif Orientation segment after its SOI when the picture is turned
 * (orientation 2-8), ETag the file's with "-thumb", Cache-Control no-cache;
 * 304 for a matching If-None-Match. Returns THUMB_NONE when the file has no
 * Exif thumbnail (fd untouched and still the caller's, nothing queued),
 * else MHD_YES or MHD_NO with fd closed, *status and *length (of the body,
 * for the access log) set.
 */
int thumb_serve(struct MHD_Connection *c, int fd, const struct stat *st, unsigned *status,
                uint64_t *length);

#endif
