# Where the import time goes: the finders' own work, without running any module.
#   python -I -S finder_costs.py DIR IMPORTER [REPEAT]
# DIR is a folder prepared by bench/import-bench.sh (modules.txt, stdlib.bale). For
# each module of the list, times find_spec and get_code (reading and unmarshalling the
# bytecode) through the bale finder over a memory map and through PathFinder with a
# warm .pyc cache, and `marshal.loads` alone on the same bytecode; the modules' bodies
# never run, so what is left of the import-all time is theirs. Prints the median of
# REPEAT rounds (default 7), in milliseconds.
import marshal
import statistics
import sys
import time
import _imp
from importlib.machinery import ExtensionFileLoader, ModuleSpec, PathFinder
from importlib.util import cache_from_source

folder, importer = sys.argv[1:3]
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 7
names = open(f"{folder}/modules.txt").read().split()
bale = _imp.create_dynamic(ModuleSpec("bale", ExtensionFileLoader("bale", importer), origin=importer))
_imp.exec_dynamic(bale)


def bale_round():
    finder = bale.BaleFinder(f"{folder}/stdlib.bale")
    t0 = time.perf_counter_ns()
    for n in names:
        finder.find_spec(n, None)
    t1 = time.perf_counter_ns()
    for n in names:
        finder.get_code(n)
    return t1 - t0, time.perf_counter_ns() - t1


def path_specs():
    """PathFinder's spec of every module of the list, parents first."""
    specs = {}

    def spec(n):
        if n not in specs:
            parent = n.rpartition(".")[0]
            specs[n] = PathFinder.find_spec(n, spec(parent).submodule_search_locations if parent else None)
        return specs[n]

    for n in names:
        spec(n)
    return specs


def path_round():
    PathFinder.invalidate_caches()
    t0 = time.perf_counter_ns()
    specs = path_specs()
    t1 = time.perf_counter_ns()
    for n in names:
        specs[n].loader.get_code(n)
    return t1 - t0, time.perf_counter_ns() - t1


def marshal_round():
    """`marshal.loads` alone on the same bytecode, read from the .pyc files beforehand:
    the part of get_code that no finder avoids."""
    specs = path_specs()
    blobs = [open(cache_from_source(specs[n].origin), "rb").read()[16:] for n in names]
    t0 = time.perf_counter_ns()
    for b in blobs:
        marshal.loads(b)
    return 0, time.perf_counter_ns() - t0


for label, one in (("bale, mmap", bale_round), ("PathFinder, warm .pyc", path_round), ("marshal.loads alone", marshal_round)):
    rounds = [one() for _ in range(repeat)]
    find = statistics.median(r[0] for r in rounds) / 1e6
    code = statistics.median(r[1] for r in rounds) / 1e6
    if one is marshal_round:
        print(f"{label:<24} {len(names)} modules: {code:6.1f} ms")
    else:
        print(f"{label:<24} {len(names)} modules: find_spec {find:6.1f} ms, get_code {code:6.1f} ms, "
              f"together {find + code:6.1f} ms")
