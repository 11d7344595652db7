#!/bin/bash
# t-webdav.sh — folder and file operations with curl: MKCOL (201, 405, 409,
# 415, 403), COPY and MOVE (201/204, Overwrite, Depth, Destination as path
# or URL of this server, 502 for another host, 403 source == destination,
# 409 into itself or a missing folder, 412), sha256 of everything copied or
# moved, symlinks copied as links and special files skipped, traversal in
# the URL and in Destination (../, %2e%2e, encoded slashes, hidden names,
# /.ferry, a symlink out of the root) changing nothing inside or outside,
# DELETE into the trash and the /.ferry/trash endpoints (list, restore
# byte-identical, 409 when the name is taken or the folder gone, remove for
# good, 404), sweeping by age at start and on DELETE (--trash-days),
# --no-trash, no state folder (503), --read-only, ferryd's fd count back at
# its baseline, and — when this test may mount a small tmpfs inside the
# root — 507 on a full disk with nothing left behind and MOVE/DELETE across
# file systems (a DELETE there copies a small item into the trash).

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# As root, run in a private mount namespace, so that the tmpfs mounted below
# goes away with the test whatever happens.
if [ -z "${FERRY_WEBDAV_NS:-}" ] && [ "$(id -u)" = 0 ] &&
    unshare -m --propagation private true 2>/dev/null; then
    FERRY_WEBDAV_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need_cmd curl

plan 171

root=$FERRY_TMP/root
state=$FERRY_TMP/state
outside=$FERRY_TMP/outside
mkdir -p "$root/dir/sub/deeper" "$root/empty" "$outside"
echo "keep me" >"$outside/keep.txt"
ln -s "$outside" "$root/link-out"
head -c 1024 /dev/urandom >"$root/a.txt"
head -c $((1 << 20)) /dev/urandom >"$root/dir/big.bin"
head -c 777 /dev/urandom >"$root/dir/sub/s.bin"
echo deep >"$root/dir/sub/deeper/d.txt"
chmod 0600 "$root/dir/sub/s.bin"
chmod 0750 "$root/dir/sub"
ln -s ../a.txt "$root/dir/ln-in"
ln -s "$outside/keep.txt" "$root/dir/ln-out"
mkfifo "$root/dir/fifo"
echo "old" >"$root/target.txt"
a_sha=$(sha256 "$root/a.txt")

# tree_state: names, types, sizes, link targets and contents of the root,
# of what is beside it (outside) and of the trash, to check that a refused
# request changed nothing.
tree_state() {
    (cd "$FERRY_TMP" && find root outside state/trash -printf '%p %y %s %l\n' 2>/dev/null |
        sort && find root outside state/trash -type f -exec sha256sum {} + 2>/dev/null |
        sort) | sha256sum
}

# tree_sum DIR: one hash of the tree under DIR (relative names, types,
# modes, link targets, file contents), FIFOs left out.
tree_sum() {
    (cd "$1" && find . ! -type p -printf '%p %y %m %l\n' | sort &&
        find . -type f -exec sha256sum {} + | sort) | sha256sum
}

# leftovers: hidden temporary names of copies and replaces in the root.
leftovers() {
    find "$root" -name '*.ferry-copy-*' -o -name '*.ferry-old-*' | wc -l | tr -d ' '
}

# dav METHOD PATH [DESTINATION [CURL ARGS...]]: one request on $U$PATH
# with a Destination header when DESTINATION is not empty.
dav() {
    local m=$1 p=$2 d=${3-}
    shift 2
    [ $# -gt 0 ] && shift
    if [ -n "$d" ]; then
        http -X "$m" -H "Destination: $d" "$@" "$U$p"
    else
        http -X "$m" "$@" "$U$p"
    fi
}

# trash_get: GET /.ferry/trash into $TRASH_JSON; prints the status.
TRASH_JSON=$FERRY_TMP/trash.json
trash_get() {
    curl -q -sS --max-time "$T_CURL" -o "$TRASH_JSON" -w '%{http_code}' "$U/.ferry/trash" \
        2>/dev/null
}

# trash_q EXPR: the Python expression EXPR over the listing (`e`: the
# entries) after a fresh GET; "?" when it is not JSON.
trash_q() {
    trash_get >/dev/null
    "$PYTHON" -c '
import json, sys
try:
    e = json.load(open(sys.argv[1]))["entries"]
    print(eval(sys.argv[2]))
except Exception:
    print("?")' "$TRASH_JSON" "$1"
}

# trash_id PATH: the id of the newest trash entry for PATH, or "".
trash_id() {
    trash_q "next((x['id'] for x in e if x['path'] == '$1'), '')"
}

# trash_items: how many items (entries without their records) the trash
# folder holds.
trash_items() {
    find "$state/trash" -mindepth 1 -maxdepth 1 ! -name '*.json' 2>/dev/null | wc -l |
        tr -d ' '
}

# age_entry ID DAYS: makes trash entry ID look deleted DAYS days ago (its
# record's "deleted").
age_entry() {
    "$PYTHON" - "$state/trash/$1.json" "$2" <<'EOF_PY'
import json, sys, time
p, days = sys.argv[1], float(sys.argv[2])
j = json.load(open(p))
j["deleted"] = int(time.time() - days * 86400)
open(p, "w").write(json.dumps(j))
EOF_PY
}

ferry_start "$root" --state-dir "$state" || bail_out "ferryd did not start"
U=$FERRY_BASE

# ---------------------------------------------------------------- MKCOL
dav MKCOL /newdir
is "$HTTP_STATUS" 201 "MKCOL /newdir: 201"
is "$(hdr Location)" /newdir/ "MKCOL: Location /newdir/"
ok_if "MKCOL made a folder" test -d "$root/newdir"
dav MKCOL "/Fotos%20%C3%A9t%C3%A9/"
is "$HTTP_STATUS:$(hdr Location)" "201:/Fotos%20%C3%A9t%C3%A9/" \
    "MKCOL of a unicode name with a slash: 201, Location percent-encoded"
ok_if "... the folder has the decoded name" test -d "$root/Fotos été"
# the baseline, now that the lazy fds are open
dav COPY /a.txt /base.txt
dav DELETE /base.txt
trash_get >/dev/null
fds_back_to 1000 >/dev/null
base_fds=$(fd_count)

before=$(tree_state)
dav MKCOL /newdir
is "$HTTP_STATUS" 405 "MKCOL on an existing folder: 405"
like "$(hdr Allow)" DELETE "405 carries Allow"
dav MKCOL /a.txt
is "$HTTP_STATUS" 405 "MKCOL on an existing file: 405"
dav MKCOL /missing/x
is "$HTTP_STATUS" 409 "MKCOL below a missing folder: 409"
like "$(cat "$HTTP_BODY")" 'does not exist.*MKCOL' "the 409 says to create the folder first"
dav MKCOL /a.txt/x
is "$HTTP_STATUS" 409 "MKCOL below a file: 409"
dav MKCOL /withbody "" --data-binary '<x/>' -H 'Content-Type: text/xml'
is "$HTTP_STATUS" 415 "MKCOL with a body: 415"
codes=""
for p in / /.hidden /.ferry /.ferry/x /../x /%2e%2e/x /sub%2fx /link-out/x /link-out/../x \
    '/x%00y'; do
    dav MKCOL "$p"
    codes="$codes $p:$HTTP_STATUS"
done
like "$codes" '^( [^ ]+:(400|403|409))+$' "MKCOL of the root, hidden, /.ferry, traversal: 4xx ($codes)"
like "$codes" ' /:403 /\.hidden:403 /\.ferry:403 /\.ferry/x:403 ' \
    "... 403 for the root, a hidden name and /.ferry"
is "$(tree_state)" "$before" "refused MKCOLs changed nothing inside or outside the root"

# ---------------------------------------------------------------- COPY
dav COPY /a.txt /copy.txt
is "$HTTP_STATUS" 201 "COPY of a file to a new name: 201"
is "$(hdr Location)" /copy.txt "COPY: Location /copy.txt"
sha256_is "$root/copy.txt" "$a_sha" "the copy has the sha256 of the source"
sha256_is "$root/a.txt" "$a_sha" "... and the source is unchanged"

dir_sum=$(tree_sum "$root/dir")
dav COPY /dir/ /dir2
is "$HTTP_STATUS:$(hdr Location)" 201:/dir2/ "COPY of a folder (Depth infinity by default): 201, Location /dir2/"
is "$(tree_sum "$root/dir2")" "$dir_sum" "the copied tree has the same names, modes, links and bytes"
ok_if "a symlink in the tree is copied as a symlink with its target" \
    test -L "$root/dir2/ln-out" -a "$(readlink "$root/dir2/ln-out")" = "$outside/keep.txt"
ok_if "the FIFO in the tree is skipped" test ! -e "$root/dir2/fifo"
is "$(cat "$outside/keep.txt")" "keep me" "what the copied link points to is untouched"

dav COPY /dir /dir0 -H 'Depth: 0'
is "$HTTP_STATUS" 201 "COPY Depth: 0 of a folder: 201"
is "$(ls -A "$root/dir0" | wc -l | tr -d ' ')" 0 "... the folder alone, empty"
dav COPY /a.txt "$FERRY_URL"url-copy.txt
is "$HTTP_STATUS" 201 "COPY with an absolute URL of this server as Destination: 201"
sha256_is "$root/url-copy.txt" "$a_sha" "... and the copy is right"
dav COPY /a.txt "/Fotos%20%C3%A9t%C3%A9/B%C3%BCd.txt"
is "$HTTP_STATUS:$(hdr Location)" "201:/Fotos%20%C3%A9t%C3%A9/B%C3%BCd.txt" \
    "COPY to a percent-encoded unicode Destination: 201, Location encoded"
sha256_is "$root/Fotos été/Büd.txt" "$a_sha" "... stored under the decoded name"

# replace: Overwrite T (default) -> 204, the replaced one in the trash
old_sha=$(sha256 "$root/target.txt")
dav COPY /a.txt /target.txt
is "$HTTP_STATUS" 204 "COPY onto an existing file (Overwrite T by default): 204"
is "$(body_size)" 0 "... 204 has no body"
sha256_is "$root/target.txt" "$a_sha" "... the target has the new bytes"
rid=$(trash_id /target.txt)
isnt "$rid" "" "... and the replaced file is listed in the trash"
sha256_is "$state/trash/$rid" "$old_sha" "... with its old bytes"

before=$(tree_state)
dav COPY /a.txt /copy.txt -H 'Overwrite: F'
is "$HTTP_STATUS" 412 "COPY onto an existing file with Overwrite: F: 412"
like "$(cat "$HTTP_BODY")" 'Overwrite' "the 412 names Overwrite"
dav COPY /dir /dir2 -H 'Overwrite: F'
is "$HTTP_STATUS" 412 "COPY of a folder onto an existing one with Overwrite: F: 412"
dav COPY /a.txt /x.txt -H 'Overwrite: maybe'
is "$HTTP_STATUS" 400 "Overwrite: maybe: 400"
dav COPY /dir /dirx -H 'Depth: 1'
is "$HTTP_STATUS" 400 "COPY of a folder with Depth: 1: 400"
dav COPY /a.txt /a.txt
is "$HTTP_STATUS" 403 "COPY onto itself: 403"
dav COPY /dir /dir/sub/inner
is "$HTTP_STATUS" 409 "COPY of a folder into itself: 409"
like "$(cat "$HTTP_BODY")" 'itself' "the 409 says why"
dav COPY /dir /dir
is "$HTTP_STATUS" 403 "COPY of a folder onto itself: 403"
dav COPY /dir/sub /dir -H 'Overwrite: T'
is "$HTTP_STATUS" 409 "COPY onto a folder that contains the source: 409"
dav COPY /a.txt /missing/x.txt
is "$HTTP_STATUS" 409 "COPY into a missing folder: 409"
dav COPY /nope.txt /x.txt
is "$HTTP_STATUS" 404 "COPY of a missing source: 404"
http -X COPY "$U/a.txt"
is "$HTTP_STATUS" 400 "COPY without Destination: 400"
dav COPY /a.txt 'x.txt'
is "$HTTP_STATUS" 400 "COPY with a relative Destination: 400"
dav COPY /a.txt 'http://evil.example/x.txt'
is "$HTTP_STATUS" 502 "COPY to another host: 502"
dav COPY /a.txt "http://127.0.0.1:$((FERRY_PORT == 65535 ? 1 : FERRY_PORT + 1))/x.txt"
is "$HTTP_STATUS" 502 "COPY to another port of this host: 502"
dav COPY /dir/fifo /fifo2
is "$HTTP_STATUS" 403 "COPY of a FIFO: 403"
is "$(tree_state)" "$before" "refused COPYs changed nothing (tree, outside, trash)"
is "$(leftovers)" 0 "no temporary copy is left in the tree"

# ---------------------------------------------------------------- MOVE
dav MOVE /copy.txt /moved.txt
is "$HTTP_STATUS:$(hdr Location)" 201:/moved.txt "MOVE of a file to a new name: 201, Location"
ok_if "the source name is gone" test ! -e "$root/copy.txt"
sha256_is "$root/moved.txt" "$a_sha" "the moved file has its bytes"
dav MOVE /dir2 /newdir/dir2
is "$HTTP_STATUS:$(hdr Location)" 201:/newdir/dir2/ "MOVE of a folder into another: 201"
is "$(tree_sum "$root/newdir/dir2")" "$dir_sum" "the moved tree is the same"
ok_if "... and not at the old name" test ! -e "$root/dir2"
echo "replaced by move" >"$root/victim.txt"
victim_sha=$(sha256 "$root/victim.txt")
dav MOVE /url-copy.txt /victim.txt
is "$HTTP_STATUS" 204 "MOVE onto an existing file: 204"
sha256_is "$root/victim.txt" "$a_sha" "... the target has the moved bytes"
vid=$(trash_id /victim.txt)
isnt "$vid" "" "... the replaced file is in the trash"
sha256_is "$state/trash/$vid" "$victim_sha" "... with its bytes"
dav MOVE /dir0 /empty
is "$HTTP_STATUS" 204 "MOVE of a folder onto an existing folder: 204"
ok_if "... the replaced folder went to the trash" test -n "$(trash_id /empty)"
dav MOVE /link-out /link-moved
is "$HTTP_STATUS" 201 "MOVE of a symlink that leads out: 201 (the link moves)"
ok_if "... it is still a link to outside" test -L "$root/link-moved" -a \
    "$(readlink "$root/link-moved")" = "$outside"
dav COPY /link-moved /link-copy
is "$HTTP_STATUS" 201 "COPY of that symlink: 201, a new link"
ok_if "... the copy is a link, nothing from outside was copied" \
    test -L "$root/link-copy" -a ! -e "$root/keep.txt"
is "$(ls -A "$outside")" keep.txt "what the links point to is untouched"

before=$(tree_state)
dav MOVE /moved.txt /a.txt -H 'Overwrite: F'
is "$HTTP_STATUS" 412 "MOVE onto an existing file with Overwrite: F: 412"
dav MOVE /dir /dir/sub/inner
is "$HTTP_STATUS" 409 "MOVE of a folder into itself: 409"
dav MOVE /dir /newdir/../dir/sub/x
is "$HTTP_STATUS" 403 "MOVE with .. in the Destination: 403"
dav MOVE /dir/sub/s.bin /dir
is "$HTTP_STATUS" 409 "MOVE onto a folder that contains the source: 409"
dav MOVE /dir /dir
is "$HTTP_STATUS" 403 "MOVE onto itself: 403"
dav MOVE /dir /dirx -H 'Depth: 0'
is "$HTTP_STATUS" 400 "MOVE of a folder with Depth: 0: 400"
dav MOVE /a.txt /missing/a.txt
is "$HTTP_STATUS" 409 "MOVE into a missing folder: 409"
dav MOVE /nope /x
is "$HTTP_STATUS" 404 "MOVE of a missing source: 404"
dav MOVE /a.txt "http://localhost:$FERRY_PORT/x"
is "$HTTP_STATUS" 502 "MOVE to the same port under another host name: 502"
is "$(tree_state)" "$before" "refused MOVEs changed nothing"

# ---------------------------------------------------------------- traversal
before=$(tree_state)
codes=""
for d in '/../x' '/%2e%2e/x' '/%2E%2E/outside/x' '/sub%2f..%2f..%2fx' '/dir%2f..%2f..%2fx' \
    '/link-moved/x' '/link-moved/keep.txt' '/link-moved/../x' '/.hidden' '/.ferry/x' \
    '/.ferry/trash' "http://127.0.0.1:$FERRY_PORT/link-moved/keep.txt" \
    '/' '/x%00y' '/x\y' 'http://evil.example/x' "http://127.0.0.1:$FERRY_PORT/../x" \
    "http://127.0.0.1:$FERRY_PORT/%2e%2e/outside/keep.txt" '//evil.example/x'; do
    for m in MOVE COPY; do
        dav "$m" /a.txt "$d"
        codes="$codes $m:$d:$HTTP_STATUS"
    done
done
like "$codes" '^( [^ ]+:[45][0-9][0-9])+$' "MOVE/COPY to traversal Destinations: every one refused"
unlike "$codes" ':2[0-9][0-9]( |$)' "... none of them 2xx"
codes=""
for p in '/../outside/keep.txt' '/%2e%2e/outside/keep.txt' '/link-moved/keep.txt' \
    '/dir%2f..%2f..%2foutside' '/.ferry/status' '/' '/%2e%2e' '/link-moved/'; do
    for m in DELETE MOVE COPY; do
        dav "$m" "$p" /stolen
        codes="$codes $m:$p:$HTTP_STATUS"
    done
done
like "$codes" '^( [^ ]+:4[0-9][0-9])+$' "DELETE/MOVE/COPY of traversal sources: every one 4xx"
is "$(tree_state)" "$before" "traversal attempts changed nothing inside or outside the root"
ok_if "nothing reached outside" test "$(ls -A "$outside")" = keep.txt

# ---------------------------------------------------------------- DELETE + trash
moved_sha=$(sha256 "$root/moved.txt")
dav DELETE /moved.txt
is "$HTTP_STATUS" 204 "DELETE of a file: 204"
ok_if "... it is gone from the tree" test ! -e "$root/moved.txt"
mid=$(trash_id /moved.txt)
isnt "$mid" "" "GET /.ferry/trash lists it"
is "$(trash_q "[(x['kind'], x['size']) for x in e if x['id'] == '$mid']")" "[('file', 1024)]" \
    "... as a file of 1024 bytes"
like "$(trash_q "[x['deleted'] for x in e if x['id'] == '$mid'][0]")" '^[0-9]{10}$' \
    "... with its deletion time in Unix seconds"
grep -aq "DELETE '/moved.txt': moved to the trash as $mid" "$FERRY_ERR"
is "$?" 0 "the log says it went to the trash"
ok_if "the trash folder is mode 0700" test "$(stat -c %a "$state/trash")" = 700

http -X POST "$U/.ferry/trash/$mid/restore"
is "$HTTP_STATUS:$(hdr Location)" 201:/moved.txt "POST .../restore: 201 with Location"
sha256_is "$root/moved.txt" "$moved_sha" "the restored file is byte-identical"
is "$(trash_id /moved.txt)" "" "... and no longer in the trash"
http -X POST "$U/.ferry/trash/$mid/restore"
is "$HTTP_STATUS" 404 "restoring it again: 404"

before=$(tree_state)
dav DELETE /dir "" -H 'Depth: 1'
is "$HTTP_STATUS" 400 "DELETE of a folder with Depth: 1: 400"
dav DELETE /nope.txt
is "$HTTP_STATUS" 404 "DELETE of a missing file: 404"
dav DELETE /a.txt/
is "$HTTP_STATUS" 404 "DELETE of a file with a trailing slash: 404"
is "$(tree_state)" "$before" "refused DELETEs changed nothing"

dav DELETE /newdir/dir2/ "" -H 'Depth: infinity'
is "$HTTP_STATUS" 204 "DELETE of a folder (Depth: infinity): 204"
did=$(trash_id /newdir/dir2)
is "$(trash_q "[x['kind'] for x in e if x['id'] == '$did']")" "['folder']" \
    "the trash lists it as a folder"
is "$(tree_sum "$state/trash/$did")" "$dir_sum" "the whole tree is in the trash, in one piece"
before=$(tree_state)
dav MKCOL /newdir/dir2
http -X POST "$U/.ferry/trash/$did/restore"
is "$HTTP_STATUS" 409 "restore when the name is taken: 409"
like "$(cat "$HTTP_BODY")" 'taken' "the 409 says the name is taken"
rmdir "$root/newdir/dir2"
is "$(tree_state)" "$before" "... and nothing changed"
mv "$root/newdir" "$root/newdir-away"
http -X POST "$U/.ferry/trash/$did/restore"
is "$HTTP_STATUS" 409 "restore when its folder is gone: 409"
like "$(cat "$HTTP_BODY")" 'gone' "the 409 says the folder is gone"
mv "$root/newdir-away" "$root/newdir"
http -X POST "$U/.ferry/trash/$did/restore"
is "$HTTP_STATUS:$(hdr Location)" 201:/newdir/dir2/ "restore of the folder: 201, Location with a slash"
is "$(tree_sum "$root/newdir/dir2")" "$dir_sum" "the restored tree is identical"

before=$(tree_state)
http -X DELETE "$U/.ferry/trash/0-0123456789abcdef"
is "$HTTP_STATUS" 404 "DELETE of an unknown trash id: 404"
http -X POST "$U/.ferry/trash/..%2f..%2froot/restore"
is "$HTTP_STATUS" 404 "restore of a malformed id: 404"
http -X POST "$U/.ferry/trash/$vid/undelete"
is "$HTTP_STATUS" 404 "an unknown action under an entry: 404"
http -X PUT --data-binary x "$U/.ferry/trash"
like "$HTTP_STATUS" '^4' "PUT on the trash: 4xx"
http -X GET "$U/.ferry/trash/$vid"
is "$HTTP_STATUS" 405 "GET of one entry: 405"
is "$(tree_state)" "$before" "bad trash requests changed nothing"
http -X DELETE "$U/.ferry/trash/$vid"
is "$HTTP_STATUS" 204 "DELETE /.ferry/trash/ID: 204"
ok_if "... the entry and its record are gone for good" \
    test ! -e "$state/trash/$vid" -a ! -e "$state/trash/$vid.json"
is "$(trash_id /victim.txt)" "" "... and not listed any more"

if fds_back_to "$base_fds"; then
    pass "ferryd's fd count is back to its baseline ($base_fds)"
else
    fail "ferryd's fd count is back to its baseline ($base_fds)"
    diag "now $(fd_count):" "$(ls -l "/proc/$FERRY_PID/fd" 2>&1 | tail -n 20)"
fi

# ---------------------------------------------------------------- sweeping
# An entry 31 days old goes on the next DELETE; a 29-day-old one stays.
old=$(trash_id /target.txt)
young=$(trash_id /empty)
age_entry "$old" 31
age_entry "$young" 29
echo x >"$root/sweep-trigger.txt"
dav DELETE /sweep-trigger.txt
is "$HTTP_STATUS" 204 "DELETE (which sweeps the trash): 204"
ok_if "the 31-day-old entry is removed with its record" \
    test ! -e "$state/trash/$old" -a ! -e "$state/trash/$old.json"
ok_if "the 29-day-old entry stays" test -e "$state/trash/$young"
is "$(trash_q "e[-1]['id'] == '$young' and len(e) >= 3 and all(e[i]['deleted'] >= \
    e[i + 1]['deleted'] for i in range(len(e) - 1))")" True \
    "the trash listing is newest first (the 29-day-old entry last)"
ferry_stop TERM

# At start, with --trash-days 2: 3 days old goes, 1 day old stays.
age_entry "$young" 3
one=$(cd "$state/trash" && ls | grep -v '\.json$' | grep -vx "$young" | head -n 1)
age_entry "$one" 1
ferry_start "$root" --state-dir "$state" --trash-days 2 || bail_out "ferryd --trash-days did not start"
U=$FERRY_BASE
ok_if "--trash-days 2: an entry 3 days old is removed at start" test ! -e "$state/trash/$young"
ok_if "--trash-days 2: an entry 1 day old stays" test -e "$state/trash/$one"
like "$(cat "$FERRY_ERR")" "removed '/empty' for good" "the log names what the sweep removed"
ferry_stop TERM

# ---------------------------------------------------------------- --no-trash
ferry_start "$root" --state-dir "$state" --no-trash || bail_out "ferryd --no-trash did not start"
U=$FERRY_BASE
items=$(trash_items)
echo gone >"$root/gone.txt"
dav DELETE /gone.txt
is "$HTTP_STATUS" 204 "--no-trash: DELETE: 204"
ok_if "--no-trash: the file is removed at once" test ! -e "$root/gone.txt"
is "$(trash_items)" "$items" "--no-trash: nothing was added to the trash"
grep -aq "DELETE '/gone.txt': removed at once (--no-trash)" "$FERRY_ERR"
is "$?" 0 "--no-trash: the log says it was removed at once"
cp -a "$root/dir" "$root/gone-dir"
ln -s "$outside" "$root/gone-dir/out"
dav DELETE /gone-dir
is "$HTTP_STATUS" 204 "--no-trash: DELETE of a folder with a link out: 204"
ok_if "--no-trash: the folder is gone, what the link pointed to is not" \
    test ! -e "$root/gone-dir" -a "$(cat "$outside/keep.txt")" = "keep me"
echo one >"$root/r1.txt"
echo two >"$root/r2.txt"
dav MOVE /r1.txt /r2.txt
is "$HTTP_STATUS" 204 "--no-trash: MOVE onto an existing file: 204"
is "$(cat "$root/r2.txt"):$(trash_items):$(leftovers)" "one:$items:0" \
    "--no-trash: the replaced file is gone for good, no temporary name left"
rm -f "$root/r2.txt"
ferry_stop TERM

# ---------------------------------------------------------------- no state folder
saved_home=${HOME-}
saved_xdg=$XDG_STATE_HOME
unset HOME XDG_STATE_HOME
ferry_start "$root"
started=$?
HOME=$saved_home
export XDG_STATE_HOME=$saved_xdg
[ "$started" -eq 0 ] || bail_out "ferryd without a state folder did not start"
U=$FERRY_BASE
before=$(tree_state)
dav DELETE /a.txt
is "$HTTP_STATUS" 503 "no state folder: DELETE is 503"
like "$(cat "$HTTP_BODY")" 'state-dir.*no-trash' "... saying to give --state-dir or --no-trash"
dav COPY /moved.txt /a.txt
is "$HTTP_STATUS" 503 "no state folder: a COPY that would replace is 503"
http "$U/.ferry/trash"
is "$HTTP_STATUS" 503 "no state folder: GET /.ferry/trash is 503"
is "$(tree_state)" "$before" "no state folder: nothing changed"
dav MKCOL /made-without-state
is "$HTTP_STATUS" 201 "no state folder: MKCOL still works"
rmdir "$root/made-without-state"
ferry_stop TERM

# ---------------------------------------------------------------- read-only
ferry_start "$root" --state-dir "$state" --read-only || bail_out "ferryd --read-only did not start"
U=$FERRY_BASE
before=$(tree_state)
codes=""
for m in MKCOL MOVE COPY DELETE; do
    dav "$m" /a.txt /ro.txt
    codes="$codes $m:$HTTP_STATUS"
    dav "$m" /ro-new /ro2
    codes="$codes $m-new:$HTTP_STATUS"
done
is "$codes" " MKCOL:403 MKCOL-new:403 MOVE:403 MOVE-new:403 COPY:403 COPY-new:403 DELETE:403 DELETE-new:403" \
    "--read-only: MKCOL, MOVE, COPY and DELETE are 403"
like "$(cat "$HTTP_BODY")" 'read-only' "--read-only: the 403 says why"
http "$U/.ferry/trash"
is "$HTTP_STATUS" 200 "--read-only: the trash can be listed"
ro_id=$(trash_q "e[0]['id']")
http -X POST "$U/.ferry/trash/$ro_id/restore"
is "$HTTP_STATUS" 403 "--read-only: restore is 403"
http -X DELETE "$U/.ferry/trash/$ro_id"
is "$HTTP_STATUS" 403 "--read-only: removing a trash entry is 403"
is "$(tree_state)" "$before" "--read-only: nothing changed"
ferry_stop TERM

# ---------------------------------------------------------------- another file system
# A 256 KiB tmpfs inside the root: a full disk, and a mount point to cross.
small=$root/small
mkdir "$small"
if [ -n "${FERRY_WEBDAV_NS:-}" ] && mount -t tmpfs -o size=256k,mode=0755 tmpfs "$small" \
    2>/dev/null; then
    FERRY_CLEANUP_HOOK="umount '$small' 2>/dev/null"
    ferry_start "$root" --state-dir "$state" || bail_out "ferryd did not start"
    U=$FERRY_BASE
    before=$(tree_state)
    dav COPY /dir/big.bin /small/big.bin
    is "$HTTP_STATUS" 507 "COPY of 1 MiB onto a full 256 KiB disk: 507"
    like "$(cat "$HTTP_BODY")" 'disk is full' "the 507 says the disk is full"
    dav COPY /dir /small/dir
    is "$HTTP_STATUS" 507 "COPY of a folder onto the full disk: 507"
    is "$(ls -A "$small" | wc -l | tr -d ' ')" 0 "nothing is left on that disk, no temporary name"
    is "$(tree_state)" "$before" "the failed copies changed nothing"

    head -c 65536 /dev/urandom >"$root/xdev.bin"
    xsha=$(sha256 "$root/xdev.bin")
    dav MOVE /xdev.bin /small/xdev.bin
    is "$HTTP_STATUS" 201 "MOVE to another file system (copy, then delete): 201"
    ok_if "... the source is gone" test ! -e "$root/xdev.bin"
    sha256_is "$small/xdev.bin" "$xsha" "... the moved file has its bytes"
    mkdir "$root/xdir"
    cp "$root/dir/sub/s.bin" "$root/xdir/"
    xdir_sum=$(tree_sum "$root/xdir")
    dav MOVE /xdir /small/xdir
    is "$HTTP_STATUS:$(tree_sum "$small/xdir")" "201:$xdir_sum" "MOVE of a folder across: 201, same tree"
    ok_if "... the source folder is gone" test ! -e "$root/xdir"
    dav MOVE /small/xdev.bin /back.bin
    is "$HTTP_STATUS" 201 "MOVE back across: 201"
    sha256_is "$root/back.bin" "$xsha" "... with the same bytes"
    items=$(trash_items)
    dav DELETE /small/xdir
    is "$HTTP_STATUS:$([ -n "$(hdr Ferry-Trash-Id)" ] && echo id)" "204:id" \
        "DELETE on a file system other than the trash's: 204 with a trash id"
    ok_if "... gone from there" test ! -e "$small/xdir"
    is "$(trash_items)" "$((items + 1))" "... copied into the trash (t-trash.sh has more)"
    grep -aq "DELETE '/small/xdir': moved to the trash as" "$FERRY_ERR"
    is "$?" 0 "... and the log says so"
    echo one >"$small/keep.txt"
    dav COPY /back.bin /small/keep.txt
    is "$HTTP_STATUS:$(trash_items):$(leftovers)" "204:$((items + 1)):0" \
        "replacing a file there: 204, removed at once, no temporary name left"
    ferry_stop TERM
    umount "$small"
    FERRY_CLEANUP_HOOK=""
else
    for d in "COPY onto a full disk: 507" "the 507 says the disk is full" \
        "COPY of a folder onto the full disk: 507" "nothing is left on that disk" \
        "the failed copies changed nothing" "MOVE to another file system: 201" \
        "... the source is gone" "... the moved file has its bytes" \
        "MOVE of a folder across" "... the source folder is gone" "MOVE back across" \
        "... with the same bytes" "DELETE on another file system: 204" "... gone from there" \
        "... copied into the trash" "... and the log says so" "replacing a file there" \
        "ferryd exits 0 on SIGTERM"; do
        skip "$d" "cannot mount a tmpfs here (needs root and a mount namespace)"
    done
fi
rmdir "$small"

finish
