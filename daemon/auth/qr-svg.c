/*
 * qr-svg.c — drawing a QR code with libqrencode as SVG; see qr-svg.h.
 */
#include "config.h"

#include <errno.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry.h"
#include "qr-svg.h"

/* A growing text buffer; `failed` once an append could not be made. */
struct buf {
    char *p;
    size_t len, cap;
    int failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *p;

        while (b->len + n + 1 > cap)
            cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Appends s with the five XML specials escaped. */
static void put_xml(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': puts_(b, "&amp;"); break;
        case '<': puts_(b, "&lt;"); break;
        case '>': puts_(b, "&gt;"); break;
        case '"': puts_(b, "&quot;"); break;
        case '\'': puts_(b, "&apos;"); break;
        default: put(b, s, 1);
        }
    }
}

int qr_svg(const char *text, const char *label, char **svg, size_t *len)
{
    QRcode *qr;
    struct buf b = {0};
    char num[96];
    int side;

    *svg = NULL;
    *len = 0;
    qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return errno == ENOMEM ? FERRY_ENOMEM : -EINVAL;
    side = qr->width + 2 * QR_SVG_QUIET;
    snprintf(num, sizeof num, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" ",
             side, side);
    puts_(&b, num);
    puts_(&b, "shape-rendering=\"crispEdges\" role=\"img\"");
    if (label) {
        puts_(&b, " aria-label=\"");
        put_xml(&b, label);
        puts_(&b, "\"");
    }
    snprintf(num, sizeof num, "><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path d=\"",
             side, side);
    puts_(&b, num);
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width;) {
            int run = 0;

            while (x + run < qr->width && (qr->data[y * qr->width + x + run] & 1))
                run++;
            if (run) {
                snprintf(num, sizeof num, "M%d %dh%dv1h-%dz", x + QR_SVG_QUIET,
                         y + QR_SVG_QUIET, run, run);
                puts_(&b, num);
            }
            x += run ? run : 1;
        }
    puts_(&b, "\" fill=\"#000\"/></svg>\n");
    QRcode_free(qr);
    if (b.failed) {
        free(b.p);
        return FERRY_ENOMEM;
    }
    *svg = b.p;
    *len = b.len;
    return 0;
}
