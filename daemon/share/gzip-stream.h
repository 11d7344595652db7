/*
 * gzip-stream.h — a streamed answer gzip'd as it is sent: an inner content
 * reader (libmicrohttpd's MHD_ContentReaderCallback) wrapped so that its
 * bytes go through zlib's deflate on their way out, for listings and
 * search results (share/serve.c, share/search.c). Memory is constant per
 * answer: zlib's state (about 256 KiB at the window and level used) and one
 * input block, whatever the size of the answer. Built with zlib (one file,
 * share/gzip-stream.c); without it (configure --without-zlib),
 * share/gzip-stream-none.c says it cannot, and answers go plain.
 */
#ifndef FERRY_GZIP_STREAM_H
#define FERRY_GZIP_STREAM_H

#include <microhttpd.h>
#include <stddef.h>

/* Answers smaller than this are sent plain: gzip would not pay. */
#define GZIP_MIN_BYTES 1024

/*
 * Whether the request's Accept-Encoding accepts gzip and this build can
 * send it (0 without zlib).
 */
int gzip_wanted(struct MHD_Connection *c);

/*
 * A response whose body is what `inner` (called with inner_cls, as
 * libmicrohttpd would call it: pos, buf, max; returning bytes, 0 for none
 * yet is not allowed, MHD_CONTENT_READER_END_OF_STREAM or
 * MHD_CONTENT_READER_END_WITH_ERROR) produces, gzip'd (RFC 1952), sent
 * chunked (its size is not known before the end), with Content-Encoding:
 * gzip and Vary: Accept-Encoding added. flush_each: each inner read is
 * flushed out (Z_SYNC_FLUSH) at once, for answers that come slowly and
 * should be read as they come (search); else deflate decides (listings).
 *
 * Ownership: inner_cls is taken in every case: inner_free(inner_cls) runs
 * when the response is freed, or at once when NULL is returned (no zlib,
 * out of memory). The caller queues and destroys the response as any.
 * Runs on any thread; the callbacks on the connection's thread.
 */
struct MHD_Response *gzip_response(MHD_ContentReaderCallback inner, void *inner_cls,
                                   MHD_ContentReaderFreeCallback inner_free, int flush_each);

/*
 * gzip_response() over `body` (len bytes, malloc'd; taken in every case:
 * freed with the response, or at once when NULL is returned).
 */
struct MHD_Response *gzip_response_buffer(char *body, size_t len);

#endif
