# contrib/bench/lib.sh — what the benchmark runners (run, tls-run,
# upload-run) share. Sourced, never run.
#
# The runner sets, before calling into it:
#   BENCH_NAME   the prefix of error messages ("bench", "tls-bench", ...)
#   HERE         this folder; BUILD, the build folder; DO_MAKE (0 or 1)
#   RUNS         samples per figure and server (alternate)
#   TABLE_KEY_WIDTH  column width of the figure keys in "Samples" (default 13)
# and defines write_nginx_conf PORT when it uses start_nginx. The functions
# below use and set the globals declared here (TMP, the PIDs, CMDS, SAMPLES,
# ROWS, FERRYD, NGINX, FERRY_URL/PORT, NGINX_PORT).
#
# Rules every runner keeps (see README.md): a benchmark, not a test: exit 0
# unless something broke; temp data only in $TMP (mktemp -d under $TMPDIR),
# removed on exit; only the processes it started are stopped, by PID; every
# wait is bounded; traffic only to 127.0.0.1.
#
# shellcheck shell=bash disable=SC2034 # variables set here are for the runners

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    echo "lib.sh is sourced by the benchmark runners, not run" >&2
    exit 2
fi

: "${BENCH_NAME:=bench}"
TMP=""                # the data and logs folder (bench_tmp)
FERRY_PID="" NGINX_PID="" HOLD_PID=""
NGINX_WORKERS=()
FERRY_URL="" FERRY_PORT="" NGINX_PORT=""
CMDS=()               # exact commands, in the order first used
declare -A SAMPLES=() # "figure|server" -> space-separated samples
ROWS=()               # table rows: "figure|label|kind|target"

# die MESSAGE...: prints "BENCH_NAME: error: MESSAGE" on stderr and exits 1
# (the EXIT trap cleans up).
die() {
    echo "$BENCH_NAME: error: $*" >&2
    exit 1
}

# say MESSAGE...: prints a progress line ("# MESSAGE") on stdout.
say() {
    echo "# $*"
}

# loadavg LABEL: prints "# loadavg LABEL: 1m 5m 15m", so noisy sections show.
loadavg() {
    say "loadavg $1: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# record_cmd WORDS...: remembers a command line for the "Commands" section
# of print_table, once each, in the order first seen.
record_cmd() {
    local c
    for c in "${CMDS[@]}"; do [[ $c == "$*" ]] && return 0; done
    CMDS+=("$*")
}

# bench_tmp NAME: makes TMP=$(mktemp -d $TMPDIR/NAME.XXXXXX) and sets the
# traps: cleanup on EXIT, exit 130 on INT and TERM (which runs cleanup).
bench_tmp() {
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

# need_tools CMD...: installs with apt-get (root only; otherwise dies naming
# them) the packages of the commands missing, in the order given (nginx ->
# nginx-light, anything else -> the package of its own name); dies without
# /usr/bin/python3. Sets NGINX to nginx's path.
need_tools() {
    local -a pkgs=()
    local t
    for t in "$@"; do
        if [[ $t == nginx ]]; then
            command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || pkgs+=(nginx-light)
        else
            command -v "$t" >/dev/null || pkgs+=("$t")
        fi
    done
    [[ -x /usr/bin/python3 ]] || die "/usr/bin/python3 is needed (for free ports and the helper scripts)"
    if ((${#pkgs[@]})); then
        say "installing ${pkgs[*]}"
        ((EUID == 0)) || die "missing ${pkgs[*]}; install them (apt-get install -y --no-install-recommends ${pkgs[*]})"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
    fi
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
}

# find_ferryd [TARGET...]: sets FERRYD=$BUILD/ferryd, after `make -C BUILD
# ferryd TARGET...` when DO_MAKE is 1 and BUILD has a Makefile (log in
# $TMP/make.log). A failed make with a ferryd already there is a warning; no
# ferryd at all is fatal (the caller checks its other TARGETs).
# shellcheck disable=SC2120  # the targets are optional
find_ferryd() {
    FERRYD=$BUILD/ferryd
    if ((DO_MAKE)) && [[ -f $BUILD/Makefile ]]; then
        if ! make -C "$BUILD" ferryd "$@" >"$TMP/make.log" 2>&1; then
            [[ -x $FERRYD ]] || { tail -20 "$TMP/make.log" >&2; die "'make -C $BUILD ferryd${*:+ $*}' failed and there is no ferryd"; }
            say "WARNING: 'make -C $BUILD ferryd${*:+ $*}' failed; benchmarking the ferryd already built"
        fi
    fi
    [[ -x $FERRYD ]] || die "no ferryd at $FERRYD: build ferry first (configure in $BUILD, then make), or set FERRY_BUILD"
}

# raise_nofile [MIN]: raises the open-file limit to 65536 (or the hard
# limit); dies if MIN is given and the limit is still below it.
# shellcheck disable=SC2120  # MIN is optional
raise_nofile() {
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    [[ -z ${1:-} ]] || (($(ulimit -n) >= $1)) || die "ulimit -n is $(ulimit -n); need $1"
}

# need_space DIR KIB: dies unless DIR's file system has more than KIB KiB free.
need_space() {
    local avail
    avail=$(df -Pk "$1" | awk 'NR == 2 { print $4 }')
    ((avail > $2)) || die "need ~$(awk -v k="$2" 'BEGIN { printf "%.1f", k / 1048576 }') GiB free in $1 (have $((avail / 1024)) MiB)"
}

# make_big_file PATH BYTES: writes BYTES of random data to PATH: one 64 MiB
# chunk from /dev/urandom repeated (and cut), real blocks, not sparse. Dies
# if the size is wrong.
make_big_file() {
    local path=$1 size=$2 chunk=$((64 * 1024 * 1024)) i
    head -c 64M /dev/urandom >"$path.chunk"
    {
        for ((i = 0; i < size / chunk; i++)); do cat "$path.chunk"; done
        head -c $((size % chunk)) "$path.chunk"
    } >"$path"
    rm -f "$path.chunk"
    (($(stat -c %s "$path") == size)) || die "$(basename "$path") has the wrong size"
}

# free_port: prints a free TCP port on 127.0.0.1 (the kernel picks it; racy,
# so callers retry).
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# alive PID: 0 while PID runs (a zombie child counts as gone).
alive() {
    [[ -r /proc/$1/stat ]] && [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# wait_http URL PID [CURL_OPT...]: waits (bounded: 100 tries, 0.1 s apart,
# 1 s each) until URL gives any HTTP answer; 1 at once if PID dies, or in
# the end.
wait_http() {
    local url=$1 pid=$2 i
    shift 2
    for ((i = 0; i < 100; i++)); do
        alive "$pid" || return 1
        curl -s -o /dev/null --max-time 1 "$@" "$url" && return 0
        sleep 0.1
    done
    return 1
}

# stop_pid PID: stops one process we started (none when PID is empty):
# TERM and CONT (it may be stopped), up to 5 s, then KILL; reaps it.
stop_pid() {
    local pid=$1 i
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
}

# launch_ferryd SCHEME PATH [CURL_OPT...] -- ARGV...: starts ARGV (a ferryd
# on --port 0) with stdout in $TMP/ferryd.out and stderr in $TMP/ferryd.err,
# reads its SCHEME://127.0.0.1:PORT/ line (bounded, 10 s), then waits until
# PATH answers (wait_http with the curl options). Sets FERRY_PID (the real
# ferryd, should the libtool wrapper fork), FERRY_URL and FERRY_PORT; dies,
# showing ferryd's stderr, when it does not start.
launch_ferryd() {
    local scheme=$1 path=$2 i
    local -a copts=()
    shift 2
    while (($#)) && [[ $1 != -- ]]; do copts+=("$1"); shift; done
    shift
    record_cmd "$*"
    : >"$TMP/ferryd.out"
    "$@" >>"$TMP/ferryd.out" 2>>"$TMP/ferryd.err" &
    FERRY_PID=$!
    FERRY_URL=""
    for ((i = 0; i < 100; i++)); do
        FERRY_URL=$(grep -m1 -o "$scheme://127\\.0\\.0\\.1:[0-9]*/" "$TMP/ferryd.out" || true)
        [[ -n $FERRY_URL ]] && break
        alive "$FERRY_PID" || break
        sleep 0.1
    done
    if [[ -z $FERRY_URL ]] || ! wait_http "${FERRY_URL}${path#/}" "$FERRY_PID" "${copts[@]}"; then
        cat "$TMP/ferryd.err" >&2
        die "ferryd did not start"
    fi
    FERRY_PORT=${FERRY_URL%/}
    FERRY_PORT=${FERRY_PORT##*:}
    # The libtool wrapper execs the real binary; if it ever forks instead, use the child.
    if [[ $(cat "/proc/$FERRY_PID/comm") != *ferryd* ]]; then
        FERRY_PID=$(pgrep -P "$FERRY_PID" | head -1)
    fi
}

# nginx_conf WORKERS PORT: prints the nginx.conf common to the runners for
# WORKERS worker processes (foreground master, pid file, error log and temp
# paths in $TMP/nginx, sendfile, no access log, long keep-alive), with the
# server block read from stdin (its lines as given, without "server {}").
# "user root;" when run as root, so workers can read the 0700 temp folder.
nginx_conf() {
    local workers=$1 user=""
    ((EUID == 0)) && user="user root;"
    cat <<EOF
$user
daemon off;
master_process on;
worker_processes $workers;
worker_rlimit_nofile 8192;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    access_log off;
    keepalive_requests 100000;
    keepalive_timeout 120s;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    server {
EOF
    cat
    printf '    }\n}\n'
}

# start_nginx SCHEME PATH [CURL_OPT...]: starts nginx with the runner's
# write_nginx_conf PORT (which writes $TMP/nginx/nginx.conf) on a free port,
# up to 5 tries when the port was taken meanwhile, until SCHEME://127.0.0.1:
# PORT/PATH answers. Sets NGINX_PID (the master), NGINX_WORKERS, NGINX_PORT.
start_nginx() {
    local scheme=$1 path=$2 try port
    shift 2
    for ((try = 0; try < 5; try++)); do
        port=$(free_port)
        write_nginx_conf "$port"
        local -a cmd=("$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/logs/error.log")
        record_cmd "${cmd[*]}"
        "${cmd[@]}" >"$TMP/nginx/logs/stdout" 2>&1 &
        NGINX_PID=$!
        if wait_http "$scheme://127.0.0.1:$port/${path#/}" "$NGINX_PID" "$@"; then
            NGINX_PORT=$port
            mapfile -t NGINX_WORKERS < <(pgrep -P "$NGINX_PID" || true)
            return 0
        fi
        stop_pid "$NGINX_PID"
        NGINX_PID=""
    done
    tail -5 "$TMP/nginx/logs/error.log" >&2 || true
    die "nginx did not start"
}

# stop_servers: stops ferryd and nginx if running (nginx workers too, should
# the master leave any) and clears their PIDs.
stop_servers() {
    stop_pid "$FERRY_PID"
    stop_pid "$NGINX_PID"
    local w
    for w in "${NGINX_WORKERS[@]}"; do
        if alive "$w"; then kill -KILL "$w" 2>/dev/null || true; fi
    done
    FERRY_PID="" NGINX_PID="" NGINX_WORKERS=()
}

# cleanup: the EXIT trap: stops what we started (the connection holder, the
# servers) and removes $TMP.
cleanup() {
    set +e
    stop_pid "$HOLD_PID"
    stop_servers
    [[ -n $TMP && -d $TMP ]] && rm -rf "$TMP"
}

# start_hold ARG...: runs hold_conns.py ARG... in the background (HOLD_PID;
# output in $TMP/hold.out and hold.err) and waits (bounded, 60 s) for its
# "ready N" line; sets HOLD_HELD=N, empty when it never got ready.
start_hold() {
    local i
    HOLD_HELD=""
    : >"$TMP/hold.out"
    /usr/bin/python3 "$HERE/hold_conns.py" "$@" >>"$TMP/hold.out" 2>"$TMP/hold.err" &
    HOLD_PID=$!
    for ((i = 0; i < 600; i++)); do
        HOLD_HELD=$(awk '/^ready/ { print $2 }' "$TMP/hold.out")
        [[ -n $HOLD_HELD ]] && break
        alive "$HOLD_PID" || break
        sleep 0.1
    done
}

# rss_kib [FIELD] PID...: prints a /proc/PID/status field in KiB (default
# VmRSS; RssAnon is the private part, without the shared libraries' pages)
# of the PIDs given, summed.
rss_kib() {
    local field=VmRSS pid sum=0 v
    [[ $1 == Rss* || $1 == Vm* ]] && { field=$1; shift; }
    for pid in "$@"; do
        v=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}

# server_pids SERVER: prints the PIDs whose memory counts for SERVER (ferry:
# ferryd; nginx: master and workers).
server_pids() {
    if [[ $1 == ferry ]]; then echo "$FERRY_PID"; else echo "$NGINX_PID" "${NGINX_WORKERS[@]}"; fi
}

# add FIGURE SERVER VALUE: appends one sample of FIGURE for SERVER.
add() {
    SAMPLES["$1|$2"]+="$3 "
}

# median NUMBER...: prints the median of the numbers ("-" when none).
median() {
    printf '%s\n' "$@" | sort -g | awk 'NF { v[++n] = $1 } END {
        if (n == 0) print "-"; else if (n % 2) print v[(n + 1) / 2]; else print (v[n / 2] + v[n / 2 + 1]) / 2 }'
}

# alternate FN: calls FN SERVER RUN for RUN = 1..RUNS, ferry then nginx on
# odd runs, nginx then ferry on even ones, so a drift of the machine hits both.
alternate() {
    local fn=$1 i
    for ((i = 1; i <= RUNS; i++)); do
        if ((i % 2)); then "$fn" ferry "$i"; "$fn" nginx "$i"; else "$fn" nginx "$i"; "$fn" ferry "$i"; fi
    done
}

# run_sections NAME...: for each NAME listed in $SECTIONS (comma-separated),
# in the order given: the load average, section_NAME, the load average.
run_sections() {
    local sec
    for sec in "$@"; do
        [[ ,$SECTIONS, == *,$sec,* ]] || continue
        loadavg "before $sec"
        "section_$sec"
        loadavg "after $sec"
    done
}

# print_table: prints the results of ROWS ("key|label|kind|target"; kind
# ratio>= compares ferry/nginx with target, max<= compares ferry's value,
# info has none): medians of ferry and nginx, their ratio, the target and
# PASS/MISS; then every sample in run order and the commands used.
print_table() {
    local row key label kind target f n ratio mark
    echo
    printf '%-40s %10s %10s %11s  %-13s %s\n' figure ferry nginx ferry/nginx target ""
    for row in "${ROWS[@]}"; do
        IFS='|' read -r key label kind target <<<"$row"
        # shellcheck disable=SC2086  # word splitting of the sample list is intended
        f=$(median ${SAMPLES["$key|ferry"]:-})
        # shellcheck disable=SC2086
        n=$(median ${SAMPLES["$key|nginx"]:-})
        ratio=$(awk -v f="$f" -v n="$n" 'BEGIN { if (n > 0) printf "%.2f", f / n; else print "n/a" }')
        case $kind in
        ratio\>=) mark=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r >= t ? "PASS" : "MISS") }')
                  target="ratio >= $target" ;;
        max\<=) mark=$(awk -v v="$f" -v t="$target" 'BEGIN { print (v <= t ? "PASS" : "MISS") }')
                target="ferry <= $target" ;;
        *) mark="" target="(info)" ;;
        esac
        printf '%-40s %10s %10s %11s  %-13s %s\n' "$label" "$f" "$n" "$ratio" "$target" "$mark"
    done
    echo
    echo "Samples (in run order):"
    for row in "${ROWS[@]}"; do
        key=${row%%|*}
        printf "  %-${TABLE_KEY_WIDTH:-13}s ferry: %s| nginx: %s\n" "$key" "${SAMPLES["$key|ferry"]:-}" "${SAMPLES["$key|nginx"]:-}"
    done
    echo
    echo "Commands:"
    printf '  %s\n' "${CMDS[@]}"
}
