#!/bin/bash
# t-listing.sh — folder listings through curl: JSON (?format=json or
# Accept: application/json) with its shape, order, sizes, mtimes and hrefs;
# HTML with escaped names and percent-encoded links; the 301 to the slash
# form; dot-files only with --hidden; a folder of 2000 entries.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl

plan 43

root=$FERRY_TMP/root
e_acute=$(printf '\xc3\xa9')
mkdir -p "$root/alpha" "$root/Beta" "$root/d${e_acute}j$(printf '\xc3\xa0')" \
    "$root/many" "$root/sub dir" "$root/.hiddendir"
printf 'inner\n' >"$root/alpha/inner.txt"
printf 'z\n' >"$root/zeta.txt"
printf 'Alpha!\n' >"$root/Alpha.txt"
printf 'bb\n' >"$root/b.txt"
printf 'accent\n' >"$root/${e_acute}.txt"
printf 'xss\n' >"$root/<b>&x.txt"
printf 'quote\n' >"$root/q\"uote.txt"
printf 'dot\n' >"$root/.hidden"
printf 'bad name\n' >"$root/bad$(printf '\xff').bin" # not UTF-8: left out
printf 'deep\n' >"$root/d${e_acute}j$(printf '\xc3\xa0')/deep.txt"
(cd "$root/many" && touch f{0001..2000})
i=0
for f in "$root"/* "$root"/.hidden*; do
    i=$((i + 1))
    touch -h -d "@$((1600000000 + i * 1000))" "$f"
done

expected_names='["alpha", "Beta", "d\u00e9j\u00e0", "many", "sub dir",
 "<b>&x.txt", "Alpha.txt", "b.txt", "q\"uote.txt", "zeta.txt", "\u00e9.txt"]'

export LROOT=$root # for the Python checks below

ferry_start "$root" || bail_out "ferryd did not start"
U=$FERRY_BASE

# ---------------------------------------------------------------- JSON
http "$U/?format=json"
is "$HTTP_STATUS" 200 "GET /?format=json: 200"
like "$(hdr Content-Type)" '^application/json' "GET /?format=json: application/json"
cp "$HTTP_BODY" "$FERRY_TMP/root.json"
json_ok "JSON listing: path is \"/\" and entries is a list" "$HTTP_BODY" '
assert j.get("path") == "/", "path: %r" % j.get("path")
assert isinstance(j.get("entries"), list), "entries: %r" % j.get("entries")'
json_ok "JSON listing: folders first, then names case-insensitively" "$HTTP_BODY" '
got = [e.get("name") for e in j["entries"]]
want = '"$expected_names"'
assert got == want, "got  %r\nwant %r" % (got, want)'
json_ok "JSON listing: no dot-files, no names that are not UTF-8" "$HTTP_BODY" '
bad = [e["name"] for e in j["entries"] if e["name"].startswith(".") or "bad" in e["name"]]
assert not bad, "listed: %r" % bad'
json_ok "JSON listing: type is dir/file as on disk" "$HTTP_BODY" '
import os
root = os.environ["LROOT"]
for e in j["entries"]:
    want = "dir" if os.path.isdir(os.path.join(root, e["name"])) else "file"
    assert e.get("type") == want, "%r: type %r, want %r" % (e["name"], e.get("type"), want)'
json_ok "JSON listing: file sizes and mtimes are those on disk" "$HTTP_BODY" '
import os
root = os.environ["LROOT"]
for e in j["entries"]:
    st = os.stat(os.path.join(root, e["name"]))
    if e["type"] == "file":
        assert e.get("size") == st.st_size, "%r: size %r, want %r" % (e["name"], e.get("size"), st.st_size)
    assert isinstance(e.get("mtime"), int) and e["mtime"] == int(st.st_mtime), \
        "%r: mtime %r, want %r" % (e["name"], e.get("mtime"), int(st.st_mtime))'
json_ok "JSON listing: hrefs are absolute, percent-encoded, dirs end in /" "$HTTP_BODY" '
import re, urllib.parse
for e in j["entries"]:
    h = e.get("href", "")
    assert re.fullmatch(r"[A-Za-z0-9._~/%-]+", h), "%r: href %r not fully escaped" % (e["name"], h)
    want = "/" + e["name"] + ("/" if e["type"] == "dir" else "")
    assert urllib.parse.unquote(h, errors="strict") == want, "%r: href %r decodes to %r" % (e["name"], h, urllib.parse.unquote(h))'

# Every href must lead to the entry it names.
hrefs=$("$PYTHON" -c '
import json, sys
for e in json.load(open(sys.argv[1]))["entries"]: print(e["href"])' \
    "$FERRY_TMP/root.json" 2>/dev/null)
bad_hrefs=""
n_hrefs=0
while IFS= read -r h; do
    [ -n "$h" ] || continue
    n_hrefs=$((n_hrefs + 1))
    http "$U$h"
    [ "$HTTP_STATUS" = 200 ] || bad_hrefs="$bad_hrefs $h:$HTTP_STATUS"
done <<<"$hrefs"
is "$n_hrefs:${bad_hrefs:- none}" "11: none" "every href of the listing answers 200"

http -H 'Accept: application/json' "$U/"
like "$(hdr Content-Type)" '^application/json' "Accept: application/json -> JSON"
ok_if "Accept: application/json gives the same listing as ?format=json" \
    cmp -s "$HTTP_BODY" "$FERRY_TMP/root.json"

http "$U/alpha/?format=json"
json_ok "/alpha/: path and one entry with its href" "$HTTP_BODY" '
assert j["path"] == "/alpha/", j["path"]
assert [(e["name"], e["type"], e["size"], e["href"]) for e in j["entries"]] == \
    [("inner.txt", "file", 6, "/alpha/inner.txt")], j["entries"]'

http "$U/sub%20dir/?format=json"
json_ok "/sub%20dir/: decoded path, empty entries" "$HTTP_BODY" '
assert j == {"path": "/sub dir/", "entries": []} or \
    (j["path"] == "/sub dir/" and j["entries"] == []), j'

http "$U/d%C3%A9j%C3%A0/?format=json"
json_ok "/déjà/: UTF-8 path, entry deep.txt" "$HTTP_BODY" '
assert j["path"] == "/d\u00e9j\u00e0/", j["path"]
assert [e["href"].lower() for e in j["entries"]] == ["/d%c3%a9j%c3%a0/deep.txt"], j["entries"]'

http "$U/many/?format=json"
json_ok "a folder of 2000 files: all listed, in order" "$HTTP_BODY" '
names = [e["name"] for e in j["entries"]]
assert names == ["f%04d" % i for i in range(1, 2001)], "%d names, first %r" % (len(names), names[:3])'

http "$U/nope/?format=json"
is "$HTTP_STATUS" 404 "listing a missing folder: 404"
http "$U/.hiddendir/?format=json"
is "$HTTP_STATUS" 404 "listing a dot-folder without --hidden: 404"

# ---------------------------------------------------------------- redirects
http "$U/alpha"
is "$HTTP_STATUS" 301 "GET /alpha (no slash): 301"
like "$(hdr Location)" '^(http://127\.0\.0\.1:[0-9]+)?/alpha/$' \
    "301 Location is the slash form /alpha/"
http -I "$U/alpha"
is "$HTTP_STATUS" 301 "HEAD /alpha (no slash): 301"
http "$U/sub%20dir"
like "$(hdr Location)" '^(http://127\.0\.0\.1:[0-9]+)?/sub%20dir/$' \
    "301 Location keeps the percent-encoding (/sub%20dir/)"
http "$U/alpha?format=json"
like "$HTTP_STATUS $(hdr Location)" '^301 (http://127\.0\.0\.1:[0-9]+)?/alpha/' \
    "GET /alpha?format=json: 301 to /alpha/"
http -L "$U/alpha?format=json"
json_ok "following the redirect of /alpha?format=json ends in the JSON listing" \
    "$HTTP_BODY" 'assert j["path"] == "/alpha/", j'
http "$U/alpha/inner.txt/"
like "$HTTP_STATUS" '^(404|301)$' "a file with a trailing slash is not served as 200"

# ---------------------------------------------------------------- HTML
http "$U/"
is "$HTTP_STATUS" 200 "GET /: 200"
like "$(hdr Content-Type)" '^text/html' "GET /: text/html"
html=$(tr -d '\0' <"$HTTP_BODY")
like "$html" 'href="[^"]*sub%20dir/"' "HTML: link to sub%20dir/"
like "$html" 'href="[^"]*alpha/"' "HTML: link to alpha/"
like "$html" 'href="[^"]*(%C3%A9|%c3%a9)\.txt"' "HTML: link to é.txt percent-encoded"
like "$html" 'href="[^"]*(%3C|%3c)b(%3E|%3e)(%26)x\.txt"' \
    "HTML: link to <b>&x.txt percent-encoded"
like "$html" '&lt;b&gt;&amp;x\.txt' "HTML: the name <b>&x.txt is escaped"
unlike "$html" '<b>&x' "HTML: the raw name <b>&x never appears"
like "$html" 'q(&quot;|&#34;|&#x22;|")uote\.txt' "HTML: the name q\"uote.txt is shown"
unlike "$html" 'href="[^"]*q"uote' "HTML: the quote cannot break out of href"
unlike "$html" '\.hidden' "HTML: no dot-files"
http -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' "$U/"
like "$(hdr Content-Type)" '^text/html' "browser Accept header -> HTML"
http -H 'Accept: text/html' "$U/alpha/?format=json"
like "$(hdr Content-Type)" '^application/json' "?format=json wins over Accept: text/html"
raw_http 'HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
is "$RAW_STATUS:$RAW_BODY_LEN" "200:0" "HEAD /: 200, no body bytes on the wire"
http "$U/alpha/"
like "$(tr -d '\0' <"$HTTP_BODY")" 'inner\.txt' "HTML of /alpha/ lists inner.txt"

ferry_stop

# ---------------------------------------------------------------- --hidden
ferry_start "$root" --hidden || bail_out "ferryd --hidden did not start"
U=$FERRY_BASE
http "$U/?format=json"
json_ok "--hidden: dot-files and dot-folders are listed" "$HTTP_BODY" '
names = [e["name"] for e in j["entries"]]
assert ".hidden" in names and ".hiddendir" in names, names'
http "$U/.hidden"
is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:dot" "--hidden: GET /.hidden serves it"
ferry_stop

finish
