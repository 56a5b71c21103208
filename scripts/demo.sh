#!/usr/bin/env bash
# The main job on the built-in example: pack examples/hello into a bale, inspect and
# verify it, extract it, and run the app from what was extracted.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
log "building bale"
cargo build --release -q -p bale-cli
bale="$ROOT/target/release/bale"
out="$WORK/demo"
rm -rf "$out" && mkdir -p "$out"

log "bale pack examples/hello"
"$bale" pack examples/hello -o "$out/hello.bale" --compress zstd:19
log "bale inspect"
"$bale" inspect "$out/hello.bale"
log "bale verify"
"$bale" verify "$out/hello.bale"
log "bale extract, then run the app from the extracted files"
"$bale" extract "$out/hello.bale" -C "$out/extracted"
PYTHONPATH="$out/extracted" python3 -m hello
