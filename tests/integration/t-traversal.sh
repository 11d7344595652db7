#!/bin/bash
# t-traversal.sh — a path-traversal corpus sent with curl --path-as-is (and a
# few raw request targets). Secrets live beside the root, and symlinks in the
# root point at them. Every request must be refused (400, 403, 404, 414 or
# 431) and no answer may carry a byte from outside the root. Then the
# counter-checks: symlinks that stay inside the root are served, and with
# --follow-symlinks the outward ones are too (so the test can tell).

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl

marker="FERRY-SECRET-$$-$RANDOM$RANDOM"
hidden_marker="FERRY-HIDDEN-$$-$RANDOM$RANDOM"
root=$FERRY_TMP/root
outside=$FERRY_TMP/outside
mkdir -p "$root/sub/deeper" "$outside"
printf 'inside ok\n' >"$root/ok.txt"
printf 'deep ok\n' >"$root/sub/deeper/deep.txt"
printf '%s\n' "$hidden_marker" >"$root/.hidden"
printf '%s secret beside the root\n' "$marker" >"$FERRY_TMP/secret.txt"
printf '%s secret in a folder beside the root\n' "$marker" \
    >"$outside/secret-outside-name.txt"
ln -s "$FERRY_TMP/secret.txt" "$root/link-abs"
ln -s ../secret.txt "$root/link-rel"
ln -s ../outside "$root/link-dir"
ln -s "$outside" "$root/link-dir-abs"
ln -s /etc "$root/link-etc"
ln -s ../../../secret.txt "$root/sub/deeper/link-up"
ln -s .. "$root/link-parent"
ln -s ok.txt "$root/link-in"                 # stays inside: served
ln -s ../ok.txt "$root/sub/link-in-up"       # stays inside: served
ln -s deeper "$root/sub/link-dir-in"         # stays inside: served
ln -s "$root/ok.txt" "$root/link-in-abs"     # absolute, but inside

long8k=$(head -c 8192 /dev/zero | tr '\0' a)
long64k=$(head -c 65536 /dev/zero | tr '\0' a)
segs1000=$(printf 'a/%.0s' {1..1000})
ups1001=$(printf '../%.0s' {1..1001})

# Paths sent verbatim after the authority (curl --path-as-is --globoff).
corpus=(
    '/../secret.txt'
    '/../../../../../../../../etc/passwd'
    '/sub/../../secret.txt'
    '/sub/deeper/../../../secret.txt'
    '/ok.txt/../../secret.txt'
    '/./../secret.txt'
    '/%2e%2e/secret.txt'
    '/%2E%2E/secret.txt'
    '/%2e%2e%2fsecret.txt'
    '/%2E%2E%2Fsecret.txt'
    '/..%2fsecret.txt'
    '/..%2Fsecret.txt'
    '/.%2e/secret.txt'
    '/%2e./secret.txt'
    '/sub/%2e%2e/%2e%2e/secret.txt'
    '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd'
    '/%252e%252e/secret.txt'
    '/%252e%252e%252fsecret.txt'
    '/..%252fsecret.txt'
    '/%25%32%65%25%32%65/secret.txt'
    '/..\secret.txt'
    '/sub\..\..\secret.txt'
    '/..%5csecret.txt'
    '/..%5Csecret.txt'
    '/%5c..%5csecret.txt'
    '/%2e%2e%5c%2e%2e%5csecret.txt'
    '/%c0%ae%c0%ae/secret.txt'
    '/%c0%ae%c0%ae%c0%afsecret.txt'
    '/..%c0%afsecret.txt'
    '/%e0%80%ae%e0%80%ae/secret.txt'
    '/%f0%80%80%ae%f0%80%80%ae/secret.txt'
    '/%c0%2e%c0%2e/secret.txt'
    '/%c1%9c..%c1%9csecret.txt'
    '/ok.txt%00'
    '/ok.txt%00.html'
    '/..%00/secret.txt'
    '/%00../secret.txt'
    '/%00'
    '/%2e%2e%00/secret.txt'
    '//etc/passwd'
    '///etc/passwd'
    '////../secret.txt'
    '//../secret.txt'
    '/etc/passwd'
    '/%2fetc%2fpasswd'
    '/%u002e%u002e/secret.txt'
    '/%%32%65%%32%65/secret.txt'
    '/%2'
    '/%zz/secret.txt'
    '/%01ok.txt'
    '/ok%0a.txt'
    '/%ff%fe/secret.txt'
    '/%ed%a0%80.txt'
    "/$long8k"
    "/$long64k"
    "/$segs1000"
    "/$segs1000$ups1001""secret.txt"
    '/.hidden'
    '/%2ehidden'
    '/sub/../.hidden'
    '/link-abs'
    '/link-rel'
    '/link-dir/secret-outside-name.txt'
    '/link-dir/'
    '/link-dir'
    '/link-dir/?format=json'
    '/link-dir-abs/secret-outside-name.txt'
    '/link-etc/passwd'
    '/link-etc/'
    '/sub/deeper/link-up'
    '/link-parent/secret.txt'
    '/link-parent/'
    '/link-parent/outside/secret-outside-name.txt'
    '/link-abs?format=json'
    '/link-rel%00'
    '/./link-abs'
    '/sub/link-dir-in/../../link-abs'
)
# Request targets that are not "/path": sent with curl --request-target.
targets=(
    '../secret.txt'
    'secret.txt'
    '*'
    'http://127.0.0.1/../secret.txt'
    'http://127.0.0.1/%2e%2e/secret.txt'
    'file:///etc/passwd'
)

plan $((${#corpus[@]} + ${#targets[@]} + 1 + 6 + 1 + 4 + 1 + 1))

ferry_start "$root" || bail_out "ferryd did not start"
U=$FERRY_BASE

# refused DESC [REQUEST]: one point for the last response (HTTP_STATUS,
# HTTP_BODY). The names "secret" and "passwd" may only appear in the answer
# when the request itself had them (an error page may echo the path); else
# they show a listing of a folder outside the root.
refused() {
    local why="" w
    case $HTTP_STATUS in
    400 | 403 | 404 | 414 | 431) ;;
    *) why="status $HTTP_STATUS, expected 400/403/404/414/431" ;;
    esac
    if grep -aqF -e "$marker" -e "$hidden_marker" -e secret-outside-name \
        "$HTTP_BODY" "$HTTP_HDRS"; then
        why="$why; the response LEAKS a secret from outside the root"
    fi
    if grep -aqE 'root:[^:]*:0:0:' "$HTTP_BODY"; then
        why="$why; the response LEAKS /etc/passwd"
    fi
    for w in secret passwd; do
        if [[ ${2-} != *"$w"* ]] && grep -aqi "$w" "$HTTP_BODY"; then
            why="$why; the response names '$w' (a listing from outside?)"
        fi
    done
    if [ -z "$why" ]; then
        pass "$1 -> $HTTP_STATUS"
    else
        fail "$1"
        diag "$why" "curl: $(head -c 300 "$HTTP_CURLERR")" "body:"
        diag_file "$HTTP_BODY" 5
    fi
}

for p in "${corpus[@]}"; do
    http "$U$p"
    shown=$p
    [ ${#shown} -gt 80 ] && shown="${p:0:40}...(${#p} bytes)"
    refused "GET $shown" "$p"
done
for t in "${targets[@]}"; do
    http --request-target "$t" "$U/"
    refused "GET with request-target $t" "$t"
done

# A HEAD and a JSON listing through a symlink that leaves the root.
http -H 'Accept: application/json' "$U/link-dir/"
refused "GET /link-dir/ with Accept: application/json" /link-dir/

# Symlinks that stay inside the root are served without --follow-symlinks.
http "$U/link-in"
is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:inside ok" \
    "relative symlink to a file inside the root: 200"
# Absolute links are refused even when they point inside: the resolver has
# openat2(RESOLVE_BENEATH) semantics, which never follows an absolute link.
http "$U/link-in-abs"
is "$HTTP_STATUS" 403 "absolute symlink, even to a file inside the root: 403"
http "$U/sub/link-in-up"
is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:inside ok" \
    "symlink ../ok.txt from a subfolder (inside): 200"
http "$U/sub/link-dir-in/deep.txt"
is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:deep ok" \
    "file through a symlinked folder inside the root: 200"
http "$U/ok.txt"
is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:inside ok" "plain file: 200"
http "$U/sub/deeper/deep.txt"
is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:deep ok" "file two levels down: 200"

# Still alive after the corpus, and the access log named the refusals.
ok_if "the access log shows refused requests" \
    grep -aqE '(400|403|404)' "$FERRY_ERR"
ferry_stop

# ---------------------------------------------------------------- control
ferry_start "$root" --follow-symlinks ||
    bail_out "ferryd --follow-symlinks did not start"
U=$FERRY_BASE
http "$U/link-abs"
like "$HTTP_STATUS $(cat "$HTTP_BODY")" "^200 $marker" \
    "--follow-symlinks: /link-abs leaves the root and is served (control)"
http "$U/link-dir/secret-outside-name.txt"
like "$HTTP_STATUS $(cat "$HTTP_BODY")" "^200 $marker" \
    "--follow-symlinks: a file through /link-dir/ is served (control)"
http "$U/../secret.txt"
refused "--follow-symlinks: GET /../secret.txt still refused" secret
http "$U/%2e%2e/secret.txt"
refused "--follow-symlinks: GET /%2e%2e/secret.txt still refused" secret
ferry_stop

finish
