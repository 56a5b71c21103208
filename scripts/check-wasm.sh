#!/usr/bin/env bash
# Proves the bale reader builds for both WebAssembly targets, with zstd and without a
# file system, and runs it (wasm32-unknown-unknown, in Node) on every test vector.
. "$(dirname "$0")/lib.sh"
wasm_c_env
cd "$ROOT"

log "bale-format for wasm32-unknown-emscripten"
cargo build -q -p bale-format --no-default-features --target wasm32-unknown-emscripten

log "bale-format for wasm32-unknown-unknown, run in Node on format-spec/vectors"
cargo build -q -p bale-wasm-probe --release --target wasm32-unknown-unknown
node scripts/check-wasm.mjs "$TARGET"/wasm32-unknown-unknown/release/bale_wasm_probe.wasm format-spec/vectors
