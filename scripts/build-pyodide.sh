#!/usr/bin/env bash
# Builds the WebAssembly side modules for Pyodide (wasm32-unknown-emscripten, abi3: one
# module for Pyodide 0.29 and 314): the importer, from the same crate as the native
# one, and the example extension module `wordstats._native`. No Emscripten SDK is
# needed: rustc's objects are linked into a side module by scripts/wasm/emscripten-link.py,
# and every import of each module is checked against the exports of Pyodide's
# pyodide.asm.wasm. Prints the importer's path, then the example module's.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
wasm_c_env
node_dir=$(pyodide_node)
export CARGO_TARGET_WASM32_UNKNOWN_EMSCRIPTEN_LINKER="$ROOT/scripts/wasm/emscripten-link.py"
out="$TARGET/wasm32-unknown-emscripten/release"
log "building the importer and wordstats._native for wasm32-unknown-emscripten"
cargo build -q --release --target wasm32-unknown-emscripten \
    -p bale-importer --features bale-importer/extension-module -p wordstats-native
for module in "$out/bale.wasm" "$out/_native.wasm"; do
    node scripts/wasm/check-imports.mjs "$node_dir/node_modules/pyodide/pyodide.asm.wasm" "$module" >&2
    echo "$module"
done
