/*
 * tus-header.c — the tus 1.0 header parsers (see tus-header.h): strict
 * numbers, Upload-Metadata pairs with base64 values (decoded by mbedTLS) and
 * the checks on the file name, Upload-Checksum, Tus-Resumable.
 *
 * Every loop is bounded by the string's NUL or by a length checked first;
 * base64 values are checked against the alphabet, padding and canonical
 * form before mbedTLS sees them, so its leniency (line breaks, blanks,
 * stray bits) is not inherited.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <mbedtls/base64.h>

#include "tus-header.h"

/* Most pairs in one Upload-Metadata (more is TUS_ETOOLONG). */
#define MAX_PAIRS 64

int tus_parse_uint(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    *out = 0;
    if (!s)
        return TUS_EMISSING;
    if (!*s)
        return TUS_ESYNTAX;
    for (const char *p = s; *p; p++) {
        unsigned d;

        if (*p < '0' || *p > '9')
            return TUS_ESYNTAX;
        d = (unsigned)(*p - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10) {
            /* keep reading: a later non-digit is a syntax error */
            for (p++; *p; p++)
                if (*p < '0' || *p > '9')
                    return TUS_ESYNTAX;
            return TUS_ERANGE;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int tus_resumable_ok(const char *s)
{
    return s && strcmp(s, TUS_VERSION) == 0;
}

/* Whether c is in the standard base64 alphabet (no padding). */
static int is_b64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

/* The 6-bit value of a base64 character (is_b64 true). */
static unsigned b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return (unsigned)(c - 'A');
    if (c >= 'a' && c <= 'z')
        return (unsigned)(c - 'a') + 26;
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0') + 52;
    return c == '+' ? 62 : 63;
}

/*
 * Checks that v[0..len) is canonical standard base64 with padding: a
 * multiple of 4 characters from the alphabet, at most two '=' and only at
 * the end, and the bits left over before the padding zero (so that one
 * byte string has one spelling). Sets *decoded to the number of bytes it
 * stands for. Returns 0 or TUS_ESYNTAX.
 */
static int b64_check(const char *v, size_t len, size_t *decoded)
{
    size_t pad = 0;

    *decoded = 0;
    if (len % 4)
        return TUS_ESYNTAX;
    for (size_t i = 0; i < len; i++) {
        if (v[i] == '=') {
            if (i + 2 < len) /* only in the last two places */
                return TUS_ESYNTAX;
            pad++;
        } else if (!is_b64(v[i]) || pad) { /* nothing after a '=' */
            return TUS_ESYNTAX;
        }
    }
    if ((pad == 1 && (b64_value(v[len - 2]) & 0x3)) ||
        (pad == 2 && (b64_value(v[len - 3]) & 0xf)))
        return TUS_ESYNTAX;
    *decoded = len / 4 * 3 - pad;
    return 0;
}

/*
 * Decodes the checked base64 v[0..len) (b64_check said `n` bytes) into
 * out (cap bytes, cap > n) and NUL-terminates it. Returns 0 or TUS_ESYNTAX.
 */
static int b64_decode(const char *v, size_t len, size_t n, unsigned char *out, size_t cap)
{
    size_t olen = 0;

    if (n >= cap)
        return TUS_ESYNTAX; /* callers check the size first */
    if (len && mbedtls_base64_decode(out, cap - 1, &olen, (const unsigned char *)v, len) != 0)
        return TUS_ESYNTAX;
    if (olen != n)
        return TUS_ESYNTAX;
    out[olen] = '\0';
    return 0;
}

/*
 * Whether s[0..len) is strict UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence).
 */
static int utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0; /* a continuation byte, 0xc0/0xc1 or 0xf5.. */
        }
        if (len - i - 1 < n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

/* Checks a decoded file name of len bytes (see tus_metadata_parse). */
static int name_check(const char *name, size_t len)
{
    if (len == 0 || (len == 1 && name[0] == '.') ||
        (len == 2 && name[0] == '.' && name[1] == '.'))
        return TUS_EFILENAME;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c < 0x20 || c == 0x7f || c == '/')
            return TUS_EFILENAME;
    }
    return utf8_valid((const unsigned char *)name, len) ? 0 : TUS_EFILENAME;
}

/* Whether c is a blank around a pair (SP or HTAB). */
static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* One "key value" element, as spans of the header. */
struct pair {
    const char *key;
    size_t klen;
    const char *val; /* NULL: a key without value */
    size_t vlen;
};

/*
 * Splits the element e[0..len) (blanks already trimmed, len > 0) into *p and
 * checks the key's characters and the value's base64. Sets *decoded to the
 * value's decoded size. Returns 0 or TUS_ESYNTAX.
 */
static int split_pair(const char *e, size_t len, struct pair *p, size_t *decoded)
{
    const char *sp = memchr(e, ' ', len);

    *decoded = 0;
    p->key = e;
    p->klen = sp ? (size_t)(sp - e) : len;
    p->val = sp ? sp + 1 : NULL;
    p->vlen = sp ? len - p->klen - 1 : 0;
    if (p->klen == 0)
        return TUS_ESYNTAX;
    for (size_t i = 0; i < p->klen; i++)
        if (e[i] <= 0x20 || e[i] >= 0x7f || e[i] == ',')
            return TUS_ESYNTAX;
    return p->val ? b64_check(p->val, p->vlen, decoded) : 0;
}

/* Whether key k (klen bytes) is `name`. */
static int key_is(const struct pair *p, const char *name)
{
    return p->klen == strlen(name) && memcmp(p->key, name, p->klen) == 0;
}

int tus_metadata_parse(const char *s, int need_filename, struct tus_metadata *m)
{
    struct pair seen[MAX_PAIRS];
    size_t n_seen = 0, len;
    const char *p, *end;
    int have_name = 0, rc;

    memset(m, 0, sizeof *m);
    if (!s)
        s = "";
    len = strnlen(s, TUS_METADATA_MAX + 1);
    if (len > TUS_METADATA_MAX)
        return TUS_ETOOLONG;
    end = s + len;
    for (p = s; len && p <= end; p++) {
        const char *e = p, *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        struct pair pr;
        size_t dec;

        while (e < stop && is_blank(*e))
            e++;
        while (stop > e && is_blank(stop[-1]))
            stop--;
        if (e == stop) {
            rc = TUS_ESYNTAX; /* an empty pair: ",," or a stray ',' */
            goto fail;
        }
        rc = split_pair(e, (size_t)(stop - e), &pr, &dec);
        if (rc < 0)
            goto fail;
        for (size_t i = 0; i < n_seen; i++) {
            if (seen[i].klen == pr.klen && memcmp(seen[i].key, pr.key, pr.klen) == 0) {
                rc = TUS_EDUPKEY;
                goto fail;
            }
        }
        if (n_seen == MAX_PAIRS) {
            rc = TUS_ETOOLONG;
            goto fail;
        }
        seen[n_seen++] = pr;
        if (key_is(&pr, "filename") && pr.val) {
            if (dec > NAME_MAX) {
                rc = TUS_ENAMELONG;
                goto fail;
            }
            rc = b64_decode(pr.val, pr.vlen, dec, (unsigned char *)m->filename,
                            sizeof m->filename);
            if (rc == 0)
                rc = name_check(m->filename, dec);
            if (rc < 0)
                goto fail;
            have_name = 1;
        } else if (key_is(&pr, "folder") && pr.val) {
            if (dec > TUS_FOLDER_MAX) {
                rc = TUS_ETOOLONG;
                goto fail;
            }
            rc = b64_decode(pr.val, pr.vlen, dec, (unsigned char *)m->folder,
                            sizeof m->folder);
            if (rc == 0 && memchr(m->folder, '\0', dec))
                rc = TUS_EFOLDER;
            if (rc < 0)
                goto fail;
            m->has_folder = 1;
        } else if (key_is(&pr, "onconflict") && pr.val) {
            char v[16] = "";

            rc = dec < sizeof v ? b64_decode(pr.val, pr.vlen, dec, (unsigned char *)v, sizeof v)
                                : TUS_ESYNTAX;
            if (rc == 0 && dec == 7 && memcmp(v, "replace", 7) == 0)
                m->conflict = TUS_CONFLICT_REPLACE;
            else if (rc == 0 && dec == 9 && memcmp(v, "keep-both", 9) == 0)
                m->conflict = TUS_CONFLICT_KEEP_BOTH;
            else
                rc = TUS_ESYNTAX;
            if (rc < 0)
                goto fail;
        }
        if (!comma)
            break;
        p = comma; /* the loop steps past it */
    }
    if (need_filename && !have_name) {
        rc = TUS_ENOFILENAME;
        goto fail;
    }
    return 0;
fail:
    memset(m, 0, sizeof *m);
    return rc;
}

int tus_checksum_parse(const char *s, unsigned char digest[TUS_SHA256_LEN])
{
    unsigned char buf[TUS_SHA256_LEN + 4];
    const char *sp;
    size_t alen, vlen, dec;
    int rc;

    memset(digest, 0, TUS_SHA256_LEN);
    if (!s)
        return TUS_EMISSING;
    sp = strchr(s, ' ');
    if (!sp || sp == s)
        return TUS_ESYNTAX;
    alen = (size_t)(sp - s);
    for (size_t i = 0; i < alen; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return TUS_ESYNTAX;
    vlen = strlen(sp + 1);
    rc = b64_check(sp + 1, vlen, &dec);
    if (rc < 0 || vlen == 0)
        return TUS_ESYNTAX;
    if (alen != 6 || memcmp(s, "sha256", 6) != 0)
        return TUS_EALGORITHM;
    if (dec != TUS_SHA256_LEN)
        return TUS_ESYNTAX;
    rc = b64_decode(sp + 1, vlen, dec, buf, sizeof buf);
    if (rc < 0)
        return rc;
    memcpy(digest, buf, TUS_SHA256_LEN);
    return 0;
}

const char *tus_header_strerror(int code)
{
    switch (code) {
    case 0:
        return "";
    case TUS_EMISSING:
        return "the header is missing";
    case TUS_ESYNTAX:
        return "the header is malformed";
    case TUS_ERANGE:
        return "the number is larger than 9223372036854775807";
    case TUS_ETOOLONG:
        return "the metadata is too long or has too many pairs";
    case TUS_EDUPKEY:
        return "the metadata names a key twice";
    case TUS_ENOFILENAME:
        return "the metadata has no \"filename\"";
    case TUS_EFILENAME:
        return "the file name is empty, \".\" or \"..\", holds a '/' or a control "
               "character, or is not valid UTF-8";
    case TUS_ENAMELONG:
        return "the file name is longer than 255 bytes";
    case TUS_EFOLDER:
        return "the folder holds a NUL byte";
    case TUS_EALGORITHM:
        return "the checksum algorithm is not supported (only sha256 is)";
    default:
        return "unknown error";
    }
}
