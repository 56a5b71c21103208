# The example apps, packed and measured (run by bench/apps.sh):
#   python apps.py BALE_CLI WORKDIR RUNS
import gzip
import io
import json
import os
import shlex
import statistics
import subprocess
import sys
import tarfile
import time

import brotli

sys.path.insert(0, os.path.dirname(__file__))
from examples import APPS, ROOT as root, app_venv, pack_args  # noqa: E402

cli, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
SKIP = ("pip", "setuptools", "pkg_resources", "_distutils_hack", "distutils-precedence.pth", "__pycache__")


def sizes(data):
    return {"raw": len(data), "gzip": len(gzip.compress(data, 9)), "brotli": len(brotli.compress(data, quality=11))}


def installed_tar(site, app_dir):
    """The app's folder and what its requirements installed (pip and setuptools, which
    any venv has, and caches left out), as one tar: what the bale replaces."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for base, prefix in ((site, "site-packages"), (app_dir, "app")):
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(SKIP))
                for f in sorted(filenames):
                    if not f.startswith(SKIP):
                        path = os.path.join(dirpath, f)
                        tar.add(path, arcname=os.path.join(prefix, os.path.relpath(path, base)), recursive=False)
    return buf.getvalue()


def median_times(commands):
    """The median wall time of each (command, cwd), run in turn (ABCABC...) so that a
    machine getting slower or faster meanwhile affects all of them alike."""
    times = [[] for _ in commands]
    for _ in range(runs):
        for (cmd, cwd), t in zip(commands, times):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
            t.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


results = []
for name, _, _, (kind, target, script) in APPS:
    folder = os.path.join(work, name)
    venv, python, site = app_venv(work, name)
    app_dir = os.path.join(root, "examples", name)
    row = {"app": name, "installed": sizes(installed_tar(site, app_dir))}
    for label, extra in (("bale, no compression", ["--compress", "none"]), ("bale, zstd:19 + dictionary", [])):
        out = os.path.join(folder, f"{name}{'-raw' if extra else ''}.bale")
        args = pack_args(cli, name, venv, out) + ["--json", "--validate"] + extra
        done = subprocess.run(args, cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{name}: bale pack failed:\n{done.stderr}\n{done.stdout[-2000:]}")
        summary = json.loads(done.stdout)
        assert all(r["same_exit"] and r["same_output"] for r in summary["validation"]["runs"])
        with open(out, "rb") as f:
            row[label] = sizes(f.read())
        row[label]["files"] = summary["reduction"]["total"]["after"]["files"]
        row["files before"] = summary["reduction"]["total"]["before"]["files"]
    if kind == "script":
        from_site, cwd = [python, os.path.join(root, script)], root
    else:
        from_site, cwd = [python, "-m", target], app_dir
    commands = [(from_site, cwd)]
    for suffix in ("-raw", ""):
        bale = os.path.join(folder, f"{name}{suffix}.bale")
        commands.append(([cli, "run", bale] + (["-m", target] if kind == "module" else [target]) + ["--python", python], root))
    for label, seconds in zip(("site-packages", "the raw bale", "the zstd bale"), median_times(commands)):
        row[f"seconds from {label}"] = seconds
    results.append(row)

with open(os.path.join(root, "target", "apps.json"), "w") as f:
    json.dump(results, f, indent=1)


def kib(n):
    return f"{n / 1024:,.0f} KiB"


print("| app | what | files | raw | gzip -9 | brotli 11 |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for r in results:
    print(f"| {r['app']} | installed (app + site-packages) | {r['files before']} | {kib(r['installed']['raw'])} | {kib(r['installed']['gzip'])} | {kib(r['installed']['brotli'])} |")
    for label in ("bale, no compression", "bale, zstd:19 + dictionary"):
        s = r[label]
        print(f"| {r['app']} | {label} | {s['files']} | {kib(s['raw'])} | {kib(s['gzip'])} | {kib(s['brotli'])} |")
print()
print("| app | from site-packages | from the bale, no compression | from the bale, zstd | ratios |")
print("| --- | ---: | ---: | ---: | ---: |")
for r in results:
    a, b, c = (r[f"seconds from {k}"] for k in ("site-packages", "the raw bale", "the zstd bale"))
    print(f"| {r['app']} | {a * 1000:.0f} ms | {b * 1000:.0f} ms | {c * 1000:.0f} ms | {b / a:.2f}×, {c / a:.2f}× |")
