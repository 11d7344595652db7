/*
 * auth-pages.c — the pages a browser sees before it is let in; see
 * auth-pages.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth-pages.h"

/* www/app.css's colours; a card in the middle of the screen on a desktop,
 * the whole width on a phone; controls at least 44 px tall, 16 px text (no
 * zoom on iOS when the field takes focus). */
static const char style[] =
    ":root{color-scheme:light dark;--fg:#1f1f1f;--muted:#5f6368;--bg:#f6f8fc;--card:#fff;"
    "--line:#c4c7c5;--accent:#0b57d0;--accent-fg:#fff;--danger:#b3261e;--warn:#fdf1d8}"
    "@media (prefers-color-scheme:dark){:root{--fg:#e3e3e3;--muted:#a8adb3;--bg:#141414;"
    "--card:#1f1f1f;--line:#5f6368;--accent:#8ab4f8;--accent-fg:#0b1a33;--danger:#f2b8b5;"
    "--warn:#3a2f14}}"
    "*{box-sizing:border-box}"
    "body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;"
    "background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,'Segoe UI',"
    "Roboto,sans-serif}"
    "main{width:100%;max-width:26rem;margin:1rem;padding:2rem 1.5rem;background:var(--card);"
    "border:1px solid var(--line);border-radius:1rem}"
    ".brand{display:flex;align-items:center;gap:.5rem;margin:0 0 1.25rem;color:var(--muted);"
    "font-size:.9rem;overflow-wrap:anywhere}"
    ".brand svg{flex:none;width:1.5rem;height:1.5rem;fill:var(--accent)}"
    "h1{font-size:1.5rem;line-height:1.25;margin:0 0 .75rem}"
    "p{margin:0 0 1rem}"
    "label{display:block;font-weight:600;margin:0 0 .35rem}"
    "input{display:block;width:100%;min-height:3rem;padding:.6rem .8rem;font:inherit;"
    "color:inherit;background:var(--card);border:1px solid var(--line);border-radius:.6rem}"
    "input[aria-invalid=true]{border-color:var(--danger)}"
    "button{display:block;width:100%;min-height:3rem;margin-top:1rem;font:inherit;"
    "font-weight:600;color:var(--accent-fg);background:var(--accent);border:0;"
    "border-radius:.6rem;cursor:pointer}"
    ":focus-visible{outline:3px solid var(--accent);outline-offset:2px}"
    ".error{color:var(--danger);font-weight:600;margin:.4rem 0 0}"
    ".warn{background:var(--warn);border-radius:.6rem;padding:.6rem .8rem;font-size:.9rem;"
    "margin:1.25rem 0 0}";

/* a folder, the app's mark */
static const char mark[] =
    "<svg viewBox=\"0 0 24 24\" aria-hidden=\"true\"><path d=\"M3 6a2 2 0 0 1 2-2h4.6l2 2H19a2 "
    "2 0 0 1 2 2v10a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z\"/></svg>";

/* Appends s to the buffer p (of cap bytes, used *len), HTML-escaped. */
static void add_escaped(char *p, size_t cap, size_t *len, const char *s)
{
    for (; s && *s && *len + 7 < cap; s++) {
        const char *r = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;"
                      : *s == '"' ? "&quot;" : NULL;

        if (r) {
            memcpy(p + *len, r, strlen(r));
            *len += strlen(r);
        } else {
            p[(*len)++] = *s;
        }
    }
    p[*len] = '\0';
}

/* Appends s as it is (HTML already). */
static void add(char *p, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);

    if (*len + n >= cap)
        n = cap - *len - 1;
    memcpy(p + *len, s, n);
    *len += n;
    p[*len] = '\0';
}

char *auth_page(enum auth_page_kind kind, const char *server, const char *error, int clear)
{
    size_t cap = sizeof style + 4096 + (server ? 6 * strlen(server) : 0) +
                 (error ? 6 * strlen(error) : 0);
    char *p = malloc(cap);
    size_t len = 0;
    const char *title, *text;

    if (!p)
        return NULL;
    switch (kind) {
    case AUTH_PAGE_LOGIN:
        title = "Log in";
        text = "<p>Enter the password to see the shared files.</p>";
        break;
    case AUTH_PAGE_BAD_LINK:
        title = "This link no longer works";
        text = "<p>Each link works once, for a few minutes, and this one has expired or "
               "was already used.</p><p>Ask the person sharing the files for a new one: "
               "a link or a QR code.</p>";
        break;
    case AUTH_PAGE_CROSS:
        title = "That did not work";
        text = "<p>Changes to these files are only accepted from this server's own "
               "pages, and this one came from somewhere else.</p><p>Go back to the files "
               "and try again from there.</p><p><a href=\"/\">Go to the files</a></p>";
        break;
    case AUTH_PAGE_NOT_PAIRED:
    default:
        title = "Ask for a link to these files";
        text = "<p>This device has not been let in yet.</p>"
               "<p>Ask the person sharing the files to show you their QR code, and scan "
               "it with this device's camera. Or ask them to send you a link, and open "
               "it on this device.</p>";
        break;
    }
    p[0] = '\0';
    add(p, cap, &len, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                      "<meta name=\"color-scheme\" content=\"light dark\"><title>");
    add(p, cap, &len, title);
    if (server && *server) {
        add(p, cap, &len, " · ");
        add_escaped(p, cap, &len, server);
    }
    add(p, cap, &len, "</title><style>");
    add(p, cap, &len, style);
    add(p, cap, &len, "</style></head><body>\n<main><p class=\"brand\">");
    add(p, cap, &len, mark);
    add(p, cap, &len, "<span>");
    add_escaped(p, cap, &len, server && *server ? server : "ferry");
    add(p, cap, &len, "</span></p>\n<h1>");
    add(p, cap, &len, title);
    add(p, cap, &len, "</h1>\n");
    add(p, cap, &len, text);
    if (kind == AUTH_PAGE_LOGIN) {
        add(p, cap, &len, "\n<form method=\"post\" action=\"/.ferry/login\">"
                          "<label for=\"pw\">Password</label><input id=\"pw\" type=\"password\" "
                          "name=\"password\" autocomplete=\"current-password\" autofocus required");
        if (error && *error) {
            add(p, cap, &len, " aria-invalid=\"true\" aria-describedby=\"pw-error\">"
                              "<p class=\"error\" id=\"pw-error\">");
            add_escaped(p, cap, &len, error);
            add(p, cap, &len, "</p>");
        } else {
            add(p, cap, &len, ">");
        }
        add(p, cap, &len, "<button type=\"submit\">Log in</button></form>");
    }
    if (clear)
        add(p, cap, &len, "\n<p class=\"warn\"><strong>Not private:</strong> this page came "
                          "over plain HTTP, so a password typed here crosses the network "
                          "unencrypted. The host can turn on HTTPS (<code>--tls</code>).</p>");
    add(p, cap, &len, "\n</main></body></html>\n");
    return p;
}
