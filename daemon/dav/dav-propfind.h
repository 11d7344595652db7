/*
 * dav-propfind.h — a PROPFIND answer (207 multistatus) produced as a
 * stream while the folder is read, one entry at a time, so that memory
 * stays constant however big the folder (one <D:response> buffered at a
 * time). Depth 0: the resource; depth 1: the resource and, for a folder,
 * its members, in directory order, with the same rules as the listing
 * (listing.h): hidden names only with show_hidden, ferry's temporary
 * names never, names that could not be requested back left out, symlinks
 * only where paths_open() would follow them, neither files nor folders
 * left out. Depth infinity is refused by the caller (dav.c).
 */
#ifndef FERRY_DAV_PROPFIND_H
#define FERRY_DAV_PROPFIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dav-dead.h"
#include "dav-lock.h"
#include "dav-xml.h"

struct paths_opts;

struct dav_propfind_cfg {
    int root_fd;                     /* the share (borrowed) */
    const struct paths_opts *paths;  /* symlink and hidden-name policy */
    int show_hidden;
    const char *root_name;           /* displayname of the share itself */
    struct dav_locks *locks;         /* may be NULL */
    struct dav_dead_store *dead;     /* dead properties' fallback; may be NULL */
    int64_t now;                     /* the lock table's clock */
};

struct dav_propfind;

/*
 * Opens the answer for `path` (decoded, below the share) at depth 0 or 1.
 * Takes ownership of *req's contents in every case (it is zeroed). Returns
 * 0 and *out (owned by the caller: dav_propfind_free()), or a paths_open()
 * error / -errno (*out NULL): the caller answers 404/403/500.
 */
int dav_propfind_open(const struct dav_propfind_cfg *cfg, const char *path, int depth,
                      struct dav_xml_result *req, struct dav_propfind **out);

/* Whether the resource is a folder (its href ends in '/'). */
int dav_propfind_is_folder(const struct dav_propfind *pf);

/* Copies up to max bytes of the answer into buf. Returns the count (> 0),
 * 0 at the end, or -1 when the answer cannot go on (memory). */
ssize_t dav_propfind_read(struct dav_propfind *pf, char *buf, size_t max);

/* Closes the folder and frees; pf may be NULL. */
void dav_propfind_free(struct dav_propfind *pf);

#endif
