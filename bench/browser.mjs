// The Pyodide benchmark in a real browser (run by bench/browser.sh):
//   node bench/browser.mjs PYODIDE_BENCH_DIR RUNS RESULT.json
// For the example apps that install wheels from PyPI, starts the web example's page
// (examples/web) in headless Chromium from the app's bale, its framed bale, and its
// wheels and files (as a page without bale would), RUNS times each, interleaved,
// each in a new browser with an empty profile so that nothing is cached. The page
// times its phases from its first script to the app's end, and counts the bytes it
// downloaded (compressed, as the server sent them), Pyodide's own files apart. Uses the bales
// and wheels bench/pyodide.sh packed and downloaded into PYODIDE_BENCH_DIR.
import fs from "node:fs";
import path from "node:path";

import { launch, showPage } from "../examples/web/chromium.mjs";
import { serve } from "../examples/web/serve.mjs";
import { medians as mediansOf } from "./medians.mjs";

const [dir, runs, resultPath] = process.argv.slice(2);
const { BALE_PYODIDE, BALE_IMPORTER, BALE_PLAYWRIGHT } = process.env;
const { chromium } = await import(path.join(BALE_PLAYWRIGHT, "index.mjs"));

const APPS = [
  { name: "rich-report", script: "report.py", expect: /Release notes/ },
  { name: "sympy-solve", script: "solve.py", expect: /roots of x\*\*3/ },
];

const server = await serve({ pyodide: BALE_PYODIDE, importer: BALE_IMPORTER, bales: dir });
const url = (query) => `http://127.0.0.1:${server.address().port}/?${new URLSearchParams(query)}`;
const results = { date: new Date().toISOString().slice(0, 10), runs: Number(runs), apps: [] };
{
  const browser = await launch(chromium);
  const page = await browser.context.newPage();
  results.chromium = (await page.evaluate(() => navigator.userAgent)).match(/Chrome\/([\d.]+)/)[1];
  await browser.close();
}

for (const app of APPS) {
  const wheels = fs.readdirSync(path.join(dir, `${app.name}-wheels`)).map((f) => `/bales/${app.name}-wheels/${f}`);
  const run = `script:${app.script}`;
  const starts = {
    wheels: { wheels: wheels.join(","), files: `/examples/${app.name}/${app.script}`, run },
    bale: { bale: `/bales/${app.name}.bale`, stdlib: `/bales/${app.name}.stdlib.zip`, run },
    "bale, framed": { bale: `/bales/${app.name}-framed.bale.zst`, stdlib: `/bales/${app.name}-framed.stdlib.zip`, run },
  };
  const times = Object.fromEntries(Object.keys(starts).map((k) => [k, []]));
  // One start of each first, not counted: the server compresses each file once, on
  // its first request.
  for (let i = -1; i < Number(runs); i++) {
    console.error(`==> ${app.name}: ${i < 0 ? "warm-up" : `run ${i + 1}/${runs}`}`);
    for (const [mode, query] of Object.entries(starts)) {
      const browser = await launch(chromium);
      try {
        const shown = await showPage(browser.context, url(query));
        if (shown.state !== "done" || !app.expect.test(shown.output)) {
          throw new Error(`${app.name} from ${mode}: ${shown.status}\n${shown.output}\n${shown.errors.join("\n")}`);
        }
        if (i >= 0) {
          const downloaded = { downloaded: shown.downloaded, besidesPyodide: shown.downloaded - shown.pyodideDownloaded };
          times[mode].push({ ...JSON.parse(shown.timing), ...downloaded });
        }
      } finally {
        await browser.close();
      }
    }
  }
  const medians = mediansOf(times);
  results.apps.push({ name: app.name, medians, times });
}
server.close();
fs.writeFileSync(resultPath, JSON.stringify(results, null, 1));

const ms = (v) => Math.round(v).toLocaleString("en");
console.log(`Chromium ${results.chromium}, ${runs} runs, medians (ms)`);
// The app's files download while Pyodide starts: "files in place" is what their
// preparation took beyond Pyodide's start.
console.log("| app | start from | loadPyodide | files in place | import and run | total | vs wheels | downloaded besides Pyodide | vs wheels | all downloaded |");
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const app of results.apps) {
  const base = app.medians.wheels;
  for (const [mode, m] of Object.entries(app.medians)) {
    console.log(
      `| ${app.name} | ${mode} | ${ms(m.loadPyodide)} | ${ms(m.prepare)} | ${ms(m.run)} | ${ms(m.total)} | ` +
        `${(m.total / base.total).toFixed(2)}× | ${ms(m.besidesPyodide / 1024)} KiB | ` +
        `${(m.besidesPyodide / base.besidesPyodide).toFixed(2)}× | ${ms(m.downloaded / 1024)} KiB |`,
    );
  }
}
