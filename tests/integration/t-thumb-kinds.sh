#!/bin/bash
# t-thumb-kinds.sh — ?thumb=1 of GIF (giflib), WebP (libwebp) and HEIC
# (libheif) pictures, each in builds configured with it (else: the file
# itself, checked too), against the real ferryd with curl:
#   - a 2000x1000 picture, left half red and right half blue, answers a
#     256x128 JPEG with red on the left and blue on the right (GIF; lossy
#     and lossless WebP; HEIC with and without a thumbnail item), with the
#     -thumb ETag and 304;
#   - a GIF's transparent colour is laid on white; an animated GIF gives
#     its first frame;
#   - what is not read answers the file itself and is remembered as such:
#     an interlaced GIF and an animated WebP ("not read"), a GIF frame of
#     9000x9000 in a 1x1 screen ("over the bounds"), cut and broken files;
#     headers that already say too large (a GIF screen of 20000x20000, a
#     WebP of 16384x16384) answer at once, never queued;
#   - hostile: two 36-megapixel pictures of a few bytes (a flat lossless
#     WebP, a flat GIF) and three more thumbnails at once are all answered
#     (a JPEG or the file), and a small file is served meanwhile;
#   - no sanitizer report.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl djpeg
"$PYTHON" -c 'import PIL' 2>/dev/null || skip_all "no Pillow (python3-pil) to make GIF and WebP pictures"
plan 34

root=$FERRY_TMP/root
mkdir -p "$root"
mk() { "$PYTHON" "$FERRY_LIB_DIR/more-pictures.py" "$@" >/dev/null; }
mk halves "$root/h.gif" 2000 1000
mk halves "$root/t.gif" 2000 1000 transparent
mk halves "$root/i.gif" 2000 1000 interlace
mk halves "$root/a.gif" 200 100 animated
mk halves "$root/h.webp" 2000 1000
mk halves "$root/l.webp" 2000 1000 lossless
mk halves "$root/a.webp" 200 100 animated
mk flat "$root/big.gif" 6000 6000
mk flat "$root/big.webp" 6000 6000
mk gif-screen "$root/screen.gif" 20000 20000
mk gif-frame "$root/frame.gif" 9000 9000
mk webp-header "$root/hdr.webp" 16384 16384
head -c 3000 "$root/h.gif" >"$root/cut.gif"
head -c 1500 "$root/h.webp" >"$root/cut.webp"
printf 'GIF89a\x10\x00\x10\x00garbage' >"$root/junk.gif"
printf 'RIFF\x20\x00\x00\x00WEBPVP8 junk junk junk' >"$root/junk.webp"
heic=no
if command -v heif-enc >/dev/null; then
    mk halves "$FERRY_TMP/h.png" 2000 1000
    heif-enc -q 60 -o "$root/h.heic" "$FERRY_TMP/h.png" >/dev/null 2>&1 &&
        heif-enc -q 60 -t 320 -o "$root/t.heic" "$FERRY_TMP/h.png" >/dev/null 2>&1 && heic=yes
fi
printf '\0\0\0\x18ftypheic\0\0\0\0mif1heic junk' >"$root/junk.heic"
echo small >"$root/small.txt"

built() { grep -q "^#define FERRY_THUMB_$1 1" "$FERRY_BUILDDIR/config.h" 2>/dev/null; }

# pixel FILE X Y: "W H" and the colour class of pixel X,Y of a JPEG (djpeg)
pixel() { djpeg "$1" | "$PYTHON" -c '
import sys
d = sys.stdin.buffer.read()
parts = d.split(maxsplit=4)
w, h = int(parts[1]), int(parts[2])
x, y = int(sys.argv[1]), int(sys.argv[2])
p = parts[4][(y * w + x) * 3:(y * w + x) * 3 + 3]
print(w, h, *("hi" if c > 180 else "lo" if c < 70 else "mid" for c in p))' "$2" "$3"; }

ferry_start "$root" --no-mdns --state-dir "$FERRY_TMP/state" || bail_out "ferryd did not start"
B=$FERRY_BASE

# halves NAME KIND: the red|blue picture NAME gives a 256x128 JPEG of it
# when KIND (GIF, WEBP, HEIF) is built, else the file itself.
halves() {
    http "$B/$1?thumb=1"
    if built "$2"; then
        is "$HTTP_STATUS:$(hdr Content-Type) $(pixel "$HTTP_BODY" 10 64) / $(pixel "$HTTP_BODY" 245 64)" \
            "200:image/jpeg 256 128 hi lo lo / 256 128 lo lo hi" \
            "$1: a 256x128 JPEG, red on the left, blue on the right"
    else
        ok_if "$1: the file itself (built without $2)" cmp "$HTTP_BODY" "$root/$1"
    fi
}
# itself NAME: NAME?thumb=1 answers the file itself
itself() {
    http "$B/$1?thumb=1"
    ok_if "$1: the file itself${2:+ ($2)}" cmp "$HTTP_BODY" "$root/$1"
}
# logged NAME WHY: ferryd's log says NAME's thumbnail was not made, for WHY
logged() {
    if built "$3"; then
        like "$(grep -F "thumbnail of '/$1' not made" "$FERRY_ERR")" "$2" "... logged: $2"
    else
        skip "... logged: $2" "built without $3"
    fi
}

halves h.gif GIF
if built GIF; then
    like "$(hdr ETag)" '-thumb"$' "... with the -thumb ETag"
    etag=$(hdr ETag)
    http -H "If-None-Match: $etag" "$B/h.gif?thumb=1"
    is "$HTTP_STATUS" 304 "... and 304 for it"
else
    skip "... with the -thumb ETag" "built without GIF"
    skip "... and 304 for it" "built without GIF"
fi
http "$B/t.gif?thumb=1"
if built GIF; then
    is "$(pixel "$HTTP_BODY" 10 5) / $(pixel "$HTTP_BODY" 10 100)" "256 128 hi hi hi / 256 128 hi lo lo" \
        "t.gif: its transparent top quarter laid on white, red below"
else
    ok_if "t.gif: the file itself" cmp "$HTTP_BODY" "$root/t.gif"
fi
http "$B/a.gif?thumb=1"
if built GIF; then
    is "$(hdr Content-Type) $(pixel "$HTTP_BODY" 10 50)" "image/jpeg 200 100 hi lo lo" \
        "a.gif (animated): its first frame (red on the left)"
else
    ok_if "a.gif: the file itself" cmp "$HTTP_BODY" "$root/a.gif"
fi
itself i.gif "interlaced"
logged i.gif "a kind of picture that is not read" GIF
itself frame.gif "a 9000x9000 frame"
logged frame.gif "over the bounds" GIF
itself screen.gif "a 20000x20000 screen"
unlike "$(grep -F "'/screen.gif'" "$FERRY_ERR")" "not made" "... known from its header: never queued"
itself cut.gif "cut"
itself junk.gif "broken"

halves h.webp WEBP
halves l.webp WEBP
itself a.webp "animated"
logged a.webp "a kind of picture that is not read" WEBP
itself hdr.webp "a 16384x16384 header"
unlike "$(grep -F "'/hdr.webp'" "$FERRY_ERR")" "not made" "... known from its header: never queued"
itself cut.webp "cut"
itself junk.webp "broken"
logged junk.webp "broken" WEBP

if [ $heic = yes ]; then
    halves h.heic HEIF
    halves t.heic HEIF
else
    skip "h.heic" "no heif-enc (libheif-examples) to make HEIC pictures"
    skip "t.heic" "no heif-enc (libheif-examples) to make HEIC pictures"
fi
itself junk.heic "broken"
logged junk.heic "broken" HEIF
http "$B/junk.heic?thumb=1"
ok_if "... asked again: the file itself (remembered)" cmp "$HTTP_BODY" "$root/junk.heic"

# Hostile: 36-megapixel pictures of a few bytes (the WebP 38 bytes) and
# three more at once; a small file meanwhile.
pids=()
for f in big.webp big.gif h.gif l.webp t.gif; do
    curl -q -sS --max-time "$T_CURL" -o "$FERRY_TMP/load.$f" -w '%{http_code} %{content_type}\n' \
        "$B/$f?thumb=1" >"$FERRY_TMP/load.$f.st" 2>&1 &
    pids+=($!)
done
http "$B/small.txt"
is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:small" "a small file is served while they are made"
wait "${pids[@]}"
for f in big.webp big.gif; do
    read -r code type <"$FERRY_TMP/load.$f.st"
    if [ "$type" = image/jpeg ]; then
        ok_if "$f (36 MP): a thumbnail" [ "$code" = 200 ]
    else
        ok_if "$f (36 MP): answered as itself (over the time, or not built)" \
            cmp "$FERRY_TMP/load.$f" "$root/$f"
    fi
done
ok_if "the three others are answered too (200)" grep -q '^200 ' "$FERRY_TMP/load.h.gif.st" \
    "$FERRY_TMP/load.l.webp.st" "$FERRY_TMP/load.t.gif.st"
ok_if "... each of them" [ "$(cat "$FERRY_TMP"/load.{h.gif,l.webp,t.gif}.st | grep -c '^200 ')" = 3 ]

ferry_stop
unlike "$(cat "$FERRY_ERR")" "AddressSanitizer|LeakSanitizer|runtime error" \
    "no sanitizer report in ferryd's log"
finish
