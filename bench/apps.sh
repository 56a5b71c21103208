#!/usr/bin/env bash
# Reproduces the example-app figures of bench/README.md: for each app in examples/,
# a fresh virtual environment with its requirements, `bale pack --app` (validated),
# the sizes before and after (raw, gzip, brotli) and the app's run time from the bale
# against from site-packages. Writes target/apps.json and prints a table.
#   bench/apps.sh [RUNS]
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bench_app_tools
"$BENCH_TOOLS/bin/python" bench/python/apps.py "$TARGET/release/bale" "$WORK/bench/apps" "${1:-10}"
