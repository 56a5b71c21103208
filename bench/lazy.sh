#!/usr/bin/env bash
# Reproduces bench/README.md's "Lazy imports (PEP 810) in a `bale exe` program": one
# command-line script in two forms, its imports of the standard library at the top
# `lazy import` (PEP 810, CPython 3.15) or plain `import`, each packed with its
# standard library and made into a program by `bale exe` with the 3.15 runner (packed
# inside the Debian sid root, where that CPython is; the programs need no Python and
# run here). Then, interleaved, RUNS starts of each program on two paths: `--version`,
# which uses none of those modules, and `report`, which uses them all. Writes
# target/lazy-bench.json and prints a table.
#   bench/lazy.sh [RUNS]
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
runs=${1:-40}
cargo build -q --release -p bale-cli
bale="$TARGET/release/bale"
BALE_RUNNERS=$(scripts/build-runners.sh 3.15)
export BALE_RUNNERS
out="$WORK/bench/lazy"
rm -rf "$out" && mkdir -p "$out"
python3 bench/python/lazy_app.py "$out"   # writes eager.py and lazy.py
for form in eager lazy; do
    log "packing the $form form with CPython 3.15 (sid) and making its program"
    scripts/in-root.sh sid "$bale" pack -q --app "$out/$form.py" --python /usr/bin/python3.15 --stdlib used \
        --run "--version" --run "report" -o "$out/$form.bale"
    "$bale" exe "$out/$form.bale" -o "$out/$form"
done
python3 - "$out" "$runs" "$TARGET/lazy-bench.json" <<'PY'
"""Times each program's start to its end, RUNS times per path, interleaved, in an
empty environment; checks first that both forms print the same."""
import json, os, statistics, subprocess, sys, time

out, runs, result = sys.argv[1], int(sys.argv[2]), sys.argv[3]
env = {"PATH": "/usr/bin:/bin", "HOME": out, "LANG": "C.UTF-8"}
paths = {"--version": ["--version"], "report": ["report"]}
for args in paths.values():
    printed = {form: subprocess.run([f"{out}/{form}", *args], env=env, capture_output=True, check=True).stdout
               for form in ("eager", "lazy")}
    assert printed["eager"] == printed["lazy"], printed
times = {(form, path): [] for form in ("eager", "lazy") for path in paths}
for _ in range(runs):
    for (form, path), found in times.items():
        start = time.perf_counter()
        subprocess.run([f"{out}/{form}", *paths[path]], env=env, stdout=subprocess.DEVNULL, check=True)
        found.append((time.perf_counter() - start) * 1000)
medians = {f"{form} {path}": statistics.median(t) for (form, path), t in times.items()}
with open(result, "w") as f:
    json.dump({"runs": runs, "median_ms": medians, "load_average_after": os.getloadavg()}, f, indent=2)
print(f"{runs} runs each, median ms; load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
print("| path | plain `import` | `lazy import` | lazy / plain |")
print("| --- | ---: | ---: | ---: |")
for path in paths:
    eager, lazy = medians[f"eager {path}"], medians[f"lazy {path}"]
    print(f"| `{path}` | {eager:.1f} | {lazy:.1f} | {lazy / eager:.2f}× |")
PY
