"""Bad input gets a clear exception, never a crash; and imports from many threads."""

from conftest import pack, write_tree


def test_a_damaged_entry_is_an_import_error_naming_the_bale_and_module(python, app_bale, tmp_path):
    data = app_bale.read_bytes()
    needle = b"boom from core"
    assert data.count(needle) >= 1
    damaged = tmp_path / "damaged.bale"
    damaged.write_bytes(data.replace(needle, b"BOOM from core"))
    done = python.run(
        f"""
        import bale
        bale.install({str(damaged)!r})
        try:
            import app.core
        except ImportError as e:
            print(type(e).__name__, e.name, e.path)
            print(e)
        import nsp.a
        print("still working", nsp.a.WHERE)
        """,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    kind, rest = done.stdout.splitlines()[0].split(" ", 1)
    assert kind == "BaleError"
    assert rest.startswith("app.core ") and rest.endswith(str(damaged))
    assert f"{damaged}: app.core: corrupt bale: payload" in done.stdout
    assert "checksum mismatch" in done.stdout
    assert "still working bale" in done.stdout


def test_install_refuses_what_it_cannot_read(python, app_bale, tmp_path):
    data = app_bale.read_bytes()
    (tmp_path / "truncated.bale").write_bytes(data[:-7])
    (tmp_path / "text.bale").write_text("not a bale at all")
    version2 = bytearray(data)
    version2[8] = 2
    (tmp_path / "v2.bale").write_bytes(bytes(version2))
    out = python.out(
        f"""
        import bale
        for name in ["missing.bale", "truncated.bale", "text.bale", "v2.bale", "."]:
            try:
                bale.install({str(tmp_path)!r} + "/" + name)
                print(name, "installed?!")
            except (OSError, bale.BaleError) as e:
                print(name, type(e).__name__, str(e).replace({str(tmp_path)!r}, "DIR"))
        try:
            bale.install(b"")
        except bale.BaleError as e:
            print("empty", e)
        try:
            bale.install(12345)
        except TypeError as e:
            print("int", type(e).__name__)
        """
    )
    lines = out.splitlines()
    assert lines[0] == "missing.bale FileNotFoundError [Errno 2] No such file or directory: 'DIR/missing.bale'"
    assert lines[1].startswith("truncated.bale BaleError DIR/truncated.bale: truncated bale:")
    assert lines[2] == "text.bale BaleError DIR/text.bale: not a bale: the data does not start with the bale signature"
    assert "v2.bale BaleError" in lines[3] and "bale format version 2." in lines[3] and "not supported" in lines[3]
    assert lines[4].startswith(". IsADirectoryError")
    assert lines[5].startswith("empty /memory/") and "truncated bale" in lines[5]
    assert lines[6] == "int TypeError"


def test_concurrent_imports_from_many_threads(python, tmp_path):
    # 300 modules in 10 packages, imported by 16 threads at once, overlapping.
    files = {}
    for p in range(10):
        files[f"many{p}/__init__.py"] = f"PACKAGE = {p}\n"
        for m in range(30):
            files[f"many{p}/m{m}.py"] = f"import many{p}\nVALUE = {p * 100 + m}\nTABLE = list(range({m}))\n"
    tree = write_tree(tmp_path / "many", files)
    many = pack([tree], tmp_path / "many.bale")
    out = python.out(
        f"""
        import importlib, sys, threading
        import bale
        bale.install({str(many)!r})
        names = [f"many{{p}}.m{{m}}" for p in range(10) for m in range(30)]
        results, errors = {{}}, []
        barrier = threading.Barrier(16)
        def work(i):
            barrier.wait()
            for name in names[i * 7:] + names[:i * 7]:
                try:
                    results.setdefault(name, set()).add(id(importlib.import_module(name)))
                except Exception as e:
                    errors.append(repr(e))
        threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
        for t in threads: t.start()
        for t in threads: t.join()
        ok = all(len(ids) == 1 for ids in results.values()) and len(results) == 300
        values = sorted(sys.modules[n].VALUE for n in names)
        print(ok, errors[:3], values == sorted(p * 100 + m for p in range(10) for m in range(30)))
        """
    )
    assert out.strip() == "True [] True"


def test_a_framed_bale_installs_from_a_path_or_bytes_and_a_damaged_one_is_refused(python, app_tree, tmp_path):
    framed = pack([app_tree], tmp_path / "app.bale.zst")
    assert framed.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
    damaged = bytearray(framed.read_bytes())
    damaged[len(damaged) // 2] ^= 0x55
    (tmp_path / "damaged.bale.zst").write_bytes(bytes(damaged))
    out = python.out(
        f"""
        import bale, sys
        finder = bale.install({str(framed)!r})
        import app
        print(app.run(), app.__file__ == {str(framed)!r} + "/app/__init__.py")
        finder.uninstall()
        del sys.modules["app"], sys.modules["app.core"]
        data = open({str(framed)!r}, "rb").read()
        plain = bale.unframe(data)
        print(plain[:5] == b"\\x89BALE", len(plain) > len(data))
        finder = bale.install(data, path="/mem/app.bale")
        import app.core
        print(app.core.run())
        for source in [{str(tmp_path / "damaged.bale.zst")!r}, data[:-9]]:
            try:
                bale.install(source)
            except bale.BaleError as e:
                print("refused:", "zstd frame" in str(e))
        """
    )
    assert out.splitlines() == ["ran True", "True True", "ran", "refused: True", "refused: True"]


def test_file_access_into_a_damaged_bale_raises_oserror(python, app_bale, tmp_path):
    # Every hash bucket of the file tree damaged: every lookup by path fails its check.
    data = bytearray(app_bale.read_bytes())
    files_buckets = int.from_bytes(data[152 + 16 : 152 + 24], "little")
    for bucket in range(int.from_bytes(data[152 + 24 : 152 + 28], "little")):
        data[files_buckets + 64 * bucket + 3] ^= 0xFF
    damaged = tmp_path / "damaged.bale"
    damaged.write_bytes(bytes(data))
    out = python.out(
        f"""
        import bale, errno, os
        finder = bale.install({str(damaged)!r}, path="/d/app.bale")
        outcomes = []
        for call in (lambda: os.stat("/d/app.bale/app/core.py"), lambda: open("/d/app.bale/app/data/config.json").read(),
                     lambda: os.listdir("/d/app.bale/app/data")):
            try:
                call()
                outcomes.append("ok")
            except OSError as e:
                outcomes.append(f"{{errno.errorcode[e.errno]}} {{'checksum mismatch' in str(e)}}")
        print(outcomes)
        """
    )
    # Every call that meets the damaged bucket says so as an OSError; none raises anything else.
    assert eval(out) == ["EIO True"] * 3
