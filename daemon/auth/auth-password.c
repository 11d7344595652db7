/*
 * auth-password.c — PBKDF2-HMAC-SHA256 password hashes in PHC text, and the
 * password file. See auth-password.h.
 *
 * Base64 comes from mbedTLS (which pads): '=' is stripped after encoding
 * and put back before decoding, once the text has been checked here.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/version.h>

#include "auth-ct.h"
#include "auth-file.h"
#include "auth-password.h"
#include "tls-compat.h"

#define PREFIX "$pbkdf2-sha256$i="
#define FILE_MAX 4096

/* See auth-password.h. */
const char *auth_password_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
    case AUTH_PW_EMISMATCH:
        return "wrong password";
    case AUTH_PW_EFORMAT:
        return "not a valid password hash";
    case AUTH_PW_EBADCHAR:
        return "a password must not be empty or contain control characters";
    case AUTH_PW_ETOOLONG:
        return "password too long";
    case AUTH_PW_ECRYPTO:
        return "the crypto library failed";
    }
    return "unknown error";
}

/* ------------------------------------------------------------ base64 */

/* Unpadded base64 of n bytes at in into out (cap bytes, NUL-terminated).
 * Returns the length written, or -1 when it does not fit. */
static int b64_encode(const unsigned char *in, size_t n, char *out, size_t cap)
{
    size_t olen = 0;

    if (mbedtls_base64_encode((unsigned char *)out, cap, &olen, in, n) != 0)
        return -1;
    while (olen > 0 && out[olen - 1] == '=')
        olen--;
    out[olen] = '\0';
    return (int)olen;
}

/*
 * Decodes canonical unpadded base64 (n bytes at in) into out (at most cap
 * bytes). Returns the number of bytes, or -1 when the text is not
 * canonical unpadded base64 or does not fit.
 */
static int b64_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    char padded[4 * ((AUTH_PW_FIELD_MAX + 2) / 3) + 1];
    char back[sizeof padded + 1];
    size_t olen = 0, text_len = n;

    if (n == 0 || n % 4 == 1 || n + (4 - n % 4) % 4 >= sizeof padded)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '+' || c == '/'))
            return -1;
    }
    memcpy(padded, in, n);
    while (n % 4 != 0)
        padded[n++] = '=';
    if (mbedtls_base64_decode(out, cap, &olen, (const unsigned char *)padded, n) != 0)
        return -1;
    /* Canonical: zero padding bits, so one value has one text. */
    if (b64_encode(out, olen, back, sizeof back) != (int)text_len ||
        memcmp(back, in, text_len) != 0)
        return -1;
    return (int)olen;
}

/* ------------------------------------------------------------ PBKDF2 */

/* PBKDF2-HMAC-SHA256 into out (out_len bytes). Returns 0 or AUTH_PW_ECRYPTO. */
static int pbkdf2(const char *pw, size_t len, const unsigned char *salt,
                  size_t salt_len, unsigned iterations, unsigned char *out,
                  size_t out_len)
{
    return tlsc_pbkdf2_sha256(pw, len, salt, salt_len, iterations, out, out_len) == 0
               ? 0
               : AUTH_PW_ECRYPTO;
}

/* Fills n bytes at buf from rng, or from a DRBG seeded for this call. */
static int random_bytes(auth_rng_fn rng, void *rng_ctx, unsigned char *buf,
                        size_t n)
{
    static const char pers[] = "ferry password salt";
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    int rc;

    if (rng)
        return rng(rng_ctx, buf, n) == 0 ? 0 : AUTH_PW_ECRYPTO;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                               (const unsigned char *)pers, sizeof pers - 1);
    if (rc == 0)
        rc = mbedtls_ctr_drbg_random(&drbg, buf, n);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return rc == 0 ? 0 : AUTH_PW_ECRYPTO;
}

/* ------------------------------------------------------------ text */

/* See auth-password.h. */
int auth_password_acceptable(const char *pw, size_t len)
{
    if (len == 0)
        return AUTH_PW_EBADCHAR;
    if (len > AUTH_PW_MAX)
        return AUTH_PW_ETOOLONG;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)pw[i];

        if (c < 0x20 || c == 0x7f)
            return AUTH_PW_EBADCHAR;
    }
    return 0;
}

/* Writes the text of *h into out (outlen bytes). Returns 0 or
 * AUTH_PW_ETOOLONG. */
static int format_text(const struct auth_pw_hash *h, char *out, size_t outlen)
{
    char salt[4 * ((AUTH_PW_FIELD_MAX + 2) / 3) + 1];
    char hash[sizeof salt];
    int n;

    if (b64_encode(h->salt, h->salt_len, salt, sizeof salt) < 0 ||
        b64_encode(h->hash, h->hash_len, hash, sizeof hash) < 0)
        return AUTH_PW_ETOOLONG;
    n = snprintf(out, outlen, PREFIX "%u$%s$%s", h->iterations, salt, hash);
    if (n < 0 || (size_t)n >= outlen)
        return AUTH_PW_ETOOLONG;
    return 0;
}

/* See auth-password.h. */
int auth_password_hash(const char *pw, size_t len, unsigned iterations,
                       auth_rng_fn rng, void *rng_ctx, char *out, size_t outlen)
{
    struct auth_pw_hash h;
    int rc;

    memset(&h, 0, sizeof h);
    if (outlen > 0)
        out[0] = '\0';
    rc = auth_password_acceptable(pw, len);
    if (rc != 0)
        return rc;
    if (iterations == 0)
        iterations = AUTH_PW_ITERATIONS;
    if (iterations < AUTH_PW_ITER_MIN || iterations > AUTH_PW_ITER_MAX)
        return AUTH_PW_EFORMAT;
    h.iterations = iterations;
    h.salt_len = AUTH_PW_SALT_LEN;
    h.hash_len = AUTH_PW_HASH_LEN;
    rc = random_bytes(rng, rng_ctx, h.salt, h.salt_len);
    if (rc == 0)
        rc = pbkdf2(pw, len, h.salt, h.salt_len, h.iterations, h.hash, h.hash_len);
    if (rc == 0)
        rc = format_text(&h, out, outlen);
    if (rc != 0 && outlen > 0)
        out[0] = '\0';
    mbedtls_platform_zeroize(&h, sizeof h);
    return rc;
}

/* Reads a decimal without leading zeros from [*p, end) up to '$', within
 * the iteration bounds. Returns 0 and advances *p to the '$', or -1. */
static int parse_iterations(const char **p, const char *end, unsigned *out)
{
    const char *s = *p;
    unsigned long v = 0;

    if (s == end || *s < '1' || *s > '9')
        return -1;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > AUTH_PW_ITER_MAX)
            return -1;
    }
    if (s == end || *s != '$' || v < AUTH_PW_ITER_MIN)
        return -1;
    *out = (unsigned)v;
    *p = s;
    return 0;
}

/* See auth-password.h. */
int auth_password_parse(const char *text, size_t len, struct auth_pw_hash *out)
{
    const char *p = text, *end = text + len, *dollar;
    int n;

    memset(out, 0, sizeof *out);
    if (len < sizeof PREFIX - 1 || memcmp(text, PREFIX, sizeof PREFIX - 1) != 0)
        goto bad;
    p += sizeof PREFIX - 1;
    if (parse_iterations(&p, end, &out->iterations) != 0)
        goto bad;
    p++; /* '$' */
    dollar = memchr(p, '$', (size_t)(end - p));
    if (!dollar)
        goto bad;
    n = b64_decode(p, (size_t)(dollar - p), out->salt, sizeof out->salt);
    if (n < AUTH_PW_SALT_MIN)
        goto bad;
    out->salt_len = (size_t)n;
    p = dollar + 1;
    n = b64_decode(p, (size_t)(end - p), out->hash, sizeof out->hash);
    if (n < AUTH_PW_HASH_MIN)
        goto bad;
    out->hash_len = (size_t)n;
    return 0;
bad:
    memset(out, 0, sizeof *out);
    return AUTH_PW_EFORMAT;
}

/* See auth-password.h. */
int auth_password_verify(const char *text, size_t text_len, const char *pw,
                         size_t len)
{
    struct auth_pw_hash h;
    unsigned char got[AUTH_PW_FIELD_MAX];
    int rc;

    rc = auth_password_parse(text, text_len, &h);
    if (rc != 0)
        return rc;
    if (len > AUTH_PW_MAX)
        return AUTH_PW_EMISMATCH;
    rc = pbkdf2(pw, len, h.salt, h.salt_len, h.iterations, got, h.hash_len);
    if (rc == 0 && !auth_ct_equal(got, h.hash, h.hash_len))
        rc = AUTH_PW_EMISMATCH;
    mbedtls_platform_zeroize(got, sizeof got);
    mbedtls_platform_zeroize(&h, sizeof h);
    return rc;
}

/* ------------------------------------------------------------ file */

/* See auth-password.h. */
int auth_password_file_write(int dir_fd, const char *text)
{
    struct auth_pw_hash h;
    char line[AUTH_PW_TEXT_MAX + 1];
    size_t len = strlen(text);
    int rc;

    if (len >= AUTH_PW_TEXT_MAX || auth_password_parse(text, len, &h) != 0)
        return AUTH_PW_EFORMAT;
    memcpy(line, text, len);
    line[len] = '\n';
    rc = auth_file_save(dir_fd, AUTH_PASSWORD_FILE, line, len + 1);
    mbedtls_platform_zeroize(&h, sizeof h);
    return rc;
}

/* See auth-password.h. */
int auth_password_file_read(int dir_fd, char *out, size_t outlen,
                            unsigned *mode)
{
    struct auth_pw_hash h;
    char *buf = NULL;
    size_t len = 0;
    int rc;

    if (outlen > 0)
        out[0] = '\0';
    rc = auth_file_load(dir_fd, AUTH_PASSWORD_FILE, FILE_MAX, &buf, &len, mode);
    if (rc == -EFBIG || rc == -EAGAIN)
        return AUTH_PW_EFORMAT;
    if (rc != 0)
        return rc;
    if (len > 0 && buf[len - 1] == '\n') {
        len--;
        if (len > 0 && buf[len - 1] == '\r')
            len--;
    }
    rc = auth_password_parse(buf, len, &h);
    if (rc == 0 && len >= outlen)
        rc = AUTH_PW_ETOOLONG;
    if (rc == 0) {
        memcpy(out, buf, len);
        out[len] = '\0';
    }
    free(buf);
    return rc;
}
