#!/usr/bin/env bash
# The importer's tests: builds its abi3 wheel once, then runs importer/tests with
# pytest under each CPython version (default 3.10 to 3.13; BALE_PYTHONS to choose),
# each in its own virtual environment with the packages the tests pack.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
cargo build -q -p bale-cli
wheel=$(build_importer_wheel)
status=0
for version in ${BALE_PYTHONS:-3.10 3.11 3.12 3.13}; do
    python=$(python_for "$version")
    venv="$WORK/venv-$version"
    if [ ! -x "$venv/bin/python" ]; then
        log "creating $venv"
        "$python" -m venv "$venv"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check -r importer/tests/requirements.txt
    "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
    log "importer tests on CPython $version"
    BALE_CLI="$ROOT/target/debug/bale" "$venv/bin/python" -m pytest importer/tests -q -p no:cacheprovider "$@" || status=1
done
exit $status
