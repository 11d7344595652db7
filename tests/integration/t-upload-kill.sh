#!/bin/bash
# t-upload-kill.sh — kill -9 of ferryd at random moments during 100 tus
# uploads (tus-js-client, 4 at a time, retrying), each time relaunched on the
# same port and state folder. After every kill, every file in the target
# folder must be complete and correct (a file is either absent or whole);
# in the end every upload must have resumed to a correct file.
# The random schedule is printed (seed) so that a failure can be replayed
# with FERRY_KILL_SEED.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd curl node
JS=$FERRY_SRCDIR/tests/js
[ -d "$JS/node_modules/tus-js-client" ] ||
    skip_all "tus-js-client is not installed in $JS (./quickstart check runs npm ci there)"

plan 9

seed=${FERRY_KILL_SEED:-$$}
RANDOM=$seed
diag "random seed $seed (FERRY_KILL_SEED=$seed replays the sizes and the kill times)"
root=$FERRY_TMP/root
state=$FERRY_TMP/state
src=$FERRY_TMP/src
mkdir -p "$root/in" "$src"
for i in $(seq -w 1 100); do
    head -c $((65536 + RANDOM * 48)) /dev/urandom >"$src/f$i.bin" # 64 KiB .. 1.6 MiB
done
(cd "$src" && sha256sum -- *) >"$FERRY_TMP/manifest"
MAX_KILLS=40

# tree_ok: every file in $root/in is one of the sources, complete and
# correct; prints what is wrong.
tree_ok() {
    local f name bad=0 want
    for f in "$root/in"/* "$root/in"/.[!.]*; do
        [ -e "$f" ] || continue
        name=${f##*/}
        want=$(awk -v n="$name" '$2 == n { print $1 }' "$FERRY_TMP/manifest")
        if [ -z "$want" ]; then
            echo "unexpected name '$name'"
            bad=1
        elif [ "$(sha256 "$f")" != "$want" ]; then
            echo "'$name' is incomplete or wrong ($(file_size "$f") bytes)"
            bad=1
        fi
    done
    return "$bad"
}

ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not start"
port=$FERRY_PORT
timeout -k 2 $((240 * T_SCALE)) node "$JS/tus-many.mjs" --endpoint "$FERRY_BASE/.ferry/uploads/" \
    --src "$src" --folder /in --parallel 4 --chunk-size 262144 --delay-ms 25 \
    --retry-for-ms $((60000 * T_SCALE)) >"$FERRY_TMP/many.out" 2>"$FERRY_TMP/many.err" &
js=$!
track_pid "$js"

kills=0 broken="" restarts_failed=0
while alive "$js" && [ "$kills" -lt "$MAX_KILLS" ]; do
    sleep "0.$((RANDOM % 5 + 1))"
    alive "$js" || break
    kill -KILL "$(signal_target "$FERRY_PID")"
    wait "$FERRY_PID" 2>/dev/null
    forget_pid "$FERRY_PID"
    kills=$((kills + 1))
    if ! out=$(tree_ok); then
        broken="$broken
after kill $kills: $out"
    fi
    ferry_start "$root" --state-dir "$state" --no-mdns --port "$port" ||
        restarts_failed=$((restarts_failed + 1))
    [ "$FERRY_PORT" = "$port" ] || restarts_failed=$((restarts_failed + 1))
done
wait "$js"
js_rc=$?
forget_pid "$js"
diag "ferryd was killed $kills times"

if [ "$kills" -ge 3 ]; then
    pass "ferryd was killed at random moments during the uploads ($kills times)"
else
    fail "ferryd was killed at random moments during the uploads"
    diag "only $kills kills: the uploads finished too fast to test anything"
fi
is "$restarts_failed" 0 "every relaunch came up on port $port"
if [ -z "$broken" ]; then
    pass "after every kill, each file in the tree was complete and correct"
else
    fail "after every kill, each file in the tree was complete and correct"
    diag "$broken"
fi
is "$js_rc" 0 "tus-js-client finished every upload (exit 0)"
like "$(tail -n 1 "$FERRY_TMP/many.out")" '"ok":100,"failed":0' "100 uploads succeeded"
[ "$js_rc" -eq 0 ] || diag_file "$FERRY_TMP/many.out" 5
out=$(tree_ok)
is "$?/$out" "0/" "every file in the tree is complete and correct"
is "$(find "$root/in" -type f | wc -l)" 100 "all 100 files are there"
left=$(find "$state/uploads" -name 'tus-*.part' -size +0c | wc -l)
is "$left" 0 "no part file with data is left in the state folder"
ferry_stop TERM
finish
