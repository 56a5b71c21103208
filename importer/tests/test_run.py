"""`bale run`: an app runs from its bale alone, with argv and exit codes as `python`."""

import subprocess
import sys

import pytest
from conftest import BALE, pack, write_tree

APP = {
    "tool/__init__.py": "",
    "tool/__main__.py": """
        import sys
        import tool.work
        print("argv", sys.argv[1:], sys.argv[0].endswith("/tool/__main__.py"))
        print("main", __name__, __file__.endswith("tool/__main__.py"))
        print("path", [p for p in sys.path if "site-packages" in p])
        try:
            import rich
            print("rich importable?!")
        except ImportError:
            print("no site-packages")
        sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0)
    """,
    "tool/work.py": """
        def crash():
            raise RuntimeError("crashed in the bale")
    """,
    "tool/crash.py": """
        import tool.work
        tool.work.crash()
    """,
    "scripts/hello.py": """
        import sys
        print("script", sys.argv[1:], __name__)
    """,
}


@pytest.fixture(scope="module")
def tool_bale(tmp_path_factory):
    root = write_tree(tmp_path_factory.mktemp("tool"), APP)
    return pack([root], tmp_path_factory.mktemp("bales") / "tool.bale")


def bale_run(*args):
    return subprocess.run([BALE, "run", *map(str, args)], capture_output=True, text=True)


def test_run_a_module_with_arguments_and_exit_code(tool_bale):
    done = bale_run(tool_bale, "-m", "tool", "--python", sys.executable, "--", "7", "--flag")
    assert done.returncode == 7, done.stderr
    assert done.stdout.splitlines() == [
        "argv ['7', '--flag'] True",
        "main __main__ True",
        "path []",
        "no site-packages",
    ]


def test_run_a_script_of_the_bale(tool_bale):
    done = bale_run(tool_bale, "scripts/hello.py", "--python", sys.executable, "--", "a", "b")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "script ['a', 'b'] __main__\n"


def test_an_uncaught_exception_exits_1_with_the_bale_source_in_the_traceback(tool_bale):
    done = bale_run(tool_bale, "-m", "tool.crash", "--python", sys.executable)
    assert done.returncode == 1
    assert f'File "{tool_bale}/tool/work.py", line 2, in crash' in done.stderr
    assert 'raise RuntimeError("crashed in the bale")' in done.stderr
    assert done.stderr.rstrip().endswith("RuntimeError: crashed in the bale")


def test_bad_targets(tool_bale, tmp_path):
    done = bale_run(tool_bale, "-m", "no.such.module", "--python", sys.executable)
    assert done.returncode == 2 and "no module no.such.module in it" in done.stderr
    done = bale_run(tool_bale, "nope.py", "--python", sys.executable)
    assert done.returncode == 2 and "no script nope.py in it" in done.stderr
    done = bale_run(tmp_path / "missing.bale", "-m", "x", "--python", sys.executable)
    assert done.returncode == 1 and "missing.bale" in done.stderr
