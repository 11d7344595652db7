#!/bin/sh
# vendor-tus.sh — refreshes www/vendor/tus.min.js (and its LICENSE) from
# tus-js-client as npm installed it in tests/js (the version pinned in
# tests/js/package-lock.json). Run from the source tree after `npm ci` or
# `npm install tus-js-client@X` in tests/js; `make vendor-tus` runs it.
# The source-map comment is dropped: the map is not embedded.
set -eu
top=${1:-.}
dist=$top/tests/js/node_modules/tus-js-client
[ -f "$dist/dist/tus.min.js" ] || {
    echo "vendor-tus.sh: $dist/dist/tus.min.js is missing: run npm ci in $top/tests/js" >&2
    exit 1
}
mkdir -p "$top/www/vendor"
sed '/^\/\/# sourceMappingURL=/d' "$dist/dist/tus.min.js" >"$top/www/vendor/tus.min.js.tmp"
mv "$top/www/vendor/tus.min.js.tmp" "$top/www/vendor/tus.min.js"
cp "$dist/LICENSE" "$top/www/vendor/tus-js-client.LICENSE"
v=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$dist/package.json" | head -n 1)
echo "vendor-tus.sh: www/vendor/tus.min.js is tus-js-client $v"
