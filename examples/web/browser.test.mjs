// The web example in a real browser: headless Chromium (Debian's, driven by
// playwright-core) opens the page from a localhost server, which starts Pyodide, loads
// a bale with the loader and runs the app; the test reads the app's output off the
// page. `node --test examples/web/browser.test.mjs` with BALE_PYODIDE (the pyodide
// npm package's folder), BALE_IMPORTER (the importer built for Pyodide),
// BALE_TEST_BALES (the bales scripts/test-pyodide.sh packs) and BALE_PLAYWRIGHT (the
// playwright-core package's folder), as scripts/test-browser.sh sets them.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { launch, showPage } from "./chromium.mjs";
import { serve } from "./serve.mjs";

const { BALE_PYODIDE, BALE_IMPORTER, BALE_TEST_BALES, BALE_PLAYWRIGHT } = process.env;
const { chromium } = await import(path.join(BALE_PLAYWRIGHT, "index.mjs"));

let server, browser;
const requests = [];
before(async () => {
  server = await serve({ pyodide: BALE_PYODIDE, importer: BALE_IMPORTER, bales: BALE_TEST_BALES, log: (l) => requests.push(l) });
  browser = await launch(chromium);
});
after(async () => {
  await browser?.close();
  server?.close();
});

const open = (query) =>
  showPage(browser.context, `http://127.0.0.1:${server.address().port}/?${new URLSearchParams(query)}`);

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
  // Moments from the navigation, in order: the bale downloaded while Pyodide started.
  const moments = ["pyodideReady", "prepared", "firstOutput", "end"].map((m) => timing[m]);
  assert.ok(moments.every((t, i) => t > 0 && (i === 0 || t >= moments[i - 1])), JSON.stringify(timing));
  assert.ok(timing.lastByte > 0 && timing.lastByte <= timing.end, JSON.stringify(timing));
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

test("starts rich-report from its wheels and files without a bale (the benchmark's baseline) in Chromium", async () => {
  const wheels = fs.readdirSync(path.join(BALE_TEST_BALES, "rich-report-wheels")).map((f) => `/bales/rich-report-wheels/${f}`);
  const shown = await open({ wheels: wheels.join(","), files: "/examples/rich-report/report.py", run: "script:report.py" });
  assert.equal(shown.state, "done", `${shown.status}\n${shown.output}\n${shown.errors.join("\n")}`);
  assert.match(shown.output, /Release notes/);
  assert.ok(shown.downloaded > 0, "the page counts what it downloaded");
});

/** rich-report with an option its trace did not take (`--appendix rust`), on a page
 * with `more` parameters: checks that it printed what python prints and that its rest
 * bale served the misses by XMLHttpRequest; gives what the page showed, the misses,
 * and the requests the server saw meanwhile. */
async function reportFromRest(more = {}) {
  const before = requests.length;
  const shown = await open({
    ...more,
    bale: "/bales/rich-report.bale",
    stdlib: "/bales/rich-report.stdlib.zip",
    rest: "1",
    run: "script:report.py",
    args: "--appendix rust",
  });
  assert.equal(shown.state, "done", `${shown.status}\n${shown.output}\n${shown.errors.join("\n")}`);
  const expected = fs.readFileSync(path.join(BALE_TEST_BALES, "rich-report-appendix.txt"), "utf8");
  assert.equal(shown.output, expected, "the output is python's");
  const { misses } = JSON.parse(shown.timing);
  assert.equal(misses.via, "XMLHttpRequest");
  return { shown, misses, log: requests.slice(before) };
}

test("runs rich-report with an option its trace did not take: what the bale lacks comes from its rest bale", async () => {
  const { misses, log } = await reportFromRest();
  const paths = misses.misses.map((m) => m.path);
  assert.ok(paths.includes("pygments/lexers/rust.py") && paths.includes("report_extras.py"), paths.join("\n"));
  // The rest bale's index (one or two ranged requests), then one ranged GET per miss.
  const rest = log.filter((l) => l.includes("/bales/rich-report.rest.bale"));
  assert.ok(rest.every((l) => /^GET \S+ bytes=\d+-\d+ 206 /.test(l)), rest.join("\n"));
  assert.ok(rest.length - misses.misses.length >= 1 && rest.length - misses.misses.length <= 2, rest.join("\n"));
});

test("runs rich-report in a module worker, what the bale lacks from its rest bale by synchronous XMLHttpRequest", async () => {
  const { shown, misses, log } = await reportFromRest({ worker: "1" });
  assert.ok(misses.misses.some((m) => m.path === "report_extras.py"), JSON.stringify(misses));
  // The worker fetched the bale and Pyodide, and counted them itself.
  assert.ok(shown.downloaded > shown.pyodideDownloaded && shown.pyodideDownloaded > 0, JSON.stringify(shown));
  assert.ok(log.some((l) => l.startsWith("GET /worker.mjs ")), log.join("\n"));
  assert.ok(log.some((l) => /^GET \/bales\/rich-report\.rest\.bale bytes=/.test(l)), log.join("\n"));
});

test("an extension module from the bale, compiled and imported in a module worker", async () => {
  const shown = await open({ worker: "1", bale: "/bales/wordstats.bale", stdlib: "/bales/wordstats.stdlib.zip", run: "module:wordstats" });
  assert.equal(shown.state, "done", `${shown.status}\n${shown.output}\n${shown.errors.join("\n")}`);
  assert.match(shown.output, /the most frequent:\n\s+\d+ is\n/);
});

test("micropip installs bale's Pyodide wheel on a plain page; Python loads the bale with await bale.load", async () => {
  const before = requests.length;
  const names = fs.readdirSync(BALE_TEST_BALES);
  const pick = (pattern) => `/bales/${names.find((f) => pattern.test(f))}`;
  const pip = [pick(/^micropip-.*\.whl$/), pick(/^packaging-.*\.whl$/), pick(/^bale-.*pyemscripten.*\.whl$/)];
  const shown = await open({
    pip: pip.join(","),
    // Pyodide's whole standard library: micropip needs more of it than the app does.
    bale: "/bales/rich-report.bale",
    rest: "1",
    run: "script:report.py",
    args: "--appendix rust",
  });
  assert.equal(shown.state, "done", `${shown.status}\n${shown.output}\n${shown.errors.join("\n")}`);
  const expected = fs.readFileSync(path.join(BALE_TEST_BALES, "rich-report-appendix.txt"), "utf8");
  assert.equal(shown.output, expected, "the output is python's");
  const log = requests.slice(before);
  // The importer came from the wheel, not from the loader's URL.
  assert.ok(!log.some((l) => l.startsWith("GET /loader/bale.abi3.so ")), log.join("\n"));
  assert.ok(log.some((l) => /^GET \/bales\/bale-.*pyemscripten.*\.whl 200 /.test(l)), log.join("\n"));
});

test("a bale that is not there fails on the page with the URL and the HTTP status", async () => {
  const shown = await open({ bale: "/bales/missing.bale", run: "module:missing" });
  assert.equal(shown.state, "error");
  assert.match(shown.status, /\/bales\/missing\.bale failed: HTTP 404/);
});
