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
browser_bench_env
node bench/throttled.mjs "$dir" "${1:-5}" "$TARGET/throttled-bench.json"
tools=$(tools_venv)
"$tools/bin/pip" install -q --disable-pip-version-check "matplotlib==3.10.7"
"$tools/bin/python" bench/python/plot_throttled.py "$TARGET/throttled-bench.json" bench/throttled.png
