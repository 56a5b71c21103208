"""Prepares the standard-library import benchmark for the interpreter running it.

    python stdlib.py OUT_DIR

writes to OUT_DIR:
  modules.txt  the modules to import: pure-Python stdlib modules that import cleanly
               in a fresh `python -I -S`, not already imported at start-up, sorted
  tree/        a copy of the pure-Python stdlib (what the bale is packed from)
  stdlib.zip   the same files as a stored zip with `.py` and timestamp `.pyc` side by
               side, as zipimport reads them fastest
"""

import compileall
import os
import random
import shutil
import subprocess
import sys
import sysconfig
import zipfile

# Not importable here, interactive, slow or with side effects on import.
SKIP_TOP = {
    "test", "idlelib", "tkinter", "turtledemo", "turtle", "lib2to3", "ensurepip", "__phello__",
    "antigravity", "this", "site-packages", "lib-dynload", "pydoc_data", "venv", "__main__",
    "distutils", "sre_compile", "sre_parse", "sre_constants", "asyncio.__main__", "msilib", "_pyrepl",
}
WANT = 480
MTIME = 1_700_000_000  # even: zip timestamps have two-second resolution


def candidates(stdlib):
    for root, dirs, files in os.walk(stdlib):
        rel = os.path.relpath(root, stdlib)
        parts = [] if rel == "." else rel.split(os.sep)
        if parts and (parts[0] in SKIP_TOP or parts[0].startswith("config-") or "__pycache__" in parts
                      or any(p in ("tests", "test", "idle_test") for p in parts)):
            dirs[:] = []
            continue
        if parts and "__init__.py" not in files:
            dirs[:] = []
            continue
        for f in sorted(files):
            if f.endswith(".py"):
                name = ".".join(parts + ([] if f == "__init__.py" else [f[:-3]]))
                if name and name.split(".")[0] not in SKIP_TOP and not name.endswith("__main__"):
                    yield name


def importable(names):
    """The names that import without error, each tried in its own fresh interpreter
    (so no module's side effects leak into another's test), minus start-up modules:
    those of `python -I -S` and those import_all.py's untimed set-up imports, the same
    for every finder (`importlib.machinery`, to load the bale extension by file)."""
    setup = "import importlib.machinery, sys; print(*sys.modules)"
    startup = set(subprocess.run([sys.executable, "-I", "-S", "-W", "ignore", "-c", setup],
                                 capture_output=True, text=True, check=True).stdout.split())
    # Only modules read from a .py file: frozen and built-in ones come from the
    # interpreter whatever the finder, so they would only blur the comparison.
    probe = (
        "import importlib, sys\nfor n in sys.argv[1:]:\n    try:\n        m = importlib.import_module(n)\n"
        "        if (getattr(m.__spec__, 'origin', None) or '').endswith('.py'): print(n)\n    except BaseException:\n        pass\n"
    )
    ok = []
    for name in names:
        # A module imported at start-up, or inside a package imported at start-up
        # (`encodings.*`), is found through that package's folder by every finder.
        parts = name.split(".")
        if any(".".join(parts[:i]) in startup for i in range(1, len(parts) + 1)):
            continue
        done = subprocess.run([sys.executable, "-I", "-S", "-W", "ignore", "-c", probe, name], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
        if done.stdout.split() == [name] and not done.stderr.strip():
            ok.append(name)
    return ok


def main():
    out = os.path.abspath(sys.argv[1])
    stdlib = sysconfig.get_paths()["stdlib"]
    os.makedirs(out, exist_ok=True)
    names = sorted(set(candidates(stdlib)))
    ok = importable(names)
    chosen = sorted(random.Random(1).sample(ok, WANT)) if len(ok) > WANT else ok
    with open(os.path.join(out, "modules.txt"), "w") as f:
        f.write("\n".join(chosen) + "\n")

    tree = os.path.join(out, "tree")
    shutil.rmtree(tree, ignore_errors=True)
    for name in names:
        parts = name.split(".")
        rel = os.path.join(*parts, "__init__.py") if os.path.isfile(os.path.join(stdlib, *parts, "__init__.py")) \
            else os.path.join(*parts[:-1], parts[-1] + ".py")
        dest = os.path.join(tree, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(os.path.join(stdlib, rel), dest)
        os.utime(dest, (MTIME, MTIME))

    legacy = os.path.join(out, "legacy")
    shutil.rmtree(legacy, ignore_errors=True)
    shutil.copytree(tree, legacy, copy_function=shutil.copy2)
    compileall.compile_dir(legacy, quiet=2, legacy=True,
                           invalidation_mode=compileall.py_compile.PycInvalidationMode.TIMESTAMP)
    with zipfile.ZipFile(os.path.join(out, "stdlib.zip"), "w", zipfile.ZIP_STORED) as z:
        for root, _, files in sorted(os.walk(legacy)):
            for f in sorted(files):
                path = os.path.join(root, f)
                z.write(path, os.path.relpath(path, legacy))
    shutil.rmtree(legacy)
    print(f"{len(chosen)} of {len(ok)} importable modules ({len(names)} candidates) -> {out}")


if __name__ == "__main__":
    main()
