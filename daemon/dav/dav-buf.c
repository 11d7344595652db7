/*
 * dav-buf.c — see dav-buf.h.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dav-buf.h"

void dav_buf_init(struct dav_buf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

/* Makes room for n more bytes and a NUL. */
static int reserve(struct dav_buf *b, size_t n)
{
    size_t want, cap;
    char *p;

    if (b->max && (n > b->max || b->len > b->max - n))
        return -E2BIG;
    want = b->len + n + 1;
    if (want <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    p = realloc(b->p, cap);
    if (!p)
        return -ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

int dav_buf_add(struct dav_buf *b, const char *s, size_t n)
{
    int rc = reserve(b, n);

    if (rc < 0)
        return rc;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int dav_buf_adds(struct dav_buf *b, const char *s)
{
    return dav_buf_add(b, s, strlen(s));
}

int dav_buf_printf(struct dav_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    rc = reserve(b, (size_t)n);
    if (rc < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

/* Escapes the XML specials, and tab/line feed when `attr`. */
static int escape(struct dav_buf *b, const char *s, size_t n, int attr)
{
    size_t start = 0;
    int rc = reserve(b, 0);

    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *e = NULL;

        switch (s[i]) {
        case '&': e = "&amp;"; break;
        case '<': e = "&lt;"; break;
        case '>': e = "&gt;"; break;
        case '"': e = "&quot;"; break;
        case '\'': e = "&apos;"; break;
        case '\r': e = "&#13;"; break;
        case '\n': if (!attr) continue; e = "&#10;"; break;
        case '\t': if (!attr) continue; e = "&#9;"; break;
        default: continue;
        }
        rc = dav_buf_add(b, s + start, i - start);
        if (rc == 0)
            rc = dav_buf_adds(b, e);
        start = i + 1;
    }
    if (rc == 0)
        rc = dav_buf_add(b, s + start, n - start);
    return rc;
}

int dav_buf_escape(struct dav_buf *b, const char *s, size_t n)
{
    return escape(b, s, n, 0);
}

int dav_buf_escape_attr(struct dav_buf *b, const char *s, size_t n)
{
    return escape(b, s, n, 1);
}

void dav_buf_reset(struct dav_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

char *dav_buf_take(struct dav_buf *b)
{
    char *p = b->p;

    if (!p)
        p = strdup("");
    dav_buf_init(b, b->max);
    return p;
}

void dav_buf_free(struct dav_buf *b)
{
    if (!b)
        return;
    free(b->p);
    dav_buf_init(b, b->max);
}

int dav_buf_href(struct dav_buf *b, const char *path, int folder)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = dav_buf_add(b, "/", 1);

    for (const unsigned char *p = (const unsigned char *)path; *p && rc == 0; p++) {
        char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};

        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/')
            rc = dav_buf_add(b, (const char *)p, 1);
        else
            rc = dav_buf_add(b, e, 3);
    }
    if (rc == 0 && folder && path[0])
        rc = dav_buf_add(b, "/", 1);
    return rc;
}
