#!/bin/bash
# t-litmus.sh — the WebDAV conformance suite litmus (the Debian package)
# against the real ferryd, all five suites (basic, copymove, props, locks,
# http), each run on its own as in ../shared/evidence/webdav.md. ferryd runs
# with --auth password and litmus logs in with HTTP Basic (the drive's
# app passwords of issue 22 point 3 do not exist yet), and with
# --on-conflict overwrite: a plain PUT onto an existing file is refused
# (409) by default, which the locks suite's PUTs to locked files trip over
# (issue 22 point 4, not done yet; see the README's Known warts).
#
# Per suite, four points: litmus exits 0; no test FAILs and none is
# SKIPPED (a lost "DAV: 1, 2" would skip the locks suite); at least as many
# tests ran as litmus 0.13 has (16, 13, 30, 41, 4), so that a suite cut
# short fails; no warning. The failing and skipped names, and litmus's
# debug log of the failing requests, go to the diagnostics.

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
need_cmd litmus

suites=(basic copymove props locks http)
declare -A want=([basic]=16 [copymove]=13 [props]=30 [locks]=41 [http]=4)

plan $((4 * ${#suites[@]} + 2))

root=$FERRY_TMP/root
state=$FERRY_TMP/state
mkdir -p "$root" "$state"
ferry_argv_ --set-password --state-dir "$state"
printf 'litmus pass\n' | "${FERRY_ARGV[@]}" >/dev/null 2>"$FERRY_TMP/setpw.err" ||
    bail_out "ferryd --set-password failed: $(cat "$FERRY_TMP/setpw.err")"
ferry_start "$root" --auth password --state-dir "$state" --on-conflict overwrite ||
    bail_out "ferryd did not start"

for s in "${suites[@]}"; do
    dir=$FERRY_TMP/litmus-$s
    mkdir -p "$dir"
    # litmus writes debug.log and child.log into the current folder
    (cd "$dir" && TESTS=$s timeout -k 5 $((300 * T_SCALE)) \
        litmus -k "$FERRY_URL" litmus 'litmus pass' >"$dir/out.txt" 2>&1)
    rc=$?
    is "$rc" 0 "litmus $s: exits 0"
    # " 3. put_get............... pass" (the progress line is repeated)
    bad=$(tr '\r' '\n' <"$dir/out.txt" | grep -E '^ *[0-9]+\. [a-z_0-9]+\.* (FAIL|SKIPPED)' |
        sed -E 's/^ *[0-9]+\. ([a-z_0-9]+).*(FAIL|SKIPPED)(.*)$/\1 \2\3/' | sort -u)
    if [ -z "$bad" ]; then
        pass "litmus $s: no test fails or is skipped"
    else
        fail "litmus $s: no test fails or is skipped"
        diag "$bad"
        diag "last lines of litmus's debug.log:"
        tail -n 40 "$dir/debug.log" 2>/dev/null | while IFS= read -r l; do diag "  $l"; done
    fi
    ran=$(sed -n "s/.*summary for \`$s': of \([0-9]*\) tests run.*/\1/p" "$dir/out.txt")
    ok_if "litmus $s: at least ${want[$s]} tests ran (got ${ran:-none})" \
        [ "${ran:-0}" -ge "${want[$s]}" ]
    warns=$(grep -c 'WARNING' "$dir/out.txt")
    is "$warns" 0 "litmus $s: no warnings"
    [ "$warns" = 0 ] || diag "$(grep 'WARNING' "$dir/out.txt")"
done

like "$(grep -c '"LOCK ' "$FERRY_ERR")" '^[1-9]' "the access log shows the LOCK requests"
ferry_stop
finish
