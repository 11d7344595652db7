/*
 * listener.h — ferry's own listening sockets and the thread that accepts on
 * them.
 *
 * ferry, not libmicrohttpd, owns the listeners: that is what lets the
 * lifecycle close them before the OS suspends the process and bind them again
 * on resume without tearing the HTTP engine down. Each accepted connection is
 * handed to a callback (which passes it on to MHD_add_connection).
 */
#ifndef FERRY_LISTENER_H
#define FERRY_LISTENER_H

#include <stddef.h>
#include <sys/socket.h>

struct ferry_server;
struct listener;

/*
 * Called on the accept thread for every accepted connection. `fd` is
 * non-blocking and close-on-exec, and is owned by the callback from then on.
 */
typedef void (*listener_accept_fn)(void *user, int fd,
                                   const struct sockaddr *peer,
                                   socklen_t peer_len);

/*
 * Binds and listens on every address in addrs[0..n) (IP literals), or, when
 * n == 0, on the IPv4 and IPv6 wildcards (IPv6 being optional: a host without
 * it serves IPv4 only). `port` 0 picks a free port, then the same port is used
 * for every address. Failures are logged through srv with the address, port
 * and reason. On success returns 0 and *out owns the listener; otherwise
 * returns FERRY_EADDR, FERRY_EBIND or FERRY_ENOMEM and *out is NULL.
 */
int listener_open(struct ferry_server *srv, const char *const *addrs, size_t n,
                  int port, struct listener **out);

/* The bound TCP port. */
int listener_port(const struct listener *l);

/*
 * Starts the accept thread, which calls on_accept(user, ...) for each
 * connection until listener_close(). Returns 0 or -errno.
 */
int listener_start(struct listener *l, listener_accept_fn on_accept,
                   void *user);

/*
 * Stops and joins the accept thread (if started), closes every listening
 * socket and frees l. Connections already handed over are not touched.
 * Accepts NULL.
 */
void listener_close(struct listener *l);

/*
 * Implemented by the server (server/server-lifecycle.c), called by a
 * listener's accept thread when a listening socket stopped working (an
 * error, or ECONNABORTED on every accept: iOS's defunct listener after a
 * suspension): marks the server not listening and has the rebinder thread
 * post NETWORK_CHANGED, which listens again in the foreground and the
 * protected background states. Never blocks.
 */
void srv_listener_died(struct ferry_server *srv);

#endif
