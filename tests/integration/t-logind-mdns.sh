#!/bin/bash
# t-logind-mdns.sh — sleep, wake and a network change as another device on
# the LAN sees them: the real ferryd (--os logind, wildcard bind) in network
# namespace a with a real avahi-daemon, the mock logind on a's private
# system bus, and namespace b (its own avahi-daemon) browsing over a veth
# (netns.sh, logind-mock.sh):
#   1. published: b resolves the service on ferryd's port;
#   2. PrepareForSleep(true): the record is withdrawn before the delay lock
#      is released (ferryd's log), and b's browser loses it;
#   3. PrepareForSleep(false): the lock is back, b resolves it again on the
#      same port;
#   4. a network change: a moves to an address in another subnet (b has
#      one there too) and drops the old one: ferryd logs the new URLs, b
#      resolves the service at the new address only, and fetches a file
#      from it.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"
. "$(dirname "$0")/logind-mock.sh"
need_cmd curl
lan_require
lgd_require
lan_up
lgd_mock_start 3000000 || bail_out "no logind mock on a's bus"

SHARE=$FERRY_TMP/share
mkdir -p "$SHARE"
echo "hello from ferry" >"$SHARE/hello.txt"
NAME="ferry logind t$$"
NET2=10.217.$LAN_N # the subnet a moves to

ferry_start_argv --port 0 --no-qr --log-level info --name "$NAME" --os logind \
    --state-dir "$FERRY_TMP/state" "$SHARE" || bail_out "ferryd did not start in namespace a"
PORT=$FERRY_PORT
http_in_b() { # http_in_b URL: the body, fetched from namespace b
    in_site b curl -q -sS --max-time "$T_CURL" "$1" 2>&1
}
# addr_of SITE NAME: the address SITE resolves NAME to.
addr_of() {
    browse "$1" | awk -F'\t' -v n="$2" '$1 == n { print $3; exit }'
}
# resolves_to SITE NAME ADDR: SITE resolves NAME to ADDR (and only that).
resolves_to() {
    [ "$(browse "$1" | awk -F'\t' -v n="$2" '$1 == n { print $3 }' | sort -u)" = "$3" ]
}

plan 10

# ---------------------------------------------------------------- 1. published
lgd_wait_locks "sleep:shutdown:delay" 5
is "$LGD_LOCKS" "sleep:shutdown:delay" "ferryd in namespace a holds the delay lock of a's logind"
if wait_for 10 browse_has b "$NAME" "$PORT"; then
    pass "b resolves '$NAME' on port $PORT"
else
    fail "b resolves '$NAME' on port $PORT"
    diag "b sees:" "$(browse b)"
    diag_file "$FERRY_ERR"
fi

# ---------------------------------------------------------------- 2. sleep
lgd_emit PrepareForSleep true >/dev/null
lgd_wait_locks "" 5
is "$LGD_LOCKS" "" "PrepareForSleep(true): the lock is released"
w=$(grep -n "mDNS: withdrawing" "$FERRY_ERR" | head -n 1 | cut -d: -f1)
r=$(grep -n 'sleep lock released' "$FERRY_ERR" | head -n 1 | cut -d: -f1)
if [ -n "$w" ] && [ -n "$r" ] && [ "$w" -lt "$r" ]; then
    pass "the record was withdrawn before the lock was released"
else
    fail "the record was withdrawn before the lock was released"
    diag "withdraw at line '$w', release at line '$r'"
    diag_file "$FERRY_ERR"
fi
if wait_for 10 browse_lacks b "$NAME"; then
    pass "asleep: gone from b's browser"
else
    fail "asleep: gone from b's browser"
    diag "b sees:" "$(browse b)"
fi

# ---------------------------------------------------------------- 3. wake
lgd_emit PrepareForSleep false >/dev/null
lgd_wait_locks "sleep:shutdown:delay" 5
is "$LGD_LOCKS" "sleep:shutdown:delay" "PrepareForSleep(false): the lock is back"
if wait_for 15 browse_has b "$NAME" "$PORT"; then
    pass "awake: b resolves '$NAME' again on the same port ($PORT)"
else
    fail "awake: b resolves '$NAME' again on the same port ($PORT)"
    diag "b sees:" "$(browse b)"
    diag_file "$FERRY_ERR"
fi

# ---------------------------------------------------------------- 4. network change
ip -n "${SITE_NS[b]}" addr add "$NET2.2/24" dev "${SITE_IF[b]}"
ip -n "${SITE_NS[a]}" addr add "$NET2.1/24" dev "${SITE_IF[a]}"
ip -n "${SITE_NS[a]}" addr del "${SITE_IP[a]}/24" dev "${SITE_IF[a]}"
wait_for 10 grep -q "network: URLs now: .*http://$NET2\.1:$PORT/" "$FERRY_ERR"
like "$(grep 'network: URLs now' "$FERRY_ERR" | tail -n 1)" "http://$NET2\.1:$PORT/" \
    "a moved to $NET2.1: ferryd logs the new URL"
if wait_for 15 resolves_to b "$NAME" "$NET2.1"; then
    pass "b resolves '$NAME' at the new address only ($NET2.1)"
else
    fail "b resolves '$NAME' at the new address only ($NET2.1)"
    diag "b sees:" "$(browse b)"
fi
is "$(http_in_b "http://$(addr_of b "$NAME"):$PORT/hello.txt")" "hello from ferry" \
    "b fetches a file from the address it resolved"

finish
