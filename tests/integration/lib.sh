# lib.sh — the shared harness of ferry's integration tests.
#
# Sourced (never run) by tests/integration/t-*.sh, which start the real
# ferryd on a port of their own (--port 0, read back from its stdout) and
# talk to it with real clients. This file owns:
#   - the test's temp dir ($FERRY_TMP, made with mktemp -d, removed on exit
#     unless FERRY_TEST_KEEP is set);
#   - every process the test starts: ferryd instances (ferry_start) and
#     clients registered with track_pid. On exit, also after a failure, each
#     one still running is sent SIGCONT (it may have been stopped), SIGTERM,
#     then SIGKILL, by its PID only, and waited for;
#   - TAP output: plan, ok / not ok with a counter, is / like comparisons
#     that print got and expected as "# " diagnostics, skip, bail_out;
#   - small helpers: curl with timeouts (http), header lookup (hdr), byte
#     slices and sha256 comparison.
#
# Environment (as set by `make check`; all optional when run by hand):
#   FERRYD              the ferryd to test (default $FERRY_BUILDDIR/ferryd)
#   FERRY_SRCDIR        the source tree (default: two levels above this file)
#   FERRY_BUILDDIR      the build tree (default: $FERRY_SRCDIR/build)
#   FERRY_TEST_WRAPPER  a command that ferryd is run under, e.g.
#                       "valgrind --error-exitcode=99 --leak-check=full" or
#                       "gdb -batch -ex run --args" (-return-child-result is
#                       added, so that a crash fails the test). Parsed with
#                       shell quoting; a libtool wrapper script is run through
#                       `libtool --mode=execute`. Timeouts are multiplied by
#                       10 when it is set.
#   FERRY_TEST_TIMEOUT_SCALE  overrides that multiplier.
#   FERRY_TEST_KEEP     keep the temp dir and print its name.
#   FERRYCTL            the ferryctl beside FERRYD by default.
#
# A script that leaves something more to undo (a mount) sets
# FERRY_CLEANUP_HOOK to a command; it runs after every process is stopped
# and before the temp dir is removed.
#
# Rules for scripts: `#!/bin/bash` + `set -u`, no `set -e` (a failure must be
# reported as "not ok" and the cleanup must still run); call ferry_start in
# the main shell, never in $(...) or a pipeline, so that its PID can be
# waited for; end with `finish`.
#
# shellcheck shell=bash disable=SC2034 # variables set here are for the scripts

set -u

FERRY_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${FERRY_SRCDIR:=$(cd "$FERRY_LIB_DIR/../.." && pwd)}"
: "${FERRY_BUILDDIR:=$FERRY_SRCDIR/build}"
: "${FERRYD:=$FERRY_BUILDDIR/ferryd}"
: "${FERRYCTL:=$(dirname "$FERRYD")/ferryctl}"
: "${FERRY_TEST_WRAPPER:=}"
export FERRYD FERRYCTL FERRY_SRCDIR FERRY_BUILDDIR

if [ -n "${FERRY_TEST_TIMEOUT_SCALE:-}" ]; then
    T_SCALE=$FERRY_TEST_TIMEOUT_SCALE
elif [ -n "$FERRY_TEST_WRAPPER" ]; then
    T_SCALE=10
else
    T_SCALE=1
fi
T_START=$((10 * T_SCALE)) # seconds to wait for the URL line
T_STOP=$((10 * T_SCALE))  # seconds to wait for a clean exit
T_CURL=$((10 * T_SCALE))  # --max-time of one ordinary request
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

# Loopback only: no proxy may stand between the clients and ferryd.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*' NO_PROXY='*'

# ---------------------------------------------------------------- TAP

TAP_N=0        # points printed so far
TAP_FAILED=0   # of which "not ok"
TAP_PLANNED="" # the plan, once printed

# plan N: prints the plan line "1..N". Call it once, before any point.
plan() {
    TAP_PLANNED=$1
    echo "1..$1"
}

# skip_all REASON: the whole script is skipped ("1..0 # SKIP REASON").
skip_all() {
    echo "1..0 # SKIP $*"
    TAP_PLANNED=0
    exit 0
}

# bail_out REASON: stops the test; the TAP driver reports an error.
bail_out() {
    echo "Bail out! $*"
    TAP_PLANNED=bailed
    exit 1
}

# diag TEXT...: prints each line of each TEXT as a "# " diagnostic.
diag() {
    local line
    printf '%s\n' "$@" | while IFS= read -r line; do
        printf '# %s\n' "$line"
    done
}

# diag_file FILE [MAXLINES]: the last MAXLINES (default 20) lines of FILE as
# diagnostics, non-printable bytes shown as '?'.
diag_file() {
    local f=$1 max=${2:-20}
    if [ ! -e "$f" ]; then
        diag "($f does not exist)"
        return
    fi
    tail -n "$max" -- "$f" | tr -c '[:print:]\n\t' '?' | head -c 4000 |
        sed 's/^/#   /'
    [ -z "$(tail -c 1 -- "$f")" ] || echo # end an unterminated last line
}

tap_desc_() {
    # '#' would start a TAP directive inside a description.
    local d=${*//\#/\\#}
    printf '%s' "${d//$'\n'/ }"
}

# pass DESC / fail DESC: one point.
pass() {
    TAP_N=$((TAP_N + 1))
    echo "ok $TAP_N - $(tap_desc_ "$*")"
}
fail() {
    TAP_N=$((TAP_N + 1))
    TAP_FAILED=$((TAP_FAILED + 1))
    echo "not ok $TAP_N - $(tap_desc_ "$*")"
}

# skip DESC REASON: a point that was not run.
skip() {
    TAP_N=$((TAP_N + 1))
    echo "ok $TAP_N - $(tap_desc_ "$1") # SKIP $2"
}

# ok_if DESC COMMAND [ARGS...]: ok when COMMAND exits 0. What COMMAND
# prints (stdout and stderr) is shown as diagnostics when it fails.
ok_if() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then
        pass "$desc"
    else
        fail "$desc"
        diag "command failed: $*"
        [ -z "$out" ] || diag "$(printf '%s' "$out" | head -c 4000)"
        return 1
    fi
}

# is GOT EXPECTED DESC: string equality.
is() {
    if [ "$1" = "$2" ]; then
        pass "$3"
    else
        fail "$3"
        diag "     got: '$1'" "expected: '$2'"
        return 1
    fi
}

# isnt GOT UNEXPECTED DESC
isnt() {
    if [ "$1" != "$2" ]; then
        pass "$3"
    else
        fail "$3"
        diag "     got: '$1'" "expected anything else"
        return 1
    fi
}

# like GOT ERE DESC: GOT matches the extended regular expression ERE.
like() {
    if [[ $1 =~ $2 ]]; then
        pass "$3"
    else
        fail "$3"
        diag "     got: '$(printf '%s' "$1" | head -c 2000)'" \
            "expected to match: /$2/"
        return 1
    fi
}

# unlike GOT ERE DESC
unlike() {
    if [[ $1 =~ $2 ]]; then
        fail "$3"
        diag "     got: '$(printf '%s' "$1" | head -c 2000)'" \
            "expected not to match: /$2/"
        return 1
    fi
    pass "$3"
}

# finish: every script ends with it. Failures are reported by the "not ok"
# lines; the exit status is non-zero only when the plan was not kept, so that
# the TAP driver does not count each failing script twice.
finish() {
    if [ -n "$TAP_PLANNED" ] && [ "$TAP_PLANNED" != "$TAP_N" ]; then
        diag "planned $TAP_PLANNED points but ran $TAP_N"
        exit 1
    fi
    [ "$TAP_FAILED" -eq 0 ] || diag "$TAP_FAILED of $TAP_N failed"
    exit 0
}

# ---------------------------------------------------------------- processes

FERRY_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ferry-test.XXXXXX") ||
    bail_out "mktemp -d failed"
# ferryd's default state folder (journal) goes into the test's temp folder,
# never into $HOME, and is shared by the ferryd instances of one script.
export XDG_STATE_HOME=$FERRY_TMP/xdg-state
FERRY_PIDS=()  # every ferryd (or its wrapper) this test started
CLIENT_PIDS=() # every client registered with track_pid
FERRY_N=0      # how many ferryd were started (names the log files)

# alive PID: the process exists and is not a zombie.
alive() {
    local st
    kill -0 "$1" 2>/dev/null || return 1
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ "$st" != Z ]
}

# wait_gone PID SECONDS: polls (0.05 s steps) until PID has exited.
# Returns 1 if it is still running after SECONDS.
wait_gone() {
    local pid=$1 i n=$(($2 * 20))
    for ((i = 0; i < n; i++)); do
        alive "$pid" || return 0
        sleep 0.05
    done
    alive "$pid" && return 1
    return 0
}

# track_pid PID: kill PID on exit if it is still running.
track_pid() {
    CLIENT_PIDS+=("$1")
}

# spawn_py SCRIPT ARGS...: runs /usr/bin/python3 SCRIPT ARGS... in the
# background with its stdin and stdout on FIFOs (a coproc's variables go
# away when it ends, which `set -u` turns into an exit). Sets PY_PID, PY_IN
# (write lines to it) and PY_OUT (read its lines from it); the previous
# one's are closed.
spawn_py() {
    local f
    [ -z "${PY_IN:-}" ] || exec {PY_IN}>&- {PY_OUT}<&-
    f=$(mktemp -u "$FERRY_TMP/py.XXXXXX")
    mkfifo "$f.in" "$f.out"
    "$PYTHON" "$@" <"$f.in" >"$f.out" 2>&1 &
    PY_PID=$!
    track_pid "$PY_PID"
    exec {PY_IN}>"$f.in" {PY_OUT}<"$f.out"
}

# forget_pid PID: the test has reaped PID itself (e.g. a ferryd that was
# meant to die): drop it from the lists, so that cleanup never signals a
# PID that may have been reused by then.
forget_pid() {
    local p rest=()
    for p in ${FERRY_PIDS[@]+"${FERRY_PIDS[@]}"}; do
        [ "$p" = "$1" ] || rest+=("$p")
    done
    FERRY_PIDS=(${rest[@]+"${rest[@]}"})
    rest=()
    for p in ${CLIENT_PIDS[@]+"${CLIENT_PIDS[@]}"}; do
        [ "$p" = "$1" ] || rest+=("$p")
    done
    CLIENT_PIDS=(${rest[@]+"${rest[@]}"})
}

# signal_target PID: the process that should get signals meant for ferryd.
# It is PID itself, except under gdb, where it is gdb's child.
signal_target() {
    local pid=$1 comm child
    comm=$(cat "/proc/$pid/comm" 2>/dev/null)
    if [ "$comm" = gdb ]; then
        child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null)
        child=${child%% *}
        [ -n "$child" ] && pid=$child
    fi
    echo "$pid"
}

# stop_pid PID: SIGCONT (a test may have stopped it with SIGSTOP, which
# would hold the SIGTERM back), SIGTERM, bounded wait, SIGKILL; reaps PID.
# Used by cleanup.
stop_pid() {
    local pid=$1 target
    if alive "$pid"; then
        target=$(signal_target "$pid")
        kill -CONT "$target" "$pid" 2>/dev/null
        kill -TERM "$target" 2>/dev/null
        [ "$target" != "$pid" ] && kill -TERM "$pid" 2>/dev/null
        if ! wait_gone "$pid" 5; then
            kill -KILL "$pid" 2>/dev/null
            [ "$target" != "$pid" ] && kill -KILL "$target" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null
}

ferry_cleanup_() {
    local rc=$? pid
    trap - EXIT
    for pid in ${CLIENT_PIDS[@]+"${CLIENT_PIDS[@]}"}; do
        stop_pid "$pid"
    done
    for pid in ${FERRY_PIDS[@]+"${FERRY_PIDS[@]}"}; do
        stop_pid "$pid"
    done
    [ -z "${FERRY_CLEANUP_HOOK:-}" ] || eval "$FERRY_CLEANUP_HOOK"
    if [ -n "${FERRY_TEST_KEEP:-}" ]; then
        echo "# kept $FERRY_TMP"
    else
        chmod -R u+rwx "$FERRY_TMP" 2>/dev/null
        rm -rf "$FERRY_TMP"
    fi
    exit "$rc"
}
trap ferry_cleanup_ EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ferry_argv_ ARGS...: fills FERRY_ARGV with the command that runs ferryd
# with ARGS, under FERRY_TEST_WRAPPER if set. A libtool wrapper script is
# run through `libtool --mode=execute` so that the wrapper (valgrind, gdb)
# sees the real binary.
ferry_argv_() {
    local wrap=()
    FERRY_ARGV=()
    if [ -n "$FERRY_TEST_WRAPPER" ]; then
        eval "wrap=($FERRY_TEST_WRAPPER)"
        # gdb -batch exits 0 even when ferryd crashed, unless told otherwise.
        if [ "${wrap[0]##*/}" = gdb ] &&
            [[ " ${wrap[*]} " != *" -return-child-result "* ]]; then
            wrap=(gdb -return-child-result "${wrap[@]:1}")
        fi
        if head -c 4096 "$FERRYD" 2>/dev/null |
            grep -q 'temporary wrapper script' &&
            [ -x "$(dirname "$FERRYD")/libtool" ]; then
            FERRY_ARGV=("$(dirname "$FERRYD")/libtool" --mode=execute)
        fi
    fi
    FERRY_ARGV+=(${wrap[@]+"${wrap[@]}"} "$FERRYD" "$@")
}

# ferry_run ARGS...: runs ferryd to completion (bounded by T_START seconds,
# for options that must make it exit at once). Sets RUN_RC (124 when it
# had to be killed), RUN_OUT and RUN_ERR (file names).
RUN_N=0
ferry_run() {
    RUN_N=$((RUN_N + 1))
    RUN_OUT=$FERRY_TMP/run.$RUN_N.out
    RUN_ERR=$FERRY_TMP/run.$RUN_N.err
    ferry_argv_ "$@"
    timeout -k 2 "$T_START" "${FERRY_ARGV[@]}" \
        </dev/null >"$RUN_OUT" 2>"$RUN_ERR"
    RUN_RC=$?
}

# ferry_start_argv ARGS...: starts ferryd with exactly ARGS in the
# background and polls (0.05 s steps, at most T_START s) for the first URL on
# its stdout that matches FERRY_URL_RE (a grep BRE; default the loopback IPv4
# one, 'http://127\.0\.0\.1:[0-9]*/'). On success sets FERRY_PID, FERRY_URL
# (e.g. "http://127.0.0.1:PORT/"), FERRY_BASE (FERRY_URL without the final
# '/'), FERRY_PORT, FERRY_OUT and FERRY_ERR (stdout/stderr files) and
# returns 0. On failure prints diagnostics and returns 1 (ferryd is stopped).
# Unless ARGS hold an --auth option, `--auth open` is put first, so that the
# suites that test something else than access control are not refused
# (t-auth.sh tests the other modes).
FERRY_URL_RE='http://127\.0\.0\.1:[0-9]*/'
ferry_start_argv() {
    local i n=$((T_START * 20)) url=""
    if [ ! -x "$FERRYD" ]; then
        diag "FERRYD=$FERRYD is not an executable (build it first)"
        return 1
    fi
    FERRY_N=$((FERRY_N + 1))
    FERRY_OUT=$FERRY_TMP/ferryd.$FERRY_N.out
    FERRY_ERR=$FERRY_TMP/ferryd.$FERRY_N.err
    # --os none unless the test says otherwise: the default (auto) would
    # follow the machine's own logind (its locks, and a developer's idle or
    # locked session) when the tests run on a desktop.
    local os=()
    case " $* " in
    *" --os "* | *" --os="*) ;;
    *) os=(--os none) ;;
    esac
    case " $* " in
    *" --auth "* | *" --auth="*) ferry_argv_ "${os[@]}" "$@" ;;
    *) ferry_argv_ --auth open "${os[@]}" "$@" ;;
    esac
    "${FERRY_ARGV[@]}" </dev/null >"$FERRY_OUT" 2>"$FERRY_ERR" &
    FERRY_PID=$!
    FERRY_PIDS+=("$FERRY_PID")
    for ((i = 0; i < n; i++)); do
        url=$(grep -m1 -o "$FERRY_URL_RE" "$FERRY_OUT" 2>/dev/null)
        [ -n "$url" ] && break
        alive "$FERRY_PID" || break
        sleep 0.05
    done
    if [ -z "$url" ]; then
        url=$(grep -m1 -o "$FERRY_URL_RE" "$FERRY_OUT" 2>/dev/null)
    fi
    if [ -z "$url" ]; then
        if alive "$FERRY_PID"; then
            diag "ferryd printed no URL matching $FERRY_URL_RE within" \
                "${T_START}s (is stdout flushed when it is not a tty?)"
        else
            wait "$FERRY_PID"
            diag "ferryd exited with status $? before printing its URL"
        fi
        diag "command: ${FERRY_ARGV[*]}" "stdout:"
        diag_file "$FERRY_OUT"
        diag "stderr:"
        diag_file "$FERRY_ERR"
        stop_pid "$FERRY_PID"
        return 1
    fi
    FERRY_URL=$url
    FERRY_BASE=${url%/}
    FERRY_PORT=${FERRY_BASE##*:}
    return 0
}

# ferry_start DIR [OPTIONS...]: ferry_start_argv with the standard options
# (--bind 127.0.0.1 --port 0 --no-qr --log-level info), OPTIONS, then DIR.
ferry_start() {
    local dir=$1
    shift
    ferry_start_argv --bind 127.0.0.1 --port 0 --no-qr --log-level info \
        "$@" "$dir"
}

# ferry_stop [SIGNAL [PID]]: stops a ferryd (default: the last started) with
# SIGNAL (default TERM) and prints one point: it must exit 0 within T_STOP
# seconds. A crash or a hang at shutdown fails the test.
ferry_stop() {
    local sig=${1:-TERM} pid=${2:-$FERRY_PID} target rc p rest=()
    local err=$FERRY_ERR
    [ "$pid" = "$FERRY_PID" ] || err=""
    target=$(signal_target "$pid")
    kill "-$sig" "$target" 2>/dev/null
    if wait_gone "$pid" "$T_STOP"; then
        wait "$pid"
        rc=$?
        if [ "$rc" -eq 0 ]; then
            pass "ferryd exits 0 on SIG$sig"
        else
            fail "ferryd exits 0 on SIG$sig"
            diag "exit status $rc"
            [ -n "$err" ] && diag_file "$err"
        fi
    else
        fail "ferryd exits 0 on SIG$sig"
        diag "still running ${T_STOP}s after SIG$sig; killed"
        kill -KILL "$pid" "$target" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    for p in "${FERRY_PIDS[@]}"; do
        [ "$p" = "$pid" ] || rest+=("$p")
    done
    FERRY_PIDS=(${rest[@]+"${rest[@]}"})
}

# ---------------------------------------------------------------- HTTP

# http [CURL ARGS...] URL: one request with curl (no ~/.curlrc, --max-time
# T_CURL, raw path, no globbing). Sets HTTP_STATUS ("000" when no response), HTTP_RC
# (curl's exit status), HTTP_HDRS and HTTP_BODY (files of the last
# response's headers and body).
HTTP_HDRS=$FERRY_TMP/http.hdrs
HTTP_BODY=$FERRY_TMP/http.body
HTTP_CURLERR=$FERRY_TMP/http.curlerr
http() {
    : >"$HTTP_HDRS"
    : >"$HTTP_BODY"
    HTTP_STATUS=$(curl -q -sS --globoff --path-as-is --max-time "$T_CURL" \
        -o "$HTTP_BODY" -D "$HTTP_HDRS" -w '%{http_code}' "$@" \
        2>"$HTTP_CURLERR")
    HTTP_RC=$?
    [ -n "$HTTP_STATUS" ] || HTTP_STATUS=000
    return 0
}

# hdr NAME: the value of header NAME in HTTP_HDRS (first occurrence,
# case-insensitive, CR and surrounding blanks removed); empty if absent.
hdr() {
    tr -d '\r' <"$HTTP_HDRS" | awk -v n="$1" '
        BEGIN { n = tolower(n) }
        { i = index($0, ":"); if (i == 0) next
          if (tolower(substr($0, 1, i - 1)) == n) {
              v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
              print v; exit } }'
}

# hdr_count NAME: how many times header NAME occurs in HTTP_HDRS.
hdr_count() {
    tr -d '\r' <"$HTTP_HDRS" | grep -ic "^$1:"
}

# raw_http REQUEST: sends the bytes REQUEST (printf %b escapes such as \r\n
# are expanded) on a new connection to FERRY_PORT and reads until the server
# closes (at most T_CURL s): send "Connection: close" in REQUEST. Sets RAW_STATUS (the status
# code, "000" if none), RAW_RESP (file of the whole response) and
# RAW_BODY_LEN (bytes after the first blank line; -1 if there is none).
RAW_REQ=$FERRY_TMP/raw.req
RAW_RESP=$FERRY_TMP/raw.resp
raw_http() {
    printf '%b' "$1" >"$RAW_REQ"
    : >"$RAW_RESP"
    "$PYTHON" - "$FERRY_PORT" "$RAW_REQ" "$RAW_RESP" "$T_CURL" <<'EOF_PY' 2>/dev/null
import socket, sys, time
port, req, out, limit = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
data = b""
deadline = time.monotonic() + limit
try:
    s = socket.create_connection(("127.0.0.1", port), timeout=limit)
    s.sendall(open(req, "rb").read())
    while time.monotonic() < deadline:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except OSError:
    pass
open(out, "wb").write(data)
EOF_PY
    RAW_STATUS=$(head -n 1 "$RAW_RESP" | tr -d '\r' |
        sed -n 's/^HTTP\/1\.[01] \([0-9][0-9][0-9]\).*/\1/p')
    [ -n "$RAW_STATUS" ] || RAW_STATUS=000
    RAW_BODY_LEN=$("$PYTHON" -c '
import sys
d = open(sys.argv[1], "rb").read()
i = d.find(b"\r\n\r\n")
print(-1 if i < 0 else len(d) - i - 4)' "$RAW_RESP")
}

# body_size: the size in bytes of HTTP_BODY.
body_size() {
    wc -c <"$HTTP_BODY" | tr -d ' '
}

# ---------------------------------------------------------------- files

# sha256 FILE: the hex SHA-256 of FILE.
sha256() {
    sha256sum -- "$1" | cut -d' ' -f1
}

# file_size FILE
file_size() {
    stat -c %s -- "$1"
}

# slice FILE OFFSET LENGTH OUT: copies LENGTH bytes of FILE from OFFSET to OUT.
slice() {
    tail -c "+$(($2 + 1))" -- "$1" | head -c "$3" >"$4"
}

# same_file GOT EXPECTED DESC: one point, byte-for-byte equality.
same_file() {
    if cmp -s -- "$1" "$2"; then
        pass "$3"
    else
        fail "$3"
        diag "got $(wc -c <"$1") bytes (sha256 $(sha256 "$1"))" \
            "expected $(wc -c <"$2") bytes (sha256 $(sha256 "$2"))"
        cmp -- "$1" "$2" 2>&1 | head -n 1 | sed 's/^/# /'
        return 1
    fi
}

# sha256_is FILE EXPECTED_HEX DESC
sha256_is() {
    local got
    got=$(sha256 "$1" 2>/dev/null)
    is "$got" "$2" "$3"
}

# http_date FILE: the mtime of FILE as an IMF-fixdate (HTTP date).
http_date() {
    TZ=GMT LC_ALL=C date -u -r "$1" '+%a, %d %b %Y %H:%M:%S GMT'
}

# need_cmd CMD...: skip the whole script when a client is not installed.
need_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"
    done
}

# json_ok DESC FILE PYTHON: one point. FILE is parsed as JSON into `j`, then
# the Python code PYTHON runs (asserts, or sys.exit("message")); it passes
# when FILE parses and PYTHON raises nothing. `fail(msg)` is available.
json_ok() {
    local desc=$1 file=$2 code=$3 out
    if out=$("$PYTHON" - "$file" "$code" 2>&1 <<'EOF_PY'
import json, sys, traceback
def fail(msg):
    raise AssertionError(msg)
try:
    raw = open(sys.argv[1], "rb").read()
    j = json.loads(raw.decode("utf-8"))
except Exception as e:
    sys.exit("not JSON (%s): %r" % (e, raw[:300]))
try:
    exec(sys.argv[2])
except AssertionError as e:
    sys.exit(str(e) or traceback.format_exc(limit=1))
EOF_PY
    ); then
        pass "$desc"
    else
        fail "$desc"
        diag "$out"
        return 1
    fi
}

# ---------------------------------------------------------------- ferryctl

# ctl CMD [ARG]: ferryctl ($FERRYCTL) on the control socket $SOCK of a
# ferryd started with --os fake --control "$SOCK". Sets
# CTL_RC, CTL_OUT (stdout) and CTL_ERR (stderr).
ctl() {
    CTL_OUT=$(timeout -k 1 "$T_CURL" "$FERRYCTL" -s "$SOCK" "$@" \
        2>"$FERRY_TMP/ctl.err")
    CTL_RC=$?
    CTL_ERR=$(head -c 2000 "$FERRY_TMP/ctl.err")
}

# ctl_ok CMD [ARG]: one point: ferryctl CMD answers "ok" and exits 0.
ctl_ok() {
    ctl "$@"
    if [ "$CTL_RC" -eq 0 ] && [[ $CTL_OUT == ok* ]]; then
        pass "ferryctl $*: ok"
    else
        fail "ferryctl $*: ok"
        diag "exit $CTL_RC, stdout '$CTL_OUT', stderr '$CTL_ERR'"
        return 1
    fi
}

# pyj FILE EXPR: prints the Python expression EXPR over the JSON in FILE
# (as `j`); prints "?" when FILE is not JSON or EXPR fails.
pyj() {
    "$PYTHON" -c '
import json, sys
try:
    j = json.load(open(sys.argv[1]))
    print(eval(sys.argv[2]))
except Exception as e:
    print("?")' "$1" "$2" 2>/dev/null
}

# ---------------------------------------------------------------- fds

# fd_count [PID]: how many fds PID (default ferryd, $FERRY_PID) has open.
fd_count() {
    ls "/proc/${1:-$FERRY_PID}/fd" 2>/dev/null | wc -l | tr -d ' '
}

# fds_back_to N: polls (0.05 s steps, at most 5 s, scaled) until ferryd has
# at most N fds open again (connections close a moment after the answer).
# Returns 1 if it does not.
fds_back_to() {
    local i
    for ((i = 0; i < 100 * T_SCALE; i++)); do
        [ "$(fd_count)" -le "$1" ] && return 0
        sleep 0.05
    done
    return 1
}
