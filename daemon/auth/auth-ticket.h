/*
 * auth-ticket.h — the gate's word on one request (struct auth_ticket),
 * which the request's context carries (request.h) and auth.h fills: the
 * verdict, the credentials' rights, and the state of the endpoints the
 * gate answers itself. Declarations only, so that the request's context
 * needs nothing else of the gate.
 */
#ifndef FERRY_AUTH_TICKET_H
#define FERRY_AUTH_TICKET_H

#include <stddef.h>
#include <sys/socket.h>

#include "auth-decide.h"

struct auth_limit;

#define AUTH_FORM_MAX 4096 /* largest form body (login, share) */

/* ferry's endpoints the gate answers itself. */
enum auth_endpoint {
    AUTH_EP_NONE = 0,
    AUTH_EP_PAIR,        /* GET /.ferry/pair?token=T */
    AUTH_EP_LOGIN,       /* GET or POST /.ferry/login */
    AUTH_EP_LOGOUT,      /* POST /.ferry/logout: ends this browser's session */
    AUTH_EP_SHARE,       /* POST /.ferry/share (daemon/auth/share.h), once
                            admitted */
};

/* The gate's word on one request, kept in the request's state. */
struct auth_ticket {
    enum auth_verdict verdict;
    enum auth_endpoint endpoint;
    enum auth_rights rights; /* what the request was admitted with
                                (AUTH_RIGHTS_RW in open mode) */
    unsigned retry_after;    /* AUTH_DENY_LIMITED */
    struct auth_limit *attempt; /* a pairing or login attempt reserved in
                                   this limiter (auth-limit.h) and not ended
                                   yet, or NULL; auth_ticket_end() refunds it */
    struct sockaddr_storage peer; /* the address it was reserved for */
    char maker[AUTH_ID_LEN + 1]; /* admitted: the session or token id
                                    (AUTH_MAKER_HOST for the password), for
                                    share links (auth-sessions.h) */
    unsigned depth;          /* admitted: that session's depth */
    char *body;              /* an endpoint's form body being received
                                (owned) */
    size_t body_len;
    int body_too_long;
};

#endif
