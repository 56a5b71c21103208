# Where the import time goes: the finders' own work, without running any module.
#   python -I -S finder_costs.py DIR IMPORTER [REPEAT]
# DIR is a folder prepared by bench/import-bench.sh (modules.txt, stdlib.bale). For
# each module of the list, times find_spec and get_code (reading and unmarshalling the
# bytecode) through the bale finder over a memory map and through PathFinder with a
# warm .pyc cache; the modules' bodies never run, so what is left of the import-all
# time is theirs. Prints the median of REPEAT rounds (default 7), in milliseconds.
import statistics
import sys
import time
import _imp
from importlib.machinery import ExtensionFileLoader, ModuleSpec, PathFinder

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


def path_round():
    PathFinder.invalidate_caches()
    specs = {}

    def spec(n):
        if n not in specs:
            parent = n.rpartition(".")[0]
            specs[n] = PathFinder.find_spec(n, spec(parent).submodule_search_locations if parent else None)
        return specs[n]

    t0 = time.perf_counter_ns()
    for n in names:
        spec(n)
    t1 = time.perf_counter_ns()
    for n in names:
        specs[n].loader.get_code(n)
    return t1 - t0, time.perf_counter_ns() - t1


for label, one in (("bale, mmap", bale_round), ("PathFinder, warm .pyc", path_round)):
    rounds = [one() for _ in range(repeat)]
    find = statistics.median(r[0] for r in rounds) / 1e6
    code = statistics.median(r[1] for r in rounds) / 1e6
    print(f"{label:<24} {len(names)} modules: find_spec {find:6.1f} ms, get_code {code:6.1f} ms, together {find + code:6.1f} ms")
