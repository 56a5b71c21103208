#!/usr/bin/env bash
# Builds what users install, into dist/, and prints each file's path:
#   - the `bale` wheel (manylinux2014, x86-64, abi3 for CPython 3.10+): the `bale`
#     command, the importer (the `bale` package, with its types), and under
#     `bale/_data/web/` the loader and the importer built for Pyodide;
#   - one companion wheel per CPython 3.10 to 3.15, `bale-runner-cpXY`, holding the
#     runner `bale exe` makes programs of (each ~8 MB: too large to ship four in the
#     main wheel);
#   - the `bale` wheel for Pyodide 314 (`cp314-cp314-pyemscripten_2026_0_wasm32`), for
#     micropip, PyScript's `packages` and JupyterLite's `%pip install`;
#   - the npm package of the loader, `bale-loader-VERSION.tgz`, the importer's
#     WebAssembly inside.
# The command and the importer are linked against glibc 2.17 with zig, without a
# container; `auditwheel show` checks the tag. Binaries are stripped.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
dist="$ROOT/dist"
build="$WORK/dist-build"
rm -rf "$dist" "$build" && mkdir -p "$dist" "$build/web"
tools=$(dist_tools)
# zig comes from the `ziglang` package of the tools' environment: cargo-zigbuild and
# maturin find it through that environment's python3.
export PATH="$tools/bin:$PATH"
version=$(cargo metadata --no-deps --format-version 1 |
    python3 -c "import json, sys; print(next(p['version'] for p in json.load(sys.stdin)['packages'] if p['name'] == 'bale-cli'))")

log "the bale command for glibc 2.17 (cargo zigbuild)"
cargo zigbuild -q --release -p bale-cli --target x86_64-unknown-linux-gnu.2.17 >&2
strip -o "$build/bale" "$TARGET"/x86_64-unknown-linux-gnu/release/bale

log "the importer wheel (maturin, manylinux2014 with zig)"
"$tools/bin/maturin" build -q --release --strip --zig --compatibility manylinux2014 \
    --target x86_64-unknown-linux-gnu -m importer/Cargo.toml -o "$build" -i python3 >&2

log "the importer for Pyodide and the runners"
wasm=$(scripts/build-pyodide.sh | sed -n 1p)
runners=$(scripts/build-runners.sh 3.10 3.11 3.12 3.13 3.14 3.15)

cp importer/js/loader.mjs importer/js/loader.d.mts importer/js/pyscript.mjs importer/js/embedded.mjs importer/js/rest.mjs importer/js/update.mjs importer/js/xxh3.mjs \
    importer/js/package.json importer/js/README.md "$build/web/"
cp "$wasm" "$build/web/bale.abi3.so"

log "assembling the wheels"
"$tools/bin/python" scripts/dist/wheel.py complete "$build"/bale-*.whl --command "$build/bale" \
    --web "$build/web" --out "$dist" >/dev/null
for runner in "$runners"/bale-runner-cpython-3.1[0-5]-*; do
    "$tools/bin/python" scripts/dist/wheel.py runner "$runner" --version "$version" --out "$dist" >/dev/null
done
wheel=$(ls "$dist"/bale-"$version"-*.whl)
shown=$("$tools/bin/auditwheel" show "$wheel" 2>&1)
grep -q 'manylinux_2_17_x86_64' <<<"$shown" || { echo "$shown" >&2; echo "the bale wheel is not manylinux2014" >&2; exit 1; }

log "the importer's wheel for Pyodide (micropip)"
"$(esbuild_bin)" --bundle --format=esm --platform=neutral --log-level=warning importer/js/loader.mjs \
    --outfile="$build/loader.bundle.mjs"
"$tools/bin/python" scripts/dist/wheel.py pyodide "$wasm" --loader "$build/loader.bundle.mjs" \
    --python importer/python/bale --version "$version" --out "$dist" >/dev/null

log "the loader's npm package"
(cd "$build/web" && npm pack -q --pack-destination "$dist" >/dev/null)

ls -d "$dist"/*
