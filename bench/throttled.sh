#!/usr/bin/env bash
# Reproduces the throttled-link figures of bench/README.md: time to first output in
# headless Chromium for rich-report and sympy-solve in five forms under four links
# (bench/throttled.mjs), and their plot (bench/throttled.png). Loads what
# bench/pyodide.sh packed and downloaded (run it first). Writes
# target/throttled-bench.json.
#   bench/throttled.sh [RUNS]
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
dir="$WORK/bench/pyodide"
[ -f "$dir/sympy-solve.pack.zip" ] && [ -d "$dir/sympy-solve-wheels" ] ||
    { echo "no bales in $dir: run bench/pyodide.sh first" >&2; exit 1; }
BALE_IMPORTER=$(scripts/build-pyodide.sh | sed -n 1p)
BALE_PYODIDE="$(pyodide_node)/node_modules/pyodide"
BALE_PLAYWRIGHT=$(browser_tools)
export BALE_IMPORTER BALE_PYODIDE BALE_PLAYWRIGHT
node bench/throttled.mjs "$dir" "${1:-5}" "$ROOT/target/throttled-bench.json"
tools=$(tools_venv)
"$tools/bin/pip" install -q --disable-pip-version-check "matplotlib==3.10.7"
"$tools/bin/python" bench/python/plot_throttled.py "$ROOT/target/throttled-bench.json" bench/throttled.png
