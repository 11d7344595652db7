/*
 * serve.h — GET and HEAD of the shared folder, as one handler of the
 * route table (request.h, routes.h):
 *
 *   /path/to/folder/                 a listing (HTML, or JSON on request:
 *                                    ?format=json or Accept), gzip'd when
 *                                    the client accepts it
 *   /path/to/folder/?download=zip    the folder as a streamed zip (zip.h)
 *   /path/to/folder/?size=1          what it holds, recursively (JSON)
 *   /path/to/folder/?q=TEXT          names below it holding TEXT, streamed
 *                                    JSON (search.h)
 *   /path/to/folder/?download=zip&name=...   a zip of the items named
 *                                    (zip-select-serve.h; POST with a form
 *                                    is that file's own handler)
 *   /path/to/folder                  301 to the form with the slash
 *   /path/to/file                    the file (files.h)
 *   /path/to/file?thumb=1            its thumbnail, for a JPEG or PNG
 *                                    (thumb.h): made off the worker
 *                                    threads while the connection is
 *                                    suspended (rq->state: the wait)
 *
 * A path the gate refused answers 400, 403 or 404 (paths.h).
 */
#ifndef FERRY_SERVE_H
#define FERRY_SERVE_H

struct route_handler;

extern const struct route_handler share_get_handler;

#endif
