#!/bin/bash
# t-ui-look.sh — what people see of the browser UI, checked with axe-core
# (tests/js/node_modules/axe-core) on every page and dialog, light and
# dark, phone and desktop, in Debian's headless chromium through
# tests/browser/look.mjs, against five ferryd of its own: --auth open
# (writable, --name "Test Box"), --auth open --read-only, --auth password,
# --auth token, and one without a state folder (so without a trash). Access (the login form, logout, the not-paired and bad-link
# pages), rows and menus, dialogs, toasts, the uploads tray and its queue,
# "View only"; what reached the disk is checked each time. Screenshots
# (phone 390x844@3x, desktop 1440x900, light and dark) go to
# $FERRY_BUILDDIR/tests/browser-shots/look/ for people to look at.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
CHROMIUM=${FERRY_CHROMIUM:-/usr/bin/chromium}
JS=$FERRY_SRCDIR/tests/js
LOOK=$FERRY_SRCDIR/tests/browser/look.mjs
[ -x "$CHROMIUM" ] || skip_all "no $CHROMIUM (Debian package chromium; ./quickstart check installs it)"
command -v node >/dev/null 2>&1 || skip_all "node not installed"
[ -d "$JS/node_modules/playwright-core" ] && [ -d "$JS/node_modules/axe-core" ] ||
    skip_all "playwright-core or axe-core is not installed in $JS (./quickstart check runs npm ci there)"
checks=$(sed -n 's/^export const CHECKS = \([0-9]*\);.*/\1/p' "$LOOK")
plan $((checks + 5)) # + 5 ferry_stop

root=$FERRY_TMP/root
pwroot=$FERRY_TMP/pwroot
src=$FERRY_TMP/src
out=$FERRY_TMP/shots
shots=$FERRY_BUILDDIR/tests/browser-shots/look
rm -rf "$shots" # last run's pictures
mkdir -p "$root/Photos" "$root/Documents" "$root/empty" "$pwroot" "$src" "$out" "$shots"
# three small PNGs (grid thumbnails, the preview)
for n in a b c; do
    "$PYTHON" -c '
import struct, sys, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
k = ord(sys.argv[1]) * 40 % 256
raw = b"".join(b"\0" + b"".join(bytes(((x * 3 + k) % 256, (y * 4) % 256, (x + y + k) % 256)) for x in range(64))
                for y in range(48))
sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0))
                        + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))' "$n" >"$root/Photos/$n.png"
done
"$PYTHON" "$FERRY_LIB_DIR/make-pdf.py" "$root/Documents/report.pdf" "A report"
printf 'notes\n' >"$root/notes.txt"
head -c 9000 /dev/urandom >"$root/old.zip"
touch -d '2025-03-01 12:00' "$root/old.zip"
printf 'at the top\n' >"$pwroot/readme.txt"
for i in 1 2 3 4 5 6 7 8; do head -c 300000 /dev/urandom >"$src/upload-$i.bin"; done

ferry_start "$root" --state-dir "$FERRY_TMP/state-open" --no-mdns --name "Test Box" ||
    bail_out "ferryd --auth open did not start"
open_pid=$FERRY_PID open_base=$FERRY_BASE
ferry_start "$root" --state-dir "$FERRY_TMP/state-ro" --no-mdns --read-only ||
    bail_out "ferryd --read-only did not start"
ro_pid=$FERRY_PID ro_base=$FERRY_BASE
ferry_argv_ --set-password --state-dir "$FERRY_TMP/state-pw"
printf 'open sesame\n' | "${FERRY_ARGV[@]}" >/dev/null 2>&1 || bail_out "--set-password failed"
ferry_start "$pwroot" --auth password --state-dir "$FERRY_TMP/state-pw" --no-mdns ||
    bail_out "ferryd --auth password did not start"
pw_pid=$FERRY_PID pw_base=$FERRY_BASE
ferry_start "$pwroot" --auth token --state-dir "$FERRY_TMP/state-token" --no-mdns ||
    bail_out "ferryd --auth token did not start"
token_pid=$FERRY_PID token_base=$FERRY_BASE
# no state folder (no HOME, no XDG_STATE_HOME, no --state-dir): no trash
ntroot=$FERRY_TMP/ntroot
mkdir -p "$ntroot"
printf 'scratch\n' >"$ntroot/scratch.txt"
# 1,001 names holding "many": a search of them stops at the 1,001st result
mkdir -p "$ntroot/many"
(cd "$ntroot/many" && seq -f 'many-%g.txt' 1001 | xargs touch)
HOME='' XDG_STATE_HOME='' ferry_start "$ntroot" --no-mdns || bail_out "ferryd without a state folder did not start"
nt_pid=$FERRY_PID nt_base=$FERRY_BASE

n=0
timeout -k 5 $((240 * T_SCALE)) node "$LOOK" --open "$open_base" --ro "$ro_base" --password "$pw_base" \
    --pw 'open sesame' --token "$token_base" --root "$root" --pwroot "$pwroot" --src "$src" \
    --notrash "$nt_base" --ntroot "$ntroot" \
    --out "$out" --shots "$shots" --js-dir "$JS" --chromium "$CHROMIUM" \
    >"$FERRY_TMP/look.out" 2>"$FERRY_TMP/look.err"
rc=$?
while IFS= read -r line; do
    case $line in
    "ok - "*) pass "${line#ok - }"; n=$((n + 1)) ;;
    "not ok - "*) fail "${line#not ok - }"; n=$((n + 1)) ;;
    "#"*) echo "$line" ;;
    esac
done <"$FERRY_TMP/look.out"
[ "$rc" -eq 0 ] || { diag "look.mjs exited $rc"; diag_file "$FERRY_TMP/look.err" 20; }
while [ "$n" -lt "$checks" ]; do
    fail "not reached (look.mjs stopped early)"
    n=$((n + 1))
done
diag "screenshots: $shots"
ferry_stop TERM "$nt_pid"
ferry_stop TERM "$token_pid"
ferry_stop TERM "$pw_pid"
ferry_stop TERM "$ro_pid"
ferry_stop TERM "$open_pid"
finish
