/*
 * gzip-stream.c — answers gzip'd as they are sent (see gzip-stream.h), with
 * zlib's deflate driven from libmicrohttpd's content reader: each call
 * fills the caller's buffer from deflate, reading the inner reader one
 * block at a time, so nothing but zlib's state and one block is held.
 *
 * Ownership: a struct gz belongs to its MHD response; gz_free (the
 * response's free callback) ends deflate and frees the inner reader.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "assets-parse.h"
#include "gzip-stream.h"

#define IN_BLOCK (16 * 1024) /* the inner reader's bytes per call */
#define OUT_BLOCK (16 * 1024) /* most bytes handed to libmicrohttpd at once */
#define GZ_LEVEL 6            /* zlib's default: 162 KB of listing → 15 KB */
#define GZ_WINDOW (15 + 16)   /* 32 KiB window, gzip header and trailer */

struct gz {
    z_stream zs;
    int zs_live; /* deflateInit2 succeeded: deflateEnd owed */
    MHD_ContentReaderCallback inner;
    void *inner_cls;
    MHD_ContentReaderFreeCallback inner_free;
    int flush_each;
    uint64_t inner_pos; /* bytes read from inner so far */
    int inner_done;     /* inner said END_OF_STREAM */
    int finished;       /* deflate wrote the trailer */
    char in[IN_BLOCK];
};

int gzip_wanted(struct MHD_Connection *c)
{
    const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_ACCEPT_ENCODING);

    return ae && assets_accepts_gzip(ae);
}

/* MHD_ContentReaderCallback: the next gzip'd bytes. */
static ssize_t gz_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct gz *g = cls;

    (void)pos; /* sequential */
    if (g->finished)
        return MHD_CONTENT_READER_END_OF_STREAM;
    g->zs.next_out = (Bytef *)buf;
    g->zs.avail_out = (uInt)(max < OUT_BLOCK ? max : OUT_BLOCK);
    while (g->zs.next_out == (Bytef *)buf) { /* until some bytes are out */
        int flush, zr;

        if (g->zs.avail_in == 0 && !g->inner_done) {
            ssize_t n = g->inner(g->inner_cls, g->inner_pos, g->in, sizeof g->in);

            if (n == (ssize_t)MHD_CONTENT_READER_END_OF_STREAM) {
                g->inner_done = 1;
            } else if (n < 0 || n == 0 || (size_t)n > sizeof g->in) {
                return MHD_CONTENT_READER_END_WITH_ERROR;
            } else {
                g->zs.next_in = (Bytef *)g->in;
                g->zs.avail_in = (uInt)n;
                g->inner_pos += (uint64_t)n;
            }
        }
        flush = g->inner_done ? Z_FINISH : g->flush_each ? Z_SYNC_FLUSH : Z_NO_FLUSH;
        zr = deflate(&g->zs, flush);
        if (zr == Z_STREAM_END) {
            g->finished = 1;
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (g->flush_each && g->zs.avail_in == 0 && g->zs.next_out != (Bytef *)buf)
            break; /* flushed: send what this read gave */
    }
    if (g->zs.next_out == (Bytef *)buf)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return (ssize_t)((char *)g->zs.next_out - buf);
}

/* MHD_ContentReaderFreeCallback. Accepts NULL. */
static void gz_free(void *cls)
{
    struct gz *g = cls;

    if (!g)
        return;
    if (g->zs_live)
        deflateEnd(&g->zs);
    if (g->inner_free)
        g->inner_free(g->inner_cls);
    free(g);
}

struct MHD_Response *gzip_response(MHD_ContentReaderCallback inner, void *inner_cls,
                                   MHD_ContentReaderFreeCallback inner_free, int flush_each)
{
    struct gz *g = calloc(1, sizeof *g);
    struct MHD_Response *r;

    if (!g) {
        if (inner_free)
            inner_free(inner_cls);
        return NULL;
    }
    g->inner = inner;
    g->inner_cls = inner_cls;
    g->inner_free = inner_free;
    g->flush_each = flush_each;
    if (deflateInit2(&g->zs, GZ_LEVEL, Z_DEFLATED, GZ_WINDOW, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        gz_free(g);
        return NULL;
    }
    g->zs_live = 1;
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, OUT_BLOCK, gz_read, g, gz_free);
    if (!r) {
        gz_free(g);
        return NULL;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    return r;
}

/* ------------------------------------------------------------ a buffer */

struct gz_buffer {
    char *body;
    size_t len, off;
};

static void *buffer_new(char *body, size_t len)
{
    struct gz_buffer *b = malloc(sizeof *b);

    if (!b) {
        free(body);
        return NULL;
    }
    *b = (struct gz_buffer){body, len, 0};
    return b;
}

static ssize_t buffer_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct gz_buffer *b = cls;
    size_t n = b->len - b->off < max ? b->len - b->off : max;

    (void)pos;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    memcpy(buf, b->body + b->off, n);
    b->off += n;
    return (ssize_t)n;
}

static void buffer_free(void *cls)
{
    struct gz_buffer *b = cls;

    if (!b)
        return;
    free(b->body);
    free(b);
}

struct MHD_Response *gzip_response_buffer(char *body, size_t len)
{
    void *b = buffer_new(body, len);

    return b ? gzip_response(buffer_read, b, buffer_free, 0) : NULL;
}
