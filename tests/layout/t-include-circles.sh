#!/bin/bash
# t-include-circles.sh — the daemon's include graph keeps the shape the
# reshape gave it (issue 21): no circle of modules that spans two folders of
# daemon/ (the server core includes none of its handlers; handlers reach it
# through its interface), and none larger than the one left inside uploads/
# (4 modules). tools/include-scc.py reads the files only; its list of
# circles is shown when this fails.
#
# Environment (as set by make check): FERRY_SRCDIR.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
src=${FERRY_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}

echo "1..1"
if out=$(/usr/bin/python3 "$src/tools/include-scc.py" "$src/daemon" 4 2>&1); then
    echo "ok 1 - no include circle across folders of daemon/, none over 4 modules"
else
    echo "not ok 1 - no include circle across folders of daemon/, none over 4 modules"
    printf '%s\n' "$out" | sed 's/^/# /'
fi
