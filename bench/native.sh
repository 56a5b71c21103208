#!/usr/bin/env bash
# Reproduces the native-code figures of bench/README.md: numpy, numpy with pandas, and
# scipy imported from a bale (the per-user cache, warm and cold; memory) against
# from site-packages: import time, wall time, maximum RSS, total PSS of 8 processes,
# and the cost of a warm start's check (bench/python/native.py). Writes
# target/native-bench.json and prints a table.
#   bench/native.sh [RUNS]
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
cargo build -q --release -p bale-cli
importer=$(importer_module)
out="$WORK/bench/native"
venv="$out/venv"
if [ ! -x "$venv/bin/python" ]; then
    "$(python_for 3.11)" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check \
        numpy==2.2.6 pandas==2.3.3 scipy==1.15.3 xxhash==3.5.0
fi
# The importer alone, as a package folder on the probe's path (the probe runs with -I
# -S, so that nothing comes from site-packages).
rm -rf "$out/importer" && mkdir -p "$out/importer/bale"
cp "$importer" "$out/importer/bale/"
printf 'from .bale import *\nfrom .bale import __version__\n' >"$out/importer/bale/__init__.py"
"$venv/bin/python" bench/python/native.py "$TARGET/release/bale" "$out/importer" "$out" "${1:-5}" \
    "$TARGET/native-bench.json"
