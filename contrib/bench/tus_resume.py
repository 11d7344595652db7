#!/usr/bin/python3
"""Resume -> first accepted PATCH, over CYCLES suspend/resume cycles of a
ferryd started with --os fake --control SOCK (used by upload-run).

Each cycle, through `ferryctl -s SOCK`: background, expire, suspend; then
SIGSTOP to ferryd's PID, STOPPED_MS later SIGCONT (a real suspension); then
the clock starts (time.monotonic) just before `ferryctl resume`, and a client
thread starts at the same moment: it connects to 127.0.0.1:PORT, retrying
every 1 ms, sends HEAD PATH (the tus upload) for Upload-Offset, then PATCH
CHUNK bytes at that offset; the clock stops when a PATCH is answered 204.
`ferryctl foreground` runs right after resume (the listener comes back on
foreground). Any other answer or a cut connection is retried the same way
(counted); a cycle whose client has no 204 after TIMEOUT s fails the run.

Prints one line per cycle ("cycle I MS attempts N resume_ms R foreground_ms
F after_foreground_ms A": the time `ferryctl resume` and `ferryctl
foreground` took, and from foreground's return to the 204), then
"result N P50 P99 MIN MAX" (ms; nearest-rank percentiles), "after_foreground
P50 P99" and "offset OFF" (the upload's Upload-Offset after the last cycle). Exits 1 when something
broke (a ferryctl command failed, ferryd died, a cycle timed out).

usage: tus_resume.py FERRYCTL SOCK PID PORT PATH [CYCLES=20] [CHUNK=65536]
                     [STOPPED_MS=100] [TIMEOUT=10]
"""
import http.client
import math
import os
import signal
import subprocess
import sys
import threading
import time

TUS = {"Tus-Resumable": "1.0.0"}


def ctl(ferryctl, sock, cmd):
    """Runs `ferryctl -s SOCK CMD` (bounded); exits 1 unless it says ok."""
    r = subprocess.run([ferryctl, "-s", sock, cmd], capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        sys.exit("ferryctl %s: exit %d: %s%s" % (cmd, r.returncode, r.stdout, r.stderr))
    return r.stdout


def client(port, path, chunk, deadline, out):
    """HEAD then PATCH until a 204, retrying every 1 ms until deadline.
    Sets out["t1"] (monotonic), out["attempts"], out["offset"] or out["error"]."""
    attempts = 0
    last = "no attempt"
    while time.monotonic() < deadline:
        attempts += 1
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            c.request("HEAD", path, headers=TUS)
            r = c.getresponse()
            r.read()
            off = r.getheader("Upload-Offset")
            if r.status != 200 or off is None:
                last = "HEAD answered %d" % r.status
            else:
                h = dict(TUS)
                h["Upload-Offset"] = off
                h["Content-Type"] = "application/offset+octet-stream"
                c.request("PATCH", path, body=chunk, headers=h)
                r = c.getresponse()
                r.read()
                if r.status == 204:
                    out["t1"] = time.monotonic()
                    out["attempts"] = attempts
                    out["offset"] = int(r.getheader("Upload-Offset", "-1"))
                    return
                last = "PATCH answered %d" % r.status
        except (OSError, http.client.HTTPException) as e:
            last = "%s: %s" % (type(e).__name__, e)
        finally:
            c.close()
        time.sleep(0.001)
    out["error"] = "no 204 within the deadline after %d attempts; last: %s" % (attempts, last)


def percentile(sorted_ms, p):
    """Nearest-rank percentile of a sorted list."""
    k = max(1, math.ceil(p / 100.0 * len(sorted_ms)))
    return sorted_ms[k - 1]


def main():
    a = sys.argv[1:]
    if len(a) < 5:
        sys.exit(__doc__)
    ferryctl, sock, pid, port, path = a[0], a[1], int(a[2]), int(a[3]), a[4]
    cycles = int(a[5]) if len(a) > 5 else 20
    chunk = os.urandom(int(a[6]) if len(a) > 6 else 65536)
    stopped_s = (int(a[7]) if len(a) > 7 else 100) / 1000.0
    timeout = float(a[8]) if len(a) > 8 else 10.0
    samples = []
    after_fg = []  # ms from `ferryctl foreground` returning to the 204
    out = {}
    for i in range(1, cycles + 1):
        for cmd in ("background", "expire", "suspend"):
            ctl(ferryctl, sock, cmd)
        os.kill(pid, signal.SIGSTOP)
        time.sleep(stopped_s)
        os.kill(pid, signal.SIGCONT)
        out = {}
        t0 = time.monotonic()
        th = threading.Thread(target=client, args=(port, path, chunk, t0 + timeout, out))
        th.start()
        ctl(ferryctl, sock, "resume")
        t_resumed = time.monotonic()
        ctl(ferryctl, sock, "foreground")
        t_fg = time.monotonic()
        th.join(timeout + 5)
        if "t1" not in out:
            sys.exit("cycle %d: %s" % (i, out.get("error", "the client hung")))
        ms = (out["t1"] - t0) * 1000.0
        samples.append(ms)
        after_fg.append(max(0.0, (out["t1"] - t_fg) * 1000.0))
        print("cycle %d %.2f attempts %d resume_ms %.2f foreground_ms %.2f after_foreground_ms %.2f"
              % (i, ms, out["attempts"], (t_resumed - t0) * 1000.0, (t_fg - t_resumed) * 1000.0,
                 after_fg[-1]), flush=True)
    s = sorted(samples)
    print("result %d %.2f %.2f %.2f %.2f" % (len(s), percentile(s, 50), percentile(s, 99), s[0], s[-1]))
    a = sorted(after_fg)
    print("after_foreground %.2f %.2f" % (percentile(a, 50), percentile(a, 99)))
    print("offset %d" % out.get("offset", -1))


if __name__ == "__main__":
    main()
