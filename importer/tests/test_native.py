"""Extension modules and the shared libraries they need, loaded from a bale: from the
per-user cache of native code (the default), or from memory."""

import json
import os
import stat
import subprocess
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
        bale.install({str(native_bale)!r}, native="memory")
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
        env={"TMPDIR": str(scratch), "XDG_CACHE_HOME": str(scratch)},
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
    # Nothing was unpacked anywhere, not even into the cache.
    assert os.listdir(scratch) == []


NUMPY = """
    import json, os
    import bale
    bale.install({bale!r})
    import markupsafe._speedups, numpy, numpy.linalg
    a = numpy.arange(1.0, 10.0).reshape(3, 3) + numpy.eye(3)
    maps = open("/proc/self/maps").read().splitlines()
    print(json.dumps({{
        "det": round(float(numpy.linalg.det(a)), 6),
        "memfd": sorted({{l.split()[5] for l in maps if "/memfd:" in l}}),
        "cached": sorted({{l.split()[-1] for l in maps if {cache!r} in l}}),
    }}))
"""


def cache_files(folder):
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_native_code_is_cached_once_per_user_and_loaded_from_there(python, native_bale, tmp_path):
    cache = tmp_path / "cache"
    code = NUMPY.format(bale=str(native_bale), cache=str(cache))
    first = json.loads(python.out(code, env={"XDG_CACHE_HOME": str(cache)}))
    folder = cache / "bale" / "native"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = cache_files(folder)
    assert all(stat.S_IMODE((folder / f).stat().st_mode) == 0o444 for f in files), "cached files are read-only"
    assert not [f for f in files if f.endswith(".tmp")]
    assert first["det"] == round(float(_det()), 6)
    assert first["memfd"] == [], "nothing in private memory"
    loaded = {os.path.basename(p).split("-", 1)[1] for p in first["cached"]}
    assert any(n.startswith("_multiarray_umath.") for n in loaded), loaded
    assert any(n.startswith("libscipy_openblas") for n in loaded), loaded
    assert any(n.startswith("_speedups.") for n in loaded), loaded
    # A second process loads the same files, written by the first: none is rewritten.
    second = json.loads(python.out(code, env={"XDG_CACHE_HOME": str(cache)}))
    assert second == first
    assert cache_files(folder) == files


def test_a_damaged_or_writable_cached_file_is_replaced_from_the_bale(python, native_bale, tmp_path):
    cache = tmp_path / "cache"
    code = NUMPY.format(bale=str(native_bale), cache=str(cache))
    env = {"XDG_CACHE_HOME": str(cache)}
    first = json.loads(python.out(code, env=env))
    folder = cache / "bale" / "native"
    umath = next(folder / f for f in os.listdir(folder) if "_multiarray_umath" in f)
    speedups = next(folder / f for f in os.listdir(folder) if "_speedups" in f)
    good = umath.read_bytes()
    os.chmod(umath, 0o644)
    damaged = bytearray(good)
    damaged[len(damaged) // 2] ^= 0x40
    umath.write_bytes(damaged)
    os.chmod(umath, 0o444)
    os.chmod(speedups, 0o644)  # whole, but writable: not trusted either
    before = cache_files(folder)
    again = json.loads(python.out(code, env=env))
    assert again == first
    after = cache_files(folder)
    # Both written again (the system may give a new file the number of the old one).
    assert umath.read_bytes() == good and stat.S_IMODE(umath.stat().st_mode) == 0o444
    assert stat.S_IMODE(speedups.stat().st_mode) == 0o444
    untouched = set(before) - {umath.name, speedups.name}
    assert {f: after[f] for f in untouched} == {f: before[f] for f in untouched}


def test_without_a_usable_cache_native_code_loads_from_memory_with_one_warning(python, native_bale, tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    code = NUMPY.format(bale=str(native_bale), cache=str(not_a_folder))
    done = python.run(code, env={"XDG_CACHE_HOME": str(not_a_folder)})
    got = json.loads(done.stdout)
    assert got["det"] == round(float(_det()), 6)
    assert any("_multiarray_umath" in n for n in got["memfd"]), got
    warnings = [line for line in done.stderr.splitlines() if "RuntimeWarning" in line]
    assert len(warnings) == 1, done.stderr
    assert "the native code cache cannot be used" in warnings[0] and str(not_a_folder) in warnings[0]


def test_a_full_cache_disk_falls_back_to_memory(python, native_bale, tmp_path):
    disk = tmp_path / "small"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"a 1 MiB tmpfs cannot be mounted here: {mounted.stderr.strip()}")
    try:
        code = NUMPY.format(bale=str(native_bale), cache=str(disk))
        done = python.run(code, env={"XDG_CACHE_HOME": str(disk)})
        got = json.loads(done.stdout)
        assert got["det"] == round(float(_det()), 6)
        # The small extension went into the cache; OpenBLAS (over 1 MiB) could not.
        assert any("_speedups" in n for n in got["cached"]), got
        assert any(n.startswith("/memfd:libscipy_openblas") for n in got["memfd"]), got
        assert "No space left on device" in done.stderr and done.stderr.count("RuntimeWarning") == 1
        assert not [f for f in os.listdir(disk / "bale" / "native") if f.endswith(".tmp")]
    finally:
        subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.parametrize("native", ["cache", "memory"])
def test_two_bales_with_different_libraries_of_one_name_each_get_their_own(python, tmp_path, native):
    bales = [_twin_bale(tmp_path, value) for value in (1, 2)]
    out = python.out(
        f"""
        import bale
        for path in {list(map(str, bales))!r}:
            bale.install(path, native={native!r})
        import twin1, twin2
        print(twin1.value(), twin2.value())
        """,
        env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "BALE_NATIVE": "nonsense"},
    )
    assert out.split() == ["1", "2"]


def _twin_bale(tmp_path, value):
    """A bale of `twin{value}`, an extension module that calls `libbaletwin.so`, which
    the bale carries too: the library of each value has the same name and SONAME."""
    tree = tmp_path / f"twin{value}"
    # The first where auditwheel puts a wheel's libraries (not a package); the second
    # inside a package, where it looks like an extension module (as scipy's
    # `scipy/special/libsf_error_state.so` does).
    libs = tree / (f"twin{value}.libs" if value == 1 else f"twinlibs{value}")
    libs.mkdir(parents=True)
    if value != 1:
        (libs / "__init__.py").write_text("")
    (tmp_path / f"lib{value}.c").write_text(f"int twin_value(void) {{ return {value}; }}\n")
    (tmp_path / f"ext{value}.c").write_text(
        "#include <Python.h>\n"
        "int twin_value(void);\n"
        "static PyObject *value(PyObject *self, PyObject *args) { return PyLong_FromLong(twin_value()); }\n"
        "static PyMethodDef methods[] = {{\"value\", value, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};\n"
        f"static struct PyModuleDef def = {{PyModuleDef_HEAD_INIT, \"twin{value}\", NULL, -1, methods}};\n"
        f"PyMODINIT_FUNC PyInit_twin{value}(void) {{ return PyModule_Create(&def); }}\n"
    )
    library = libs / "libbaletwin.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), "-Wl,-soname,libbaletwin.so",
                    str(tmp_path / f"lib{value}.c")], check=True)
    extension = tree / f"twin{value}{sysconfig.get_config_var('EXT_SUFFIX')}"
    subprocess.run(["cc", "-shared", "-fPIC", f"-I{sysconfig.get_paths()['include']}", "-o", str(extension),
                    str(tmp_path / f"ext{value}.c"), f"-L{library.parent}", "-lbaletwin"], check=True)
    return pack([tree], tmp_path / f"twin{value}.bale")


def test_bale_native_chooses_memory_for_every_finder(python, native_bale, tmp_path):
    cache = tmp_path / "cache"
    code = NUMPY.format(bale=str(native_bale), cache=str(cache))
    got = json.loads(python.out(code, env={"XDG_CACHE_HOME": str(cache), "BALE_NATIVE": "memory"}))
    assert got["det"] == round(float(_det()), 6)
    assert any("_multiarray_umath" in n for n in got["memfd"]) and got["cached"] == []
    assert not cache.exists()


def test_a_bad_native_mode_is_refused(python, native_bale):
    done = python.run(f"import bale; bale.install({str(native_bale)!r}, native='disk')", check=False)
    assert done.returncode == 1 and "native must be 'cache' or 'memory', not 'disk'" in done.stderr
    done = python.run(f"import bale; bale.install({str(native_bale)!r})", env={"BALE_NATIVE": "disk"}, check=False)
    assert done.returncode == 1 and "BALE_NATIVE must be 'cache' or 'memory', not 'disk'" in done.stderr


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
