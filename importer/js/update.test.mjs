// Returning visitors, in real Pyodide on Node: the loader keeps the bale it verified
// in a store (here one in memory; a browser's is the Cache API, tested in Chromium by
// examples/web/visits.test.mjs), and later visits ask the server only what changed.
// `node --test importer/js/update.test.mjs` with BALE_PYODIDE, BALE_IMPORTER and
// BALE_TEST_BALES holding deploys/{a,b,c}: rich-report's quickstart app packed three
// times (b changes one line of the app, c also bumps pygments), each with its parts
// file and `bale inspect --json`'s output, as scripts/test-pyodide.sh packs them.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import { loadBale, storing } from "./loader.mjs";
import { updateNeeds } from "./testing.mjs";
import { serve } from "../../examples/web/serve.mjs";

const { BALE_PYODIDE, BALE_IMPORTER, BALE_TEST_BALES } = process.env;
const { loadPyodide } = await import(path.join(BALE_PYODIDE, "pyodide.mjs"));
const deploys = path.join(BALE_TEST_BALES, "deploys");
// The bale's integrity (`bale inspect --json`).
const integrity = (name) => JSON.parse(fs.readFileSync(path.join(deploys, name, "inspect.json"), "utf8")).integrity;

// A site: one folder served as /bales/, where a deploy copies a version's files.
const site = fs.mkdtempSync(path.join(os.tmpdir(), "bale-visits-"));
const servers = [];
async function server(options = {}) {
  const log = [];
  const s = await serve({ pyodide: BALE_PYODIDE, importer: BALE_IMPORTER, bales: site, log: (l) => log.push(l), ...options });
  servers.push(s);
  return { url: `http://127.0.0.1:${s.address().port}/bales/app.bale.zst`, root: site, log, close: () => s.close() };
}
after(() => {
  servers.forEach((s) => s.close());
  fs.rmSync(site, { recursive: true, force: true });
});

function deploy(name) {
  for (const file of ["app.bale.zst", "app.parts"]) {
    fs.copyFileSync(path.join(deploys, name, file), path.join(site, file));
  }
}

// A store in memory, as `cache` takes one; `failing` makes every write fail as a full
// browser storage does.
function memoryStore({ failing = false } = {}) {
  const map = new Map();
  return {
    map,
    get: async (key) => map.get(key)?.slice(),
    put: async (key, bytes) => {
      if (failing) throw Object.assign(new Error("quota exceeded"), { name: "QuotaExceededError" });
      map.set(key, bytes.slice());
    },
    delete: async (key) => void map.delete(key),
    keys: async () => [...map.keys()],
  };
}

// The app, as README's page runs it.
const RUN = `
import runpy
try:
    runpy.run_path("/bale/app.bale/app.py", run_name="__main__")
except SystemExit as e:
    if e.code:
        raise
`;

// One visit: a fresh Pyodide, the bale loaded through the store, the app run; what
// the server was asked, what it sent, and what the loader said.
async function visit(site, store, options = {}) {
  const out = [];
  const warnings = [];
  const warn = console.warn;
  console.warn = (line) => warnings.push(String(line));
  const first = site.log.length;
  try {
    const pyodide = await loadPyodide({ stdout: (l) => out.push(l), stderr: (l) => out.push(l) });
    await loadBale(pyodide, site.url, { importer: pathToFileURL(BALE_IMPORTER), cache: store, ...options });
    pyodide.runPython(RUN);
    await storing();
  } finally {
    console.warn = warn;
  }
  const requests = site.log.slice(first);
  const bytes = (match) => requests.filter((l) => match.test(l)).reduce((n, l) => n + Number(l.split(" ").pop()), 0);
  return { out: out.join("\n"), requests, warnings, bale: bytes(/app\.bale\.zst/), parts: bytes(/app\.parts/) };
}

const size = (name, file) => fs.statSync(path.join(deploys, name, file)).size;
// A visit that downloaded the bale whole (the server compresses it a little more).
const whole = (v, name) => v.bale > 0.9 * size(name, "app.bale.zst");
// The goal for an update from `from` to `to`: the head, then at most 1.2× the parts
// that changed; `extra` for a first request that guessed the head's size.
async function withinGoal(v, from, to, extra = 0) {
  const read = (name) => new Uint8Array(fs.readFileSync(path.join(deploys, name, "app.parts")));
  const needs = await updateNeeds(read(from), read(to));
  const goal = needs.head + 1.2 * needs.changed + extra;
  assert.ok(v.parts <= goal, `${v.parts} bytes, goal ${goal} (head ${needs.head}, ${needs.parts} parts of ${needs.changed} bytes):\n${v.requests.join("\n")}`);
  return needs;
}

let siteA;
before(async () => {
  deploy("a");
  siteA = await server();
});

test("a first visit downloads the framed bale and keeps it; the next asks 64 bytes and downloads nothing of the bale", async () => {
  const store = memoryStore();
  const first = await visit(siteA, store);
  assert.match(first.out, /Release notes/);
  assert.ok(whole(first, "a"), first.requests.join("\n"));
  const kept = [...store.map.keys()];
  assert.equal(kept.filter((k) => k.startsWith("bale/")).length, 1, kept.join("\n"));
  const second = await visit(siteA, store);
  assert.match(second.out, /Release notes/);
  assert.equal(second.bale, 0, second.requests.join("\n"));
  assert.deepEqual(second.requests, ["GET /bales/app.parts bytes=0-63 206 64"]);
  assert.deepEqual(second.warnings, []);
});

test("with validators on the server, a visit with nothing new is one 304; with the integrity named, no request at all", async () => {
  const site = await server({ validators: true });
  const store = memoryStore();
  await visit(site, store);
  await visit(site, store); // learns the parts file's ETag
  const third = await visit(site, store);
  assert.deepEqual(third.requests, ["GET /bales/app.parts bytes=0-63 304 0"]);
  const named = await visit(site, store, { integrity: integrity("a") });
  assert.deepEqual(named.requests, []);
  // Offline: the server gone, the stored bale is used, and said once.
  site.close();
  const offline = await visit({ ...site, log: [] }, store);
  assert.match(offline.out, /Release notes/);
  assert.match(offline.warnings.join("\n"), /could not be reached.*using the stored bale/);
});

test("after a deploy that changed the app, only the head and the app's part are fetched; the rebuilt bale is the new one", async () => {
  deploy("a");
  const site = await server();
  const store = memoryStore();
  await visit(site, store);
  deploy("b");
  const after = await visit(site, store, { integrity: integrity("b") });
  assert.match(after.out, /Release notes/);
  assert.equal(after.bale, 0, `downloaded whole:\n${after.requests.join("\n")}\n${after.warnings.join("\n")}`);
  assert.deepEqual(after.warnings, []);
  // The header, the head, then the app's parts.
  await withinGoal(after, "a", "b");
  assert.ok(after.requests.length <= 3, after.requests.join("\n"));
  // The store holds the new bale alone: the old one is gone.
  const bales = [...store.map.keys()].filter((k) => k.startsWith("bale/"));
  assert.equal(bales.length, 1);
  // Next visit: nothing new.
  const again = await visit(site, store, { integrity: integrity("b") });
  assert.deepEqual(again.requests, []);
});

test("after a deploy that bumped pygments, its changed parts come in few multi-range requests, far less than the bale", async () => {
  deploy("b");
  const site = await server();
  const store = memoryStore();
  await visit(site, store);
  deploy("c");
  const after = await visit(site, store);
  assert.match(after.out, /Release notes/);
  assert.equal(after.bale, 0, `downloaded whole:\n${after.requests.join("\n")}\n${after.warnings.join("\n")}`);
  assert.ok(after.requests.some((l) => /bytes=\d+-\d+,\d+-\d+/.test(l)), `no multi-range request:\n${after.requests.join("\n")}`);
  await withinGoal(after, "b", "c");
  assert.ok(after.parts < size("c", "app.bale.zst"), `${after.parts} bytes of parts against a bale of ${size("c", "app.bale.zst")}`);
});

test("a damaged stored copy is found, dropped and fetched again", async () => {
  deploy("a");
  const site = await server();
  const store = memoryStore();
  await visit(site, store);
  const key = [...store.map.keys()].find((k) => k.startsWith("bale/"));
  const damaged = store.map.get(key);
  damaged[damaged.length >> 1] ^= 0x5a;
  const again = await visit(site, store);
  assert.match(again.out, /Release notes/);
  assert.match(again.warnings.join("\n"), /stored bale is damaged/);
  assert.ok(whole(again, "a"));
  // Kept again, intact: the next visit downloads nothing of the bale.
  const then = await visit(site, store);
  assert.equal(then.bale, 0, then.requests.join("\n"));
});

test("a server that ignores Range, or no parts file: the bale downloaded whole, said once; a full store: said once", async () => {
  deploy("a");
  const site = await server({ ranges: false });
  const store = memoryStore();
  await visit(site, store);
  deploy("b");
  const after = await visit(site, store);
  assert.match(after.out, /Release notes/);
  assert.ok(whole(after, "b"));
  assert.match(after.warnings.join("\n"), /ignores Range requests.*downloading .* whole/);
  // No parts file beside the bale (uploaded without it).
  fs.rmSync(path.join(site.root, "app.parts"));
  const without = await visit(site, store);
  assert.ok(whole(without, "b"));
  assert.match(without.warnings.join("\n"), /app\.parts: HTTP 404/, without.requests.join("\n"));
  const full = await visit(await server(), memoryStore({ failing: true }));
  assert.match(full.out, /Release notes/);
  assert.match(full.warnings.join("\n"), /could not be kept for the next visit \(the browser's storage is full\)/);
});

test("a bale that does not match the integrity named is refused, never imported", async () => {
  deploy("b");
  const site = await server();
  const pyodide = await loadPyodide();
  await assert.rejects(
    loadBale(pyodide, site.url, { importer: pathToFileURL(BALE_IMPORTER), cache: memoryStore(), integrity: integrity("a") }),
    /does not match the integrity the page names/,
  );
  assert.equal(pyodide.runPython("import sys; any(type(f).__name__ == 'BaleFinder' for f in sys.meta_path)"), false);
  // Nor a stored copy that the server still has, when the page names another.
  const store = memoryStore();
  await visit(site, store);
  await assert.rejects(visit(site, store, { integrity: integrity("a") }), /does not match the integrity the page names/);
});
