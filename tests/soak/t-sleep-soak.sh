#!/bin/bash
# t-sleep-soak.sh — the short sleep soak for `make check`: tests/soak/
# sleep-soak.sh (ferryd --os logind, a mock logind on a private bus, the
# process frozen for real while "asleep") with a setting that finishes in
# well under a minute. The long one: `make soak-sleep SOAK_ARGS="--cycles
# 10000"` (see README.md).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
exec bash "$(dirname "$0")/sleep-soak.sh" --cycles 15 --clients 2 --size 8 "$@"
