#!/bin/bash
# t-guests.sh — a guest cannot log others out or void their links (issue
# 16, red-team F5 and F16), against the real ferryd in token mode:
#   - the host's session (the banner's pairing URL), a read-only guest
#     (ferryctl pair --read-only) and another user's read-write share link
#     that nobody opened yet;
#   - the guest makes 300 read-only share links within seconds and opens
#     270 of them (more than the 256 sessions that ferryd held in all before
#     issue 16), while the host's session is idle and a second client (an
#     API token) lists a folder every 50 ms (timed): the host's session
#     works after; the other user's link
#     still admits; the guest's own session works; of its 270 made sessions
#     the 16 newest work and the others are gone; its oldest unopened link
#     is void, its newest admits;
#   - a session made from the guest's link may share; one made from that
#     link may not (403);
#   - after a restart the same holds (the sessions file keeps who made
#     what), and one more session of the guest's pushes out its oldest;
#   - ferryctl revoke of the guest ends the sessions it made as well.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl
plan 18

root=$FERRY_TMP/root
state=$FERRY_TMP/state
SOCK=$FERRY_TMP/ctl.sock
mkdir -p "$root/album"
echo "a photo" >"$root/album/pic.txt"

ferry_start "$root" --auth token --state-dir "$state" --control "$SOCK" ||
    bail_out "ferryd --auth token did not start"
B=$FERRY_BASE
pair_url=$(grep -m1 -o "http://127\.0\.0\.1:$FERRY_PORT/\.ferry/pair?token=[A-Za-z0-9_-]*" "$FERRY_OUT")
ctl pair --read-only
guest_url=$(printf '%s\n' $CTL_OUT | grep -m1 "^http://127\.0\.0\.1:")
ctl token create watcher --read-only
read -r _ _ watcher <<<"$CTL_OUT"

"$PYTHON" - "$FERRY_PORT" "$pair_url" "$guest_url" "$FERRY_TMP" "$watcher" >"$FERRY_TMP/guests.json" \
    2>"$FERRY_TMP/guests.err" <<'PY'
import http.client, json, re, sys, threading, time
port, pair_url, guest_url, tmp, watcher = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
origin = f"http://127.0.0.1:{port}"

def rq(method, path, cookie=None, body=None, src="127.0.0.1", bearer=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(src, 0))
    h = {}
    if bearer:
        h["Authorization"] = "Bearer " + bearer
    if cookie:
        h["Cookie"] = "ferry_session=" + cookie
    if body is not None:
        h.update({"Origin": origin, "Sec-Fetch-Site": "same-origin",
                  "Content-Type": "application/x-www-form-urlencoded"})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse(); data = r.read(); c.close()
    return r.status, r.getheader("Set-Cookie") or "", data

def redeem(url, src="127.0.0.1"):
    path = url[url.index("/.ferry/"):]
    st, sc, _ = rq("GET", path, src=src)
    m = re.search(r"ferry_session=([^;]+)", sc)
    return st, m.group(1) if m else None

def share(cookie, rights="ro"):
    st, _, data = rq("POST", "/.ferry/share", cookie, f"path=/album/&rights={rights}", "127.0.0.40")
    return st, json.loads(data)["url"] if st == 200 else data.decode(errors="replace")

out = {}
_, host = redeem(pair_url)
_, guest = redeem(guest_url)
out["host_before"] = rq("GET", "/album/", host)[0]
st, other_link = share(host, "rw")           # another user's link, not opened yet
out["other_link_made"] = st

# the host's session stays idle (the least recently seen of all, as in F5);
# a second client (an API token) lists a folder every 50 ms meanwhile
lat, stop, host_codes = [], threading.Event(), {}
def host_loop():
    while not stop.is_set():
        t = time.monotonic()
        s = rq("GET", "/album/", None, bearer=watcher, src="127.0.0.2")[0]
        lat.append(time.monotonic() - t)
        host_codes[s] = host_codes.get(s, 0) + 1
        stop.wait(0.05)
th = threading.Thread(target=host_loop); th.start()
t0 = time.monotonic()
links, made = [], []
for i in range(300):
    st, url = share(guest)
    assert st == 200, (i, st, url)
    links.append(url)
    if i % 10 != 9:
        st, ck = redeem(url, "127.0.0.40")
        assert st == 303, (i, st)
        made.append(ck)
        links[-1] = None
out["guest_seconds"] = round(time.monotonic() - t0, 2)
stop.set(); th.join()
out["second_client"] = {str(k): v for k, v in host_codes.items()}
out["second_max_s"] = round(max(lat), 3)
out["host_after"] = rq("GET", "/album/", host)[0]
out["guest_after"] = rq("GET", "/album/", guest)[0]
out["made_live"] = [rq("GET", "/album/", ck)[0] for ck in made]
unredeemed = [u for u in links if u]
out["guest_oldest_link"] = redeem(unredeemed[0], "127.0.0.40")[0]
st, newest = redeem(unredeemed[-1], "127.0.0.40")
out["guest_newest_link"] = st
st, other = redeem(other_link, "127.0.0.41")
out["other_link"] = st
out["other_session"] = rq("GET", "/album/", other)[0] if other else 0
# depth: a session from the guest's link shares; one from that link cannot
st, url = share(made[-1])
out["made_shares"] = st
st, deep = redeem(url, "127.0.0.40")
out["deep_shares"] = share(deep)[0]
json.dump({"host": host, "guest": guest, "made": made, "other": other}, open(tmp + "/cookies.json", "w"))
print(json.dumps(out))
PY
diag "$(pyj "$FERRY_TMP/guests.json" '{k: v for k, v in j.items() if k != "made_live"}') $(head -c 2000 "$FERRY_TMP/guests.err")"
G=$FERRY_TMP/guests.json
is "$(pyj "$G" 'j["host_before"], j["other_link_made"]')" "(200, 200)" \
    "the host's session lists; it makes a read-write link for another user"
is "$(pyj "$G" 'j["second_client"]')" "{'200': $(pyj "$G" 'j["second_client"].get("200")')}" \
    "while the guest makes 300 links and opens 270, a second client is served (200)"
ok_if "... each request within a second (max $(pyj "$G" 'j["second_max_s"]') s)" \
    "$PYTHON" -c 'import sys; sys.exit(not float(sys.argv[1]) < 1.0)' "$(pyj "$G" 'j["second_max_s"]')"
is "$(pyj "$G" 'j["host_after"]')" 200 "the host's session still works after (F5: was 401)"
is "$(pyj "$G" 'j["other_link"], j["other_session"]')" "(303, 200)" \
    "the other user's unopened link still admits (F16: was 403)"
is "$(pyj "$G" 'j["guest_after"]')" 200 "the guest's own session still works"
is "$(pyj "$G" '"".join("1" if s == 200 else "0" for s in j["made_live"])')" \
    "$(printf '0%.0s' $(seq 254))$(printf '1%.0s' $(seq 16))" \
    "of the guest's 270 sessions the 16 newest work, the others are gone"
is "$(pyj "$G" 'j["guest_oldest_link"], j["guest_newest_link"]')" "(403, 303)" \
    "of its unopened links the oldest is void, the newest admits"
is "$(pyj "$G" 'j["made_shares"], j["deep_shares"]')" "(200, 403)" \
    "a session from the guest's link may share; one from that link may not"

# the sessions file, then a restart
json_ok "the sessions file records who made each session" "$state/auth-sessions.json" "
ids = {s['id']: s for s in j['sessions']}
assert j['version'] == 2, j['version']
host = [s for s in j['sessions'] if s['maker'] == '']
assert len(host) == 2, host   # the host's and the guest's pairing
for s in j['sessions']:
    if s['maker']:
        assert s['maker'] in ids, s
        assert s['depth'] == ids[s['maker']]['depth'] + 1, s
# the guest's 16 newest made ones, the other user's, the one made from a
# made one
assert len(j['sessions']) == 2 + 16 + 1 + 1, len(j['sessions'])"
ferry_stop
ferry_start "$root" --auth token --state-dir "$state" --control "$SOCK" ||
    bail_out "ferryd did not start again"
"$PYTHON" - "$FERRY_PORT" "$FERRY_TMP" >"$FERRY_TMP/after.json" 2>&1 <<'PY'
import http.client, json, re, sys
port, tmp = int(sys.argv[1]), sys.argv[2]
ck = json.load(open(tmp + "/cookies.json"))
origin = f"http://127.0.0.1:{port}"
def rq(method, path, cookie, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = {"Cookie": "ferry_session=" + cookie}
    if body is not None:
        h.update({"Origin": origin, "Sec-Fetch-Site": "same-origin",
                  "Content-Type": "application/x-www-form-urlencoded"})
    c.request(method, path, body=body, headers=h)
    r = c.getresponse(); d = r.read(); c.close()
    return r.status, r.getheader("Set-Cookie") or "", d
out = {"host": rq("GET", "/album/", ck["host"])[0], "guest": rq("GET", "/album/", ck["guest"])[0],
       "other": rq("GET", "/album/", ck["other"])[0],
       "made": [rq("GET", "/album/", c)[0] for c in ck["made"]]}
st, _, d = rq("POST", "/.ferry/share", ck["guest"], "path=/album/")
url = json.loads(d)["url"]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.request("GET", url[url.index("/.ferry/"):]); r = c.getresponse(); r.read()
out["one_more"] = r.status
out["made_after"] = [rq("GET", "/album/", c)[0] for c in ck["made"]]
out["host_after"] = rq("GET", "/album/", ck["host"])[0]
print(json.dumps(out))
PY
diag "$(pyj "$FERRY_TMP/after.json" '{k: v for k, v in j.items() if not k.startswith("made")}')"
A=$FERRY_TMP/after.json
is "$(pyj "$A" 'j["host"], j["guest"], j["other"]')" "(200, 200, 200)" \
    "after a restart the host, the guest and the other user are still in"
# opening the guest's newest link (above) made its 271st session: 15 of the
# 270 remain
is "$(pyj "$A" '"".join("1" if s == 200 else "0" for s in j["made"])')" \
    "$(printf '0%.0s' $(seq 255))$(printf '1%.0s' $(seq 15))" \
    "... and the guest's 15 newest of those 270 made sessions, not the older ones"
is "$(pyj "$A" 'j["one_more"]')" 303 "the guest makes one more after the restart"
is "$(pyj "$A" '"".join("1" if s == 200 else "0" for s in j["made_after"]), j["host_after"]')" \
    "('$(printf '0%.0s' $(seq 256))$(printf '1%.0s' $(seq 14))', 200)" \
    "... which pushes out its oldest, and only that; the host is still in"

# the host revokes the guest: what it made goes with it
guest_id=$(pyj "$state/auth-sessions.json" '[s["id"] for s in j["sessions"] if s["maker"] == "" and s["rights"] == "ro"][0]')
ctl_ok revoke "$guest_id"
"$PYTHON" - "$FERRY_PORT" "$FERRY_TMP" >"$FERRY_TMP/revoked.json" 2>&1 <<'PY'
import http.client, json, sys
port, tmp = int(sys.argv[1]), sys.argv[2]
ck = json.load(open(tmp + "/cookies.json"))
def get(cookie):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/album/", headers={"Cookie": "ferry_session=" + cookie})
    r = c.getresponse(); r.read(); c.close()
    return r.status
print(json.dumps({"guest": get(ck["guest"]), "made": sorted(set(get(c) for c in ck["made"])),
                  "host": get(ck["host"]), "other": get(ck["other"])}))
PY
is "$(pyj "$FERRY_TMP/revoked.json" 'j["guest"], j["made"], j["host"], j["other"]')" \
    "(401, [401], 200, 200)" \
    "ferryctl revoke of the guest ends every session it made too; the others stay"
ferry_stop
finish
