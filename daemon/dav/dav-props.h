/*
 * dav-props.h — one resource's <D:response> in a PROPFIND multistatus
 * (RFC 4918 §9.1, §15): the live properties ferry computes from a stat,
 * the lock table and the file system, and the dead ones (dav-dead.h).
 *
 * Live properties: resourcetype, getcontentlength (files), getlastmodified
 * (RFC 1123), creationdate (RFC 3339, whole seconds: birth time where the
 * file system keeps one, else the modification time), getetag (files: the
 * same strong ETag as GET, cond.h), getcontenttype (files), displayname,
 * lockdiscovery, supportedlock, and quota-available-bytes/quota-used-bytes
 * (RFC 4331; folders; named only, never in allprop).
 *
 * Output uses the prefix "D" for DAV:, declared by the caller on the
 * multistatus root; no default namespace is ever declared, so the values
 * of dead properties (dav-xml.h fragments) keep their meaning.
 */
#ifndef FERRY_DAV_PROPS_H
#define FERRY_DAV_PROPS_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "dav-buf.h"
#include "dav-dead.h"
#include "dav-lock.h"
#include "dav-xml.h"

/* What a PROPFIND asks, and what answering it needs. Owned by the caller;
 * the buffers are scratch space reused for every resource. */
struct dav_props_ctx {
    const struct dav_xml_result *req; /* the parsed body (dav-xml.h) */
    struct dav_locks *locks;          /* for lockdiscovery; may be NULL */
    struct dav_dead_store *dead;      /* dead properties' fallback; may be NULL */
    int64_t now;                      /* the lock table's clock */
    int have_quota;                   /* quota values below are known */
    unsigned long long quota_avail, quota_used;
    struct dav_buf ok, missing;       /* scratch */
};

/* What is known of one resource. */
struct dav_resource {
    const char *path;  /* below the share: "" or "a/b" */
    const char *name;  /* displayname: its last segment (the share's for "") */
    struct stat st;    /* of what it is (symlinks followed) */
    time_t created;    /* birth time, or st_mtime */
    int fd;            /* open on it (O_RDONLY), for dead properties; -1
                          to leave them out */
};

/*
 * Appends <D:response> for r to out: its href (percent-encoded, folders
 * ending in '/'), a 200 propstat with what it has and, for named
 * properties, a 404 propstat with what it has not. Returns 0, -ENOMEM or
 * -E2BIG (out's cap).
 */
int dav_props_response(struct dav_buf *out, struct dav_props_ctx *ctx,
                       const struct dav_resource *r);

/* What answering req needs of each resource, so that a PROPFIND of many
 * items does no more system calls than it must: an fd (dead properties:
 * allprop, propname, or a named property that is not live), and its birth
 * time (creationdate). Pure. */
int dav_props_need_fd(const struct dav_xml_result *req);
int dav_props_need_created(const struct dav_xml_result *req);

/* Appends one <D:activelock> for l (RFC 4918 §14.1) to out. 0 or -errno. */
int dav_props_activelock(struct dav_buf *out, const struct dav_lock *l, int64_t now);

/* Appends <D:lockdiscovery> with every lock covering path. 0 or -errno. */
int dav_props_lockdiscovery(struct dav_buf *out, struct dav_locks *locks, const char *path,
                            int64_t now);

/* The time as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" (creationdate). */
void dav_props_rfc3339(time_t t, char out[32]);

#endif
