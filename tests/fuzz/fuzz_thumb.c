/*
 * fuzz_thumb.c — fuzz target for the thumbnail maker (daemon/share/thumb-scale.h),
 * which reads any JPEG or PNG file a browser asks ?thumb=1 of through
 * libjpeg and libpng, and GIF, WebP and HEIC files through giflib, libwebp
 * and libheif in builds that have them (daemon/share/thumb-decode.h). The input is the file; its first byte, taken off,
 * is the Exif orientation to apply (0-255: out of range is taken as 1).
 * thumb_scale_over() reads the same bytes. Checks: no crash, leak or
 * overread (the sanitizers); a result is a JPEG (FF D8 ... FF D9) and
 * nothing is returned on failure; only the documented errors come back.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "thumb-scale.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *copy, *out = NULL;
    size_t len = 0;
    FILE *in;
    int rc;

    if (size < 1)
        return 0;
    copy = malloc(size - 1 ? size - 1 : 1);
    if (!copy)
        abort();
    memcpy(copy, data + 1, size - 1);
    in = fmemopen(copy, size - 1 ? size - 1 : 1, "rb");
    if (!in)
        abort();
    (void)thumb_scale_over(copy, size - 1); /* reads only inside the bytes */
    rc = thumb_scale(in, data[0], NULL, &out, &len);
    fclose(in);
    if (rc == 0 ? !out || len < 4 || out[0] != 0xFF || out[1] != 0xD8 || out[len - 2] != 0xFF ||
                      out[len - 1] != 0xD9
                : out || len || (rc != -EINVAL && rc != -ENOTSUP && rc != -EFBIG && rc != -ENOMEM)) {
        fprintf(stderr, "fuzz_thumb: rc %d, %zu bytes\n", rc, len);
        abort();
    }
    free(out);
    free(copy);
    return 0;
}
