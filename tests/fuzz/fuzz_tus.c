/*
 * fuzz_tus.c — fuzz target for the tus header parsers (daemon/uploads/tus-header.c):
 * the input, as a NUL-terminated header value, goes to every parser, and
 * the promises of tus-header.h about each output are checked after every
 * call; a broken promise aborts.
 *
 * Checked: results are known codes; failures leave zeroed outputs; a number
 * parsed is <= INT64_MAX and prints back as the input (leading zeros
 * aside); metadata that parses has a file name obeying every rule and a
 * folder within its limit, the same with and without need_filename; an
 * over-long header is TUS_ETOOLONG; a checksum that parses re-encodes to
 * the input; Tus-Resumable is accepted for "1.0.0" only.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>

#include "fuzz.h"
#include "tus-header.h"

/* Aborts with a message when an invariant does not hold. */
static void check(int ok, const char *what, const char *input)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_tus: %s (input \"%.300s\")\n", what, input);
    abort();
}

/* Whether n bytes at p are all zero. */
static int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

static void run_uint(const char *s)
{
    uint64_t v = 777;
    int rc = tus_parse_uint(s, &v);
    char back[32];
    const char *digits = s;

    check(rc == 0 || rc == TUS_ESYNTAX || rc == TUS_ERANGE, "uint: unknown result", s);
    if (rc < 0) {
        check(v == 0, "uint: failure left a value", s);
        return;
    }
    check(v <= INT64_MAX, "uint: above INT64_MAX", s);
    while (digits[0] == '0' && digits[1])
        digits++;
    snprintf(back, sizeof back, "%" PRIu64, v);
    check(strcmp(back, digits) == 0, "uint: value does not print back as the input", s);
}

/* The rules of a parsed file name (tus-header.h), checked independently. */
static int name_ok(const char *s)
{
    size_t n = strlen(s), i = 0;

    if (n == 0 || n > NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x80 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 9;
        uint32_t cp = c & (0x7f >> (k + 1));

        if (c < 0x20 || c == 0x7f || c == '/' || k == 9 || c > 0xf4 || (k && i + k >= n))
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if (((unsigned char)s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | ((unsigned char)s[i + j] & 0x3f);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

static void run_metadata(const char *s)
{
    struct tus_metadata a, b;
    int ra, rb;

    memset(&a, 0x5a, sizeof a);
    memset(&b, 0x5a, sizeof b);
    ra = tus_metadata_parse(s, 0, &a);
    rb = tus_metadata_parse(s, 1, &b);
    check(ra <= 0 && ra >= TUS_EALGORITHM && ra != TUS_EMISSING && ra != TUS_ENOFILENAME &&
          ra != TUS_ERANGE && ra != TUS_EALGORITHM, "metadata: unknown result", s);
    check(rb <= 0 && rb >= TUS_EALGORITHM && rb != TUS_EMISSING && rb != TUS_ERANGE &&
          rb != TUS_EALGORITHM, "metadata: unknown result (need_filename)", s);
    if (strlen(s) > TUS_METADATA_MAX)
        check(ra == TUS_ETOOLONG && rb == TUS_ETOOLONG, "metadata: too long not refused", s);
    if (ra < 0)
        check(all_zero(&a, sizeof a), "metadata: failure left output", s);
    if (rb < 0)
        check(all_zero(&b, sizeof b), "metadata: failure left output (need_filename)", s);
    if (ra < 0) {
        check(rb == ra, "metadata: need_filename changed an error", s);
        return;
    }
    check(a.filename[0] == '\0' || name_ok(a.filename), "metadata: a file name breaks a rule",
          s);
    check(strlen(a.folder) <= TUS_FOLDER_MAX, "metadata: folder too long", s);
    check(a.has_folder || a.folder[0] == '\0', "metadata: folder without has_folder", s);
    if (a.filename[0]) {
        check(rb == 0 && memcmp(&a, &b, sizeof a) == 0,
              "metadata: need_filename changed the result", s);
    } else {
        check(rb == TUS_ENOFILENAME, "metadata: no file name yet accepted with need_filename",
              s);
    }
}

static void run_checksum(const char *s)
{
    unsigned char d[TUS_SHA256_LEN];
    unsigned char enc[64];
    size_t olen = 0;
    int rc;

    memset(d, 0x5a, sizeof d);
    rc = tus_checksum_parse(s, d);
    check(rc == 0 || rc == TUS_ESYNTAX || rc == TUS_EALGORITHM, "checksum: unknown result", s);
    if (rc < 0) {
        check(all_zero(d, sizeof d), "checksum: failure left a digest", s);
        check(rc != TUS_EALGORITHM || strncmp(s, "sha256 ", 7) != 0,
              "checksum: sha256 called another algorithm", s);
        return;
    }
    check(strncmp(s, "sha256 ", 7) == 0, "checksum: accepted without \"sha256 \"", s);
    check(mbedtls_base64_encode(enc, sizeof enc, &olen, d, sizeof d) == 0 && olen < sizeof enc,
          "checksum: cannot re-encode", s);
    enc[olen] = '\0';
    check(strcmp((const char *)enc, s + 7) == 0, "checksum: digest does not re-encode to input",
          s);
}

/* See fuzz.h. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    run_uint(s);
    run_metadata(s);
    run_checksum(s);
    check(tus_resumable_ok(s) == (strcmp(s, TUS_VERSION) == 0), "resumable: wrong answer", s);
    free(s);
    return 0;
}
