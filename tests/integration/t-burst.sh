#!/bin/bash
# t-burst.sh — no connection pattern wedges ferryd, and one client address
# cannot take the connections of the others (issue 16, point 1; red-team
# F1). Starts the real ferryd on port 0 and drives it with raw sockets from
# Python (bound to loopback aliases 127.0.0.2, 127.0.0.3, which are distinct
# client addresses on Linux).
#   1-4. A burst of 5,000 connections opened within about a second (no
#        bytes sent) and closed, as in F1: a client from another address is
#        served during the burst; a new client from the burst's address is
#        answered within a second or two after it closes; SIGTERM stops
#        ferryd. (libmicrohttpd 0.9.75 alone deadlocked here for good.)
#   5-10. Per-address cap (--max-connections-per-address 16): of 200 idle
#        connections from 127.0.0.2 exactly 16 are kept, the rest get a
#        503 (or a close) at once; 127.0.0.1 is served meanwhile; when the
#        200 close, the count goes back to zero (16 new ones are all kept).
#   11-14. The same for HTTPS (--tls): idle TLS connections count too;
#        the excess is closed; a TLS client from 127.0.0.1 is served.
# The figures (ms) are printed as TAP comments for the README's table.
. "$(dirname "$0")/lib.sh"

plan 14
need_cmd curl
"$PYTHON" -c 'import ssl' 2>/dev/null || skip_all "python3 without ssl"

root=$FERRY_TMP/share
mkdir -p "$root"
echo hello >"$root/a.txt"

# burst.py PORT N: opens N non-blocking connections from 127.0.0.1 as fast
# as it can, keeps them ~1 s (meanwhile times a GET from 127.0.0.2), closes
# them, then times GETs from 127.0.0.1 until one is answered (at most 20 s).
# Prints "opened N", "probe MS STATUS", "after MS STATUS".
cat >"$FERRY_TMP/burst.py" <<'EOF_PY'
import resource, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < n + 100:
    n = hard - 100
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

def get(src, timeout):
    t0 = time.monotonic()
    try:
        s = socket.socket()
        s.settimeout(timeout)
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % port)
        d = s.recv(100)
        s.close()
        st = d.split(b" ")[1].decode() if d.startswith(b"HTTP/") else "000"
    except OSError:
        st = "000"
    return (time.monotonic() - t0) * 1000, st

socks = []
t0 = time.monotonic()
for i in range(n):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    socks.append(c)
print("opened %d in %.0f ms" % (n, (time.monotonic() - t0) * 1000), flush=True)
time.sleep(0.2)  # the burst is queued; now a client from elsewhere
ms, st = get("127.0.0.2", 5)
print("probe %.0f %s" % (ms, st), flush=True)
time.sleep(max(0, 1.0 - (time.monotonic() - t0)))
for c in socks:
    c.close()
closed = time.monotonic()
st = "000"
while time.monotonic() - closed < 20:
    _, st = get("127.0.0.1", 2)
    if st == "200":
        break
    time.sleep(0.05)
print("after %.0f %s" % ((time.monotonic() - closed) * 1000, st), flush=True)
EOF_PY

# hold.py PORT SRC N KEEP [tls]: opens N connections from SRC (blocking
# connects, nothing sent) and waits until all but KEEP were ended by the
# server (a 503 or a close), at most 15 s. Prints "kept K refused R" where
# kept are those still open and silent. Then closes them all, waits until
# KEEP new ones from SRC are all kept (the count went back), and prints
# "again K refused R".
cat >"$FERRY_TMP/hold.py" <<'EOF_PY'
import select, socket, sys, time
port, src, n, keep = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def batch(n, keep, deadline):
    socks = []
    for i in range(n):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        socks.append(s)
    ended = set()
    while time.monotonic() < deadline:
        r, _, _ = select.select([s for s in socks if s not in ended], [], [], 0.1)
        for s in r:
            ended.add(s)  # a 503, an EOF or a reset: refused
        if len(socks) - len(ended) <= keep:
            break
    time.sleep(0.3)  # anything refused late would show now
    r, _, _ = select.select([s for s in socks if s not in ended], [], [], 0)
    ended.update(r)
    return socks, len(socks) - len(ended), len(ended)

socks, kept, refused = batch(n, keep, time.monotonic() + 15)
print("kept %d refused %d" % (kept, refused), flush=True)
sys.stdin.readline()  # the test probes meanwhile
for s in socks:
    s.close()
deadline = time.monotonic() + 10
while True:
    socks, kept, refused = batch(keep, keep, time.monotonic() + 1)
    if refused == 0 or time.monotonic() > deadline:
        break
    for s in socks:
        s.close()
    time.sleep(0.1)
print("again %d refused %d" % (kept, refused), flush=True)
for s in socks:
    s.close()
EOF_PY

# ---------------------------------------------------------------- 1-4 burst
ferry_start "$root" || bail_out "ferryd did not start"
out=$("$PYTHON" "$FERRY_TMP/burst.py" "$FERRY_PORT" 5000 2>&1)
diag "$out"
probe=$(sed -n 's/^probe //p' <<<"$out")
after=$(sed -n 's/^after //p' <<<"$out")
like "$probe" '^[0-9]+ 200$' "during a burst of 5000 connections from 127.0.0.1, 127.0.0.2 is served"
probe_ms=${probe%% *}
if [[ $probe =~ ^[0-9]+\ 200$ ]] && [ "$probe_ms" -lt 1000 ]; then
    pass "... within a second (${probe_ms} ms)"
else
    fail "... within a second"
    diag "got '$probe'"
fi
after_ms=${after%% *}
if [[ $after =~ ^[0-9]+\ 200$ ]] && [ "$after_ms" -lt 2000 ]; then
    pass "after the burst closes, 127.0.0.1 is answered within 2 s (${after_ms} ms)"
else
    fail "after the burst closes, 127.0.0.1 is answered within 2 s"
    diag "got '$after'"
    diag_file "$FERRY_ERR"
fi
diag "figure: burst of 5000: second client served in ${probe_ms:-?} ms; first answer ${after_ms:-?} ms after the burst closed"
ferry_stop TERM

# ---------------------------------------------------------------- 5-10 per address
ferry_start "$root" --max-connections 64 --max-connections-per-address 16 ||
    bail_out "ferryd did not start with the caps"
spawn_py "$FERRY_TMP/hold.py" "$FERRY_PORT" 127.0.0.2 200 16
line=""
read -r -t 30 line <&"$PY_OUT"
is "$line" "kept 16 refused 184" "127.0.0.2 opening 200: 16 kept, 184 refused at once"
t0=$(date +%s%N)
http --interface 127.0.0.1 "$FERRY_URL/a.txt"
ms=$((($(date +%s%N) - t0) / 1000000))
is "$HTTP_STATUS" 200 "127.0.0.1 is served while 127.0.0.2 holds its 16"
if [ "$ms" -lt 1000 ]; then pass "... within a second (${ms} ms)"; else fail "... within a second (${ms} ms)"; fi
diag "figure: 16 held by 127.0.0.2 (cap 16): 127.0.0.1 served in ${ms} ms"
http --interface 127.0.0.3 "$FERRY_URL/a.txt"
is "$HTTP_STATUS" 200 "127.0.0.3 too"
raw=$("$PYTHON" - "$FERRY_PORT" <<'EOF_PY'
import socket, sys
ss = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), source_address=("127.0.0.2", 0))]
ss[0].settimeout(5)
try:
    print(ss[0].recv(200).split(b"\r\n")[0].decode())
except OSError as e:
    print("error", e)
EOF_PY
)
like "$raw" '^(HTTP/1\.1 503|$)' "a 17th connection from 127.0.0.2 gets 503 (or a close)"
(echo go >&"$PY_IN") 2>/dev/null # a subshell: SIGPIPE if it is gone
line=""
read -r -t 30 line <&"$PY_OUT"
is "$line" "again 16 refused 0" "once they close, 127.0.0.2 may hold 16 again (the count went back)"
wait "$PY_PID" 2>/dev/null
ferry_stop TERM

# ---------------------------------------------------------------- 11-13 TLS
FERRY_URL_RE='https://127\.0\.0\.1:[0-9]*/'
ferry_start "$root" --tls --state-dir "$FERRY_TMP/state-tls" --max-connections-per-address 16 ||
    bail_out "ferryd --tls did not start"
spawn_py "$FERRY_TMP/hold.py" "$FERRY_PORT" 127.0.0.2 100 16
line=""
read -r -t 30 line <&"$PY_OUT"
is "$line" "kept 16 refused 84" "HTTPS: 127.0.0.2 opening 100 idle: 16 kept, 84 closed at once"
t0=$(date +%s%N)
http -k --interface 127.0.0.1 "$FERRY_URL/a.txt"
ms=$((($(date +%s%N) - t0) / 1000000))
is "$HTTP_STATUS" 200 "HTTPS: 127.0.0.1 is served meanwhile (${ms} ms)"
(echo go >&"$PY_IN") 2>/dev/null # a subshell: SIGPIPE if it is gone
ferry_stop TERM

finish
