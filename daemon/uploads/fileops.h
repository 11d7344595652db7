/*
 * fileops.h — folder and file operations with the WebDAV methods of RFC 4918
 * (the base that full WebDAV class 1 will be built on):
 *
 *   MKCOL  /path/new-folder     creates a folder (201)
 *   MOVE   /path/a  Destination: /path/b   renames or moves (201 / 204)
 *   COPY   /path/a  Destination: /path/b   copies, folders with Depth (201 / 204)
 *   DELETE /path/a              to the trash in the state folder (trash.h),
 *                               or removed at once with --no-trash or the
 *                               request header "Ferry-Trash: skip" (204);
 *                               409 with "Ferry-Trash: too-big | other-disk
 *                               | disk-full" (and Ferry-Trash-Size) when the
 *                               trash cannot take it: nothing is deleted
 *                               and the client asks the person
 *
 * Every path, the Destination's too, goes through the same resolver as a
 * download (paths.h) with symlinks never followed out of the root; the last
 * name is acted on in its folder with *at() calls that never follow it (a
 * symlink is moved, copied or deleted as a link). /.ferry/ and the root
 * itself are never a source or a target; all of it is refused in
 * --read-only mode (403). Status codes as RFC 4918 gives them: 201/204
 * done, 400 (bad Depth, Overwrite or Destination), 403, 404, 405 (MKCOL on
 * an existing name), 409 (parent missing, a folder into itself), 412
 * (Overwrite: F and the target exists), 415 (MKCOL with a body), 502
 * (Destination on another server), 503 (DELETE needs the trash and there
 * is no state folder), 507 (no space), each with a short text saying what
 * failed and what to do. An item that MOVE or COPY replaces goes to the
 * trash like a DELETE. An operation either happens completely or leaves
 * the tree as it was: a copy is built under a hidden temporary name in the
 * destination folder, fsynced, and moved into place; the folders changed
 * are fsynced before the answer.
 *
 * The tree walks at the end (copy, removal, size) are shared with trash.c.
 */
#ifndef FERRY_FILEOPS_H
#define FERRY_FILEOPS_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct ferry_server;

struct req_path;
struct route_handler;

/* The route table's handler of MKCOL, MOVE, COPY and DELETE (request.h):
 * fileops_handle() once the request (any body dropped) is in. */
extern const struct route_handler fileops_handler;

/*
 * Carries out `method` on `path` (the request's path as the gate decoded
 * it; `url` the raw one, at most 3 * PATHS_MAX + 1 bytes or 400) and
 * queues the answer; called once the request (and any body, dropped) is
 * in. `had_body` says whether the request had a body (MKCOL: 415). Sets
 * *status. Returns MHD_YES, or MHD_NO to close the connection.
 */
enum MHD_Result fileops_handle(struct ferry_server *srv, struct MHD_Connection *c,
                               const char *method, const char *url,
                               const struct req_path *path, int had_body, unsigned *status);

/* ------------------------------------------ shared with trash.c, and tests */

/*
 * Queues `status` with `text` (copied) as a text/plain body (none for 204),
 * plus a Location and an Allow header when not NULL. Sets *status_out.
 * Returns what MHD_queue_response() returns, MHD_NO when out of memory.
 */
enum MHD_Result fileops_answer(struct MHD_Connection *c, unsigned status, const char *text,
                               const char *location, const char *allow,
                               unsigned *status_out);

/*
 * Writes the URL path of `rel` (a path below the root, "" for the root) into
 * out (outlen bytes): "/" + rel with every byte but unreserved ones and '/'
 * percent-encoded (put_url_encode()), plus a final '/' when `folder`.
 * Returns 0, or -ENAMETOOLONG when outlen is under 3 * strlen(rel) + 8
 * (out is then "").
 */
int fileops_url(const char *rel, int folder, char *out, size_t outlen);

/* Results of fileops_destination(). */
#define FILEOPS_EBADDEST (-400)   /* not an absolute URL or absolute path */
#define FILEOPS_EOTHERHOST (-502) /* an absolute URL of another host:port */

/*
 * Finds the path in a Destination header (RFC 4918 10.3): an absolute path
 * ("/a/b"), or an absolute http(s) URL whose authority equals `host` (the
 * request's Host header, compared without case; NULL never matches). The
 * path, still percent-encoded and without a query, is copied into out
 * (outlen bytes); "http://host" alone gives "/". Returns 0,
 * FILEOPS_EBADDEST, FILEOPS_EOTHERHOST or -ENAMETOOLONG; out is "" on
 * failure (if outlen > 0).
 */
int fileops_destination(const char *dest, const char *host, char *out, size_t outlen);

/*
 * The names in the folder open at dir_fd, without "." and "..", in no
 * particular order: *names holds *n strings, freed with fileops_names_free().
 * Returns 0 or -errno (*names NULL). dir_fd stays the caller's (its offset
 * is not moved).
 */
int fileops_names(int dir_fd, char ***names, size_t *n);
void fileops_names_free(char **names, size_t n);

/* The tree walks below go at most this many folders deep below the item
 * they start at; a folder that deep is not entered (-ELOOP). */
#define FILEOPS_DEPTH_MAX 256

/*
 * Removes dir_fd/name and, for a folder, everything in it, never following
 * a symlink (a link is removed, not what it points to). A name that is
 * already gone counts as removed. Keeps going after a failure and returns
 * the first one (-errno, -ELOOP when deeper than FILEOPS_DEPTH_MAX), or 0.
 * dir_fd stays the caller's.
 */
int fileops_remove(int dir_fd, const char *name);

/*
 * Copies src_dir/src to dst_dir/dst, which must not exist (-EEXIST). A file
 * is copied with its mode (permission bits) and modification time; a symlink
 * is copied as a symlink (never followed); a folder with its contents when
 * `recurse` (else empty), where symlinks are copied as links and special
 * files (FIFOs, sockets, devices) are skipped. Every file and folder made is
 * fsynced (dst_dir itself is not: the caller syncs it once it is done). On
 * failure nothing is left at dst_dir/dst and the error is returned: -ENOSPC
 * / -EDQUOT when the disk is full, -ENOTSUP for a special file as src,
 * -ELOOP when deeper than FILEOPS_DEPTH_MAX, another -errno. The fds stay
 * the caller's.
 */
int fileops_copy(int src_dir, const char *src, int dst_dir, const char *dst, int recurse);

/* A symlink would reach outside the root from where it is being put. */
#define FILEOPS_ELINKOUT (-403)

/*
 * Where links may go: the item is being put into a folder `depth` physical
 * levels below the root; a relative link that would not stay inside from
 * its new folder (paths_link_movable()) stops the operation. Its path below
 * the item ("" for the item itself) is written into bad (badlen bytes, cut
 * if longer; bad may be NULL).
 */
struct fileops_links {
    size_t depth;
    char *bad;
    size_t badlen;
};

/*
 * fileops_copy(), refusing any symlink that paths_link_movable() refuses
 * in its new place (see struct fileops_links; NULL: no check): returns
 * FILEOPS_ELINKOUT with nothing left at dst_dir/dst when one is met.
 */
int fileops_copy_links(int src_dir, const char *src, int dst_dir, const char *dst,
                       int recurse, const struct fileops_links *links);

/*
 * Looks at every symlink in dir_fd/name (the item itself, or below it when
 * it is a folder, never following one) as if the item were put into a
 * folder links->depth levels below the root. Returns 0 when each may go
 * there (paths_link_movable()), FILEOPS_ELINKOUT for the first one that
 * may not (named in links->bad), or -errno (-ELOOP deeper than FILEOPS_DEPTH_MAX). Changes
 * nothing. dir_fd stays the caller's.
 */
int fileops_links_check(int dir_fd, const char *name, const struct fileops_links *links);

/*
 * How many folders the folder open at dir_fd is below the root (stat
 * `root`), climbing ".." as the kernel does: 0 for the root itself.
 * Returns 0 with *depth set, -EXDEV when the root is not above it, or
 * -errno.
 */
int fileops_depth(int dir_fd, const struct stat *root, size_t *depth);

/*
 * Copies src_dir/src to dst_dir/dst as fileops_copy() with `recurse`, but
 * through a hidden temporary name in dst_dir ("." dst ".ferry-copy-" 8 hex
 * digits) that is moved into place with a no-replace rename once complete,
 * and dst_dir fsynced: dst appears whole or not at all. Returns 0, -EEXIST
 * (dst is taken) or what fileops_copy() returns; nothing is left on
 * failure. The fds stay the caller's.
 */
int fileops_copy_place(int src_dir, const char *src, int dst_dir, const char *dst);

/*
 * The bytes in dir_fd/name: its size for a file, the sum of the regular
 * files' sizes below it for a folder (symlinks never followed; what cannot
 * be read counts 0). Returns the size.
 */
uint64_t fileops_size(int dir_fd, const char *name);

#endif
