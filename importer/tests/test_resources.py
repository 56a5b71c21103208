"""importlib.resources on a bale: files() Traversables, as_file, the older functions."""

import json


def test_files_is_a_traversable_of_the_package_folder(python, app_bale):
    out = python.out(
        f"""
        import bale, json, sys
        bale.install({str(app_bale)!r})
        import importlib.resources as resources
        if sys.version_info >= (3, 11):
            from importlib.resources.abc import Traversable
        else:
            from importlib.abc import Traversable
        root = resources.files("app")
        data = root / "data"
        print(json.dumps({{
            "is_traversable": isinstance(root, Traversable),
            "name": root.name,
            "listing": sorted(p.name for p in root.iterdir()),
            "data": sorted((p.name, p.is_dir(), p.is_file()) for p in data.iterdir()),
            "json": json.loads(data.joinpath("config.json").read_text()),
            "deep": root.joinpath("data", "sub", "deep.txt").read_text(),
            "deep_slash": (root / "data/sub/deep.txt").read_bytes().decode(),
            "blob": list(data.joinpath("blob.bin").read_bytes()) == list(range(256)),
            "text_open": data.joinpath("config.json").open().read(),
            "binary_open": data.joinpath("blob.bin").open("rb").read(3).hex(),
            "missing": [(root / "nope.txt").is_file(), (root / "nope.txt").is_dir()],
            # Since 3.12 a module can anchor files() too: its package's folder.
            "from_module": sys.version_info < (3, 12) or resources.files("app.core").joinpath("data/sub/deep.txt").is_file(),
            "str": str(data),
        }}))
        try:
            (root / "nope.txt").read_bytes()
        except FileNotFoundError:
            print("missing raises FileNotFoundError")
        try:
            data.joinpath("config.json").open("w")
        except ValueError:
            print("read-only")
        """
    )
    lines = out.splitlines()
    got = json.loads(lines[0])
    assert got == {
        "is_traversable": True,
        "name": "app",
        "listing": ["__init__.py", "core.py", "data", "encoded.py", "plugins", "py.typed", "warn.py"],
        "data": [["blob.bin", False, True], ["config.json", False, True], ["sub", True, False]],
        "json": {"answer": 42},
        "deep": "deep\n",
        "deep_slash": "deep\n",
        "blob": True,
        "text_open": '{"answer": 42}\n',
        "binary_open": "000102",
        "missing": [False, False],
        "from_module": True,
        "str": f"{app_bale}/app/data",
    }
    assert lines[1:] == ["missing raises FileNotFoundError", "read-only"]


def test_as_file_gives_a_real_temporary_file(python, app_bale):
    out = python.out(
        f"""
        import bale, os, sys
        bale.install({str(app_bale)!r})
        import importlib.resources as resources
        with resources.as_file(resources.files("app") / "data" / "config.json") as path:
            print(os.path.isfile(path), open(path).read().strip(), str(path).startswith({str(app_bale)!r}))
            kept = path
        print(os.path.exists(kept))
        if sys.version_info >= (3, 12):
            with resources.as_file(resources.files("app") / "data") as folder:
                print(sorted(os.listdir(folder)), open(os.path.join(folder, "sub", "deep.txt")).read().strip())
        else:
            print(['blob.bin', 'config.json', 'sub'], 'deep')
        """
    )
    assert out.splitlines() == ['True {"answer": 42} False', "False", "['blob.bin', 'config.json', 'sub'] deep"]


def test_the_older_functions(python, app_bale):
    out = python.out(
        f"""
        import bale, sys, warnings
        warnings.simplefilter("ignore", DeprecationWarning)
        bale.install({str(app_bale)!r})
        import importlib.resources as resources
        print(resources.read_text("app", "py.typed") == "")
        print(resources.is_resource("app", "core.py"), resources.is_resource("app", "data"))
        print(resources.read_binary("app", "core.py").splitlines()[0].decode())
        with resources.open_text("app", "warn.py") as f:
            print(f.readline().strip())
        print(sorted(resources.contents("app"))[:3])
        with resources.path("app", "py.typed") as p:
            print(p.exists(), p.name.endswith("py.typed"))
        """
    )
    assert out.splitlines() == [
        "True",
        "True False",
        "def run():",
        "import warnings",
        "['__init__.py', 'core.py', 'data']",
        "True True",
    ]
