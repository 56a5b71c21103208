# Started by `bale run` as: python -I -S -c <this> IMPORTER BALE KIND TARGET [ARGS...]
# KIND TARGET: `script PATH` (a path in the bale), `module NAME`, or
# `function MODULE:FUNCTION`.
#
# Loads the importer extension from its file (so its site-packages never joins the
# path), installs the bale, and runs the app as `python SCRIPT` or `python -m` would,
# or calls the function as a console script does (its return value the exit code).
# A bale that carries the standard library (it holds `encodings/__init__.py`, which
# every CPython imports at start-up from its folder) takes the interpreter's
# own standard-library folders off sys.path: only what the interpreter imported
# before this point comes from them.
#
# With BALE_RUN_REPORT set (by `bale pack --validate`), the names no finder found and
# the files opened under the bale's path that it does not hold are written there as
# JSON at exit.
import sys


def _start():
    importer, bale_path, kind, target = sys.argv[1:5]
    args = sys.argv[5:]

    # What importlib.machinery and importlib.util re-export, from the modules the
    # interpreter has loaded from the start: nothing is imported from the standard
    # library before the bale's finder is in place (a Pyodide with a trimmed one has
    # only what a page needs).
    import _frozen_importlib as bootstrap
    import _frozen_importlib_external as external

    loader = external.ExtensionFileLoader("bale", importer)
    spec = external.spec_from_file_location("bale", importer, loader=loader)
    bale = bootstrap.module_from_spec(spec)
    sys.modules["bale"] = bale
    spec.loader.exec_module(bale)
    # Validation runs from the bale alone: its rest bale would hide what it lacks.
    import os

    finder = bale.install(bale_path, rest=False if os.environ.get("BALE_RUN_REPORT") else None)
    if finder._entry("encodings/__init__.py") is not None:
        sys.path[:] = [finder.path]
    _report_to(finder)
    return finder, kind, target, args


def _report_to(finder):
    import os

    path = os.environ.pop("BALE_RUN_REPORT", None)
    if not path:
        return
    missing, absent = set(), set()

    class Missing:
        @staticmethod
        def find_spec(name, path=None, target=None):
            missing.add(name)

    def audit(event, args):
        if event == "open" and isinstance(args[0], str):
            rel = finder._relative(args[0])
            if rel and finder._entry(rel) is None:
                absent.add(rel)

    def report():
        import json

        with open(path, "w", encoding="utf-8") as f:
            json.dump({"missing": sorted(missing), "absent_files": sorted(absent)}, f)

    import atexit

    sys.meta_path.append(Missing)
    sys.addaudithook(audit)
    atexit.register(report)


def _main():
    import __main__
    import runpy
    import sys

    finder, kind, target, args = _start()
    namespace = vars(__main__)
    # The app's __main__ starts as clean as under `python`: none of this file's names.
    for name in [n for n in namespace if n not in ("__name__", "__doc__", "__package__", "__builtins__")]:
        del namespace[name]
    if kind == "module":
        sys.argv = [target, *args]
        # What `python -m` calls: runs in the real __main__, sets argv[0] to the file.
        runpy._run_module_as_main(target, alter_argv=True)
        return
    if kind == "function":
        module, _, function = target.partition(":")
        sys.argv = [target, *args]
        del finder, args
        raise SystemExit(getattr(__import__(module, fromlist=[function]), function)())
    virtual = finder.path + "/" + target
    try:
        # Its source, or the bytecode of the module of its name (`--content bytecode`).
        code = finder._script_code(target)
    except FileNotFoundError:
        # 2, as `bale run` exits for any entry the bale lacks (which it checks first).
        sys.stderr.write(f"bale run: {target}: no such file in {finder.path}\n")
        raise SystemExit(2) from None
    sys.argv = [virtual, *args]
    namespace.update(__file__=virtual, __cached__=None, __loader__=finder, __spec__=None)
    del args, finder
    exec(code, namespace)


_main()
