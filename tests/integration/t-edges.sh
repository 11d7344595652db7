#!/bin/bash
# t-edges.sh — no escape or leak through the edges (issue 16, point 9).
#
#  1. --follow-symlinks: MOVE and COPY never make a symlink reach outside the
#     shared folder (a relative link "up -> .." moved to the root would point
#     at the root's parent); a link, or a folder holding one, may be moved
#     or copied only where every relative link in it still resolves inside,
#     or within its own folder (a rename keeps what each link reaches);
#     absolute links point where they did from anywhere. A trash restore
#     into a folder now at another depth is checked the same way.
#  2. Listings never show the size or date of a symlink's target outside the
#     shared folder: without --follow-symlinks such links are left out (GET
#     refuses them anyway); with it they are listed, as GET serves them.
#  3. Redirects stay path-absolute: GET //evil.example (a folder) answers
#     301 Location: /evil.example/, never the protocol-relative
#     //evil.example/; the query is kept, percent-encoded.
#  4. Plain HTTP on the HTTPS port: the 400 names https://HOST:PORT/ only;
#     the request target (a pairing token) is neither echoed nor logged.
#  5. Request framing (raw sockets: curl cannot send these): two different
#     Content-Length headers, Content-Length with Transfer-Encoding, and
#     HTTP/1.1 without Host (or with two) get 400 and a closed connection,
#     and the body is not acted on; keep-alive still works for sound
#     requests.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl

plan 67

# ---------------------------------------------------------------- setup
root=$FERRY_TMP/root
state=$FERRY_TMP/state
marker="EDGES-SECRET-$$-$RANDOM"
mkdir -p "$root/photos" "$root/a/b/c" "$root/sub/deeper" "$root/keep" "$state"
printf 'inside ok\n' >"$root/ok.txt"
printf '%s beside the root\n' "$marker" >"$FERRY_TMP/secret.txt"
ln -s .. "$root/photos/all_up"                 # inside: photos/.. is the root
ln -s ../../.. "$root/a/b/c/home"              # inside: a/b/c/../../.. is the root
ln -s ../ok.txt "$root/photos/in"              # inside
ln -s "$FERRY_TMP" "$root/keep/abs"            # absolute, outside (the host's)
ln -s sub/../ok.txt "$root/twisty"             # ".." after a name
ln -s ../.. "$root/keep/host_up"               # the host's own link that leaves
mkdir -p "$root/r1/r2/r3" "$root/hosts"
ln -s ../../.. "$root/r1/r2/r3/home"           # inside: r1/r2/r3/../../.. is the root
ln -s .. "$root/hosts/x"                       # inside

# t_is / t_like / t_unlike DESC GOT EXPECTED: lib.sh's is / like / unlike
# with the description first, which reads better in the lists below.
t_is() { is "$2" "$3" "$1"; }
t_like() { like "$2" "$3" "$1"; }
t_unlike() { unlike "$2" "$3" "$1"; }

# mc METHOD FROM TO: one MOVE or COPY with curl.
mc() {
    http -X "$1" -H "Destination: $3" "$FERRY_BASE$2"
}

# ---------------------------------------------------------------- 1. symlinks
ferry_start "$root" --follow-symlinks --state-dir "$state" ||
    bail_out "ferryd --follow-symlinks did not start"
B=$FERRY_BASE

http "$B/photos/all_up/ok.txt"
t_is "the inside link works before anything moves" "$HTTP_STATUS" 200

mc MOVE /photos/all_up /up
t_is "MOVE photos/all_up (-> ..) to the root: 403" "$HTTP_STATUS" 403
t_like "  the 403 names the link and says why" "$(cat "$HTTP_BODY")" \
    "symlink.*outside the shared folder"
ok_if "  the link is still where it was" test -L "$root/photos/all_up"
ok_if "  nothing is at /up" test ! -e "$root/up" -a ! -L "$root/up"
http "$B/up/secret.txt"
t_unlike "  GET /up/secret.txt serves nothing from outside" "$(cat "$HTTP_BODY")" "$marker"

mc COPY /photos/all_up /up2
t_is "COPY photos/all_up to the root: 403" "$HTTP_STATUS" 403
ok_if "  nothing is at /up2" test ! -e "$root/up2" -a ! -L "$root/up2"

mc MOVE /a/b/c /c
t_is "MOVE of a folder holding home -> ../../.. to the root: 403" "$HTTP_STATUS" 403
t_like "  the 403 names the link inside" "$(cat "$HTTP_BODY")" "home"
ok_if "  a/b/c is untouched" test -L "$root/a/b/c/home"

mc COPY /a/b/c /c2
t_is "COPY of that folder to the root: 403" "$HTTP_STATUS" 403
ok_if "  no copy, no hidden temporary left in the root" \
    bash -c "! ls -A '$root' | grep -q -e '^c2\$' -e 'ferry-copy'"

mc MOVE /keep/abs /sub/abs
t_is "MOVE of the host's absolute link to another folder: 201 (it points where it did)" \
    "$HTTP_STATUS" 201
ok_if "  its target is unchanged" test "$(readlink "$root/sub/abs")" = "$FERRY_TMP"
mc MOVE /sub/abs /keep/abs

mc MOVE /twisty /sub/twisty
t_is "MOVE of a link with '..' after a name to another folder: 403" "$HTTP_STATUS" 403

# What stays inside, or keeps what it reaches, still works.
mc MOVE /photos/in /sub/deeper/in
t_is "MOVE of ../ok.txt into sub/deeper (still inside): 201" "$HTTP_STATUS" 201
mc MOVE /photos/all_up /photos/all_up2
t_is "rename photos/all_up in its folder: 201" "$HTTP_STATUS" 201
http "$B/photos/all_up2/ok.txt"
t_is "  and it reaches what it reached" "$HTTP_STATUS" 200
mc COPY /a/b/c /a/b/c-copy
t_is "COPY of a/b/c beside itself: 201" "$HTTP_STATUS" 201
http "$B/a/b/c-copy/home/ok.txt"
t_is "  the copied link reaches the root as the original does" "$HTTP_STATUS" 200
mkdir -p "$root/a/x"
mc MOVE /a/b/c-copy /a/x/c3
t_is "MOVE of a/b/c-copy to a/x (same depth, still inside): 201" "$HTTP_STATUS" 201
mc MOVE /keep /kept
t_is "rename of a folder holding the host's outward links: 201" "$HTTP_STATUS" 201
mkdir -p "$root/deep/er"
mc MOVE /photos /deep/er/photos
t_is "MOVE of photos (all_up2 -> ..) deeper: 201" "$HTTP_STATUS" 201

# The trash: a restore goes back by name, and the folder may now be at
# another depth. r1/r2/r3/home -> ../../.. reaches the root; once r1/r2 is
# a link to the root, r3 would land one level below the root and home
# would reach two levels above it.
http -X DELETE "$B/r1/r2/r3"
tid=$(hdr Ferry-Trash-Id)
t_is "DELETE r1/r2/r3 (holding home -> ../../..): 204 with a trash id" "$HTTP_STATUS:${tid:+id}" \
    204:id
rmdir "$root/r1/r2"
mc MOVE /hosts/x /r1/r2
t_is "  r1/r2 becomes the host's link x -> .. (the root; still inside): 201" "$HTTP_STATUS" 201
http -X POST "$B/.ferry/trash/$tid/restore"
t_is "restore into a folder now at another depth: 403" "$HTTP_STATUS" 403
t_like "  the 403 says why" "$(cat "$HTTP_BODY")" "symlink.*outside the shared folder"
ok_if "  nothing was restored" test ! -e "$root/r3" -a ! -L "$root/r3"
http "$B/r1/r2/r3/home/$(basename "$FERRY_TMP")/secret.txt"
t_unlike "  nothing outside is served through it" "$(cat "$HTTP_BODY")" "$marker"
http -X DELETE "$B/kept"
tid=$(hdr Ferry-Trash-Id)
http -X POST "$B/.ferry/trash/$tid/restore"
t_is "restore of a folder holding the host's own outward links, where it was: 201" \
    "$HTTP_STATUS" 201
ok_if "  they are back as they were" test "$(readlink "$root/kept/host_up")" = ../..
ferry_stop

# ---------------------------------------------------------------- 2. listings
lroot=$FERRY_TMP/lroot
mkdir -p "$lroot/sub" "$FERRY_TMP/outdir"
head -c 12345 /dev/zero >"$FERRY_TMP/big-outside.bin"
touch -d '2001-02-03 04:05:06 UTC' "$FERRY_TMP/big-outside.bin"
printf 'in\n' >"$lroot/in.txt"
ln -s "$FERRY_TMP/big-outside.bin" "$lroot/shadow_link"
ln -s ../big-outside.bin "$lroot/rel_out"
ln -s ../outdir "$lroot/dir_out"
ln -s in.txt "$lroot/in_link"
ln -s ../in.txt "$lroot/sub/up_in"

ferry_start "$lroot" || bail_out "ferryd did not start (listings)"
http "$FERRY_BASE/?format=json"
json_ok "without --follow-symlinks the listing leaves out links that leave" "$HTTP_BODY" '
names = {e["name"]: e for e in j["entries"]}
for n in ("shadow_link", "rel_out", "dir_out"):
    assert n not in names, "%s listed: %r" % (n, names[n])
assert names["in_link"]["size"] == 3, names["in_link"]
for e in j["entries"]:
    assert e.get("size") != 12345 and e.get("mtime") != 981173106, e'
http "$FERRY_BASE/"
t_unlike "  the HTML listing too" "$(cat "$HTTP_BODY")" "shadow_link|rel_out|dir_out|12345"
http "$FERRY_BASE/sub/?format=json"
json_ok "  a link that climbs to a file inside is listed" "$HTTP_BODY" '
assert [e["name"] for e in j["entries"]] == ["up_in"], j'
http "$FERRY_BASE/shadow_link"
t_is "  (GET of such a link: 403, as before)" "$HTTP_STATUS" 403
ferry_stop

ferry_start "$lroot" --follow-symlinks || bail_out "ferryd did not start (listings, follow)"
http "$FERRY_BASE/?format=json"
json_ok "with --follow-symlinks they are listed, as GET serves them" "$HTTP_BODY" '
names = {e["name"]: e for e in j["entries"]}
assert names["shadow_link"]["size"] == 12345, names
assert names["dir_out"]["type"] == "dir", names'
http "$FERRY_BASE/shadow_link"
t_is "  GET serves it" "$HTTP_STATUS" 200
ferry_stop

# ---------------------------------------------------------------- 3. redirects
ferry_start "$root" || bail_out "ferryd did not start (redirects)"
mkdir -p "$root/evil.example"
http "$FERRY_BASE//evil.example"
t_is "GET //evil.example: 301" "$HTTP_STATUS" 301
t_is "  Location is path-absolute" "$(hdr Location)" "/evil.example/"
http "$FERRY_BASE///evil.example?x=1"
t_is "GET ///evil.example?x=1: Location keeps the query" "$(hdr Location)" "/evil.example/?x=1"
http "$FERRY_BASE/evil.example?q=a%26b%0d%0aSet-Cookie:%20x=1"
t_is "  a query with escaped & and CR LF is kept as sent" "$(hdr Location)" \
    "/evil.example/?q=a%26b%0d%0aSet-Cookie:%20x=1"
t_is "  and sets no cookie" "$(hdr_count Set-Cookie)" 0
http "$FERRY_BASE/%2Fevil.example"
t_is "GET /%2Fevil.example: 400 (an encoded slash), no redirect" "$HTTP_STATUS" 400
http -X MKCOL "$FERRY_BASE//made"
t_is "MKCOL //made: Location is path-absolute" "$(hdr Location)" "/made/"
ferry_stop

# ---------------------------------------------------------------- 4. TLS port
tstate=$FERRY_TMP/tstate
mkdir -p "$tstate"
if FERRY_URL_RE='https://127\.0\.0\.1:[0-9]*/' ferry_start "$root" --auth token --tls \
    --state-dir "$tstate"; then
    tok=$(grep -m1 -o 'pair?token=[A-Za-z0-9_-]*' "$FERRY_OUT" | cut -d= -f2)
    [ -n "$tok" ] || diag "no pairing token on stdout"
    raw_http "GET /.ferry/pair?token=$tok&to=/secret-folder/ HTTP/1.1\r\nHost: 127.0.0.1:$FERRY_PORT\r\nConnection: close\r\n\r\n"
    t_is "plain HTTP on the HTTPS port: 400" "$RAW_STATUS" 400
    t_like "  the answer names https://HOST:PORT/" "$(cat "$RAW_RESP")" \
        "https://127\.0\.0\.1:$FERRY_PORT/ instead"
    t_unlike "  it does not echo the token nor the path" "$(cat "$RAW_RESP")" "$tok|pair|secret-folder"
    ok_if "  the log does not hold the token nor the path" \
        bash -c "grep -q 'plain HTTP' '$FERRY_ERR' && ! grep -q -e '$tok' -e secret-folder '$FERRY_ERR'"
    ferry_stop
else
    for i in 1 2 3 4 5; do fail "ferryd --tls did not start"; done
fi

# ---------------------------------------------------------------- 5. framing
froot=$FERRY_TMP/froot
mkdir -p "$froot"
printf 'hello\n' >"$froot/small.txt"
ferry_start "$froot" || bail_out "ferryd did not start (framing)"

# raw_closed REQUEST: sends REQUEST and reads for 3 s at most. Prints the
# status line's code, then "closed" if the server closed the connection by
# itself (it is never asked to), else "open".
raw_closed() {
    printf '%b' "$1" >"$RAW_REQ"
    "$PYTHON" - "$FERRY_PORT" "$RAW_REQ" <<'EOF_PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(open(sys.argv[2], "rb").read())
data, closed, end = b"", False, time.monotonic() + 3
while time.monotonic() < end:
    s.settimeout(max(0.05, end - time.monotonic()))
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    except OSError:
        closed = True
        break
    if not chunk:
        closed = True
        break
    data += chunk
line = data.split(b"\r\n", 1)[0].decode("latin-1")
print((line.split(" ")[1] if line.startswith("HTTP/1.") else "000") + " " +
      ("closed" if closed else "open"))
EOF_PY
}

H="Host: 127.0.0.1:$FERRY_PORT"
out=$(raw_closed "PUT /cl2.bin HTTP/1.1\r\n$H\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde")
t_is "two different Content-Length: 400, connection closed" "$out" "400 closed"
ok_if "  nothing was stored" test ! -e "$froot/cl2.bin"
out=$(raw_closed "PUT /clte.bin HTTP/1.1\r\n$H\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
t_is "Content-Length with Transfer-Encoding: 400, closed" "$out" "400 closed"
ok_if "  nothing was stored" test ! -e "$froot/clte.bin"
out=$(raw_closed "PUT /cllist.bin HTTP/1.1\r\n$H\r\nContent-Length: 3, 5\r\n\r\nabcde")
t_is "Content-Length: 3, 5: 400, closed" "$out" "400 closed"
out=$(raw_closed "GET /small.txt HTTP/1.1\r\n\r\n")
t_is "HTTP/1.1 without Host: 400, closed" "$out" "400 closed"
out=$(raw_closed "GET /small.txt HTTP/1.1\r\n$H\r\nHost: other.example\r\n\r\n")
t_is "HTTP/1.1 with two Host headers: 400, closed" "$out" "400 closed"
out=$(raw_closed "GET /small.txt HTTP/1.0\r\n\r\n")
t_is "HTTP/1.0 without Host: 200" "$out" "200 closed"
out=$(raw_closed "PUT /same.bin HTTP/1.1\r\n$H\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
t_is "two equal Content-Length headers: 201, kept open" "$out" "201 open"
t_is "  stored whole" "$(cat "$froot/same.bin" 2>/dev/null)" "abc"
out=$(raw_closed "PUT /te.bin HTTP/1.1\r\n$H\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
t_is "chunked alone: 201, kept open" "$out" "201 open"

# Keep-alive: two requests on one connection, the first not told to close.
ka=$("$PYTHON" - "$FERRY_PORT" <<'EOF_PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
host = b"Host: 127.0.0.1:" + sys.argv[1].encode() + b"\r\n"
out = []
for i in range(2):
    s.sendall(b"GET /small.txt HTTP/1.1\r\n" + host + b"\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"hello\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n")[0].decode("latin-1").lower()
    out.append(head.split(" ")[1] + ("-close" if "connection: close" in head else ""))
print(" ".join(out))
EOF_PY
)
t_is "keep-alive: two GETs on one connection, neither closes" "$ka" "200 200"
ferry_stop

finish
