"""static.py: the import forms it follows, and those it must not."""

from conftest import write_tree


def test_follows_every_import_form(tmp_path, analyse):
    root = write_tree(tmp_path, {
        "main.py": """
            import plain
            import deep.inner as alias
            from pkg import sub
            from pkg.sub import name_not_a_module
            import importlib
            importlib.import_module("dynamic_literal")
            __import__("via_dunder")
        """,
        "plain.py": "",
        "deep/__init__.py": "",
        "deep/inner.py": "from . import sibling\nfrom .. import nothing_above_the_root\n",
        "deep/sibling.py": "",
        "pkg/__init__.py": "",
        "pkg/sub.py": "name_not_a_module = 1\n",
        "dynamic_literal.py": "",
        "via_dunder.py": "",
    })
    found, unresolved = analyse(root, seeds=[root / "main.py"])
    for name in ["plain", "deep", "deep.inner", "deep.sibling", "pkg", "pkg.sub", "dynamic_literal", "via_dunder"]:
        assert name in found, name
    assert found["deep.sibling"] == str(root / "deep" / "sibling.py")
    # An attribute imported from a module is neither a module nor worth a word.
    assert "pkg.sub.name_not_a_module" not in found
    assert "pkg.sub.name_not_a_module" not in unresolved


def test_leaves_out_type_checking_blocks_and_reports_what_is_not_installed(tmp_path, analyse):
    root = write_tree(tmp_path, {
        "main.py": """
            from typing import TYPE_CHECKING
            import typing
            if TYPE_CHECKING:
                import only_for_types
            if typing.TYPE_CHECKING:
                import also_only_for_types
            else:
                import at_run_time
            try:
                import optional_speedup
            except ImportError:
                optional_speedup = None
        """,
        "only_for_types.py": "",
        "also_only_for_types.py": "",
        "at_run_time.py": "",
    })
    found, unresolved = analyse(root, seeds=[root / "main.py"])
    assert "only_for_types" not in found and "also_only_for_types" not in found
    assert "at_run_time" in found
    assert "optional_speedup" in unresolved


def test_a_package_entry_takes_its_main_and_known_modules_are_not_followed(tmp_path, analyse):
    root = write_tree(tmp_path, {
        "app/__init__.py": "",
        "app/__main__.py": "import app.cli\n",
        "app/cli.py": "import helper\n",
        "helper.py": "import behind_helper\n",
        "behind_helper.py": "",
    })
    found, _ = analyse(root, entry="app", known=["helper"])
    assert {"app", "app.__main__", "app.cli", "helper"} <= set(found)
    # `helper` lies in the app's folder, so it is followed even when known.
    assert "behind_helper" in found


def test_source_that_does_not_parse_is_skipped(tmp_path, analyse):
    root = write_tree(tmp_path, {"main.py": "import broken\nimport fine\n", "broken.py": "def (:\n", "fine.py": ""})
    found, _ = analyse(root, seeds=[root / "main.py"])
    assert "broken" in found and "fine" in found


def test_a_namespace_package_inside_a_package_that_is_not_imported(tmp_path, analyse):
    # As numpy._core.include: a folder without __init__ inside a regular package. The
    # path finder's own spec for it looks its parent up in sys.modules (KeyError).
    root = write_tree(tmp_path, {
        "main.py": "import pkg.core.data.tables\n",
        "pkg/__init__.py": "",
        "pkg/core/__init__.py": "",
        "pkg/core/data/tables.py": "",
    })
    found, unresolved = analyse(root, seeds=[root / "main.py"])
    assert found["pkg.core.data.tables"] == str(root / "pkg" / "core" / "data" / "tables.py")
    assert "pkg.core.data" in found and not unresolved

