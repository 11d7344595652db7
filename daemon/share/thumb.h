/*
 * thumb.h — GET /photo.jpg?thumb=1: a small picture for the browser UI's
 * grid. A JPEG's own Exif thumbnail (what cameras and phones embed, about
 * 160x120 and 5-20 KB, daemon/share/exif-thumb.h) is answered instead of the
 * megabytes of the picture; a JPEG without one, or a PNG, is answered as a
 * JPEG made from it (at most 256 pixels a side, daemon/share/thumb-scale.h) in
 * builds with thumbnails; anything else as the file itself (the browser
 * then scales the original, as without ?thumb).
 *
 * A thumbnail is made off libmicrohttpd's worker threads, within bounds on
 * time and scans (daemon/share/thumb-jobs.h: the connection is suspended
 * meanwhile), and kept in the state folder (daemon/share/thumb-cache.h), so the
 * next request reads a file. A picture whose thumbnail could not be made is
 * answered as the file itself, at once the next time.
 */
#ifndef FERRY_THUMB_H
#define FERRY_THUMB_H

#include <stdint.h>
#include <sys/stat.h>

struct MHD_Connection;
struct ferry_server;
struct thumb_wait;

#define THUMB_NONE (-1) /* no thumbnail: answer the file itself */
#define THUMB_WAIT (-2) /* suspended until the thumbnail is made */

/* Whether the request asks for a thumbnail: `thumb`, the query's value of
 * thumb (struct req_query), is "1". */
int thumb_requested(const char *thumb);

/*
 * Answers GET or HEAD of the regular file open at fd (fstat in *st, path
 * `rel` below the root) with its thumbnail: 200 image/jpeg, either the Exif
 * thumbnail's bytes with an Exif Orientation segment after its SOI when the
 * picture is turned (orientation 2-8), or a JPEG made from the picture,
 * already upright; ETag the file's with "-thumb", Cache-Control no-cache;
 * 304 for a matching If-None-Match (checked before any picture is read).
 * Called from the access handler of c. Returns
 *   THUMB_NONE  no thumbnail (not a picture it makes thumbnails of, one
 *               whose thumbnail failed before, or no room in the queue):
 *               fd still the caller's, at offset 0, nothing queued;
 *   THUMB_WAIT  the thumbnail is being made: c is suspended, *wait is set
 *               and fd is now *wait's; return MHD_YES, and on the next
 *               call of the handler (after c
 *               resumes) call thumb_resumed(); free *wait with
 *               thumb_wait_free() when the request completes;
 *   MHD_YES or MHD_NO  answered (from the Exif block or the cache), fd
 *               closed, *status and *length (of the body, for the access
 *               log) set.
 */
int thumb_serve(struct ferry_server *srv, struct MHD_Connection *c, int fd, const struct stat *st,
                const char *rel, struct thumb_wait **wait, unsigned *status, uint64_t *length);

/*
 * Answers from a thumbnail made while c was suspended (thumb_serve()
 * returned THUMB_WAIT). Returns MHD_YES or MHD_NO (answered: *status and
 * *length set; a 503 when the server ended the wait), or THUMB_NONE: no
 * thumbnail, answer the file itself, whose fd (at offset 0, now the
 * caller's), fstat() and path are in *fd, *st and *rel (valid until
 * thumb_wait_free()).
 */
int thumb_resumed(struct thumb_wait *w, struct MHD_Connection *c, int *fd, struct stat *st,
                  const char **rel, unsigned *status, uint64_t *length);

/* Frees w and what it still owns (the file's fd, a thumbnail). Accepts NULL. */
void thumb_wait_free(struct thumb_wait *w);

#endif
