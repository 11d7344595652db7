/*
 * zip.h — a folder of the shared tree answered as one zip download
 * (GET /folder/?download=zip), streamed: libarchive's writer is driven from
 * libmicrohttpd's content reader one step at a time, so neither the archive
 * nor a file is ever held whole in memory or written to disk.
 */
#ifndef FERRY_ZIP_H
#define FERRY_ZIP_H

#include <stdint.h>

struct MHD_Connection;
struct ferry_server;
struct zip_end;
struct zip_selection;

/* Deepest folder nesting walked below the downloaded folder; deeper folders
 * are left out (logged). The same as tree-size.h's TREE_DEPTH_MAX. */
#define ZIP_DEPTH_MAX 64

/* Folders a download keeps open besides the downloaded one: the innermost
 * ones of the walk; those above are closed and opened again (below the
 * downloaded folder, never following a link) when the walk comes back up.
 * So a download holds at most ZIP_OPEN_MAX + 2 fds (and a stalled one
 * keeps them), whatever the depth. */
#define ZIP_OPEN_MAX 4

/* What was answered, for the access log and the transfer registry. */
struct zip_outcome {
    unsigned status;
    uint64_t transfer; /* registry id of the download (GET only), to be
                          closed when the request ends, also when it was
                          cut: a zip stream cannot be resumed by Range */
    struct zip_end *end; /* a ticketed GET's end (daemon/share/zip-ends.h), or
                            NULL: the request releases it with
                            zip_end_request_done() when it ends */
};

/*
 * Whether the request asks for a folder as a zip: `download`, the query's
 * value of download (struct req_query), is "zip". Other values of download
 * are not a zip request; NULL is none.
 */
int zip_requested(const char *download);

/*
 * Queues the answer to GET (is_head 0) or HEAD (is_head 1) of the folder open
 * at `dir_fd`, whose decoded path below the root is `rel` ("" for the root
 * itself): 200, application/zip, chunked (size unknown), Content-Disposition
 * attachment named after the folder (the root after the shared folder's
 * basename, or "files"), Cache-Control: no-store.
 *
 * The archive holds every regular file and folder below, recursively, named
 * relative to the folder with '/' (folders end in '/'), with their mtimes
 * and modes 0644 / 0755, stored uncompressed (zip64 where a file needs it).
 * Left out: symlinks, FIFOs, sockets, devices; dot-files unless
 * cfg.show_hidden; names that listing_name_servable() refuses; folders
 * deeper than ZIP_DEPTH_MAX; entries that cannot be opened (each logged). A
 * file that changes size while it is sent is padded with zeros or cut to
 * the size its header announced (logged), so the archive stays valid. A
 * read or libarchive failure mid-stream ends the body without its last
 * chunk, which the client sees as a broken download.
 *
 * `dir_fd` is owned by this function: closed in every case, or handed to the
 * response, whose free callback closes it and every fd the walk opened and
 * frees libarchive, also when the client goes away mid-download. A GET is
 * registered with the lifecycle as a download (out->transfer), which
 * /.ferry/status shows: path the folder, validator "zip" or "zip:TICKET"
 * (`ticket`: the query's ticket=TICKET or NULL, 1-32 characters of [A-Za-z0-9_-], so that a page
 * can find its own download; another value is ignored), total an estimate
 * of the archive's size from tree_size() before the first byte (file sizes
 * plus about 160 bytes and twice the name per entry; 0, unknown, past
 * TREE_ENTRIES_MAX entries), done the bytes sent, updated every 256 KiB.
 * When a ticketed GET ends, its ticket, bytes sent and whether it was sent
 * whole (the archive's last byte handed over and the request completed)
 * go into srv->zip_ends, which /.ferry/status lists as "zips" (the request
 * must release out->end). Returns MHD_YES or MHD_NO (as
 * MHD_queue_response() does) and fills *out. Runs on MHD threads; the response's callbacks run on the
 * connection's thread.
 */
int zip_serve(struct ferry_server *srv, struct MHD_Connection *c, int dir_fd,
              const char *rel, int is_head, const char *ticket, struct zip_outcome *out);

/*
 * As zip_serve(), for a selection of items of the folder open at dir_fd
 * (named rel): the archive holds each item of sel (share/zip-select.h,
 * checked by zip_select_check()) under its name relative to the folder,
 * a folder item with everything below it as a folder download has; an item
 * that is a link, FIFO, socket or device, or that is gone by then, is left
 * out (logged). The download is named after the folder. The ticket is
 * sel->ticket when set, else `ticket` (the query's, as for zip_serve()). sel and dir_fd are taken in every
 * case (freed with the stream).
 */
int zip_serve_selection(struct ferry_server *srv, struct MHD_Connection *c, int dir_fd,
                        const char *rel, struct zip_selection *sel, int is_head,
                        const char *ticket, struct zip_outcome *out);

#endif
