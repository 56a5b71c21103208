// PyScript: time to first output of rich-report in PyScript 0.7.31 on the main thread,
// from its bale through the bale plugin (importer/js/pyscript.mjs) against PyScript's
// own `packages` (its wheels from the site, installed by micropip, as PyScript users
// do), in headless Chromium (run by bench/pyscript.sh, which sets DIR up):
//   node bench/pyscript.mjs DIR [RUNS] [RESULT.json]
// DIR holds bale/ (`bale pack ... --target pyodide --rest -o app.bale.zst`: the framed
// bale, its stdlib zip, its rest bale), wheels/ (rich-report's, from PyPI), pyodide/
// (Pyodide 314.0.2 whose lock file names micropip and packaging beside it),
// bale.abi3.so (the importer for Pyodide) and expected.txt (what python prints).
// BALE_PYSCRIPT names @pyscript/core's folder, BALE_PLAYWRIGHT playwright-core's.
//
// Both pages run the same script, `import report; report.main([])`, on PyScript's main
// thread with Pyodide from the site. The bale's page names the bale and its rest bale
// in the plugin's attributes; PyScript's config passes Pyodide no stdLibURL, so the
// bale's trimmed stdlib zip goes unused and both load Pyodide's python_stdlib.zip. The
// wheels' page lists the wheels in pyscript.toml's `packages` and report.py in its
// `files`. Two links: localhost, and 4G as bench/throttled.mjs sets it (CDP's
// Network.emulateNetworkConditions, 9 Mbit/s, 170 ms), the cache disabled. RUNS starts
// of each form, interleaved, each in a new browser context of one headless Chromium,
// after one start of each on localhost not counted (the server compresses each file
// on its first request: brotli 9, as for bench/throttled.mjs). The page gives, in ms
// from navigation: Pyodide ready (PyScript's "Loaded interpreter"), the app's first
// line on stdout, its last line; CDP gives the bytes that came over the network (by
// path too, for the first counted start of each form and link). Every
// start must print python's output, and ask nothing of any origin but the site's.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { launchShared, measuredNetwork } from "../examples/web/chromium.mjs";
import { serve } from "../examples/web/serve.mjs";
import { medians as mediansOf } from "./medians.mjs";

const [dir, runs = "3", resultPath] = process.argv.slice(2);
const { BALE_PYSCRIPT, BALE_PLAYWRIGHT } = process.env;
const { chromium } = await import(path.join(BALE_PLAYWRIGHT, "index.mjs"));
const here = path.dirname(fileURLToPath(import.meta.url));
// bench/throttled.mjs's localhost and 4G (that module runs its benchmark on import).
const kbit = (n) => (n * 1000) / 8; // bytes per second
const LINKS = { localhost: null, "4G": { latency: 170, downloadThroughput: kbit(9000), uploadThroughput: kbit(9000) } };
const expected = fs.readFileSync(path.join(dir, "expected.txt"), "utf8").replace(/\n$/, "").split("\n");
const wheels = fs.readdirSync(path.join(dir, "wheels")).filter((f) => f.endsWith(".whl")).sort();

// The pages, their configs and the script they run.
const pages = fs.mkdtempSync(path.join(os.tmpdir(), "bale-pyscript-bench-"));
const write = (name, text) => fs.writeFileSync(path.join(pages, name), text);
const CORE = '<script type="module" src="./node_modules/@pyscript/core/dist/core.js"></script>';
write("print.py", "import report\nreport.main([])\n");
// A page that runs print.py in PyScript with `config`; `head` goes before PyScript's
// core, `attributes` on its script.
const page = (title, config, head = "", attributes = "") => `<!doctype html>
<meta charset="utf-8">
<title>rich-report in PyScript, ${title}</title>
${head}${CORE}
<script type="py" src="print.py" config="${config}"${attributes}></script>
`;
const PLUGIN = `<script type="importmap">{ "imports": { "@pyscript/core": "./node_modules/@pyscript/core/dist/core.js" } }</script>
<script type="module" src="./node_modules/bale-loader/pyscript.mjs"></script>
`;
write("bale.html", page("from its bale", "bale.toml", PLUGIN, ' bale="app.bale.zst" bale-rest'));
write("bale.toml", 'interpreter = "./node_modules/pyodide/pyodide.mjs"\n');
write("packages.html", page("from its wheels", "packages.toml"));
write(
  "packages.toml",
  `interpreter = "./node_modules/pyodide/pyodide.mjs"
packages = [${wheels.map((w) => `"./wheels/${w}"`).join(", ")}]

[files]
"./report.py" = "./report.py"
`,
);
const FORMS = { packages: "packages.html", bale: "bale.html" };

const server = await serve({
  pyodide: path.join(dir, "pyodide"),
  importer: path.join(dir, "bale.abi3.so"),
  bales: path.join(dir, "bale"),
  mounts: [
    ["/app/node_modules/@pyscript/core/", BALE_PYSCRIPT],
    ["/app/node_modules/pyodide/", path.join(dir, "pyodide")],
    ["/app/node_modules/bale-loader/bale.abi3.so", path.join(dir, "bale.abi3.so")],
    ["/app/node_modules/bale-loader/", path.join(here, "../importer/js")],
    ["/app/app.bale.zst", path.join(dir, "bale/app.bale.zst")],
    ["/app/app.rest.bale", path.join(dir, "bale/app.rest.bale")],
    ["/app/wheels/", path.join(dir, "wheels")],
    ["/app/report.py", path.join(here, "../examples/rich-report/report.py")],
    ["/app/", pages],
  ],
});
const origin = `http://127.0.0.1:${server.address().port}/`;

const browser = await launchShared(chromium);

// One start of a page: a new context, the cache disabled, the link set.
async function start(page, link) {
  const context = await browser.newContext();
  const strays = [];
  context.on("request", (r) => r.url().startsWith(origin) || r.url().startsWith("blob:") || r.url().startsWith("data:") || strays.push(r.url()));
  try {
    const tab = await context.newPage();
    const errors = [];
    tab.on("pageerror", (e) => errors.push(e.message));
    tab.on("console", (m) => m.type() === "error" && !/favicon|status of 404/.test(m.text()) && errors.push(m.text()));
    // stdout's lines (PyScript binds console.log when it starts Pyodide) and Pyodide's
    // readiness, in ms from navigation.
    await tab.addInitScript(() => {
      const seen = (globalThis.__bench = { lines: [], ready: null });
      const log = console.log;
      console.log = function (...args) {
        seen.lines.push([performance.now(), args.map(String).join(" ")]);
        return log.apply(this, args);
      };
      addEventListener("py:progress", ({ detail }) => detail === "Loaded interpreter" && (seen.ready = performance.now()));
    });
    const cdp = await measuredNetwork(context, tab, link);
    // What came over the network, by path (a rest bale's ranged requests add up).
    const [urls, files] = [new Map(), {}];
    let downloaded = 0;
    cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
    cdp.on("Network.loadingFinished", (e) => {
      downloaded += e.encodedDataLength;
      const url = urls.get(e.requestId) ?? "?";
      const name = url.startsWith(origin) ? new URL(url).pathname : url.slice(0, 40);
      files[name] = (files[name] ?? 0) + e.encodedDataLength;
    });
    await tab.goto(`${origin}app/${page}`, { timeout: 600_000 });
    const last = expected[expected.length - 1];
    await tab.waitForFunction(
      (last) => globalThis.__bench.lines.some(([, l]) => l === last) || document.querySelector(".py-error"),
      last,
      { timeout: 900_000, polling: 50 },
    );
    const seen = await tab.evaluate(() => globalThis.__bench);
    const banner = await tab.locator(".py-error").allTextContents();
    const first = seen.lines.findIndex(([, l]) => l === expected[0]);
    const printed = first < 0 ? [] : seen.lines.slice(first, first + expected.length);
    const output = printed.map(([, l]) => l);
    if (banner.length || output.join("\n") !== expected.join("\n")) {
      throw new Error(`${page}: not python's output\n${banner.join("\n")}\n${seen.lines.map(([, l]) => l).join("\n")}\n${errors.join("\n")}`);
    }
    if (strays.length) throw new Error(`${page}: requests beyond the site:\n${strays.join("\n")}`);
    const times = { pyodideReady: seen.ready, firstOutput: printed[0][0], end: printed[printed.length - 1][0], downloaded };
    return { times, files };
  } finally {
    await context.close();
  }
}

const load = () => os.loadavg().map((l) => Number(l.toFixed(2)));
const results = {
  date: new Date().toISOString().slice(0, 10),
  runs: Number(runs),
  versions: { pyscript: "0.7.31", pyodide: "314.0.2", micropip: "0.11.1", chromium: browser.version() },
  wheels,
  links: LINKS,
  loadavg: { before: load() },
  times: {},
  medians: {},
  requests: {},
};
console.error(`==> load average before: ${results.loadavg.before.join(", ")}`);
for (const [linkName, link] of Object.entries(LINKS)) {
  const samples = Object.fromEntries(Object.keys(FORMS).map((f) => [f, []]));
  for (let i = linkName === "localhost" ? -1 : 0; i < Number(runs); i++) {
    for (const [form, page] of Object.entries(FORMS)) {
      console.error(`==> ${linkName}, ${form}: ${i < 0 ? "warm-up" : `run ${i + 1}/${runs}`}`);
      const { times: t, files } = await start(page, i < 0 ? null : link);
      console.error(`    ${JSON.stringify(t)}`);
      if (i >= 0) samples[form].push(t);
      if (i === 0) (results.requests[linkName] ??= {})[form] = files; // the first counted start's
    }
  }
  results.times[linkName] = samples;
  results.medians[linkName] = mediansOf(samples);
}
results.loadavg.after = load();
console.error(`==> load average after: ${results.loadavg.after.join(", ")}`);
server.close();
await browser.close();
fs.rmSync(pages, { recursive: true, force: true });
if (resultPath) fs.writeFileSync(resultPath, JSON.stringify(results, null, 1));

const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
console.log(`PyScript ${results.versions.pyscript} (main thread), Pyodide ${results.versions.pyodide}, Chromium ${results.versions.chromium}: rich-report, medians of ${runs} starts`);
console.log("| link | form | Pyodide ready | first output | vs packages | end | downloaded |");
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
for (const [link, forms] of Object.entries(results.medians)) {
  for (const [form, m] of Object.entries(forms)) {
    const ratio = (m.firstOutput / forms.packages.firstOutput).toFixed(2);
    const name = form === "bale" ? "bale (plugin)" : "`packages` (wheels)";
    console.log(`| ${link} | ${name} | ${s(m.pyodideReady)} | ${s(m.firstOutput)} | ${ratio}× | ${s(m.end)} | ${Math.round(m.downloaded / 1024).toLocaleString("en")} KiB |`);
  }
}
console.log(`load average (1, 5, 15 min): before ${results.loadavg.before.join(", ")}; after ${results.loadavg.after.join(", ")}`);
