#!/bin/bash
# t-systemd.sh — the systemd units of contrib/systemd/ (as the build made
# them, @sbindir@ filled in):
#   1. `systemd-analyze verify` accepts the system unit and the user unit
#      with no message at all (ExecStart pointed at the ferryd under test,
#      which verify requires to exist);
#   2. the check can fail: a unit with a misspelt directive is refused or
#      warned about;
#   3. the hardening is there: no new privileges, a read-only system, no
#      capabilities, write access to the share and the state folder only;
#   4. `make install` puts them in the configured unit folders (DESTDIR).

# make check runs us as `$(SHELL) script`; make sure that is bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
command -v systemd-analyze >/dev/null 2>&1 || skip_all "systemd-analyze not installed"
sys=$FERRY_BUILDDIR/contrib/systemd/ferryd.service
usr=$FERRY_BUILDDIR/contrib/systemd/user/ferryd.service
[ -f "$sys" ] && [ -f "$usr" ] || bail_out "the units are not built ($sys, $usr): make first"

# verify can run here? (it needs no running systemd, but a user manager needs
# a runtime dir)
mkdir -m 700 "$FERRY_TMP/rt"
probe=$FERRY_TMP/probe.service
printf '[Service]\nExecStart=/bin/true\n' >"$probe"
if ! out=$(systemd-analyze verify --man=no "$probe" 2>&1); then
    skip_all "systemd-analyze verify cannot run here: $(head -c 200 <<<"$out")"
fi

plan 12

# unit_for SRC DST: SRC with ferryd's ExecStart path replaced by $FERRYD.
unit_for() {
    sed -e "s|^ExecStart=[^ ]*/ferryd |ExecStart=$FERRYD |" "$1" >"$2"
}
# verify [--user] FILE: systemd-analyze verify; sets V_RC and V_OUT.
verify() {
    local user=()
    [ "$1" = --user ] && { user=(--user); shift; }
    V_OUT=$(XDG_RUNTIME_DIR=$FERRY_TMP/rt systemd-analyze "${user[@]}" verify --man=no \
        "$1" 2>&1)
    V_RC=$?
}

mkdir "$FERRY_TMP/sys" "$FERRY_TMP/user"
unit_for "$sys" "$FERRY_TMP/sys/ferryd.service"
unit_for "$usr" "$FERRY_TMP/user/ferryd.service"
grep -q "^ExecStart=$FERRYD " "$FERRY_TMP/sys/ferryd.service" ||
    diag "ExecStart was not rewritten: $(grep ^ExecStart "$FERRY_TMP/sys/ferryd.service")"

# ---------------------------------------------------------------- 1. verify
verify "$FERRY_TMP/sys/ferryd.service"
is "$V_RC:$V_OUT" "0:" "systemd-analyze verify: the system unit, no message"
verify --user "$FERRY_TMP/user/ferryd.service"
is "$V_RC:$V_OUT" "0:" "systemd-analyze --user verify: the user unit, no message"

# ---------------------------------------------------------------- 2. it can fail
mkdir "$FERRY_TMP/bad"
sed 's/^NoNewPrivileges=yes/NoNewPrivilege=yes/' "$FERRY_TMP/sys/ferryd.service" \
    >"$FERRY_TMP/bad/ferryd.service"
verify "$FERRY_TMP/bad/ferryd.service"
like "$V_RC:$V_OUT" "^[1-9][0-9]*:|NoNewPrivilege" "a misspelt directive is reported"

# ---------------------------------------------------------------- 3. hardening
has() { # has FILE KEY=VALUE DESC
    if grep -qx -- "$2" "$1"; then pass "$3"; else fail "$3"; diag "no line '$2' in $1"; fi
}
has "$sys" NoNewPrivileges=yes "system unit: NoNewPrivileges=yes"
has "$sys" ProtectSystem=strict "system unit: ProtectSystem=strict"
has "$sys" CapabilityBoundingSet= "system unit: no capabilities"
rw=$(sed -n 's/^ReadWritePaths=//p;s/^StateDirectory=/STATE:/p' "$sys" | paste -sd' ' -)
is "$rw" "STATE:ferry /srv/ferry" "system unit: writes only to the share (/srv/ferry) and its state folder"
has "$usr" NoNewPrivileges=yes "user unit: NoNewPrivileges=yes"
has "$usr" ProtectSystem=strict "user unit: ProtectSystem=strict"
has "$usr" ProtectHome=read-only "user unit: the home folder is read-only"
is "$(sed -n 's/^ReadWritePaths=//p' "$usr")" "%S/ferry -%h/Public" \
    "user unit: writes only to ~/Public and its state folder"

# ---------------------------------------------------------------- 4. make install
dest=$FERRY_TMP/dest
if make -s -C "$FERRY_BUILDDIR" DESTDIR="$dest" install-systemdsystemunitDATA \
    install-systemduserunitDATA >"$FERRY_TMP/install.log" 2>&1; then
    n=$(find "$dest" -name ferryd.service | wc -l)
    is "$n" 2 "make install puts both units in the configured folders"
    diag "$(cd "$dest" && find . -name ferryd.service)"
else
    fail "make install puts both units in the configured folders"
    diag_file "$FERRY_TMP/install.log"
fi

finish
