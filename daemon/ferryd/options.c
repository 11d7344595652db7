/*
 * options.c — parsing ferryd's options (getopt_long) and its INI
 * configuration file (inih), both through one table of keys.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"

#define ERR_MAX 512

static const char usage_text[] =
    "Usage: ferryd [OPTIONS] [FOLDER]\n"
    "Share FOLDER with the browsers of the local network.\n"
    "\n"
    "  -b, --bind ADDR        listen on this IP address (repeatable;\n"
    "                         default: every IPv4 and IPv6 address)\n"
    "  -p, --port N           TCP port (default 8731; 0 picks any free port)\n"
    "  -r, --read-only        never change anything in FOLDER\n"
    "  -H, --hidden           serve and list dot-files\n"
    "      --on-conflict POLICY  a PUT onto an existing file: refuse (409; default),\n"
    "                         keep-both (stores \"name (1).ext\") or overwrite\n"
    "      --max-upload SIZE  largest upload, in bytes or with K, M, G (1024s);\n"
    "                         0 = no limit (default)\n"
    "      --upload-expiry TIME  remove a resumable upload untouched for this long:\n"
    "                         seconds, or with s, m, h, d (default 24h)\n"
    "      --no-trash         DELETE removes at once (default: to the trash folder\n"
    "                         in the state folder, emptied after --trash-days)\n"
    "      --trash-days N     keep deleted items N days (default 30)\n"
    "      --trash-max SIZE   the trash holds at most SIZE (bytes, with K, M, G, or\n"
    "                         N% of the state folder's disk; default 10%); the\n"
    "                         oldest items go first, a bigger one is not taken\n"
    "      --follow-symlinks  follow symlinks that lead out of FOLDER\n"
    "  -t, --threads N        HTTP worker threads (default 2)\n"
    "      --max-connections N  most connections at once; more are refused at\n"
    "                         once (default 1024, lowered to fit the open-file limit)\n"
    "      --max-connections-per-address N  most of those from one client\n"
    "                         address (default 128)\n"
    "  -l, --log-level LEVEL  error, warn, info (default; one line per request) or debug\n"
    "  -c, --config FILE      read options from an INI file (key = value, keys as\n"
    "                         the long options, plus root = FOLDER)\n"
    "      --state-dir DIR    folder for the journal and other state (default\n"
    "                         $XDG_STATE_HOME/ferry or ~/.local/state/ferry)\n"
    "      --os auto|logind|none|fake  the OS lifecycle: logind (follow the\n"
    "                         system's sleep and shutdown through systemd-logind),\n"
    "                         none (a host that never sleeps), fake (iOS rules on\n"
    "                         a virtual clock, driven through --control); auto\n"
    "                         (default): logind when it answers, else none\n"
    "      --suspend-model notified|silent  how the OS suspends: notified (it\n"
    "                         says so first: logind, macOS; default) or silent\n"
    "                         (iOS: never listen unprotected in the background)\n"
    "      --linger MS|none   background: hold on this long after the last\n"
    "                         transfer (default 1000); none: go quiet at once\n"
    "      --start-in-background  launched into the background: bind and\n"
    "                         publish nothing until 'foreground'\n"
    "      --control PATH     a control socket (mode 0600) for ferryctl: play the\n"
    "                         OS (background, expire, suspend, ...) and read status\n"
    "      --name NAME        the name other devices see (mDNS/DNS-SD; default\n"
    "                         \"Files on <hostname>\")\n"
    "      --no-mdns          do not advertise over mDNS/DNS-SD\n"
    "      --no-qr            do not print a QR code of the URL\n"
    "      --tls[=both]       HTTPS (TLS 1.2, mbedTLS) on --port; =both: HTTP on\n"
    "                         --port and HTTPS on --tls-port. The key and a\n"
    "                         self-signed certificate are made once and kept in\n"
    "                         the state folder; the fingerprint is printed\n"
    "      --tls-port N       the HTTPS port with --tls=both (default 8732; 0 picks\n"
    "                         any free port)\n"
    "      --tls-cert FILE    use this PEM certificate (chain) instead ...\n"
    "      --tls-key FILE     ... with this PEM key (both or neither)\n"
    "      --auth MODE        who may use the server: token (default: devices are\n"
    "                         admitted by the pairing URL / QR code printed at start,\n"
    "                         or `ferryctl pair`), password (see --set-password),\n"
    "                         or open (anyone who can reach the port)\n"
    "      --pairing-ttl TIME a pairing URL stays valid this long (default 5m)\n"
    "      --set-password     read a new password from stdin (twice on a terminal),\n"
    "                         store its hash in the state folder, and exit\n"
    "  -h, --help             show this help\n"
    "  -V, --version          show the version\n";

enum { OPT_FOLLOW = 256, OPT_NO_QR, OPT_STATE_DIR, OPT_OS, OPT_CONTROL, OPT_NAME,
       OPT_NO_MDNS, OPT_TLS, OPT_TLS_PORT, OPT_TLS_CERT, OPT_TLS_KEY, OPT_ON_CONFLICT,
       OPT_MAX_UPLOAD, OPT_UPLOAD_EXPIRY, OPT_NO_TRASH, OPT_TRASH_DAYS, OPT_TRASH_MAX,
       OPT_AUTH, OPT_PAIRING_TTL, OPT_SET_PASSWORD, OPT_MAX_CONNS, OPT_MAX_PER_ADDR,
       OPT_SUSPEND_MODEL, OPT_LINGER, OPT_START_BACKGROUND };

static const struct option long_opts[] = {
    {"bind", required_argument, NULL, 'b'},
    {"port", required_argument, NULL, 'p'},
    {"read-only", no_argument, NULL, 'r'},
    {"hidden", no_argument, NULL, 'H'},
    {"follow-symlinks", no_argument, NULL, OPT_FOLLOW},
    {"threads", required_argument, NULL, 't'},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNS},
    {"max-connections-per-address", required_argument, NULL, OPT_MAX_PER_ADDR},
    {"log-level", required_argument, NULL, 'l'},
    {"config", required_argument, NULL, 'c'},
    {"no-qr", no_argument, NULL, OPT_NO_QR},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"os", required_argument, NULL, OPT_OS},
    {"suspend-model", required_argument, NULL, OPT_SUSPEND_MODEL},
    {"linger", required_argument, NULL, OPT_LINGER},
    {"start-in-background", no_argument, NULL, OPT_START_BACKGROUND},
    {"control", required_argument, NULL, OPT_CONTROL},
    {"name", required_argument, NULL, OPT_NAME},
    {"no-mdns", no_argument, NULL, OPT_NO_MDNS},
    {"tls", optional_argument, NULL, OPT_TLS},
    {"tls-port", required_argument, NULL, OPT_TLS_PORT},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"on-conflict", required_argument, NULL, OPT_ON_CONFLICT},
    {"max-upload", required_argument, NULL, OPT_MAX_UPLOAD},
    {"upload-expiry", required_argument, NULL, OPT_UPLOAD_EXPIRY},
    {"no-trash", no_argument, NULL, OPT_NO_TRASH},
    {"trash-days", required_argument, NULL, OPT_TRASH_DAYS},
    {"trash-max", required_argument, NULL, OPT_TRASH_MAX},
    {"auth", required_argument, NULL, OPT_AUTH},
    {"pairing-ttl", required_argument, NULL, OPT_PAIRING_TTL},
    {"set-password", no_argument, NULL, OPT_SET_PASSWORD},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};
static const char short_opts[] = "b:p:rHt:l:c:hV";

/* Parses a whole decimal number in [lo, hi]. Returns 0 or -1. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/*
 * Parses a size: a whole decimal number of bytes, optionally followed by K,
 * M or G (also KiB/KB..., any case; powers of 1024). Returns 0 or -1.
 */
static int parse_size(const char *s, uint64_t *out)
{
    static const char units[] = "KMG";
    unsigned long long v;
    const char *u;
    char *end;
    int shift = 0;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    if (*end) {
        u = strchr(units, toupper((unsigned char)*end));
        if (!u)
            return -1;
        shift = 10 * (int)(u - units + 1);
        end++;
        if (strcasecmp(end, "") != 0 && strcasecmp(end, "B") != 0 &&
            strcasecmp(end, "iB") != 0)
            return -1;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

/*
 * Parses a duration: a whole decimal number of seconds, optionally followed
 * by s, m, h or d, into [1, UINT_MAX] seconds. Returns 0 or -1.
 */
static int parse_duration(const char *s, unsigned *out)
{
    static const struct {
        char unit;
        unsigned long long seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    unsigned long long v, mul = 1;
    char *end;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    if (*end) {
        size_t i;

        for (i = 0; i < sizeof units / sizeof units[0]; i++)
            if (tolower((unsigned char)*end) == units[i].unit)
                break;
        if (i == sizeof units / sizeof units[0] || end[1])
            return -1;
        mul = units[i].seconds;
    }
    if (v == 0 || v > UINT_MAX / mul)
        return -1;
    *out = (unsigned)(v * mul);
    return 0;
}

/* Parses true/false, yes/no, on/off, 1/0. Returns 0 or -1. */
static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(s, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

/* Replaces an owned string. Returns 0 or -1 (out of memory). */
static int set_string(char **slot, const char *value)
{
    char *copy = strdup(value);

    if (!copy)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

/*
 * Applies one setting `key` = `value` (value NULL for a flag given on the
 * command line). Returns 0, or -1 with a message in err.
 */
static int apply(struct ferryd_options *o, const char *key, const char *value,
                 char *err, size_t errlen)
{
    ferry_config *c = &o->cfg;
    long n;
    int b = 1;

    if (strcmp(key, "read-only") == 0 || strcmp(key, "hidden") == 0 ||
        strcmp(key, "follow-symlinks") == 0 || strcmp(key, "no-qr") == 0 ||
        strcmp(key, "no-mdns") == 0 || strcmp(key, "no-trash") == 0) {
        if (value && parse_bool(value, &b) < 0) {
            snprintf(err, errlen, "'%s' for %s is not true or false", value, key);
            return -1;
        }
        if (key[0] == 'r')
            c->read_only = b;
        else if (key[0] == 'h')
            c->show_hidden = b;
        else if (key[0] == 'f')
            c->follow_symlinks = b;
        else if (strcmp(key, "no-mdns") == 0)
            c->no_mdns = b;
        else if (strcmp(key, "no-trash") == 0)
            c->no_trash = b;
        else
            o->no_qr = b;
        return 0;
    }
    if (strcmp(key, "port") == 0) {
        if (parse_int(value, 0, 65535, &n) < 0) {
            snprintf(err, errlen, "port '%s' is not a number from 0 to 65535 "
                     "(0 picks any free port)", value);
            return -1;
        }
        c->port = (int)n;
        return 0;
    }
    if (strcmp(key, "threads") == 0) {
        if (parse_int(value, 1, 64, &n) < 0) {
            snprintf(err, errlen, "threads '%s' is not a number from 1 to 64", value);
            return -1;
        }
        c->threads = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "log-level") == 0) {
        static const char *const names[] = {"error", "warn", "info", "debug"};

        for (int i = 0; i < 4; i++) {
            if (strcasecmp(value, names[i]) == 0) {
                c->log_level = (enum ferry_log_level)i;
                return 0;
            }
        }
        snprintf(err, errlen, "log level '%s' is not one of error, warn, info, debug", value);
        return -1;
    }
    if (strcmp(key, "bind") == 0) {
        unsigned char addr[16];

        if (inet_pton(AF_INET, value, addr) != 1 && inet_pton(AF_INET6, value, addr) != 1) {
            snprintf(err, errlen, "bind address '%s' is not an IPv4 or IPv6 address "
                     "(e.g. 0.0.0.0, 127.0.0.1, ::1)", value);
            return -1;
        }
        if (c->n_binds == FERRY_MAX_BINDS) {
            snprintf(err, errlen, "too many bind addresses (at most %d)", FERRY_MAX_BINDS);
            return -1;
        }
        if (set_string(&o->binds[c->n_binds], value) < 0)
            goto nomem;
        c->binds[c->n_binds] = o->binds[c->n_binds];
        c->n_binds++;
        return 0;
    }
    if (strcmp(key, "state-dir") == 0 || strcmp(key, "control") == 0) {
        if (!*value) {
            snprintf(err, errlen, "%s needs a path", key);
            return -1;
        }
        if (set_string(key[0] == 's' ? &o->state_dir : &o->control, value) < 0)
            goto nomem;
        if (key[0] == 's')
            c->state_dir = o->state_dir;
        return 0;
    }
    if (strcmp(key, "name") == 0) {
        if (!*value || strlen(value) > 63) {
            snprintf(err, errlen, "name '%s' must be 1 to 63 bytes (a DNS label)", value);
            return -1;
        }
        if (set_string(&o->name, value) < 0)
            goto nomem;
        c->service_name = o->name;
        return 0;
    }
    if (strcmp(key, "suspend-model") == 0) {
        if (strcmp(value, "silent") != 0 && strcmp(value, "notified") != 0) {
            snprintf(err, errlen, "suspend-model '%s' is not 'notified' or 'silent'", value);
            return -1;
        }
        c->suspend_model = value[0] == 's' ? FERRY_SUSPEND_SILENT : FERRY_SUSPEND_NOTIFIED;
        return 0;
    }
    if (strcmp(key, "linger") == 0) {
        long v;

        if (strcmp(value, "none") == 0) {
            c->linger_ms = FERRY_LINGER_NONE;
            return 0;
        }
        if (parse_int(value, 1, 3600000, &v) < 0) {
            snprintf(err, errlen, "linger '%s' is not 1 to 3600000 (ms) or 'none'", value);
            return -1;
        }
        c->linger_ms = (unsigned)v;
        return 0;
    }
    if (strcmp(key, "start-in-background") == 0) {
        c->start_in_background = 1;
        return 0;
    }
    if (strcmp(key, "os") == 0) {
        static const char *const names[] = {
            [FERRYD_OS_AUTO] = "auto", [FERRYD_OS_LOGIND] = "logind",
            [FERRYD_OS_NONE] = "none", [FERRYD_OS_FAKE] = "fake"};

        for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++) {
            if (strcmp(value, names[i]) == 0) {
                o->os = i;
                o->fake_os = i == FERRYD_OS_FAKE;
                return 0;
            }
        }
        snprintf(err, errlen, "os '%s' is not 'auto', 'logind', 'none' or 'fake'", value);
        return -1;
    }
    if (strcmp(key, "tls") == 0) { /* NULL: --tls without a value */
        if (!value || strcasecmp(value, "only") == 0 || strcasecmp(value, "https") == 0)
            c->tls = FERRY_TLS_ONLY;
        else if (strcasecmp(value, "both") == 0)
            c->tls = FERRY_TLS_BOTH;
        else if (strcasecmp(value, "off") == 0)
            c->tls = 0;
        else if (parse_bool(value, &b) == 0)
            c->tls = b ? FERRY_TLS_ONLY : 0;
        else {
            snprintf(err, errlen, "tls '%s' is not one of only (HTTPS on --port), both "
                     "(HTTP and HTTPS), off", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "tls-port") == 0) {
        if (parse_int(value, 0, 65535, &n) < 0) {
            snprintf(err, errlen, "tls-port '%s' is not a number from 0 to 65535 "
                     "(0 picks any free port)", value);
            return -1;
        }
        c->tls_port = (int)n;
        o->tls_port_set = 1;
        return 0;
    }
    if (strcmp(key, "tls-cert") == 0 || strcmp(key, "tls-key") == 0) {
        int cert = key[4] == 'c';

        if (!*value) {
            snprintf(err, errlen, "%s needs a file", key);
            return -1;
        }
        if (set_string(cert ? &o->tls_cert : &o->tls_key, value) < 0)
            goto nomem;
        if (cert)
            c->tls_cert = o->tls_cert;
        else
            c->tls_key = o->tls_key;
        return 0;
    }
    if (strcmp(key, "on-conflict") == 0) {
        if (strcmp(value, "refuse") == 0)
            c->on_conflict = FERRY_CONFLICT_REFUSE;
        else if (strcmp(value, "keep-both") == 0)
            c->on_conflict = FERRY_CONFLICT_KEEP_BOTH;
        else if (strcmp(value, "overwrite") == 0)
            c->on_conflict = FERRY_CONFLICT_OVERWRITE;
        else {
            snprintf(err, errlen, "on-conflict '%s' is not one of refuse, keep-both, "
                     "overwrite", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "max-upload") == 0) {
        if (parse_size(value, &c->max_upload) < 0) {
            snprintf(err, errlen, "max-upload '%s' is not a size in bytes, optionally with "
                     "K, M or G (e.g. 500M; 0 = no limit)", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "upload-expiry") == 0) {
        if (parse_duration(value, &c->upload_expiry_s) < 0) {
            snprintf(err, errlen, "upload-expiry '%s' is not a duration: seconds, or a "
                     "number with s, m, h or d (e.g. 24h)", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "max-connections") == 0 ||
        strcmp(key, "max-connections-per-address") == 0) {
        if (parse_int(value, 1, 1000000, &n) < 0) {
            snprintf(err, errlen, "%s '%s' is not a number from 1 to 1000000", key, value);
            return -1;
        }
        if (key[15] == '\0')
            c->max_connections = (unsigned)n;
        else
            c->max_connections_per_addr = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "trash-days") == 0) {
        if (parse_int(value, 1, 36500, &n) < 0) {
            snprintf(err, errlen, "trash-days '%s' is not a number of days from 1 to 36500",
                     value);
            return -1;
        }
        c->trash_days = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "trash-max") == 0) {
        size_t len = strlen(value);

        c->trash_max = 0;
        c->trash_max_percent = 0;
        if (len > 1 && value[len - 1] == '%') {
            char num[16];

            snprintf(num, sizeof num, "%.*s", (int)(len - 1), value);
            if (len - 1 < sizeof num && parse_int(num, 1, 100, &n) == 0) {
                c->trash_max_percent = (unsigned)n;
                return 0;
            }
        } else if (parse_size(value, &c->trash_max) == 0 && c->trash_max > 0) {
            return 0;
        }
        snprintf(err, errlen, "trash-max '%s' is not a size (bytes, optionally with K, M or G, "
                 "e.g. 2G) or a percentage of the state folder's disk from 1%% to 100%%",
                 value);
        return -1;
    }
    if (strcmp(key, "auth") == 0) {
        if (strcmp(value, "token") == 0)
            c->auth = FERRY_AUTH_TOKEN;
        else if (strcmp(value, "password") == 0)
            c->auth = FERRY_AUTH_PASSWORD;
        else if (strcmp(value, "open") == 0)
            c->auth = FERRY_AUTH_OPEN;
        else {
            snprintf(err, errlen, "auth '%s' is not one of token, password, open", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "pairing-ttl") == 0) {
        if (parse_duration(value, &c->pairing_ttl_s) < 0) {
            snprintf(err, errlen, "pairing-ttl '%s' is not a duration: seconds, or a "
                     "number with s, m, h or d (e.g. 5m)", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "root") == 0) {
        if (set_string(&o->root, value) < 0)
            goto nomem;
        c->root = o->root;
        return 0;
    }
    snprintf(err, errlen, "unknown setting '%s'", key);
    return -1;
nomem:
    snprintf(err, errlen, "out of memory");
    return -1;
}

struct ini_ctx {
    struct ferryd_options *o;
    char err[ERR_MAX];
};

/* inih handler: one "key = value" line. Returns 1 to go on, 0 on error. */
static int ini_line(void *user, const char *section, const char *key,
                    const char *value)
{
    struct ini_ctx *ctx = user;
    char err[ERR_MAX];

    if (section[0] && strcmp(section, "ferryd") != 0) {
        if (!ctx->err[0])
            snprintf(ctx->err, sizeof ctx->err, "unknown section [%s] (use [ferryd] or none)",
                     section);
        return 0;
    }
    if (apply(ctx->o, key, value, err, sizeof err) < 0) {
        if (!ctx->err[0])
            snprintf(ctx->err, sizeof ctx->err, "%s", err);
        return 0;
    }
    return 1;
}

/* Loads the configuration file. Returns 0 or 2 after printing the error. */
static int load_config(struct ferryd_options *o, const char *path)
{
    struct ini_ctx ctx = {.o = o};
    int rc = ini_parse(path, ini_line, &ctx);

    if (rc == 0)
        return 0;
    if (rc == -1)
        fprintf(stderr, "ferryd: cannot read the configuration file %s: %s\n", path,
                strerror(errno));
    else if (rc == -2)
        fprintf(stderr, "ferryd: out of memory reading %s\n", path);
    else
        fprintf(stderr, "ferryd: %s:%d: %s\n", path, rc,
                ctx.err[0] ? ctx.err : "not a 'key = value' line");
    return 2;
}

/*
 * The TLS options must make sense together. Returns 0, or 2 after printing
 * what is wrong.
 */
static int check_tls(const struct ferryd_options *o)
{
    const ferry_config *c = &o->cfg;
    const char *msg = NULL;

    if (!c->tls && (o->tls_cert || o->tls_key || o->tls_port_set))
        msg = "--tls-cert, --tls-key and --tls-port need --tls (HTTPS only) or --tls=both";
    else if (!o->tls_cert != !o->tls_key)
        msg = o->tls_cert ? "--tls-cert needs --tls-key (the certificate's private key)"
                          : "--tls-key needs --tls-cert (the key's certificate)";
    else if (c->tls == FERRY_TLS_ONLY && o->tls_port_set)
        msg = "--tls-port is for --tls=both; with --tls, HTTPS is served on --port";
    else if (c->tls == FERRY_TLS_BOTH && c->port && c->port == c->tls_port)
        msg = "--port and --tls-port must differ with --tls=both (HTTP and HTTPS each "
              "need a port)";
    if (!msg)
        return 0;
    fprintf(stderr, "ferryd: %s\nTry 'ferryd --help'.\n", msg);
    return 2;
}

/* Finds --config/-c before the real parse, so the command line wins. */
static const char *find_config(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
        if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2])
            return argv[i] + 2;
    }
    return NULL;
}

int options_parse(int argc, char **argv, struct ferryd_options *o)
{
    const char *config = find_config(argc, argv);
    int cli_binds = 0, opt;
    char err[ERR_MAX];

    memset(o, 0, sizeof *o);
    ferry_config_init(&o->cfg);
    if (config && load_config(o, config) != 0)
        return 2;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        const char *key = NULL;

        switch (opt) {
        case 'h':
            fputs(usage_text, stdout);
            o->exit_now = 1;
            return 0;
        case 'V':
            printf("ferryd %s\n", ferry_version());
            o->exit_now = 1;
            return 0;
        case 'c':
            continue; /* already loaded */
        case 'b':
            if (!cli_binds++) { /* the command line replaces the file's binds */
                for (size_t i = 0; i < o->cfg.n_binds; i++) {
                    free(o->binds[i]);
                    o->binds[i] = NULL;
                }
                o->cfg.n_binds = 0;
            }
            key = "bind";
            break;
        case 'p': key = "port"; break;
        case 'r': key = "read-only"; break;
        case 'H': key = "hidden"; break;
        case OPT_FOLLOW: key = "follow-symlinks"; break;
        case 't': key = "threads"; break;
        case 'l': key = "log-level"; break;
        case OPT_NO_QR: key = "no-qr"; break;
        case OPT_STATE_DIR: key = "state-dir"; break;
        case OPT_OS: key = "os"; break;
        case OPT_SUSPEND_MODEL: key = "suspend-model"; break;
        case OPT_LINGER: key = "linger"; break;
        case OPT_START_BACKGROUND: key = "start-in-background"; break;
        case OPT_CONTROL: key = "control"; break;
        case OPT_NAME: key = "name"; break;
        case OPT_NO_MDNS: key = "no-mdns"; break;
        case OPT_TLS: key = "tls"; break;
        case OPT_TLS_PORT: key = "tls-port"; break;
        case OPT_TLS_CERT: key = "tls-cert"; break;
        case OPT_TLS_KEY: key = "tls-key"; break;
        case OPT_ON_CONFLICT: key = "on-conflict"; break;
        case OPT_MAX_UPLOAD: key = "max-upload"; break;
        case OPT_UPLOAD_EXPIRY: key = "upload-expiry"; break;
        case OPT_NO_TRASH: key = "no-trash"; break;
        case OPT_TRASH_DAYS: key = "trash-days"; break;
        case OPT_TRASH_MAX: key = "trash-max"; break;
        case OPT_MAX_CONNS: key = "max-connections"; break;
        case OPT_MAX_PER_ADDR: key = "max-connections-per-address"; break;
        case OPT_AUTH: key = "auth"; break;
        case OPT_PAIRING_TTL: key = "pairing-ttl"; break;
        case OPT_SET_PASSWORD:
            o->set_password = 1;
            continue;
        case '?':
        default:
            if (optopt > 0 && optopt < 256 && strchr("bptlc", optopt))
                fprintf(stderr, "ferryd: option -%c needs a value\n", optopt);
            else if (optopt > 0 && optopt < 256)
                fprintf(stderr, "ferryd: unknown option -%c\n", optopt);
            else
                fprintf(stderr, "ferryd: unknown or incomplete option '%s'\n",
                        argv[optind - 1]);
            fprintf(stderr, "Try 'ferryd --help'.\n");
            return 2;
        }
        /* getopt sets optarg to NULL for options without a value */
        if (apply(o, key, optarg, err, sizeof err) < 0) {
            fprintf(stderr, "ferryd: %s\nTry 'ferryd --help'.\n", err);
            return 2;
        }
    }
    if (optind < argc - 1) {
        const char *a = argv[optind];
        int tls_word = strcmp(a, "both") == 0 || strcmp(a, "only") == 0;

        fprintf(stderr, "ferryd: one folder only, got '%s' and '%s'%s%s%s\nTry 'ferryd "
                "--help'.\n", a, argv[optind + 1], tls_word ? " (did you mean --tls=" : "",
                tls_word ? a : "", tls_word ? "?)" : "");
        return 2;
    }
    if (check_tls(o) != 0)
        return 2;
    if (optind == argc - 1 && apply(o, "root", argv[optind], err, sizeof err) < 0) {
        fprintf(stderr, "ferryd: %s\n", err);
        return 2;
    }
    if (!o->state_dir) {
        const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
        char path[4096];

        if (xdg && *xdg)
            snprintf(path, sizeof path, "%s/ferry", xdg);
        else if (home && *home)
            snprintf(path, sizeof path, "%s/.local/state/ferry", home);
        else
            path[0] = '\0';
        if (path[0] && apply(o, "state-dir", path, err, sizeof err) < 0) {
            fprintf(stderr, "ferryd: %s\n", err);
            return 2;
        }
    }
    if (!o->cfg.root && !o->set_password) {
        fprintf(stderr, "ferryd: which folder should be shared? Give it as the last "
                "argument, e.g. 'ferryd ~/Pictures' (or root = in --config).\n"
                "Try 'ferryd --help'.\n");
        return 2;
    }
    return 0;
}

void options_free(struct ferryd_options *o)
{
    free(o->root);
    free(o->state_dir);
    free(o->control);
    free(o->name);
    free(o->tls_cert);
    free(o->tls_key);
    for (size_t i = 0; i < FERRY_MAX_BINDS; i++)
        free(o->binds[i]);
    memset(o, 0, sizeof *o);
}
