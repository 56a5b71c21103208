// JupyterLite: the time from the kernel's start to the end of the first cell that
// imports an app's packages, rich-report's from its bale against the same packages
// installed with `%pip install` from the site's wheels, in headless Chromium:
//   node bench/jupyterlite.mjs SITE [RUNS] [RESULT.json]
// SITE is the site scripts/test-pyodide.sh builds with scripts/jupyterlite-site.sh
// ($WORK/pyodide-test/jupyterlite: bale's wheel and rich-report's wheels in pypi/,
// its bale and rest bale beside the notebook); BALE_PLAYWRIGHT names playwright-core
// (scripts/lib.sh browser_tools). Each start opens the example's notebook in a new
// browser with an empty profile, interleaved, after one of each not counted (the
// server compresses each file on its first request). Both then run the same import
// cell; the phases are the kernel's start (Pyodide, micropip, IPython: the same for
// both), the install (bale: %pip install bale and bale.load; wheels: %pip install
// rich==14.2.0) and the import.
import fs from "node:fs";
import path from "node:path";

import { launch } from "../examples/web/chromium.mjs";
import { serve } from "../examples/web/serve.mjs";
import { openNotebook, runInKernel } from "../examples/jupyterlite/notebook.mjs";
import { medians as mediansOf } from "./medians.mjs";

const [site, runs = "5", resultPath] = process.argv.slice(2);
const { chromium } = await import(path.join(process.env.BALE_PLAYWRIGHT, "index.mjs"));

// rich-report's imports of rich (report.py's), the cell both starts end with; through
// importlib, so that the kernel's loadPackagesFromImports, which before a cell runs
// loads from Pyodide's CDN the packages its import statements name, bale or not
// (README's JupyterLite section), stays out of both.
const IMPORT = `import importlib
for name in ["rich.console", "rich.markdown", "rich.panel", "rich.syntax", "rich.table", "rich.tree"]:
    importlib.import_module(name)`;
const [install, load] = JSON.parse(fs.readFileSync(new URL("../examples/jupyterlite/bale.ipynb", import.meta.url), "utf8"))
  .cells.filter((c) => c.cell_type === "code")
  .map((c) => c.source.join(""));
const INSTALL = {
  bale: `${install}\n${load}`, // the notebook's cells
  // The bale's rich: else micropip takes Pyodide's (14.3.3), from its CDN. rich's
  // requirements (markdown-it-py, mdurl) come from the site too; pygments is the
  // kernel's, as it is for the bale.
  wheels: "%pip install rich==14.2.0",
};
const WHERE = 'import sys; print(sys.modules["rich"].__file__)';

// The site alone is asked for; the server's other folders are the site's own.
const server = await serve({
  pyodide: path.join(site, "static/pyodide"),
  importer: path.join(site, "pypi/all.json"),
  bales: path.join(site, "files"),
  mounts: [["/lite/", site]],
});
const origin = `http://127.0.0.1:${server.address().port}/`;
const url = `${origin}lite/notebooks/index.html?path=bale.ipynb`;

async function start(mode) {
  const browser = await launch(chromium);
  const strays = []; // a request elsewhere would time what is not the site
  browser.context.on("request", (r) => r.url().startsWith(origin) || strays.push(r.url()));
  try {
    const page = await openNotebook(browser.context, url);
    const now = () => page.evaluate(() => performance.now());
    const run = (code) => runInKernel(page, code);
    await run("pass"); // waits for the kernel's start
    const started = await now();
    await run(INSTALL[mode]);
    const installed = await now();
    await run(IMPORT);
    const imported = await now();
    const where = await run(WHERE);
    if (where.startsWith("/bale/") !== (mode === "bale")) throw new Error(`${mode}: rich from ${where}`);
    if (strays.length) throw new Error(`${mode}: requests beyond the site:\n${strays.join("\n")}`);
    return { ready: started, install: installed - started, import: imported - installed, total: imported - started, navigation: imported };
  } finally {
    await browser.close();
  }
}

const times = { wheels: [], bale: [] };
for (let i = -1; i < Number(runs); i++) {
  console.error(`==> ${i < 0 ? "warm-up" : `run ${i + 1}/${runs}`}`);
  for (const mode of Object.keys(times)) {
    const t = await start(mode);
    if (i >= 0) times[mode].push(t);
  }
}
server.close();
const medians = mediansOf(times);
if (resultPath) fs.writeFileSync(resultPath, JSON.stringify({ date: new Date().toISOString().slice(0, 10), runs: Number(runs), medians, times }, null, 1));

const ms = (v) => Math.round(v).toLocaleString("en");
console.log(`JupyterLite (pyodide-kernel 0.8.6, Pyodide 314.0.6), ${runs} runs, medians (ms)`);
console.log("| rich from | kernel ready, from navigation | install | import | kernel ready to imported | vs wheels | navigation to imported |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const [mode, m] of Object.entries(medians)) {
  const ratio = (m.total / medians.wheels.total).toFixed(2);
  console.log(`| ${mode} | ${ms(m.ready)} | ${ms(m.install)} | ${ms(m.import)} | ${ms(m.total)} | ${ratio}× | ${ms(m.navigation)} |`);
}
