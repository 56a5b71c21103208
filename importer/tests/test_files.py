"""Code that opens its data by path next to `__file__` reads it from the bale."""

import json


def test_open_stat_listdir_scandir_under_the_mount(python, app_bale):
    out = python.out(
        f"""
        import bale, glob, gzip, io, json, os, pathlib
        bale.install({str(app_bale)!r})
        import app
        here = os.path.dirname(app.__file__)
        data = os.path.join(here, "data")
        with open(os.path.join(data, "config.json")) as f:
            text = f.read()
        with open(os.path.join(data, "blob.bin"), "rb") as f:
            head = f.read(4)
        walked = sorted((os.path.relpath(d, here), sorted(fs)) for d, _, fs in os.walk(data))
        entries = sorted((e.name, e.is_dir(), e.is_file()) for e in os.scandir(data))
        print(json.dumps({{
            "text": text,
            "head": head.hex(),
            "name": open(os.path.join(data, "config.json")).name.endswith("/app/data/config.json"),
            "exists": [os.path.exists(data), os.path.isdir(data), os.path.isfile(data + "/config.json"),
                       os.path.exists(data + "/nope"), os.path.exists(app.__file__)],
            "size": os.path.getsize(os.path.join(data, "blob.bin")),
            "listdir": sorted(os.listdir(data)),
            "scandir": entries,
            "walk": walked,
            "glob": sorted(os.path.basename(p) for p in glob.glob(data + "/*.json")),
            "pathlib": pathlib.Path(data, "sub", "deep.txt").read_text(),
            "relative_dots": open(here + "/data/sub/../config.json").read() == text,
        }}))
        for attempt in [lambda: open(data + "/config.json", "w"), lambda: open(data + "/nope.txt"),
                        lambda: open(data), lambda: os.listdir(data + "/config.json")]:
            try:
                attempt()
            except OSError as e:
                print(type(e).__name__, e.errno)
        """
    )
    lines = out.splitlines()
    got = json.loads(lines[0])
    assert got == {
        "text": '{"answer": 42}\n',
        "head": "00010203",
        "name": True,
        "exists": [True, True, True, False, True],
        "size": 256,
        "listdir": ["blob.bin", "config.json", "sub"],
        "scandir": [["blob.bin", False, True], ["config.json", False, True], ["sub", True, False]],
        "walk": [["data", ["blob.bin", "config.json"]], ["data/sub", ["deep.txt"]]],
        "glob": ["config.json"],
        "pathlib": "deep\n",
        "relative_dots": True,
    }
    assert lines[1:] == ["OSError 30", "FileNotFoundError 2", "IsADirectoryError 21", "NotADirectoryError 20"]


def test_runpy_runs_a_script_by_its_path_in_the_bale(python, app_bale):
    # runpy reads a script with io.open_code, which answers under the mount too.
    out = python.out(
        f"""
        import io
        original = io.open_code
        import bale, runpy
        finder = bale.install({str(app_bale)!r})
        import app
        with io.open_code(app.__file__) as f:
            print(f.read() == open(app.__file__, "rb").read(), f.name == app.__file__)
        script = app.__file__.replace("__init__.py", "core.py")
        print(runpy.run_path(script, run_name="not_main")["__file__"] == script)
        finder.uninstall()
        print(io.open_code is original)
        """
    )
    assert out.split() == ["True", "True", "True", "True"]


def test_other_paths_are_untouched_and_uninstall_restores(python, app_bale, tmp_path):
    (tmp_path / "real.txt").write_text("real file\n")
    out = python.out(
        f"""
        import builtins, io, os
        original = (builtins.open, os.stat, os.listdir)
        import bale
        finder = bale.install({str(app_bale)!r})
        print(open({str(tmp_path / "real.txt")!r}).read().strip(), sorted(os.listdir({str(tmp_path)!r}))[:1])
        with open({str(tmp_path / "new.txt")!r}, "w") as f:
            f.write("written")
        print(open({str(tmp_path / "new.txt")!r}).read())
        finder.uninstall()
        print((builtins.open, os.stat, os.listdir) == original, io.open is builtins.open)
        print(os.path.exists({str(app_bale)!r} + "/app/core.py"))
        """
    )
    assert out.splitlines() == ["real file ['real.txt']", "written", "True True", "False"]


def test_open_wrapped_while_mounted_still_works_after_uninstall_and_a_new_install(python, app_bale, tmp_path):
    # Something (a test tool, a tracer) wraps the replaced open while a bale is mounted.
    # The wrapper outlives the unmount, and a later mount must not take it for the
    # original: either way, open must end in the real one, not in itself.
    (tmp_path / "real.txt").write_text("real file\n")
    out = python.out(
        f"""
        import builtins, bale
        finder = bale.install({str(app_bale)!r})
        ours = builtins.open
        builtins.open = lambda *a, **k: ours(*a, **k)
        finder.uninstall()
        print(open({str(tmp_path / "real.txt")!r}).read().strip())
        finder = bale.install({str(app_bale)!r})
        import app
        print(open({str(tmp_path / "real.txt")!r}).read().strip(), open(app.__file__).read() != "")
        """
    )
    assert out.splitlines() == ["real file", "real file True"]


def test_files_false_leaves_open_alone(python, app_bale):
    out = python.out(
        f"""
        import builtins, os
        original = builtins.open
        import bale
        bale.install({str(app_bale)!r}, files=False)
        import app
        print(builtins.open is original, os.path.exists(app.__file__))
        """
    )
    assert out.split() == ["True", "False"]


def test_pathlib_imported_after_install(python, app_bale):
    out = python.out(
        f"""
        import bale, sys
        assert "pathlib" not in sys.modules
        bale.install({str(app_bale)!r})
        import pathlib, app
        data = pathlib.Path(app.__file__).parent / "data"
        print(sorted(p.name for p in data.iterdir()), (data / "sub" / "deep.txt").read_text().strip(), data.is_dir())
        """
    )
    assert out.strip() == "['blob.bin', 'config.json', 'sub'] deep True"
