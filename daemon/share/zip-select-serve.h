/*
 * zip-select-serve.h — the zip of a selection of a folder's items, as HTTP:
 *
 *   POST /folder/?download=zip   with an application/x-www-form-urlencoded
 *                                body of name=... fields (and ticket=)
 *   GET  /folder/?download=zip&name=...&name=...   the same from the query
 *                                (share/serve.c sends it here)
 *
 * The selection is decoded and checked by share/zip-select.h; the stream is
 * share/zip.c's (zip_serve_selection()).
 */
#ifndef FERRY_ZIP_SELECT_SERVE_H
#define FERRY_ZIP_SELECT_SERVE_H

#include <microhttpd.h>
#include <stddef.h>

struct req;
struct route_handler;

/*
 * Answers the zip of the selection of rq's folder (rq->path, decoded by the
 * gate): the items come from `form` (a POST's body of len bytes) or, form
 * NULL, from every name= of the query (GET, HEAD). Refusals are plain text
 * naming the first refused item: 400 (malformed name, none at all), 403 (a
 * name that leaves the folder), 404 (the folder, or an item, is not there or
 * is hidden), 413 (more than ZIP_SELECT_MAX names, or `too_big`: a form
 * over ZIP_SELECT_BODY_MAX bytes), 415 (a form that is not
 * application/x-www-form-urlencoded). Returns MHD_YES or MHD_NO.
 */
enum MHD_Result zip_select_serve(struct req *rq, const char *form, size_t len, int too_big);

/*
 * POST on the shared folder (a row of the route table, unlisted in Allow):
 * with ?download=zip, reads the form (at most ZIP_SELECT_BODY_MAX bytes
 * kept; rq->state, released by end()) and answers zip_select_serve(); any
 * other POST is answered 405 before its body, as a method no row takes.
 */
extern const struct route_handler zip_select_handler;

#endif
