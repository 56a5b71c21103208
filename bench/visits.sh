#!/usr/bin/env bash
# Reproduces the returning-visitor figures of bench/README.md: rich-report's quickstart
# app deployed three times (a: as README packs it; b: one line of the app changed; c:
# pygments bumped too), each shipped three ways: a framed bale with its parts file
# (the loader keeps the bale in the Cache API), the wheels and the app's file (the
# browser's HTTP cache keeps them), and pyodide-pack's one zip of sources (rebuilt as
# bench/pyodide.mjs does). bench/visits.mjs then visits each site with one Chromium
# profile: a first visit, the same again, after deploy b, after deploy c; under the
# links of bench/throttled.sh but slow 4G. Writes target/visits-bench.json.
#   bench/visits.sh
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
cargo build -q --release -p bale-cli
bale="$TARGET/release/bale"
out="$WORK/bench/visits"
rm -rf "$out" && mkdir -p "$out"
pyodide_apps "$out"
BALE_PLAYWRIGHT=$(browser_tools)
export BALE_PLAYWRIGHT

for deploy in a b c; do mkdir -p "$out/$deploy"; done
cp examples/rich-report/report.py "$out/a/app.py"
cp examples/rich-report/requirements.txt "$out/a/requirements.txt"
sed '/^import sys$/a DEPLOYED = 2  # a line a deploy changed' examples/rich-report/report.py >"$out/b/app.py"
cp "$out/a/requirements.txt" "$out/b/requirements.txt"
cp "$out/b/app.py" "$out/c/app.py"
sed 's/^pygments==.*/pygments==2.20.0/' examples/rich-report/requirements.txt >"$out/c/requirements.txt"
platform=$(node -e "console.log('pyemscripten_' + require('$BALE_PYODIDE/pyodide-lock.json').info.abi_version + '_wasm32')")
for deploy in a b c; do
    d="$out/$deploy"
    log "deploy $deploy: the bale (framed, with its parts file), pyodide-pack's zip, the wheels"
    "$bale" pack -q --app "$d/app.py" -r "$d/requirements.txt" --target pyodide -o "$d/app.bale.zst" >/dev/null
    "$bale" inspect --json "$d/app.bale.zst" >"$d/inspect.json"
    "$bale" pack -q --app "$d/app.py" -r "$d/requirements.txt" --target pyodide --content source --compress none \
        -o "$d/src.bale" >/dev/null
    "$bale" extract "$d/src.bale" -C "$d/src"
    python3 - "$d/src" "$d/app.pack.zip" "$BALE_PYODIDE/python_stdlib.zip" "$d/src.stdlib.zip" <<'PY'
import os, sys, zipfile
root, out, full, trimmed = sys.argv[1:5]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for folder, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            path = os.path.join(folder, f)
            z.write(path, os.path.relpath(path, root))
# As bench/pyodide.mjs: pyodide-pack's trimmed standard library holds what unpacking a zip needs.
with zipfile.ZipFile(full) as f, zipfile.ZipFile(trimmed, "a", zipfile.ZIP_DEFLATED) as z:
    if "encodings/cp437.py" not in z.namelist():
        z.writestr("encodings/cp437.py", f.read("encodings/cp437.py"))
PY
    # The wheels for Pyodide's platform, as bench/pyodide.mjs downloads them.
    python3 -m pip download -q --disable-pip-version-check --only-binary=:all: --implementation cp \
        --python-version 3.14 --platform "$platform" -r "$d/requirements.txt" -d "$d/wheels"
done
node bench/visits.mjs "$out" "$TARGET/visits-bench.json"
