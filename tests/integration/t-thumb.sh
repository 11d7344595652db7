#!/bin/bash
# t-thumb.sh — GET /photo.jpg?thumb=1 (the browser UI's grid thumbnails),
# against the real ferryd with curl, on JPEGs made by exif-jpeg.py (cjpeg):
#   - a JPEG with an Exif thumbnail answers exactly the thumbnail's bytes,
#     image/jpeg, with an ETag of its own (304 on If-None-Match) and the same
#     length for HEAD;
#   - a turned picture (Orientation 6, big-endian Exif) gets an orientation
#     segment after the thumbnail's SOI, and still decodes (djpeg);
#   - a JPEG without Exif, a PNG and a cut JPEG answer the file itself;
#   - a missing file is 404.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl cjpeg djpeg
plan 14

root=$FERRY_TMP/root
mkdir -p "$root"
mk() { "$PYTHON" "$FERRY_LIB_DIR/exif-jpeg.py" "$@"; }
read -r off len < <(mk "$root/plain.jpg" 640 480 32 24)
read -r off6 len6 < <(mk "$root/turned.jpg" 480 640 24 32 6 MM)
{ printf 'P6 8 8 255\n'; head -c 192 /dev/zero; } >"$FERRY_TMP/black.ppm"
cjpeg -quality 80 "$FERRY_TMP/black.ppm" >"$root/noexif.jpg"
head -c $((off + 10)) "$root/plain.jpg" >"$root/cut.jpg"
printf '\x89PNG\r\n\x1a\nnot really' >"$root/pic.png"
tail -c +$((off + 1)) "$root/plain.jpg" | head -c "$len" >"$FERRY_TMP/want.jpg"

ferry_start "$root" --no-mdns || bail_out "ferryd did not start"
B=$FERRY_BASE

http "$B/plain.jpg?thumb=1"
is "$HTTP_STATUS:$(hdr Content-Type)" "200:image/jpeg" "a JPEG with an Exif thumbnail: 200 image/jpeg"
ok_if "the body is the thumbnail's $len bytes (the picture is $(file_size "$root/plain.jpg"))" \
    cmp "$HTTP_BODY" "$FERRY_TMP/want.jpg"
etag=$(hdr ETag)
http "$B/plain.jpg"
like "$etag" "^\"${HTTP_HDRS:+$(hdr ETag | tr -d '"')}-thumb\"\$" "its ETag is the file's with -thumb"
http -H "If-None-Match: $etag" "$B/plain.jpg?thumb=1"
is "$HTTP_STATUS" 304 "If-None-Match with it: 304"
http -I "$B/plain.jpg?thumb=1"
is "$HTTP_STATUS:$(hdr Content-Length)" "200:$len" "HEAD: the thumbnail's length"

http "$B/turned.jpg?thumb=1"
is "$HTTP_STATUS" 200 "a turned picture's thumbnail: 200"
cp "$HTTP_BODY" "$FERRY_TMP/turned-thumb.jpg"
ok_if "it carries Orientation 6 after its SOI, then the thumbnail's own bytes" "$PYTHON" -c '
import sys
got, pic = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
off, n = int(sys.argv[3]), int(sys.argv[4])
thumb = pic[off:off + n]
assert got[:4] == b"\xff\xd8\xff\xe1" and got[6:12] == b"Exif\0\0" and got[12:14] == b"MM", got[:16]
assert got[22:24] == b"\x01\x12" and got[30:32] == b"\x00\x06", got[:40]
assert got[2 + 36:] == thumb[2:], "the rest differs"' \
    "$FERRY_TMP/turned-thumb.jpg" "$root/turned.jpg" "$off6" "$len6"
is "$(djpeg "$FERRY_TMP/turned-thumb.jpg" | head -c 13 | tr '\n' ' ')" "P6 24 32 255 " \
    "and decodes as the 24x32 thumbnail"

for f in noexif.jpg pic.png cut.jpg; do
    http "$B/$f?thumb=1"
    ok_if "$f?thumb=1 is the file itself" cmp "$HTTP_BODY" "$root/$f"
done
http "$B/pic.png?thumb=1"
is "$(hdr Content-Type)" "image/png" "the PNG keeps its own type"
http "$B/nope.jpg?thumb=1"
is "$HTTP_STATUS" 404 "a missing file with ?thumb=1: 404"
ferry_stop
finish
