/*
 * thumb-gif.c — GIF pictures for the thumbnail maker (thumb-decode.h), with
 * giflib: the first frame only (an animation's first picture), read row by
 * row (DGifGetLine) into the averaging scaler, so memory follows the width;
 * the limits are checked before each row and each record before it. Its
 * transparent colour (from the graphics control block before the frame) is
 * laid on white. An interlaced frame (rows come in four passes, so the
 * whole frame would be held) is not read: -ENOTSUP, answered as itself, as
 * an interlaced PNG is.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

#include "thumb-decode.h"

/* A GIF has no scaled decode: every pixel costs, as a PNG's does. */
#define GIF_MAX_PIXELS THUMB_SCALE_MAX_PNG_PIXELS
#define GIF_MAX_RECORDS 10000 /* extension records read before the frame */

static int gif_knows(const unsigned char *head, size_t len)
{
    return len >= 6 && (memcmp(head, "GIF87a", 6) == 0 || memcmp(head, "GIF89a", 6) == 0);
}

static int too_big(unsigned long long w, unsigned long long h)
{
    return w > THUMB_SCALE_MAX_SIDE || h > THUMB_SCALE_MAX_SIDE || w * h > GIF_MAX_PIXELS;
}

/* The logical screen's size, bytes 6-9 (little-endian). */
static int gif_over(const unsigned char *head, size_t len)
{
    return gif_knows(head, len) && len >= 10 &&
           too_big((unsigned)head[6] | (unsigned)head[7] << 8,
                   (unsigned)head[8] | (unsigned)head[9] << 8);
}

/* giflib's input function: reads from the FILE in userPtr. */
static int read_file(GifFileType *g, GifByteType *buf, int n)
{
    return n > 0 ? (int)fread(buf, 1, (size_t)n, (FILE *)g->UserData) : 0;
}

static int gif_decode(FILE *in, const struct thumb_scale_limits *lim, struct thumb_scaler *s)
{
    int err = 0, rc = -EINVAL, transparent = -1, records = 0;
    GifFileType *g = DGifOpen(in, read_file, &err);
    GifPixelType *line = NULL;
    unsigned char *rgb = NULL;
    GifRecordType type;

    if (!g)
        return err == D_GIF_ERR_NOT_ENOUGH_MEM ? -ENOMEM : -EINVAL;
    for (;;) { /* up to the first frame */
        if (++records > GIF_MAX_RECORDS || DGifGetRecordType(g, &type) == GIF_ERROR)
            goto done;
        if ((rc = thumb_limits_check(lim)) < 0)
            goto done;
        rc = -EINVAL;
        if (type == IMAGE_DESC_RECORD_TYPE)
            break;
        if (type == EXTENSION_RECORD_TYPE) {
            GifByteType *ext = NULL;
            int code = 0;

            if (DGifGetExtension(g, &code, &ext) == GIF_ERROR)
                goto done;
            if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4)
                transparent = (ext[1] & 1) ? ext[4] : -1;
            while (ext) {
                if (++records > GIF_MAX_RECORDS || DGifGetExtensionNext(g, &ext) == GIF_ERROR)
                    goto done;
            }
        } else if (type == TERMINATE_RECORD_TYPE) {
            goto done; /* no frame at all */
        }
    }
    if (DGifGetImageDesc(g) == GIF_ERROR)
        goto done;
    {
        unsigned w = (unsigned)g->Image.Width, h = (unsigned)g->Image.Height;
        const ColorMapObject *cm = g->Image.ColorMap ? g->Image.ColorMap : g->SColorMap;

        if (g->Image.Width <= 0 || g->Image.Height <= 0 || !cm || !cm->Colors)
            goto done;
        if (too_big(w, h)) {
            rc = -EFBIG;
            goto done;
        }
        if (g->Image.Interlace) {
            rc = -ENOTSUP;
            goto done;
        }
        line = malloc(w);
        rgb = malloc((size_t)w * 3);
        if (!line || !rgb || thumb_scaler_init(s, w, h) < 0) {
            rc = -ENOMEM;
            goto done;
        }
        for (unsigned y = 0; y < h; y++) {
            if ((rc = thumb_limits_check(lim)) < 0)
                goto done;
            rc = -EINVAL;
            if (DGifGetLine(g, line, (int)w) == GIF_ERROR)
                goto done;
            for (unsigned x = 0; x < w; x++) {
                unsigned i = line[x];

                if ((int)i == transparent || i >= (unsigned)cm->ColorCount) {
                    memset(rgb + x * 3, i == (unsigned)transparent ? 255 : 0, 3);
                } else {
                    rgb[x * 3] = cm->Colors[i].Red;
                    rgb[x * 3 + 1] = cm->Colors[i].Green;
                    rgb[x * 3 + 2] = cm->Colors[i].Blue;
                }
            }
            thumb_scaler_row(s, y, rgb);
        }
        thumb_scaler_flush(s);
        rc = 0;
    }
done:
    free(line);
    free(rgb);
    DGifCloseFile(g, &err);
    return rc;
}

static const struct thumb_decoder gif = {"GIF", gif_knows, gif_over, gif_decode};
const struct thumb_decoder *const thumb_decoder_gif = &gif;
