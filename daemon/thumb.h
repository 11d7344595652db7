/*
 * thumb.h — GET /photo.jpg?thumb=1: a small picture for the browser UI's
 * grid. A JPEG's own Exif thumbnail (what cameras and phones embed, about
 * 160x120 and 5-20 KB, daemon/exif-thumb.h) is answered instead of the
 * megabytes of the picture; a JPEG without one, or a PNG, is answered as a
 * JPEG made from it (at most 256 pixels a side, daemon/thumb-scale.h) in
 * builds with thumbnails; anything else as the file itself (the browser
 * then scales the original, as without ?thumb).
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
 * its thumbnail: 200 image/jpeg, either the Exif thumbnail's bytes with an
 * Exif Orientation segment after its SOI when the picture is turned
 * (orientation 2-8), or a JPEG made from the picture, already upright;
 * ETag the file's with "-thumb", Cache-Control no-cache; 304 for a matching
 * If-None-Match (checked before any picture is read). Making a thumbnail
 * reads the picture in the calling thread (tens of ms for a 12-megapixel
 * photo). Returns THUMB_NONE when the file has neither (no Exif thumbnail
 * and not a picture thumb-scale.h reads: fd still the caller's, at offset
 * 0, nothing queued), else MHD_YES or MHD_NO with fd closed, *status and
 * *length (of the body, for the access log) set.
 */
int thumb_serve(struct MHD_Connection *c, int fd, const struct stat *st, unsigned *status,
                uint64_t *length);

#endif
