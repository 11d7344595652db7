/*
 * trash.h — the trash folder ($STATE/trash, mode 0700, never in the shared
 * tree): where DELETE (and an item that MOVE or COPY replaces) is put, so
 * that it can be restored, and what is removed for good once older than
 * ferry_config.trash_days (0 = 30).
 *
 *   GET    /.ferry/trash                 the entries, as JSON, newest first:
 *          {"entries":[{"id","path","kind","size","deleted"}...]}
 *   POST   /.ferry/trash/<id>/restore    puts an entry back where it was
 *                                        (201 + Location; 409 when the name
 *                                        is taken or its folder is gone)
 *   DELETE /.ferry/trash/<id>            removes an entry for good (204)
 *
 * An unknown id is 404; POST and DELETE are 403 on a read-only server;
 * everything is 503 without a state folder.
 *
 * On disk, one entry is two names in $STATE/trash: "<id>", the item itself
 * (moved there with one rename), and "<id>.json", its record (original path
 * below the root, kind "file" or "folder", size in bytes, deleted-at in Unix
 * seconds), written atomically before the item moves, so that an item in the
 * trash always has one. <id> is "<unix-seconds>-<16 hex digits>". An entry
 * is removed by first renaming it to "<id>.del" (so that a restore and a
 * removal never meet half-way), then its tree, then its record.
 *
 * Nothing here runs by itself: trash_sweep() is called at server start and
 * on each DELETE (ferry must not wake up when idle). Thread-safe: every step
 * is one rename or works on names it has claimed.
 */
#ifndef FERRY_TRASH_H
#define FERRY_TRASH_H

#include <microhttpd.h>
#include <time.h>

struct ferry_server;

/* The URL prefix of the trash endpoints (and the listing without the slash). */
#define TRASH_PREFIX "/.ferry/trash"
/* Bytes of an id with its NUL: up to 20 digits, '-', 16 hex digits. */
#define TRASH_ID_MAX 40
/* A record or item without its partner is removed only after this long
 * (it may be half-way through trash_put() in another thread). */
#define TRASH_ORPHAN_GRACE_S 3600

/*
 * Moves dir_fd/name (rel: its path below the root, for the record) into the
 * trash, and writes its id into `id` (TRASH_ID_MAX bytes) when not NULL.
 * Creates $STATE/trash when missing. Returns 0, -EXDEV when the trash is on
 * another file system than the item (the caller then decides), -EBADF
 * without a state folder, or another -errno; on failure nothing has moved
 * and no record is left. Syncs the trash folder; dir_fd is the caller's to
 * sync.
 */
int trash_put(struct ferry_server *srv, int dir_fd, const char *name, const char *rel,
              char *id);

/*
 * Undoes a trash_put() whose caller failed afterwards: moves entry `id`
 * back to dir_fd/name (which must be free) and drops its record. Returns 0
 * or -errno (the entry then stays in the trash).
 */
int trash_unput(struct ferry_server *srv, const char *id, int dir_fd, const char *name);

/*
 * Removes for good every entry deleted more than trash_days ago at `now`
 * (trash_sweep: now), leftovers of interrupted removals ("<id>.del"), and
 * records or items without their partner once older than
 * TRASH_ORPHAN_GRACE_S. Logs what it removed. Does nothing without a state
 * folder or trash folder.
 */
void trash_sweep(struct ferry_server *srv);
void trash_sweep_at(struct ferry_server *srv, time_t now);

/*
 * Puts entry `id` back at its original path (no-replace) and drops its
 * record; the path (below the root, with a leading '/') is written to path
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
