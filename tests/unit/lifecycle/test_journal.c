/*
 * test_journal.c — unit tests of the journal (lifecycle/journal.c): round
 * trips with awkward and maximal strings, truncation at every offset and
 * every single-bit flip detected, versions, strict JSON rules checked with
 * hand-written documents under a correct checksum, what the encoder leaves
 * out, and save/load/remove in a temporary folder including failed saves.
 *
 * Failed saves, as root (permissions do not stop root): RLIMIT_FSIZE with
 * SIGXFSZ ignored makes write() stop short and then fail with EFBIG in the
 * middle of the temporary file; a folder named "journal" makes the rename
 * fail; a folder fd whose folder was removed makes the create fail; a fd of
 * a regular file is not a folder.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "journal.h"
#include "tls-compat.h"

#define TRAILER_LEN 73 /* "\nsha256 " + 64 hex + "\n" */

/* ------------------------------------------------------------ helpers */

/* Sets a string field, failing the test if it does not fit. */
static void set_field(char *dst, size_t cap, const char *s)
{
    size_t len = strlen(s);

    if (len >= cap)
        fail_msg("test string of %zu bytes does not fit %zu", len, cap);
    memcpy(dst, s, len + 1);
}
#define SET(f, s) set_field((f), sizeof(f), (s))

/* Fills `field` (cap bytes) with exactly cap - 1 bytes cycling through
 * `unit`, which must divide evenly or be padded with `pad`. */
static void fill_max(char *field, size_t cap, const char *unit, char pad)
{
    size_t u = strlen(unit), len = 0;

    while (len + u <= cap - 1) {
        memcpy(field + len, unit, u);
        len += u;
    }
    while (len < cap - 1)
        field[len++] = pad;
    field[len] = '\0';
}

/* An awkward but valid transfer number i. */
static void awkward(ferry_transfer *t, unsigned i)
{
    static const char *const paths[] = {
        "/plain.txt",
        "/with space/and \"quotes\" and \\backslashes\\",
        "/new\nline\r\tand\x01\x1f\x7f controls",
        "/ünïcødé/日本語/😀 emoji.bin",
        "/",
        "",
        "/slash/at/end/",
        "/percent%20and%2Fescapes?&#",
    };

    memset(t, 0, sizeof *t);
    t->id = i + 1;
    t->direction = i % 2 ? FERRY_UPLOAD : FERRY_DOWNLOAD;
    if (i % 10 == 9) {
        /* every field at its maximum length */
        fill_max(t->path, sizeof t->path, "é", '/');
        fill_max(t->validator, sizeof t->validator, "\"\\", 'W');
        fill_max(t->peer, sizeof t->peer, "😀", ':');
    } else {
        char p[256];

        snprintf(p, sizeof p, "%s#%u", paths[i % 8], i);
        SET(t->path, p);
        snprintf(p, sizeof p, "W/\"%x-\\\"%u\"", i * 2654435761u, i);
        SET(t->validator, p);
        snprintf(p, sizeof p, i % 3 ? "[fe80::%x%%eth0]:%u" : "192.0.2.%u:%u",
                 i % 256, 1024 + i);
        SET(t->peer, p);
    }
    t->total = i % 7 == 0 ? 0 : (uint64_t)i * 1000003u + 1;
    if (t->total) {
        t->first = (uint64_t)i % t->total;
        t->last = t->total - 1;
        t->done = (t->last - t->first + 1) / 2;
    } else {
        t->first = t->last = (uint64_t)i; /* unknown size: unbounded */
        t->done = (uint64_t)i * 3;
    }
    if (i == 3) { /* the largest numbers the format holds */
        t->id = INT64_MAX;
        t->total = INT64_MAX;
        t->last = INT64_MAX - 1;
        t->first = INT64_MAX - 1;
        t->done = INT64_MAX;
        t->started_ms = INT64_MAX;
    } else {
        t->started_ms = UINT64_C(1700000000000) + i;
    }
}

/* Checks that b is a as decoded: every field equal and restored set. */
static void assert_same(const ferry_transfer *a, const ferry_transfer *b)
{
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->direction, b->direction);
    assert_string_equal(a->path, b->path);
    assert_string_equal(a->validator, b->validator);
    assert_int_equal(a->first, b->first);
    assert_int_equal(a->last, b->last);
    assert_int_equal(a->done, b->done);
    assert_int_equal(a->total, b->total);
    assert_string_equal(a->peer, b->peer);
    assert_int_equal(a->started_ms, b->started_ms);
    assert_int_equal(b->restored, 1);
}

/* SHA-256 of p[0..len) as lowercase hex into hex[65]. */
static void sha_hex(const void *p, size_t len, char hex[65])
{
    unsigned char sum[32];

    assert_int_equal(tlsc_sha256(p, len, sum), 0);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sum[i]);
}

/*
 * Builds a journal by hand: "ferry-journal <version>\n" + json + a correct
 * checksum line. Returns a malloc'd buffer of exactly *len bytes (no NUL,
 * so that ASan sees any read past the end).
 */
static char *wrap(const char *version, const char *json, size_t *len)
{
    size_t body = strlen("ferry-journal ") + strlen(version) + 1 + strlen(json);
    char *buf = malloc(body + TRAILER_LEN + 1);
    char hex[65];

    assert_non_null(buf);
    snprintf(buf, body + 1, "ferry-journal %s\n%s", version, json);
    sha_hex(buf, body, hex);
    snprintf(buf + body, TRAILER_LEN + 1, "\nsha256 %s\n", hex);
    *len = body + TRAILER_LEN;
    return buf;
}

/* Copies len bytes into a fresh buffer of exactly len bytes. */
static char *exact_copy(const char *p, size_t len)
{
    char *c = malloc(len ? len : 1);

    assert_non_null(c);
    memcpy(c, p, len);
    return c;
}

/* Decodes len bytes at p and checks the result code; on failure also that
 * nothing was returned. */
static void expect_decode(const char *p, size_t len, int want, const char *what)
{
    ferry_transfer *list = (ferry_transfer *)1;
    size_t n = 99;
    uint64_t saved = 99;
    int rc = lc_journal_decode(p, len, &list, &n, &saved);

    /* what may be a whole JSON document: show its start only */
    if (rc != want)
        fail_msg("%.100s: decode returned %d, want %d", what, rc, want);
    if (rc != 0 && (list != NULL || n != 0 || saved != 0))
        fail_msg("%.100s: failed decode left output behind", what);
    free(list);
}

/* Wraps json under a correct checksum and expects `want` from decode. */
static void expect_json(const char *json, int want)
{
    size_t len;
    char *buf = wrap("1", json, &len);

    expect_decode(buf, len, want, json);
    free(buf);
}

/* Encodes list[0..n), decodes it back and compares. */
static void roundtrip(const ferry_transfer *list, size_t n, uint64_t saved_ms)
{
    char *buf;
    size_t len, m;
    ferry_transfer *out;
    uint64_t saved;

    assert_int_equal(lc_journal_encode(list, n, saved_ms, &buf, &len), 0);
    assert_true(len > 16 + TRAILER_LEN);
    assert_memory_equal(buf, "ferry-journal 1\n", 16);
    assert_memory_equal(buf + len - TRAILER_LEN, "\nsha256 ", 8);
    assert_int_equal(buf[len - 1], '\n');
    assert_int_equal(buf[len], '\0');
    {
        char hex[65];

        sha_hex(buf, len - TRAILER_LEN, hex);
        assert_memory_equal(buf + len - 65, hex, 64);
    }
    {
        char *exact = exact_copy(buf, len);

        assert_int_equal(lc_journal_decode(exact, len, &out, &m, &saved), 0);
        free(exact);
    }
    assert_int_equal(m, n);
    assert_int_equal(saved, saved_ms);
    if (n == 0)
        assert_null(out);
    for (size_t i = 0; i < n; i++)
        assert_same(&list[i], &out[i]);
    free(out);
    free(buf);
}

/* ------------------------------------------------------------ encode/decode */

static void test_roundtrip_0(void **state)
{
    (void)state;
    roundtrip(NULL, 0, 0);
    roundtrip(NULL, 0, 123456789);
    roundtrip(NULL, 0, INT64_MAX);
}

static void test_roundtrip_1(void **state)
{
    ferry_transfer t;

    (void)state;
    for (unsigned i = 0; i < 10; i++) {
        awkward(&t, i);
        roundtrip(&t, 1, 42);
    }
}

static void test_roundtrip_1000(void **state)
{
    ferry_transfer *list = calloc(1000, sizeof *list);

    (void)state;
    assert_non_null(list);
    for (unsigned i = 0; i < 1000; i++)
        awkward(&list[i], i);
    roundtrip(list, 1000, UINT64_C(1700000000123));
    free(list);
}

static void test_encode_leaves_out_unwritable(void **state)
{
    ferry_transfer list[10], *out;
    char *buf;
    size_t len, n;
    uint64_t saved;

    (void)state;
    for (int i = 0; i < 10; i++)
        awkward(&list[i], (unsigned)i + 1);
    list[0].path[1] = (char)0xff;             /* not UTF-8 */
    memset(list[1].peer, 'x', sizeof list[1].peer); /* no NUL */
    list[2].first = list[2].last + 1;         /* first > last */
    list[3].total = 5, list[3].first = 0, list[3].last = 5; /* last >= total */
    list[4].total = 5, list[4].first = 0, list[4].last = 4, list[4].done = 6;
    list[5].direction = (enum ferry_direction)7;
    list[6].id = (uint64_t)INT64_MAX + 1;     /* not a JSON integer */
    list[7].started_ms = UINT64_MAX;
    memcpy(list[8].validator, "\xc3", 2);     /* cut UTF-8 */
    /* list[9] is fine */
    assert_int_equal(lc_journal_encode(list, 10, UINT64_MAX, &buf, &len), 0);
    assert_int_equal(lc_journal_decode(buf, len, &out, &n, &saved), 0);
    assert_int_equal(n, 1);
    assert_same(&list[9], &out[0]);
    assert_int_equal(saved, INT64_MAX);
    free(out);
    free(buf);
}

static void test_decode_saved_ms_optional(void **state)
{
    ferry_transfer t, *out;
    char *buf;
    size_t len, n;

    (void)state;
    awkward(&t, 1);
    assert_int_equal(lc_journal_encode(&t, 1, 5, &buf, &len), 0);
    assert_int_equal(lc_journal_decode(buf, len, &out, &n, NULL), 0);
    assert_int_equal(n, 1);
    free(out);
    free(buf);
}

/* A small journal of two transfers, for the exhaustive damage tests. */
static char *small_journal(size_t *len)
{
    ferry_transfer t[2];
    char *buf;

    awkward(&t[0], 1);
    awkward(&t[1], 4);
    assert_int_equal(lc_journal_encode(t, 2, 1000, &buf, len), 0);
    return buf;
}

static void test_truncation_every_offset(void **state)
{
    size_t len;
    char *buf = small_journal(&len);
    char *longer;

    (void)state;
    for (size_t cut = 0; cut < len; cut++) {
        char *p = exact_copy(buf, cut);
        char what[64];

        snprintf(what, sizeof what, "cut at %zu of %zu", cut, len);
        expect_decode(p, cut, LC_JOURNAL_ECORRUPT, what);
        free(p);
    }
    /* and one byte too many */
    longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, buf, len);
    longer[len] = '\n';
    expect_decode(longer, len + 1, LC_JOURNAL_ECORRUPT, "extra byte");
    free(longer);
    expect_decode(buf, len, 0, "intact");
    free(buf);
}

static void test_every_bit_flip(void **state)
{
    size_t len, flips = 0;
    char *buf = small_journal(&len);

    (void)state;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            char *p = exact_copy(buf, len);
            char what[64];

            p[i] = (char)(p[i] ^ (1 << bit));
            snprintf(what, sizeof what, "bit %d of byte %zu ('%c')", bit, i,
                     buf[i] >= 32 && buf[i] < 127 ? buf[i] : '?');
            expect_decode(p, len, LC_JOURNAL_ECORRUPT, what);
            free(p);
            flips++;
        }
    }
    assert_int_equal(flips, 8 * len);
    printf("# %zu single-bit flips of a %zu-byte journal: all corrupt\n",
           flips, len);
    free(buf);
}

static void test_versions(void **state)
{
    static const char json[] = "{\"saved_ms\": 1, \"transfers\": []}";
    static const struct {
        const char *version;
        int want;
    } cases[] = {
        {"1", 0},
        {"2", LC_JOURNAL_EVERSION},
        {"10", LC_JOURNAL_EVERSION},
        {"4294967296", LC_JOURNAL_EVERSION},
        {"99999999999999999999999999", LC_JOURNAL_EVERSION},
        {"0", LC_JOURNAL_ECORRUPT},
        {"01", LC_JOURNAL_ECORRUPT},
        {"", LC_JOURNAL_ECORRUPT},
        {"1 ", LC_JOURNAL_ECORRUPT},
        {" 1", LC_JOURNAL_ECORRUPT},
        {"+1", LC_JOURNAL_ECORRUPT},
        {"1.0", LC_JOURNAL_ECORRUPT},
        {"-1", LC_JOURNAL_ECORRUPT},
        {"1\r", LC_JOURNAL_ECORRUPT},
        {"v1", LC_JOURNAL_ECORRUPT},
    };
    size_t len;
    char *buf;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf = wrap(cases[i].version, json, &len);
        expect_decode(buf, len, cases[i].want, cases[i].version);
        free(buf);
    }
    /* a newer version with a bad checksum is corrupt, not newer */
    buf = wrap("2", json, &len);
    buf[len - 2] = buf[len - 2] == '0' ? '1' : '0';
    expect_decode(buf, len, LC_JOURNAL_ECORRUPT, "version 2, bad checksum");
    free(buf);
    /* the envelope itself */
    buf = wrap("1", json, &len);
    buf[0] = 'F';
    expect_decode(buf, len, LC_JOURNAL_ECORRUPT, "magic");
    free(buf);
    buf = wrap("1", json, &len);
    for (size_t i = len - 65; i < len - 1; i++) /* checksum in upper case */
        if (buf[i] >= 'a' && buf[i] <= 'f')
            buf[i] = (char)(buf[i] - 'a' + 'A');
    expect_decode(buf, len, LC_JOURNAL_ECORRUPT, "upper-case hex");
    free(buf);
    expect_decode("", 0, LC_JOURNAL_ECORRUPT, "empty");
}

/* One transfer object with every field given as raw JSON; NULL leaves the
 * field out; `extra` (raw "key": value text) is appended when not NULL. */
struct tj {
    const char *id, *direction, *path, *validator, *first, *last, *done,
        *total, *peer, *started_ms, *extra;
};

/* A valid transfer, to be spoilt one field at a time. */
static struct tj tj_ok(void)
{
    struct tj t = {
        .id = "1", .direction = "\"download\"", .path = "\"/a\"",
        .validator = "\"v\"", .first = "0", .last = "9", .done = "5",
        .total = "10", .peer = "\"192.0.2.1\"", .started_ms = "7",
    };

    return t;
}

/* Renders a journal JSON document holding the one transfer *t. */
static char *doc(const struct tj *t)
{
    const char *keys[] = {"id", "direction", "path", "validator", "first",
                          "last", "done", "total", "peer", "started_ms"};
    const char *vals[] = {t->id, t->direction, t->path, t->validator,
                          t->first, t->last, t->done, t->total, t->peer,
                          t->started_ms};
    size_t cap = 256;
    char *s;
    int sep = 0;

    for (int i = 0; i < 10; i++)
        cap += vals[i] ? strlen(vals[i]) + 16 : 0;
    cap += t->extra ? strlen(t->extra) : 0;
    s = malloc(cap);
    assert_non_null(s);
    strcpy(s, "{\"saved_ms\": 3, \"transfers\": [{");
    for (int i = 0; i < 10; i++) {
        if (!vals[i])
            continue;
        snprintf(s + strlen(s), cap - strlen(s), "%s\"%s\": %s",
                 sep++ ? ", " : "", keys[i], vals[i]);
    }
    if (t->extra)
        snprintf(s + strlen(s), cap - strlen(s), "%s%s", sep ? ", " : "",
                 t->extra);
    strcat(s, "}]}");
    return s;
}

/* Expects `want` from the journal of the one transfer *t. */
static void expect_tj(const struct tj *t, int want)
{
    char *s = doc(t);

    expect_json(s, want);
    free(s);
}

/* A JSON string literal of n copies of `unit`. */
static char *jstr(const char *unit, size_t n)
{
    size_t u = strlen(unit);
    char *s = malloc(u * n + 3);

    assert_non_null(s);
    s[0] = '"';
    for (size_t i = 0; i < n; i++)
        memcpy(s + 1 + i * u, unit, u);
    s[1 + u * n] = '"';
    s[2 + u * n] = '\0';
    return s;
}

static void test_json_baseline(void **state)
{
    const struct tj ok = tj_ok();
    ferry_transfer *out;
    size_t len, n;
    uint64_t saved;
    char *s = doc(&ok), *buf = wrap("1", s, &len);

    (void)state;
    /* the hand-made journal is accepted, so the failures below are real */
    assert_int_equal(lc_journal_decode(buf, len, &out, &n, &saved), 0);
    assert_int_equal(n, 1);
    assert_int_equal(saved, 3);
    assert_int_equal(out[0].id, 1);
    assert_string_equal(out[0].path, "/a");
    assert_int_equal(out[0].done, 5);
    assert_int_equal(out[0].restored, 1);
    free(out);
    free(buf);
    free(s);
    expect_json("{\"saved_ms\":0,\"transfers\":[]}", 0);
    expect_json("{\"transfers\":[],\"saved_ms\":0}", 0);
    expect_json(" \n\t{\"saved_ms\":0,\"transfers\":[]}\n ", 0);
}

static void test_json_top_level_bad(void **state)
{
    static const char *const bad[] = {
        "",
        " ",
        "[]",
        "null",
        "{}",
        "1",
        "\"s\"",
        "{\"saved_ms\": 1}",
        "{\"transfers\": []}",
        "{\"saved_ms\": -1, \"transfers\": []}",
        "{\"saved_ms\": 1.0, \"transfers\": []}",
        "{\"saved_ms\": 1e3, \"transfers\": []}",
        "{\"saved_ms\": \"1\", \"transfers\": []}",
        "{\"saved_ms\": null, \"transfers\": []}",
        "{\"saved_ms\": 9223372036854775808, \"transfers\": []}",
        "{\"saved_ms\": 1, \"transfers\": {}}",
        "{\"saved_ms\": 1, \"transfers\": null}",
        "{\"saved_ms\": 1, \"transfers\": [1]}",
        "{\"saved_ms\": 1, \"transfers\": [[]]}",
        "{\"saved_ms\": 1, \"transfers\": [{}]}",
        "{\"saved_ms\": 1, \"transfers\": [null]}",
        "{\"saved_ms\": 1, \"transfers\": [], \"x\": 0}",
        "{\"saved_ms\": 1, \"saved_ms\": 1, \"transfers\": []}",
        "{\"saved_ms\": 1, \"transfers\": []} x",
        "{\"saved_ms\": 1, \"transfers\": []}{}",
        "{\"saved_ms\": 1, \"transfers\": [}",
        "{\"saved_ms\": 1, \"transfers\": [],}",
        "{'saved_ms': 1, 'transfers': []}",
        "{\"saved_ms\": 1, \"transfers\": []",
    };

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_json(bad[i], LC_JOURNAL_ECORRUPT);
}

/* The slot of struct tj named `key` (a JSON key), or NULL. */
static const char **tj_slot(struct tj *t, const char *key)
{
    const char *keys[] = {"id", "direction", "path", "validator", "first",
                          "last", "done", "total", "peer", "started_ms",
                          "extra"};
    const char **slots[] = {&t->id, &t->direction, &t->path, &t->validator,
                            &t->first, &t->last, &t->done, &t->total,
                            &t->peer, &t->started_ms, &t->extra};

    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i], key) == 0)
            return slots[i];
    fail_msg("no field %s", key);
    return NULL;
}

/* Leaves a field out when given as its value to expect_mod(). */
static const char OMIT[] = "(omitted)";

/*
 * Expects `want` from the journal of tj_ok() changed by the NULL-terminated
 * pairs of key and raw JSON value that follow (OMIT as value: no such key;
 * key "extra": one more "key": value text).
 */
static void expect_mod(int want, ...)
{
    struct tj t = tj_ok();
    const char *key;
    va_list ap;

    va_start(ap, want);
    while ((key = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);

        *tj_slot(&t, key) = value == OMIT ? NULL : value;
    }
    va_end(ap);
    expect_tj(&t, want);
}

static void test_json_transfer_bad(void **state)
{
    static const char *const fields[] = {
        "id", "direction", "path", "validator", "first", "last", "done",
        "total", "peer", "started_ms",
    };
    static const char *const ints[] = {"id", "first", "last", "done", "total",
                                       "started_ms"};
    static const char *const strs[] = {"direction", "path", "validator",
                                       "peer"};
    static const char *const bad_int[] = {
        "-1", "1.0", "1e2", "\"1\"", "null", "true", "[]", "{}",
        "9223372036854775808", "-0.0",
    };
    static const char *const bad_str[] = {"1", "null", "[]", "{}", "true"};
    static const char *const bad_dir[] = {"\"sideways\"", "\"Download\"",
                                          "\"upload \"", "\"\"", "0", "1"};
    const int BAD = LC_JOURNAL_ECORRUPT;
    const size_t caps[] = {sizeof ((ferry_transfer *)0)->path,
                           sizeof ((ferry_transfer *)0)->validator,
                           sizeof ((ferry_transfer *)0)->peer};
    const char *cap_keys[] = {"path", "validator", "peer"};

    (void)state;
    expect_mod(0, NULL); /* the base is valid */
    /* each field missing in turn */
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
        expect_mod(BAD, fields[f], OMIT, NULL);
    /* numbers and strings of the wrong type or range */
    for (size_t i = 0; i < sizeof bad_int / sizeof bad_int[0]; i++)
        for (size_t f = 0; f < sizeof ints / sizeof ints[0]; f++)
            expect_mod(BAD, ints[f], bad_int[i], NULL);
    for (size_t i = 0; i < sizeof bad_str / sizeof bad_str[0]; i++)
        for (size_t f = 0; f < sizeof strs / sizeof strs[0]; f++)
            expect_mod(BAD, strs[f], bad_str[i], NULL);
    /* directions */
    for (size_t i = 0; i < sizeof bad_dir / sizeof bad_dir[0]; i++)
        expect_mod(BAD, "direction", bad_dir[i], NULL);
    expect_mod(0, "direction", "\"upload\"", NULL);

    /* the range rule (the base has first 0, last 9, done 5, total 10) */
    expect_mod(BAD, "first", "5", "last", "4", NULL);
    expect_mod(BAD, "last", "10", NULL);              /* last == total */
    expect_mod(BAD, "done", "11", NULL);              /* done > total */
    expect_mod(BAD, "total", "0", "first", "4", "last", "3", NULL);
    expect_mod(0, "done", "10", NULL);
    expect_mod(0, "first", "9", "last", "9", NULL);
    expect_mod(0, "first", "0", "last", "0", "done", "0", "total", "1", NULL);
    /* total 0: size unknown (or empty), last and done unbounded */
    expect_mod(0, "total", "0", "first", "3", "last", "1000", "done", "4000",
               NULL);
    expect_mod(0, "total", "9223372036854775807",
               "last", "9223372036854775806", "id", "9223372036854775807",
               "done", "9223372036854775807",
               "started_ms", "9223372036854775807", NULL);

    /* string sizes: size - 1 bytes fit, size bytes do not; counted in bytes
     * after unescaping ("\u00e9" is 2 bytes of UTF-8) */
    for (int k = 0; k < 3; k++) {
        char *s;

        s = jstr("x", caps[k] - 1);
        expect_mod(0, cap_keys[k], s, NULL);
        free(s);
        s = jstr("x", caps[k]);
        expect_mod(BAD, cap_keys[k], s, NULL);
        free(s);
        s = jstr("\\u00e9", caps[k] / 2);
        expect_mod(BAD, cap_keys[k], s, NULL);
        free(s);
        s = jstr("\\u00e9", (caps[k] - 1) / 2);
        expect_mod(0, cap_keys[k], s, NULL);
        free(s);
    }
    /* strings that cannot be C strings or are not Unicode */
    expect_mod(BAD, "path", "\"/a\\u0000b\"", NULL);
    expect_mod(BAD, "path", "\"/\\ud800\"", NULL);
    expect_mod(BAD, "peer", "\"\xff\"", NULL);
    expect_mod(BAD, "validator", "\"\xc3\"", NULL);
    expect_mod(0, "path", "\"/\\\"\\\\\\/\\b\\f\\n\\r\\t\\u263a\\ud83d\\ude00\"",
               NULL);
    /* unknown and duplicate keys */
    expect_mod(BAD, "extra", "\"x\": 1", NULL);
    expect_mod(BAD, "extra", "\"id\": 1", NULL);
    expect_mod(BAD, "extra", "\"restored\": 1", NULL);
    expect_mod(BAD, "id", OMIT, "extra", "\"ID\": 1", NULL);

    /* one bad transfer among good ones spoils the whole journal */
    expect_json("{\"saved_ms\": 3, \"transfers\": ["
                "{\"id\": 1, \"direction\": \"upload\", \"path\": \"/a\", "
                "\"validator\": \"\", \"first\": 0, \"last\": 0, \"done\": 0, "
                "\"total\": 0, \"peer\": \"\", \"started_ms\": 0}, "
                "{\"id\": 2, \"direction\": \"upload\", \"path\": \"/b\", "
                "\"validator\": \"\", \"first\": 1, \"last\": 0, \"done\": 0, "
                "\"total\": 0, \"peer\": \"\", \"started_ms\": 0}]}",
                LC_JOURNAL_ECORRUPT);
}

/* ------------------------------------------------------------ files */

struct folder {
    char path[256];
    int fd;
};

/* Creates a fresh temporary folder. */
static int folder_setup(void **state)
{
    struct folder *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");

    if (!f)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/ferry-journal-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->path)) {
        free(f);
        return -1;
    }
    f->fd = open(f->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f->fd < 0) {
        rmdir(f->path);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

/*
 * Opens the folder at fd for reading its entries from the start. (A dup()
 * would share fd's read position, left at the end by an earlier listing.)
 */
static DIR *list_folder(int fd)
{
    int fresh = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fresh >= 0 ? fdopendir(fresh) : NULL;

    if (!d && fresh >= 0)
        close(fresh);
    return d;
}

/* Empties `fd`'s folder (files and empty subfolders). */
static void empty_folder(int fd)
{
    DIR *d = list_folder(fd);
    struct dirent *de;

    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(fd, de->d_name, 0) != 0)
            unlinkat(fd, de->d_name, AT_REMOVEDIR);
    }
    closedir(d);
}

/* Removes the folder and everything in it. */
static int folder_teardown(void **state)
{
    struct folder *f = *state;

    empty_folder(f->fd);
    close(f->fd);
    rmdir(f->path);
    free(f);
    return 0;
}

/* The names in the folder other than "journal", "." and "..": how many, and
 * whether any starts with "journal.tmp". */
static int stray_files(int fd)
{
    DIR *d = list_folder(fd);
    int n = 0;
    struct dirent *de;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
            strcmp(de->d_name, "journal")) {
            printf("# stray file: %s\n", de->d_name);
            n++;
        }
    }
    closedir(d);
    return n;
}

static void test_save_load(void **state)
{
    struct folder *f = *state;
    ferry_transfer list[3], *out;
    struct stat st;
    uint64_t saved;
    size_t n;

    for (unsigned i = 0; i < 3; i++)
        awkward(&list[i], i + 7);
    assert_int_equal(lc_journal_save(f->fd, list, 3, 99), 0);
    assert_int_equal(fstatat(f->fd, "journal", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(stray_files(f->fd), 0);
    assert_int_equal(lc_journal_load(f->fd, &out, &n, &saved), 0);
    assert_int_equal(n, 3);
    assert_int_equal(saved, 99);
    for (int i = 0; i < 3; i++)
        assert_same(&list[i], &out[i]);
    free(out);

    /* a second save replaces the first; the mode is 0600 whatever the
     * umask (0277 would make it 0400) */
    {
        mode_t old = umask(0277);

        assert_int_equal(lc_journal_save(f->fd, &list[2], 1, 100), 0);
        umask(old);
    }
    assert_int_equal(fstatat(f->fd, "journal", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(lc_journal_load(f->fd, &out, &n, &saved), 0);
    assert_int_equal(n, 1);
    assert_int_equal(saved, 100);
    assert_same(&list[2], &out[0]);
    free(out);
    /* an empty journal is a journal too */
    assert_int_equal(lc_journal_save(f->fd, NULL, 0, 101), 0);
    assert_int_equal(lc_journal_load(f->fd, &out, &n, &saved), 0);
    assert_int_equal(n, 0);
    assert_null(out);
    assert_int_equal(saved, 101);
    assert_int_equal(stray_files(f->fd), 0);
}

static void test_load_missing_and_remove(void **state)
{
    struct folder *f = *state;
    ferry_transfer t, *out = (ferry_transfer *)1;
    uint64_t saved = 7;
    size_t n = 7;

    assert_int_equal(lc_journal_load(f->fd, &out, &n, &saved), 0);
    assert_null(out);
    assert_int_equal(n, 0);
    assert_int_equal(saved, 0);
    assert_int_equal(lc_journal_remove(f->fd), 0); /* nothing to remove */
    awkward(&t, 2);
    assert_int_equal(lc_journal_save(f->fd, &t, 1, 1), 0);
    assert_int_equal(faccessat(f->fd, "journal", F_OK, 0), 0);
    assert_int_equal(lc_journal_remove(f->fd), 0);
    assert_int_equal(faccessat(f->fd, "journal", F_OK, 0), -1);
    assert_int_equal(lc_journal_load(f->fd, &out, &n, &saved), 0);
    assert_int_equal(n, 0);
    assert_int_equal(lc_journal_remove(f->fd), 0);
    assert_int_equal(stray_files(f->fd), 0);
}

/* Writes len bytes at p as the file `name` in fd. */
static void put_file(int dir_fd, const char *name, const char *p, size_t len)
{
    int fd = openat(dir_fd, name, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, len), (ssize_t)len);
    close(fd);
}

static void test_load_bad_files(void **state)
{
    struct folder *f = *state;
    ferry_transfer *out = (ferry_transfer *)1;
    size_t n = 1, len;
    char *buf = small_journal(&len);

    /* garbage, a damaged journal, an empty file */
    put_file(f->fd, "journal", "hello", 5);
    assert_int_equal(lc_journal_load(f->fd, &out, &n, NULL), LC_JOURNAL_ECORRUPT);
    assert_null(out);
    assert_int_equal(n, 0);
    buf[len / 2] ^= 1;
    put_file(f->fd, "journal", buf, len);
    assert_int_equal(lc_journal_load(f->fd, &out, &n, NULL), LC_JOURNAL_ECORRUPT);
    buf[len / 2] ^= 1;
    put_file(f->fd, "journal", buf, len);
    assert_int_equal(lc_journal_load(f->fd, &out, &n, NULL), 0);
    assert_int_equal(n, 2);
    free(out);
    put_file(f->fd, "journal", "", 0);
    assert_int_equal(lc_journal_load(f->fd, &out, &n, NULL), LC_JOURNAL_ECORRUPT);
    assert_int_equal(unlinkat(f->fd, "journal", 0), 0);

    /* a symlink is not followed, even to a good journal */
    put_file(f->fd, "real", buf, len);
    assert_int_equal(symlinkat("real", f->fd, "journal"), 0);
    assert_int_equal(lc_journal_load(f->fd, &out, &n, NULL), -ELOOP);
    assert_null(out);
    assert_int_equal(unlinkat(f->fd, "journal", 0), 0);
    assert_int_equal(unlinkat(f->fd, "real", 0), 0);

    /* a folder or a FIFO under the name: corrupt, and the FIFO must not
     * block the open */
    assert_int_equal(mkdirat(f->fd, "journal", 0700), 0);
    assert_int_equal(lc_journal_load(f->fd, &out, &n, NULL), LC_JOURNAL_ECORRUPT);
    assert_int_equal(unlinkat(f->fd, "journal", AT_REMOVEDIR), 0);
    assert_int_equal(mkfifoat(f->fd, "journal", 0600), 0);
    assert_int_equal(lc_journal_load(f->fd, &out, &n, NULL), LC_JOURNAL_ECORRUPT);
    assert_int_equal(unlinkat(f->fd, "journal", 0), 0);

    /* a file over 256 MiB is refused without reading it (sparse) */
    {
        int fd = openat(f->fd, "journal", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, ((off_t)256 << 20) + 1), 0);
        close(fd);
        assert_int_equal(lc_journal_load(f->fd, &out, &n, NULL),
                         LC_JOURNAL_ECORRUPT);
    }
    free(buf);
}

/* Loads the journal and checks it is the one transfer *t saved at `saved`. */
static void expect_journal(int dir_fd, const ferry_transfer *t, uint64_t saved)
{
    ferry_transfer *out;
    uint64_t s;
    size_t n;

    assert_int_equal(lc_journal_load(dir_fd, &out, &n, &s), 0);
    assert_int_equal(n, 1);
    assert_int_equal(s, saved);
    assert_same(t, &out[0]);
    free(out);
}

static void test_failed_save_keeps_old(void **state)
{
    struct folder *f = *state;
    ferry_transfer old, *none, *big = calloc(1000, sizeof *big);
    struct rlimit lim, small;
    void (*prev)(int);
    int rc;

    assert_non_null(big);
    awkward(&old, 5);
    for (unsigned i = 0; i < 1000; i++)
        awkward(&big[i], i);
    assert_int_equal(lc_journal_save(f->fd, &old, 1, 11), 0);

    /* 1. the write fails part-way (a short write, then EFBIG) */
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &lim), 0);
    prev = signal(SIGXFSZ, SIG_IGN);
    small = lim;
    small.rlim_cur = 4096;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    rc = lc_journal_save(f->fd, big, 1000, 12);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, -EFBIG);
    assert_int_equal(stray_files(f->fd), 0);
    expect_journal(f->fd, &old, 11);

    /* 2. the rename fails: a folder sits under the name */
    assert_int_equal(lc_journal_remove(f->fd), 0);
    assert_int_equal(mkdirat(f->fd, "journal", 0700), 0);
    rc = lc_journal_save(f->fd, &old, 1, 13);
    assert_true(rc == -EISDIR || rc == -ENOTEMPTY || rc == -EEXIST);
    assert_int_equal(stray_files(f->fd), 0);
    assert_int_equal(unlinkat(f->fd, "journal", AT_REMOVEDIR), 0);
    assert_int_equal(lc_journal_save(f->fd, &old, 1, 11), 0);

    /* 3. the folder is gone: nothing can be created */
    {
        char sub[300];
        int sub_fd;

        snprintf(sub, sizeof sub, "%s/gone", f->path);
        assert_int_equal(mkdir(sub, 0700), 0);
        sub_fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(sub_fd >= 0);
        assert_int_equal(rmdir(sub), 0);
        assert_int_equal(lc_journal_save(sub_fd, &old, 1, 14), -ENOENT);
        close(sub_fd);
    }

    /* 4. not a folder, and not a descriptor */
    {
        int file_fd;

        put_file(f->fd, "plain", "x", 1);
        file_fd = openat(f->fd, "plain", O_RDONLY | O_CLOEXEC);
        assert_true(file_fd >= 0);
        assert_int_equal(lc_journal_save(file_fd, &old, 1, 15), -ENOTDIR);
        assert_int_equal(lc_journal_load(file_fd, &none, &(size_t){0}, NULL),
                         -ENOTDIR);
        assert_null(none);
        assert_int_equal(lc_journal_remove(file_fd), -ENOTDIR);
        close(file_fd);
        assert_int_equal(unlinkat(f->fd, "plain", 0), 0);
        assert_int_equal(lc_journal_save(-1, &old, 1, 16), -EBADF);
    }
    assert_int_equal(stray_files(f->fd), 0);
    expect_journal(f->fd, &old, 11);
    free(big);
}

static void test_time_1000(void **state)
{
    struct folder *f = *state;
    ferry_transfer *list = calloc(1000, sizeof *list), *out;
    struct timespec t0, t1, t2;
    struct stat st;
    size_t n;

    assert_non_null(list);
    for (unsigned i = 0; i < 1000; i++)
        awkward(&list[i], i);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(lc_journal_save(f->fd, list, 1000, 1), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(lc_journal_load(f->fd, &out, &n, NULL), 0);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    assert_int_equal(n, 1000);
    assert_int_equal(fstatat(f->fd, "journal", &st, 0), 0);
    printf("# 1000 transfers (%lld bytes): save %.2f ms, load %.2f ms\n",
           (long long)st.st_size,
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
           (double)(t2.tv_sec - t1.tv_sec) * 1e3 +
               (double)(t2.tv_nsec - t1.tv_nsec) / 1e6);
    for (int i = 0; i < 1000; i++)
        assert_same(&list[i], &out[i]);
    free(out);
    free(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_0),
        cmocka_unit_test(test_roundtrip_1),
        cmocka_unit_test(test_roundtrip_1000),
        cmocka_unit_test(test_encode_leaves_out_unwritable),
        cmocka_unit_test(test_decode_saved_ms_optional),
        cmocka_unit_test(test_truncation_every_offset),
        cmocka_unit_test(test_every_bit_flip),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_json_baseline),
        cmocka_unit_test(test_json_top_level_bad),
        cmocka_unit_test(test_json_transfer_bad),
        cmocka_unit_test_setup_teardown(test_save_load, folder_setup,
                                        folder_teardown),
        cmocka_unit_test_setup_teardown(test_load_missing_and_remove,
                                        folder_setup, folder_teardown),
        cmocka_unit_test_setup_teardown(test_load_bad_files, folder_setup,
                                        folder_teardown),
        cmocka_unit_test_setup_teardown(test_failed_save_keeps_old,
                                        folder_setup, folder_teardown),
        cmocka_unit_test_setup_teardown(test_time_1000, folder_setup,
                                        folder_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
