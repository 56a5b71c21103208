#!/usr/bin/env bash
# Reproduces bench/README.md's PyScript figures: time to first output of rich-report in
# PyScript 0.7.31 (main thread) from its bale through the bale plugin against PyScript's
# own `packages` (rich-report's wheels from the site, installed by micropip), on
# localhost and throttled 4G, in headless Chromium (bench/pyscript.mjs). Sets up, in
# $WORK/bench/pyscript: the framed bale, its stdlib zip and rest bale (`bale pack`, the
# CLI already built: $BALE_BIN, or target/release/bale, or target/debug/bale); the
# wheels (`pip download`, PyPI); what python prints (a venv of those wheels); and a
# copy of Pyodide 314.0.2 (PyScript's default) whose lock file points at micropip
# 0.11.1 and packaging 25.0 from PyPI beside it, and at Pyodide's CDN for every other
# package (which nothing may ask for: the run fails if a request leaves the site).
# Writes target/pyscript-bench.json.
#   bench/pyscript.sh [RUNS]
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
dir="$WORK/bench/pyscript"
mkdir -p "$dir"
bale="${BALE_BIN:-}"
[ -n "$bale" ] || for b in "$TARGET/release/bale" "$TARGET/debug/bale"; do [ -x "$b" ] && { bale=$b; break; }; done
[ -x "$bale" ] || { echo "no bale CLI in $TARGET: cargo build -p bale-cli first (or set BALE_BIN)" >&2; exit 1; }

# The importer for Pyodide (a copy: a build elsewhere may rewrite it during the run)
# and the Pyodide `bale pack --target pyodide` compiles with.
BALE_IMPORTER=$(scripts/build-pyodide.sh | sed -n 1p)
BALE_PYODIDE="$(pyodide_node)/node_modules/pyodide"
export BALE_IMPORTER BALE_PYODIDE
cp "$BALE_IMPORTER" "$dir/bale.abi3.so"

log "bale pack: rich-report, framed, with its stdlib zip and rest bale"
rm -rf "$dir/bale" && mkdir -p "$dir/bale"
"$bale" pack -q --app examples/rich-report/report.py -r examples/rich-report/requirements.txt \
    --target pyodide --rest -o "$dir/bale/app.bale.zst" >&2

log "rich-report's wheels, and what python prints with them"
rm -rf "$dir/wheels" && mkdir -p "$dir/wheels"
python3 -m pip download -q --disable-pip-version-check --only-binary=:all: \
    -r examples/rich-report/requirements.txt -d "$dir/wheels"
[ -x "$dir/venv/bin/python" ] || python3 -m venv "$dir/venv"
"$dir/venv/bin/pip" install -q --disable-pip-version-check --no-index --find-links "$dir/wheels" \
    -r examples/rich-report/requirements.txt
(cd examples/rich-report && "$dir/venv/bin/python" report.py >"$dir/expected.txt")

# Pyodide 314.0.2 with micropip (PyScript loads it for `packages`) on the site: PyPI's
# wheels where the lock file points, their names, versions and hashes rewritten; any
# other package named on the CDN.
if [ "$(cat "$dir/pyodide.made" 2>/dev/null)" != "314.0.2 micropip==0.11.1 packaging==25.0" ]; then
    log "Pyodide 314.0.2 with micropip 0.11.1 and packaging 25.0 from PyPI"
    rm -rf "$dir/pyodide"
    cp -r "$(pyodide_release 314.0.2)" "$dir/pyodide"
    rm -f "$dir/pyodide/"*.map
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --python-version 3.14 \
        micropip==0.11.1 packaging==25.0 -d "$dir/pyodide"
    python3 - "$dir/pyodide" <<'PY'
import hashlib, json, sys
from pathlib import Path

folder = Path(sys.argv[1])
lock = json.loads((folder / "pyodide-lock.json").read_text())
ours = {"micropip": "micropip-0.11.1-py3-none-any.whl", "packaging": "packaging-25.0-py3-none-any.whl"}
for name, entry in lock["packages"].items():
    if name in ours:
        entry["file_name"] = ours[name]
        entry["version"] = ours[name].split("-")[1]
        entry["sha256"] = hashlib.sha256((folder / ours[name]).read_bytes()).hexdigest()
    else:
        entry["file_name"] = "https://cdn.jsdelivr.net/pyodide/v314.0.2/full/" + entry["file_name"]
(folder / "pyodide-lock.json").write_text(json.dumps(lock))
PY
    echo "314.0.2 micropip==0.11.1 packaging==25.0" >"$dir/pyodide.made"
fi

BALE_PYSCRIPT=$(pyscript_core)
BALE_PLAYWRIGHT=$(browser_tools)
export BALE_PYSCRIPT BALE_PLAYWRIGHT
node bench/pyscript.mjs "$dir" "${1:-3}" "$TARGET/pyscript-bench.json"
