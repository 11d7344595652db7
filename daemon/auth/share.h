/*
 * share.h — POST /.ferry/share: a link (and its QR code) that opens a
 * folder of this server on another device, for the browser UI's "Share"
 * dialog.
 *
 * The request: a form body (application/x-www-form-urlencoded) with
 *   path=P     the URL path of a folder or file of the shared folder
 *              (percent-encoded as in the listing's links; encoded once
 *              more as a form value)
 *   rights=ro|rw   what the other device may do (default ro); rw needs a
 *              read-write caller on a writable server
 * made like any write: same-origin (the CSRF rule), admitted; read-only
 * callers may make read-only links (auth_summary.ro_may_write).
 *
 * The answer, 200 application/json (Cache-Control: no-store):
 *   {"url": the link, "path": P as the server spells it (folders end in
 *    '/'), "read_only": bool, "expires": Unix seconds (null in open mode:
 *    the link is the plain URL), "local_only": bool (the only address is
 *    loopback: no other device can open the link), "svg": the link as a QR
 *    code (daemon/auth/qr-svg.h)}
 * In token and password modes the link is a one-time pairing link,
 * ORIGIN/.ferry/pair?token=T&to=P, valid for the pairing TTL, from the
 * share links' own pool (auth_share_new), made by the caller's session or
 * token (its maker: at most 4 live links and 16 sessions made per maker,
 * one more gives up the maker's own oldest, see auth-sessions.h); opening
 * it admits the device to the whole shared folder with those rights and
 * lands it on P. ORIGIN is
 * the request's Host unless that is a loopback name, then the server's
 * first LAN URL of the same scheme.
 *
 * Errors, text/plain with what to do: 400 (no or malformed path, bad
 * rights), 403 (rw asked by a read-only caller or of a read-only server,
 * or a guest's guest, which cannot share further), 404 (no such entry),
 * 405 (not POST), 503 (the pool is full of other makers' live links), 500.
 */
#ifndef FERRY_SHARE_H
#define FERRY_SHARE_H

#include <microhttpd.h>

#include "auth-ticket.h"

struct ferry_server;

#define SHARE_PATH "/.ferry/share"

struct auth_sessions;

/*
 * Answers the share request whose body is in *t (the gate admitted it with
 * t->rights); a link is made in `sessions` (the gate's store,
 * auth-sessions.h). Sets *status. Returns what MHD expects of the handler.
 */
enum MHD_Result share_serve(struct ferry_server *srv, struct MHD_Connection *c,
                            const char *method, const struct auth_ticket *t,
                            struct auth_sessions *sessions, unsigned *status);

#endif
