/*
 * gzip-stream-none.c — a build without zlib (configure --without-zlib):
 * nothing is gzip'd, answers go plain. See gzip-stream.h.
 */
#include "config.h"

#include <stdlib.h>

#include "gzip-stream.h"

int gzip_wanted(struct MHD_Connection *c)
{
    (void)c;
    return 0;
}

struct MHD_Response *gzip_response(MHD_ContentReaderCallback inner, void *inner_cls,
                                   MHD_ContentReaderFreeCallback inner_free, int flush_each)
{
    (void)inner;
    (void)flush_each;
    if (inner_free)
        inner_free(inner_cls);
    return NULL;
}

struct MHD_Response *gzip_response_buffer(char *body, size_t len)
{
    (void)len;
    free(body);
    return NULL;
}
