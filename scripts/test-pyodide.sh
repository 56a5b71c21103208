#!/usr/bin/env bash
# bale in Pyodide: builds the WebAssembly modules, packs example apps with `bale pack
# --target pyodide --validate` (traced, compiled and validated in Pyodide on Node),
# installs bale's Pyodide wheel with micropip and loads bales from Python in Pyodide
# 314.0.2, 314.0.6 and 314.0.7, runs the loader's tests in real Pyodide on Node and
# the web example, PyScript (main thread and worker) and JupyterLite in headless
# Chromium, and checks the loader's size (at most 3 KB minified and gzipped) and its
# TypeScript types.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
out="$WORK/pyodide-test"
rm -rf "$out" && mkdir -p "$out"
pyodide_apps "$out"
cargo build -q -p bale-cli
bale="$TARGET/debug/bale"

log "bale pack --target pyodide: hello, wordstats (an extension module), rich-report (with its rest bale) and sympy-solve (wheels from PyPI)"
"$bale" pack -q --app examples/hello -m hello --target pyodide --validate -o "$out/hello.bale"
"$bale" pack -q --app "$out/wordstats-app" -m wordstats --target pyodide --validate -o "$out/wordstats.bale"
"$bale" pack -q --app examples/rich-report/report.py -r examples/rich-report/requirements.txt \
    --target pyodide --validate --rest -o "$out/rich-report.bale"
# hello beside wordstats, traced as hello: wordstats and its extension module go into
# the rest bale, to be compiled when first imported.
mkdir -p "$out/mixed-app" && cp -r examples/hello/hello "$out/wordstats-app/wordstats" "$out/mixed-app/"
"$bale" pack -q --app "$out/mixed-app" -m hello --target pyodide --rest -o "$out/mixed.bale"
"$bale" pack -q --app examples/sympy-solve/solve.py -r examples/sympy-solve/requirements.txt \
    --target pyodide --validate -o "$out/sympy-solve.bale.zst"
# README's quick start for the web, as it packs: rich-report as app.py, framed, with
# its rest bale (examples/web/readme.test.mjs runs README's blocks on it).
mkdir -p "$out/quickstart" && cp examples/rich-report/report.py "$out/quickstart/app.py"
"$bale" pack -q --app "$out/quickstart/app.py" -r examples/rich-report/requirements.txt --target pyodide --rest \
    -o "$out/quickstart/app.bale.zst"
# Three deploys of that app for returning visitors (importer/js/update.test.mjs and
# examples/web/visits.test.mjs): a, as README packs it; b, one line of the app
# changed; c, pygments bumped too. Each with its parts file and what pack said.
for deploy in a b c; do mkdir -p "$out/deploys/$deploy"; done
cp "$out/quickstart"/app.* "$out/deploys/a/"
"$bale" inspect --json "$out/deploys/a/app.bale.zst" >"$out/deploys/a/inspect.json"
sed '/^import sys$/a DEPLOYED = 2  # a line a deploy changed' "$out/quickstart/app.py" >"$out/deploys/b/app.py"
cp "$out/deploys/b/app.py" "$out/deploys/c/app.py"
sed 's/^pygments==.*/pygments==2.20.0/' examples/rich-report/requirements.txt >"$out/deploys/c/requirements.txt"
for deploy in b c; do
    requirements=examples/rich-report/requirements.txt
    [ -f "$out/deploys/$deploy/requirements.txt" ] && requirements="$out/deploys/$deploy/requirements.txt"
    "$bale" pack -q --app "$out/deploys/$deploy/app.py" -r "$requirements" --target pyodide --rest \
        -o "$out/deploys/$deploy/app.bale.zst"
    "$bale" inspect --json "$out/deploys/$deploy/app.bale.zst" >"$out/deploys/$deploy/inspect.json"
done
"$bale" pack -q --app examples/hello -m hello --target pyodide --embed-importer --compress none \
    --stdlib none -o "$out/hello-embedded.bale"
"$bale" pack -q --app examples/hello -m hello --target pyodide --stdlib none -o "$out/hello.bale.zst"
"$bale" pack -q examples/hello -o "$out/hello-native.bale"

log "an app folder holding a venv and a linked folder, packed for Pyodide (cargo test)"
BALE_PYODIDE_IMPORTER="$BALE_IMPORTER" cargo test -q -p bale-cli --test app in_pyodide

# rich-report's wheels (pure Python), for the web example's start without a bale.
python3 -m pip download -q --disable-pip-version-check --only-binary=:all: \
    -r examples/rich-report/requirements.txt -d "$out/rich-report-wheels"
# What python prints for the path rich-report's bale was not packed for (its rest bale
# serves it), for the loader's and the browser's tests to compare with.
python3 -m venv "$out/rich-report-venv"
"$out/rich-report-venv/bin/pip" install -q --disable-pip-version-check --no-index \
    --find-links "$out/rich-report-wheels" -r examples/rich-report/requirements.txt
(cd examples/rich-report && "$out/rich-report-venv/bin/python" report.py --appendix rust >"$out/rich-report-appendix.txt")
(cd examples/rich-report && "$out/rich-report-venv/bin/python" report.py >"$out/rich-report.txt")

log "bale's wheel for Pyodide, installed by micropip in Pyodide 314.0.2, 314.0.6 and 314.0.7"
version=$(cargo metadata --no-deps --format-version 1 |
    python3 -c "import json, sys; print(next(p['version'] for p in json.load(sys.stdin)['packages'] if p['name'] == 'bale-cli'))")
"$(esbuild_bin)" --bundle --format=esm --platform=neutral --log-level=warning importer/js/loader.mjs \
    --outfile="$out/loader.bundle.mjs"
wheel=$(python3 scripts/dist/wheel.py pyodide "$BALE_IMPORTER" --loader "$out/loader.bundle.mjs" \
    --python importer/python/bale --version "$version" --out "$out")
# micropip and what it needs, from PyPI: Pyodide's own package index is not reachable.
# For Pyodide's Python (micropip 0.11 requires 3.13 or newer), not this machine's.
python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --python-version 3.14 \
    micropip==0.11.1 packaging==25.0 -d "$out"
pyodides="$(pyodide_release 314.0.2) $(pyodide_release 314.0.6) $(pyodide_release 314.0.7)"
BALE_PYODIDES="$pyodides" BALE_TEST_BALES="$out" BALE_WHEEL="$wheel" node --test importer/js/wheel.test.mjs

log "loader tests in Pyodide"
BALE_TEST_BALES="$out" node --test importer/js/loader.test.mjs
log "returning visitors in Pyodide on Node: a stored bale, deploys that change the app and bump pygments"
BALE_TEST_BALES="$out" node --test importer/js/update.test.mjs
log "fuzzing the loader in Pyodide (${BALE_LOADER_FUZZ_CASES:-1000} cases; bench/README.md has a longer run)"
BALE_TEST_BALES="$out" BALE_FUZZ_CASES="${BALE_LOADER_FUZZ_CASES:-1000}" node --test importer/js/fuzz.test.mjs

log "the web example in headless Chromium, and returning visitors with one profile across deploys"
BALE_PLAYWRIGHT=$(browser_tools)
BALE_TEST_BALES="$out" BALE_PLAYWRIGHT="$BALE_PLAYWRIGHT" BALE_WHEEL="$wheel" \
    node --test examples/web/browser.test.mjs examples/web/readme.test.mjs examples/web/visits.test.mjs

log "PyScript 0.7.31 with the bale plugin in headless Chromium, on the main thread and in a worker"
BALE_TEST_BALES="$out" BALE_PLAYWRIGHT="$BALE_PLAYWRIGHT" BALE_PYSCRIPT=$(pyscript_core) \
    BALE_PYSCRIPT_PYODIDE=$(pyodide_release 314.0.2) node --test examples/pyscript/browser.test.mjs

log "JupyterLite: a notebook installs bale with %pip from the site and runs rich-report from its bale, in headless Chromium"
# rich-report's wheels too, for bench/jupyterlite.mjs to install with %pip on this site.
scripts/jupyterlite-site.sh "$out/jupyterlite" "$wheel" "$out"/rich-report-wheels/*.whl \
    "$out/rich-report.bale" "$out/rich-report.rest.bale"
BALE_JUPYTERLITE="$out/jupyterlite" BALE_TEST_BALES="$out" BALE_PLAYWRIGHT="$BALE_PLAYWRIGHT" \
    node --test examples/jupyterlite/browser.test.mjs

log "loader size and types"
node_dir=$(pyodide_node)
[ -x "$node_dir/node_modules/.bin/esbuild" ] && [ -x "$node_dir/node_modules/.bin/tsc" ] ||
    (cd "$node_dir" && npm install -s esbuild@0.25.12 typescript@5.9.3 >/dev/null)
size=$("$node_dir/node_modules/.bin/esbuild" --minify --format=esm importer/js/loader.mjs | gzip -9 | wc -c)
echo "loader.mjs: $size bytes minified and gzipped"
extra=$("$node_dir/node_modules/.bin/esbuild" --bundle --minify --format=esm importer/js/embedded.mjs | gzip -9 | wc -c)
echo "embedded.mjs with xxh3.mjs, loaded only for a bale's own importer: $extra bytes minified and gzipped"
[ "$size" -le 3072 ] || { echo "the loader is over 3 KB minified and gzipped" >&2; exit 1; }
cat >"$out/tsconfig.json" <<JSON
{ "compilerOptions": { "strict": true, "noEmit": true, "module": "nodenext", "target": "es2022", "skipLibCheck": true,
    "baseUrl": ".", "paths": { "pyodide": ["$BALE_PYODIDE/pyodide.d.ts"], "pyodide/ffi": ["$BALE_PYODIDE/ffi.d.ts"] } },
  "files": ["$ROOT/importer/js/loader.d.mts", "$ROOT/importer/js/example.ts"] }
JSON
"$node_dir/node_modules/.bin/tsc" -p "$out/tsconfig.json"
