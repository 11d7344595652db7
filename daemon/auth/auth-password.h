/*
 * auth-password.h — the password of --auth password: a salted, slow hash
 * (PBKDF2-HMAC-SHA256 from mbedTLS) in a self-describing text, checked in
 * constant time, and kept in one file of the state folder.
 *
 * The text is the PHC string format:
 *   "$pbkdf2-sha256$i=<iterations>$<salt>$<hash>"
 * where salt and hash are base64 (RFC 4648 alphabet) without '=' padding,
 * e.g. "$pbkdf2-sha256$i=80000$MDEyMzQ1Njc4OWFiY2RlZg$yZ7...". New hashes
 * use a 16-byte salt from a CTR_DRBG and a 32-byte hash. The text holds
 * nothing from which the password can be read back, only checked at the
 * cost of the iterations.
 *
 * Cost. AUTH_PW_ITERATIONS was chosen so that one verification takes about
 * 70 ms: measured on the build machine (AMD EPYC, 2 cores, Debian 12,
 * mbedTLS 2.28.3 as packaged) with a small program timing
 * mbedtls_pkcs5_pbkdf2_hmac() with a 21-byte password and a 16-byte salt,
 * best of 5 runs under light load: 10,000 iterations 9.0 ms, 100,000
 * iterations 88.8 ms, so about 0.89 us an iteration and 80,000 iterations
 * ~71 ms (test_auth_password prints the figure it measures each run).
 * A phone CPU of 2020 or later is of the same order. This is below OWASP's
 * 2023 advice for PBKDF2-HMAC-SHA256 (600,000): the per-address back-off of
 * auth-limit.h, not the hash, is what stops online guessing; the hash only
 * slows down someone who has stolen the file. A stored text keeps the
 * iterations it was made with.
 *
 * Thread-safety: every function is safe from any thread; none keeps state.
 */
#ifndef FERRY_AUTH_PASSWORD_H
#define FERRY_AUTH_PASSWORD_H

#include <stddef.h>

#define AUTH_PW_ITERATIONS 80000   /* for new hashes: ~70 ms, see above */
#define AUTH_PW_ITER_MIN 1000      /* fewest iterations a text may name */
#define AUTH_PW_ITER_MAX 10000000  /* most (about 9 s: a bound, not advice) */
#define AUTH_PW_SALT_LEN 16        /* salt of new hashes, bytes */
#define AUTH_PW_HASH_LEN 32        /* hash of new hashes, bytes */
#define AUTH_PW_SALT_MIN 8         /* salt a text may have, bytes */
#define AUTH_PW_FIELD_MAX 64       /* longest salt or hash a text may have */
#define AUTH_PW_HASH_MIN 16        /* shortest hash a text may have */
#define AUTH_PW_MAX 1024           /* longest password, bytes */
#define AUTH_PW_TEXT_MAX 256       /* room for any valid text and its NUL */

/* The password file in the state folder: the text and a "\n". */
#define AUTH_PASSWORD_FILE "auth-password"

enum auth_password_error {
    AUTH_PW_EMISMATCH = -3101, /* well-formed text, other password */
    AUTH_PW_EFORMAT = -3102,   /* the text (or the file) is not the format
                                  above, or names values out of range */
    AUTH_PW_EBADCHAR = -3103,  /* a new password that is empty or has a NUL
                                  or control byte (Basic cannot send it) */
    AUTH_PW_ETOOLONG = -3104,  /* a new password longer than AUTH_PW_MAX, or
                                  an output buffer too small */
    AUTH_PW_ECRYPTO = -3105,   /* mbedTLS failed (random source, PBKDF2) */
};

/* A static text for an auth_password_error (or "unknown error"). */
const char *auth_password_strerror(int code);

/*
 * A random source with mbedTLS's f_rng shape (e.g. mbedtls_ctr_drbg_random
 * with its context, or auth_sessions_random): fills len bytes at buf and
 * returns 0, or non-zero on failure.
 */
typedef int (*auth_rng_fn)(void *ctx, unsigned char *buf, size_t len);

/* A parsed text. */
struct auth_pw_hash {
    unsigned iterations;
    unsigned char salt[AUTH_PW_FIELD_MAX];
    size_t salt_len;
    unsigned char hash[AUTH_PW_FIELD_MAX];
    size_t hash_len;
};

/*
 * Whether pw (len bytes) may become the password: 1..AUTH_PW_MAX bytes,
 * without NUL or control bytes (0x00-0x1f, 0x7f), since HTTP Basic cannot
 * carry those (auth-parse.h refuses them). Returns 0, AUTH_PW_EBADCHAR or
 * AUTH_PW_ETOOLONG.
 */
int auth_password_acceptable(const char *pw, size_t len);

/*
 * Hashes the new password pw (len bytes, checked as by
 * auth_password_acceptable) with `iterations` (0: AUTH_PW_ITERATIONS; else
 * within [AUTH_PW_ITER_MIN, AUTH_PW_ITER_MAX], AUTH_PW_EFORMAT otherwise)
 * and a fresh AUTH_PW_SALT_LEN-byte salt from rng(rng_ctx) — or, when rng is
 * NULL, from a CTR_DRBG seeded for this call from mbedTLS's entropy
 * sources. Writes the NUL-terminated text into out (outlen bytes;
 * AUTH_PW_TEXT_MAX is always enough). Returns 0, AUTH_PW_EBADCHAR,
 * AUTH_PW_ETOOLONG (password, or outlen too small), AUTH_PW_EFORMAT or
 * AUTH_PW_ECRYPTO; out is "" on error (if outlen > 0). Takes the time of
 * one verification.
 */
int auth_password_hash(const char *pw, size_t len, unsigned iterations,
                       auth_rng_fn rng, void *rng_ctx, char *out, size_t outlen);

/*
 * Parses a text of len bytes (no trailing newline, no NUL; read strictly:
 * the prefix exactly, i= decimal without leading zeros within
 * [AUTH_PW_ITER_MIN, AUTH_PW_ITER_MAX], salt AUTH_PW_SALT_MIN..
 * AUTH_PW_FIELD_MAX bytes, hash AUTH_PW_HASH_MIN..AUTH_PW_FIELD_MAX bytes,
 * each canonical unpadded base64, nothing after) into *out. Returns 0 or
 * AUTH_PW_EFORMAT (*out zeroed).
 */
int auth_password_parse(const char *text, size_t len, struct auth_pw_hash *out);

/*
 * Checks the password pw (len bytes, any bytes) against the text (text_len
 * bytes, as for auth_password_parse). The hash is recomputed with the
 * text's salt and iterations and compared with auth_ct_equal(), so the time
 * depends on the text, never on how close pw is. A pw longer than
 * AUTH_PW_MAX is a mismatch without hashing. Returns 0 when it matches,
 * AUTH_PW_EMISMATCH, AUTH_PW_EFORMAT (nothing computed) or AUTH_PW_ECRYPTO.
 */
int auth_password_verify(const char *text, size_t text_len, const char *pw,
                         size_t len);

/*
 * Writes the text (NUL-terminated; it must parse) and a "\n" to
 * AUTH_PASSWORD_FILE in the folder dir_fd, atomically, mode 0600 (see
 * auth-file.h). dir_fd stays the caller's. Returns 0, AUTH_PW_EFORMAT (not
 * written) or -errno.
 */
int auth_password_file_write(int dir_fd, const char *text);

/*
 * Reads AUTH_PASSWORD_FILE from the folder dir_fd: one text, optionally
 * followed by "\n" (or "\r\n"), nothing else. Copies the text
 * (NUL-terminated) into out (outlen bytes). If mode is not NULL the file's
 * permission bits are stored there, so that the caller can warn about a
 * file others may read. Returns 0, -ENOENT (no password set),
 * AUTH_PW_EFORMAT (the file is corrupt: never trusted), AUTH_PW_ETOOLONG
 * (outlen too small), or another -errno (-ELOOP for a symlink); out is ""
 * on error (if outlen > 0).
 */
int auth_password_file_read(int dir_fd, char *out, size_t outlen,
                            unsigned *mode);

#endif
