// The JupyterLite example in a real browser: headless Chromium opens the site that
// scripts/jupyterlite-site.sh builds (served from 127.0.0.1 under /lite/, as a site is
// on GitHub Pages), runs the notebook's cells with the notebook's own Run All, and
// reads what they print: rich-report's output, as python prints it. Nothing may come
// from anywhere but this server. `node --test examples/jupyterlite/browser.test.mjs`
// with BALE_JUPYTERLITE (the site), BALE_TEST_BALES (python's output,
// rich-report-appendix.txt), BALE_PLAYWRIGHT, and BALE_PYODIDE and BALE_IMPORTER for
// the server's other folders, as scripts/test-pyodide.sh sets them.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { launch } from "../web/chromium.mjs";
import { readmeBlock } from "../web/readme.mjs";
import { serve } from "../web/serve.mjs";
import { openNotebook, runInKernel } from "./notebook.mjs";

const { BALE_JUPYTERLITE, BALE_TEST_BALES, BALE_PLAYWRIGHT, BALE_PYODIDE, BALE_IMPORTER } = process.env;
const { chromium } = await import(path.join(BALE_PLAYWRIGHT, "index.mjs"));

let server, browser, page, base, cells;
const served = []; // the server's log: one line per request
const strays = []; // requests to any other host, and requests that failed
before(async () => {
  server = await serve({
    pyodide: BALE_PYODIDE,
    importer: BALE_IMPORTER,
    bales: BALE_TEST_BALES,
    mounts: [["/lite/", BALE_JUPYTERLITE]],
    log: (l) => served.push(l),
  });
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launch(chromium);
  // The context's events include the kernel's worker and the site's service worker.
  browser.context.on("request", (r) => r.url().startsWith(`${base}/`) || strays.push(`${r.method()} ${r.url()}`));
  browser.context.on("requestfailed", (r) => strays.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page = await openNotebook(browser.context, `${base}/lite/notebooks/index.html?path=bale.ipynb`);
  cells = await page.evaluate(async () => {
    const app = window.jupyterapp;
    await app.commands.execute("notebook:run-all-cells");
    return app.shell.currentWidget.content.model.toJSON().cells;
  });
});
after(async () => {
  await browser?.close();
  server?.close();
});

const code = () => cells.filter((c) => c.cell_type === "code");
const text = (cell) => cell.outputs.map((o) => (o.output_type === "stream" ? o.text : `[${o.output_type}] ${JSON.stringify(o)}`)).join("");

test("the notebook's code is README's JupyterLite block, as written", () => {
  const source = (c) => (Array.isArray(c.source) ? c.source.join("") : c.source);
  assert.equal(code().map(source).join("\n\n") + "\n", readmeBlock("jupyterlite"));
});

test("the notebook installs bale with %pip from the site and runs rich-report from its bale: python's output", () => {
  const [install, load, run] = code();
  assert.ok(code().every((c) => c.execution_count > 0), "every cell ran");
  assert.ok(!cells.some((c) => c.outputs?.some((o) => o.output_type === "error")), code().map(text).join("\n"));
  assert.equal(text(install) + text(load), "", "installing and loading print nothing");
  const expected = fs.readFileSync(path.join(BALE_TEST_BALES, "rich-report-appendix.txt"), "utf8");
  assert.equal(text(run), expected, "the output is python's");
  assert.ok(served.some((l) => /^GET \/lite\/pypi\/bale-\S+-cp314-cp314-pyemscripten_2026_0_wasm32\.whl 200 /.test(l)), served.join("\n"));
});

test("the app's packages come from the bale, what its trace missed from the rest bale; the kernel keeps its own", async () => {
  // Not `import rich`: before a cell runs, the kernel loads the packages of Pyodide's
  // distribution that its imports name, from Pyodide's CDN, bale or not.
  const said = await runInKernel(page, `
import sys
print(sys.modules["rich"].__file__, report.__file__, sys.modules["pygments"].__file__, finder.rest.via, sep="\\n")
print(*sorted(m["path"] for m in finder.misses()), sep="\\n")`);
  const [richFile, reportFile, pygmentsFile, via, ...missed] = said.trimEnd().split("\n");
  // The libraries' bytecode alone, the app's source beside its bytecode.
  assert.equal(richFile, "/bale/rich-report.bale/rich/__init__.pyc");
  assert.equal(reportFile, "/bale/rich-report.bale/report.py");
  // IPython imported pygments as the kernel started: a package imported before the
  // bale was installed stays the kernel's (the bale's finder serves submodules of
  // its own packages alone), so its rust lexer is not a miss.
  assert.match(pygmentsFile, /^\/lib\/python3\.14\/site-packages\/pygments\/__init__\.py$/);
  assert.equal(via, "XMLHttpRequest");
  assert.ok(missed.includes("report_extras.py") && missed.includes("snippets/hello.rs"), missed.join("\n"));
  assert.ok(!missed.some((m) => m.startsWith("pygments/")), missed.join("\n"));
  // The rest bale's index, then one ranged GET per miss: never the whole file.
  const rest = served.filter((l) => l.includes("/lite/files/rich-report.rest.bale"));
  assert.ok(rest.length > 0 && rest.every((l) => /^GET \S+ bytes=\d+-\d+ 206 /.test(l)), rest.join("\n"));
});

test("everything came from the site: no request left 127.0.0.1, none failed", () => {
  assert.deepEqual(strays, []);
  // Chromium asks the server's root for a favicon; the site has its own.
  const missing = served.filter((l) => !/ 20[06] \d+$/.test(l) && !l.startsWith("GET /favicon.ico "));
  assert.deepEqual(missing, []);
});
