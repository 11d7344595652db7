/*
 * tls.h — HTTPS for ferry: the server's identity (an ECDSA P-256 key and a
 * self-signed certificate kept in the state folder, or the user's own) and
 * the TLS front end that terminates TLS with mbedTLS and hands plaintext to
 * libmicrohttpd through a socketpair, so that MHD never sees TLS and the
 * library carries no GnuTLS.
 */
#ifndef FERRY_TLS_H
#define FERRY_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ferry_server;
struct tls_identity;
struct tls_front;

struct tls_identity_config {
    int state_dir_fd;         /* where a generated key/cert live; -1: memory only */
    const char *cert_path;    /* the user's own PEM certificate, or NULL */
    const char *key_path;     /* the user's own PEM key, or NULL */
    const char *const *dns_names; /* subjectAltName DNS names, e.g. "hal.local" */
    size_t n_dns;
    const char *const *ip_addrs;  /* subjectAltName IP addresses (text) */
    size_t n_ips;
};

/*
 * Loads the user's key and certificate, or the generated ones from the state
 * folder (regenerating them when missing, corrupt — with a clear log line —,
 * issued for other names, or within 30 days of expiry). A generated key is
 * written with mode 0600, atomically. Returns 0 and *out, or a negative code
 * after logging what is wrong (path and reason).
 */
int tls_identity_load(struct ferry_server *srv, const struct tls_identity_config *cfg,
                      struct tls_identity **out);

/* SHA-256 of the certificate (DER), 64 lowercase hex digits. */
const char *tls_identity_fingerprint(const struct tls_identity *id);

/* The public-key pin for curl --pinnedpubkey: "sha256//BASE64". */
const char *tls_identity_spki_pin(const struct tls_identity *id);

/*
 * Gives an mbedTLS server configuration the identity's certificate (chain)
 * and key. Borrowed: id must outlive every use of conf. Returns 0 or an
 * mbedTLS error.
 */
struct mbedtls_ssl_config;
int tls_identity_install(const struct tls_identity *id, struct mbedtls_ssl_config *conf);

/* Non-zero when the key is RSA (a user's own): the front end then offers
 * the ECDHE-RSA forms of its cipher suites instead of ECDHE-ECDSA. */
int tls_identity_is_rsa(const struct tls_identity *id);

/* Frees it. Accepts NULL. */
void tls_identity_free(struct tls_identity *id);

/* Receives a plaintext connection (fd owned) with the real peer address
 * and the connection's ticket (conn-limit.h), of which the front end keeps
 * its own holder. */
typedef void (*tls_handover_fn)(void *user, int fd, const struct sockaddr *peer,
                                socklen_t peer_len, uint32_t ticket);

/*
 * Starts the front end: one thread with an event loop for every TLS
 * connection (no thread per connection). Returns 0 or a negative code.
 */
int tls_front_new(struct ferry_server *srv, const struct tls_identity *id,
                  tls_handover_fn handover, void *user, struct tls_front **out);

/*
 * Takes a TCP connection accepted on an HTTPS listener (fd owned, closed in
 * every case) with the caller's holder of its ticket in the server's
 * connection caps (let go when the connection ends, in every case). Any
 * thread. A plain-HTTP request gets a clear 400 answer naming the https://
 * URL; a handshake that fails is logged with the peer's address (one line
 * a minute with a count when they repeat); a silent or slow one is dropped
 * after a timeout.
 */
void tls_front_accept(struct tls_front *t, int fd, const struct sockaddr *peer,
                      socklen_t peer_len, uint32_t ticket);

/* Ends every TLS connection cleanly (before suspension). Any thread. Waits
 * at most 250 ms for the loop to have done it (it runs inside an iOS
 * expiration handler); the loop finishes the rest afterwards. */
void tls_front_close_all(struct tls_front *t);

/* Stops the thread, closes every connection, frees. Accepts NULL. Session
 * tickets survive everything but this. */
void tls_front_free(struct tls_front *t);

#endif
