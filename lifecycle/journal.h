/*
 * journal.h — the on-disk snapshot of open transfers, written before
 * suspension and read back on resume and after a cold start.
 *
 * Format (version 1), text so that a person can read it:
 *   "ferry-journal 1\n"
 *   a JSON document (jansson): {"saved_ms": N, "transfers": [ {...}, ... ]}
 *   "\nsha256 " + 64 lowercase hex digits of the SHA-256 of every byte
 *   before this line + "\n"
 * It is written to a temporary file, fsync'ed, renamed over the old one, and
 * the folder is fsync'ed, so a reader sees the old or the new journal, never
 * a mix. A torn, truncated or altered journal fails the checksum or the
 * parse and is reported, never trusted.
 *
 * The first line and the checksum line are the same in every version, and
 * the checksum (exact: 64 lowercase hex digits, the file ending right after
 * its "\n") is checked before the version is believed: a newer journal is
 * LC_JOURNAL_EVERSION only when intact, and any damage — a flipped version
 * digit included — is LC_JOURNAL_ECORRUPT. The version is decimal without
 * leading zeros; 0 is corrupt.
 *
 * JSON rules (version 1), checked strictly on reading:
 *   - the top level is an object with exactly the keys "saved_ms" and
 *     "transfers"; no duplicate keys anywhere;
 *   - "transfers" is an array of at most 1,000,000 objects, each with
 *     exactly the keys id, direction, path, validator, first, last, done,
 *     total, peer, started_ms;
 *   - numbers are JSON integers in [0, INT64_MAX] (no fractions/exponents);
 *   - direction is "download" or "upload";
 *   - path, validator and peer are strings (valid UTF-8, no NUL) of at most
 *     sizeof(field) - 1 bytes: longer is corrupt, never truncated;
 *   - first <= last; when total > 0 (size known) also last < total and
 *     done <= total; total == 0 (empty, or size not known yet) bounds
 *     neither last nor done.
 * Paths are not vetted beyond that: whoever uses one must resolve it below
 * the shared root like any request path.
 */
#ifndef FERRY_LC_JOURNAL_H
#define FERRY_LC_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ferry.h"

#define LC_JOURNAL_NAME "journal"

enum lc_journal_error {
    LC_JOURNAL_ECORRUPT = -2001, /* bad magic, version, checksum or JSON */
    LC_JOURNAL_EVERSION = -2002, /* a newer version than this build reads */
};

/*
 * Serialises list[0..n) with the time saved_ms into a malloc'd buffer owned
 * by the caller (*len bytes, plus a NUL not counted). A transfer that the
 * rules above cannot hold — a string without NUL in its field or not valid
 * UTF-8, a number above INT64_MAX, an unknown direction, a range breaking
 * the range rule — is left out, so that whatever is written decodes; a
 * saved_ms above INT64_MAX is written as INT64_MAX. The restored flag is not
 * written. Returns 0, or FERRY_ENOMEM with *buf NULL.
 */
int lc_journal_encode(const ferry_transfer *list, size_t n, uint64_t saved_ms,
                      char **buf, size_t *len);

/*
 * Parses len bytes at buf. On success returns 0 and *list (caller frees with
 * free(), NULL when n is 0) holds *n transfers, each marked restored, and
 * *saved_ms the time saved (saved_ms may be NULL). Returns
 * LC_JOURNAL_ECORRUPT, LC_JOURNAL_EVERSION or FERRY_ENOMEM; *list is then
 * NULL, *n and *saved_ms 0, and nothing stays allocated. Never reads past
 * len; buf need not be NUL-terminated.
 */
int lc_journal_decode(const char *buf, size_t len, ferry_transfer **list,
                      size_t *n, uint64_t *saved_ms);

/*
 * Writes the journal atomically into the folder open at dir_fd, which must
 * be open for reading (O_RDONLY | O_DIRECTORY, not O_PATH, so that it can be
 * fsync'ed): a new file "journal.tmp-<pid>-<hex>" (O_EXCL, mode 0600), fully
 * written and fsync'ed, renamed over LC_JOURNAL_NAME, then the folder is
 * fsync'ed (a file system that cannot sync folders is not an error). What
 * is written is as lc_journal_encode(). Returns 0 or -errno (-ENOMEM when
 * encoding fails). On a failure up to the rename the temporary file is
 * removed and the old journal is untouched; a failure of the final folder
 * fsync returns -errno with the new journal in place, maybe not yet durable.
 * A process killed in the middle can leave a temporary file behind.
 */
int lc_journal_save(int dir_fd, const ferry_transfer *list, size_t n,
                    uint64_t saved_ms);

/*
 * Reads the journal from the folder open at dir_fd. A missing journal is not
 * an error: returns 0 with *n = 0. The name is not followed if it is a
 * symlink (-ELOOP); anything but a regular file, or a file above 256 MiB, is
 * LC_JOURNAL_ECORRUPT. Otherwise as lc_journal_decode(), or -errno for I/O
 * errors; *list is NULL on every failure.
 */
int lc_journal_load(int dir_fd, ferry_transfer **list, size_t *n,
                    uint64_t *saved_ms);

/*
 * Removes the temporary files a process killed in the middle of a save left
 * behind ("journal.tmp-*"). Call when no save can run (a cold start).
 * Returns the number removed, or -errno when the folder cannot be read.
 */
int lc_journal_clean_temp(int dir_fd);

/* Removes the journal (after a clean shutdown with nothing open) and
 * fsyncs the folder. A missing journal is fine. Returns 0 or -errno. */
int lc_journal_remove(int dir_fd);

#endif
