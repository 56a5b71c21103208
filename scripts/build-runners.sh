#!/usr/bin/env bash
# Builds the runner that `bale exe` makes programs of, once per CPython version (3.10
# to 3.13 from pyenv, 3.14 and 3.15 from Debian sid's packages in a root made by
# scripts/debian-root.sh), each linked with that Python (statically: both ship
# libpython3.X.a) by zig for glibc 2.28, so that its programs run on every x86-64
# Linux from glibc 2.28 on, whatever machine builds them; stripped, into
# target/runners/bale-runner-TARGET; prints that folder (what `bale exe` looks in
# through BALE_RUNNERS).
#   scripts/build-runners.sh [VERSION ...]     (default: 3.11)
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
out="$TARGET/runners"
mkdir -p "$out"
tools=$(dist_tools)
# zig comes from the `ziglang` package of the tools' environment.
export PATH="$tools/bin:$PATH"
for version in "${@:-3.11}"; do
    case "$version" in
    3.14 | 3.15)
        # Asked inside its root; its headers and libraries are found under it.
        root=$(scripts/debian-root.sh sid)
        python=$(root_python "$root" "$version")
        export BALE_RUNNER_ROOT="$root"
        ;;
    *)
        python=$(python_for "$version")
        unset BALE_RUNNER_ROOT
        ;;
    esac
    log "building the bale runner for CPython $version (glibc 2.28)"
    # A target folder per version: PyO3 and the runner are configured for one Python.
    PYO3_PYTHON="$python" CARGO_TARGET_DIR="$TARGET/runner-$version" \
        cargo zigbuild -q --release -p bale-runner --target x86_64-unknown-linux-gnu.2.28 >&2
    runner="$TARGET/runner-$version/x86_64-unknown-linux-gnu/release/bale-runner"
    target=$("$runner" --target)
    # Stripped before anything is appended: strip rewrites the file, and would drop a bale.
    strip -o "$out/bale-runner-$target" "$runner"
done
echo "$out"
