#!/usr/bin/env bash
# Reproduces the Pyodide figures of bench/README.md: for each example app, its start
# in a fresh Pyodide on Node from a bale, from its wheels, and from one zip of the
# same files unpacked into the file system (pyodide-pack's method), all in one run,
# interleaved; and what each downloads. Writes target/pyodide-bench.json and prints
# a table.
#   bench/pyodide.sh [RUNS]
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
modules=$(scripts/build-pyodide.sh)
BALE_IMPORTER=$(sed -n 1p <<<"$modules")
native=$(sed -n 2p <<<"$modules")
BALE_PYODIDE="$(pyodide_node)/node_modules/pyodide"
export BALE_IMPORTER BALE_PYODIDE
cargo build -q --release -p bale-cli
out="$WORK/bench/pyodide"
rm -rf "$out" && mkdir -p "$out"
# The wordstats app as a user would have it: its extension module built for Pyodide.
mkdir -p "$out/wordstats-app" && cp -r examples/wordstats/wordstats "$out/wordstats-app/"
cp "$native" "$out/wordstats-app/wordstats/_native.abi3.so"
node bench/pyodide.mjs "$ROOT/target/release/bale" "$out" "${1:-5}" "$ROOT/target/pyodide-bench.json"
