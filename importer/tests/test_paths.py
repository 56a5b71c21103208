"""Path-based tools: pkgutil, sys.path_hooks, the path finder, namespace packages."""

from conftest import write_tree


def test_pkgutil_iter_modules_and_walk_packages(python, app_bale):
    out = python.out(
        f"""
        import bale, pkgutil
        bale.install({str(app_bale)!r})
        import app
        print(sorted((m.name, m.ispkg) for m in pkgutil.iter_modules(app.__path__)))
        print(sorted(m.name for m in pkgutil.walk_packages(app.__path__, "app.")))
        top = {{m.name for m in pkgutil.iter_modules()}}
        print(sorted(top & {{"app", "top", "nsp"}}))
        """
    )
    lines = out.splitlines()
    # Folders without __init__ (data, nsp) are not listed, as on disk.
    assert lines[0] == "[('core', False), ('encoded', False), ('plugins', True), ('warn', False)]"
    assert lines[1] == (
        "['app.core', 'app.encoded', 'app.plugins', 'app.plugins._private', 'app.plugins.one', "
        "'app.plugins.two', 'app.warn']"
    )
    assert lines[2] == "['app', 'top']"


def test_the_path_hook_serves_the_bale_as_folders(python, app_bale):
    out = python.out(
        f"""
        import bale, importlib.machinery, sys
        bale.install({str(app_bale)!r})
        root = {str(app_bale)!r}
        spec = importlib.machinery.PathFinder.find_spec("app.core", [root + "/app"])
        print(spec.origin, type(sys.path_importer_cache[root + "/app"]).__name__)
        print(importlib.machinery.PathFinder.find_spec("app.core", [root]))
        for path in [root + "/app/core.py", "/not/a/bale", root + "x"]:
            try:
                bale.path_hook(path)
                print("served", path)
            except ImportError:
                print("refused", path.rsplit("/", 1)[-1])
        """
    )
    lines = out.splitlines()
    assert lines[0] == f"{app_bale}/app/core.py BalePathFinder"
    assert lines[1] == "None"
    assert lines[2:] == ["refused core.py", "refused bale", f"refused {app_bale.name}x"]


def test_namespace_packages_span_the_bale_and_the_disk(python, app_bale, tmp_path):
    disk = write_tree(tmp_path / "disk", {"nsp/b.py": "WHERE = 'disk'\n", "nsp/deeper/c.py": "WHERE = 'disk too'\n"})
    out = python.out(
        f"""
        import sys
        sys.path.append({str(disk)!r})
        import bale
        bale.install({str(app_bale)!r})
        import nsp.a, nsp.b, nsp.deeper.c
        print(nsp.a.WHERE, nsp.b.WHERE, nsp.deeper.c.WHERE)
        print(nsp.__file__, nsp.__spec__.origin)
        print(list(nsp.__path__) == [{str(app_bale)!r} + "/nsp", {str(disk)!r} + "/nsp"])
        """
    )
    assert out.splitlines() == ["bale disk disk too", "None None", "True"]


def test_a_submodule_is_only_served_to_its_own_parent(python, app_bale, tmp_path):
    # `app` imported from the disk before the bale is installed: `app.plugins` is then
    # looked for in the disk's `app`, not taken from the bale.
    disk = write_tree(tmp_path / "disk", {"app/__init__.py": "WHERE = 'disk'\n"})
    done = python.run(
        f"""
        import sys
        sys.path.insert(0, {str(disk)!r})
        import app
        import bale
        bale.install({str(app_bale)!r})
        try:
            import app.plugins
            print("served from", app.plugins.__file__)
        except ImportError:
            print("not in the disk's app")
        """
    )
    assert done.stdout.strip() == "not in the disk's app"
