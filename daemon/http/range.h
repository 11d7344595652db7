/*
 * range.h — parsing of HTTP Range request headers (RFC 9110 §14.1.2, §14.2).
 *
 * Pure: no I/O, no allocation. Only the "bytes" unit is understood.
 */
#ifndef FERRY_RANGE_H
#define FERRY_RANGE_H

#include <stddef.h>
#include <stdint.h>

/* One satisfiable byte range, both ends inclusive: first <= last < size. */
struct range_span {
    uint64_t first;
    uint64_t last;
};

enum range_result {
    RANGE_NONE = 0,      /* no usable Range: serve the whole representation
                            (header absent, syntactically invalid, another
                            unit, or more ranges than `max`) */
    RANGE_OK = 1,        /* *n >= 1 spans, sorted and coalesced */
    RANGE_UNSATISFIABLE = 2, /* valid, but no range overlaps [0, size):
                                answer 416 with Content-Range: bytes *\/size */
};

/* Most ranges a request may ask for before the header is ignored. */
#define RANGE_MAX_SPANS 16

/*
 * Parses `header` (the value of Range, may be NULL) for a representation of
 * `size` bytes into at most `max` spans, written to spans[0..*n). Spans are
 * clipped to the size, sorted by first byte, and overlapping or adjacent
 * spans are merged, so a caller can send them as they are. Suffix ranges
 * ("-500") and open ranges ("9500-") are supported; whitespace around commas
 * is allowed. Returns a range_result; *n is 0 unless RANGE_OK.
 */
enum range_result range_parse(const char *header, uint64_t size,
                              struct range_span *spans, size_t max, size_t *n);

#endif
