#!/bin/bash
# t-dav.sh — WebDAV class 2 on the real ferryd with curl (what litmus does
# not look at, or not closely): OPTIONS' DAV and MS-Author-Via headers;
# PROPFIND depth 0/1 (hidden names, a symlink out of the root and ferry's
# temporary names left out; percent-encoded hrefs; a folder without its
# slash answered, not redirected; getetag and getlastmodified equal to
# GET's ETag and Last-Modified), depth infinity or absent refused with 403
# and DAV:propfind-finite-depth, a bad Depth 400, 404; request bodies that
# are malformed (400), carry a DOCTYPE/entities (400), are another document
# (422) or too big (413); a 3,000-entry folder streamed chunked with every
# entry; PROPPATCH dead properties stored as user xattrs on the file, kept
# by MOVE and brought along by COPY, a protected property refused (403)
# with the rest failing (424) and nothing changed; LOCK/UNLOCK: PUT and
# DELETE refused with 423 and DAV:lock-token-submitted without the token,
# allowed with it, a lock on an unmapped name creating an empty file (201),
# a depth-infinity folder lock guarding its members, UNLOCK of a wrong
# token 409, a refresh; --read-only (PROPFIND yes, the rest 403) and
# --auth password (401 without credentials; PROPFIND with them).

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl

plan 77

root=$FERRY_TMP/root
state=$FERRY_TMP/state
outside=$FERRY_TMP/outside
mkdir -p "$root/dir/sub" "$root/with space" "$root/big" "$state" "$outside"
printf 'hello\n' >"$root/a.txt"
printf 'secret\n' >"$root/.hidden"
printf 'inside\n' >"$root/dir/in.txt"
printf 'u\n' >"$root/with space/ünï é.txt"
printf 'half\n' >"$root/dir/.in.txt.ferry-part-0123abcd"
printf 'out\n' >"$outside/o.txt"
ln -s "$outside" "$root/link-out"
for i in $(seq 1 3000); do : >"$root/big/f$i"; done

Q() { "$PYTHON" "$FERRY_SRCDIR/tests/integration/dav-query.py" "$@"; }
XML=(-H 'Content-Type: application/xml')
PF_NAMED='<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getlastmodified/><D:resourcetype/><D:getcontentlength/><X:nope xmlns:X="urn:x"/></D:prop></D:propfind>'

ferry_start "$root" --state-dir "$state" --on-conflict overwrite || bail_out "ferryd did not start"
U=$FERRY_URL

# ------------------------------------------------------------ OPTIONS
http -X OPTIONS "${U}a.txt"
is "$(hdr DAV)" "1, 2" "OPTIONS: DAV: 1, 2"
is "$(hdr MS-Author-Via)" "DAV" "OPTIONS: MS-Author-Via: DAV"
like "$(hdr Allow)" 'PROPFIND, PROPPATCH, LOCK, UNLOCK' "OPTIONS: Allow names the class 2 methods"

# ------------------------------------------------------------ PROPFIND
http -X PROPFIND -H 'Depth: 1' "$U"
is "$HTTP_STATUS" 207 "PROPFIND depth 1 of the root: 207"
like "$(hdr Content-Type)" '^application/xml' "... as application/xml"
hrefs=$(Q "$HTTP_BODY" hrefs | sort | tr '\n' ' ')
is "$hrefs" "/ /a.txt /big/ /dir/ /with%20space/ " "... the root and its members, folders with '/', no hidden name, no link out"
http -X PROPFIND -H 'Depth: 1' "${U}with%20space"
is "$HTTP_STATUS" 207 "PROPFIND of a folder without its slash: 207, not 301"
is "$(Q "$HTTP_BODY" hrefs | tr '\n' ' ')" "/with%20space/ /with%20space/%C3%BCn%C3%AF%20%C3%A9.txt " \
    "... hrefs percent-encoded, the folder's with its slash"
http -X PROPFIND -H 'Depth: 1' "${U}dir/"
is "$(Q "$HTTP_BODY" count)" 3 "a folder: itself and its members, not a hidden temporary upload"
http -X PROPFIND -H 'Depth: 0' "${XML[@]}" --data-binary "$PF_NAMED" "${U}a.txt"
is "$HTTP_STATUS" 207 "PROPFIND depth 0, named properties: 207"
cp "$HTTP_BODY" "$FERRY_TMP/pf-a.xml"
http -I "${U}a.txt"
is "$(Q "$FERRY_TMP/pf-a.xml" prop /a.txt DAV: getetag)" "$(hdr ETag)" "getetag is GET's ETag"
is "$(Q "$FERRY_TMP/pf-a.xml" prop /a.txt DAV: getlastmodified)" "$(hdr Last-Modified)" \
    "getlastmodified is GET's Last-Modified (RFC 1123)"
is "$(Q "$FERRY_TMP/pf-a.xml" prop /a.txt DAV: getcontentlength)" 6 "getcontentlength"
is "$(Q "$FERRY_TMP/pf-a.xml" status /a.txt urn:x nope)" 404 "an unknown property: in a 404 propstat"
http -X PROPFIND -H 'Depth: 0' "${XML[@]}" --data-binary "$PF_NAMED" "${U}dir/"
is "$(Q "$HTTP_BODY" status /dir/ DAV: getcontentlength)" 404 "a folder has no getcontentlength"
is "$(Q "$HTTP_BODY" prop /dir/ DAV: resourcetype)" '<ns0:collection xmlns:ns0="DAV:" />' \
    "a folder's resourcetype is a collection"
http -X PROPFIND -H 'Depth: 0' "${XML[@]}" --data-binary \
    '<propfind xmlns="DAV:"><prop><quota-available-bytes/><quota-used-bytes/></prop></propfind>' "$U"
like "$(Q "$HTTP_BODY" prop / DAV: quota-available-bytes)" '^[0-9]+$' "quota-available-bytes of the root"
http -X PROPFIND -H 'Depth: 0' "${XML[@]}" --data-binary '<propfind xmlns="DAV:"><propname/></propfind>' "${U}a.txt"
is "$(Q "$HTTP_BODY" status /a.txt DAV: creationdate)" 200 "propname lists creationdate"
http -X PROPFIND -H 'Depth: infinity' "$U"
is "$HTTP_STATUS" 403 "PROPFIND depth infinity: 403"
is "$(Q "$HTTP_BODY" error)" propfind-finite-depth "... with DAV:propfind-finite-depth"
http -X PROPFIND "$U"
is "$HTTP_STATUS" 403 "PROPFIND without Depth (infinity): 403"
http -X PROPFIND -H 'Depth: 2' "$U"
is "$HTTP_STATUS" 400 "PROPFIND with Depth: 2: 400"
http -X PROPFIND -H 'Depth: 0' "${U}missing"
is "$HTTP_STATUS" 404 "PROPFIND of a missing name: 404"
http -X PROPFIND -H 'Depth: 0' "${U}.hidden"
like "$HTTP_STATUS" '^40[34]$' "PROPFIND of a hidden name: refused"
http -X PROPFIND -H 'Depth: 0' "${U}link-out/"
like "$HTTP_STATUS" '^40[34]$' "PROPFIND through a symlink out of the root: refused"

# ------------------------------------------------------------ bodies
http -X PROPFIND -H 'Depth: 0' --data-binary '<propfind xmlns="DAV:"><prop>' "$U"
is "$HTTP_STATUS" 400 "a body that is not well-formed: 400"
http -X PROPFIND -H 'Depth: 0' --data-binary \
    '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><propfind xmlns="DAV:"><prop><x>&b;</x></prop></propfind>' "$U"
is "$HTTP_STATUS" 400 "a DOCTYPE with entities: 400"
like "$(cat "$HTTP_BODY")" 'DOCTYPE' "... saying why"
http -X PROPFIND -H 'Depth: 0' --data-binary '<propfind xmlns="urn:not-dav"><allprop/></propfind>' "$U"
is "$HTTP_STATUS" 422 "another document, well-formed: 422"
head -c $((300 * 1024)) /dev/zero | tr '\0' ' ' >"$FERRY_TMP/big.xml"
http -X PROPFIND -H 'Depth: 0' --data-binary @"$FERRY_TMP/big.xml" "$U"
is "$HTTP_STATUS" 413 "a body over 256 KiB: 413"

# ------------------------------------------------------------ a big folder
http -X PROPFIND -H 'Depth: 1' "${U}big/"
is "$HTTP_STATUS" 207 "PROPFIND depth 1 of a 3,000-entry folder: 207"
is "$(Q "$HTTP_BODY" count)" 3001 "... every entry, and the folder"
like "$(hdr Transfer-Encoding)" chunked "... streamed (chunked) while the folder is read"

# ------------------------------------------------------------ PROPPATCH
PP='<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://example.com/z/"><D:set><D:prop><Z:author>Ada &amp; <Z:b>Bo</Z:b></Z:author><Z:tag>blue</Z:tag></D:prop></D:set></D:propertyupdate>'
http -X PROPPATCH "${XML[@]}" --data-binary "$PP" "${U}a.txt"
is "$HTTP_STATUS" 207 "PROPPATCH set: 207"
is "$(Q "$HTTP_BODY" status /a.txt http://example.com/z/ author)" 200 "... 200 for the property"
xattr=$("$PYTHON" -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.ferry.{http://example.com/z/}tag").decode())' "$root/a.txt" 2>&1)
is "$xattr" blue "the dead property is a user xattr on the file"
PF_Z='<propfind xmlns="DAV:"><prop><author xmlns="http://example.com/z/"/></prop></propfind>'
http -X PROPFIND -H 'Depth: 0' --data-binary "$PF_Z" "${U}a.txt"
is "$(Q "$HTTP_BODY" prop /a.txt http://example.com/z/ author)" \
    'Ada &amp; <ns0:b xmlns:ns0="http://example.com/z/">Bo</ns0:b>' "PROPFIND gives the value back, elements and all"
http -X MOVE -H "Destination: ${U}moved.txt" "${U}a.txt"
is "$HTTP_STATUS" 201 "MOVE of the file: 201"
http -X PROPFIND -H 'Depth: 0' --data-binary "$PF_Z" "${U}moved.txt"
is "$(Q "$HTTP_BODY" status /moved.txt http://example.com/z/ author)" 200 "the property moved with it"
http -X COPY -H "Destination: ${U}copied.txt" "${U}moved.txt"
is "$HTTP_STATUS" 201 "COPY of the file: 201"
http -X PROPFIND -H 'Depth: 0' --data-binary "$PF_Z" "${U}copied.txt"
is "$(Q "$HTTP_BODY" status /copied.txt http://example.com/z/ author)" 200 "the property came along with the copy"
http -X PROPPATCH "${XML[@]}" --data-binary '<propertyupdate xmlns="DAV:"><set><prop><getetag>x</getetag><t xmlns="urn:t">v</t></prop></set></propertyupdate>' "${U}moved.txt"
is "$(Q "$HTTP_BODY" status /moved.txt DAV: getetag)" 403 "PROPPATCH of a protected property: 403"
is "$(Q "$HTTP_BODY" status /moved.txt urn:t t)" 424 "... and the rest 424"
http -X PROPFIND -H 'Depth: 0' --data-binary '<propfind xmlns="DAV:"><prop><t xmlns="urn:t"/></prop></propfind>' "${U}moved.txt"
is "$(Q "$HTTP_BODY" status /moved.txt urn:t t)" 404 "... nothing was set"
http -X PROPPATCH "${XML[@]}" --data-binary '<propertyupdate xmlns="DAV:"><remove><prop><tag xmlns="http://example.com/z/"/></prop></remove></propertyupdate>' "${U}moved.txt"
is "$HTTP_STATUS" 207 "PROPPATCH remove: 207"
ok_if "... the xattr is gone" "$PYTHON" -c 'import os,sys; sys.exit("user.ferry.{http://example.com/z/}tag" in os.listxattr(sys.argv[1]))' "$root/moved.txt"

# ------------------------------------------------------------ LOCK / UNLOCK
LK='<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>t-dav</D:owner></D:lockinfo>'
http -X LOCK -H 'Depth: 0' -H 'Timeout: Second-600' --data-binary "$LK" "${U}moved.txt"
is "$HTTP_STATUS" 200 "LOCK of a file: 200"
tok=$(hdr Lock-Token)
like "$tok" '^<opaquelocktoken:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}>$' \
    "... Lock-Token: an opaquelocktoken URN with a random UUID"
is "<$(Q "$HTTP_BODY" locktoken)>" "$tok" "... and the same token in its lockdiscovery"
http -T "$FERRY_TMP/big.xml" "${U}moved.txt"
is "$HTTP_STATUS" 423 "PUT without the token: 423"
is "$(Q "$HTTP_BODY" error)" lock-token-submitted "... with DAV:lock-token-submitted"
http -X DELETE "${U}moved.txt"
is "$HTTP_STATUS" 423 "DELETE without the token: 423"
http -X MOVE -H "Destination: ${U}moved.txt" "${U}copied.txt"
is "$HTTP_STATUS" 423 "MOVE onto it without the token: 423"
printf 'new\n' >"$FERRY_TMP/new.txt"
http -T "$FERRY_TMP/new.txt" -H "If: ($tok)" "${U}moved.txt"
like "$HTTP_STATUS" '^20[14]$' "PUT with the token in If: written"
is "$(cat "$root/moved.txt")" new "... the file holds the new bytes"
http -T "$FERRY_TMP/new.txt" -H "If: (<opaquelocktoken:00000000-0000-4000-8000-000000000000>)" "${U}moved.txt"
is "$HTTP_STATUS" 412 "PUT with a token that is not the lock's: 412"
http -X PROPFIND -H 'Depth: 0' --data-binary '<propfind xmlns="DAV:"><prop><lockdiscovery/></prop></propfind>' "${U}moved.txt"
is "<$(Q "$HTTP_BODY" locktoken)>" "$tok" "lockdiscovery shows the lock"
http -X LOCK -H "If: ($tok)" -H 'Timeout: Second-100' "${U}moved.txt"
is "$HTTP_STATUS" 200 "LOCK without a body and the token in If: a refresh, 200"
http -X UNLOCK -H 'Lock-Token: <opaquelocktoken:00000000-0000-4000-8000-000000000000>' "${U}moved.txt"
is "$HTTP_STATUS" 409 "UNLOCK with another token: 409"
http -X UNLOCK -H "Lock-Token: $tok" "${U}moved.txt"
is "$HTTP_STATUS" 204 "UNLOCK: 204"
http -X DELETE "${U}moved.txt"
is "$HTTP_STATUS" 204 "DELETE once unlocked: 204"
http -X LOCK --data-binary "$LK" "${U}fresh.txt"
is "$HTTP_STATUS" 201 "LOCK of an unmapped name: 201"
ok_if "... an empty file now exists" test -f "$root/fresh.txt" -a ! -s "$root/fresh.txt"
http -X LOCK -H 'Depth: infinity' --data-binary "$LK" "${U}dir/"
is "$HTTP_STATUS" 200 "LOCK depth infinity of a folder: 200"
dtok=$(hdr Lock-Token)
http -X DELETE "${U}dir/in.txt"
is "$HTTP_STATUS" 423 "DELETE of a member without the folder's token: 423"
http -X LOCK --data-binary "$LK" "${U}dir/in.txt"
is "$HTTP_STATUS" 423 "LOCK of a member of an exclusively locked folder: 423"
http -X DELETE -H "If: ($dtok)" "${U}dir/in.txt"
is "$HTTP_STATUS" 204 "DELETE of the member with the folder's token: 204"
http -X UNLOCK -H "Lock-Token: $dtok" "${U}dir/"
is "$HTTP_STATUS" 204 "UNLOCK of the folder: 204"
http -X UNLOCK "${U}dir/"
is "$HTTP_STATUS" 400 "UNLOCK without Lock-Token: 400"
ferry_stop

# ------------------------------------------------------------ read-only, password
ferry_start "$root" --state-dir "$state" --read-only || bail_out "ferryd --read-only did not start"
http -X PROPFIND -H 'Depth: 0' "$FERRY_URL"
is "$HTTP_STATUS" 207 "--read-only: PROPFIND 207"
http -X PROPPATCH --data-binary "$PP" "${FERRY_URL}copied.txt"
is "$HTTP_STATUS" 403 "--read-only: PROPPATCH 403"
http -X LOCK --data-binary "$LK" "${FERRY_URL}copied.txt"
is "$HTTP_STATUS" 403 "--read-only: LOCK 403"
ferry_stop

ferry_argv_ --set-password --state-dir "$state"
printf 'dav pass\n' | "${FERRY_ARGV[@]}" >/dev/null 2>&1 || bail_out "--set-password failed"
ferry_start "$root" --auth password --state-dir "$state" || bail_out "ferryd --auth password did not start"
http -X PROPFIND -H 'Depth: 0' "$FERRY_URL"
is "$HTTP_STATUS" 401 "--auth password: PROPFIND without credentials: 401"
http -X PROPFIND -H 'Depth: 0' -u 'x:dav pass' "$FERRY_URL"
is "$HTTP_STATUS" 207 "... with Basic credentials: 207"
ferry_stop
finish
