"""The rest bale: what the traced run did not touch, packed beside the bale by
`bale pack --app --rest`, served when the bale lacks it, each miss recorded once."""

import json
import os
import shutil
import struct
import subprocess
import sys
import venv

import pytest
from conftest import BALE, write_tree

APP = {
    "main.py": """
        import importlib, os, sys
        import helper
        print("base", helper.NAME)
        # Read by path on every run: in the bale, its package (plugins) is not.
        with open(os.path.join(os.path.dirname(helper.__file__), "plugins", "common.txt")) as f:
            print("common", f.read().strip())
        if "--extra" in sys.argv:
            # A module chosen at run time, a data file chosen at run time: neither
            # is seen by the static analysis, nor by a run without --extra.
            plugin = importlib.import_module("plugins." + sys.argv[-1])
            print("plugin", plugin.NAME)
            folder = os.path.join(os.path.dirname(helper.__file__), "data")
            with open(os.path.join(folder, sys.argv[-1] + ".txt")) as f:
                print("data", f.read().strip())
    """,
    "helper.py": "NAME = 'helper'\n",
    "plugins/__init__.py": "LOADED = True\n",
    "plugins/common.txt": "shared\n",
    "plugins/fancy.py": """
        import importlib.resources
        # A module of the rest bale reads a file the bale holds.
        NAME = "fancy " + importlib.resources.files("plugins").joinpath("common.txt").read_text().strip()
    """,
    "plugins/plain.py": "NAME = 'plain'\n",
    "data/fancy.txt": "fancy data\n",
    "data/plain.txt": "plain data\n",
}


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory):
    """A virtual environment with nothing installed: the app's environment."""
    folder = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(folder)
    return folder


def pack_app(app, out, bare_venv, *args):
    command = [BALE, "pack", "--app", str(app / "main.py"), "--venv", str(bare_venv), "--detect", "runtime",
               "--rest", "-o", str(out), "--quiet", *args]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    return write_tree(tmp_path_factory.mktemp("app"), APP)


@pytest.fixture(scope="module")
def packed(tmp_path_factory, bare_venv, app_dir):
    """The app packed from one run without --extra: main.bale and main.rest.bale."""
    out = tmp_path_factory.mktemp("bales") / "main.bale"
    pack_app(app_dir, out, bare_venv)
    assert (out.parent / "main.rest.bale").is_file()
    return out


@pytest.fixture
def pair(packed, tmp_path):
    """A copy of the bale and its rest bale, for a test to change."""
    folder = tmp_path / "bales"
    folder.mkdir()
    for name in ("main.bale", "main.rest.bale"):
        shutil.copy(packed.parent / name, folder / name)
    return folder / "main.bale"


def run_app(bale, *args, env=None, cwd=None):
    """`bale run` on the packed app, as a user runs it."""
    return subprocess.run([BALE, "run", str(bale), "--python", sys.executable, "--", *args], capture_output=True,
                          text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def test_what_the_trace_missed_comes_from_the_rest_bale_and_is_recorded(packed, app_dir, tmp_path):
    record = tmp_path / "misses.json"
    done = run_app(packed, "--extra", "fancy", env={"BALE_MISSES": str(record), "BALE_WARN_MISSES": "1"})
    assert done.returncode == 0, done.stderr
    expected = subprocess.run([sys.executable, str(app_dir / "main.py"), "--extra", "fancy"], capture_output=True,
                              text=True)
    assert done.stdout == expected.stdout
    assert done.stdout.splitlines() == ["base helper", "common shared", "plugin fancy shared", "data fancy data"]
    # Each miss named as it is fetched, with the warning asked for.
    assert "module plugins.fancy is not in" in done.stderr, done.stderr
    assert "file data/fancy.txt is not in" in done.stderr
    misses = json.loads(record.read_text())["misses"]
    assert {"module": "plugins.fancy", "path": "plugins/fancy.py"} in [
        {k: m[k] for k in ("module", "path")} for m in misses
    ]
    assert any(m["path"] == "data/fancy.txt" and m["module"] is None for m in misses)

    # A second run adds its misses to the file, each once.
    again = run_app(packed, "--extra", "plain", env={"BALE_MISSES": str(record)})
    assert again.returncode == 0, again.stderr
    paths = [m["path"] for m in json.loads(record.read_text())["misses"]]
    assert sorted(paths) == sorted(set(paths))
    assert {"plugins/fancy.py", "plugins/plain.py", "data/fancy.txt", "data/plain.txt"} <= set(paths)


def test_the_bale_alone_holds_only_what_the_run_used(packed, python):
    out = python.out(
        f"""
        import bale, json
        finder = bale.install({str(packed)!r}, rest=False)
        print(json.dumps([finder._entry(p) is not None for p in
                          ("main.py", "helper.py", "plugins/common.txt", "plugins/__init__.py", "data/fancy.txt")]))
        import plugins  # a namespace package here: the folder holds common.txt alone
        print(hasattr(plugins, "LOADED"))
        try:
            import plugins.fancy
        except ModuleNotFoundError as e:
            print("missing", e.name)
        """
    )
    assert out.splitlines() == ["[true, true, true, false, false]", "False", "missing plugins.fancy"]


def test_misses_listings_and_resources_in_process(packed, python):
    out = python.out(
        f"""
        import bale, json, os, pkgutil, warnings
        finder = bale.install({str(packed)!r})
        assert type(finder.rest).__name__ == "RestFinder", finder.rest
        print(finder.rest.via, os.path.basename(finder.rest.path))
        # Listing and stat read the rest bale's index: they fetch nothing.
        print(sorted(os.listdir(finder.path + "/data")))
        print(os.path.exists(finder.path + "/data/plain.txt"))
        import plugins
        # The bale holds the folder (a file of it was read), the rest bale the package.
        print(plugins.LOADED, sorted(m.name for m in pkgutil.iter_modules(plugins.__path__)))
        print(bale.misses() == finder.misses(), len(bale.misses()))
        # A probe finds without loading: no miss.
        import importlib.util
        print(importlib.util.find_spec("plugins.plain") is not None, len(bale.misses()))
        import plugins.plain
        print(plugins.plain.__file__ == finder.path + "/plugins/plain.py")
        print([(m["module"], m["path"]) for m in bale.misses()])
        finder.uninstall()
        import sys
        print(any(type(f).__name__ == "RestFinder" for f in sys.meta_path))
        """
    )
    lines = out.splitlines()
    assert lines[0] == "file main.rest.bale"
    assert lines[1] == "['fancy.txt', 'plain.txt']"
    assert lines[2] == "True"
    assert lines[3] == "True ['fancy', 'plain']"
    assert lines[4] == "True 1"  # the package plugins itself was missed
    assert lines[5] == "True 1"
    assert lines[6] == "True"
    assert lines[7] == "[('plugins', 'plugins/__init__.py'), ('plugins.plain', 'plugins/plain.py')]"
    assert lines[8] == "False"


def test_a_rest_bale_from_another_pack_is_refused(pair, tmp_path, bare_venv):
    # Another version of the app: its rest bale differs (an identical one would pass).
    app = write_tree(tmp_path / "other", {**APP, "plugins/plain.py": "NAME = 'changed'\n"})
    other = pack_app(app, tmp_path / "other.bale", bare_venv)
    shutil.copy(other.parent / "other.rest.bale", pair.parent / "main.rest.bale")
    done = run_app(pair, "--extra", "fancy")
    assert done.returncode == 1
    assert "ModuleNotFoundError: No module named 'plugins.fancy'" in done.stderr, done.stderr
    assert "main.rest.bale is not the rest bale of" in done.stderr
    assert "another pack" in done.stderr


def test_a_missing_rest_bale_is_named_in_the_import_error(pair):
    (pair.parent / "main.rest.bale").unlink()
    done = run_app(pair, "--extra", "fancy")
    assert done.returncode == 1
    assert "No module named 'plugins.fancy'" in done.stderr, done.stderr
    assert "main.rest.bale cannot be read" in done.stderr
    assert "No such file" in done.stderr
    # What the bale holds still runs.
    assert run_app(pair).stdout == "base helper\ncommon shared\n"


def test_an_unreadable_rest_bale_hides_nothing_else(pair, python):
    (pair.parent / "main.rest.bale").unlink()
    out = python.out(
        f"""
        import importlib.util, os, warnings
        import bale
        finder = bale.install({str(pair)!r})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # A probe for a name nobody has, and a module of the interpreter's standard
            # library, on sys.path after the bale: as without a rest bale.
            print(importlib.util.find_spec("no_such_module_anywhere"))
            import csv
            print(csv.__name__, sorted(os.listdir(finder.path + "/plugins")))
        print([w.category.__name__ for w in caught], "main.rest.bale cannot be read" in str(caught[0].message))
        """
    )
    assert out.splitlines() == ["None", "csv ['common.txt']", "['RuntimeWarning'] True"]


def damage(bale_path, *, file=None, module=None):
    """Flips a byte in the middle of a file's payload, or of a module's bytecode."""
    b = bytearray(bale_path.read_bytes())
    strings = struct.unpack_from("<Q", b, 104)[0]
    payloads = struct.unpack_from("<Q", b, 96)[0]
    tree, size, field = (152, 40, 28) if file else (120, 48, 32)
    records, count = struct.unpack_from("<QI", b, tree)
    for i in range(count):
        at = records + i * size
        key_offset, key_len = struct.unpack_from("<IH", b, at + 8)
        key = bytes(b[strings + key_offset:strings + key_offset + key_len]).decode()
        if key == (file or module):
            payload = struct.unpack_from("<I", b, at + field)[0]
            offset, stored = struct.unpack_from("<QQ", b, payloads + payload * 40)
            b[offset + stored // 2] ^= 0x40
            bale_path.write_bytes(bytes(b))
            return
    raise AssertionError(f"{file or module} not in {bale_path}")


def test_a_damaged_rest_payload_is_a_bale_error_naming_the_entry(pair, python):
    rest = pair.parent / "main.rest.bale"
    damage(rest, file="data/fancy.txt")
    damage(rest, module="plugins.fancy")
    out = python.out(
        f"""
        import bale
        finder = bale.install({str(pair)!r})
        for attempt in ("import plugins.fancy", "open(finder.path + '/data/fancy.txt').read()"):
            try:
                exec(attempt)
            except bale.BaleError as e:
                print(type(e).__name__, e)
            except OSError as e:  # open() says EIO, from the BaleError
                print(type(e.__cause__).__name__, e.__cause__)
        """
    )
    lines = out.splitlines()
    assert len(lines) == 2, out
    for line, entry in zip(lines, ("plugins.fancy", "data/fancy.txt")):
        assert line.startswith(f"BaleError {rest}: {entry}: corrupt bale: payload"), line
        assert line.endswith("checksum mismatch"), line


def test_a_rest_bale_given_as_bytes_or_off(packed, python):
    rest = packed.parent / "main.rest.bale"
    out = python.out(
        f"""
        import bale
        data = open({str(packed)!r}, "rb").read()
        finder = bale.install(data, rest=open({str(rest)!r}, "rb").read())
        import plugins.fancy
        print(plugins.fancy.NAME, finder.rest.via)
        finder.uninstall()
        try:
            bale.install(open({str(rest)!r}, "rb").read(), rest={str(rest)!r})
        except ValueError as e:
            print("refused:", e)
        """
    )
    assert out.splitlines()[0] == "fancy shared memory"
    assert "names no rest bale" in out.splitlines()[1]
