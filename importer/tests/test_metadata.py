"""importlib.metadata finds the distributions whose metadata a bale holds."""

import json


def test_distribution_version_requires_entry_points_files(python, app_bale):
    out = python.out(
        f"""
        import bale, json, sys
        bale.install({str(app_bale)!r})
        import importlib.metadata as md
        dist = md.distribution("app")
        eps = md.entry_points()
        scripts = eps.select(group="console_scripts") if hasattr(eps, "select") else eps["console_scripts"]
        plugins = eps.select(group="app.plugins") if hasattr(eps, "select") else eps["app.plugins"]
        plugin = [ep for ep in plugins if ep.name == "one"][0].load()
        files = md.files("app")
        print(json.dumps({{
            "subclass": isinstance(dist, md.Distribution),
            "version": md.version("app"),
            "name": dist.metadata["Name"],
            "summary": md.metadata("app")["Summary"],
            "requires": md.requires("app"),
            "scripts": [(ep.name, ep.value) for ep in scripts if ep.name == "app"],
            "plugin": plugin.NAME,
            "files": sorted(str(f) for f in files),
            "file_text": [f for f in files if str(f) == "app/data/config.json"][0].read_text(),
            "located": str([f for f in files if str(f) == "app/core.py"][0].locate()),
            "top_level": dist.read_text("top_level.txt"),
            "missing_file": dist.read_text("nothing.txt"),
            "normalized": md.version("APP"),
            "in_all": "app" in [d.metadata["Name"] for d in md.distributions()],
        }}))
        try:
            md.version("not-in-the-bale-at-all")
        except md.PackageNotFoundError:
            print("not found")
        """
    )
    lines = out.splitlines()
    got = json.loads(lines[0])
    assert got == {
        "subclass": True,
        "version": "1.0",
        "name": "app",
        "summary": "A test app",
        "requires": ["rich>=13", 'click; extra == "cli"'],
        "scripts": [["app", "app.core:run"]],
        "plugin": "one",
        "files": [
            "app-1.0.dist-info/METADATA",
            "app-1.0.dist-info/RECORD",
            "app/__init__.py",
            "app/core.py",
            "app/data/config.json",
        ],
        "file_text": '{"answer": 42}\n',
        "located": f"{app_bale}/app/core.py",
        "top_level": "app\n",
        "missing_file": None,
        "normalized": "1.0",
        "in_all": True,
    }
    assert lines[1] == "not found"


def test_the_bale_wins_over_site_packages_and_goes_away_on_uninstall(python, app_bale, tmp_path):
    from conftest import write_tree

    disk = write_tree(tmp_path / "disk", {"app-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: app\nVersion: 0.1\n"})
    out = python.out(
        f"""
        import sys
        sys.path.append({str(disk)!r})
        import bale
        import importlib.metadata as md
        finder = bale.install({str(app_bale)!r})
        print(md.version("app"))
        finder.uninstall()
        print(md.version("app"))
        """
    )
    assert out.split() == ["1.0", "0.1"]
