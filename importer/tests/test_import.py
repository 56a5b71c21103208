"""The import contract: specs, module attributes, code, source and tracebacks."""

import json
import sys

from conftest import other_python, pack, write_tree


def test_modules_import_from_the_bale_with_virtual_paths(python, app_bale):
    out = python.out(
        f"""
        import importlib.util, json, sys
        import bale
        finder = bale.install({str(app_bale)!r})
        import app, app.core, top
        spec = app.__spec__
        print(json.dumps({{
            "file": app.__file__,
            "origin": spec.origin,
            "has_location": spec.has_location,
            "path": list(app.__path__),
            "search": list(spec.submodule_search_locations),
            "loader_is_finder": spec.loader is finder and app.__loader__ is finder,
            "core_file": app.core.__file__,
            "core_package": app.core.__package__,
            "result": top.RESULT,
            "meta_path_first": sys.meta_path[0] is finder,
            "sys_path_first": sys.path[0],
            "find_spec": importlib.util.find_spec("app.core").origin,
            "is_package": [finder.is_package("app"), finder.is_package("app.core")],
            "filename": finder.get_filename("app.core"),
        }}))
        """
    )
    got = json.loads(out)
    root = str(app_bale)
    assert got == {
        "file": f"{root}/app/__init__.py",
        "origin": f"{root}/app/__init__.py",
        "has_location": True,
        "path": [f"{root}/app"],
        "search": [f"{root}/app"],
        "loader_is_finder": True,
        "core_file": f"{root}/app/core.py",
        "core_package": "app",
        "result": "ran",
        "meta_path_first": True,
        "sys_path_first": root,
        "find_spec": f"{root}/app/core.py",
        "is_package": [True, False],
        "filename": f"{root}/app/core.py",
    }


def test_imports_open_no_file(python, app_bale):
    # The bale is mapped once at install; importing from it opens nothing, unlike
    # the path finder, which stats and opens a source and a .pyc per module.
    out = python.out(
        f"""
        import sys
        import bale
        bale.install({str(app_bale)!r})
        opened = []
        sys.addaudithook(lambda event, args: event == "open" and opened.append(args[0]))
        import app.core, app.plugins.one, app.plugins.two, top
        print(opened)
        """
    )
    assert out.strip() == "[]"


def test_bytecode_is_used_and_code_names_the_virtual_path(python, app_tree, tmp_path):
    bytecode_only = pack([app_tree], tmp_path / "bytecode.bale", "--content", "bytecode")
    out = python.out(
        f"""
        import bale, json
        finder = bale.install({str(bytecode_only)!r})
        import app.core
        code = finder.get_code("app.core")
        print(json.dumps([app.core.__file__, app.core.run.__code__.co_filename, code.co_filename,
                          finder.get_source("app.core"), app.core.run()]))
        """
    )
    root = str(bytecode_only)
    # No source: __file__ is where the .pyc would be, as CPython's sourceless loader does.
    assert json.loads(out) == [f"{root}/app/core.pyc", f"{root}/app/core.pyc", f"{root}/app/core.pyc", None, "ran"]


def test_source_feeds_tracebacks_warnings_and_inspect(python, app_bale):
    done = python.run(
        f"""
        import bale, inspect, linecache
        bale.install({str(app_bale)!r})
        import app.core
        print(inspect.getsource(app.core.run))
        print(linecache.getline(app.core.__file__, 5, app.core.__dict__).strip())
        import app.warn
        app.core.fail()
        """,
        check=False,
    )
    assert done.returncode == 1
    assert 'def run():\n    return "ran"' in done.stdout
    assert "def fail():" in done.stdout
    # The traceback and the warning show the lines of the bale's source.
    assert f'File "{app_bale}/app/core.py", line 6, in fail' in done.stderr
    assert 'raise ValueError("boom from core")' in done.stderr
    assert f"{app_bale}/app/warn.py:2: UserWarning: careful now" in done.stderr
    assert 'warnings.warn("careful now", UserWarning)' in done.stderr


def test_get_source_decodes_like_python(python, app_bale):
    out = python.out(
        f"""
        import bale
        finder = bale.install({str(app_bale)!r})
        import app.encoded
        print(app.encoded.NAME, repr(finder.get_source("app.encoded").splitlines()[1]))
        """,
        env={"PYTHONIOENCODING": "utf-8"},
    )
    assert out.strip() == "été \"NAME = 'été'\""


def test_get_data_reads_files_by_virtual_path(python, app_bale):
    out = python.out(
        f"""
        import bale
        finder = bale.install({str(app_bale)!r})
        import app
        print(finder.get_data(app.__path__[0] + "/data/config.json").decode().strip())
        print(app.__loader__.get_data({str(app_bale)!r} + "/app/core.py").splitlines()[0].decode())
        for bad in ["/elsewhere/x", {str(app_bale)!r} + "/app/nope.txt", {str(app_bale)!r} + "/app/data"]:
            try:
                finder.get_data(bad)
            except FileNotFoundError:
                print("missing", bad.rsplit("/", 1)[-1])
        """
    )
    assert out.splitlines() == ['{"answer": 42}', "def run():", "missing x", "missing nope.txt", "missing data"]


def test_reload_and_uninstall(python, app_bale):
    out = python.out(
        f"""
        import bale, importlib, sys
        finder = bale.install({str(app_bale)!r})
        import app.core
        app.core.run = None
        importlib.reload(app.core)
        print(app.core.run())
        finder.uninstall()
        print(finder in sys.meta_path, {str(app_bale)!r} in sys.path, bale.path_hook in sys.path_hooks)
        try:
            import app.plugins.two
        except ImportError as e:
            print("gone:", e.name)
        print(app.core.run())
        """
    )
    assert out.splitlines() == ["ran", "False False False", "gone: app.plugins", "ran"]


def test_a_bale_in_memory(python, app_bale):
    out = python.out(
        f"""
        import bale
        data = open({str(app_bale)!r}, "rb").read()
        for source in (data, memoryview(data), bytearray(data)):
            finder = bale.install(source, path="/srv/app.bale")
            import app.core
            print(app.core.__file__, app.core.run())
            finder.uninstall()
            for name in [m for m in __import__("sys").modules if m == "app" or m.startswith("app.")]:
                del __import__("sys").modules[name]
        finder = bale.install(data)
        import app
        print(app.__file__.startswith("/memory/"))
        """
    )
    assert out.splitlines() == ["/srv/app.bale/app/core.py ran"] * 3 + ["True"]


def test_a_bale_for_another_python_falls_back_to_source(python, tmp_path):
    # A bale whose bytecode is for another CPython falls back to the source.
    other = other_python()
    tree = write_tree(tmp_path / "t", {"m.py": "X = 41 + 1\n"})
    both = pack([tree], tmp_path / "both.bale", "--content", "both", python=other)
    only = pack([tree], tmp_path / "only.bale", "--content", "bytecode", python=other)
    out = python.out(
        f"""
        import bale
        f = bale.install({str(both)!r})
        import m
        print(m.X, f.target.split("-")[1])
        """
    )
    assert out.split()[0] == "42"
    done = python.run(
        f"""
        import bale
        bale.install({str(only)!r})
        try:
            import m
        except ImportError as e:
            print(type(e).__name__, isinstance(e, bale.BaleError), e.name)
            print(e)
        """
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "BaleError True m"
    assert f"{only}: m: the bale was packed for cpython-{out.split()[1]}" in lines[1]
    assert "cannot load that bytecode" in lines[1]
