#!/usr/bin/env bash
# Reproduces bench/README.md's "Clusters": examples/numbers/fits.py (numpy, pandas),
# one task per station, on Ray, Dask and Spark on this machine, from a bale against
# each engine's own way of shipping the same environment (Ray: pip; Dask:
# UploadDirectory and PipInstall; Spark: a venv-pack archive and a PEX). The workers' Python has neither numpy
# nor pandas: everything the tasks import comes by the method measured. Everything
# talks over loopback, in a network namespace of its own. Writes
# target/clusters-bench.json and prints a table.
#   bench/clusters.sh [ENGINE[:METHOD] ...]     (default: ray dask spark)
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
ensure_apt util-linux iproute2
cargo build -q --release -p bale-cli
bale="$TARGET/release/bale"
BALE_RUNNERS=$(scripts/build-runners.sh 3.11)
export BALE_RUNNERS
wheel=$(build_importer_wheel)
python=$(python_for 3.11)
out="$WORK/bench/clusters"
mkdir -p "$out"
# The engines' Python (what every worker runs): the engines and bale, no numpy.
engines="$out/engines"
[ -f "$engines/pyvenv.cfg" ] || "$python" -m venv "$engines"
"$engines/bin/pip" install -q --disable-pip-version-check ray==2.60.0 distributed==2026.8.0 pyspark==4.3.0 \
    venv-pack==0.2.0 pex==2.105.2 virtualenv  # virtualenv: for Ray's pip runtime env
"$engines/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
# Dask alone, for its PipInstall to install into (a copy per run).
[ -f "$out/dask-clean/pyvenv.cfg" ] || "$python" -m venv "$out/dask-clean"
"$out/dask-clean/bin/pip" install -q --disable-pip-version-check distributed==2026.8.0
# The app's environment: numpy and pandas, the same Python.
app="$out/app"
[ -f "$app/pyvenv.cfg" ] || "$python" -m venv "$app"
"$app/bin/pip" install -q --disable-pip-version-check -r examples/numbers/requirements.txt
# The same as wheels, for Ray's pip (the measurements run with no network).
rm -rf "$out/wheels"
"$app/bin/pip" download -q --disable-pip-version-check --only-binary :all: -d "$out/wheels" \
    -r examples/numbers/requirements.txt
# Spark's PEX way: the app (fits.py and its data) and its requirements in one PEX,
# run by the workers' Python.
rm -rf "$out/pex-src" && mkdir -p "$out/pex-src" && cp -r examples/numbers/fits.py examples/numbers/data "$out/pex-src/"
"$engines/bin/pex" --no-pypi -f "$out/wheels" -r examples/numbers/requirements.txt -D "$out/pex-src" \
    --python-shebang "$engines/bin/python" -o "$out/app.pex"
log "packing examples/numbers/fits.py, and its interpreter program"
"$bale" pack -q --app examples/numbers/fits.py --venv "$app" -o "$out/numbers.bale" >/dev/null
"$bale" pack -q --app examples/numbers/fits.py --venv "$app" --stdlib all -o "$out/numbers-all.bale" >/dev/null
"$bale" exe "$out/numbers-all.bale" --interpreter -o "$out/pyapp" >/dev/null
"$bale" exe "$out/numbers-all.bale" --interpreter --keep-compression -o "$out/pyapp-compressed" >/dev/null
log "measuring ${*:-ray dask spark}"
unshare --net --pid --fork --mount-proc sh -c 'ip link set lo up && exec "$@"' sh \
    "$engines/bin/python" bench/python/clusters.py "$out" "$TARGET/clusters-bench.json" "${@:-ray dask spark}"
