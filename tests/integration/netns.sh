# netns.sh — a private two-device mDNS LAN for ferry's discovery tests and
# benchmarks (t-discovery.sh, contrib/bench/mdns-resume.sh).
#
# Sourced after lib.sh (it uses FERRY_TMP, T_SCALE, diag, skip_all and
# bail_out, and chains lib.sh's exit trap). This file owns:
#   - two network namespaces, "a" (where ferryd runs) and "b" ("another
#     device on the LAN"), joined by a veth pair with addresses in
#     10.213.N.0/24 (N from the test's PID). The addresses exist only
#     inside the two namespaces: no traffic leaves them;
#   - per namespace, a private system D-Bus (dbus-daemon with its own
#     config and socket in $FERRY_TMP/site-X/) and an avahi-daemon (in a
#     private mount namespace, with /run on a tmpfs, as its pid file and
#     socket paths are fixed);
#   - every process started with lan_* or site_* (and any registered with
#     lan_track), killed by PID on exit, also after a failure; the
#     namespaces are deleted. ferryd instances of lib.sh are stopped first.
#
# Use: lan_require (skips the whole script when namespaces cannot be made),
# lan_up (bails out when the LAN cannot be built), then:
#   in_site SITE CMD...       run CMD in SITE's namespace with its bus
#   site_avahi_start/kill SITE, site_bus_start/kill SITE
#   browse SITE               resolved _http._tcp services seen by SITE's
#                             avahi-daemon: "name<TAB>port<TAB>address<TAB>txt"
#   zc_resolve NAME SECONDS   python3-zeroconf in namespace b: prints
#                             "port<TAB>address<TAB>txt" or fails
# After lan_up, DBUS_SYSTEM_BUS_ADDRESS is site a's bus and ferry_start*
# run ferryd inside namespace a (FERRY_NETNS; empty = no namespace).
#
# shellcheck shell=bash disable=SC2034

LAN_N=$(($$ % 250 + 2))
LAN_NET=10.213.$LAN_N
declare -A SITE_NS SITE_IF SITE_IP SITE_DIR SITE_BUS SITE_BUS_PID SITE_AVAHI_PID
LAN_PIDS=()   # other processes to kill on exit (publishers, browsers)
LAN_NAMES=()  # namespaces to delete on exit
FERRY_NETNS=""

# lan_track PID: kill PID (SIGKILL) on exit if still running.
lan_track() {
    LAN_PIDS+=("$1")
}

# lan_kill PID: SIGKILL and reap, by PID only.
lan_kill() {
    [ -n "$1" ] || return 0
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

lan_cleanup_() {
    local rc=$? pid ns s
    trap - EXIT
    # ferryd first: it talks to the buses and daemons below
    for pid in ${FERRY_PIDS[@]+"${FERRY_PIDS[@]}"}; do
        stop_pid "$pid"
    done
    FERRY_PIDS=()
    for pid in ${LAN_PIDS[@]+"${LAN_PIDS[@]}"}; do
        lan_kill "$pid"
    done
    for s in "${!SITE_AVAHI_PID[@]}"; do
        lan_kill "${SITE_AVAHI_PID[$s]}"
    done
    for s in "${!SITE_BUS_PID[@]}"; do
        lan_kill "${SITE_BUS_PID[$s]}"
    done
    for ns in ${LAN_NAMES[@]+"${LAN_NAMES[@]}"}; do
        ip netns del "$ns" 2>/dev/null
    done
    (exit "$rc")
    ferry_cleanup_
}
trap lan_cleanup_ EXIT

# ferryd runs inside FERRY_NETNS when it is set: lib.sh's command line,
# with "ip netns exec NS" in front (ip execs, so the PID stays ferryd's or
# its wrapper's).
eval "lan_orig_$(declare -f ferry_argv_)"
ferry_argv_() {
    lan_orig_ferry_argv_ "$@"
    if [ -n "$FERRY_NETNS" ]; then
        FERRY_ARGV=(ip netns exec "$FERRY_NETNS" "${FERRY_ARGV[@]}")
    fi
}

# lan_require: skip_all unless this machine can build the LAN.
lan_require() {
    local c err
    [ "$(id -u)" = 0 ] || skip_all "network namespaces need root"
    for c in ip unshare dbus-daemon dbus-send avahi-daemon avahi-browse avahi-publish; do
        command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"
    done
    [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import zeroconf' 2>/dev/null ||
        skip_all "python3-zeroconf not installed (/usr/bin/python3)"
    if ! err=$(ip netns add "ferry-a-$$" 2>&1); then
        skip_all "cannot create a network namespace (ip netns add: $err)"
    fi
    LAN_NAMES+=("ferry-a-$$")
    if ! err=$(ip netns exec "ferry-a-$$" unshare -m sh -c 'mount -t tmpfs tmpfs /run' 2>&1); then
        skip_all "cannot mount a private /run in a namespace ($err)"
    fi
}

# wait_for SECONDS CMD...: polls CMD (0.1 s steps) until it succeeds;
# SECONDS is scaled by T_SCALE. Returns 1 on timeout.
wait_for() {
    local i n=$(($1 * 10 * T_SCALE))
    shift
    for ((i = 0; i < n; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    "$@" >/dev/null 2>&1
}

# in_site SITE CMD...: CMD in SITE's namespace, on SITE's bus.
in_site() {
    local s=$1
    shift
    ip netns exec "${SITE_NS[$s]}" env DBUS_SYSTEM_BUS_ADDRESS="${SITE_BUS[$s]}" "$@"
}

# in_site_bg SITE CMD...: in_site in the background; $! is CMD's PID (ip
# and env exec, no shell stays in between).
in_site_bg() {
    local s=$1
    shift
    ip netns exec "${SITE_NS[$s]}" env DBUS_SYSTEM_BUS_ADDRESS="${SITE_BUS[$s]}" "$@" &
}

# site_bus_start SITE: the private system bus of SITE; waits for its socket.
site_bus_start() {
    local s=$1 dir=${SITE_DIR[$1]}
    rm -f "$dir/bus.sock"
    dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile \
        >>"$dir/bus.log" 2>&1 &
    SITE_BUS_PID[$s]=$!
    wait_for 5 test -S "$dir/bus.sock"
}

# site_bus_kill SITE
site_bus_kill() {
    lan_kill "${SITE_BUS_PID[$1]}"
    SITE_BUS_PID[$1]=""
}

# site_avahi_ready SITE: avahi-daemon of SITE answers GetState with 2 (running).
site_avahi_ready() {
    in_site "$1" dbus-send --system --print-reply --reply-timeout=2000 \
        --dest=org.freedesktop.Avahi / org.freedesktop.Avahi.Server.GetState 2>/dev/null |
        grep -q 'int32 2'
}

# site_avahi_start SITE: avahi-daemon in SITE's namespace, with a private
# /run; waits until it runs. Returns 1 (with its log) if it does not.
site_avahi_start() {
    local s=$1 dir=${SITE_DIR[$1]}
    in_site_bg "$s" unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec avahi-daemon -f "$1" --no-drop-root --no-chroot --no-rlimits --no-proc-title' \
        sh "$dir/avahi.conf" >>"$dir/avahi.log" 2>&1
    SITE_AVAHI_PID[$s]=$!
    if ! wait_for 10 site_avahi_ready "$s"; then
        diag "avahi-daemon in ${SITE_NS[$s]} did not start:"
        diag_file "$dir/avahi.log"
        return 1
    fi
}

# site_avahi_kill SITE: SIGKILL, as a crash would (no goodbye packets).
site_avahi_kill() {
    lan_kill "${SITE_AVAHI_PID[$1]}"
    SITE_AVAHI_PID[$1]=""
}

# site_make_ SITE NS IFACE IP: writes SITE's bus and avahi configurations.
site_make_() {
    local s=$1 dir=$FERRY_TMP/site-$1
    SITE_NS[$s]=$2
    SITE_IF[$s]=$3
    SITE_IP[$s]=$4
    SITE_DIR[$s]=$dir
    SITE_BUS[$s]=unix:path=$dir/bus.sock
    mkdir -p "$dir"
    cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
</busconfig>
EOF
    cat >"$dir/avahi.conf" <<EOF
[server]
host-name=ferry-$s-$$
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=$3
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=yes
publish-hinfo=no
publish-workstation=no
publish-aaaa-on-ipv4=no
publish-a-on-ipv6=no
[reflector]
enable-reflector=no
[rlimits]
EOF
}

# lan_up: both namespaces, the veth pair, both buses and avahi-daemons.
# Bails out (with diagnostics) when a step fails.
lan_up() {
    local a=ferry-a-$$ b=ferry-b-$$ s
    ip netns add "$b" || bail_out "ip netns add $b failed"
    LAN_NAMES+=("$b")
    site_make_ a "$a" "fva$$" "$LAN_NET.1"
    site_make_ b "$b" "fvb$$" "$LAN_NET.2"
    ip link add "fva$$" netns "$a" type veth peer name "fvb$$" netns "$b" ||
        bail_out "cannot create a veth pair"
    for s in a b; do
        ip -n "${SITE_NS[$s]}" link set lo up &&
            ip -n "${SITE_NS[$s]}" addr add "${SITE_IP[$s]}/24" dev "${SITE_IF[$s]}" &&
            ip -n "${SITE_NS[$s]}" link set "${SITE_IF[$s]}" up ||
            bail_out "cannot configure ${SITE_IF[$s]} in ${SITE_NS[$s]}"
    done
    for s in a b; do
        site_bus_start "$s" || bail_out "dbus-daemon for ${SITE_NS[$s]} did not start"
        site_avahi_start "$s" || bail_out "avahi-daemon for ${SITE_NS[$s]} did not start"
    done
    export DBUS_SYSTEM_BUS_ADDRESS=${SITE_BUS[a]}
    FERRY_NETNS=$a
    FERRY_URL_RE="http://$(printf '%s' "$LAN_NET" | sed 's/\./\\./g')\\.1:[0-9]*/"
}

# browse SITE [TYPE]: resolved services (default _http._tcp) as seen by
# SITE's avahi-daemon, one per line: name, port, address, TXT (avahi's
# quoted strings), tab-separated, names unescaped.
browse() {
    in_site "$1" timeout -k 1 $((10 * T_SCALE)) avahi-browse -rptk "${2:-_http._tcp}" 2>/dev/null |
        /usr/bin/python3 -c '
import re, sys
for line in sys.stdin:
    f = line.rstrip("\n").split(";")
    if f[0] != "=" or len(f) < 10 or f[2] != "IPv4":
        continue
    name = re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1))), f[3])
    name = re.sub(r"\\(.)", r"\1", name)
    print("\t".join([name, f[8], f[7], ";".join(f[9:])]))'
}

# browse_has SITE NAME [PORT]: SITE sees NAME resolved (on PORT).
browse_has() {
    browse "$1" | awk -F'\t' -v n="$2" -v p="${3:-}" \
        '$1 == n && (p == "" || $2 == p) { f = 1 } END { exit !f }'
}

# browse_lacks SITE NAME: SITE's browser does not list NAME (resolved or not).
browse_lacks() {
    ! in_site "$1" timeout -k 1 $((10 * T_SCALE)) avahi-browse -ptk _http._tcp 2>/dev/null |
        /usr/bin/python3 -c '
import re, sys
want = sys.argv[1]
for line in sys.stdin:
    f = line.rstrip("\n").split(";")
    if f[0] not in "+=" or len(f) < 4:
        continue
    name = re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1))), f[3])
    name = re.sub(r"\\(.)", r"\1", name)
    if name == want:
        sys.exit(0)
sys.exit(1)' "$2"
}

# The python3-zeroconf helper, run in namespace b. Modes:
#   resolve NAME SECONDS: prints "port<TAB>address<TAB>k=v k=v..." or exits 1;
#   wait NAME SECONDS: prints "ready", then polls until NAME resolves and
#     prints "resolved <unix time in ns>" (or "timeout").
LAN_ZC_PY='
import sys, time
from zeroconf import Zeroconf, IPVersion
mode, name, limit, addr = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
zc = Zeroconf(interfaces=[addr], ip_version=IPVersion.V4Only)
fq = name + "._http._tcp.local."
deadline = time.monotonic() + limit
try:
    if mode == "wait":
        print("ready", flush=True)
    while time.monotonic() < deadline:
        info = zc.get_service_info("_http._tcp.local.", fq, timeout=250)
        if info and info.port:
            if mode == "wait":
                print("resolved %d" % time.time_ns(), flush=True)
            else:
                txt = " ".join("%s=%s" % (k.decode(), (v or b"").decode())
                               for k, v in sorted(info.properties.items()))
                print("%d\t%s\t%s" % (info.port, ",".join(info.parsed_addresses(IPVersion.V4Only)), txt))
            sys.exit(0)
    print("timeout", flush=True)
    sys.exit(1)
finally:
    zc.close()
'

# zc_resolve NAME SECONDS: resolves NAME with python3-zeroconf from b.
zc_resolve() {
    in_site b timeout -k 1 $(($2 * T_SCALE + 10)) /usr/bin/python3 -c "$LAN_ZC_PY" \
        resolve "$1" $(($2 * T_SCALE)) "${SITE_IP[b]}" 2>/dev/null
}

# zc_wait_start NAME SECONDS OUT: starts the zeroconf waiter in b in the
# background (output to OUT) and waits for its "ready". Sets ZC_PID.
zc_wait_start() {
    in_site_bg b timeout -k 1 $(($2 * T_SCALE + 10)) /usr/bin/python3 -c "$LAN_ZC_PY" \
        wait "$1" $(($2 * T_SCALE)) "${SITE_IP[b]}" >"$3" 2>&1
    ZC_PID=$!
    lan_track "$ZC_PID"
    wait_for 10 grep -q ready "$3"
}

# now_ns: the wall clock in ns (as zeroconf's time.time_ns()).
now_ns() {
    date +%s%N
}

# site_publish SITE NAME PORT: avahi-publish of a _http._tcp service in SITE,
# in the background. Sets PUB_PID.
site_publish() {
    in_site_bg "$1" avahi-publish -s "$2" _http._tcp "$3" >>"${SITE_DIR[$1]}/publish.log" 2>&1
    PUB_PID=$!
    lan_track "$PUB_PID"
}
