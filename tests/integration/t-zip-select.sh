#!/bin/bash
# t-zip-select.sh — a zip of a selection: POST /folder/?download=zip with
# name=... form fields (and GET with name=... in the query). The archive
# tests OK with python's zipfile and holds exactly the selected items (a
# folder with everything below it, a nested file, a UTF-8 name sent with
# '+' for its spaces; duplicates and items below a selected folder once;
# links left out), each file's sha256; the headers as a folder zip's; the
# ticket's end in /.ferry/status "zips"; the refusals (no name, malformed,
# "..", missing, hidden, not a form, too large, cross-site); a read-only
# guest may zip but still not write; no session is 401; fds back to
# baseline.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl

plan 36

root=$FERRY_TMP/share
outside=$FERRY_TMP/outside
mkdir -p "$root/pics/2024/deep" "$root/pics/empty" "$root/pics/other" "$outside"
echo secret >"$outside/secret.txt"
head -c $((3 << 20)) /dev/urandom >"$root/pics/big.bin"
echo "bonjour" >"$root/pics/2024/été à la mer.txt"
echo deep >"$root/pics/2024/deep/d.txt"
echo other >"$root/pics/other/o.txt"
echo hidden >"$root/pics/.hidden"
echo small >"$root/pics/small.txt"
ln -s "$outside" "$root/pics/out-link"
ln -s big.bin "$root/pics/in-link"
echo top >"$root/top.txt"

# zip_check FILE DIR EXPECTED_NAMES: as t-zip.sh's: the archive tests OK,
# its entry names are exactly EXPECTED_NAMES ('|' a space), and each file's
# sha256 equals DIR/name's.
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
        continue
    h = hashlib.sha256(z.read(i)).hexdigest()
    w = hashlib.sha256(open(os.path.join(top, i.filename), "rb").read()).hexdigest()
    if h != w:
        sys.exit("%s: sha256 %s, expected %s" % (i.filename, h, w))
EOF_PY
}

ferry_start "$root" --no-mdns || bail_out "ferryd did not start"
U=$FERRY_BASE
O="Origin: $U"
base_fds=$(fd_count)
form=(-H "$O" -H "Sec-Fetch-Site: same-origin")

# A selection: a folder, a nested file, a UTF-8 name with '+' for spaces,
# a file twice, a file below the selected folder, two links.
http "${form[@]}" --data 'name=2024&name=big.bin&name=other%2Fo.txt&name=big.bin' \
    --data 'name=2024%2Fdeep%2Fd.txt&name=out-link&name=in-link&ticket=sel-1' \
    "$U/pics/?download=zip"
is "$HTTP_STATUS" 200 "POST /pics/?download=zip with name= fields: 200"
is "$(hdr Content-Type)" application/zip "Content-Type: application/zip"
is "$(hdr Content-Disposition)" "attachment; filename=\"pics.zip\"; filename*=UTF-8''pics.zip" \
    "Content-Disposition names the folder"
is "$(hdr Cache-Control)" no-store "Cache-Control: no-store"
ok_if "the archive holds exactly the selection (folder recursively, nested file, once each, no link)" \
    zip_check "$HTTP_BODY" "$root/pics" "2024/ 2024/deep/ 2024/deep/d.txt 2024/été|à|la|mer.txt big.bin other/o.txt"
sel_size=$(body_size)
http "$U/.ferry/status"
is "$(pyj "$HTTP_BODY" "[[z['done'], z['complete']] for z in j['zips'] if z['ticket'] == 'sel-1'][0]")" \
    "[$sel_size, True]" "the form's ticket: status lists the zip as complete, $sel_size bytes"

http "${form[@]}" --data 'name=2024%2F%C3%A9t%C3%A9+%C3%A0+la+mer.txt&name=small.txt' "$U/pics/?download=zip"
ok_if "'+' is a space and %XX a byte in a name" \
    zip_check "$HTTP_BODY" "$root/pics" "2024/été|à|la|mer.txt small.txt"

# The whole share as base: paths anywhere in it.
http "${form[@]}" --data 'name=top.txt&name=pics%2Fsmall.txt' "$U/?download=zip"
is "$HTTP_STATUS" 200 "POST /?download=zip: items anywhere in the share"
ok_if "... named by their paths from the root" zip_check "$HTTP_BODY" "$root" "pics/small.txt top.txt"

# GET with the names in the query (small selections, a plain link).
http "$U/pics/?download=zip&name=small.txt&name=other&ticket=sel-2"
is "$HTTP_STATUS" 200 "GET /pics/?download=zip&name=..&name=..: 200"
ok_if "... the archive holds the two items" zip_check "$HTTP_BODY" "$root/pics" "other/ other/o.txt small.txt"
http -I "$U/pics/?download=zip&name=small.txt"
is "$HTTP_STATUS" 200 "HEAD with names: 200"

# Refusals, each a plain-text 4xx naming the item.
http "${form[@]}" --data 'ticket=x' "$U/pics/?download=zip"
is "$HTTP_STATUS" 400 "no name: 400"
http "${form[@]}" --data 'name=bad%ZZ' "$U/pics/?download=zip"
is "$HTTP_STATUS" 400 "a malformed escape: 400"
like "$(cat "$HTTP_BODY")" 'bad%ZZ' "... the answer names it"
http "${form[@]}" --data 'name=..%2Ftop.txt' "$U/pics/?download=zip"
is "$HTTP_STATUS" 403 "'../top.txt': 403"
http "${form[@]}" --data 'name=2024%2F..%2F..%2Ftop.txt' "$U/pics/?download=zip"
is "$HTTP_STATUS" 403 "'2024/../../top.txt': 403"
http "${form[@]}" --data 'name=small.txt&name=nothere.txt' "$U/pics/?download=zip"
is "$HTTP_STATUS" 404 "a missing item: 404"
like "$(cat "$HTTP_BODY")" 'nothere.txt' "... the answer names it"
http "${form[@]}" --data 'name=.hidden' "$U/pics/?download=zip"
is "$HTTP_STATUS" 404 "a dot-file without --hidden: 404"
http "${form[@]}" --data 'name=out-link%2Fsecret.txt' "$U/pics/?download=zip"
is "$HTTP_STATUS" 404 "a path through a link out of the share: 404 (links never followed)"
http "${form[@]}" -H 'Content-Type: text/plain' --data 'name=small.txt' "$U/pics/?download=zip"
is "$HTTP_STATUS" 415 "a body that is not a form: 415"
head -c $(((1 << 20) + 100)) /dev/zero | tr '\0' 'a' | sed 's/^/name=/' >"$FERRY_TMP/big.form"
http "${form[@]}" --data-binary "@$FERRY_TMP/big.form" "$U/pics/?download=zip"
is "$HTTP_STATUS" 413 "a form over 1 MiB: 413"
http -H "Origin: http://evil.example" --data 'name=small.txt' "$U/pics/?download=zip"
is "$HTTP_STATUS" 403 "a cross-site form POST: 403 (CSRF rule as other POSTs)"
unlike "$(hdr Content-Type)" zip "... and no archive"
http "${form[@]}" --data 'name=small.txt' "$U/pics/small.txt?download=zip"
is "$HTTP_STATUS" 404 "a file as the folder: 404"
http "${form[@]}" --data 'name=small.txt' "$U/pics/"
is "$HTTP_STATUS" 405 "POST without ?download=zip: still 405"

ok_if "ferryd's fds back to baseline ($base_fds)" fds_back_to "$base_fds"
ferry_stop

# Token auth: a read-only guest may zip a selection (it writes nothing), not
# write; no session is 401.
state=$FERRY_TMP/state
SOCK=$FERRY_TMP/ctl.sock
ferry_start "$root" --no-mdns --auth token --state-dir "$state" --control "$SOCK" ||
    bail_out "ferryd --auth token did not start"
U=$FERRY_BASE
ctl pair --read-only
guest_url=$(printf '%s\n' $CTL_OUT | grep -m1 "^http://127\.0\.0\.1:")
jar=$FERRY_TMP/jar
curl -q -sS -o /dev/null -c "$jar" --max-time "$T_CURL" "$guest_url"
http -b "$jar" -H "Origin: $U" -H "Sec-Fetch-Site: same-origin" --data 'name=small.txt' \
    "$U/pics/?download=zip"
is "$HTTP_STATUS" 200 "a read-only guest's selection zip: 200"
ok_if "... with the file" zip_check "$HTTP_BODY" "$root/pics" "small.txt"
http -b "$jar" -H "Origin: $U" -H "Sec-Fetch-Site: same-origin" -X PUT --data 'x' \
    "$U/pics/new.txt"
is "$HTTP_STATUS" 403 "... and that guest still cannot PUT"
http -b "$jar" -H "Origin: http://evil.example" --data 'name=small.txt' "$U/pics/?download=zip"
is "$HTTP_STATUS" 403 "... a cross-site POST with the guest's cookie: 403"
http -H "Origin: $U" --data 'name=small.txt' "$U/pics/?download=zip"
is "$HTTP_STATUS" 401 "no session: 401"
ferry_stop
unlike "$(cat "$FERRY_ERR")" "AddressSanitizer|LeakSanitizer|runtime error" \
    "no sanitizer report in ferryd's log"

finish
