#!/bin/bash
# t-ios.sh — the real ferryd on a fake OS as unkind as iOS (issue 17),
# driven through ferryctl, with curl as the client:
#   1. D1: backgrounded with nothing open (notified model: an unprotected
#      linger), suspended silently (no event; the listener left defunct:
#      every accept fails with ECONNABORTED), resumed silently, foreground:
#      the very first request is answered (before the fix: never);
#   2. D8: the same suspension, then the app runs again in the background
#      and a client comes: the accept thread sees the defunct listener,
#      reports it, and ferry listens again on the same port without any
#      foreground (before: a spin of failing accepts, nothing answered);
#   3. D1 silent model (--suspend-model silent): BACKGROUND with nothing open
#      closes the listener inside the call (status: quiet, port 0; a
#      connection is refused), a silent suspension is allowed, foreground
#      answers;
#   4. D11 --linger none: quiet at once;
#   5. D7 --start-in-background: nothing listens (port 0) until foreground;
#   6. D3/D4: with a download open, `expire ID` of a wrong id is refused
#      and changes nothing, `expire ID` of the held id ends it (held 0, no
#      watchdog kill) and goes quiet; a silent suspension is refused while
#      an assertion is held (iOS does not suspend then);
#   7. D9: `lock NAME` (protected data unavailable, the file EPERM): 503 with
#      Retry-After, not 403; `unlock`: served again;
#   8. D12: an expired resumable upload is swept on FOREGROUND (iOS never
#      posts RESUMED, and nothing else runs while the app is idle);
#   9. D4: SIGTERM with an assertion held ends it before the teardown.
# Figures (diagnostics): foreground -> first answer, defunct -> serving.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl
[ -x "$FERRYCTL" ] || bail_out "FERRYCTL=$FERRYCTL is not an executable (build it first)"

plan 55

root=$FERRY_TMP/root
mkdir "$root"
printf 'hello, phone\n' >"$root/small.txt"
head -c 33554432 /dev/urandom >"$root/big.bin" # 32 MiB
T_WAIT=$((10 * T_SCALE))
STATUS_JSON=$FERRY_TMP/ctl-status.json

# cst EXPR: EXPR over a fresh `ferryctl status`.
cst() {
    ctl status
    printf '%s' "${CTL_OUT#ok }" >"$STATUS_JSON"
    pyj "$STATUS_JSON" "$1"
}

now_us() {
    echo "${EPOCHREALTIME/./}"
}

# get_small URL [MAX_S]: one GET of small.txt (--max-time MAX_S, default
# T_CURL); prints the HTTP status (000: none).
get_small() {
    curl -q -sS --max-time "${2:-$T_CURL}" -o "$FERRY_TMP/small.out" -w '%{http_code}' \
        "$1/small.txt" 2>"$FERRY_TMP/small.err"
}

# start_fake [OPTIONS...]: ferryd --os fake with a control socket.
N_SOCK=0
start_fake() {
    N_SOCK=$((N_SOCK + 1))
    SOCK=$FERRY_TMP/ctl.$N_SOCK.sock
    ferry_start "$root" --no-mdns --os fake --control "$SOCK" "$@"
}

# ---------------------------------------------------------------- 1. D1
if ! start_fake; then
    bail_out "ferryd --os fake did not start"
fi
port0=$FERRY_PORT
ctl_ok background
is "$(cst 'j["state"]')" linger "1: background with nothing open: linger (unprotected)"
ctl_ok suspend --silent
is "$(cst 'j["fake_os"]["suspended"]')" True "1: suspended silently"
ctl_ok resume
ctl_ok foreground
t0=$(now_us)
code=$(get_small "$FERRY_BASE")
t1=$(now_us)
is "$code" 200 "1: D1: the first request after foreground is answered"
diag "figure: foreground -> first request answered: $(((t1 - t0) / 1000)) ms"
is "$(cst 'j["port"]')" "$port0" "1: the same port as before"

# ---------------------------------------------------------------- 2. D8
ctl_ok background
ctl_ok suspend --silent
ctl_ok resume # running again in the background (a BGTask, say)
t0=$(now_us)
code=000
# bounded: a connection the defunct listener queued is reset when it is
# closed, so a retry or two is expected; a dead server hangs each try
for ((i = 0; i < 10; i++)); do
    code=$(get_small "$FERRY_BASE" $((3 * T_SCALE)))
    [ "$code" = 200 ] && break
    sleep 0.05
done
t1=$(now_us)
is "$code" 200 "2: D8: a defunct listener is noticed and rebound without foreground"
diag "figure: defunct listener -> serving again: $(((t1 - t0) / 1000)) ms (after $i retries)"
like "$(cat "$FERRY_ERR")" "stopped working: .*defunct" "2: the log names the defunct listener"
n_dead=$(grep -c 'stopped working' "$FERRY_ERR")
ok_if "2: one death reported, not a spin ($n_dead lines)" [ "$n_dead" -le 2 ]
is "$(cst 'j["port"]')" "$port0" "2: listening again on the same port"
ctl_ok foreground
ferry_stop

# ---------------------------------------------------------------- 3. silent
if ! start_fake --suspend-model silent; then
    bail_out "ferryd --suspend-model silent did not start"
fi
ctl_ok background
is "$(cst 'j["state"] + " " + str(j["port"])')" "quiet 0" \
    "3: silent: background with nothing open goes quiet inside the call"
code=$(get_small "$FERRY_BASE")
is "$code" 000 "3: no connection is taken while quiet"
ctl_ok suspend --silent
ctl_ok resume
ctl_ok foreground
code=$(get_small "http://127.0.0.1:$(cst 'j["port"]')")
is "$code" 200 "3: foreground after a silent suspension answers"
ferry_stop

# ---------------------------------------------------------------- 4. D11
if ! start_fake --linger none; then
    bail_out "ferryd --linger none did not start"
fi
ctl_ok background
is "$(cst 'j["state"]')" quiet "4: --linger none: quiet at once"
ferry_stop

# ---------------------------------------------------------------- 5. D7
FERRY_URL_RE='serving .* on port [0-9]*'
if ! start_fake --start-in-background; then
    bail_out "ferryd --start-in-background did not start"
fi
FERRY_URL_RE='http://127\.0\.0\.1:[0-9]*/'
is "$(cst 'j["state"] + " " + str(j["port"])')" "quiet 0" \
    "5: D7: started in the background: quiet, not listening"
ctl_ok foreground
port5=$(cst 'j["port"]')
code=$(get_small "http://127.0.0.1:$port5")
is "$code" 200 "5: foreground: listening and answering (port $port5)"
ferry_stop

# ---------------------------------------------------------------- 6. D3/D4
if ! start_fake; then
    bail_out "ferryd --os fake did not start (6)"
fi
curl -q -sS --max-time $((60 * T_SCALE)) --limit-rate 200k -o "$FERRY_TMP/big.out" \
    "$FERRY_BASE/big.bin" 2>/dev/null &
dl=$!
track_pid "$dl"
for ((i = 0; i < 20 * T_WAIT; i++)); do
    [ "$(cst 'j.get("transfers", 0)')" -ge 1 ] 2>/dev/null && break
    sleep 0.05
done
ctl_ok background
is "$(cst 'j["state"] + " " + str(j["fake_os"]["held"])')" "finishing 1" \
    "6: background with a download: finishing, one assertion"
ctl suspend --silent
ok_if "6: no silent suspension while an assertion is held" [ "$CTL_RC" -ne 0 ]
id=$(cst 'j["fake_os"]["begins"]')
ctl expire $((id + 7))
ok_if "6: expire of an id ferry does not hold is refused" [ "$CTL_RC" -ne 0 ]
is "$(cst 'j["state"] + " " + str(j["fake_os"]["held"])')" "finishing 1" \
    "6: ... and changes nothing"
ctl_ok expire "$id"
is "$(cst 'j["state"] + " " + str(j["fake_os"]["held"]) + " " + str(j["fake_os"]["kills"])')" \
    "quiet 0 0" "6: D3: expire ID ended that assertion and went quiet, no kill"
kill "$dl" 2>/dev/null
wait "$dl" 2>/dev/null
forget_pid "$dl"
ferry_stop

# ---------------------------------------------------------------- 7. D9
printf 'class Complete\n' >"$root/secret.txt"
if ! start_fake; then
    bail_out "ferryd --os fake did not start (7)"
fi
ctl_ok lock secret.txt
http "$FERRY_BASE/secret.txt"
is "$HTTP_STATUS $(hdr Retry-After)" "503 30" \
    "7: D9: a protected file while locked: 503 with Retry-After, not 403"
http "$FERRY_BASE/small.txt"
is "$HTTP_STATUS" 200 "7: other files are served while locked"
ctl_ok unlock
http "$FERRY_BASE/secret.txt"
is "$HTTP_STATUS $(cat "$HTTP_BODY")" "200 class Complete" "7: unlocked: served again"
ferry_stop

# ---------------------------------------------------------------- 8. D12
# iOS never posts RESUMED: FOREGROUND removes expired resumable uploads
state8=$FERRY_TMP/state8
if ! start_fake --state-dir "$state8" --upload-expiry 1; then
    bail_out "ferryd --upload-expiry 1 did not start (8)"
fi
printf '0123456789' >"$FERRY_TMP/ten"
http -X POST -H 'Tus-Resumable: 1.0.0' -H 'Upload-Length: 100' \
    -H "Upload-Metadata: filename $(printf exp.bin | base64)" "$FERRY_BASE/.ferry/uploads/"
loc=$(hdr Location)
http -X PATCH -H 'Tus-Resumable: 1.0.0' -H 'Content-Type: application/offset+octet-stream' \
    -H 'Upload-Offset: 0' -T "$FERRY_TMP/ten" "$FERRY_BASE$loc"
is "$HTTP_STATUS" 204 "8: a resumable upload of 10 of 100 bytes"
n_before=$(ls "$state8/uploads" | wc -l)
ctl_ok background
sleep 2 # past the 1 s expiry (wall clock: nothing to poll)
ctl_ok foreground
n_after=$(ls "$state8/uploads" | wc -l)
ok_if "8: D12: FOREGROUND swept the expired upload ($n_before -> $n_after entries)" \
    [ "$n_before" -gt 0 -a "$n_after" -eq 0 ]
ferry_stop

# ---------------------------------------------------------------- 9. D4
# the server stops while an assertion is held: it is ended first, before
# the slow teardown (libmicrohttpd completing requests, TLS, mDNS)
if ! start_fake; then
    bail_out "ferryd --os fake did not start (9)"
fi
curl -q -sS --max-time $((60 * T_SCALE)) --limit-rate 200k -o "$FERRY_TMP/big9.out" \
    "$FERRY_BASE/big.bin" 2>/dev/null &
dl=$!
track_pid "$dl"
for ((i = 0; i < 20 * T_WAIT; i++)); do
    [ "$(cst 'j.get("transfers", 0)')" -ge 1 ] 2>/dev/null && break
    sleep 0.05
done
ctl_ok background
is "$(cst 'j["fake_os"]["held"]')" 1 "9: one assertion held"
ferry_stop
like "$(cat "$FERRY_ERR")" "stopping: ending 1 assertion first" \
    "9: D4: stopping ends the assertion first"
kill "$dl" 2>/dev/null
wait "$dl" 2>/dev/null
forget_pid "$dl"

finish
