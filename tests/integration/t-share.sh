#!/bin/bash
# t-share.sh — POST /.ferry/share (issue 9: the browser UI's "Share" QR
# code), against the real ferryd with curl:
#   - only an admitted, same-origin caller gets a link; read-only sessions
#     make read-only links only; a read-only server makes no rw link;
#   - the answer's QR code (SVG) decodes, with zbarimg, to the answer's URL;
#   - the link works once, admits with the rights asked for and lands on
#     the folder (also one with spaces and non-ASCII in its name); a
#     tampered "to" is refused without spending the token;
#   - making many links never voids the host's pairing URL;
#   - the link uses the Host the browser used, unless that is loopback;
#   - bad paths and rights get 400/404 with a reason; the token never
#     reaches the log; open mode shares the plain URL.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl
need_cmd zbarimg
plan 57

root=$FERRY_TMP/root
SOCK=$FERRY_TMP/ctl.sock
folder='Summer 2026 é'
folder_enc='Summer%202026%20%C3%A9'
mkdir -p "$root/album/inner" "$root/$folder"
echo "a photo" >"$root/album/pic.txt"
echo "sun" >"$root/$folder/sun.txt"

ferry_start "$root" --auth token --state-dir "$FERRY_TMP/state" --os fake \
    --control "$SOCK" || bail_out "ferryd --auth token did not start"
B=$FERRY_BASE
same=(-H "Origin: $B" -H "Sec-Fetch-Site: same-origin")
pair_url=$(grep -m1 -o "http://127\.0\.0\.1:$FERRY_PORT/\.ferry/pair?token=[A-Za-z0-9_-]*" "$FERRY_OUT")
http -c "$FERRY_TMP/rw.jar" "$pair_url"
is "$HTTP_STATUS" 303 "the banner's pairing URL admits a browser"
rw=(-b "$FERRY_TMP/rw.jar" "${same[@]}")

# share FORM [CURL ARGS...]: POST /.ferry/share with the form body FORM.
share() {
    local form=$1
    shift
    http -X POST --data "$form" "$@" "$B/.ferry/share"
}

# who may ask
share "path=/album/"
is "$HTTP_STATUS" 401 "no credentials: 401"
share "path=/album/" -b "$FERRY_TMP/rw.jar"
is "$HTTP_STATUS" 403 "a cookie POST without Origin: 403 (the CSRF rule)"
share "path=/album/" -b "$FERRY_TMP/rw.jar" -H "Origin: http://evil.example" \
    -H "Sec-Fetch-Site: cross-site"
is "$HTTP_STATUS" 403 "a cross-site POST: 403"
http "${rw[@]}" "$B/.ferry/share"
is "$HTTP_STATUS:$(hdr Allow)" "405:POST" "GET: 405 with Allow: POST"

# a read-only link to /album/
now=$(date +%s)
share "path=%2Falbum%2F" "${rw[@]}"
is "$HTTP_STATUS" 200 "a same-origin rw session gets a link"
is "$(hdr Content-Type):$(hdr Cache-Control)" "application/json:no-store" \
    "the answer is JSON, not stored"
cp "$HTTP_BODY" "$FERRY_TMP/ro.json"
link=$(pyj "$FERRY_TMP/ro.json" 'j["url"]')
like "$link" "^http://127\\.0\\.0\\.1:$FERRY_PORT/\\.ferry/pair[?]token=[A-Za-z0-9_-]{43}&to=/album/\$" \
    "the link is a pairing link that lands on /album/"
json_ok "read-only by default, expires with the pairing TTL, loopback flagged" \
    "$FERRY_TMP/ro.json" "
assert j['read_only'] is True, j
assert j['path'] == '/album/', j
assert $now + 290 <= j['expires'] <= $now + 310, j['expires']
assert j['local_only'] is True, 'Host 127.0.0.1 is loopback'
assert j['svg'].startswith('<svg xmlns=\"http://www.w3.org/2000/svg\"'), j['svg'][:80]"
pyj "$FERRY_TMP/ro.json" 'j["svg"]' >"$FERRY_TMP/ro.svg"
"$PYTHON" "$FERRY_LIB_DIR/svg2pgm.py" "$FERRY_TMP/ro.svg" "$FERRY_TMP/ro.pgm"
is "$(zbarimg --raw -q "$FERRY_TMP/ro.pgm" 2>/dev/null)" "$link" \
    "zbarimg reads the link from the QR code"

# a tampered target is refused before the token is spent
token=${link#*token=}
token=${token%%&*}
for bad in '//evil.example/' 'http://evil.example/' '/album/%0d%0aSet-Cookie:x' '/.ferry/status'; do
    http "$B/.ferry/pair?token=$token&to=$bad"
    is "$HTTP_STATUS" 400 "a pairing link with to=$bad is 400"
done
http -c "$FERRY_TMP/ro.jar" "$link"
is "$HTTP_STATUS:$(hdr Location)" "303:/album/" "the genuine link still works: 303 to /album/"
like "$(hdr Set-Cookie)" '^ferry_session=.*HttpOnly; SameSite=Strict' "with a session cookie"
http -b "$FERRY_TMP/ro.jar" "$B/album/?format=json"
is "$HTTP_STATUS" 200 "the new session lists /album/"
like "$(cat "$HTTP_BODY")" '"pic.txt"' "and sees its files"
http -b "$FERRY_TMP/ro.jar" "${same[@]}" -T "$root/album/pic.txt" "$B/album/new.txt"
is "$HTTP_STATUS" 403 "the read-only link's session cannot upload"
ok_if "nothing was written" test ! -e "$root/album/new.txt"
http -b "$FERRY_TMP/ro.jar" -X OPTIONS "$B/album/"
is "$(hdr Allow)" "GET, HEAD, OPTIONS, PROPFIND" "OPTIONS tells the read-only session what it may do"
http -b "$FERRY_TMP/ro.jar" -X PROPFIND -H 'Depth: 1' "$B/album/"
is "$HTTP_STATUS" 207 "the read-only session may PROPFIND (a read, at the gate too)"
http -b "$FERRY_TMP/ro.jar" "${same[@]}" -X PROPPATCH -H 'Content-Type: application/xml' \
    --data-binary '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x xmlns="urn:t">1</x></D:prop></D:set></D:propertyupdate>' \
    "$B/album/pic.txt"
is "$HTTP_STATUS" 403 "but not PROPPATCH (a write)"
http "$link"
is "$HTTP_STATUS" 403 "the link works once"

# read-only sessions share read-only only
ro=(-b "$FERRY_TMP/ro.jar" "${same[@]}")
share "path=/album/&rights=rw" "${ro[@]}"
is "$HTTP_STATUS" 403 "a read-only session asking for rights=rw: 403"
like "$(cat "$HTTP_BODY")" 'read-only' "which says why"
share "path=/album/&rights=ro" "${ro[@]}"
is "$HTTP_STATUS:$(pyj "$HTTP_BODY" 'j["read_only"]')" "200:True" \
    "a read-only session makes a read-only link"

# a read-write link, to a folder named with spaces and non-ASCII
share "path=%2F${folder_enc//%/%25}%2F&rights=rw" "${rw[@]}"
is "$HTTP_STATUS:$(pyj "$HTTP_BODY" 'j["read_only"]')" "200:False" "rights=rw gives a read-write link"
link=$(pyj "$HTTP_BODY" 'j["url"]')
like "$link" "&to=/$folder_enc/\$" "the target is percent-encoded as the listing's links are"
http -c "$FERRY_TMP/rw2.jar" "$link"
is "$HTTP_STATUS:$(hdr Location)" "303:/$folder_enc/" "it lands on '$folder'"
http -b "$FERRY_TMP/rw2.jar" "$B/$folder_enc/sun.txt"
is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:sun" "and reads its files"
http -b "$FERRY_TMP/rw2.jar" "${same[@]}" -T "$root/album/pic.txt" "$B/$folder_enc/up.txt"
is "$HTTP_STATUS" 201 "the read-write link's session can upload"
http -b "$FERRY_TMP/rw2.jar" -X OPTIONS "$B/$folder_enc/"
like "$(hdr Allow)" "MKCOL" "OPTIONS offers it the writing methods"

# the server's spelling of paths; files too
share "path=/album" "${rw[@]}"
is "$HTTP_STATUS:$(pyj "$HTTP_BODY" 'j["path"]')" "200:/album/" "a folder without its slash gets one"
share "path=/album/pic.txt" "${rw[@]}"
is "$HTTP_STATUS:$(pyj "$HTTP_BODY" 'j["path"]')" "200:/album/pic.txt" "a file can be shared"
share "path=/" "${rw[@]}"
is "$HTTP_STATUS:$(pyj "$HTTP_BODY" 'j["path"]')" "200:/" "the root can be shared"

# bad requests
share "" "${rw[@]}"
is "$HTTP_STATUS" 400 "no path: 400"
like "$(cat "$HTTP_BODY")" 'path=/folder/' "which says what to send"
share "path=album/" "${rw[@]}"
is "$HTTP_STATUS" 400 "a relative path: 400"
share "path=/%2e%2e/etc/" "${rw[@]}"
is "$HTTP_STATUS" 400 "a path that leaves the share: 400"
share "path=/album%00/" "${rw[@]}"
is "$HTTP_STATUS" 400 "a NUL in the path: 400"
share "path=/nope/" "${rw[@]}"
is "$HTTP_STATUS" 404 "no such folder: 404"
share "path=/.ferry/" "${rw[@]}"
is "$HTTP_STATUS" 404 "ferry's own endpoints are no folder: 404"
share "path=/album/&rights=all" "${rw[@]}"
is "$HTTP_STATUS" 400 "rights=all: 400"

# the Host the browser used, unless loopback
# (curl matches cookies against a given Host: send the cookie header itself)
rw_cookie=$(awk '$6 == "ferry_session" {print $6 "=" $7}' "$FERRY_TMP/rw.jar")
share "path=/album/" -H "Cookie: $rw_cookie" -H "Origin: http://10.9.8.7:$FERRY_PORT" \
    -H "Sec-Fetch-Site: same-origin" -H "Host: 10.9.8.7:$FERRY_PORT"
like "$(pyj "$HTTP_BODY" 'j["url"]')" "^http://10\\.9\\.8\\.7:$FERRY_PORT/\\.ferry/pair" \
    "a LAN Host is kept in the link"
is "$(pyj "$HTTP_BODY" 'j["local_only"]')" "False" "and is not flagged loopback"

# many links never void the host's pairing URL
ctl_ok pair
host_url=$(printf '%s\n' $CTL_OUT | grep -m1 "^http://127\.0\.0\.1:")
for i in 1 2 3 4 5 6; do
    share "path=/album/" "${rw[@]}"
done
is "$HTTP_STATUS" 200 "six more links made"
http "$host_url"
is "$HTTP_STATUS" 303 "the host's pairing URL still works after them"

# no token in the log
tokens=$(grep -c "token=" "$FERRY_OUT" "$FERRY_ERR" | awk -F: '{s += $2} END {print s}')
is "$tokens" 1 "no share token reached the log (only the banner's URL)"
like "$(cat "$FERRY_ERR" "$FERRY_OUT")" 'made a read-only share link to /album/' \
    "making a link is logged without the link"
ferry_stop

# open mode: the plain URL; a read-only server makes read-only links only
ferry_start "$root" --auth open --read-only || bail_out "ferryd --auth open did not start"
B=$FERRY_BASE
same=(-H "Origin: $B" -H "Sec-Fetch-Site: same-origin")
share "path=/album/" "${same[@]}"
is "$HTTP_STATUS" 200 "open mode: a link"
json_ok "open mode: the folder's plain URL, no expiry" "$HTTP_BODY" "
assert j['url'] == '$B/album/', j['url']
assert j['expires'] is None and j['read_only'] is True, j"
share "path=/album/&rights=rw" "${same[@]}"
is "$HTTP_STATUS" 403 "a read-only server: rights=rw is 403"
like "$(cat "$HTTP_BODY")" 'server is read-only' "which says why"
ferry_stop
finish
