#!/usr/bin/env bash
# Reproduces the one-file program figures of bench/README.md ("One-file programs:
# bale exe against PyInstaller, PEX, shiv and Nuitka"): the same example app, with the
# same pinned requirements and CPython 3.11 (pyenv's), made into a program by each
# tool; every program's output checked against `python APP` in a virtual environment;
# then, in one run, interleaved: time to the first byte on stdout and to the end of
# the run, warm and on a first run (empty caches), and the size on disk. Writes
# target/programs-bench.json and prints a table.
#   bench/programs.sh [RUNS] [APP ...]     (APP: rich-report, numbers; default rich-report)
# NUITKA_TIMEOUT (default 45m) bounds each Nuitka build; NUITKA=no skips Nuitka.
# The tools are installed with pip, pinned, into .work/bench/programs/tools.
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
runs=${1:-20}
shift || true
apps=("${@:-rich-report}")

PYINSTALLER_VERSION=6.22.3
PEX_VERSION=2.105.2
SHIV_VERSION=1.0.8
NUITKA_VERSION=4.3.3   # with zstandard (compresses the onefile payload) and ordered-set
ZSTANDARD_VERSION=0.25.0
ORDERED_SET_VERSION=4.1.0

ensure_apt patchelf   # Nuitka's standalone mode rewrites the rpath of what it copies
cargo build -q --release -p bale-cli
bale="${CARGO_TARGET_DIR:-$ROOT/target}/release/bale"
BALE_RUNNERS=$(scripts/build-runners.sh 3.11)
export BALE_RUNNERS
python=$(python_for 3.11)
work="$WORK/bench/programs"
tools="$work/tools"
mkdir -p "$tools"

# A virtual environment per tool (PyInstaller's and Nuitka's also hold the app's
# requirements: they package what is installed beside them), kept between runs.
venv() {
    local dir="$tools/$1"
    shift
    if [ ! -f "$dir/.done" ]; then
        log "installing $* into $dir"
        rm -rf "$dir"
        "$python" -m venv "$dir"
        [ $# -eq 0 ] || "$dir/bin/pip" install -q --disable-pip-version-check "$@" >&2 || return 1
        touch "$dir/.done"
    fi
    echo "$dir"
}
# The interpreter the PEX and shiv programs start with (their shebang): a clean
# virtual environment of the same CPython, nothing installed in it.
clean_python=$(venv python)/bin/python3.11
pex=$(venv pex "pex==$PEX_VERSION")
shiv=$(venv shiv "shiv==$SHIV_VERSION")

# Each build: its log in $out/logs, its time and status on a line of $spec.
#   build LABEL NEEDS_PYTHON PROGRAM SIZE_PATH -- COMMAND...
build() {
    local label=$1 needs=$2 program=$3 size_path=$4 status=built start end code=0
    shift 5
    log "$app: $label"
    start=$(date +%s.%N)
    (cd "$src" && "$@") >"$out/logs/$label.log" 2>&1 || code=$?
    end=$(date +%s.%N)
    if [ "$code" = 124 ]; then
        status="not built in ${NUITKA_TIMEOUT:-45m} (stopped)"
    elif [ "$code" != 0 ] || [ ! -e "$program" ]; then
        status="build failed: $(grep -v '^[[:space:]]*$' "$out/logs/$label.log" | tail -1)"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$needs" "$(echo "$end - $start" | bc)" "$status" "$size_path" \
        "$program" >>"$spec"
}

for app in "${apps[@]}"; do
    case "$app" in
    rich-report) script=report.py data=(report.py) ;;   # report.py reads its own source (inspect.getsource)
    numbers) script=analyse.py data=(data) ;;           # analyse.py reads data/measurements.csv beside it
    *) echo "unknown app $app (rich-report, numbers)" >&2; exit 2 ;;
    esac
    module=${script%.py}
    out="$work/$app"
    src="$out/src"       # what the tools build from, deleted before the programs run
    rm -rf "$out" && mkdir -p "$out/logs" "$out/ref"
    cp -r "$ROOT/examples/$app/." "$src/"
    cp -r "$ROOT/examples/$app/." "$out/ref/"
    rm -rf "$src"/__pycache__ "$out/ref/__pycache__"
    spec="$out/spec.tsv"
    : >"$spec"
    pyinstaller=$(venv "pyinstaller-$app" "pyinstaller==$PYINSTALLER_VERSION" -r "$src/requirements.txt")
    pyi_data=() nuitka_data=()
    for d in "${data[@]}"; do
        if [ -d "$src/$d" ]; then
            pyi_data+=(--add-data "$src/$d:$d") nuitka_data+=("--include-data-dir=$src/$d=$d")
        else
            pyi_data+=(--add-data "$src/$d:.") nuitka_data+=("--include-data-files=$src/$d=$d")
        fi
    done
    pyi() { "$pyinstaller/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$out/$1" \
        --workpath "$out/build/$1" --specpath "$out/build/$1" "${@:2}" "$script"; }

    build "bale exe" no "$out/bale/$module" "$out/bale/$module" -- \
        sh -c "'$bale' pack -q --app $script -r requirements.txt --stdlib used --python '$python' -o '$out/$module.bale' &&
               mkdir -p '$out/bale' && '$bale' exe '$out/$module.bale' -o '$out/bale/$module'"
    build "bale exe --keep-compression" no "$out/bale-kc/$module" "$out/bale-kc/$module" -- \
        sh -c "mkdir -p '$out/bale-kc' && '$bale' exe --keep-compression '$out/$module.bale' -o '$out/bale-kc/$module'"
    build "PyInstaller --onefile, no --add-data" no "$out/pyi-plain/$module" "$out/pyi-plain/$module" -- \
        pyi pyi-plain --onefile
    build "PyInstaller --onefile" no "$out/pyi-onefile/$module" "$out/pyi-onefile/$module" -- \
        pyi pyi-onefile --onefile "${pyi_data[@]}"
    build "PyInstaller --onedir" no "$out/pyi-onedir/$module/$module" "$out/pyi-onedir/$module" -- \
        pyi pyi-onedir --onedir "${pyi_data[@]}"
    build "PEX" yes "$out/$module.pex" "$out/$module.pex" -- \
        "$pex/bin/pex" -r requirements.txt -D . -m "$module" --python "$clean_python" \
        --python-shebang "$clean_python" -o "$out/$module.pex"
    build "shiv" yes "$out/$module.pyz" "$out/$module.pyz" -- \
        "$shiv/bin/shiv" -r requirements.txt --site-packages . -e "$module:main" -p "$clean_python" \
        -o "$out/$module.pyz"
    if [ "${NUITKA:-yes}" != no ]; then
        nuitka=$(venv "nuitka-$app" "nuitka==$NUITKA_VERSION" "zstandard==$ZSTANDARD_VERSION" \
            "ordered-set==$ORDERED_SET_VERSION" \
            -r "$src/requirements.txt")
        build "Nuitka --onefile" no "$out/nuitka/$module" "$out/nuitka/$module" -- \
            timeout "${NUITKA_TIMEOUT:-45m}" "$nuitka/bin/python" -m nuitka --onefile --standalone \
            --assume-yes-for-downloads "${nuitka_data[@]}" --output-dir="$out/nuitka" \
            --output-filename="$module" "$script"
        # Its C sources and the folders it built the program from, beside the program.
        rm -rf "$out/nuitka/$module".{build,dist,onefile-build}
    fi
    # The reference: the app as a script, in a virtual environment (not a program).
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "python $script (venv)" yes 0 reference "" \
        "$pyinstaller/bin/python" "$out/ref/$script" >>"$spec"
    # Nothing may run from the build folders: the programs must carry what they need.
    rm -rf "$src" "$out/build"
done

versions=$(
    echo "CPython $("$python" -c 'import platform; print(platform.python_version())') (pyenv)"
    echo "bale $("$bale" --version | awk '{print $2}') ($(git rev-parse --short HEAD 2>/dev/null || echo no git))"
    echo "PyInstaller $("$tools/pyinstaller-${apps[0]}/bin/pyinstaller" --version)"
    echo "PEX $("$pex/bin/pex" --version)"
    echo "shiv $("$shiv/bin/shiv" --version | awk '{print $NF}')"
    if [ "${NUITKA:-yes}" != no ]; then
        echo "Nuitka $("$tools/nuitka-${apps[0]}/bin/python" -m nuitka --version | head -1)"
    fi
)
log "measuring: $runs runs of each program, warm and first, interleaved"
"$python" -I - "$work" "$runs" "$ROOT/target/programs-bench.json" "$versions" "${apps[@]}" <<'PY'
"""Runs the programs in $work/APP/spec.tsv (label, needs Python, build seconds,
status, size path, command...). Every program runs in an empty folder with a small
fixed environment (PATH, HOME, LANG=C.UTF-8, TMPDIR and the caches in $work/run).
Checked first: its output must be the reference's, byte for byte. Timed: from just
before spawning it to the first byte read from its stdout (a pipe), and to its end
(stdout at EOF and the process reaped). Warm: after one discarded run, caches kept.
First run: XDG_CACHE_HOME (bale's native code), PEX_ROOT, SHIV_ROOT and TMPDIR
(where the onefile programs extract) fresh and empty for every run; the OS page cache
is warm in both. One round runs every program twice, warm then first; RUNS rounds."""
import json, os, re, shutil, statistics, subprocess, sys, time

work, runs, result_path, versions, apps = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
run_dir = os.path.join(work, "run")
shutil.rmtree(run_dir, ignore_errors=True)
cwd = os.path.join(run_dir, "cwd")
os.makedirs(cwd)
CACHES = ("XDG_CACHE_HOME", "PEX_ROOT", "SHIV_ROOT", "TMPDIR")


def environment(kind):
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.path.join(run_dir, "home"), "LANG": "C.UTF-8"}
    for name in CACHES:
        env[name] = os.path.join(run_dir, kind, name.lower())
        os.makedirs(env[name], exist_ok=True)
    return env


def fresh():
    shutil.rmtree(os.path.join(run_dir, "first"), ignore_errors=True)
    return environment("first")


def du(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for folder, _, files in os.walk(path):
        total += sum(os.lstat(os.path.join(folder, f)).st_size for f in files)
    return total


def run(command, env):
    """(seconds to the first byte on stdout, seconds to the end, stdout, exit code)"""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            cwd=cwd, env=env)
    fd = proc.stdout.fileno()
    chunks = [os.read(fd, 1 << 16)]
    first = time.perf_counter()
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    code = proc.wait()
    end = time.perf_counter()
    proc.stdout.close()
    return first - start, end - start, b"".join(chunks), code


results = {"date": time.strftime("%Y-%m-%d"), "runs": runs, "versions": versions.splitlines(), "apps": {},
           "load_average_before": os.getloadavg()}
warm_env = environment("warm")
expected = {}
for app in apps:
    rows = []
    with open(os.path.join(work, app, "spec.tsv")) as f:
        for line in f:
            label, needs, seconds, status, size_path, *command = line.rstrip("\n").split("\t")
            rows.append({"label": label, "needs_python": needs == "yes", "build_s": float(seconds),
                         "status": status, "size": du(size_path) if size_path and os.path.exists(size_path) else None,
                         "command": command})
    reference = next(r for r in rows if r["status"] == "reference")
    _, _, expected[app], code = run(reference["command"], warm_env)
    assert code == 0 and expected[app], f"{app}: the reference run failed"
    for row in rows:
        if row["status"] not in ("built", "reference"):
            continue
        env = fresh()
        proc = subprocess.run(row["command"], stdin=subprocess.DEVNULL, capture_output=True, cwd=cwd, env=env)
        row["first_run_writes"] = sum(du(env[name]) for name in CACHES)
        row["app"] = app
        if proc.returncode != 0 or proc.stdout != expected[app]:
            lines = proc.stderr.decode(errors="replace").strip().splitlines() or ["(nothing on stderr)"]
            errors = [line for line in lines if re.match(r"\w+(\.\w+)*(Error|Exception): ", line)]
            row["status"] = f"wrong output (exit code {proc.returncode}): {(errors or lines)[-1].strip()}"
        else:
            row["times"] = {"warm": [], "first": []}
    results["apps"][app] = rows

timed = [row for rows in results["apps"].values() for row in rows if "times" in row]
for row in timed:
    run(row["command"], warm_env)  # the discarded run
for _ in range(runs):
    for row in timed:
        for kind in ("warm", "first"):
            env = warm_env if kind == "warm" else fresh()
            first, end, output, code = run(row["command"], env)
            assert code == 0 and output == expected[row["app"]], f"{row['label']}: exit code {code} or other output"
            row["times"][kind].append((first * 1000, end * 1000))
for row in timed:
    for kind in ("warm", "first"):
        row[kind] = {"first_output_ms": statistics.median(t[0] for t in row["times"][kind]),
                     "end_ms": statistics.median(t[1] for t in row["times"][kind])}

results["load_average_after"] = os.getloadavg()
with open(result_path, "w") as f:
    json.dump(results, f, indent=2)
print("\n".join(results["versions"]))
print(f"{runs} runs of each, medians in ms; sizes in MiB; load average (1, 5, 15 min) before "
      f"{', '.join(f'{x:.1f}' for x in results['load_average_before'])}, after "
      f"{', '.join(f'{x:.1f}' for x in results['load_average_after'])}")
for app, rows in results["apps"].items():
    print(f"\n{app}\n")
    print("| program | needs Python to run | size | first output, warm | end, warm | first output, first run "
          "| end, first run | left on disk by a first run | build |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        size = f"{row['size'] / 2**20:.1f}" if row["size"] else ""
        needs = "yes" if row["needs_python"] else "no"
        build = f"{row['build_s']:.0f} s" if row["status"] != "reference" else ""
        if "warm" in row:
            w, c = row["warm"], row["first"]
            writes = f"{row['first_run_writes'] / 2**20:.1f}"
            cells = [f"{w['first_output_ms']:.1f}", f"{w['end_ms']:.1f}", f"{c['first_output_ms']:.1f}",
                     f"{c['end_ms']:.1f}", writes]
        else:
            cells = [row["status"], "", "", "", ""]
        print(f"| {row['label']} | {needs} | {size} | " + " | ".join(cells) + f" | {build} |")
PY
