#!/usr/bin/env bash
# What users install, used as users use it, and every command README.md shows, run as
# written. Builds dist/ (scripts/dist.sh; BALE_DIST_BUILT=1 uses the dist/ there is),
# then, as a user in a temporary home with a fresh virtual environment active and no
# BALE_* variable: runs README.md's install block (scripts/install.sh, with pip
# pointed at dist/ alone) from this checkout, and every other block of README.md
# (scripts/dist/readme_blocks.py extracts each by its label) in a folder holding the
# rich-report example as app.py: the quick start (natively, the web page in Node and
# bundled, one program), the settings of pyproject.toml, and the reference's blocks.
# Then one version everywhere, bad input, and scripts/demo.sh (README's other set-up
# command; scripts/test.sh, the last, is CI itself). README.md cannot drift: a block
# without a label, or with one no test here extracts, fails `--check-all` at the
# start, and a block this run never extracted fails `--check-ran` at the end.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
log "README.md: every block labelled, every label run here, every link to a heading whole"
python3 scripts/dist/readme_blocks.py README.md --check-all

artifacts=$([ -n "${BALE_DIST_BUILT:-}" ] && ls -d dist/* || scripts/dist.sh)
echo "$artifacts"
version=$(basename "$(ls dist/bale-*-cp310-abi3-*.whl)" | cut -d- -f2)
tarball=$(ls "$ROOT"/dist/bale-loader-*.tgz)
for f in dist/*; do printf '%8d KiB  %s\n' $(( $(stat -c %s "$f") / 1024 )) "$(basename "$f")"; done

python=$(python_for 3.11)
blocks="$WORK/readme-blocks"
rm -rf "$blocks" && mkdir -p "$blocks"
# README.md's block labelled $1, as written; each label extracted is recorded.
block() {
    echo "$1" >>"$blocks/ran"
    python3 scripts/dist/readme_blocks.py README.md "$1"
}

home=$(mktemp -d /tmp/bale-user.XXXXXX)
trap 'rm -rf "$home"' EXIT
app="$home/app"
# The app: rich-report as app.py, with what its --appendix option reads, which no
# traced run of the quick start touches.
new_app() {
    mkdir -p "$1"
    cp examples/rich-report/report.py "$1/app.py"
    cp -r examples/rich-report/requirements.txt examples/rich-report/snippets examples/rich-report/report_extras.py \
        examples/rich-report/report_extras-1.0.dist-info "$1/"
}
new_app "$app"
"$python" -m venv "$home/venv"
# pip in this environment installs bale from dist/ alone (the machine's own
# PIP_FIND_LINKS, where set, overrides a configuration file's, so dist/ joins it); the
# environments bale makes for an app's requirements use the index as usual.
printf '[install]\nno-index = true\nfind-links = %s\n' "$ROOT/dist" >"$home/venv/pip.conf"
# Pyodide from npm, once per machine (CI: once per run); the same folder a user's
# ~/.cache would be.
CACHE="$WORK/user-cache"

# The user's shell in folder $1: the environment active, nothing of bale's
# repository or variables.
user_in() {
    (cd "$1" && env -u BALE_IMPORTER -u BALE_PYODIDE -u BALE_RUNNERS -u BALE_TEST_BALES \
        HOME="$home" XDG_CACHE_HOME="$CACHE" PATH="$home/venv/bin:$PATH" VIRTUAL_ENV="$home/venv" \
        PIP_FIND_LINKS="$ROOT/dist${PIP_FIND_LINKS:+ $PIP_FIND_LINKS}" \
        bash -euo pipefail -c "$2")
}
user() { user_in "$app" "$1"; }
# Fails unless $1 (an app's output) has the report's last section.
printed() { grep -q "Release notes" <<<"$1" || { echo "$1"; echo "$2" >&2; exit 1; }; }

log "install: README's block in this checkout (dist/ built: BALE_DIST_BUILT=1)"
BALE_DIST_BUILT=1 user_in "$ROOT" "$(block quickstart-install)"
log "one version everywhere: $version"
[ "$(user 'bale --version')" = "bale $version" ]
[ "$(user 'python -c "import bale; print(bale.__version__)"')" = "$version" ]
[ "$(tar -xOzf "$tarball" package/package.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')" = "$version" ]
user 'pip show -q bale-runner-cp311' >/dev/null

log "quick start: natively"
out=$(user "$(block quickstart-native)")
printed "$out" "the app's output is missing"
user 'bale inspect app.bale' | grep -q "entry point: script app.py"

log "the rest bale: what the trace missed, served, recorded and folded into the next pack"
out=$(user "$(block rest-native)")
grep -q "report_extras plugin" <<<"$out" || { echo "$out"; echo "the appendix is missing" >&2; exit 1; }
grep -q '"snippets/hello.rs"' "$app/misses.json"
rm "$app/app.rest.bale"
out=$(user 'bale run app.bale -- --appendix rust')
grep -q "report_extras plugin" <<<"$out" || { echo "$out"; echo "the folded-in pack lacks the appendix" >&2; exit 1; }

log "importing from a bale: README's Python, then a look at what it imported"
block import >"$home/import.py"
user 'python ../import.py'
printf '\nprint(rich.__file__)\n' >>"$home/import.py"
user 'python ../import.py' | grep -q "app.bale/rich/__init__.py$"
log "validated with the wheel's importer on another Python (3.10)"
user "bale pack --app app.py -r requirements.txt --python $(python_for 3.10) --validate -o app310.bale -q"

log "quick start: the web (Pyodide installed into the cache by npm if not there)"
# npm installs the loader from the package built here rather than from the registry:
# README says so, until it is published.
user "$(block quickstart-web | sed "s|bale-loader|$tarball|")"
[ -f "$app/app.stdlib.zip" ] && [ -f "$app/app.rest.bale" ]
block quickstart-page >"$app/page.mjs"
out=$(user "$(block quickstart-node)")
printed "$out" "the page's output is missing"
log "the page bundled (esbuild), the importer beside it"
user "$(block quickstart-bundle)"
grep -q "loadBale" "$app/bundle.mjs"
cmp "$app/bale.abi3.so" <(tar -xOzf "$tarball" package/bale.abi3.so)

log "quick start: one program (the runner missing first: bale exe names its package)"
user 'pip uninstall -q -y bale-runner-cp311'
# A bale that carries its standard library, as the block packs it: the runner is
# then what is missing.
user 'bale pack --app app.py -r requirements.txt --stdlib used -q -o withstdlib.bale'
stderr=$(user 'bale exe withstdlib.bale -o prog' 2>&1 >/dev/null) && exit 1
grep -q "pip install bale-runner-cp311" <<<"$stderr" || { echo "$stderr"; exit 1; }
user 'pip install -q bale-runner-cp311'
out=$(user "$(block quickstart-exe)")
printed "$out" "the program's output is missing"
log "bale exe: an entry function, native code from memory"
out=$(user "$(block exe-options)")
printed "$out" "the program's output is missing"

log "settings in pyproject.toml: README's file in a folder of the app, and its commands"
project="$home/project"
new_app "$project"
block project >"$project/pyproject.toml"
out=$(user_in "$project" "$(block project-commands)")
printed "$out" "the program of the settings printed nothing"
for f in report.bale report report.bale.zst report.stdlib.zip; do
    [ -f "$project/$f" ] || { echo "$out"; echo "the settings made no $f" >&2; exit 1; }
done
# The two runs the file names were traced: the appendix is in, and runs from the bale.
user_in "$project" 'bale run report.bale -- --appendix rust' | grep -q "report_extras plugin"
stderr=$(user_in "$project" 'echo "outptu = 1" >>pyproject.toml && bale pack' 2>&1) && exit 1
grep -q "outptu" <<<"$stderr" || { echo "$stderr"; echo "an unknown key was not named" >&2; exit 1; }

log "reference: packing import roots and wheels"
new_app "$home/inputs"
user_in "$home/inputs" "$(block pack-inputs)"
[ -f "$home/inputs/deps.bale.zst" ] && [ -d "$home/inputs/out/rich" ]
log "reference: packing an app from its own environment, two runs"
new_app "$home/venv-app"
out=$(user_in "$home/venv-app" "$(block pack-app)")
printed "$out" "the app's output is missing"

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

log "README's set-up commands: scripts/demo.sh (scripts/test.sh is CI itself)"
scripts/demo.sh >/dev/null
python3 scripts/dist/readme_blocks.py README.md --check-ran "$blocks/ran"
log "the installed wheel works, and README.md runs as written"
