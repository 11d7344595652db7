#!/bin/bash
# t-lifecycle.sh — the lifecycle of the real ferryd on the fake OS (iOS
# rules on a virtual clock), driven through its control socket by ferryctl
# and by real SIGSTOP/SIGCONT, while curl downloads and resumes:
#   1. the control socket and ferryctl: mode 0600, status is JSON, bad
#      commands are errors;
#   2. background with a download open -> finishing (assertion held, journal
#      written) -> expire -> quiet (listener closed, stream cut, assertion
#      ended) -> suspend + SIGSTOP (nothing answers) -> SIGCONT + resume ->
#      foreground on the same port, answering at once; curl -C - completes
#      the file (sha256);
#   3. background with nothing open lingers exactly 1000 ms, then goes quiet;
#   4. SIGTERM with nothing open: exit 0, no journal left;
#   5. an assertion held past its budget (hang 31000) -> the fake watchdog
#      SIGKILLs ferryd; a relaunch on the same state folder restores the
#      download from the journal, the client resumes, the entry goes away;
#   6. a corrupt journal is reported and ignored;
#   7. without the fake OS, the fake-only commands say so.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl
[ -x "$FERRYCTL" ] || bail_out "FERRYCTL=$FERRYCTL is not an executable (build it first)"

plan 55

root=$FERRY_TMP/root
dl=$FERRY_TMP/dl
mkdir "$root" "$dl"
head -c 67108864 /dev/urandom >"$root/big.bin" # 64 MiB
printf 'hello, lifecycle\n' >"$root/small.txt"
size=$(file_size "$root/big.bin")
want=$(sha256 "$root/big.bin")
T_WAIT=$((10 * T_SCALE)) # seconds of a bounded poll

# ---------------------------------------------------------------- helpers

# ctl_error DESC ERE CMD [ARG]: one point: ferryctl CMD exits 1 and prints
# "error: ..." matching ERE on stderr, nothing on stdout.
ctl_error() {
    local desc=$1 re=$2
    shift 2
    ctl "$@"
    if [ "$CTL_RC" -eq 1 ] && [[ $CTL_ERR =~ ^error:\ .*$re ]] &&
        [ -z "$CTL_OUT" ]; then
        pass "$desc"
    else
        fail "$desc"
        diag "ferryctl $*: exit $CTL_RC, stdout '$CTL_OUT', stderr '$CTL_ERR'" \
            "expected: exit 1, stderr matching /^error: .*$re/, no stdout"
        return 1
    fi
}

# ctl_status: ferryctl status into $STATUS_JSON (the JSON after "ok ").
STATUS_JSON=$FERRY_TMP/ctl-status.json
ctl_status() {
    ctl status
    printf '%s' "${CTL_OUT#ok }" >"$STATUS_JSON"
}

# cst EXPR: EXPR over a fresh `ferryctl status` (e.g. cst 'j["state"]').
cst() {
    ctl_status
    pyj "$STATUS_JSON" "$1"
}

# http_status: GET /.ferry/status into $HTTP_BODY (see http in lib.sh).
http_status() {
    http "$FERRY_BASE/.ferry/status"
}

# journal_ok DESC FILE PYTHON: one point. FILE must be a journal ("ferry-
# journal 1", JSON, "sha256 HEX" of every byte before that line); its JSON
# then goes through json_ok (lib.sh) with PYTHON.
journal_ok() {
    local desc=$1 file=$2 code=$3 body=$FERRY_TMP/journal-body.json out
    if ! out=$("$PYTHON" - "$file" "$body" 2>&1 <<'EOF_PY'
import hashlib, re, sys
try:
    raw = open(sys.argv[1], "rb").read()
except OSError as e:
    sys.exit("no journal: %s" % e)
m = re.fullmatch(rb"(ferry-journal 1\n(.*))\nsha256 ([0-9a-f]{64})\n", raw, re.S)
if not m:
    sys.exit("not a version-1 journal: %r" % raw[:300])
if hashlib.sha256(m.group(1)).hexdigest().encode() != m.group(3):
    sys.exit("bad checksum line: %r" % m.group(3))
open(sys.argv[2], "wb").write(m.group(2))
EOF_PY
    ); then
        fail "$desc"
        diag "$out"
        return 1
    fi
    json_ok "$desc" "$body" "$code"
}

# now_us: wall clock in microseconds.
now_us() {
    echo "${EPOCHREALTIME/./}"
}

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

# reap PID: bounded wait for a client (call it in the main shell, never in
# $(...)); sets REAP_RC to its exit status, or "hung" after killing it.
reap() {
    if wait_gone "$1" "$T_WAIT"; then
        wait "$1"
        REAP_RC=$?
    else
        kill -KILL "$1" 2>/dev/null
        wait "$1" 2>/dev/null
        REAP_RC=hung
    fi
    forget_pid "$1"
}

# first_request: the first request after `foreground` returned at $1 (us):
# GET small.txt once (no retry). One point (200 and the right body); the
# time from $1 to its first byte is a diagnostic.
first_request() {
    local t0=$1 w t_end out=$FERRY_TMP/first.body
    w=$(curl -q -sS --max-time "$T_CURL" -o "$out" \
        -w '%{http_code} %{time_starttransfer} %{time_total}' \
        "$FERRY_BASE/small.txt" 2>"$FERRY_TMP/first.err")
    t_end=$(now_us)
    if [ "${w%% *}" = 200 ] && cmp -s "$out" "$root/small.txt"; then
        pass "the first request after foreground is answered (no retry)"
    else
        fail "the first request after foreground is answered (no retry)"
        diag "curl: '$w' $(head -c 300 "$FERRY_TMP/first.err")"
    fi
    # first byte = end - (total - starttransfer)
    awk -v a="$t0" -v e="$t_end" -v w="$w" 'BEGIN { split(w, f, " ")
        printf "# diagnostic: foreground returned -> first byte: %.1f ms\n",
            (e - a) / 1000 - (f[3] - f[2]) * 1000 }'
}

etag_of() {
    curl -q -sS --max-time "$T_CURL" -I "$FERRY_BASE/$1" | tr -d '\r' |
        sed -n 's/^[Ee][Tt][Aa][Gg]: *//p'
}

# ---------------------------------------------------------------- 1. controls
state=$FERRY_TMP/state-a
SOCK=$FERRY_TMP/ctl-a.sock
ferry_start "$root" --os fake --control "$SOCK" --state-dir "$state" ||
    bail_out "ferryd --os fake --control did not start"
pid_a=$FERRY_PID
port_a=$FERRY_PORT

is "$(stat -c %a "$SOCK" 2>/dev/null)" 600 "the control socket has mode 0600"
ctl_status
json_ok "ferryctl status: ok + JSON with state, port and the fake OS's counters" \
    "$STATUS_JSON" "
assert j['state'] == 'foreground', j
assert j['port'] == $port_a, j
for k in ('kills', 'violations', 'held', 'begins', 'ends'):
    assert isinstance(j['fake_os'][k], int), (k, j)
assert j['fake_os']['kills'] == 0 and j['fake_os']['held'] == 0, j
"
ctl_error "an unknown command is an error" "unknown command" frobnicate
ctl_error "advance without a number is an error" "number" advance
ctl_error "advance -5 is an error" "number" advance -5
is "$(cst 'j["fake_os"]["now_ms"]')" 0 "the virtual clock did not move on bad commands"

# ---------------------------------------------------------------- 2. main
# A throttled download is under way when the app goes to the background.
etag=$(etag_of big.bin)
curl -q -sS --limit-rate 4M --max-time $((60 * T_SCALE)) \
    -o "$dl/main.bin" "$FERRY_BASE/big.bin" 2>"$FERRY_TMP/main.err" &
cpid=$!
track_pid "$cpid"
got=$(wait_size "$dl/main.bin" 1048576 "$cpid")
[ "$got" -ge 1048576 ] || diag "the download has only $got bytes"

ctl_ok background
http_status
json_ok "background with a download open: finishing, 1 assertion held, the download listed" \
    "$HTTP_BODY" "
assert j['state'] == 'finishing', j['state']
assert j['assertions']['held'] == 1, j['assertions']
d = [t for t in j['transfers'] if t['path'] == '/big.bin']
assert len(d) == 1 and d[0]['direction'] == 'download', j['transfers']
"
ok_if "the journal is written on entering finishing" test -s "$state/journal"

t0=$(now_us)
ctl expire
t1=$(now_us)
is "$CTL_RC" 0 "ferryctl expire: ok"
echo "# diagnostic: ferryctl expire took $(((t1 - t0) / 1000)).$((((t1 - t0) / 100) % 10)) ms"
ctl_status
json_ok "expire: quiet, no assertion held, every begin ended, no kill, no violation" \
    "$STATUS_JSON" "
assert j['state'] == 'quiet', j
f = j['fake_os']
assert f['held'] == 0 and f['begins'] == f['ends'] == 1, f
assert f['kills'] == 0 and f['violations'] == 0, f
"
reap "$cpid"
partial=$(file_size "$dl/main.bin" 2>/dev/null || echo 0)
like "$REAP_RC" '^(18|56)$' "the cut download: curl exits 18 or 56 (transfer cut)"
if [ "$partial" -gt 0 ] && [ "$partial" -lt "$size" ]; then
    pass "the cut download left a partial file ($partial of $size bytes)"
else
    fail "the cut download left a partial file"
    diag "partial size $partial, full $size"
fi
diag_file "$FERRY_TMP/main.err" 2
journal_ok "the journal lists the download (path, validator, range, total)" \
    "$state/journal" "
d = [t for t in j['transfers'] if t['path'] == '/big.bin']
assert len(d) == 1, j
d = d[0]
assert d['direction'] == 'download', d
assert d['validator'] == '''$etag''', (d['validator'], '''$etag''')
assert d['first'] == 0 and d['last'] == $size - 1 and d['total'] == $size, d
"
http "$FERRY_BASE/small.txt" --max-time 1
is "$HTTP_STATUS" 000 "quiet: the listener is closed (no HTTP answer)"

# Suspension for real: the fake OS reclaims the sockets, then the process
# stops.
ctl_ok suspend
is "$(cst 'j["state"]')" suspended "suspend: state suspended"
kill -STOP "$pid_a"
http "$FERRY_BASE/small.txt" --max-time 1
is "$HTTP_STATUS" 000 "stopped: a request gets no HTTP answer (curl exit $HTTP_RC)"
kill -CONT "$pid_a"
ctl_ok resume
is "$(cst 'j["state"]')" quiet "resume: state quiet (still in the background)"
ctl foreground
first_request "$(now_us)"
is "$CTL_RC" 0 "ferryctl foreground: ok"
ctl_status
json_ok "foreground: state foreground on the same port" "$STATUS_JSON" "
assert j['state'] == 'foreground' and j['port'] == $port_a, j"

curl -q -sS --max-time $((30 * T_SCALE)) -C - -D "$FERRY_TMP/resume.hdrs" \
    -o "$dl/main.bin" "$FERRY_BASE/big.bin" 2>"$FERRY_TMP/resume.err"
is "$?" 0 "curl -C - after resume exits 0"
like "$(tr -d '\r' <"$FERRY_TMP/resume.hdrs")" \
    "^HTTP/1\\.1 206 .*Content-Range: bytes $partial-$((size - 1))/$size" \
    "curl -C -: 206 from byte $partial"
sha256_is "$dl/main.bin" "$want" "the resumed file's sha256 matches"

# ---------------------------------------------------------------- 3. linger
ctl_ok background
is "$(cst 'j["state"]')" linger "background with nothing open: linger"
ctl advance 999
is "$(cst 'j["state"]')" linger "advance 999: still linger"
ctl advance 1
is "$(cst 'j["state"]')" quiet "advance 1 more (1000 ms): quiet"
ctl_ok foreground
http "$FERRY_BASE/small.txt"
is "$HTTP_STATUS" 200 "foreground after linger: serving again"
is "$(cst 'j["fake_os"]["kills"] + j["fake_os"]["violations"] + j["fake_os"]["held"]')" \
    0 "no kill, no violation, nothing held"

# ---------------------------------------------------------------- 4. SIGTERM
ferry_stop TERM "$pid_a"
ok_if "clean shutdown with nothing open leaves no journal" \
    test ! -e "$state/journal"

# ---------------------------------------------------------------- 5. watchdog
state=$FERRY_TMP/state-b
SOCK=$FERRY_TMP/ctl-b.sock
ferry_start "$root" --os fake --control "$SOCK" --state-dir "$state" ||
    bail_out "ferryd did not start (watchdog part)"
pid_b=$FERRY_PID
err_b=$FERRY_ERR
rm -f "$dl/wd.bin"
curl -q -sS --limit-rate 4M --max-time $((60 * T_SCALE)) \
    -o "$dl/wd.bin" "$FERRY_BASE/big.bin" 2>"$FERRY_TMP/wd.err" &
cpid=$!
track_pid "$cpid"
got=$(wait_size "$dl/wd.bin" 1048576 "$cpid")
[ "$got" -ge 1048576 ] || diag "the download has only $got bytes"
ctl background
is "$(cst 'j["state"]')" finishing "background with a download open: finishing"
journal_ok "the journal lists the download on entering finishing" "$state/journal" "
assert [t for t in j['transfers'] if t['path'] == '/big.bin'], j"
# ferryd dies while answering: no answer expected. The group's stderr
# swallows bash's "Killed" notice.
{
    ctl hang 31000
    if wait_gone "$pid_b" "$T_WAIT"; then
        wait "$pid_b"
        rc=$?
    else
        rc="still running after hang 31000"
    fi
} 2>/dev/null
forget_pid "$pid_b"
is "$rc" 137 "hang 31000 with an assertion held: the watchdog SIGKILLs ferryd"
ok_if "ferryd's stderr names the watchdog" grep -qi watchdog "$err_b"
diag "$(grep -i watchdog "$err_b" | head -n 2)"
reap "$cpid"
like "$REAP_RC" '^(18|56)$' "the killed server's client: curl exits 18 or 56"
partial=$(file_size "$dl/wd.bin" 2>/dev/null || echo 0)

# Relaunch on the same state folder (and the stale control socket path).
if ferry_start "$root" --os fake --control "$SOCK" --state-dir "$state"; then
    pass "ferryd relaunches on the same state folder and control socket path"
else
    fail "ferryd relaunches on the same state folder and control socket path"
    bail_out "no relaunch"
fi
http_status
json_ok "relaunch: the interrupted download is listed as restored" "$HTTP_BODY" "
d = [t for t in j['transfers'] if t['path'] == '/big.bin']
assert len(d) == 1, j['transfers']
d = d[0]
assert d['restored'] is True and d['direction'] == 'download', d
assert d['validator'] == '''$etag''', (d['validator'], '''$etag''')
assert d['total'] == $size, d
"
curl -q -sS --max-time $((30 * T_SCALE)) -C - -D "$FERRY_TMP/wd2.hdrs" \
    -o "$dl/wd.bin" "$FERRY_BASE/big.bin" 2>"$FERRY_TMP/wd2.err"
is "$?" 0 "curl -C - against the relaunched ferryd exits 0"
like "$(tr -d '\r' <"$FERRY_TMP/wd2.hdrs")" \
    "^HTTP/1\\.1 206 .*Content-Range: bytes $partial-$((size - 1))/$size" \
    "curl -C -: 206 from byte $partial"
sha256_is "$dl/wd.bin" "$want" "the file resumed across the kill: sha256 matches"
# The server may record the end of the transfer just after curl has the
# last byte: bounded poll.
for ((i = 0; i < 20 * T_WAIT; i++)); do
    http_status
    [ "$(pyj "$HTTP_BODY" 'any(t["restored"] for t in j["transfers"])')" = False ] &&
        break
    sleep 0.05
done
json_ok "after the resumed download, the restored entry is gone" "$HTTP_BODY" "
assert not [t for t in j['transfers'] if t['restored']], j['transfers']"
ferry_stop TERM

# ---------------------------------------------------------------- 6. corrupt
state=$FERRY_TMP/state-c
SOCK=$FERRY_TMP/ctl-c.sock
mkdir -m 0700 "$state"
{
    printf 'ferry-journal 1\n{"saved_ms": 0, "transfers": [{"id": 1, '
    head -c 300 /dev/urandom
} >"$state/journal"
if ferry_start "$root" --os fake --control "$SOCK" --state-dir "$state"; then
    pass "ferryd starts with a corrupt journal"
else
    fail "ferryd starts with a corrupt journal"
    bail_out "no start with a corrupt journal"
fi
# The warning is printed before the URL, but poll anyway (bounded).
for ((i = 0; i < 20 * T_WAIT; i++)); do
    grep -qi 'warn.*journal' "$FERRY_ERR" && break
    sleep 0.05
done
ok_if "a warning about the journal is logged" grep -qi 'warn.*journal' "$FERRY_ERR"
http_status
json_ok "no restored transfer from a corrupt journal" "$HTTP_BODY" "
assert not [t for t in j['transfers'] if t.get('restored')], j['transfers']"
# (On an instance of its own: if it were taken, the clock would be wrong.)
ctl_error "advance 99999999999999999999 (out of range) is an error" "" \
    advance 99999999999999999999
is "$(cst 'j["fake_os"]["now_ms"]')" 0 "the virtual clock did not move"
ferry_stop TERM

# ---------------------------------------------------------------- 7. --os none
SOCK=$FERRY_TMP/ctl-d.sock
ferry_start "$root" --control "$SOCK" --state-dir "$FERRY_TMP/state-d" ||
    bail_out "ferryd --control (no fake OS) did not start"
ctl_error "without --os fake, expire is an error naming --os fake" "--os fake" expire
ferry_stop TERM

finish
