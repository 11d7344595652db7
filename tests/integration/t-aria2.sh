#!/bin/bash
# t-aria2.sh — aria2c -x8 -s8 downloads a 256 MiB random file over eight
# connections with ranges; then a throttled aria2c is interrupted part-way
# and `aria2c -c` finishes from its control file. sha256 checked each time.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd aria2c

plan 9

root=$FERRY_TMP/root
dl=$FERRY_TMP/dl
mkdir "$root" "$dl"
head -c 268435456 /dev/urandom >"$root/big.bin" # 256 MiB, no holes
size=$(file_size "$root/big.bin")
want=$(sha256 "$root/big.bin")

ferry_start "$root" --threads 8 || bail_out "ferryd did not start"

aria2=(aria2c --no-conf --max-connection-per-server=8 --split=8
    --min-split-size=1M --file-allocation=none --allow-overwrite=true
    --auto-file-renaming=false --max-tries=1 --retry-wait=0
    --timeout="$T_CURL" --connect-timeout="$T_CURL"
    --summary-interval=0 --console-log-level=warn --download-result=hide
    --dir="$dl")
n206() { grep -a 'GET' "$FERRY_ERR" | grep -a '/big\.bin' | grep -acw 206; }

# ---------------------------------------------------------------- -x8 -s8
timeout -k 5 $((120 * T_SCALE)) "${aria2[@]}" --out=big.bin "$FERRY_BASE/big.bin" \
    >"$FERRY_TMP/aria1.log" 2>&1
rc=$?
is "$rc" 0 "aria2c -x8 -s8 exits 0"
[ "$rc" -eq 0 ] || diag_file "$FERRY_TMP/aria1.log"
sha256_is "$dl/big.bin" "$want" "aria2c -x8 -s8: sha256 of 256 MiB matches"
n=$(n206)
if [ "$n" -ge 4 ]; then
    pass "aria2c used ranged requests: $n answers 206 in the access log"
else
    fail "aria2c used ranged requests (at least 4 answers 206)"
    diag "$n lines with 206 for /big.bin"
    diag_file "$FERRY_ERR" 10
fi
rm -f "$dl/big.bin"

# ---------------------------------------------------------------- resume
# Throttled to 16 MiB/s overall (coarsely: the socket buffers of eight
# connections hold a lot); interrupted with SIGINT, so that aria2 writes its
# control file, once 8 MiB have landed on disk (bounded poll).
"${aria2[@]}" --max-overall-download-limit=16M --out=part.bin \
    "$FERRY_BASE/big.bin" >"$FERRY_TMP/aria2.log" 2>&1 &
apid=$!
track_pid "$apid"
kib=0
for ((i = 0; i < 20 * 20 * T_SCALE; i++)); do
    kib=$(du -k "$dl/part.bin" 2>/dev/null | cut -f1)
    [ "${kib:-0}" -ge 8192 ] && break
    alive "$apid" || break
    sleep 0.05
done
kill -INT "$apid" 2>/dev/null
wait_gone "$apid" 10 || kill -KILL "$apid" 2>/dev/null
wait "$apid" 2>/dev/null
kib=$(du -k "$dl/part.bin" 2>/dev/null | cut -f1)
if [ -e "$dl/part.bin.aria2" ] && [ "${kib:-0}" -ge 8192 ] &&
    [ "$kib" -lt $((size / 1024)) ]; then
    pass "interrupted aria2c left a partial file (${kib} KiB) and its control file"
else
    fail "interrupted aria2c left a partial file and its control file"
    diag "${kib:-0} KiB on disk; control file: $(ls "$dl")"
    diag_file "$FERRY_TMP/aria2.log"
fi
before=$(n206)

timeout -k 5 $((120 * T_SCALE)) "${aria2[@]}" --continue=true --out=part.bin \
    "$FERRY_BASE/big.bin" >"$FERRY_TMP/aria3.log" 2>&1
rc=$?
is "$rc" 0 "aria2c -c exits 0"
[ "$rc" -eq 0 ] || diag_file "$FERRY_TMP/aria3.log"
sha256_is "$dl/part.bin" "$want" "aria2c -c: sha256 of the resumed file matches"
ok_if "aria2c -c: the control file is gone (download complete)" \
    test ! -e "$dl/part.bin.aria2"
after=$(n206)
if [ $((after - before)) -ge 1 ]; then
    pass "aria2c -c resumed with ranged requests ($((after - before)) answers 206)"
else
    fail "aria2c -c resumed with ranged requests"
    diag_file "$FERRY_ERR" 10
fi

ferry_stop
finish
