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
// A worker that prints the app's output (to the console) rather than put it on the
// page, which it cannot reach where the page is not cross-origin isolated.
fs.writeFileSync(path.join(scratch, "print.py"), "import report  # from the bale\nreport.main([])\n");
const printing = fs.readFileSync(path.join(here, "worker.html"), "utf8").replace('src="main.py"', 'src="print.py"');
fs.writeFileSync(path.join(scratch, "print-worker.html"), printing);

const mounts = [
  ["/app/node_modules/@pyscript/core/", BALE_PYSCRIPT],
  ["/app/node_modules/pyodide/", BALE_PYSCRIPT_PYODIDE],
  ["/app/node_modules/bale-loader/bale.abi3.so", BALE_IMPORTER],
  ["/app/node_modules/bale-loader/", path.join(here, "../../importer/js")],
  ["/app/app.bale.zst", path.join(BALE_TEST_BALES, "rich-report.bale")],
  ["/app/app.rest.bale", path.join(BALE_TEST_BALES, "rich-report.rest.bale")],
  ["/app/missing-index.html", path.join(scratch, "missing-index.html")],
  ["/app/missing-worker.html", path.join(scratch, "missing-worker.html")],
  ["/app/print-worker.html", path.join(scratch, "print-worker.html")],
  ["/app/print.py", path.join(scratch, "print.py")],
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
// shows an error (or `until` resolves). Gives the output, the errors, what was logged
// (a worker's prints), and the timeline: the moment (ms from the navigation) each
// request was made and ended ("PATH (done)"), and PyScript's Pyodide was ready.
async function open(server, page, until = (tab) => tab.waitForSelector("#output:not(:empty), .py-error", { timeout: 300_000 })) {
  const tab = await browser.context.newPage();
  const [errors, logs, timeline] = [[], [], []];
  const start = performance.now();
  const at = (what) => timeline.push([Math.round(performance.now() - start), what]);
  tab.on("pageerror", (e) => errors.push(e.message));
  tab.on("console", (m) => m.type() === "error" && !/favicon|status of 404/.test(m.text()) && errors.push(m.text()));
  tab.on("console", (m) => m.type() === "log" && logs.push(m.text()));
  // PyScript's progress events (a worker's reach the page where it is isolated).
  await tab.addInitScript(() =>
    addEventListener("py:progress", ({ detail }) => detail === "Loaded interpreter" && console.debug("test: Pyodide ready")),
  );
  tab.on("console", (m) => m.text() === "test: Pyodide ready" && at("(Pyodide ready)"));
  // The page's requests and its worker's, as the browser issues them.
  tab.on("request", (r) => at(new URL(r.url()).pathname));
  tab.on("requestfinished", (r) => at(`${new URL(r.url()).pathname} (done)`));
  await tab.goto(`http://127.0.0.1:${server.address().port}/app/${page}`);
  await until(tab);
  const [output, banner] = [await tab.textContent("#output"), await tab.locator(".py-error").allTextContents()];
  await tab.close();
  return { output, banner, errors, logs, timeline };
}

// When each of these first happened.
function moments(timeline) {
  const first = (pattern) => timeline.find(([, what]) => pattern.test(what))?.[0];
  return {
    bale: first(/\/app\.bale\.zst$/),
    baleDone: first(/\/app\.bale\.zst \(done\)$/),
    importer: first(/\/bale\.abi3\.so$/),
    pyscriptConfig: first(/\/pyscript\.toml$/),
    pyodide: first(/\/pyodide\.mjs$/),
    pyodideWasm: first(/\/pyodide\.asm\.wasm$/),
    pyodideReady: first(/^\(Pyodide ready\)$/),
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
  const at = moments(shown.timeline);
  t.diagnostic(`moments (ms from the navigation): ${JSON.stringify(at)}`);
  // The importer as soon as PyScript asks for its config; the bale too, once the
  // loader has looked in the browser's store for a copy kept by an earlier visit (a
  // local lookup, some milliseconds): before Pyodide; the rest bale's index too.
  assert.ok(at.importer <= at.pyscriptConfig && at.pyscriptConfig < at.pyodide && at.bale < at.pyodide, JSON.stringify(at));
  assert.ok(at.importer < at.pyodide && at.restIndex < at.pyodide, JSON.stringify(at));
  assert.ok(at.baleDone < at.pyodideReady, JSON.stringify(at));
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
  const at = moments(shown.timeline);
  t.diagnostic(`moments (ms from the navigation): ${JSON.stringify(at)}`);
  assert.ok(at.bale < at.pyodide && at.importer < at.pyodide && at.baleDone < at.pyodideReady, JSON.stringify(at));
  // The worker fetches the rest bale's index itself, from its hook: once its Pyodide
  // is ready, when the bale's download would only start if a hook started it.
  assert.ok(at.restIndex > at.pyodideReady, JSON.stringify(at));
});

test("a PyScript worker: what the bale lacks comes from its rest bale, by synchronous XMLHttpRequest", async () => {
  const shown = await open(isolated, "worker.html?args=--appendix+rust");
  assert.deepEqual(shown.errors, []);
  assert.equal(shown.output, expected("rich-report-appendix.txt"), "the output is python's");
  // The index, then one ranged request per entry the bale lacks.
  const rest = shown.timeline.filter(([, p]) => p.endsWith("/app.rest.bale"));
  assert.ok(rest.length >= 3, JSON.stringify(rest));
});

test("a PyScript worker without cross-origin isolation loads its bale too (its prints go to the console)", async () => {
  const want = expected("rich-report.txt");
  let lines = want.split("\n").length - 1;
  const shown = await open(plain, "print-worker.html", (tab) =>
    tab.waitForEvent("console", { predicate: (m) => m.type() === "log" && --lines === 0, timeout: 300_000 }),
  );
  assert.equal(shown.logs.join("\n") + "\n", want, "the output is python's");
});

test("a bale that is not there: PyScript shows the URL and the HTTP status, and the code does not run", async () => {
  // Its code would run at once after the banner, and fail on `import report`.
  const shown = await open(plain, "missing-index.html", async (tab) => {
    await tab.waitForSelector(".py-error", { timeout: 300_000 });
    await tab.waitForTimeout(2000);
  });
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
