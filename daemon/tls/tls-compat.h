/*
 * tls-compat.h — the differences between mbedTLS 2.28 and mbedTLS 3.6, in
 * one place. Everything else in ferry calls these and never tests
 * MBEDTLS_VERSION_*.
 *
 * What differs (2.28 → 3.6):
 *   - the one-shot and streaming SHA-256 calls lost their "_ret" suffix;
 *   - PBKDF2 takes an MD type (…_hmac_ext, 3.3+) instead of an MD context;
 *   - mbedtls_pk_parse_key and mbedtls_pk_check_pair take an RNG (used for
 *     blinding); tlsc_* pass a process-wide DRBG of this file;
 *   - mbedtls_ecp_keypair's group and the certificate's cA flag are
 *     private: tlsc_pk_ec_group and tlsc_crt_is_ca read them;
 *   - the protocol version, curve and signature-hash setters of
 *     mbedtls_ssl_config were renamed (…_tls_version, …_groups, …_sig_algs;
 *     the old names are gone with MBEDTLS_DEPRECATED_REMOVED);
 *   - mbedtls_x509write_crt_set_serial takes raw bytes (…_serial_raw);
 *   - 3.6 uses PSA Crypto internally (TLS 1.3, MBEDTLS_USE_PSA_CRYPTO):
 *     psa_crypto_init() must run before keys or handshakes, tlsc_init does.
 * Header-only helpers are static inline so that the small parsers that hash
 * (auth-sessions.c, files.c, journal.c, upload-tus.c) need no extra object.
 */
#ifndef FERRY_TLS_COMPAT_H
#define FERRY_TLS_COMPAT_H

#include <stddef.h>

#include <stdint.h>

#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

/* SHA-256 of n bytes at p into out. Returns 0 or an mbedTLS error. */
static inline int tlsc_sha256(const void *p, size_t n, unsigned char out[32])
{
#if MBEDTLS_VERSION_MAJOR < 3
    return mbedtls_sha256_ret((const unsigned char *)p, n, out, 0);
#else
    return mbedtls_sha256((const unsigned char *)p, n, out, 0);
#endif
}

/* Streaming SHA-256 on an initialised context. Each returns 0 or an error. */
static inline int tlsc_sha256_starts(mbedtls_sha256_context *c)
{
#if MBEDTLS_VERSION_MAJOR < 3
    return mbedtls_sha256_starts_ret(c, 0);
#else
    return mbedtls_sha256_starts(c, 0);
#endif
}

static inline int tlsc_sha256_update(mbedtls_sha256_context *c, const void *p, size_t n)
{
#if MBEDTLS_VERSION_MAJOR < 3
    return mbedtls_sha256_update_ret(c, (const unsigned char *)p, n);
#else
    return mbedtls_sha256_update(c, (const unsigned char *)p, n);
#endif
}

static inline int tlsc_sha256_finish(mbedtls_sha256_context *c, unsigned char out[32])
{
#if MBEDTLS_VERSION_MAJOR < 3
    return mbedtls_sha256_finish_ret(c, out);
#else
    return mbedtls_sha256_finish(c, out);
#endif
}

/* PBKDF2-HMAC-SHA256 of pw[0..len) with salt into out[0..out_len). Returns 0
 * or an mbedTLS error. */
static inline int tlsc_pbkdf2_sha256(const void *pw, size_t len, const unsigned char *salt,
                                     size_t salt_len, unsigned iterations, unsigned char *out,
                                     size_t out_len)
{
    int rc;
#if MBEDTLS_VERSION_NUMBER < 0x03030000 /* no _ext before 3.3 */
    mbedtls_md_context_t md;

    mbedtls_md_init(&md);
    rc = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
    if (rc == 0)
        rc = mbedtls_pkcs5_pbkdf2_hmac(&md, (const unsigned char *)pw, len, salt, salt_len,
                                       iterations, (uint32_t)out_len, out);
    mbedtls_md_free(&md);
#else
    rc = mbedtls_pkcs5_pbkdf2_hmac_ext(MBEDTLS_MD_SHA256, (const unsigned char *)pw, len, salt,
                                       salt_len, iterations, (uint32_t)out_len, out);
#endif
    return rc;
}

/*
 * Once per process, before any key, certificate or handshake: PSA Crypto on
 * 3.x, nothing on 2.28. Thread-safe, idempotent. Returns 0 or an error
 * (negative; mbedTLS/PSA code).
 */
int tlsc_init(void);

/* mbedtls_pk_parse_key of an unencrypted key (PEM, len counting its NUL, or
 * DER). Returns 0 or an mbedTLS error. */
int tlsc_pk_parse_key(mbedtls_pk_context *pk, const unsigned char *buf, size_t len);

/* mbedtls_pk_parse_keyfile of an unencrypted key file (tests). */
int tlsc_pk_parse_keyfile(mbedtls_pk_context *pk, const char *path);

/* Whether prv is the private half of pub: 0 when it is, else an error. */
int tlsc_pk_check_pair(const mbedtls_pk_context *pub, const mbedtls_pk_context *prv);

/* The curve of an EC key; MBEDTLS_ECP_DP_NONE when pk is not an EC key. */
mbedtls_ecp_group_id tlsc_pk_ec_group(const mbedtls_pk_context *pk);

/* Whether crt says it belongs to a CA (basicConstraints cA): 1 or 0. */
int tlsc_crt_is_ca(const mbedtls_x509_crt *crt);

/* Sets the certificate's serial number to the len (≤ 20) big-endian bytes at
 * serial (the first bit clear). Returns 0 or an mbedTLS error. */
int tlsc_crt_set_serial(mbedtls_x509write_cert *crt, const unsigned char *serial, size_t len);

/*
 * ferry's protocol profile on conf: TLS 1.2 only; the groups X25519, P-256,
 * P-384 in that order; signatures with SHA-512, SHA-384 or SHA-256 (ECDSA
 * and RSA PKCS#1 v1.5). The arrays are static: conf may keep pointers.
 */
void tlsc_conf_profile(mbedtls_ssl_config *conf);

#endif
