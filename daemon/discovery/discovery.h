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
 *
 * Never blocking: disc_update(), disc_withdraw() and disc_publish() run in
 * the lifecycle step that must end every assertion inside the OS's warning
 * window (DESIGN.md, lifecycle rule 4). They only record what is wanted and
 * wake the backend's thread, which talks to the responder; they never wait
 * for the responder, whatever it does (dead, hung, slow). disc_withdraw()
 * waits for the backend's thread at most DISC_WAIT_MAX_MS, so that normally
 * the goodbyes are on their way when it returns; the others return at once.
 * disc_status() tells when the thread has acted. Only disc_free() may wait
 * for a hung responder.
 */
#ifndef FERRY_DISCOVERY_H
#define FERRY_DISCOVERY_H

#include <stddef.h>

struct ferry_server;
struct disc;

/* The longest disc_update(), disc_withdraw() or disc_publish() blocks. */
#define DISC_WAIT_MAX_MS 250

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

/*
 * Replaces what is advertised (a new port after a rebind, new TXT). Returns
 * 0 or FERRY_ENOMEM (nothing changed then). Returns at once; the backend's
 * thread registers the new records.
 */
int disc_update(struct disc *d, const struct disc_info *info);

/*
 * Withdraws the records (before suspension or sleep). Idempotent. Returns
 * within DISC_WAIT_MAX_MS whatever the responder does: as soon as the
 * backend's thread has withdrawn, or when the bound is reached (the thread
 * withdraws as soon as the responder lets it).
 */
void disc_withdraw(struct disc *d);

/* Publishes them again after disc_withdraw(). Idempotent. Returns at once;
 * the backend's thread reconnects and registers. */
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

/* Withdraws and frees. Accepts NULL. Stops the backend's thread, so it may
 * wait for a responder that hangs (not from the lifecycle step). */
void disc_free(struct disc *d);

#endif
