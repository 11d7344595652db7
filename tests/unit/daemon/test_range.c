/*
 * test_range.c — unit tests of range_parse() (daemon/http/range.c): the RFC 9110
 * examples, syntax errors, overflow, size boundaries, the `max` limit,
 * coalescing, and a randomised comparison against a byte-map model.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "range.h"

#define U64MAX UINT64_C(18446744073709551615)

/* Parses `hdr` for `size` with RANGE_MAX_SPANS and checks the result and the
 * spans: `pairs` holds first,last for each of the `npairs` expected spans. */
static void expect(const char *hdr, uint64_t size, enum range_result want,
                   const uint64_t *pairs, size_t npairs)
{
    struct range_span spans[RANGE_MAX_SPANS];
    size_t n = 12345;
    enum range_result r = range_parse(hdr, size, spans, RANGE_MAX_SPANS, &n);

    if (r != want || n != npairs)
        fail_msg("\"%s\" size %llu: result %d n %zu, want %d n %zu",
                 hdr ? hdr : "(null)", (unsigned long long)size, (int)r, n,
                 (int)want, npairs);
    for (size_t i = 0; i < n; i++) {
        if (spans[i].first != pairs[2 * i] || spans[i].last != pairs[2 * i + 1])
            fail_msg("\"%s\" size %llu: span %zu is %llu-%llu, want %llu-%llu",
                     hdr, (unsigned long long)size, i,
                     (unsigned long long)spans[i].first,
                     (unsigned long long)spans[i].last,
                     (unsigned long long)pairs[2 * i],
                     (unsigned long long)pairs[2 * i + 1]);
    }
}

#define SPANS(...) (const uint64_t[]){__VA_ARGS__}, \
    sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t) / 2
#define NO_SPANS NULL, 0

/* Expects RANGE_NONE (serve everything) and no spans. */
static void expect_none(const char *hdr, uint64_t size)
{
    expect(hdr, size, RANGE_NONE, NO_SPANS);
}

/* Expects RANGE_UNSATISFIABLE (416) and no spans. */
static void expect_unsat(const char *hdr, uint64_t size)
{
    expect(hdr, size, RANGE_UNSATISFIABLE, NO_SPANS);
}

/* The examples of RFC 9110 §14.1.2, for a 10000-byte representation. */
static void test_rfc_examples(void **state)
{
    (void)state;
    expect("bytes=0-499", 10000, RANGE_OK, SPANS(0, 499));
    expect("bytes=500-999", 10000, RANGE_OK, SPANS(500, 999));
    expect("bytes=-500", 10000, RANGE_OK, SPANS(9500, 9999));
    expect("bytes=9500-", 10000, RANGE_OK, SPANS(9500, 9999));
    expect("bytes=0-0,-1", 10000, RANGE_OK, SPANS(0, 0, 9999, 9999));
    expect("bytes=500-600,601-999", 10000, RANGE_OK, SPANS(500, 999));
    expect("bytes=500-700,601-999", 10000, RANGE_OK, SPANS(500, 999));
}

/* No header, other units, and how "bytes=" may be spelled. */
static void test_absent_and_unit(void **state)
{
    (void)state;
    expect_none(NULL, 100);
    expect_none("", 100);
    expect_none("bytes", 100);
    expect_none("bytes=", 100);
    expect_none("items=0-1", 100);
    expect_none("byte=0-1", 100);
    expect_none("bytess=0-1", 100);
    expect_none("bytes 0-1", 100);
    expect_none("bytes =0-1", 100);
    expect_none("bytes= 0-1", 100);
    expect_none("=0-1", 100);
    expect_none("0-1", 100);
    expect("Bytes=0-1", 100, RANGE_OK, SPANS(0, 1));
    expect("BYTES=0-1", 100, RANGE_OK, SPANS(0, 1));
    expect("bYtEs=0-1", 100, RANGE_OK, SPANS(0, 1));
    /* Whitespace around the whole value is what an HTTP parser strips. */
    expect(" \tbytes=0-1\t ", 100, RANGE_OK, SPANS(0, 1));
}

/* Every syntax error makes the whole header void, for any size. */
static void test_malformed(void **state)
{
    static const char *const bad[] = {
        "bytes=,", "bytes=,,,", "bytes=-", "bytes=1", "bytes=a-b", "bytes=1-a",
        "bytes=-a", "bytes=1--2", "bytes=--1", "bytes=1-2-3", "bytes=+1-2",
        "bytes=1-+2", "bytes=0x1-2", "bytes=1 -2", "bytes=1- 2", "bytes=- 2",
        "bytes=1-2 3-4", "bytes=1-2;", "bytes=1-2,x", "bytes=1-2,3",
        "bytes=1.5-2", "bytes=0-1\n", "bytes=0-1\r\n", "bytes=0-1,\v2-3",
        "bytes=5-4", "bytes=1-0", "bytes=-1-5", "bytes=0-1,-", "bytes=*",
        "bytes=0-1,bytes=2-3", "bytes=\xff", "bytes=1e3-2000",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_none(bad[i], 10000);
        expect_none(bad[i], 0);
    }
    /* A malformed element wins over an unsatisfiable one. */
    expect_none("bytes=20000-,x", 10000);
    expect_none("bytes=0-1,9-8", 10000);
}

/* OWS around commas and empty list elements (RFC 9110 §5.6.1). */
static void test_whitespace_and_empty_elements(void **state)
{
    (void)state;
    expect("bytes=0-1 , 3-4", 100, RANGE_OK, SPANS(0, 1, 3, 4));
    expect("bytes=0-1\t,\t3-4", 100, RANGE_OK, SPANS(0, 1, 3, 4));
    expect("bytes=0-1,  \t  3-4", 100, RANGE_OK, SPANS(0, 1, 3, 4));
    expect("bytes=0-1,,2-3", 100, RANGE_OK, SPANS(0, 3));
    expect("bytes=0-1,,5-6", 100, RANGE_OK, SPANS(0, 1, 5, 6));
    expect("bytes=,0-1", 100, RANGE_OK, SPANS(0, 1));
    expect("bytes=0-1,", 100, RANGE_OK, SPANS(0, 1));
    expect("bytes=0-1 ,, , 5-6 ,", 100, RANGE_OK, SPANS(0, 1, 5, 6));
}

/* Numbers past UINT64_MAX void the header instead of wrapping. */
static void test_overflow(void **state)
{
    (void)state;
    /* UINT64_MAX itself is a number; one more is not, and must not wrap. */
    expect("bytes=0-18446744073709551615", 100, RANGE_OK, SPANS(0, 99));
    expect("bytes=-18446744073709551615", 100, RANGE_OK, SPANS(0, 99));
    expect_unsat("bytes=18446744073709551615-", 100);
    expect_unsat("bytes=18446744073709551615-18446744073709551615", U64MAX);
    expect_none("bytes=18446744073709551616-", 100);
    expect_none("bytes=0-18446744073709551616", 100);
    expect_none("bytes=-18446744073709551616", 100);
    expect_none("bytes=0-18446744073709551620", 100);
    expect_none("bytes=0-36893488147419103232", 100);      /* 2^65: wraps to 0 */
    expect_none("bytes=0-99999999999999999999999999", 100);
    expect_none("bytes=18446744073709551616-0", 100);
    /* Many digits that are only leading zeros are fine. */
    expect("bytes=00000000000000000000000000000000001-000000000000000000000002",
           100, RANGE_OK, SPANS(1, 2));
    expect("bytes=-0000000000000000000000000000000000000010", 100, RANGE_OK,
           SPANS(90, 99));
}

/* An empty representation satisfies no range. */
static void test_size_zero(void **state)
{
    (void)state;
    expect_unsat("bytes=0-", 0);
    expect_unsat("bytes=0-0", 0);
    expect_unsat("bytes=-1", 0);
    expect_unsat("bytes=-0", 0);
    expect_unsat("bytes=0-0,-5,7-", 0);
    expect_none("bytes=1-0", 0);
    expect_none(NULL, 0);
}

/* A one-byte representation: every form of the only span. */
static void test_size_one(void **state)
{
    (void)state;
    expect("bytes=0-0", 1, RANGE_OK, SPANS(0, 0));
    expect("bytes=0-", 1, RANGE_OK, SPANS(0, 0));
    expect("bytes=-1", 1, RANGE_OK, SPANS(0, 0));
    expect("bytes=-5", 1, RANGE_OK, SPANS(0, 0));
    expect("bytes=0-100", 1, RANGE_OK, SPANS(0, 0));
    expect("bytes=0-0,-1,0-", 1, RANGE_OK, SPANS(0, 0));
    expect_unsat("bytes=1-", 1);
    expect_unsat("bytes=1-1", 1);
    expect_unsat("bytes=-0", 1);
}

/* Sizes near UINT64_MAX: clipping and merging at the top. */
static void test_huge_size(void **state)
{
    (void)state;
    expect("bytes=0-", U64MAX, RANGE_OK, SPANS(0, U64MAX - 1));
    expect("bytes=-1", U64MAX, RANGE_OK, SPANS(U64MAX - 1, U64MAX - 1));
    expect("bytes=-18446744073709551615", U64MAX, RANGE_OK, SPANS(0, U64MAX - 1));
    expect("bytes=18446744073709551614-", U64MAX, RANGE_OK,
           SPANS(U64MAX - 1, U64MAX - 1));
    expect_unsat("bytes=18446744073709551615-", U64MAX);
    expect("bytes=0-5,-1,6-18446744073709551613", U64MAX, RANGE_OK,
           SPANS(0, U64MAX - 1));
    expect("bytes=0-5,-1,7-18446744073709551612", U64MAX, RANGE_OK,
           SPANS(0, 5, 7, U64MAX - 3, U64MAX - 1, U64MAX - 1));
    expect("bytes=4294967296-", UINT64_C(4294967297), RANGE_OK,
           SPANS(UINT64_C(4294967296), UINT64_C(4294967296)));
}

/* Ranges past the end are dropped; only all of them dropped is a 416. */
static void test_unsatisfiable(void **state)
{
    (void)state;
    expect_unsat("bytes=-0", 100);
    expect_unsat("bytes=100-", 100);
    expect_unsat("bytes=100-200", 100);
    expect_unsat("bytes=100-,200-300,-0", 100);
    /* Dropped ranges leave the satisfiable ones. */
    expect("bytes=100-200,0-1", 100, RANGE_OK, SPANS(0, 1));
    expect("bytes=-0,0-1", 100, RANGE_OK, SPANS(0, 1));
    expect("bytes=99-", 100, RANGE_OK, SPANS(99, 99));
    expect("bytes=99-1000", 100, RANGE_OK, SPANS(99, 99));
}

/* Sorting and merging of overlapping, contained and adjacent spans. */
static void test_coalescing(void **state)
{
    (void)state;
    expect("bytes=0-4,5-9", 100, RANGE_OK, SPANS(0, 9));
    expect("bytes=5-9,0-4", 100, RANGE_OK, SPANS(0, 9));
    expect("bytes=0-4,6-9", 100, RANGE_OK, SPANS(0, 4, 6, 9));
    expect("bytes=0-99,10-20", 100, RANGE_OK, SPANS(0, 99));
    expect("bytes=10-20,0-99", 100, RANGE_OK, SPANS(0, 99));
    expect("bytes=50-59,0-9,20-29", 100, RANGE_OK, SPANS(0, 9, 20, 29, 50, 59));
    expect("bytes=0-10,5-20,15-30,40-50", 100, RANGE_OK, SPANS(0, 30, 40, 50));
    expect("bytes=3-3,3-3,3-3", 100, RANGE_OK, SPANS(3, 3));
    expect("bytes=90-,-20", 100, RANGE_OK, SPANS(80, 99));
    expect("bytes=-20,0-79", 100, RANGE_OK, SPANS(0, 99));
    expect("bytes=-20,0-78", 100, RANGE_OK, SPANS(0, 78, 80, 99));
    expect("bytes=10-10,0-100,50-", 100, RANGE_OK, SPANS(0, 99));
    /* Same first byte, the longer one listed first. */
    expect("bytes=0-50,0-10", 100, RANGE_OK, SPANS(0, 50));
}

/* Builds "bytes=" followed by `count` ranges "2i-2i" (never adjacent). */
static void build_many(char *buf, size_t len, int count, const char *spec)
{
    size_t used = (size_t)snprintf(buf, len, "bytes=");

    for (int i = 0; i < count; i++) {
        if (spec)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
                                     spec);
        else
            used += (size_t)snprintf(buf + used, len - used, "%s%d-%d",
                                     i ? "," : "", 2 * i, 2 * i);
        assert_true(used < len);
    }
}

/* More range-specs than `max`, counted before merging, void the header. */
static void test_max_limit(void **state)
{
    char hdr[2048];
    struct range_span spans[RANGE_MAX_SPANS + 4];
    size_t n;

    (void)state;
    /* Exactly max distinct ranges: all returned. */
    build_many(hdr, sizeof hdr, RANGE_MAX_SPANS, NULL);
    assert_int_equal(range_parse(hdr, 1000, spans, RANGE_MAX_SPANS, &n), RANGE_OK);
    assert_int_equal(n, RANGE_MAX_SPANS);
    assert_int_equal(spans[RANGE_MAX_SPANS - 1].first, 2 * (RANGE_MAX_SPANS - 1));

    /* One more: ignored, even though it would fit after coalescing. */
    build_many(hdr, sizeof hdr, RANGE_MAX_SPANS + 1, NULL);
    assert_int_equal(range_parse(hdr, 1000, spans, RANGE_MAX_SPANS, &n), RANGE_NONE);
    assert_int_equal(n, 0);
    build_many(hdr, sizeof hdr, RANGE_MAX_SPANS + 1, "0-0");
    assert_int_equal(range_parse(hdr, 1000, spans, RANGE_MAX_SPANS, &n), RANGE_NONE);
    build_many(hdr, sizeof hdr, RANGE_MAX_SPANS, "0-0");
    assert_int_equal(range_parse(hdr, 1000, spans, RANGE_MAX_SPANS, &n), RANGE_OK);
    assert_int_equal(n, 1);

    /* Unsatisfiable ranges count too; empty elements do not. */
    build_many(hdr, sizeof hdr, RANGE_MAX_SPANS + 1, "5000-");
    assert_int_equal(range_parse(hdr, 1000, spans, RANGE_MAX_SPANS, &n), RANGE_NONE);
    build_many(hdr, sizeof hdr, RANGE_MAX_SPANS, "5000-");
    assert_int_equal(range_parse(hdr, 1000, spans, RANGE_MAX_SPANS, &n),
                     RANGE_UNSATISFIABLE);
    assert_int_equal(range_parse("bytes=0-0,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,", 10,
                                 spans, 1, &n), RANGE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(range_parse("bytes=0-0,2-2", 10, spans, 1, &n), RANGE_NONE);

    /* max 0: nothing may be asked for, and spans is never touched. */
    assert_int_equal(range_parse("bytes=0-0", 10, NULL, 0, &n), RANGE_NONE);
    assert_int_equal(range_parse("bytes=,", 10, NULL, 0, &n), RANGE_NONE);
}

/* spans[] is written only within its first `max` slots. */
static void test_no_write_past_max(void **state)
{
    struct range_span spans[8];
    size_t n;

    (void)state;
    memset(spans, 0x5a, sizeof spans);
    assert_int_equal(range_parse("bytes=0-0,2-2,4-4,6-6", 100, spans, 3, &n),
                     RANGE_NONE);
    for (size_t i = 3; i < 8; i++)
        assert_int_equal(spans[i].first, UINT64_C(0x5a5a5a5a5a5a5a5a));
    assert_int_equal(range_parse("bytes=6-6,4-4,2-2", 100, spans, 3, &n), RANGE_OK);
    assert_int_equal(n, 3);
    assert_int_equal(spans[0].first, 2);
    assert_int_equal(spans[2].last, 6);
    assert_int_equal(spans[3].first, UINT64_C(0x5a5a5a5a5a5a5a5a));
}

/* *n is 0 for every result but RANGE_OK. */
static void test_n_reset(void **state)
{
    struct range_span spans[4];
    size_t n = 99;

    (void)state;
    assert_int_equal(range_parse("bytes=x", 10, spans, 4, &n), RANGE_NONE);
    assert_int_equal(n, 0);
    n = 99;
    assert_int_equal(range_parse("bytes=20-", 10, spans, 4, &n), RANGE_UNSATISFIABLE);
    assert_int_equal(n, 0);
    n = 99;
    assert_int_equal(range_parse(NULL, 10, spans, 4, &n), RANGE_NONE);
    assert_int_equal(n, 0);
}

/* xorshift64*: a fixed-seed generator, so failures reproduce. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/*
 * Random valid headers for small sizes, against a model: the set of bytes
 * covered by the parsed spans must equal the union of what each range-spec
 * selects, and the spans must be sorted, disjoint and non-adjacent.
 */
static void test_random_against_model(void **state)
{
    uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);

    (void)state;
    for (int iter = 0; iter < 20000; iter++) {
        char hdr[512];
        unsigned char want[80], got[80];
        struct range_span spans[RANGE_MAX_SPANS];
        uint64_t size = rnd(&seed) % 70;
        int count = 1 + (int)(rnd(&seed) % RANGE_MAX_SPANS);
        size_t used = (size_t)snprintf(hdr, sizeof hdr, "bytes=");
        int any = 0;
        size_t n;
        enum range_result r;

        memset(want, 0, sizeof want);
        memset(got, 0, sizeof got);
        for (int i = 0; i < count; i++) {
            uint64_t a = rnd(&seed) % 80, b = a + rnd(&seed) % 20;
            const char *sep = i == 0 ? "" : (rnd(&seed) % 3 == 0 ? " ,\t" : ",");

            switch (rnd(&seed) % 3) {
            case 0:  /* first-last */
                used += (size_t)snprintf(hdr + used, sizeof hdr - used,
                                         "%s%llu-%llu", sep, (unsigned long long)a,
                                         (unsigned long long)b);
                for (uint64_t x = a; x <= b && x < size; x++)
                    want[x] = any = 1;
                break;
            case 1:  /* first- */
                used += (size_t)snprintf(hdr + used, sizeof hdr - used, "%s%llu-",
                                         sep, (unsigned long long)a);
                for (uint64_t x = a; x < size; x++)
                    want[x] = any = 1;
                break;
            default: /* -suffix */
                used += (size_t)snprintf(hdr + used, sizeof hdr - used, "%s-%llu",
                                         sep, (unsigned long long)a);
                for (uint64_t x = a >= size ? 0 : size - a; a > 0 && x < size; x++)
                    want[x] = any = 1;
                break;
            }
            assert_true(used < sizeof hdr);
        }

        r = range_parse(hdr, size, spans, RANGE_MAX_SPANS, &n);
        if (r != (any ? RANGE_OK : RANGE_UNSATISFIABLE))
            fail_msg("\"%s\" size %llu: result %d", hdr, (unsigned long long)size,
                     (int)r);
        for (size_t i = 0; i < n; i++) {
            assert_true(spans[i].first <= spans[i].last);
            assert_true(spans[i].last < size);
            if (i > 0)
                assert_true(spans[i].first > spans[i - 1].last + 1);
            for (uint64_t x = spans[i].first; x <= spans[i].last; x++)
                got[x] = 1;
        }
        if (memcmp(want, got, sizeof want) != 0)
            fail_msg("\"%s\" size %llu: wrong bytes selected", hdr,
                     (unsigned long long)size);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_examples),
        cmocka_unit_test(test_absent_and_unit),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_whitespace_and_empty_elements),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_size_zero),
        cmocka_unit_test(test_size_one),
        cmocka_unit_test(test_huge_size),
        cmocka_unit_test(test_unsatisfiable),
        cmocka_unit_test(test_coalescing),
        cmocka_unit_test(test_max_limit),
        cmocka_unit_test(test_no_write_past_max),
        cmocka_unit_test(test_n_reset),
        cmocka_unit_test(test_random_against_model),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
