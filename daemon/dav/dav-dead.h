/*
 * dav-dead.h — the dead properties of PROPPATCH (RFC 4918 §4.3), kept with
 * the file or folder itself as extended attributes in the "user." space:
 * "user.ferry.{namespace}name" holding the value as an XML fragment
 * (dav-xml.h). They travel with a rename (MOVE) for free; COPY calls
 * dav_dead_copy(). File systems without user xattrs answer -ENOTSUP (the
 * caller then says 507 for that property; a store in the state folder is
 * not built yet, see the README's Known warts).
 *
 * Every call works on an fd the caller opened on the resource (O_RDONLY;
 * borrowed, never closed here). Thread-safe: no state.
 */
#ifndef FERRY_DAV_DEAD_H
#define FERRY_DAV_DEAD_H

#include <stddef.h>

#define DAV_DEAD_PREFIX "user.ferry."
#define DAV_DEAD_VALUE_MAX (64 * 1024) /* bytes of one value */

/* Called once per dead property; value is NULL when names_only. */
typedef void (*dav_dead_fn)(void *cls, const char *ns, const char *name, const char *value);

/* Lists the resource's dead properties (in xattr order). Returns how many,
 * or -errno (-ENOTSUP where the file system has no user xattrs: none). */
int dav_dead_list(int fd, int names_only, dav_dead_fn fn, void *cls);

/* One property's value: 0 and *value (malloc'd, owned by the caller);
 * -ENODATA when it is not set; -errno. */
int dav_dead_get(int fd, const char *ns, const char *name, char **value);

/* Sets a property. 0, -ENAMETOOLONG (the name does not fit an xattr name),
 * -E2BIG / -ENOSPC (no room), -ENOTSUP, -errno. */
int dav_dead_set(int fd, const char *ns, const char *name, const char *value);

/* Removes a property; one that is not set is no error. 0 or -errno. */
int dav_dead_remove(int fd, const char *ns, const char *name);

/* Copies every dead property of src onto dst (both borrowed). 0 or -errno
 * (-ENOTSUP counts as done: there were none). */
int dav_dead_copy(int src_fd, int dst_fd);

#endif
