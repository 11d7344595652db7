/*
 * tls-identity.c — the server's TLS identity: an ECDSA P-256 key and a
 * self-signed certificate kept in the state folder (or the user's own key and
 * certificate), with its fingerprints. See tls.h.
 *
 * Files in the state folder (mode 0700):
 *   tls-key.pem   the private key, PEM, mode 0600
 *   tls-cert.pem  the certificate, PEM, mode 0644
 * Each is written atomically (temp file, fsync, rename, fsync of the folder).
 *
 * What is kept and what is made again:
 *   - the key is kept as long as it parses as a P-256 key; a corrupt one is
 *     replaced (logged: every pin of the old key breaks);
 *   - the certificate is issued again, with the same key, when it is
 *     missing, corrupt, does not belong to the key, names other DNS names or
 *     addresses than the server has now, or expires within 30 days. The
 *     certificate's fingerprint then changes, the public-key pin does not.
 *
 * mbedTLS 2.28 has no subjectAltName setter: the extension (GeneralNames
 * with dNSName and iPAddress entries) is encoded here with the ASN.1 writer.
 * All randomness comes from a CTR_DRBG seeded from mbedTLS's entropy
 * sources, all hashing from mbedTLS.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/base64.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "compat.h"
#include "server.h"
#include "tls-compat.h"
#include "tls.h"

#define KEY_NAME "tls-key.pem"
#define CERT_NAME "tls-cert.pem"
#define VALID_DAYS 825          /* the longest validity Apple accepts */
#define RENEW_DAYS 30           /* issue again this close to expiry */
#define BACKDATE_S (24 * 3600)  /* notBefore, for clocks that lag a little */
#define MAX_NAMES 64
#define FILE_MAX (1024 * 1024)  /* a key or certificate file larger is wrong */
#define CERT_PEM_MAX 16384
#define KEY_PEM_MAX 2048
#define SAN_MAX 8192

struct tls_identity {
    mbedtls_x509_crt crt;       /* the certificate (and the user's chain) */
    mbedtls_pk_context key;
    char fingerprint[65];       /* hex SHA-256 of the leaf's DER */
    char pin[64];               /* "sha256//" + base64 of SHA-256(SPKI DER) */
};

/* The names a certificate must carry: DNS names (lowercase) and addresses. */
struct names {
    char *dns[MAX_NAMES];
    size_t n_dns;
    unsigned char ip[MAX_NAMES][16];
    size_t ip_len[MAX_NAMES];   /* 4 or 16 */
    size_t n_ip;
};

/* A DRBG seeded from the OS through mbedTLS's entropy sources. */
struct rng {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    int seeded;
};

/* Writes mbedTLS's text for `err` into buf. */
static const char *tls_err(int err, char *buf, size_t len)
{
    mbedtls_strerror(err, buf, len);
    return buf;
}

/* ------------------------------------------------------------ names */

/* Frees the copies in n. */
static void names_free(struct names *n)
{
    for (size_t i = 0; i < n->n_dns; i++)
        free(n->dns[i]);
    n->n_dns = n->n_ip = 0;
}

/* A DNS name a certificate may carry: 1..253 bytes of letters, digits, '-',
 * '.' and a leading "*." at most. */
static int dns_name_ok(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len > 253)
        return 0;
    if (strncmp(s, "*.", 2) == 0)
        s += 2;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
            return 0;
    return 1;
}

/*
 * Copies the configured names into *n, lowercased, without duplicates.
 * Returns 0, FERRY_EINVAL_CONFIG (logged) or FERRY_ENOMEM.
 */
static int names_from_config(struct ferry_server *srv, const struct tls_identity_config *cfg,
                             struct names *n)
{
    memset(n, 0, sizeof *n);
    for (size_t i = 0; i < cfg->n_dns; i++) {
        const char *s = cfg->dns_names[i];
        int dup = 0;

        if (!dns_name_ok(s)) {
            srv_log(srv, FERRY_LOG_ERROR, "TLS: '%s' cannot be a DNS name in a certificate", s);
            return FERRY_EINVAL_CONFIG;
        }
        for (size_t j = 0; j < n->n_dns; j++)
            dup |= strcasecmp(n->dns[j], s) == 0;
        if (dup)
            continue;
        if (n->n_dns == MAX_NAMES)
            break;
        n->dns[n->n_dns] = strdup(s);
        if (!n->dns[n->n_dns])
            return FERRY_ENOMEM;
        for (char *p = n->dns[n->n_dns]; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        n->n_dns++;
    }
    for (size_t i = 0; i < cfg->n_ips && n->n_ip < MAX_NAMES; i++) {
        unsigned char a[16];
        size_t len;
        int dup = 0;

        if (inet_pton(AF_INET, cfg->ip_addrs[i], a) == 1) {
            len = 4;
        } else if (inet_pton(AF_INET6, cfg->ip_addrs[i], a) == 1) {
            len = 16;
        } else {
            srv_log(srv, FERRY_LOG_ERROR, "TLS: '%s' is not an IP address", cfg->ip_addrs[i]);
            return FERRY_EINVAL_CONFIG;
        }
        for (size_t j = 0; j < n->n_ip; j++)
            dup |= n->ip_len[j] == len && memcmp(n->ip[j], a, len) == 0;
        if (dup)
            continue;
        memcpy(n->ip[n->n_ip], a, len);
        n->ip_len[n->n_ip++] = len;
    }
    return 0;
}

/*
 * Whether the certificate's subjectAltName holds exactly the names in *n
 * (as sets). Entries of other kinds make it differ.
 */
static int names_match(const mbedtls_x509_crt *crt, const struct names *n)
{
    size_t dns_seen = 0, ip_seen = 0;

    for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && s->buf.p; s = s->next) {
        int tag = s->buf.tag & 0x1F, found = 0;

        if (tag == 2) {
            for (size_t i = 0; i < n->n_dns && !found; i++)
                found = strlen(n->dns[i]) == s->buf.len &&
                        strncasecmp(n->dns[i], (const char *)s->buf.p, s->buf.len) == 0;
            dns_seen++;
        } else if (tag == 7) {
            for (size_t i = 0; i < n->n_ip && !found; i++)
                found = n->ip_len[i] == s->buf.len &&
                        memcmp(n->ip[i], s->buf.p, s->buf.len) == 0;
            ip_seen++;
        }
        if (!found)
            return 0;
    }
    /* every entry is wanted and names hold no duplicates: compare counts */
    return dns_seen == n->n_dns && ip_seen == n->n_ip;
}

/*
 * Encodes the subjectAltName extension's value (GeneralNames) for *n at the
 * end of buf[0..size). Returns its length (at *start) or a negative code.
 */
static int san_encode(const struct names *n, unsigned char *buf, size_t size,
                      unsigned char **start)
{
    unsigned char *p = buf + size;
    size_t len = 0;
    int r;

#define W(call) do { if ((r = (call)) < 0) return r; len += (size_t)r; } while (0)
    for (size_t i = n->n_ip; i-- > 0;) {
        size_t l0 = len;

        W(mbedtls_asn1_write_raw_buffer(&p, buf, n->ip[i], n->ip_len[i]));
        W(mbedtls_asn1_write_len(&p, buf, len - l0));
        W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7));
    }
    for (size_t i = n->n_dns; i-- > 0;) {
        size_t l0 = len;

        W(mbedtls_asn1_write_raw_buffer(&p, buf, (const unsigned char *)n->dns[i],
                                        strlen(n->dns[i])));
        W(mbedtls_asn1_write_len(&p, buf, len - l0));
        W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2));
    }
    W(mbedtls_asn1_write_len(&p, buf, len));
    W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef W
    *start = p;
    return (int)len;
}

/* extendedKeyUsage = serverAuth, at the end of buf. Returns the length. */
static int eku_encode(unsigned char *buf, size_t size, unsigned char **start)
{
    unsigned char *p = buf + size;
    int r, len = 0;

    if ((r = mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_SERVER_AUTH,
                                    MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))) < 0)
        return r;
    len += r;
    if ((r = mbedtls_asn1_write_len(&p, buf, (size_t)len)) < 0)
        return r;
    len += r;
    if ((r = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
        return r;
    len += r;
    *start = p;
    return len;
}

/* ------------------------------------------------------------ files */

/*
 * Reads a whole file (at dir_fd/name, or path when dir_fd is AT_FDCWD) into
 * a malloc'd, NUL-terminated buffer. Returns 0, -errno, or -EFBIG.
 */
static int read_file(int dir_fd, const char *name, unsigned char **out, size_t *len)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    unsigned char *buf = NULL;
    struct stat st;
    size_t got = 0;
    int rc;

    *out = NULL;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = -EISDIR;
        goto fail;
    }
    if (st.st_size > FILE_MAX) {
        rc = -EFBIG;
        goto fail;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        rc = -ENOMEM;
        goto fail;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            goto fail;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    close(fd);
    *out = buf;
    *len = got;
    return 0;
fail:
    free(buf);
    close(fd);
    return rc;
}

/* The length to give mbedTLS's parsers: PEM wants the final NUL counted. */
static size_t parse_len(const unsigned char *buf, size_t len)
{
    return strstr((const char *)buf, "-----BEGIN ") ? len + 1 : len;
}

/* Zeroes and frees a buffer that held a key. */
static void free_secret(unsigned char *buf, size_t len)
{
    if (buf)
        mbedtls_platform_zeroize(buf, len);
    free(buf);
}

/*
 * Writes data[0..len) to dir_fd/name atomically with `mode`: a temp file,
 * fsync, rename over name, fsync of the folder. Returns 0 or -errno (nothing
 * left behind on failure).
 */
static int write_atomic(int dir_fd, const char *name, const void *data, size_t len,
                        mode_t mode)
{
    char tmp[64];
    const char *p = data;
    int fd, rc;

    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    unlinkat(dir_fd, tmp, 0); /* a leftover of a crash */
    fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return -errno;
    if (fchmod(fd, mode) < 0) /* the umask may have taken bits away */
        goto fail;
    while (len > 0) {
        ssize_t w = write(fd, p, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            goto fail;
        p += w;
        len -= (size_t)w;
    }
    if (compat_fsync_durable(fd) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (renameat(dir_fd, tmp, dir_fd, name) < 0)
        goto fail;
    if (compat_fsync_durable(dir_fd) < 0 && errno != EINVAL && errno != EROFS)
        return -errno; /* renamed, but not known to be durable */
    return 0;
fail:
    rc = -errno;
    if (fd >= 0)
        close(fd);
    unlinkat(dir_fd, tmp, 0);
    return rc;
}

/* ------------------------------------------------------------ making */

/* Seeds r once. Returns 0 or an mbedTLS error. */
static int rng_seed(struct rng *r)
{
    static const char pers[] = "ferry tls identity";

    if (r->seeded)
        return 0;
    mbedtls_entropy_init(&r->entropy);
    mbedtls_ctr_drbg_init(&r->drbg);
    r->seeded = 1;
    return mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func, &r->entropy,
                                 (const unsigned char *)pers, sizeof pers - 1);
}

/* Frees what rng_seed() set up (nothing if it was never called). */
static void rng_free(struct rng *r)
{
    if (!r->seeded)
        return;
    mbedtls_ctr_drbg_free(&r->drbg);
    mbedtls_entropy_free(&r->entropy);
    r->seeded = 0;
}

/* Makes a new P-256 key in id->key. Returns 0 or an mbedTLS error. */
static int make_key(struct tls_identity *id, struct rng *r)
{
    int rc = rng_seed(r);

    mbedtls_pk_free(&id->key);
    mbedtls_pk_init(&id->key);
    if (rc == 0)
        rc = mbedtls_pk_setup(&id->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc == 0)
        rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(id->key),
                                 mbedtls_ctr_drbg_random, &r->drbg);
    return rc;
}

/* Whether pk is an EC key on P-256 (what this module generates). */
static int is_p256(mbedtls_pk_context *pk)
{
    return mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY &&
           tlsc_pk_ec_group(pk) == MBEDTLS_ECP_DP_SECP256R1;
}

/* Formats t (UTC) as mbedTLS wants validity times: YYYYMMDDhhmmss. */
static void x509_time_text(time_t t, char out[16])
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/* The subject's common name: the first DNS name, else "ferry". */
static void subject_name(const struct names *n, char *buf, size_t len)
{
    snprintf(buf, len, "CN=%s,O=ferry", n->n_dns && strlen(n->dns[0]) <= 64 &&
             n->dns[0][0] != '*' ? n->dns[0] : "ferry");
}

/*
 * Issues a self-signed certificate for id->key with the names *n, valid from
 * a day ago for VALID_DAYS, into id->crt; its PEM into pem[0..cap).
 * Returns 0 or an mbedTLS error.
 */
static int make_cert(struct tls_identity *id, const struct names *n, struct rng *r,
                     unsigned char *pem, size_t cap)
{
    mbedtls_x509write_cert w;
    unsigned char rnd[16], *ext, *san = NULL;
    char subj[128], from[16], to[16];
    time_t now = time(NULL);
    int rc, len;

    mbedtls_x509write_crt_init(&w);
    rc = rng_seed(r);
    if (rc != 0)
        goto out;
    san = malloc(SAN_MAX);
    if (!san) {
        rc = MBEDTLS_ERR_X509_ALLOC_FAILED;
        goto out;
    }
    rc = mbedtls_ctr_drbg_random(&r->drbg, rnd, sizeof rnd);
    if (rc != 0)
        goto out;
    rnd[0] &= 0x7F; /* a positive serial number */
    rnd[0] |= 0x40; /* of full length */
    subject_name(n, subj, sizeof subj);
    x509_time_text(now - BACKDATE_S, from);
    x509_time_text(now + (time_t)VALID_DAYS * 86400, to);
    mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w, &id->key);
    mbedtls_x509write_crt_set_issuer_key(&w, &id->key);
    if ((rc = tlsc_crt_set_serial(&w, rnd, sizeof rnd)) != 0 ||
        (rc = mbedtls_x509write_crt_set_subject_name(&w, subj)) != 0 ||
        (rc = mbedtls_x509write_crt_set_issuer_name(&w, subj)) != 0 ||
        (rc = mbedtls_x509write_crt_set_validity(&w, from, to)) != 0 ||
        (rc = mbedtls_x509write_crt_set_basic_constraints(&w, 0, -1)) != 0 ||
        (rc = mbedtls_x509write_crt_set_key_usage(&w, MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) != 0 ||
        (rc = mbedtls_x509write_crt_set_subject_key_identifier(&w)) != 0 ||
        (rc = mbedtls_x509write_crt_set_authority_key_identifier(&w)) != 0)
        goto out;
    len = eku_encode(san, SAN_MAX, &ext);
    if (len < 0 || (rc = mbedtls_x509write_crt_set_extension(
                        &w, MBEDTLS_OID_EXTENDED_KEY_USAGE,
                        MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0, ext,
                        (size_t)len)) != 0) {
        rc = len < 0 ? len : rc;
        goto out;
    }
    len = san_encode(n, san, SAN_MAX, &ext);
    if (len < 0 || (rc = mbedtls_x509write_crt_set_extension(
                        &w, MBEDTLS_OID_SUBJECT_ALT_NAME,
                        MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, ext,
                        (size_t)len)) != 0) {
        rc = len < 0 ? len : rc;
        goto out;
    }
    rc = mbedtls_x509write_crt_pem(&w, pem, cap, mbedtls_ctr_drbg_random, &r->drbg);
    if (rc != 0)
        goto out;
    mbedtls_x509_crt_free(&id->crt);
    mbedtls_x509_crt_init(&id->crt);
    rc = mbedtls_x509_crt_parse(&id->crt, pem, strlen((const char *)pem) + 1);
out:
    free(san);
    mbedtls_x509write_crt_free(&w);
    return rc;
}

/* t as seconds since the epoch (UTC). */
static time_t x509_time_t(const mbedtls_x509_time *t)
{
    struct tm tm = {.tm_year = t->year - 1900, .tm_mon = t->mon - 1, .tm_mday = t->day,
                    .tm_hour = t->hour, .tm_min = t->min, .tm_sec = t->sec};

    return timegm(&tm);
}

/* ------------------------------------------------------------ loading */

/*
 * Reads the kept key. Returns 1 when id->key holds it, 0 when there is none
 * or it is corrupt (logged), or -errno when the file cannot be read.
 */
static int load_kept_key(struct ferry_server *srv, int dir_fd, struct tls_identity *id)
{
    unsigned char *buf = NULL;
    char why[128];
    size_t len = 0;
    struct stat st;
    int rc = read_file(dir_fd, KEY_NAME, &buf, &len);

    if (rc == -ENOENT) {
        srv_log(srv, FERRY_LOG_INFO, "TLS: no key in the state folder yet: generating an "
                "ECDSA P-256 key and a self-signed certificate");
        return 0;
    }
    if (rc < 0) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot read the key %s/%s: %s (fix it or remove "
                "the file to get a new key)", srv ? srv->state_dir : ".", KEY_NAME,
                strerror(-rc));
        return rc;
    }
    rc = tlsc_pk_parse_key(&id->key, buf, parse_len(buf, len));
    free_secret(buf, len);
    if (rc == 0 && !is_p256(&id->key)) {
        rc = -1;
        snprintf(why, sizeof why, "not a P-256 key");
    } else if (rc != 0) {
        tls_err(rc, why, sizeof why);
    }
    if (rc != 0) {
        mbedtls_pk_free(&id->key);
        mbedtls_pk_init(&id->key);
        srv_log(srv, FERRY_LOG_WARN, "TLS: the key %s/%s is corrupt (%s): generating a new "
                "key and certificate; the fingerprint and the key pin change, clients that "
                "pinned the old ones must be given the new ones",
                srv ? srv->state_dir : ".", KEY_NAME, why);
        return 0;
    }
    if (fstatat(dir_fd, KEY_NAME, &st, 0) == 0 && (st.st_mode & 077)) {
        int fd = openat(dir_fd, KEY_NAME, O_RDONLY | O_CLOEXEC);

        if (fd >= 0 && fchmod(fd, 0600) == 0)
            srv_log(srv, FERRY_LOG_WARN, "TLS: the key %s/%s was readable by others: now 0600",
                    srv ? srv->state_dir : ".", KEY_NAME);
        if (fd >= 0)
            close(fd);
    }
    return 1;
}

/*
 * Reads the kept certificate and checks it against the key and the names.
 * Returns NULL when it can be used as it is, else why not (for the log).
 */
static const char *check_kept_cert(int dir_fd, struct tls_identity *id, const struct names *n,
                                   char *why, size_t whylen)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    char e[96];
    int rc = read_file(dir_fd, CERT_NAME, &buf, &len);

    if (rc < 0) {
        snprintf(why, whylen, "%s: %s", CERT_NAME, rc == -ENOENT ? "missing" : strerror(-rc));
        return why;
    }
    rc = mbedtls_x509_crt_parse(&id->crt, buf, parse_len(buf, len));
    free(buf);
    if (rc != 0) {
        snprintf(why, whylen, "%s is corrupt: %s", CERT_NAME, tls_err(rc, e, sizeof e));
        return why;
    }
    if (tlsc_pk_check_pair(&id->crt.pk, &id->key) != 0) {
        snprintf(why, whylen, "%s does not belong to the key", CERT_NAME);
        return why;
    }
    if (!names_match(&id->crt, n)) {
        snprintf(why, whylen, "the host's names or addresses changed");
        return why;
    }
    if (x509_time_t(&id->crt.valid_to) < time(NULL) + (time_t)RENEW_DAYS * 86400) {
        snprintf(why, whylen, "it expires on %04d-%02d-%02d", id->crt.valid_to.year,
                 id->crt.valid_to.mon, id->crt.valid_to.day);
        return why;
    }
    return NULL;
}

/*
 * The generated identity: kept key and certificate, made again as needed
 * (see the file comment), written back to the state folder. Returns 0 or a
 * negative code (logged).
 */
static int load_generated(struct ferry_server *srv, const struct tls_identity_config *cfg,
                          struct tls_identity *id)
{
    const char *dir = srv && srv->state_dir ? srv->state_dir : "the state folder";
    int dir_fd = cfg->state_dir_fd, have_key = 0, rc;
    unsigned char *pem = NULL;
    struct names n;
    struct rng r = {0};
    char why[160], e[128];
    const char *reissue = NULL;

    rc = names_from_config(srv, cfg, &n);
    if (rc < 0)
        goto fail;
    if (dir_fd >= 0) {
        rc = load_kept_key(srv, dir_fd, id);
        if (rc < 0)
            goto fail;
        have_key = rc;
    }
    if (!have_key) {
        rc = make_key(id, &r);
        if (rc != 0) {
            srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot generate a key: %s",
                    tls_err(rc, e, sizeof e));
            rc = FERRY_ETLS;
            goto fail;
        }
        reissue = "new key";
    } else {
        reissue = check_kept_cert(dir_fd, id, &n, why, sizeof why);
    }
    if (!reissue)
        goto done;
    pem = calloc(1, CERT_PEM_MAX > KEY_PEM_MAX ? CERT_PEM_MAX : KEY_PEM_MAX);
    if (!pem) {
        rc = FERRY_ENOMEM;
        goto fail;
    }
    if (!have_key && dir_fd >= 0) {
        rc = mbedtls_pk_write_key_pem(&id->key, pem, KEY_PEM_MAX);
        if (rc != 0) {
            srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot encode the key: %s",
                    tls_err(rc, e, sizeof e));
            rc = FERRY_ETLS;
            goto fail;
        }
        rc = write_atomic(dir_fd, KEY_NAME, pem, strlen((char *)pem), 0600);
        mbedtls_platform_zeroize(pem, KEY_PEM_MAX);
        if (rc < 0) {
            srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot write the key %s/%s: %s", dir, KEY_NAME,
                    strerror(-rc));
            goto fail;
        }
    }
    rc = make_cert(id, &n, &r, pem, CERT_PEM_MAX);
    if (rc != 0) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot issue the certificate: %s",
                tls_err(rc, e, sizeof e));
        rc = FERRY_ETLS;
        goto fail;
    }
    if (dir_fd >= 0) {
        rc = write_atomic(dir_fd, CERT_NAME, pem, strlen((char *)pem), 0644);
        if (rc < 0) {
            srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot write the certificate %s/%s: %s", dir,
                    CERT_NAME, strerror(-rc));
            goto fail;
        }
    }
    if (have_key)
        srv_log(srv, FERRY_LOG_INFO, "TLS: issued a new self-signed certificate with the "
                "kept key (%s); the fingerprint changes, the key pin stays", reissue);
    else
        srv_log(srv, FERRY_LOG_INFO, "TLS: generated a new key and self-signed certificate%s%s",
                dir_fd >= 0 ? " in " : " (kept in memory only)", dir_fd >= 0 ? dir : "");
done:
    rc = 0;
fail:
    free(pem);
    rng_free(&r);
    names_free(&n);
    return rc;
}

/*
 * The user's own certificate (chain) and key, used as given. Returns 0 or
 * FERRY_EINVAL_CONFIG / -errno after logging what is wrong and where.
 */
static int load_user(struct ferry_server *srv, const struct tls_identity_config *cfg,
                     struct tls_identity *id)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    char e[128];
    int rc;

    if (!cfg->cert_path || !cfg->key_path) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: a certificate needs its key and a key its "
                "certificate: give both --tls-cert and --tls-key, or neither");
        return FERRY_EINVAL_CONFIG;
    }
    rc = read_file(AT_FDCWD, cfg->cert_path, &buf, &len);
    if (rc < 0) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot read the certificate '%s': %s",
                cfg->cert_path, strerror(-rc));
        return rc;
    }
    rc = mbedtls_x509_crt_parse(&id->crt, buf, parse_len(buf, len));
    free(buf);
    if (rc != 0) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: '%s' is not a PEM or DER X.509 certificate (%s)",
                cfg->cert_path, tls_err(rc, e, sizeof e));
        return FERRY_EINVAL_CONFIG;
    }
    rc = read_file(AT_FDCWD, cfg->key_path, &buf, &len);
    if (rc < 0) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot read the key '%s': %s", cfg->key_path,
                strerror(-rc));
        return rc;
    }
    rc = tlsc_pk_parse_key(&id->key, buf, parse_len(buf, len));
    free_secret(buf, len);
    if (rc != 0) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: '%s' is not a usable private key (%s; a key "
                "protected by a password must be decrypted first, e.g. with openssl pkey)",
                cfg->key_path, tls_err(rc, e, sizeof e));
        return FERRY_EINVAL_CONFIG;
    }
    if (!mbedtls_pk_can_do(&id->key, MBEDTLS_PK_ECDSA) &&
        !mbedtls_pk_can_do(&id->key, MBEDTLS_PK_RSA)) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: the key '%s' is neither ECDSA nor RSA",
                cfg->key_path);
        return FERRY_EINVAL_CONFIG;
    }
    if (tlsc_pk_check_pair(&id->crt.pk, &id->key) != 0) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: the key '%s' does not belong to the certificate "
                "'%s' (the first certificate in the file must be the server's own)",
                cfg->key_path, cfg->cert_path);
        return FERRY_EINVAL_CONFIG;
    }
    if (x509_time_t(&id->crt.valid_to) < time(NULL))
        srv_log(srv, FERRY_LOG_WARN, "TLS: the certificate '%s' expired on %04d-%02d-%02d: "
                "clients will refuse it", cfg->cert_path, id->crt.valid_to.year,
                id->crt.valid_to.mon, id->crt.valid_to.day);
    srv_log(srv, FERRY_LOG_INFO, "TLS: using the certificate '%s' and the key '%s'",
            cfg->cert_path, cfg->key_path);
    return 0;
}

/* Fills the fingerprint and the pin of the leaf certificate. */
static int digests(struct tls_identity *id)
{
    unsigned char h[32], der[1024], *spki;
    unsigned char b64[48];
    size_t olen = 0;
    int len, rc;

    rc = tlsc_sha256(id->crt.raw.p, id->crt.raw.len, h);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < sizeof h; i++)
        snprintf(id->fingerprint + 2 * i, 3, "%02x", h[i]);
    len = mbedtls_pk_write_pubkey_der(&id->crt.pk, der, sizeof der);
    if (len < 0)
        return len;
    spki = der + sizeof der - len;
    rc = tlsc_sha256(spki, (size_t)len, h);
    if (rc == 0)
        rc = mbedtls_base64_encode(b64, sizeof b64, &olen, h, sizeof h);
    if (rc != 0)
        return rc;
    snprintf(id->pin, sizeof id->pin, "sha256//%.*s", (int)olen, (const char *)b64);
    return 0;
}

int tls_identity_load(struct ferry_server *srv, const struct tls_identity_config *cfg,
                      struct tls_identity **out)
{
    struct tls_identity *id = calloc(1, sizeof *id);
    char e[128];
    int rc;

    *out = NULL;
    if (!id)
        return FERRY_ENOMEM;
    mbedtls_x509_crt_init(&id->crt);
    mbedtls_pk_init(&id->key);
    rc = tlsc_init();
    if (rc != 0) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot initialise mbedTLS: %s",
                tls_err(rc, e, sizeof e));
        rc = FERRY_ETLS;
        goto fail;
    }
    if (cfg->cert_path || cfg->key_path)
        rc = load_user(srv, cfg, id);
    else
        rc = load_generated(srv, cfg, id);
    if (rc < 0)
        goto fail;
    rc = digests(id);
    if (rc != 0) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: cannot hash the certificate: %s",
                tls_err(rc, e, sizeof e));
        rc = FERRY_ETLS;
        goto fail;
    }
    *out = id;
    return 0;
fail:
    tls_identity_free(id);
    return rc;
}

const char *tls_identity_fingerprint(const struct tls_identity *id)
{
    return id->fingerprint;
}

const char *tls_identity_spki_pin(const struct tls_identity *id)
{
    return id->pin;
}

int tls_identity_install(const struct tls_identity *id, struct mbedtls_ssl_config *conf)
{
    /* mbedTLS keeps non-const pointers but only reads through them. */
    struct tls_identity *w = (struct tls_identity *)id;

    return mbedtls_ssl_conf_own_cert(conf, &w->crt, &w->key);
}

int tls_identity_is_rsa(const struct tls_identity *id)
{
    return mbedtls_pk_can_do(&id->key, MBEDTLS_PK_RSA);
}

void tls_identity_free(struct tls_identity *id)
{
    if (!id)
        return;
    mbedtls_x509_crt_free(&id->crt);
    mbedtls_pk_free(&id->key);
    free(id);
}
