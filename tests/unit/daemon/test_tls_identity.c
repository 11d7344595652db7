/*
 * test_tls_identity.c — unit tests of the TLS identity (daemon/tls/tls-identity.c)
 * in a temporary state folder, without a server: generation (files, modes,
 * fingerprint and pin recomputed independently), reuse, the subjectAltName
 * parsed back, and every reason to make something again (a corrupt key, a
 * corrupt or foreign certificate, changed names, near expiry), the user's
 * own certificate and key, and the errors for a missing, mismatched or
 * half-given pair.
 *
 * srv_log() is defined here: it records the lines, so that the tests can
 * check that what was done is said.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "server.h"
#include "tls-compat.h"
#include "tls.h"

/* ------------------------------------------------------------ log stub */

static char log_text[16384];

void srv_log(const struct ferry_server *srv, enum ferry_log_level level, const char *fmt, ...)
{
    size_t len = strlen(log_text);
    va_list ap;

    (void)srv;
    (void)level;
    if (len + 2 >= sizeof log_text)
        return;
    va_start(ap, fmt);
    vsnprintf(log_text + len, sizeof log_text - len - 1, fmt, ap);
    va_end(ap);
    strcat(log_text, "\n");
}

int srv_log_enabled(const struct ferry_server *srv, enum ferry_log_level level)
{
    (void)srv;
    (void)level;
    return 1;
}

/* ------------------------------------------------------------ fixture */

struct fx {
    char dir[128];
    int fd;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);

    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-tls-id.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    log_text[0] = '\0';
    *state = f;
    return f->fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    close(f->fd);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static const char *const names_a[] = {"testhost.local", "testhost", "localhost"};
static const char *const ips_a[] = {"127.0.0.1", "::1", "192.0.2.7"};
static const char *const names_b[] = {"otherhost.local", "otherhost", "localhost"};

/* A config for the generated identity in f's folder with the names A. */
static struct tls_identity_config cfg_a(const struct fx *f)
{
    return (struct tls_identity_config){.state_dir_fd = f->fd, .dns_names = names_a,
                                        .n_dns = 3, .ip_addrs = ips_a, .n_ips = 3};
}

/* Loads an identity, which must succeed, and returns its fingerprint (copy). */
static char *load_fp(const struct tls_identity_config *c, char **pin)
{
    struct tls_identity *id = NULL;
    char *fp;

    assert_int_equal(tls_identity_load(NULL, c, &id), 0);
    assert_non_null(id);
    fp = strdup(tls_identity_fingerprint(id));
    if (pin)
        *pin = strdup(tls_identity_spki_pin(id));
    tls_identity_free(id);
    return fp;
}

static char *path_in(const struct fx *f, const char *name)
{
    static char buf[2][256];
    static int k;

    k ^= 1;
    snprintf(buf[k], sizeof buf[k], "%s/%s", f->dir, name);
    return buf[k];
}

/* Parses the certificate file of f into crt (must succeed). */
static void parse_cert(const struct fx *f, mbedtls_x509_crt *crt)
{
    mbedtls_x509_crt_init(crt);
    assert_int_equal(mbedtls_x509_crt_parse_file(crt, path_in(f, "tls-cert.pem")), 0);
}

/* Hex SHA-256 of the certificate file's DER. */
static void cert_file_fp(const struct fx *f, char hex[65])
{
    mbedtls_x509_crt crt;
    unsigned char h[32];

    parse_cert(f, &crt);
    assert_int_equal(tlsc_sha256(crt.raw.p, crt.raw.len, h), 0);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    mbedtls_x509_crt_free(&crt);
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void copy_file(const char *from, const char *to)
{
    char buf[8192];
    FILE *in = fopen(from, "r"), *out = fopen(to, "w");
    size_t n;

    assert_non_null(in);
    assert_non_null(out);
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
}

/* ------------------------------------------------------------ tests */

static void generate_files_modes_and_digests(void **state)
{
    struct fx *f = *state;
    struct tls_identity_config c = cfg_a(f);
    mbedtls_x509_crt crt;
    unsigned char der[512], h[32], b64[64];
    char *pin, *fp = load_fp(&c, &pin), want[65], want_pin[80];
    struct stat st;
    size_t olen;
    int len;

    assert_int_equal(stat(path_in(f, "tls-key.pem"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(path_in(f, "tls-cert.pem"), &st), 0);
    assert_int_equal(access(path_in(f, "tls-key.pem.tmp"), F_OK), -1);
    assert_int_equal(access(path_in(f, "tls-cert.pem.tmp"), F_OK), -1);
    assert_non_null(strstr(log_text, "generat"));

    /* the fingerprint: SHA-256 of the DER in the file, 64 lowercase hex */
    cert_file_fp(f, want);
    assert_string_equal(fp, want);
    assert_int_equal(strspn(fp, "0123456789abcdef"), 64);

    /* the pin: sha256// + base64 of SHA-256 of the SubjectPublicKeyInfo */
    parse_cert(f, &crt);
    len = mbedtls_pk_write_pubkey_der(&crt.pk, der, sizeof der);
    assert_true(len > 0);
    assert_int_equal(tlsc_sha256(der + sizeof der - len, (size_t)len, h), 0);
    assert_int_equal(mbedtls_base64_encode(b64, sizeof b64, &olen, h, 32), 0);
    snprintf(want_pin, sizeof want_pin, "sha256//%.*s", (int)olen, (char *)b64);
    assert_string_equal(pin, want_pin);

    /* ECDSA P-256, self-signed, not a CA, valid now for about 825 days */
    assert_int_equal(mbedtls_pk_get_type(&crt.pk), MBEDTLS_PK_ECKEY);
    assert_int_equal(tlsc_pk_ec_group(&crt.pk), MBEDTLS_ECP_DP_SECP256R1);
    assert_int_equal(tlsc_crt_is_ca(&crt), 0);
    assert_false(mbedtls_x509_time_is_past(&crt.valid_to));
    assert_false(mbedtls_x509_time_is_future(&crt.valid_from));
    {
        uint32_t flags = 0;

        assert_int_equal(mbedtls_x509_crt_verify(&crt, &crt, NULL, "testhost.local", &flags,
                                                 NULL, NULL), 0);
        assert_int_not_equal(mbedtls_x509_crt_verify(&crt, &crt, NULL, "wrong.example",
                                                     &flags, NULL, NULL), 0);
    }
    mbedtls_x509_crt_free(&crt);
    free(fp);
    free(pin);
}

static void reload_gives_same_identity(void **state)
{
    struct fx *f = *state;
    struct tls_identity_config c = cfg_a(f);
    static const char *const names_shuffled[] = {"localhost", "TESTHOST.local", "testhost",
                                                 "testhost"};
    static const char *const ips_shuffled[] = {"192.0.2.7", "127.0.0.1", "::1"};
    char *pin1, *pin2, *fp1 = load_fp(&c, &pin1), *fp2, *fp3;
    struct stat st1, st2;

    assert_int_equal(stat(path_in(f, "tls-cert.pem"), &st1), 0);
    log_text[0] = '\0';
    fp2 = load_fp(&c, &pin2);
    assert_string_equal(fp1, fp2);
    assert_string_equal(pin1, pin2);
    assert_int_equal(stat(path_in(f, "tls-cert.pem"), &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino); /* not written again */
    assert_null(strstr(log_text, "generat"));
    assert_null(strstr(log_text, "issued"));

    /* the same names in another order, case and with a duplicate: a set */
    c.dns_names = names_shuffled;
    c.n_dns = 4;
    c.ip_addrs = ips_shuffled;
    fp3 = load_fp(&c, NULL);
    assert_string_equal(fp1, fp3);
    free(fp1);
    free(fp2);
    free(fp3);
    free(pin1);
    free(pin2);
}

static void san_holds_the_names(void **state)
{
    struct fx *f = *state;
    struct tls_identity_config c = cfg_a(f);
    mbedtls_x509_crt crt;
    int dns_seen[3] = {0}, ip_seen[3] = {0}, other = 0;
    unsigned char ip_bin[3][16];
    size_t ip_len[3];

    for (int i = 0; i < 3; i++) {
        ip_len[i] = strchr(ips_a[i], ':') ? 16 : 4;
        assert_int_equal(inet_pton(ip_len[i] == 16 ? AF_INET6 : AF_INET, ips_a[i], ip_bin[i]), 1);
    }
    free(load_fp(&c, NULL));
    parse_cert(f, &crt);
    for (const mbedtls_x509_sequence *s = &crt.subject_alt_names; s && s->buf.p; s = s->next) {
        int tag = s->buf.tag & 0x1F, hit = 0;

        for (int i = 0; i < 3; i++) {
            if (tag == 2 && strlen(names_a[i]) == s->buf.len &&
                memcmp(names_a[i], s->buf.p, s->buf.len) == 0)
                dns_seen[i]++, hit = 1;
            if (tag == 7 && ip_len[i] == s->buf.len &&
                memcmp(ip_bin[i], s->buf.p, s->buf.len) == 0)
                ip_seen[i]++, hit = 1;
        }
        other += !hit;
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dns_seen[i], 1);
        assert_int_equal(ip_seen[i], 1);
    }
    assert_int_equal(other, 0);
    mbedtls_x509_crt_free(&crt);
}

static void corrupt_key_is_replaced(void **state)
{
    struct fx *f = *state;
    struct tls_identity_config c = cfg_a(f);
    char *pin1, *pin2, *fp1 = load_fp(&c, &pin1), *fp2, want[65];
    struct stat st;

    write_text(path_in(f, "tls-key.pem"), "-----BEGIN EC PRIVATE KEY-----\nAAAA\n"
                                          "-----END EC PRIVATE KEY-----\n");
    log_text[0] = '\0';
    fp2 = load_fp(&c, &pin2);
    assert_string_not_equal(fp1, fp2);
    assert_string_not_equal(pin1, pin2); /* a new key */
    assert_non_null(strstr(log_text, "corrupt"));
    assert_non_null(strstr(log_text, "tls-key.pem"));
    assert_int_equal(stat(path_in(f, "tls-key.pem"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    cert_file_fp(f, want);
    assert_string_equal(fp2, want);
    /* and kept from then on */
    free(fp1);
    fp1 = load_fp(&c, NULL);
    assert_string_equal(fp1, fp2);

    /* an empty key file is corrupt too */
    write_text(path_in(f, "tls-key.pem"), "");
    log_text[0] = '\0';
    free(fp1);
    fp1 = load_fp(&c, NULL);
    assert_string_not_equal(fp1, fp2);
    assert_non_null(strstr(log_text, "corrupt"));
    free(fp1);
    free(fp2);
    free(pin1);
    free(pin2);
}

static void corrupt_or_foreign_cert_is_reissued(void **state)
{
    struct fx *f = *state;
    struct tls_identity_config c = cfg_a(f);
    struct fx other;
    char *pin1, *pin2, *fp1 = load_fp(&c, &pin1), *fp2;

    write_text(path_in(f, "tls-cert.pem"), "garbage\n");
    log_text[0] = '\0';
    fp2 = load_fp(&c, &pin2);
    assert_string_not_equal(fp1, fp2);
    assert_string_equal(pin1, pin2); /* same key, new certificate */
    assert_non_null(strstr(log_text, "corrupt"));

    /* a certificate of another key */
    strcpy(other.dir, path_in(f, "other")); /* short: /tmp/ferry-tls-id.XXXXXX/other */
    assert_int_equal(mkdir(other.dir, 0700), 0);
    other.fd = open(other.dir, O_RDONLY | O_DIRECTORY);
    c.state_dir_fd = other.fd;
    free(load_fp(&c, NULL));
    copy_file(path_in(&other, "tls-cert.pem"), path_in(f, "tls-cert.pem"));
    c.state_dir_fd = f->fd;
    log_text[0] = '\0';
    free(fp1);
    fp1 = load_fp(&c, NULL);
    assert_non_null(strstr(log_text, "does not belong"));
    free(pin2);
    free(load_fp(&c, &pin2));
    assert_string_equal(pin1, pin2);
    close(other.fd);
    free(fp1);
    free(fp2);
    free(pin1);
    free(pin2);
}

static void changed_names_reissue_with_the_same_key(void **state)
{
    struct fx *f = *state;
    struct tls_identity_config c = cfg_a(f);
    static const char *const ips_b[] = {"127.0.0.1", "198.51.100.20"};
    char *pin1, *pin2, *fp1 = load_fp(&c, &pin1), *fp2, *fp3;
    mbedtls_x509_crt crt;
    uint32_t flags = 0;

    c.dns_names = names_b;
    log_text[0] = '\0';
    fp2 = load_fp(&c, &pin2);
    assert_string_not_equal(fp1, fp2);
    assert_string_equal(pin1, pin2);
    assert_non_null(strstr(log_text, "names"));
    parse_cert(f, &crt);
    assert_int_equal(mbedtls_x509_crt_verify(&crt, &crt, NULL, "otherhost.local", &flags,
                                             NULL, NULL), 0);
    assert_int_not_equal(mbedtls_x509_crt_verify(&crt, &crt, NULL, "testhost.local", &flags,
                                                 NULL, NULL), 0);
    mbedtls_x509_crt_free(&crt);

    /* an address less is a change too */
    c.ip_addrs = ips_b;
    c.n_ips = 1;
    fp3 = load_fp(&c, NULL);
    assert_string_not_equal(fp2, fp3);
    free(fp2);
    c.n_ips = 2; /* and one more */
    fp2 = load_fp(&c, NULL);
    assert_string_not_equal(fp2, fp3);
    free(fp1);
    free(fp2);
    free(fp3);
    free(pin1);
    free(pin2);
}

/*
 * Writes over f's certificate one issued for f's key and the names A but
 * expiring in `days` days.
 */
static void write_expiring_cert(const struct fx *f, int days)
{
    mbedtls_pk_context key;
    mbedtls_x509write_cert w;
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    static const unsigned char serial[] = {0x30, 0x39}; /* 12345 */
    unsigned char san[512], *p = san + sizeof san, pem[4096];
    char from[16], to[16];
    time_t now = time(NULL), end = now + (time_t)days * 86400, start = now - 86400;
    struct tm tm;
    size_t len = 0;

    mbedtls_pk_init(&key);
    mbedtls_x509write_crt_init(&w);
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    assert_int_equal(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0), 0);
    assert_int_equal(tlsc_pk_parse_keyfile(&key, path_in(f, "tls-key.pem")), 0);
    for (int i = 2; i >= 0; i--) { /* iPAddress entries, then dNSName */
        unsigned char a[16];
        size_t al = strchr(ips_a[i], ':') ? 16 : 4, l0 = len;

        inet_pton(al == 16 ? AF_INET6 : AF_INET, ips_a[i], a);
        len += (size_t)mbedtls_asn1_write_raw_buffer(&p, san, a, al);
        len += (size_t)mbedtls_asn1_write_len(&p, san, len - l0);
        len += (size_t)mbedtls_asn1_write_tag(&p, san, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7);
    }
    for (int i = 2; i >= 0; i--) {
        size_t l0 = len;

        len += (size_t)mbedtls_asn1_write_raw_buffer(&p, san, (const unsigned char *)names_a[i],
                                                     strlen(names_a[i]));
        len += (size_t)mbedtls_asn1_write_len(&p, san, len - l0);
        len += (size_t)mbedtls_asn1_write_tag(&p, san, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2);
    }
    len += (size_t)mbedtls_asn1_write_len(&p, san, len);
    len += (size_t)mbedtls_asn1_write_tag(&p, san, MBEDTLS_ASN1_CONSTRUCTED |
                                                       MBEDTLS_ASN1_SEQUENCE);
    gmtime_r(&start, &tm);
    strftime(from, sizeof from, "%Y%m%d%H%M%S", &tm);
    gmtime_r(&end, &tm);
    strftime(to, sizeof to, "%Y%m%d%H%M%S", &tm);
    mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w, &key);
    mbedtls_x509write_crt_set_issuer_key(&w, &key);
    assert_int_equal(tlsc_crt_set_serial(&w, serial, sizeof serial), 0);
    assert_int_equal(mbedtls_x509write_crt_set_subject_name(&w, "CN=testhost.local"), 0);
    assert_int_equal(mbedtls_x509write_crt_set_issuer_name(&w, "CN=testhost.local"), 0);
    assert_int_equal(mbedtls_x509write_crt_set_validity(&w, from, to), 0);
    assert_int_equal(mbedtls_x509write_crt_set_extension(
                         &w, MBEDTLS_OID_SUBJECT_ALT_NAME,
                         MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, p, len), 0);
    assert_int_equal(mbedtls_x509write_crt_pem(&w, pem, sizeof pem, mbedtls_ctr_drbg_random,
                                               &drbg), 0);
    write_text(path_in(f, "tls-cert.pem"), (char *)pem);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
    mbedtls_x509write_crt_free(&w);
    mbedtls_pk_free(&key);
}

static void near_expiry_is_reissued(void **state)
{
    struct fx *f = *state;
    struct tls_identity_config c = cfg_a(f);
    char *pin1, *pin2, *fp1, *fp2, want[65];

    free(load_fp(&c, &pin1));
    write_expiring_cert(f, 60); /* far enough: kept */
    cert_file_fp(f, want);
    log_text[0] = '\0';
    fp1 = load_fp(&c, NULL);
    assert_string_equal(fp1, want);
    assert_null(strstr(log_text, "issued"));

    write_expiring_cert(f, 10); /* within 30 days: issued again */
    cert_file_fp(f, want);
    log_text[0] = '\0';
    fp2 = load_fp(&c, &pin2);
    assert_string_not_equal(fp2, want);
    assert_non_null(strstr(log_text, "expires"));
    assert_string_equal(pin1, pin2);
    free(fp1);
    free(fp2);
    free(pin1);
    free(pin2);
}

static void user_cert_and_key_are_used_as_given(void **state)
{
    struct fx *f = *state;
    struct tls_identity_config c = cfg_a(f);
    struct tls_identity_config u = {.state_dir_fd = -1};
    char *fp_gen = load_fp(&c, NULL), *fp_user;
    char cert[256], key[256];

    snprintf(cert, sizeof cert, "%s/user-cert.pem", f->dir);
    snprintf(key, sizeof key, "%s/user-key.pem", f->dir);
    rename(path_in(f, "tls-cert.pem"), cert);
    rename(path_in(f, "tls-key.pem"), key);
    u.cert_path = cert;
    u.key_path = key;
    log_text[0] = '\0';
    fp_user = load_fp(&u, NULL);
    assert_string_equal(fp_user, fp_gen);
    assert_non_null(strstr(log_text, cert));
    assert_null(strstr(log_text, "generat"));
    assert_int_equal(access(path_in(f, "tls-cert.pem"), F_OK), -1); /* nothing made */

    /* the user's names are not checked or changed: a state folder is left alone */
    u.state_dir_fd = f->fd;
    free(fp_user);
    fp_user = load_fp(&u, NULL);
    assert_string_equal(fp_user, fp_gen);
    assert_int_equal(access(path_in(f, "tls-key.pem"), F_OK), -1);
    free(fp_gen);
    free(fp_user);
}

static void user_errors_name_the_path(void **state)
{
    struct fx *f = *state;
    struct tls_identity_config c = cfg_a(f);
    struct tls_identity_config u = {.state_dir_fd = -1};
    struct tls_identity *id = (struct tls_identity *)1;
    struct fx other;
    char cert[256], key[256], other_key[256], missing[256];

    free(load_fp(&c, NULL));
    snprintf(cert, sizeof cert, "%s/tls-cert.pem", f->dir);
    snprintf(key, sizeof key, "%s/tls-key.pem", f->dir);
    snprintf(missing, sizeof missing, "%s/no-such.pem", f->dir);
    strcpy(other.dir, path_in(f, "other")); /* short: /tmp/ferry-tls-id.XXXXXX/other */
    assert_int_equal(mkdir(other.dir, 0700), 0);
    other.fd = open(other.dir, O_RDONLY | O_DIRECTORY);
    c.state_dir_fd = other.fd;
    free(load_fp(&c, NULL));
    snprintf(other_key, sizeof other_key, "%s/tls-key.pem", other.dir);

    /* a key that is not the certificate's */
    u.cert_path = cert;
    u.key_path = other_key;
    log_text[0] = '\0';
    assert_int_equal(tls_identity_load(NULL, &u, &id), FERRY_EINVAL_CONFIG);
    assert_null(id);
    assert_non_null(strstr(log_text, "does not belong"));
    assert_non_null(strstr(log_text, other_key));

    /* a file that is not there */
    u.key_path = missing;
    log_text[0] = '\0';
    assert_int_equal(tls_identity_load(NULL, &u, &id), -ENOENT);
    assert_non_null(strstr(log_text, missing));
    u.key_path = key;
    u.cert_path = missing;
    log_text[0] = '\0';
    assert_int_equal(tls_identity_load(NULL, &u, &id), -ENOENT);
    assert_non_null(strstr(log_text, missing));

    /* a certificate file that is a key, and a key file that is a certificate */
    u.cert_path = key;
    log_text[0] = '\0';
    assert_int_equal(tls_identity_load(NULL, &u, &id), FERRY_EINVAL_CONFIG);
    assert_non_null(strstr(log_text, key));
    u.cert_path = cert;
    u.key_path = cert;
    log_text[0] = '\0';
    assert_int_equal(tls_identity_load(NULL, &u, &id), FERRY_EINVAL_CONFIG);
    assert_non_null(strstr(log_text, cert));

    /* only one of the two */
    u.key_path = NULL;
    assert_int_equal(tls_identity_load(NULL, &u, &id), FERRY_EINVAL_CONFIG);
    u.key_path = key;
    u.cert_path = NULL;
    assert_int_equal(tls_identity_load(NULL, &u, &id), FERRY_EINVAL_CONFIG);
    close(other.fd);
}

static void memory_only_and_bad_names(void **state)
{
    struct fx *f = *state;
    struct tls_identity_config c = cfg_a(f);
    static const char *const bad_dns[] = {"ok.local", "bad name"};
    static const char *const bad_ip[] = {"300.1.1.1"};
    struct tls_identity *id = NULL;
    char *fp1, *fp2;

    c.state_dir_fd = -1;
    fp1 = load_fp(&c, NULL);
    fp2 = load_fp(&c, NULL);
    assert_string_not_equal(fp1, fp2); /* nothing kept */
    assert_int_equal(access(path_in(f, "tls-key.pem"), F_OK), -1);
    c.dns_names = bad_dns;
    c.n_dns = 2;
    assert_int_equal(tls_identity_load(NULL, &c, &id), FERRY_EINVAL_CONFIG);
    c.dns_names = names_a;
    c.n_dns = 3;
    c.ip_addrs = bad_ip;
    c.n_ips = 1;
    assert_int_equal(tls_identity_load(NULL, &c, &id), FERRY_EINVAL_CONFIG);
    assert_null(id);
    free(fp1);
    free(fp2);
}

static void loose_key_mode_is_fixed(void **state)
{
    struct fx *f = *state;
    struct tls_identity_config c = cfg_a(f);
    char *fp1 = load_fp(&c, NULL), *fp2;
    struct stat st;

    assert_int_equal(chmod(path_in(f, "tls-key.pem"), 0644), 0);
    fp2 = load_fp(&c, NULL);
    assert_string_equal(fp1, fp2);
    assert_int_equal(stat(path_in(f, "tls-key.pem"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(fp1);
    free(fp2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(generate_files_modes_and_digests, setup, teardown),
        cmocka_unit_test_setup_teardown(reload_gives_same_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(san_holds_the_names, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupt_key_is_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupt_or_foreign_cert_is_reissued, setup, teardown),
        cmocka_unit_test_setup_teardown(changed_names_reissue_with_the_same_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(near_expiry_is_reissued, setup, teardown),
        cmocka_unit_test_setup_teardown(user_cert_and_key_are_used_as_given, setup, teardown),
        cmocka_unit_test_setup_teardown(user_errors_name_the_path, setup, teardown),
        cmocka_unit_test_setup_teardown(memory_only_and_bad_names, setup, teardown),
        cmocka_unit_test_setup_teardown(loose_key_mode_is_fixed, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
