#!/bin/bash
# t-bench-smoke.sh — every benchmark runs once in its short mode, so that none
# of them rots unnoticed (they all broke once, silently, when access control
# became the default and ferryd answered 401 to the load generators).
#
# One TAP point per benchmark: contrib/bench/run --short, tls-run --short,
# upload-run --short, idle-wakeups.sh --seconds 1, mdns-resume.sh with one
# cycle and one start, build/contrib/bench/suspend-latency --runs 3, and
# tests/browser/bench-listing.sh and bench-grid.sh on a few files with one
# load. A point fails when its benchmark breaks: a non-zero exit, a "Bail
# out!", or a figure missing or not a number in what it prints. It never
# fails on a figure's value: a smoke run's figures mean nothing (tiny files,
# 1 s samples, a machine busy with other builds), and targets are for the real
# runs (contrib/bench/README.md). A point is skipped when a tool that its
# benchmark needs is missing (./quickstart check installs them all) or, for
# mdns-resume.sh, when the machine cannot build a private LAN (root, network
# namespaces).
#
# Run by `make check` in a build without sanitizers only (the benchmarks
# measure the optimized ferryd, and their fixed-length samples would only
# slow an ASan run down). About 1.5 minutes on a 2-core machine; each
# benchmark is bounded by `timeout`. Everything a benchmark writes goes to
# this test's temp folder (TMPDIR); each one stops its own processes.
#
# Environment (as set by make check): FERRY_SRCDIR, FERRY_BUILDDIR, FERRYD,
# FERRYCTL, FERRYD_DNSSD.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/../integration/lib.sh"

BENCH=$FERRY_SRCDIR/contrib/bench
BROWSER=$FERRY_SRCDIR/tests/browser
export TMPDIR=$FERRY_TMP FERRY_BUILD=$FERRY_BUILDDIR
NUM='[0-9]+(\.[0-9]+)?'

plan 8

# missing CMD...: prints the first CMD that is not installed; 1 if none is.
missing() {
    local c
    for c in "$@"; do
        if [ "$c" = nginx ]; then
            command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { echo nginx; return 0; }
        else
            command -v "$c" >/dev/null 2>&1 || { echo "$c"; return 0; }
        fi
    done
    return 1
}

# smoke NAME LIMIT CMD...: runs CMD (bounded by LIMIT seconds) with its
# stdout and stderr in $FERRY_TMP/NAME.out; sets SMOKE_OUT to that file,
# SMOKE_RC to the exit status (124 when it had to be stopped) and SMOKE_WHY
# (a reason to fail that the caller may add before verdict) to "".
smoke() {
    local name=$1 limit=$2
    shift 2
    SMOKE_OUT=$FERRY_TMP/$name.out
    SMOKE_WHY=""
    diag "$name: $*"
    timeout -k 10 "$limit" "$@" </dev/null >"$SMOKE_OUT" 2>&1
    SMOKE_RC=$?
}

# lacking FILE ERE...: prints each ERE that matches no line of FILE.
lacking() {
    local f=$1 re
    shift
    for re in "$@"; do
        grep -Eq -- "$re" "$f" || echo "$re"
    done
}

# verdict DESC ERE...: one point for the last smoke run: ok when it exited 0,
# printed no "Bail out!", every ERE (a figure, as a number) matches a line
# of its output and SMOKE_WHY is empty; else not ok, with the reason and the
# output's tail.
verdict() {
    local desc=$1 why=$SMOKE_WHY gone
    shift
    if [ "$SMOKE_RC" -eq 124 ] || [ "$SMOKE_RC" -eq 137 ]; then
        why="did not finish in time (exit $SMOKE_RC)"
    elif [ "$SMOKE_RC" -ne 0 ]; then
        why="exit status $SMOKE_RC"
    elif [ -n "$why" ]; then
        :
    elif grep -q '^Bail out!' "$SMOKE_OUT"; then
        why="it bailed out"
    else
        gone=$(lacking "$SMOKE_OUT" "$@")
        [ -z "$gone" ] || why="figures missing or not numbers: $(echo "$gone" | tr '\n' ' ')"
    fi
    if [ -z "$why" ]; then
        pass "$desc"
        grep -E 'WARNING' "$SMOKE_OUT" | head -n 5 | sed 's/^/# (not a failure) /'
    else
        fail "$desc: $why"
        diag_file "$SMOKE_OUT" 40
    fi
}

# samples KEY...: for the bench runners' "Samples" section (lib.sh
# print_table): the ERE of KEY's line with a number for ferry and for nginx.
samples() {
    local k
    for k in "$@"; do
        echo "^  $k +ferry: $NUM .*\| nginx: $NUM"
    done
}

# 1. contrib/bench/run: ferryd vs nginx, every section.
if t=$(missing nginx wrk curl); then
    skip "contrib/bench/run --short" "$t not installed"
else
    smoke run 240 "$BENCH/run" --short --no-make
    mapfile -t res < <(samples stream small small_p99 range range_mbs listing listing_html \
        rss_idle rss_idle_anon rss_held rss_held_anon)
    verdict "contrib/bench/run --short: every figure for ferryd and nginx" "${res[@]}"
fi

# 2. contrib/bench/tls-run: ferryd --tls vs nginx with TLS.
if t=$(missing nginx openssl curl); then
    skip "contrib/bench/tls-run --short" "$t not installed"
else
    smoke tls-run 180 "$BENCH/tls-run" --short --no-make
    mapfile -t res < <(samples stream handshake rss_idle rss_held)
    verdict "contrib/bench/tls-run --short: every figure for ferryd and nginx" "${res[@]}"
fi

# 3. contrib/bench/upload-run: PUT and tus beside dd and nginx, tus resume.
if t=$(missing nginx curl cmp); then
    skip "contrib/bench/upload-run --short" "$t not installed"
else
    smoke upload-run 180 "$BENCH/upload-run" --short --no-make
    verdict "contrib/bench/upload-run --short: dd, nginx, PUT, tus and resume figures" \
        "^  dd +$NUM" "^  nginx +$NUM" "^  put +$NUM" "^  tus +$NUM" \
        "^resume -> first PATCH 204, p50 ms +$NUM" "^resume -> first PATCH 204, p99 ms +$NUM"
fi

# 4. contrib/bench/idle-wakeups.sh: its own TAP; "not ok" there is a figure
# (wake-ups), not a break, so only the totals are checked.
smoke idle-wakeups 60 bash "$BENCH/idle-wakeups.sh" --seconds 1
want=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$SMOKE_OUT")
got=$(grep -Ec "^#   total: $NUM \($NUM/s\)" "$SMOKE_OUT")
[ -n "$want" ] && [ "$got" = "$want" ] ||
    SMOKE_WHY="a '#   total: N (N/s)' line for $got of ${want:-?} ferryd"
verdict "contrib/bench/idle-wakeups.sh --seconds 1: a total for each ferryd"

# 5. contrib/bench/mdns-resume.sh: needs root and network namespaces.
smoke mdns-resume 150 bash "$BENCH/mdns-resume.sh" --cycles 1 --starts 1 --idle 1
if [ "$SMOKE_RC" -ne 0 ] && grep -q 'cannot run here' "$SMOKE_OUT"; then
    skip "contrib/bench/mdns-resume.sh" "$(grep -m1 'cannot run here' "$SMOKE_OUT" | sed 's/.*cannot run here: //')"
else
    res=("^resume -> resolvable, avahi \(ms\) +1 +$NUM +$NUM"
        "^fresh start -> resolvable, ferryd \(ms\) +1 +$NUM +$NUM"
        "^fresh start -> resolvable, avahi-publish +1 +$NUM +$NUM"
        "^idle wake-ups of a published ferryd in 1 s: $NUM ")
    [ ! -x "$FERRYD_DNSSD" ] || res+=("^resume -> resolvable, dns_sd \(ms\) +1 +$NUM +$NUM")
    verdict "contrib/bench/mdns-resume.sh --cycles 1 --starts 1: resume, fresh start and idle figures" "${res[@]}"
fi

# 6. suspend-latency (built by make): every row and the target line.
smoke suspend-latency 60 "$FERRY_BUILDDIR/contrib/bench/suspend-latency" --runs 3
verdict "suspend-latency --runs 3: the 0, 10, 100 and 1,000 transfer rows" \
    "^ +0( +$NUM){4} " "^ +10( +$NUM){4} " "^ +100( +$NUM){4} " "^ +1000( +$NUM){4} " \
    "^target: p99 < 20 ms with 1000 transfers: $NUM ms"

# 7, 8. The browser UI's benchmarks (headless chromium, playwright-core).
why=""
if t=$(missing node cjpeg); then
    why="$t not installed"
elif [ ! -x /usr/bin/chromium ]; then
    why="no /usr/bin/chromium"
elif [ ! -d "$FERRY_SRCDIR/tests/js/node_modules/playwright-core" ]; then
    why="playwright-core is not installed in tests/js (./quickstart check runs npm ci there)"
fi
if [ -n "$why" ]; then
    skip "tests/browser/bench-listing.sh" "$why"
    skip "tests/browser/bench-grid.sh" "$why"
else
    smoke bench-listing 120 bash "$BROWSER/bench-listing.sh" 100 1
    verdict "tests/browser/bench-listing.sh 100 1: the listing time" \
        "^first listing of .*: 10[01] rows, median $NUM ms"
    smoke bench-grid 150 bash "$BROWSER/bench-grid.sh" 1 1 1
    verdict "tests/browser/bench-grid.sh 1 1 1: server and grid figures" \
        "^server: screenshot-00\.png .*: \?thumb=1 $NUM ms \([0-9]+ bytes\), the file $NUM ms" \
        "^server: photo-00\.jpg .*: \?thumb=1 $NUM ms \([0-9]+ bytes\), the file $NUM ms" \
        "^thumbnails: pictures on screen drawn in $NUM ms" \
        "^originals : pictures on screen drawn in $NUM ms" \
        "^thumbnails/originals: time $NUM"
fi

finish
