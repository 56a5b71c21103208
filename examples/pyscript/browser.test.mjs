// PyScript with the bale plugin (importer/js/pyscript.mjs) in headless Chromium:
// index.html runs rich-report from its bale on PyScript's main thread, worker.html in
// a PyScript worker, and the output is python's. This folder is served at /app/ as
// README's PyScript section lays it out: node_modules/ holding @pyscript/core 0.7.31,
// pyodide (314.0.2, PyScript's default) and bale-loader (the loader's files and the
// importer), and rich-report's bale as app.bale.zst (the loader tells a frame from a
// bale by its first bytes) beside its rest bale. Environment as for
// examples/web/browser.test.mjs, plus BALE_PYSCRIPT (@pyscript/core's folder) and
// BALE_PYSCRIPT_PYODIDE (Pyodide 314.0.2's), as scripts/test-pyodide.sh sets them.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { launch } from "../web/chromium.mjs";
import { readmeBlock } from "../web/readme.mjs";
import { serve } from "../web/serve.mjs";

const { BALE_PYODIDE, BALE_IMPORTER, BALE_TEST_BALES, BALE_PLAYWRIGHT, BALE_PYSCRIPT, BALE_PYSCRIPT_PYODIDE } = process.env;
const { chromium } = await import(path.join(BALE_PLAYWRIGHT, "index.mjs"));
const here = path.dirname(fileURLToPath(import.meta.url));
const expected = (name) => fs.readFileSync(path.join(BALE_TEST_BALES, name), "utf8");

// The pages naming a bale that is not there.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bale-pyscript-"));
for (const page of ["index.html", "worker.html"]) {
  const html = fs.readFileSync(path.join(here, page), "utf8").replace('bale="app.bale.zst"', 'bale="missing.bale.zst"');
  fs.writeFileSync(path.join(scratch, `missing-${page}`), html);
}

const mounts = [
  ["/app/node_modules/@pyscript/core/", BALE_PYSCRIPT],
  ["/app/node_modules/pyodide/", BALE_PYSCRIPT_PYODIDE],
  ["/app/node_modules/bale-loader/bale.abi3.so", BALE_IMPORTER],
  ["/app/node_modules/bale-loader/", path.join(here, "../../importer/js")],
  ["/app/app.bale.zst", path.join(BALE_TEST_BALES, "rich-report.bale")],
  ["/app/app.rest.bale", path.join(BALE_TEST_BALES, "rich-report.rest.bale")],
  ["/app/missing-index.html", path.join(scratch, "missing-index.html")],
  ["/app/missing-worker.html", path.join(scratch, "missing-worker.html")],
  ["/app/", here],
];

// Two servers: the main thread needs nothing of the page; a worker reaches the page's
// DOM (pyscript.document) only where it is cross-origin isolated.
let plain, isolated, browser;
before(async () => {
  const options = { pyodide: BALE_PYODIDE, importer: BALE_IMPORTER, bales: BALE_TEST_BALES, mounts };
  plain = await serve(options);
  isolated = await serve({ ...options, isolated: true });
  browser = await launch(chromium);
});
after(async () => {
  await browser?.close();
  plain?.close();
  isolated?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

// Opens a page and waits until main.py has put the app's output on it, or PyScript
// shows an error (or `until` resolves). Gives the output, the errors, and each
// request's moment (ms from the navigation) and path, in order.
async function open(server, page, until = (tab) => tab.waitForSelector("#output:not(:empty), .py-error", { timeout: 300_000 })) {
  const tab = await browser.context.newPage();
  const errors = [];
  const requests = [];
  tab.on("pageerror", (e) => errors.push(e.message));
  tab.on("console", (m) => m.type() === "error" && !/favicon|status of 404/.test(m.text()) && errors.push(m.text()));
  // The page's requests and its worker's, as the browser issues them.
  const start = performance.now();
  tab.on("request", (r) => requests.push([Math.round(performance.now() - start), new URL(r.url()).pathname]));
  await tab.goto(`http://127.0.0.1:${server.address().port}/app/${page}`);
  await until(tab);
  const shown = { output: await tab.textContent("#output"), banner: await tab.locator(".py-error").allTextContents(), errors, requests };
  await tab.close();
  return shown;
}

// When each of these was first requested.
function moments(requests) {
  const first = (pattern) => requests.find(([, p]) => pattern.test(p))?.[0];
  return {
    bale: first(/\/app\.bale\.zst$/),
    importer: first(/\/bale\.abi3\.so$/),
    pyscriptConfig: first(/\/pyscript\.toml$/),
    pyodide: first(/\/pyodide\.mjs$/),
    pyodideWasm: first(/\/pyodide\.asm\.wasm$/),
    restIndex: first(/\/app\.rest\.bale$/),
  };
}

test("README's PyScript page and config are examples/pyscript's", () => {
  assert.equal(readmeBlock("pyscript-page"), fs.readFileSync(path.join(here, "index.html"), "utf8"));
  assert.equal(readmeBlock("pyscript-config"), fs.readFileSync(path.join(here, "pyscript.toml"), "utf8"));
});

test("PyScript on the main thread runs rich-report from its bale, which downloads while PyScript starts", async (t) => {
  const shown = await open(plain, "index.html");
  assert.deepEqual(shown.banner, [], shown.errors.join("\n"));
  assert.equal(shown.output, expected("rich-report.txt"), "the output is python's");
  const at = moments(shown.requests);
  t.diagnostic(`requested at (ms from navigation): ${JSON.stringify(at)}`);
  // The bale and the importer before PyScript has even read its config, so before
  // Pyodide; the rest bale's index too.
  assert.ok(at.bale < at.pyscriptConfig && at.pyscriptConfig < at.pyodide, JSON.stringify(at));
  assert.ok(at.importer < at.pyodide && at.restIndex < at.pyodide, JSON.stringify(at));
});

test("PyScript on the main thread: what the bale lacks comes from its rest bale", async () => {
  const shown = await open(plain, "index.html?args=--appendix+rust");
  assert.deepEqual(shown.banner, [], shown.errors.join("\n"));
  assert.equal(shown.output, expected("rich-report-appendix.txt"), "the output is python's");
});

test("a PyScript worker runs rich-report from its bale, downloaded by the page while the worker starts", async (t) => {
  const shown = await open(isolated, "worker.html");
  assert.deepEqual(shown.errors, []);
  assert.equal(shown.output, expected("rich-report.txt"), "the output is python's");
  const at = moments(shown.requests);
  t.diagnostic(`requested at (ms from navigation): ${JSON.stringify(at)}`);
  assert.ok(at.bale < at.pyodide && at.importer < at.pyodide, JSON.stringify(at));
  // The worker fetches the rest bale's index itself, once its Pyodide is ready.
  assert.ok(at.restIndex > at.pyodideWasm, JSON.stringify(at));
});

test("a PyScript worker: what the bale lacks comes from its rest bale, by synchronous XMLHttpRequest", async () => {
  const shown = await open(isolated, "worker.html?args=--appendix+rust");
  assert.deepEqual(shown.errors, []);
  assert.equal(shown.output, expected("rich-report-appendix.txt"), "the output is python's");
  // The index, then one ranged request per entry the bale lacks.
  const rest = shown.requests.filter(([, p]) => p.endsWith("/app.rest.bale"));
  assert.ok(rest.length >= 3, JSON.stringify(rest));
});

test("a bale that is not there: PyScript shows the URL and the HTTP status, and the code does not run", async () => {
  const shown = await open(plain, "missing-index.html");
  assert.equal(shown.output, "");
  assert.equal(shown.banner.length, 1, shown.banner.join("\n"));
  assert.match(shown.banner[0], /\/app\/missing\.bale\.zst failed: HTTP 404/);
});

test("a bale that is not there, for a worker: the worker says so on the console, with the URL and the HTTP status", async () => {
  const failed = /\/app\/missing\.bale\.zst failed: HTTP 404/;
  const shown = await open(isolated, "missing-worker.html", (tab) =>
    tab.waitForEvent("console", { predicate: (m) => failed.test(m.text()), timeout: 300_000 }),
  );
  assert.ok(shown.errors.some((e) => failed.test(e)), shown.errors.join("\n"));
});
