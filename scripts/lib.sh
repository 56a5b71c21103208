# Shared helpers for the project's scripts: installing what the build needs, once.
# Source it: `. "$(dirname "$0")/lib.sh"`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# What the scripts install (.work) and build (target): in the checkout by default; CI
# (.ci/run) keeps both outside it, so that a warm run does not redo them.
WORK="${BALE_WORK:-$ROOT/.work}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TARGET_DIR="$TARGET"
mkdir -p "$WORK"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs Debian packages that are missing (apt-get update only when needed).
ensure_apt() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "apt-get install ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    # Another apt-get (a second script, the system's own) may hold dpkg's lock: wait
    # for it rather than fail.
    $sudo apt-get -o DPkg::Lock::Timeout=900 update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${missing[@]}" >/dev/null
}

ensure_rust_targets() {
    local installed
    installed=$(rustup target list --installed)
    for t in "$@"; do
        grep -qx "$t" <<<"$installed" || { log "rustup target add $t"; rustup target add "$t" >/dev/null; }
    done
}

# C headers for compiling zstd to wasm32-unknown-emscripten with clang: Emscripten's libc
# headers, taken (not installed) from Debian's emscripten package. The ABI is
# Emscripten's; only the headers are needed because nothing is linked here.
emscripten_sysroot() {
    local dir="$WORK/emsysroot"
    local sysroot="$dir/usr/share/emscripten/cache/sysroot"
    if [ ! -d "$sysroot/include" ]; then
        log "fetching Emscripten libc headers from Debian's emscripten package"
        mkdir -p "$dir"
        (cd "$dir" && apt-get download emscripten >/dev/null 2>&1 ||
            { apt-get update -qq && apt-get download emscripten >/dev/null; })
        dpkg-deb --fsys-tarfile "$dir"/emscripten_*.deb | tar -x -C "$dir" ./usr/share/emscripten/cache/sysroot/include
        rm -f "$dir"/emscripten_*.deb
    fi
    echo "$sysroot"
}

# Environment for building C dependencies (zstd) for both WebAssembly targets.
wasm_c_env() {
    ensure_apt clang-19 lld-19 llvm-19
    ensure_rust_targets wasm32-unknown-unknown wasm32-unknown-emscripten
    local sysroot
    sysroot=$(emscripten_sysroot)
    export CC_wasm32_unknown_unknown=clang-19 AR_wasm32_unknown_unknown=llvm-ar-19
    export CC_wasm32_unknown_emscripten=clang-19 AR_wasm32_unknown_emscripten=llvm-ar-19
    # Hidden visibility: Pyodide's main module exports its own ZSTD_* symbols.
    export CFLAGS_wasm32_unknown_emscripten="--target=wasm32-unknown-emscripten --sysroot=$sysroot -fPIC -fvisibility=hidden -fwasm-exceptions -O2"
}

# The project's Python tools (maturin, pytest), in their own virtual environment.
tools_venv() {
    local venv="$WORK/tools"
    if [ ! -x "$venv/bin/maturin" ]; then
        log "creating $venv (maturin, pytest)"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check "maturin==1.16.0" "pytest==8.4.2"
    fi
    echo "$venv"
}

# The tools that build what users install (scripts/dist.sh): maturin, zig (the
# `ziglang` package) and cargo-zigbuild to link against an old glibc without a
# container, auditwheel to check the result.
dist_tools() {
    local venv
    venv=$(tools_venv)
    if [ ! -x "$venv/bin/cargo-zigbuild" ] || [ ! -x "$venv/bin/auditwheel" ]; then
        log "installing ziglang, cargo-zigbuild and auditwheel into $venv"
        "$venv/bin/pip" install -q --disable-pip-version-check "ziglang==0.17.1" "cargo-zigbuild==0.24.1" \
            "auditwheel==6.8.2"
    fi
    echo "$venv"
}

# What the example-app benchmarks need: the CLI built for release, the importer
# (exported as BALE_IMPORTER) and brotli in the tools' environment, whose folder goes
# into BENCH_TOOLS. Call it without a subshell, so that both variables hold.
bench_app_tools() {
    cargo build -q --release -p bale-cli
    BALE_IMPORTER=$(importer_module)
    export BALE_IMPORTER
    BENCH_TOOLS=$(tools_venv)
    "$BENCH_TOOLS/bin/pip" install -q --disable-pip-version-check "brotli==1.2.0"
}

# Pyodide for Node (runs offline once installed), in $WORK/node; prints that folder.
pyodide_node() {
    local dir="$WORK/node"
    if [ ! -f "$dir/node_modules/pyodide/pyodide.asm.wasm" ]; then
        log "npm install pyodide@314.0.7"
        mkdir -p "$dir"
        (cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install -s pyodide@314.0.7 >/dev/null)
    fi
    echo "$dir"
}

# Another Pyodide of the 314.0 series, for Node (PyScript's default is 314.0.2,
# JupyterLite's 314.0.6), in $WORK/node-VERSION; prints the pyodide package's folder.
pyodide_release() {
    [ "$1" = 314.0.7 ] && { echo "$(pyodide_node)/node_modules/pyodide"; return; }
    local dir="$WORK/node-$1"
    if [ ! -f "$dir/node_modules/pyodide/pyodide.asm.wasm" ]; then
        log "npm install pyodide@$1"
        mkdir -p "$dir"
        (cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install -s "pyodide@$1" >/dev/null)
    fi
    echo "$dir/node_modules/pyodide"
}

# Builds the WebAssembly modules and sets BALE_IMPORTER (the importer for Pyodide) and
# BALE_PYODIDE (the pyodide package's folder); then makes DIR/wordstats-app, the
# wordstats example as a user would have it, with its extension module built for
# Pyodide. `pyodide_apps DIR`.
pyodide_apps() {
    local modules
    modules=$(scripts/build-pyodide.sh)
    BALE_IMPORTER=$(sed -n 1p <<<"$modules")
    BALE_PYODIDE="$(pyodide_node)/node_modules/pyodide"
    export BALE_IMPORTER BALE_PYODIDE
    mkdir -p "$1/wordstats-app" && cp -r "$ROOT/examples/wordstats/wordstats" "$1/wordstats-app/"
    cp "$(sed -n 2p <<<"$modules")" "$1/wordstats-app/wordstats/_native.abi3.so"
}

# esbuild, in $WORK/node: bundles the loader into one module (the Pyodide wheel's) and
# a page as a bundler would (the tests); prints its path.
esbuild_bin() {
    local dir
    dir=$(pyodide_node)
    [ -x "$dir/node_modules/.bin/esbuild" ] || (cd "$dir" && npm install -s esbuild@0.25.12 >/dev/null)
    echo "$dir/node_modules/.bin/esbuild"
}

# Headless Chromium (Debian's) and playwright-core to drive it, for the browser test;
# prints playwright-core's folder. DEVELOPERS.md says which flags Chromium needs here.
browser_tools() {
    ensure_apt chromium
    local dir
    dir=$(pyodide_node)
    if [ ! -f "$dir/node_modules/playwright-core/index.mjs" ]; then
        log "npm install playwright-core@1.64.1"
        (cd "$dir" && npm install -s playwright-core@1.64.1 >/dev/null)
    fi
    echo "$dir/node_modules/playwright-core"
}

# PyScript (@pyscript/core 0.7.31), served from its own files rather than a CDN, for
# the PyScript example's test, in $WORK/pyscript-0.7.31; prints the package's folder.
pyscript_core() {
    local dir="$WORK/pyscript-0.7.31"
    if [ ! -f "$dir/node_modules/@pyscript/core/dist/core.js" ]; then
        log "npm install @pyscript/core@0.7.31"
        mkdir -p "$dir"
        (cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install -s @pyscript/core@0.7.31 >/dev/null)
    fi
    echo "$dir/node_modules/@pyscript/core"
}

# The interpreter of a CPython version from pyenv: `python_for 3.12`.
python_for() {
    local full
    full=$(pyenv versions --bare 2>/dev/null | grep -E "^$1\.[0-9]+$" | sort -V | tail -1)
    [ -n "$full" ] || { echo "CPython $1 is not installed (pyenv versions)" >&2; return 1; }
    echo "$(pyenv prefix "$full")/bin/python$1"
}

# A command that runs CPython VERSION of a Debian root (scripts/debian-root.sh) in
# that root, for what only asks it questions (`python -c`, a script on stdin); prints
# its path. `root_python ROOT 3.14`.
root_python() {
    local wrapper="$WORK/root-python/python$2"
    mkdir -p "$WORK/root-python"
    printf '#!/bin/sh\nexec chroot "%s" /usr/bin/python%s "$@"\n' "$1" "$2" >"$wrapper"
    chmod +x "$wrapper"
    echo "$wrapper"
}

# Builds the importer's abi3 wheel into $WORK/wheels and prints its path.
# The importer's extension module alone (from a fresh wheel), for loading by file:
# BALE_IMPORTER for `bale run` and the tests.
importer_module() {
    local wheel
    wheel=$(build_importer_wheel)
    mkdir -p "$WORK/importer"
    python3 -c "import sys, zipfile; open(sys.argv[2], 'wb').write(zipfile.ZipFile(sys.argv[1]).read('bale/bale.abi3.so'))" \
        "$wheel" "$WORK/importer/bale.abi3.so"
    echo "$WORK/importer/bale.abi3.so"
}

build_importer_wheel() {
    local tools
    tools=$(tools_venv)
    rm -rf "$WORK/wheels" && mkdir -p "$WORK/wheels"
    log "building the importer wheel (abi3, CPython 3.10+)"
    "$tools/bin/maturin" build -q --release -m "$ROOT/importer/Cargo.toml" -o "$WORK/wheels" -i python3 >&2
    ls "$WORK"/wheels/bale-*.whl
}

# For the browser benchmarks (bench/browser.sh, bench/throttled.sh): checks that
# bench/pyodide.sh has packed into $WORK/bench/pyodide, and exports what their Node
# scripts read (the importer for Pyodide, Pyodide, playwright-core).
browser_bench_env() {
    local dir="$WORK/bench/pyodide"
    [ -f "$dir/sympy-solve.bale" ] && [ -f "$dir/sympy-solve.pack.zip" ] && [ -d "$dir/sympy-solve-wheels" ] ||
        { echo "no bales in $dir: run bench/pyodide.sh first" >&2; exit 1; }
    BALE_IMPORTER=$(scripts/build-pyodide.sh | sed -n 1p)
    BALE_PYODIDE="$(pyodide_node)/node_modules/pyodide"
    BALE_PLAYWRIGHT=$(browser_tools)
    export BALE_IMPORTER BALE_PYODIDE BALE_PLAYWRIGHT
}
