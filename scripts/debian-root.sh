#!/usr/bin/env bash
# Makes (once) and prints a Debian root made by debootstrap from Debian's mirror,
# cached outside the checkout ($BALE_ROOTS, default ~/.cache/bale-ci/roots), so a
# warm run does not make it again:
#   bullseye  Debian 11, glibc 2.31, no Python: where programs of `bale exe` must run
#   sid       Debian unstable with CPython 3.14 and 3.15 (interpreters, venv, and the
#             static libpython3.1X.a the runners link), pip working inside it
#   scripts/debian-root.sh bullseye|sid
. "$(dirname "$0")/lib.sh"
suite=${1:?usage: debian-root.sh bullseye|sid}
roots=${BALE_ROOTS:-$HOME/.cache/bale-ci/roots}
root="$roots/$suite"
case "$suite" in
bullseye) include="" ;;
sid)
    include="python3.14,python3.14-venv,python3.14-dev,libpython3.14-dev,python3.15,python3.15-venv"
    # A C compiler: the importer's tests build small shared libraries.
    include="$include,python3.15-dev,libpython3.15-dev,ca-certificates,gcc,libc6-dev"
    ;;
*) echo "debian-root.sh: no such root: $suite (bullseye or sid)" >&2 && exit 2 ;;
esac
if [ ! -x "$root/bin/sh" ]; then
    ensure_apt debootstrap
    log "debootstrap $suite into $root (once; cached outside the checkout)"
    mkdir -p "$roots"
    rm -rf "$root.tmp"
    debootstrap --variant=minbase ${include:+--include="$include"} "$suite" "$root.tmp" \
        http://deb.debian.org/debian >"$roots/$suite.log" 2>&1 ||
        { tail -20 "$roots/$suite.log" >&2; exit 1; }
    # What pip needs inside to reach PyPI as the host does.
    for f in /etc/resolv.conf /etc/ssl/certs/ca-certificates.crt /etc/pip.conf; do
        [ -f "$f" ] && mkdir -p "$root.tmp$(dirname "$f")" && cp "$f" "$root.tmp$f"
    done
    echo "$include" >"$root.tmp/.bale-packages"
    mv "$root.tmp" "$root"
fi
# A root made from an older list gets what the list added since.
if [ -n "$include" ] && [ "$(cat "$root/.bale-packages" 2>/dev/null)" != "$include" ]; then
    log "installing ${include//,/ } into $root"
    chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
        "apt-get -o Acquire::Check-Valid-Until=false update -qq && apt-get install -y -qq ${include//,/ } >/dev/null" >&2
    echo "$include" >"$root/.bale-packages"
fi
echo "$root"
