#!/usr/bin/env bash
# Builds the runner that `bale exe` makes programs of, once per CPython version (from
# pyenv), each linked with that Python (statically: pyenv's builds ship
# libpython3.X.a), stripped, into target/runners/bale-runner-TARGET; prints that folder
# (what `bale exe` looks in through BALE_RUNNERS).
#   scripts/build-runners.sh [VERSION ...]     (default: 3.11)
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
out="$ROOT/target/runners"
mkdir -p "$out"
for version in "${@:-3.11}"; do
    python=$(python_for "$version")
    log "building the bale runner for CPython $version"
    # A target folder per version: PyO3 and the runner are configured for one Python.
    PYO3_PYTHON="$python" CARGO_TARGET_DIR="$ROOT/target/runner-$version" \
        cargo build -q --release -p bale-runner >&2
    runner="$ROOT/target/runner-$version/release/bale-runner"
    target=$("$runner" --target)
    # Stripped before anything is appended: strip rewrites the file, and would drop a bale.
    strip -o "$out/bale-runner-$target" "$runner"
done
echo "$out"
