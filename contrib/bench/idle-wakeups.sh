#!/bin/bash
# contrib/bench/idle-wakeups.sh — how often an idle ferryd wakes up.
#
#   contrib/bench/idle-wakeups.sh [--seconds S]
#
# A measurement, not a test (make check runs it once for 1 s, in
# tests/bench/t-bench-smoke.sh, only to see that it still works). It starts
# ferryd on 127.0.0.1 (port 0, --auth open, --os fake, a control socket and a
# state folder in a mktemp -d folder), in two situations:
#   - "background quiet": sent to the background with nothing open
#     (`ferryctl background`, then `ferryctl advance 1000` so that the linger
#     runs out), i.e. what a phone app holds while iOS lets it live;
#   - "foreground idle": started, asked for one file, then left alone;
# each once with the default options and, when this ferryd has --no-mdns,
# once with --no-mdns (mDNS retries show up in the first and not the
# second). All are left alone for S seconds (default 60, at the same time). At
# the start and at the end it sums voluntary_ctxt_switches +
# nonvoluntary_ctxt_switches of /proc/PID/task/*/status per thread; the
# difference, per thread (name from /proc/PID/task/TID/comm) and in total,
# is the number of times the process was scheduled while idle. The target is
# 0 for the background one: every wake-up costs a phone battery and, on
# iOS, CPU time that counts against the app while it is in the background.
#
# Output is TAP: a point per ferryd, "ok" when its total is 0 (the target),
# "not ok" otherwise; the figures are "# " lines. It exits non-zero only when
# something broke (a ferryd did not start, /proc could not be read).
#
# Environment: FERRYD (default ../../build-dev/ferryd from this script, else
# ../../build/ferryd), FERRYCTL (default: the ferryctl next to FERRYD),
# TMPDIR. Only the processes it started are signalled, by PID; every wait is
# bounded; only loopback.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${FERRYD:-}" ]; then
    FERRYD=$HERE/../../build-dev/ferryd
    [ -x "$FERRYD" ] || FERRYD=$HERE/../../build/ferryd
fi
: "${FERRYCTL:=$(dirname "$FERRYD")/ferryctl}"
SECONDS_IDLE=60

while [ $# -gt 0 ]; do
    case $1 in
    --seconds)
        SECONDS_IDLE=${2:-}
        shift
        ;;
    -h | --help)
        sed -n '4p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "idle-wakeups.sh: unknown option '$1' (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done
[[ $SECONDS_IDLE =~ ^[0-9]+$ ]] && [ "$SECONDS_IDLE" -ge 1 ] || {
    echo "idle-wakeups.sh: --seconds needs a whole number >= 1" >&2
    exit 2
}
for f in "$FERRYD" "$FERRYCTL"; do
    [ -x "$f" ] || { echo "Bail out! $f is not an executable (build it, or set FERRYD)"; exit 1; }
done
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY
export no_proxy='*' NO_PROXY='*'

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ferry-idle.XXXXXX") || exit 1
PIDS=()
cleanup() {
    local p i
    trap - EXIT
    for p in ${PIDS[@]+"${PIDS[@]}"}; do
        kill -CONT "$p" 2>/dev/null
        kill -TERM "$p" 2>/dev/null
        for ((i = 0; i < 100; i++)); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

mkdir "$TMP/share"
printf 'idle\n' >"$TMP/share/a.txt"

# start NAME [OPTIONS...]: starts a ferryd; sets PID_<NAME>, PORT_<NAME>,
# SOCK_<NAME>.
start() {
    local name=$1 i url="" pid
    shift
    "$FERRYD" --bind 127.0.0.1 --port 0 --auth open --no-qr --log-level warn --os fake \
        --control "$TMP/$name.sock" --state-dir "$TMP/state-$name" "$@" \
        "$TMP/share" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" &
    pid=$!
    PIDS+=("$pid")
    for ((i = 0; i < 200; i++)); do
        url=$(grep -m1 -o 'http://127\.0\.0\.1:[0-9]*/' "$TMP/$name.out" 2>/dev/null)
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$url" ]; then
        echo "Bail out! ferryd ($name) did not start: $(tail -n 3 "$TMP/$name.err")"
        exit 1
    fi
    printf -v "PID_$name" %s "$pid"
    url=${url%/}
    printf -v "PORT_$name" %s "${url##*:}"
    printf -v "SOCK_$name" %s "$TMP/$name.sock"
}

ctl() {
    local sock=$1
    shift
    timeout -k 1 10 "$FERRYCTL" -s "$sock" "$@"
}

# snap PID FILE: one line per thread: "TID NAME SWITCHES WCHAN" (where it
# sleeps: tells threads of the same name apart).
snap() {
    local pid=$1 t v w name
    : >"$2"
    for t in /proc/"$pid"/task/*; do
        [ -r "$t/status" ] || continue
        v=$(awk '/^voluntary_ctxt_switches/ { v = $2 }
                 /^nonvoluntary_ctxt_switches/ { n = $2 }
                 END { print v + n }' "$t/status" 2>/dev/null)
        name=$(tr ' ' '_' <"$t/comm" 2>/dev/null)
        w=$(cat "$t/wchan" 2>/dev/null)
        [ -n "$v" ] && echo "${t##*/} ${name:-?} $v ${w:-?}" >>"$2"
    done
    [ -s "$2" ]
}

# report LABEL PID BEFORE AFTER: per-thread differences and the total; one
# TAP point.
N=0
report() {
    local label=$1 pid=$2 total
    N=$((N + 1))
    total=$(awk '
        NR == FNR { before[$1] = $3; name[$1] = $2; next }
        { d = ($1 in before) ? $3 - before[$1] : $3
          tag = ($1 in before) ? "" : " (new thread)"
          printf "#   %-16s tid %-8s %6d  (sleeps in %s)%s\n", $2, $1, d, $4, tag > "/dev/stderr"
          seen[$1] = 1; t += d }
        END { for (k in before) if (!(k in seen))
                  printf "#   %-16s tid %-8s  (ended)\n", name[k], k > "/dev/stderr"
              print t + 0 }' "$3" "$4" 2>"$TMP/report.txt")
    echo "# $label: context switches in ${SECONDS_IDLE}s, per thread:"
    sort -k2 "$TMP/report.txt"
    echo "#   total: $total ($(awk -v t="$total" -v s="$SECONDS_IDLE" \
        'BEGIN { printf "%.2f", t / s }')/s)"
    if [ "$total" -eq 0 ]; then
        echo "ok $N - $label: 0 wake-ups in ${SECONDS_IDLE}s"
    else
        echo "not ok $N - $label: $total wake-up(s) in ${SECONDS_IDLE}s (target 0)"
    fi
}

# to_quiet NAME: background with nothing open, then past the linger.
to_quiet() {
    local sock=SOCK_$1 out st
    out=$(ctl "${!sock}" background) || { echo "Bail out! ferryctl background: $out"; exit 1; }
    ctl "${!sock}" advance 1000 >/dev/null || { echo "Bail out! ferryctl advance failed"; exit 1; }
    st=$(ctl "${!sock}" status)
    [[ $st == *'"state":"quiet"'* ]] || { echo "Bail out! $1 is not quiet: $st"; exit 1; }
    echo "# $1: $st"
}

# one_request NAME: one GET of a file (a 200: served, not refused), then
# nothing.
one_request() {
    local port=PORT_$1
    curl -q -s -f --max-time 10 -o /dev/null "http://127.0.0.1:${!port}/a.txt" ||
        { echo "Bail out! ferryd $1 did not serve a.txt"; exit 1; }
}

NAMES=(bg fg)
LABELS=("background quiet" "foreground idle")
if "$FERRYD" --help 2>&1 | grep -q -- --no-mdns; then
    NAMES+=(bgn fgn)
    LABELS+=("background quiet, --no-mdns" "foreground idle, --no-mdns")
fi
echo "1..${#NAMES[@]}"
echo "# ferryd: $FERRYD"
start bg
start fg
if [ "${#NAMES[@]}" -gt 2 ]; then
    start bgn --no-mdns
    start fgn --no-mdns
    to_quiet bgn
    one_request fgn
fi
to_quiet bg
one_request fg
grep -h . "$TMP"/*.err 2>/dev/null | sort -u | head -n 5 | sed 's/^/# stderr: /'
sleep 1 # let the last answers and the control connections settle

for n in "${NAMES[@]}"; do
    pid=PID_$n
    snap "${!pid}" "$TMP/$n.0" || { echo "Bail out! cannot read /proc/${!pid}/task"; exit 1; }
done
sleep "$SECONDS_IDLE" # the measurement itself: nothing to wait for
for n in "${NAMES[@]}"; do
    pid=PID_$n
    snap "${!pid}" "$TMP/$n.1" || { echo "Bail out! ferryd $n died during the measurement"; exit 1; }
done
for i in "${!NAMES[@]}"; do
    n=${NAMES[i]}
    pid=PID_$n
    report "${LABELS[i]}" "${!pid}" "$TMP/$n.0" "$TMP/$n.1"
done
exit 0
