"""PEP 810's `lazy import` (CPython 3.15) with modules from a bale: the module is
found when the name is first used, not at the statement, and comes from the bale
then; `bale pack`'s static analysis counts it as used."""

import sys

import pytest

from conftest import pack, write_tree

pytestmark = pytest.mark.skipif(sys.version_info < (3, 15), reason="`lazy import` is CPython 3.15's")

APP = {
    "heavy/__init__.py": "print('heavy runs')\nVALUE = 42\n",
    "main.py": """
        lazy import heavy
        import sys
        print('heavy' in sys.modules)
        print(heavy.VALUE)
        print(heavy.__file__)
    """,
}


def test_a_lazy_import_loads_from_the_bale_on_first_use(python, tmp_path):
    tree = write_tree(tmp_path / "app", APP)
    bale = pack([tree], tmp_path / "app.bale")
    out = python.out(
        f"""
        import bale, runpy
        bale.install({str(bale)!r})
        runpy.run_module("main", run_name="__main__")
        """
    )
    assert out.splitlines() == ["False", "heavy runs", "42", f"{bale}/heavy/__init__.py"]


def test_static_analysis_counts_a_lazy_import_as_used(tmp_path):
    import subprocess

    from conftest import BALE

    tree = write_tree(tmp_path / "app", APP)
    out = tmp_path / "app.bale"
    # The traced run never touches `heavy` when it is not used: static analysis finds it.
    (tree / "main.py").write_text("lazy import heavy\nprint('never used')\n")
    done = subprocess.run(
        [BALE, "pack", "--app", str(tree / "main.py"), "--python", sys.executable, "--detect", "both", "-o", str(out),
         "--quiet"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    listed = subprocess.run([BALE, "inspect", str(out)], capture_output=True, text=True).stdout
    assert "heavy" in listed, listed
