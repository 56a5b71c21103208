"""Fuzzing the importer from Python: mutated bales through `bale.install`, every module
imported, every resource read, the metadata read, in child interpreters, so that a
crash (a signal, an abort) or a hang is seen and traced to its case.

  python fuzz_install.py --cases N --seed S --out REPORT.json SEED.bale [SEED.bale ...]

Each case is one seed bale mutated one way:

- `flip`: 1 to 8 bytes flipped anywhere, nothing resealed (the checksums must catch it);
- `truncate`: cut at a random length;
- `structure`: bytes of the header, the hash buckets, the records or the string table
  changed, then every check rewritten to match (`reseal`, as the format crate's testing
  tool does), so that the reader meets structures that pass their checks. Payload
  bytes are never changed and their hashes never rewritten: a payload changed and
  resealed is another program, and CPython makes no promise to survive arbitrary
  bytecode.

Outcomes: `ok` (all imported and read), `bale-error` (BaleError: the damage was
caught), `import-error` (another ImportError: a consistent but different bale lacks a
module), `not-found` (a resource such a bale lacks: FileNotFoundError and its kin),
`module-error` (raised by a module's own code), and the failures: `other` (any other
exception), `crash` (the child died by a signal) and `hang` (no progress for
`--timeout` seconds). The run fails unless there are no failures.
"""

import argparse
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time

import xxhash

HEADER_SIZE = 256
CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "child.py")


def u32(b, at):
    return struct.unpack_from("<I", b, at)[0]


def u64(b, at):
    return struct.unpack_from("<Q", b, at)[0]


def check32(data, position):
    return xxhash.xxh3_64_intdigest(bytes(data), seed=position) & 0xFFFFFFFF


def seal(b, start, size, position):
    struct.pack_into("<I", b, start + size - 4, check32(b[start : start + size - 4], position))


def sections(b):
    """(offset, count, size) of the module and file records and buckets, the payload
    records, and (offset, size) of the string table, as the header says."""
    trees = []
    for at, record in ((120, 48), (152, 40)):
        trees.append((u64(b, at), u32(b, at + 8), record, u64(b, at + 16), u32(b, at + 24)))
    return trees, (u64(b, 96), u32(b, 88)), (u64(b, 104), u64(b, 112))


def reseal(b):
    """Rewrites every check of a bale (not payload hashes) to match its bytes, as far
    as its header lets it find them. Never fails, whatever `b` holds."""
    if len(b) < HEADER_SIZE:
        return
    length = len(b)
    trees, (payloads, payload_count), (strings, strings_size) = sections(b)
    fits = lambda start, size: start + size <= length  # noqa: E731
    for records, count, size, buckets, bucket_count in trees:
        for i in range(min(count, 1 << 20)):
            start = records + i * size
            if not fits(start, size):
                break
            key_offset, key_len = u32(b, start + 8), struct.unpack_from("<H", b, start + 12)[0]
            if key_offset + key_len <= strings_size and strings + key_offset + key_len <= length:
                key = bytes(b[strings + key_offset : strings + key_offset + key_len])
                struct.pack_into("<Q", b, start, xxhash.xxh3_64_intdigest(key))
            seal(b, start, size, i)
        for i in range(min(bucket_count, 1 << 20)):
            start = buckets + i * 64
            if not fits(start, 64):
                break
            seal(b, start, 64, i)
    for i in range(min(payload_count, 1 << 20)):
        start = payloads + i * 40
        if not fits(start, 40):
            break
        seal(b, start, 40, i)
    # Minor 1's header strings (format-spec 4.2).
    entry = (u32(b, 192), struct.unpack_from("<H", b, 196)[0])
    rest = (u32(b, 200), struct.unpack_from("<H", b, 198)[0])
    text = b""
    for offset, size in (entry, rest):
        if offset + size <= strings_size and strings + offset + size <= length:
            text += bytes(b[strings + offset : strings + offset + size])
    struct.pack_into("<I", b, 204, check32(text, 0) if text else 0)
    file_size = min(u64(b, 16), length)
    struct.pack_into("<Q", b, 24, xxhash.xxh3_64_intdigest(bytes(b[HEADER_SIZE:file_size])))
    struct.pack_into("<Q", b, 248, xxhash.xxh3_64_intdigest(bytes(b[:248])))


def structural_ranges(b):
    """Where the header (but its hash), buckets, records and strings lie."""
    trees, (payloads, payload_count), (strings, strings_size) = sections(b)
    ranges = [(8, 248)]
    for records, count, size, buckets, bucket_count in trees:
        ranges += [(records, records + count * size), (buckets, buckets + bucket_count * 64)]
    ranges += [(payloads, payloads + payload_count * 40), (strings, strings + strings_size)]
    return [(a, min(z, len(b))) for a, z in ranges if a < z <= len(b)]


def mutate(seed_bytes, rng):
    b = bytearray(seed_bytes)
    kind = rng.choice(["flip", "flip", "truncate", "structure", "structure", "structure"])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del b[rng.randrange(len(b)) :]
    else:
        ranges = structural_ranges(b)
        for _ in range(rng.randint(1, 4)):
            start, end = rng.choice(ranges)
            at = rng.randrange(start, end)
            choice = rng.random()
            if choice < 0.5:
                b[at] ^= 1 << rng.randrange(8)
            elif choice < 0.8:
                b[at] = rng.choice([0, 0xFF, 1, 0x7F, 0x80])
            else:
                # A field set to a boundary value: 0, NONE, a large count or offset.
                value = rng.choice([0, 0xFFFFFFFF, 0x7FFFFFFF, len(b), len(b) - 1, 1 << 31])
                struct.pack_into("<I", b, min(at & ~3, len(b) - 4), value & 0xFFFFFFFF)
        reseal(b)
    return kind, bytes(b)


def run_batch(python, cases_dir, indices, timeout, importer_path):
    """Runs cases in one child; returns {index: outcome}. A child that dies or stops
    making progress marks the case it was on as `crash` or `hang`; the rest of the
    batch goes on in a new child."""
    results = {}
    pending = list(indices)
    while pending:
        progress = os.path.join(cases_dir, "progress")
        with open(progress, "w"):
            pass
        env = {**os.environ, "PYTHONPATH": importer_path, "PYTHONDONTWRITEBYTECODE": "1"}
        child = subprocess.Popen(
            [python, "-S", CHILD, cases_dir, progress, *map(str, pending)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        last_size, last_change = -1, time.monotonic()
        while child.poll() is None:
            time.sleep(0.05)
            size = os.path.getsize(progress)
            if size != last_size:
                last_size, last_change = size, time.monotonic()
            elif time.monotonic() - last_change > timeout:
                child.kill()
                child.wait()
                break
        with open(progress) as f:
            lines = [line.split() for line in f.read().splitlines() if line.strip()]
        started = None
        for parts in lines:
            if parts[0] == "start":
                started = int(parts[1])
            else:
                results[int(parts[1])] = parts[2]
                started = None
        if child.returncode == 0 and started is None:
            break
        if started is not None:
            # Killed here for making no progress, killed by a signal, or exited.
            code = child.returncode
            results[started] = "hang" if code in (None, -9) else "crash" if code < 0 else f"other:exit-{code}"
        done = set(results)
        pending = [i for i in pending if i not in done]
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("seeds", nargs="+")
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--importer-path", required=True, help="a folder holding the bale package alone")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    seeds = [open(s, "rb").read() for s in args.seeds]
    outcomes, kinds = {}, {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bale-fuzz-") as work:
        for batch_start in range(0, args.cases, args.batch):
            indices = range(batch_start, min(batch_start + args.batch, args.cases))
            for i in indices:
                kind, data = mutate(seeds[i % len(seeds)], rng)
                kinds[i] = kind
                with open(os.path.join(work, f"{i}.bale"), "wb") as f:
                    f.write(data)
            results = run_batch(args.python, work, indices, args.timeout, args.importer_path)
            for i in indices:
                outcomes[i] = results.get(i, "crash")
                os.remove(os.path.join(work, f"{i}.bale"))
    elapsed = time.monotonic() - started
    table = {}
    for i, outcome in outcomes.items():
        table.setdefault(kinds[i], {}).setdefault(outcome, 0)
        table[kinds[i]][outcome] += 1
    failures = {i: o for i, o in outcomes.items() if o in ("crash", "hang") or o.startswith("other")}
    report = {"cases": args.cases, "seconds": round(elapsed, 1), "by_mutation": table, "failures": len(failures)}
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))
    if failures:
        print(f"failed cases (seed {args.seed}): {sorted(failures.items())[:20]}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
