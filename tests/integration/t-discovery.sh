#!/bin/bash
# t-discovery.sh — ferryd advertises itself over mDNS/DNS-SD, seen from
# "another device on the LAN": a real avahi-daemon on a private system bus
# in a network namespace (a) where ferryd runs, a second namespace (b)
# joined by a veth pair with its own bus and avahi-daemon, browsed there
# with avahi-browse and python3-zeroconf (see netns.sh). Skipped where
# network namespaces cannot be made.
#
# The Avahi backend (ferryd): the service and its TXT, --name, --read-only,
# a name collision with another program of the same host and with another
# device, avahi-daemon killed and restarted, the bus killed and restarted,
# withdrawal on suspension and the time from foreground to "resolvable
# from b", a hung (SIGSTOPped) avahi-daemon not holding up the suspension
# (the withdrawal never blocks the lifecycle step). The dns_sd backend (tests/ferryd-dnssd, on Avahi's compatibility
# library): the same publish, collision, withdraw and hung-daemon cases.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

: "${FERRYCTL:=$FERRY_BUILDDIR/ferryctl}"
: "${FERRYD_DNSSD:=$FERRY_BUILDDIR/tests/ferryd-dnssd}"
# Avahi's dns_sd library warns on stderr that it is a compatibility layer:
# not in these logs (the library itself never touches the environment).
export AVAHI_COMPAT_NOWARN=1

lan_require
[ -x "$FERRYCTL" ] || skip_all "FERRYCTL=$FERRYCTL is not built"
lan_up

SHARE=$FERRY_TMP/share
mkdir -p "$SHARE"
echo "hello from ferry" >"$SHARE/hello.txt"
VERSION=$("$FERRYD" --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -n 1)
NAME="ferry t$$"

# start NAME [OPTIONS...]: ferryd in namespace a on port 0 as NAME.
start() {
    local name=$1
    shift
    ferry_start_argv --bind "${SITE_IP[a]}" --port 0 --no-qr --log-level info \
        --name "$name" "$@" "$SHARE"
}

# disc FIELD [BASE]: a field of the discovery object of /.ferry/status.
disc() {
    in_site a curl -q -s --max-time "$T_CURL" "${2:-$FERRY_BASE}/.ferry/status" 2>/dev/null |
        "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["discovery"][sys.argv[1]])' \
            "$1" 2>/dev/null
}

# disc_is STATE [NAME [BASE]]: the status says STATE (and NAME).
disc_is() {
    [ "$(disc state "${3:-}")" = "$1" ] || return 1
    [ -z "${2:-}" ] || [ "$(disc name "${3:-}")" = "$2" ]
}

# ctl CMD: one command to the main ferryd's control socket.
ctl() {
    "$FERRYCTL" -s "$CTL" "$@" >/dev/null
}

# txt_of SITE NAME: the TXT strings of NAME as SITE resolves it.
txt_of() {
    browse "$1" | awk -F'\t' -v n="$2" '$1 == n { print $4; exit }'
}

# txt_ok TXT UP: the TXT has every key ferry advertises, with up=UP.
txt_ok() {
    local k
    for k in '"path=/"' '"txtvers=1"' "\"ferry=$VERSION\"" '"api=1"' "\"up=$2\""; do
        [[ $1 == *"$k"* ]] || return 1
    done
}

# lifecycle_cycle NAME LABEL: withdraw (background, expire, suspend) and
# re-advertise (resume, foreground) the ferryd on control socket CTL; 2
# points, and the time from foreground to resolvable from b as a diagnostic.
# suspend_while_responder_hung PREFIX ERRFILE: stops avahi-daemon in site a
# (SIGSTOP: hung, not dead; the caller continues it), then one point: ferryd's
# background + suspend return within 2 s. A hung responder answers no D-Bus
# call; the withdrawal must not hold the lifecycle step (and its assertion)
# past the OS's ~5 s warning window. 2 s is a correctness bound, not a
# benchmark.
suspend_while_responder_hung() {
    local prefix=$1 err=$2 t0 t1 rc ms
    kill -STOP "${SITE_AVAHI_PID[a]}"
    t0=$(now_ns)
    ctl background && ctl suspend
    rc=$?
    t1=$(now_ns)
    ms=$(((t1 - t0) / 1000000))
    diag "${prefix}avahi-daemon stopped: background + suspend took $ms ms"
    if [ "$rc" = 0 ] && [ "$ms" -lt $((2000 * T_SCALE)) ]; then
        pass "${prefix}avahi-daemon hung: background + suspend return within 2 s ($ms ms)"
    else
        fail "${prefix}avahi-daemon hung: background + suspend return within 2 s ($ms ms, rc $rc)"
        diag_file "$err"
    fi
}

lifecycle_cycle() {
    local name=$1 label=$2 t0 t1 zc=$FERRY_TMP/zc.$RANDOM port
    ctl background && ctl expire && ctl suspend # (no HTTP status while suspended)
    if wait_for 10 browse_lacks b "$name"; then
        pass "$label: suspended -> gone from b's browser"
    else
        fail "$label: suspended -> gone from b's browser"
        diag "b sees:" "$(browse b)"
        diag_file "$FERRY_ERR"
    fi
    zc_wait_start "$name" 15 "$zc"
    ctl resume
    t0=$(now_ns)
    ctl foreground
    wait_for 15 grep -q '^resolved\|^timeout' "$zc"
    t1=$(sed -n 's/^resolved //p' "$zc")
    port=$(in_site a curl -q -s --max-time "$T_CURL" "$FERRY_BASE/.ferry/status" |
        "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["port"])' 2>/dev/null)
    if [ -n "$t1" ] && browse_has b "$name" "$port" && disc_is published "$name"; then
        pass "$label: foreground -> resolvable from b again (port $port)"
        diag "$label: foreground -> resolvable from b (python3-zeroconf): $(((t1 - t0) / 1000000)) ms"
    else
        fail "$label: foreground -> resolvable from b again"
        diag "zeroconf: $(cat "$zc")" "status: $(disc state) $(disc name)" "b sees:" "$(browse b)"
        diag_file "$FERRY_ERR"
    fi
}

CTL=$FERRY_TMP/ctl.sock
start "$NAME" --os fake --control "$CTL" || bail_out "ferryd did not start in namespace a"
if [ "$(disc backend)" != avahi ]; then
    skip_all "ferryd is built with the '$(disc backend)' discovery backend, not avahi"
fi
MAIN_PID=$FERRY_PID MAIN_BASE=$FERRY_BASE MAIN_PORT=$FERRY_PORT MAIN_ERR=$FERRY_ERR

plan 40

# ---------------------------------------------------------------- avahi: publish
pass "ferryd (avahi backend) serves in namespace a on port $MAIN_PORT"
if wait_for 10 browse_has b "$NAME" "$MAIN_PORT"; then
    pass "b's avahi-browse resolves '$NAME' on ferryd's port"
else
    fail "b's avahi-browse resolves '$NAME' on ferryd's port"
    diag "b sees:" "$(browse b)"
    diag_file "$MAIN_ERR"
fi
TXT=$(txt_of b "$NAME")
if txt_ok "$TXT" 1; then
    pass "TXT: path=/ txtvers=1 ferry=$VERSION api=1 up=1"
else
    fail "TXT: path=/ txtvers=1 ferry=$VERSION api=1 up=1"
    diag "got: $TXT"
fi
ZC=$(zc_resolve "$NAME" 5)
like "$ZC" "^$MAIN_PORT	${SITE_IP[a]//./\\.}	.*ferry=$VERSION .*path=/ .*up=1" \
    "python3-zeroconf in b resolves the name to a's address, the port and the TXT"
ADDR=$(printf '%s' "$ZC" | cut -f2)
CODE=$(in_site b curl -q -s -o /dev/null -w '%{http_code}' --max-time "$T_CURL" \
    "http://$ADDR:$MAIN_PORT/hello.txt")
is "$CODE" 200 "b fetches a file from the address and port it resolved"
if disc_is published "$NAME"; then
    pass "/.ferry/status: discovery published as '$NAME'"
else
    fail "/.ferry/status: discovery published as '$NAME'"
    diag "state '$(disc state)', name '$(disc name)'"
fi

# ---------------------------------------------------------------- --read-only
start "$NAME ro" --read-only || bail_out "a second ferryd did not start"
if wait_for 10 browse_has b "$NAME ro" "$FERRY_PORT" && txt_ok "$(txt_of b "$NAME ro")" 0; then
    pass "--read-only: advertised with up=0"
else
    fail "--read-only: advertised with up=0"
    diag "b sees:" "$(browse b)"
fi
ferry_stop

# ---------------------------------------------------------------- collisions
site_publish a "$NAME dup" 9
wait_for 10 browse_has b "$NAME dup" 9 || diag "avahi-publish's '$NAME dup' not seen from b"
start "$NAME dup" || bail_out "a ferryd did not start"
if wait_for 10 disc_is published "$NAME dup #2"; then
    pass "name taken by avahi-publish on the same host: renamed to '$NAME dup #2', status says so"
else
    fail "name taken by avahi-publish on the same host: renamed to '$NAME dup #2', status says so"
    diag "state '$(disc state)', name '$(disc name)'"
    diag_file "$FERRY_ERR"
fi
if wait_for 10 browse_has b "$NAME dup #2" "$FERRY_PORT" && browse_has b "$NAME dup" 9; then
    pass "b sees both: avahi-publish's and ferryd's under the new name"
else
    fail "b sees both: avahi-publish's and ferryd's under the new name"
    diag "b sees:" "$(browse b)"
fi
ferry_stop
lan_kill "$PUB_PID"

site_publish b "$NAME net" 9
wait_for 10 browse_has a "$NAME net" 9 || diag "b's '$NAME net' not seen from a"
start "$NAME net" || bail_out "a ferryd did not start"
if wait_for 15 disc_is published "$NAME net #2"; then
    pass "name taken by another device: renamed to '$NAME net #2' in the same group"
else
    fail "name taken by another device: renamed to '$NAME net #2' in the same group"
    diag "state '$(disc state)', name '$(disc name)'"
    diag_file "$FERRY_ERR"
fi
if wait_for 10 browse_has b "$NAME net #2" "$FERRY_PORT"; then
    pass "b resolves '$NAME net #2' on ferryd's port"
else
    fail "b resolves '$NAME net #2' on ferryd's port"
    diag "b sees:" "$(browse b)"
fi
ferry_stop
lan_kill "$PUB_PID"

FERRY_PID=$MAIN_PID FERRY_BASE=$MAIN_BASE FERRY_PORT=$MAIN_PORT FERRY_ERR=$MAIN_ERR

# ---------------------------------------------------------------- avahi-daemon restart
site_avahi_kill a
if wait_for 5 disc_is connecting; then
    pass "avahi-daemon killed: status 'connecting'"
else
    fail "avahi-daemon killed: status 'connecting'"
    diag "state '$(disc state)'"
fi
site_avahi_start a || bail_out "avahi-daemon did not start again"
if wait_for 15 disc_is published "$NAME" && wait_for 5 browse_has a "$NAME" "$MAIN_PORT"; then
    pass "avahi-daemon restarted: the service is back without restarting ferryd"
else
    fail "avahi-daemon restarted: the service is back without restarting ferryd"
    diag "state '$(disc state)'" "a sees:" "$(browse a)"
    diag_file "$MAIN_ERR"
fi
if grep -q 'lost the connection to avahi-daemon' "$MAIN_ERR" && grep -q 'connected to avahi-daemon' "$MAIN_ERR"; then
    pass "ferryd's log says it lost avahi-daemon and reconnected"
else
    fail "ferryd's log says it lost avahi-daemon and reconnected"
    diag_file "$MAIN_ERR"
fi

# ---------------------------------------------------------------- bus restart
site_bus_kill a
# avahi-daemon exits when its bus goes; a service manager would restart it
wait_gone "${SITE_AVAHI_PID[a]}" 5 || site_avahi_kill a
wait "${SITE_AVAHI_PID[a]}" 2>/dev/null
if wait_for 10 grep -q 'D-Bus is not reachable' "$MAIN_ERR"; then
    pass "system bus killed: ferryd says so and keeps retrying"
else
    fail "system bus killed: ferryd says so and keeps retrying"
    diag_file "$MAIN_ERR"
fi
CODE=$(in_site a curl -q -s -o /dev/null -w '%{http_code}' --max-time "$T_CURL" "$MAIN_BASE/hello.txt")
is "$CODE" 200 "HTTP goes on while the bus is gone"
sleep 2 # let the retry timer back off (1 s, 2 s, ...)
site_bus_start a || bail_out "dbus-daemon did not start again"
site_avahi_start a || bail_out "avahi-daemon did not start again"
if wait_for 20 disc_is published "$NAME" && wait_for 5 browse_has a "$NAME" "$MAIN_PORT"; then
    pass "bus and avahi-daemon back: so is the service"
else
    fail "bus and avahi-daemon back: so is the service"
    diag "state '$(disc state)'" "a sees:" "$(browse a)"
    diag_file "$MAIN_ERR"
fi
wait_for 10 browse_has b "$NAME" "$MAIN_PORT" || diag "b does not see '$NAME' yet"

# ---------------------------------------------------------------- lifecycle
lifecycle_cycle "$NAME" "avahi"

# ---------------------------------------------------------------- avahi-daemon hung
suspend_while_responder_hung "" "$MAIN_ERR"
KILLS=$("$FERRYCTL" -s "$CTL" status 2>/dev/null | sed 's/^ok //' |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["fake_os"]["kills"])' 2>/dev/null)
is "$KILLS" 0 "avahi-daemon hung: the fake OS recorded no watchdog kill"
kill -CONT "${SITE_AVAHI_PID[a]}"
ctl resume && ctl foreground
PORT=$(in_site a curl -q -s --max-time "$T_CURL" "$MAIN_BASE/.ferry/status" |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["port"])' 2>/dev/null)
if wait_for 15 disc_is published "$NAME" && wait_for 10 browse_has b "$NAME" "$PORT"; then
    pass "avahi-daemon continued, resume + foreground: b resolves '$NAME' again (port $PORT)"
else
    fail "avahi-daemon continued, resume + foreground: b resolves '$NAME' again"
    diag "state '$(disc state)'" "b sees:" "$(browse b)"
    diag_file "$MAIN_ERR"
fi
ferry_stop TERM "$MAIN_PID"

# ---------------------------------------------------------------- dns_sd
DNAME="ferry d$$"
if [ ! -x "$FERRYD_DNSSD" ]; then
    for ((i = 0; i < 14; i++)); do
        skip "dns_sd backend" "tests/ferryd-dnssd not built (no libavahi-compat-libdnssd-dev)"
    done
else
    FERRYD_AVAHI=$FERRYD
    FERRYD=$FERRYD_DNSSD
    CTL=$FERRY_TMP/ctl-dnssd.sock
    start "$DNAME" --os fake --control "$CTL" || bail_out "ferryd-dnssd did not start"
    DMAIN_PID=$FERRY_PID DMAIN_BASE=$FERRY_BASE DMAIN_PORT=$FERRY_PORT DMAIN_ERR=$FERRY_ERR
    is "$(disc backend)" dns_sd "tests/ferryd-dnssd runs the dns_sd backend"
    if wait_for 10 browse_has b "$DNAME" "$FERRY_PORT" && txt_ok "$(txt_of b "$DNAME")" 1; then
        pass "dns_sd: b resolves '$DNAME' on its port with the TXT"
    else
        fail "dns_sd: b resolves '$DNAME' on its port with the TXT"
        diag "b sees:" "$(browse b)"
        diag_file "$FERRY_ERR"
    fi
    like "$(zc_resolve "$DNAME" 5)" "^$FERRY_PORT	.*ferry=$VERSION .*up=1" \
        "dns_sd: python3-zeroconf in b resolves it"
    if wait_for 5 disc_is published "$DNAME"; then
        pass "dns_sd: status published as '$DNAME'"
    else
        fail "dns_sd: status published as '$DNAME'"
        diag "state '$(disc state)', name '$(disc name)'"
    fi

    # another device has the name: the responder renames by itself
    site_publish b "$DNAME net" 9
    wait_for 10 browse_has a "$DNAME net" 9 || diag "b's '$DNAME net' not seen from a"
    start "$DNAME net" || bail_out "ferryd-dnssd did not start"
    if wait_for 15 disc_is published "$DNAME net #2" &&
        wait_for 10 browse_has b "$DNAME net #2" "$FERRY_PORT"; then
        pass "dns_sd: name taken by another device: renamed, status and b say '$DNAME net #2'"
    else
        fail "dns_sd: name taken by another device: renamed, status and b say '$DNAME net #2'"
        diag "state '$(disc state)', name '$(disc name)'" "b sees:" "$(browse b)"
        diag_file "$FERRY_ERR"
    fi
    ferry_stop
    lan_kill "$PUB_PID"

    # another program of this host has it: a conflict, renamed here
    site_publish a "$DNAME dup" 9
    wait_for 10 browse_has b "$DNAME dup" 9 || diag "avahi-publish's '$DNAME dup' not seen from b"
    start "$DNAME dup" || bail_out "ferryd-dnssd did not start"
    if wait_for 10 disc_is published "$DNAME dup (2)" &&
        wait_for 10 browse_has b "$DNAME dup (2)" "$FERRY_PORT"; then
        pass "dns_sd: name taken on the same host: renamed, status and b say '$DNAME dup (2)'"
    else
        fail "dns_sd: name taken on the same host: renamed, status and b say '$DNAME dup (2)'"
        diag "state '$(disc state)', name '$(disc name)'" "b sees:" "$(browse b)"
        diag_file "$FERRY_ERR"
    fi
    ferry_stop
    lan_kill "$PUB_PID"

    FERRY_PID=$DMAIN_PID FERRY_BASE=$DMAIN_BASE FERRY_PORT=$DMAIN_PORT FERRY_ERR=$DMAIN_ERR
    lifecycle_cycle "$DNAME" "dns_sd"

    # a hung avahi-daemon: the withdrawal returns in time here too
    suspend_while_responder_hung "dns_sd: " "$FERRY_ERR"
    kill -CONT "${SITE_AVAHI_PID[a]}"
    ctl resume && ctl foreground
    if wait_for 15 disc_is published "$DNAME" && wait_for 10 browse_has b "$DNAME" "$FERRY_PORT"; then
        pass "dns_sd: avahi-daemon continued, resume + foreground: b resolves '$DNAME' again"
    else
        fail "dns_sd: avahi-daemon continued, resume + foreground: b resolves '$DNAME' again"
        diag "state '$(disc state)'" "b sees:" "$(browse b)"
        diag_file "$FERRY_ERR"
    fi

    site_avahi_kill a
    site_avahi_start a || bail_out "avahi-daemon did not start again"
    if wait_for 15 disc_is published "$DNAME" && wait_for 5 browse_has a "$DNAME" "$FERRY_PORT"; then
        pass "dns_sd: avahi-daemon restarted: registered again by itself"
    else
        fail "dns_sd: avahi-daemon restarted: registered again by itself"
        diag "state '$(disc state)'" "a sees:" "$(browse a)"
        diag_file "$FERRY_ERR"
    fi
    ferry_stop TERM "$DMAIN_PID"
    FERRYD=$FERRYD_AVAHI
fi

finish
