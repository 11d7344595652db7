/*
 * fuzz_journal.c — fuzz target for lc_journal_decode(): any bytes, and the
 * promises of journal.h checked after every call.
 *
 * Each input is decoded twice: as it is (the envelope: magic, version,
 * checksum line), and with its checksum line recomputed — a trailing
 * "\nsha256 ..." line of the right length is replaced, otherwise one is
 * appended — so that mutations reach the JSON parser and the field rules
 * instead of dying at the checksum. Whenever a decode succeeds, the
 * transfers are encoded again and decoded again, and the second decode must
 * succeed and yield the same transfers and time: whatever the decoder
 * accepts, the encoder writes, and the other way round.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "fuzz.h"
#include "journal.h"

#define TAG "\nsha256 "
#define TAG_LEN (sizeof TAG - 1)
#define TRAILER_LEN (TAG_LEN + 64 + 1)

/* Aborts with a message when an invariant does not hold. */
static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_journal: %s\n", what);
    abort();
}

/* Whether two decoded transfers are the same, field by field. */
static int same(const ferry_transfer *a, const ferry_transfer *b)
{
    return a->id == b->id && a->direction == b->direction &&
           strcmp(a->path, b->path) == 0 &&
           strcmp(a->validator, b->validator) == 0 && a->first == b->first &&
           a->last == b->last && a->done == b->done && a->total == b->total &&
           strcmp(a->peer, b->peer) == 0 && a->started_ms == b->started_ms &&
           a->restored == 1 && b->restored == 1;
}

/* Checks that a decoded string field is NUL-terminated inside its field. */
static void check_field(const char *s, size_t cap)
{
    check(memchr(s, '\0', cap) != NULL, "string field not terminated");
}

/* Decodes len bytes at p and checks everything journal.h promises. */
static void run(const char *p, size_t len)
{
    static ferry_transfer sentinel; /* decode must replace it by NULL */
    ferry_transfer *list = &sentinel, *again = &sentinel;
    size_t n = 1, n2 = 1, len2;
    uint64_t saved = 1, saved2 = 1;
    char *buf = NULL;
    int rc = lc_journal_decode(p, len, &list, &n, &saved);

    if (rc != 0) {
        check(rc == LC_JOURNAL_ECORRUPT || rc == LC_JOURNAL_EVERSION ||
              rc == FERRY_ENOMEM, "unknown error code");
        check(list == NULL && n == 0 && saved == 0, "output left on failure");
        return;
    }
    check((n == 0) == (list == NULL), "list and n disagree");
    for (size_t i = 0; i < n; i++) {
        check(list[i].restored == 1, "not marked restored");
        check(list[i].direction == FERRY_DOWNLOAD ||
              list[i].direction == FERRY_UPLOAD, "bad direction");
        check(list[i].first <= list[i].last, "first > last");
        check(list[i].total == 0 || (list[i].last < list[i].total &&
                                     list[i].done <= list[i].total),
              "range past total");
        check_field(list[i].path, sizeof list[i].path);
        check_field(list[i].validator, sizeof list[i].validator);
        check_field(list[i].peer, sizeof list[i].peer);
    }

    rc = lc_journal_encode(list, n, saved, &buf, &len2);
    if (rc == FERRY_ENOMEM) {
        free(list);
        return;
    }
    check(rc == 0, "re-encode failed");
    rc = lc_journal_decode(buf, len2, &again, &n2, &saved2);
    check(rc == 0 || rc == FERRY_ENOMEM, "re-encoded journal does not decode");
    if (rc == 0) {
        check(n2 == n, "transfer count changed");
        check(saved2 == saved, "saved_ms changed");
        for (size_t i = 0; i < n; i++)
            check(same(&list[i], &again[i]), "transfer changed");
    }
    free(again);
    free(buf);
    free(list);
}

/* See fuzz.h. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char hexd[] = "0123456789abcdef";
    const char *in = (const char *)data;
    size_t body = size;
    unsigned char sum[32];
    char *copy, *fixed;

    /* As it is, in a buffer of exactly `size` bytes (ASan: no over-read). */
    copy = calloc(1, size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, in, size);
    run(copy, size);
    free(copy);

    /* With a correct checksum line. */
    if (size >= TRAILER_LEN &&
        memcmp(in + size - TRAILER_LEN, TAG, TAG_LEN) == 0)
        body = size - TRAILER_LEN;
    fixed = malloc(body + TRAILER_LEN);
    if (!fixed)
        return 0;
    if (body)
        memcpy(fixed, in, body);
#if MBEDTLS_VERSION_MAJOR < 3
    check(mbedtls_sha256_ret((const unsigned char *)fixed, body, sum, 0) == 0,
          "sha256");
#else
    check(mbedtls_sha256((const unsigned char *)fixed, body, sum, 0) == 0,
          "sha256");
#endif
    memcpy(fixed + body, TAG, TAG_LEN);
    for (size_t i = 0; i < sizeof sum; i++) {
        fixed[body + TAG_LEN + 2 * i] = hexd[sum[i] >> 4];
        fixed[body + TAG_LEN + 2 * i + 1] = hexd[sum[i] & 15];
    }
    fixed[body + TRAILER_LEN - 1] = '\n';
    run(fixed, body + TRAILER_LEN);
    free(fixed);
    return 0;
}
