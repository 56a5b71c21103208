// Returning visitors in headless Chromium, one profile kept across visits and browser
// restarts: the web example's page loads rich-report's quickstart app from a site
// where deploys replace the bale and its parts file. The loader keeps the bale in the
// Cache API; what each visit downloads is read off the server's log. Environment as
// for browser.test.mjs; BALE_TEST_BALES holds deploys/{a,b,c} (see
// scripts/test-pyodide.sh: b changes one line of the app, c also bumps pygments).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import { launchProfile } from "./chromium.mjs";
import { serve } from "./serve.mjs";

const { BALE_PYODIDE, BALE_IMPORTER, BALE_TEST_BALES, BALE_PLAYWRIGHT } = process.env;
const { chromium } = await import(path.join(BALE_PLAYWRIGHT, "index.mjs"));
const deploys = path.join(BALE_TEST_BALES, "deploys");
const integrity = (name) => JSON.parse(fs.readFileSync(path.join(deploys, name, "inspect.json"), "utf8")).integrity;
const size = (name, file) => fs.statSync(path.join(deploys, name, file)).size;
// A visit that downloaded the bale whole (the server compresses it a little more).
const whole = (v, name) => v.bale > 0.9 * size(name, "app.bale.zst");

const site = fs.mkdtempSync(path.join(os.tmpdir(), "bale-visits-site-"));
const profiles = [];
const servers = [];
after(() => {
  servers.forEach((s) => s.close());
  for (const dir of [site, ...profiles]) fs.rmSync(dir, { recursive: true, force: true });
});

// Puts a version's bale, parts file and standard library zip on the site.
function deploy(name) {
  for (const file of ["app.bale.zst", "app.parts", "app.stdlib.zip"]) fs.copyFileSync(path.join(deploys, name, file), path.join(site, file));
}

async function server(options = {}) {
  const log = [];
  const s = await serve({ pyodide: BALE_PYODIDE, importer: BALE_IMPORTER, bales: site, log: (l) => log.push(l), ...options });
  servers.push(s);
  return { base: `http://127.0.0.1:${s.address().port}`, port: s.address().port, log, close: () => new Promise((r) => s.close(r)) };
}

// A browser profile that lasts across restarts: `visit(query)` starts Chromium on it,
// opens the page, waits for it, and closes Chromium again.
function visitor() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "bale-visitor-"));
  profiles.push(profile);
  return {
    profile,
    async visit(site, query, { before: prepare } = {}) {
      const context = await launchProfile(chromium, profile);
      try {
        const page = await context.newPage();
        if (prepare) {
          await page.goto(`${site.base}/pyodide/package.json`); // the site's origin, nothing run
          await prepare(context, page);
        }
        const console = [];
        page.on("console", (m) => console.push(m.text()));
        page.on("pageerror", (e) => console.push(e.message));
        const first = site.log.length;
        const params = new URLSearchParams({ bale: "/bales/app.bale.zst", stdlib: "/bales/app.stdlib.zip", run: "script:app.py", ...query });
        await page.goto(`${site.base}/?${params}`);
        await page.waitForSelector('#status:not([data-state="loading"])', { timeout: 300_000 });
        const shown = { state: await page.getAttribute("#status", "data-state"), status: await page.textContent("#status"), output: await page.textContent("#output") };
        const requests = site.log.slice(first);
        const bytes = (match) => requests.filter((l) => match.test(l)).reduce((n, l) => n + Number(l.split(" ").pop()), 0);
        assert.equal(shown.state, "done", `${shown.status}\n${shown.output}\n${console.join("\n")}`);
        return { ...shown, requests, console, bale: bytes(/app\.bale\.zst/), parts: bytes(/app\.parts/) };
      } finally {
        await context.close();
      }
    },
  };
}

let visits;
before(() => {
  deploy("a");
  visits = visitor();
});

test("first visit, the same again after a restart, an app-only deploy, a pygments bump: only what changed is downloaded", async () => {
  const s = await server();
  const first = await visits.visit(s, {});
  assert.match(first.output, /Release notes/);
  assert.ok(whole(first, "a"), first.requests.join("\n"));

  const same = await visits.visit(s, {});
  assert.match(same.output, /Release notes/);
  assert.equal(same.bale, 0, same.requests.join("\n"));
  assert.ok(same.requests.some((l) => l === "GET /bales/app.parts bytes=0-63 206 64"), same.requests.join("\n"));
  assert.equal(same.parts, 64);

  deploy("b");
  const app = await visits.visit(s, {});
  assert.match(app.output, /Release notes/);
  assert.equal(app.bale, 0, `${app.requests.join("\n")}\n${app.console.join("\n")}`);
  const head = 64 + fs.readFileSync(path.join(deploys, "b", "app.parts")).readUInt32LE(40);
  assert.ok(app.parts < head + 16 * 1024, `${app.parts} bytes of parts:\n${app.requests.join("\n")}`);

  deploy("c");
  const bump = await visits.visit(s, { integrity: integrity("c") });
  assert.match(bump.output, /Release notes/);
  assert.equal(bump.bale, 0, `${bump.requests.join("\n")}\n${bump.console.join("\n")}`);
  assert.ok(bump.parts < size("c", "app.bale.zst"), `${bump.parts} bytes of parts against the bale's ${size("c", "app.bale.zst")}`);

  // The integrity named and the stored copy has it: nothing asked of the bale at all.
  const named = await visits.visit(s, { integrity: integrity("c") });
  assert.deepEqual(named.requests.filter((l) => /app\.(bale|parts)/.test(l)), []);
});

test("in a module worker, the stored bale serves the next visit too", async () => {
  deploy("a");
  const s = await server();
  const v = visitor();
  const first = await v.visit(s, { worker: "1" });
  assert.match(first.output, /Release notes/);
  assert.ok(whole(first, "a"));
  const again = await v.visit(s, { worker: "1" });
  assert.equal(again.bale, 0, again.requests.join("\n"));
});

test("a damaged stored copy is detected and fetched again; a server without Range falls back to the whole bale", async () => {
  deploy("a");
  const s = await server();
  const v = visitor();
  await v.visit(s, {});
  const flip = async (context, page) =>
    page.evaluate(async () => {
      const cache = await caches.open("bale");
      for (const request of await cache.keys()) {
        if (!request.url.includes("/.bale-store/bale")) continue;
        const bytes = new Uint8Array(await (await cache.match(request)).arrayBuffer());
        bytes[bytes.length >> 1] ^= 0x5a;
        await cache.put(request, new Response(bytes));
      }
    });
  const damaged = await v.visit(s, {}, { before: flip });
  assert.match(damaged.output, /Release notes/);
  assert.match(damaged.console.join("\n"), /stored bale is damaged/);
  assert.ok(whole(damaged, "a"));

  // The same origin (the store is the origin's), now from a server that ignores Range.
  await s.close();
  const rangeless = await server({ ranges: false, port: s.port });
  deploy("b");
  const noRange = await v.visit(rangeless, {});
  assert.match(noRange.output, /Release notes/);
  assert.ok(whole(noRange, "b"));
  assert.equal(noRange.console.filter((l) => /ignores Range requests/.test(l)).length, 1, `${noRange.console.join("\n")}\n${noRange.requests.join("\n")}`);
});

test("a full store: the page runs, and says once that nothing was kept", async () => {
  deploy("a");
  const s = await server();
  const v = visitor();
  const full = await v.visit(s, {}, {
    before: async (context, page) => {
      const cdp = await context.newCDPSession(page);
      await cdp.send("Storage.overrideQuotaForOrigin", { origin: s.base, quotaSize: 1024 });
    },
  });
  assert.match(full.output, /Release notes/);
  assert.equal(full.console.filter((l) => /could not be kept for the next visit/.test(l)).length, 1, full.console.join("\n"));
});
