# Static import analysis for `bale pack --app --detect static|both`:
#   python -I static.py ROOT < request.json > modules.json
# ROOT: the app's folder, first on sys.path ("-" for none). The request:
#   {"seeds": [file, ...], "entry": module or null, "known": [module, ...],
#    "expand_known": bool}
# Starting from the seed files (a script) or the entry module, follows every import statement
# (absolute and relative, `from a import b` where b is a submodule, and
# `importlib.import_module("literal")`) transitively, resolving names as the path
# finder would but without running any module. Imports under `if TYPE_CHECKING:` are
# skipped. Modules in "known" (seen imported at run time) are included but not
# followed unless "expand_known" is set, because their run-time imports were seen.
# Answers [{"name", "origin", "package"}] for every module found, and the names that
# resolved to nothing under "unresolved".
import ast
import json
import os
import sys
import warnings
from importlib.machinery import PathFinder

warnings.simplefilter("ignore")
root = sys.argv[1]
if root != "-":
    sys.path.insert(0, root)
request = json.load(sys.stdin)
known = set(request["known"])
expand_known = request["expand_known"]
entry = request.get("entry")

specs = {}  # name -> spec or None


def path_spec(name, path):
    """PathFinder.find_spec(name, path), but a namespace package's locations are a plain
    list: the `_NamespacePath` find_spec makes looks its parent up in sys.modules,
    which holds nothing here (numpy._core.include below an unimported numpy._core)."""
    get = getattr(PathFinder, "_get_spec", None)
    if get is None:
        return PathFinder.find_spec(name, path)
    spec = get(name, path)
    if spec is None or spec.loader is not None:
        return spec
    if not spec.submodule_search_locations:
        return None
    spec.origin = None
    return spec


def find(name):
    """The spec the path finder would give `name`, without importing anything."""
    if name in specs:
        return specs[name]
    spec = None
    if name not in sys.builtin_module_names:
        parent, _, _ = name.rpartition(".")
        try:
            if not parent:
                spec = path_spec(name, sys.path)
            else:
                parent_spec = find(parent)
                locations = parent_spec and parent_spec.submodule_search_locations
                spec = path_spec(name, list(locations)) if locations else None
        except (ImportError, ValueError, OSError):
            spec = None
    specs[name] = spec
    return spec


def is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_names(tree, name, is_package):
    package = name if is_package else name.rpartition(".")[0]
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                if node.level - 1 > len(parts):
                    continue
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{base}.{node.module}" if node.module and base else (node.module or base)
            else:
                base = node.module
            if not base:
                continue
            yield base
            for alias in node.names:
                if alias.name != "*":
                    yield f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if callee in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.args[0].value
        stack.extend(ast.iter_child_nodes(node))


def parse(path):
    try:
        with open(path, "rb") as f:
            return ast.parse(f.read(), path)
    except (SyntaxError, ValueError, OSError):
        return None


found = {}  # name -> (origin, package)
unresolved = set()
queue = []


def add(name):
    """Adds a module and the packages above it; queues what is to be followed."""
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        if prefix in found:
            continue
        spec = find(prefix)
        if spec is None:
            if i == len(parts) and prefix not in sys.builtin_module_names:
                unresolved.add(prefix)
            return
        origin = spec.origin if spec.has_location else None
        is_package = spec.submodule_search_locations is not None
        found[prefix] = (origin, is_package)
        in_app = origin is not None and root != "-" and origin.startswith(os.path.join(root, ""))
        if origin and origin.endswith(".py") and (in_app or expand_known or prefix not in known or prefix == entry):
            queue.append((prefix, origin, is_package))


for seed in request["seeds"]:
    rel = os.path.relpath(seed, root) if root != "-" else os.path.basename(seed)
    name = rel[:-3].replace(os.sep, ".") if rel.endswith(".py") else rel
    is_package = name.endswith(".__init__") or name == "__init__"
    name = name.removesuffix("__init__").rstrip(".")
    queue.append((name, seed, is_package))
if request.get("entry"):
    add(request["entry"])
    if found.get(request["entry"], (None, False))[1]:
        add(request["entry"] + ".__main__")  # what `python -m PACKAGE` runs
while queue:
    name, origin, is_package = queue.pop()
    tree = parse(origin)
    if tree is None:
        continue
    for imported in imported_names(tree, name, is_package):
        if imported not in found:
            add(imported)

# `from a import b` also names attributes, which resolve to nothing: not worth a word.
attributes = {n for n in unresolved if n.rpartition(".")[0] in found}
json.dump(
    {
        "modules": [{"name": n, "origin": o, "package": p} for n, (o, p) in sorted(found.items())],
        "unresolved": sorted(unresolved - attributes),
    },
    sys.stdout,
)
