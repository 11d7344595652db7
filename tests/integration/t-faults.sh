#!/bin/bash
# t-faults.sh — faults leave nothing behind (issue 16, point 10):
#   1. ?size=1 of a folder deeper than the 64 levels counted says
#      "complete": false (64 levels: true);
#   2. a PUT into a folder DELETEd while the body comes in: 409 (not 201
#      with a Location that does not exist), nothing stored, nothing of it
#      in the trash;
#   3. a PUT open at a fake-OS expiration is left out of the journal
#      written then, and after suspend and resume it is not listed as
#      restored in /.ferry/status (a PUT cannot resume);
#   4. kill -9 of ferryd while a COPY builds its hidden temporary copy
#      (".NAME.ferry-copy-XXXXXXXX", polled for): the next start removes
#      it, and such names are never listed, zipped, counted or writable,
#      also with --hidden; a set-aside item of a cut replace put back;
#   5. kill -9 while a PUT copies its part across file systems (state
#      folder on /dev/shm): the next start removes the ".ferry-part-" copy;
#      such a PUT stores the file (it answered 500 before: the copy read
#      the part through its write-only fd).

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl
: "${FERRYCTL:=$(dirname "$FERRYD")/ferryctl}"
[ -x "$FERRYCTL" ] || bail_out "FERRYCTL=$FERRYCTL is not an executable (build it first)"

plan 24

root=$FERRY_TMP/root
state=$FERRY_TMP/state
src=$FERRY_TMP/src
mkdir -p "$root" "$state" "$src"
T_WAIT=$((10 * T_SCALE)) # seconds of a bounded poll

# kill_at_temp DIR PREFIX: SIGKILLs ferryd ($FERRY_PID) as soon as a file
# DIR/PREFIX* has bytes (polled every 2 ms, at most T_WAIT s), reaps it, and
# sets KILLED to that file's name ("none" when the poll missed it).
kill_at_temp() {
    KILLED=$("$PYTHON" - "$1" "$2" "$FERRY_PID" "$T_WAIT" <<'EOF_PY'
import os, signal, sys, time
root, prefix, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
limit = time.monotonic() + float(sys.argv[4])
while time.monotonic() < limit:
    for n in os.listdir(root):
        try:
            if n.startswith(prefix) and os.stat(os.path.join(root, n)).st_size > 0:
                os.kill(pid, signal.SIGKILL)
                print(n)
                sys.exit(0)
        except FileNotFoundError:
            pass
    time.sleep(0.002)
print('none')
EOF_PY
)
    wait_gone "$FERRY_PID" "$T_WAIT" || kill -KILL "$FERRY_PID" # (missed: fails below)
    wait "$FERRY_PID" 2>/dev/null # (bash reports the kill on stderr)
    forget_pid "$FERRY_PID"
}

# ---------------------------------------------------------------- 1. depth
deep_chain() { # DIR LEVELS: DIR/d1/d2/... LEVELS deep, one file in each
    local d=$1 i
    for ((i = 1; i <= $2; i++)); do
        d=$d/d$i
        mkdir -p "$d" && echo "$i" >"$d/f.txt"
    done
}
deep_chain "$root/deep64" 64
deep_chain "$root/deep70" 70
ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not start"
http "$FERRY_BASE/deep64/?size=1"
json_ok "?size=1 of a folder 64 levels deep: everything counted, complete" "$HTTP_BODY" "
assert j['folders'] == 64 and j['files'] == 64 and j['complete'] is True, j"
http "$FERRY_BASE/deep70/?size=1"
json_ok "?size=1 of a folder 70 levels deep: cut at 64 levels, complete: false" "$HTTP_BODY" "
assert j['folders'] == 64 and j['files'] == 64 and j['complete'] is False, j"

# ---------------------------------------------------------------- 2. PUT, folder deleted
mkdir "$root/inbox"
head -c $((24 << 20)) /dev/urandom >"$src/put.bin"
curl -q -sS --max-time $((60 * T_SCALE)) -o "$FERRY_TMP/put.body" -D "$FERRY_TMP/put.hdrs" \
    -T "$src/put.bin" --limit-rate 4M "$FERRY_BASE/inbox/race.bin" 2>/dev/null &
put_pid=$!
track_pid "$put_pid"
for ((i = 0; i < T_WAIT * 20; i++)); do # the body is coming in: its part file grows
    [ -n "$(find "$state/uploads" -name 'put-*.part' -size +1k 2>/dev/null)" ] && break
    sleep 0.05
done
http -X DELETE "$FERRY_BASE/inbox/"
is "$HTTP_STATUS" 204 "the folder is DELETEd while a PUT into it is sending"
wait_gone "$put_pid" $((60 * T_SCALE))
is "$(tr -d '\r' <"$FERRY_TMP/put.hdrs" | sed -n 's/^HTTP[^ ]* \([0-9]*\).*/\1/p' | tail -1)" 409 \
    "the PUT answers 409 Conflict, not 201 with a path that does not exist"
http "$FERRY_BASE/inbox/race.bin"
is "$HTTP_STATUS:$(find "$state" -name race.bin | wc -l | tr -d ' ')" 404:0 \
    "nothing was stored: not in the share, not in the trash"
ferry_stop TERM

# ---------------------------------------------------------------- 3. PUT, suspension
SOCK=$FERRY_TMP/ctl.sock
ferry_start "$root" --state-dir "$state" --no-mdns --os fake --control "$SOCK" ||
    bail_out "ferryd --os fake did not start"
curl -q -sS --max-time $((60 * T_SCALE)) -o /dev/null -T "$src/put.bin" --limit-rate 2M \
    "$FERRY_BASE/cycle.bin" 2>/dev/null &
put_pid=$!
track_pid "$put_pid"
for ((i = 0; i < T_WAIT * 20; i++)); do # the PUT is an open transfer, 1 MiB in
    http "$FERRY_BASE/.ferry/status"
    [ "$(pyj "$HTTP_BODY" "[t['done'] for t in j['transfers'] if t['path'] == '/cycle.bin'][0] > (1 << 20)")" = True ] &&
        break
    sleep 0.05
done
ok=1
for cmd in background expire; do # expire: the open transfers are written to the journal
    ctl "$cmd"
    [ "$CTL_RC" -eq 0 ] || { ok=0; diag "ferryctl $cmd: exit $CTL_RC $CTL_ERR"; }
done
journal_after_expire=$(cat "$state/journal" 2>/dev/null | tr -d '\0')
for cmd in suspend resume foreground; do
    ctl "$cmd"
    [ "$CTL_RC" -eq 0 ] || { ok=0; diag "ferryctl $cmd: exit $CTL_RC $CTL_ERR"; }
done
ok_if "a PUT open through background, expire, suspend, resume, foreground" [ "$ok" = 1 ]
unlike "$journal_after_expire" 'cycle\.bin' "the journal written at the expiration leaves the PUT out"
wait_gone "$put_pid" $((60 * T_SCALE))
ctl status
port=$(printf '%s' "${CTL_OUT#ok }" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["port"])')
http "http://127.0.0.1:$port/.ferry/status"
json_ok "the cut PUT is not listed as restored in /.ferry/status" "$HTTP_BODY" "
assert not [t for t in j['transfers'] if t['path'] == '/cycle.bin'], j['transfers']"
unlike "$(cat "$state/journal" 2>/dev/null | tr -d '\0')" 'cycle\.bin' "... nor in the journal"
ferry_stop TERM

# ---------------------------------------------------------------- 4. kill -9 mid-COPY
truncate -s 2G "$root/big.bin" # sparse: cheap to read, slow enough to copy
ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not start"
curl -q -sS --max-time $((60 * T_SCALE)) -o /dev/null -X COPY \
    -H 'Destination: /copy-of-big.bin' "$FERRY_BASE/big.bin" 2>/dev/null &
copy_pid=$!
track_pid "$copy_pid"
kill_at_temp "$root" .copy-of-big.bin.ferry-copy-
wait_gone "$copy_pid" "$T_WAIT"
like "$KILLED:$(ls -A "$root" | grep -c 'ferry-copy')" '^\.copy-of-big\.bin\.ferry-copy-[0-9a-f]{8}:1$' \
    "kill -9 while COPY builds its hidden temporary copy: the temporary file is left"
# What else a kill can leave, made by hand: a replace cut after the old
# item was set aside (a record with "old"), and a record that names a
# client's file (tampered: never touched).
echo 'the old one' >"$root/.kept.txt.ferry-old-0123abcd"
echo 'a client file' >"$root/real.txt"
mkdir -p "$state/pending"
printf '{"version":1,"folder":"","tmp":"","name":"kept.txt","old":".kept.txt.ferry-old-0123abcd"}' \
    >"$state/pending/00000000000000aa.json"
printf '{"version":1,"folder":"","tmp":"real.txt","name":"","old":""}' \
    >"$state/pending/00000000000000bb.json"
ferry_start "$root" --state-dir "$state" --no-mdns --hidden || bail_out "ferryd did not restart"
is "$(ls -A "$root" | grep -c 'ferry-')" 0 "the next start removes the half-made copy"
like "$(cat "$FERRY_ERR")" "removed the copy that an earlier run left half made" \
    "... and says so in the log"
is "$(cat "$root/kept.txt" 2>/dev/null)/$(cat "$root/real.txt")/$(ls "$state/pending" | wc -l)" \
    "the old one/a client file/0" \
    "a replace cut midway is put back; a record naming a client's file is ignored"
ok_if "the source is untouched and nothing was copied" \
    test "$(stat -c %s "$root/big.bin")" = $((2 << 30)) -a ! -e "$root/copy-of-big.bin"
rm -f "$root/big.bin"

# Such names are never shown, served, zipped, counted or written, even
# with --hidden (this one made by hand).
echo 'half made' >"$root/.x.txt.ferry-copy-0123abcd"
echo 'visible' >"$root/.visible.txt"
http "$FERRY_BASE/?format=json"
json_ok "--hidden: the listing shows dot-files but no temporary copy" "$HTTP_BODY" "
names = [e['name'] for e in (j['entries'] if isinstance(j, dict) else j)]
assert '.visible.txt' in names and not [n for n in names if 'ferry-copy' in n], names"
http "$FERRY_BASE/.x.txt.ferry-copy-0123abcd"
code_get=$HTTP_STATUS
http -X PUT --data-binary evil "$FERRY_BASE/.x.txt.ferry-copy-0123abcd"
like "$code_get/$HTTP_STATUS/$(cat "$root/.x.txt.ferry-copy-0123abcd")" '^404/40[34]/half made$' \
    "GET and PUT of a temporary name: 404 and 403, the file untouched"
http "$FERRY_BASE/?download=zip"
cp "$HTTP_BODY" "$FERRY_TMP/root.zip"
http "$FERRY_BASE/?size=1"
ok_if "the zip of the root and its ?size=1 leave it out" "$PYTHON" -c '
import json, sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
size = json.load(open(sys.argv[2]))
assert ".visible.txt" in names and not [n for n in names if "ferry-copy" in n], names
assert size["files"] == len([n for n in names if not n.endswith("/")]), (size, names)
' "$FERRY_TMP/root.zip" "$HTTP_BODY"
ferry_stop TERM

# ---------------------------------------------------------------- 5. PUT across file systems
# With the state folder on another file system (/dev/shm) a PUT's part is
# copied beside the target under ".NAME.ferry-part-XXXXXXXX" before it is
# moved into place; kill -9 during that copy.
shm=""
[ -d /dev/shm ] && [ -w /dev/shm ] && shm=$(mktemp -d /dev/shm/ferry-faults.XXXXXX)
if [ -n "$shm" ] && [ "$(stat -c %d "$shm")" != "$(stat -c %d "$root")" ]; then
    FERRY_CLEANUP_HOOK="rm -rf '$shm'"
    head -c $((512 << 20)) /dev/zero >"$src/put512.bin"
    ferry_start "$root" --state-dir "$shm/state" --no-mdns || bail_out "ferryd did not start"
    curl -q -sS --max-time $((60 * T_SCALE)) -o /dev/null -T "$src/put512.bin" \
        "$FERRY_BASE/across.bin" 2>/dev/null &
    put_pid=$!
    track_pid "$put_pid"
    T_WAIT=$((30 * T_SCALE)) kill_at_temp "$root" .across.bin.ferry-part-
    wait_gone "$put_pid" "$T_WAIT"
    like "$KILLED:$(ls -A "$root" | grep -c 'ferry-part')" '^\.across\.bin\.ferry-part-[0-9a-f]{8}:1$' \
        "kill -9 while a PUT copies its part across file systems: the temporary copy is left"
    ferry_start "$root" --state-dir "$shm/state" --no-mdns || bail_out "ferryd did not restart"
    is "$(ls -A "$root" | grep -c 'ferry-part')/$(ls "$root" | grep -c across)" 0/0 \
        "the next start removes it; nothing was stored"
    http -T "$src/put.bin" "$FERRY_BASE/across2.bin"
    is "$HTTP_STATUS/$(sha256 "$root/across2.bin" 2>/dev/null)" "201/$(sha256 "$src/put.bin")" \
        "a PUT with the state folder on another file system is stored whole (201)"
    ferry_stop TERM
    rm -f "$src/put512.bin"
else
    for i in 1 2 3 4; do
        skip "kill -9 during a PUT's copy across file systems" "no /dev/shm on another file system"
    done
fi
finish
