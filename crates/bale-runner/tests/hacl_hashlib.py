"""Prints digests of every hash CPython builds in (`_md5`, `_sha1`, `_sha2`, `_sha3`,
`_blake2`: HACL* in CPython, `src/hacl.rs` in a runner whose libpython lacks it), called
directly rather than through `hashlib` (which prefers OpenSSL), and through `hashlib`
and `hmac` too. The same lines from a Python's own interpreter and from a program of
this script made with that Python's runner show the runner's functions answer as
CPython's:

    scripts/in-root.sh sid python3.14 crates/bale-runner/tests/hacl_hashlib.py > expected
    (bale pack --app this script, bale exe with the 3.14 runner, run it) > got
    diff expected got
"""

import _blake2
import _md5
import _sha1
import _sha2
import _sha3
import hashlib
import hmac
import threading

ABC = b"abc"
TEXT = b"The quick brown fox jumps over the lazy dog"
# 10 MiB, not all alike.
BIG = bytes(range(256)) * 40960
# Piece lengths for incremental updates: across every block size and boundary.
PIECES = [1, 0, 2, 63, 64, 65, 71, 72, 73, 103, 104, 105, 127, 128, 129, 135, 136, 137, 143, 144, 145, 167, 168, 169, 1000]


def show(label, value):
    print(f"{label}: {value}")


def pieces(data):
    """`data` cut into pieces of the lengths above, round and round."""
    out, at, i = [], 0, 0
    while at < len(data):
        n = PIECES[i % len(PIECES)]
        out.append(data[at : at + n])
        at += n
        i += 1
    return out


def fixed(name, make):
    """A fixed-length hash's answers: sizes, one-shot, pieces, copies, big input."""
    h = make()
    show(f"{name} name/digest_size/block_size", (h.name, h.digest_size, h.block_size))
    show(f"{name} empty", h.hexdigest())
    show(f"{name} empty bytes", make(b"").digest().hex())
    show(f"{name} abc", make(ABC).hexdigest())
    show(f"{name} fox", make(TEXT).hexdigest())
    h = make()
    for piece in pieces(TEXT * 20):
        h.update(piece)
    show(f"{name} pieces == whole", h.hexdigest() == make(TEXT * 20).hexdigest())
    show(f"{name} pieces", h.hexdigest())
    # A digest leaves the state going; a copy goes its own way.
    h = make(b"ab")
    h.digest()
    c = h.copy()
    h.update(b"c")
    c.update(b"d")
    show(f"{name} copy diverges", (h.hexdigest(), c.hexdigest(), make(b"abd").hexdigest() == c.hexdigest()))
    show(f"{name} 10 MiB", make(BIG).hexdigest())
    h = make()
    h.update(BIG[:1234567])
    h.update(BIG[1234567:])
    show(f"{name} 10 MiB in two", h.hexdigest())


def shake(name, make):
    h = make()
    show(f"{name} name/digest_size/block_size", (h.name, h.digest_size, h.block_size))
    show(f"{name} rate/capacity bits", (h._rate_bits, h._capacity_bits))
    for n in (0, 1, 32, 200, 168 * 3 + 1, 1000):
        show(f"{name} empty {n}", make().hexdigest(n))
        show(f"{name} abc {n}", make(ABC).hexdigest(n))
    show(f"{name} digest bytes", make(TEXT).digest(50).hex())
    h = make()
    for piece in pieces(TEXT * 20):
        h.update(piece)
    show(f"{name} pieces", h.hexdigest(77))
    h = make(b"ab")
    first = h.hexdigest(10)
    show(f"{name} squeeze again", (first, h.hexdigest(10) == first, h.hexdigest(20)[:20] == first))
    c = h.copy()
    h.update(b"c")
    c.update(b"d")
    show(f"{name} copy diverges", (h.hexdigest(16), c.hexdigest(16)))
    show(f"{name} 10 MiB", make(BIG).hexdigest(64))
    try:
        make().digest(1 << 29)
    except Exception as e:
        show(f"{name} too long", type(e).__name__)


BLAKE2_PARAMS = [
    {},
    {"digest_size": 1},
    {"digest_size": 20},
    {"key": b"secret"},
    {"key": b"k" * 64},
    {"salt": b"salt"},
    {"salt": b"s" * 16},
    {"person": b"me"},
    {"person": b"p" * 16},
    {"fanout": 0},
    {"fanout": 255, "depth": 255},
    {"depth": 2},
    {"leaf_size": 4096},
    {"leaf_size": 2**32 - 1},
    {"node_offset": 5},
    {"node_offset": 2**48 - 1},
    {"node_offset": 2**64 - 1},
    {"node_depth": 1},
    {"node_depth": 255},
    {"inner_size": 16},
    {"inner_size": 32},
    {"inner_size": 64},
    {"last_node": True},
    {"digest_size": 17, "key": b"key", "salt": b"NaCl", "person": b"who", "fanout": 2, "depth": 3,
     "leaf_size": 1024, "node_offset": 7, "node_depth": 1, "inner_size": 20, "last_node": True},
]


def blake2(name, make, big_key, big_digest):
    fixed(name, make)
    for params in BLAKE2_PARAMS:
        params = dict(params)
        if "key" in params and len(params["key"]) > big_key:
            params["key"] = params["key"][:big_key]
        for field in ("salt", "person"):
            if field in params:
                params[field] = params[field][: big_key // 4]
        if params.get("inner_size", 0) > big_digest:
            params["inner_size"] = big_digest
        label = f"{name} {sorted(params.items())}"
        try:
            h = make(ABC, **params)
        except Exception as e:
            show(label, type(e).__name__)
            continue
        c = h.copy()
        c.update(TEXT)
        show(label, (h.digest_size, h.hexdigest(), c.hexdigest(), make(**params).hexdigest()))
    h = make(key=b"key", digest_size=big_digest)
    for piece in pieces(TEXT * 20):
        h.update(piece)
    show(f"{name} keyed pieces", h.hexdigest() == make(TEXT * 20, key=b"key").hexdigest())
    for bad in ({"digest_size": 0}, {"digest_size": big_digest + 1}, {"key": b"k" * (big_key + 1)},
                {"node_offset": 2**64}, {"depth": 0}, {"inner_size": big_digest + 1}):
        try:
            make(**bad)
            show(f"{name} refuses {bad}", "no")
        except Exception as e:
            show(f"{name} refuses {bad}", type(e).__name__)


def threads():
    """Hashing in threads at once, each object its own."""
    results = {}

    def work(i):
        data = bytes([i]) * 3_000_000
        results[i] = (_sha2.sha256(data).hexdigest(), _blake2.blake2b(data).hexdigest(), _sha3.shake_128(data).hexdigest(8))

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for i in sorted(results):
        show(f"thread {i}", results[i])


fixed("_md5.md5", _md5.md5)
fixed("_sha1.sha1", _sha1.sha1)
fixed("_sha2.sha224", _sha2.sha224)
fixed("_sha2.sha256", _sha2.sha256)
fixed("_sha2.sha384", _sha2.sha384)
fixed("_sha2.sha512", _sha2.sha512)
for n in ("sha3_224", "sha3_256", "sha3_384", "sha3_512"):
    make = getattr(_sha3, n)
    fixed(f"_sha3.{n}", make)
    show(f"_sha3.{n} rate/capacity bits", (make()._rate_bits, make()._capacity_bits))
shake("_sha3.shake_128", _sha3.shake_128)
shake("_sha3.shake_256", _sha3.shake_256)
blake2("_blake2.blake2b", _blake2.blake2b, 64, 64)
blake2("_blake2.blake2s", _blake2.blake2s, 32, 32)

# Through hashlib (OpenSSL's where it has them) and hmac: the same answers.
for n in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256", "sha3_384", "sha3_512",
          "blake2b", "blake2s"):
    show(f"hashlib.{n}", (getattr(hashlib, n)(TEXT).hexdigest(), hashlib.new(n, ABC).hexdigest()))
show("hashlib.shake_128", hashlib.shake_128(TEXT).hexdigest(32))
show("hashlib.shake_256", hashlib.shake_256(TEXT).hexdigest(200))
show("hashlib.blake2b keyed", hashlib.blake2b(TEXT, key=b"key", digest_size=32, person=b"me", last_node=True).hexdigest())
show("hmac sha256", hmac.new(b"key", TEXT, "sha256").hexdigest())
show("hmac.digest sha256", hmac.digest(b"key", TEXT, "sha256").hex())
# The pure-Python HMAC over the built-in constructors (copies under the hood).
for make in (_md5.md5, _sha1.sha1, _sha2.sha256, _sha2.sha512, _sha3.sha3_256, _blake2.blake2b, _blake2.blake2s):
    show(f"hmac over {make.__name__}", hmac.new(b"k" * 200, TEXT * 3, digestmod=make).hexdigest())
threads()
