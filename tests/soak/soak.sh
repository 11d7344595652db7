#!/bin/bash
# soak.sh — the lifecycle soak: real clients download and verify files while
# ferryd (fake OS, iOS rules) is sent round and round its lifecycle from
# outside: background -> (sometimes some virtual time) -> expiration, the
# clock running out, or a direct suspend -> suspend -> SIGSTOP, a pause,
# SIGCONT -> resume -> foreground.
#
#   soak.sh [--cycles N] [--seconds S] [--clients K] [--size MIB]
#           [--rate R] [--seed N]
#
#   --cycles N   lifecycle cycles (default 30)
#   --seconds S  stop after S seconds, whichever comes first (default: none)
#   --clients K  concurrent downloaders (default 3), each with a file of its own
#   --size MIB   size of each file in MiB (default 16)
#   --rate R     curl --limit-rate of each downloader (default 4M)
#   --seed N     seed of the random choices (default: the PID; printed)
#
# Each downloader loops: curl -C - (throttled) until its file is complete,
# resuming after every cut, then checks the sha256, counts the file and
# starts over. Per cycle it measures the suspend latency (wall time of the
# `ferryctl expire`, `advance` or `suspend` that ends the assertion) and the
# resume-to-first-byte time (from `ferryctl foreground` returning to the
# first byte of a fresh request, sent once, no retry).
#
# Output is TAP, one point per final check, figures as "# " lines. Exits
# non-zero when a check failed (a sha256 mismatch, a missed assertion
# deadline, a violation, nothing verified, ...). Environment as for the
# integration tests (FERRYD, FERRYCTL, FERRY_TEST_KEEP, ...; see
# tests/integration/lib.sh). Loopback only; every loop and wait is bounded;
# only the processes started here are signalled, by PID.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SOAK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
    sed -n '/^#   soak.sh/,/^#   --seed/p' "$SOAK_DIR/soak.sh" | sed 's/^# \{0,1\}//'
}

cycles=30 seconds=0 clients=3 size_mib=16 rate=4M seed=$$
while [ $# -gt 0 ]; do
    case $1 in
    --cycles) cycles=${2:-} ;;
    --seconds) seconds=${2:-} ;;
    --clients) clients=${2:-} ;;
    --size) size_mib=${2:-} ;;
    --rate) rate=${2:-} ;;
    --seed) seed=${2:-} ;;
    -h | --help) usage; exit 0 ;;
    *) echo "soak.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift 2 || { echo "soak.sh: $1 needs a value" >&2; exit 2; }
done
for v in cycles seconds clients size_mib seed; do
    if ! [[ ${!v} =~ ^[0-9]+$ ]]; then
        echo "soak.sh: --${v%_mib} must be a whole number (got '${!v}')" >&2
        exit 2
    fi
done
[[ $rate =~ ^[0-9]+[kKmMgG]?$ ]] || { echo "soak.sh: bad --rate '$rate'" >&2; exit 2; }
[ "$clients" -ge 1 ] && [ "$size_mib" -ge 1 ] ||
    { echo "soak.sh: --clients and --size must be at least 1" >&2; exit 2; }

. "$SOAK_DIR/../integration/lib.sh"
need_cmd curl
: "${FERRYCTL:=$(dirname "$FERRYD")/ferryctl}"
[ -x "$FERRYCTL" ] || bail_out "FERRYCTL=$FERRYCTL is not an executable (build it first)"
RANDOM=$seed

plan 10

share=$FERRY_TMP/share
work=$FERRY_TMP/work
state=$FERRY_TMP/state
SOCK=$FERRY_TMP/ctl.sock
STOP=$work/stop
mkdir "$share" "$work"
for ((k = 1; k <= clients; k++)); do
    head -c $((size_mib * 1048576)) /dev/urandom >"$share/f$k.bin"
    sha256 "$share/f$k.bin" >"$work/f$k.sha"
done
printf 'ping\n' >"$share/ping.txt"
T_STALL=$((60 * T_SCALE)) # a download that gets no byte for this long stalled

diag "soak: cycles $cycles, seconds $seconds (0: no limit), clients $clients," \
    "size $size_mib MiB, rate $rate per client, seed $seed" \
    "ferryd: $FERRYD" "temp folder: $FERRY_TMP (ferryd's log: ferryd.1.err)"

now_us() {
    echo "${EPOCHREALTIME/./}"
}

# ctl CMD [ARG]: ferryctl; sets CTL_RC, CTL_OUT, CTL_ERR.
ctl() {
    CTL_OUT=$(timeout -k 1 $((10 * T_SCALE)) "$FERRYCTL" -s "$SOCK" "$@" \
        2>"$work/ctl.err")
    CTL_RC=$?
    CTL_ERR=$(head -c 500 "$work/ctl.err")
}

# st EXPR: EXPR (Python, over `j`) of a fresh `ferryctl status`; "?" when
# there is no answer.
st() {
    ctl status
    "$PYTHON" -c '
import json, sys
try:
    j = json.loads(sys.argv[1][3:])
    print(eval(sys.argv[2]))
except Exception:
    print("?")' "$CTL_OUT" "$1" 2>/dev/null
}

# ---------------------------------------------------------------- clients

# client_loop K: downloads f$K.bin over and over, resuming after every cut,
# until $STOP exists or soak.sh is gone. Appends one line per file to
# $work/c$K.log: "ok BYTES", "bad BYTES SHA" or "stall BYTES", and one line
# per cut download ("cut") or other curl failure ("curl RC").
client_loop() {
    local k=$1 out=$work/c$1.bin log=$work/c$1.log want got sz last cp="" rc
    local full=$((size_mib * 1048576)) since files=0
    trap - EXIT HUP INT
    trap '[ -n "$cp" ] && kill -TERM "$cp" 2>/dev/null; exit 0' TERM
    want=$(cat "$work/f$k.sha")
    while [ ! -e "$STOP" ] && kill -0 "$SOAK_PID" 2>/dev/null &&
        [ "$files" -lt 100000 ]; do
        rm -f "$out"
        last=0
        since=$SECONDS
        while [ ! -e "$STOP" ] && kill -0 "$SOAK_PID" 2>/dev/null; do
            curl -q -sS --limit-rate "$rate" --connect-timeout 5 \
                --max-time $((120 * T_SCALE)) -C - -o "$out" \
                "$FERRY_BASE/f$k.bin" 2>>"$work/c$k.curlerr" &
            cp=$!
            wait "$cp"
            rc=$?
            cp=""
            case $rc in
            0 | 7) ;;                          # done, or refused: ferryd is away
            18 | 56) echo "cut" >>"$log" ;;   # cut by the lifecycle
            *) echo "curl $rc" >>"$log" ;;
            esac
            sz=$(stat -c %s "$out" 2>/dev/null || echo 0)
            [ "$sz" -ge "$full" ] && break
            if [ "$sz" -gt "$last" ]; then
                last=$sz
                since=$SECONDS
            elif [ $((SECONDS - since)) -ge "$T_STALL" ]; then
                echo "stall $sz" >>"$log"
                continue 2
            fi
            sleep 0.1 # ferryd is away: try again shortly
        done
        [ -e "$STOP" ] && break
        kill -0 "$SOAK_PID" 2>/dev/null || break
        got=$(sha256 "$out")
        if [ "$got" = "$want" ] && [ "$sz" -eq "$full" ]; then
            echo "ok $sz" >>"$log"
        else
            echo "bad $sz $got" >>"$log"
            cp "$out" "$work/c$k.bad.$files" 2>/dev/null
        fi
        files=$((files + 1))
    done
    exit 0
}

# ---------------------------------------------------------------- start
ferry_start "$share" --os fake --control "$SOCK" --state-dir "$state" ||
    bail_out "ferryd did not start"
port0=$FERRY_PORT
SOAK_PID=$BASHPID
CPIDS=()
for ((k = 1; k <= clients; k++)); do
    : >"$work/c$k.log"
    client_loop "$k" &
    CPIDS+=("$!")
    track_pid "$!"
done

# ---------------------------------------------------------------- cycles
SUSP_MS=() # per cycle: wall time of the command that ended the assertion
FB_MS=()   # per cycle: foreground returned -> first byte
errors=0   # cycles where something was not as expected
first_fail=0
paths=(0 0 0) # expire / clock ran out / direct suspend
err() {
    errors=$((errors + 1))
    [ "$errors" -le 10 ] && diag "cycle $c: $*"
}
t_begin=$SECONDS
c=0
while [ "$c" -lt "$cycles" ]; do
    [ "$seconds" -gt 0 ] && [ $((SECONDS - t_begin)) -ge "$seconds" ] && break
    alive "$FERRY_PID" || { diag "ferryd is gone after $c cycles"; break; }
    c=$((c + 1))
    # Foreground for 0.3 to 0.7 s: the clients make progress.
    sleep "0.$((3 + RANDOM % 5))"

    ctl background
    [ "$CTL_RC" -eq 0 ] || err "background: $CTL_ERR"
    if [ $((RANDOM % 3)) -eq 0 ]; then
        ctl advance $((RANDOM % 20000)) # some virtual time, inside the budget
        [ "$CTL_RC" -eq 0 ] || err "advance: $CTL_ERR"
    fi
    path=$((RANDOM % 3))
    paths[path]=$((paths[path] + 1))
    t0=$(now_us)
    case $path in
    0) ctl expire ;;        # the expiration warning
    1) ctl advance 25000 ;; # the clock runs out: the warning comes by itself
    2) ctl suspend ;;       # the OS suspends without a warning
    esac
    t1=$(now_us)
    SUSP_MS+=("$(((t1 - t0) / 1000)).$(((t1 - t0) / 100 % 10))")
    [ "$CTL_RC" -eq 0 ] || err "ending the assertion (path $path): $CTL_ERR"
    if [ "$path" -ne 2 ]; then
        ctl suspend
        [ "$CTL_RC" -eq 0 ] || err "suspend: $CTL_ERR"
    fi
    s=$(st '"%s %d" % (j["state"], j["fake_os"]["held"])')
    [ "$s" = "suspended 0" ] || err "after suspend: state/held '$s'"

    # Real suspension.
    kill -STOP "$FERRY_PID"
    sleep "$(printf '0.%02d' $((5 + RANDOM % 21)))" # 0.05 to 0.25 s
    kill -CONT "$FERRY_PID"

    ctl resume
    [ "$CTL_RC" -eq 0 ] || err "resume: $CTL_ERR"
    ctl foreground
    t0=$(now_us)
    [ "$CTL_RC" -eq 0 ] || err "foreground: $CTL_ERR"
    w=$(curl -q -sS --max-time "$T_CURL" -o /dev/null \
        -w '%{http_code} %{time_starttransfer} %{time_total}' \
        "$FERRY_BASE/ping.txt" 2>"$work/first.err")
    t1=$(now_us)
    if [ "${w%% *}" = 200 ]; then
        FB_MS+=("$(awk -v a="$t0" -v e="$t1" -v w="$w" 'BEGIN { split(w, f, " ")
            printf "%.1f", (e - a) / 1000 - (f[3] - f[2]) * 1000 }')")
    else
        first_fail=$((first_fail + 1))
        err "first request after foreground: '$w' $(head -c 200 "$work/first.err")"
    fi
    s=$(st '"%s %d" % (j["state"], j["port"])')
    [ "$s" = "foreground $port0" ] || err "after foreground: state/port '$s' (want port $port0)"
done
t_cycles=$((SECONDS - t_begin))

# ---------------------------------------------------------------- stop
touch "$STOP"
for p in "${CPIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null
done
for p in "${CPIDS[@]}"; do
    wait_gone "$p" 10 || kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    forget_pid "$p"
done

fake=""
if alive "$FERRY_PID"; then
    fake=$(st 'j["fake_os"]')
fi
diag "fake OS at the end: ${fake:-(ferryd is gone)}"

# ---------------------------------------------------------------- figures
bytes=0 files=0 bad=0 stalls=0 cuts=0 other=""
for ((k = 1; k <= clients; k++)); do
    while read -r kind n _; do
        case $kind in
        ok) bytes=$((bytes + n)); files=$((files + 1)) ;;
        bad) bad=$((bad + 1)) ;;
        stall) stalls=$((stalls + 1)) ;;
        cut) cuts=$((cuts + 1)) ;;
        curl) other="$other $n" ;;
        esac
    done <"$work/c$k.log"
done
# Watchdog kills: the fake OS's counter, or its last words if ferryd died.
if [ -n "$fake" ] && [ "$fake" != "?" ]; then
    kills=$("$PYTHON" -c 'import ast,sys; print(ast.literal_eval(sys.argv[1])["kills"])' "$fake")
    violations=$("$PYTHON" -c 'import ast,sys; print(ast.literal_eval(sys.argv[1])["violations"])' "$fake")
    balance=$("$PYTHON" -c 'import ast,sys; f = ast.literal_eval(sys.argv[1])
print("%d %d %d" % (f["begins"], f["ends"], f["held"]))' "$fake")
else
    kills=$(grep -ci watchdog "$FERRY_ERR")
    [ "$kills" -gt 0 ] || kills="? (ferryd gone)"
    violations="? (ferryd gone)"
    balance="? (ferryd gone)"
fi

# pct P VALUES...: the P-th percentile (nearest rank) of VALUES.
pct() {
    local p=$1
    shift
    [ $# -gt 0 ] || { echo "-"; return; }
    printf '%s\n' "$@" | sort -g | awk -v p="$p" '{ v[NR] = $1 }
        END { r = int((p * NR + 99) / 100); if (r < 1) r = 1; print v[r] }'
}

echo "# ---- soak figures"
echo "# cycles:                       $c in ${t_cycles}s (expire ${paths[0]}, clock ran out ${paths[1]}, direct suspend ${paths[2]})"
echo "# bytes verified:               $bytes ($((bytes / 1048576)) MiB)"
echo "# files verified:               $files"
echo "# sha256 mismatches:            $bad"
echo "# downloads cut and resumed:    $cuts (other curl failures:${other:- none})"
echo "# stalled downloads:            $stalls"
echo "# assertion deadlines missed:   $kills (fake watchdog kills)"
echo "# violations:                   $violations"
echo "# assertions begun/ended/held:  $balance"
echo "# suspend latency ms:           p50 $(pct 50 ${SUSP_MS[@]+"${SUSP_MS[@]}"}) p99 $(pct 99 ${SUSP_MS[@]+"${SUSP_MS[@]}"}) max $(pct 100 ${SUSP_MS[@]+"${SUSP_MS[@]}"})"
echo "# resume-to-first-byte ms:      p50 $(pct 50 ${FB_MS[@]+"${FB_MS[@]}"}) p99 $(pct 99 ${FB_MS[@]+"${FB_MS[@]}"}) max $(pct 100 ${FB_MS[@]+"${FB_MS[@]}"})"
echo "# cycle errors:                 $errors (first request failures: $first_fail)"

want_c=$cycles
[ "$seconds" -gt 0 ] && [ "$c" -lt "$cycles" ] && [ "$t_cycles" -ge "$seconds" ] && want_c=$c
if [ "$c" -eq "$want_c" ] && [ "$c" -gt 0 ] && [ "$errors" -eq 0 ]; then
    pass "$c cycles, each back in the foreground on port $port0"
else
    fail "$c cycles, each back in the foreground on port $port0"
    diag "ran $c of $want_c cycles, $errors with errors (see above)"
fi
is "$first_fail" 0 "every first request after foreground was answered"
is "$bad" 0 "no sha256 mismatch ($files files verified)"
if [ "$bytes" -gt 0 ]; then
    pass "bytes were verified ($bytes)"
else
    fail "bytes were verified"
fi
is "$kills" 0 "no assertion deadline missed (watchdog kills)"
is "$violations" 0 "no violation"
like "$balance" '^([0-9]+) \1 0$' "every assertion begun was ended, none held"
is "$stalls" 0 "no download stalled (${T_STALL}s without a byte)"
# A soak whose clients were never cut tested nothing of the lifecycle.
if [ "$c" -lt 10 ]; then
    skip "downloads were cut and resumed" "fewer than 10 cycles"
elif [ "$cuts" -gt 0 ]; then
    pass "downloads were cut and resumed ($cuts)"
else
    fail "downloads were cut and resumed"
fi
if alive "$FERRY_PID"; then
    ferry_stop TERM
else
    { wait "$FERRY_PID"; } 2>/dev/null
    fail "ferryd exits 0 on SIGTERM"
    diag "ferryd died during the soak (status $?); its stderr:"
    diag_file "$FERRY_ERR"
    forget_pid "$FERRY_PID"
fi
if [ "$TAP_FAILED" -gt 0 ]; then
    diag "ferryd's stderr (last lines):"
    diag_file "$FERRY_ERR" 15
    for ((k = 1; k <= clients; k++)); do
        [ -s "$work/c$k.curlerr" ] && diag "client $k: $(sort "$work/c$k.curlerr" | uniq -c | sort -rn | head -n 3)"
    done
    [ "$TAP_PLANNED" = "$TAP_N" ] || diag "planned $TAP_PLANNED points but ran $TAP_N"
    diag "$TAP_FAILED of $TAP_N failed"
    exit 1
fi
finish
