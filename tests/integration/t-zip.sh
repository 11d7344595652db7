#!/bin/bash
# t-zip.sh — GET /folder/?download=zip: the archive tests OK with python's
# zipfile, holds exactly the expected entries (no dot-file, symlink or FIFO;
# the dot-file with --hidden), each file's sha256, UTF-8 names, headers
# (Content-Type, Content-Disposition, Cache-Control), HEAD, 404, traversal,
# a file with ?download=zip (served as the file), the root, a cut download
# leaving ferryd's fds at baseline, --read-only, token auth refusing an
# unauthenticated request, how ticketed zips ended in /.ferry/status
# ("zips": whole, cut, at most 16), and a 4.4 GiB sparse file (zip64) streamed with
# ferryd's peak RSS growing by less than 30 MiB.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl truncate mkfifo

plan 43

root=$FERRY_TMP/share
outside=$FERRY_TMP/outside
mkdir -p "$root/pics/2024/deep" "$root/pics/empty" "$outside"
echo secret >"$outside/secret.txt"
: >"$root/pics/zero.bin"
head -c $((20 << 20)) /dev/urandom >"$root/pics/big.bin"
echo "bonjour" >"$root/pics/2024/été à la mer.txt"
echo deep >"$root/pics/2024/deep/d.txt"
echo hidden >"$root/pics/.hidden"
ln -s "$outside" "$root/pics/out-link"
ln -s big.bin "$root/pics/in-link"
mkfifo "$root/pics/fifo"
echo top >"$root/top.txt"

# zip_check FILE DIR EXPECTED_NAMES: the archive FILE tests OK, its entry
# names are exactly EXPECTED_NAMES (space-separated, sorted; '|' stands for
# a space inside a name), and each file entry's sha256 equals DIR/name's.
zip_check() {
    "$PYTHON" - "$1" "$2" "$3" <<'EOF_PY'
import hashlib, os, sys, zipfile
path, top, expected = sys.argv[1], sys.argv[2], sys.argv[3]
z = zipfile.ZipFile(path)
bad = z.testzip()
if bad:
    sys.exit("testzip: bad entry %r" % bad)
names = sorted(i.filename for i in z.infolist())
want = sorted(n.replace("|", " ") for n in expected.split())
if names != want:
    sys.exit("entries %r, expected %r" % (names, want))
for i in z.infolist():
    if i.is_dir():
        if (i.external_attr >> 16) & 0o777 != 0o755:
            sys.exit("%s: mode %o" % (i.filename, i.external_attr >> 16))
        continue
    h = hashlib.sha256(z.read(i)).hexdigest()
    w = hashlib.sha256(open(os.path.join(top, i.filename), "rb").read()).hexdigest()
    if h != w:
        sys.exit("%s: sha256 %s, expected %s" % (i.filename, h, w))
    if (i.external_attr >> 16) & 0o777 != 0o644:
        sys.exit("%s: mode %o" % (i.filename, i.external_attr >> 16))
EOF_PY
}

pics_names="2024/ 2024/deep/ 2024/deep/d.txt 2024/été|à|la|mer.txt big.bin empty/ zero.bin"

ferry_start "$root" --no-mdns || bail_out "ferryd did not start"
U=$FERRY_BASE
base_fds=$(fd_count)

http "$U/pics/?download=zip"
is "$HTTP_STATUS" 200 "GET /pics/?download=zip: 200"
is "$(hdr Content-Type)" application/zip "Content-Type: application/zip"
is "$(hdr Content-Disposition)" "attachment; filename=\"pics.zip\"; filename*=UTF-8''pics.zip" \
    "Content-Disposition names pics.zip"
is "$(hdr Cache-Control)" no-store "Cache-Control: no-store"
is "$(hdr Transfer-Encoding)" chunked "chunked"
ok_if "the archive tests OK with the exact entries and sha256s (no dot-file, symlink, FIFO)" \
    zip_check "$HTTP_BODY" "$root/pics" "$pics_names"
ok_if "the UTF-8 name carries zipfile's UTF-8 flag" "$PYTHON" -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
i = [i for i in z.infolist() if i.filename.startswith("2024/été")]
assert i and i[0].flag_bits & 0x800, [x.filename for x in z.infolist()]' "$HTTP_BODY"
ok_if "mtimes are set" "$PYTHON" -c '
import os, sys, time, zipfile
z = zipfile.ZipFile(sys.argv[1])
i = z.getinfo("2024/deep/d.txt")
m = time.localtime(os.stat(sys.argv[2]).st_mtime)
assert abs(time.mktime(i.date_time + (0, 0, -1)) - time.mktime(m)) <= 2, (i.date_time, m)' \
    "$HTTP_BODY" "$root/pics/2024/deep/d.txt"

http "$U/pics?download=zip"
is "$HTTP_STATUS" 301 "/pics?download=zip: 301"
is "$(hdr Location)" "/pics/?download=zip" "... to /pics/?download=zip"

http "$U/pics/2024/?download=zip"
is "$(hdr Content-Disposition)" \
    "attachment; filename=\"2024.zip\"; filename*=UTF-8''2024.zip" "a nested folder's name"
ok_if "a nested folder's archive" zip_check "$HTTP_BODY" "$root/pics/2024" \
    "deep/ deep/d.txt été|à|la|mer.txt"

mkdir -p "$root/été 1"
echo x >"$root/été 1/x"
http "$U/%C3%A9t%C3%A9%201/?download=zip"
is "$(hdr Content-Disposition)" \
    "attachment; filename=\"_t_ 1.zip\"; filename*=UTF-8''%C3%A9t%C3%A9%201.zip" \
    "a UTF-8 folder name: ASCII stand-in and filename*"

http -I "$U/pics/?download=zip"
is "$HTTP_STATUS:$(hdr Content-Type)" "200:application/zip" "HEAD: 200 application/zip"

http "$U/nope/?download=zip"
is "$HTTP_STATUS" 404 "a missing folder: 404"
http "$U/pics/../../?download=zip"
like "$HTTP_STATUS" '^40[03]$' "traversal with ..: 400/403"
http "$U/pics/out-link/?download=zip"
like "$HTTP_STATUS" '^40[34]$' "a symlink out of the root: refused"
http "$U/pics/%2e%2e/%2e%2e/?download=zip"
like "$HTTP_STATUS" '^40[03]$' "traversal with %2e%2e: 400/403"
unlike "$(cat "$HTTP_BODY")" secret "nothing from outside is sent"

http "$U/top.txt?download=zip"
is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:top" "a file with ?download=zip is served as the file"

http "$U/?download=zip"
is "$(hdr Content-Disposition)" \
    "attachment; filename=\"share.zip\"; filename*=UTF-8''share.zip" \
    "the root is named after the shared folder"
ok_if "the root's archive" zip_check "$HTTP_BODY" "$root" \
    "pics/ pics/2024/ pics/2024/deep/ pics/2024/deep/d.txt pics/2024/été|à|la|mer.txt pics/big.bin pics/empty/ pics/zero.bin top.txt été|1/ été|1/x"

http "$U/pics/?format=json"
# (out-link leaves the shared folder: GET refuses it, and so the listing
# leaves it out)
json_ok "the listing is unchanged (JSON)" "$HTTP_BODY" '
assert sorted(e["name"] for e in j["entries"]) == ["2024", "big.bin", "empty", "in-link", "zero.bin"], j'

# ?size=1: what a folder holds, by the zip's rules (no dot-file, symlink or
# FIFO); a file ignores it.
http "$U/pics/?size=1"
json_ok "?size=1 counts pics/ as its zip holds it: 4 files, 3 folders" "$HTTP_BODY" "
assert j == {'bytes': $(((20 << 20) + 8 + 5)), 'files': 4, 'folders': 3, 'complete': True}, j"
http "$U/top.txt?size=1"
is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:top" "a file with ?size=1 is the file"

# A cut download: curl stops after 1 MiB of the 20 MiB file.
curl -q -sS --max-time "$T_CURL" "$U/pics/?download=zip" 2>/dev/null | head -c 1048576 >/dev/null
ok_if "a cut download leaves ferryd's fds at the baseline ($base_fds)" fds_back_to "$base_fds"
http "$U/.ferry/status"
json_ok "no zip transfer stays registered after the cut" "$HTTP_BODY" '
assert not [t for t in j["transfers"] if t["path"] == "/pics/"], j["transfers"]'

# Progress in /.ferry/status, for the browser UI: two downloads slowed to
# 4 MiB/s, one with a ticket (found by it), one with a ticket that is not
# valid (kept as plain "zip").
slow() { # TICKET OUT
    curl -q -sS --max-time $((60 * T_SCALE)) --limit-rate 4M -o "$2" \
        "$U/pics/?download=zip&ticket=$1" &
    track_pid $!
}
slow t-1 "$FERRY_TMP/slow.zip"
slow_pid=$!
slow 'bad%21x' "$FERRY_TMP/slow2.zip"
slow2_pid=$!
seen="?"
for ((i = 0; i < 100 * T_SCALE; i++)); do
    http "$U/.ferry/status"
    # "?" until both downloads are registered and the ticketed one has sent bytes
    seen=$(pyj "$HTTP_BODY" '(lambda v, d: [v, d] if len(v) == 2 else 1 / 0)(sorted(t["validator"] for t in j["transfers"] if t["path"] == "/pics/"), [(t["done"], t["total"]) for t in j["transfers"] if t["validator"] == "zip:t-1" and t["done"] > 0][0])')
    [ "$seen" != "?" ] && break
    sleep 0.05
done
wait "$slow_pid"
wait "$slow2_pid"
forget_pid "$slow_pid"
forget_pid "$slow2_pid"
size=$(file_size "$FERRY_TMP/slow.zip")
like "$seen" "^\[\['zip', 'zip:t-1'\], \([1-9][0-9]*, [1-9][0-9]*\)\]\$" \
    "/.ferry/status shows the zip by its ticket (a bad ticket: plain zip), with bytes sent"
ok_if "its total estimates the archive's $size bytes within 1% ($seen)" "$PYTHON" -c '
import ast, sys
done, total = ast.literal_eval(sys.argv[1])[1]
size = int(sys.argv[2])
assert 0 < done <= total and abs(total - size) < size / 100, (done, total, size)' "$seen" "$size"
ok_if "the slowed download is the whole archive" zip_check "$FERRY_TMP/slow.zip" "$root/pics" "$pics_names"
rm -f "$FERRY_TMP/slow.zip" "$FERRY_TMP/slow2.zip"

# How ticketed zips ended, in /.ferry/status "zips" (the page reads it
# instead of guessing from speed): the whole one with its exact size...
# (polled: curl may see the last chunk before ferryd completes the request)
zip_end() { # TICKET: prints [done, complete] of its newest end, or "?"
    local i v="?"
    for ((i = 0; i < 100 * T_SCALE; i++)); do
        http "$U/.ferry/status"
        v=$(pyj "$HTTP_BODY" "[[z['done'], z['complete']] for z in j['zips'] if z['ticket'] == '$1'][0]")
        [ "$v" != "?" ] && break
        sleep 0.05
    done
    echo "$v"
}
is "$(zip_end t-1)" "[$size, True]" "status lists the whole ticketed zip as complete, $size bytes"
# ... one cut by its client mid-way (killed once it has sent bytes) ...
slow t-cut "$FERRY_TMP/cut.zip"
cut_pid=$!
for ((i = 0; i < 100 * T_SCALE; i++)); do
    http "$U/.ferry/status"
    [ "$(pyj "$HTTP_BODY" "[t['done'] for t in j['transfers'] if t['validator'] == 'zip:t-cut'][0] > 0")" = True ] && break
    sleep 0.05
done
kill "$cut_pid" 2>/dev/null
wait "$cut_pid" 2>/dev/null
forget_pid "$cut_pid"
cut=$(zip_end t-cut)
like "$cut" '^\[[1-9][0-9]*, False\]$' "a cut ticketed zip is listed as not complete ($cut)"
ok_if "... with fewer bytes than the whole ($size)" "$PYTHON" -c '
import ast, sys
assert ast.literal_eval(sys.argv[1])[0] < int(sys.argv[2])' "$cut" "$size"
rm -f "$FERRY_TMP/cut.zip"
# ... and at most 16 are kept, newest first: 40 tiny zips.
for ((i = 0; i < 40; i++)); do
    curl -q -sS --max-time "$T_CURL" -o "$FERRY_TMP/tiny.zip" "$U/pics/2024/deep/?download=zip&ticket=r-$i"
done
tiny=$(file_size "$FERRY_TMP/tiny.zip")
zip_end r-39 >/dev/null
json_ok "after 40 tiny zips, status lists 16, newest first, complete, $tiny bytes each" "$HTTP_BODY" "
z = j['zips']
assert [x['ticket'] for x in z] == ['r-%d' % i for i in range(39, 23, -1)], z
assert all(x['complete'] and x['done'] == $tiny for x in z), z"
rm -f "$FERRY_TMP/tiny.zip"

# zip64 and memory: a sparse 4.4 GiB file, streamed; the archive is kept
# sparse on disk and checked (sizes, CRC) by zipfile.
mkdir -p "$root/huge"
truncate -s 4700000000 "$root/huge/sparse.bin"
echo after >"$root/huge/z-after.txt"
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$FERRY_PID/status"; }
hwm0=$(hwm)
curl -q -sS --max-time $((120 * T_SCALE)) "$U/huge/?download=zip" |
    cp --sparse=always /dev/stdin "$FERRY_TMP/huge.zip"
hwm1=$(hwm)
ok_if "zip64: a 4.4 GiB entry tests OK with its size" "$PYTHON" -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
assert z.getinfo("sparse.bin").file_size == 4700000000, z.infolist()
assert z.read("z-after.txt") == b"after\n"' "$FERRY_TMP/huge.zip"
rm -f "$FERRY_TMP/huge.zip"
growth=$(( (hwm1 - hwm0) / 1024 ))
diag "ferryd peak RSS: $hwm0 kB before, $hwm1 kB after the 4.4 GiB zip"
ok_if "streamed: peak RSS grew by $growth MiB (< 30)" test "$growth" -lt 30
rm -rf "$root/huge"

ferry_stop

# --hidden: the dot-file is in the archive.
ferry_start "$root" --no-mdns --hidden || bail_out "ferryd --hidden did not start"
http "$FERRY_BASE/pics/?download=zip"
ok_if "--hidden: the dot-file is in the archive" zip_check "$HTTP_BODY" "$root/pics" \
    "$pics_names .hidden"
ferry_stop

# --read-only: still a GET.
ferry_start "$root" --no-mdns --read-only || bail_out "ferryd --read-only did not start"
http "$FERRY_BASE/pics/?download=zip"
ok_if "--read-only: the zip download works" zip_check "$HTTP_BODY" "$root/pics" "$pics_names"
ferry_stop

# Token auth (the default): no session, no zip.
ferry_start "$root" --no-mdns --auth token --state-dir "$FERRY_TMP/state" ||
    bail_out "ferryd --auth token did not start"
http "$FERRY_BASE/pics/?download=zip"
is "$HTTP_STATUS" 401 "--auth token: unauthenticated is 401"
unlike "$(hdr Content-Type)" zip "... and no archive"

finish
