# What a program made by `bale exe` runs once Python has started: its entry point,
# handed over by start.c as data (never as source): `__bale_entry__` = (KIND, TEXT),
# KIND `module` (run as `python -m` runs it), `function` (`MODULE:FUNCTION`, called,
# its return value the exit code, as a console script does) or `script` (a path in
# the bale, run as `python SCRIPT` runs it). `sys.argv[0]` stays the program.
#
# No runpy: its imports (importlib.util, contextlib, collections...) would be a third
# of a small program's start.


def _run(kind, text):
    import sys
    from _frozen_importlib import _find_spec

    main = sys.modules["__main__"].__dict__
    if kind == "function":
        module, _, function = text.partition(":")
        sys.exit(getattr(__import__(module, fromlist=[function]), function)())
    if kind == "module":
        spec = _find_spec(text, None)
        if spec is not None and spec.submodule_search_locations is not None:
            package = __import__(text, fromlist=["__path__"])
            spec = _find_spec(text + ".__main__", package.__path__)
        if spec is None or spec.loader is None:
            # 2, as `bale run` and `bale exe` exit for an entry the bale lacks.
            sys.stderr.write(f"{sys.argv[0]}: no module named {text} to run\n")
            raise SystemExit(2)
        code = spec.loader.get_code(spec.name)
        names = dict(__file__=spec.origin, __loader__=spec.loader, __package__=spec.parent, __spec__=spec)
    else:
        finder = next(f for f in sys.meta_path if type(f).__name__ == "BaleFinder")
        path = finder.path + "/" + text
        try:
            # Its source, or the bytecode of the module of its name (`--content bytecode`).
            code = finder._script_code(text)
        except FileNotFoundError:
            sys.stderr.write(f"{sys.argv[0]}: no script {text} in this program\n")
            raise SystemExit(2) from None
        names = dict(__file__=path, __loader__=finder, __package__="", __spec__=None)
    for key in [k for k in main if k != "__builtins__"]:
        del main[key]
    main.update(__name__="__main__", __cached__=None, __doc__=None, **names)
    exec(code, main)


_run(*__bale_entry__)
