// The rest bale's benchmark (run by bench/rest.sh, which builds what it needs):
//   node bench/rest.mjs BALE_CLI PYODIDE_IMPORTER OUT_DIR RUNS RESULT.json
// with BALE_IMPORTER (the native importer), BALE_PYODIDE and BALE_PLAYWRIGHT set.
// For rich-report and sympy-solve, each with an option that takes a path no traced run
// took: packs the app from runs without the option, natively and for Pyodide, with its
// rest bale (`--rest`); runs the option once to list what the bale lacked, and packs
// again with those misses in the bale (`--include-from`). Then times four starts of
// each, RUNS times, interleaved, after one uncounted round: the option served from
// the rest bale, the option from the bale that holds everything it needs, and the
// default run with and without a rest bale (natively the app packed without `--rest`;
// in Pyodide the same bale loaded without `rest`), which must not be slower. Each
// start three ways: `bale run` natively, Pyodide on Node (a fresh process each,
// bench/rest-start.mjs) and headless Chromium (the web example's page, a new context
// each), both over HTTP from the example server on localhost, in a process of its own
// (Node's main thread blocks on each synchronous fetch of a miss). The server logs
// each request: what the rest bale sent, at start (its index) and per miss.
import { execFile as execFileCb, execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import zlib from "node:zlib";

import { CHROMIUM_FLAGS } from "../examples/web/chromium.mjs";
import { spawnServer } from "../examples/web/serve.mjs";
import { medians as mediansOf } from "./medians.mjs";
import { tree } from "./tree.mjs";

const execFile = promisify(execFileCb);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [bale, wasm, out, runs, resultPath] = process.argv.slice(2);
const { BALE_PYODIDE: pyodide, BALE_PLAYWRIGHT } = process.env;

const APPS = [
  {
    name: "rich-report", app: "examples/rich-report/report.py", requirements: "examples/rich-report/requirements.txt",
    option: ["--appendix", "rust"], web: "rich-report.bale", expect: /appendix: rust/, plain: /Release notes/,
  },
  {
    // Framed for the web, as the other benchmarks ship it.
    name: "sympy-solve", app: "examples/sympy-solve/solve.py", requirements: "examples/sympy-solve/requirements.txt",
    option: ["--physics", "optics"], web: "sympy-solve.bale.zst", expect: /lens f = 20/, plain: /roots of x\*\*3/,
  },
];
const NATIVE_EACH = 3;

const native = path.join(out, "native");
const web = path.join(out, "web");
fs.mkdirSync(native, { recursive: true });
fs.mkdirSync(web, { recursive: true });
const server = await spawnServer({ pyodide, importer: wasm, bales: web });
process.on("exit", () => server.close()); // also when a start fails
const stdlibOf = (file) => file.replace(/\.bale(\.zst)?$/, ".stdlib.zip");
const allOf = (file) => file.replace(/\.bale/, "-all.bale");
const pack = (...args) => JSON.parse(execFileSync(bale, ["pack", "-q", "--json", ...args], { cwd: root, maxBuffer: 1 << 26 }));

const results = { date: new Date().toISOString().slice(0, 10), runs: Number(runs), node: process.version, apps: [] };
for (const app of APPS) {
  console.error(`==> ${app.name}: packing`);
  const from = ["--app", app.app, "-r", app.requirements];
  const script = path.basename(app.app);
  // Natively: the bale and its rest bale; what the option lacks, as the importer
  // lists it at exit; the bale again with it; and the bale packed without --rest
  // (a bale packed with it but run without its rest bale beside it warns: not the
  // same start).
  const main = path.join(native, `${app.name}.bale`);
  const packed = { native: pack(...from, "--rest", "--validate", "-o", main) };
  const nativeMisses = path.join(native, `${app.name}.misses.json`);
  fs.rmSync(nativeMisses, { force: true });
  execFileSync(bale, ["run", main, "--", ...app.option], { env: { ...process.env, BALE_MISSES: nativeMisses }, stdio: "ignore" });
  pack(...from, "--include-from", nativeMisses, "-o", allOf(main));
  pack(...from, "-o", path.join(native, `${app.name}-norest.bale`));
  // For Pyodide: the same, the misses listed by the loader in one start on Node.
  const webMain = path.join(web, app.web);
  packed.web = pack(...from, "--target", "pyodide", "--importer", wasm, "--rest", "--validate", "-o", webMain);
  const listed = await nodeStart(app, app.web, true, app.option);
  const webMisses = path.join(web, `${app.name}.misses.json`);
  fs.writeFileSync(webMisses, JSON.stringify({ misses: listed.missList }));
  pack(...from, "--target", "pyodide", "--importer", wasm, "--include-from", webMisses, "-o", allOf(webMain));
  const wheels = path.join(out, `${app.name}-wheels`);
  // Pure-Python wheels: the same files as for Pyodide's platform.
  execFileSync("python3", ["-m", "pip", "download", "-q", "--disable-pip-version-check", "--only-binary=:all:",
    "-r", path.join(root, app.requirements), "-d", wheels]);

  const forms = {
    "option, from the rest": { native: main, web: app.web, rest: true, args: app.option },
    "option, all in the bale": { native: allOf(main), web: allOf(app.web), rest: false, args: app.option },
    "default, rest at hand": { native: main, web: app.web, rest: true, args: [] },
    "default, no rest": { native: path.join(native, `${app.name}-norest.bale`), web: app.web, rest: false, args: [] },
  };
  const times = { native: {}, imports: {}, node: {}, nodeImports: {}, chromium: {} };
  const outputs = {};
  const browser = await (await import(path.join(BALE_PLAYWRIGHT, "index.mjs"))).chromium.launch({
    executablePath: process.env.BALE_CHROMIUM ?? "/usr/bin/chromium", headless: true, args: CHROMIUM_FLAGS,
  });
  for (let i = -1; i < Number(runs); i++) {
    console.error(`==> ${app.name}: ${i < 0 ? "warm-up" : `run ${i + 1}/${runs}`}`);
    for (const [form, f] of Object.entries(forms)) {
      // Native starts are cheap and their wall time noisy on this machine: more of them.
      const got = [];
      for (let k = 0; k < NATIVE_EACH; k++) {
        got.push(["native", nativeStart(f.native, f.args)]);
        if (f.args.length) got.push(["imports", missWork(f.native, nativeMisses)]);
      }
      got.push(["node", await nodeStart(app, f.web, f.rest, f.args)]);
      if (f.args.length) got.push(["nodeImports", await nodeStart(app, f.web, f.rest, ["misses", webMisses])]);
      got.push(["chromium", await chromiumStart(browser, app, script, f.web, f.rest, f.args)]);
      for (const [where, t] of got) {
        // Every start of a kind prints what the others print, and what the app prints
        // with or without the option.
        const kind = `${where}: ${f.args.length ? "option" : "default"}`;
        outputs[kind] ??= t.output;
        if (t.output !== outputs[kind] || (t.output !== undefined && !(f.args.length ? app.expect : app.plain).test(t.output))) {
          throw new Error(`${app.name}, ${form}, ${where}: unexpected output\n${t.output}\n---\n${outputs[kind]}`);
        }
        delete t.output;
        delete t.missList;
        if (i >= 0) (times[where][form] ??= []).push(t);
      }
    }
  }
  await browser.close();
  const medians = Object.fromEntries(Object.entries(times).map(([where, t]) => [where, mediansOf(t)]));
  const nativeMissList = JSON.parse(fs.readFileSync(nativeMisses)).misses;
  const wheelFiles = fs.readdirSync(wheels).map((f) => path.join(wheels, f));
  const size = (f) => fs.statSync(f).size;
  results.apps.push({
    name: app.name,
    option: app.option.join(" "),
    misses: { native: nativeMissList.map((m) => m.path), web: listed.missList.map((m) => m.path) },
    rest: { native: packed.native.rest, web: packed.web.rest },
    validated: [packed.native, packed.web].every((p) => p.validation.runs.every((r) => r.same_exit && r.same_output)),
    sizes: {
      native: { bale: size(main), rest: size(main.replace(/\.bale$/, ".rest.bale")), all: size(allOf(main)) },
      // As a web server sends them (brotli where it helps); the rest bale's index and
      // payloads as fetched, by Range requests, uncompressed.
      web: {
        wheels: sent([...wheelFiles, ...tree(path.dirname(path.join(root, app.app))), path.join(pyodide, "python_stdlib.zip")]),
        bale: sent([webMain, stdlibOf(webMain)]),
        restIndex: medians.node["default, rest at hand"].restBytes,
        restWhole: sent([packed.web.rest.path]),
        all: sent([allOf(webMain), stdlibOf(allOf(webMain))]),
      },
    },
    medians,
    times,
  });
}
server.close();
fs.writeFileSync(resultPath, JSON.stringify(results, null, 1));
print(results);

// `bale run`, timed from outside: the wall time of the whole process.
function nativeStart(file, args) {
  const t = performance.now();
  const ran = spawnSync(bale, ["run", file, "--", ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  const end = performance.now() - t;
  if (ran.status !== 0) throw new Error(`bale run ${file}: ${ran.stderr}`);
  return { end, output: ran.stdout.trimEnd() };
}

// The import system's work for the misses alone, timed inside the process.
function missWork(file, misses) {
  const script = path.join(root, "bench/python/rest_miss.py");
  return perMiss(JSON.parse(execFileSync("python3", ["-I", "-S", script, process.env.BALE_IMPORTER, file, misses], { encoding: "utf8" })));
}

// The app's run, or with args `misses FILE` the import system's work for those misses
// alone, timed inside Python.
async function nodeStart(app, file, rest, args) {
  const before = server.log.length;
  const what = args[0] === "misses" ? args : ["run", path.basename(app.app), ...args];
  const { stdout } = await execFile("node", [path.join(root, "bench/rest-start.mjs"), pyodide, wasm,
    stdlibOf(path.join(web, file)), `${server.base}/bales/${file}`, rest ? "1" : "0", ...what],
    { cwd: root, maxBuffer: 1 << 26, timeout: 600_000 });
  if (what[0] === "misses") return perMiss(JSON.parse(stdout));
  const { end, run, output, misses } = JSON.parse(stdout);
  return { end, run, misses: misses.length, ...(await restSent(before)), output: output.trimEnd(), missList: misses };
}

async function chromiumStart(browser, app, script, file, rest, args) {
  const before = server.log.length;
  const query = { bale: `/bales/${file}`, stdlib: `/bales/${path.basename(stdlibOf(file))}`, run: `script:${script}` };
  if (args.length) query.args = args.join(" ");
  if (rest) query.rest = "1";
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.base}/?${new URLSearchParams(query)}`);
    await page.waitForSelector('#status:not([data-state="loading"])', { timeout: 300_000 });
    const output = (await page.textContent("#output")).trimEnd();
    if ((await page.getAttribute("#status", "data-state")) !== "done") {
      throw new Error(`${app.name} in Chromium: ${await page.textContent("#status")}\n${output}\n${errors.join("\n")}`);
    }
    const timing = JSON.parse(await page.textContent("#timing"));
    // The time the page waited on the misses' synchronous requests, as its resource
    // timing gives it (the index comes by fetch).
    const waits = await page.evaluate(() =>
      performance.getEntriesByType("resource").filter((e) => e.initiatorType === "xmlhttprequest" && e.name.includes(".rest.bale"))
        .map((e) => e.duration));
    const { end: fetching, first: fetchFirst, later: fetchLater } = perMiss(waits);
    // Moments in ms from the page's navigation.
    const t = { firstOutput: timing.firstOutput, run: timing.run, end: timing.end, misses: timing.misses?.misses.length ?? 0, fetching, fetchFirst, fetchLater };
    return { ...t, ...(await restSent(before)), output };
  } finally {
    await context.close();
  }
}

// Times per miss, ms: their sum, the first, the median of the others.
function perMiss(list) {
  const later = list.slice(1).sort((a, b) => a - b);
  return { end: list.reduce((a, b) => a + b, 0), first: list[0] ?? 0, later: later[Math.floor(later.length / 2)] ?? 0 };
}

// What the rest bale sent since the server's log had `before` lines.
async function restSent(before) {
  const lines = (await server.settled()).slice(before).filter((l) => l.includes(".rest.bale"));
  return { restRequests: lines.length, restBytes: lines.reduce((sum, l) => sum + Number(l.split(" ").pop()), 0) };
}

// Bytes a server sends for these files, each with brotli 9 where that makes it smaller.
function sent(files) {
  return files.reduce((sum, f) => {
    const data = fs.readFileSync(f);
    const brotli = zlib.brotliCompressSync(data, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_LGWIN]: 22 },
    }).length;
    return sum + Math.min(brotli, data.length);
  }, 0);
}

function print(r) {
  const ms = (v) => (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString("en"));
  const kib = (n) => `${Math.round(n / 1024).toLocaleString("en")} KiB`;
  const where = { native: "native, `bale run`", node: "Pyodide, Node", chromium: "Pyodide, Chromium" };
  console.log(`${r.date}, medians of ${r.runs} starts each (native: ${r.runs * NATIVE_EACH}); Node ${r.node}\n`);
  console.log("The cost of a miss: the option's run from the rest bale against from a bale that holds all it needs, ms: natively the wall time of `bale run`; on Node from `loadPyodide` to the app's end; in Chromium from navigation to the app's end; per miss, the difference over the number of misses, for the whole start and for the app's run alone. Then what the misses alone took: the import system's work for them inside Python (bench/python/rest_miss.py, none of it run), and in Chromium the time the page waited on their requests\n");
  console.log("| app | where | misses | fetched for them | from the rest | all in the bale | per miss | per miss, run alone |");
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const app of r.apps) {
    const m = app.medians;
    // [label, times, key, a row of the misses alone, native]
    const rows = [
      [where.native, m.native, "end", false, true], ["native, the imports alone", m.imports, "end", true, true],
      [where.node, m.node, "end", false], ["Node, the imports alone", m.nodeImports, "end", true],
      [where.chromium, m.chromium, "end", false], ["Chromium, waiting on the requests", m.chromium, "fetching", true],
    ];
    for (const [label, t, key, alone, native] of rows) {
      const [rest, all, index] = [t["option, from the rest"], t["option, all in the bale"], t["default, rest at hand"]];
      const misses = native ? app.misses.native.length : app.misses.web.length;
      // What the misses' requests brought: beyond the default run's, which fetch the index.
      const fetched = alone ? "" : native ? "(mapped file)"
        : `${rest.restRequests - index.restRequests} requests, ${kib(rest.restBytes - index.restBytes)}`;
      const perMiss = (rest[key] - all[key]) / misses;
      const perRun = alone || native ? "" : ((rest.run - all.run) / misses).toFixed(1);
      console.log(`| ${app.name} \`${app.option}\` | ${label} | ${misses} | ${fetched} | ${ms(rest[key])} | ${ms(all[key])} | ` +
        `${perMiss.toFixed(Math.abs(perMiss) < 1 ? 2 : 1)} | ${perRun} |`);
    }
  }
  console.log("\nEach miss alone (as in the rows above that time the misses alone), ms: the first, and the median of the others; in the bale that holds them, the same imports and reads\n");
  console.log("| app | where | first miss | each other miss | in the bale: first | in the bale: each other |");
  console.log("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const app of r.apps) {
    const m = app.medians;
    const rows = [
      ["native, the imports", m.imports, "first", "later"], ["Node, the imports", m.nodeImports, "first", "later"],
      ["Chromium, waiting on the requests", m.chromium, "fetchFirst", "fetchLater"],
    ];
    for (const [label, t, first, later] of rows) {
      const [rest, all] = [t["option, from the rest"], t["option, all in the bale"]];
      const inBale = t === m.chromium ? ["", ""] : [ms(all[first]), ms(all[later])];
      console.log(`| ${app.name} | ${label} | ${ms(rest[first])} | ${ms(rest[later])} | ${inBale.join(" | ")} |`);
    }
  }
  console.log("\nThe default run (no option): with the rest bale at hand (natively beside the bale; in Pyodide `rest: true`, its index fetched while Pyodide starts) against without (natively the app packed without `--rest`; in Pyodide the same bale loaded without `rest`), ms as above\n");
  console.log("| app | where | rest at hand | no rest | ratio | rest bale requests at start |");
  console.log("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const app of r.apps) {
    for (const w of ["native", "node", "chromium"]) {
      const m = app.medians[w];
      const [withRest, without] = [m["default, rest at hand"], m["default, no rest"]];
      const requests = w === "native" ? "(mapped file)" : `${withRest.restRequests}, ${kib(withRest.restBytes)}`;
      console.log(`| ${app.name} | ${where[w]} | ${ms(withRest.end)} | ${ms(without.end)} | ${(withRest.end / without.end).toFixed(2)}× | ${requests} |`);
    }
  }
  console.log("\nDownload for the web, as sent (brotli where it helps; the rest bale's ranges uncompressed), against the wheels (with the app's files and Pyodide's python_stdlib.zip)\n");
  console.log("| app | wheels | bale + stdlib zip | + rest index | vs wheels | + the whole rest bale | vs wheels | bale with the misses | rest bale: files, index, whole (raw) |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const app of r.apps) {
    const s = app.sizes.web;
    const withIndex = s.bale + s.restIndex;
    const whole = s.bale + s.restWhole;
    const rest = app.rest.web;
    console.log(
      `| ${app.name} | ${kib(s.wheels)} | ${kib(s.bale)} | ${kib(withIndex)} | ${(withIndex / s.wheels).toFixed(2)}× | ${kib(whole)} | ` +
        `${(whole / s.wheels).toFixed(2)}× | ${kib(s.all)} | ${rest.files}, ${kib(rest.index)}, ${kib(rest.size)} |`,
    );
  }
  console.log("\nNatively, on disk: the bale, its rest bale, the bale with the misses\n");
  console.log("| app | bale | rest bale (files, index) | bale with the misses |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const app of r.apps) {
    const s = app.sizes.native;
    console.log(`| ${app.name} | ${kib(s.bale)} | ${kib(s.rest)} (${app.rest.native.files}, ${kib(app.rest.native.index)}) | ${kib(s.all)} |`);
  }
  console.log(`\nValidated (every bale packed with --rest, run from the bale alone): ${r.apps.every((a) => a.validated)}`);
  for (const app of r.apps) console.log(`${app.name} misses, native: ${app.misses.native.join(" ")}\n${app.name} misses, web: ${app.misses.web.join(" ")}`);
}
