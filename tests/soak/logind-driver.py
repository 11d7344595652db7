#!/usr/bin/python3
"""logind-driver.py — drives the mock logind of tests/integration/logind-mock.sh
from one process, for sleep-soak.sh (a busctl per step costs ~20 ms and
would make the soak's 10,000 cycles take hours).

Runs on the system bus of DBUS_SYSTEM_BUS_ADDRESS. Reads one command a line
on stdin and answers one line on stdout:

  sleep T    the mock sends PrepareForSleep(true); then ListInhibitors is
             polled (every 1 ms, at most T seconds) until no lock of
             "ferry" is left. Answers "ok MS" (signal sent -> lock gone,
             in ms) or "timeout LOCKS".
  wake T     PrepareForSleep(false); polls until ferry's delay lock is back.
             Answers "ok MS" or "timeout LOCKS".
  locks      ferry's locks now, "what:mode" joined with "," ("-" for none).
  quit       exits.

Loopback only (a unix socket); every wait is bounded.
"""
import sys
import time

import dbus

L1 = "org.freedesktop.login1"
PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"
MOCK = "org.freedesktop.DBus.Mock"


def main():
    bus = dbus.SystemBus()
    obj = bus.get_object(L1, PATH)
    manager = dbus.Interface(obj, MANAGER)
    mock = dbus.Interface(obj, MOCK)

    def locks():
        return sorted("%s:%s" % (w, m) for w, who, _, m, _, _ in manager.ListInhibitors()
                      if who == "ferry")

    def emit_and_wait(value, done, limit):
        t0 = time.monotonic()
        mock.EmitSignal(MANAGER, "PrepareForSleep", "b", [dbus.Boolean(value)])
        while True:
            now = locks()
            if done(now):
                return "ok %.1f" % ((time.monotonic() - t0) * 1000)
            if time.monotonic() - t0 > limit:
                return "timeout " + (",".join(now) or "-")
            time.sleep(0.001)

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == "sleep":
                reply = emit_and_wait(True, lambda l: not l, float(words[1]))
            elif words[0] == "wake":
                reply = emit_and_wait(False, lambda l: "sleep:shutdown:delay" in l,
                                      float(words[1]))
            elif words[0] == "locks":
                reply = ",".join(locks()) or "-"
            elif words[0] == "quit":
                return
            else:
                reply = "error unknown command"
        except dbus.DBusException as e:
            reply = "error " + str(e).replace("\n", " ")[:200]
        print(reply, flush=True)


if __name__ == "__main__":
    main()
