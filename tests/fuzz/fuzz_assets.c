/*
 * fuzz_assets.c — fuzz target for the embedded UI's header parsers
 * (daemon/ui/assets-parse.h): Accept-Encoding and If-None-Match.
 *
 * Input layout: the text up to the first newline is tried as both header
 * values; the rest (if any) as the ETag to look for, else a fixed one.
 * Checks: no crash or overread (the sanitizers), and that the answers do not
 * depend on what follows the string (each value is a NUL-terminated copy).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets-parse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t a = nl ? (size_t)(nl - data) : size;
    char *head = malloc(a + 1);
    char *etag = malloc(size - a + 16);
    int gz, hit;

    if (!head || !etag)
        abort();
    memcpy(head, data, a);
    head[a] = '\0';
    if (nl && size - a > 1) {
        memcpy(etag, nl + 1, size - a - 1);
        etag[size - a - 1] = '\0';
    } else {
        strcpy(etag, "\"0123abcd\"");
    }
    gz = assets_accepts_gzip(head);
    hit = assets_etag_listed(head, etag);
    if ((gz != 0 && gz != 1) || (hit != 0 && hit != 1)) {
        fprintf(stderr, "fuzz_assets: not a boolean (%d, %d) for \"%s\"\n", gz, hit, head);
        abort();
    }
    if (assets_etag_listed(NULL, etag) != 0)
        abort();
    if (strcmp(head, "*") == 0 && !hit)
        abort();
    free(head);
    free(etag);
    return 0;
}
