/*
 * search-fold.c — case folding for name search; see search-fold.h.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "search-fold.h"

/* The lower-case form of code point u (simple mappings of the scripts
 * search-fold.h names), or u. */
static uint32_t fold_cp(uint32_t u)
{
    if (u < 0x80)
        return u >= 'A' && u <= 'Z' ? u + 32 : u;
    if (u >= 0xC0 && u <= 0xDE && u != 0xD7)
        return u + 0x20; /* Latin-1: À..Þ except × */
    if (u >= 0x100 && u <= 0x17F) { /* Latin Extended-A: pairs */
        if ((u <= 0x137 || (u >= 0x14A && u <= 0x177)) && !(u & 1))
            return u + 1;
        if (((u >= 0x139 && u <= 0x148) || (u >= 0x179 && u <= 0x17E)) && (u & 1))
            return u + 1;
        if (u == 0x178)
            return 0xFF; /* Ÿ */
        return u;
    }
    if (u >= 0x391 && u <= 0x3AB && u != 0x3A2)
        return u + 0x20; /* Greek capitals */
    if (u >= 0x410 && u <= 0x42F)
        return u + 0x20; /* Cyrillic А..Я */
    if (u >= 0x400 && u <= 0x40F)
        return u + 0x50; /* Cyrillic Ѐ..Џ */
    return u;
}

/* Decodes one code point at s (n bytes left) into *u; returns its length,
 * or 0 when it is not valid UTF-8. */
static size_t decode(const unsigned char *s, size_t n, uint32_t *u)
{
    size_t len, i;
    uint32_t c = s[0];

    if (c < 0x80) {
        *u = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
        (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
        return 0;
    *u = c;
    return len;
}

/* Encodes u (< 0x110000) at out; returns its length. */
static size_t encode(uint32_t u, char *out)
{
    if (u < 0x80) {
        out[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (char)(0xC0 | (u >> 6));
        out[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        out[0] = (char)(0xE0 | (u >> 12));
        out[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        out[2] = (char)(0x80 | (u & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (u >> 18));
    out[1] = (char)(0x80 | ((u >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((u >> 6) & 0x3F));
    out[3] = (char)(0x80 | (u & 0x3F));
    return 4;
}

long search_fold(const char *in, size_t n, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0;

    while (i < n) {
        uint32_t u;
        size_t len = decode(s + i, n - i, &u);

        if (len == 0)
            return -1;
        char enc[4];
        size_t el = encode(fold_cp(u), enc); /* never longer than len */

        if (o + el >= cap)
            return -1;
        memcpy(out + o, enc, el);
        o += el;
        i += len;
    }
    if (o >= cap)
        return -1;
    out[o] = '\0';
    return (long)o;
}
