/*
 * qr-term.c — drawing a QR code with libqrencode in a terminal.
 */
#include "config.h"

#include <qrencode.h>

#include "qr-term.h"

#define QUIET 2 /* light modules around the code; scanners need a margin */

/* Non-zero when module (x, y) is dark; outside the symbol is light. */
static int dark(const QRcode *qr, int x, int y)
{
    if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
        return 0;
    return qr->data[y * qr->width + x] & 1;
}

int qr_term_print(FILE *out, const char *text)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);

    if (!qr)
        return -1;
    for (int y = -QUIET; y < qr->width + QUIET; y += 2) {
        fputs("\033[30;47m", out); /* black on white */
        for (int x = -QUIET; x < qr->width + QUIET; x++) {
            int top = dark(qr, x, y), bottom = dark(qr, x, y + 1);

            fputs(top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ", out);
        }
        fputs("\033[0m\n", out);
    }
    QRcode_free(qr);
    return 0;
}
