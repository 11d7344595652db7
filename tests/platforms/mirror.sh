# tests/platforms/mirror.sh — sourced: debian_mirror prints the Debian mirror
# URL the machine's own apt sources use (deb822 .sources or one-line .list),
# e.g. http://deb.debian.org/debian; returns 1 when there is none.
debian_mirror() {
    local f u
    for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        u=$(sed -n -e 's/^URIs: *\([^ ]*\/debian\)\/\{0,1\}$/\1/p' \
                   -e 's/^deb  *\(\[[^]]*\] *\)\{0,1\}\([^ ]*\/debian\)\/\{0,1\} .*/\2/p' "$f" | head -n 1)
        [ -n "$u" ] && { echo "$u"; return 0; }
    done
    return 1
}
