# logind-mock.sh — a private system bus with a mock systemd-logind, for the
# logind port's tests (t-logind.sh) and the sleep soak (tests/soak/).
#
# Sourced after lib.sh (it uses FERRY_TMP, T_SCALE, PYTHON, track_pid,
# stop_pid, skip_all and diag). This file owns:
#   - a dbus-daemon of type "system" listening on $FERRY_TMP/lbus/bus.sock
#     (its own config, permissive policy); DBUS_SYSTEM_BUS_ADDRESS is
#     exported to point at it, so the ferryd started after uses it;
#   - python3-dbusmock's "logind" template on that bus (Debian's, written
#     by others), with InhibitDelayMaxUSec added (the template has none).
#     PrepareForSleep and PrepareForShutdown are sent with the mock's own
#     org.freedesktop.DBus.Mock.EmitSignal, so that the sender is the
#     org.freedesktop.login1 owner, as a real logind's would be.
# Both are tracked by lib.sh (track_pid): killed by PID on exit, also after
# a failure.
#
# Use: lgd_require (skips the whole script when a piece is missing),
# lgd_bus_start, lgd_mock_start [DELAY_US], then lgd_inhibitors,
# lgd_ferry_locks, lgd_wait_locks, lgd_emit, lgd_session_add, lgd_session_set,
# lgd_mock_kill.
#
# shellcheck shell=bash disable=SC2034

LGD_DIR=$FERRY_TMP/lbus
LGD_BUS_PID=""
LGD_MOCK_PID=""
LGD_L1=(org.freedesktop.login1 /org/freedesktop/login1)

# lgd_require: skip_all unless the pieces are here.
lgd_require() {
    local c
    for c in dbus-daemon busctl; do
        command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"
    done
    "$PYTHON" -c 'import dbusmock' 2>/dev/null ||
        skip_all "python3-dbusmock not installed ($PYTHON)"
}

# lgd_bus_start: the private system bus. Returns 1 when it does not come up.
lgd_bus_start() {
    local i
    mkdir -p "$LGD_DIR"
    rm -f "$LGD_DIR/bus.sock"
    cat >"$LGD_DIR/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$LGD_DIR/bus.sock</listen>
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
    dbus-daemon --config-file="$LGD_DIR/bus.conf" --nofork --nopidfile \
        >"$LGD_DIR/bus.log" 2>&1 &
    LGD_BUS_PID=$!
    track_pid "$LGD_BUS_PID"
    export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$LGD_DIR/bus.sock
    for ((i = 0; i < 100 * T_SCALE; i++)); do
        busctl --system call org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus GetId >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    diag "the private system bus did not come up:"
    diag_file "$LGD_DIR/bus.log"
    return 1
}

# lgd_bus_kill: the bus goes away (SIGKILL), with the mock if it runs.
lgd_bus_kill() {
    lgd_mock_kill
    [ -n "$LGD_BUS_PID" ] || return 0
    kill -KILL "$LGD_BUS_PID" 2>/dev/null
    wait "$LGD_BUS_PID" 2>/dev/null
    forget_pid "$LGD_BUS_PID"
    LGD_BUS_PID=""
}

# lgd_owned: login1 has an owner on the bus.
lgd_owned() {
    busctl --system call org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus GetNameOwner s org.freedesktop.login1 >/dev/null 2>&1
}

# lgd_mock_start [DELAY_US]: the mock logind, with InhibitDelayMaxUSec
# DELAY_US (default 5000000, logind's own default). Returns 1 when it does
# not come up.
lgd_mock_start() {
    local i delay=${1:-5000000}
    mkdir -p "$LGD_DIR"
    "$PYTHON" -m dbusmock --system --template logind >>"$LGD_DIR/mock.log" 2>&1 &
    LGD_MOCK_PID=$!
    track_pid "$LGD_MOCK_PID"
    for ((i = 0; i < 200 * T_SCALE; i++)); do
        lgd_owned && break
        alive "$LGD_MOCK_PID" || break
        sleep 0.05
    done
    if ! lgd_owned; then
        diag "the logind mock did not come up:"
        diag_file "$LGD_DIR/mock.log"
        return 1
    fi
    # newer templates may have the property: then it is set instead
    busctl --system call "${LGD_L1[@]}" org.freedesktop.DBus.Mock AddProperty ssv \
        org.freedesktop.login1.Manager InhibitDelayMaxUSec t "$delay" >/dev/null 2>&1 ||
        busctl --system call "${LGD_L1[@]}" org.freedesktop.DBus.Properties Set ssv \
            org.freedesktop.login1.Manager InhibitDelayMaxUSec t "$delay" >/dev/null
}

# lgd_mock_kill: logind leaves the bus (SIGKILL); its inhibitors die with it.
lgd_mock_kill() {
    [ -n "$LGD_MOCK_PID" ] || return 0
    kill -KILL "$LGD_MOCK_PID" 2>/dev/null
    wait "$LGD_MOCK_PID" 2>/dev/null
    forget_pid "$LGD_MOCK_PID"
    LGD_MOCK_PID=""
}

# lgd_inhibitors: the mock's inhibitors, one a line: "what who mode"
# (fields with spaces are not used by ferry's what/who/mode).
lgd_inhibitors() {
    busctl --system --json=short call "${LGD_L1[@]}" org.freedesktop.login1.Manager \
        ListInhibitors 2>/dev/null | "$PYTHON" -c '
import json, sys
for w, who, why, mode, uid, pid in json.load(sys.stdin)["data"][0]:
    print(w, who, mode)'
}

# lgd_ferry_locks: ferry's locks, sorted, joined with ","; "" when none.
lgd_ferry_locks() {
    lgd_inhibitors | awk '$2 == "ferry" { print $1 ":" $3 }' | sort | paste -sd, -
}

# lgd_wait_locks WANT [SECONDS]: polls (0.01 s steps, bounded) until
# lgd_ferry_locks prints WANT. Returns 1 on timeout; LGD_LOCKS is the last
# value seen.
lgd_wait_locks() {
    local i n=$((${2:-10} * 100 * T_SCALE))
    for ((i = 0; i < n; i++)); do
        LGD_LOCKS=$(lgd_ferry_locks)
        [ "$LGD_LOCKS" = "$1" ] && return 0
        sleep 0.01
    done
    return 1
}

# lgd_emit SIGNAL true|false: the mock logind sends PrepareForSleep or
# PrepareForShutdown.
lgd_emit() {
    busctl --system call "${LGD_L1[@]}" org.freedesktop.DBus.Mock EmitSignal sssav \
        org.freedesktop.login1.Manager "$1" b 1 b "$2"
}

# lgd_session_add ID: a session ID (seat0, uid 1000) on the mock.
lgd_session_add() {
    busctl --system call "${LGD_L1[@]}" org.freedesktop.DBus.Mock AddSession ssusb \
        "$1" seat0 1000 ferrytest true >/dev/null
}

# lgd_session_set ID PROPERTY true|false: sets IdleHint or LockedHint of
# session ID, with the PropertiesChanged signal logind sends.
lgd_session_set() {
    busctl --system call org.freedesktop.login1 "/org/freedesktop/login1/session/$1" \
        org.freedesktop.DBus.Mock UpdateProperties 'sa{sv}' \
        org.freedesktop.login1.Session 1 "$2" b "$3"
}
