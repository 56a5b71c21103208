"""Start-up of programs made by `bale exe`, against python (run by bench/exe.sh).

    python exe_start.py BALE_CLI WORK_DIR RUNS RESULT.json

Makes a virtual environment of this Python with the example apps' requirements;
packs a one-line app (`print(1)`), hello and rich-report with `--stdlib used` and
makes programs of them; then times RUNS runs of each command, interleaved (one round
runs every command once), each a fresh process with its output discarded, and
prints the medians. The interpreters are this one: `python3` as the machine has it
(its site-packages as installed), and the virtual environment's.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time

bale, work, runs, result_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
examples = os.path.join(root, "examples")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)

venv = os.path.join(work, "venv")
subprocess.run([sys.executable, "-m", "venv", venv], check=True)
vpython = os.path.join(venv, "bin", "python")
subprocess.run([vpython, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                os.path.join(examples, "rich-report", "requirements.txt")], check=True)
one = os.path.join(work, "one")
os.makedirs(one)
with open(os.path.join(one, "one.py"), "w") as f:
    f.write("print(1)\n")


def program(name, pack, entry):
    out = os.path.join(work, name + ".bale")
    subprocess.run([bale, "pack", "-q", "--stdlib", "used", "--python", vpython, "-o", out, *pack],
                   check=True, stdout=subprocess.DEVNULL)
    exe = os.path.join(work, name)
    subprocess.run([bale, "exe", out, "-o", exe, "--entry", entry], check=True, stdout=subprocess.DEVNULL)
    return exe, os.path.getsize(exe), os.path.getsize(out)


programs = {
    "one": program("one-prog", ["--app", os.path.join(one, "one.py")], "one"),
    "hello": program("hello-prog", ["--app", os.path.join(examples, "hello"), "-m", "hello"], "hello"),
    "rich-report": program("report-prog", ["--app", os.path.join(examples, "rich-report", "report.py"),
                                           "--venv", venv], "report"),
}
commands = {
    "python3 -I -c 'print(1)'": [sys.executable, "-I", "-c", "print(1)"],
    "venv python -I -c 'print(1)'": [vpython, "-I", "-c", "print(1)"],
    "python3 -I -S -c 'print(1)'": [sys.executable, "-I", "-S", "-c", "print(1)"],
    "program: print(1)": [programs["one"][0]],
    "venv python -m hello": [vpython, "-m", "hello"],
    "program: hello": [programs["hello"][0]],
    "venv python report.py": [vpython, os.path.join(examples, "rich-report", "report.py")],
    "program: rich-report": [programs["rich-report"][0]],
}
cwd = {"venv python -m hello": os.path.join(examples, "hello")}
times = {name: [] for name in commands}
for _ in range(runs):
    for name, command in commands.items():
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True, cwd=cwd.get(name))
        times[name].append((time.perf_counter() - start) * 1000)
medians = {name: statistics.median(t) for name, t in times.items()}
result = {
    "date": time.strftime("%Y-%m-%d"),
    "python": sys.version.split()[0],
    "runs": runs,
    "medians_ms": medians,
    "times_ms": times,
    "programs": {k: {"size": v[1], "bale": v[2]} for k, v in programs.items()},
}
with open(result_path, "w") as f:
    json.dump(result, f, indent=2)
base = medians["python3 -I -c 'print(1)'"]
print(f"CPython {result['python']}, {runs} runs each, median ms (interleaved)")
for name, ms in medians.items():
    print(f"  {name:<32} {ms:8.1f}  {ms / base:5.2f}x python3 -I")
for name, (path, size, bale_size) in programs.items():
    print(f"  program {name}: {size / 2**20:.1f} MiB (bale {bale_size / 2**20:.1f} MiB)")
