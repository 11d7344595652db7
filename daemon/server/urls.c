/*
 * urls.c — ferry_server_urls(): every URL at which a running server can be
 * reached, for printing and for QR codes.
 *
 * A specific bind address gives its own URL. A wildcard bind gives one URL per
 * address of every interface that is up: LAN addresses first (what another
 * device can use), loopback last. IPv6 link-local addresses are left out:
 * browsers cannot open URLs with a zone index.
 *
 * With TLS, the HTTPS listener's URLs (https://) come first, then the plain
 * ones. The same addresses, without a scheme, are what the generated TLS
 * certificate names (srv_host_addresses()).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define URLS_MAX 64

struct url_list {
    char **v;
    size_t n;
    int port;
    const char *scheme; /* "http", "https", or NULL for bare addresses */
};

/* Appends the URL for one address (numeric text) unless already there. */
static int add_url(struct url_list *l, int family, const char *addr)
{
    char buf[INET6_ADDRSTRLEN + 32];

    if (l->n >= URLS_MAX)
        return 0;
    if (!l->scheme)
        snprintf(buf, sizeof buf, "%s", addr);
    else
        snprintf(buf, sizeof buf, family == AF_INET6 ? "%s://[%s]:%d/" : "%s://%s:%d/",
                 l->scheme, addr, l->port);
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], buf) == 0)
            return 0;
    l->v[l->n] = strdup(buf);
    if (!l->v[l->n])
        return FERRY_ENOMEM;
    l->n++;
    return 0;
}

/* 0: LAN address, 1: loopback, -1: not listed (link-local IPv6). */
static int address_rank(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);

        return (a >> 24) == 127 ? 1 : 0;
    }
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

    if (IN6_IS_ADDR_LOOPBACK(a6))
        return 1;
    if (IN6_IS_ADDR_LINKLOCAL(a6) || IN6_IS_ADDR_V4MAPPED(a6))
        return -1;
    return 0;
}

/*
 * Adds the addresses of all interfaces that are up for the families wanted
 * (want4/want6), LAN ones when rank 0 is asked for, loopback for rank 1.
 */
static int add_interfaces(struct url_list *l, struct ifaddrs *ifs, int want4,
                          int want6, int rank)
{
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        char addr[INET6_ADDRSTRLEN];
        const void *src;
        int fam;

        if (!i->ifa_addr || !(i->ifa_flags & IFF_UP))
            continue;
        fam = i->ifa_addr->sa_family;
        if (!((fam == AF_INET && want4) || (fam == AF_INET6 && want6)))
            continue;
        if (address_rank(i->ifa_addr) != rank)
            continue;
        src = fam == AF_INET ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
                             : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
        if (!inet_ntop(fam, src, addr, sizeof addr))
            continue;
        if (add_url(l, fam, addr) < 0)
            return FERRY_ENOMEM;
    }
    return 0;
}

/*
 * Appends to l (scheme and port set) one entry per address the server is
 * bound to: the bind addresses, or for a wildcard the addresses of the
 * interfaces that are up, LAN ones first. Returns 0 or a negative code.
 */
static int add_bound(const struct ferry_server *srv, struct url_list *l)
{
    struct ifaddrs *ifs = NULL;
    int want4 = 0, want6 = 0, rc = 0;

    if (srv->cfg.n_binds == 0)
        want4 = want6 = 1;
    for (size_t i = 0; i < srv->cfg.n_binds && rc == 0; i++) {
        const char *b = srv->cfg.binds[i];

        if (strcmp(b, "0.0.0.0") == 0)
            want4 = 1;
        else if (strcmp(b, "::") == 0)
            want6 = 1;
        else
            rc = add_url(l, strchr(b, ':') ? AF_INET6 : AF_INET, b);
    }
    if (rc == 0 && (want4 || want6)) {
        if (getifaddrs(&ifs) < 0) {
            rc = -errno;
        } else {
            rc = add_interfaces(l, ifs, want4, want6, 0);
            if (rc == 0)
                rc = add_interfaces(l, ifs, want4, want6, 1);
            freeifaddrs(ifs);
        }
    }
    return rc;
}

int ferry_server_urls(const ferry_server *srv, char ***urls, size_t *n)
{
    struct url_list l = {0};
    int rc = 0;

    *urls = NULL;
    *n = 0;
    if (!srv || !srv->listening)
        return FERRY_ESTATE;
    l.v = calloc(URLS_MAX, sizeof *l.v);
    if (!l.v)
        return FERRY_ENOMEM;
    if (srv->cfg.tls) {
        l.scheme = "https";
        l.port = srv->tls_port;
        rc = add_bound(srv, &l);
    }
    if (rc == 0 && srv->cfg.tls != FERRY_TLS_ONLY) {
        l.scheme = "http";
        l.port = srv->port;
        rc = add_bound(srv, &l);
    }
    if (rc < 0) {
        ferry_urls_free(l.v, l.n);
        return rc;
    }
    *urls = l.v;
    *n = l.n;
    return 0;
}

int srv_host_addresses(const struct ferry_server *srv, char ***addrs, size_t *n)
{
    struct url_list l = {0};
    int rc;

    *addrs = NULL;
    *n = 0;
    l.v = calloc(URLS_MAX, sizeof *l.v);
    if (!l.v)
        return FERRY_ENOMEM;
    rc = add_bound(srv, &l);
    if (rc < 0) {
        ferry_urls_free(l.v, l.n);
        return rc;
    }
    *addrs = l.v;
    *n = l.n;
    return 0;
}

void ferry_urls_free(char **urls, size_t n)
{
    if (!urls)
        return;
    for (size_t i = 0; i < n; i++)
        free(urls[i]);
    free(urls);
}
