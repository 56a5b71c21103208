// README.md's browser blocks as written, in headless Chromium: the module worker
// (`worker`) and micropip with `bale.load` (`micropip`). They run in a folder laid out
// as README's quick start leaves it: node_modules/pyodide and node_modules/bale-loader
// (the loader's files and the importer beside it), the quick start's pack of
// rich-report as app.py (app.bale.zst, app.stdlib.zip, app.rest.bale; made by
// scripts/test-pyodide.sh), and bale's Pyodide wheel. Environment as for browser.test.mjs, plus BALE_WHEEL.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import { launch } from "./chromium.mjs";
import { readmeBlock } from "./readme.mjs";
import { serve } from "./serve.mjs";

const { BALE_PYODIDE, BALE_IMPORTER, BALE_TEST_BALES, BALE_PLAYWRIGHT, BALE_WHEEL } = process.env;
const { chromium } = await import(path.join(BALE_PLAYWRIGHT, "index.mjs"));
const loaderFiles = ["loader.mjs", "rest.mjs", "update.mjs", "embedded.mjs", "xxh3.mjs"];

const site = fs.mkdtempSync(path.join(os.tmpdir(), "bale-readme-site-"));
let server, browser, page;
before(async () => {
  const loader = path.join(site, "node_modules/bale-loader");
  fs.mkdirSync(loader, { recursive: true });
  fs.symlinkSync(BALE_PYODIDE, path.join(site, "node_modules/pyodide"));
  for (const f of loaderFiles) fs.copyFileSync(path.resolve("importer/js", f), path.join(loader, f));
  fs.copyFileSync(BALE_IMPORTER, path.join(loader, "bale.abi3.so"));
  for (const file of ["app.bale.zst", "app.stdlib.zip", "app.rest.bale"]) {
    fs.copyFileSync(path.join(BALE_TEST_BALES, "quickstart", file), path.join(site, file));
  }
  fs.copyFileSync(BALE_WHEEL, path.join(site, path.basename(BALE_WHEEL)));
  fs.writeFileSync(path.join(site, "index.html"), "<!doctype html><title>README's blocks</title>");
  fs.writeFileSync(path.join(site, "worker.mjs"), readmeBlock("worker"));
  server = await serve({ pyodide: BALE_PYODIDE, importer: BALE_IMPORTER, bales: BALE_TEST_BALES, mounts: [["/site/", site]] });
  browser = await launch(chromium);
  page = await browser.context.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/site/`);
});
after(async () => {
  await browser?.close();
  server?.close();
  fs.rmSync(site, { recursive: true, force: true });
});

test("README's worker runs the app in a module worker and sends the page python's output", async () => {
  const output = await page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const lines = [];
        const worker = new Worker("worker.mjs", { type: "module" });
        worker.onmessage = ({ data }) => (data === null ? resolve(lines.join("\n") + "\n") : lines.push(data));
        worker.onerror = (e) => reject(new Error(`the worker failed: ${e.message}`));
      }),
  );
  assert.equal(output, fs.readFileSync(path.join(BALE_TEST_BALES, "rich-report.txt"), "utf8"));
});

test("README's micropip block installs bale's wheel and imports from the bale with bale.load", async () => {
  const block = readmeBlock("micropip");
  // The block names the wheel of this version.
  assert.ok(block.includes(`"${path.basename(BALE_WHEEL)}"`), `README's micropip block names another wheel than ${path.basename(BALE_WHEEL)}`);
  const micropip = fs.readdirSync(BALE_TEST_BALES).filter((f) => /^(micropip|packaging)-.*\.whl$/.test(f));
  const where = await page.evaluate(
    async ({ block, micropip }) => {
      const { loadPyodide } = await import("./node_modules/pyodide/pyodide.mjs");
      const pyodide = await loadPyodide();
      // What Pyodide's package index gives a page (not reachable here): micropip.
      await pyodide.loadPackage(micropip.map((w) => new URL(`/bales/${w}`, location.href).href));
      await pyodide.runPythonAsync(block);
      return pyodide.runPython("rich.__file__");
    },
    { block, micropip },
  );
  // Bytecode alone for a library (`--content app-source`): its file is the .pyc.
  assert.equal(where, "/bale/app.bale/rich/__init__.pyc");
});
