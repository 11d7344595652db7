/*
 * range.c — the Range request header (RFC 9110 §14.1.2, §14.2): from the
 * header text to a sorted, coalesced list of byte spans for one
 * representation size.
 *
 * Grammar accepted (the list rule of §5.6.1, so empty elements are skipped):
 *   ranges-specifier = range-unit "=" range-set      ; unit case-insensitive
 *   range-set        = 1#range-spec                  ; OWS around commas
 *   range-spec       = first-pos "-" [ last-pos ]  /  "-" suffix-length
 * Whitespace around the whole value is tolerated (an HTTP parser strips it
 * anyway); none is allowed inside a range-spec or around "=".
 */
#include "config.h"

#include <stdlib.h>

#include "range.h"

/* Whether c is optional whitespace (SP or HTAB). */
static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Advances *p past optional whitespace. */
static void skip_ows(const char **p)
{
    while (is_ows(**p))
        (*p)++;
}

/*
 * Reads 1*DIGIT at *p into *out and advances *p past it. Returns 0, or -1
 * (with *p unspecified) when there is no digit or the value does not fit in
 * uint64_t; leading zeros are fine and never overflow.
 */
static int parse_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;

    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');

        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return 0;
}

/*
 * Matches the range unit "bytes" followed by "=" at the start of s,
 * ASCII case-insensitively. Returns a pointer just after the "=", or NULL.
 */
static const char *match_unit(const char *s)
{
    static const char unit[] = "bytes";

    for (size_t i = 0; i < sizeof unit - 1; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != unit[i])
            return NULL;
    }
    return s[sizeof unit - 1] == '=' ? s + sizeof unit : NULL;
}

/*
 * Parses one range-spec at *p (advanced past it) for a representation of
 * `size` bytes. Returns -1 if it is malformed, 0 if it is valid but does not
 * overlap [0, size), 1 if it does, with the clipped span in *span.
 */
static int parse_spec(const char **p, uint64_t size, struct range_span *span)
{
    uint64_t first, last;

    if (**p == '-') {
        uint64_t suffix;

        (*p)++;
        if (parse_u64(p, &suffix) < 0)
            return -1;
        if (suffix == 0 || size == 0)
            return 0;
        span->first = suffix >= size ? 0 : size - suffix;
        span->last = size - 1;
        return 1;
    }
    if (parse_u64(p, &first) < 0 || **p != '-')
        return -1;
    (*p)++;
    if (**p >= '0' && **p <= '9') {
        if (parse_u64(p, &last) < 0 || last < first)
            return -1;
    } else {
        last = UINT64_MAX;
    }
    if (first >= size)
        return 0;
    span->first = first;
    span->last = last < size - 1 ? last : size - 1;
    return 1;
}

/* qsort comparator: orders spans by first byte. */
static int span_cmp(const void *a, const void *b)
{
    const struct range_span *x = a, *y = b;

    return (x->first > y->first) - (x->first < y->first);
}

/*
 * Sorts spans[0..n) and merges overlapping or adjacent ones in place.
 * Returns the number of spans left (>= 1 when n >= 1).
 */
static size_t coalesce(struct range_span *spans, size_t n)
{
    size_t out = 0;

    if (n == 0)
        return 0;
    qsort(spans, n, sizeof *spans, span_cmp);
    for (size_t i = 1; i < n; i++) {
        struct range_span *cur = &spans[out];

        /* cur->last < size <= UINT64_MAX, so cur->last + 1 cannot wrap. */
        if (spans[i].first <= cur->last + 1) {
            if (spans[i].last > cur->last)
                cur->last = spans[i].last;
        } else {
            spans[++out] = spans[i];
        }
    }
    return out + 1;
}

/*
 * See range.h. Every range-spec in the header counts towards `max`, also the
 * unsatisfiable ones, so that a header is judged before any span is dropped
 * or merged. spans may be NULL when max is 0. n must not be NULL.
 */
enum range_result range_parse(const char *header, uint64_t size,
                              struct range_span *spans, size_t max, size_t *n)
{
    const char *p;
    size_t specs = 0, kept = 0;

    *n = 0;
    if (!header)
        return RANGE_NONE;
    p = header;
    skip_ows(&p);
    p = match_unit(p);
    if (!p || is_ows(*p))
        return RANGE_NONE;

    for (;;) {
        struct range_span span;
        int r;

        skip_ows(&p);
        if (*p == ',') {        /* an empty list element */
            p++;
            continue;
        }
        if (*p == '\0')
            break;
        r = parse_spec(&p, size, &span);
        if (r < 0)
            return RANGE_NONE;
        if (++specs > max)
            return RANGE_NONE;
        if (r > 0)
            spans[kept++] = span;
        skip_ows(&p);
        if (*p == ',')
            p++;
        else if (*p != '\0')
            return RANGE_NONE;
    }

    if (specs == 0)
        return RANGE_NONE;
    if (kept == 0)
        return RANGE_UNSATISFIABLE;
    *n = coalesce(spans, kept);
    return RANGE_OK;
}
