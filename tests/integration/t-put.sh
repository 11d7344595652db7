#!/bin/bash
# t-put.sh — uploads with PUT (curl -T): small and 64 MiB files with sha256
# checks, 201/204 and Location, the conflict policies (refuse, keep-both,
# overwrite), If-None-Match: * and If-Match, --read-only, --max-upload,
# missing folders, traversal and hidden names, unicode folder names, an
# upload cut half-way (no file in the tree, no part file left in the state
# folder), a listing polled during a slow upload (the name never shows
# before the file is complete), no state folder (503), and ferryd's fd
# count back at its baseline after the failures.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl

plan 90

root=$FERRY_TMP/root
state=$FERRY_TMP/state
outside=$FERRY_TMP/outside
mkdir -p "$root/sub" "$root/Fotos été 2024/März" "$outside"
ln -s "$outside" "$root/link-out"
head -c 1024 /dev/urandom >"$FERRY_TMP/small.bin"
head -c 2048 /dev/urandom >"$FERRY_TMP/2k.bin"
head -c $((64 << 20)) /dev/urandom >"$FERRY_TMP/big.bin"
head -c $((3 << 20)) /dev/urandom >"$FERRY_TMP/slow.bin"
small_sha=$(sha256 "$FERRY_TMP/small.bin")
big_sha=$(sha256 "$FERRY_TMP/big.bin")
echo "original" >"$FERRY_TMP/orig.txt"
echo "replacement" >"$FERRY_TMP/repl.txt"

# tree_state: names, sizes and contents of everything in the tree and
# beside it (outside), to check that a refused request changed nothing.
tree_state() {
    (cd "$FERRY_TMP" && find root outside -printf '%p %s %y\n' | sort &&
        find root outside -type f -exec sha256sum {} + | sort) | sha256sum
}

# part_files: how many part files the state folder holds.
part_files() {
    find "$state/uploads" -type f 2>/dev/null | wc -l | tr -d ' '
}

# listed_size FOLDER_URL NAME: the size of NAME in the JSON listing of
# FOLDER_URL, or "absent".
listed_size() {
    curl -q -sS --max-time "$T_CURL" "$1?format=json" 2>/dev/null |
        "$PYTHON" -c '
import json, sys
try:
    j = json.load(sys.stdin)
except Exception:
    print("unreadable"); sys.exit()
for e in j.get("entries", []):
    if e.get("name") == sys.argv[1]:
        print(e.get("size")); sys.exit()
print("absent")' "$2"
}

ferry_start "$root" --state-dir "$state" || bail_out "ferryd did not start"
U=$FERRY_BASE

# ---------------------------------------------------------------- new files
http -T "$FERRY_TMP/small.bin" "$U/small.bin"
is "$HTTP_STATUS" 201 "PUT of a new 1 KiB file: 201 Created"
is "$(hdr Location)" "/small.bin" "201 carries Location: /small.bin"
like "$(hdr ETag)" '^"[^"]+"$' "201 carries the new file's ETag"
sha256_is "$root/small.bin" "$small_sha" "the stored 1 KiB file has the sha256 sent"
http "$U/small.bin"
is "$HTTP_STATUS:$(sha256 "$HTTP_BODY")" "200:$small_sha" "GET gives back the uploaded bytes"
is "$(stat -c %a "$root/small.bin")" 644 "the stored file is mode 0644"

# the baseline: after one upload and one download, every lazy fd is open
fds_back_to 1000 >/dev/null
base_fds=$(fd_count)

http --max-time $((60 * T_SCALE)) -T "$FERRY_TMP/big.bin" "$U/sub/big.bin"
is "$HTTP_STATUS" 201 "PUT of a 64 MiB random file: 201"
sha256_is "$root/sub/big.bin" "$big_sha" "the stored 64 MiB file has the sha256 sent"
is "$(part_files)" 0 "no part file stays in \$STATE/uploads after success"
ok_if "the uploads folder is mode 0700" test "$(stat -c %a "$state/uploads")" = 700

# ---------------------------------------------------------------- conflicts
http -T "$FERRY_TMP/orig.txt" "$U/doc.txt"
is "$HTTP_STATUS" 201 "PUT doc.txt: 201"
before=$(tree_state)
http -T "$FERRY_TMP/repl.txt" "$U/doc.txt"
is "$HTTP_STATUS" 409 "PUT onto an existing file, default policy: 409 Conflict"
like "$(cat "$HTTP_BODY")" 'exists.*If-Match' "the 409 says what to do"
is "$(tree_state)" "$before" "the refused PUT changed nothing"

http -T "$FERRY_TMP/repl.txt" -H 'If-None-Match: *' "$U/doc.txt"
is "$HTTP_STATUS" 412 "If-None-Match: * onto an existing file: 412"
is "$(cat "$root/doc.txt")" original "... and the file is unchanged"
http -T "$FERRY_TMP/repl.txt" -H 'If-None-Match: *' "$U/fresh.txt"
is "$HTTP_STATUS" 201 "If-None-Match: * onto a new name: 201"

http -I "$U/doc.txt"
etag=$(hdr ETag)
http -T "$FERRY_TMP/repl.txt" -H 'If-Match: "0-0-0"' "$U/doc.txt"
is "$HTTP_STATUS" 412 "If-Match with a wrong ETag: 412"
is "$(cat "$root/doc.txt")" original "... and the file is unchanged"
http -T "$FERRY_TMP/repl.txt" -H "If-Match: $etag" "$U/doc.txt"
is "$HTTP_STATUS" 204 "If-Match with the current ETag: 204 No Content (replaced)"
is "$(cat "$root/doc.txt")" replacement "... and the file has the new content"
is "$(body_size)" 0 "204 has no body"
http -T "$FERRY_TMP/repl.txt" -H "If-Match: $etag" "$U/doc.txt"
is "$HTTP_STATUS" 412 "If-Match with the ETag the file had before: 412"
http -T "$FERRY_TMP/repl.txt" -H "If-Match: $etag" "$U/no-such.txt"
is "$HTTP_STATUS" 412 "If-Match on a name that does not exist: 412"
ok_if "... and nothing was created" test ! -e "$root/no-such.txt"

# ---------------------------------------------------------------- bad targets
before=$(tree_state)
http -T "$FERRY_TMP/small.bin" "$U/missing/x.bin"
is "$HTTP_STATUS" 409 "PUT into a missing folder: 409"
like "$(cat "$HTTP_BODY")" 'does not exist' "the 409 says the folder is missing"
http -T "$FERRY_TMP/small.bin" "$U/sub"
is "$HTTP_STATUS" 409 "PUT onto a folder: 409"
http -X PUT --data-binary "@$FERRY_TMP/small.bin" "$U/sub/" # -T would append the name
is "$HTTP_STATUS" 409 "PUT onto a folder path with a slash: 409"
long=$(head -c 256 /dev/zero | tr '\0' n)
http -T "$FERRY_TMP/small.bin" "$U/$long"
is "$HTTP_STATUS" 400 "a 256-byte name: 400"
like "$(cat "$HTTP_BODY")" 'longer' "the 400 says the name is too long"
codes=""
for p in '/../x' '/%2e%2e/x' '/.hidden' '/sub/.hidden' '/a/../../x' '/sub/../../x' \
    '/link-out/x' '/link-out/../x' '/%2e%2e%2fx' '/sub%2f..%2f..%2fx' '/.ferry/x' \
    '/x%00y' '/x\y'; do
    http -T "$FERRY_TMP/small.bin" "$U$p"
    codes="$codes $p:$HTTP_STATUS"
done
like "$codes" '^( [^ ]+:4[0-9][0-9])+$' "traversal and hidden names: every one 4xx ($codes)"
is "$(tree_state)" "$before" "refused targets wrote nothing inside or outside the root"
ok_if "the symlink to outside got nothing" test ! -e "$outside/x"
is "$(part_files)" 0 "refused PUTs left no part file"

# ---------------------------------------------------------------- unicode
http -T "$FERRY_TMP/small.bin" "$U/Fotos%20%C3%A9t%C3%A9%202024/M%C3%A4rz/Bild%20eins.bin"
is "$HTTP_STATUS" 201 "PUT into a folder with unicode and spaces: 201"
is "$(hdr Location)" "/Fotos%20%C3%A9t%C3%A9%202024/M%C3%A4rz/Bild%20eins.bin" \
    "Location is the percent-encoded path"
sha256_is "$root/Fotos été 2024/März/Bild eins.bin" "$small_sha" \
    "the file is under the unicode folder with its bytes"
http "$U/Fotos%20%C3%A9t%C3%A9%202024/M%C3%A4rz/Bild%20eins.bin"
is "$HTTP_STATUS:$(sha256 "$HTTP_BODY")" "200:$small_sha" "and downloads again by its URL"

# ---------------------------------------------------------------- size limit on the fly
# (the ferryd above has no limit: a chunked body is stored)
http -H 'Transfer-Encoding: chunked' -T "$FERRY_TMP/2k.bin" "$U/chunked.bin"
is "$HTTP_STATUS" 201 "a chunked PUT (no Content-Length): 201"
same_file "$root/chunked.bin" "$FERRY_TMP/2k.bin" "the chunked body is stored whole"

# ---------------------------------------------------------------- cut half-way
# A slow upload, polled through the listing, then killed by its PID.
curl -q -sS --max-time 120 --limit-rate 2M -o /dev/null -T "$FERRY_TMP/big.bin" \
    "$U/sub/cut.bin" 2>/dev/null &
cut_pid=$!
track_pid "$cut_pid"
seen=0
for ((i = 0; i < 100 * T_SCALE; i++)); do
    [ "$(part_files)" -ge 1 ] && [ -n "$(find "$state/uploads" -type f -size +1k)" ] && break
    sleep 0.05
done
ok_if "during the upload a part file grows in \$STATE/uploads" \
    test -n "$(find "$state/uploads" -type f -size +1k)"
listed=""
for ((i = 0; i < 10; i++)); do
    s=$(listed_size "$U/sub/" cut.bin)
    [ "$s" = absent ] || listed="$listed $s"
    sleep 0.1
done
is "$listed" "" "the listing never shows the name while the upload runs"
ok_if "nothing named cut.bin is in the tree during the upload" test ! -e "$root/sub/cut.bin"
kill "$cut_pid" 2>/dev/null
wait "$cut_pid" 2>/dev/null
forget_pid "$cut_pid"
for ((i = 0; i < 100 * T_SCALE; i++)); do
    [ "$(part_files)" -eq 0 ] && break
    sleep 0.05
done
is "$(part_files)" 0 "after the client is killed, the part file is removed"
ok_if "... and no file appeared in the tree" test ! -e "$root/sub/cut.bin"
unlike "$(ls -A "$root/sub")" 'ferry-part' "... nor a temporary one"

# A slow upload that completes: the name shows only with its full size.
curl -q -sS --max-time 60 --limit-rate 4M -o /dev/null -T "$FERRY_TMP/slow.bin" \
    "$U/sub/slow.bin" 2>/dev/null &
slow_pid=$!
track_pid "$slow_pid"
listed=""
while alive "$slow_pid"; do
    s=$(listed_size "$U/sub/" slow.bin)
    [ "$s" = absent ] || [ "$s" = "$((3 << 20))" ] || listed="$listed $s"
    sleep 0.05
done
wait "$slow_pid"
rc=$?
forget_pid "$slow_pid"
is "$rc" 0 "the slow upload finished"
is "$listed" "" "while it ran, slow.bin was never listed with a partial size"
is "$(listed_size "$U/sub/" slow.bin)" "$((3 << 20))" "afterwards it is listed with its full size"

is "$(part_files)" 0 "no part file is left in \$STATE/uploads"
if fds_back_to "$base_fds"; then
    pass "ferryd's fd count is back to its baseline ($base_fds) after the failures"
else
    fail "ferryd's fd count is back to its baseline ($base_fds) after the failures"
    diag "now $(fd_count):" "$(ls -l "/proc/$FERRY_PID/fd" 2>&1 | tail -n 20)"
fi
grep -aq '"PUT /sub/cut.bin" .*(aborted)' "$FERRY_ERR"
is "$?" 0 "the access log marks the cut upload as aborted"
ferry_stop TERM

# ---------------------------------------------------------------- keep-both
# (and a part file left by a PUT of a killed ferryd is removed at start)
printf 'left by a kill -9' >"$state/uploads/put-0123456789abcdef.part"
ferry_start "$root" --state-dir "$state" --on-conflict keep-both ||
    bail_out "ferryd --on-conflict keep-both did not start"
ok_if "a PUT part file of an earlier run is removed at start" \
    test ! -e "$state/uploads/put-0123456789abcdef.part"
U=$FERRY_BASE
http -T "$FERRY_TMP/repl.txt" "$U/small.bin"
is "$HTTP_STATUS" 201 "keep-both: PUT onto an existing name: 201"
is "$(hdr Location)" "/small%20%281%29.bin" "keep-both: Location names \"small (1).bin\""
is "$(cat "$root/small (1).bin")" replacement "keep-both: the upload is in \"small (1).bin\""
sha256_is "$root/small.bin" "$small_sha" "keep-both: the old file is untouched"
http -T "$FERRY_TMP/repl.txt" "$U/small.bin"
is "$(hdr Location)" "/small%20%282%29.bin" "keep-both: the next one is \"small (2).bin\""
http -T "$FERRY_TMP/repl.txt" "$U/noext-new"
is "$HTTP_STATUS:$(hdr Location)" "201:/noext-new" "keep-both: a new name keeps its name"
http -T "$FERRY_TMP/orig.txt" "$U/noext-new"
is "$(hdr Location)" "/noext-new%20%281%29" "keep-both: \"noext-new (1)\" for a name without extension"
http -T "$FERRY_TMP/orig.txt" -H 'If-None-Match: *' "$U/small.bin"
is "$HTTP_STATUS" 412 "keep-both: If-None-Match: * still refuses with 412"
ferry_stop TERM

# ---------------------------------------------------------------- overwrite
conf=$FERRY_TMP/ferryd.conf
printf 'on-conflict = overwrite\n' >"$conf"
ferry_start "$root" --state-dir "$state" --config "$conf" ||
    bail_out "ferryd with on-conflict = overwrite did not start"
U=$FERRY_BASE
http -T "$FERRY_TMP/orig.txt" "$U/over.txt"
is "$HTTP_STATUS" 201 "overwrite (config file key): a new file is 201"
http -T "$FERRY_TMP/repl.txt" "$U/over.txt"
is "$HTTP_STATUS" 204 "overwrite: the same name again is 204"
is "$(cat "$root/over.txt")" replacement "overwrite: the file has the new content"
http -T "$FERRY_TMP/orig.txt" -H 'If-None-Match: *' "$U/over.txt"
is "$HTTP_STATUS" 412 "overwrite: If-None-Match: * still refuses with 412"
before=$(tree_state)
http -T "$FERRY_TMP/orig.txt" "$U/sub"
is "$HTTP_STATUS" 409 "overwrite: a folder is never replaced (409)"
is "$(tree_state)" "$before" "overwrite: ... and nothing changed"
ferry_stop TERM

# ---------------------------------------------------------------- read-only
ferry_start "$root" --state-dir "$state" --read-only || bail_out "ferryd --read-only did not start"
U=$FERRY_BASE
before=$(tree_state)
http -T "$FERRY_TMP/small.bin" "$U/ro.bin"
is "$HTTP_STATUS" 403 "--read-only: PUT is 403"
like "$(cat "$HTTP_BODY")" 'read-only' "--read-only: the 403 says why"
http -T "$FERRY_TMP/big.bin" "$U/ro-big.bin"
is "$HTTP_STATUS" 403 "--read-only: a 64 MiB PUT is refused before its body (403)"
is "$(tree_state)" "$before" "--read-only: nothing was written"
is "$(part_files)" 0 "--read-only: no part file"
ferry_stop TERM

# ---------------------------------------------------------------- max-upload
ferry_start "$root" --state-dir "$state" --max-upload 1K || bail_out "ferryd --max-upload did not start"
U=$FERRY_BASE
before=$(tree_state)
http -T "$FERRY_TMP/2k.bin" "$U/2k.bin"
is "$HTTP_STATUS" 413 "--max-upload 1K: a 2 KiB PUT is 413"
like "$(cat "$HTTP_BODY")" '1024 bytes' "the 413 names the limit"
http -H 'Transfer-Encoding: chunked' -T "$FERRY_TMP/2k.bin" "$U/2k-chunked.bin"
is "$HTTP_STATUS" 413 "--max-upload 1K: a 2 KiB chunked body that grows past it is 413"
is "$(tree_state)" "$before" "--max-upload: nothing was written"
is "$(part_files)" 0 "--max-upload: the part file was removed"
http -T "$FERRY_TMP/small.bin" "$U/1k.bin"
is "$HTTP_STATUS" 201 "--max-upload 1K: a 1 KiB PUT is 201"
ferry_stop TERM

# ---------------------------------------------------------------- no state folder
saved_home=${HOME-}
saved_xdg=$XDG_STATE_HOME
unset HOME XDG_STATE_HOME
ferry_start "$root"
started=$?
HOME=$saved_home
export XDG_STATE_HOME=$saved_xdg
if [ "$started" -ne 0 ]; then
    bail_out "ferryd without a state folder did not start"
fi
U=$FERRY_BASE
http -T "$FERRY_TMP/small.bin" "$U/nostate.bin"
is "$HTTP_STATUS" 503 "without a state folder: 503"
like "$(cat "$HTTP_BODY")" 'state-dir' "the 503 says to give --state-dir"
ok_if "without a state folder: nothing was written" test ! -e "$root/nostate.bin"
ferry_stop TERM

# ---------------------------------------------------------------- options
ferry_run --on-conflict sometimes "$root"
is "$RUN_RC:$(grep -c 'refuse, keep-both, overwrite' "$RUN_ERR")" 2:1 \
    "--on-conflict with an unknown policy: exit 2 naming the choices"
ferry_run --max-upload 12X "$root"
is "$RUN_RC" 2 "--max-upload 12X: exit 2"

finish
