/*
 * auth-file.h — the small private files of access control in the state
 * folder (the password hash, the sessions and tokens): written atomically
 * with mode 0600, read back with a size bound and without following links.
 *
 * A reader sees the old or the new file, never a mix: the bytes go to a new
 * temporary file "<name>.tmp-<pid>-<n>" (O_EXCL, mode 0600 whatever the
 * umask), which is fsync'ed and renamed over <name>, and the folder is
 * fsync'ed (a file system that cannot sync folders is accepted).
 */
#ifndef FERRY_AUTH_FILE_H
#define FERRY_AUTH_FILE_H

#include <stddef.h>

/*
 * Replaces the file `name` (one path component) in the folder dir_fd with
 * the len bytes at buf, atomically as above. dir_fd stays the caller's.
 * Returns 0, or -errno (the old file, if any, is then untouched and no
 * temporary file is left behind). Thread-safe for different names; two
 * concurrent saves of one name each leave a whole file, the later rename
 * winning: callers that care serialise them.
 */
int auth_file_save(int dir_fd, const char *name, const void *buf, size_t len);

/*
 * Reads the whole file `name` in the folder dir_fd into a new buffer *buf
 * (malloc'd, owned by the caller, NUL-terminated; *len bytes without the
 * NUL). The file must be a regular file (a symlink is refused with -ELOOP,
 * a FIFO or folder with -EINVAL) of at most `max` bytes (-EFBIG beyond;
 * -EAGAIN if it grew while being read).
 * Returns 0, -ENOENT when it does not exist, FERRY_ENOMEM, or another
 * -errno; *buf is NULL and *len 0 on every error. If mode_out is not NULL,
 * the file's permission bits are stored there on success (so that a caller
 * can warn about a file readable by others). Thread-safe.
 */
int auth_file_load(int dir_fd, const char *name, size_t max, char **buf,
                   size_t *len, unsigned *mode_out);

#endif
