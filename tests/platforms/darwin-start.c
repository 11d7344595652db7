/*
 * darwin-start.c — the small program tests/platforms/darwin-cross.sh links
 * for aarch64-macos against libferry and its dependencies, all static: it
 * starts a server on 127.0.0.1 (HTTP and HTTPS, any free ports), prints the
 * ports, and stops. Built here only to prove that everything compiles and
 * links for Darwin; it cannot run here (no Darwin kernel). Usage:
 *   darwin-start [FOLDER]   (default: the current folder)
 */
#include <stdio.h>

#include "ferry.h"

int main(int argc, char **argv)
{
    ferry_config cfg;
    ferry_server *srv = NULL;
    int rc;

    ferry_config_init(&cfg);
    cfg.root = argc > 1 ? argv[1] : ".";
    cfg.binds[0] = "127.0.0.1";
    cfg.n_binds = 1;
    cfg.port = 0;
    cfg.tls = FERRY_TLS_BOTH;
    cfg.tls_port = 0;
    cfg.no_mdns = 1;
    rc = ferry_server_new(&cfg, &srv);
    if (rc == 0)
        rc = ferry_server_start(srv);
    if (rc != 0) {
        fprintf(stderr, "darwin-start: %s\n", ferry_strerror(rc));
        ferry_server_free(srv);
        return 1;
    }
    printf("http://127.0.0.1:%d/ https://127.0.0.1:%d/\n", ferry_server_port(srv),
           ferry_server_tls_port(srv));
    ferry_server_stop(srv);
    ferry_server_free(srv);
    return 0;
}
