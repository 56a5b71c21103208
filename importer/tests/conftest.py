"""Fixtures for the importer's tests.

Each test packs real files with the real `bale` command, then runs code in a fresh
interpreter (`python -S`: no site-packages) whose path holds only the `bale` package,
so that everything else it imports must come from the bale.
"""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BALE = os.environ.get("BALE_CLI") or shutil.which("bale")


def pack(inputs, out, *args, python=None):
    """Packs `inputs` into `out` with the `bale` command and returns `out`."""
    command = [BALE, "pack", *map(str, inputs), "-o", str(out), "--python", python or sys.executable, "--quiet", *args]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return Path(out)


def readme_block(label):
    """README.md's code block labelled `label`, as written (scripts/dist/readme_blocks.py):
    the tests run it, so that README cannot drift."""
    root = Path(__file__).resolve().parents[2]
    return subprocess.run([sys.executable, root / "scripts/dist/readme_blocks.py", root / "README.md", label],
                          capture_output=True, text=True, check=True).stdout


def in_loopback_namespace(command, *, own_processes=False, **kwargs):
    """Runs `command` in a new network namespace whose only address is 127.0.0.1, as the
    cluster tests run their engines (which would otherwise reach this machine's other
    addresses); with `own_processes`, in a process namespace of its own too, whose
    processes end with it."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        pytest.fail("the cluster tests need unshare (util-linux) and ip (iproute2)")
    own = ["--pid", "--fork", "--mount-proc"] if own_processes else []
    return subprocess.run(["unshare", "--net", *own, "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *command],
                          capture_output=True, text=True, timeout=600, **kwargs)


def other_python():
    """Another CPython of this machine than the one running the tests: pyenv's (3.10
    to 3.13), or the system's (3.14 and 3.15 in the Debian root the tests run those
    in)."""
    import glob

    for v in ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15"):
        if v == "%d.%d" % sys.version_info[:2]:
            continue
        found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{v}.*/bin/python{v}")))
        found += glob.glob(f"/usr/bin/python{v}")
        if found:
            return found[-1]
    raise AssertionError("no other CPython than this one to pack with")


def write_tree(root, files):
    """Writes {relative path: text or bytes} under `root`."""
    root = Path(root)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = textwrap.dedent(content).lstrip("\n")
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return root


APP = {
    "app/__init__.py": """
        from app.core import run
        VERSION = "1.0"
    """,
    "app/core.py": """
        def run():
            return "ran"


        def fail():
            raise ValueError("boom from core")
    """,
    "app/warn.py": """
        import warnings
        warnings.warn("careful now", UserWarning)
    """,
    "app/encoded.py": b"# -*- coding: latin-1 -*-\nNAME = '\xe9t\xe9'\n",
    "app/data/config.json": '{"answer": 42}\n',
    "app/data/sub/deep.txt": "deep\n",
    "app/data/blob.bin": bytes(range(256)),
    "app/py.typed": "",
    "app/plugins/__init__.py": "",
    "app/plugins/one.py": "NAME = 'one'\n",
    "app/plugins/two.py": "NAME = 'two'\n",
    "app/plugins/_private/__init__.py": "",
    "app-1.0.dist-info/METADATA": """
        Metadata-Version: 2.1
        Name: app
        Version: 1.0
        Summary: A test app
        Requires-Dist: rich>=13
        Requires-Dist: click; extra == "cli"
    """,
    "app-1.0.dist-info/RECORD": """
        app/__init__.py,,
        app/core.py,,
        app/data/config.json,,
        app-1.0.dist-info/METADATA,,
        app-1.0.dist-info/RECORD,,
    """,
    "app-1.0.dist-info/entry_points.txt": """
        [console_scripts]
        app = app.core:run

        [app.plugins]
        one = app.plugins.one
    """,
    "app-1.0.dist-info/top_level.txt": "app\n",
    "nsp/a.py": "WHERE = 'bale'\n",
    "top.py": "import app\nRESULT = app.run()\n",
}


@pytest.fixture(scope="session")
def importer_path(tmp_path_factory):
    """A folder holding only the `bale` package, for interpreters run with -S."""
    import bale

    folder = tmp_path_factory.mktemp("importer")
    shutil.copytree(os.path.dirname(bale.__file__), folder / "bale", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.fixture(scope="session")
def app_tree(tmp_path_factory):
    return write_tree(tmp_path_factory.mktemp("app"), APP)


@pytest.fixture(scope="session")
def app_bale(app_tree, tmp_path_factory):
    return pack([app_tree], tmp_path_factory.mktemp("bales") / "app.bale")


class Python:
    """Runs code in fresh interpreters with site-packages hidden."""

    def __init__(self, importer_path, cwd):
        self.importer_path = importer_path
        self.cwd = cwd

    def run(self, code, *, env=None, check=True, args=()):
        environment = {
            **os.environ,
            "PYTHONPATH": str(self.importer_path),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1",
            # Native code is cached per test, not in the user's cache.
            "XDG_CACHE_HOME": str(self.cwd / ".cache"),
            **(env or {}),
        }
        done = subprocess.run(
            [sys.executable, "-S", "-c", textwrap.dedent(code), *args],
            capture_output=True,
            text=True,
            cwd=self.cwd,
            env=environment,
            timeout=600,
        )
        if check:
            assert done.returncode == 0, f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        return done

    def out(self, code, **kwargs):
        return self.run(code, **kwargs).stdout


@pytest.fixture
def python(importer_path, tmp_path):
    return Python(importer_path, tmp_path)
