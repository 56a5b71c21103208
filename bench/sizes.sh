#!/usr/bin/env bash
# Reproduces the size study of bench/README.md: CPython 3.11's standard library (no
# tests, no site-packages, no extension modules) and what `bale pack --app` keeps of
# each example app, as zips and as bales of every kind, each raw and as a web server
# sends it. Writes target/sizes.json and prints a table.
#   bench/sizes.sh
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
bench_app_tools
"$BENCH_TOOLS/bin/python" bench/python/sizes.py "$TARGET/release/bale" "$(python_for 3.11)" "$WORK/bench/sizes" \
    "$TARGET/sizes.json"
