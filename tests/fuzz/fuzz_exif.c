/*
 * fuzz_exif.c — fuzz target for the Exif thumbnail finder
 * (daemon/share/exif-thumb.h), which reads the first bytes of any file a browser
 * asks ?thumb=1 of. The whole input is the file's head, in a buffer of
 * exactly its length. Checks: no crash or overread (the sanitizers); a
 * thumbnail found lies inside the input, starts with FF D8 and ends with
 * FF D9; the orientation is 1-8, also when nothing is found (offset and
 * length are then 0).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exif-thumb.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1);
    struct exif_thumb t;
    int rc;

    if (!buf)
        abort();
    memcpy(buf, data, size);
    rc = exif_thumb_find(buf, size, &t);
    if (rc == 0) {
        if (t.length < 4 || t.offset > size || t.length > size - t.offset ||
            buf[t.offset] != 0xFF || buf[t.offset + 1] != 0xD8 ||
            buf[t.offset + t.length - 2] != 0xFF || buf[t.offset + t.length - 1] != 0xD9 ||
            t.orientation < 1 || t.orientation > 8) {
            fprintf(stderr, "fuzz_exif: a bad thumbnail at %zu+%zu (orientation %u)\n",
                    t.offset, t.length, t.orientation);
            abort();
        }
    } else if (rc != -1 || t.offset || t.length || t.orientation < 1 || t.orientation > 8) {
        fprintf(stderr, "fuzz_exif: rc %d, offset %zu, length %zu, orientation %u\n", rc,
                t.offset, t.length, t.orientation);
        abort();
    }
    free(buf);
    return 0;
}
