/*
 * zip-select-serve.c — the zip of a selection as HTTP (zip-select-serve.h):
 * the POST handler that reads the form, and the answer shared with a GET
 * whose query names the items.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "paths.h"
#include "request.h"
#include "routes.h"
#include "server.h"
#include "zip-select-serve.h"
#include "zip-select.h"
#include "zip.h"

/* A POST's form as it comes (rq->state). */
struct form {
    char *buf;   /* the bytes so far (owned), at most ZIP_SELECT_BODY_MAX */
    size_t len;
    int too_big; /* more came: 413 */
};

/* Collects the query's name= and ticket= fields into a selection;
 * MHD_KeyValueIterator (the first error stops it, kept in sel_iter.rc). */
struct sel_iter {
    struct zip_selection *sel;
    const struct paths_opts *opts;
    int rc;
};

static enum MHD_Result add_query_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    struct sel_iter *it = cls;

    (void)kind;
    if (!value)
        value = "";
    it->rc = zip_select_add(it->sel, key, strlen(key), value, strlen(value), it->opts);
    return it->rc < 0 ? MHD_NO : MHD_YES;
}

enum MHD_Result zip_select_serve(struct req *rq, const char *form, size_t len, int too_big)
{
    struct ferry_server *srv = rq->srv;
    struct MHD_Connection *c = rq->c;
    const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_TYPE);
    struct zip_selection *sel = NULL;
    struct zip_outcome zo;
    unsigned status = 0;
    char msg[512];
    int fd = -1, rc = rq->path.rc;

    if (rc >= 0)
        rc = paths_open(srv->root_fd, rq->path.rel, O_RDONLY | O_DIRECTORY | O_NONBLOCK,
                        &srv->paths, &fd);
    if (rc < 0)
        return req_error_page(rq, req_page_for(rc));
    if (form && too_big) {
        status = 413;
        snprintf(msg, sizeof msg, "413 Content Too Large: a selection's form may be at most "
                 "%d bytes.\n", ZIP_SELECT_BODY_MAX);
        goto refuse;
    }
    if (form && (!type || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0)) {
        status = 415;
        snprintf(msg, sizeof msg, "415 Unsupported Media Type: send the selection as "
                 "application/x-www-form-urlencoded name=... fields.\n");
        goto refuse;
    }
    sel = zip_selection_new();
    if (!sel) {
        close(fd);
        return MHD_NO;
    }
    if (form) {
        rc = zip_select_parse_form(sel, form, len, &srv->paths);
    } else { /* name= repeats: every one, not the context's first */
        struct sel_iter it = {sel, &srv->paths, 0};

        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_query_field, &it);
        rc = it.rc;
    }
    if (rc == 0)
        rc = zip_select_check(sel, fd, srv->cfg.show_hidden);
    switch (rc) {
    case 0: /* sel and fd are taken */
        rc = zip_serve_selection(srv, c, fd, rq->path.rel, sel, req_is_head(rq),
                                 rq->query.ticket, &zo);
        req_note(rq, zo.status, 0);
        rq->transfer = zo.transfer;
        rq->transfer_once = 1;
        rq->zip_end = zo.end;
        return (enum MHD_Result)rc;
    case ZIPSEL_EEMPTY:
        status = 400;
        snprintf(msg, sizeof msg, "400 Bad Request: name the items to zip with name=... "
                 "fields (paths relative to this folder, none empty).\n");
        break;
    case ZIPSEL_ETOOMANY:
        status = 413;
        snprintf(msg, sizeof msg, "413 Content Too Large: a selection may name at most %d "
                 "items.\n", ZIP_SELECT_MAX);
        break;
    case PATHS_EBADREQ:
        status = 400;
        snprintf(msg, sizeof msg, "400 Bad Request: the name \"%s\" is malformed (bad "
                 "%%-escape, NUL, backslash or invalid UTF-8).\n", sel->bad);
        break;
    case PATHS_EFORBIDDEN:
        status = 403;
        snprintf(msg, sizeof msg, "403 Forbidden: the name \"%s\" leaves the folder.\n",
                 sel->bad);
        break;
    case PATHS_ENOTFOUND:
        status = 404;
        snprintf(msg, sizeof msg, "404 Not Found: \"%s\" is not in this folder.\n",
                 sel->bad);
        break;
    default:
        zip_selection_free(sel);
        close(fd);
        return req_error_page(rq, REQ_PAGE_500);
    }
refuse:
    zip_selection_free(sel);
    close(fd);
    return srv_answer_text(c, status, msg, NULL, NULL, NULL, NULL, &rq->status);
}

/* POST: a selection's form is taken (rq->state); any other POST is 405. */
static enum MHD_Result select_begin(struct req *rq)
{
    if (!zip_requested(rq->query.download))
        return routes_method_not_allowed(rq);
    rq->state = calloc(1, sizeof(struct form));
    return rq->state ? MHD_YES : MHD_NO;
}

/* The form's next bytes: kept up to ZIP_SELECT_BODY_MAX, the rest dropped. */
static enum MHD_Result select_body(struct req *rq, const char *data, size_t *size)
{
    struct form *f = rq->state;
    size_t n = *size;

    if (f->len + n > ZIP_SELECT_BODY_MAX) {
        f->too_big = 1;
    } else if (!f->too_big) {
        char *p = realloc(f->buf, f->len + n + 1);

        if (!p)
            return MHD_NO;
        memcpy(p + f->len, data, n);
        f->buf = p;
        f->len += n;
    }
    *size = 0;
    return MHD_YES;
}

static enum MHD_Result select_finish(struct req *rq)
{
    struct form *f = rq->state;

    return zip_select_serve(rq, f && f->buf ? f->buf : "", f ? f->len : 0,
                            f ? f->too_big : 0);
}

static void select_end(struct req *rq, int completed)
{
    struct form *f = rq->state;

    (void)completed;
    if (f)
        free(f->buf);
    free(f);
    rq->state = NULL;
}

const struct route_handler zip_select_handler = {
    .name = "zip-select", .begin = select_begin, .body = select_body,
    .finish = select_finish, .end = select_end};
