/*
 * options.h — ferryd's command line and configuration file.
 *
 * The configuration file is INI ("key = value", keys are the long option
 * names, e.g. "port = 0", "read-only = true", plus "root = /folder"); options
 * on the command line override it.
 */
#ifndef FERRYD_OPTIONS_H
#define FERRYD_OPTIONS_H

#include "ferry.h"

/* --os: which lifecycle port ferryd installs. auto: logind when it answers
 * on the system bus, else none. */
enum ferryd_os { FERRYD_OS_AUTO = 0, FERRYD_OS_LOGIND, FERRYD_OS_NONE, FERRYD_OS_FAKE };

struct ferryd_options {
    ferry_config cfg;          /* strings point into the fields below */
    char *root;
    char *binds[FERRY_MAX_BINDS];
    char *state_dir;           /* --state-dir, else the XDG default */
    char *control;             /* --control socket path, or NULL */
    char *name;                /* --name: the mDNS service name */
    char *tls_cert, *tls_key;  /* --tls-cert, --tls-key */
    int tls_port_set;          /* --tls-port was given */
    int fake_os;               /* --os fake */
    int os;                    /* --os: FERRYD_OS_* (default auto) */
    int no_qr;
    int set_password;          /* --set-password: store one and exit */
    int exit_now;              /* --help or --version was answered */
};

/*
 * Fills *o from argv (and the file named by --config). On success returns 0.
 * On a usage error prints what is wrong (naming the option, or the file and
 * line) and how to get help to stderr and returns 2. With --help or
 * --version, prints to stdout, sets o->exit_now and returns 0. *o must be
 * released with options_free() in every case.
 */
int options_parse(int argc, char **argv, struct ferryd_options *o);

/* Frees what options_parse() allocated. */
void options_free(struct ferryd_options *o);

#endif
