#!/usr/bin/python3
"""guess-burst.py -- concurrent guesses against a running ferryd (t-guess.sh).

    guess-burst.py login HOST PORT SRC N GOOD PASSWORD OTHER_SRC
        N connections from SRC send the headers of POST /.ferry/login at once
        (no body yet); once every refusal that the server makes before the
        body has come (polled, 10 s at most), each connection sends its body
        (password "wrongI", or PASSWORD for index GOOD). Meanwhile a second
        client from OTHER_SRC logs in with Basic and PASSWORD; its time is
        measured. Prints one JSON line: {"codes": {status: count},
        "good": status of GOOD, "early": refusals before the body,
        "other": [status, seconds], "seconds": the whole burst}.

    guess-burst.py get HOST PORT SRC N PATH HEADER...
        N connections from SRC send the same GET at once (HEADER "Name: value"
        lines; "{i}" in PATH and HEADERs is replaced with the index, 3 digits). Prints
        {"codes": {status: count}, "retry_after": [values seen]}.

Every socket has a deadline; nothing here sleeps for synchronisation.
"""
import base64
import json
import select
import socket
import sys
import threading
import time


def connect(host, port, src):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(30)
    s.bind((src, 0))
    s.connect((host, port))
    return s


def hostport(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def read_all(s, deadline):
    data = b""
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout, OSError):
            break
        if not chunk:
            break
        data += chunk
    return data


def status_of(data):
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def header_of(data, name):
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def other_client(host, port, src, password, out):
    t = time.monotonic()
    try:
        s = connect(host, port, src)
        auth = base64.b64encode(b"x:" + password.encode()).decode()
        s.sendall(f"GET / HTTP/1.1\r\nHost: {hostport(host, port)}\r\n"
                  f"Authorization: Basic {auth}\r\nConnection: close\r\n\r\n".encode())
        d = read_all(s, time.monotonic() + 30)
        s.close()
        out.append([status_of(d), round(time.monotonic() - t, 3)])
    except OSError as e:
        out.append([0, str(e)])


def login(host, port, src, n, good, password, other_src):
    start = time.monotonic()
    socks, bodies = [], []
    for i in range(n):
        pw = password if i == good else f"wrong{i}"
        body = ("password=" + pw.replace(" ", "+")).encode()
        s = connect(host, port, src)
        s.sendall(f"POST /.ferry/login HTTP/1.1\r\nHost: {hostport(host, port)}\r\n"
                  "Content-Type: application/x-www-form-urlencoded\r\n"
                  f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
        socks.append(s)
        bodies.append(body)
    # The second client, while every guess is in flight.
    other = []
    th = threading.Thread(target=other_client, args=(host, port, other_src, password, other))
    th.start()
    # Poll for the refusals made before the body: the connections that are
    # answered without having sent one. Stop when no new one came for 1 s
    # after at least one did, or after 10 s.
    answered = {}
    deadline = time.monotonic() + 10
    last_new = None
    while time.monotonic() < deadline:
        waiting = [s for i, s in enumerate(socks) if i not in answered]
        if not waiting:
            break
        r, _, _ = select.select(waiting, [], [], 0.1)
        for s in r:
            i = socks.index(s)
            answered[i] = read_all(s, time.monotonic() + 5)
            last_new = time.monotonic()
        if last_new is not None and time.monotonic() - last_new > 1.0:
            break
    early = len(answered)
    for i, s in enumerate(socks):
        if i in answered:
            continue
        try:
            s.sendall(bodies[i])
        except OSError:
            pass
    results = {}
    for i, s in enumerate(socks):
        d = answered.get(i)
        if d is None:
            d = read_all(s, time.monotonic() + 30)
        s.close()
        results[i] = status_of(d)
    th.join(60)
    codes = {}
    for st in results.values():
        codes[str(st)] = codes.get(str(st), 0) + 1
    print(json.dumps({"codes": codes, "good": results.get(good), "early": early,
                      "other": other[0] if other else None,
                      "seconds": round(time.monotonic() - start, 3)}))


def get(host, port, src, n, path, headers):
    socks = []
    for i in range(n):
        s = connect(host, port, src)
        hs = "".join(h.replace("{i}", "%03d" % i) + "\r\n" for h in headers)
        s.sendall(f"GET {path.replace('{i}', '%03d' % i)} HTTP/1.1\r\n"
                  f"Host: {hostport(host, port)}\r\n{hs}Connection: close\r\n\r\n".encode())
        socks.append(s)
    codes, ras = {}, []
    for s in socks:
        d = read_all(s, time.monotonic() + 30)
        s.close()
        st = str(status_of(d))
        codes[st] = codes.get(st, 0) + 1
        ra = header_of(d, "Retry-After")
        if ra is not None and ra not in ras:
            ras.append(ra)
    print(json.dumps({"codes": codes, "retry_after": ras}))


def main():
    mode, host, port, src, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    if mode == "login":
        login(host, port, src, n, int(sys.argv[6]), sys.argv[7], sys.argv[8])
    else:
        get(host, port, src, n, sys.argv[6], sys.argv[7:])


if __name__ == "__main__":
    main()
