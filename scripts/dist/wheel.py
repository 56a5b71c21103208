"""Assembles bale's wheels, for scripts/dist.sh.

  wheel.py complete IMPORTER.whl --command BALE --web DIR --out DIST
      The `bale` wheel: maturin's wheel of the importer (the `bale` package), with the
      `bale` command added as a script (as ruff and uv ship theirs) and the web parts
      (the loader, its types, the importer built for Pyodide) under `bale/_data/web/`.

  wheel.py runner RUNNER --version V --out DIST
      A companion wheel `bale-runner-cpXY` holding one runner of `bale exe`, tagged
      manylinux for the newest glibc symbol version the runner needs.

  wheel.py pyodide WASM --loader BUNDLE --python DIR --version V --out DIST
      The `bale` wheel for Pyodide 314 (`cp314-cp314-pyemscripten_2026_0_wasm32`, what
      micropip installs there): the package's Python (DIR), the importer built for
      Pyodide (WASM) and the loader bundled into one module (BUNDLE), which
      `await bale.load(url)` hands its work to.

Each prints the path of the wheel it wrote. RECORD is written anew, with the hash and
size of every file (PEP 376, PEP 427).
"""

import base64
import hashlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

# Mode bits of a regular file (pip makes a file executable only when they say so).
EXECUTABLE = 0o100755 << 16
PLAIN = 0o100644 << 16


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(path, entries):
    """Writes `entries` ([(name, bytes, executable)]), the dist-info's RECORD last."""
    dist_info = next(n.split("/")[0] for n, _, _ in entries if n.split("/")[0].endswith(".dist-info"))
    record_name = f"{dist_info}/RECORD"
    entries = [e for e in entries if e[0] != record_name]
    lines = [record_line(name, data) for name, data, _ in entries] + [f"{record_name},,"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data, executable in entries + [(record_name, ("\n".join(lines) + "\n").encode(), False)]:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = EXECUTABLE if executable else PLAIN
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    print(path)


def complete(importer_wheel, command, web, out):
    source = zipfile.ZipFile(importer_wheel)
    entries = [(i.filename, source.read(i), (i.external_attr >> 16) & 0o111 != 0) for i in source.infolist()]
    dist_info = next(n.split("/")[0] for n, _, _ in entries if n.split("/")[0].endswith(".dist-info"))
    data_dir = dist_info.replace(".dist-info", ".data")
    entries.append((f"{data_dir}/scripts/bale", Path(command).read_bytes(), True))
    for name in ["loader.mjs", "loader.d.mts", "pyscript.mjs", "embedded.mjs", "rest.mjs", "update.mjs", "xxh3.mjs", "bale.abi3.so", "package.json"]:
        entries.append((f"bale/_data/web/{name}", (Path(web) / name).read_bytes(), False))
    write_wheel(Path(out) / Path(importer_wheel).name, entries)


# Pyodide 314's platform, as its lock file names it (`abi_version` 2026_0), and the
# CPython it runs.
PYODIDE_TAG = "cp314-cp314-pyemscripten_2026_0_wasm32"


def pyodide(wasm, loader, python, version, out):
    entries = [(f"bale/{p.name}", p.read_bytes(), False) for p in sorted(Path(python).iterdir()) if p.is_file()]
    entries.append(("bale/bale.abi3.so", Path(wasm).read_bytes(), False))
    entries.append(("bale/_web/loader.mjs", Path(loader).read_bytes(), False))
    dist_info = f"bale-{version}.dist-info"
    entries.append((f"{dist_info}/METADATA", (
        "Metadata-Version: 2.1\n"
        "Name: bale\n"
        f"Version: {version}\n"
        "Summary: Import Python modules, resources, metadata and extension modules straight from a .bale file "
        "(the importer built for Pyodide).\n"
        "Requires-Python: >=3.14\n"
    ).encode(), False))
    entries.append((f"{dist_info}/WHEEL", (
        f"Wheel-Version: 1.0\nGenerator: bale scripts/dist/wheel.py\nRoot-Is-Purelib: false\nTag: {PYODIDE_TAG}\n"
    ).encode(), False))
    write_wheel(Path(out) / f"bale-{version}-{PYODIDE_TAG}.whl", entries)


def glibc_needed(binary):
    """The newest GLIBC_x.y symbol version `binary` needs, as (x, y)."""
    symbols = subprocess.run(["objdump", "-T", binary], capture_output=True, text=True, check=True).stdout
    versions = {tuple(map(int, v)) for v in re.findall(r"GLIBC_(\d+)\.(\d+)", symbols)}
    return max(versions, default=(2, 17))


def runner(binary, version, out):
    name = Path(binary).name  # bale-runner-cpython-3.11-x86_64-linux-gnu
    match = re.fullmatch(r"bale-runner-cpython-(\d+)\.(\d+)-(x86_64)-linux-gnu", name)
    if not match:
        sys.exit(f"{binary}: not a runner for CPython on x86-64 Linux")
    major, minor, arch = match.groups()
    project = f"bale-runner-cp{major}{minor}"
    package = project.replace("-", "_")
    glibc = glibc_needed(binary)
    tag = f"py3-none-manylinux_{glibc[0]}_{glibc[1]}_{arch}"
    dist_info = f"{package}-{version}.dist-info"
    metadata = (
        "Metadata-Version: 2.1\n"
        f"Name: {project}\n"
        f"Version: {version}\n"
        f"Summary: The runner `bale exe` makes single-file programs of, for CPython {major}.{minor} on {arch} Linux.\n"
        "License: MIT OR Apache-2.0\n"
    )
    wheel = f"Wheel-Version: 1.0\nGenerator: bale scripts/dist/wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n"
    init = (
        f'"""The runner of `bale exe` for CPython {major}.{minor}: `bale` finds the file beside this one."""\n'
    )
    entries = [
        (f"{package}/__init__.py", init.encode(), False),
        (f"{package}/{name}", Path(binary).read_bytes(), True),
        (f"{dist_info}/METADATA", metadata.encode(), False),
        (f"{dist_info}/WHEEL", wheel.encode(), False),
    ]
    write_wheel(Path(out) / f"{package}-{version}-{tag}.whl", entries)


def main(argv):
    if argv[:1] == ["complete"] and len(argv) == 8:
        options = dict(zip(argv[2::2], argv[3::2]))
        complete(argv[1], options["--command"], options["--web"], options["--out"])
    elif argv[:1] == ["runner"] and len(argv) == 6:
        options = dict(zip(argv[2::2], argv[3::2]))
        runner(argv[1], options["--version"], options["--out"])
    elif argv[:1] == ["pyodide"] and len(argv) == 10:
        options = dict(zip(argv[2::2], argv[3::2]))
        pyodide(argv[1], options["--loader"], options["--python"], options["--version"], options["--out"])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
