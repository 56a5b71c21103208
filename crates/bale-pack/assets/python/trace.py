# Runs an app under a tracer, for `bale pack --app`:
#   python -I trace.py REPORT ROOT KIND TARGET [ARGS...]
# ROOT: the app's folder, put first on sys.path ("-" for none). KIND: script | module.
# The app runs as `python SCRIPT` or `python -m MODULE` would run it: in __main__, with
# sys.argv [TARGET, *ARGS]; its output and exit code are its own.
#
# At exit REPORT gets JSON: every module imported (name, origin, whether a package),
# every file opened for reading (audit events `open`), every shared library mapped
# (`/proc/self/maps`: extension modules, their bundled libraries, `ctypes` loads), the
# imports no finder could satisfy, and the environment's import roots and
# distributions, so the packer can say what each file belongs to.
import sys


def _trace(report_path):
    """Starts recording; at exit writes the report. All state lives in this closure
    and its helpers', since the app runs in this module's namespace (as `python -m`
    runs it), from which their names are deleted before it starts."""
    import atexit

    opened = set()
    missing = set()
    # Imported at start-up by `site` (from .pth files, such as setuptools'
    # _distutils_hack): `bale run` starts without `site`, so the app does not need them.
    startup = set(sys.modules)

    class Missing:
        """Last on sys.meta_path: records the names no finder found (imports the app
        tried and did without, such as an optional speed-up)."""

        @staticmethod
        def find_spec(name, path=None, target=None):
            missing.add(name)

    sys.addaudithook(_audit_opens(opened))
    sys.meta_path.append(Missing)
    # What printing a traceback with its source lines takes: every program may fail,
    # and a bale that carries the standard library must be able to say where.
    import linecache  # noqa: F401
    import tokenize  # noqa: F401
    import traceback  # noqa: F401
    # Registered before the app's own exit handlers, so it runs after them.
    atexit.register(_reporter(report_path, opened, missing, startup))


def _audit_opens(opened):
    """The audit hook that adds to `opened` every file opened for reading."""
    import os

    def audit(event, args):
        # Runs on every audited operation in the process: keep it small, never raise.
        if event == "open":
            path, mode, flags = args
            if isinstance(path, bytes):
                path = os.fsdecode(path)
            if isinstance(path, str):
                writing = any(c in mode for c in "wax+") if isinstance(mode, str) else (
                    isinstance(flags, int) and flags & 3
                )
                if not writing:
                    opened.add(path)

    return audit


def _reporter(report_path, opened, missing, startup):
    """The exit handler that writes the report to `report_path`."""
    # Bound here: by the time it runs, these names are gone from the module.
    modules_seen, libraries_mapped, described = _modules_seen, _libraries_mapped, _described

    def report():
        # What the app used, before this function imports anything of its own.
        seen_modules = list(sys.modules.items())
        seen_files = sorted(opened)
        sys_path = [p for p in sys.path if isinstance(p, str)]
        import importlib.metadata
        import json
        import sysconfig

        paths = sysconfig.get_paths()
        site = list(dict.fromkeys([paths["purelib"], paths["platlib"]]))
        modules = modules_seen(seen_modules, startup, site)
        libraries = libraries_mapped()
        # Every folder on the path, not only the interpreter's own site-packages: a
        # Pyodide on Node has its installed packages in a host folder on sys.path.
        distributions = described(importlib.metadata.distributions(path=sys_path))
        data = {
            "modules": modules,
            "opened": seen_files,
            "libraries": sorted(libraries),
            "missing": sorted(missing),
            "stdlib": list(dict.fromkeys([paths["stdlib"], paths["platstdlib"]])),
            "site": site,
            "sys_path": sys_path,
            "distributions": distributions,
        }
        with open(report_path, "w", encoding="utf-8") as f:
            json.dump(data, f)

    return report


def _modules_seen(seen_modules, startup, site):
    """Each module of `seen_modules` (name, module): its name, its file and whether it
    is a package; but modules `site` imported at start-up from site-packages."""
    import os

    modules = []
    for name, module in seen_modules:
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None) if spec is not None else getattr(module, "__file__", None)
        if not isinstance(origin, str) or not os.path.isabs(origin):
            origin = None  # built in, frozen, or a namespace package
        elif name in startup and any(origin.startswith(os.path.join(s, "")) for s in site):
            continue
        modules.append({"name": name, "origin": origin, "package": hasattr(module, "__path__")})
    return modules


def _libraries_mapped():
    """The shared libraries mapped into the process (none where there is no /proc)."""
    import os

    libraries = set()
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                parts = line.split(None, 5)
                if len(parts) == 6 and parts[5].startswith("/") and ".so" in os.path.basename(parts[5]):
                    libraries.add(parts[5].rstrip("\n"))
    except OSError:
        pass
    return libraries


def _described(distributions):
    """Each distribution's name, version, metadata folder and installed files."""
    described = []
    for dist in distributions:
        info = getattr(dist, "_path", None)
        described.append({
            "name": dist.metadata["Name"] or "",
            "version": dist.version or "",
            "metadata_dir": str(info) if info is not None else None,
            "files": [str(dist.locate_file(f)) for f in dist.files or []],
        })
    return described


_trace(sys.argv[1])
del _audit_opens, _reporter, _modules_seen, _libraries_mapped, _described
_root, _kind, _target = sys.argv[2:5]
sys.argv = [_target, *sys.argv[5:]]
if _root != "-":
    sys.path.insert(0, _root)
import runpy  # noqa: E402

if _kind == "module":
    del _trace, _root, _kind
    runpy._run_module_as_main(_target, alter_argv=True)
else:
    del _trace, _root, _kind
    runpy.run_path(_target, run_name="__main__")
