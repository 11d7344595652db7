#!/bin/bash
# t-netchange.sh — network changes without polling (daemon/netwatch-netlink.c):
# the real ferryd (HTTP and HTTPS, wildcard bind) runs in a network namespace
# that this test creates, with a veth pair (both ends inside it) whose addresses (in
# 10.215.N.0/24 and 10.216.N.0/24, which exist only inside that namespace) the test adds and
# removes:
#   1. at start the URLs in /.ferry/status name the first address only;
#   2. an address added: /.ferry/status lists its URLs, ferryd logs the new
#      URLs, the new URL answers, the TLS certificate is issued again and
#      names the new address (its fingerprint changes; status says so);
#   3. the first address removed: its URLs leave /.ferry/status and the
#      certificate; the server still answers on loopback and the new one;
#   4. an address event that changes nothing ferry serves on (new
#      lifetimes of an address) is seen, and costs no rebind.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl
need_cmd openssl
[ "$(id -u)" = 0 ] || skip_all "network namespaces need root"
command -v ip >/dev/null 2>&1 || skip_all "ip (iproute2) not installed"

NS=ferry-nc-$$
N=$(($$ % 250 + 2))
NET=10.215.$N  # the first address, $NET.1
NET2=10.216.$N # the second, $NET2.2: another subnet (removing a subnet's
               # primary address would take its secondaries with it)
if ! err=$(ip netns add "$NS" 2>&1); then
    skip_all "cannot create a network namespace (ip netns add: $err)"
fi
nc_cleanup_() {
    local rc=$? pid
    trap - EXIT
    for pid in ${FERRY_PIDS[@]+"${FERRY_PIDS[@]}"}; do
        stop_pid "$pid"
    done
    FERRY_PIDS=()
    ip netns del "$NS" 2>/dev/null
    (exit "$rc")
    ferry_cleanup_
}
trap nc_cleanup_ EXIT
if ! err=$(ip -n "$NS" link set lo up 2>&1 &&
    ip -n "$NS" link add d0 type veth peer name d0p 2>&1 &&
    ip -n "$NS" link set d0 up 2>&1 && ip -n "$NS" link set d0p up 2>&1); then
    skip_all "cannot make a veth pair in the namespace ($err)"
fi
ip -n "$NS" addr add "$NET.1/24" dev d0 || bail_out "cannot add $NET.1"

plan 18

# ferryd runs in the namespace ("ip netns exec" execs: the PID stays ferryd's).
eval "nc_orig_$(declare -f ferry_argv_)"
ferry_argv_() {
    nc_orig_ferry_argv_ "$@"
    FERRY_ARGV=(ip netns exec "$NS" "${FERRY_ARGV[@]}")
}
# in_ns CMD...: CMD inside the namespace.
in_ns() {
    ip netns exec "$NS" "$@"
}

root=$FERRY_TMP/root
state=$FERRY_TMP/state
mkdir "$root"
printf 'hello, network\n' >"$root/small.txt"
T_WAIT=$((10 * T_SCALE))

# status_urls: the "urls" of /.ferry/status, space-separated ("?" if none).
status_urls() {
    in_ns curl -q -sS --max-time "$T_CURL" -o "$HTTP_BODY" "$FERRY_BASE/.ferry/status" 2>/dev/null
    pyj "$HTTP_BODY" '" ".join(j["urls"])'
}
status_fp() {
    in_ns curl -q -sS --max-time "$T_CURL" -o "$HTTP_BODY" "$FERRY_BASE/.ferry/status" 2>/dev/null
    pyj "$HTTP_BODY" 'j["tls"]["fingerprint"]'
}
# wait_urls ERE want|unwanted: polls (bounded) until the status URLs match
# (or no longer match) ERE. Sets URLS.
wait_urls() {
    local i
    for ((i = 0; i < 20 * T_WAIT; i++)); do
        URLS=$(status_urls)
        if [ "$2" = want ]; then
            [[ $URLS =~ $1 ]] && return 0
        else
            [[ $URLS =~ $1 ]] || return 0
        fi
        sleep 0.05
    done
    return 1
}
# cert_ips PORT: the IP addresses the HTTPS certificate on PORT names.
cert_ips() {
    in_ns openssl s_client -connect "127.0.0.1:$1" </dev/null 2>/dev/null |
        openssl x509 -noout -ext subjectAltName 2>/dev/null |
        grep -o 'IP Address:[0-9a-fA-F:.]*' | sed 's/IP Address://' | sort | paste -sd' ' -
}

ferry_start_argv --port 0 --tls=both --tls-port 0 --no-qr --no-mdns --log-level debug \
    --os none --state-dir "$state" "$root" || bail_out "ferryd did not start in the namespace"
port=$FERRY_PORT
tls_port=$(sed -n 's/.*and port \([0-9]*\) (HTTPS).*/\1/p' "$FERRY_OUT")

# ---------------------------------------------------------------- 1. start
like "$(status_urls)" "http://$NET\.1:$port/" "start: /.ferry/status lists the first address"
unlike "$(status_urls)" "$NET2\.2" "start: not the second one (not there yet)"
fp0=$(status_fp)
like "$(cert_ips "$tls_port")" "(^| )$NET\.1( |$)" "start: the certificate names $NET.1"

# ---------------------------------------------------------------- 2. add
ip -n "$NS" addr add "$NET2.2/24" dev d0
wait_urls "https://$NET2\.2:$tls_port/.*http://$NET2\.2:$port/" want
like "$URLS" "http://$NET2\.2:$port/" "an address added: /.ferry/status lists its URLs"
for ((i = 0; i < 20 * T_WAIT; i++)); do
    grep -q "network: URLs now: .*http://$NET2\.2:$port/" "$FERRY_ERR" && break
    sleep 0.05
done
like "$(grep 'network: URLs now' "$FERRY_ERR" | tail -n 1)" "http://$NET2\.2:$port/" \
    "ferryd logs the new URLs"
is "$(in_ns curl -q -sS --max-time "$T_CURL" "http://$NET2.2:$port/small.txt")" \
    "hello, network" "the new URL answers"
fp1=$(status_fp)
isnt "$fp1" "$fp0" "the TLS certificate was issued again (new fingerprint in /.ferry/status)"
like "$(cert_ips "$tls_port")" "(^| )$NET2\.2( |$)" "the certificate served now names $NET2.2"
like "$(grep 'TLS certificate issued for the new addresses' "$FERRY_ERR" | tail -n 1)" "$fp1" \
    "the log gives the new fingerprint"

# ---------------------------------------------------------------- 3. remove
ip -n "$NS" addr del "$NET.1/24" dev d0
wait_urls "$NET\.1:" unwanted
# the certificate follows once the watcher has seen the change: its log line
for ((i = 0; i < 20 * T_WAIT; i++)); do
    [ "$(grep -c 'network: URLs now' "$FERRY_ERR")" -ge 2 ] && break
    sleep 0.05
done
unlike "$(grep 'network: URLs now' "$FERRY_ERR" | tail -n 1)" "$NET\.1:" \
    "ferryd logs the URLs without the removed address"
unlike "$URLS" "$NET\.1:" "the first address removed: its URLs leave /.ferry/status"
like "$URLS" "http://$NET2\.2:$port/" "the second address stays"
ips=$(cert_ips "$tls_port")
unlike "$ips" "(^| )$NET\.1( |$)" "the certificate no longer names $NET.1"
like "$ips" "(^| )$NET2\.2( |$)" "and still names $NET2.2"
is "$(in_ns curl -q -sS --max-time "$T_CURL" "$FERRY_BASE/small.txt")" "hello, network" \
    "loopback still answers"

# ---------------------------------------------------------------- 4. no polling
n=$(grep -c 'network: addresses changed' "$FERRY_ERR")
u=$(grep -c 'addresses ferry serves on are unchanged' "$FERRY_ERR")
ip -n "$NS" addr change "$NET2.2/24" dev d0 valid_lft 3000 preferred_lft 3000
for ((i = 0; i < 20 * T_WAIT; i++)); do
    [ "$(grep -c 'addresses ferry serves on are unchanged' "$FERRY_ERR")" -gt "$u" ] && break
    sleep 0.05
done
if [ "$(grep -c 'addresses ferry serves on are unchanged' "$FERRY_ERR")" -gt "$u" ]; then
    pass "an address event that changes nothing is seen (debug line)"
else
    fail "an address event that changes nothing is seen (debug line)"
fi
is "$(grep -c 'network: addresses changed' "$FERRY_ERR")" "$n" \
    "and it posts no network change (no rebind)"

ferry_stop TERM
finish
