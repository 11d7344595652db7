#!/usr/bin/python3
"""Open N TLS connections to 127.0.0.1:PORT (certificate not verified: the
benchmark measures, it does not authenticate), send one keep-alive GET PATH
on each, read each full response, keep them all open, then print
"ready HELD" on stdout and wait (at most HOLD seconds, or until
SIGTERM/SIGINT).

Used by contrib/bench/tls-run to read a server's RSS while it holds N idle
TLS connections. Exits 1 if fewer than N connections are held.

usage: hold_tls.py PORT PATH [N=100] [HOLD=60]
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


def main():
    port = int(sys.argv[1])
    path = sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    hold = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    held = []
    for _ in range(n):
        try:
            raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
            s = ctx.wrap_socket(raw, server_hostname="localhost")
            s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
            if read_response(s):
                held.append(s)
            else:
                s.close()
        except OSError as e:
            print("error: %s" % e, file=sys.stderr)
    print("ready %d" % len(held), flush=True)
    end = time.monotonic() + hold
    while not stop and time.monotonic() < end:
        time.sleep(0.1)
    open_now = 0
    for s in held:
        try:
            s.settimeout(0)
            if s.recv(1) == b"":
                continue
        except (BlockingIOError, ssl.SSLWantReadError):
            pass
        except OSError:
            continue
        open_now += 1
    print("still-open %d" % open_now, flush=True)
    sys.exit(0 if len(held) == n else 1)


if __name__ == "__main__":
    main()
