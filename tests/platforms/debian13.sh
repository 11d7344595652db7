#!/bin/bash
# tests/platforms/debian13.sh OUT — builds ferry in a Debian 13 (trixie) root
# and runs its unit and integration tests there (`make check`).
#
# Debian 13 has the libraries an app build uses today: libmicrohttpd 1.0.x and
# mbedTLS 3.6 LTS. The root is made with debootstrap (--variant=minbase) from
# the same mirror the machine's own apt sources use, at OUT/root, and kept
# between runs (remade when its package list changes). The machine's own apt
# sources are never touched. The source tree is copied to OUT/root/src
# (timestamps kept, so an unchanged tree does not rebuild) and built out of
# tree in OUT/root/src/build; its test-suite.log is what ./quickstart counts.
# Browser and Node.js tests are not run there: those scripts skip themselves
# (no chromium, no node in the root).
#
# The root itself (bind), proc, sys, dev and a private /run are mounted only while the script runs
# and are unmounted on every exit (trap). Needs root. Exit status: that of
# `make check` (0 when every test passed or skipped).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-$top/build-trixie}
root=$out/root
jobs=$(nproc 2>/dev/null || echo 2)

pkgs=(gcc libc6-dev make autoconf automake libtool pkg-config
      libmicrohttpd-dev libmbedtls-dev libjansson-dev libqrencode-dev libinih-dev
      libcmocka-dev libarchive-dev libjpeg-dev libpng-dev zlib1g-dev libheif-dev libwebp-dev libgif-dev
      libavahi-client-dev libavahi-compat-libdnssd-dev libsystemd-dev libexpat1-dev litmus
      curl wget aria2 python3 openssl ca-certificates zbar-tools libjpeg-turbo-progs python3-pil libheif-examples
      libheif-plugin-libde265 libheif-plugin-x265
      iproute2 dbus avahi-daemon avahi-utils python3-zeroconf python3-dbusmock systemd)

say() { printf 'debian13: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null || die "debootstrap is not installed"

# shellcheck source=tests/platforms/mirror.sh
. "$top/tests/platforms/mirror.sh"

mounts=()
cleanup() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        umount -R "${mounts[$i]}" 2>/dev/null || umount -l -R "${mounts[$i]}" 2>/dev/null || true
    done
    mounts=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mount_all() {
    # The root as a mount point of its own (private), so that tests can
    # make / an rslave and mount a private /run in a namespace (t-discovery).
    mount --bind "$root" "$root" && mounts+=("$root")
    mount --make-private "$root"
    mount -t proc proc "$root/proc" && mounts+=("$root/proc")
    mount -t sysfs sysfs "$root/sys" && mounts+=("$root/sys")
    mount --bind /dev "$root/dev" && mounts+=("$root/dev")
    mount -t tmpfs -o mode=755 tmpfs "$root/run" && mounts+=("$root/run")
    mkdir -p "$root/dev/shm" 2>/dev/null || true
}

in_root() {
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# --- the root, made once and kept --------------------------------------------
want="${pkgs[*]}"
if [ ! -f "$root/.ferry-root" ]; then
    url=$(debian_mirror) || die "no Debian mirror found in /etc/apt/sources.list{,.d}"
    say "making a Debian 13 root in $root from $url"
    rm -rf "$root"
    mkdir -p "$out"
    debootstrap --variant=minbase trixie "$root" "$url" >"$out/debootstrap.log" 2>&1 ||
        { tail -n 20 "$out/debootstrap.log" >&2; die "debootstrap failed"; }
    # Services are never started by package scripts in the root.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    touch "$root/.ferry-root"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
mount_all
if [ "$(cat "$root/.ferry-pkgs" 2>/dev/null)" != "$want" ]; then
    say "installing build and test packages in the root"
    in_root apt-get update -qq
    in_root apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >"$out/apt.log" 2>&1 ||
        { tail -n 20 "$out/apt.log" >&2; die "apt-get install in the root failed"; }
    in_root apt-get clean
    echo "$want" >"$root/.ferry-pkgs"
fi
say "$(in_root pkg-config --modversion libmicrohttpd | sed 's/^/libmicrohttpd /'), $(in_root dpkg-query -W -f='mbedTLS ${Version}' libmbedtls-dev)"

# --- the source tree, copied (generated build files are made in the root) ------
mkdir -p "$root/src"
tar -C "$top" --exclude=./.git --exclude='./build*' --exclude='./_build*' \
    --exclude=./autom4te.cache --exclude=./configure --exclude=./aclocal.m4 \
    --exclude=./config.h.in --exclude=./Makefile.in --exclude=./build-aux \
    --exclude=./m4 --exclude=node_modules -cf - . | tar -C "$root/src" -xf -
mkdir -p "$root/src/m4"
# shellcheck disable=SC2016
in_root /bin/sh -c '
    set -e
    cd /src
    if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
        autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
        rm -rf build
    fi
    mkdir -p build && cd build
    [ -f Makefile ] || ../configure -q
    make -s -j'"$jobs"' >/dev/null
'
say "running the tests in the root"
rm -f "$root/src/build/test-suite.log"
rc=0
# FERRY_TESTS="tests/... ...": only those (a quick look; ./quickstart runs all).
in_root /bin/sh -c "cd /src/build && make -s -j$jobs check ${FERRY_TESTS:+TESTS='$FERRY_TESTS'}" \
    >"$out/check.out" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
    grep -E '^(FAIL|ERROR|XPASS)' "$out/check.out" >&2 || true
    [ -f "$root/src/build/test-suite.log" ] && tail -n 80 "$root/src/build/test-suite.log" >&2
fi
exit "$rc"
