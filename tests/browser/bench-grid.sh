#!/bin/bash
# bench-grid.sh [PNGS] [JPEGS] [RUNS] — what the grid's thumbnails save: makes a
# folder of PNGS phone screenshots (1170x2532, default 16: a picture in the
# top third, the rest flat) and JPEGS photos without an Exif thumbnail
# (4032x3024, default 8); their "pictures" are blocks of colour with pixel
# noise, so that a thumbnail keeps some detail. Starts ferryd (from
# $FERRY_BUILDDIR, default build/) on 127.0.0.1, port 0, then
#   - the server's time for one thumbnail of each kind against the plain
#     file (curl, median of 9);
#   - bench-grid.mjs: the grid on a phone-sized headless chromium with the
#     server's thumbnails and with the originals, RUNS loads each (default 5).
# A short run of it (1 PNG, 1 JPEG, 1 load) is part of make check
# (tests/bench/t-bench-smoke.sh).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/../integration/lib.sh"
pngs=${1:-16}
jpegs=${2:-8}
runs=${3:-5}
need_cmd cjpeg curl
dir=$FERRY_TMP/root/pictures
mkdir -p "$dir"
"$PYTHON" - "$dir" "$pngs" "$jpegs" <<'PY'
import os, random, struct, subprocess, sys, zlib
d, pngs, jpegs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def chunk(t, b): return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b))
def picture(w, h, block, rng):
    """w x h RGB rows: blocks of random colours (detail a thumbnail keeps)
    with per-pixel noise of +-8 (detail it averages away), like a photo."""
    rows = []
    for by in range(0, h, block):
        line = b"".join(bytes(rng.randrange(256) for _ in range(3)) * block for _ in range(0, w, block))[:3 * w]
        base = int.from_bytes(line, "big")
        for _ in range(min(block, h - by)):
            noise = int.from_bytes(os.urandom(3 * w), "big") & int.from_bytes(b"\x07" * 3 * w, "big")
            rows.append((base ^ noise).to_bytes(3 * w, "big"))
    return rows
rng = random.Random(1)
for i in range(pngs):  # a phone screenshot: a picture in the top third, flat UI below
    w, h = 1170, 2532
    flat = bytes((40 + i * 9) % 256 for _ in range(3)) * w
    top = picture(w, h // 3, 24, rng)
    rows = b"".join(b"\0" + (top[y] if y < len(top) else flat) for y in range(h))
    open(f"{d}/screenshot-{i:02}.png", "wb").write(b"\x89PNG\r\n\x1a\n" +
        chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
        chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))
for i in range(jpegs):  # a 12-megapixel photo without Exif
    w, h = 4032, 3024
    ppm = b"P6 %d %d 255\n" % (w, h) + b"".join(picture(w, h, 48, rng))
    jpg = subprocess.run(["cjpeg", "-quality", "85"], input=ppm, stdout=subprocess.PIPE, check=True).stdout
    open(f"{d}/photo-{i:02}.jpg", "wb").write(jpg)
PY
echo "folder: $pngs PNGs of $(du -ch "$dir"/*.png | tail -1 | cut -f1), $jpegs JPEGs of $(du -ch "$dir"/*.jpg | tail -1 | cut -f1)"
ferry_start "$FERRY_TMP/root" --state-dir "$FERRY_TMP/state" --no-mdns || bail_out "ferryd did not start"
# ms of curl fetching URL, median of 9
fetch_ms() {
    for ((i = 0; i < 9; i++)); do curl -s -o /dev/null -w '%{time_total}\n' "$1"; done |
        sort -n | sed -n 5p | awk '{printf "%.1f", $1 * 1000}'
}
for f in screenshot-00.png photo-00.jpg; do
    [ -f "$dir/$f" ] || continue
    echo "server: $f ($(file_size "$dir/$f") bytes): ?thumb=1 $(fetch_ms "$FERRY_BASE/pictures/$f?thumb=1") ms" \
        "($(curl -s "$FERRY_BASE/pictures/$f?thumb=1" | wc -c) bytes), the file $(fetch_ms "$FERRY_BASE/pictures/$f") ms"
done
node "$FERRY_SRCDIR/tests/browser/bench-grid.mjs" --url "$FERRY_BASE/pictures/" \
    --runs "$runs" --js-dir "$FERRY_SRCDIR/tests/js" || bail_out "bench-grid.mjs failed"
ferry_stop TERM >/dev/null
