#!/usr/bin/env bash
# Runs a command inside a Debian root of scripts/debian-root.sh (made first if need
# be), with this checkout, the working folder, /work, /tmp, pyenv's Pythons and the
# caches the project's scripts keep in ~/.cache at the same paths there, /proc and /dev mounted, in a mount namespace of
# its own (nothing is left mounted after), in the same working folder:
#   scripts/in-root.sh sid python3.14 -m pytest ...
# So a CPython of the root (3.14 and 3.15 from sid) runs this checkout's tests and the
# `bale` built here, as if installed on this machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$("$here/debian-root.sh" "${1:?usage: in-root.sh bullseye|sid COMMAND...}")
shift
cache=${XDG_CACHE_HOME:-$HOME/.cache}
exec unshare --mount --propagation private bash -euo pipefail -c '
root=$1 cache=$2 folder=$3 checkout=$4
shift 4
# And where the scripts install and build, when CI keeps that outside the checkout. A
# place inside one already there comes with it (CI checks out anywhere, not only in /work).
bound=()
for place in /work /tmp "$cache/bale" "$cache/pip" "$HOME/.pyenv" ${BALE_WORK:-} ${CARGO_TARGET_DIR:-} \
    "$checkout" "$folder" /proc /dev; do
    [ -d "$place" ] || continue
    for had in "${bound[@]}"; do
        case "$place/" in "$had"/*) continue 2 ;; esac
    done
    bound+=("$place")
    mkdir -p "$root$place"
    case "$place" in
    /proc) mount -t proc proc "$root/proc" ;;
    *) mount --rbind "$place" "$root$place" ;;
    esac
done
exec chroot "$root" /usr/bin/env PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" LANG=C.UTF-8 \
    ${BALE_IMPORTER:+BALE_IMPORTER=$BALE_IMPORTER} ${BALE_CLI:+BALE_CLI=$BALE_CLI} \
    ${BALE_RUNNERS:+BALE_RUNNERS=$BALE_RUNNERS} ${PIP_FIND_LINKS:+PIP_FIND_LINKS=$PIP_FIND_LINKS} \
    /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$folder" "$@"
' in-root "$root" "$cache" "$PWD" "$(cd "$here/.." && pwd)" "$@"
