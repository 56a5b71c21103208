// Returning visitors, measured (run by bench/visits.sh, which packs what it needs):
//   node bench/visits.mjs DIR RESULT.json
// DIR holds three deploys of rich-report's quickstart app (a, b: one line of the app
// changed, c: pygments bumped too), each as a framed bale with its parts file, as
// pyodide-pack's zip of sources, and as wheels with the app's file. For each link
// (localhost, cable, 4G) and each way of shipping, one headless Chromium profile
// visits a site four times: a first visit (deploy a), the same again, after deploy
// b, after deploy c; Chromium is started again for each visit, its profile kept, so
// its HTTP cache and Cache API last as a returning visitor's do. The server sends
// ETags with `Cache-Control: no-cache` (the browser revalidates what it has: 304),
// brotli as a production server would, and answers Range requests (several ranges as
// multipart/byteranges). Per visit: the bytes of the app the server sent (under
// /bales/: the bale and its parts file, or the zip, or the wheels and app file; Pyodide's
// own files are the same for all), everything the server sent, and the time from
// navigation to the app's first line of output. One run of each.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { launchProfile } from "../examples/web/chromium.mjs";
import { serve } from "../examples/web/serve.mjs";
import { updateNeeds } from "../importer/js/testing.mjs";
import { LINKS } from "./links.mjs";

const [dir, resultPath] = process.argv.slice(2);
const { BALE_PYODIDE, BALE_IMPORTER, BALE_PLAYWRIGHT } = process.env;
const { chromium } = await import(path.join(BALE_PLAYWRIGHT, "index.mjs"));
const links = Object.fromEntries(Object.entries(LINKS).filter(([name]) => name !== "slow 4G"));
const VISITS = [
  ["first", "a"],
  ["same again", "a"],
  ["app changed", "b"],
  ["pygments bumped", "c"],
];
const run = "script:app.py";

// What each way of shipping puts on the site for a deploy, and the page's query.
const FORMS = {
  bale: {
    files: () => ["app.bale.zst", "app.parts", "app.stdlib.zip"],
    query: () => ({ bale: "/bales/app.bale.zst", stdlib: "/bales/app.stdlib.zip", run }),
  },
  wheels: {
    files: (d) => ["app.py", ...fs.readdirSync(path.join(dir, d, "wheels")).map((w) => `wheels/${w}`)],
    query: (d) => ({
      wheels: fs.readdirSync(path.join(dir, d, "wheels")).map((w) => `/bales/wheels/${w}`).join(","),
      files: "/bales/app.py",
      run,
    }),
  },
  "pyodide-pack": {
    files: () => ["app.pack.zip", "src.stdlib.zip"],
    query: () => ({ zip: "/bales/app.pack.zip", stdlib: "/bales/src.stdlib.zip", run }),
  },
};

function deploy(site, form, d) {
  fs.rmSync(site, { recursive: true, force: true });
  fs.mkdirSync(path.join(site, "wheels"), { recursive: true });
  for (const file of FORMS[form].files(d)) fs.copyFileSync(path.join(dir, d, file), path.join(site, file));
}

async function visit(profile, server, query, link) {
  const context = await launchProfile(chromium, profile);
  try {
    const page = await context.newPage();
    if (link) {
      const cdp = await context.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.emulateNetworkConditions", { offline: false, ...link });
    }
    const first = server.log.length;
    await page.goto(`${server.base}/?${new URLSearchParams(query)}`, { timeout: 600_000 });
    await page.waitForSelector('#status:not([data-state="loading"])', { timeout: 900_000 });
    const output = await page.textContent("#output");
    const state = await page.getAttribute("#status", "data-state");
    if (state !== "done" || !/Release notes/.test(output)) throw new Error(`${await page.textContent("#status")}\n${output}`);
    const timing = JSON.parse(await page.textContent("#timing"));
    const lines = server.log.slice(first);
    const bytes = (match) => lines.filter((l) => match.test(l)).reduce((n, l) => n + Number(l.split(" ").pop()), 0);
    return { app: bytes(/ \/bales\//), all: bytes(/./), firstOutput: timing.firstOutput, requests: lines.filter((l) => / \/bales\//.test(l)) };
  } finally {
    await context.close();
  }
}

const results = { date: new Date().toISOString().slice(0, 10), links, visits: VISITS, runs: {} };
const read = (d) => new Uint8Array(fs.readFileSync(path.join(dir, d, "app.parts")));
results.needs = { "app changed": await updateNeeds(read("a"), read("b")), "pygments bumped": await updateNeeds(read("b"), read("c")) };
for (const [linkName, link] of Object.entries(links)) {
  for (const form of Object.keys(FORMS)) {
    const site = fs.mkdtempSync(path.join(os.tmpdir(), "bale-visits-bench-site-"));
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "bale-visits-bench-profile-"));
    const log = [];
    const s = await serve({ pyodide: BALE_PYODIDE, importer: BALE_IMPORTER, bales: site, validators: true, log: (l) => log.push(l) });
    const server = { base: `http://127.0.0.1:${s.address().port}`, log };
    const row = [];
    for (const [name, d] of VISITS) {
      if (name !== "same again") deploy(site, form, d);
      console.error(`==> ${linkName}, ${form}: ${name}`);
      const got = await visit(profile, server, FORMS[form].query(d), link);
      row.push({ visit: name, ...got });
    }
    results.runs[`${linkName}/${form}`] = row;
    s.close();
    for (const f of [site, profile]) fs.rmSync(f, { recursive: true, force: true });
  }
}
fs.writeFileSync(resultPath, JSON.stringify(results, null, 1));

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log("what an update needs at least (bale): the parts file's head, then the changed parts");
for (const [name, n] of Object.entries(results.needs)) console.log(`  ${name}: head ${kib(n.head)}, ${n.parts} parts, ${kib(n.changed)}`);
for (const linkName of Object.keys(links)) {
  console.log(`\n${linkName}: the app's bytes sent, and ms from navigation to first output`);
  for (const form of Object.keys(FORMS)) {
    const cells = results.runs[`${linkName}/${form}`].map((v) => `${v.visit}: ${kib(v.app)}, ${Math.round(v.firstOutput)} ms`);
    console.log(`  ${form.padEnd(13)} ${cells.join("; ")}`);
  }
}
