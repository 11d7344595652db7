/*
 * files.h — answering GET and HEAD for one regular file: validators,
 * conditional requests, ranges, and the response body (sendfile, a buffer for
 * small files, or multipart/byteranges).
 */
#ifndef FERRY_FILES_H
#define FERRY_FILES_H

#include <stdint.h>
#include <sys/stat.h>

struct MHD_Connection;
struct ferry_server;

/* What was answered, for the access log and the transfer registry. */
struct files_outcome {
    unsigned status;
    uint64_t length;   /* body bytes of the response (as for GET) */
    uint64_t transfer; /* registry id of the download, to be closed when
                          the request completes; 0 when none */
};

/*
 * Queues the response to a GET (is_head 0) or HEAD (is_head 1) of the regular
 * file open at `fd`, whose fstat() is *st and whose decoded path below the
 * root is `rel` (for the media type and the registry). `fd` is owned by this
 * function: closed in every case, or handed to the response, which closes
 * it. A body too large to leave in one write is registered as a download
 * with the lifecycle (out->transfer). Returns MHD_YES or MHD_NO (as
 * MHD_queue_response() does) and fills *out.
 */
int files_serve(struct ferry_server *srv, struct MHD_Connection *c, int fd,
                const struct stat *st, const char *rel, int is_head,
                struct files_outcome *out);

#endif
