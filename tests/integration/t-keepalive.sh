#!/bin/bash
# t-keepalive.sh — persistent connections: one connection carries GET, HEAD,
# 304, 206 and pipelined requests and still answers after idling; sixteen
# idle connections neither starve a new client (ferryd runs with two worker
# threads) nor get dropped; curl reuses one connection for several URLs;
# "Connection: close" and HTTP/1.0 close; a request sent in slow pieces is
# served. Every socket operation has a timeout; every loop is bounded.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl

plan 25

root=$FERRY_TMP/root
mkdir "$root"
printf 'small file body\n' >"$root/small.txt"
printf 'aaaa\n' >"$root/a.txt"
printf 'bbbbbbbb\n' >"$root/b.txt"
head -c 1048576 /dev/urandom >"$root/mid.bin"

ferry_start "$root" --threads 2 || bail_out "ferryd did not start"

# The client prints one line per check: "P<TAB>text" or "F<TAB>text<TAB>why",
# always the same checks in the same order, whatever happens.
"$PYTHON" - "$FERRY_PORT" "$root" "$T_SCALE" >"$FERRY_TMP/ka.out" 2>"$FERRY_TMP/ka.err" <<'EOF'
import os, socket, sys, time

PORT, ROOT, SCALE = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
TMO = 5.0 * SCALE
def out(ok, text, why=""):
    print("%s\t%s\t%s" % ("P" if ok else "F", text, why.replace("\n", " ")), flush=True)
def data(name):
    return open(os.path.join(ROOT, name), "rb").read()

class Conn:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=TMO)
        self.buf = b""
    def send(self, raw):
        self.s.sendall(raw)
    def req(self, method, path, headers=(), version="HTTP/1.1"):
        h = "".join("%s: %s\r\n" % kv for kv in headers)
        self.send(("%s %s %s\r\nHost: 127.0.0.1\r\n%s\r\n" % (method, path, version, h)).encode())
    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        self.buf += chunk
    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line
    def _n(self, n):
        while len(self.buf) < n:
            self._fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d
    def resp(self, method="GET"):
        status = self._line().decode("latin-1")
        parts = status.split(" ", 2)
        code = int(parts[1])
        hdrs = {}
        while True:
            line = self._line()
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            hdrs[k.strip().lower()] = v.strip()
        body = b""
        if method == "HEAD" or code in (204, 304) or 100 <= code < 200:
            pass
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            while True:
                n = int(self._line().split(b";")[0], 16)
                if n == 0:
                    while self._line():
                        pass
                    break
                body += self._n(n)
                self._n(2)
        elif "content-length" in hdrs:
            body = self._n(int(hdrs["content-length"]))
        else:
            while True:
                try:
                    self._fill()
                except EOFError:
                    break
            body, self.buf = self.buf, b""
        return code, hdrs, body
    def closed_by_server(self, wait):
        """True if the server closes within `wait` seconds with nothing more sent."""
        self.s.settimeout(wait)
        try:
            extra = self.s.recv(1)
        except socket.timeout:
            return False
        except OSError:
            return True
        finally:
            self.s.settimeout(TMO)
        return extra == b""
    def close(self):
        self.s.close()

def check(text, fn):
    try:
        why = fn()
    except Exception as e:
        why = "%s: %s" % (type(e).__name__, e)
    out(not why, text, why or "")

small, a, b, mid = data("small.txt"), data("a.txt"), data("b.txt"), data("mid.bin")

# ---- one connection, many kinds of response, idle pauses
c = None
etag = None
def first():
    global c, etag
    c = Conn()
    c.req("GET", "/small.txt")
    code, h, body = c.resp()
    etag = h.get("etag")
    if code != 200 or body != small:
        return "got %d %r" % (code, body[:60])
    if "close" in h.get("connection", "").lower():
        return "the 200 says Connection: close"
def head():
    c.req("HEAD", "/mid.bin")
    code, h, body = c.resp("HEAD")
    if code != 200 or h.get("content-length") != str(len(mid)):
        return "got %d, Content-Length %r" % (code, h.get("content-length"))
def cond():
    c.req("GET", "/small.txt", [("If-None-Match", etag or '"none"')])
    code, h, body = c.resp()
    if code != 304:
        return "got %d" % code
def ranged():
    c.req("GET", "/mid.bin", [("Range", "bytes=1000-1999")])
    code, h, body = c.resp()
    if code != 206 or body != mid[1000:2000]:
        return "got %d, %d bytes" % (code, len(body))
def after_idle(secs):
    def f():
        time.sleep(secs)
        c.req("GET", "/mid.bin")
        code, h, body = c.resp()
        if code != 200 or body != mid:
            return "got %d, %d bytes" % (code, len(body))
    return f
def pipelined():
    raw = b"".join(b"GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % n
                   for n in (b"a.txt", b"b.txt", b"small.txt"))
    c.send(raw)
    got = [c.resp()[2] for _ in range(3)]
    if got != [a, b, small]:
        return "bodies out of order or wrong: %r" % [g[:20] for g in got]
def not_found():
    c.req("GET", "/nope.txt")
    code, h, body = c.resp()
    if code != 404:
        return "got %d" % code

check("GET /small.txt on a new keep-alive connection: 200", first)
check("HEAD on the same connection: 200 with Content-Length, no body", head)
check("If-None-Match on the same connection: 304", cond)
check("Range on the same connection: 206 with the right bytes", ranged)
check("after 2 s idle the same connection serves a 1 MiB GET", after_idle(2.0))
check("three pipelined GETs: answered in order", pipelined)
check("after another 1.5 s idle the connection still serves", after_idle(1.5))
check("404 on the same connection", not_found)
check("the connection is still open after all that",
      lambda: "the server closed it" if c.closed_by_server(0.3) else None)
try:
    c.close()
except Exception:
    pass

# ---- many idle connections do not starve a new client
conns = []
def open_many():
    for i in range(16):
        k = Conn()
        k.req("GET", "/a.txt")
        code, h, body = k.resp()
        if code != 200 or body != a:
            return "connection %d: got %d" % (i, code)
        conns.append(k)
def newcomer():
    t0 = time.monotonic()
    k = Conn()
    k.req("GET", "/b.txt")
    code, h, body = k.resp()
    dt = time.monotonic() - t0
    k.close()
    if code != 200 or body != b:
        return "got %d" % code
    if dt > 2.0 * SCALE:
        return "took %.2f s" % dt
def all_again():
    time.sleep(1.5)
    bad = []
    for i, k in enumerate(conns):
        try:
            k.req("GET", "/b.txt")
            code, h, body = k.resp()
            if code != 200 or body != b:
                bad.append("%d:%d" % (i, code))
        except Exception as e:
            bad.append("%d:%s" % (i, e))
    if bad:
        return "failed: %s" % ", ".join(bad)

check("16 keep-alive connections each get 200", open_many)
check("with 16 idle connections (2 threads) a new client is served within 2 s", newcomer)
check("after 1.5 s idle all 16 connections serve a second request", all_again)
for k in conns:
    try:
        k.close()
    except Exception:
        pass

# ---- closing on request
def conn_close():
    k = Conn()
    k.req("GET", "/small.txt", [("Connection", "close")])
    code, h, body = k.resp()
    if code != 200 or body != small:
        return "got %d" % code
    if not k.closed_by_server(2.0 * SCALE):
        return "the server kept the connection open"
def http10():
    k = Conn()
    k.req("GET", "/small.txt", version="HTTP/1.0")
    code, h, body = k.resp()
    if code != 200 or body != small:
        return "got %d" % code
    if not k.closed_by_server(2.0 * SCALE):
        return "the server kept an HTTP/1.0 connection open"
check("Connection: close: 200, then the server closes", conn_close)
check("HTTP/1.0 without keep-alive: 200, then the server closes", http10)

# ---- a request that arrives in slow pieces
def slow():
    k = Conn()
    for piece in (b"GET /sm", b"all.txt HTTP/1.1\r\nHo", b"st: 127.0.0.1\r\n", b"\r\n"):
        k.send(piece)
        time.sleep(0.3)
    code, h, body = k.resp()
    k.close()
    if code != 200 or body != small:
        return "got %d" % code
check("a request sent in four pieces 0.3 s apart: 200", slow)
EOF
echo "python exit $?" >>"$FERRY_TMP/ka.err"

n_py=0
while IFS=$'\t' read -r res text why; do
    n_py=$((n_py + 1))
    if [ "$res" = P ]; then
        pass "$text"
    else
        fail "$text"
        diag "$why"
    fi
done <"$FERRY_TMP/ka.out"
if [ "$n_py" -ne 15 ]; then
    diag "the Python client reported $n_py checks, not 15:"
    diag_file "$FERRY_TMP/ka.err"
fi

# ---------------------------------------------------------------- curl
curl -q -sS -v --max-time "$T_CURL" -o "$FERRY_TMP/c1" "$FERRY_BASE/a.txt" \
    -o "$FERRY_TMP/c2" "$FERRY_BASE/b.txt" -o "$FERRY_TMP/c3" "$FERRY_BASE/small.txt" \
    -o "$FERRY_TMP/c4" "$FERRY_BASE/mid.bin" 2>"$FERRY_TMP/curl.err"
is "$?" 0 "curl with four URLs exits 0"
same_file "$FERRY_TMP/c1" "$root/a.txt" "curl URL 1 body"
same_file "$FERRY_TMP/c2" "$root/b.txt" "curl URL 2 body"
same_file "$FERRY_TMP/c3" "$root/small.txt" "curl URL 3 body"
same_file "$FERRY_TMP/c4" "$root/mid.bin" "curl URL 4 body"
is "$(grep -cE 'Re-using existing (https?: )?connection' "$FERRY_TMP/curl.err")" 3 \
    "curl re-used its one connection for URLs 2, 3 and 4"
is "$(grep -c '^\* Connected to' "$FERRY_TMP/curl.err")" 1 "curl connected once"

# curl --next: a request, a slow reader (4 KiB at 2 KiB/s), then one more,
# all on the same connection.
curl -q -sS -v --max-time "$T_CURL" -o "$FERRY_TMP/d1" "$FERRY_BASE/a.txt" \
    --next -q -sS -v --max-time "$T_CURL" --limit-rate 2k \
    -o "$FERRY_TMP/d2" "$FERRY_BASE/mid.bin" -r 0-4095 \
    --next -q -sS -v --max-time "$T_CURL" -o "$FERRY_TMP/d3" \
    "$FERRY_BASE/b.txt" 2>"$FERRY_TMP/curl2.err"
is "$?:$(cat "$FERRY_TMP/d3")" "0:$(cat "$root/b.txt")" \
    "curl --next: the request after a slow reader is served"
ok_if "curl --next: the connection was re-used" \
    test "$(grep -cE 'Re-using existing (https?: )?connection' "$FERRY_TMP/curl2.err")" -eq 2

ferry_stop
finish
