#!/bin/bash
# t-options.sh — ferryd's command line and config file: --help/--version,
# bad options and unusable roots end at once with a non-zero status (2 for
# usage errors, 1 for runtime errors) and a message on stderr that names the
# offending option, value, path or config line; a good config file works; a
# busy port is a runtime error; SIGINT is a clean shutdown.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl

plan 60

root=$FERRY_TMP/root
mkdir "$root"
printf 'hello\n' >"$root/hello.txt"
printf 'dot\n' >"$root/.dot"
version=$(sed -n 's/^AC_INIT(\[ferry\], *\[\([^]]*\)\].*/\1/p' \
    "$FERRY_SRCDIR/configure.ac")

# ere QUOTED: QUOTED with the ERE metacharacters escaped.
ere() {
    printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'
}

# refuses DESC RC_ERE NEEDLE_ERE ARGS...: two points. ferryd ARGS must exit
# at once with a status matching RC_ERE (and not start serving), and its
# stderr must match NEEDLE_ERE.
refuses() {
    local desc=$1 rc_ere=$2 needle=$3
    shift 3
    ferry_run "$@"
    if grep -q 'is serving' "$RUN_OUT"; then
        fail "$desc: refused"
        diag "it started serving:"
        diag_file "$RUN_OUT" 5
    else
        like "$RUN_RC" "^($rc_ere)\$" "$desc: exit status $rc_ere"
    fi
    like "$(tr -d '\0' <"$RUN_ERR")" "$needle" "$desc: stderr names it"
}

# ---------------------------------------------------------------- help
for o in --help -h; do
    ferry_run "$o"
    is "$RUN_RC" 0 "$o exits 0"
    like "$(cat "$RUN_OUT")" '[Uu]sage:.*' "$o prints a usage on stdout"
done
ferry_run --help
like "$(cat "$RUN_OUT")" '--port' "--help describes --port"
like "$(cat "$RUN_OUT")" '--follow-symlinks' "--help describes --follow-symlinks"
for o in --version -V; do
    ferry_run "$o"
    like "$RUN_RC $(cat "$RUN_OUT")" "^0 .*$(ere "$version")" \
        "$o exits 0 and prints $version"
done

# ---------------------------------------------------------------- roots
missing=$FERRY_TMP/does-not-exist
refuses "missing root" '1|2' "$(ere "$missing")" \
    --bind 127.0.0.1 --port 0 --no-qr "$missing"
refuses "a file as root" '1|2' "$(ere "$root/hello.txt")" \
    --bind 127.0.0.1 --port 0 --no-qr "$root/hello.txt"

locked=$FERRY_TMP/locked
mkdir "$locked"
chmod 000 "$locked"
if [ "$(id -u)" != 0 ]; then
    refuses "unreadable root (mode 000)" '1|2' "$(ere "$locked")" \
        --bind 127.0.0.1 --port 0 --no-qr "$locked"
elif setpriv --bounding-set=-dac_override,-dac_read_search true 2>/dev/null; then
    # root reads anything; drop the two capabilities that let it.
    FERRY_TEST_WRAPPER="setpriv --bounding-set=-dac_override,-dac_read_search $FERRY_TEST_WRAPPER" \
        refuses "unreadable root (mode 000, root without CAP_DAC_*)" \
        '1|2' "$(ere "$locked")" --bind 127.0.0.1 --port 0 --no-qr "$locked"
else
    skip "unreadable root: exit status" "running as root, cannot drop CAP_DAC_OVERRIDE"
    skip "unreadable root: stderr names it" "running as root, cannot drop CAP_DAC_OVERRIDE"
fi

# ---------------------------------------------------------------- options
refuses "unknown option --frobnicate" 2 frobnicate \
    --frobnicate --bind 127.0.0.1 --port 0 --no-qr "$root"
refuses "--port 70000" 2 70000 --bind 127.0.0.1 --port 70000 --no-qr "$root"
refuses "--port abc" 2 abc --bind 127.0.0.1 --port abc --no-qr "$root"
refuses "--port -1" 2 '-1' --bind 127.0.0.1 --port -1 --no-qr "$root"
refuses "--bind not-an-ip" 2 not-an-ip --bind not-an-ip --port 0 --no-qr "$root"
refuses "--log-level bogus" 2 bogus --bind 127.0.0.1 --port 0 --no-qr \
    --log-level bogus "$root"
refuses "--threads lots" 2 lots --bind 127.0.0.1 --port 0 --no-qr \
    --threads lots "$root"
refuses "--trash-days 0" 2 'trash-days' --bind 127.0.0.1 --port 0 --no-qr \
    --trash-days 0 "$root"
refuses "--upload-expiry 2x" 2 'upload-expiry' --bind 127.0.0.1 --port 0 --no-qr \
    --upload-expiry 2x "$root"
refuses "two folders" 2 "$(ere "$FERRY_TMP")" \
    --bind 127.0.0.1 --port 0 --no-qr "$root" "$FERRY_TMP"

# ---------------------------------------------------------------- config
cfg_key=$FERRY_TMP/bad-key.ini
printf '# ferryd test config\nport = 0\n\nfrobnicate = 1\nno-qr = true\n' >"$cfg_key"
refuses "config with an unknown key on line 4" '1|2' \
    "$(ere "$cfg_key")(:4([^0-9]|\$)|.*line 4([^0-9]|\$))" \
    --bind 127.0.0.1 -c "$cfg_key" "$root"
like "$(cat "$RUN_ERR")" frobnicate "config with an unknown key: stderr names the key"

cfg_val=$FERRY_TMP/bad-value.ini
printf 'no-qr = true\n; comment\nport = abc\n' >"$cfg_val"
refuses "config with a bad value on line 3" '1|2' \
    "$(ere "$cfg_val")(:3([^0-9]|\$)|.*line 3([^0-9]|\$))" \
    --bind 127.0.0.1 --config "$cfg_val" "$root"
like "$(cat "$RUN_ERR")" abc "config with a bad value: stderr names the value"

cfg_bool=$FERRY_TMP/bad-bool.ini
printf 'no-qr = true\nread-only = perhaps\n' >"$cfg_bool"
refuses "config with read-only = perhaps (line 2)" '1|2' \
    "$(ere "$cfg_bool")(:2([^0-9]|\$)|.*line 2([^0-9]|\$))" \
    --bind 127.0.0.1 --port 0 -c "$cfg_bool" "$root"

refuses "missing config file" '1|2' "$(ere "$FERRY_TMP/nope.ini")" \
    --bind 127.0.0.1 --port 0 -c "$FERRY_TMP/nope.ini" "$root"

cfg_good=$FERRY_TMP/good.ini
cat >"$cfg_good" <<EOF
# a working configuration
root = $root
bind = 127.0.0.1
port = 0
no-qr = true
log-level = info
hidden = true
EOF
if ferry_start_argv -c "$cfg_good"; then
    pass "a good config file (root, bind, port, hidden) starts ferryd"
    http "$FERRY_BASE/hello.txt"
    is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:hello" "config: serves its root"
    http "$FERRY_BASE/.dot"
    is "$HTTP_STATUS" 200 "config: hidden = true serves dot-files"
    ferry_stop TERM
else
    fail "a good config file (root, bind, port, hidden) starts ferryd"
    skip "config: serves its root" "did not start"
    skip "config: hidden = true serves dot-files" "did not start"
    skip "ferryd exits 0 on SIGTERM" "did not start"
fi

# ---------------------------------------------------------------- binds
if "$PYTHON" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
    2>/dev/null; then
    if FERRY_URL_RE='http://\[::1\]:[0-9]*/' ferry_start_argv \
        --bind ::1 --port 0 --no-qr "$root"; then
        pass "--bind ::1 prints an http://[::1]:PORT/ URL"
        http -g "$FERRY_BASE/hello.txt"
        is "$HTTP_STATUS:$(cat "$HTTP_BODY")" "200:hello" "--bind ::1 serves over IPv6"
        unlike "$(cat "$FERRY_OUT")" '127\.0\.0\.1' "--bind ::1 prints no IPv4 URL"
        ferry_stop
    else
        fail "--bind ::1 prints an http://[::1]:PORT/ URL"
        skip "--bind ::1 serves over IPv6" "did not start"
        skip "--bind ::1 prints no IPv4 URL" "did not start"
        skip "ferryd exits 0 on SIGTERM" "did not start"
    fi
    if ferry_start_argv --bind 127.0.0.1 --bind ::1 --port 0 --no-qr "$root"; then
        v6=$(grep -m1 -o 'http://\[::1\]:[0-9]*/' "$FERRY_OUT")
        http "$FERRY_BASE/hello.txt"
        is "$HTTP_STATUS" 200 "--bind 127.0.0.1 --bind ::1: the IPv4 URL serves"
        if [ -n "$v6" ]; then
            http -g "${v6}hello.txt"
            is "$HTTP_STATUS" 200 "--bind 127.0.0.1 --bind ::1: the IPv6 URL serves"
        else
            fail "--bind 127.0.0.1 --bind ::1: the IPv6 URL serves"
            diag "no http://[::1]:PORT/ line on stdout:"
            diag_file "$FERRY_OUT"
        fi
        ferry_stop
    else
        fail "--bind 127.0.0.1 --bind ::1: the IPv4 URL serves"
        skip "--bind 127.0.0.1 --bind ::1: the IPv6 URL serves" "did not start"
        skip "ferryd exits 0 on SIGTERM" "did not start"
    fi
else
    for d in "--bind ::1 prints an http://[::1]:PORT/ URL" \
        "--bind ::1 serves over IPv6" "--bind ::1 prints no IPv4 URL" \
        "ferryd exits 0 on SIGTERM" \
        "--bind 127.0.0.1 --bind ::1: the IPv4 URL serves" \
        "--bind 127.0.0.1 --bind ::1: the IPv6 URL serves" \
        "ferryd exits 0 on SIGTERM"; do
        skip "$d" "no IPv6 loopback on this machine"
    done
fi

# ---------------------------------------------------------------- runtime
ferry_start "$root" || bail_out "ferryd did not start"
first_pid=$FERRY_PID
refuses "a port already in use" 1 "$FERRY_PORT" \
    --bind 127.0.0.1 --port "$FERRY_PORT" --no-qr "$root"
http "$FERRY_BASE/hello.txt"
is "$HTTP_STATUS" 200 "the first server still serves after the failed second start"
like "$(cat "$FERRY_OUT")" "ferry $(ere "$version") is serving $(ere "$root")" \
    "stdout says 'ferry $version is serving DIR'"
ferry_stop INT "$first_pid"

finish
