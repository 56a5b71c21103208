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
// rich) and the import.
import fs from "node:fs";
import path from "node:path";

import { launch } from "../examples/web/chromium.mjs";
import { serve } from "../examples/web/serve.mjs";
import { openNotebook, runInKernel } from "../examples/jupyterlite/notebook.mjs";
import { medians as mediansOf } from "./medians.mjs";

const [site, runs = "5", resultPath] = process.argv.slice(2);
const { chromium } = await import(path.join(process.env.BALE_PLAYWRIGHT, "index.mjs"));

// rich-report's imports of rich (report.py's), the cell both starts end with.
const IMPORT = "import rich.console, rich.markdown, rich.panel, rich.syntax, rich.table, rich.tree";
const [install, load] = JSON.parse(fs.readFileSync(new URL("../examples/jupyterlite/bale.ipynb", import.meta.url), "utf8"))
  .cells.filter((c) => c.cell_type === "code")
  .map((c) => c.source.join(""));
const INSTALL = {
  bale: `${install}\n${load}`, // the notebook's cells
  // rich's own requirements (markdown-it-py, mdurl) come from the site too; pygments
  // is the kernel's, as it is for the bale.
  wheels: "%pip install rich",
};
const WHERE = "import rich; print(rich.__file__)";

// The site alone is asked for; the server's other folders are the site's own.
const server = await serve({
  pyodide: path.join(site, "static/pyodide"),
  importer: path.join(site, "pypi/all.json"),
  bales: path.join(site, "files"),
  mounts: [["/lite/", site]],
});
const url = `http://127.0.0.1:${server.address().port}/lite/notebooks/index.html?path=bale.ipynb`;

async function start(mode) {
  const browser = await launch(chromium);
  try {
    const page = await openNotebook(browser.context, url);
    const now = () => page.evaluate(() => performance.now());
    const run = (code) => runInKernel(page, code);
    await run("pass"); // waits for the kernel to start
    const started = await now();
    await run(INSTALL[mode]);
    const installed = await now();
    await run(IMPORT);
    const imported = await now();
    const where = await run(WHERE);
    if (where.startsWith("/bale/") !== (mode === "bale")) throw new Error(`${mode}: rich from ${where}`);
    return { kernel: started, install: installed - started, import: imported - installed, total: imported - started };
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
console.log("| rich from | kernel started (from navigation) | install | import | kernel start to imported | vs wheels |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const [mode, m] of Object.entries(medians)) {
  console.log(`| ${mode} | ${ms(m.kernel)} | ${ms(m.install)} | ${ms(m.import)} | ${ms(m.total)} | ${(m.total / medians.wheels.total).toFixed(2)}× |`);
}
