/*
 * parts.c — the server's parts: the one file of the core that names the
 * modules a ferry_server carries (the access-control gate, the listing
 * cache, WebDAV's lock table, the route table's entry points, the uploads'
 * store and sweeps, the trash, the thumbnail thread) and says when each is
 * made, started, quiesced, stopped and freed (the srv_parts_* hooks of
 * server.h). server.c calls the hooks and includes none of these modules,
 * so that the modules can depend on the server's interface without a
 * circle through it.
 */
#include "config.h"

#include <string.h>

#include "auth.h"
#include "dav-mhd.h"
#include "listing-cache.h"
#include "pending.h"
#include "routes.h"
#include "server.h"
#include "thumb-jobs.h"
#include "trash.h"
#include "tus-store.h"
#include "upload-put.h"
#include "upload-tus.h"

#define LISTING_CACHE_ENTRIES 16
#define LISTING_CACHE_BYTES (16u << 20)
#define LISTING_CACHE_TTL_MS 1000

const MHD_AccessHandlerCallback srv_access_handler = routes_handle;
const MHD_RequestCompletedCallback srv_request_completed = routes_completed;

int srv_parts_new(struct ferry_server *srv)
{
    srv->listings = listing_cache_new(LISTING_CACHE_ENTRIES, LISTING_CACHE_BYTES,
                                      LISTING_CACHE_TTL_MS);
    if (!srv->listings)
        return FERRY_ENOMEM;
    if (dav_mhd_server_init(srv) < 0) /* WebDAV class 2: the lock table */
        return FERRY_ENOMEM;
    return auth_gate_new(srv, &srv->auth);
}

void srv_parts_free(struct ferry_server *srv)
{
    auth_gate_free(srv->auth);
    srv->auth = NULL;
    listing_cache_free(srv->listings);
    srv->listings = NULL;
    dav_mhd_server_free(srv);
}

int srv_parts_start(struct ferry_server *srv)
{
    int rc = routes_pages_create(srv);

    if (rc < 0)
        return rc;
    /* After the journal is read: the uploads on disk complete the
     * registry's resumable set. Without it, tus requests get 503. */
    rc = tus_store_open(srv, &srv->tus);
    if (rc == FERRY_ENOMEM)
        return rc;
    if (srv->state_fd >= 0) {
        unsigned cut = put_sweep(srv->state_fd);

        if (cut)
            srv_log(srv, FERRY_LOG_INFO, "removed %u part file(s) of PUT uploads cut by an "
                    "earlier run", cut);
        cut = pending_sweep(srv);
        if (cut)
            srv_log(srv, FERRY_LOG_INFO, "removed or put back %u item(s) that file "
                    "operations cut by an earlier run left in the shared folder", cut);
        trash_sweep(srv); /* and on each DELETE: no timer wakes an idle server */
    }
    rc = thumb_jobs_new(srv, &srv->thumbs);
    if (rc == FERRY_ENOMEM)
        return rc;
    if (rc < 0)
        srv_log(srv, FERRY_LOG_WARN, "no thread for thumbnails (%s): pictures are answered "
                "as themselves", strerror(-rc));
    return 0;
}

void srv_parts_started(struct ferry_server *srv)
{
    auth_gate_announce(srv);
}

void srv_parts_quiesce(struct ferry_server *srv)
{
    thumb_jobs_stop(srv->thumbs); /* resumes what it suspended: before MHD */
}

void srv_parts_stop(struct ferry_server *srv)
{
    thumb_jobs_free(srv->thumbs); /* after the engine: its ops cancel jobs */
    srv->thumbs = NULL;
    tus_store_free(srv->tus); /* no request and no event uses it now */
    srv->tus = NULL;
    routes_pages_free(srv);
}
