"""Runs the packer's Python helpers as the packer does: `python -I -c SCRIPT ARGS`,
in a fresh interpreter, on small apps written into a temporary folder."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parent.parent


def write_tree(root, files):
    """Writes {relative path: text} under `root` and returns it."""
    root = Path(root)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def run_helper(name, *args, stdin=None):
    """Runs assets/python/NAME with ARGS; returns the finished process."""
    script = (HELPERS / name).read_text(encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-I", "-c", script, *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def analyse():
    """Static analysis of an app: the modules found (name -> origin) and the unresolved names."""

    def analyse(root, *, seeds=(), entry=None, known=(), expand_known=False):
        request = {"seeds": [str(s) for s in seeds], "entry": entry, "known": list(known), "expand_known": expand_known}
        done = run_helper("static.py", root, stdin=json.dumps(request))
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        return {m["name"]: m["origin"] for m in answer["modules"]}, answer["unresolved"]

    return analyse
