"""The size study (run by bench/sizes.sh).

    python sizes.py BALE_CLI PYTHON WORK_DIR RESULT.json

PYTHON's standard library, without its tests (test, tests, idle_test), site-packages,
lib-dynload and caches, held seven ways: a deflated zip of the sources (what Pyodide
and embedded Pythons ship), a deflated zip of sources and bytecode (what zipimport
imports without compiling), a bale with source and bytecode stored, with zstd 19, with
zstd 19 and a trained dictionary, and framed (one zstd frame around the stored bale);
and the bytecode alone, stored and framed. Each as a file, and gzip -9 and brotli 9 of
it, as a web server would send it.
"""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import brotli

bale, python, work, result_path = sys.argv[1:5]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
stdlib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
                        capture_output=True, text=True, check=True).stdout.strip()
version = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                         capture_output=True, text=True, check=True).stdout.strip()
SKIP = {"test", "tests", "idle_test", "site-packages", "lib-dynload", "__pycache__"}

# The tree the zips and bales are made of, copied so that every form holds the same.
tree = os.path.join(work, "tree")
for folder, dirs, files in os.walk(stdlib):
    dirs[:] = [d for d in dirs if d not in SKIP and not d.startswith("config-")]
    for name in files:
        if name.endswith(".py"):
            src = os.path.join(folder, name)
            dst = os.path.join(tree, os.path.relpath(src, stdlib))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)
sources = sorted(os.path.relpath(os.path.join(f, n), tree) for f, _, ns in os.walk(tree) for n in ns)


def zip_of(name, with_bytecode):
    path = os.path.join(work, name)
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


def bale_of(name, *args):
    path = os.path.join(work, name)
    subprocess.run([bale, "pack", tree, "-o", path, "--python", python, "--quiet", *args],
                   check=True, stdout=subprocess.DEVNULL)
    return path


forms = [
    ("zip, sources, deflated", zip_of("src.zip", False)),
    ("zip, sources and bytecode, deflated", zip_of("both.zip", True)),
    ("bale, sources and bytecode, stored", bale_of("both.bale")),
    ("bale, sources and bytecode, zstd 19", bale_of("both-zstd.bale", "--compress", "zstd:19")),
    ("bale, sources and bytecode, zstd 19 + dictionary", bale_of("both-dict.bale", "--compress", "zstd:19", "--dictionary")),
    ("bale, sources and bytecode, framed", bale_of("both.bale.zst")),
    ("bale, bytecode, stored", bale_of("bytecode.bale", "--content", "bytecode")),
    ("bale, bytecode, zstd 19 + dictionary", bale_of("bytecode-dict.bale", "--content", "bytecode", "--compress", "zstd:19",
                                                     "--dictionary")),
    ("bale, bytecode, framed", bale_of("bytecode.bale.zst", "--content", "bytecode")),
    ("bale, bytecode without column ranges, framed", bale_of("bytecode-nr.bale.zst", "--content", "bytecode",
                                                             "--debug-ranges", "no")),
]
rows = []
for label, path in forms:
    data = open(path, "rb").read()
    rows.append({
        "form": label,
        "file": len(data),
        "gzip": len(gzip.compress(data, 9)),
        "brotli": len(brotli.compress(data, quality=9, lgwin=22)),
    })
result = {"python": version, "modules": len(sources), "rows": rows}
with open(result_path, "w") as f:
    json.dump(result, f, indent=2)
print(f"CPython {version}: {len(sources)} modules of the standard library")
print(f"| form | file | gzip -9 | brotli 9 | sent (the smaller) |")
print("| --- | ---: | ---: | ---: | ---: |")
for r in rows:
    kib = lambda n: f"{n / 1024:,.0f} KiB"
    print(f"| {r['form']} | {kib(r['file'])} | {kib(r['gzip'])} | {kib(r['brotli'])} | "
          f"{kib(min(r['file'], r['gzip'], r['brotli']))} |")
