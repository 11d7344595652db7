/*
 * options.c — parsing ferryd's options (getopt_long) and its INI
 * configuration file (inih), both through one table of keys.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <limits.h>
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
    "      --follow-symlinks  follow symlinks that lead out of FOLDER\n"
    "  -t, --threads N        HTTP worker threads (default 2)\n"
    "  -l, --log-level LEVEL  error, warn, info (default; one line per request) or debug\n"
    "  -c, --config FILE      read options from an INI file (key = value, keys as\n"
    "                         the long options, plus root = FOLDER)\n"
    "      --no-qr            do not print a QR code of the URL\n"
    "  -h, --help             show this help\n"
    "  -V, --version          show the version\n";

enum { OPT_FOLLOW = 256, OPT_NO_QR };

static const struct option long_opts[] = {
    {"bind", required_argument, NULL, 'b'},
    {"port", required_argument, NULL, 'p'},
    {"read-only", no_argument, NULL, 'r'},
    {"hidden", no_argument, NULL, 'H'},
    {"follow-symlinks", no_argument, NULL, OPT_FOLLOW},
    {"threads", required_argument, NULL, 't'},
    {"log-level", required_argument, NULL, 'l'},
    {"config", required_argument, NULL, 'c'},
    {"no-qr", no_argument, NULL, OPT_NO_QR},
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
        strcmp(key, "follow-symlinks") == 0 || strcmp(key, "no-qr") == 0) {
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
        case '?':
        default:
            if (optopt && strchr("bptlc", optopt))
                fprintf(stderr, "ferryd: option -%c needs a value\n", optopt);
            else if (optopt)
                fprintf(stderr, "ferryd: unknown option -%c\n", optopt);
            else
                fprintf(stderr, "ferryd: unknown or incomplete option '%s'\n",
                        argv[optind - 1]);
            fprintf(stderr, "Try 'ferryd --help'.\n");
            return 2;
        }
        int takes_value = opt == 'b' || opt == 'p' || opt == 't' || opt == 'l';

        if (apply(o, key, takes_value ? optarg : NULL, err, sizeof err) < 0) {
            fprintf(stderr, "ferryd: %s\nTry 'ferryd --help'.\n", err);
            return 2;
        }
    }
    if (optind < argc - 1) {
        fprintf(stderr, "ferryd: one folder only, got '%s' and '%s'\nTry 'ferryd --help'.\n",
                argv[optind], argv[optind + 1]);
        return 2;
    }
    if (optind == argc - 1 && apply(o, "root", argv[optind], err, sizeof err) < 0) {
        fprintf(stderr, "ferryd: %s\n", err);
        return 2;
    }
    if (!o->cfg.root) {
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
    for (size_t i = 0; i < FERRY_MAX_BINDS; i++)
        free(o->binds[i]);
    memset(o, 0, sizeof *o);
}
