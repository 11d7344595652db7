#!/usr/bin/python3
"""Open N keep-alive connections to 127.0.0.1:PORT (with --tls: TLS 1.2, the
certificate not verified: the benchmark measures, it does not authenticate),
send one GET PATH on each, read each full response, keep them all open, then
print "ready HELD" on stdout and wait (at most HOLD seconds, or until
SIGTERM/SIGINT); at the end print "still-open N".

Used by contrib/bench/run (plain) and contrib/bench/tls-run (--tls) to read a
server's RSS while it holds N idle connections. Exits 1 if fewer than N
connections are held (a refused connection, a timeout, or an answer that
carried "Connection: close").

usage: hold_conns.py [--tls] PORT PATH [N=1000] [HOLD=60]
"""
import signal
import socket
import ssl
import sys
import time

TIMEOUT_S = 10.0


def read_response(sock):
    """Reads one HTTP response; returns True if the server keeps the connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    length = int(headers.get("content-length", "-1"))
    if length < 0 or not lines[0].split()[1].startswith("2"):
        return False
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return False
        body += chunk
    return headers.get("connection") != "close"


def tls_context():
    """A client context for TLS 1.2 that does not verify the certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def still_open(sock):
    """True if the server has not closed sock (no EOF waiting on it)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except (BlockingIOError, ssl.SSLWantReadError):
        return True
    except OSError:
        return False


def main():
    args = sys.argv[1:]
    ctx = None
    if args and args[0] == "--tls":
        ctx = tls_context()
        args = args[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    port, path = int(args[0]), args[1]
    count = int(args[2]) if len(args) > 2 else 1000
    hold = float(args[3]) if len(args) > 3 else 60.0
    request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
               "Connection: keep-alive\r\n\r\n" % (path, port)).encode()
    deadline = time.monotonic() + TIMEOUT_S * 3
    socks = []
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        s = None
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
            if ctx:
                s = ctx.wrap_socket(s, server_hostname="localhost")
            s.sendall(request)
            if read_response(s):
                socks.append(s)
                continue
        except OSError as e:
            print("connection error: %s" % e, file=sys.stderr)
        if s:
            s.close()

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("ready %d" % len(socks), flush=True)
    end = time.monotonic() + hold
    while not stop and time.monotonic() < end:
        time.sleep(0.1)
    alive = sum(1 for s in socks if still_open(s))
    for s in socks:
        s.close()
    print("still-open %d" % alive, flush=True)
    sys.exit(0 if len(socks) == count else 1)


if __name__ == "__main__":
    main()
