/*
 * qr-svg-none.c — qr_svg() of a build without libqrencode
 * (--without-qrencode): there is never a code. Share answers then carry
 * "svg": null and the browser UI shows the link without a code.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>

#include "qr-svg.h"

int qr_svg(const char *text, const char *label, char **svg, size_t *len)
{
    (void)text;
    (void)label;
    *svg = NULL;
    *len = 0;
    return -ENOSYS;
}
