#!/bin/bash
# t-tls.sh — HTTPS terminated by ferryd with mbedTLS, against curl, openssl
# s_client, python's ssl and (when installed) testssl.sh:
#   1. --tls: the key (0600) and certificate are made in the state folder;
#      the banner, /.ferry/status and the file agree on the fingerprint and
#      the key pin; curl verifies it by IP and by the .local name (--cacert),
#      pins it (--pinnedpubkey), and refuses it for another name;
#   2. files over TLS: a 32 MiB download, Range, resume (sha256), keep-alive;
#      a plain-HTTP request to the HTTPS port gets a quick 400 naming the
#      https:// URL;
#   3. the protocol: TLS 1.2 only, only ECDHE with AES-GCM/ChaCha20-Poly1305
#      (CBC, RSA key exchange, DHE, CCM refused — and the server saw each),
#      forward secrecy, ALPN http/1.1, extended master secret, renegotiation
#      refused, session resumption; testssl.sh -p -s -f -R;
#   4. bad clients (garbage, half a ClientHello, a handshake or a download
#      cut short, ...): 200 of them leave no fd behind and ferryd serves on;
#      a stalled handshake is dropped after its timeout and logged;
#   5. restarts keep the certificate; a corrupt key is replaced with a clear
#      log line; the user's own certificate and key; option errors;
#   6. --tls=both: HTTP and HTTPS on two ports;
#   7. the lifecycle on the fake OS: a TLS download is cut by expire, the
#      HTTPS port refuses while quiet/suspended, answers again on the same
#      port after resume+foreground, the download resumes (sha256) and a
#      saved TLS session is resumed ("Reused").
# Memory and fd leaks: run under FERRY_TEST_WRAPPER (valgrind) or an ASan
# build; every ferryd must exit 0 at the end.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl openssl
: "${FERRYCTL:=$(dirname "$FERRYD")/ferryctl}"
[ -x "$FERRYCTL" ] || bail_out "FERRYCTL=$FERRYCTL is not an executable (build it first)"

plan 97

root=$FERRY_TMP/root
dl=$FERRY_TMP/dl
state=$FERRY_TMP/state
mkdir "$root" "$dl"
head -c 33554432 /dev/urandom >"$root/big.bin" # 32 MiB
printf 'hello over TLS\n' >"$root/small.txt"
size=$(file_size "$root/big.bin")
want=$(sha256 "$root/big.bin")
host=$(hostname)
host=${host%%.*}
T_WAIT=$((10 * T_SCALE))
FERRY_URL_RE='https://127\.0\.0\.1:[0-9]*/'

# ---------------------------------------------------------------- helpers

# banner_fp / banner_pin: the fingerprint and pin printed by the last ferryd.
banner_fp() {
    sed -n 's/^TLS certificate fingerprint (SHA-256): //p' "$FERRY_OUT" | head -n 1
}
banner_pin() {
    sed -n 's/^TLS public-key pin (curl --pinnedpubkey): //p' "$FERRY_OUT" | head -n 1
}

# openssl_fp CERT: SHA-256 of CERT's DER as 64 lowercase hex digits.
openssl_fp() {
    openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' |
        tr 'A-F' 'a-f'
}

# openssl_pin CERT: sha256//BASE64 of CERT's SubjectPublicKeyInfo.
openssl_pin() {
    echo "sha256//$(openssl x509 -in "$1" -noout -pubkey |
        openssl pkey -pubin -outform der | openssl dgst -sha256 -binary |
        openssl base64 -A)"
}

# scl ARGS...: openssl s_client to 127.0.0.1:$TLS_PORT with stdin from
# /dev/null; SCL (output) and SCL_RC.
scl() {
    SCL=$(timeout -k 1 "$T_WAIT" openssl s_client -connect "127.0.0.1:$TLS_PORT" \
        "$@" </dev/null 2>&1)
    SCL_RC=$?
}

# log_count ERE: lines of the current ferryd's stderr matching ERE.
log_count() {
    grep -cE "$1" "$FERRY_ERR"
}

# https URL [CURL ARGS...]: http() against the HTTPS port trusting the
# state folder's certificate.
https() {
    local url=$1
    shift
    http --cacert "$state/tls-cert.pem" "$@" "$url"
}

# ---------------------------------------------------------------- 1. identity
ferry_start "$root" --tls --state-dir "$state" || bail_out "ferryd --tls did not start"
pid=$FERRY_PID
TLS_PORT=$FERRY_PORT
U=$FERRY_BASE
fp=$(banner_fp)
pin=$(banner_pin)

like "$(head -n 1 "$FERRY_OUT")" "is serving .* on port $TLS_PORT \\(HTTPS\\)$" \
    "the banner says HTTPS on port $TLS_PORT"
like "$fp" '^[0-9a-f]{64}$' "the banner prints the SHA-256 fingerprint ($fp)"
like "$pin" '^sha256//[A-Za-z0-9+/]{43}=$' "the banner prints the key pin ($pin)"
is "$(stat -c %a "$state/tls-key.pem" 2>/dev/null)" 600 "the key file has mode 0600"
ok_if "the certificate is in the state folder" test -s "$state/tls-cert.pem"
is "$(stat -c %a "$state")" 700 "the state folder has mode 0700"
is "$(openssl_fp "$state/tls-cert.pem")" "$fp" \
    "the fingerprint is the SHA-256 of the certificate file (openssl)"
is "$(openssl_pin "$state/tls-cert.pem")" "$pin" \
    "the pin is the SHA-256 of the certificate's public key (openssl)"
ok_if "the certificate names $host.local, localhost and 127.0.0.1" bash -c "
    openssl x509 -in '$state/tls-cert.pem' -noout -ext subjectAltName |
    tr -d ' ' | grep -q 'DNS:$host.local,DNS:$host,DNS:localhost,IPAddress:127.0.0.1'"
ok_if "openssl verify accepts the certificate as its own anchor" \
    openssl verify -CAfile "$state/tls-cert.pem" "$state/tls-cert.pem"

https "$U/small.txt"
is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:hello over TLS" \
    "curl --cacert by IP: 200, verified (curl exit $HTTP_RC)"
https "$U/.ferry/status"
json_ok "/.ferry/status has tls {port, fingerprint, pin} matching the banner" \
    "$HTTP_BODY" "
t = j['tls']
assert t == {'port': $TLS_PORT, 'fingerprint': '$fp', 'pin': '$pin'}, t
assert j['port'] == $TLS_PORT, j['port']
"
https "https://$host.local:$TLS_PORT/small.txt" --resolve "$host.local:$TLS_PORT:127.0.0.1"
is "$HTTP_STATUS" 200 "curl --cacert by the .local name ($host.local via --resolve): 200"
https "https://localhost:$TLS_PORT/small.txt" --resolve "localhost:$TLS_PORT:127.0.0.1"
is "$HTTP_STATUS" 200 "curl --cacert by localhost: 200"
https "https://wrong.example:$TLS_PORT/small.txt" \
    --resolve "wrong.example:$TLS_PORT:127.0.0.1"
is "$HTTP_STATUS:$HTTP_RC" 000:60 "a wrong name fails verification (curl exit 60)"
http -k --pinnedpubkey "$pin" "$U/small.txt"
is "$HTTP_STATUS" 200 "curl --pinnedpubkey with the advertised pin: 200"
http -k --pinnedpubkey "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" "$U/small.txt"
is "$HTTP_STATUS:$HTTP_RC" 000:90 "curl --pinnedpubkey with another pin fails (exit 90)"
http "$U/small.txt"
is "$HTTP_STATUS:$HTTP_RC" 000:60 "curl without the certificate refuses it (exit 60)"

# ---------------------------------------------------------------- 2. files
https "$U/big.bin"
is "$HTTP_STATUS" 200 "GET the 32 MiB file over TLS: 200"
sha256_is "$HTTP_BODY" "$want" "GET the 32 MiB file over TLS: sha256 matches"
https "$U/big.bin" -r 1000000-1999999
is "$HTTP_STATUS" 206 "Range over TLS: 206"
is "$(hdr Content-Range)" "bytes 1000000-1999999/$size" "Range over TLS: Content-Range"
slice "$root/big.bin" 1000000 1000000 "$FERRY_TMP/slice"
same_file "$HTTP_BODY" "$FERRY_TMP/slice" "Range over TLS: the bytes of the file"
https "$U/big.bin" -r -4096
is "$HTTP_STATUS:$(body_size)" 206:4096 "suffix Range over TLS: 206, 4096 bytes"
head -c 12345678 "$root/big.bin" >"$dl/resume.bin"
curl -q -sS --max-time $((30 * T_SCALE)) --cacert "$state/tls-cert.pem" -C - \
    -D "$FERRY_TMP/resume.hdrs" -o "$dl/resume.bin" "$U/big.bin" 2>"$FERRY_TMP/resume.err"
is "$?" 0 "curl -C - over TLS exits 0"
like "$(tr -d '\r' <"$FERRY_TMP/resume.hdrs")" \
    "^HTTP/1\\.1 206 .*Content-Range: bytes 12345678-$((size - 1))/$size" \
    "curl -C - over TLS: 206 from byte 12345678"
sha256_is "$dl/resume.bin" "$want" "the resumed file's sha256 matches"
curl -q -sS -v --max-time "$T_CURL" --cacert "$state/tls-cert.pem" -o /dev/null \
    -o /dev/null "$U/small.txt" "$U/small.txt" 2>"$FERRY_TMP/ka.err"
# curl 7.88 (Debian 12) says "Re-using existing connection", 8.14 (Debian 13) "Re-using existing https: connection".
like "$(cat "$FERRY_TMP/ka.err")" "Re-using existing (https: )?connection" \
    "keep-alive over TLS: the second request reuses the connection"

t0=$(date +%s%3N)
http --max-time 3 "http://127.0.0.1:$TLS_PORT/small.txt"
t1=$(date +%s%3N)
is "$HTTP_STATUS" 400 "plain HTTP to the HTTPS port: 400 (curl exit $HTTP_RC)"
like "$(cat "$HTTP_BODY")" "speaks HTTPS.*https://127\\.0\\.0\\.1:$TLS_PORT/ instead" \
    "the 400 names https://HOST:PORT/ (never the request target: it may hold a token)"
if [ $((t1 - t0)) -lt $((2000 * T_SCALE)) ]; then
    pass "the 400 comes at once ($((t1 - t0)) ms), no hang"
else
    fail "the 400 comes at once"
    diag "took $((t1 - t0)) ms"
fi

# ---------------------------------------------------------------- 3. protocol
scl -tls1_2 -servername localhost
like "$SCL" "Protocol *: TLSv1\\.2" "s_client -tls1_2: TLS 1.2 is spoken"
like "$SCL" "Cipher is ECDHE-ECDSA-AES128-GCM-SHA256" \
    "the preferred suite is ECDHE-ECDSA-AES128-GCM-SHA256 (forward secret)"
# OpenSSL 3.0 (Debian 12) says "Server Temp Key", 3.5 (Debian 13) "Peer Temp Key".
like "$SCL" "(Server|Peer) Temp Key: (X25519|ECDH)" "the key exchange is ephemeral ECDH"
like "$SCL" "Extended master secret: yes" "extended master secret is used"
before=$(log_count 'not within min/max')
for v in tls1 tls1_1 tls1_3; do
    scl "-$v" -cipher 'DEFAULT:@SECLEVEL=0'
    like "$SCL" "Cipher is \\(NONE\\)" "s_client -$v: refused"
done
is "$(log_count 'not within min/max')" $((before + 2)) \
    "the server refused TLS 1.0 and 1.1 itself (2 handshakes logged)"
weak="AES128-SHA AES256-SHA256 AES128-GCM-SHA256 ECDHE-ECDSA-AES128-SHA
ECDHE-ECDSA-AES256-SHA384 DHE-RSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES128-CCM
ECDHE-RSA-AES128-GCM-SHA256 ECDHE-ECDSA-ARIA128-GCM-SHA256"
# mbedTLS 2.28 names the cause; 3.x folded it into a generic handshake failure.
no_suite='no ciphersuites in common|The handshake negotiation failed'
before=$(log_count "$no_suite")
n=0
accepted=""
for c in $weak; do
    scl -tls1_2 -cipher "$c:@SECLEVEL=0"
    [[ $SCL == *"Cipher is (NONE)"* ]] || accepted+=" $c"
    n=$((n + 1))
done
is "$accepted" "" "no CBC, RSA-key-exchange, DHE, CCM or ARIA suite is accepted"
is "$(log_count "$no_suite")" $((before + n)) \
    "the server itself refused each of the $n weak suites"
for c in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 \
    ECDHE-ECDSA-CHACHA20-POLY1305; do
    scl -tls1_2 -cipher "$c"
    like "$SCL" "Cipher is $c" "$c is offered"
done
scl -tls1_2 -alpn h2,http/1.1
like "$SCL" "ALPN protocol: http/1.1" "ALPN: http/1.1 is chosen over h2"
reneg=$({ printf 'R\n'; sleep 1; } | timeout -k 1 "$T_WAIT" openssl s_client \
    -connect "127.0.0.1:$TLS_PORT" -tls1_2 2>&1)
like "$reneg" "RENEGOTIATING.*(no renegotiation|alert|error)" \
    "client-initiated renegotiation is refused"
scl -tls1_2 -sess_out "$FERRY_TMP/sess1.pem"
like "$SCL" "New, TLSv1\\.2" "a first connection: a full handshake"
scl -tls1_2 -sess_in "$FERRY_TMP/sess1.pem"
like "$SCL" "Reused, TLSv1\\.2" "a second one resumes the session (Reused)"
scl -tls1_2 -sess_in "$FERRY_TMP/sess1.pem" -no_ticket
like "$SCL" "Reused, TLSv1\\.2|New, TLSv1\\.2" "without tickets: still a TLS 1.2 session"

if command -v testssl >/dev/null 2>&1 || command -v testssl.sh >/dev/null 2>&1; then
    ts=$(command -v testssl || command -v testssl.sh)
    timeout -k 5 $((120 * T_SCALE)) "$ts" --quiet --color 0 --warnings off --ip one \
        -p -s -f -R "127.0.0.1:$TLS_PORT" >"$FERRY_TMP/testssl.out" 2>&1
    out=$(tr -s ' ' <"$FERRY_TMP/testssl.out")
    if [[ $out == *"TLS 1.2 offered (OK)"* && $out == *"SSLv3 not offered (OK)"* &&
        $out =~ TLS\ 1\ not\ offered && $out =~ TLS\ 1\.1\ not\ offered &&
        $out == *"Obsolete CBC ciphers (AES, ARIA etc.) not offered"* &&
        $out == *"PFS is offered (OK)"* &&
        $out == *"Secure Client-Initiated Renegotiation not vulnerable (OK)"* &&
        $out != *"NOT ok"* ]]; then
        pass "testssl.sh -p -s -f -R: only TLS 1.2, no weak ciphers, PFS, no renegotiation"
    else
        fail "testssl.sh -p -s -f -R: only TLS 1.2, no weak ciphers, PFS, no renegotiation"
        diag_file "$FERRY_TMP/testssl.out" 60
    fi
else
    skip "testssl.sh -p -s -f -R" "testssl.sh not installed (apt-get install testssl.sh)"
fi

# ---------------------------------------------------------------- 4. bad clients
# A client that sends half a ClientHello and waits: ferryd must drop it
# after its handshake timeout (10 s); it runs while the rest goes on.
"$PYTHON" - "$TLS_PORT" $((20 * T_SCALE)) >"$FERRY_TMP/stall.out" 2>&1 <<'EOF_PY' &
import socket, ssl, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = out.read()
s = socket.create_connection(("127.0.0.1", port))
s.sendall(hello[: len(hello) // 2])
t0 = time.monotonic()
s.settimeout(limit)
try:
    data = s.recv(100)
    how = "closed" if not data else "data"
except socket.timeout:
    how = "still open"
except OSError as e:
    how = "reset"
print("%s %.1f" % (how, time.monotonic() - t0))
EOF_PY
stall_pid=$!
track_pid "$stall_pid"

# Let the connections of the tests above wind down, then count.
for ((i = 0; i < 20 * T_WAIT; i++)); do
    a=$(fd_count "$pid")
    sleep 0.05
    [ "$a" = "$(fd_count "$pid")" ] && break
done
base=$(fd_count "$pid")
diag "ferryd has $base fds before the bad clients (one of them the stalled client)"

"$PYTHON" - "$TLS_PORT" 200 >"$FERRY_TMP/bad.out" 2>&1 <<'EOF_PY'
import os, random, socket, ssl, sys, threading
from concurrent.futures import ThreadPoolExecutor
port, n = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
HELLO = out.read()

def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s

def garbage_tls(i):      # a record header of a handshake, then noise
    s = conn(); s.sendall(b"\x16\x03\x01\x00\x40" + os.urandom(64)); s.close()
def garbage(i):          # noise that is not TLS, closed at once
    s = conn(); s.sendall(bytes([random.choice([0, 1, 0x47, 0x80, 0xff])]) + os.urandom(299))
    s.close()
def half_hello(i):
    s = conn(); s.sendall(HELLO[: len(HELLO) // 2]); s.close()
def full_hello(i):       # the hello, then gone before the answer is read
    s = conn(); s.sendall(HELLO); s.close()
def hello_then_wait(i):  # the hello, read the server's flight, then gone
    s = conn(); s.sendall(HELLO)
    try: s.recv(4096)
    except OSError: pass
    s.close()
def connect_close(i):
    s = conn(); s.close()
def reset(i):            # RST instead of FIN
    s = conn(); s.sendall(HELLO)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
def tls_then_close(i):
    s = ctx.wrap_socket(conn(), server_hostname="localhost"); s.close()
def tls_half_request(i):
    s = ctx.wrap_socket(conn(), server_hostname="localhost")
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n"); s.close()
def tls_cut_download(i): # a download cut after 256 KiB, without close_notify
    s = ctx.wrap_socket(conn(), server_hostname="localhost")
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    got = 0
    while got < 262144:
        d = s.recv(65536)
        if not d: break
        got += len(d)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
def plain_http(i):
    s = conn(); s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    try: s.recv(4096)
    except OSError: pass
    s.close()

kinds = [garbage_tls, garbage, half_hello, full_hello, hello_then_wait, connect_close,
         reset, tls_then_close, tls_half_request, tls_cut_download, plain_http]
errors = {}
def run(i):
    k = kinds[i % len(kinds)]
    try:
        k(i)
    except Exception as e:
        errors[k.__name__] = errors.get(k.__name__, 0) + 1
with ThreadPoolExecutor(max_workers=16) as ex:
    list(ex.map(run, range(n)))
print("done", n, "client-side errors:", errors)
EOF_PY
diag "$(cat "$FERRY_TMP/bad.out")"
ok_if "ferryd survives 200 bad clients" alive "$pid"
got=0
for ((i = 0; i < 20 * T_WAIT; i++)); do
    got=$(fd_count "$pid")
    [ "$got" -le "$base" ] && break
    sleep 0.05
done
if [ "$got" -le "$base" ]; then
    pass "after 200 bad clients ferryd is back to $got fds (baseline $base)"
else
    fail "after 200 bad clients ferryd is back to its fds"
    diag "$got fds, baseline $base:" "$(ls -l "/proc/$pid/fd" | tail -n 20)"
fi
https "$U/small.txt"
is "$HTTP_STATUS" 200 "ferryd still serves HTTPS after the bad clients"
like "$(log_count 'TLS handshake with 127\.0\.0\.1:[0-9]+ failed')" '^[1-9][0-9]*$' \
    "failed handshakes are logged with the peer's address (rate-limited)"
wait "$stall_pid"
forget_pid "$stall_pid"
st=$(cat "$FERRY_TMP/stall.out")
like "$st" '^(closed|reset) ([0-9]+)\.' \
    "a stalled handshake is dropped by ferryd ($st s)"
secs=${st#* }
secs=${secs%.*}
if [ "${secs:-99}" -ge 9 ] 2>/dev/null && [ "${secs:-99}" -le $((12 * T_SCALE)) ]; then
    pass "... after the 10 s handshake timeout"
else
    fail "... after the 10 s handshake timeout"
    diag "after '$secs' s"
fi
like "$(log_count 'failed: timed out after 10 s')" '^[1-9]' \
    "the timeout is logged once with the peer's address"

ferry_stop TERM "$pid"

# ---------------------------------------------------------------- 5. restarts
ferry_start "$root" --tls --state-dir "$state" || bail_out "ferryd did not restart"
is "$(banner_fp)" "$fp" "after a restart: the same fingerprint"
is "$(banner_pin)" "$pin" "after a restart: the same pin"
https "$FERRY_BASE/small.txt"
is "$HTTP_STATUS" 200 "after a restart: the kept certificate still verifies"
ferry_stop TERM
printf 'this is not a key\n' >"$state/tls-key.pem"
ferry_start "$root" --tls --state-dir "$state" || bail_out "ferryd did not start on a corrupt key"
isnt "$(banner_fp)" "$fp" "a corrupt key: a new fingerprint"
isnt "$(banner_pin)" "$pin" "a corrupt key: a new key pin"
ok_if "a corrupt key: the log says so and names the file" \
    grep -qE 'tls-key\.pem is corrupt.*generating a new key' "$FERRY_ERR"
diag "$(grep -m1 corrupt "$FERRY_ERR")"
is "$(stat -c %a "$state/tls-key.pem")" 600 "the new key file has mode 0600"
https "$FERRY_BASE/small.txt"
is "$HTTP_STATUS" 200 "the new certificate verifies"
fp=$(banner_fp)
ferry_stop TERM

# The user's own certificate and key, used as given; nothing made.
cp "$state/tls-cert.pem" "$FERRY_TMP/my-cert.pem"
cp "$state/tls-key.pem" "$FERRY_TMP/my-key.pem"
ferry_start "$root" --tls --state-dir "$FERRY_TMP/state-user" \
    --tls-cert "$FERRY_TMP/my-cert.pem" --tls-key "$FERRY_TMP/my-key.pem" ||
    bail_out "ferryd did not start with --tls-cert/--tls-key"
is "$(banner_fp)" "$fp" "--tls-cert/--tls-key: that certificate's fingerprint"
ok_if "--tls-cert/--tls-key: no key is made in the state folder" \
    test ! -e "$FERRY_TMP/state-user/tls-key.pem"
ferry_stop TERM

# Option errors: at once, naming what is wrong.
ferry_run --tls --tls-cert "$FERRY_TMP/my-cert.pem" --no-qr "$root"
like "$RUN_RC:$(cat "$RUN_ERR")" '^2:.*--tls-cert needs --tls-key' \
    "--tls-cert without --tls-key: exit 2 and says so"
ferry_run --tls --tls-port 9999 --no-qr "$root"
like "$RUN_RC:$(cat "$RUN_ERR")" '^2:.*--tls-port is for --tls=both' \
    "--tls-port with --tls (HTTPS only): exit 2 and says so"
ferry_run --tls=bogus --no-qr "$root"
like "$RUN_RC:$(cat "$RUN_ERR")" "^2:.*tls 'bogus'" "--tls=bogus: exit 2 and says so"
ferry_run --tls-cert "$FERRY_TMP/my-cert.pem" --tls-key "$FERRY_TMP/my-key.pem" --no-qr "$root"
like "$RUN_RC:$(cat "$RUN_ERR")" '^2:.*need --tls' "--tls-cert without --tls: exit 2"
printf 'tls = sometimes\n' >"$FERRY_TMP/bad.ini"
ferry_run -c "$FERRY_TMP/bad.ini" --no-qr "$root"
like "$RUN_RC:$(cat "$RUN_ERR")" "^2:.*bad\\.ini:1: tls 'sometimes'" \
    "tls = sometimes in a config file: exit 2 naming the file and line"
ferry_run --bind 127.0.0.1 --port 0 --tls --tls-cert "$FERRY_TMP/missing.pem" \
    --tls-key "$FERRY_TMP/my-key.pem" --no-qr --state-dir "$state" "$root"
like "$RUN_RC:$(cat "$RUN_ERR")" "^1:.*cannot read the certificate '$FERRY_TMP/missing\\.pem'" \
    "an unreadable --tls-cert: exit 1 naming the path"
openssl ecparam -name prime256v1 -genkey -noout -out "$FERRY_TMP/other-key.pem" 2>/dev/null
ferry_run --bind 127.0.0.1 --port 0 --tls --tls-cert "$FERRY_TMP/my-cert.pem" \
    --tls-key "$FERRY_TMP/other-key.pem" --no-qr --state-dir "$state" "$root"
like "$RUN_RC:$(cat "$RUN_ERR")" "^1:.*other-key\\.pem' does not belong to the certificate" \
    "a key that is not the certificate's: exit 1 naming both"

# ---------------------------------------------------------------- 6. both
FERRY_URL_RE='http://127\.0\.0\.1:[0-9]*/'
printf '[ferryd]\ntls-port = 0\n' >"$FERRY_TMP/both.ini"
ferry_start "$root" --tls=both -c "$FERRY_TMP/both.ini" --state-dir "$state" ||
    bail_out "ferryd --tls=both did not start"
http_port=$FERRY_PORT
https_url=$(grep -m1 -o 'https://127\.0\.0\.1:[0-9]*/' "$FERRY_OUT")
https_port=${https_url%/}
https_port=${https_port##*:}
like "$(head -n 1 "$FERRY_OUT")" "on port $http_port \\(HTTP\\) and port $https_port \\(HTTPS\\)" \
    "--tls=both: the banner names both ports"
isnt "$https_port" "$http_port" "--tls=both: two different ports"
http "http://127.0.0.1:$http_port/small.txt"
is "$HTTP_STATUS" 200 "--tls=both: HTTP answers on the HTTP port"
https "https://127.0.0.1:$https_port/.ferry/status"
json_ok "--tls=both: HTTPS answers on the HTTPS port; status has both ports" "$HTTP_BODY" "
assert j['port'] == $http_port and j['tls']['port'] == $https_port, j
"
ferry_stop TERM

# ---------------------------------------------------------------- 7. lifecycle
FERRY_URL_RE='https://127\.0\.0\.1:[0-9]*/'
SOCK=$FERRY_TMP/ctl.sock
ctl() {
    CTL_OUT=$(timeout -k 1 "$T_WAIT" "$FERRYCTL" -s "$SOCK" "$@" 2>&1)
    CTL_RC=$?
}
ctl_state() {
    ctl status
    "$PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1][3:])["state"])' \
        "$CTL_OUT" 2>/dev/null
}
ferry_start "$root" --tls --os fake --control "$SOCK" --state-dir "$state" ||
    bail_out "ferryd --tls --os fake did not start"
U=$FERRY_BASE
TLS_PORT=$FERRY_PORT
scl -tls1_2 -sess_out "$FERRY_TMP/sess2.pem"
like "$SCL" "New, TLSv1\\.2" "lifecycle: a TLS session is saved"
rm -f "$dl/lc.bin"
curl -q -sS --limit-rate 2M --max-time $((60 * T_SCALE)) --cacert "$state/tls-cert.pem" \
    -o "$dl/lc.bin" "$U/big.bin" 2>"$FERRY_TMP/lc.err" &
cpid=$!
track_pid "$cpid"
for ((i = 0; i < 20 * T_WAIT; i++)); do
    [ "$(file_size "$dl/lc.bin" 2>/dev/null || echo 0)" -ge 1048576 ] && break
    sleep 0.05
done
ctl background
is "$(ctl_state)" finishing "background with a TLS download open: finishing"
ctl expire
is "$(ctl_state)" quiet "expire: quiet"
if wait_gone "$cpid" "$T_WAIT"; then
    wait "$cpid"
    crc=$?
else
    crc=hung
fi
forget_pid "$cpid"
like "$crc" '^(18|56)$' "the TLS download is cut by expire (curl exit $crc)"
like "$(log_count 'TLS: ended [1-9]')" '^[1-9]' "the TLS front end ended its connections"
https "$U/small.txt" --max-time 2
is "$HTTP_STATUS:$HTTP_RC" 000:7 "quiet: the HTTPS port refuses connections"
ctl suspend
is "$(ctl_state)" suspended "suspend"
https "$U/small.txt" --max-time 2
is "$HTTP_STATUS:$HTTP_RC" 000:7 "suspended: the HTTPS port refuses connections"
ctl resume
ctl foreground
is "$(ctl_state)" foreground "resume + foreground"
https "$U/small.txt"
is "$HTTP_STATUS" 200 "HTTPS answers again on the same port ($TLS_PORT)"
scl -tls1_2 -sess_in "$FERRY_TMP/sess2.pem"
like "$SCL" "Reused, TLSv1\\.2" "the TLS session saved before the suspension is resumed"
curl -q -sS --max-time $((30 * T_SCALE)) --cacert "$state/tls-cert.pem" -C - \
    -o "$dl/lc.bin" "$U/big.bin" 2>"$FERRY_TMP/lc2.err"
is "$?" 0 "curl -C - over TLS after resume exits 0"
sha256_is "$dl/lc.bin" "$want" "the download cut by the suspension completes (sha256)"
ferry_stop TERM

finish
