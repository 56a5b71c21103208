#!/usr/bin/env bash
# The main job on the built-in example: pack examples/hello into a bale, inspect and
# verify it, run the app from the bale with the importer, and extract it.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
log "building bale"
cargo build --release -q -p bale-cli
bale="$TARGET/release/bale"
out="$WORK/demo"
rm -rf "$out" && mkdir -p "$out"

log "bale pack examples/hello (each module as source and bytecode: --content both, the default)"
"$bale" pack examples/hello -o "$out/hello.bale" --compress zstd:19
log "bale inspect"
"$bale" inspect "$out/hello.bale"
log "bale verify"
"$bale" verify "$out/hello.bale"
log "bale run (the app imported from the bale by the importer, installed in $out/venv)"
wheel=$(build_importer_wheel)
python3 -m venv "$out/venv"
"$out/venv/bin/pip" install -q --disable-pip-version-check "$wheel"
"$bale" run "$out/hello.bale" -m hello --python "$out/venv/bin/python"
log "bale extract"
"$bale" extract "$out/hello.bale" -C "$out/extracted"
find "$out/extracted" -type f | sort
# The three counts of files differ, each for its reason: said once, here.
files=$(find "$out/extracted" -type f | wc -l)
pycs=$(find "$out/extracted" -path '*/__pycache__/*.pyc' | wc -l)
log "files counted: pack counts the files it packed (caches left out), verify the bale's files and its folders" \
    "apart, extract the files it wrote: $files, the $((files - pycs)) packed and $pycs .pyc written from the bale's" \
    "bytecode into __pycache__"
