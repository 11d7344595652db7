/*
 * qr-svg.h — a QR code as an SVG image (libqrencode), for the browser UI's
 * "Share this folder" dialog (daemon/auth/share.c).
 */
#ifndef FERRY_QR_SVG_H
#define FERRY_QR_SVG_H

#include <stddef.h>

#define QR_SVG_QUIET 4 /* light modules around the symbol (ISO/IEC 18004) */

/*
 * Encodes `text` (NUL-terminated, 8-bit mode, error correction level M) and
 * draws it as a standalone SVG document: a white square of the symbol's
 * width plus QR_SVG_QUIET modules on each side, in module units (viewBox),
 * and one black <path> with a "M x y hNv1h-Nz" rectangle per horizontal
 * run of N dark modules (x, y counted from the image's corner),
 * with role="img" and `label` (may be NULL: none) as its accessible name,
 * escaped for XML. Returns 0 with *svg (malloc'd, NUL-terminated, owned by
 * the caller) and *len; -EINVAL when text does not fit in a QR code (over
 * 2,331 bytes at level M), FERRY_ENOMEM; -ENOSYS in a build without
 * libqrencode (qr-svg-none.c). *svg is NULL on error.
 */
int qr_svg(const char *text, const char *label, char **svg, size_t *len);

#endif
