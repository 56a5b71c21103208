#!/usr/bin/env bash
# Reproduces the rest-bale figures of bench/README.md: for rich-report and sympy-solve,
# each with an option that takes a path no traced run took, the cost of what the bale
# lacks served from its rest bale (natively, in Pyodide on Node, in headless Chromium,
# over localhost), the download of the bale and the rest bale's index against
# shipping everything, and the default run's start with and without the rest bale at
# hand (bench/rest.mjs). Writes target/rest-bench.json and prints the tables.
#   bench/rest.sh [RUNS]
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bench_app_tools    # the release CLI, and the native importer as BALE_IMPORTER
wasm=$(scripts/build-pyodide.sh | sed -n 1p)
BALE_PYODIDE="$(pyodide_node)/node_modules/pyodide"
BALE_PLAYWRIGHT=$(browser_tools)
export BALE_PYODIDE BALE_PLAYWRIGHT
out="$WORK/bench/rest"
rm -rf "$out" && mkdir -p "$out"
node bench/rest.mjs "$TARGET/release/bale" "$wasm" "$out" "${1:-5}" "$TARGET/rest-bench.json"
