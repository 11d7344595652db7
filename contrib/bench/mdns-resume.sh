#!/bin/bash
# contrib/bench/mdns-resume.sh — how fast ferryd is back on the LAN.
#
#   contrib/bench/mdns-resume.sh [--cycles N] [--starts N] [--idle S]
#
# A measurement, not a test (make check runs it once, short, in
# tests/bench/t-bench-smoke.sh, only to see that it still works; it prints
# figures and exits 0 whether the targets are met or not, non-zero only when
# something broke or the machine cannot build the LAN). It builds the private LAN of
# tests/integration/netns.sh — namespace a with ferryd, its own system bus
# and avahi-daemon, namespace b with another bus and avahi-daemon, joined by
# a veth pair on a /24 that exists only between them — and measures, from b
# with python3-zeroconf (a resolver no one here wrote):
#
#   resume -> resolvable: ferryd (--os fake) is sent to the background and
#     suspended (`ferryctl background`, `suspend`), which withdraws the
#     record; once b's avahi-browse no longer lists it, `ferryctl resume`,
#     then the clock starts at `ferryctl foreground` and stops when zeroconf
#     in b resolves the name (SRV+TXT+A). N cycles (default 20); min, p50,
#     p90, max. Target: p50 < 1 s. Both backends when tests/ferryd-dnssd is
#     built.
#   publish -> visible on a fresh start: from starting the process to
#     resolvable from b, for ferryd and for Avahi's own `avahi-publish -s`
#     (same avahi-daemon, same resolver), alternating, N each (default 10),
#     each with a new name so that no cache helps. Medians and the ratio.
#   idle wake-ups while published: context switches of ferryd's threads over
#     S s (--idle, default 10; target 0).
#
# Most of both delays is mDNS itself: avahi-daemon probes a new record
# three times 250 ms apart (after up to 250 ms of random delay) before it
# announces it (RFC 6762, section 8.1), also after a withdrawal.
#
# Needs root (network namespaces), ip, unshare, dbus-daemon, avahi-daemon,
# avahi-utils and python3-zeroconf. Environment: FERRY_BUILDDIR (default
# ../../build-dev, else ../../build), FERRYD, FERRYCTL, FERRYD_DNSSD.
# Everything it starts is killed by PID on exit, the namespaces deleted and
# its temp folder removed; every wait is bounded.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${FERRY_BUILDDIR:-}" ]; then
    FERRY_BUILDDIR=$HERE/../../build-dev
    [ -x "$FERRY_BUILDDIR/ferryd" ] || FERRY_BUILDDIR=$HERE/../../build
fi
FERRY_BUILDDIR=$(cd "$FERRY_BUILDDIR" && pwd)
: "${FERRYD:=$FERRY_BUILDDIR/ferryd}"
: "${FERRYCTL:=$FERRY_BUILDDIR/ferryctl}"
: "${FERRYD_DNSSD:=$FERRY_BUILDDIR/tests/ferryd-dnssd}"
CYCLES=20
STARTS=10
IDLE=10

while [ $# -gt 0 ]; do
    case $1 in
    --cycles) CYCLES=${2:-}; shift ;;
    --starts) STARTS=${2:-}; shift ;;
    --idle) IDLE=${2:-}; shift ;;
    -h | --help) sed -n '4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "mdns-resume.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $CYCLES =~ ^[0-9]+$ && $STARTS =~ ^[0-9]+$ && $IDLE =~ ^[0-9]+$ ]] &&
    [ "$CYCLES" -ge 1 ] && [ "$STARTS" -ge 1 ] && [ "$IDLE" -ge 1 ] || {
    echo "mdns-resume.sh: --cycles, --starts and --idle need whole numbers >= 1" >&2
    exit 2
}

. "$HERE/../../tests/integration/lib.sh"
. "$HERE/../../tests/integration/netns.sh"
# Not TAP here: say why and stop.
skip_all() { echo "mdns-resume.sh: cannot run here: $*" >&2; exit 1; }
bail_out() { echo "mdns-resume.sh: $*" >&2; exit 1; }
export AVAHI_COMPAT_NOWARN=1

lan_require
[ -x "$FERRYD" ] || bail_out "no ferryd at $FERRYD (build it first)"
[ -x "$FERRYCTL" ] || bail_out "no ferryctl at $FERRYCTL (build it first)"
lan_up
SHARE=$FERRY_TMP/share
mkdir -p "$SHARE"
echo hi >"$SHARE/hi.txt"

# stats MS...: "min p50 p90 max" of the numbers.
stats() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- - - -"; exit }
        p50 = v[int((NR + 1) / 2)]; if (NR % 2 == 0) p50 = (v[NR / 2] + v[NR / 2 + 1]) / 2
        i = int(NR * 0.9 + 0.999); if (i < 1) i = 1; if (i > NR) i = NR
        printf "%d %d %d %d\n", v[1], p50, v[i], v[NR] }'
}

# median MS...
median() {
    stats "$@" | cut -d' ' -f2
}

# start_ferryd NAME [OPTIONS]: ferryd in a; bails out when it does not start.
start_ferryd() {
    local name=$1
    shift
    ferry_start_argv --bind "${SITE_IP[a]}" --port 0 --no-qr --log-level warn \
        --name "$name" "$@" "$SHARE" || bail_out "$FERRYD did not start"
}

# stop_ferryd PID: stops one ferryd quietly.
stop_ferryd() {
    local p rest=()
    stop_pid "$1"
    for p in "${FERRY_PIDS[@]}"; do
        [ "$p" = "$1" ] || rest+=("$p")
    done
    FERRY_PIDS=(${rest[@]+"${rest[@]}"})
}

# resolved_ms OUT T0: ms from T0 (ns) to the waiter's "resolved" line in OUT,
# or empty after a bounded wait.
resolved_ms() {
    local t1
    wait_for 15 grep -q '^resolved\|^timeout' "$1"
    t1=$(sed -n 's/^resolved //p' "$1")
    [ -n "$t1" ] && echo $(((t1 - $2) / 1000000))
}

# resume_cycles LABEL: N withdraw/re-advertise cycles of the ferryd whose
# control socket is CTL, named NAME; fills RESUME_MS.
resume_cycles() {
    local label=$1 i zc t0 ms
    RESUME_MS=()
    wait_for 15 browse_has b "$NAME" || bail_out "$label: b never saw '$NAME'"
    for ((i = 1; i <= CYCLES; i++)); do
        "$FERRYCTL" -s "$CTL" background >/dev/null && "$FERRYCTL" -s "$CTL" suspend >/dev/null ||
            bail_out "$label: ferryctl background/suspend failed"
        wait_for 10 browse_lacks b "$NAME" || echo "# $label cycle $i: still listed by b after 10 s" >&2
        zc=$FERRY_TMP/zc.$label.$i
        zc_wait_start "$NAME" 15 "$zc" || bail_out "$label: the zeroconf waiter did not start"
        "$FERRYCTL" -s "$CTL" resume >/dev/null
        t0=$(now_ns)
        "$FERRYCTL" -s "$CTL" foreground >/dev/null
        ms=$(resolved_ms "$zc" "$t0")
        lan_kill "$ZC_PID"
        if [ -z "$ms" ]; then
            echo "# $label cycle $i: not resolvable from b within 15 s" >&2
            continue
        fi
        RESUME_MS+=("$ms")
        printf '  %-7s cycle %2d: %5d ms\n' "$label" "$i" "$ms"
    done
}

# idle_switches PID SECONDS: context switches of PID's threads in SECONDS.
idle_switches() {
    local a b
    a=$(cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }')
    sleep "$2"
    b=$(cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }')
    echo $((b - a))
}

echo "mdns-resume: $("$FERRYD" --version 2>/dev/null | head -n 1), avahi $(avahi-daemon --version 2>/dev/null | cut -d' ' -f2)"
echo "  LAN: ${SITE_NS[a]} (${SITE_IP[a]}) <-> ${SITE_NS[b]} (${SITE_IP[b]}); load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- resume
declare -A FIG=()
backends=(avahi)
[ -x "$FERRYD_DNSSD" ] && backends+=(dns_sd)
FERRYD_AVAHI=$FERRYD
for be in "${backends[@]}"; do
    [ "$be" = dns_sd ] && FERRYD=$FERRYD_DNSSD || FERRYD=$FERRYD_AVAHI
    NAME="bench $be $$"
    CTL=$FERRY_TMP/ctl-$be.sock
    start_ferryd "$NAME" --os fake --control "$CTL"
    PID=$FERRY_PID
    if [ "$be" = avahi ]; then
        wait_for 10 browse_has b "$NAME"
        sleep 1
        FIG[idle]=$(idle_switches "$(signal_target "$PID")" "$IDLE")
    fi
    echo "resume -> resolvable from b ($be backend, $CYCLES cycles):"
    resume_cycles "$be"
    FIG[$be]=$(stats "${RESUME_MS[@]}")
    FIG[$be.n]=${#RESUME_MS[@]}
    stop_ferryd "$PID"
done
FERRYD=$FERRYD_AVAHI

# ---------------------------------------------------------------- fresh start
echo "publish -> resolvable from b on a fresh start ($STARTS each, alternating):"
F_MS=() P_MS=()
for ((i = 1; i <= STARTS; i++)); do
    for who in ferryd avahi-publish; do
        [ $((i % 2)) = 0 ] && who=$([ "$who" = ferryd ] && echo avahi-publish || echo ferryd)
        name="fresh $who $i $$"
        zc=$FERRY_TMP/zc.fresh.$who.$i
        zc_wait_start "$name" 15 "$zc" || bail_out "the zeroconf waiter did not start"
        t0=$(now_ns)
        if [ "$who" = ferryd ]; then
            start_ferryd "$name"
            pid=$FERRY_PID
        else
            site_publish a "$name" 8080
            pid=$PUB_PID
        fi
        ms=$(resolved_ms "$zc" "$t0")
        lan_kill "$ZC_PID"
        [ "$who" = ferryd ] && stop_ferryd "$pid" || lan_kill "$pid"
        if [ -z "$ms" ]; then
            echo "# $who start $i: not resolvable from b within 15 s" >&2
            continue
        fi
        printf '  %-13s start %2d: %5d ms\n' "$who" "$i" "$ms"
        [ "$who" = ferryd ] && F_MS+=("$ms") || P_MS+=("$ms")
    done
done

# ---------------------------------------------------------------- report
echo
echo "figure                                        n     min    p50    p90    max  target"
for be in "${backends[@]}"; do
    read -r mn p50 p90 mx <<<"${FIG[$be]}"
    verdict="p50 < 1000 ms: $([ "$p50" != - ] && [ "$p50" -lt 1000 ] && echo met || echo NOT met)"
    printf '%-42s %4s %7s %6s %6s %6s  %s\n' "resume -> resolvable, $be (ms)" "${FIG[$be.n]}" \
        "$mn" "$p50" "$p90" "$mx" "$verdict"
done
read -r mn p50 p90 mx <<<"$(stats "${F_MS[@]}")"
printf '%-42s %4s %7s %6s %6s %6s\n' "fresh start -> resolvable, ferryd (ms)" "${#F_MS[@]}" "$mn" "$p50" "$p90" "$mx"
read -r mn p50 p90 mx <<<"$(stats "${P_MS[@]}")"
printf '%-42s %4s %7s %6s %6s %6s\n' "fresh start -> resolvable, avahi-publish" "${#P_MS[@]}" "$mn" "$p50" "$p90" "$mx"
fm=$(median "${F_MS[@]}") pm=$(median "${P_MS[@]}")
if [ "$fm" != - ] && [ "$pm" != - ] && [ "$pm" -gt 0 ]; then
    echo "  ferryd / avahi-publish (medians): $(awk -v a="$fm" -v b="$pm" 'BEGIN { printf "%.2f", a / b }')"
fi
echo "idle wake-ups of a published ferryd in $IDLE s: ${FIG[idle]:-?} (target 0)"
echo "  load $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
