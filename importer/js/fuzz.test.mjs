// Fuzzing the loader in real Pyodide on Node: mutated bales (bytes flipped, cut
// short, or their structures changed and every check rewritten to match) and mutated
// framed bales go through `loadBale`, then the app's modules are imported and its
// files read. Every failure must be one of the documented errors (a rejection naming
// `loadBale:` or a BaleError, an ImportError in Python), Pyodide must stay usable
// after each, and nothing may hang. A bale's own importer is looked up and checked
// for every case too (`embedded.mjs`): it either comes back whole and checked, or the
// damage is named; it never reaches the compiler unchecked.
//   BALE_FUZZ_CASES=10000 node --test importer/js/fuzz.test.mjs
// with BALE_PYODIDE, BALE_IMPORTER and BALE_TEST_BALES as for loader.test.mjs.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { embeddedImporter } from "./embedded.mjs";
import { loadBale } from "./loader.mjs";
import { xxh3 } from "./xxh3.mjs";

const { BALE_PYODIDE, BALE_IMPORTER, BALE_TEST_BALES } = process.env;
const CASES = Number(process.env.BALE_FUZZ_CASES ?? 1000);
const { loadPyodide } = await import(path.join(BALE_PYODIDE, "pyodide.mjs"));
const importer = new Uint8Array(fs.readFileSync(BALE_IMPORTER));
const read = (name) => new Uint8Array(fs.readFileSync(path.join(BALE_TEST_BALES, name)));

// A pseudo-random sequence, the same at every run.
let state = 0x2545f4914f6cdd1dn;
function random() {
  state ^= (state << 13n) & 0xffffffffffffffffn;
  state ^= state >> 7n;
  state ^= (state << 17n) & 0xffffffffffffffffn;
  return Number(state & 0xffffffffn) / 2 ** 32;
}
const pick = (n) => Math.floor(random() * n);

// Rewrites every check of a bale but the payloads' hashes (as the format crate's
// `testing::reseal`), as far as its header lets it find them.
function reseal(b) {
  if (b.length < 256) return;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = (at) => Number(v.getBigUint64(at, true));
  const seal = (at, size, index) => {
    if (at < 0 || at + size > b.length) return false;
    v.setUint32(at + size - 4, Number(xxh3(b.subarray(at, at + size - 4), index) & 0xffffffffn), true);
    return true;
  };
  const strings = n(104);
  const stringsSize = n(112);
  for (const [at, size] of [[120, 48], [152, 40]]) {
    const records = n(at);
    for (let i = 0; i < Math.min(v.getUint32(at + 8, true), 1 << 16); i++) {
      const r = records + i * size;
      if (r + size > b.length) break;
      const [offset, len] = [v.getUint32(r + 8, true), v.getUint16(r + 12, true)];
      if (offset + len <= stringsSize && strings + offset + len <= b.length) {
        v.setBigUint64(r, xxh3(b.subarray(strings + offset, strings + offset + len)), true);
      }
      seal(r, size, i);
    }
    const buckets = n(at + 16);
    for (let i = 0; i < Math.min(v.getUint32(at + 24, true), 1 << 16); i++) if (!seal(buckets + 64 * i, 64, i)) break;
  }
  for (let i = 0; i < Math.min(v.getUint32(88, true), 1 << 16); i++) if (!seal(n(96) + 40 * i, 40, i)) break;
  const end = Math.min(n(16), b.length);
  v.setBigUint64(24, xxh3(b.subarray(256, Math.max(256, end))), true);
  v.setBigUint64(248, xxh3(b.subarray(0, 248)), true);
}

// Where the header (but its hash), buckets, records and strings lie.
function structures(b) {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = (at) => Number(v.getBigUint64(at, true));
  const ranges = [[8, 248]];
  for (const [at, size] of [[120, 48], [152, 40]]) {
    ranges.push([n(at), n(at) + v.getUint32(at + 8, true) * size], [n(at + 16), n(at + 16) + 64 * v.getUint32(at + 24, true)]);
  }
  ranges.push([n(96), n(96) + 40 * v.getUint32(88, true)], [n(104), n(104) + n(112)]);
  return ranges.filter(([a, z]) => a < z && z <= b.length);
}

function mutate(seed) {
  const b = seed.slice();
  const kind = ["flip", "truncate", "structure", "structure"][pick(4)];
  if (kind === "flip") {
    for (let i = 0; i <= pick(8); i++) b[pick(b.length)] ^= 1 << pick(8);
    return [kind, b];
  }
  if (kind === "truncate") return [kind, b.slice(0, pick(b.length))];
  if (seed[0] !== 0x89) return ["flip", b]; // a framed bale has no structures to change
  const ranges = structures(b);
  for (let i = 0; i <= pick(4); i++) {
    const [a, z] = ranges[pick(ranges.length)];
    const at = a + pick(z - a);
    b[at] = random() < 0.5 ? b[at] ^ (1 << pick(8)) : [0, 0xff, 1, 0x7f, 0x80][pick(5)];
  }
  reseal(b);
  return [kind, b];
}

// A rejection the loader documents: its own, naming loadBale, or the importer's BaleError.
const documented = (e) => /^loadBale: /.test(e.message) || /BaleError|ImportError/.test(e.message);

const PROBE = `
def _probe(finder):
    import importlib, sys, traceback
    worst = "ok"
    def note(e):
        nonlocal worst
        if isinstance(e, ImportError):
            worst = "import-error"
        elif isinstance(e, (FileNotFoundError, IsADirectoryError, NotADirectoryError)):
            worst = worst if worst != "ok" else "not-found"
        elif any(f.filename.startswith(finder.path) for f in traceback.extract_tb(e.__traceback__)):
            worst = worst if worst != "ok" else "module-error"
        else:
            worst = f"other:{type(e).__name__}: {e}"
    def walk(folder=""):
        for name in finder._listdir(folder):
            rel = f"{folder}/{name}" if folder else name
            entry = finder._entry(rel)
            if entry and entry[0]:
                walk(rel)
            else:
                finder._read(rel)
    def modules(package=""):
        for name, is_package in finder._iter_modules(package):
            full = f"{package}.{name}" if package else name
            yield full
            if is_package:
                yield from modules(full)
    try:
        names = list(modules())
    except Exception as e:
        names = []
        note(e)
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as e:
            note(e)
    try:
        walk()
    except Exception as e:
        note(e)
    finder.uninstall()
    for name in [n for n, m in sys.modules.items() if getattr(m, "__loader__", None) is finder]:
        del sys.modules[name]
    return worst
_probe
`;

test(`${CASES} mutated bales and framed bales: documented errors only, Pyodide usable, no hang`, { timeout: 3_600_000 }, async () => {
  const pyodide = await loadPyodide({ stdout: () => {}, stderr: () => {} });
  const probe = pyodide.runPython(PROBE);
  const seeds = ["hello.bale", "hello-embedded.bale", "hello.bale.zst", "wordstats.bale"].map((name) => [name, read(name)]);
  const carried = embeddedImporter(read("hello-embedded.bale"), "seed");
  assert.ok(carried && carried.length > 100_000, "the seed carries its importer");
  const outcomes = {};
  const count = (key) => (outcomes[key] = (outcomes[key] ?? 0) + 1);
  for (let i = 0; i < CASES; i++) {
    const [seedName, seed] = seeds[i % seeds.length];
    const [kind, data] = mutate(seed);
    // The importer a bale carries: checked and whole, absent, or refused by name.
    if (seedName === "hello-embedded.bale") {
      try {
        const found = embeddedImporter(data, `case ${i}`);
        count(found === null ? "embedded: none" : found.length === carried.length ? "embedded: checked" : "embedded: other payload, checked");
      } catch (e) {
        assert.match(e.message, /^loadBale: case \d+: bale\/bale\.abi3\.so: damaged /, `case ${i}`);
        count("embedded: damage named");
      }
    }
    let outcome;
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`case ${i} (${kind} of ${seedName}) hangs`)), 30_000).unref());
    try {
      const finder = await Promise.race([loadBale(pyodide, data, { importer, path: `/fuzz/${i}.bale` }), timeout]);
      outcome = probe(finder);
      finder.destroy();
    } catch (e) {
      assert.ok(documented(e), `case ${i} (${kind} of ${seedName}): undocumented rejection: ${e.message.slice(0, 400)}`);
      outcome = "rejected";
    }
    assert.ok(!outcome.startsWith("other"), `case ${i} (${kind} of ${seedName}): ${outcome}`);
    count(`${kind}: ${outcome}`);
    assert.equal(pyodide.runPython("sum(range(10))"), 45, `Pyodide unusable after case ${i}`);
  }
  console.log(JSON.stringify({ cases: CASES, outcomes }, null, 1));
});
