// bale's Pyodide wheel and `await bale.load(...)` in Python, in real Pyodide on Node,
// for each Pyodide of the 314.0 series the ecosystem runs (BALE_PYODIDES: 314.0.2,
// PyScript's; 314.0.6, JupyterLite's; 314.0.7): micropip installs the wheel from a
// server; a notebook-style cell fetches rich-report's bale with its rest bale and runs
// the app through a path its trace missed, printing what python prints; the JS loader
// loads a bale into each of them; a Pyodide of another ABI is refused, naming both.
//   BALE_PYODIDES="DIR..." BALE_IMPORTER=... BALE_TEST_BALES=... BALE_WHEEL=... node --test importer/js/wheel.test.mjs
// BALE_TEST_BALES also holds micropip's and packaging's wheels from PyPI (Pyodide's own
// package index is not reachable here); scripts/test-pyodide.sh sets it all up.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { loadBale } from "./loader.mjs";
import { runReport } from "./testing.mjs";

const { BALE_PYODIDES, BALE_IMPORTER, BALE_TEST_BALES, BALE_WHEEL } = process.env;
const pyodides = BALE_PYODIDES.split(/\s+/).filter(Boolean);
const wheels = fs.readdirSync(BALE_TEST_BALES).filter((f) => /^(micropip|packaging)-.*\.whl$/.test(f));
const appendix = fs.readFileSync(path.join(BALE_TEST_BALES, "rich-report-appendix.txt"), "utf8");

// Runs rich-report's `--appendix rust` from `/bale/rich-report.bale`; gives None or the error.
const RUN_REPORT = runReport("/bale/rich-report.bale/report.py");

async function withPyodide(dir, body) {
  const { spawnServer } = await import("../../examples/web/serve.mjs");
  const server = await spawnServer({ pyodide: dir, importer: BALE_IMPORTER, bales: BALE_TEST_BALES });
  try {
    const { loadPyodide } = await import(path.join(dir, "pyodide.mjs"));
    const out = [];
    const pyodide = await loadPyodide({ stdout: (l) => out.push(l), stderr: (l) => out.push(l) });
    return await body(pyodide, server.base, out);
  } finally {
    server.close();
  }
}

for (const dir of pyodides) {
  const version = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;

  test(`Pyodide ${version}: micropip installs the wheel; bale.load runs an app with its rest bale from Python`, async () => {
    await withPyodide(dir, async (pyodide, base, out) => {
      await pyodide.loadPackage(wheels.map((w) => `${base}/bales/${w}`));
      await pyodide.runPythonAsync(`import micropip; await micropip.install(${JSON.stringify(`${base}/bales/${path.basename(BALE_WHEEL)}`)})`);
      assert.equal(pyodide.runPython("import bale; bale.__version__"), pyodide.runPython("import importlib.metadata as m; m.version('bale')"));
      // A bale that is not the one the page names is refused, before anything is installed.
      const refused = await pyodide.runPythonAsync(`
import bale
try:
    await bale.load(${JSON.stringify(`${base}/bales/rich-report.bale`)}, integrity="sha256-${"A".repeat(43)}=")
    refused = None
except Exception as e:
    refused = str(e)
refused`);
      assert.match(String(refused), /does not match the integrity the page names/);
      out.length = 0;
      const via = await pyodide.runPythonAsync(`
import bale
finder = await bale.load(${JSON.stringify(`${base}/bales/rich-report.bale`)}, rest=True)
finder.rest.via`);
      assert.equal(via, "Atomics.wait");
      assert.equal(pyodide.runPython(RUN_REPORT), undefined);
      assert.equal(out.join("\n") + "\n", appendix, "the output is python's");
      const missed = pyodide.runPython("[m['path'] for m in finder.misses()]").toJs();
      assert.ok(missed.includes("pygments/lexers/rust.py"), missed.join("\n"));
    });
  });

  test(`Pyodide ${version}: the loader installs its importer and loads a framed bale`, async () => {
    await withPyodide(dir, async (pyodide, base, out) => {
      const finder = await loadBale(pyodide, `${base}/bales/hello.bale.zst`, { importer: `${base}/loader/bale.abi3.so` });
      assert.equal(finder.target, "cpython-3.14-wasm32-emscripten");
      pyodide.runPython("import hello; hello.main()");
      assert.match(out.join("\n"), /Hello/);
    });
  });
}

test("bale.load outside Pyodide says where it works", async () => {
  const { execFileSync } = await import("node:child_process");
  // The package's Python module alone (without the extension module its package
  // imports), natively: load is there, and refuses plainly.
  const said = execFileSync("python3", ["-c", `
import asyncio, importlib.util
spec = importlib.util.spec_from_file_location("_pyodide", ${JSON.stringify(path.resolve("importer/python/bale/_pyodide.py"))})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
load = module.load
try:
    asyncio.run(load("app.bale"))
except RuntimeError as e:
    print(e)`]).toString();
  assert.match(said, /inside Pyodide.*bale\.install/);
});

test("a Pyodide of another ABI is refused before anything is loaded, naming both", async () => {
  const dir = pyodides.at(-1);
  const { loadPyodide } = await import(path.join(dir, "pyodide.mjs"));
  const pyodide = await loadPyodide();
  const other = new Proxy(pyodide, {
    get: (target, key) => (key === "lockfile" ? { info: { abi_version: "2027_0" } } : key === "version" ? "315.0.0" : Reflect.get(target, key)),
  });
  await assert.rejects(
    loadBale(other, new Uint8Array(fs.readFileSync(path.join(BALE_TEST_BALES, "hello.bale"))), { importer: new Uint8Array(fs.readFileSync(BALE_IMPORTER)) }),
    /Pyodide 315\.0\.0, of ABI 2027_0; the bale importer is built for Pyodide ABI 2025_0 and 2026_0/,
  );
  assert.equal(pyodide.runPython("'bale' in __import__('sys').modules"), false, "nothing of it was loaded");
});
