#!/bin/bash
# t-tus-many.sh — tus uploads never stop for everyone (issue 16, point 5):
#   1. 10,000 tiny uploads in a row (creation-with-upload, one POST each,
#      one keep-alive connection): every one 201 with Upload-Offset 1, the
#      10,000 files in the share, only the last 256 records kept in
#      $STATE/uploads; a HEAD of a finished upload's URL (a lost final
#      answer) still says offset == length, also after a restart;
#   2. after a restart on the same state folder: more uploads succeed, and
#      no finished upload was "kept from before";
#   3. the caps count unfinished uploads per client address: 127.0.0.1
#      fills its quota (1,024, then 429), 127.0.0.2 still creates; a DELETE
#      frees a slot; the quota survives a restart (the creator's address is
#      in the record); four addresses fill the total (4,096), a fifth gets
#      503.
# The share and the state folder are on tmpfs when /dev/shm is one: this
# test counts answers, it does not measure the disk (README, "Load held",
# has the figure on ext4).

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
fi
. "$(dirname "$0")/lib.sh"
need_cmd curl

plan 20

root=$FERRY_TMP/root
state=$FERRY_TMP/state
mkdir -p "$root" "$state"
MANY="$PYTHON $FERRY_SRCDIR/tests/integration/tus-many.py"
PER_CLIENT=1024
TOTAL=4096

# many N PREFIX [ARGS...]: tus-many.py against the running ferryd; sets
# MANY_OUT to its JSON line.
many() {
    local n=$1 prefix=$2
    shift 2
    MANY_OUT=$($MANY "$FERRY_PORT" "$n" "$prefix" "$@" 2>"$FERRY_TMP/many.err")
    [ -n "$MANY_OUT" ] || MANY_OUT='{"error": "tus-many.py printed nothing"}'
    printf '%s\n' "$MANY_OUT" >"$FERRY_TMP/many.json"
}

# uploads_records: how many tus files are in $STATE/uploads.
uploads_records() {
    find "$state/uploads" -name 'tus-*' 2>/dev/null | wc -l | tr -d ' '
}

# ---------------------------------------------------------------- 1. in a row
ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not start"
many 10000 row
json_ok "10,000 tus uploads in a row: every one 201, finished in its POST" \
    "$FERRY_TMP/many.json" "
assert j.get('codes') == {'201': 10000} and j['offsets_ok'], j"
diag "10,000 uploads in $(pyj "$FERRY_TMP/many.json" "j.get('seconds')") s"
is "$(find "$root" -name 'row-*.txt' | wc -l | tr -d ' ')" 10000 "the 10,000 files are in the share"
is "$(uploads_records)" 256 "\$STATE/uploads keeps the records of the last 256 finished uploads only"
last=$(pyj "$FERRY_TMP/many.json" "j['locations'][-1]")
http -I -H 'Tus-Resumable: 1.0.0' "$FERRY_BASE$last"
is "$HTTP_STATUS/$(hdr Upload-Offset)/$(hdr Upload-Length)/$(hdr Ferry-Stored-As)" \
    "200/1/1//row-09999.txt" "HEAD of the last finished upload (a lost answer): offset == length"
ferry_stop TERM

# ---------------------------------------------------------------- 2. restart
ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not restart"
unlike "$(grep 'kept from before' "$FERRY_ERR")" . "after the restart no upload is kept from before"
http -I -H 'Tus-Resumable: 1.0.0' "$FERRY_BASE$last"
is "$HTTP_STATUS/$(hdr Upload-Offset)/$(hdr Upload-Length)" "200/1/1" \
    "... but a HEAD of the last finished upload still says offset == length"
many 100 after
json_ok "after a restart: 100 more uploads, every one 201" "$FERRY_TMP/many.json" "
assert j.get('codes') == {'201': 100} and j['offsets_ok'], j"

# ---------------------------------------------------------------- 3. caps
many $((PER_CLIENT + 1)) open1 --no-body --stop-at-error
json_ok "127.0.0.1 creates $PER_CLIENT unfinished uploads, then 429" "$FERRY_TMP/many.json" "
assert j.get('codes') == {'201': $PER_CLIENT, '429': 1}, j
assert j['first_error'][0] == $PER_CLIENT and 'unfinished' in j['first_error'][2], j"
first_of_1=$(pyj "$FERRY_TMP/many.json" "j['locations'][-1]")
many 1 open2 --no-body --source 127.0.0.2
json_ok "meanwhile 127.0.0.2 still creates an upload (201)" "$FERRY_TMP/many.json" "
assert j.get('codes') == {'201': 1}, j"
many 1 row2 --source 127.0.0.2
json_ok "... and finishes one (creation-with-upload: 201)" "$FERRY_TMP/many.json" "
assert j.get('codes') == {'201': 1} and j['offsets_ok'], j"
http -X DELETE -H 'Tus-Resumable: 1.0.0' "$FERRY_BASE$first_of_1"
is "$HTTP_STATUS" 204 "127.0.0.1 deletes one of its unfinished uploads"
many 2 again1 --no-body --stop-at-error
json_ok "... which frees one slot for it: 201, then 429" "$FERRY_TMP/many.json" "
assert j.get('codes') == {'201': 1, '429': 1}, j"
ferry_stop TERM

ferry_start "$root" --state-dir "$state" --no-mdns || bail_out "ferryd did not restart"
like "$(grep 'kept from before' "$FERRY_ERR")" "$((PER_CLIENT + 1)) unfinished uploads" \
    "after a restart the unfinished uploads are kept"
many 1 still1 --no-body
json_ok "127.0.0.1's quota survives the restart (429)" "$FERRY_TMP/many.json" "
assert j.get('codes') == {'429': 1}, j"
many $((PER_CLIENT - 1)) fill2 --no-body --source 127.0.0.2 --stop-at-error
many $PER_CLIENT fill3 --no-body --source 127.0.0.3 --stop-at-error
many $PER_CLIENT fill4 --no-body --source 127.0.0.4 --stop-at-error
json_ok "four addresses hold $TOTAL unfinished uploads" "$FERRY_TMP/many.json" "
assert j.get('codes') == {'201': $PER_CLIENT}, j"
many 1 five --no-body --source 127.0.0.5
json_ok "a fifth address gets 503 once $TOTAL are unfinished" "$FERRY_TMP/many.json" "
assert j.get('codes') == {'503': 1} and '$TOTAL unfinished' in j['first_error'][2], j"
http -X PUT --data-binary hello "$FERRY_BASE/put-meanwhile.txt"
is "$HTTP_STATUS" 201 "a PUT still works meanwhile"
ferry_stop TERM
finish
