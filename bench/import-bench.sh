#!/usr/bin/env bash
# Reproduces the import benchmark of bench/README.md: for each CPython version
# (default 3.11 and 3.13; BALE_BENCH_PYTHONS to choose) prepares the module list, the
# zip and the bales, then runs the criterion benchmarks `import_all` and `payloads`
# (decoding and reading the prepared bales), the finders' costs without running the
# modules (target/finder-costs.txt) and the plot (bench/import-all.png).
#   bench/import-bench.sh [extra criterion arguments]
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
out="$WORK/bench"
mkdir -p "$out"
cargo build -q --release -p bale-cli
# The importer extension module alone, loaded by file in each iteration.
cp "$(importer_module)" "$out/bale.abi3.so"
for version in ${BALE_BENCH_PYTHONS:-3.11 3.13}; do
    python=$(python_for "$version")
    dir="$out/$version"
    log "preparing CPython $version ($dir)"
    "$python" bench/python/stdlib.py "$dir"
    echo "$python" > "$dir/python.txt"
    "$TARGET"/release/bale pack "$dir/tree" -o "$dir/stdlib.bale" --python "$python" --quiet >/dev/null
    "$TARGET"/release/bale pack "$dir/tree" -o "$dir/stdlib-zstd.bale" --python "$python" --quiet \
        --compress zstd:19 --dictionary >/dev/null
    "$TARGET"/release/bale pack "$dir/tree" -o "$dir/stdlib-zstd-nodict.bale" --python "$python" --quiet \
        --compress zstd:19 >/dev/null
    # Warm the PathFinder's .pyc cache for these modules.
    "$python" -I -S -W ignore bench/python/import_all.py pathfinder - "$dir/modules.txt" >/dev/null
done
BALE_BENCH_DIR="$out" cargo bench -p bale-bench --bench import_all -- "$@"
BALE_BENCH_DIR="$out" cargo bench -p bale-bench --bench payloads -- "$@"
if [ "${1:-}" != "--test" ]; then
    # Where the time goes: each finder's own work, without running the modules.
    for version in ${BALE_BENCH_PYTHONS:-3.11 3.13}; do
        echo "CPython $version"
        "$(cat "$out/$version/python.txt")" -I -S bench/python/finder_costs.py "$out/$version" "$out/bale.abi3.so" 9
    done | tee "$TARGET"/finder-costs.txt
    tools=$(tools_venv)
    "$tools/bin/pip" install -q --disable-pip-version-check "matplotlib==3.10.7"
    "$tools/bin/python" bench/python/plot_import_all.py "$TARGET"/import-all.json bench/import-all.png
fi
