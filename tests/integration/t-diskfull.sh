#!/bin/bash
# t-diskfull.sh — uploads onto a full disk: a 32 MiB tmpfs holds the shared
# folder and the state folder, 12 MiB of it taken by ballast, and a 24 MiB
# file is uploaded.
#   - PUT: 507 Insufficient Storage, nothing in the tree, the part file gone
#     (a PUT cannot resume), the space free again;
#   - tus: the PATCH gets 507, the part file keeps what was written (HEAD
#     says how much), nothing in the tree; once the ballast is removed the
#     upload resumes from that offset to a correct file;
#   - a file that was there before is untouched.
# Skipped where a tmpfs cannot be mounted (needs CAP_SYS_ADMIN).

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl

small=$FERRY_TMP/small
mkdir "$small"
if ! err=$(mount -t tmpfs -o size=32m,mode=0700 tmpfs "$small" 2>&1); then
    skip_all "cannot mount a tmpfs here: ${err:-mount failed} (needs CAP_SYS_ADMIN)"
fi
FERRY_CLEANUP_HOOK='umount "$small" 2>/dev/null || umount -l "$small"'

plan 15

root=$small/root
state=$small/state
mkdir "$root" "$state"
head -c $((12 << 20)) /dev/urandom >"$small/ballast"
printf 'was here before\n' >"$root/keep.txt"
keep=$(sha256 "$root/keep.txt")
head -c $((24 << 20)) /dev/urandom >"$FERRY_TMP/big.bin"
size=$(file_size "$FERRY_TMP/big.bin")
want=$(sha256 "$FERRY_TMP/big.bin")
avail() { df -B1 --output=avail "$small" | tail -n 1 | tr -d ' '; }
before=$(avail)

ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not start"

# ---------------------------------------------------------------- PUT
http -T "$FERRY_TMP/big.bin" "$FERRY_BASE/put.bin"
is "$HTTP_STATUS" 507 "PUT onto a full disk: 507"
like "$(cat "$HTTP_BODY")" 'disk is full' "the 507 says the disk is full"
ok_if "nothing appeared in the tree" test ! -e "$root/put.bin"
is "$(find "$state" -name 'put-*' | wc -l)" 0 "the PUT's part file is gone"
now=$(avail)
if [ "$now" -ge $((before - (1 << 20))) ]; then
    pass "the space is free again ($now of $before bytes available)"
else
    fail "the space is free again"
    diag "available $now, before $before"
fi

# ---------------------------------------------------------------- tus
T='Tus-Resumable: 1.0.0'
meta="filename $(printf 'tus.bin' | base64)"
http -X POST -H "$T" -H "Upload-Length: $size" -H "Upload-Metadata: $meta" \
    "$FERRY_BASE/.ferry/uploads/"
is "$HTTP_STATUS" 201 "tus: the upload is created"
loc=$(hdr Location)
loc=$FERRY_BASE${loc#"$FERRY_BASE"}
http -X PATCH -H "$T" -H 'Upload-Offset: 0' -H 'Content-Type: application/offset+octet-stream' \
    --data-binary "@$FERRY_TMP/big.bin" "$loc"
is "$HTTP_STATUS" 507 "tus: PATCH onto a full disk: 507"
ok_if "tus: nothing appeared in the tree" test ! -e "$root/tus.bin"
http -I -H "$T" "$loc"
off=$(hdr Upload-Offset)
if [ "$HTTP_STATUS" = 200 ] && [ "${off:-0}" -gt 0 ] && [ "$off" -lt "$size" ]; then
    pass "tus: HEAD says what was kept (Upload-Offset $off of $size)"
else
    fail "tus: HEAD says what was kept"
    diag "status $HTTP_STATUS, Upload-Offset '$off'"
fi
part=$(find "$state/uploads" -name 'tus-*.part' -size +0c | head -n 1)
is "$(file_size "$part" 2>/dev/null)" "$off" "tus: the part file holds exactly those bytes"
rm -f "$small/ballast"
tail -c "+$((off + 1))" "$FERRY_TMP/big.bin" >"$FERRY_TMP/rest.bin"
http -X PATCH -H "$T" -H "Upload-Offset: $off" \
    -H 'Content-Type: application/offset+octet-stream' \
    --data-binary "@$FERRY_TMP/rest.bin" "$loc"
is "$HTTP_STATUS/$(hdr Upload-Offset)" "204/$size" "tus: after freeing space the rest goes in"
sha256_is "$root/tus.bin" "$want" "tus: the resumed file's sha256 matches"
sha256_is "$root/keep.txt" "$keep" "the file that was there before is untouched"
is "$(find "$root" -name '*.ferry-part-*' | wc -l)" 0 "no temporary file in the tree"
ferry_stop TERM
finish
