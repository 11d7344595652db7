/*
 * dav-dead.h — the dead properties of PROPPATCH (RFC 4918 §4.3), kept with
 * the file or folder itself as extended attributes in the "user." space:
 * "user.ferry.{namespace}name" holding the value as an XML fragment
 * (dav-xml.h). They travel with a rename (MOVE, the trash and its
 * restore) for free; COPY calls dav_dead_copy().
 *
 * Where the file system has no user xattrs (-ENOTSUP: vfat/exFAT, some
 * FUSE and NFS mounts; or a build without <sys/xattr.h>), and the store
 * has a state folder, the properties
 * go to one file per resource in STATE/dav-props/, named by the
 * resource's identity — device, inode, and birth time where the file
 * system keeps one — so that they too follow a rename within the file
 * system, and a new file does not inherit a deleted one's properties
 * unless its inode is reused on a file system without birth times.
 * Records: "ns\0name\0value\0" repeated, written to a temporary name and
 * renamed over the old file.
 *
 * Every call works on an fd the caller opened on the resource (O_RDONLY;
 * borrowed, never closed here). Thread-safe: the state-folder store has a
 * mutex; xattrs need none.
 */
#ifndef FERRY_DAV_DEAD_H
#define FERRY_DAV_DEAD_H

#include <pthread.h>
#include <stddef.h>

#define DAV_DEAD_PREFIX "user.ferry."
#define DAV_DEAD_VALUE_MAX (64 * 1024)   /* bytes of one value */
#define DAV_DEAD_FILE_MAX (1024 * 1024)  /* bytes of one resource's state file */
#define DAV_DEAD_DIR "dav-props"

/* Where properties go when xattrs cannot hold them. */
struct dav_dead_store {
    int state_fd;        /* the state folder (borrowed), or -1: xattrs only */
    int no_xattr;        /* tests: always use the state folder */
    pthread_mutex_t mu;  /* around the state folder's read-modify-write */
};

/* Initialises s (state_fd -1 for none; borrowed). */
void dav_dead_store_init(struct dav_dead_store *s, int state_fd);
void dav_dead_store_destroy(struct dav_dead_store *s);

/* Called once per dead property; value is NULL when names_only. */
typedef void (*dav_dead_fn)(void *cls, const char *ns, const char *name, const char *value);

/* Lists the resource's dead properties. Returns how many, or -errno
 * (-ENOTSUP: none can be stored here). s may be NULL (xattrs only). */
int dav_dead_list(struct dav_dead_store *s, int fd, int names_only, dav_dead_fn fn, void *cls);

/* One property's value: 0 and *value (malloc'd, owned by the caller);
 * -ENODATA when it is not set; -errno. */
int dav_dead_get(struct dav_dead_store *s, int fd, const char *ns, const char *name,
                 char **value);

/* Sets a property. 0, -ENAMETOOLONG (the name does not fit an xattr name),
 * -E2BIG / -ENOSPC (no room), -ENOTSUP (nowhere to keep it), -errno. */
int dav_dead_set(struct dav_dead_store *s, int fd, const char *ns, const char *name,
                 const char *value);

/* Removes a property; one that is not set is no error. 0 or -errno. */
int dav_dead_remove(struct dav_dead_store *s, int fd, const char *ns, const char *name);

/* Copies every dead property of src onto dst (both borrowed). 0 or -errno
 * (-ENOTSUP counts as done: there were none). */
int dav_dead_copy(struct dav_dead_store *s, int src_fd, int dst_fd);

#endif
