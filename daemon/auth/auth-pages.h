/*
 * auth-pages.h — the HTML pages a browser sees before it is let in: not
 * paired, log in, a pairing link that no longer works, a refused request.
 * They look like the app (www/app.css's colours, light and dark, sized for
 * phones) with no script and no file of their own: one inline <style>,
 * allowed by SRV_CSP_UI.
 */
#ifndef FERRY_AUTH_PAGES_H
#define FERRY_AUTH_PAGES_H

/* What the page is for. */
enum auth_page_kind {
    AUTH_PAGE_NOT_PAIRED, /* token mode, no session */
    AUTH_PAGE_LOGIN,      /* password mode: the form */
    AUTH_PAGE_BAD_LINK,   /* a pairing link that expired or was used */
    AUTH_PAGE_CROSS,      /* a change that did not come from this server's page */
};

/*
 * Builds the page of `kind` (malloc'd, NUL-terminated; NULL when out of
 * memory). `server` is the server's name as people see it (may be NULL);
 * `error` (may be NULL) is a plain-text line shown next to the password
 * field (AUTH_PAGE_LOGIN); `clear` adds the warning that the page came over
 * plain HTTP. The caller frees it.
 */
char *auth_page(enum auth_page_kind kind, const char *server, const char *error, int clear);

#endif
