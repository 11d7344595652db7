/*
 * auth-decide.c — the access-control rules; see auth-decide.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "auth-decide.h"

enum auth_verdict auth_decide(const struct auth_summary *s)
{
    if (!s->host_ok)
        return AUTH_DENY_HOST;
    if (s->wait_s)
        return AUTH_DENY_LIMITED;
    if (s->mode != FERRY_AUTH_OPEN && s->cred == AUTH_CRED_NONE)
        return AUTH_DENY_UNAUTH;
    if (!s->writes)
        return AUTH_ALLOW;
    if (s->cred != AUTH_CRED_BEARER) {
        if (s->origin == AUTH_ORIGIN_CROSS)
            return AUTH_DENY_CROSS;
        if (s->origin != AUTH_ORIGIN_SAME && (s->cred == AUTH_CRED_COOKIE || s->browser))
            return AUTH_DENY_CROSS;
    }
    if (s->cred != AUTH_CRED_NONE && s->rights != AUTH_RIGHTS_RW && !s->ro_may_write)
        return AUTH_DENY_READONLY;
    return AUTH_ALLOW;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int auth_return_path_ok(const char *path)
{
    size_t n;

    if (!path || path[0] != '/' || path[1] == '/' || strncmp(path, "/.ferry/", 8) == 0)
        return 0;
    n = strlen(path);
    if (n > AUTH_RETURN_PATH_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];

        if (c == '%') {
            if (!is_hex(path[i + 1]) || !is_hex(path[i + 2]))
                return 0;
            i += 2;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                     c == '~' || c == '/')) {
            return 0;
        }
    }
    return 1;
}

unsigned auth_verdict_status(enum auth_verdict v)
{
    switch (v) {
    case AUTH_ALLOW:
        return 200;
    case AUTH_DENY_HOST:
        return 421;
    case AUTH_DENY_LIMITED:
        return 429;
    case AUTH_DENY_UNAUTH:
        return 401;
    case AUTH_DENY_CROSS:
    case AUTH_DENY_READONLY:
        return 403;
    }
    return 500;
}

int auth_host_ok(const char *host, size_t len, const char *const *names, size_t n)
{
    char buf[AUTH_HOST_MAX + 1];
    unsigned char addr[16];
    size_t hl;
    const char *colon;

    if (!host)
        return 1;
    if (len == 0 || len > AUTH_HOST_MAX || memchr(host, '\0', len))
        return 0;
    memcpy(buf, host, len);
    buf[len] = '\0';
    if (buf[0] == '[') {
        char *end = strchr(buf, ']');

        if (!end || (end[1] && end[1] != ':'))
            return 0;
        *end = '\0';
        return inet_pton(AF_INET6, buf + 1, addr) == 1;
    }
    colon = strchr(buf, ':');
    hl = colon ? (size_t)(colon - buf) : len;
    if (colon && strchr(colon + 1, ':'))
        return 0;
    buf[hl] = '\0';
    if (hl && buf[hl - 1] == '.')
        buf[--hl] = '\0';
    if (!hl)
        return 0;
    if (inet_pton(AF_INET, buf, addr) == 1)
        return 1;
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);

        if (nl && names[i][nl - 1] == '.')
            nl--;
        if (nl == hl && strncasecmp(buf, names[i], nl) == 0)
            return 1;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int auth_form_field(const char *body, size_t len, const char *name, char *out,
                    size_t outlen, size_t *out_len)
{
    size_t nl = strlen(name), i = 0;

    if (outlen)
        out[0] = '\0';
    *out_len = 0;
    while (i < len) {
        size_t end = i;

        while (end < len && body[end] != '&')
            end++;
        if (end - i > nl && memcmp(body + i, name, nl) == 0 && body[i + nl] == '=') {
            size_t o = 0;

            for (size_t p = i + nl + 1; p < end; p++) {
                int c = (unsigned char)body[p];

                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    int h, l;

                    if (end - p < 3)
                        return AUTH_PARSE_EMALFORMED;
                    h = hexval(body[p + 1]);
                    l = hexval(body[p + 2]);
                    if (h < 0 || l < 0)
                        return AUTH_PARSE_EMALFORMED;
                    c = h * 16 + l;
                    p += 2;
                }
                if (o + 1 >= outlen)
                    return AUTH_PARSE_ETOOLONG;
                out[o++] = (char)c;
            }
            out[o] = '\0';
            *out_len = o;
            return 0;
        }
        i = end + 1;
    }
    return AUTH_PARSE_EABSENT;
}
