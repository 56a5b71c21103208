# The import system's work for what a bale lacked, none of it run (bench/rest.mjs):
#   python -I -S rest_miss.py IMPORTER BALE MISSES.json
# installs BALE as `bale run` does (its rest bale beside it, if it names one), then
# does for each miss of MISSES.json (as `BALE_MISSES` wrote it) what an import or a
# read does: a module is looked for through every finder on sys.meta_path, the rest
# bale's last, and its code read; a file is read through the bale's path. Prints the
# milliseconds each took, as a JSON list. Against the bale packed with the misses, the
# difference is what the misses cost, without the noise of a whole run.
# bench/rest-start.mjs runs `work` in Pyodide, on a bale the loader installed.
import sys


def install(importer, bale_path):
    import _frozen_importlib as bootstrap
    import _frozen_importlib_external as external

    loader = external.ExtensionFileLoader("bale", importer)
    spec = external.spec_from_file_location("bale", importer, loader=loader)
    bale = bootstrap.module_from_spec(spec)
    sys.modules["bale"] = bale
    spec.loader.exec_module(bale)
    return bale.install(bale_path)


def work(finder, misses):
    import importlib
    import time

    missed = {m["module"] for m in misses if m.get("module")}
    # Packages the bale holds are imported first, untimed: a miss is looked for on
    # their __path__. Misses come in the order they were needed, a package before its
    # modules.
    for name in missed:
        parent = name.rpartition(".")[0]
        if parent and parent not in missed:
            importlib.import_module(parent)
    specs = {}
    took = []
    for m in misses:
        start = time.perf_counter()
        name = m.get("module")
        if name is None:
            with open(f"{finder.path}/{m['path']}", "rb") as f:
                f.read()
        else:
            parent = name.rpartition(".")[0]
            path = specs[parent].submodule_search_locations if parent in specs else sys.modules[parent].__path__ if parent else None
            specs[name] = next(s for s in (f.find_spec(name, path) for f in sys.meta_path) if s is not None)
            specs[name].loader.get_code(name)
        took.append((time.perf_counter() - start) * 1000)
    return took


if __name__ == "__main__":
    import json

    importer, bale_path, misses_path = sys.argv[1:4]
    finder = install(importer, bale_path)
    with open(misses_path, encoding="utf-8") as f:
        print(json.dumps(work(finder, json.load(f)["misses"])))
