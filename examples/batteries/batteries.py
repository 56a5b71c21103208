"""A tour of the standard library's C parts: what a program made by `bale exe` must
carry (or find on the system) to run where no Python is installed.

Each line is deterministic, so the output of a program can be compared with the
output of `python batteries.py` on the machine that built it."""

import bz2
import ctypes
import decimal
import hashlib
import json
import lzma
import sqlite3
import ssl
import subprocess
import sys
import zlib

data = b"bale " * 1000
con = sqlite3.connect(":memory:")
con.execute("create table t (x)")
con.executemany("insert into t values (?)", [(n,) for n in range(10)])

print("python", "%d.%d" % sys.version_info[:2])
print("subprocess", subprocess.run(["echo", "hi"], capture_output=True, text=True).stdout.strip())
print("hashlib", hashlib.sha256(data).hexdigest()[:16], hashlib.md5(data).hexdigest()[:8])
print("blake2", hashlib.blake2b(data).hexdigest()[:16], hashlib.sha3_256(data).hexdigest()[:8])
print("ssl", ssl.create_default_context().protocol.name, ssl.OPENSSL_VERSION.split()[0])
print("sqlite3", con.execute("select sum(x * x) from t").fetchone()[0])
print("ctypes", ctypes.c_int(7).value, ctypes.CDLL(None).abs(-5))
print("decimal", decimal.Decimal("1.1") + decimal.Decimal("2.2"), decimal.Decimal(2).sqrt())
print("lzma", lzma.decompress(lzma.compress(data)) == data, len(lzma.compress(data)) < len(data))
print("bz2", bz2.decompress(bz2.compress(data)) == data)
print("zlib", zlib.crc32(data), zlib.decompress(zlib.compress(data)) == data)
print("json", json.dumps({"ok": True, "n": [1, 2]}))
