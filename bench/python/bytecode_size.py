"""Where a package's bytecode bytes go, compressed: the figures behind "bytecode is
about twice its source" and "no column ranges" in bench/README.md.

    python -X no_debug_ranges? bytecode_size.py PACKAGE_DIR

Compiles every module under PACKAGE_DIR (tests left out) with this interpreter and
prints, as raw KiB and brotli 9 KiB of all of them concatenated: the sources; the
marshalled code objects (what a .pyc holds after its header); and, within the code
objects, the instructions (`co_code`, with and without their inline caches, which
marshal writes as zeros) and the line and exception tables. Run it once as is and
once with `-X no_debug_ranges` to see what the column ranges cost. Needs `brotli`.
"""

import io
import marshal
import opcode
import pathlib
import sys
import types

import brotli


def caches(op):
    """Inline cache entries after an instruction (3.11+: a dict or a list by opcode)."""
    table = getattr(opcode, "_inline_cache_entries", None)
    if isinstance(table, dict):
        return table.get(opcode.opname[op], 0)
    return table[op] if table else 0


def main(root):
    files = sorted(p for p in pathlib.Path(root).rglob("*.py") if "tests" not in p.parts)
    parts = {name: io.BytesIO() for name in ("source", "bytecode", "co_code", "co_code, no caches", "tables")}

    def walk(code):
        raw = code.co_code
        parts["co_code"].write(raw)
        stripped = bytearray()
        i = 0
        while i < len(raw):
            stripped += raw[i : i + 2]
            i += 2 + 2 * caches(raw[i])
        parts["co_code, no caches"].write(stripped)
        parts["tables"].write(code.co_linetable)
        parts["tables"].write(getattr(code, "co_exceptiontable", b""))
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                walk(const)

    compiled = 0
    for path in files:
        source = path.read_bytes()
        try:
            code = compile(source, str(path), "exec", dont_inherit=True)
        except SyntaxError:
            continue
        compiled += 1
        parts["source"].write(source)
        parts["bytecode"].write(marshal.dumps(code))
        walk(code)
    ranges = "without" if getattr(sys.flags, "no_debug_ranges", False) or "no_debug_ranges" in sys._xoptions else "with"
    print(f"{root}: {compiled} modules, Python {sys.version.split()[0]}, {ranges} column ranges")
    for name, buf in parts.items():
        data = buf.getvalue()
        packed = len(brotli.compress(data, quality=9, lgwin=22))
        print(f"  {name:<20} {len(data) // 1024:>8,} KiB raw {packed // 1024:>8,} KiB brotli 9")


if __name__ == "__main__":
    main(sys.argv[1])
