#!/usr/bin/python3
# tus-many.py — many tus uploads from one client, as fast as one keep-alive
# connection goes, for t-tus-many.sh.
#
#   tus-many.py PORT N PREFIX [--no-body] [--source ADDR] [--stop-at-error]
#               [--probe PATH]
#
# Each upload is one POST to /.ferry/uploads/ from ADDR (default 127.0.0.1):
# creation-with-upload of a 1-byte file "PREFIX-<i>.txt" (the body is the
# i-th letter, so every upload finishes in its POST), or with --no-body a
# creation of a 1-byte upload that stays unfinished. Prints one JSON line:
# {"codes": {status: count}, "first_error": [i, status, text] or null,
#  "seconds": wall time, "offsets_ok": all 201s said Upload-Offset 1 (or 0
#  without a body), "locations": the last 3 Location headers}.
# With --probe PATH a second client (its own connection, from 127.0.0.9)
# GETs PATH every 100 ms meanwhile, and "probe" adds its count, statuses
# and latencies in ms (median, max).
import base64, http.client, json, socket, sys, threading, time

port, n, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
body = '--no-body' not in sys.argv
stop = '--stop-at-error' in sys.argv
src = sys.argv[sys.argv.index('--source') + 1] if '--source' in sys.argv else '127.0.0.1'


class Conn(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.create_connection((self.host, self.port), self.timeout,
                                             (src, 0))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


probe_path = sys.argv[sys.argv.index('--probe') + 1] if '--probe' in sys.argv else None
probe = {'codes': {}, 'ms': []}
done = threading.Event()


def prober():
    pc = http.client.HTTPConnection('127.0.0.1', port, timeout=30,
                                    source_address=('127.0.0.9', 0))
    while not done.is_set():
        t = time.monotonic()
        try:
            pc.request('GET', probe_path)
            r = pc.getresponse()
            r.read()
            st = r.status
        except (http.client.HTTPException, OSError):
            pc.close()
            st = 0
        probe['ms'].append((time.monotonic() - t) * 1000)
        probe['codes'][st] = probe['codes'].get(st, 0) + 1
        done.wait(0.1)


if probe_path:
    th = threading.Thread(target=prober)
    th.start()
c = Conn('127.0.0.1', port, timeout=30)
codes, first, ok, locs = {}, None, True, []
t0 = time.monotonic()
for i in range(n):
    name = base64.b64encode(('%s-%05d.txt' % (prefix, i)).encode()).decode()
    h = {'Tus-Resumable': '1.0.0', 'Upload-Length': '1',
         'Upload-Metadata': 'filename ' + name}
    data = None
    if body:
        h['Content-Type'] = 'application/offset+octet-stream'
        data = bytes([97 + i % 26])
    for attempt in range(2):  # a keep-alive connection closed by the server: once more
        try:
            c.request('POST', '/.ferry/uploads/', body=data, headers=h)
            r = c.getresponse()
            text = r.read()
            break
        except (http.client.HTTPException, OSError):
            c.close()
            c = Conn('127.0.0.1', port, timeout=30)
            if attempt:
                raise
    codes[r.status] = codes.get(r.status, 0) + 1
    if r.status == 201:
        locs = (locs + [r.getheader('Location')])[-3:]
        if r.getheader('Upload-Offset') != ('1' if body else '0'):
            ok = False
    elif first is None:
        first = [i, r.status, text.decode('utf-8', 'replace').strip()[:200]]
        if stop:
            break
out = {'codes': codes, 'first_error': first, 'seconds': round(time.monotonic() - t0, 2),
       'offsets_ok': ok, 'locations': locs}
if probe_path:
    done.set()
    th.join()
    ms = sorted(probe['ms'])
    out['probe'] = {'n': len(ms), 'codes': probe['codes'],
                    'median_ms': round(ms[len(ms) // 2], 1) if ms else None,
                    'max_ms': round(ms[-1], 1) if ms else None}
print(json.dumps(out))
