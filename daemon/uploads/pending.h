/*
 * pending.h — records of the temporary items a file operation makes in the
 * shared tree, so that a kill -9 leaves nothing behind: a COPY (and a MOVE
 * across file systems) builds its copy under a hidden name beside the
 * target (".NAME.ferry-copy-XXXXXXXX"), and a replace without the trash
 * sets the old item aside under another (".NAME.ferry-old-XXXXXXXX").
 *
 * Before such a name is made, a record naming it is written durably to
 * $STATE/pending/<16 hex>.json (temporary file, fsync, rename, fsync of the
 * folder): {"version": 1, "folder": the folder below the root ("" the
 * root), "tmp": the copy's name or "", "name": the target's name or "",
 * "old": the set-aside name or ""}. The record goes when the operation
 * ends, whatever its outcome. pending_sweep() at start finishes what a kill
 * cut: the copy is removed, and the set-aside item is put back under its
 * name when that is free (removed otherwise: the new item took its place).
 *
 * Why records rather than a walk of the tree at start: the sweep knows
 * exactly which names to remove, costs nothing on a share of 100,000 files
 * (a phone's pictures), reaches any depth, and never removes a file a
 * client made (those names are refused to clients anyway:
 * paths_temp_name()). Leftovers of versions before the records (none are
 * recorded) stay, invisible to clients.
 *
 * Without a state folder nothing is recorded (and nothing swept).
 * Threads: each record belongs to one request; the sweep runs at start,
 * before any request.
 */
#ifndef FERRY_PENDING_H
#define FERRY_PENDING_H

#include <limits.h>

#include "paths.h"

struct ferry_server;

struct pending {
    struct ferry_server *srv;
    char file[24];               /* "<16 hex>.json", "" until first saved */
    char folder[PATHS_MAX + 1];  /* below the root */
    char tmp[NAME_MAX + 1];      /* the copy being built, or "" */
    char name[NAME_MAX + 1];     /* the target, with `old` */
    char old[NAME_MAX + 1];      /* the replaced item set aside, or "" */
};

/*
 * Writes (or rewrites) the record p describes, durably, before the names
 * in it are made. p->srv and p->folder must be set; the first call names
 * the record's file. Returns 0 (also when the server has no state folder:
 * nothing is recorded) or -errno (nothing may be made then).
 */
int pending_save(struct pending *p);

/* The operation ended: removes the record (no fsync: a record whose names
 * are gone sweeps to nothing). Accepts a record never saved. */
void pending_end(struct pending *p);

/*
 * At start, before any request: carries out and removes every record in
 * $STATE/pending (see above). Names that are not ferry's temporary names,
 * and folders that leave the root or are symlinks, are never touched.
 * Returns how many items were removed or put back.
 */
unsigned pending_sweep(struct ferry_server *srv);

#endif
