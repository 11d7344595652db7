#!/bin/bash
# t-browser.sh — the browser UI (www/, served from /.ferry/ui/) in a real
# browser: Debian's headless chromium driven by playwright-core (npm,
# tests/js/) through tests/browser/ui.mjs, against a running ferryd (--auth
# open). Browses into a folder with the keyboard, sorts, filters, uploads 2
# files with the picker (tus) and checks them on disk (sha256), makes and
# deletes a folder and checks the disk, checks dark mode, accessible names,
# a 360 px wide phone and the page without JavaScript; previews, grid view
# with thumbnails, a PDF in the browser's viewer, undo, rename, move, folder
# upload, a name conflict, pause and resume by hand across a fake-OS
# suspension of ferryd (--os fake), an upload carried across one by itself,
# and a cancelled upload's bytes gone from the server. Then
# tests/browser/trash.mjs against a ferryd of its own (--trash-max 64K) on a
# phone-sized page: asked before a delete for good, the Trash dialog,
# restore, and emptying it after a second confirmation. Then
# tests/browser/firefox.mjs, a shorter tour of the same UI in Firefox
# (Debian's firefox-esr over WebDriver BiDi, puppeteer-core) and
# tests/browser/webkit.mjs in WebKit (WebKitGTK's MiniBrowser, WebDriver, on
# Xvfb); then
# tests/browser/share.mjs, against a second ferryd (--auth token) on the
# same folder: the Share dialog's QR code (decoded with zbarimg) and the
# link opened by a fresh browser. Screenshots (phone, desktop, dark, share)
# go to the test's temporary folder and are copied to
# $FERRY_BUILDDIR/tests/browser-shots/ for people to look at.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
CHROMIUM=${FERRY_CHROMIUM:-/usr/bin/chromium}
JS=$FERRY_SRCDIR/tests/js
UI=$FERRY_SRCDIR/tests/browser/ui.mjs
SHARE=$FERRY_SRCDIR/tests/browser/share.mjs
FIREFOX_JS=$FERRY_SRCDIR/tests/browser/firefox.mjs
FIREFOX=${FERRY_FIREFOX:-/usr/bin/firefox-esr}
WEBKIT_JS=$FERRY_SRCDIR/tests/browser/webkit.mjs
TRASH_JS=$FERRY_SRCDIR/tests/browser/trash.mjs
need_cmd zbarimg cjpeg
[ -x "$CHROMIUM" ] || skip_all "no $CHROMIUM (Debian package chromium; ./quickstart check installs it)"
command -v node >/dev/null 2>&1 || skip_all "node not installed"
[ -d "$JS/node_modules/playwright-core" ] ||
    skip_all "playwright-core is not installed in $JS (./quickstart check runs npm ci there)"

checks_of() { sed -n 's/^export const CHECKS = \([0-9]*\);.*/\1/p' "$1"; }
plan $(($(checks_of "$UI") + $(checks_of "$SHARE") + $(checks_of "$FIREFOX_JS") + $(checks_of "$WEBKIT_JS") +
    $(checks_of "$TRASH_JS") + 3)) # + 3 ferry_stop

root=$FERRY_TMP/root
src=$FERRY_TMP/src
out=$FERRY_TMP/shots
shots=$FERRY_BUILDDIR/tests/browser-shots
mkdir -p "$root/photos" "$root/inbox" "$root/empty" "$src" "$out" "$shots"
head -c 5000 /dev/urandom >"$root/photos/a-big.bin"
printf '0123456789' >"$root/photos/b-small.txt"
head -c 100 /dev/zero >"$root/photos/c-mid.txt"
head -c $((3 << 20)) /dev/urandom >"$src/movie part 1.bin"
printf 'ferry says hello\n' >"$src/résumé ü.txt"
tree=$FERRY_TMP/album
mkdir -p "$tree/sub" "$root/gallery"
printf 'at the top\n' >"$tree/top.txt"
head -c 70000 /dev/urandom >"$tree/sub/deep.txt"
printf 'notes at the root\n' >"$root/notes.txt"
drop=$FERRY_TMP/drop/trip
mkdir -p "$drop/day 2" "$drop/empty"
printf 'first day\n' >"$drop/a.txt"
head -c 50000 /dev/urandom >"$drop/day 2/b.txt"
big="$FERRY_TMP/big/slow upload.bin"
mkdir -p "${big%/*}"
head -c $((24 << 20)) /dev/urandom >"$big"
# uploads to pause and to cancel by hand
pause="$FERRY_TMP/big/paused upload.bin"
cancel="$FERRY_TMP/big/cancelled.bin"
head -c $((12 << 20)) /dev/urandom >"$pause"
head -c $((12 << 20)) /dev/urandom >"$cancel"
# a 4x4 PNG for the grid's thumbnail
"$PYTHON" -c '
import struct, sys, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
raw = b"".join(b"\0" + b"\x20\x80\xe0" * 4 for _ in range(4))
sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
                        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))' >"$root/gallery/pic.png"
# a 640x480 JPEG with a 32x24 Exif thumbnail, for the grid's ?thumb=1
"$PYTHON" "$FERRY_LIB_DIR/exif-jpeg.py" "$root/gallery/sunset.jpg" 640 480 32 24 >/dev/null
# a phone screenshot's size (1170x2532 PNG, no Exif): the grid gets a JPEG made from it
"$PYTHON" -c '
import struct, sys, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
rows = b"".join(b"\0" + bytes((x * 7 + y) % 256 for x in range(3 * 1170)) for y in range(0, 2532, 1))
sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1170, 2532, 8, 2, 0, 0, 0))
                        + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))' >"$root/gallery/screen.png"
# a one-page PDF for the PDF preview
"$PYTHON" "$FERRY_LIB_DIR/make-pdf.py" "$root/gallery/guide.pdf" "Hello from ferry"
SOCK=$FERRY_TMP/ctl.sock

# run_mjs SCRIPT ARGS...: runs a node script of tests/browser/ and turns
# its "ok - " / "not ok - " lines into TAP points, failing those it did not
# reach.
T_NODE=$((120 * T_SCALE))
run_mjs() {
    local script=$1 name rc n=0 line checks
    shift
    name=$(basename "$script" .mjs)
    checks=$(checks_of "$script")
    timeout -k 5 "$T_NODE" node "$script" "$@" --out "$out" --shots "$shots" \
        --js-dir "$JS" --chromium "$CHROMIUM" \
        >"$FERRY_TMP/$name.out" 2>"$FERRY_TMP/$name.err"
    rc=$?
    while IFS= read -r line; do
        case $line in
        "ok - "*) pass "${line#ok - }"; n=$((n + 1)) ;;
        "not ok - "*) fail "${line#not ok - }"; n=$((n + 1)) ;;
        "#"*) echo "$line" ;;
        esac
    done <"$FERRY_TMP/$name.out"
    [ "$rc" -eq 0 ] || { diag "$name.mjs exited $rc"; diag_file "$FERRY_TMP/$name.err" 20; }
    while [ "$n" -lt "$checks" ]; do
        fail "not reached ($name.mjs stopped early)"
        n=$((n + 1))
    done
}

ferry_start "$root" --state-dir "$FERRY_TMP/state" --no-mdns --os fake \
    --control "$SOCK" || bail_out "ferryd did not start"
open_pid=$FERRY_PID
open_url=$FERRY_URL
run_mjs "$UI" --base "$FERRY_BASE" --root "$root" --src "$src" \
    --tree "$tree" --drop "$drop" --big "$big" \
    --pause "$pause" --cancel "$cancel" --state "$FERRY_TMP/state" --ferryctl "$FERRYCTL" --sock "$SOCK" --pid "$FERRY_PID"

# the same server in Firefox (WebDriver BiDi through puppeteer-core)
if [ -x "$FIREFOX" ] && [ -d "$JS/node_modules/puppeteer-core" ]; then
    run_mjs "$FIREFOX_JS" --base "$FERRY_BASE" --root "$root" --src "$src" --firefox "$FIREFOX"
else
    for ((i = 0; i < $(checks_of "$FIREFOX_JS"); i++)); do
        skip "Firefox: not run" "no $FIREFOX or puppeteer-core (./quickstart check installs both)"
    done
fi

# ... and in WebKit (Safari's engine): WebKitGTK's MiniBrowser through
# WebKitWebDriver, on an Xvfb display of its own
MINIBROWSER=${FERRY_MINIBROWSER:-/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser}
if [ -x "$MINIBROWSER" ] && command -v WebKitWebDriver >/dev/null && command -v Xvfb >/dev/null; then
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$FERRY_TMP/display" \
        >"$FERRY_TMP/xvfb.log" 2>&1 &
    track_pid $!
    for ((i = 0; i < 100 * T_SCALE; i++)); do
        [ -s "$FERRY_TMP/display" ] && break
        sleep 0.05
    done
    wd_port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    DISPLAY=:$(cat "$FERRY_TMP/display") WebKitWebDriver --host=127.0.0.1 --port="$wd_port" \
        >"$FERRY_TMP/webdriver.log" 2>&1 &
    track_pid $!
    for ((i = 0; i < 100 * T_SCALE; i++)); do
        curl -sf "http://127.0.0.1:$wd_port/status" >/dev/null && break
        sleep 0.05
    done
    run_mjs "$WEBKIT_JS" --base "$FERRY_BASE" --root "$root" --src "$src" \
        --webdriver "http://127.0.0.1:$wd_port" --minibrowser "$MINIBROWSER"
else
    for ((i = 0; i < $(checks_of "$WEBKIT_JS"); i++)); do
        skip "WebKit: not run" "no $MINIBROWSER, WebKitWebDriver or Xvfb (./quickstart check installs them)"
    done
fi

# the trash on a phone: a ferryd of its own whose trash keeps at most 64 KiB,
# so that a 200 KB file is asked about before it is deleted for good
troot=$FERRY_TMP/trash-root
mkdir -p "$troot"
head -c 100 /dev/urandom >"$troot/keep.txt"
printf 'notes\n' >"$troot/notes.txt"
printf 'todo\n' >"$troot/todo.txt"
head -c 200000 /dev/urandom >"$troot/big.mov"
ferry_start "$troot" --state-dir "$FERRY_TMP/state-trash" --no-mdns --trash-max 64K ||
    bail_out "ferryd --trash-max 64K did not start"
run_mjs "$TRASH_JS" --base "$FERRY_BASE" --root "$troot" --state "$FERRY_TMP/state-trash"
ferry_stop TERM

# the Share dialog: a second ferryd on the same folder, with pairing
ferry_start "$root" --auth token --state-dir "$FERRY_TMP/state-token" --no-mdns ||
    bail_out "ferryd --auth token did not start"
pair_url=$(grep -m1 -o "http://127\.0\.0\.1:$FERRY_PORT/\.ferry/pair?token=[A-Za-z0-9_-]*" "$FERRY_OUT")
run_mjs "$SHARE" --pair "$pair_url" --open "$open_url"

diag "screenshots: $shots"
ferry_stop TERM
ferry_stop TERM "$open_pid"
finish
