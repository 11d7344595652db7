/*
 * auth.h — the gate: access control for every request, at the first call of
 * the access handler (before any body is read), and ferry's own login and
 * pairing endpoints (/.ferry/pair, /.ferry/login).
 *
 * What it owns (struct auth_gate, one per ferry_server, from
 * ferry_server_new() to ferry_server_free()): the session store
 * (auth-sessions.h), the failure limiter (auth-limit.h), the password hash
 * of password mode, a short-lived cache of verified Basic credentials, and
 * the host names the server answers to.
 *
 * Order of a decision (the rules themselves are auth-decide.h):
 *   1. Host must be an IP literal or one of this host's names (every mode).
 *   2. Open mode: no credentials. Else a live session cookie admits (an
 *      unknown, expired or revoked cookie is no session, never a failure);
 *      then Authorization: Bearer (any mode but open) or Basic (password
 *      mode; the user name is ignored). These two, pairing tokens and
 *      login passwords are checked only while the client's address is not
 *      made to wait by the limiter (429 + Retry-After, answered at once);
 *      a wrong one is a failure. Each check is an attempt reserved before
 *      it starts (pairing and login: when the headers are in, before the
 *      body), so concurrent guesses cannot outrun the limiter.
 *   3. A write (any method but GET, HEAD, OPTIONS) needs rights rw and,
 *      unless admitted by a bearer token, a same-origin browser or a
 *      client that sends no browser header at all.
 * Thread-safety: every function may be called from any MHD thread.
 */
#ifndef FERRY_AUTH_H
#define FERRY_AUTH_H

#include <microhttpd.h>
#include <stddef.h>
#include <sys/socket.h>

#include "auth-decide.h"
#include "auth-ticket.h"

struct ferry_server;
struct auth_gate;

#define AUTH_COOKIE_NAME "ferry_session"

/*
 * Makes the gate for srv (reads the password in password mode, loads the
 * sessions from the state folder). Returns 0, FERRY_ENOPASSWORD (logged
 * with what to do), FERRY_ENOMEM or another negative code; *out is NULL on
 * error.
 */
int auth_gate_new(struct ferry_server *srv, struct auth_gate **out);

/* Writes what is pending and frees the gate. NULL is fine. */
void auth_gate_free(struct auth_gate *g);

/* The session store (for share links, daemon/auth/share.c); g's. */
struct auth_sessions *auth_gate_sessions(struct auth_gate *g);

/* Logs the start-up warnings (open mode; credentials in clear). */
void auth_gate_announce(struct ferry_server *srv);

/*
 * Decides about a request at the first handler call, filling *t. Queues
 * nothing. `download` is the query's value of download (struct req_query,
 * request.h; NULL when absent): POST /folder/?download=zip, a selection's
 * zip, writes nothing and is allowed to read-only rights.
 */
void auth_check(struct ferry_server *srv, struct MHD_Connection *c, const char *url,
                const char *method, const char *download, struct auth_ticket *t);

/* Whether a refusal must be answered before the body (PUT, POST, PATCH). */
int auth_answer_early(const char *method);

/*
 * Queues the refusal of *t (401, 403, 421, 429 with their headers and a
 * short page). Sets *status.
 */
enum MHD_Result auth_refuse(struct ferry_server *srv, struct MHD_Connection *c,
                            const struct auth_ticket *t, unsigned *status);

/*
 * The handler of the endpoints the gate admitted itself (t->endpoint:
 * /.ferry/pair, /.ferry/login, /.ferry/share; request.h): takes the form
 * body into the request's ticket and answers once it is in. The gate
 * (routes.c) routes to it, with rq->state set to &rq->auth, instead of a
 * row of the route table.
 */
struct route_handler;
extern const struct route_handler auth_endpoint_handler;

/* Frees what *t holds; refunds an attempt that was reserved and never
 * ended (the client went away before its body). */
void auth_ticket_end(struct auth_ticket *t);

#endif
