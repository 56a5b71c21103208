// Time to first output in headless Chromium over throttled links (run by
// bench/throttled.sh):
//   node bench/throttled.mjs PYODIDE_BENCH_DIR RUNS RESULT.json
// For rich-report and sympy-solve, the web example's page starts the app in five
// forms: from its wheels (as a page without bale does it), from pyodide-pack's one zip
// of sources, from its default bale, from its framed bale, and from a bale of sources
// only; each with its own standard library (Pyodide's for the wheels, the trimmed zip
// its packing wrote for the others). Every form downloads while Pyodide starts, its
// best case. Under four links, set with CDP's Network.emulateNetworkConditions and the
// cache disabled: slow 4G, 4G, cable, and localhost unthrottled. RUNS starts of each,
// interleaved, each in a new browser context (nothing cached, nothing shared with an
// earlier start) of one headless Chromium. The server sends with
// brotli as a production server would. The page gives, in ms from navigation: Pyodide
// ready, the app's files in place, its first line of output, its end, and the last
// byte downloaded.
import fs from "node:fs";
import path from "node:path";

import { launchShared, measuredNetwork } from "../examples/web/chromium.mjs";
import { serve } from "../examples/web/serve.mjs";
import { LINKS } from "./links.mjs";
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
const results = { date: new Date().toISOString().slice(0, 10), runs: Number(runs), links: LINKS, apps: [] };

// One browser for every start (its own start is not timed: the clock starts at each
// page's navigation), a new context for each.
const browser = await launchShared(chromium);

async function start(query, link) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const cdp = await measuredNetwork(context, page, link);
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url(query), { timeout: 600_000 });
    await page.waitForSelector('#status:not([data-state="loading"])', { timeout: 900_000 });
    return {
      state: await page.getAttribute("#status", "data-state"),
      status: await page.textContent("#status"),
      downloaded: Number(await page.getAttribute("#status", "data-downloaded")),
      output: await page.textContent("#output"),
      timing: JSON.parse((await page.textContent("#timing")) || "{}"),
      errors,
    };
  } finally {
    await context.close();
  }
}

for (const app of APPS) {
  const wheels = fs.readdirSync(path.join(dir, `${app.name}-wheels`)).map((f) => `/bales/${app.name}-wheels/${f}`);
  const run = `script:${app.script}`;
  const forms = {
    wheels: { wheels: wheels.join(","), files: `/examples/${app.name}/${app.script}`, run },
    "pyodide-pack": { zip: `/bales/${app.name}.pack.zip`, stdlib: `/bales/${app.name}-src.stdlib.zip`, run },
    bale: { bale: `/bales/${app.name}.bale`, stdlib: `/bales/${app.name}.stdlib.zip`, run },
    "bale, framed": { bale: `/bales/${app.name}-framed.bale.zst`, stdlib: `/bales/${app.name}-framed.stdlib.zip`, run },
    "bale, sources": { bale: `/bales/${app.name}-src.bale`, stdlib: `/bales/${app.name}-src.stdlib.zip`, run },
  };
  const entry = { name: app.name, links: {} };
  for (const [linkName, link] of Object.entries(LINKS)) {
    const samples = Object.fromEntries(Object.keys(forms).map((f) => [f, []]));
    // A start of each first, not counted: the server compresses each file once.
    for (let i = linkName === "localhost" ? -1 : 0; i < Number(runs); i++) {
      for (const [form, query] of Object.entries(forms)) {
        console.error(`==> ${app.name}, ${linkName}, ${form}: ${i < 0 ? "warm-up" : `run ${i + 1}/${runs}`}`);
        const shown = await start(query, i < 0 ? null : link);
        if (shown.state !== "done" || !app.expect.test(shown.output)) {
          throw new Error(`${app.name} from ${form}: ${shown.status}\n${shown.output}\n${shown.errors.join("\n")}`);
        }
        if (i >= 0) {
          const t = shown.timing;
          samples[form].push({
            pyodideReady: t.pyodideReady,
            prepared: t.prepared,
            firstOutput: t.firstOutput,
            end: t.end,
            lastByte: t.lastByte,
            downloaded: shown.downloaded,
          });
        }
      }
    }
    entry.links[linkName] = mediansOf(samples);
  }
  results.apps.push(entry);
}
server.close();
await browser.close();
fs.writeFileSync(resultPath, JSON.stringify(results, null, 1));

for (const app of results.apps) {
  console.log(`\n${app.name}: time to first output, ms from navigation (median of ${runs}); ratio to the wheels`);
  for (const [link, forms] of Object.entries(app.links)) {
    const wheels = forms.wheels.firstOutput;
    const cells = Object.entries(forms).map(
      ([f, m]) => `${f} ${Math.round(m.firstOutput)} (${(m.firstOutput / wheels).toFixed(2)}×, ${Math.round(m.downloaded / 1024)} KiB)`,
    );
    console.log(`  ${link.padEnd(10)} ${cells.join("; ")}`);
  }
}
