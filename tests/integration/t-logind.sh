#!/bin/bash
# t-logind.sh — the real ferryd with --os logind against a mock
# systemd-logind (python3-dbusmock's logind template) on a private system
# bus that this test starts and stops (logind-mock.sh):
#   1. start: the sleep:shutdown delay lock is taken, InhibitDelayMaxUSec is
#      read;
#   2. PrepareForSleep(true) with a download in flight: ferry snapshots,
#      closes its listener, ends the stream, withdraws, and releases the
#      lock (logged within the budget; gone from ListInhibitors); the
#      journal lists the download; the process is then frozen (SIGSTOP) as
#      by a real sleep, and thawed;
#   3. PrepareForSleep(false): the lock is back, the same port and URL
#      answer, and curl -C - completes the file with the right sha256;
#   4. logind leaving the bus drops nothing else (ferry keeps serving) and
#      its return brings the lock back; the bus itself going and coming
#      back too;
#   5. a session of its own (XDG_SESSION_ID): locked with a download open
#      -> background, the idle block lock is held (never a sleep block);
#      unlocked -> foreground, the idle lock is released;
#   6. PrepareForShutdown(true): state saved, lock released, ferryd exits 0
#      by itself;
#   7. no logind: --os auto logs one line and serves; --os logind fails.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/logind-mock.sh"
need_cmd curl
lgd_require
# ferryd --os logind on a bus that does not exist exits at once and says why.
if DBUS_SYSTEM_BUS_ADDRESS=unix:path=$FERRY_TMP/no-bus.sock timeout -k 1 $((10 * T_SCALE)) \
    "$FERRYD" --os logind --port 0 --bind 127.0.0.1 --no-qr --auth open \
    --state-dir "$FERRY_TMP/probe-state" "$FERRY_SRCDIR/www" </dev/null 2>&1 >/dev/null |
    grep -q 'this build has no logind support'; then
    skip_all "ferryd was built without logind (configure --with-logind, libsystemd-dev)"
fi

plan 41

root=$FERRY_TMP/root
dl=$FERRY_TMP/dl
state=$FERRY_TMP/state
mkdir "$root" "$dl"
head -c 33554432 /dev/urandom >"$root/big.bin" # 32 MiB
printf 'hello, logind\n' >"$root/small.txt"
size=$(file_size "$root/big.bin")
want=$(sha256 "$root/big.bin")
T_WAIT=$((10 * T_SCALE))
DELAY_US=3000000 # the mock's InhibitDelayMaxUSec: 3 s

# wait_size FILE BYTES PID: polls (bounded) until FILE has BYTES bytes or
# PID has exited. Prints the size reached.
wait_size() {
    local i got=0
    for ((i = 0; i < 20 * T_WAIT; i++)); do
        got=$(stat -c %s "$1" 2>/dev/null || echo 0)
        [ "$got" -ge "$2" ] && break
        alive "$3" || break
        sleep 0.05
    done
    echo "$got"
}

# reap PID: bounded wait for a client; REAP_RC is its exit status or "hung".
reap() {
    if wait_gone "$1" "$T_WAIT"; then
        { wait "$1"; } 2>/dev/null
        REAP_RC=$?
    else
        kill -KILL "$1" 2>/dev/null
        { wait "$1"; } 2>/dev/null
        REAP_RC=hung
    fi
    forget_pid "$1"
}

# wait_log ERE [FILE]: polls (bounded) until ferryd's stderr has a line
# matching ERE; prints the last such line.
wait_log() {
    local i f=${2:-$FERRY_ERR}
    for ((i = 0; i < 20 * T_WAIT; i++)); do
        grep -Eq "$1" "$f" 2>/dev/null && break
        sleep 0.05
    done
    grep -E "$1" "$f" 2>/dev/null | tail -n 1
}

# status_state: the lifecycle state in /.ferry/status ("?" when no answer).
status_state() {
    http "$FERRY_BASE/.ferry/status" --max-time 2
    pyj "$HTTP_BODY" 'j["state"]'
}

# journal_json FILE: the JSON of a version-1 journal (checksum checked).
journal_json() {
    "$PYTHON" - "$1" <<'EOF_PY'
import hashlib, re, sys
raw = open(sys.argv[1], "rb").read()
m = re.fullmatch(rb"(ferry-journal 1\n(.*))\nsha256 ([0-9a-f]{64})\n", raw, re.S)
assert m and hashlib.sha256(m.group(1)).hexdigest().encode() == m.group(3), raw[:200]
sys.stdout.write(m.group(2).decode())
EOF_PY
}

lgd_bus_start || bail_out "no private system bus"
lgd_mock_start "$DELAY_US" || bail_out "no logind mock"

# ---------------------------------------------------------------- 1. start
ferry_start "$root" --os logind --state-dir "$state" ||
    bail_out "ferryd --os logind did not start"
port=$FERRY_PORT
url=$FERRY_URL
lgd_wait_locks "sleep:shutdown:delay" 5
is "$LGD_LOCKS" "sleep:shutdown:delay" "start: ferry holds one sleep:shutdown delay lock"
like "$(wait_log 'delay lock taken')" 'InhibitDelayMaxUSec 3000 ms' \
    "start: InhibitDelayMaxUSec is read (3000 ms)"

# ---------------------------------------------------------------- 2. sleep
curl -q -sS --limit-rate 2M --max-time $((60 * T_SCALE)) \
    -o "$dl/big.bin" "$FERRY_BASE/big.bin" 2>"$FERRY_TMP/dl.err" &
cpid=$!
track_pid "$cpid"
got=$(wait_size "$dl/big.bin" 1048576 "$cpid")
[ "$got" -ge 1048576 ] || diag "the download has only $got bytes"

lgd_emit PrepareForSleep true >/dev/null
lgd_wait_locks "" 5
is "$LGD_LOCKS" "" "PrepareForSleep(true): the delay lock is released"
line=$(wait_log 'PrepareForSleep\(true\)')
ms=$(sed -n 's/.*quiet in \([0-9]*\) ms.*/\1/p' <<<"$line")
if [ -n "$ms" ] && [ "$ms" -lt $((DELAY_US / 1000)) ]; then
    pass "PrepareForSleep(true): quiet and released within the budget ($ms ms of 3000)"
else
    fail "PrepareForSleep(true): quiet and released within the budget"
    diag "log: '$line'"
fi
# Order, from ferryd's own log: snapshot/quiesce/withdraw before the release.
quiet_at=$(grep -nE 'will-suspend: .*snapshot quiesce close-connections withdraw' "$FERRY_ERR" |
    head -n 1 | cut -d: -f1)
release_at=$(grep -n 'sleep lock released' "$FERRY_ERR" | head -n 1 | cut -d: -f1)
if [ -n "$quiet_at" ] && [ -n "$release_at" ] && [ "$quiet_at" -lt "$release_at" ]; then
    pass "the lifecycle went quiet (snapshot, quiesce, withdraw) before the lock was released"
else
    fail "the lifecycle went quiet (snapshot, quiesce, withdraw) before the lock was released"
    diag "log lines: quiet at '$quiet_at', release at '$release_at'"
    diag_file "$FERRY_ERR"
fi
reap "$cpid"
partial=$(file_size "$dl/big.bin" 2>/dev/null || echo 0)
like "$REAP_RC" '^(18|56)$' "the download in flight is ended (curl exits 18 or 56)"
if [ "$partial" -gt 0 ] && [ "$partial" -lt "$size" ]; then
    pass "it left a partial file ($partial of $size bytes)"
else
    fail "it left a partial file"
    diag "partial $partial, full $size"
fi
jj=$FERRY_TMP/journal.json
journal_json "$state/journal" >"$jj" 2>"$FERRY_TMP/journal.err"
json_ok "the journal, written before the release, lists the download" "$jj" "
d = [t for t in j['transfers'] if t['path'] == '/big.bin']
assert len(d) == 1 and d[0]['direction'] == 'download', j
assert d[0]['total'] == $size, d
"
http "$FERRY_BASE/small.txt" --max-time 2
is "$HTTP_STATUS" 000 "asleep: the listener is closed (no answer)"

# The machine sleeps: the process is frozen for real, then thawed.
kill -STOP "$FERRY_PID"
kill -CONT "$FERRY_PID"

# ---------------------------------------------------------------- 3. wake
lgd_emit PrepareForSleep false >/dev/null
lgd_wait_locks "sleep:shutdown:delay" 5
is "$LGD_LOCKS" "sleep:shutdown:delay" "PrepareForSleep(false): the delay lock is taken again"
wait_log 'PrepareForSleep\(false\)' >/dev/null
is "$(status_state)" foreground "awake: /.ferry/status answers on the same port ($port): foreground"
http "$url" --max-time 2
is "$HTTP_STATUS" 200 "the URL printed at start ($url) answers again"
curl -q -sS -C - --max-time $((60 * T_SCALE)) -o "$dl/big.bin" "$FERRY_BASE/big.bin" \
    2>"$FERRY_TMP/resume.err"
is "$?" 0 "curl -C - resumes the download"
is "$(sha256 "$dl/big.bin")" "$want" "the resumed file is byte for byte the original (sha256)"
like "$(grep -c '"GET /big.bin" 206' "$FERRY_ERR")" '^[1-9]' "the resumption was a Range request (206 in the access log)"

# ---------------------------------------------------------------- 4. logind and the bus go away
lgd_mock_kill
like "$(wait_log 'login1 left the bus')" 'left the bus' "logind leaves the bus: ferry says so"
http "$FERRY_BASE/small.txt"
is "$HTTP_STATUS" 200 "without logind ferry keeps serving"
lgd_mock_start "$DELAY_US" || bail_out "the logind mock did not come back"
lgd_wait_locks "sleep:shutdown:delay" 10
is "$LGD_LOCKS" "sleep:shutdown:delay" "logind is back: the delay lock is taken again"
lgd_bus_kill
like "$(wait_log 'system bus connection was lost')" 'lost' "the system bus goes away: ferry says so"
http "$FERRY_BASE/small.txt"
is "$HTTP_STATUS" 200 "without a bus ferry keeps serving"
lgd_bus_start || bail_out "the bus did not come back"
lgd_mock_start "$DELAY_US" || bail_out "the logind mock did not come back"
lgd_wait_locks "sleep:shutdown:delay" 15
is "$LGD_LOCKS" "sleep:shutdown:delay" "the bus is back: ferry reconnects and takes the lock again"
ferry_stop TERM
is "$(lgd_ferry_locks)" "" "SIGTERM: every lock is released"

# ---------------------------------------------------------------- 5. session idle/locked
lgd_session_add c7 || diag "AddSession failed"
XDG_SESSION_ID=c7 ferry_start "$root" --os logind --state-dir "$state" ||
    bail_out "ferryd with a session did not start"
like "$(wait_log 'following session c7')" 'c7' "ferry follows its own session (XDG_SESSION_ID)"
rm -f "$dl/big.bin"
curl -q -sS --limit-rate 1M --max-time $((60 * T_SCALE)) \
    -o "$dl/big.bin" "$FERRY_BASE/big.bin" 2>"$FERRY_TMP/dl2.err" &
cpid=$!
track_pid "$cpid"
got=$(wait_size "$dl/big.bin" 524288 "$cpid")
lgd_session_set c7 LockedHint true >/dev/null
lgd_wait_locks "idle:block,sleep:shutdown:delay" 5
is "$LGD_LOCKS" "idle:block,sleep:shutdown:delay" \
    "session locked with a download open: the idle block lock is held (and no sleep block)"
is "$(status_state)" finishing "locked: the lifecycle is finishing (background, transfer open)"
lgd_session_set c7 LockedHint false >/dev/null
lgd_wait_locks "sleep:shutdown:delay" 5
is "$LGD_LOCKS" "sleep:shutdown:delay" "unlocked: the idle lock is released"
is "$(status_state)" foreground "unlocked: foreground"
lgd_session_set c7 IdleHint true >/dev/null
lgd_wait_locks "idle:block,sleep:shutdown:delay" 5
is "$LGD_LOCKS" "idle:block,sleep:shutdown:delay" "session idle with a download open: the idle lock again"
lgd_session_set c7 IdleHint false >/dev/null
lgd_wait_locks "sleep:shutdown:delay" 5
is "$LGD_LOCKS" "sleep:shutdown:delay" "active again: the idle lock is released"
kill -PIPE "$cpid" 2>/dev/null # (bash reports no SIGPIPE death)
reap "$cpid"

# ---------------------------------------------------------------- 6. shutdown
lgd_emit PrepareForShutdown true >/dev/null
if wait_gone "$FERRY_PID" "$T_STOP"; then
    wait "$FERRY_PID"
    is "$?" 0 "PrepareForShutdown(true): ferryd exits 0 by itself"
else
    fail "PrepareForShutdown(true): ferryd exits 0 by itself"
    diag_file "$FERRY_ERR"
fi
forget_pid "$FERRY_PID"
like "$(grep -E 'will-terminate|PrepareForShutdown' "$FERRY_ERR" | paste -sd'|' -)" \
    'will-terminate: .*snapshot.*\|.*PrepareForShutdown\(true\): state saved, lock released' \
    "shutdown: the state is saved, then the lock is released"
is "$(lgd_ferry_locks)" "" "after shutdown ferry holds no lock"

# ---------------------------------------------------------------- 7. no logind
lgd_mock_kill
ferry_start "$root" --os auto --state-dir "$state" || bail_out "ferryd --os auto did not start without logind"
is "$(grep -c 'logind' "$FERRY_ERR")" 1 "--os auto (ferryd's default) without logind: exactly one log line about it"
like "$(grep 'logind' "$FERRY_ERR")" 'not on the system bus.*go unnoticed' "that line says what is missing"
http "$FERRY_BASE/small.txt"
is "$HTTP_STATUS" 200 "and ferryd serves"
ferry_stop TERM
"$FERRYD" --os logind --port 0 --bind 127.0.0.1 --no-qr --auth open --state-dir "$state" \
    "$root" </dev/null >"$FERRY_TMP/forced.out" 2>"$FERRY_TMP/forced.err" &
fpid=$!
track_pid "$fpid"
reap "$fpid"
is "$REAP_RC" 1 "--os logind without logind: ferryd exits 1"
like "$(cat "$FERRY_TMP/forced.err")" 'ferryd: --os logind: .*not reachable' "and says why"
out=$("$FERRYD" --os sleepy "$root" 2>&1 </dev/null)
is "$?" 2 "--os sleepy: a usage error (exit 2)"
like "$out" "os 'sleepy' is not 'auto', 'logind', 'none' or 'fake'" "that names the choices"

finish
