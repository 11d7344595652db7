/*
 * dav-buf.h — a growable byte buffer with a hard size cap, and the XML
 * escaping the WebDAV modules write with. Owns its bytes; not thread-safe.
 */
#ifndef FERRY_DAV_BUF_H
#define FERRY_DAV_BUF_H

#include <stddef.h>

struct dav_buf {
    char *p;    /* NUL-terminated when len > 0 or after any add; owned */
    size_t len; /* bytes held, without the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* never holds more than this; 0: no cap */
};

/* An empty buffer that will hold at most `max` bytes (0: no cap). */
void dav_buf_init(struct dav_buf *b, size_t max);

/* Appends n bytes. Returns 0, -ENOMEM, or -E2BIG when the cap would be
 * passed (nothing appended then). */
int dav_buf_add(struct dav_buf *b, const char *s, size_t n);

/* Appends a NUL-terminated string; as dav_buf_add(). */
int dav_buf_adds(struct dav_buf *b, const char *s);

/* Appends printf-formatted text; as dav_buf_add(). */
int dav_buf_printf(struct dav_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends n bytes with &, <, >, " and ' escaped for XML text and
 * attribute values; as dav_buf_add(). */
int dav_buf_escape(struct dav_buf *b, const char *s, size_t n);

/* As dav_buf_escape(), and tab and line feed as character references
 * too, so that an attribute value keeps them (XML normalises raw ones). */
int dav_buf_escape_attr(struct dav_buf *b, const char *s, size_t n);

/* Appends "/" + path percent-encoded (every byte outside RFC 3986
 * unreserved and '/' as %XX) + "/" when `folder` (and path is not ""):
 * an href that needs no XML escaping. As dav_buf_add(). */
int dav_buf_href(struct dav_buf *b, const char *path, int folder);

/* Empties the buffer, keeping its memory. */
void dav_buf_reset(struct dav_buf *b);

/* Hands the bytes to the caller (malloc'd, NUL-terminated, "" when empty;
 * NULL when out of memory) and empties the buffer. */
char *dav_buf_take(struct dav_buf *b);

/* Frees the bytes; b may be NULL. */
void dav_buf_free(struct dav_buf *b);

#endif
