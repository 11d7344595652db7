#!/bin/bash
# t-slowbody.sh — slow upload bodies are bounded (issue 16, point 7;
# red-team F17: 1,000 trickling PUTs held 223 MiB and 4,020 fds, and
# memory stayed after they closed). Starts the real ferryd on port 0 with
# its default caps and drives it with raw sockets from Python.
#   1. 300 PUTs from 127.0.0.2, each sending 200 KiB of a 1 GB body and
#      then a byte a second: the per-address cap (128) keeps 128, the
#      rest get a 503 (or a close) at once.
#   2-3. Meanwhile 127.0.0.1 is served within a second, and ferryd's memory
#      and descriptors stay bounded (about what 128 such uploads need).
#   4-5. Once they close, the descriptors go back, and the memory too
#      (RSS within 6 MiB of where it started; skipped under ASan, whose
#      allocator keeps freed memory in quarantine).
#   6. SIGTERM stops ferryd.
# The figures are printed as TAP comments for the README's table.
. "$(dirname "$0")/lib.sh"

plan 6
need_cmd curl

root=$FERRY_TMP/share
mkdir -p "$root"
echo hello >"$root/a.txt"

# rss_kib: ferryd's resident memory (KiB).
rss_kib() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$FERRY_PID/status" 2>/dev/null
}

# slow.py PORT SRC N TOKEN: N trickling PUTs from SRC with a bearer token. Prints "kept K refused R"
# once the server has refused all it will (at most 15 s), trickles a byte
# a second on the kept ones until a line on stdin, then closes them all
# and prints "closed".
cat >"$FERRY_TMP/slow.py" <<'EOF_PY'
import resource, select, socket, sys, threading, time
port, src, n, tok = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4].encode()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
body = b"x" * (200 * 1024)
socks = []
for i in range(n):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"PUT /slow%d.bin HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                  b"Authorization: Bearer %s\r\n"
                  b"Content-Length: 1000000000\r\n\r\n" % (i, port, tok))
        s.setblocking(False)
        s.send(body)
    except OSError:
        pass
    socks.append(s)
ended = set()
deadline = time.monotonic() + 15
last = -1
while time.monotonic() < deadline:
    r, _, _ = select.select([s for s in socks if s not in ended], [], [], 0.5)
    ended.update(r)
    if not r and len(ended) == last:
        break  # nothing more refused for 0.5 s
    last = len(ended)
print("kept %d refused %d" % (len(socks) - len(ended), len(ended)), flush=True)
live = [s for s in socks if s not in ended]
stop = threading.Event()
def trickle():
    while not stop.wait(1):
        for s in live:
            try:
                s.send(b"y")
            except OSError:
                pass
threading.Thread(target=trickle, daemon=True).start()
sys.stdin.readline()
stop.set()
for s in socks:
    s.close()
print("closed", flush=True)
EOF_PY

# With access control on, as the red team ran it (the bearer check's
# allocations between the uploads' buffers are what kept memory before).
SOCK=$FERRY_TMP/ctl.sock
ferry_start "$root" --auth token --no-mdns --state-dir "$FERRY_TMP/state" --control "$SOCK" ||
    bail_out "ferryd did not start"
ctl token create slow
tok=$(awk '{ print $3 }' <<<"$CTL_OUT")
[ -n "$tok" ] || bail_out "no token: '$CTL_OUT' '$CTL_ERR'"
auth=(-H "Authorization: Bearer $tok")
http "${auth[@]}" "$FERRY_URL/a.txt" # warm up: the first request's allocations
base_fds=$(fd_count)
rss0=$(rss_kib)
spawn_py "$FERRY_TMP/slow.py" "$FERRY_PORT" 127.0.0.2 300 "$tok"
line=""
read -r -t 40 line <&"$PY_OUT"
is "$line" "kept 128 refused 172" "300 slow PUTs from 127.0.0.2: 128 kept, 172 refused"
sleep 2 # two trickles: the kept uploads are at their steady state
rss1=$(rss_kib)
held_fds=$(fd_count)
t0=$(date +%s%N)
http "${auth[@]}" --interface 127.0.0.1 "$FERRY_URL/a.txt"
ms=$((($(date +%s%N) - t0) / 1000000))
grow=$(((rss1 - rss0) / 1024))
diag "figure: 128 slow PUTs held: RSS +${grow} MiB (from $((rss0 / 1024)) MiB), $((held_fds - base_fds)) fds; 127.0.0.1 served in ${ms} ms"
if [ "$HTTP_STATUS" = 200 ] && [ "$ms" -lt 1000 ]; then
    pass "127.0.0.1 is served within a second meanwhile (${ms} ms)"
else
    fail "127.0.0.1 is served within a second meanwhile (status $HTTP_STATUS, ${ms} ms)"
fi
# 128 uploads: 64 KiB of buffer, an 8 KiB connection pool, 4 fds each.
if [ "$grow" -lt 24 ] && [ $((held_fds - base_fds)) -le $((128 * 4 + 8)) ]; then
    pass "memory and fds stay bounded (RSS +${grow} MiB, $((held_fds - base_fds)) fds)"
else
    fail "memory and fds stay bounded (RSS +${grow} MiB, $((held_fds - base_fds)) fds; at most 24 MiB and 520 fds expected)"
fi
(echo go >&"$PY_IN") 2>/dev/null # a subshell: SIGPIPE if it is gone
read -r -t 30 line <&"$PY_OUT"
ok_if "once they close, the fds go back ($base_fds)" fds_back_to "$base_fds"
rss2=$(rss_kib)
left=$(((rss2 - rss0) / 1024))
diag "figure: after they closed: RSS $((rss2 / 1024)) MiB (+${left} MiB from the start)"
if grep -q libasan "/proc/$FERRY_PID/maps" 2>/dev/null; then
    skip "the memory goes back" "ASan keeps freed memory in quarantine"
elif [ "$left" -le 6 ]; then
    pass "the memory goes back (+${left} MiB from the start)"
else
    fail "the memory goes back (+${left} MiB from the start; at most 6 expected)"
fi
ferry_stop TERM

finish
