/*
 * tls-compat.c — mbedTLS 2.28 / 3.6 differences (see tls-compat.h).
 *
 * The RNG that 3.x wants for key parsing and pair checks is one DRBG per
 * process, seeded on first use and guarded by a mutex (mbedTLS's own
 * threading layer may be compiled out). It lives until the process ends.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/x509_crt.h>
#if MBEDTLS_VERSION_MAJOR >= 3
#include <psa/crypto.h>
#endif

#include "tls-compat.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;

static void init_run(void)
{
#if MBEDTLS_VERSION_MAJOR >= 3
    init_rc = psa_crypto_init() == PSA_SUCCESS ? 0 : MBEDTLS_ERR_ERROR_GENERIC_ERROR;
#else
    init_rc = 0;
#endif
}

int tlsc_init(void)
{
    pthread_once(&init_once, init_run);
    return init_rc;
}

#if MBEDTLS_VERSION_MAJOR >= 3
/* ---------------------------------------------------------- the blinding RNG */

static pthread_mutex_t rng_lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_entropy_context rng_entropy;
static mbedtls_ctr_drbg_context rng_drbg;
static int rng_state; /* 0 not seeded, 1 seeded, -1 seeding failed */

/* mbedTLS's f_rng shape over the process DRBG. */
static int rng_fn(void *unused, unsigned char *out, size_t n)
{
    static const char pers[] = "ferry tls compat";
    int rc;

    (void)unused;
    pthread_mutex_lock(&rng_lock);
    if (rng_state == 0) {
        mbedtls_entropy_init(&rng_entropy);
        mbedtls_ctr_drbg_init(&rng_drbg);
        rng_state = mbedtls_ctr_drbg_seed(&rng_drbg, mbedtls_entropy_func, &rng_entropy,
                                          (const unsigned char *)pers, sizeof pers - 1) == 0
                        ? 1
                        : -1;
    }
    rc = rng_state == 1 ? mbedtls_ctr_drbg_random(&rng_drbg, out, n)
                        : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
    pthread_mutex_unlock(&rng_lock);
    return rc;
}
#endif

int tlsc_pk_parse_key(mbedtls_pk_context *pk, const unsigned char *buf, size_t len)
{
#if MBEDTLS_VERSION_MAJOR < 3
    return mbedtls_pk_parse_key(pk, buf, len, NULL, 0);
#else
    int rc = tlsc_init();

    return rc != 0 ? rc : mbedtls_pk_parse_key(pk, buf, len, NULL, 0, rng_fn, NULL);
#endif
}

int tlsc_pk_parse_keyfile(mbedtls_pk_context *pk, const char *path)
{
#if MBEDTLS_VERSION_MAJOR < 3
    return mbedtls_pk_parse_keyfile(pk, path, NULL);
#else
    int rc = tlsc_init();

    return rc != 0 ? rc : mbedtls_pk_parse_keyfile(pk, path, NULL, rng_fn, NULL);
#endif
}

int tlsc_pk_check_pair(const mbedtls_pk_context *pub, const mbedtls_pk_context *prv)
{
#if MBEDTLS_VERSION_MAJOR < 3
    return mbedtls_pk_check_pair(pub, prv);
#else
    int rc = tlsc_init();

    return rc != 0 ? rc : mbedtls_pk_check_pair(pub, prv, rng_fn, NULL);
#endif
}

mbedtls_ecp_group_id tlsc_pk_ec_group(const mbedtls_pk_context *pk)
{
    if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECKEY))
        return MBEDTLS_ECP_DP_NONE;
#if MBEDTLS_VERSION_MAJOR < 3
    return mbedtls_pk_ec(*pk)->grp.id;
#else
    return mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(*pk));
#endif
}

int tlsc_crt_is_ca(const mbedtls_x509_crt *crt)
{
#if MBEDTLS_VERSION_MAJOR < 3
    return crt->ca_istrue != 0;
#else
    return mbedtls_x509_crt_get_ca_istrue(crt) == 1;
#endif
}

int tlsc_crt_set_serial(mbedtls_x509write_cert *crt, const unsigned char *serial, size_t len)
{
#if MBEDTLS_VERSION_MAJOR < 3
    mbedtls_mpi s;
    int rc;

    mbedtls_mpi_init(&s);
    rc = mbedtls_mpi_read_binary(&s, serial, len);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_serial(crt, &s);
    mbedtls_mpi_free(&s);
    return rc;
#else
    return mbedtls_x509write_crt_set_serial_raw(crt, (unsigned char *)serial, len);
#endif
}

void tlsc_conf_profile(mbedtls_ssl_config *conf)
{
#if MBEDTLS_VERSION_MAJOR < 3
    static const mbedtls_ecp_group_id curves[] = {MBEDTLS_ECP_DP_CURVE25519,
                                                  MBEDTLS_ECP_DP_SECP256R1,
                                                  MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE};
    static const int hashes[] = {MBEDTLS_MD_SHA512, MBEDTLS_MD_SHA384, MBEDTLS_MD_SHA256,
                                 MBEDTLS_MD_NONE};

    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_curves(conf, curves);
    mbedtls_ssl_conf_sig_hashes(conf, hashes);
#else
    static const uint16_t groups[] = {MBEDTLS_SSL_IANA_TLS_GROUP_X25519,
                                      MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
                                      MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
                                      MBEDTLS_SSL_IANA_TLS_GROUP_NONE};
    /* TLS 1.2 SignatureAndHashAlgorithm: hash << 8 | signature. */
#define SIG(h, s) (uint16_t)((MBEDTLS_SSL_HASH_##h << 8) | MBEDTLS_SSL_SIG_##s)
    static const uint16_t sig_algs[] = {SIG(SHA512, ECDSA), SIG(SHA384, ECDSA),
                                        SIG(SHA256, ECDSA), SIG(SHA512, RSA),
                                        SIG(SHA384, RSA),   SIG(SHA256, RSA),
                                        MBEDTLS_TLS1_3_SIG_NONE};
#undef SIG

    mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_max_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_groups(conf, groups);
    mbedtls_ssl_conf_sig_algs(conf, sig_algs);
#endif
}
