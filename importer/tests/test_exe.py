"""`bale exe` for the Python these tests run under (3.10 to 3.15): a program made of an
app using numpy, pandas, rich and the standard library's C parts prints what the app
prints under this interpreter, run with an empty environment. For CPython 3.14 and
3.15, whose interpreters live in a Debian root where `crates/bale-cli/tests/exe.rs`
(which covers 3.10 to 3.13) does not reach; `BALE_RUNNERS` holds their runners
(scripts/test.sh builds them)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BALE, write_tree

APP = {
    "app.py": """
        import hashlib, json, lzma, sqlite3, ssl, sys
        import numpy, pandas
        from rich.console import Console

        frame = pandas.DataFrame({"x": numpy.arange(5), "y": numpy.arange(5) ** 2})
        print(sys.version_info[:2], frame["y"].sum(), numpy.linalg.norm([3.0, 4.0]))
        print(hashlib.sha256(b"bale").hexdigest()[:12], hashlib.blake2b(b"bale").hexdigest()[:12])
        print(hashlib.sha3_256(b"bale").hexdigest()[:12], hashlib.shake_128(b"bale").hexdigest(5))
        print(sqlite3.connect(":memory:").execute("select 6 * 7").fetchone()[0], len(lzma.compress(b"x" * 99)) > 0)
        print(ssl.create_default_context().verify_mode.name, json.dumps({"ok": 1}))
        Console(width=40, color_system=None).print("[bold]rich[/bold] from the bale")
    """,
}


def runner():
    if sys.version_info < (3, 14):
        pytest.skip("crates/bale-cli/tests/exe.rs makes programs for CPython 3.10 to 3.13")
    target = subprocess.run([sys.executable, "-c", "import bale; print(bale.host_target())"],
                            capture_output=True, text=True, check=True).stdout.strip()
    folder = os.environ.get("BALE_RUNNERS")
    found = Path(folder) / f"bale-runner-{target}" if folder else None
    if found is None or not found.is_file():
        pytest.skip(f"no runner for {target} in BALE_RUNNERS ({folder})")
    return found


def test_a_program_prints_what_the_app_prints_here(tmp_path):
    program_runner = runner()
    tree = write_tree(tmp_path / "app", APP)
    expected = subprocess.run([sys.executable, str(tree / "app.py")], capture_output=True, text=True, check=True)
    bale = tmp_path / "app.bale"
    packed = subprocess.run(
        [BALE, "pack", "--app", str(tree / "app.py"), "--python", sys.executable, "--stdlib", "used", "-o", str(bale),
         "--quiet"],
        capture_output=True, text=True,
    )
    assert packed.returncode == 0, packed.stderr
    program = tmp_path / "alone" / "app"
    program.parent.mkdir()
    made = subprocess.run([BALE, "exe", str(bale), "-o", str(program), "--runner", str(program_runner)],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    ran = subprocess.run([str(program)], capture_output=True, text=True, cwd=program.parent,
                         env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(tmp_path)})
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == expected.stdout
