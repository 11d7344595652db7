/*
 * trash.h — the trash folder ($STATE/trash, mode 0700, never in the shared
 * tree): where DELETE (and an item that MOVE or COPY replaces) is put, so
 * that it can be restored, and what is removed for good once older than
 * ferry_config.trash_days (0 = 30), once the trash holds more than its
 * bound, or while the disk that holds it is nearly full.
 *
 *   GET    /.ferry/trash                 the entries, as JSON, newest first,
 *          with the trash's total, its bound and the free space of its disk:
 *          {"entries":[{"id","path","kind","size","deleted"}...],
 *           "size":N, "max":N, "free":N}
 *   DELETE /.ferry/trash                 empties the trash (204)
 *   POST   /.ferry/trash/<id>/restore    puts an entry back where it was
 *                                        (201 + Location; 409 when the name
 *                                        is taken or its folder is gone)
 *   DELETE /.ferry/trash/<id>            removes an entry for good (204)
 *
 * An unknown id is 404; POST and DELETE are 403 on a read-only server;
 * everything is 503 without a state folder.
 *
 * On disk, one entry is two names in $STATE/trash: "<id>", the item itself
 * (moved there with one rename, or — from another file system — copied to
 * "<id>.part" and renamed), and "<id>.json", its record (original path
 * below the root, kind "file" or "folder", size in bytes, deleted-at in Unix
 * seconds), written atomically before the item moves, so that an item in the
 * trash always has one. <id> is "<unix-seconds>-<16 hex digits>". An entry
 * is removed by first renaming it to "<id>.del" (so that a restore and a
 * removal never meet half-way), then its tree, then its record.
 *
 * Bounds. The trash holds at most trash_max bytes (ferry_config.trash_max,
 * else trash_max_percent of the size of its file system, 0 = 10 %); adding
 * an entry removes the oldest ones for good until the new total fits. The
 * disk that holds it is "nearly full" when less than TRASH_LOW_PERCENT of
 * it is free (at least TRASH_LOW_MIN, at most TRASH_LOW_MAX bytes): then the
 * oldest entries are removed until that much is free again, or the trash
 * is empty. An item on another file system than the trash is copied in
 * when it is at most TRASH_COPY_MAX bytes (and the bound) and the copy
 * leaves the disk not nearly full.
 *
 * Nothing here runs by itself: trash_sweep() is called at server start, on
 * each DELETE and after each answer 507 (ferry must not wake up when idle).
 * Thread-safe: every step is one rename or works on names it has claimed.
 */
#ifndef FERRY_TRASH_H
#define FERRY_TRASH_H

#include <microhttpd.h>
#include <stdint.h>
#include <time.h>

struct ferry_server;
struct route_handler;

/* The route table's handler of TRASH_PREFIX and below (request.h):
 * trash_serve() once the request (any body dropped) is in. */
extern const struct route_handler trash_handler;

/* The URL prefix of the trash endpoints (and the listing without the slash). */
#define TRASH_PREFIX "/.ferry/trash"
/* Bytes of an id with its NUL: up to 20 digits, '-', 16 hex digits. */
#define TRASH_ID_MAX 40
/* A record or item without its partner is removed only after this long
 * (it may be half-way through trash_put() in another thread). */
#define TRASH_ORPHAN_GRACE_S 3600
/* The bound of the trash when ferry_config gives none: this % of its disk. */
#define TRASH_MAX_PERCENT 10
/* "Nearly full": less than this % of the disk free, clamped to [MIN, MAX]. */
#define TRASH_LOW_PERCENT 1
#define TRASH_LOW_MIN ((uint64_t)4 << 20)
#define TRASH_LOW_MAX ((uint64_t)256 << 20)
/* The largest item copied into the trash from another file system (the
 * copy runs on an HTTP worker). */
#define TRASH_COPY_MAX ((uint64_t)64 << 20)

/* Why trash_delete() did not take an item; nothing was changed, and the
 * client is asked whether to delete it for good instead. */
#define TRASH_ETOOBIG (-2001)  /* bigger than the trash's bound */
#define TRASH_EOTHERFS (-2002) /* on another file system, too big to copy */
#define TRASH_EFULL (-2003)    /* the disk is nearly full: the trash would
                                  free nothing (same disk) or has no room */

/*
 * Moves dir_fd/name (rel: its path below the root, for the record) into the
 * trash by rename (for an item that MOVE or COPY replaces), and writes its
 * id into `id` (TRASH_ID_MAX bytes) when not NULL. Creates $STATE/trash
 * when missing; removes the oldest entries first while the new one would
 * not fit the bound, but always takes it. Returns 0, -EXDEV when the trash is on
 * another file system than the item (the caller then decides), -EBADF
 * without a state folder, or another -errno; on failure nothing has moved
 * and no record is left. Syncs the trash folder; dir_fd is the caller's to
 * sync.
 */
int trash_put(struct ferry_server *srv, int dir_fd, const char *name, const char *rel,
              char *id);

/*
 * Puts dir_fd/name (rel: its path below the root) into the trash for a
 * DELETE: sweeps first (trash_sweep()), then, within the bounds above, by
 * rename when the item is on the trash's file system, else by a copy into
 * the trash and removal of the item; makes room by removing the oldest
 * entries when the new one would not fit. Writes the entry's id into `id`
 * (TRASH_ID_MAX bytes) and the item's size into *size. Returns 0; 1 when
 * the copy is in the trash but the item could only be partly removed;
 * TRASH_ETOOBIG, TRASH_EOTHERFS or TRASH_EFULL (nothing changed; ask the
 * client); -EBADF without a state folder; or another -errno (nothing
 * changed). Syncs the trash folder; dir_fd is the caller's to sync.
 */
int trash_delete(struct ferry_server *srv, int dir_fd, const char *name, const char *rel,
                 char *id, uint64_t *size);

/*
 * Removes every entry for good. Writes how many into *n and their recorded
 * bytes into *bytes (either may be NULL). Returns 0, or the first -errno
 * (the rest is still removed).
 */
int trash_empty(struct ferry_server *srv, unsigned *n, uint64_t *bytes);

/* The bound of the trash in bytes (see above), 0 when it cannot be known. */
uint64_t trash_max_bytes(struct ferry_server *srv);

/*
 * Undoes a trash_put() whose caller failed afterwards: moves entry `id`
 * back to dir_fd/name (which must be free) and drops its record. Returns 0
 * or -errno (the entry then stays in the trash).
 */
int trash_unput(struct ferry_server *srv, const char *id, int dir_fd, const char *name);

/*
 * Removes for good every entry deleted more than trash_days ago at `now`
 * (trash_sweep: now), leftovers of interrupted removals ("<id>.del") and
 * copies ("<id>.part", once older than TRASH_ORPHAN_GRACE_S), records or
 * items without their partner once older than TRASH_ORPHAN_GRACE_S; then
 * the oldest entries while the trash holds more than its bound or while
 * its disk is nearly full. Logs what it removed. Does nothing without a
 * state folder or trash folder.
 */
void trash_sweep(struct ferry_server *srv);
void trash_sweep_at(struct ferry_server *srv, time_t now);

/*
 * Puts entry `id` back at its original path (no-replace; an entry copied
 * in from another file system is copied back, under a hidden name first)
 * and drops its record; the path (below the root, with a leading '/') is written to path
 * (pathlen bytes) when not NULL, and *folder says whether it is a folder.
 * Returns 0, -ENOENT (no such entry, or a malformed id), -EEXIST (the name
 * is taken), -ENOTDIR (the folder it was in is gone), -EACCES (that folder
 * is no longer reachable inside the root), -EXDEV (that folder is now at
 * another depth below the root, from where a relative symlink in the entry
 * would point outside: see fileops_links_check()) or another -errno.
 */
int trash_restore(struct ferry_server *srv, const char *id, char *path, size_t pathlen,
                  int *folder);

/* Removes entry `id` for good. Returns 0, -ENOENT or another -errno. */
int trash_purge(struct ferry_server *srv, const char *id);

/*
 * Answers a request under TRASH_PREFIX (called once the request is in).
 * Sets *status. Returns MHD_YES, or MHD_NO to close the connection.
 */
enum MHD_Result trash_serve(struct ferry_server *srv, struct MHD_Connection *c,
                            const char *method, const char *url, unsigned *status);

#endif
