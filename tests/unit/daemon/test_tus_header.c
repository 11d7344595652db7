/*
 * test_tus_header.c — unit tests of the tus header parsers
 * (daemon/uploads/tus-header.c): strict numbers at and past INT64_MAX,
 * Tus-Resumable, Upload-Metadata (pairs, blanks, keys, base64, duplicates,
 * limits, every rule on the decoded file name and folder, the first error
 * winning), Upload-Checksum (sha256, other algorithms, malformed), and a
 * randomised round trip of file names against a model of the rules.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>

#include "tus-header.h"

/* Base64 of len bytes at p, in one of four static buffers used in turn (so
 * that up to four may be arguments of one call). */
static const char *b64n(const void *p, size_t len)
{
    static char out[4][12288];
    static unsigned turn;
    char *o = out[turn++ % 4];
    size_t olen = 0;

    assert_int_equal(mbedtls_base64_encode((unsigned char *)o, sizeof out[0], &olen, p, len), 0);
    o[olen] = '\0';
    return o;
}

/* snprintf that fails the test when the text does not fit. */
static void fmt(char *buf, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t cap, const char *f, ...)
{
    va_list ap;
    int n;

    va_start(ap, f);
    n = vsnprintf(buf, cap, f, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap)
        fail_msg("test text of %d bytes does not fit %zu", n, cap);
}

static const char *b64(const char *s)
{
    return b64n(s, strlen(s));
}

/* "filename <b64 of name, len bytes>" into buf. */
static char *filename_pair(char *buf, size_t cap, const void *name, size_t len)
{
    fmt(buf, cap, "filename %s", b64n(name, len));
    return buf;
}

/* Parses hdr with need_filename and expects `want`. */
static void expect_meta(const char *hdr, int need, int want)
{
    struct tus_metadata m;
    int rc = tus_metadata_parse(hdr, need, &m);

    if (rc != want)
        fail_msg("\"%.200s\": got %d (%s), want %d (%s)", hdr ? hdr : "(null)", rc,
                 tus_header_strerror(rc), want, tus_header_strerror(want));
    if (rc < 0) {
        /* a failure leaves nothing behind */
        assert_string_equal(m.filename, "");
        assert_string_equal(m.folder, "");
        assert_int_equal(m.has_folder, 0);
    }
}

/* Expects the file name `name` (len bytes) to give `want`. */
static void expect_name(const void *name, size_t len, int want)
{
    char hdr[4096];

    expect_meta(filename_pair(hdr, sizeof hdr, name, len), 1, want);
}

static void expect_uint(const char *s, int want, uint64_t value)
{
    uint64_t v = 12345;
    int rc = tus_parse_uint(s, &v);

    if (rc != want || v != value)
        fail_msg("\"%s\": got %d / %llu, want %d / %llu", s ? s : "(null)", rc,
                 (unsigned long long)v, want, (unsigned long long)value);
}

static void test_uint(void **state)
{
    (void)state;
    expect_uint("0", 0, 0);
    expect_uint("1", 0, 1);
    expect_uint("1048576", 0, 1048576);
    expect_uint("00042", 0, 42);
    expect_uint("9223372036854775807", 0, INT64_MAX);
    expect_uint("9223372036854775808", TUS_ERANGE, 0);
    expect_uint("18446744073709551615", TUS_ERANGE, 0);
    expect_uint("18446744073709551616", TUS_ERANGE, 0);
    expect_uint("99999999999999999999999999999999", TUS_ERANGE, 0);
    expect_uint("99999999999999999999x", TUS_ESYNTAX, 0);
    expect_uint(NULL, TUS_EMISSING, 0);
    expect_uint("", TUS_ESYNTAX, 0);
    expect_uint("-1", TUS_ESYNTAX, 0);
    expect_uint("+1", TUS_ESYNTAX, 0);
    expect_uint(" 1", TUS_ESYNTAX, 0);
    expect_uint("1 ", TUS_ESYNTAX, 0);
    expect_uint("0x10", TUS_ESYNTAX, 0);
    expect_uint("1e3", TUS_ESYNTAX, 0);
    expect_uint("1.0", TUS_ESYNTAX, 0);
    expect_uint("12,3", TUS_ESYNTAX, 0);
    expect_uint("\xd9\xa1", TUS_ESYNTAX, 0); /* ARABIC-INDIC DIGIT ONE */
}

static void test_resumable(void **state)
{
    (void)state;
    assert_true(tus_resumable_ok("1.0.0"));
    assert_false(tus_resumable_ok(NULL));
    assert_false(tus_resumable_ok(""));
    assert_false(tus_resumable_ok("1.0"));
    assert_false(tus_resumable_ok("1.0.0 "));
    assert_false(tus_resumable_ok("0.2.2"));
    assert_false(tus_resumable_ok("1.0.0,0.2.2"));
    assert_false(tus_resumable_ok("2.0.0"));
}

static void test_metadata_ok(void **state)
{
    struct tus_metadata m;
    char hdr[1024];

    (void)state;
    /* what tus-js-client sends: pairs joined by ',' */
    fmt(hdr, sizeof hdr, "filename %s,filetype %s", b64("cat.jpg"), b64("image/jpeg"));
    assert_int_equal(tus_metadata_parse(hdr, 1, &m), 0);
    assert_string_equal(m.filename, "cat.jpg");
    assert_string_equal(m.folder, "");
    assert_int_equal(m.has_folder, 0);

    fmt(hdr, sizeof hdr, "folder %s, filename %s ,is_confidential", b64("/Fotos/März"),
             b64("Grüße 😀.txt"));
    assert_int_equal(tus_metadata_parse(hdr, 1, &m), 0);
    assert_string_equal(m.filename, "Grüße 😀.txt");
    assert_string_equal(m.folder, "/Fotos/März");
    assert_int_equal(m.has_folder, 1);

    /* blanks (SP, HTAB) around pairs; an empty value */
    fmt(hdr, sizeof hdr, " \tfilename %s\t , empty , other \t", b64("a"));
    assert_int_equal(tus_metadata_parse(hdr, 1, &m), 0);
    assert_string_equal(m.filename, "a");
    fmt(hdr, sizeof hdr, "filename %s,folder ", b64("a"));
    assert_int_equal(tus_metadata_parse(hdr, 1, &m), 0);
    assert_string_equal(m.folder, "");

    /* padding of every kind; an empty folder value is the root */
    expect_meta("filename YQ==", 1, 0);
    expect_meta("filename YWI=", 1, 0);
    expect_meta("filename YWJj", 1, 0);
    fmt(hdr, sizeof hdr, "filename YWJj,folder %s", b64(""));
    expect_meta(hdr, 1, 0);

    /* keys are printable ASCII, case-sensitive: "Filename" is another key */
    fmt(hdr, sizeof hdr, "Filename %s,filename %s,k!#$%%&'*.^_`|~\"(){}[]<>@;:=?/\\ %s",
             b64("x"), b64("y"), b64("z"));
    assert_int_equal(tus_metadata_parse(hdr, 1, &m), 0);
    assert_string_equal(m.filename, "y");

    /* no metadata at all */
    expect_meta(NULL, 0, 0);
    expect_meta("", 0, 0);
    expect_meta(NULL, 1, TUS_ENOFILENAME);
    expect_meta("", 1, TUS_ENOFILENAME);
    expect_meta("filetype aW1hZ2UvanBlZw==", 1, TUS_ENOFILENAME);
    expect_meta("filetype aW1hZ2UvanBlZw==", 0, 0);
    expect_meta("filename", 1, TUS_ENOFILENAME); /* a key without a value */
    expect_meta("filename ", 1, TUS_ENOFILENAME); /* trailing blank trimmed */
}

/* "onconflict": the person's answer to a taken name, exactly "replace" or
 * "keep-both"; absent, the server's policy. */
static void test_metadata_onconflict(void **state)
{
    struct tus_metadata m;
    char hdr[1024];

    (void)state;
    fmt(hdr, sizeof hdr, "filename %s", b64("a"));
    assert_int_equal(tus_metadata_parse(hdr, 1, &m), 0);
    assert_int_equal(m.conflict, TUS_CONFLICT_POLICY);
    fmt(hdr, sizeof hdr, "filename %s,onconflict %s", b64("a"), b64("replace"));
    assert_int_equal(tus_metadata_parse(hdr, 1, &m), 0);
    assert_int_equal(m.conflict, TUS_CONFLICT_REPLACE);
    fmt(hdr, sizeof hdr, "onconflict %s,filename %s", b64("keep-both"), b64("a"));
    assert_int_equal(tus_metadata_parse(hdr, 1, &m), 0);
    assert_int_equal(m.conflict, TUS_CONFLICT_KEEP_BOTH);
    assert_string_equal(m.filename, "a");
    /* anything else is refused, and leaves nothing behind */
    const char *bad[] = {"Replace", "replace ", "keep", "keep-both!", "overwrite", "replacereplace"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fmt(hdr, sizeof hdr, "filename %s,onconflict %s", b64("a"), b64(bad[i]));
        assert_int_equal(tus_metadata_parse(hdr, 1, &m), TUS_ESYNTAX);
        assert_int_equal(m.conflict, TUS_CONFLICT_POLICY);
        assert_string_equal(m.filename, "");
    }
    fmt(hdr, sizeof hdr, "filename %s,onconflict %s", b64("a"), b64("")); /* no value: no choice */
    assert_int_equal(tus_metadata_parse(hdr, 1, &m), 0);
    assert_int_equal(m.conflict, TUS_CONFLICT_POLICY);
}

static void test_metadata_syntax(void **state)
{
    char hdr[1024];

    (void)state;
    expect_meta(",", 0, TUS_ESYNTAX);
    expect_meta("filename YQ==,", 1, TUS_ESYNTAX);
    expect_meta(",filename YQ==", 1, TUS_ESYNTAX);
    expect_meta("filename YQ==,,a", 1, TUS_ESYNTAX);
    expect_meta("filename YQ==, ,a", 1, TUS_ESYNTAX);
    expect_meta(" YQ==", 0, 0);                  /* trimmed: a key "YQ==" */
    expect_meta("filename  YQ==", 1, TUS_ESYNTAX); /* two spaces */
    expect_meta("filename YQ== x", 1, TUS_ESYNTAX);
    expect_meta("filename YQ", 1, TUS_ESYNTAX);    /* no padding */
    expect_meta("filename YQ=", 1, TUS_ESYNTAX);
    expect_meta("filename Y===", 1, TUS_ESYNTAX);
    expect_meta("filename ====", 1, TUS_ESYNTAX);
    expect_meta("filename YQ=a", 1, TUS_ESYNTAX);  /* data after '=' */
    expect_meta("filename =YQa", 1, TUS_ESYNTAX);
    expect_meta("filename YQ-_", 1, TUS_ESYNTAX);  /* base64url is not base64 */
    expect_meta("filename YR==", 1, TUS_ESYNTAX);  /* not canonical: "a" + bits */
    expect_meta("filename YWJ=", 1, TUS_ESYNTAX);
    expect_meta("filename YWI=", 1, 0);
    expect_meta("filename YW\nJj", 1, TUS_ESYNTAX);
    expect_meta("filename YW\r\nJj", 1, TUS_ESYNTAX);
    expect_meta("file\x01name YQ==", 1, TUS_ESYNTAX);
    expect_meta("file\x7fname YQ==", 1, TUS_ESYNTAX);
    expect_meta("fil\xc3\xa9name YQ==", 1, TUS_ESYNTAX);
    expect_meta("a\tb YQ==", 1, TUS_ESYNTAX);
    /* the first error in the text wins */
    expect_meta("x YQ=,filename Li4=", 1, TUS_ESYNTAX);
    expect_meta("filename Li4=,x YQ=", 1, TUS_EFILENAME);
    expect_meta("a YQ==,a YQ==,b YQ=", 0, TUS_EDUPKEY);
    /* duplicates, with or without values */
    expect_meta("filename YQ==,filename Yg==", 1, TUS_EDUPKEY);
    expect_meta("a,a", 0, TUS_EDUPKEY);
    expect_meta("a,b YQ==,a YQ==", 0, TUS_EDUPKEY);
    fmt(hdr, sizeof hdr, "folder %s,folder %s,filename YQ==", b64("a"), b64("b"));
    expect_meta(hdr, 1, TUS_EDUPKEY);
}

static void test_metadata_limits(void **state)
{
    char *hdr = malloc(TUS_METADATA_MAX + 64);
    char folder[TUS_FOLDER_MAX + 2];
    struct tus_metadata m;
    size_t len, pad;

    (void)state;
    assert_non_null(hdr);
    /* exactly TUS_METADATA_MAX bytes is fine, one more is not; leading
     * blanks make the base64 value's length a multiple of 4 */
    len = strlen("filename YQ==,pad ");
    pad = (TUS_METADATA_MAX - len) % 4;
    memset(hdr, ' ', pad);
    memcpy(hdr + pad, "filename YQ==,pad ", len);
    memset(hdr + pad + len, 'A', TUS_METADATA_MAX - pad - len);
    hdr[TUS_METADATA_MAX] = '\0';
    assert_int_equal(strlen(hdr), TUS_METADATA_MAX);
    expect_meta(hdr, 1, 0);
    memset(hdr + pad + len, 'A', TUS_METADATA_MAX + 1 - pad - len);
    hdr[TUS_METADATA_MAX + 1] = '\0';
    expect_meta(hdr, 1, TUS_ETOOLONG);

    /* at most 64 pairs */
    len = 0;
    for (int i = 0; i < 64; i++)
        len += (size_t)sprintf(hdr + len, "%sk%d", i ? "," : "", i);
    expect_meta(hdr, 0, 0);
    sprintf(hdr + len, ",k64");
    expect_meta(hdr, 0, TUS_ETOOLONG);

    /* a folder of TUS_FOLDER_MAX bytes, and one more */
    memset(folder, 'd', sizeof folder);
    for (size_t i = 8; i < TUS_FOLDER_MAX; i += 9)
        folder[i] = '/';
    fmt(hdr, TUS_METADATA_MAX + 64, "filename YQ==,folder %s", b64n(folder, TUS_FOLDER_MAX));
    assert_int_equal(tus_metadata_parse(hdr, 1, &m), 0);
    assert_int_equal(strlen(m.folder), TUS_FOLDER_MAX);
    assert_memory_equal(m.folder, folder, TUS_FOLDER_MAX);
    fmt(hdr, TUS_METADATA_MAX + 64, "filename YQ==,folder %s",
             b64n(folder, TUS_FOLDER_MAX + 1));
    expect_meta(hdr, 1, TUS_ETOOLONG);
    /* a folder may hold any byte but NUL (the resolver judges the rest) */
    fmt(hdr, TUS_METADATA_MAX + 64, "filename YQ==,folder %s", b64n("a\0b", 3));
    expect_meta(hdr, 1, TUS_EFOLDER);
    fmt(hdr, TUS_METADATA_MAX + 64, "filename YQ==,folder %s", b64("../\x01\xff/.x"));
    assert_int_equal(tus_metadata_parse(hdr, 1, &m), 0);
    assert_string_equal(m.folder, "../\x01\xff/.x");
    free(hdr);
}

static void test_filename_rules(void **state)
{
    char name[NAME_MAX + 2];

    (void)state;
    expect_name("a", 1, 0);
    expect_name(".hidden", 7, 0); /* the resolver decides about dot-files */
    expect_name("...", 3, 0);
    expect_name("a b\\c", 5, 0); /* the resolver refuses the backslash */
    expect_name("", 0, TUS_ENOFILENAME); /* "filename " is a key alone */
    expect_name(".", 1, TUS_EFILENAME);
    expect_name("..", 2, TUS_EFILENAME);
    expect_name("a/b", 3, TUS_EFILENAME);
    expect_name("/", 1, TUS_EFILENAME);
    expect_name("../x", 4, TUS_EFILENAME);
    expect_name("a\0b", 3, TUS_EFILENAME);
    expect_name("a\x01", 2, TUS_EFILENAME);
    expect_name("a\x1f", 2, TUS_EFILENAME);
    expect_name("a\n", 2, TUS_EFILENAME);
    expect_name("a\x7f", 2, TUS_EFILENAME);
    /* UTF-8 */
    expect_name("\xc3\xa9", 2, 0);
    expect_name("\xe2\x82\xac", 3, 0);
    expect_name("\xf0\x9f\x98\x80", 4, 0);
    expect_name("\xf4\x8f\xbf\xbf", 4, 0);     /* U+10FFFF */
    expect_name("\xef\xbf\xbd", 3, 0);
    expect_name("\xc0\xaf", 2, TUS_EFILENAME);  /* overlong '/' */
    expect_name("\xc1\xbf", 2, TUS_EFILENAME);
    expect_name("\xe0\x80\xaf", 3, TUS_EFILENAME);
    expect_name("\xf0\x80\x80\xaf", 4, TUS_EFILENAME);
    expect_name("\xed\xa0\x80", 3, TUS_EFILENAME); /* surrogate */
    expect_name("\xf4\x90\x80\x80", 4, TUS_EFILENAME); /* > U+10FFFF */
    expect_name("\xf5\x80\x80\x80", 4, TUS_EFILENAME);
    expect_name("\xff", 1, TUS_EFILENAME);
    expect_name("\x80", 1, TUS_EFILENAME);
    expect_name("a\xc3", 2, TUS_EFILENAME);     /* truncated */
    expect_name("\xe2\x82", 2, TUS_EFILENAME);
    expect_name("\xc3\x28", 2, TUS_EFILENAME);
    /* NAME_MAX bytes, and one more */
    memset(name, 'n', sizeof name);
    expect_name(name, NAME_MAX, 0);
    expect_name(name, NAME_MAX + 1, TUS_ENAMELONG);
    /* multi-byte characters up to the limit */
    for (size_t i = 0; i + 2 <= NAME_MAX; i += 2)
        memcpy(name + i, "\xc3\xa9", 2);
    expect_name(name, NAME_MAX - 1, 0);             /* 127 characters */
    expect_name(name, NAME_MAX - 2, TUS_EFILENAME); /* cut inside one */
}

static void test_checksum(void **state)
{
    unsigned char d[TUS_SHA256_LEN], want[TUS_SHA256_LEN];
    char hdr[256];

    (void)state;
    for (int i = 0; i < TUS_SHA256_LEN; i++)
        want[i] = (unsigned char)(i * 37 + 1);
    fmt(hdr, sizeof hdr, "sha256 %s", b64n(want, sizeof want));
    assert_int_equal(tus_checksum_parse(hdr, d), 0);
    assert_memory_equal(d, want, sizeof want);

    memset(d, 0x55, sizeof d);
    assert_int_equal(tus_checksum_parse(NULL, d), TUS_EMISSING);
    for (int i = 0; i < TUS_SHA256_LEN; i++)
        assert_int_equal(d[i], 0);
    fmt(hdr, sizeof hdr, "sha1 %s", b64n(want, 20));
    assert_int_equal(tus_checksum_parse(hdr, d), TUS_EALGORITHM);
    fmt(hdr, sizeof hdr, "md5 %s", b64n(want, 16));
    assert_int_equal(tus_checksum_parse(hdr, d), TUS_EALGORITHM);
    fmt(hdr, sizeof hdr, "sha-256 %s", b64n(want, 32));
    assert_int_equal(tus_checksum_parse(hdr, d), TUS_EALGORITHM);
    fmt(hdr, sizeof hdr, "SHA256 %s", b64n(want, 32));
    assert_int_equal(tus_checksum_parse(hdr, d), TUS_ESYNTAX);
    fmt(hdr, sizeof hdr, "sha256 %s", b64n(want, 31));
    assert_int_equal(tus_checksum_parse(hdr, d), TUS_ESYNTAX);
    fmt(hdr, sizeof hdr, "sha256 %s", b64n(want, 33));
    assert_int_equal(tus_checksum_parse(hdr, d), TUS_ESYNTAX);
    fmt(hdr, sizeof hdr, "sha256  %s", b64n(want, 32));
    assert_int_equal(tus_checksum_parse(hdr, d), TUS_ESYNTAX);
    fmt(hdr, sizeof hdr, "sha256 %s ", b64n(want, 32));
    assert_int_equal(tus_checksum_parse(hdr, d), TUS_ESYNTAX);
    assert_int_equal(tus_checksum_parse("sha256", d), TUS_ESYNTAX);
    assert_int_equal(tus_checksum_parse("sha256 ", d), TUS_ESYNTAX);
    assert_int_equal(tus_checksum_parse(" sha256 YQ==", d), TUS_ESYNTAX);
    assert_int_equal(tus_checksum_parse("", d), TUS_ESYNTAX);
    assert_int_equal(tus_checksum_parse("sha1 !!!!", d), TUS_ESYNTAX);
    assert_int_equal(tus_checksum_parse("sha1", d), TUS_ESYNTAX);
    for (int i = 0; i < TUS_SHA256_LEN; i++)
        assert_int_equal(d[i], 0);
}

/* The rules of tus-header.h for a file name, written another way. */
static int model_name(const unsigned char *s, size_t n)
{
    size_t i = 0;

    if (n > NAME_MAX)
        return TUS_ENAMELONG;
    if (n == 0)
        return TUS_ENOFILENAME; /* "filename ": trimmed to a key alone */
    if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return TUS_EFILENAME;
    while (i < n) {
        uint32_t cp;
        size_t k;

        if (s[i] < 0x20 || s[i] == 0x7f || s[i] == '/')
            return TUS_EFILENAME;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        k = s[i] >= 0xf0 ? 3 : s[i] >= 0xe0 ? 2 : s[i] >= 0xc0 ? 1 : 0;
        if (k == 0 || i + k >= n)
            return TUS_EFILENAME;
        cp = s[i] & (0x7f >> (k + 1));
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return TUS_EFILENAME;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || s[i] > 0xf4)
            return TUS_EFILENAME;
        i += k + 1;
    }
    return 0;
}

static void test_random_names(void **state)
{
    static const unsigned char pool[] = {
        'a', 'Z', '0', '.', '/', ' ', 0x00, 0x01, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc2,
        0xc3, 0xa9, 0xdf, 0xe0, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0xef, 0xf0, 0x9f, 0x98,
        0xf4, 0x8f, 0x90, 0xf5, 0xff,
    };
    uint64_t x = 0x9e3779b97f4a7c15u;
    unsigned char name[NAME_MAX + 8];
    char hdr[1024];

    (void)state;
    for (int round = 0; round < 20000; round++) {
        size_t n;
        int want, rc;
        struct tus_metadata m;

        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        n = round % 50 == 0 ? NAME_MAX - 2 + x % 5 : x % 9;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            name[i] = round % 50 == 0 ? 'q' : pool[x % sizeof pool];
        }
        want = model_name(name, n);
        rc = tus_metadata_parse(filename_pair(hdr, sizeof hdr, name, n), 1, &m);
        if (rc != want)
            fail_msg("round %d: %zu bytes: got %d, want %d", round, n, rc, want);
        if (rc == 0) {
            assert_int_equal(strlen(m.filename), n);
            assert_memory_equal(m.filename, name, n);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_resumable),
        cmocka_unit_test(test_metadata_ok),
        cmocka_unit_test(test_metadata_onconflict),
        cmocka_unit_test(test_metadata_syntax),
        cmocka_unit_test(test_metadata_limits),
        cmocka_unit_test(test_filename_rules),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_random_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
