/*
 * thumb-scale-none.c — thumb-scale.h for builds without libjpeg and libpng
 * (--with-thumbnails=no): no picture is read, so ?thumb=1 of a picture
 * without an Exif thumbnail answers the picture itself.
 */
#include "config.h"

#include <errno.h>

#include "thumb-scale.h"

int thumb_scale_knows(const unsigned char *head, size_t len)
{
    (void)head;
    (void)len;
    return 0;
}

int thumb_scale_over(const unsigned char *head, size_t len)
{
    (void)head;
    (void)len;
    return 0;
}

int thumb_scale(FILE *in, unsigned orientation, const struct thumb_scale_limits *lim,
                unsigned char **out, size_t *len)
{
    (void)in;
    (void)orientation;
    (void)lim;
    *out = NULL;
    *len = 0;
    return -ENOTSUP;
}
