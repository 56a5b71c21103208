"""The example apps the benchmarks pack (bench/apps.sh, bench/sizes.sh), and the
virtual environment each gets, made once under WORK and shared by both."""

import os
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# name, the app for `bale pack` (its arguments), the runs traced (--run), the run
# timed: ("script", file name, path from ROOT) or ("module", module, None)
APPS = [
    ("rich-report", ["--app", "examples/rich-report/report.py"], ["", "--section code"],
     ("script", "report.py", "examples/rich-report/report.py")),
    ("jinja-site", ["--app", "examples/jinja-site", "-m", "jinja_site"], [""], ("module", "jinja_site", None)),
    ("numbers", ["--app", "examples/numbers/analyse.py"], ["", "--station Oslo"],
     ("script", "analyse.py", "examples/numbers/analyse.py")),
]


def app_venv(work, name):
    """A virtual environment of the machine's python3 with the app's requirements:
    (its folder, its python, its site-packages)."""
    venv = os.path.join(work, name, "venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run(["python3", "-m", "venv", venv], check=True)
    req = os.path.join(ROOT, "examples", name, "requirements.txt")
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", req], check=True)
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    return venv, python, site


def pack_args(cli, name, venv, out):
    """`bale pack --app` for the app in its virtual environment, tracing each of its
    runs (run from ROOT)."""
    entry, traced = next((e, t) for n, e, t, _ in APPS if n == name)
    args = [cli, "pack", *entry, "--venv", venv, "-o", out]
    for r in traced:
        args += ["--run", r]
    return args
