#!/bin/bash
# t-thumb.sh — GET /photo.jpg?thumb=1 (the browser UI's grid thumbnails),
# against the real ferryd with curl, on JPEGs made by exif-jpeg.py (cjpeg):
#   - a JPEG with an Exif thumbnail answers exactly the thumbnail's bytes,
#     image/jpeg, with an ETag of its own (304 on If-None-Match) and the same
#     length for HEAD;
#   - a turned picture (Orientation 6, big-endian Exif) gets an orientation
#     segment after the thumbnail's SOI, and still decodes (djpeg);
#   - a JPEG without an Exif thumbnail and a PNG answer a JPEG made from the
#     picture (thumb-scale.c): 256 pixels on the longer side, the colours
#     where they were, a turned JPEG already upright, its own ETag and 304
#     (in builds --with-thumbnails; otherwise the file itself);
#   - a cut JPEG, a broken PNG and a PNG header claiming 400 megapixels
#     answer the file itself, at once;
#   - a missing file is 404.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl cjpeg djpeg
plan 20

root=$FERRY_TMP/root
mkdir -p "$root"
mk() { "$PYTHON" "$FERRY_LIB_DIR/exif-jpeg.py" "$@"; }
read -r off len < <(mk "$root/plain.jpg" 640 480 32 24)
read -r off6 len6 < <(mk "$root/turned.jpg" 480 640 24 32 6 MM)
{ printf 'P6 640 480 255\n'; head -c $((640 * 480 * 3)) /dev/zero; } >"$FERRY_TMP/black.ppm"
cjpeg -quality 80 "$FERRY_TMP/black.ppm" >"$root/noexif.jpg"
mk "$root/turned-nothumb.jpg" 640 480 0 0 6 MM >/dev/null
head -c $((off + 10)) "$root/plain.jpg" >"$root/cut.jpg"
printf '\x89PNG\r\n\x1a\nnot really' >"$root/pic.png"
# a 2000x1000 PNG, left half red, right half blue; a header of 20000x20000
"$PYTHON" -c '
import struct, sys, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
def png(w, h, rows): return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                             + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
row = b"\0" + b"\xff\0\0" * 1000 + b"\0\0\xff" * 1000
open(sys.argv[1], "wb").write(png(2000, 1000, row * 1000))
open(sys.argv[2], "wb").write(png(20000, 20000, b"\0" * 100))' "$root/wide.png" "$root/huge.png"
# thumbnails made from pictures: only in builds --with-thumbnails
made=no
grep -q '^#define FERRY_THUMBNAILS 1' "$FERRY_BUILDDIR/config.h" 2>/dev/null && made=yes
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

# PPM header (width height) and the RGB of pixel x,y of a JPEG, by djpeg
pixel() { djpeg "$1" | "$PYTHON" -c '
import sys
d = sys.stdin.buffer.read()
parts = d.split(maxsplit=4)
w, h = int(parts[1]), int(parts[2])
x, y = int(sys.argv[1]), int(sys.argv[2])
p = parts[4][(y * w + x) * 3:(y * w + x) * 3 + 3]
print(w, h, *("hi" if c > 180 else "lo" if c < 70 else "mid" for c in p))' "$2" "$3"; }

if [ $made = yes ]; then
    http "$B/wide.png?thumb=1"
    is "$HTTP_STATUS:$(hdr Content-Type)" "200:image/jpeg" "a PNG: a JPEG made from it"
    cp "$HTTP_BODY" "$FERRY_TMP/wide-thumb.jpg"
    is "$(pixel "$FERRY_TMP/wide-thumb.jpg" 10 64) / $(pixel "$FERRY_TMP/wide-thumb.jpg" 245 64)" \
        "256 128 hi lo lo / 256 128 lo lo hi" "... 256x128, red on the left, blue on the right"
    like "$(hdr ETag)" '-thumb"$' "... with the -thumb ETag"
    http -H "If-None-Match: $(hdr ETag)" "$B/wide.png?thumb=1"
    is "$HTTP_STATUS" 304 "... and 304 for it"
    http "$B/noexif.jpg?thumb=1"
    is "$(pixel "$HTTP_BODY" 0 0)" "256 192 lo lo lo" "a 640x480 JPEG without Exif: a 256x192 JPEG of it"
    http "$B/turned-nothumb.jpg?thumb=1"
    # exif-jpeg.py's picture: red 200, green grows to the right, blue downwards; the
    # picture's bottom-left corner is the upright thumbnail's top-left
    is "$(pixel "$HTTP_BODY" 2 2)" "192 256 hi lo hi" \
        "a 640x480 JPEG turned by Exif (6) without a thumbnail: made upright, 192x256"
else
    for f in wide.png noexif.jpg turned-nothumb.jpg; do
        http "$B/$f?thumb=1"
        ok_if "$f?thumb=1 is the file itself (a build without thumbnails)" cmp "$HTTP_BODY" "$root/$f"
    done
    for ((i = 0; i < 3; i++)); do skip "thumbnails made from pictures" "built --with-thumbnails=no"; done
fi
for f in pic.png cut.jpg huge.png; do
    http "$B/$f?thumb=1"
    ok_if "$f?thumb=1 is the file itself" cmp "$HTTP_BODY" "$root/$f"
done
http "$B/pic.png?thumb=1"
is "$(hdr Content-Type)" "image/png" "the broken PNG keeps its own type"
http "$B/nope.jpg?thumb=1"
is "$HTTP_STATUS" 404 "a missing file with ?thumb=1: 404"
ferry_stop
finish
