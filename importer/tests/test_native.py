"""Extension modules and the shared libraries they need, loaded from a bale in memory."""

import json
import os
import sys
import sysconfig

import pytest
from conftest import pack

SITE = sysconfig.get_paths()["purelib"]


@pytest.fixture(scope="session")
def native_bale(tmp_path_factory):
    """markupsafe (a C extension) and numpy (extensions with OpenBLAS in numpy.libs),
    from this test environment's site-packages."""
    out = tmp_path_factory.mktemp("native") / "native.bale"
    return pack([SITE], out, "--include", "markupsafe", "--include", "numpy", "--include", "numpy.libs",
                "--include", "numpy-*.dist-info", "--exclude", "tests")


def test_extension_modules_and_their_libraries_load_from_memory(python, native_bale, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = python.out(
        f"""
        import json, os
        import bale
        bale.install({str(native_bale)!r})
        import markupsafe, markupsafe._speedups, numpy, numpy.linalg
        a = numpy.arange(1.0, 10.0).reshape(3, 3) + numpy.eye(3)
        maps = open("/proc/self/maps").read().splitlines()
        native = sorted({{l.split()[-2] if l.endswith("(deleted)") else l.split()[-1] for l in maps if "/memfd:" in l}})
        print(json.dumps({{
            "escape": str(markupsafe.escape("<x>")),
            "speedups": markupsafe._speedups.__file__,
            "umath": numpy._core._multiarray_umath.__file__,
            "det": round(float(numpy.linalg.det(a)), 6),
            "native": [n.split(":", 1)[1] for n in native],
            "from_disk": [l.split()[-1] for l in maps if "site-packages" in l and "/bale/" not in l],
        }}))
        """,
        env={"TMPDIR": str(scratch)},
    )
    got = json.loads(out)
    root = str(native_bale)
    assert got["escape"] == "&lt;x&gt;"
    assert got["speedups"].startswith(f"{root}/markupsafe/_speedups.")
    assert got["umath"].startswith(f"{root}/numpy/_core/_multiarray_umath.")
    assert got["det"] == round(float(_det()), 6)
    assert any(n.startswith("_multiarray_umath.") for n in got["native"]), got["native"]
    assert any(n.startswith("libscipy_openblas") for n in got["native"]), "numpy.libs is loaded from the bale"
    assert got["from_disk"] == []
    # Nothing was unpacked anywhere.
    assert os.listdir(scratch) == []


def _det():
    import numpy

    return numpy.linalg.det(numpy.arange(1.0, 10.0).reshape(3, 3) + numpy.eye(3))


def test_an_extension_for_another_python_is_refused_clearly(python, tmp_path):
    from conftest import write_tree

    # Another CPython that bale packs for: 3.12 under 3.11, 3.11 under any other.
    version = "3.12" if sys.version_info[:2] == (3, 11) else "3.11"
    tag = version.replace(".", "")
    extension = f"fast.cpython-{tag}-x86_64-linux-gnu.so"
    tree = write_tree(tmp_path / "t", {extension: b"\x7fELF", "ok.py": "X = 1\n"})
    other = pack([tree], tmp_path / "other.bale", "--content", "source", python=_python(version))
    out = python.out(
        f"""
        import bale
        f = bale.install({str(other)!r})
        print(f.target)
        import ok
        try:
            import fast
        except bale.BaleError as e:
            print(e.name, e)
        """
    )
    target, error = out.splitlines()
    assert target == f"cpython-{version}-x86_64-linux-gnu"
    assert error.startswith(f"fast {other}: fast: {extension} is an extension module "
                            f"for cpython-{version}-x86_64-linux-gnu; this interpreter is cpython-3.")


def _python(version):
    import glob

    found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    assert found, f"CPython {version} is needed to pack a bale for another Python"
    return found[-1]
