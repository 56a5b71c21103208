"""The installed `bale` package as users' tools see it: its type stub and `py.typed`
ship with it, and the stub names exactly what the module holds."""

import ast
import importlib.util
from pathlib import Path

import bale


def test_the_package_is_typed_and_its_stub_matches_the_module():
    folder = Path(bale.__file__).parent
    assert (folder / "py.typed").is_file()
    stub = folder / "bale.pyi"  # the extension module's; __init__.py re-exports it
    assert stub.is_file()
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    declared = {node.name for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
    declared |= {
        node.target.id for node in tree.body if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    declared = {name for name in declared if not name.startswith("_") or name == "__version__"}
    public = {name for name in dir(bale.bale) if not name.startswith("_") or name == "__version__"}
    assert declared == public


def test_the_version_is_the_crates():
    assert bale.__version__.count(".") == 2
    assert importlib.util.find_spec("bale.bale") is not None
