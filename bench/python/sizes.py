"""The size study (run by bench/sizes.sh).

    python sizes.py BALE_CLI PYTHON WORK_DIR RESULT.json

Two kinds of tree, each held ten ways. PYTHON's standard library, without its tests
(test, tests, idle_test), site-packages, lib-dynload and caches. And each example app:
what `bale pack --app` chose for it (its modules, data files, extension modules and
distribution metadata), extracted back into a folder with `bale extract`, so that
every form holds the same files.

The forms: a deflated zip of the files (sources, as Pyodide and embedded Pythons
ship a standard library), a deflated zip with bytecode beside the sources (what
zipimport imports without compiling), a bale with source and bytecode stored, with
zstd 19, with zstd 19 and a trained dictionary, and framed (one zstd frame around
the stored bale); a bale of bytecode alone, stored, with zstd 19 and a dictionary,
framed, and framed without column ranges. Each as a file, and gzip -9, brotli 9
(window 2^22, what a server compressing on the fly might use) and brotli 11 (window
2^24, the best brotli does, for files compressed once ahead of time) of it.
"""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ProcessPoolExecutor

import brotli

sys.path.insert(0, os.path.dirname(__file__))
from examples import APPS, ROOT, app_venv, pack_args  # noqa: E402

bale, python, work, result_path = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
SKIP = {"test", "tests", "idle_test", "site-packages", "lib-dynload", "__pycache__"}


def stdlib_tree():
    """A copy of PYTHON's standard library sources: (its folder, the CPython version)."""
    stdlib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    version = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    tree = os.path.join(work, "stdlib", "tree")
    for folder, dirs, files in os.walk(stdlib):
        dirs[:] = [d for d in dirs if d not in SKIP and not d.startswith("config-")]
        for name in files:
            if name.endswith(".py"):
                src = os.path.join(folder, name)
                dst = os.path.join(tree, os.path.relpath(src, stdlib))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(src, dst)
    return tree, version


def app_tree(name):
    """What `bale pack --app` keeps of the example app, as files: (the folder, the
    app's python)."""
    # The virtual environments of bench/apps.sh, beside WORK_DIR, made there if missing.
    venv, app_python, _ = app_venv(os.path.join(os.path.dirname(work), "apps"), name)
    packed = os.path.join(work, name, "app.bale")
    os.makedirs(os.path.dirname(packed), exist_ok=True)
    subprocess.run(pack_args(bale, name, venv, packed) + ["--compress", "none", "--quiet"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    tree = os.path.join(work, name, "tree")
    subprocess.run([bale, "extract", packed, "--directory", tree], check=True, stdout=subprocess.DEVNULL)
    # extract writes the bytecode too; the forms below make their own.
    for folder, dirs, _ in os.walk(tree):
        if "__pycache__" in dirs:
            shutil.rmtree(os.path.join(folder, "__pycache__"))
            dirs.remove("__pycache__")
    return tree, app_python


def zip_of(tree, path, python, with_bytecode):
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "tree")
        shutil.copytree(tree, copy)
        if with_bytecode:
            # Next to each source (-b), as zipimport looks for it; sources that do not
            # compile (lib2to3's test data, say) stay sources.
            subprocess.run([python, "-m", "compileall", "-q", "-b", "--invalidation-mode", "unchecked-hash", copy],
                           capture_output=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            for folder, _, names in sorted(os.walk(copy)):
                for n in sorted(names):
                    full = os.path.join(folder, n)
                    z.write(full, os.path.relpath(full, copy))
    return path


def bale_of(tree, path, python, *args):
    subprocess.run([bale, "pack", tree, "-o", path, "--python", python, "--quiet", *args],
                   check=True, stdout=subprocess.DEVNULL)
    return path


def sizes(label, path):
    data = open(path, "rb").read()
    return {
        "form": label,
        "file": len(data),
        "gzip": len(gzip.compress(data, 9)),
        "brotli 9": len(brotli.compress(data, quality=9, lgwin=22)),
        "brotli 11": len(brotli.compress(data, quality=11, lgwin=24)),
    }


def study(tree, python):
    """Every form of TREE, and its sizes."""
    out = os.path.dirname(tree)
    dictionary = ("--compress", "zstd:19", "--dictionary")
    forms = [
        ("zip, sources, deflated", zip_of(tree, f"{out}/src.zip", python, False)),
        ("zip, sources and bytecode, deflated", zip_of(tree, f"{out}/both.zip", python, True)),
        ("bale, sources and bytecode, stored", bale_of(tree, f"{out}/both.bale", python)),
        ("bale, sources and bytecode, zstd 19", bale_of(tree, f"{out}/both-zstd.bale", python, "--compress", "zstd:19")),
        ("bale, sources and bytecode, zstd 19 + dictionary", bale_of(tree, f"{out}/both-dict.bale", python, *dictionary)),
        ("bale, sources and bytecode, framed", bale_of(tree, f"{out}/both.bale.zst", python)),
        ("bale, bytecode, stored", bale_of(tree, f"{out}/bytecode.bale", python, "--content", "bytecode")),
        ("bale, bytecode, zstd 19 + dictionary", bale_of(tree, f"{out}/bytecode-dict.bale", python, "--content",
                                                         "bytecode", *dictionary)),
        ("bale, bytecode, framed", bale_of(tree, f"{out}/bytecode.bale.zst", python, "--content", "bytecode")),
        ("bale, bytecode without column ranges, framed", bale_of(tree, f"{out}/bytecode-nr.bale.zst", python,
                                                                 "--content", "bytecode", "--debug-ranges", "no")),
    ]
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        rows = list(pool.map(sizes, *zip(*forms)))
    files = sum(len(names) for _, _, names in os.walk(tree))
    return {"files": files, "rows": rows}


tree, version = stdlib_tree()
result = {"python": version, "trees": {"standard library": study(tree, python)}}
for name, *_ in APPS:
    tree, app_python = app_tree(name)
    result["trees"][name] = study(tree, app_python)
with open(result_path, "w") as f:
    json.dump(result, f, indent=2)


def kib(n):
    return f"{n / 1024:,.0f} KiB"


print(f"CPython {version}")
print("| tree | form | file | gzip -9 | brotli 9 | brotli 11 | sent (the smallest) |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for label, t in result["trees"].items():
    for r in t["rows"]:
        sent = min(r["file"], r["gzip"], r["brotli 9"], r["brotli 11"])
        print(f"| {label} ({t['files']} files) | {r['form']} | {kib(r['file'])} | {kib(r['gzip'])} | "
              f"{kib(r['brotli 9'])} | {kib(r['brotli 11'])} | {kib(sent)} |")
