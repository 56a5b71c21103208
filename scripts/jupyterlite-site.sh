#!/usr/bin/env bash
# A JupyterLite site whose notebook installs bale with `%pip install bale` and imports
# an app from a bale, served from its own files alone (nothing from a CDN or PyPI):
#   scripts/jupyterlite-site.sh OUT WHEEL [FILE...]
# WHEEL is bale's Pyodide wheel, put in the site's pypi/ folder for `%pip install`;
# the FILEs (bales) go beside the notebook (examples/jupyterlite/bale.ipynb), at
# files/ in the site. Built with jupyterlite-core and the Pyodide kernel
# (@jupyterlite/pyodide-kernel 0.8.6, Pyodide 314.0.6) under $WORK/jupyterlite; a run
# with the same inputs copies the last site to OUT without building again.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ $# -ge 2 ] || { echo "usage: scripts/jupyterlite-site.sh OUT WHEEL [FILE...]" >&2; exit 2; }
out=$1 wheel=$2
shift 2
dir="$WORK/jupyterlite"
lite="$dir/lite" # jupyter lite build's folder: its config, pypi/ and static/pyodide/
site="$dir/site"
mkdir -p "$dir"

# What the site is made of; a change to any of it builds the site again.
key=$(cat "$0" examples/jupyterlite/bale.ipynb "$wheel" "$@" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$site/.inputs" 2>/dev/null)" != "$key" ]; then
    venv="$dir/tools"
    if [ ! -x "$venv/bin/jupyter-lite" ]; then
        log "creating $venv (jupyterlite-core, jupyterlite-pyodide-kernel)"
        python3 -m venv "$venv"
        # jupyter-server: what jupyterlite-core's contents step needs to index the notebook.
        "$venv/bin/pip" install -q --disable-pip-version-check jupyterlite-core==0.8.6 \
            jupyterlite-pyodide-kernel==0.8.6 jupyter-server==2.21.1
    fi
    log "building the JupyterLite site"
    rm -rf "$lite" "$site" && mkdir -p "$lite/pypi" "$lite/static" "$dir/files"
    # Pyodide from npm holds no packages; the site serves, from PyPI, the pure-Python
    # ones the kernel installs at its start (micropip, IPython and what it needs),
    # at the versions of Pyodide's lock file, whose entries for them are rewritten to
    # name these wheels. Every other entry names Pyodide's CDN, as a site on the web
    # would have it.
    pyodide=$(pyodide_release 314.0.6)
    cp -r "$pyodide" "$lite/static/pyodide"
    rm -f "$lite/static/pyodide/"*.map
    "$venv/bin/python" - "$lite/static/pyodide" micropip ipython jedi <<'PY'
import hashlib, json, subprocess, sys
from pathlib import Path

folder, roots = Path(sys.argv[1]), sys.argv[2:]
lock = json.loads((folder / "pyodide-lock.json").read_text())
packages = lock["packages"]
needed, todo = set(), list(roots)
while todo:
    name = todo.pop()
    if name not in needed:
        needed.add(name)
        todo += packages[name]["depends"]
specs = [f"{packages[n]['name']}=={packages[n]['version']}" for n in sorted(needed)]
subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
                "--only-binary=:all:", "--python-version", "3.14", "-d", str(folder), *specs], check=True)
cdn = "https://cdn.jsdelivr.net/pyodide/v314.0.6/full/"
for name, entry in packages.items():
    if name in needed:
        entry["sha256"] = hashlib.sha256((folder / entry["file_name"]).read_bytes()).hexdigest()
    else:
        entry["file_name"] = cdn + entry["file_name"]
(folder / "pyodide-lock.json").write_text(json.dumps(lock))
PY
    # What %pip installs from the site: bale, and comm (the kernel needs it; Pyodide
    # does not have it).
    cp "$wheel" "$lite/pypi/"
    "$venv/bin/pip" download -q --disable-pip-version-check --no-deps --only-binary=:all: comm==0.2.3 -d "$lite/pypi"
    # No PyPI: %pip install finds bale in the site's pypi/ or fails. The app is exposed
    # to the page (window.jupyterapp) for the browser test, which runs the notebook.
    cat >"$lite/jupyter-lite.json" <<'JSON'
{
  "jupyter-lite-schema-version": 0,
  "jupyter-config-data": {
    "exposeAppInBrowser": "true",
    "litePluginSettings": {
      "@jupyterlite/pyodide-kernel-extension:kernel": { "disablePyPIFallback": true }
    }
  }
}
JSON
    rm -rf "$dir/files" && mkdir -p "$dir/files"
    cp examples/jupyterlite/bale.ipynb "$@" "$dir/files/"
    (cd "$lite" && "$venv/bin/jupyter" lite build --no-sourcemaps --apps lab --apps notebooks \
        --contents "$dir/files" --output-dir "$site")
    echo "$key" >"$site/.inputs"
fi
rm -rf "$out" && mkdir -p "$(dirname "$out")" && cp -r "$site" "$out"
