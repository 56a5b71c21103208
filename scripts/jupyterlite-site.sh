#!/usr/bin/env bash
# A JupyterLite site whose notebook (examples/jupyterlite/bale.ipynb) installs bale
# with `%pip install bale` and runs an app from a bale, served from its own files
# alone: nothing comes from a CDN or from PyPI.
#   scripts/jupyterlite-site.sh OUT FILE...
# Wheels among the FILEs go into the site's pypi/ folder, where `%pip install` finds
# them (bale's Pyodide wheel; an app's wheels); other FILEs (bales) go beside the
# notebook, at files/ in the site. Built with jupyterlite-core 0.8.6 and
# jupyterlite-pyodide-kernel 0.8.6 (@jupyterlite/pyodide-kernel 0.8.6, Pyodide
# 314.0.6) in $WORK/jupyterlite, where `jupyter lite build` keeps what it did: a
# second run redoes only what changed, in seconds, then copies the site to OUT.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ $# -ge 2 ] || { echo "usage: scripts/jupyterlite-site.sh OUT FILE..." >&2; exit 2; }
out=$(realpath -m "$1")
shift
dir="$WORK/jupyterlite"
lite="$dir/lite" # what `jupyter lite build` reads: jupyter-lite.json, pypi/, files/, static/pyodide/
site="$dir/site"

venv="$dir/tools"
if [ ! -x "$venv/bin/jupyter-lite" ]; then
    log "creating $venv (jupyterlite-core, jupyterlite-pyodide-kernel)"
    python3 -m venv "$venv"
    # jupyter-server: what jupyterlite-core needs to index the notebook.
    "$venv/bin/pip" install -q --disable-pip-version-check jupyterlite-core==0.8.6 \
        jupyterlite-pyodide-kernel==0.8.6 jupyter-server==2.21.1
fi

# Pyodide from npm carries no packages, and its lock file names them relative to it,
# as if the site held Pyodide's whole distribution. The site serves, from PyPI, the
# pure-Python ones the kernel loads at its start (micropip, IPython and what they
# need) at the lock file's versions, and the lock names their hashes. Any other
# package it names on Pyodide's CDN, as a site on the web would have it.
pyodide_kernel_packages="micropip ipython jedi"
if [ "$(cat "$lite/pyodide.made" 2>/dev/null)" != "314.0.6 $pyodide_kernel_packages" ]; then
    log "Pyodide 314.0.6 and the packages its kernel loads, for the JupyterLite site"
    rm -rf "$lite/static/pyodide" && mkdir -p "$lite/static"
    cp -r "$(pyodide_release 314.0.6)" "$lite/static/pyodide"
    rm -f "$lite/static/pyodide/"*.map
    # shellcheck disable=SC2086
    "$venv/bin/python" - "$lite/static/pyodide" $pyodide_kernel_packages <<'PY'
import hashlib, json, re, subprocess, sys
from pathlib import Path

folder, roots = Path(sys.argv[1]), sys.argv[2:]
lock = json.loads((folder / "pyodide-lock.json").read_text())
packages = lock["packages"]
needed, todo = set(), list(roots)
while todo:
    name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
    if name not in needed:
        needed.add(name)
        todo += packages[name]["depends"]
specs = [f"{packages[n]['name']}=={packages[n]['version']}" for n in sorted(needed)]
subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
                "--only-binary=:all:", "--python-version", "3.14", "-d", str(folder), *specs], check=True)
for name, entry in packages.items():
    if name in needed:
        entry["sha256"] = hashlib.sha256((folder / entry["file_name"]).read_bytes()).hexdigest()
    else:
        entry["file_name"] = "https://cdn.jsdelivr.net/pyodide/v314.0.6/full/" + entry["file_name"]
(folder / "pyodide-lock.json").write_text(json.dumps(lock))
PY
    echo "314.0.6 $pyodide_kernel_packages" >"$lite/pyodide.made"
fi

# The site's own PyPI, its notebook's folder and settings, made anew each time; the
# output's copies of the folders go too, so that no file of an earlier run is left.
rm -rf "$lite/pypi" "$lite/files" "$site/pypi" "$site/files" "$site/api"
mkdir -p "$lite/pypi" "$lite/files" "$dir/downloads"
# comm: the kernel installs it with piplite as it starts (pyodide-kernel requires it),
# and Pyodide's lock file has none.
[ -f "$dir/downloads/comm-0.2.3-py3-none-any.whl" ] ||
    "$venv/bin/pip" download -q --disable-pip-version-check --no-deps --only-binary=:all: comm==0.2.3 -d "$dir/downloads"
cp "$dir/downloads/comm-0.2.3-py3-none-any.whl" "$lite/pypi/"
cp examples/jupyterlite/bale.ipynb "$lite/files/"
for f in "$@"; do
    case "$f" in
    *.whl) cp "$f" "$lite/pypi/" ;;
    *) cp "$f" "$lite/files/" ;;
    esac
done
# %pip install finds packages in the site's pypi/ or fails: it never asks PyPI. The
# page exposes the app (window.jupyterapp), for the browser test to run the notebook.
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
log "jupyter lite build"
(cd "$lite" && PYTHONWARNINGS=ignore "$venv/bin/jupyter" lite build --log-level=ERROR --no-sourcemaps \
    --apps lab --apps notebooks --contents files --output-dir "$site" >/dev/null)
rm -rf "$out" && mkdir -p "$(dirname "$out")" && cp -r "$site" "$out"
