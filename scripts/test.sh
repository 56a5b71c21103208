#!/usr/bin/env bash
# Every test: formatting and lints, the Rust tests (unit, property, vectors, the real
# CLI on real packages, programs made by `bale exe` for CPython 3.10 to 3.15 run with
# no Python in reach, here and in a Debian 11 root), the importer's tests under
# CPython 3.10 to 3.15 (3.14 and 3.15 in a Debian sid root), the
# WebAssembly builds, bale in Pyodide on Node, the built wheels and npm package used
# as README.md's quick start says, a bounded fuzzing run, and a single
# pass of each benchmark (to prove they run; figures come from scripts in bench/).
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_apt clang-19 lld-19 llvm-19

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy -q --workspace --all-targets -- -D warnings
log "building the importer"
BALE_IMPORTER=$(importer_module)
export BALE_IMPORTER
# The runners of `bale exe`, one per CPython, for crates/bale-cli/tests/exe.rs and
# old_linux.rs and importer/tests/test_exe.py; the Debian roots those run programs in
# (made once, cached outside the checkout).
BALE_OLD_ROOT=$(scripts/debian-root.sh bullseye)
scripts/debian-root.sh sid >/dev/null
BALE_RUNNERS=$(scripts/build-runners.sh 3.10 3.11 3.12 3.13 3.14 3.15)
BALE_RUNNER_PYTHONS="$(python_for 3.10) $(python_for 3.11) $(python_for 3.12) $(python_for 3.13)"
export BALE_OLD_ROOT BALE_RUNNERS BALE_RUNNER_PYTHONS
log "cargo test"
cargo test -q --workspace
log "the packer's Python helpers (pytest)"
"$(tools_venv)/bin/python" -m pytest crates/bale-pack/assets/python/tests -q -p no:cacheprovider
log "cargo package: every publishable crate builds from its own files"
# The packaged crates of an earlier run, cargo's unpacked copies of them, and what was
# built from those would stand in for changed ones of the same version: the unpacked
# files all carry one fixed time, so cargo takes the old build as fresh. So the check
# builds in a target folder of its own, without any bale crate built before.
verify="$TARGET"/package-verify
rm -rf "$verify"/package "$verify"/debug/.fingerprint/bale-* "$verify"/debug/deps/*bale_* \
    "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/bale-{cli,format,loader,pack,target}-[0-9]*
CARGO_TARGET_DIR="$verify" cargo package -q --workspace --allow-dirty --exclude bale-runner --exclude bale-importer \
    --exclude bale-bench --exclude bale-wasm-probe --exclude wordstats-native
log "importer tests"
scripts/test-importer.sh
log "fuzzing the importer from Python"
scripts/fuzz-python.sh "${BALE_PYTHON_FUZZ_CASES:-2000}"
log "WebAssembly builds"
scripts/check-wasm.sh
log "Pyodide"
scripts/test-pyodide.sh
log "what users install: the wheels and the npm package, used as the README's quick start says"
scripts/test-dist.sh
log "fuzzing"
scripts/fuzz.sh "${BALE_FUZZ_SECONDS:-60}"
log "benchmarks, one pass each"
cargo bench -q -p bale-bench --bench index -- --test >/dev/null
BALE_BENCH_PYTHONS=3.11 bench/import-bench.sh --test >/dev/null
log "all tests passed"
