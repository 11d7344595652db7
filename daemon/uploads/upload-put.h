/*
 * upload-put.h — PUT /path/name: one whole file in one request body (curl
 * -T). The body streams into a part file in the state folder
 * ($STATE/uploads/put-<random>.part, never inside the shared tree) and is
 * moved to its name only when complete: fsync, rename (or a copy through a
 * hidden temporary file when the state folder is on another file system),
 * fsync of the folder. A file is never visible half-written under its final
 * name. Owns the conflict policy (ferry_config.on_conflict), If-Match and
 * If-None-Match for uploads, the size limit (ferry_config.max_upload), and
 * the upload's entry in the lifecycle's transfer registry.
 *
 * Calls, all on the MHD thread of the request, in this order:
 * put_begin() once when the headers are in; put_body() for each piece of
 * body; put_finish() once at the end of the body; put_end() from the
 * completion callback, in every case (also when put_begin() answered an
 * error, or the client went away half-way).
 */
#ifndef FERRY_UPLOAD_PUT_H
#define FERRY_UPLOAD_PUT_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "cond.h"

struct ferry_server;
struct put_upload;
struct req;
struct route_handler;

/* The route table's handler of PUT (request.h): put_begin(), put_body(),
 * put_finish() and put_end(), the upload in rq->state. */
extern const struct route_handler put_handler;

/*
 * Checks a PUT of rq->path (the request's path as the gate decoded it,
 * request.h) before any body is read:
 * --read-only (403), the path (400/403), the name (400 over NAME_MAX), the
 * parent folder (409 when missing), the target (409 when a folder), the
 * preconditions and the conflict policy (412/409), Content-Length against
 * the limit (413) and the state folder (503). When one fails, queues the
 * answer (a short text saying what failed and what to do), sets rq->status
 * to it and rq->state to NULL. Otherwise creates the part file, registers
 * the upload with the lifecycle, sets rq->state (the upload, released with
 * put_end()) and rq->status to 0. Returns MHD_YES, or MHD_NO to close the
 * connection (out of memory, or the answer could not be queued).
 */
enum MHD_Result put_begin(struct req *rq);

/*
 * Stores the `*size` bytes at `data` (buffered, then appended to the part
 * file) and sets *size to 0. After a failure (413 when the body grows past
 * the limit, 507 on ENOSPC, 500 otherwise) the part file is removed at once
 * and the rest of the body is read and dropped, so that the answer can be
 * given at the end. Returns MHD_YES.
 */
enum MHD_Result put_body(struct req *rq, const char *data, size_t *size);

/*
 * The body is complete: unless a failure was recorded, fsyncs the part file
 * and moves it to its name as the policy says (put_commit), then answers
 * 201 Created with Location and ETag (a new file) or 204 No Content (a
 * replaced one), or the error. Sets rq->status. Returns MHD_YES, or MHD_NO
 * when the answer could not be queued (the connection then closes).
 */
enum MHD_Result put_finish(struct req *rq);

/*
 * Releases an upload: closes its fds, removes the part file if it is still
 * there, and closes its transfer in the registry (also when the client went
 * away: a PUT is not resumable). Accepts rq->state NULL; sets it to NULL.
 */
void put_end(struct req *rq, int completed);

/*
 * Removes the part files of PUTs cut by an earlier process (a PUT does not
 * resume, so they are of no use): every "put-*.part" in $STATE/uploads of
 * the state folder open at state_fd. Call at start, before any PUT can run.
 * Returns the number removed.
 */
unsigned put_sweep(int state_fd);

/* ------------------------------------------------- pieces, for unit tests */

/* What put_commit() does when the name is taken. */
enum put_mode {
    PUT_NOREPLACE, /* fail with -EEXIST (policy "refuse", If-None-Match: *) */
    PUT_KEEP_BOTH, /* take "name (1).ext", "name (2).ext", ... */
    PUT_REPLACE,   /* replace the file (policy "overwrite") */
    PUT_IF_MATCH,  /* replace it only if it still meets the If-Match /
                      If-Unmodified-Since headers, else PUT_EPRECOND */
};

/* put_commit(): the file changed under an If-Match (412). */
#define PUT_EPRECOND (-412)
/* Most "name (n).ext" names tried before giving up with -EEXIST. */
#define PUT_KEEP_BOTH_MAX 9999

/*
 * Writes the n-th keep-both variant of `name` into out (outlen bytes):
 * " (n)" goes before the last extension ("a.txt" -> "a (1).txt",
 * "a.tar.gz" -> "a.tar (1).gz"), or at the end when there is none
 * ("noext" -> "noext (1)"; a leading dot does not start an extension:
 * ".bashrc" -> ".bashrc (1)"). The stem is shortened, at a UTF-8 character
 * boundary, so that the result fits NAME_MAX bytes. Returns the length, or
 * -ENAMETOOLONG when even a one-byte stem would not fit (or outlen is too
 * small), with out "" when outlen > 0.
 */
int put_keep_both_name(const char *name, unsigned n, char *out, size_t outlen);

/* Fills hex with 16 random hex digits (and a NUL), from getentropy().
 * Thread-safe. */
void put_random_hex(char hex[17]);

/* write() of all len bytes to fd, at its current position, retrying on
 * EINTR and short writes. Returns 0 or -errno (what was written before a
 * failure stays written). */
int put_write_all(int fd, const char *p, size_t len);

/*
 * Appends s to out (outlen bytes) at *len, %-encoding every byte but the
 * unreserved ones and '/', for Location headers; stops before out would
 * overflow (all of s fits when outlen - *len >= 3 * strlen(s) + 4). out
 * stays NUL-terminated; *len is advanced.
 */
void put_url_encode(const char *s, char *out, size_t outlen, size_t *len);

/*
 * Moves from_dir/from to to_dir/to. With `noreplace`, atomically refuses an
 * existing `to` (-EEXIST): renameat2(RENAME_NOREPLACE) on Linux, else
 * linkat() then unlinkat() of `from` (on a file system without hard links,
 * a check then renameat(), which is not atomic). Returns 0, 1 (in place, but `from`
 * could not be unlinked: both names remain), -EEXIST, -EXDEV (different
 * file systems) or another -errno. The fds stay the caller's.
 */
int put_place(int from_dir, const char *from, int to_dir, const char *to,
              int noreplace);

/*
 * Moves the complete part file (part_dir/part, open at part_fd) to
 * dir_fd/name as `mode` says: fsync and chmod 0644 of the part, then
 * put_place(), or — across file systems — a copy into a hidden temporary
 * file in dir_fd ("." + name + ".ferry-part-XXXXXXXX", O_EXCL), fsync, and
 * put_place() of that; then fsync of dir_fd. With `srv` (may be NULL) that
 * temporary name is first recorded for the sweep after a kill (pending.h),
 * as in the folder `folder` below the root. `h` is read for PUT_IF_MATCH
 * only (may be NULL otherwise). On success returns 0, the name used in
 * final (finallen bytes, NAME_MAX + 1 is enough), *replaced (an existing
 * file was replaced) and *part_gone (the part name is gone; when 0 the
 * caller still has to unlink it). On failure returns -EEXIST (PUT_NOREPLACE
 * or every keep-both name taken), PUT_EPRECOND, -EISDIR (the name is now a
 * folder or not a regular file) or another -errno (-ENOSPC...); nothing
 * under dir_fd has changed and no temporary file is left; the part file is
 * still there (*part_gone 0). No fd is taken.
 */
int put_commit(int part_dir, const char *part, int part_fd, int dir_fd,
               const char *name, enum put_mode mode, const struct cond_headers *h,
               char *final, size_t finallen, int *replaced, int *part_gone,
               struct ferry_server *srv, const char *folder);

#endif
