#!/usr/bin/env bash
# Reproduces the Pyodide figures of bench/README.md: for each example app, its start
# in a fresh Pyodide on Node from a bale, from its wheels, and from one zip of the
# same files unpacked into the file system (pyodide-pack's method), all in one run,
# interleaved; and what each downloads. Writes target/pyodide-bench.json and prints
# a table.
#   bench/pyodide.sh [RUNS]
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
cargo build -q --release -p bale-cli
out="$WORK/bench/pyodide"
rm -rf "$out" && mkdir -p "$out"
pyodide_apps "$out"
node bench/pyodide.mjs "$TARGET/release/bale" "$out" "${1:-5}" "$TARGET/pyodide-bench.json"
