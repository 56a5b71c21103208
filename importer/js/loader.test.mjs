// Tests of the loader in real Pyodide on Node: `node --test importer/js/loader.test.mjs`
// with BALE_PYODIDE (the pyodide npm package's folder), BALE_IMPORTER (the importer
// built for Pyodide) and BALE_TEST_BALES (a folder holding hello.bale and
// wordstats.bale packed with --target pyodide, and hello-native.bale packed for this
// machine), as scripts/test-pyodide.sh sets them.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import { embeddedImporter } from "./embedded.mjs";
import { loadBale } from "./loader.mjs";
import { runReport } from "./testing.mjs";

const { BALE_PYODIDE, BALE_IMPORTER, BALE_TEST_BALES } = process.env;
const { loadPyodide } = await import(path.join(BALE_PYODIDE, "pyodide.mjs"));
const importer = new Uint8Array(fs.readFileSync(BALE_IMPORTER));
const bale = (name) => new Uint8Array(fs.readFileSync(path.join(BALE_TEST_BALES, name)));

async function pyodideWithOutput() {
  const out = [];
  const pyodide = await loadPyodide({ stdout: (line) => out.push(line), stderr: (line) => out.push(line) });
  return { pyodide, out };
}

test("runs a pure-Python app from a bale given as bytes", async () => {
  const { pyodide, out } = await pyodideWithOutput();
  const finder = await loadBale(pyodide, bale("hello.bale"), { importer, path: "/app/hello.bale" });
  assert.equal(finder.path, "/app/hello.bale");
  assert.equal(finder.target, "cpython-3.14-wasm32-emscripten");
  pyodide.runPython("import hello; hello.main()");
  assert.ok(out.length > 0, "the app printed nothing");
  assert.equal(pyodide.runPython("hello.__file__"), "/app/hello.bale/hello/__init__.py");
  assert.equal(pyodide.runPython("type(hello.__loader__).__name__"), "BaleFinder");
});

test("takes the promise of a Pyodide: the bale and the importer are fetched while it starts", async () => {
  const out = [];
  const starting = loadPyodide({ stdout: (line) => out.push(line) });
  const url = pathToFileURL(path.join(BALE_TEST_BALES, "hello.bale.zst"));
  const finder = await loadBale(starting, url, { importer: pathToFileURL(BALE_IMPORTER) });
  const pyodide = await starting;
  pyodide.runPython("import hello; hello.main()");
  assert.match(out.join("\n"), /Hello/);
  assert.equal(finder.path, "/bale/hello.bale");
  // A failed fetch still rejects with its URL, once Pyodide has started.
  await assert.rejects(loadBale(loadPyodide(), new URL("file:///nonexistent/app.bale")), /nonexistent\/app\.bale/);
});

test("asks for the bale and the importer before the Pyodide it is given has started", async () => {
  const asked = [];
  const files = { "/hello.bale": bale("hello.bale"), "/bale.abi3.so": importer };
  const server = http.createServer((req, res) => {
    asked.push(req.url);
    res.writeHead(200, { "Content-Type": req.url.endsWith(".so") ? "application/wasm" : "application/octet-stream" });
    res.end(files[req.url]);
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    let start;
    const gate = new Promise((resolve) => (start = resolve));
    const loading = loadBale(gate, `${base}/hello.bale`, { importer: `${base}/bale.abi3.so` });
    for (let i = 0; asked.length < 2 && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(asked.sort(), ["/bale.abi3.so", "/hello.bale"], "both asked for while Pyodide has not started");
    const { pyodide, out } = await pyodideWithOutput();
    start(pyodide);
    await loading;
    pyodide.runPython("import hello; hello.main()");
    assert.match(out.join("\n"), /Hello/);
  } finally {
    server.close();
  }
});

test("reads a zstd bale with a dictionary: the importer decodes zstd as WebAssembly", async () => {
  const out = [];
  const pyodide = await loadPyodide({
    stdLibURL: path.join(BALE_TEST_BALES, "rich-report.stdlib.zip"),
    stdout: (line) => out.push(line),
  });
  const data = bale("rich-report.bale");
  // The dictionary is stored (header offset 92: its payload, 0xFFFFFFFF for none).
  assert.notEqual(new DataView(data.buffer, data.byteOffset).getUint32(92, true), 0xffffffff);
  await loadBale(pyodide, data, { importer, path: "/app/report.bale" });
  pyodide.runPython(`
import sys
sys.argv = ["report.py", "--section", "notes"]
try:
    exec(compile(open("/app/report.bale/report.py").read(), "report.py", "exec"), {"__name__": "__main__"})
except SystemExit as e:
    assert not e.code
`);
  assert.match(out.join("\n"), /Release notes/);
  assert.equal(pyodide.runPython("import rich.markdown; rich.markdown.__spec__.origin"), "/app/report.bale/rich/markdown.pyc");
});

test("loads a framed bale (one zstd frame), and rejects a damaged one with its name", async () => {
  const { pyodide, out } = await pyodideWithOutput();
  const framed = bale("hello.bale.zst");
  assert.deepEqual([...framed.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
  const finder = await loadBale(pyodide, pathToFileURL(path.join(BALE_TEST_BALES, "hello.bale.zst")), { importer });
  assert.equal(finder.path, "/bale/hello.bale");
  pyodide.runPython("import hello; hello.main()");
  assert.match(out.join("\n"), /Hello/);
  const damaged = framed.slice();
  damaged[damaged.length >> 1] ^= 0x55;
  await assert.rejects(loadBale(pyodide, damaged, { path: "/app/damaged.bale" }), /loadBale: \/app\/damaged\.bale: .*zstd frame/);
  await assert.rejects(loadBale(pyodide, framed.subarray(0, 100)), /zstd frame: truncated/);
  assert.equal(pyodide.runPython("sum(range(10))"), 45);
});

test("installs the importer the bale carries, given nothing else", async () => {
  const { pyodide, out } = await pyodideWithOutput();
  await loadBale(pyodide, bale("hello-embedded.bale"));
  pyodide.runPython("import hello; hello.main()");
  assert.match(out.join("\n"), /Hello/);
  assert.equal(pyodide.runPython("import bale; bale.__file__"), "/lib/python3.14/site-packages/bale/__init__.py");
});

test("a damaged importer in the bale is refused before it is compiled", async () => {
  const { pyodide } = await pyodideWithOutput();
  const data = bale("hello-embedded.bale").slice();
  const carried = embeddedImporter(data, "hello-embedded.bale");
  // One byte in the middle of the importer's payload.
  data[carried.byteOffset - data.byteOffset + (carried.length >> 1)] ^= 0x40;
  await assert.rejects(loadBale(pyodide, data), /bale\/bale\.abi3\.so: damaged \(payload \d+: checksum mismatch\)/);
  assert.equal(pyodide.runPython("import sys; 'bale' in sys.modules"), false, "nothing of it was installed");
  assert.equal(pyodide.runPython("sum(range(10))"), 45);
});

test("loads an extension module from the bale, compiled before the first import", async () => {
  const { pyodide, out } = await pyodideWithOutput();
  const url = pathToFileURL(path.join(BALE_TEST_BALES, "wordstats.bale"));
  await loadBale(pyodide, url, { importer });
  const file = "/bale/wordstats.bale/wordstats/_native.abi3.so";
  assert.ok(pyodide._module.preloadedWasm[file], "the extension module was not prepared by the loader");
  pyodide.runPython("import wordstats; wordstats.main()");
  assert.equal(pyodide.runPython("wordstats._native.__file__"), file);
  assert.match(out.join("\n"), /the most frequent:\n\s+\d+ is\n/);
});

test("what the bale holds of Pyodide's own packages is marked loaded: an import of it fetches nothing", async () => {
  const { pyodide, out } = await pyodideWithOutput();
  const lock = pyodide.lockfile.packages;
  assert.ok(lock.rich?.imports.includes("rich"), "Pyodide's distribution has rich");
  await loadBale(pyodide, bale("rich-report.bale"), { importer, rest: false, path: "/bale/rich-report.bale" });
  assert.equal(pyodide.loadedPackages.rich, "bale");
  assert.equal(pyodide.loadedPackages.Pygments, "bale", "by the lock file's name of the package that has `pygments`");
  assert.equal(pyodide.loadedPackages.numpy, undefined, "what the bale does not hold stays Pyodide's");
  // As JupyterLite's kernel does before a cell: nothing is loaded (a fetch would fail here).
  const messages = [];
  const loaded = await pyodide.loadPackagesFromImports("import rich\nimport pygments", { messageCallback: (m) => messages.push(m) });
  assert.deepEqual(loaded, []);
  assert.ok(messages.every((m) => /already loaded from bale|No new packages to load/.test(m)), messages.join("\n"));
  assert.match(pyodide.runPython("import rich; rich.__file__"), /^\/bale\/rich-report\.bale\/rich\//);
  assert.ok(!out.some((l) => /Loading rich/.test(l)), out.join("\n"));
});

test("loads two bales into one Pyodide with one importer", async () => {
  const { pyodide } = await pyodideWithOutput();
  await loadBale(pyodide, bale("hello.bale"), { importer });
  await loadBale(pyodide, bale("wordstats.bale"));
  assert.equal(pyodide.runPython("import hello.greet, wordstats._native; wordstats._native.top_words('a b a', 1)[0][0]"), "a");
});

test("refuses a bale for another Python before importing anything", async () => {
  const { pyodide } = await pyodideWithOutput();
  await assert.rejects(loadBale(pyodide, bale("hello-native.bale"), { importer }), (e) => {
    assert.match(e.message, /hello-native|bale/);
    assert.match(e.message, /built for cpython-3\.\d+-x86_64-linux-gnu, but this Pyodide runs cpython-3\.14-wasm32-emscripten/);
    return true;
  });
  assert.equal(pyodide.runPython("import sys; 'bale' in sys.modules or any(type(f).__name__ == 'BaleFinder' for f in sys.meta_path)"), false);
});

test("refuses what is not a bale, and a truncated one", async () => {
  const { pyodide } = await pyodideWithOutput();
  await assert.rejects(loadBale(pyodide, new TextEncoder().encode("PK\x03\x04 a zip"), { importer }), /not a bale/);
  await assert.rejects(loadBale(pyodide, bale("hello.bale").subarray(0, 300), { importer }), /truncated: 300 of \d+ bytes/);
});

test("a failed fetch rejects with the URL and the HTTP status", async () => {
  const server = http.createServer((_, res) => res.writeHead(404, "Not Found").end());
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/missing/app.bale`;
  try {
    const { pyodide } = await pyodideWithOutput();
    await assert.rejects(loadBale(pyodide, url, { importer }), (e) => {
      assert.ok(e.message.includes(url), e.message);
      assert.match(e.message, /HTTP 404 Not Found/);
      return true;
    });
  } finally {
    server.close();
  }
});

test("a corrupt entry raises ImportError and Pyodide stays usable", async () => {
  const { pyodide } = await pyodideWithOutput();
  const data = bale("hello.bale").slice();
  // Damage every payload's first byte (the payload records start at header offset 96).
  const view = new DataView(data.buffer);
  const records = Number(view.getBigUint64(96, true));
  for (let i = 0; i < view.getUint32(88, true); i++) data[Number(view.getBigUint64(records + 40 * i, true))] ^= 0xff;
  await loadBale(pyodide, data, { importer });
  const message = pyodide.runPython(`
try:
    import hello
except ImportError as e:
    message = f"{type(e).__name__}: {e}"
else:
    message = "imported"
message`);
  assert.match(message, /BaleError: .*hello.*(checksum|corrupt|damaged)/i);
  assert.equal(pyodide.runPython("sum(range(10))"), 45);
});

test("starts from a trimmed standard library of bytecode (stdLibURL) and takes the rest from the bale", async () => {
  const out = [];
  const pyodide = await loadPyodide({
    stdLibURL: path.join(BALE_TEST_BALES, "rich-report.stdlib.zip"),
    stdout: (line) => out.push(line),
    stderr: (line) => out.push(line),
  });
  // What Pyodide imported at start came from the trimmed zip's bytecode, not compiled source.
  assert.match(pyodide.runPython("import asyncio; asyncio.__spec__.origin"), /python314\.zip\/asyncio\/__init__\.pyc$/);
  // A module the app uses that a page does not import before the bale is not in the zip...
  assert.equal(pyodide.runPython("import importlib.util; importlib.util.find_spec('argparse') is None"), true);
  const finder = await loadBale(pyodide, bale("rich-report.bale"), { importer, path: "/app/report.bale" });
  // ...but in the bale, as bytecode alone (a sourceless module, as CPython names it).
  assert.equal(pyodide.runPython("import argparse; argparse.__spec__.origin"), "/app/report.bale/argparse.pyc");
  // The script's source is in the bale (the app's own), read through the bale's files.
  pyodide.runPython(`
import sys
path = "/app/report.bale/report.py"
sys.argv = [path]
try:
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), {"__name__": "__main__", "__file__": path})
except SystemExit as e:
    assert not e.code, e.code
`);
  assert.match(out.join("\n"), /Release notes/);
  assert.equal(finder.path, "/app/report.bale");
});

// rich-report packed from a run without --appendix (scripts/test-pyodide.sh), run with
// it: a lexer module pygments imports by a computed name, a data file chosen at run
// time and a plugin found by its entry point all come from its rest bale. The example
// server runs in a process of its own: this thread waits on each synchronous fetch.
async function runWithRest({ ranges = true, rest = true, bales } = {}) {
  const { spawnServer } = await import("../../examples/web/serve.mjs");
  const server = await spawnServer({ pyodide: BALE_PYODIDE, importer: BALE_IMPORTER, bales: bales ?? BALE_TEST_BALES, ranges });
  try {
    const out = [];
    const starting = loadPyodide({
      stdLibURL: path.join(BALE_TEST_BALES, "rich-report.stdlib.zip"),
      stdout: (line) => out.push(line),
      stderr: (line) => out.push(line),
    });
    const restOption = rest === true ? true : `${server.base}${rest}`;
    const finder = await loadBale(starting, `${server.base}/bales/rich-report.bale`, { importer, path: "/app.bale", rest: restOption });
    const pyodide = await starting;
    const restRequests = async () => (await server.settled()).filter((l) => l.includes(".rest.bale"));
    const atStart = await restRequests();
    const error = pyodide.runPython(runReport("/app.bale/report.py"));
    const misses = finder.misses().toJs({ dict_converter: Object.fromEntries });
    const later = (await restRequests()).slice(atStart.length);
    return { pyodide, out: out.join("\n") + "\n", error, finder, misses, atStart, later };
  } finally {
    server.close();
  }
}

const appendix = () => fs.readFileSync(path.join(BALE_TEST_BALES, "rich-report-appendix.txt"), "utf8");

test("fetches what the trace missed from the rest bale: its index at start, one Range request per miss", async () => {
  const { out, error, finder, misses, atStart, later } = await runWithRest();
  assert.equal(error, undefined);
  assert.equal(out, appendix(), "the output is python's");
  // The header and index: one or two ranged requests, never the whole file.
  assert.ok(atStart.length >= 1 && atStart.length <= 2, atStart.join("\n"));
  assert.ok(atStart.every((l) => / bytes=\d+-\d+ 206 /.test(l)), atStart.join("\n"));
  const paths = misses.map((m) => m.path);
  for (const missed of ["pygments/lexers/rust.py", "snippets/hello.rs", "report_extras.py", "report_extras-1.0.dist-info/entry_points.txt"]) {
    assert.ok(paths.includes(missed), `${missed} not among the misses:\n${paths.join("\n")}`);
  }
  // One ranged GET per miss, of that entry's bytes alone.
  assert.ok(later.every((l) => / bytes=\d+-\d+ 206 /.test(l)), later.join("\n"));
  assert.equal(later.length, misses.length, `${later.join("\n")}\n${paths.join("\n")}`);
  assert.equal(finder.rest.via, "Atomics.wait");
});

test("a server that ignores Range sends the whole rest bale once; a missing one is named in the ImportError", async () => {
  const whole = await runWithRest({ ranges: false });
  assert.equal(whole.error, undefined);
  assert.equal(whole.out, appendix());
  assert.equal(whole.atStart.length, 1);
  assert.equal(whole.later.length, 0, "nothing more is fetched");
  assert.equal(whole.finder.rest.via, "memory");

  const missing = await runWithRest({ rest: "/bales/no-such.rest.bale" });
  assert.match(missing.error, /FileNotFoundError: .*snippets\/hello\.rs/);
  const message = missing.pyodide.runPython(`
try:
    import pygments.lexers.rust
except ModuleNotFoundError as e:
    message = f"{type(e).__name__} {e.name}: {e}"
message`);
  assert.match(message, /^ModuleNotFoundError pygments\.lexers\.rust: No module named 'pygments\.lexers\.rust'/);
  assert.match(message, /no-such\.rest\.bale.*HTTP 404 Not Found/);
});

test("a damaged entry of the rest bale is a BaleError naming it; a rest bale from another pack is refused", async () => {
  const { indexEnd } = await import("./rest.mjs");
  const bales = fs.mkdtempSync(path.join(BALE_TEST_BALES, "rest-"));
  try {
    fs.copyFileSync(path.join(BALE_TEST_BALES, "rich-report.bale"), path.join(bales, "rich-report.bale"));
    // Every payload of the rest bale damaged (one byte in 64 after the index).
    const rest = new Uint8Array(fs.readFileSync(path.join(BALE_TEST_BALES, "rich-report.rest.bale")));
    for (let i = indexEnd(rest, "rest"); i < rest.length; i += 64) rest[i] ^= 0x20;
    fs.writeFileSync(path.join(bales, "rich-report.rest.bale"), rest);
    const damaged = await runWithRest({ bales });
    assert.match(damaged.error, /rich-report\.rest\.bale: snippets\/hello\.rs: corrupt bale: payload \d+: checksum mismatch/);

    // Another bale where the rest bale should be: refused by its header hash.
    fs.copyFileSync(path.join(BALE_TEST_BALES, "hello.bale"), path.join(bales, "rich-report.rest.bale"));
    const foreign = await runWithRest({ bales });
    const message = foreign.pyodide.runPython(`
try:
    import pygments.lexers.rust
except ModuleNotFoundError as e:
    message = str(e)
message`);
    assert.match(message, /rich-report\.rest\.bale is not the rest bale of \/app\.bale: it comes from another pack/);
  } finally {
    fs.rmSync(bales, { recursive: true, force: true });
  }
});

test("an extension module the trace missed is compiled from the rest bale when first imported", async () => {
  // hello traced, wordstats beside it: its package, data and extension module are in
  // the rest bale, read here from a file (scripts/test-pyodide.sh packs it).
  const { pyodide, out } = await pyodideWithOutput();
  const url = pathToFileURL(path.join(BALE_TEST_BALES, "mixed.bale"));
  const finder = await loadBale(pyodide, url, { importer, rest: true });
  assert.equal(finder.rest.via, "read");
  assert.equal(pyodide.runPython("import importlib.util; importlib.util.find_spec('wordstats') is not None"), true);
  pyodide.runPython("import wordstats; wordstats.main()");
  assert.match(out.join("\n"), /words; the most frequent:\n\s+\d+ is\n/);
  assert.equal(pyodide.runPython("wordstats._native.__file__"), "/bale/mixed.bale/wordstats/_native.abi3.so");
  const paths = finder.misses().toJs({ dict_converter: Object.fromEntries }).map((m) => m.path);
  for (const missed of ["wordstats/__init__.py", "wordstats/_native.abi3.so", "wordstats/data/zen.txt"]) {
    assert.ok(paths.includes(missed), `${missed} not among the misses:\n${paths.join("\n")}`);
  }
});

