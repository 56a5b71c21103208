#!/usr/bin/env bash
# Fuzzes the importer from Python (importer/tests/fuzz/fuzz_install.py): CASES mutated
# bales (default 2,000) through bale.install, importing every module, reading every
# file and the metadata, in child interpreters of CPython 3.11; writes the figures to
# .work/fuzz-python.json. Fails on any crash, hang or unexpected exception.
#   scripts/fuzz-python.sh [CASES] [SEED]
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
cases=${1:-2000}
seed=${2:-1}
cargo build -q -p bale-cli
tools=$(tools_venv)
"$tools/bin/pip" install -q --disable-pip-version-check "xxhash==3.6.0"
wheel=$(ls "$WORK"/wheels/bale-*.whl 2>/dev/null || build_importer_wheel)
out="$WORK/fuzz-python"
rm -rf "$out" && mkdir -p "$out/importer" "$out/seed"
python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "$wheel" "$out/importer"
# Seeds: the importer tests' app (packages, resources, metadata, a namespace package),
# stored, compressed with a dictionary, and framed.
"$tools/bin/python" -c "import sys; sys.path.insert(0, 'importer/tests'); from conftest import APP, write_tree; write_tree(sys.argv[1], APP)" "$out/seed"
python=$(python_for 3.11)
bale="$TARGET"/debug/bale
"$bale" pack "$out/seed" -o "$out/plain.bale" --python "$python" -q >/dev/null
"$bale" pack "$out/seed" -o "$out/zstd.bale" --python "$python" --compress zstd:3 --dictionary 4096 -q >/dev/null
"$bale" pack "$out/seed" -o "$out/framed.bale.zst" --python "$python" -q >/dev/null
log "fuzzing bale.install with $cases cases (seed $seed)"
"$tools/bin/python" importer/tests/fuzz/fuzz_install.py --cases "$cases" --seed "$seed" --python "$python" \
    --importer-path "$out/importer" --out "$WORK/fuzz-python.json" \
    "$out/plain.bale" "$out/zstd.bale" "$out/framed.bale.zst"
