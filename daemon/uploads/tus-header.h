/*
 * tus-header.h — the parsers of the tus 1.0 request headers: Upload-Offset
 * and Upload-Length, Upload-Metadata (with the "filename" and "folder" that
 * ferry reads from it), Upload-Checksum and Tus-Resumable.
 *
 * Pure: no I/O, no allocation, no state, no locale; safe from any thread.
 * Every parser takes a NUL-terminated header value (or NULL for an absent
 * header), never reads past its NUL, and writes only into the output it is
 * given. On failure the outputs are left zeroed/empty, never half-filled.
 */
#ifndef FERRY_TUS_HEADER_H
#define FERRY_TUS_HEADER_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* The one protocol version spoken (Tus-Resumable, Tus-Version). */
#define TUS_VERSION "1.0.0"

/* Longest Upload-Metadata value accepted (bytes, without the NUL). */
#define TUS_METADATA_MAX 8192
/* Longest decoded "folder" accepted (bytes, without the NUL): the resolver's
 * limit (PATHS_MAX in paths.h). */
#define TUS_FOLDER_MAX 4095
/* Bytes of a SHA-256 digest. */
#define TUS_SHA256_LEN 32

enum tus_header_error {
    TUS_EMISSING = -1,   /* the header is absent (NULL) */
    TUS_ESYNTAX = -2,    /* malformed: not digits, bad pair, bad base64 ... */
    TUS_ERANGE = -3,     /* a number above INT64_MAX */
    TUS_ETOOLONG = -4,   /* Upload-Metadata above TUS_METADATA_MAX bytes, or a
                            folder above TUS_FOLDER_MAX bytes once decoded */
    TUS_EDUPKEY = -5,    /* Upload-Metadata names a key twice */
    TUS_ENOFILENAME = -6,/* Upload-Metadata has no "filename" */
    TUS_EFILENAME = -7,  /* the decoded filename is not a usable name: empty,
                            "." or "..", a '/', NUL or control character, or
                            not valid UTF-8 */
    TUS_ENAMELONG = -8,  /* the decoded filename is above NAME_MAX bytes */
    TUS_EFOLDER = -9,    /* the decoded folder holds a NUL byte */
    TUS_EALGORITHM = -10,/* Upload-Checksum names a well-formed algorithm
                            other than sha256 */
};

/*
 * Parses a strict unsigned decimal (Upload-Offset, Upload-Length): one or
 * more ASCII digits and nothing else (no sign, no blanks), at most INT64_MAX.
 * Returns 0 and sets *out, or TUS_EMISSING (s NULL), TUS_ESYNTAX or
 * TUS_ERANGE with *out 0.
 */
int tus_parse_uint(const char *s, uint64_t *out);

/* Whether Tus-Resumable `s` is exactly TUS_VERSION (NULL: no). */
int tus_resumable_ok(const char *s);

/* What ferry takes from Upload-Metadata. */
/* What an upload asks for when its name is taken ("onconflict"). */
enum tus_conflict {
    TUS_CONFLICT_POLICY = 0, /* absent: the server's --on-conflict */
    TUS_CONFLICT_REPLACE,    /* "replace" */
    TUS_CONFLICT_KEEP_BOTH,  /* "keep-both": "name (1).ext" */
};

struct tus_metadata {
    char filename[NAME_MAX + 1];     /* decoded; "" when absent */
    char folder[TUS_FOLDER_MAX + 1]; /* decoded bytes (any but NUL); "" when
                                        absent: the root */
    int has_folder;
    enum tus_conflict conflict;      /* "onconflict": the person's choice */
};

/*
 * Parses Upload-Metadata: pairs separated by ',' (blanks around a pair are
 * allowed), each a key alone or a key, one space and a value. A key is one
 * or more printable ASCII characters other than space and ','; keys are
 * unique (case-sensitive). A value is canonical standard base64 with
 * padding (length a multiple of 4, unused bits zero; empty allowed),
 * decoded with mbedtls_base64_decode. "onconflict" is "replace" or
 * "keep-both" (anything else: TUS_ESYNTAX). Keys other than "filename",
 * "folder" and "onconflict" are checked and ignored.
 *
 * The decoded filename must be 1..NAME_MAX bytes of valid UTF-8 (no
 * overlong forms, surrogates or code points above U+10FFFF) without NUL,
 * '/', bytes below 0x20 or 0x7f, and not "." or "..". The decoded folder
 * may hold any bytes but NUL, at most TUS_FOLDER_MAX of them: it is checked
 * later by the path resolver, as a URL path would be. With
 * `need_filename`, a missing filename (or a key without value) is
 * TUS_ENOFILENAME.
 *
 * NULL or "" is no metadata (TUS_ENOFILENAME when need_filename). Returns 0
 * and fills *m, or a tus_header_error with *m zeroed; when several errors
 * apply, the first in the text wins.
 */
int tus_metadata_parse(const char *s, int need_filename, struct tus_metadata *m);

/*
 * Parses Upload-Checksum: an algorithm name (lowercase ASCII letters,
 * digits and '-'), one space, and canonical base64 as above. Only
 * "sha256" with a value of exactly TUS_SHA256_LEN bytes is accepted.
 * Returns 0 and fills digest, TUS_EMISSING (NULL), TUS_EALGORITHM (another
 * algorithm, well-formed) or TUS_ESYNTAX; digest is zeroed on failure.
 */
int tus_checksum_parse(const char *s, unsigned char digest[TUS_SHA256_LEN]);

/* A short English text for a tus_header_error ("" for 0). Never NULL. */
const char *tus_header_strerror(int code);

#endif
