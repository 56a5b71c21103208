# Compiles sources to .pyc files for the packer.
#
# stdin:  for each file, u32 name length, name (the path recorded as co_filename),
#         u32 source length, source bytes; all little-endian.
# stdout: for each file, in order, u8 status (0 compiled, 1 failed), u32 length, then
#         the .pyc bytes or the error message; when stripping docstrings and compiled,
#         then u32 length and the source the .pyc was compiled from.
#
# argv: OPTIMIZE (0, 1, 2 as `python -O`), STRIP (1: drop docstrings, see strip()).
#
# The .pyc files are checked hash-based (PEP 552): valid exactly as long as their
# source is unchanged, whatever the file times say.
import ast
import importlib.util
import struct
import sys
import warnings
from importlib._bootstrap_external import _code_to_hash_pyc

optimize = int(sys.argv[1]) if len(sys.argv) > 1 else 0
strip_docstrings = len(sys.argv) > 2 and sys.argv[2] == "1"
warnings.simplefilter("ignore")
inp, out = sys.stdin.buffer, sys.stdout.buffer


def read(n):
    data = inp.read(n)
    if len(data) != n:
        raise EOFError("truncated request")
    return data


def docstrings(tree):
    """The docstring nodes of a module, its classes and functions, each with whether it
    is the only statement of its body."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                yield node, first


def shape(tree):
    """The tree without docstrings, as text, and the line of every node: what must not
    change when docstrings are cut out of the source."""
    for node, doc in list(docstrings(tree)):
        node.body.remove(doc)
        if not node.body and not isinstance(node, ast.Module):
            node.body.append(ast.Pass(lineno=doc.lineno, col_offset=doc.col_offset))
    lines = [(type(n).__name__, n.lineno) for n in ast.walk(tree) if hasattr(n, "lineno") and not isinstance(n, ast.Pass)]
    return ast.dump(tree), lines


def strip(source):
    """The source with its docstrings cut out, every other line where it was (a
    multi-line docstring leaves blank lines; one that is a body's only statement
    becomes `pass`), so tracebacks and the bytecode's line numbers still match the
    original. Unchanged when that cannot be done safely: a source that is not UTF-8,
    or a docstring sharing its line with other code."""
    try:
        text = source.decode("utf-8")
        tree = ast.parse(source)
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return source
    lines = text.splitlines(keepends=True)
    spans = sorted(((doc, not isinstance(node, ast.Module) and len(node.body) == 1)
                    for node, doc in docstrings(tree)), key=lambda d: d[0].lineno, reverse=True)
    if not spans:
        return source
    for doc, needs_pass in spans:
        first, last = doc.lineno - 1, doc.end_lineno - 1
        # ast columns count UTF-8 bytes.
        head = lines[first].encode()[: doc.col_offset].decode()
        tail = lines[last].encode()[doc.end_col_offset:].decode()
        if tail.strip() and not tail.lstrip().startswith("#"):
            return source
        newline = tail[len(tail.rstrip("\r\n")):] or "\n"
        lines[first] = head + ("pass" if needs_pass else "") + newline
        for i in range(first + 1, last + 1):
            lines[i] = newline
    stripped = "".join(lines)
    try:
        if shape(ast.parse(stripped)) != shape(tree):
            return source
    except (SyntaxError, ValueError):
        return source
    return stripped.encode("utf-8")


while header := inp.read(4):
    (n,) = struct.unpack("<I", header)
    name = read(n).decode("utf-8")
    (n,) = struct.unpack("<I", read(4))
    source = read(n)
    try:
        if strip_docstrings:
            source = strip(source)
        code = compile(source, name, "exec", dont_inherit=True, optimize=optimize)
        result = bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), checked=True))
        status = 0
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError) as e:
        result = f"{type(e).__name__}: {e}".encode("utf-8", "replace")
        status = 1
    out.write(struct.pack("<BI", status, len(result)))
    out.write(result)
    if strip_docstrings and status == 0:
        out.write(struct.pack("<I", len(source)))
        out.write(source)
out.flush()
