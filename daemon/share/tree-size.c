/*
 * tree-size.c — counting a folder's contents, recursively; see
 * tree-size.h.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listing.h"
#include "tree-size.h"

int tree_name_wanted(int show_hidden, const char *name, size_t n)
{
    if (name[0] == '.' && (!show_hidden || name[1] == '\0' ||
                           (name[1] == '.' && name[2] == '\0')))
        return 0;
    return listing_name_servable(name, n);
}

/* Adds what the folder open at fd (taken: closed in every case) holds,
 * `depth` levels below the walked one, whose entries' names start with
 * `prefix` bytes. Returns 0, or -1 when the walk must stop. */
static int walk(int fd, int show_hidden, int depth, size_t prefix, struct tree_size *t)
{
    DIR *d = fdopendir(fd);
    struct dirent *de;
    int rc = 0;

    if (!d) {
        close(fd);
        t->complete = 0;
        return 0;
    }
    while (rc == 0 && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        struct stat st;

        if (!tree_name_wanted(show_hidden, de->d_name, n) ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth > TREE_DEPTH_MAX) {
            t->complete = 0; /* left out: the counts say less than there is */
            continue;
        }
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
            continue;
        if (t->files + t->folders >= TREE_ENTRIES_MAX) {
            t->complete = 0;
            rc = -1;
            break;
        }
        if (S_ISREG(st.st_mode)) {
            t->files++;
            t->bytes += (uint64_t)st.st_size;
            t->name_bytes += prefix + n;
        } else {
            int sub = openat(dirfd(d), de->d_name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

            t->folders++;
            t->name_bytes += prefix + n + 1;
            if (sub < 0)
                t->complete = 0;
            else
                rc = walk(sub, show_hidden, depth + 1, prefix + n + 1, t);
        }
    }
    closedir(d);
    return rc;
}

int tree_size(int dir_fd, int show_hidden, struct tree_size *out)
{
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    memset(out, 0, sizeof *out);
    if (fd < 0)
        return -errno;
    out->complete = 1;
    walk(fd, show_hidden, 1, 0, out);
    return 0;
}
