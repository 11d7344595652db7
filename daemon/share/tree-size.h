/*
 * tree-size.h — what a folder of the shared tree holds, recursively: bytes,
 * files and folders, by the rules the zip download walks by (daemon/share/zip.c),
 * for GET /folder/?size (the browser UI's folder sizes) and for the zip's
 * size estimate.
 */
#ifndef FERRY_TREE_SIZE_H
#define FERRY_TREE_SIZE_H

#include <stddef.h>
#include <stdint.h>

#define TREE_DEPTH_MAX 64        /* deepest folder counted (as ZIP_DEPTH_MAX) */
#define TREE_ENTRIES_MAX 20000   /* the walk stops after this many entries */

struct tree_size {
    uint64_t bytes;      /* sum of the regular files' sizes */
    uint64_t files;      /* regular files */
    uint64_t folders;    /* folders below the walked one */
    uint64_t name_bytes; /* sum of the entries' names relative to the walked
                            folder ("a/b/c.jpg", folders with their '/') */
    int complete;        /* 0: the walk stopped at TREE_ENTRIES_MAX entries,
                            met a folder it could not read, or left out
                            folders deeper than TREE_DEPTH_MAX: the counts
                            are what it saw */
};

/*
 * Whether a walk takes the entry `name` (n bytes) of a folder: never "." or
 * "..", no dot-file unless show_hidden, and only a name the listing shows
 * (listing_name_servable).
 */
int tree_name_wanted(int show_hidden, const char *name, size_t n);

/*
 * Counts what the folder open at dir_fd (stays the caller's) holds: regular
 * files and folders taken by tree_name_wanted, never following a symlink,
 * folders at most TREE_DEPTH_MAX levels down, at most TREE_ENTRIES_MAX
 * entries. Fills *out. Returns 0, or -errno when dir_fd cannot be read at
 * all (then *out is zero). Reads only (fstatat, no file is opened).
 */
int tree_size(int dir_fd, int show_hidden, struct tree_size *out);

#endif
