#!/bin/bash
# bench-listing.sh [N] [RUNS] — starts ferryd (from $FERRY_BUILDDIR, default
# build/) on a folder of N files (default 1000) on 127.0.0.1, port 0, and
# reports how long the browser UI takes to list it in headless chromium
# (bench-listing.mjs), median of RUNS loads (default 7). Issue 9's budget:
# under 300 ms. A short run of it (100 files, 1 load) is part of make check
# (tests/bench/t-bench-smoke.sh).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/../integration/lib.sh"
n=${1:-1000}
runs=${2:-7}
mkdir -p "$FERRY_TMP/root/big"
for ((i = 0; i < n; i++)); do printf 'x' >"$FERRY_TMP/root/big/file-$i.txt"; done
ferry_start "$FERRY_TMP/root" --state-dir "$FERRY_TMP/state" --no-mdns || bail_out "ferryd did not start"
node "$FERRY_SRCDIR/tests/browser/bench-listing.mjs" --url "$FERRY_BASE/big/" \
    --runs "$runs" --js-dir "$FERRY_SRCDIR/tests/js" || bail_out "bench-listing.mjs failed"
