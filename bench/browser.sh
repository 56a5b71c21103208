#!/usr/bin/env bash
# Reproduces the Chromium figures of bench/README.md: the Pyodide benchmark's apps
# started in headless Chromium, from their bales and from their wheels. Loads what
# bench/pyodide.sh packed and downloaded (run it first). Writes
# target/browser-bench.json and prints a table.
#   bench/browser.sh [RUNS]
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
dir="$WORK/bench/pyodide"
[ -f "$dir/sympy-solve.bale" ] && [ -d "$dir/sympy-solve-wheels" ] ||
    { echo "no bales in $dir: run bench/pyodide.sh first" >&2; exit 1; }
BALE_IMPORTER=$(scripts/build-pyodide.sh | sed -n 1p)
BALE_PYODIDE="$(pyodide_node)/node_modules/pyodide"
BALE_PLAYWRIGHT=$(browser_tools)
export BALE_IMPORTER BALE_PYODIDE BALE_PLAYWRIGHT
node bench/browser.mjs "$dir" "${1:-5}" "$ROOT/target/browser-bench.json"
