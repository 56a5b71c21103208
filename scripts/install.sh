#!/usr/bin/env bash
# Installs bale from this checkout, until it is published (then: `pip install bale`,
# `pip install bale-runner-cpXY`, `npm install bale-loader`):
#   - builds what users install into dist/ (scripts/dist.sh; BALE_DIST_BUILT=1 uses the
#     dist/ there is);
#   - pip-installs the `bale` wheel and the runner wheel of `bale exe` for the active
#     interpreter's version (`bale-runner-cpXY`) from dist/ alone, into the active
#     environment: the `python` on PATH (a virtual environment's, when one is active);
#   - leaves the loader's npm package in dist/, and says how a page installs it.
#   scripts/install.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

python=$(command -v python || command -v python3 || true)
[ -n "$python" ] || { echo "install.sh: no python on PATH: activate the environment to install into" >&2; exit 1; }
read -r tag in_venv < <("$python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}", int(sys.prefix != sys.base_prefix))')

if [ -n "${BALE_DIST_BUILT:-}" ]; then
    ls dist/bale-*.whl >/dev/null 2>&1 || { echo "install.sh: BALE_DIST_BUILT is set, but dist/ holds no wheel" >&2; exit 1; }
else
    log "building the wheels and the npm package into dist/ (scripts/dist.sh)"
    scripts/dist.sh >/dev/null
fi
wheel=$(ls dist/bale-*-cp310-abi3-*.whl)
version=$(basename "$wheel" | cut -d- -f2)

packages=("bale==$version")
runner="bale-runner-$tag"
if ls dist/"${runner//-/_}-$version"-*.whl >/dev/null 2>&1; then
    packages+=("$runner==$version")
else
    echo "install.sh: dist/ has no $runner: bale exe will name the runner it lacks" >&2
fi
[ "$in_venv" = 1 ] || echo "install.sh: $python is not a virtual environment's; pip may refuse to install into it" >&2
log "pip install ${packages[*]} (from dist/, into $("$python" -c 'import sys; print(sys.prefix)'))"
"$python" -m pip install -q --disable-pip-version-check --no-index --find-links "$ROOT/dist" "${packages[@]}"

# The command pip just installed, wherever an earlier one on PATH may be.
bale="$("$python" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/bale"
echo "installed $("$bale" --version) for $("$python" -c 'import sys; print("CPython %d.%d" % sys.version_info[:2])') ($bale)"
echo "for a page, until bale-loader is on npm: npm install $(ls "$ROOT"/dist/bale-loader-"$version".tgz)"
