#!/bin/bash
# t-wget-resume.sh — a download killed part-way is resumed: wget (throttled)
# is killed once it has a few MiB, then `wget -c` completes the file with a
# 206 from the byte it stopped at; a third `wget -c` finds it complete.
# The same with `curl -C -`. Every result is checked by sha256.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd wget curl

plan 13

root=$FERRY_TMP/root
dl=$FERRY_TMP/dl
mkdir "$root" "$dl"
head -c 67108864 /dev/urandom >"$root/big.bin" # 64 MiB
size=$(file_size "$root/big.bin")
want=$(sha256 "$root/big.bin")

ferry_start "$root" || bail_out "ferryd did not start"
wget_() {
    wget --no-config --tries=1 --timeout="$T_CURL" --no-verbose \
        --server-response "$@"
}

# ---------------------------------------------------------------- wget
# 1. Throttled to 4 MiB/s: kill it by PID once it has 3 MiB (bounded poll).
# (wget itself in the background, not the wget_ function: $! must be wget's
# PID, else the kill below stops a subshell and wget writes on meanwhile)
wget --no-config --tries=1 --timeout="$T_CURL" --no-verbose --server-response \
    --limit-rate=4m -o "$FERRY_TMP/wget1.log" -P "$dl" "$FERRY_BASE/big.bin" &
wpid=$!
track_pid "$wpid"
got=0
for ((i = 0; i < 20 * 15 * T_SCALE; i++)); do
    got=$(stat -c %s "$dl/big.bin" 2>/dev/null || echo 0)
    [ "$got" -ge 3145728 ] && break
    alive "$wpid" || break
    sleep 0.05
done
kill -TERM "$wpid" 2>/dev/null
wait_gone "$wpid" 5 || kill -KILL "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
partial=$(stat -c %s "$dl/big.bin" 2>/dev/null || echo 0)
if [ "$partial" -ge 3145728 ] && [ "$partial" -lt "$size" ]; then
    pass "killed wget left a partial file ($partial of $size bytes)"
else
    fail "killed wget left a partial file"
    diag "partial size $partial, full $size"
    diag_file "$FERRY_TMP/wget1.log"
fi
n206_before=$(grep -a '/big\.bin' "$FERRY_ERR" | grep -acw 206)

# 2. wget -c finishes it from where it stopped.
wget_ -c -o "$FERRY_TMP/wget2.log" -P "$dl" "$FERRY_BASE/big.bin"
rc=$?
is "$rc" 0 "wget -c exits 0"
sha256_is "$dl/big.bin" "$want" "wget -c: the file is complete and its sha256 matches"
ok_if "wget -c: the server answered 206 Partial Content" \
    grep -q 'HTTP/1\.1 206' "$FERRY_TMP/wget2.log"
like "$(tr -d '\r' <"$FERRY_TMP/wget2.log")" "Content-Range: bytes $partial-$((size - 1))/$size" \
    "wget -c: the 206 starts at the byte the partial file ended with ($partial)"
n206_after=$(grep -a '/big\.bin' "$FERRY_ERR" | grep -acw 206)
is "$((n206_after - n206_before))" 1 "access log: one 206 line for the resumed /big.bin"

# 3. A third wget -c on the complete file: nothing to do, file untouched.
wget_ -c -o "$FERRY_TMP/wget3.log" -P "$dl" "$FERRY_BASE/big.bin"
rc=$?
is "$rc" 0 "wget -c on a complete file exits 0"
sha256_is "$dl/big.bin" "$want" "wget -c on a complete file leaves it intact"
ok_if "wget -c on a complete file: the server answered 416" \
    grep -q 'HTTP/1\.1 416' "$FERRY_TMP/wget3.log"

# ---------------------------------------------------------------- curl -C -
head -c 5000000 "$root/big.bin" >"$dl/curl.bin"
curl -q -sS --max-time $((30 * T_SCALE)) -C - -D "$FERRY_TMP/curl.hdrs" \
    -o "$dl/curl.bin" "$FERRY_BASE/big.bin" 2>"$FERRY_TMP/curl.err"
rc=$?
is "$rc" 0 "curl -C - exits 0"
sha256_is "$dl/curl.bin" "$want" "curl -C -: the file is complete and its sha256 matches"
like "$(tr -d '\r' <"$FERRY_TMP/curl.hdrs")" \
    "^HTTP/1\\.1 206 .*Content-Range: bytes 5000000-$((size - 1))/$size" \
    "curl -C -: 206 from byte 5000000"

ferry_stop
finish
