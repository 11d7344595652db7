/*
 * thumb-cache.h — thumbnails made once and kept in the state folder
 * ($STATE/thumbs/, mode 0700), so that asking again costs a file read;
 * and pictures whose thumbnail could not be made (over the limits of
 * thumb-scale.h, or broken), remembered so that they are answered as
 * themselves at once, also after a restart. Never inside the shared tree:
 * server.c refuses a state folder there.
 *
 * An entry is named after the picture's identity, never its path: device,
 * inode, size, mtime and ctime (to the nanosecond), so a picture changed,
 * replaced or touched is another entry, and a new file on a reused inode
 * too (its ctime differs). A thumbnail is NAME.jpg, a failure an empty
 * NAME.no. Entries are written under a temporary name (".tmp-…") and
 * renamed, so a reader sees a whole thumbnail or none; temporary files left
 * by a crash go when the cache is opened. The total (each entry counted as
 * its size rounded up to 4 KiB, at least 4 KiB) stays under a bound: when a
 * put goes over it, the oldest entries (by mtime) go until 3/4 of it is
 * left.
 */
#ifndef FERRY_THUMB_CACHE_H
#define FERRY_THUMB_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define THUMB_CACHE_DIR "thumbs"
#define THUMB_CACHE_NAME_MAX 128 /* an entry's name, with its NUL */

struct thumb_cache;

/*
 * Opens (creating it, 0700, when missing) the folder THUMB_CACHE_DIR in the
 * state folder open at state_fd (which stays the caller's), removes the
 * temporary files left in it and adds up what it holds, for a total bound
 * of max_bytes. Returns 0 with *out (freed with thumb_cache_free()), or
 * -errno (*out NULL).
 */
int thumb_cache_open(int state_fd, uint64_t max_bytes, struct thumb_cache **out);

/* Closes the cache; the files stay. Accepts NULL. */
void thumb_cache_free(struct thumb_cache *tc);

/* The name of the entry of the picture whose fstat() is *st: its thumbnail
 * (failed 0) or its failure (1). len must be THUMB_CACHE_NAME_MAX. */
void thumb_cache_name(const struct stat *st, int failed, char *buf, size_t len);

enum thumb_cache_hit {
    THUMB_CACHE_MISS,   /* nothing known of the picture */
    THUMB_CACHE_MADE,   /* its thumbnail is cached */
    THUMB_CACHE_FAILED, /* its thumbnail could not be made */
};

/*
 * Looks the picture whose fstat() is *st up. THUMB_CACHE_MADE comes with
 * *fd open (read-only) on the thumbnail, now the caller's, and *size its
 * length; *fd is -1 otherwise. A cached file that is not a regular file of
 * at least 4 bytes (a symlink, a truncated write) is a miss. tc NULL: a
 * miss. Callable from any thread.
 */
enum thumb_cache_hit thumb_cache_get(struct thumb_cache *tc, const struct stat *st, int *fd,
                                     uint64_t *size);

/*
 * Stores the len bytes at jpeg as the thumbnail of the picture whose
 * fstat() is *st, or, with jpeg NULL, that it failed; then, when the total
 * is over the bound, removes the oldest other entries until 3/4 of it is
 * left (or none is). Returns 0, or -errno with nothing
 * stored (a full disk: -ENOSPC). tc NULL: -EINVAL. Callable from any
 * thread: puts are serialised.
 */
int thumb_cache_put(struct thumb_cache *tc, const struct stat *st, const void *jpeg, size_t len);

/* The cache's total now, as counted for the bound (for tests). */
uint64_t thumb_cache_total(struct thumb_cache *tc);

#endif
