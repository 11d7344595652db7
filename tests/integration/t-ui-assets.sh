#!/bin/bash
# t-ui-assets.sh — the browser UI's files, embedded in ferryd and served
# under /.ferry/ui/ (daemon/ui/assets.c): gzip when accepted and the plain
# bytes otherwise (both equal to www/), types, strong ETags and 304,
# caching by version, the security headers, the listing's links and CSP,
# the budget (everything gzip'd under 150 KiB), and that the vendored
# tus-js-client is the npm package's.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl gzip
WWW=$FERRY_SRCDIR/www

plan 25

root=$FERRY_TMP/root
mkdir -p "$root/sub"
ferry_start "$root" --state-dir "$FERRY_TMP/state" --no-mdns || bail_out "ferryd did not start"

http "$FERRY_BASE/sub/"
page=$(cat "$HTTP_BODY")
v=$(printf '%s' "$page" | sed -n 's/.*app\.js?v=\([0-9a-f]*\)".*/\1/p')
like "$v" '^[0-9a-f]{12}$' "the listing links app.js with a version"
like "$page" "<link rel=\"stylesheet\" href=\"/.ferry/ui/app.css\\?v=$v\">" "... and app.css"
like "$page" "<script src=\"/.ferry/ui/vendor/tus.min.js\\?v=$v\" defer></script>" "... and tus.min.js, deferred"
is "$(hdr Content-Security-Policy)" "default-src 'none'; style-src 'unsafe-inline' 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; media-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" \
    "the listing's CSP: scripts and requests to this server only, no inline script"

total=0
for f in app.js app.css vendor/tus.min.js; do
    curl -sS -D "$FERRY_TMP/h" -o "$FERRY_TMP/gz" -H 'Accept-Encoding: gzip, deflate' \
        "$FERRY_BASE/.ferry/ui/$f?v=$v"
    total=$((total + $(file_size "$FERRY_TMP/gz")))
    gunzip -c <"$FERRY_TMP/gz" >"$FERRY_TMP/plain" 2>/dev/null
    HTTP_HDRS=$FERRY_TMP/h
    if cmp -s "$FERRY_TMP/plain" "$WWW/$f" && [ "$(hdr Content-Encoding)" = gzip ]; then
        pass "$f: gzip'd, and it unzips to www/$f"
    else
        fail "$f: gzip'd, and it unzips to www/$f"
    fi
done
diag "the UI is $total bytes gzip'd"
ok_if "the UI, gzip'd, is under 150 KiB ($total bytes)" test "$total" -lt $((150 * 1024))

http -H 'Accept-Encoding: gzip' "$FERRY_BASE/.ferry/ui/app.js?v=$v"
is "$(hdr Content-Type)" "text/javascript; charset=utf-8" "app.js: Content-Type"
is "$(hdr X-Content-Type-Options)" nosniff "app.js: nosniff"
is "$(hdr Cache-Control)" "public, max-age=31536000, immutable" "with the current version: cached for good"
is "$(hdr Vary)" "Accept-Encoding" "Vary: Accept-Encoding"
like "$(hdr Content-Security-Policy)" "^default-src 'none'" "the strict CSP"
etag=$(hdr ETag)
like "$etag" '^"[0-9a-f]{32}-gz"$' "a strong ETag for the gzip'd bytes"

http -H "If-None-Match: $etag" -H 'Accept-Encoding: gzip' "$FERRY_BASE/.ferry/ui/app.js"
is "$HTTP_STATUS" 304 "If-None-Match with it: 304"
is "$(hdr Cache-Control)" "no-cache" "without the version: revalidated each time"

http -H 'Accept-Encoding: identity' "$FERRY_BASE/.ferry/ui/app.css"
if [ "$HTTP_STATUS" = 200 ] && [ -z "$(hdr Content-Encoding)" ] && cmp -s "$HTTP_BODY" "$WWW/app.css"; then
    pass "no gzip accepted: the plain bytes of www/app.css"
else
    fail "no gzip accepted: the plain bytes of www/app.css"
fi
is "$(hdr Content-Type)" "text/css; charset=utf-8" "app.css: Content-Type"
http -H 'Accept-Encoding: gzip;q=0' "$FERRY_BASE/.ferry/ui/app.css"
is "$(hdr Content-Encoding)" "" "gzip;q=0: not gzip'd"
like "$(hdr ETag)" '^"[0-9a-f]{32}"$' "... with the plain bytes' ETag"

http -I "$FERRY_BASE/.ferry/ui/vendor/tus.min.js"
is "$HTTP_STATUS/$(hdr Content-Length)" "200/$(file_size "$WWW/vendor/tus.min.js")" "HEAD: 200 and the length"
# the vendored tus-js-client is npm's, as pinned in tests/js/package-lock.json
# (tools/vendor-tus.sh copies it without its source-map comment)
dist=$FERRY_SRCDIR/tests/js/node_modules/tus-js-client/dist/tus.min.js
if [ -f "$dist" ]; then
    if sed '/^\/\/# sourceMappingURL=/d' "$dist" | cmp -s - "$WWW/vendor/tus.min.js"; then
        pass "www/vendor/tus.min.js is npm's tus-js-client, as pinned"
    else
        fail "www/vendor/tus.min.js differs from npm's tus-js-client in tests/js: run make vendor-tus"
    fi
else
    skip "www/vendor/tus.min.js against npm's tus-js-client" "no $dist (npm ci in tests/js)"
fi
http "$FERRY_BASE/.ferry/ui/nope.js"
is "$HTTP_STATUS" 404 "an unknown name: 404"
http -X PUT --data x "$FERRY_BASE/.ferry/ui/app.js"
like "$HTTP_STATUS" '^(403|404|405)$' "PUT onto the UI: refused ($HTTP_STATUS)"
ferry_stop TERM
finish
