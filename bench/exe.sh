#!/usr/bin/env bash
# Reproduces the `bale exe` start-up figures of bench/README.md: a program printing
# one line against `python3 -I -c 'print(1)'`, and example apps as programs against
# the same apps run from a virtual environment's site-packages. Writes
# target/exe-bench.json and prints a table.
#   bench/exe.sh [RUNS]
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
cargo build -q --release -p bale-cli
BALE_RUNNERS=$(scripts/build-runners.sh 3.11)
export BALE_RUNNERS
python=$(python_for 3.11)
"$python" "$ROOT/bench/python/exe_start.py" "$TARGET/release/bale" "$WORK/bench/exe" "${1:-30}" \
    "$TARGET/exe-bench.json"
