"""Under load: while 32 threads import modules and read resources and files from three
bales, another thread keeps installing and uninstalling a fourth. For a fixed number
of rounds nothing may deadlock (the run has a time limit), crash, or return other
bytes than were packed."""

from conftest import pack, write_tree

MODULES = 40
ROUNDS = 150


def tree(root, package):
    files = {f"{package}/__init__.py": ""}
    for i in range(MODULES):
        files[f"{package}/m{i}.py"] = f"VALUE = {package!r} + '{i}'\nDATA = {i * 3}\n"
        files[f"{package}/data/d{i}.txt"] = f"{package}:{i}:" * (50 + i)
    return write_tree(root, files)


def test_imports_and_reads_from_many_threads_while_bales_come_and_go(python, tmp_path):
    bales = [pack([tree(tmp_path / p, p)], tmp_path / f"{p}.bale") for p in ("alpha", "beta", "gamma", "churn")]
    out = python.out(
        f"""
        import importlib, importlib.resources, sys, threading
        import bale

        MODULES, ROUNDS = {MODULES}, {ROUNDS}
        packages = ["alpha", "beta", "gamma"]
        finders = {{p: bale.install(b) for p, b in zip(packages, {[str(b) for b in bales[:3]]!r})}}
        failures = []

        def expected(package, i):
            return (f"{{package}}:{{i}}:" * (50 + i)).encode()

        def worker(n):
            try:
                for r in range(ROUNDS):
                    package = packages[(n + r) % 3]
                    i = (n * 7 + r) % MODULES
                    finder = finders[package]
                    module = importlib.import_module(f"{{package}}.m{{i}}")
                    assert module.VALUE == f"{{package}}{{i}}", module.VALUE
                    namespace = {{}}
                    exec(finder.get_code(f"{{package}}.m{{i}}"), namespace)
                    assert namespace["DATA"] == i * 3
                    resource = importlib.resources.files(package).joinpath(f"data/d{{i}}.txt")
                    assert resource.read_bytes() == expected(package, i)
                    with open(f"{{finder.path}}/{{package}}/data/d{{i}}.txt", "rb") as f:
                        assert f.read() == expected(package, i)
            except BaseException as e:
                failures.append(f"worker {{n}}: {{type(e).__name__}}: {{e}}")

        def churn():
            try:
                for r in range(ROUNDS):
                    finder = bale.install({str(bales[3])!r})
                    module = importlib.import_module(f"churn.m{{r % MODULES}}")
                    assert module.VALUE == f"churn{{r % MODULES}}"
                    assert finder.get_data(f"{{finder.path}}/churn/data/d0.txt") == expected("churn", 0)
                    finder.uninstall()
                    for name in [m for m in sys.modules if m == "churn" or m.startswith("churn.")]:
                        del sys.modules[name]
            except BaseException as e:
                failures.append(f"churn: {{type(e).__name__}}: {{e}}")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)] + [threading.Thread(target=churn)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(len(failures))
        print("\\n".join(failures[:5]))
        """
    )
    assert out.splitlines()[0] == "0", out
