#!/bin/bash
# t-tus-js.sh — resumable uploads with a real tus client: tus-js-client
# (npm, tests/js/, run under Node) against a running ferryd.
#   1. a 48 MiB upload in one PATCH: the file's sha256 matches;
#   2. aborted half-way, then resumed from its upload URL: the server kept
#      the bytes (HEAD), the file is not visible until complete, sha256;
#   3. across a fake-OS suspension (background, expire: connections ended,
#      suspend + SIGSTOP, SIGCONT + resume, foreground): the client's
#      retries resume it, the journal listed it, no assertion left open;
#   4. across a kill -9 of ferryd and a relaunch on the same port and state
#      folder: the client's retries resume it, sha256.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl node
JS=$FERRY_SRCDIR/tests/js
[ -d "$JS/node_modules/tus-js-client" ] ||
    skip_all "tus-js-client is not installed in $JS (./quickstart check runs npm ci there)"
[ -x "$FERRYCTL" ] || bail_out "FERRYCTL=$FERRYCTL is not an executable (build it first)"

plan 30

root=$FERRY_TMP/root
state=$FERRY_TMP/state
src=$FERRY_TMP/src
mkdir -p "$root/inbox" "$src"
head -c $((48 << 20)) /dev/urandom >"$src/video.bin"
size=$(file_size "$src/video.bin")
want=$(sha256 "$src/video.bin")
T_NODE=$((60 * T_SCALE)) # seconds one client run may take

# tus_js NAME ARGS...: runs tests/js/tus-upload.mjs in the background with
# its JSON lines in $FERRY_TMP/NAME.out; sets JS_PID.
tus_js() {
    local name=$1
    shift
    timeout -k 2 "$T_NODE" node "$JS/tus-upload.mjs" "$@" \
        >"$FERRY_TMP/$name.out" 2>"$FERRY_TMP/$name.err" &
    JS_PID=$!
    track_pid "$JS_PID"
}

# js_wait: waits for the client $JS_PID; sets JS_RC.
js_wait() {
    wait "$JS_PID"
    JS_RC=$?
    forget_pid "$JS_PID"
}

# js_event NAME EVENT FIELD: FIELD of the last EVENT line of NAME's output.
js_event() {
    "$PYTHON" -c '
import json, sys
v = "?"
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("event") == sys.argv[2]:
        v = o.get(sys.argv[3], "?")
print(v)' "$FERRY_TMP/$1.out" "$2" "$3" 2>/dev/null
}

# wait_sent NAME BYTES: waits (bounded) until NAME reported BYTES sent.
wait_sent() {
    local i sent
    for ((i = 0; i < 20 * T_NODE; i++)); do
        sent=$(js_event "$1" progress sent)
        [ "$sent" != "?" ] && [ "$sent" -ge "$2" ] && return 0
        alive "$JS_PID" || return 1
        sleep 0.05
    done
    return 1
}

# js_ok DESC NAME: one point: the client exited 0 after "success".
js_ok() {
    if [ "$JS_RC" -eq 0 ] && [ "$(js_event "$2" success event)" = success ]; then
        pass "$1"
    else
        fail "$1"
        diag "exit $JS_RC"
        diag_file "$FERRY_TMP/$2.out" 5
        diag_file "$FERRY_TMP/$2.err" 5
    fi
}

# absent DESC PATH: one point: nothing at PATH in the served tree, and the
# folder's JSON listing does not name it.
absent() {
    local name=${2##*/} dir=${2%/*}
    http -H 'Accept: application/json' "$FERRY_BASE${dir#"$root"}/"
    if [ ! -e "$2" ] && ! grep -qF "\"$name\"" "$HTTP_BODY"; then
        pass "$1"
    else
        fail "$1"
        ls -la "$dir" | sed 's/^/# /'
    fi
}

# ---------------------------------------------------------------- 1. whole
ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not start"
EP=$FERRY_BASE/.ferry/uploads/
tus_js plain --endpoint "$EP" --file "$src/video.bin" --name one.bin --folder /inbox
js_wait
js_ok "tus-js-client: a 48 MiB upload in one PATCH succeeds" plain
sha256_is "$root/inbox/one.bin" "$want" "the stored file's sha256 matches"
is "$(js_event plain success storedAs)" "/inbox/one.bin" "Ferry-Stored-As names where it went"

# ---------------------------------------------------------------- 2. abort
tus_js abort --endpoint "$EP" --file "$src/video.bin" --name two.bin --folder /inbox \
    --chunk-size $((1 << 20)) --delay-ms 10 --abort-at $((16 << 20))
js_wait
url=$(js_event abort aborted url)
is "$JS_RC/$(js_event abort aborted event)" "0/aborted" "aborted at 16 MiB (exit 0)"
absent "an aborted upload is not visible in the tree" "$root/inbox/two.bin"
http -I -H 'Tus-Resumable: 1.0.0' "$url"
off=$(hdr Upload-Offset)
if [ "$HTTP_STATUS" = 200 ] && [ "${off:-0}" -ge $((15 << 20)) ] && [ "$off" -lt "$size" ]; then
    pass "HEAD of the aborted upload: 200, Upload-Offset $off (kept what was sent)"
else
    fail "HEAD of the aborted upload: 200 with the bytes kept"
    diag "status $HTTP_STATUS, Upload-Offset '$off', size $size"
fi
tus_js resume --endpoint "$EP" --file "$src/video.bin" --url "$url"
js_wait
js_ok "tus-js-client resumes the upload from its URL" resume
sha256_is "$root/inbox/two.bin" "$want" "the resumed file's sha256 matches"
ferry_stop TERM

# ---------------------------------------------------------------- 3. suspend
SOCK=$FERRY_TMP/ctl.sock
ferry_start "$root" --state-dir "$state" --no-mdns --os fake --control "$SOCK" ||
    bail_out "ferryd --os fake did not start"
pid=$FERRY_PID
EP=$FERRY_BASE/.ferry/uploads/
tus_js susp --endpoint "$EP" --file "$src/video.bin" --name three.bin --folder /inbox \
    --chunk-size $((1 << 20)) --delay-ms 40 --retry-for-ms $((30000 * T_SCALE))
ok_if "the upload is under way (8 MiB sent)" wait_sent susp $((8 << 20))
ctl_ok background
ctl_ok expire
absent "during suspension the file is not visible" "$root/inbox/three.bin"
ctl_ok suspend
ok_if "the journal written before suspension lists the upload" "$PYTHON" -c '
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
doc = json.loads(text[text.index("\n") + 1:text.rindex("\nsha256 ")])
ups = [t for t in doc["transfers"] if t["direction"] == "upload"
       and t["path"] == "/inbox/three.bin" and t["validator"].startswith("tus:")]
assert ups and 0 < ups[0]["done"] <= ups[0]["total"] == int(sys.argv[2]), doc
' "$state/journal" "$size"
kill -STOP "$pid"
sleep 1
kill -CONT "$pid"
ctl_ok resume
ctl_ok foreground
js_wait
js_ok "tus-js-client rides through the suspension and completes" susp
sha256_is "$root/inbox/three.bin" "$want" "the file uploaded across a suspension matches"
ctl status
printf '%s' "${CTL_OUT#ok }" >"$FERRY_TMP/st.json"
json_ok "after it: no assertion held, no kill, no violation" "$FERRY_TMP/st.json" "
f = j['fake_os']
assert f['held'] == 0 and f['kills'] == 0 and f['violations'] == 0, f"
ferry_stop TERM

# ---------------------------------------------------------------- 4. kill -9
ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not start"
port=$FERRY_PORT
EP=$FERRY_BASE/.ferry/uploads/
tus_js killed --endpoint "$EP" --file "$src/video.bin" --name four.bin --folder /inbox \
    --chunk-size $((1 << 20)) --delay-ms 40 --retry-for-ms $((30000 * T_SCALE))
ok_if "the upload is under way (8 MiB sent)" wait_sent killed $((8 << 20))
kill -KILL "$(signal_target "$FERRY_PID")"
wait "$FERRY_PID" 2>/dev/null
forget_pid "$FERRY_PID"
absent_now() { [ ! -e "$root/inbox/four.bin" ]; }
ok_if "after kill -9 the file is not in the tree" absent_now
ok_if "a part file of the upload is in the state folder" \
    sh -c 'ls "$1"/uploads/tus-*.part >/dev/null 2>&1' sh "$state"
ferry_start "$root" --state-dir "$state" --no-mdns --port "$port" ||
    bail_out "ferryd did not start again on port $port"
is "$FERRY_PORT" "$port" "relaunched on the same port"
js_wait
js_ok "tus-js-client resumes after the relaunch and completes" killed
sha256_is "$root/inbox/four.bin" "$want" "the file uploaded across a kill -9 matches"
http "$FERRY_BASE/.ferry/status"
json_ok "/.ferry/status: no upload left open" "$HTTP_BODY" "
assert not [t for t in j['transfers'] if t['direction'] == 'upload' and not t['restored']], j"
ferry_stop TERM
n=$(find "$root" -name '*.ferry-part-*' | wc -l)
is "$n" 0 "no temporary file left in the tree"
finish
