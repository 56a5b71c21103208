// The web example in a real browser: headless Chromium (Debian's, driven by
// playwright-core) opens the page from a localhost server, which starts Pyodide, loads
// a bale with the loader and runs the app; the test reads the app's output off the
// page. `node --test examples/web/browser.test.mjs` with BALE_PYODIDE (the pyodide
// npm package's folder), BALE_IMPORTER (the importer built for Pyodide),
// BALE_TEST_BALES (the bales scripts/test-pyodide.sh packs) and BALE_PLAYWRIGHT (the
// playwright-core package's folder), as scripts/test-browser.sh sets them.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import { serve } from "./serve.mjs";

const { BALE_PYODIDE, BALE_IMPORTER, BALE_TEST_BALES, BALE_PLAYWRIGHT } = process.env;
const { chromium } = await import(path.join(BALE_PLAYWRIGHT, "index.mjs"));

// What Chromium needs on this machine (see DEVELOPERS.md): no sandbox as root, no GPU,
// and nothing that calls out to Google's services, which the closed network refuses.
export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let server, browser, profile;
before(async () => {
  server = await serve({ pyodide: BALE_PYODIDE, importer: BALE_IMPORTER, bales: BALE_TEST_BALES });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), "bale-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.BALE_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  browser = context;
});
after(async () => {
  await browser?.close();
  server?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

// Opens the page with `query`, waits until it says done or failed, and gives what it shows.
async function open(query) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const url = `http://127.0.0.1:${server.address().port}/?${new URLSearchParams(query)}`;
  await page.goto(url);
  await page.waitForSelector('#status:not([data-state="loading"])', { timeout: 120_000 });
  const shown = {
    state: await page.getAttribute("#status", "data-state"),
    status: await page.textContent("#status"),
    output: await page.textContent("#output"),
    timing: await page.textContent("#timing"),
    errors,
  };
  await page.close();
  return shown;
}

test("runs rich-report from its bale and trimmed standard library in Chromium", async () => {
  const shown = await open({
    bale: "/bales/rich-report.bale",
    stdlib: "/bales/rich-report.stdlib.zip",
    run: "script:report.py",
  });
  assert.equal(shown.state, "done", `${shown.status}\n${shown.output}\n${shown.errors.join("\n")}`);
  assert.match(shown.output, /Release notes/);
  assert.match(shown.output, /structural pattern matching/);
  const timing = JSON.parse(shown.timing);
  for (const phase of ["loadPyodide", "fetch", "loadBale", "run", "total"]) assert.ok(timing[phase] > 0, phase);
});

test("runs sympy-solve (several hundred modules) from its framed bale in Chromium", async () => {
  const shown = await open({
    bale: "/bales/sympy-solve.bale.zst",
    stdlib: "/bales/sympy-solve.stdlib.zip",
    run: "script:solve.py",
    args: "--digits 12",
  });
  assert.equal(shown.state, "done", `${shown.status}\n${shown.output}\n${shown.errors.join("\n")}`);
  assert.match(shown.output, /roots of x\*\*3 - 6\*x\*\*2 \+ 11\*x - 6: \[1, 2, 3\]/);
  assert.match(shown.output, /pi to 12 digits: 3\.14159265359\n/);
});

test("loads an extension module from the bale in Chromium, compiled before the first import", async () => {
  const shown = await open({ bale: "/bales/wordstats.bale", stdlib: "/bales/wordstats.stdlib.zip", run: "module:wordstats" });
  assert.equal(shown.state, "done", `${shown.status}\n${shown.output}\n${shown.errors.join("\n")}`);
  assert.match(shown.output, /the most frequent:\n\s+\d+ is\n/);
});

test("a bale that is not there fails on the page with the URL and the HTTP status", async () => {
  const shown = await open({ bale: "/bales/missing.bale", run: "module:missing" });
  assert.equal(shown.state, "error");
  assert.match(shown.status, /\/bales\/missing\.bale failed: HTTP 404/);
});
