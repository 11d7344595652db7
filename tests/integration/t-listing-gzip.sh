#!/bin/bash
# t-listing-gzip.sh — folder listings gzip'd when the client accepts it, and
# the HTML listing carrying its JSON so that the page fetches it once:
# Content-Encoding, Vary on both variants, chunked without Content-Length
# when gzip'd, Content-Length when plain; the gzip'd bytes unzip to exactly
# the plain ones (HTML and JSON of a 1,000-file folder) and are under a
# fifth of them; gzip;q=0, a tiny listing and HEAD stay plain; the HTML's
# data block equals ?format=json; many gzip'd listings, some cut, leave
# ferryd's fds at baseline and its RSS bounded.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl
grep -q '^#define FERRY_ZLIB 1' "$FERRY_BUILDDIR/config.h" 2>/dev/null ||
    skip_all "built --without-zlib: listings are plain (the data block: tests/unit/daemon/test_listing)"

plan 23

root=$FERRY_TMP/share
mkdir -p "$root/big" "$root/small"
for i in $(seq 1 1000); do : >"$root/big/photo-$i-from-the-summer-trip.jpg"; done
echo hi >"$root/small/a.txt"

ferry_start "$root" --no-mdns || bail_out "ferryd did not start"
U=$FERRY_BASE
base_fds=$(fd_count)

http "$U/big/"
plain_html=$FERRY_TMP/plain.html
cp "$HTTP_BODY" "$plain_html"
is "$(hdr Content-Encoding)" "" "no Accept-Encoding: the HTML listing is plain"
is "$(hdr Content-Length)" "$(body_size)" "... with its Content-Length"
is "$(hdr Vary)" Accept-Encoding "... and Vary: Accept-Encoding"

http -H 'Accept-Encoding: gzip' "$U/big/"
is "$(hdr Content-Encoding)" gzip "Accept-Encoding: gzip: the HTML listing is gzip'd"
is "$(hdr Vary)" Accept-Encoding "... Vary: Accept-Encoding"
is "$(hdr Content-Length)" "" "... no Content-Length (streamed)"
is "$(hdr Transfer-Encoding)" chunked "... chunked"
ok_if "... it unzips to exactly the plain HTML" "$PYTHON" -c '
import gzip, sys
assert gzip.decompress(open(sys.argv[1], "rb").read()) == open(sys.argv[2], "rb").read()' \
    "$HTTP_BODY" "$plain_html"
gz=$(body_size)
plain=$(file_size "$plain_html")
ok_if "... and is under a fifth of it ($gz of $plain bytes)" [ $((gz * 5)) -lt "$plain" ]

http "$U/big/?format=json"
plain_json=$FERRY_TMP/plain.json
cp "$HTTP_BODY" "$plain_json"
http -H 'Accept-Encoding: gzip, deflate, br' "$U/big/?format=json"
is "$(hdr Content-Encoding)" gzip "the JSON listing is gzip'd too"
ok_if "... it unzips to exactly the plain JSON" "$PYTHON" -c '
import gzip, sys
assert gzip.decompress(open(sys.argv[1], "rb").read()) == open(sys.argv[2], "rb").read()' \
    "$HTTP_BODY" "$plain_json"
ok_if "the HTML's data block holds the same JSON as ?format=json (no second fetch needed)" \
    "$PYTHON" -c '
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.findall(r"<script type=\"application/json\" id=\"ferry-listing\">(.*?)</script>", html, re.S)
assert len(m) == 1, len(m)
a, b = json.loads(m[0]), json.load(open(sys.argv[2]))
assert a == b and len(a["entries"]) == 1000, (len(a["entries"]), len(b["entries"]))' \
    "$plain_html" "$plain_json"

http -H 'Accept-Encoding: gzip;q=0' "$U/big/"
is "$(hdr Content-Encoding)" "" "gzip;q=0: plain"
http -H 'Accept-Encoding: gzip' "$U/small/?format=json"
is "$(hdr Content-Encoding)" "" "a listing under 1 KiB: plain even when gzip is accepted"
is "$(hdr Content-Length)" "$(body_size)" "... with its Content-Length"

raw_http "HEAD /big/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
is "$RAW_STATUS" 200 "HEAD with gzip accepted: 200"
like "$(tr -d '\r' <"$RAW_RESP")" "Content-Length: $plain" "... the plain listing's Content-Length (not chunked)"
is "$RAW_BODY_LEN" 0 "... and no body (not even a last chunk)"

# Many gzip'd listings, one in three cut after its first bytes: no fd or
# memory kept (each stream's zlib state is freed with its response).
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$FERRY_PID/status"; }
http -H 'Accept-Encoding: gzip' "$U/big/?format=json" # warm
rss0=$(rss_kib)
for i in $(seq 1 60); do
    if [ $((i % 3)) -eq 0 ]; then
        curl -q -sS --max-time "$T_CURL" -H 'Accept-Encoding: gzip' "$U/big/" 2>/dev/null | head -c 100 >/dev/null
    else
        curl -q -sS --max-time "$T_CURL" -H 'Accept-Encoding: gzip' -o /dev/null "$U/big/"
    fi
done
rss1=$(rss_kib)
ok_if "60 gzip'd listings (20 cut): fds back to baseline ($base_fds)" fds_back_to "$base_fds"
if grep -q libasan "/proc/$FERRY_PID/maps" 2>/dev/null; then
    skip "... RSS grew by less than 8 MiB" "ASan keeps freed memory in quarantine"
else
    ok_if "... RSS grew by less than 8 MiB ($rss0 → $rss1 KiB)" [ $((rss1 - rss0)) -lt 8192 ]
fi
http -H 'Accept-Encoding: gzip' "$U/big/"
ok_if "... and the next gzip'd listing is whole" "$PYTHON" -c '
import gzip, sys
assert gzip.decompress(open(sys.argv[1], "rb").read()) == open(sys.argv[2], "rb").read()' \
    "$HTTP_BODY" "$plain_html"
ferry_stop
unlike "$(cat "$FERRY_ERR")" "AddressSanitizer|LeakSanitizer|runtime error" \
    "no sanitizer report in ferryd's log"

finish
