#!/usr/bin/env bash
# Reproduces the Chromium figures of bench/README.md: the Pyodide benchmark's apps
# started in headless Chromium, from their bales and from their wheels. Loads what
# bench/pyodide.sh packed and downloaded (run it first). Writes
# target/browser-bench.json and prints a table.
#   bench/browser.sh [RUNS]
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
dir="$WORK/bench/pyodide"
browser_bench_env
node bench/browser.mjs "$dir" "${1:-5}" "$TARGET/browser-bench.json"
