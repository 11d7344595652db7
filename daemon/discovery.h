/*
 * discovery.h — advertising the server over mDNS/DNS-SD, behind one
 * interface with one backend per file, chosen by configure:
 * discovery-avahi.c (Avahi client, Linux), discovery-dnssd.c (the dns_sd
 * API of Apple platforms; on Linux through Avahi's compatibility library)
 * and discovery-none.c.
 *
 * A backend never makes the server fail: when the responder is missing or
 * goes away it logs what happened and keeps trying (a backing-off timer),
 * while HTTP goes on. Calls come from the server's owner thread and from the
 * lifecycle engine (any thread, one at a time); callbacks of the responder
 * run on the backend's own thread. Idle, a backend causes no wake-ups.
 */
#ifndef FERRY_DISCOVERY_H
#define FERRY_DISCOVERY_H

#include <stddef.h>

struct ferry_server;
struct disc;

/* What is advertised. Strings are copied. */
struct disc_info {
    const char *name;        /* service instance name, e.g. "Files on hal" */
    int port;                /* HTTP port; 0 = no _http._tcp record */
    int tls_port;            /* HTTPS port; 0 = no _https._tcp record */
    int read_only;           /* TXT up=0/1 */
    const char *fingerprint; /* TXT fp= (hex SHA-256 of the certificate), or NULL */
};

/* Where a backend stands, for /.ferry/status. */
enum disc_state {
    DISC_OFF,          /* disabled, or the none backend */
    DISC_CONNECTING,   /* waiting for the responder (retrying) */
    DISC_REGISTERING,  /* records sent, not yet confirmed */
    DISC_PUBLISHED,    /* the responder confirmed the records */
    DISC_WITHDRAWN,    /* withdrawn (suspension, sleep, background) */
    DISC_FAILED,       /* gave up on this name and can do nothing more */
};

/* The backend's name: "avahi", "dns_sd" or "none". */
const char *disc_backend(void);

/*
 * Starts advertising `info` for srv (used for logging only). Returns 0 and
 * *out, or FERRY_ENOMEM; a missing responder is not an error (the backend
 * retries). *out is released with disc_free().
 */
int disc_new(struct ferry_server *srv, const struct disc_info *info,
             struct disc **out);

/* Replaces what is advertised (a new port after a rebind, new TXT). */
int disc_update(struct disc *d, const struct disc_info *info);

/* Withdraws the records (before suspension or sleep). Idempotent. */
void disc_withdraw(struct disc *d);

/* Publishes them again after disc_withdraw(). Idempotent. */
void disc_publish(struct disc *d);

/*
 * The state and the name in use (after collision renames) copied into
 * name[0..len). Thread-safe.
 */
enum disc_state disc_status(struct disc *d, char *name, size_t len);

/* Text of a state, e.g. "published". */
const char *disc_state_name(enum disc_state st);

/* The default service name, "Files on <hostname>", into buf[0..len). */
void disc_default_name(char *buf, size_t len);

/* Withdraws and frees. Accepts NULL. */
void disc_free(struct disc *d);

#endif
