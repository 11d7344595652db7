/*
 * search.h — GET /folder/?q=TEXT: the names below a folder that hold TEXT
 * (case-insensitively), found by a bounded walk and streamed as JSON as
 * they are found, for the browser UI's search.
 */
#ifndef FERRY_SEARCH_H
#define FERRY_SEARCH_H

#include <stdint.h>

struct MHD_Connection;
struct ferry_server;

#define SEARCH_QUERY_MAX 256       /* longest q, in bytes once decoded */
#define SEARCH_ENTRIES_MAX 50000   /* entries looked at before the walk stops */
#define SEARCH_RESULTS_MAX 1000    /* names answered before it stops */
#define SEARCH_TIME_MS 2000        /* time spent walking before it stops */
#define SEARCH_DEPTH_MAX 64        /* deepest folder walked (as the zip) */

/*
 * Queues the answer to GET (HEAD: is_head) /folder/?q=TEXT for the folder
 * open at dir_fd (taken in every case), whose decoded path below the root
 * is rel ("" for the root). `q` is the query's value of q (struct
 * req_query, request.h; a request is a search when it is not NULL).
 *
 * q is form-encoded ('+' a space, %XX a byte), 1..SEARCH_QUERY_MAX bytes of
 * UTF-8 once decoded, without control characters; else 400 (text). The
 * answer is 200 application/json, Cache-Control: no-cache, streamed
 * (chunked; gzip'd as it goes when Accept-Encoding allows it, each piece
 * flushed) as the walk finds names:
 *
 *   {"path": "/folder/", "q": "TEXT", "results": [
 *      {"name", "path" (below the folder, '/' between names), "type":
 *       "file"|"dir", "size" (files), "mtime", "href" (percent-encoded,
 *       absolute; folders end in '/')}, ...],
 *    "complete": true|false, "scanned": N, "stopped": null|"time"|
 *    "entries"|"results"|"unreadable"}
 *
 * The walk goes breadth first (nearer names first), one folder open at a
 * time (each opened again from the searched folder one name at a time,
 * never following a link), and takes the names the listing shows: no
 * dot-file unless cfg.show_hidden, never ferry's temporary names, no name
 * that could not be requested back; a symlink only when GET would serve it
 * (listed as what it points to; never walked into). Matching folds case
 * (share/search-fold.h) and tests for a substring. It stops, with
 * "complete": false and "stopped" saying why, when one more entry than
 * SEARCH_ENTRIES_MAX or one more result than SEARCH_RESULTS_MAX comes, or
 * after SEARCH_TIME_MS of walking; a
 * folder that cannot be read or lies deeper than SEARCH_DEPTH_MAX is left
 * out and makes it "unreadable" (incomplete) at the end. The walking is
 * done on the connection's thread, in pieces, as libmicrohttpd asks for
 * bytes. A HEAD answers the headers only (no walk).
 *
 * *status is set to what was answered. Returns MHD_YES or MHD_NO.
 */
int search_serve(struct ferry_server *srv, struct MHD_Connection *c, int dir_fd,
                 const char *rel, const char *q, int is_head, unsigned *status);

#endif
