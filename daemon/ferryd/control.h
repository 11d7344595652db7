/*
 * control.h — ferryd's control socket: a Unix-domain socket (mode 0600)
 * that takes one command per line and answers one line, so that tests, the
 * soak harness and ferryctl can play the OS (background, expire, suspend,
 * resume, advance the fake clock) and read the status.
 *
 * Commands: background, foreground, expire, suspend, resume, terminate,
 * network, advance MS, hang MS (advance with the app hung: a watchdog kill
 * when an assertion is held), status, help. Answers: "ok" or "ok {json}" for
 * status, or "error: what went wrong and what to do".
 */
#ifndef FERRYD_CONTROL_H
#define FERRYD_CONTROL_H

#include "ferry.h"

/* The control socket's name in the state folder when --control is not given
 * (ferryctl looks for it there too). */
#define FERRY_CONTROL_NAME "control.sock"

struct control;

/*
 * Binds `path` (a stale socket there is replaced; any other file is an
 * error) with mode 0600. The two fd numbers the control socket will ever use
 * (the listening socket, and the one each client is moved onto) are written
 * to exempt[0..1], so that the fake OS's socket reclaim can leave them
 * alone. Returns 0 or -errno after printing the reason to stderr.
 */
int control_open(const char *path, int exempt[2], struct control **out);

/*
 * Starts the thread that serves commands for srv. `fake` may be NULL: the
 * commands that need the fake OS then answer an error. Returns 0 or -errno.
 */
int control_run(struct control *c, ferry_server *srv, ferry_fake_os *fake);

/* Stops the thread, closes and unlinks the socket. Accepts NULL. */
void control_stop(struct control *c);

#endif
