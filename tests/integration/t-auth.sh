#!/bin/bash
# t-auth.sh — access control (issue 8): token, password and open modes.
#   - token and password mode refuse every endpoint without credentials
#     (401, nothing on disk changes); open mode serves;
#   - pairing URLs work once, expire (--pairing-ttl), set the cookie with the
#     right flags (Secure only under --tls), redirect to a clean URL, and
#     never reach the log;
#   - read-only sessions cannot write; revocation acts at the next request;
#     bearer tokens are made, used and revoked through ferryctl;
#   - cross-site writes (CSRF) and foreign Host names (DNS rebinding) are
#     refused;
#   - 1,000 wrong passwords from one address are answered 401, then 429 with
#     a growing Retry-After, while another address is served at once;
#   - security headers on files, listings, error pages, 304s; uploaded HTML
#     gets the sandbox CSP.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl

root=$FERRY_TMP/root
state=$FERRY_TMP/state
SOCK=$FERRY_TMP/ctl.sock
mkdir -p "$root/sub"
echo "hello" >"$root/a.txt"
echo "inner" >"$root/sub/b.txt"
tree_state() { (cd "$root" && find . -print0 | sort -z | xargs -0 ls -ld --time-style=+%s | md5sum); }

# ---------------------------------------------------------------- token mode
ferry_start "$root" --auth token --state-dir "$state" --control "$SOCK" --pairing-ttl 8 ||
    bail_out "ferryd --auth token did not start"
B=$FERRY_BASE
same=(-H "Origin: $B" -H "Sec-Fetch-Site: same-origin")
evil=(-H "Origin: http://evil.example" -H "Sec-Fetch-Site: cross-site")
pair_url=$(grep -m1 -o "http://127\.0\.0\.1:$FERRY_PORT/\.ferry/pair?token=[A-Za-z0-9_-]*" "$FERRY_OUT")
like "$pair_url" 'pair[?]token=' "token mode: the banner's URL carries a pairing token"
token=${pair_url##*token=}

before=$(tree_state)
tus=(-H "Tus-Resumable: 1.0.0")
check401() { # DESC CURL-ARGS...
    local d=$1
    shift
    http "$@"
    is "$HTTP_STATUS" 401 "token mode, no credentials: $d is 401"
}
check401 "GET file" "$B/a.txt"
check401 "HTML listing" -H "Accept: text/html" "$B/"
like "$(cat "$HTTP_BODY")" 'scan it with this device' "the 401 page tells how to be let in, in plain words"
like "$(cat "$HTTP_BODY")" 'prefers-color-scheme:dark' "the 401 page has a dark mode"
is "$(hdr Referrer-Policy)" "same-origin" "the 401 page's Referrer-Policy is same-origin"
is "$(hdr Content-Security-Policy)" "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" "the 401 page has the strict CSP"
check401 "JSON listing" "$B/?format=json"
check401 "HEAD" -I "$B/a.txt"
is "$(hdr WWW-Authenticate)" 'Bearer realm="ferry"' "token mode: WWW-Authenticate Bearer"
check401 "PUT" -T "$root/a.txt" "$B/new.txt"
check401 "tus OPTIONS" -X OPTIONS "${tus[@]}" "$B/.ferry/uploads/"
check401 "tus POST" -X POST "${tus[@]}" -H "Upload-Length: 5" "$B/.ferry/uploads/"
check401 "tus HEAD" -I "${tus[@]}" "$B/.ferry/uploads/0123456789abcdef"
check401 "tus PATCH" -X PATCH "${tus[@]}" -H "Upload-Offset: 0" \
    -H "Content-Type: application/offset+octet-stream" --data-binary xx \
    "$B/.ferry/uploads/0123456789abcdef"
check401 "MKCOL" -X MKCOL "$B/newdir"
check401 "MOVE" -X MOVE -H "Destination: $B/moved.txt" "$B/a.txt"
check401 "COPY" -X COPY -H "Destination: $B/copied.txt" "$B/a.txt"
check401 "DELETE" -X DELETE "$B/a.txt"
check401 "trash list" "$B/.ferry/trash"
check401 "trash POST" -X POST --data "x=1" "$B/.ferry/trash/empty"
check401 "status" "$B/.ferry/status"
check401 "a made-up session cookie" -H "Cookie: ferry_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$B/a.txt"
is "$(tree_state)" "$before" "token mode: nothing on disk changed"

# pairing
http -c "$FERRY_TMP/jar" "$pair_url"
is "$HTTP_STATUS" 303 "pairing: 303"
is "$(hdr Location)" "/" "pairing: redirect to the clean URL /"
cookie=$(hdr Set-Cookie)
like "$cookie" '^ferry_session=[A-Za-z0-9_-]{43};' "pairing: sets the session cookie"
like "$cookie" 'HttpOnly' "cookie: HttpOnly"
like "$cookie" 'SameSite=Strict' "cookie: SameSite=Strict"
like "$cookie" 'Path=/' "cookie: Path=/"
unlike "$cookie" 'Secure' "cookie: no Secure over plain HTTP"
jar=(-b "$FERRY_TMP/jar")
cookie_hdr=(-H "Cookie: ${cookie%%;*}")
http "${jar[@]}" "$B/a.txt"
is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:hello" "the paired cookie reads a file"
http "${jar[@]}" "$B/.ferry/status"
is "$HTTP_STATUS" 200 "the paired cookie reads /.ferry/status"
http "$pair_url"
is "$HTTP_STATUS" 403 "pairing: the second use of a token is 403"
like "$(cat "$HTTP_BODY")" 'new one' "the 403 page says to ask for a new link"
http "$B/.ferry/pair?token=$(printf 'x%.0s' {1..43})"
is "$HTTP_STATUS" 403 "pairing: a wrong token is 403"
ctl_ok pair
exp_url=$(printf '%s\n' $CTL_OUT | grep -m1 "^http://127\.0\.0\.1:")
like "$exp_url" 'pair[?]token=' "ferryctl pair prints a pairing URL"
sleep 9 # --pairing-ttl 8 (long enough for the requests before the pairing under ASan on a loaded machine)
http "$exp_url"
is "$HTTP_STATUS" 403 "pairing: an expired token is 403"

# writes with the cookie: same-origin only
http "${jar[@]}" "${same[@]}" -T "$FERRY_TMP/jar" "$B/up.txt"
is "$HTTP_STATUS" 201 "rw session: same-origin PUT is 201"
before=$(tree_state)
http "${jar[@]}" -T "$FERRY_TMP/jar" "$B/up2.txt"
is "$HTTP_STATUS" 403 "rw session: a cookie PUT without Origin/Sec-Fetch-Site is 403"
http "${jar[@]}" "${evil[@]}" -T "$FERRY_TMP/jar" "$B/up3.txt"
is "$HTTP_STATUS" 403 "CSRF: cross-site PUT with the cookie is 403"
http "${jar[@]}" "${evil[@]}" -X DELETE "$B/a.txt"
is "$HTTP_STATUS" 403 "CSRF: cross-site DELETE with the cookie is 403"
http "${jar[@]}" "${evil[@]}" -X MOVE -H "Destination: $B/m.txt" "$B/a.txt"
is "$HTTP_STATUS" 403 "CSRF: cross-site MOVE with the cookie is 403"
http "${jar[@]}" -H "Origin: http://evil.example" \
    -H "Content-Type: application/x-www-form-urlencoded" --data "all=1" "$B/.ferry/trash/empty"
is "$HTTP_STATUS" 403 "CSRF: a cross-site form post to /.ferry/trash is 403"
http "${jar[@]}" -H "Origin: null" -X POST "${tus[@]}" -H "Upload-Length: 5" "$B/.ferry/uploads/"
is "$HTTP_STATUS" 403 "CSRF: a tus POST from an opaque origin is 403"
is "$(tree_state)" "$before" "CSRF: nothing on disk changed"

# DNS rebinding
# (curl matches cookies against a given Host: send the cookie header itself)
http "${cookie_hdr[@]}" -H "Host: evil.example:$FERRY_PORT" "$B/a.txt"
is "$HTTP_STATUS" 421 "rebinding: a foreign Host name is refused (421)"
http "${cookie_hdr[@]}" -H "Host: localhost:$FERRY_PORT" "$B/a.txt"
is "$HTTP_STATUS" 200 "Host localhost is served"

# read-only pairing
ctl_ok pair --read-only
ro_url=$(printf '%s\n' $CTL_OUT | grep -m1 "^http://127\.0\.0\.1:")
http -c "$FERRY_TMP/jar.ro" "$ro_url"
is "$HTTP_STATUS" 303 "read-only pairing: 303"
http -b "$FERRY_TMP/jar.ro" "$B/sub/b.txt"
is "$HTTP_STATUS" 200 "read-only session reads"
http -b "$FERRY_TMP/jar.ro" "${same[@]}" -T "$FERRY_TMP/jar" "$B/ro.txt"
is "$HTTP_STATUS" 403 "read-only session: PUT is 403"
http -b "$FERRY_TMP/jar.ro" "${same[@]}" -X DELETE "$B/a.txt"
is "$HTTP_STATUS" 403 "read-only session: DELETE is 403"
test -f "$root/a.txt" && test ! -e "$root/ro.txt"
is "$?" 0 "read-only session: nothing changed"

# the token never reaches the log
if grep -qF "$token" "$FERRY_ERR" || grep -qF "${exp_url##*=}" "$FERRY_ERR"; then
    fail "pairing tokens are not in ferryd's log"
else
    pass "pairing tokens are not in ferryd's log"
fi
like "$(cat "$FERRY_ERR")" '"GET /.ferry/pair" 303' "the access log names the pairing path without its query"

# sessions, revocation
ctl_ok sessions
like "$CTL_OUT" '"kind":"session","rights":"ro"' "ferryctl sessions lists the read-only session"
unlike "$CTL_OUT" "$(sed -n 's/.*ferry_session[[:space:]]*//p' "$FERRY_TMP/jar" | tail -1)" "ferryctl sessions shows no secret"
rw_id=$(printf '%s' "${CTL_OUT#ok }" | "$PYTHON" -c 'import json,sys; print([s["id"] for s in json.load(sys.stdin) if s["rights"]=="rw" and s["kind"]=="session"][0])')
ctl_ok revoke "$rw_id"
http "${jar[@]}" "$B/a.txt"
is "$HTTP_STATUS" 401 "revoked session: the next request is 401"

# bearer tokens
ctl_ok token create ci-bot
read -r _ tok_id tok_secret <<<"$CTL_OUT"
http -H "Authorization: Bearer $tok_secret" "$B/a.txt"
is "$HTTP_STATUS" 200 "bearer token reads"
http -H "Authorization: Bearer $tok_secret" -T "$FERRY_TMP/jar" "$B/bearer.txt"
is "$HTTP_STATUS" 201 "bearer token writes (no browser headers needed)"
http -H "Authorization: Bearer ${tok_secret%?}x" "$B/a.txt"
is "$HTTP_STATUS" 401 "a wrong bearer token is 401"
ctl_ok token create ro-bot --read-only
read -r _ _ ro_secret <<<"$CTL_OUT"
http -H "Authorization: Bearer $ro_secret" -X DELETE "$B/a.txt"
is "$HTTP_STATUS" 403 "read-only bearer token: DELETE is 403"
ctl_ok token revoke "$tok_id"
http -H "Authorization: Bearer $tok_secret" "$B/a.txt"
is "$HTTP_STATUS" 401 "revoked bearer token: 401"

# security headers
auth=(-H "Authorization: Bearer $ro_secret")
sec_headers() { # DESC
    is "$(hdr X-Content-Type-Options)/$(hdr Referrer-Policy)" "nosniff/no-referrer" "$1: nosniff, no-referrer"
}
http "${auth[@]}" "$B/a.txt"
sec_headers "a file"
is "$(hdr Content-Security-Policy)" "sandbox" "a file: CSP sandbox"
etag=$(hdr ETag)
http "${auth[@]}" -H "If-None-Match: $etag" "$B/a.txt"
is "$HTTP_STATUS" 304 "a conditional GET is 304"
sec_headers "a 304"
http "${auth[@]}" -H "Accept: text/html" "$B/"
sec_headers "an HTML listing"
like "$(hdr Content-Security-Policy)" "^default-src 'none'; style-src 'unsafe-inline'" "an HTML listing: strict CSP"
http "${auth[@]}" "$B/nope.txt"
is "$HTTP_STATUS" 404 "a missing file is 404"
sec_headers "an error page"
http "$B/a.txt"
sec_headers "a 401"
http -H "Authorization: Bearer $(ctl token create web >/dev/null; read -r _ _ s <<<"$CTL_OUT"; echo "$s")" "$B/a.txt" >/dev/null
printf '<script>alert(1)</script>' >"$FERRY_TMP/x.html"
ctl token create up
read -r _ _ up_secret <<<"$CTL_OUT"
http -H "Authorization: Bearer $up_secret" -T "$FERRY_TMP/x.html" "$B/x.html"
is "$HTTP_STATUS" 201 "an HTML file is uploaded"
http -H "Authorization: Bearer $up_secret" "$B/x.html"
is "$(hdr Content-Security-Policy)" "sandbox" "uploaded HTML is served with CSP sandbox"
# A long list (its JSON well over the 4 KiB a control answer once had).
for k in $(seq 1 40); do
    ctl token create "bot-$k-with-a-rather-long-name-to-fill-the-list"
done
ctl sessions
printf '%s' "${CTL_OUT#ok }" >"$FERRY_TMP/sessions.json"
json_ok "ferryctl sessions: a long list arrives whole (${#CTL_OUT} bytes of JSON)" \
    "$FERRY_TMP/sessions.json" "
names = [e.get('name') for e in (j if isinstance(j, list) else j.get('sessions', j))]
assert sum(1 for n in names if n and n.startswith('bot-')) == 40, names
assert len(open(sys.argv[1]).read()) > 4096"
ferry_stop

# ---------------------------------------------------------------- TLS: Secure
if FERRY_URL_RE='https://127\.0\.0\.1:[0-9]*/' ferry_start "$root" --auth token --tls --state-dir "$state"; then
    tls_pair=$(grep -m1 -o "https://127\.0\.0\.1:[0-9]*/\.ferry/pair?token=[A-Za-z0-9_-]*" "$FERRY_OUT")
    http -k "$tls_pair"
    is "$HTTP_STATUS" 303 "--tls: pairing 303"
    like "$(hdr Set-Cookie)" 'SameSite=Strict; Secure' "--tls: the cookie is Secure"
    http -k "$FERRY_BASE/a.txt"
    is "$HTTP_STATUS" 401 "--tls: unauthenticated is 401"
    ferry_stop
else
    fail "ferryd --tls --auth token started"
fi

# ---------------------------------------------------------------- password
pw_state=$FERRY_TMP/pwstate
ferry_run --auth password --state-dir "$pw_state" "$root"
is "$RUN_RC" 2 "--auth password without a password: exit 2"
like "$(cat "$RUN_ERR")" 'set-password' "... saying to run --set-password"
ferry_argv_ --set-password --state-dir "$pw_state"
printf '\n' | "${FERRY_ARGV[@]}" 2>"$FERRY_TMP/setpw.err"
is "$?" 2 "--set-password refuses an empty password (exit 2)"
printf 'correct horse\n' | "${FERRY_ARGV[@]}" >"$FERRY_TMP/setpw.out" 2>"$FERRY_TMP/setpw.err"
is "$?" 0 "--set-password stores a password from a pipe"
if grep -q 'correct horse' "$FERRY_TMP/setpw.out" "$FERRY_TMP/setpw.err" "$pw_state/auth-password"; then
    fail "the password is neither echoed nor stored in clear"
else
    pass "the password is neither echoed nor stored in clear"
fi
is "$(stat -c %a "$pw_state/auth-password")" 600 "the password file is 0600"

ferry_start "$root" --auth password --state-dir "$pw_state" || bail_out "--auth password did not start"
B=$FERRY_BASE
same=(-H "Origin: $B" -H "Sec-Fetch-Site: same-origin")
before=$(tree_state)
http -H "Accept: text/html" "$B/"
is "$HTTP_STATUS" 401 "password mode: a listing without credentials is 401"
is "$(hdr WWW-Authenticate)" 'Bearer realm="ferry"' "password mode: a browser's page gets no Basic challenge (no password dialog of the browser's own)"
like "$(cat "$HTTP_BODY")" '<form method="post" action="/.ferry/login">' "password mode: the 401 page has a login form"
is "$(hdr Referrer-Policy)" "same-origin" "password mode: the login page's Referrer-Policy is same-origin (its form posts carry the Origin)"
http -H "Accept: text/html" -H "Sec-Fetch-Mode: navigate" "$B/sub/"
is "$(hdr WWW-Authenticate)" 'Bearer realm="ferry"' "password mode: a navigation gets no Basic challenge either"
http "$B/sub/b.txt"
like "$(hdr WWW-Authenticate)" '^Basic realm="ferry"' "password mode: a program (no text/html) still gets WWW-Authenticate Basic"
for m in PUT DELETE MKCOL; do
    http -X "$m" "$B/pw-$m"
    is "$HTTP_STATUS" 401 "password mode: $m without credentials is 401"
done
http "$B/.ferry/status"
is "$HTTP_STATUS" 401 "password mode: status without credentials is 401"
is "$(tree_state)" "$before" "password mode: nothing on disk changed"
http -u "anyone:correct horse" "$B/a.txt"
is "$HTTP_STATUS" 200 "Basic with the right password reads (the user is ignored)"
http -u ":correct horse" -T "$FERRY_TMP/jar" "$B/basic.txt"
is "$HTTP_STATUS" 201 "Basic with the right password writes (no browser headers)"
http -u ":correct horse" "${evil[@]}" -X DELETE "$B/basic.txt"
is "$HTTP_STATUS" 403 "Basic: a cross-site DELETE is 403"
http -c "$FERRY_TMP/pwjar" "${same[@]}" --data-urlencode "password=correct horse" "$B/.ferry/login"
is "$HTTP_STATUS" 303 "login form: the right password is 303"
like "$(hdr Set-Cookie)" '^ferry_session=.*HttpOnly; SameSite=Strict' "login form: sets the session cookie"
http -b "$FERRY_TMP/pwjar" "$B/sub/b.txt"
is "$HTTP_STATUS" 200 "login form: the cookie reads"
http "${evil[@]}" --data-urlencode "password=correct horse" "$B/.ferry/login"
is "$HTTP_STATUS" 403 "login form: a cross-site login post is 403"
http -H "Origin: null" -H "Sec-Fetch-Site: same-origin" --data-urlencode "password=correct horse" "$B/.ferry/login"
is "$HTTP_STATUS" 403 "login form: Origin: null is still refused (the page's policy sends the real Origin)"
http -H "Accept: text/html" "${evil[@]}" --data-urlencode "password=correct horse" "$B/.ferry/login"
like "$HTTP_STATUS $(cat "$HTTP_BODY")" "^403 .*this server's own pages" "login form: a cross-site post from a browser gets a page in plain words"
http -b "$FERRY_TMP/pwjar" "${evil[@]}" -X POST "$B/.ferry/logout"
is "$HTTP_STATUS" 403 "logout: a cross-site post is 403"
http -b "$FERRY_TMP/pwjar" "$B/sub/b.txt"
is "$HTTP_STATUS" 200 "logout: the session survives a cross-site logout"
http -b "$FERRY_TMP/pwjar" "$B/.ferry/logout"
is "$HTTP_STATUS" 405 "logout: a GET is 405 (a link cannot log one out)"
http -b "$FERRY_TMP/pwjar" "${same[@]}" -X POST "$B/.ferry/logout"
is "$HTTP_STATUS $(hdr Location)" "303 /" "logout: a same-origin post is 303 to /"
like "$(hdr Set-Cookie)" '^ferry_session=; Path=/; Max-Age=0' "logout: clears the cookie"
http -b "$FERRY_TMP/pwjar" "$B/sub/b.txt"
is "$HTTP_STATUS" 401 "logout: the old cookie no longer reads (the session is revoked)"

# 1,000 wrong passwords from 127.0.0.1, another client from 127.0.0.2
"$PYTHON" - "$FERRY_PORT" >"$FERRY_TMP/brute.out" 2>&1 <<'PY'
import base64, http.client, sys, time
port = int(sys.argv[1])
def req(src, pw):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(src, 0))
    t = time.monotonic()
    c.request("GET", "/a.txt", headers={"Authorization": "Basic " + base64.b64encode(b"x:" + pw).decode()})
    r = c.getresponse(); r.read(); c.close()
    return r.status, r.getheader("Retry-After"), time.monotonic() - t
n = {401: 0, 429: 0}; ras = []; last = None; other = 0.0; bad = 0
for i in range(1000):
    s, ra, _ = req("127.0.0.1", b"wrong%d" % i)
    if s not in n: bad += 1; continue
    n[s] += 1
    if s == 429:
        if last == 401: ras.append(int(ra))
    last = s
    if i % 100 == 50:
        s2, _, dt = req("127.0.0.2", b"correct horse")
        if s2 != 200: bad += 1
        other = max(other, dt)
    time.sleep(0.006)
right_limited, ra_now, _ = req("127.0.0.1", b"correct horse")
fresh, _, _ = req("127.0.0.2", b"correct horse")
print(n[401], n[429], bad, ",".join(map(str, ras)), "%.3f" % other, right_limited, ra_now, fresh)
PY
read -r n401 n429 nbad ras other right_limited ra_now fresh <"$FERRY_TMP/brute.out"
diag "brute force: 401=$n401 429=$n429 first Retry-After of each wait: $ras; other client max ${other}s"
ok_if "1,000 wrong passwords: 6 to 12 are checked (401), the rest refused at once" \
    test "${n401:-0}" -ge 6 -a "${n401:-0}" -le 12 -a "$((n401 + n429))" -eq 1000 -a "${nbad:-1}" -eq 0
ok_if "Retry-After grows from wait to wait ($ras)" \
    "$PYTHON" -c 'import sys; v=[int(x) for x in sys.argv[1].split(",") if x]; sys.exit(not(len(v)>=2 and all(a<b for a,b in zip(v,v[1:]))))' "$ras"
ok_if "another address is served at once meanwhile (max ${other}s)" \
    "$PYTHON" -c 'import sys; sys.exit(not float(sys.argv[1]) < 1.0)' "$other"
is "$right_limited" 429 "the right password is refused (429) while the address waits"
ok_if "... with a Retry-After ($ra_now s)" test "${ra_now:-0}" -ge 1
is "$fresh" 200 "the right password works from another address"

# The same address after its back-off: 6 wrong passwords from 127.0.0.3 (5
# free, then a wait of 1 s), wait it out, then the right one works.
"$PYTHON" - "$FERRY_PORT" >"$FERRY_TMP/backoff.out" 2>&1 <<'PY'
import base64, http.client, sys, time
port = int(sys.argv[1])
def req(pw):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=("127.0.0.3", 0))
    c.request("GET", "/a.txt", headers={"Authorization": "Basic " + base64.b64encode(b"x:" + pw).decode()})
    r = c.getresponse(); r.read(); c.close()
    return r.status, r.getheader("Retry-After")
codes = [req(b"wrong%d" % i)[0] for i in range(6)]
s, ra = req(b"correct horse")
time.sleep(int(ra or 0) + 0.2)
after, _ = req(b"correct horse")
print(",".join(map(str, codes)), s, ra, after)
PY
read -r codes limited ra after <"$FERRY_TMP/backoff.out"
is "$codes/$limited/$ra" "401,401,401,401,401,401/429/1" \
    "6 wrong passwords, then the right one waits (429, Retry-After 1)"
is "$after" 200 "after the back-off the right password works from the same address"
ferry_stop

# ---------------------------------------------------------------- open mode
ferry_start "$root" --auth open || bail_out "--auth open did not start"
like "$(cat "$FERRY_ERR")" 'ACCESS CONTROL IS OFF' "open mode: a loud warning at start"
http "$FERRY_BASE/a.txt"
is "$HTTP_STATUS" 200 "open mode: GET without credentials is 200"
http -T "$FERRY_TMP/jar" "$FERRY_BASE/open.txt"
is "$HTTP_STATUS" 201 "open mode: PUT without credentials is 201"
http "${evil[@]}" -X DELETE "$FERRY_BASE/open.txt"
is "$HTTP_STATUS" 403 "open mode: a cross-site DELETE is still 403"
http -H "Host: evil.example" "$FERRY_BASE/a.txt"
is "$HTTP_STATUS" 421 "open mode: a foreign Host name is refused (rebinding)"
ferry_stop

# ---------------------------------------------------------------- ferryctl's default socket
# Without --state-dir and --control, ferryd listens for ferryctl in its
# default state folder ($XDG_STATE_HOME/ferry, set by lib.sh), where
# ferryctl looks by itself.
ferry_start "$root" --auth token || bail_out "ferryd with the default state folder did not start"
out=$(env -u FERRY_CONTROL timeout -k 1 "$T_CURL" "$FERRYCTL" pair 2>&1)
like "$out" "^ok http://127\.0\.0\.1:$FERRY_PORT/\.ferry/pair\?token=" \
    "ferryctl without -s reaches ferryd through the default control socket"
ok_if "the default control socket is mode 0600" \
    test "$(stat -c %a "$XDG_STATE_HOME/ferry/control.sock")" = 600
ferry_stop

plan "$TAP_N"
finish
