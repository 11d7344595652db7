/*
 * port-logind-none.c — the logind port of a build without libsystemd
 * (configure --without-logind, or no libsystemd-dev): ferry_logind_new()
 * logs that once and answers FERRY_EUNAVAIL, so that a host falls back to
 * the built-in port for hosts that never sleep.
 */
#include "config.h"

#include <stddef.h>

#include "ferry.h"

int ferry_logind_new(ferry_server *srv, const ferry_logind_config *cfg, ferry_logind **out)
{
    *out = NULL;
    if (cfg && cfg->log)
        cfg->log(cfg->log_user, FERRY_LOG_INFO,
                 "logind: this build has no logind support (configure --with-logind): "
                 "sleep and shutdown go unnoticed");
    return FERRY_EUNAVAIL;
}

const ferry_port *ferry_logind_port(ferry_logind *ld)
{
    return NULL;
}

uint64_t ferry_logind_delay_budget_ms(const ferry_logind *ld)
{
    return 0;
}

void ferry_logind_stop(ferry_logind *ld)
{
}

void ferry_logind_free(ferry_logind *ld)
{
}
