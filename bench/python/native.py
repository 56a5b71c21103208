"""Native code from a bale against from site-packages (run by bench/native.sh):
    python native.py BALE_CLI IMPORTER_DIR OUT_DIR RUNS RESULT.json

For three apps of extension modules (numpy; numpy and pandas; scipy), packed with
`bale pack --app` from this virtual environment, twice (zstd, the default, and stored
uncompressed): the time to install the bale and import the app's modules, the
process's wall time and maximum RSS, and the total PSS of 8 processes holding the app
at once, for:

- site-packages (the same interpreter, its own site-packages);
- the cache, warm: files already in the per-user cache of native code;
- the cache, cold: the cache emptied before each start (what the first start costs);
- memory: a private in-memory copy per process (decompressed, or, stored, copied by
  the kernel).

Starts are interleaved, RUNS of each; medians. And the cost of the check a warm start
makes, XXH3 over each cached file, measured alone on the same files.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import xxhash

bale_cli, importer_dir, out, runs, result_path = sys.argv[1:6]
runs = int(runs)
os.makedirs(out, exist_ok=True)

APPS = {
    "numpy": "import numpy, numpy.linalg\nnumpy.linalg.inv(numpy.eye(50) * 2)",
    "numbers": "import numpy, pandas\npandas.DataFrame({'a': numpy.arange(10)}).describe()",
    "scipy": "import scipy.linalg, scipy.special, scipy.optimize\n"
    "scipy.linalg.inv(scipy.special.gamma([[1.5, 2.0], [2.5, 3.0]]))\n"
    "scipy.optimize.minimize_scalar(lambda x: (x - 2) ** 2)",
}

PROBE = """
import sys, time, resource
t = time.perf_counter()
{install}
{code}
t = time.perf_counter() - t
print(t * 1000, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
if {hold}:
    sys.stdin.read()
"""


def pack(name, code, *extra):
    # Not NAME.py: the script would shadow the package of that name.
    app = os.path.join(out, f"{name}_app.py")
    with open(app, "w") as f:
        f.write(code + "\n")
    bale = os.path.join(out, f"{name}{'-stored' if extra else ''}.bale")
    # Runtime detection alone: the static analysis stops on numpy 2.2's `numpy._core`
    # (a KeyError in its search of a submodule whose parent is not imported; to fix).
    command = [bale_cli, "pack", "-q", "--app", app, "--detect", "runtime", "--python", sys.executable]
    subprocess.run([*command, "-o", bale, *extra], check=True)
    return bale


def command(code, bale=None, mode=None, hold=False):
    if bale is None:
        return [sys.executable, "-c", PROBE.format(install="", code=code, hold=hold)]
    install = f"sys.path.insert(0, {importer_dir!r}); import bale; bale.install({bale!r}, native={mode!r})"
    return [sys.executable, "-I", "-S", "-c", PROBE.format(install=install, code=code, hold=hold)]


def environment(cache):
    return {**os.environ, "XDG_CACHE_HOME": cache, "PYTHONDONTWRITEBYTECODE": "1"}


def start(argv, cache):
    begun = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=environment(cache))
    wall = (time.perf_counter() - begun) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{argv[-1][:200]}...\n{done.stderr}")
    import_ms, rss_kb = done.stdout.split()
    return {"import_ms": float(import_ms), "wall_ms": wall, "max_rss_mb": int(rss_kb) / 1024}


def pss_of(argv, cache, n=8):
    """Total PSS (MB) of `n` processes holding the app at once."""
    procs = [subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment(cache), text=True)
             for _ in range(n)]
    try:
        for p in procs:
            p.stdout.readline()
        total = 0
        for p in procs:
            with open(f"/proc/{p.pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        return total / 1024
    finally:
        for p in procs:
            p.stdin.close()
            p.wait()


def check_cost(cache):
    """XXH3 over every cached file, as a warm start checks them: bytes and ms."""
    folder = os.path.join(cache, "bale", "native")
    files = [os.path.join(folder, f) for f in os.listdir(folder)]
    data = [open(f, "rb").read() for f in files]
    times = []
    for _ in range(20):
        t = time.perf_counter()
        for d in data:
            xxhash.xxh3_64_intdigest(d)
        times.append((time.perf_counter() - t) * 1000)
    return {"files": len(files), "mb": sum(map(len, data)) / 2**20, "ms": statistics.median(times)}


results = {"date": time.strftime("%Y-%m-%d"), "runs": runs, "python": sys.version.split()[0], "apps": {}}
for name, code in APPS.items():
    print(f"==> {name}: packing", file=sys.stderr)
    compressed, stored = pack(name, code), pack(name, code, "--compress", "none")
    warm, cold, none = (os.path.join(out, f"cache-{name}-{k}") for k in ("warm", "cold", "none"))
    # Each form: the bale and native mode (none: site-packages), and its cache folder.
    forms = {
        "site-packages": (None, None, none),
        "bale, cache (warm)": (compressed, "cache", warm),
        "bale, cache (cold)": (compressed, "cache", cold),
        "bale, memory": (compressed, "memory", none),
        "bale stored, cache (warm)": (stored, "cache", warm + "-stored"),
        "bale stored, memory": (stored, "memory", none),
    }
    for bale, mode, cache in forms.values():
        if cache != cold:
            start(command(code, bale, mode), cache)  # fills a warm cache, and the page cache
    samples = {form: [] for form in forms}
    for i in range(runs):
        print(f"==> {name}: run {i + 1}/{runs}", file=sys.stderr)
        for form, (bale, mode, cache) in forms.items():
            if cache == cold:
                shutil.rmtree(cold, ignore_errors=True)
            samples[form].append(start(command(code, bale, mode), cache))
    app = {}
    for form, (bale, mode, cache) in forms.items():
        app[form] = {k: statistics.median(s[k] for s in samples[form]) for k in samples[form][0]}
        if cache != cold:
            app[form]["pss8_mb"] = pss_of(command(code, bale, mode, hold=True), cache)
    app["check"] = check_cost(warm)
    results["apps"][name] = app

with open(result_path, "w") as f:
    json.dump(results, f, indent=1)

for name, app in results["apps"].items():
    check = app.pop("check")
    base = app["site-packages"]
    print(f"\n{name} (median of {runs}; ratio to site-packages)")
    print(f"  {'':28} {'import ms':>16} {'wall ms':>16} {'max RSS MB':>16} {'PSS of 8 MB':>16}")
    for form, m in app.items():
        cells = [f"{m[k]:8.1f} ({m[k] / base[k]:4.2f}×)" if k in m else f"{'':>16}"
                 for k in ("import_ms", "wall_ms", "max_rss_mb", "pss8_mb")]
        print(f"  {form:28} {' '.join(cells)}")
    print(f"  the warm start's check: XXH3 over {check['files']} files, {check['mb']:.1f} MB: {check['ms']:.1f} ms")
