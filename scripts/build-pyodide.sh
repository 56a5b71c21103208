#!/usr/bin/env bash
# Builds the importer for Pyodide (wasm32-unknown-emscripten, abi3: one module for
# Pyodide 0.29 and 314) from the same crate as the native one, with no Emscripten SDK:
# rustc's objects are linked into a side module by scripts/wasm/emscripten-link.py, and
# every import of it is checked against the exports of Pyodide's pyodide.asm.wasm.
# Prints the module's path.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
wasm_c_env
node_dir=$(pyodide_node)
export CARGO_TARGET_WASM32_UNKNOWN_EMSCRIPTEN_LINKER="$ROOT/scripts/wasm/emscripten-link.py"
log "building the importer for wasm32-unknown-emscripten"
cargo build -q --release -p bale-importer --features extension-module --target wasm32-unknown-emscripten
module="$ROOT/target/wasm32-unknown-emscripten/release/bale.wasm"
node scripts/wasm/check-imports.mjs "$node_dir/node_modules/pyodide/pyodide.asm.wasm" "$module" >&2
echo "$module"
