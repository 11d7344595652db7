/*
 * upload-tus.h — resumable uploads with the tus 1.0 protocol under
 * /.ferry/uploads/ (core, creation, creation-with-upload, termination,
 * expiration, checksum with sha256).
 *
 *   OPTIONS /.ferry/uploads/       what the server supports (Tus-Version,
 *                                  Tus-Extension, Tus-Max-Size, ...)
 *   POST    /.ferry/uploads/       creates an upload (Upload-Length and
 *                                  Upload-Metadata "filename" and "folder");
 *                                  with a body, stores it at once
 *   HEAD    /.ferry/uploads/<id>   its Upload-Offset and Upload-Length
 *   PATCH   /.ferry/uploads/<id>   appends at Upload-Offset
 *   DELETE  /.ferry/uploads/<id>   abandons it (part file removed; while a
 *                                  PATCH writes it, that PATCH is cut)
 *
 * Each upload has a part file and an info file in $STATE/uploads (never in
 * the shared tree). The bytes stored are the truth for the offset; the info
 * file (written atomically) survives a kill -9 between lifecycle snapshots;
 * while a PATCH runs the upload is an open transfer in the lifecycle's
 * registry (so it holds background time), and between PATCHes a resumable
 * one (so the journal has it). When the last byte is in, the file moves into
 * place as a PUT does (upload-put.h: fsync, no-replace rename or the
 * conflict policy, fsync of the folder): never visible half-written.
 *
 * Calls, on the MHD thread of the request, in this order: tus_begin() once
 * when the headers are in; tus_body() for each piece of body; tus_finish()
 * once at the end of the body; tus_end() from the completion callback, in
 * every case.
 */
#ifndef FERRY_UPLOAD_TUS_H
#define FERRY_UPLOAD_TUS_H

#include <microhttpd.h>
#include <stddef.h>

struct req;
struct route_handler;

/* The route table's handler of the tus endpoint (request.h): tus_begin(),
 * tus_body(), tus_finish() and tus_end(), the tus request in rq->state. */
extern const struct route_handler tus_handler;

/* The URL prefix of the tus endpoint. */
#define TUS_PREFIX "/.ferry/uploads/"

/*
 * A request for the tus endpoint (rq->url starts with TUS_PREFIX, or equals
 * it without the trailing slash). Checks what can be checked before the body:
 * method (X-HTTP-Method-Override on POST), Tus-Resumable, read-only, the
 * state folder, the upload's existence and lock, offsets and lengths,
 * Content-Type, Upload-Checksum, and for a creation Upload-Length and
 * Upload-Metadata (the folder and name through the path resolver). A
 * request with a body that it refuses is answered at once (a short text
 * saying what failed and what to do; the body is never read and the
 * connection closes): rq->status is set and rq->state NULL. Otherwise
 * rq->state is set (released with tus_end()) and rq->status 0, and
 * tus_finish() gives
 * the answer — also a refusal of a request without a body, since answering
 * on the first call makes libmicrohttpd 0.9.75 close the connection. A
 * PATCH (or a POST with a body) that passes holds its upload (423 for
 * another PATCH; a DELETE terminates it) and is an open transfer in the lifecycle's registry until
 * tus_end(). Returns MHD_YES, or MHD_NO to close the connection.
 */
enum MHD_Result tus_begin(struct req *rq);

/* Takes the `*size` bytes at `data` (written to the part file through a
 * 256 KiB buffer; dropped once the PATCH has failed, or when the request
 * takes no body) and sets *size to 0. A body running past Upload-Length
 * voids the PATCH (400 at the end, the part truncated back). Returns
 * MHD_YES, or MHD_NO when a DELETE terminated the upload meanwhile
 * (libmicrohttpd then closes the connection; tus_end() still runs). */
enum MHD_Result tus_body(struct req *rq, const char *data, size_t *size);

/* The body (if any) is complete: for a PATCH, fsyncs the part, checks
 * Upload-Checksum (460 and truncated back on a mismatch), commits when the
 * last byte is in (Ferry-Stored-As names the file); answers. Sets
 * rq->status. Returns MHD_YES, or MHD_NO when the answer could not be
 * queued. */
enum MHD_Result tus_finish(struct req *rq);

/*
 * Releases the request: bytes received but not yet written are written
 * (except for a PATCH with Upload-Checksum, which is all or nothing), the
 * part file is fsynced, the upload unlocked, its transfer closed or left
 * resumable. `completed` is whether MHD finished the request normally.
 * Accepts rq->state NULL; sets it to NULL.
 */
void tus_end(struct req *rq, int completed);

#endif
