#!/bin/bash
# t-soak.sh — the short soak for `make check`: tests/soak/soak.sh with a
# setting that finishes in well under a minute on a 2-core machine. The long
# one is `make soak SOAK_ARGS="--cycles 500 --clients 4"` (see README.md).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
exec bash "$(dirname "$0")/soak.sh" --cycles 24 --clients 3 --size 16 "$@"
