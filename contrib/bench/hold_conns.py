#!/usr/bin/python3
"""Open N keep-alive connections to 127.0.0.1:PORT, send one GET PATH on each,
read each full response, keep them all open, then print "ready HELD" on stdout
and wait (at most HOLD seconds, or until SIGTERM/SIGINT).

Used by contrib/bench/run to read a server's RSS while it holds N idle
keep-alive connections. Exits 1 if fewer than N connections are held (a
refused connection, a timeout, or an answer that carried "Connection: close").

usage: hold_conns.py PORT PATH [N=1000] [HOLD=60]
"""
import signal
import socket
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
    status = lines[0]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    length = int(headers.get("content-length", "-1"))
    if length < 0 or not status.split()[1].startswith("2"):
        return False
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return False
        body += chunk
    return headers.get("connection") != "close"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    port, path = int(sys.argv[1]), sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    hold = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
               "Connection: keep-alive\r\n\r\n" % (path, port)).encode()
    deadline = time.monotonic() + TIMEOUT_S * 3
    socks = []
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT_S)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(request)
            if read_response(s):
                socks.append(s)
                continue
        except OSError as e:
            print("connection error: %s" % e, file=sys.stderr)
        s.close()

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("ready %d" % len(socks), flush=True)
    end = time.monotonic() + hold
    while not stop and time.monotonic() < end:
        time.sleep(0.1)
    # How many are still open (a server that dropped one shows EOF here).
    alive = 0
    for s in socks:
        s.setblocking(False)
        try:
            alive += 1 if s.recv(1) else 0
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
        s.close()
    print("still-open %d" % alive, flush=True)
    sys.exit(0 if len(socks) == count else 1)


if __name__ == "__main__":
    main()
