#!/bin/bash
# t-tus.sh — resumable uploads, tus 1.0 under /.ferry/uploads/, with curl:
#   1. OPTIONS (versions, extensions, checksum algorithm);
#   2. the whole protocol: POST (Location, Upload-Expires), HEAD (offset,
#      length, metadata, no-store), PATCH in pieces, the file stored only
#      when complete (Ferry-Stored-As, sha256), HEAD after completion; a
#      unicode folder; X-HTTP-Method-Override; creation-with-upload; an
#      empty file; a chunked PATCH;
#   3. every error, each followed by "nothing on disk changed" (hashes of
#      the tree and of $STATE/uploads): 412, 415, 409 (offset, conflicts,
#      missing folder), 400 (lengths, metadata, names, a chunked body past
#      the length, checksums), 403 (traversal, hidden, links out, /.ferry),
#      404, 405, 413, 423 while another PATCH writes; the person's choice
#      on a taken name (metadata "onconflict": replace, keep-both);
#   4. a PATCH cut mid-body: the bytes received are kept, the upload
#      completes; the name never shows in the listing before that; a
#      DELETE while a PATCH writes: 204, 404 after, the PATCH cut, no files;
#   5. checksums: good, bad (460, truncated back), unsupported (400), and a
#      checksummed PATCH cut half-way (nothing kept);
#   6. a name taken after the creation (policy refuse): stored as the
#      keep-both name; the folder removed before the last byte: 409, the
#      bytes kept, stored by an empty PATCH once it is back; DELETE
#      (termination); ferryd's fd count back at its baseline;
#   7. expiry (--upload-expiry 2): swept at the next creation, HEAD 404;
#   8. kill -9 of ferryd mid-PATCH, relaunch on the same state folder: the
#      offset is what was written, the upload is listed as resumable and
#      completes; cut commits and cut checksummed PATCHes found on disk are
#      finished or undone at start, orphans removed;
#   9. a fake-OS suspension during a PATCH: the upload is a transfer in
#      /.ferry/status, in the journal after suspension, and completes after
#      resume;
#  10. --read-only (403 but OPTIONS), --max-upload (Tus-Max-Size, 413), no
#      state folder (503).

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl base64
: "${FERRYCTL:=$(dirname "$FERRYD")/ferryctl}"
[ -x "$FERRYCTL" ] || bail_out "FERRYCTL=$FERRYCTL is not an executable (build it first)"

plan 148

root=$FERRY_TMP/root
state=$FERRY_TMP/state
outside=$FERRY_TMP/outside
src=$FERRY_TMP/src
mkdir -p "$root/sub" "$root/Fotos été 2024" "$root/.hid" "$root/taken" "$outside" "$src"
ln -s "$outside" "$root/link-out"
head -c 1000 /dev/urandom >"$src/small.bin"
head -c $((3 << 20)) /dev/urandom >"$src/mid.bin"
head -c $((16 << 20)) /dev/urandom >"$src/big.bin"
printf 'was here first\n' >"$root/exists.txt"
small_sha=$(sha256 "$src/small.bin")
mid_sha=$(sha256 "$src/mid.bin")
big_sha=$(sha256 "$src/big.bin")
big=$(file_size "$src/big.bin")
mid=$(file_size "$src/mid.bin")
T_WAIT=$((10 * T_SCALE)) # seconds of a bounded poll

TR=(-H 'Tus-Resumable: 1.0.0')
OCT=(-H 'Content-Type: application/offset+octet-stream')

# ---------------------------------------------------------------- helpers

# b64 TEXT: standard base64 of TEXT, one line.
b64() {
    printf '%s' "$1" | base64 -w0
}

# sum64 FILE: the base64 of FILE's SHA-256, for Upload-Checksum.
sum64() {
    "$PYTHON" -c 'import base64, hashlib, sys
print(base64.b64encode(hashlib.sha256(open(sys.argv[1], "rb").read()).digest()).decode())' "$1"
}

# meta NAME [FOLDER]: an Upload-Metadata value.
meta() {
    local m
    m="filename $(b64 "$1")"
    [ $# -ge 2 ] && m="$m,folder $(b64 "$2")"
    printf '%s' "$m"
}

# create LENGTH METADATA [CURL ARGS...]: POST to the endpoint; sets LOC to
# the Location (a path).
create() {
    local len=$1 md=$2
    shift 2
    http -X POST "${TR[@]}" -H "Upload-Length: $len" -H "Upload-Metadata: $md" "$@" \
        "$U/.ferry/uploads/"
    LOC=$(hdr Location)
}

# patch LOC OFFSET FILE [CURL ARGS...]: PATCH FILE's bytes at OFFSET.
patch() {
    local loc=$1 off=$2 file=$3
    shift 3
    http -X PATCH "${TR[@]}" "${OCT[@]}" -H "Upload-Offset: $off" -T "$file" "$@" "$U$loc"
}

# head_of LOC: HEAD; sets OFF to Upload-Offset.
head_of() {
    http -I "${TR[@]}" "$U$1"
    OFF=$(hdr Upload-Offset)
}

# id_of LOC: the upload id in LOC.
id_of() {
    printf '%s' "${1##*/}"
}

# tree_state: names, sizes and contents of the tree and beside it.
tree_state() {
    (cd "$FERRY_TMP" && find root outside -printf '%p %s %y\n' | sort &&
        find root outside -type f -exec sha256sum {} + | sort) | sha256sum
}

# uploads_state: names, sizes and contents of $STATE/uploads.
uploads_state() {
    (cd "$state" && find uploads -printf '%p %s %y\n' 2>/dev/null | sort &&
        find uploads -type f -exec sha256sum {} + 2>/dev/null | sort) | sha256sum
}

# all_state: both, for "nothing on disk changed".
all_state() {
    echo "$(tree_state) $(uploads_state)"
}

# part_size ID: the size of the upload's part file, or "none".
part_size() {
    stat -c %s "$state/uploads/tus-$1.part" 2>/dev/null || echo none
}

# wait_part ID BYTES PID: polls until the part file has at least BYTES or
# PID has exited. Prints the size reached.
wait_part() {
    local i got=0
    for ((i = 0; i < 20 * T_WAIT; i++)); do
        got=$(stat -c %s "$state/uploads/tus-$1.part" 2>/dev/null || echo 0)
        [ "$got" -ge "$2" ] && break
        alive "$3" || break
        sleep 0.05
    done
    echo "$got"
}

# wait_log TEXT: polls ferryd's log until a line has TEXT (fixed string).
wait_log() {
    local i
    for ((i = 0; i < 20 * T_WAIT; i++)); do
        grep -qF -- "$1" "$FERRY_ERR" && return 0
        sleep 0.05
    done
    return 1
}

# slow_patch LOC OFFSET FILE RATE: a throttled PATCH in the background
# (SLOW_PID), its curl exit status written to $FERRY_TMP/slow.rc.
slow_patch() {
    rm -f "$FERRY_TMP/slow.rc"
    (
        curl -q -sS --max-time $((120 * T_SCALE)) --limit-rate "$4" -o /dev/null -X PATCH \
            "${TR[@]}" "${OCT[@]}" -H "Upload-Offset: $2" -T "$3" "$U$1" 2>/dev/null
        echo $? >"$FERRY_TMP/slow.rc"
    ) &
    SLOW_PID=$!
    track_pid "$SLOW_PID"
}

# stop_slow: kills the throttled PATCH (curl, then its subshell).
stop_slow() {
    kill_children "$SLOW_PID"
    kill "$SLOW_PID" 2>/dev/null
    wait "$SLOW_PID" 2>/dev/null
    forget_pid "$SLOW_PID"
}

# kill_children PID: SIGKILL to PID's direct children, by their PIDs.
kill_children() {
    local c
    for c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
        kill -KILL "$c" 2>/dev/null
    done
}

# listed NAME FOLDER_URL: NAME's size in the JSON listing, or "absent".
listed() {
    curl -q -sS --max-time "$T_CURL" "$2?format=json" 2>/dev/null | "$PYTHON" -c '
import json, sys
try:
    j = json.load(sys.stdin)
except Exception:
    print("unreadable"); sys.exit()
for e in j.get("entries", []):
    if e.get("name") == sys.argv[1]:
        print(e.get("size")); sys.exit()
print("absent")' "$1"
}

# status_ok DESC PYTHON: one point over GET /.ferry/status (json_ok).
status_ok() {
    http "$U/.ferry/status"
    json_ok "$1" "$HTTP_BODY" "$2"
}

# ---------------------------------------------------------------- 1. OPTIONS
ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not start"
U=$FERRY_BASE

http -X OPTIONS "$U/.ferry/uploads/"
is "$HTTP_STATUS" 204 "OPTIONS /.ferry/uploads/: 204 (no Tus-Resumable needed)"
is "$(hdr Tus-Version)/$(hdr Tus-Resumable)" "1.0.0/1.0.0" "OPTIONS: Tus-Version and Tus-Resumable 1.0.0"
is "$(hdr Tus-Extension)" "creation,creation-with-upload,termination,expiration,checksum" \
    "OPTIONS: Tus-Extension lists the extensions"
is "$(hdr Tus-Checksum-Algorithm)" sha256 "OPTIONS: Tus-Checksum-Algorithm: sha256"
is "$(hdr_count Tus-Max-Size)" 0 "OPTIONS: no Tus-Max-Size without --max-upload"

# ---------------------------------------------------------------- 2. protocol
create 1000 "$(meta a.bin /sub),filetype $(b64 application/x-test)"
is "$HTTP_STATUS" 201 "POST: 201 Created"
like "$LOC" '^/\.ferry/uploads/[0-9a-f]{32}$' "POST: Location is /.ferry/uploads/<32 hex>"
like "$(hdr Upload-Expires)" '^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$' \
    "POST: Upload-Expires is an HTTP date"
is "$(hdr Tus-Resumable)" 1.0.0 "POST: Tus-Resumable in the answer"
loc_a=$LOC
id_a=$(id_of "$loc_a")
is "$(part_size "$id_a")/$(stat -c %a "$state/uploads/tus-$id_a.part" 2>/dev/null)" "0/600" \
    "an empty part file (0600) is in \$STATE/uploads"
is "$(stat -c %a "$state/uploads")" 700 "the uploads folder is mode 0700"

head_of "$loc_a"
is "$HTTP_STATUS/$OFF/$(hdr Upload-Length)" "200/0/1000" "HEAD: 200, Upload-Offset 0, Upload-Length 1000"
is "$(hdr Upload-Metadata)" "$(meta a.bin /sub),filetype $(b64 application/x-test)" \
    "HEAD: Upload-Metadata as sent"
is "$(hdr Cache-Control)" no-store "HEAD: Cache-Control: no-store"

slice "$src/small.bin" 0 400 "$FERRY_TMP/p1"
slice "$src/small.bin" 400 600 "$FERRY_TMP/p2"
patch "$loc_a" 0 "$FERRY_TMP/p1"
is "$HTTP_STATUS/$(hdr Upload-Offset)" "204/400" "PATCH of 400 bytes: 204, Upload-Offset 400"
like "$(hdr Upload-Expires)" 'GMT$' "PATCH: Upload-Expires in the answer"
ok_if "after a partial PATCH the file is not in the tree" test ! -e "$root/sub/a.bin"
is "$(part_size "$id_a")" 400 "the part file holds the 400 bytes"
head_of "$loc_a"
is "$OFF" 400 "HEAD: Upload-Offset 400"
patch "$loc_a" 400 "$FERRY_TMP/p2"
is "$HTTP_STATUS/$(hdr Upload-Offset)" "204/1000" "the last PATCH: 204, Upload-Offset 1000"
is "$(hdr Ferry-Stored-As)" /sub/a.bin "Ferry-Stored-As: /sub/a.bin"
sha256_is "$root/sub/a.bin" "$small_sha" "the stored file has the sha256 sent"
is "$(stat -c %a "$root/sub/a.bin")" 644 "the stored file is mode 0644"
is "$(part_size "$id_a")" none "the part file is gone"
head_of "$loc_a"
is "$HTTP_STATUS/$OFF/$(hdr Upload-Length)" "200/1000/1000" \
    "HEAD after completion (a lost answer): offset == length"

# the baseline: every lazy fd is open after one whole upload
fds_back_to 1000 >/dev/null
base_fds=$(fd_count)

# A unicode folder, the body sent with the creation, in one go.
# (--data-binary: -T would append the file's name to a URL ending in '/')
create "$mid" "$(meta 'Bild eins.bin' '/Fotos été 2024')" "${OCT[@]}" --data-binary "@$src/mid.bin"
is "$HTTP_STATUS/$(hdr Upload-Offset)" "201/$mid" "creation-with-upload: 201, Upload-Offset $mid"
is "$(hdr Ferry-Stored-As)" "/Fotos%20%C3%A9t%C3%A9%202024/Bild%20eins.bin" \
    "Ferry-Stored-As is the %-encoded path"
sha256_is "$root/Fotos été 2024/Bild eins.bin" "$mid_sha" "the 3 MiB file is in the unicode folder"

# X-HTTP-Method-Override: POST standing for PATCH and DELETE.
create 1000 "$(meta override.bin)"
loc=$LOC
http -X POST "${TR[@]}" "${OCT[@]}" -H 'X-HTTP-Method-Override: PATCH' -H 'Upload-Offset: 0' \
    -T "$src/small.bin" "$U$loc"
is "$HTTP_STATUS/$(hdr Upload-Offset)" "204/1000" "POST + X-HTTP-Method-Override: PATCH: 204"
sha256_is "$root/override.bin" "$small_sha" "... and the file is stored"
create 10 "$(meta override-del.bin)"
loc=$LOC
http -X POST "${TR[@]}" -H 'X-HTTP-Method-Override: DELETE' "$U$loc"
is "$HTTP_STATUS" 204 "POST + X-HTTP-Method-Override: DELETE: 204"
head_of "$loc"
is "$HTTP_STATUS" 404 "... and the upload is gone (HEAD 404)"

# An empty file is complete at its creation.
create 0 "$(meta empty.txt /sub)"
is "$HTTP_STATUS/$(hdr Upload-Offset)/$(hdr Ferry-Stored-As)" "201/0//sub/empty.txt" \
    "an empty upload is stored at its creation: 201, Ferry-Stored-As"
is "$(stat -c %s "$root/sub/empty.txt" 2>/dev/null)" 0 "... as an empty file"

# A chunked PATCH (no Content-Length) that fits.
create 1000 "$(meta chunked.bin)"
loc=$LOC
patch "$loc" 0 "$src/small.bin" -H 'Transfer-Encoding: chunked'
is "$HTTP_STATUS/$(hdr Upload-Offset)" "204/1000" "a chunked PATCH: 204"
sha256_is "$root/chunked.bin" "$small_sha" "... and the file is stored whole"

# ---------------------------------------------------------------- 3. errors
create 1000 "$(meta e.bin /sub)"
loc_e=$LOC
id_e=$(id_of "$loc_e")
slice "$src/small.bin" 0 100 "$FERRY_TMP/h100"
patch "$loc_e" 0 "$FERRY_TMP/h100"
is "$HTTP_STATUS" 204 "an upload at offset 100 for the error cases"
before=$(all_state)

http -I "$U$loc_e"
is "$HTTP_STATUS/$(hdr Tus-Version)" "412/1.0.0" "HEAD without Tus-Resumable: 412 with Tus-Version"
http -X PATCH -H 'Tus-Resumable: 0.2.2' "${OCT[@]}" -H 'Upload-Offset: 100' \
    -T "$FERRY_TMP/h100" "$U$loc_e"
is "$HTTP_STATUS" 412 "PATCH with Tus-Resumable: 0.2.2: 412"
http -X PATCH "${TR[@]}" -H 'Content-Type: application/octet-stream' -H 'Upload-Offset: 100' \
    -T "$FERRY_TMP/h100" "$U$loc_e"
is "$HTTP_STATUS" 415 "PATCH with another Content-Type: 415"
patch "$loc_e" 0 "$FERRY_TMP/h100"
is "$HTTP_STATUS" 409 "PATCH at a wrong Upload-Offset: 409"
like "$(cat "$HTTP_BODY")" 'has 100 bytes' "the 409 says the offset the server has"
http -X PATCH "${TR[@]}" "${OCT[@]}" -T "$FERRY_TMP/h100" "$U$loc_e"
is "$HTTP_STATUS" 400 "PATCH without Upload-Offset: 400"
patch "$loc_e" 100 "$src/small.bin"
is "$HTTP_STATUS" 400 "PATCH whose Content-Length goes past Upload-Length: 400"
patch "$loc_e" 100 "$src/small.bin" -H 'Transfer-Encoding: chunked'
is "$HTTP_STATUS" 400 "a chunked PATCH that runs past Upload-Length: 400"
like "$(cat "$HTTP_BODY")" 'past Upload-Length' "the 400 says the body is too long"
is "$(all_state)" "$before" "... nothing on disk changed (the part was truncated back)"
head_of "$loc_e"
is "$OFF" 100 "HEAD still says 100"
patch "$loc_e" 100 "$FERRY_TMP/h100" -H "Upload-Checksum: sha1 $(b64 12345678901234567890)"
is "$HTTP_STATUS" 400 "Upload-Checksum with sha1: 400"
like "$(cat "$HTTP_BODY")" 'sha256' "the 400 names sha256 as the one supported"
patch "$loc_e" 100 "$FERRY_TMP/h100" -H 'Upload-Checksum: sha256 bm90IGJhc2U2NA'
is "$HTTP_STATUS" 400 "a malformed Upload-Checksum: 400"
patch "/.ferry/uploads/0123456789abcdef0123456789abcdef" 0 "$FERRY_TMP/h100"
is "$HTTP_STATUS" 404 "PATCH of an unknown upload: 404"
head_of "/.ferry/uploads/0123456789abcdef0123456789abcdef"
is "$HTTP_STATUS" 404 "HEAD of an unknown upload: 404"
head_of "/.ferry/uploads/../../etc/passwd"
is "$HTTP_STATUS" 404 "HEAD of a malformed upload URL: 404"
http -X DELETE "${TR[@]}" "$U/.ferry/uploads/0123456789abcdef0123456789abcdef"
is "$HTTP_STATUS" 404 "DELETE of an unknown upload: 404"
http "${TR[@]}" "$U/.ferry/uploads/"
is "$HTTP_STATUS/$(hdr Allow)" "405/OPTIONS, POST" "GET /.ferry/uploads/: 405 with Allow"
http -X PATCH "${TR[@]}" "${OCT[@]}" -H 'Upload-Offset: 0' --data-binary "@$FERRY_TMP/h100" \
    "$U/.ferry/uploads/"
is "$HTTP_STATUS" 405 "PATCH of the collection: 405"
http -X POST "${TR[@]}" -H 'X-HTTP-Method-Override: GET' "$U$loc_e"
is "$HTTP_STATUS" 400 "X-HTTP-Method-Override: GET: 400"
is "$(all_state)" "$before" "the refused PATCHes changed nothing on disk"

# Creation errors: none may create anything.
codes=""
try_create() { # LABEL CURL-ARGS...: POST, collects "LABEL:status"
    local label=$1
    shift
    http -X POST "${TR[@]}" "$@" "$U/.ferry/uploads/"
    codes="$codes $label:$HTTP_STATUS"
}
try_create no-length -H "Upload-Metadata: $(meta x.bin)"
try_create bad-length -H 'Upload-Length: 12abc' -H "Upload-Metadata: $(meta x.bin)"
try_create neg-length -H 'Upload-Length: -1' -H "Upload-Metadata: $(meta x.bin)"
try_create huge-length -H 'Upload-Length: 9223372036854775808' -H "Upload-Metadata: $(meta x.bin)"
try_create defer -H 'Upload-Defer-Length: 1' -H "Upload-Metadata: $(meta x.bin)"
try_create no-meta -H 'Upload-Length: 10'
try_create no-filename -H 'Upload-Length: 10' -H "Upload-Metadata: folder $(b64 /sub)"
try_create bad-b64 -H 'Upload-Length: 10' -H 'Upload-Metadata: filename eC5iaW4'
try_create dup-key -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta x.bin),$(meta y.bin)"
try_create slash -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta a/b)"
try_create dotdot -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta ..)"
try_create control -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta $'x\001y')"
try_create backslash -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta 'x\y')"
try_create long -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta "$(printf 'n%.0s' {1..256})")"
is "$codes" " no-length:400 bad-length:400 neg-length:400 huge-length:400 defer:400 no-meta:400\
 no-filename:400 bad-b64:400 dup-key:400 slash:400 dotdot:400 control:400 backslash:400 long:400" \
    "bad lengths, metadata and names: every one 400"
http -X POST "${TR[@]}" -H 'Upload-Defer-Length: 1' -H "Upload-Metadata: $(meta x.bin)" \
    "$U/.ferry/uploads/"
like "$(cat "$HTTP_BODY")" 'Upload-Defer-Length is not supported' "the 400 says deferred length is not supported"
codes=""
try_create up -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta x.bin ../outside)"
try_create up-deep -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta x.bin /sub/../../outside)"
try_create link-out -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta x.bin /link-out)"
try_create hidden-name -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta .secret)"
try_create hidden-folder -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta x.bin /.hid)"
try_create ferry -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta x.bin /.ferry)"
is "$codes" " up:403 up-deep:403 link-out:403 hidden-name:403 hidden-folder:403 ferry:403" \
    "traversal, links out, hidden names and /.ferry: every one 403"
codes=""
try_create missing -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta x.bin /no/such)"
try_create exists -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta exists.txt)"
try_create folder -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta sub)"
try_create body-type -H 'Upload-Length: 1000' -H "Upload-Metadata: $(meta x.bin)" \
    -H 'Content-Type: application/octet-stream' --data-binary "@$src/small.bin"
try_create body-long -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta x.bin)" "${OCT[@]}" \
    --data-binary "@$src/small.bin"
is "$codes" " missing:409 exists:409 folder:409 body-type:415 body-long:400" \
    "missing folder, existing name, a folder's name: 409; bad bodies: 415, 400"
http -X POST "${TR[@]}" -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta exists.txt)" \
    "$U/.ferry/uploads/"
like "$(cat "$HTTP_BODY")" 'exists.*refuse' "the 409 says the name exists and the policy refuses"
is "$(all_state)" "$before" "the refused creations changed nothing on disk"

# The person's choice on a taken name (Upload-Metadata "onconflict", what the
# browser UI's Replace and Keep both send), under the policy refuse.
printf 'old\n' >"$root/choose.txt"
printf 'old\n' >"$root/choose2.txt"
create 4 "$(meta choose.txt),onconflict $(b64 keep-both)" "${OCT[@]}" --data-binary 'new!'
is "$HTTP_STATUS $(cat "$root/choose.txt") $(cat "$root/choose (1).txt" 2>/dev/null)" "201 old new!" \
    "onconflict keep-both: stored beside the old file as 'choose (1).txt', the old one untouched"
create 4 "$(meta choose2.txt),onconflict $(b64 replace)" "${OCT[@]}" --data-binary 'new!'
is "$HTTP_STATUS $(cat "$root/choose2.txt")" "201 new!" "onconflict replace: the old file is replaced"
create 4 "$(meta choose2.txt),onconflict $(b64 yes)" "${OCT[@]}" --data-binary 'bad!'
is "$HTTP_STATUS $(cat "$root/choose2.txt")" "400 new!" "onconflict with another word: 400, nothing changed"
rm -f "$root/choose.txt" "$root/choose (1).txt" "$root/choose2.txt"

# 423 while another request writes the upload.
create "$big" "$(meta locked.bin /sub)"
loc_l=$LOC
id_l=$(id_of "$loc_l")
slow_patch "$loc_l" 0 "$src/big.bin" 1M
got=$(wait_part "$id_l" 100000 "$SLOW_PID")
patch "$loc_l" 0 "$src/small.bin"
is "$HTTP_STATUS" 423 "a second PATCH while one writes: 423 Locked"
head_of "$loc_l"
if [ "$HTTP_STATUS" = 200 ] && [ "${OFF:-0}" -gt 0 ] && [ "$OFF" -lt "$big" ]; then
    pass "HEAD while a PATCH writes: 200 with the bytes so far ($OFF)"
else
    fail "HEAD while a PATCH writes: 200 with the bytes so far"
    diag "status $HTTP_STATUS, offset '$OFF'"
fi

# ---------------------------------------------------------------- 4. cut PATCH
# (the same slow PATCH) The name never shows while the upload runs.
listed_sizes=""
for ((i = 0; i < 10; i++)); do
    s=$(listed locked.bin "$U/sub/")
    [ "$s" = absent ] || listed_sizes="$listed_sizes $s"
    sleep 0.1
done
is "$listed_sizes" "" "the listing never shows the name while the upload runs"
stop_slow
wait_log "tus: upload $id_l cut at" || diag "no 'cut' line in the log"
head_of "$loc_l"
kept=$OFF
if [ "$HTTP_STATUS" = 200 ] && [ "${kept:-0}" -gt 0 ] && [ "$kept" -lt "$big" ]; then
    pass "after the PATCH is cut, HEAD: 200 with the bytes kept ($kept)"
else
    fail "after the PATCH is cut, HEAD: 200 with the bytes kept"
    diag "status $HTTP_STATUS, offset '$kept'"
fi
is "$(part_size "$id_l")" "$kept" "the part file holds exactly Upload-Offset bytes"
ok_if "nothing named locked.bin is in the tree" test ! -e "$root/sub/locked.bin"
slice "$src/big.bin" "$kept" $((big - kept)) "$FERRY_TMP/rest"
patch "$loc_l" "$kept" "$FERRY_TMP/rest"
is "$HTTP_STATUS/$(hdr Upload-Offset)" "204/$big" "the rest from Upload-Offset: 204"
sha256_is "$root/sub/locked.bin" "$big_sha" "the resumed 16 MiB file has the right sha256"

# A DELETE while a PATCH writes: the upload ends at once for everyone, the
# server cuts the PATCH (within 256 KiB of body), and its files go.
create "$big" "$(meta doomed.bin /sub)"
loc_d=$LOC
id_d=$(id_of "$loc_d")
slow_patch "$loc_d" 0 "$src/big.bin" 1M
wait_part "$id_d" 100000 "$SLOW_PID" >/dev/null
http -X DELETE "${TR[@]}" "$U$loc_d"
is "$HTTP_STATUS" 204 "DELETE while a PATCH writes: 204 at once"
head_of "$loc_d"
is "$HTTP_STATUS" 404 "... then HEAD: 404"
patch "$loc_d" 0 "$src/small.bin"
is "$HTTP_STATUS" 404 "... and another PATCH: 404"
for ((i = 0; i < 20 * T_WAIT; i++)); do
    [ -f "$FERRY_TMP/slow.rc" ] && break
    sleep 0.05
done
slow_rc=$(cat "$FERRY_TMP/slow.rc" 2>/dev/null)
like "${slow_rc:-running}" '^[1-9][0-9]*$' "... the writing PATCH is cut by the server (curl: exit $slow_rc)"
stop_slow
for ((i = 0; i < 20 * T_WAIT; i++)); do
    [ -z "$(ls "$state/uploads" | grep "$id_d")" ] && break
    sleep 0.05
done
is "$(ls "$state/uploads" | grep -c "$id_d")" 0 "... and its files are gone from the state folder"
ok_if "nothing named doomed.bin is in the tree" test ! -e "$root/sub/doomed.bin"

# ---------------------------------------------------------------- 5. checksums
create 1000 "$(meta sum.bin)"
loc=$LOC
id=$(id_of "$loc")
sum_p1=$(sum64 "$FERRY_TMP/p1")
sum_p2=$(sum64 "$FERRY_TMP/p2")
big_b64=$(sum64 "$src/big.bin")
before=$(all_state)
patch "$loc" 0 "$FERRY_TMP/p1" -H "Upload-Checksum: sha256 $sum_p2"
is "$HTTP_STATUS/$(hdr Upload-Offset)" "460/0" "a wrong sha256: 460 Checksum Mismatch, offset 0"
is "$(all_state)" "$before" "... nothing of it was kept (part and record unchanged)"
patch "$loc" 0 "$FERRY_TMP/p1" -H "Upload-Checksum: sha256 $sum_p1"
is "$HTTP_STATUS/$(hdr Upload-Offset)" "204/400" "the right sha256: 204, offset 400"
patch "$loc" 400 "$FERRY_TMP/p2" -H "Upload-Checksum: sha256 $sum_p2"
is "$HTTP_STATUS" 204 "the second checksummed PATCH: 204"
sha256_is "$root/sum.bin" "$small_sha" "the checksummed upload is stored whole"

# A checksummed PATCH cut half-way keeps nothing.
create "$big" "$(meta sumcut.bin)"
loc=$LOC
id=$(id_of "$loc")
rm -f "$FERRY_TMP/slow.rc"
(
    curl -q -sS --max-time 60 --limit-rate 1M -o /dev/null -X PATCH "${TR[@]}" "${OCT[@]}" \
        -H 'Upload-Offset: 0' -H "Upload-Checksum: sha256 $big_b64" -T "$src/big.bin" \
        "$U$loc" 2>/dev/null
) &
SLOW_PID=$!
track_pid "$SLOW_PID"
got=$(wait_part "$id" 300000 "$SLOW_PID")
stop_slow
wait_log "tus: upload $id cut at" || diag "no 'cut' line in the log"
head_of "$loc"
is "$HTTP_STATUS/$OFF/$(part_size "$id")" "200/0/0" \
    "a checksummed PATCH cut after $got bytes: offset 0, the part truncated back"

# ---------------------------------------------------------------- 6. conflicts
create 1000 "$(meta late.bin /taken)"
loc=$LOC
cp "$src/mid.bin" "$root/taken/late.bin" # the name is taken after the creation
patch "$loc" 0 "$src/small.bin"
is "$HTTP_STATUS/$(hdr Ferry-Stored-As)" "204//taken/late%20%281%29.bin" \
    "a name taken since the creation (refuse): stored as 'late (1).bin'"
sha256_is "$root/taken/late (1).bin" "$small_sha" "... with the bytes sent"
sha256_is "$root/taken/late.bin" "$mid_sha" "... and the other file is untouched"

create 1000 "$(meta gone.bin /taken/tmpdir)" 2>/dev/null
is "$HTTP_STATUS" 409 "creation into a missing folder: 409"
mkdir "$root/taken/tmpdir"
create 1000 "$(meta gone.bin /taken/tmpdir)"
loc=$LOC
rmdir "$root/taken/tmpdir"
patch "$loc" 0 "$src/small.bin"
is "$HTTP_STATUS/$(hdr Upload-Offset)" "409/1000" \
    "the folder removed before the last byte: 409, every byte kept"
like "$(cat "$HTTP_BODY")" 'folder.*gone' "the 409 says the folder is gone"
mkdir "$root/taken/tmpdir"
http -X PATCH "${TR[@]}" "${OCT[@]}" -H 'Upload-Offset: 1000' -H 'Content-Length: 0' \
    --data-binary '' "$U$loc"
is "$HTTP_STATUS/$(hdr Ferry-Stored-As)" "204//taken/tmpdir/gone.bin" \
    "an empty PATCH at the end after the folder is back: stored"
sha256_is "$root/taken/tmpdir/gone.bin" "$small_sha" "... with the bytes sent"

# ---------------------------------------------------------------- DELETE
create 1000 "$(meta del.bin)"
loc=$LOC
id=$(id_of "$loc")
patch "$loc" 0 "$FERRY_TMP/p1"
http -X DELETE "${TR[@]}" "$U$loc"
is "$HTTP_STATUS" 204 "DELETE: 204"
is "$(ls "$state/uploads" | grep -c "$id")" 0 "DELETE: the part and the record are gone"
head_of "$loc"
is "$HTTP_STATUS" 404 "DELETE: HEAD afterwards is 404"
patch "$loc" 400 "$FERRY_TMP/p2"
is "$HTTP_STATUS" 404 "DELETE: PATCH afterwards is 404"
ok_if "DELETE: nothing in the tree" test ! -e "$root/del.bin"

if fds_back_to "$base_fds"; then
    pass "ferryd's fd count is back to its baseline ($base_fds) after all of it"
else
    fail "ferryd's fd count is back to its baseline ($base_fds) after all of it"
    diag "now $(fd_count):" "$(ls -l "/proc/$FERRY_PID/fd" 2>&1 | tail -n 20)"
fi
unlike "$(find "$root" -name '*.ferry-part-*')" . "no temporary file is left in the tree"
ferry_stop TERM

# ---------------------------------------------------------------- 7. expiry
ferry_start "$root" --state-dir "$state" --no-mdns --upload-expiry 2 ||
    bail_out "ferryd --upload-expiry 2 did not start"
U=$FERRY_BASE
create 1000 "$(meta exp.bin)"
loc_x=$LOC
id_x=$(id_of "$loc_x")
patch "$loc_x" 0 "$FERRY_TMP/p1"
is "$HTTP_STATUS" 204 "expiry: an upload with 400 bytes"
like "$(hdr Upload-Expires)" 'GMT$' "expiry: the PATCH says when it expires"
sleep 3 # past the 2 s expiry (wall clock: nothing to poll)
is "$(part_size "$id_x")" 400 "expiry: no timer removes it while ferryd is idle"
create 10 "$(meta other.bin)"
is "$HTTP_STATUS/$(part_size "$id_x")" "201/none" "expiry: the next creation sweeps it away"
is "$(ls "$state/uploads" | grep -c "$id_x")" 0 "expiry: its record is gone too"
head_of "$loc_x"
is "$HTTP_STATUS" 404 "expiry: HEAD of the expired upload: 404"
ferry_stop TERM

# ---------------------------------------------------------------- 8. kill -9
ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not start (kill)"
U=$FERRY_BASE
create "$big" "$(meta killed.bin /sub)"
loc_k=$LOC
id_k=$(id_of "$loc_k")
slow_patch "$loc_k" 0 "$src/big.bin" 2M
got=$(wait_part "$id_k" $((1 << 20)) "$SLOW_PID")
{ # the group's stderr swallows bash's "Killed" notice
    kill -KILL "$FERRY_PID"
    wait "$FERRY_PID"
} 2>/dev/null
forget_pid "$FERRY_PID"
stop_slow
at_kill=$(part_size "$id_k")
if [ "$at_kill" != none ] && [ "$at_kill" -gt 0 ] && [ "$at_kill" -lt "$big" ]; then
    pass "kill -9 mid-PATCH: the part file has $at_kill bytes"
else
    fail "kill -9 mid-PATCH: the part file has some bytes"
    diag "part size '$at_kill'"
fi
# What other kills leave, made by hand: a cut commit (complete part,
# "committing"), a commit cut after the move (no part), a cut checksummed
# PATCH (bytes past verify_from), an orphan part and a temporary record.
mk_info() { # ID NAME LENGTH STATE [EXTRA JSON]
    printf '{"version":1,"id":"%s","folder":"sub","name":"%s","length":%s,"metadata":"%s",'\
'"state":"%s"%s}' "$1" "$2" "$3" "$(meta "$2" /sub)" "$4" "${5:-}" \
        >"$state/uploads/tus-$1.info"
}
id_c=11111111111111111111111111111111
id_d=22222222222222222222222222222222
id_v=33333333333333333333333333333333
id_o=44444444444444444444444444444444
mk_info "$id_c" cut-commit.bin 1000 committing
cp "$src/small.bin" "$state/uploads/tus-$id_c.part"
mk_info "$id_d" done-elsewhere.bin 1000 committing
mk_info "$id_v" verify.bin 1000 active ',"verify_from":400'
cp "$src/small.bin" "$state/uploads/tus-$id_v.part"
cp "$src/small.bin" "$state/uploads/tus-$id_o.part"
echo '{' >"$state/uploads/tus-$id_o.info.tmp"

ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not relaunch"
U=$FERRY_BASE
head_of "$loc_k"
is "$HTTP_STATUS/$OFF" "200/$at_kill" "relaunched: HEAD gives the offset written before the kill"
status_ok "relaunched: /.ferry/status lists the upload as a resumable transfer" "
t = [t for t in j['transfers'] if t['validator'] == 'tus:$id_k']
assert len(t) == 1, j['transfers']
t = t[0]
assert t['restored'] and t['direction'] == 'upload' and t['path'] == '/sub/killed.bin', t
assert t['total'] == $big and t['done'] == $at_kill and t['last'] == $big - 1, t
"
slice "$src/big.bin" "$at_kill" $((big - at_kill)) "$FERRY_TMP/rest"
patch "$loc_k" "$at_kill" "$FERRY_TMP/rest"
is "$HTTP_STATUS/$(hdr Upload-Offset)" "204/$big" "the rest after the relaunch: 204"
sha256_is "$root/sub/killed.bin" "$big_sha" "the file uploaded across a kill -9 has the right sha256"
status_ok "after completion the upload is no longer listed" "
assert not [t for t in j['transfers'] if t['validator'] == 'tus:$id_k'], j['transfers']"
sha256_is "$root/sub/cut-commit.bin" "$small_sha" "a cut commit found at start is finished"
head_of "/.ferry/uploads/$id_d"
is "$HTTP_STATUS/$OFF" "200/1000" "a commit cut after the move is done (HEAD: offset == length)"
head_of "/.ferry/uploads/$id_v"
is "$HTTP_STATUS/$OFF/$(part_size "$id_v")" "200/400/400" \
    "a cut checksummed PATCH is truncated back to where it began"
is "$(ls "$state/uploads" | grep -c "$id_o")" 0 "an orphan part and a temporary record are removed"
ferry_stop TERM

# ---------------------------------------------------------------- 9. suspend
SOCK=$FERRY_TMP/ctl.sock
ferry_start "$root" --state-dir "$state" --no-mdns --os fake --control "$SOCK" ||
    bail_out "ferryd --os fake did not start"
U=$FERRY_BASE
pid=$FERRY_PID
ctl() {
    CTL_OUT=$(timeout -k 1 "$T_WAIT" "$FERRYCTL" -s "$SOCK" "$@" 2>&1)
    CTL_RC=$?
}
create "$big" "$(meta suspended.bin /sub)"
loc_s=$LOC
id_s=$(id_of "$loc_s")
slow_patch "$loc_s" 0 "$src/big.bin" 2M
got=$(wait_part "$id_s" $((1 << 20)) "$SLOW_PID")
status_ok "during a PATCH the upload is an open transfer in /.ferry/status" "
t = [t for t in j['transfers'] if t['validator'] == 'tus:$id_s']
assert len(t) == 1 and not t[0]['restored'], j['transfers']
assert t[0]['direction'] == 'upload' and t[0]['path'] == '/sub/suspended.bin', t
assert t[0]['total'] == $big and t[0]['first'] == 0, t
"
ctl background
is "$CTL_RC/$(http "$U/.ferry/status"; "$PYTHON" -c 'import json,sys
print(json.load(open(sys.argv[1]))["state"])' "$HTTP_BODY" 2>/dev/null)" 0/finishing \
    "background with a PATCH running: finishing"
ctl expire
is "$CTL_RC" 0 "expire: the connections are ended"
wait_log "tus: upload $id_s cut at" || diag "no 'cut' line in the log"
ctl suspend
is "$CTL_RC" 0 "suspend"
journal_body=$FERRY_TMP/journal.json
"$PYTHON" - "$state/journal" "$journal_body" <<'EOF_PY' 2>"$FERRY_TMP/journal.err"
import hashlib, re, sys
raw = open(sys.argv[1], "rb").read()
m = re.fullmatch(rb"(ferry-journal 1\n(.*))\nsha256 ([0-9a-f]{64})\n", raw, re.S)
if not m or hashlib.sha256(m.group(1)).hexdigest().encode() != m.group(3):
    sys.exit("not an intact version-1 journal")
open(sys.argv[2], "wb").write(m.group(2))
EOF_PY
json_ok "the journal written before suspension lists the upload" "$journal_body" "
t = [t for t in j['transfers'] if t['validator'] == 'tus:$id_s']
assert len(t) == 1, j['transfers']
assert t[0]['direction'] == 'upload' and t[0]['path'] == '/sub/suspended.bin', t
assert t[0]['total'] == $big and 0 < t[0]['done'] <= $big, t
"
kill -STOP "$pid"
http --max-time 1 -I "${TR[@]}" "$U$loc_s"
is "$HTTP_STATUS" 000 "stopped: no answer"
kill -CONT "$pid"
ctl resume
ctl foreground
is "$CTL_RC" 0 "resume + foreground"
head_of "$loc_s"
kept=$OFF
is "$HTTP_STATUS/$kept" "200/$(part_size "$id_s")" "after resume: HEAD gives the bytes kept"
status_ok "after resume the upload is listed as a resumable transfer" "
t = [t for t in j['transfers'] if t['validator'] == 'tus:$id_s']
assert len(t) == 1 and t[0]['restored'], j['transfers']
"
slice "$src/big.bin" "$kept" $((big - kept)) "$FERRY_TMP/rest"
patch "$loc_s" "$kept" "$FERRY_TMP/rest"
is "$HTTP_STATUS/$(hdr Upload-Offset)" "204/$big" "the rest after resume: 204"
sha256_is "$root/sub/suspended.bin" "$big_sha" "the file uploaded across a suspension has the right sha256"
ctl status
like "$CTL_OUT" '"kills": *0' "no watchdog kill"
ferry_stop TERM

# ---------------------------------------------------------------- 10. options
ferry_start "$root" --state-dir "$state" --no-mdns --read-only ||
    bail_out "ferryd --read-only did not start"
U=$FERRY_BASE
before=$(all_state)
codes=""
http -X POST "${TR[@]}" -H 'Upload-Length: 10' -H "Upload-Metadata: $(meta ro.bin)" \
    "$U/.ferry/uploads/"
codes="$codes POST:$HTTP_STATUS"
head_of "/.ferry/uploads/$id_d"
codes="$codes HEAD:$HTTP_STATUS"
patch "/.ferry/uploads/$id_v" 400 "$FERRY_TMP/p2"
codes="$codes PATCH:$HTTP_STATUS"
http -X DELETE "${TR[@]}" "$U/.ferry/uploads/$id_v"
codes="$codes DELETE:$HTTP_STATUS"
http -X OPTIONS "$U/.ferry/uploads/"
codes="$codes OPTIONS:$HTTP_STATUS"
is "$codes" " POST:403 HEAD:403 PATCH:403 DELETE:403 OPTIONS:204" \
    "--read-only: every tus request but OPTIONS is 403"
patch "/.ferry/uploads/$id_v" 400 "$FERRY_TMP/p2"
like "$(cat "$HTTP_BODY")" 'read-only' "--read-only: the 403 says why"
is "$(all_state)" "$before" "--read-only: nothing on disk changed"
ferry_stop TERM

ferry_start "$root" --state-dir "$state" --no-mdns --max-upload 2K ||
    bail_out "ferryd --max-upload did not start"
U=$FERRY_BASE
http -X OPTIONS "$U/.ferry/uploads/"
is "$(hdr Tus-Max-Size)" 2048 "--max-upload 2K: Tus-Max-Size: 2048"
before=$(all_state)
create 2049 "$(meta toobig.bin)"
is "$HTTP_STATUS" 413 "--max-upload 2K: a 2049-byte upload is 413"
like "$(cat "$HTTP_BODY")" '2048 bytes' "the 413 names the limit"
is "$(all_state)" "$before" "--max-upload: nothing was created"
create 2048 "$(meta fits.bin)"
is "$HTTP_STATUS" 201 "--max-upload 2K: a 2048-byte upload is 201"
ferry_stop TERM

saved_home=${HOME-}
saved_xdg=$XDG_STATE_HOME
unset HOME XDG_STATE_HOME
ferry_start "$root" --no-mdns
started=$?
HOME=$saved_home
export XDG_STATE_HOME=$saved_xdg
[ "$started" -eq 0 ] || bail_out "ferryd without a state folder did not start"
U=$FERRY_BASE
create 10 "$(meta nostate.bin)"
is "$HTTP_STATUS" 503 "without a state folder: POST is 503"
like "$(cat "$HTTP_BODY")" 'state-dir' "the 503 says to give --state-dir"
ferry_stop TERM

finish
