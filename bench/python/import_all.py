# One iteration of the import benchmark, in a fresh `python -I -S -W ignore`:
#   import_all.py MODE ARTIFACT MODULES [IMPORTER]
# MODE: pathfinder | zipimport | bale-mmap | bale-bytes. Prints the nanoseconds taken
# from before the finder is set up (loading the bale extension included) to after the
# last import; interpreter start-up is not timed.
import sys
import time

mode, artifact, modules = sys.argv[1:4]
with open(modules) as f:
    names = f.read().split()
data = None
if mode == "bale-bytes":
    with open(artifact, "rb") as f:
        data = f.read()
# Untimed set-up, the same for every finder (stdlib.py leaves these modules out of
# the list): what loading the bale extension by file needs.
import _imp  # noqa: E402
from importlib.machinery import ExtensionFileLoader, ModuleSpec  # noqa: E402

start = time.perf_counter_ns()
if mode == "zipimport":
    sys.path.insert(0, artifact)
elif mode.startswith("bale"):
    importer = sys.argv[4]
    bale = _imp.create_dynamic(ModuleSpec("bale", ExtensionFileLoader("bale", importer), origin=importer))
    _imp.exec_dynamic(bale)
    sys.modules["bale"] = bale
    bale.install(data if data is not None else artifact, path=artifact, files=False)
for name in names:
    __import__(name)
elapsed = time.perf_counter_ns() - start
missing = [n for n in names if n not in sys.modules]
if missing:
    raise SystemExit(f"not imported: {missing[:5]}")
wrong = [n for n in names if mode != "pathfinder" and not (getattr(sys.modules[n], "__file__", "") or "").startswith(artifact)]
if wrong:
    raise SystemExit(f"{len(wrong)} modules not from {artifact}, e.g. {wrong[:3]}")
print(elapsed)
