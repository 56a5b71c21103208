# Compiles sources to .pyc files for the packer.
#
# stdin:  for each file, u32 name length, name (the path recorded as co_filename),
#         u32 source length, source bytes; all little-endian.
# stdout: for each file, in order, u8 status (0 compiled, 1 failed), u32 length, then
#         the .pyc bytes or the error message.
#
# The .pyc files are checked hash-based (PEP 552): valid exactly as long as their
# source is unchanged, whatever the file times say.
import importlib.util
import struct
import sys
import warnings
from importlib._bootstrap_external import _code_to_hash_pyc

optimize = int(sys.argv[1]) if len(sys.argv) > 1 else 0
warnings.simplefilter("ignore")
inp, out = sys.stdin.buffer, sys.stdout.buffer


def read(n):
    data = inp.read(n)
    if len(data) != n:
        raise EOFError("truncated request")
    return data


while header := inp.read(4):
    (n,) = struct.unpack("<I", header)
    name = read(n).decode("utf-8")
    (n,) = struct.unpack("<I", read(4))
    source = read(n)
    try:
        code = compile(source, name, "exec", dont_inherit=True, optimize=optimize)
        result = bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), checked=True))
        status = 0
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError) as e:
        result = f"{type(e).__name__}: {e}".encode("utf-8", "replace")
        status = 1
    out.write(struct.pack("<BI", status, len(result)))
    out.write(result)
out.flush()
