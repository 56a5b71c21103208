#!/usr/bin/env bash
# What users install, used as users use it: builds dist/ (scripts/dist.sh), then in an
# empty temporary folder, with the repository on no path and no BALE_* variable, runs
# README.md's quick start as written on the rich-report example: `pip install bale`
# into a fresh virtual environment (pip's configuration in that environment points it
# at dist/ alone), pack and run natively, pack for the web and run the page's code in
# Node with the npm package, make a program and run it. Then the loader's npm package
# as a page bundles it, one version everywhere, and bad input.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
artifacts=$([ -n "${BALE_DIST_BUILT:-}" ] && ls -d dist/* || scripts/dist.sh)
echo "$artifacts"
version=$(basename "$(ls dist/bale-*-cp310-abi3-*.whl)" | cut -d- -f2)
tarball=$(ls "$ROOT"/dist/bale-loader-*.tgz)
for f in dist/*; do printf '%8d KiB  %s\n' $(( $(stat -c %s "$f") / 1024 )) "$(basename "$f")"; done

python=$(python_for 3.11)
node_dir=$(pyodide_node)
esbuild="$node_dir/node_modules/.bin/esbuild"
[ -x "$esbuild" ] || (cd "$node_dir" && npm install -s esbuild@0.25.12 >/dev/null)
block() { python3 scripts/dist/readme_blocks.py README.md "$1"; }
blocks="$WORK/quickstart-blocks"
mkdir -p "$blocks"
for label in install native web page exe; do block "quickstart-$label" >"$blocks/$label"; done
block rest-native >"$blocks/rest-native"

home=$(mktemp -d /tmp/bale-user.XXXXXX)
trap 'rm -rf "$home"' EXIT
app="$home/app"
mkdir -p "$app"
cp examples/rich-report/report.py "$app/app.py"
cp examples/rich-report/requirements.txt "$app/requirements.txt"
# What its --appendix option reads, which no traced run touches.
cp -r examples/rich-report/snippets examples/rich-report/report_extras.py examples/rich-report/report_extras-1.0.dist-info "$app/"
"$python" -m venv "$home/venv"
# pip in this environment installs bale from dist/ alone (the machine's own
# PIP_FIND_LINKS, where set, overrides a configuration file's, so dist/ joins it); the
# environments bale makes for an app's requirements use the index as usual.
printf '[install]\nno-index = true\nfind-links = %s\n' "$ROOT/dist" >"$home/venv/pip.conf"

# The user's shell: the environment active, nothing of bale's repository or variables.
user() {
    (cd "$app" && env -u BALE_IMPORTER -u BALE_PYODIDE -u BALE_RUNNERS -u BALE_TEST_BALES \
        HOME="$home" XDG_CACHE_HOME="$CACHE" PATH="$home/venv/bin:$PATH" VIRTUAL_ENV="$home/venv" \
        PIP_FIND_LINKS="$ROOT/dist${PIP_FIND_LINKS:+ $PIP_FIND_LINKS}" \
        bash -euo pipefail -c "$1")
}
# Pyodide from npm, once per machine (CI: once per run); the same folder a user's
# ~/.cache would be.
CACHE="$WORK/user-cache"

log "quick start: install"
user "$(cat "$blocks/install")"
log "one version everywhere: $version"
[ "$(user 'bale --version')" = "bale $version" ]
[ "$(user 'python -c "import bale; print(bale.__version__)"')" = "$version" ]
[ "$(tar -xOzf "$tarball" package/package.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')" = "$version" ]

log "quick start: natively"
out=$(user "$(cat "$blocks/native")")
grep -q "Release notes" <<<"$out" || { echo "$out"; echo "the app's output is missing" >&2; exit 1; }
user 'bale inspect app.bale' | grep -q "entry point: script app.py"
log "the rest bale: what the trace missed, served, recorded and folded into the next pack"
out=$(user "$(cat "$blocks/rest-native")")
grep -q "report_extras plugin" <<<"$out" || { echo "$out"; echo "the appendix is missing" >&2; exit 1; }
grep -q '"snippets/hello.rs"' "$app/misses.json"
rm "$app/app.rest.bale"
out=$(user 'bale run app.bale -- --appendix rust')
grep -q "report_extras plugin" <<<"$out" || { echo "$out"; echo "the folded-in pack lacks the appendix" >&2; exit 1; }
log "validated with the wheel's importer on another Python (3.10)"
user "bale pack --app app.py -r requirements.txt --python $(python_for 3.10) --validate -o app310.bale -q"

log "quick start: the web (Pyodide installed into the cache by npm if not there)"
# npm installs the loader from the package built here rather than from the registry.
user "$(sed "s|bale-loader|$tarball|" "$blocks/web")"
cp "$blocks/page" "$app/page.mjs"
out=$(user 'node page.mjs')
grep -q "Release notes" <<<"$out" || { echo "$out"; echo "the page's output is missing" >&2; exit 1; }
log "the npm package bundled for a page (esbuild)"
user "$esbuild --bundle --format=esm --platform=browser --external:pyodide page.mjs --outfile=bundle.mjs --log-level=warning"
grep -q "loadBale" "$app/bundle.mjs" || grep -q "bale.abi3.so" "$app/bundle.mjs"

log "quick start: one program"
stderr=$(user 'bale exe app.bale -o prog' 2>&1 >/dev/null) && exit 1
grep -q "pip install bale-runner-cp311" <<<"$stderr" || { echo "$stderr"; exit 1; }
out=$(user "$(cat "$blocks/exe")")
grep -q "Release notes" <<<"$out" || { echo "$out"; echo "the program's output is missing" >&2; exit 1; }

log "bad input"
# No Node.js: a PATH of the environment alone, in a folder without node_modules, and
# no Pyodide cached.
mkdir -p "$home/elsewhere" && cp "$app/app.py" "$home/elsewhere/"
stderr=$(cd "$home/elsewhere" && env -u BALE_PYODIDE -u BALE_IMPORTER HOME="$home" \
    XDG_CACHE_HOME="$home/empty-cache" PATH="$home/venv/bin" bale pack --app app.py --target pyodide -o x.bale 2>&1) &&
    exit 1
grep -q "install Node.js" <<<"$stderr" || { echo "$stderr"; exit 1; }
if old=$(python_for 3.9 2>/dev/null); then
    "$old" -m venv "$home/venv39"
    if "$home/venv39/bin/pip" install -q --no-index --find-links dist bale 2>/dev/null; then
        echo "pip on Python 3.9 installed the wheel" >&2
        exit 1
    fi
fi
log "the installed wheel works"
