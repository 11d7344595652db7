#!/bin/bash
# t-trash.sh — the trash tells the truth, and a full disk can be freed
# (issue 16, point 8; red-team findings F9 and F10), against the real ferryd:
#   - another disk: the shared folder on a tmpfs of its own, the state
#     folder (and so the trash) elsewhere. A small file and a small folder
#     DELETEd go to the trash (copied, 204 with Ferry-Trash-Id), byte for
#     byte, and are restored byte for byte with no hidden name left; a big
#     file (and a big folder) is refused first with 409 and
#     "Ferry-Trash: other-disk", nothing deleted; "Ferry-Trash: skip"
#     deletes it for good; another value is 400;
#   - a full disk: the shared folder and the state folder on one small
#     tmpfs, filled to the last byte. A DELETE works and frees space (the
#     oldest trash entry goes for good first, the deleted item is in the
#     trash); with an empty trash it is refused first ("disk-full"), and
#     deleted for good with consent; a PUT that gets 507 makes the trash
#     give back its space, so that the next PUT goes in;
#   - the bound (--trash-max): the oldest entries leave first, an item
#     bigger than the bound is refused first ("too-big"); a bad value stops
#     ferryd at start;
#   - emptying: GET /.ferry/trash gives the total and the bound, DELETE
#     /.ferry/trash empties it (204), 403 under --read-only.
# Needs root (tmpfs mounts, in a private mount namespace); skipped elsewhere.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# As root, run in a private mount namespace, so that the mounts below go
# away with the test whatever happens.
if [ -z "${FERRY_TRASH_NS:-}" ] && [ "$(id -u)" = 0 ] &&
    unshare -m --propagation private true 2>/dev/null; then
    FERRY_TRASH_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need_cmd curl

usb=$FERRY_TMP/usb
one=$FERRY_TMP/one
mkdir "$usb" "$one"
if [ -z "${FERRY_TRASH_NS:-}" ] ||
    ! err=$(mount -t tmpfs -o size=32m,mode=0755 tmpfs "$usb" 2>&1); then
    skip_all "cannot mount a tmpfs here: ${err:-needs root and a mount namespace}"
fi
FERRY_CLEANUP_HOOK='umount "$usb" 2>/dev/null; umount "$one" 2>/dev/null'

plan 62

state=$FERRY_TMP/state
U=""

# trash_json: GET /.ferry/trash into $FERRY_TMP/trash.json.
trash_json() {
    curl -q -sS --max-time "$T_CURL" -o "$FERRY_TMP/trash.json" "$U/.ferry/trash"
}
# trash_q EXPR: the Python expression EXPR over the listing (`j`).
trash_q() {
    trash_json
    pyj "$FERRY_TMP/trash.json" "$1"
}
# items DIR: how many items (not records) the trash folder DIR holds.
items() {
    find "$1" -mindepth 1 -maxdepth 1 ! -name '*.json' 2>/dev/null | wc -l | tr -d ' '
}
# tree_sum DIR: one hash of the tree under DIR (names, types, modes, bytes).
tree_sum() {
    (cd "$1" && find . -printf '%p %y %m\n' | sort &&
        find . -type f -exec sha256sum {} + | sort) | sha256sum
}
# avail DIR: the bytes free for ferryd on DIR's file system.
avail() { df -B1 --output=avail "$1" | tail -n 1 | tr -d ' '; }
# fill DIR NAME: fills DIR's file system to the last byte with file NAME.
fill() {
    head -c $((64 << 20)) /dev/zero >"$1/$2" 2>/dev/null
    sync
}

# ---------------------------------------------------------------- another disk
share=$usb/share
mkdir -p "$share/album/sub"
head -c 3000 /dev/urandom >"$share/small.txt"
small_sha=$(sha256 "$share/small.txt")
head -c 5000 /dev/urandom >"$share/album/a.jpg"
head -c 700 /dev/urandom >"$share/album/sub/b.txt"
chmod 0640 "$share/album/sub/b.txt"
album_sum=$(tree_sum "$share/album")
truncate -s 100M "$share/big.bin" # sparse: 100 MiB for ferryd, no RAM taken
mkdir "$share/bigdir"
truncate -s 40M "$share/bigdir/one.bin"
truncate -s 40M "$share/bigdir/two.bin"
ferry_start "$share" --state-dir "$state" --no-mdns || bail_out "ferryd did not start"
U=$FERRY_BASE

http -X DELETE "$U/small.txt"
sid=$(hdr Ferry-Trash-Id)
is "$HTTP_STATUS" 204 "another disk: DELETE of a small file: 204"
isnt "$sid" "" "... with Ferry-Trash-Id: it is in the trash, not deleted for good"
ok_if "... gone from the shared folder" test ! -e "$share/small.txt"
sha256_is "$state/trash/$sid" "$small_sha" "... and in the trash byte for byte"
is "$(trash_q "[x['path'] for x in j['entries'] if x['id'] == '$sid']")" "['/small.txt']" \
    "... GET /.ferry/trash lists it"
http -X POST "$U/.ferry/trash/$sid/restore"
is "$HTTP_STATUS" 201 "restored across disks: 201"
sha256_is "$share/small.txt" "$small_sha" "... byte for byte"
ok_if "... and no longer in the trash" test ! -e "$state/trash/$sid" -a ! -e "$state/trash/$sid.json"
is "$(find "$share" -name '*.ferry-*' | wc -l | tr -d ' ')" 0 "... no hidden temporary name left"

http -X DELETE "$U/album"
aid=$(hdr Ferry-Trash-Id)
is "$HTTP_STATUS:$([ -n "$aid" ] && echo id)" "204:id" "another disk: DELETE of a small folder: 204 with an id"
is "$(tree_sum "$state/trash/$aid")" "$album_sum" "... the whole tree is in the trash"
ok_if "... gone from the shared folder" test ! -e "$share/album"
http -X POST "$U/.ferry/trash/$aid/restore"
is "$HTTP_STATUS:$(tree_sum "$share/album")" "201:$album_sum" "... restored: 201, the same tree"

n=$(items "$state/trash")
http -X DELETE "$U/big.bin"
is "$HTTP_STATUS" 409 "another disk: DELETE of a 100 MiB file: 409, asked first"
is "$(hdr Ferry-Trash)/$(hdr Ferry-Trash-Size)" "other-disk/104857600" \
    "... Ferry-Trash: other-disk, Ferry-Trash-Size: its bytes"
like "$(head -n 1 "$HTTP_BODY")" "nothing was deleted.*Ferry-Trash: skip" \
    "... the text says nothing was deleted, and how to delete it for good"
is "$(file_size "$share/big.bin"):$(items "$state/trash")" "104857600:$n" \
    "... the file is still there, nothing went to the trash"
http -X DELETE "$U/bigdir"
is "$HTTP_STATUS/$(hdr Ferry-Trash)" "409/other-disk" "a folder of 80 MiB there: 409 too"
ok_if "... it is still whole" test -e "$share/bigdir/one.bin" -a -e "$share/bigdir/two.bin"
http -X DELETE -H 'Ferry-Trash: yes' "$U/big.bin"
is "$HTTP_STATUS" 400 "Ferry-Trash: yes (not skip): 400"
ok_if "... nothing deleted" test -e "$share/big.bin"
http -X DELETE -H 'Ferry-Trash: skip' "$U/big.bin"
is "$HTTP_STATUS:$(hdr Ferry-Trash-Id)" "204:" "with Ferry-Trash: skip: 204, no trash id"
is "$(test -e "$share/big.bin" || echo gone):$(items "$state/trash")" "gone:$n" \
    "... deleted for good, nothing in the trash"
grep -aq "DELETE '/big.bin': removed at once (the client chose to" "$FERRY_ERR"
is "$?" 0 "... and the log says the client chose it"
ferry_stop TERM

# ---------------------------------------------------------------- a full disk
mount -t tmpfs -o size=32m,mode=0755 tmpfs "$one" || bail_out "cannot mount a second tmpfs"
mkdir "$one/share" "$one/state"
head -c $((8 << 20)) /dev/urandom >"$one/share/old.bin"
head -c 4096 /dev/urandom >"$one/share/victim.txt"
victim_sha=$(sha256 "$one/share/victim.txt")
ferry_start "$one/share" --state-dir "$one/state" --no-mdns --trash-max 50% ||
    bail_out "ferryd --trash-max 50% did not start"
U=$FERRY_BASE
http -X DELETE "$U/old.bin"
oid=$(hdr Ferry-Trash-Id)
is "$HTTP_STATUS:$([ -n "$oid" ] && echo id)" "204:id" "one disk, room left: DELETE into the trash (8 MiB)"
fill "$one/share" filler.bin
before=$(avail "$one")
if [ "$before" -lt 65536 ]; then
    pass "the disk is full ($before bytes free)"
else
    fail "the disk is full"
    diag "$before bytes free"
fi
http -X DELETE "$U/victim.txt"
vid=$(hdr Ferry-Trash-Id)
is "$HTTP_STATUS:$([ -n "$vid" ] && echo id)" "204:id" \
    "full disk: DELETE works (204, in the trash; F10 was 507)"
now=$(avail "$one")
if [ "$now" -ge $((before + (8 << 20) - 65536)) ]; then
    pass "... and frees space: the oldest trash entry went for good ($before -> $now bytes free)"
else
    fail "... and frees space"
    diag "free before $before, after $now"
fi
ok_if "... the old entry is gone, the deleted file is in the trash" \
    test ! -e "$one/state/trash/$oid" -a -e "$one/state/trash/$vid"
grep -aq "trash: removed '/old.bin' (8388608 bytes) for good, the oldest entry: its disk is nearly full" "$FERRY_ERR"
is "$?" 0 "... the log says why the old entry went"
http -X POST "$U/.ferry/trash/$vid/restore"
is "$HTTP_STATUS" 201 "... the deleted file can be restored"
sha256_is "$one/share/victim.txt" "$victim_sha" "... byte for byte"

# the trash is empty now (the restore took it back) and the disk full again
fill "$one/share" filler2.bin
size2=$(file_size "$one/share/filler2.bin")
before=$(avail "$one")
http -X DELETE "$U/filler2.bin"
is "$HTTP_STATUS/$(hdr Ferry-Trash)" "409/disk-full" \
    "full disk, empty trash: asked first (409, Ferry-Trash: disk-full)"
is "$(file_size "$one/share/filler2.bin")" "$size2" "... nothing was deleted"
http -X DELETE -H 'Ferry-Trash: skip' "$U/filler2.bin"
is "$HTTP_STATUS" 204 "... with consent: 204"
now=$(avail "$one")
if [ "$size2" -gt 0 ] && [ "$now" -ge $((before + size2 - 65536)) ]; then
    pass "... the space is free ($before -> $now bytes)"
else
    fail "... the space is free"
    diag "free before $before, after $now, file $size2"
fi

# a 507 makes the trash give back its space
head -c $((3 << 20)) /dev/urandom >"$one/share/six.bin"
http -X DELETE "$U/six.bin"
six=$(hdr Ferry-Trash-Id)
is "$HTTP_STATUS:$([ -n "$six" ] && echo id)" "204:id" "a 3 MiB file into the trash"
fill "$one/share" filler3.bin
head -c $((2 << 20)) /dev/urandom >"$FERRY_TMP/two.bin"
http -T "$FERRY_TMP/two.bin" "$U/two.bin"
is "$HTTP_STATUS" 507 "full disk: a 2 MiB PUT gets 507"
# (the trash gives it back once the 507 is sent: poll, bounded)
for ((i = 0; i < 100 * T_SCALE; i++)); do
    [ -e "$one/state/trash/$six" ] || break
    sleep 0.05
done
ok_if "... after which the trash gave back its oldest entry" test ! -e "$one/state/trash/$six"
http -T "$FERRY_TMP/two.bin" "$U/two.bin"
is "$HTTP_STATUS" 201 "... so the PUT goes in the second time"
sha256_is "$one/share/two.bin" "$(sha256 "$FERRY_TMP/two.bin")" "... byte for byte"
ferry_stop TERM
umount "$one"

# ---------------------------------------------------------------- the bound
root=$FERRY_TMP/root
state=$FERRY_TMP/state-bound
mkdir -p "$root"
for f in a1 a2 a3; do head -c 40000 /dev/urandom >"$root/$f.bin"; done
head -c 150000 /dev/urandom >"$root/huge.bin"
ferry_start "$root" --state-dir "$state" --no-mdns --trash-max 100K ||
    bail_out "ferryd --trash-max 100K did not start"
U=$FERRY_BASE
ids=""
for f in a1 a2 a3; do
    http -X DELETE "$U/$f.bin"
    ids="$ids $(hdr Ferry-Trash-Id)"
done
read -r id1 id2 id3 <<<"$ids"
is "$(trash_q "sorted(x['path'] for x in j['entries'])")" "['/a2.bin', '/a3.bin']" \
    "--trash-max 100K: 3 x 40 KB deleted, the oldest left the trash for good"
is "$(trash_q "(j['size'], j['max'])")" "(80000, 102400)" \
    "... GET /.ferry/trash gives the total and the bound"
ok_if "... the oldest item and its record are gone from the disk" \
    test ! -e "$state/trash/$id1" -a ! -e "$state/trash/$id1.json" -a -e "$state/trash/$id3"
grep -aq "trash: removed '/a1.bin' (40000 bytes) for good, the oldest entry: the trash keeps at most 102400 bytes" "$FERRY_ERR"
is "$?" 0 "... the log says why"
http -X DELETE "$U/huge.bin"
is "$HTTP_STATUS/$(hdr Ferry-Trash)/$(hdr Ferry-Trash-Size)" "409/too-big/150000" \
    "an item bigger than the bound: 409, Ferry-Trash: too-big, asked first"
ok_if "... still there, and the trash untouched" test -e "$root/huge.bin" -a -e "$state/trash/$id2"
http -X DELETE -H 'Ferry-Trash: skip' "$U/huge.bin"
is "$HTTP_STATUS:$(test -e "$root/huge.bin" || echo gone)" "204:gone" "... with consent: deleted for good"

# ---------------------------------------------------------------- emptying
http -X POST "$U/.ferry/trash"
is "$HTTP_STATUS/$(hdr Allow)" "405/GET, HEAD, DELETE" "POST /.ferry/trash: 405, Allow names DELETE"
http -X DELETE "$U/.ferry/trash"
is "$HTTP_STATUS" 204 "DELETE /.ferry/trash empties it: 204"
is "$(trash_q "(len(j['entries']), j['size'])")" "(0, 0)" "... the listing is empty"
is "$(items "$state/trash"):$(find "$state/trash" -name '*.json' | wc -l | tr -d ' ')" "0:0" \
    "... no item and no record left on disk"
grep -aq "trash: emptied: 2 entries, 80000 bytes" "$FERRY_ERR"
is "$?" 0 "... the log says what went"
http -X DELETE "$U/.ferry/trash"
is "$HTTP_STATUS" 204 "emptying an empty trash: 204"
ferry_stop TERM

echo x >"$root/ro.txt"
ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not start"
U=$FERRY_BASE
http -X DELETE "$U/ro.txt"
ferry_stop TERM
ferry_start "$root" --state-dir "$state" --no-mdns --read-only || bail_out "ferryd --read-only did not start"
U=$FERRY_BASE
http -X DELETE "$U/.ferry/trash"
is "$HTTP_STATUS:$(items "$state/trash")" "403:1" "--read-only: emptying the trash is 403, nothing removed"
ferry_stop TERM

"$FERRYD" --trash-max 0 "$root" >"$FERRY_TMP/bad.out" 2>&1
rc=$?
is "$rc" 2 "--trash-max 0: ferryd refuses to start (exit 2)"
like "$(cat "$FERRY_TMP/bad.out")" "trash-max '0' is not a size" "... and says why"
finish
