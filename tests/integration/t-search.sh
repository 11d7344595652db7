#!/bin/bash
# t-search.sh — GET /folder/?q=TEXT: names below the folder holding TEXT,
# case-insensitively (ASCII and accented Latin), streamed JSON (chunked;
# gzip'd when accepted); the listing's rules (no dot-file unless --hidden,
# a link inside the share found as what it points to, a link out of it
# never, nothing walked through a link), only below the folder; each href
# served; the bounds (1,000 results, 50,000 entries or 2 s, 64 levels)
# answered as "complete": false with "stopped"; 400 for a bad q; a file's
# ?q= is the file; a cut search leaves ferryd's fds at baseline.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl

plan 32

root=$FERRY_TMP/share
outside=$FERRY_TMP/outside
mkdir -p "$root/photos/2024/Summer" "$root/docs" "$root/many" "$root/wide" "$outside/secret-photo-dir"
echo x >"$root/photos/2024/Summer/Beach-PHOTO.jpg"
echo x >"$root/photos/2024/Été à Nice.png"
echo x >"$root/photos/.photo-hidden.jpg"
echo x >"$root/docs/photocopy.pdf"
echo x >"$root/docs/notes.txt"
echo x >"$outside/photo-outside.jpg"
ln -s "$outside" "$root/photos/out-link"
ln -s ../docs/photocopy.pdf "$root/photos/in-link-photo"
ln -s .. "$root/photos/loop"
"$PYTHON" - "$root" <<'EOF_PY'
import os, sys
root = sys.argv[1]
for i in range(1100):
    open(os.path.join(root, "many", "match-%04d.txt" % i), "w").close()
for i in range(50001):
    open(os.path.join(root, "wide", "w%05d" % i), "w").close()
d = os.path.join(root, "deep")
os.makedirs(os.path.join(d, *(["d"] * 70)))
open(os.path.join(d, *(["d"] * 70), "needle.txt"), "w").close()
open(os.path.join(d, *(["d"] * 10), "needle-10.txt"), "w").close()
EOF_PY

ferry_start "$root" --no-mdns || bail_out "ferryd did not start"
U=$FERRY_BASE
base_fds=$(fd_count)

# paths FILE: the sorted result paths of the answer in FILE
paths() { pyj "$1" 'sorted(r["path"] for r in j["results"])'; }

http "$U/photos/?q=PhOtO"
is "$HTTP_STATUS" 200 "GET /photos/?q=PhOtO: 200"
is "$(hdr Content-Type)" application/json "application/json"
is "$(hdr Transfer-Encoding)" chunked "streamed (chunked)"
is "$(paths "$HTTP_BODY")" "['2024/Summer/Beach-PHOTO.jpg', 'in-link-photo']" \
    "case-insensitive; the link inside the share found; no dot-file, nothing through a link out, nothing outside the folder"
json_ok "the answer's shape: path, q, results with name/path/type/size/mtime/href, complete, scanned, stopped" \
    "$HTTP_BODY" '
assert j["path"] == "/photos/" and j["q"] == "PhOtO", j
assert j["complete"] is True and j["stopped"] is None and j["scanned"] >= 6, j
r = [x for x in j["results"] if x["path"] == "2024/Summer/Beach-PHOTO.jpg"][0]
assert r == {"name": "Beach-PHOTO.jpg", "path": "2024/Summer/Beach-PHOTO.jpg", "type": "file",
             "size": 2, "mtime": r["mtime"], "href": "/photos/2024/Summer/Beach-PHOTO.jpg"}, r
l = [x for x in j["results"] if x["path"] == "in-link-photo"][0]
assert l["type"] == "file" and l["size"] == 2, l'
href=$(pyj "$HTTP_BODY" '[r["href"] for r in j["results"] if r["name"] == "Beach-PHOTO.jpg"][0]')
http "$U$href"
is "$HTTP_STATUS" 200 "the result's href is served"

http "$U/photos/?q=%C3%A9T%C3%89"
is "$(paths "$HTTP_BODY")" "['2024/Été à Nice.png']" "UTF-8: 'éTÉ' finds 'Été' (accented capitals folded)"
http "$U/photos/?q=summer"
json_ok "a folder is found too, as type dir with an href ending in /" "$HTTP_BODY" '
r = j["results"]
assert len(r) == 1 and r[0]["type"] == "dir" and r[0]["href"] == "/photos/2024/Summer/" and "size" not in r[0], r'
http "$U/photos/?q=photo-outside"
is "$(paths "$HTTP_BODY")" "[]" "a name outside the share (behind a link) is never found"
http "$U/photos/?q=loop"
is "$(paths "$HTTP_BODY")" "['loop']" "a link to a folder inside is found, not walked into (no loop)"
http "$U/docs/?q=photo+copy"
is "$(paths "$HTTP_BODY")" "[]" "'+' is a space: 'photo copy' does not match photocopy"
http "$U/docs/?q=TOCO"
is "$(paths "$HTTP_BODY")" "['photocopy.pdf']" "a substring in the middle"

http -H 'Accept-Encoding: gzip' "$U/many/?q=match-10"
if grep -q '^#define FERRY_ZLIB 1' "$FERRY_BUILDDIR/config.h" 2>/dev/null; then
    is "$(hdr Content-Encoding)" gzip "gzip'd when accepted"
    ok_if "... it unzips to the JSON of 100 results" "$PYTHON" -c '
import gzip, json, sys
j = json.loads(gzip.decompress(open(sys.argv[1], "rb").read()))
assert len(j["results"]) == 100 and j["complete"], (len(j["results"]), j["complete"])' "$HTTP_BODY"
else
    is "$(hdr Content-Encoding)" "" "built --without-zlib: plain even when gzip is accepted"
    is "$(pyj "$HTTP_BODY" 'len(j["results"])')" 100 "... the JSON of 100 results"
fi

# The bounds.
http "$U/many/?q=match"
json_ok "1,100 matches: 1,000 results, complete false, stopped results" "$HTTP_BODY" '
assert len(j["results"]) == 1000 and j["complete"] is False and j["stopped"] == "results", \
    (len(j["results"]), j["complete"], j["stopped"])'
http "$U/wide/?q=nothing-matches"
json_ok "50,001 entries: the walk stops (entries at 50,000, or the 2 s bound first), complete false" \
    "$HTTP_BODY" '
assert j["complete"] is False and j["results"] == [], j
assert (j["stopped"] == "entries" and j["scanned"] == 50000) or \
    (j["stopped"] == "time" and j["scanned"] < 50000), (j["stopped"], j["scanned"])'
http "$U/many/?q=match-0"
json_ok "exactly 1,000 matches: all 1,000, complete true (the bound stops only at one more)" "$HTTP_BODY" '
assert len(j["results"]) == 1000 and j["complete"] is True and j["stopped"] is None, \
    (len(j["results"]), j["complete"], j["stopped"])'
rm "$root/wide/w50000"
http "$U/wide/?q=w4999"
json_ok "exactly 50,000 entries: all looked at, complete true" "$HTTP_BODY" '
assert (j["complete"] is True and j["scanned"] == 50000 and len(j["results"]) == 10) or \
    j["stopped"] == "time", (j["complete"], j["scanned"], j["stopped"])'
http "$U/deep/?q=needle"
json_ok "a folder more than 64 levels down is left out: complete false, stopped unreadable; 10 levels found" \
    "$HTTP_BODY" '
p = [r["path"] for r in j["results"]]
assert p == ["d/" * 10 + "needle-10.txt"], p
assert j["complete"] is False and j["stopped"] == "unreadable", j'

# --hidden: dot-files found.
http "$U/photos/?q=hidden"
is "$(paths "$HTTP_BODY")" "[]" "without --hidden: no dot-file"

# Refusals and other paths.
http "$U/?q="
is "$HTTP_STATUS" 400 "an empty q: 400"
http "$U/?q=bad%ZZ"
is "$HTTP_STATUS" 400 "a bad escape: 400"
http "$U/?q=a%01b"
is "$HTTP_STATUS" 400 "a control character: 400"
http "$U/?q=%FF"
is "$HTTP_STATUS" 400 "invalid UTF-8: 400"
http "$U/?q=$(printf 'a%.0s' $(seq 1 257))"
is "$HTTP_STATUS" 400 "257 bytes: 400"
http "$U/docs/notes.txt?q=x"
is "$(cat "$HTTP_BODY")" x "a file's ?q= is the file"
http "$U/nothere/?q=x"
is "$HTTP_STATUS" 404 "a folder that is not there: 404"

# A search cut after its first bytes leaves nothing behind.
"$PYTHON" - "$FERRY_PORT" <<'EOF_PY'
import socket, sys
for _ in range(5):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.sendall(b"GET /wide/?q=w0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n")
    s.recv(100)
    s.close()
EOF_PY
ok_if "5 searches cut mid-stream: ferryd's fds back to baseline ($base_fds)" fds_back_to "$base_fds"
ferry_stop

ferry_start "$root" --no-mdns --hidden || bail_out "ferryd --hidden did not start"
http "$FERRY_BASE/photos/?q=hidden"
is "$(paths "$HTTP_BODY")" "['.photo-hidden.jpg']" "--hidden: the dot-file is found"
ferry_stop
unlike "$(cat "$FERRY_ERR")" "AddressSanitizer|LeakSanitizer|runtime error" \
    "no sanitizer report in ferryd's log"

finish
