/*
 * status.h — GET /.ferry/status, as one handler of the route table
 * (request.h, routes.h): version, read-only, lifecycle state, port,
 * assertions (held, begins, ends, refused), transfers (open and
 * restored), discovery (backend, state, name), "zips" (how the last
 * ticketed zips ended, zip-ends.h) and "tls" (port, fingerprint, key pin;
 * null without TLS), as compact JSON.
 */
#ifndef FERRY_STATUS_H
#define FERRY_STATUS_H

struct route_handler;

extern const struct route_handler status_handler;

#endif
