"""trace.py on a toy app: what it reports, and that the app runs as under `python`."""

import json

from conftest import run_helper, write_tree


def test_records_modules_files_and_failed_imports(tmp_path):
    root = write_tree(tmp_path / "app", {
        "main.py": """
            import sys
            import json
            import helper
            try:
                import not_installed_anywhere
            except ImportError:
                pass
            with open(__file__.replace("main.py", "data.txt")) as f:
                print(f.read().strip(), sys.argv[1:])
            sys.exit(3)
        """,
        "helper.py": "VALUE = 1\n",
        "data.txt": "hello from data\n",
    })
    report = tmp_path / "report.json"
    done = run_helper("trace.py", report, root, "script", root / "main.py", "--flag", "x")
    assert done.returncode == 3, done.stderr
    assert done.stdout == "hello from data ['--flag', 'x']\n"
    seen = json.loads(report.read_text())
    modules = {m["name"]: m for m in seen["modules"]}
    assert modules["helper"]["origin"] == str(root / "helper.py")
    assert modules["json"]["package"] is True
    assert str(root / "data.txt") in seen["opened"]
    assert "not_installed_anywhere" in seen["missing"]
    assert str(root) in seen["sys_path"]


def test_runs_a_module_as_python_m_does(tmp_path):
    root = write_tree(tmp_path / "app", {
        "tool/__init__.py": "",
        "tool/__main__.py": "import sys\nprint(__name__, sys.argv[0].endswith('__main__.py'))\n",
    })
    report = tmp_path / "report.json"
    done = run_helper("trace.py", report, root, "module", "tool")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "__main__ True\n"
    modules = {m["name"]: m["origin"] for m in json.loads(report.read_text())["modules"]}
    assert modules["tool"] == str(root / "tool" / "__init__.py")
    # It ran as __main__, as under `python -m`: that is the name it was seen by.
    assert modules["__main__"] == str(root / "tool" / "__main__.py")
