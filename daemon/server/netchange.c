/*
 * netchange.c — what a network change does to the server, beside the
 * engine's rebind and re-advertise (server.h, srv_network_refresh and
 * srv_network_announce): the new URLs are logged, and the generated TLS certificate is issued again
 * for the new addresses (tls-identity.c issues anew when a kept
 * certificate names other addresses than the host has now). The
 * /.ferry/status "urls" member and the mDNS record (the engine's
 * re-advertise) read the addresses afresh by themselves.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "server.h"

char *srv_address_set(struct ferry_server *srv)
{
    char **a = NULL, *s;
    size_t n = 0, len = 1;

    if (srv_host_addresses(srv, &a, &n) < 0)
        return NULL;
    for (size_t i = 0; i < n; i++)
        len += strlen(a[i]) + 1;
    s = calloc(1, len);
    for (size_t i = 0; s && i < n; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, a[i]);
    }
    ferry_urls_free(a, n);
    return s;
}

void srv_network_announce(struct ferry_server *srv)
{
    char **urls = NULL, line[1024];
    size_t n = 0, len = 0;

    if (ferry_server_urls(srv, &urls, &n) < 0)
        return;
    line[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof line - 1; i++) {
        int w = snprintf(line + len, sizeof line - len, "%s%s", i ? " " : "", urls[i]);

        if (w < 0)
            break;
        len += (size_t)w;
    }
    ferry_urls_free(urls, n);
    srv_log(srv, FERRY_LOG_INFO, "network: URLs now: %s", n ? line : "(none)");
}

int srv_network_refresh(struct ferry_server *srv)
{
    char *now = srv_address_set(srv);
    int first = srv->net_addrs == NULL;

    if (!now)
        return 0;
    if (!first && strcmp(now, srv->net_addrs) == 0) {
        free(now);
        return 0;
    }
    free(srv->net_addrs);
    srv->net_addrs = now;
    if (first)
        return 0; /* at start: ferryd prints the URLs itself */
    if (srv_tls_reissue(srv) == 0 && srv->tls_id && !srv->cfg.tls_cert)
        srv_log(srv, FERRY_LOG_INFO, "network: TLS certificate issued for the new "
                "addresses; fingerprint (SHA-256) %s", ferry_server_fingerprint(srv));
    return 1;
}
