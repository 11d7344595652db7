/*
 * fuzz_range.c — fuzz target for range_parse(): any header text, several
 * representation sizes and span limits, and the output invariants of
 * range.h checked after every call.
 *
 * Input layout: the whole input is the header value (NUL-terminated copy).
 * Sizes tried: a fixed set around the interesting edges, plus one taken from
 * the first 8 bytes of the input, so that the fuzzer can steer it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "range.h"

/* Aborts with a message when an invariant does not hold. */
static void check(int ok, const char *what, const char *header, uint64_t size)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_range: %s (size %llu, header \"%s\")\n", what,
            (unsigned long long)size, header);
    abort();
}

/* Runs one parse and checks everything range.h promises about its output. */
static void run(const char *header, uint64_t size, size_t max)
{
    struct range_span spans[RANGE_MAX_SPANS + 1];
    size_t n = (size_t)-1;
    enum range_result r;

    memset(spans, 0xa5, sizeof spans);
    r = range_parse(header, size, spans, max, &n);
    check(r == RANGE_NONE || r == RANGE_OK || r == RANGE_UNSATISFIABLE,
          "unknown result", header, size);
    check(n <= max, "more spans than max", header, size);
    check(r == RANGE_OK ? n >= 1 : n == 0, "n does not fit the result", header,
          size);
    check(size != 0 || r != RANGE_OK, "a span of an empty representation",
          header, size);
    for (size_t i = 0; i < n; i++) {
        check(spans[i].first <= spans[i].last, "first > last", header, size);
        check(spans[i].last < size, "span past the end", header, size);
        if (i > 0)
            check(spans[i - 1].last < spans[i].first &&
                  spans[i].first - spans[i - 1].last > 1,
                  "spans unsorted, overlapping or adjacent", header, size);
    }
    /* Nothing may be written past the `max` slots the caller gave. */
    for (size_t i = max; i < sizeof spans / sizeof spans[0]; i++)
        check(spans[i].first == UINT64_C(0xa5a5a5a5a5a5a5a5) &&
              spans[i].last == UINT64_C(0xa5a5a5a5a5a5a5a5),
              "write past max", header, size);
}

/* See fuzz.h. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t sizes[] = {
        0, 1, 2, 10, 100, 500, 10000, UINT64_C(1) << 32,
        UINT64_MAX - 1, UINT64_MAX,
    };
    char *header = malloc(size + 1);
    uint64_t steered = 0;

    if (!header)
        return 0;
    memcpy(header, data, size);
    header[size] = '\0';
    for (size_t i = 0; i < 8 && i < size; i++)
        steered = steered << 8 | data[i];

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        run(header, sizes[i], RANGE_MAX_SPANS);
        run(header, sizes[i], 1);
    }
    run(header, steered, RANGE_MAX_SPANS);
    run(header, steered, 0);
    run(NULL, steered, RANGE_MAX_SPANS);
    free(header);
    return 0;
}
