/*
 * netwatch.h — follows the host's network addresses without polling and
 * tells the lifecycle when the set that ferry serves on has changed
 * (FERRY_EVENT_NETWORK_CHANGED: rebind, re-advertise; the rebind refreshes
 * the URLs and the generated TLS certificate, see srv_network_refresh).
 *
 * One backend, chosen by the build: netwatch-netlink.c (Linux rtnetlink
 * address events, RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR) or
 * netwatch-none.c (other hosts: the embedding app posts the event itself,
 * e.g. from NWPathMonitor on iOS).
 */
#ifndef FERRY_NETWATCH_H
#define FERRY_NETWATCH_H

struct ferry_server;
struct netwatch;

/*
 * Starts watching; events are posted to srv from the watcher's own thread
 * (a burst of address events, e.g. IPv6 duplicate address detection, is
 * one post once the addresses have been still for NETWATCH_SETTLE_MS).
 * Returns 0 and *out (NULL for the none backend), or -errno (logged; the
 * server runs without it).
 */
int netwatch_start(struct ferry_server *srv, struct netwatch **out);

/* Stops the thread and frees: nothing is posted after it returns.
 * Accepts NULL. */
void netwatch_stop(struct netwatch *w);

#define NETWATCH_SETTLE_MS 250

#endif
