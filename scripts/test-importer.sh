#!/usr/bin/env bash
# The importer's tests: builds its abi3 wheel once, then runs importer/tests with
# pytest under each CPython version (default 3.10 to 3.15; BALE_PYTHONS to choose),
# each in its own virtual environment with the packages the tests pack: 3.10 to 3.13
# from pyenv, 3.14 and 3.15 from Debian sid's packages, run inside their root
# (scripts/in-root.sh) with this checkout at the same path.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_apt util-linux iproute2  # the Ray tests' own network and process namespaces
cargo build -q -p bale-cli
wheel=$(build_importer_wheel)
status=0
for version in ${BALE_PYTHONS:-3.10 3.11 3.12 3.13 3.14 3.15}; do
    case "$version" in
    3.14 | 3.15) python="/usr/bin/python$version" run=(scripts/in-root.sh sid) ;;
    *) python=$(python_for "$version") run=() ;;
    esac
    venv="$WORK/venv-$version"
    # pyvenv.cfg: its python links to an interpreter that may exist only in its root.
    if [ ! -f "$venv/pyvenv.cfg" ]; then
        log "creating $venv"
        "${run[@]}" "$python" -m venv "$venv"
    fi
    "${run[@]}" "$venv/bin/pip" install -q --disable-pip-version-check -r importer/tests/requirements.txt
    "${run[@]}" "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
    log "importer tests on CPython $version"
    BALE_CLI="$TARGET/debug/bale" "${run[@]}" "$venv/bin/python" -m pytest importer/tests -q -p no:cacheprovider "$@" ||
        status=1
done
exit $status
