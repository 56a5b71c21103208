// The Pyodide benchmark (run by bench/pyodide.sh, which builds what it needs):
//   node bench/pyodide.mjs BALE_CLI OUT_DIR RUNS RESULT.json
// For each example app: packs it with `bale pack --target pyodide` (the defaults,
// validated), again framed for transport (`NAME.bale.zst`), and as sources only,
// whose files go into one zip to be unpacked into the file system with a trimmed
// standard library of sources (pyodide-pack's method, rebuilt here: pyodide-pack
// itself does not run on Pyodide 314); downloads the wheels the bale replaces. Then
// times RUNS starts of each kind, interleaved, each in a fresh Node process (the
// packer's own timing script), and measures what each downloads, file by file as a
// web server sends it (brotli 9, gzip 9; what compression does not shrink goes as
// it is).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

import { medians as mediansOf } from "./medians.mjs";
import { tree } from "./tree.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [bale, out, runs, resultPath] = process.argv.slice(2);
const { BALE_PYODIDE: pyodide, BALE_IMPORTER: importer } = process.env;
const timing = path.join(root, "crates/bale-pack/assets/node/timing.mjs");
const loader = path.join(root, "importer/js/loader.mjs");

const APPS = [
  { name: "hello", app: "examples/hello", module: "hello" },
  { name: "wordstats", app: path.join(out, "wordstats-app"), module: "wordstats" },
  { name: "rich-report", app: "examples/rich-report/report.py", requirements: "examples/rich-report/requirements.txt" },
  { name: "sympy-solve", app: "examples/sympy-solve/solve.py", requirements: "examples/sympy-solve/requirements.txt" },
];

const results = { date: new Date().toISOString().slice(0, 10), runs: Number(runs), node: process.version, apps: [] };
for (const app of APPS) {
  console.error(`==> ${app.name}: packing`);
  const appArgs = [
    "--app", app.app,
    ...(app.module ? ["-m", app.module] : []),
    ...(app.requirements ? ["-r", app.requirements] : []),
    "--target", "pyodide", "-q",
  ];
  const pack = (file, ...extra) => JSON.parse(execFileSync(bale, ["pack", ...appArgs, "--json", ...extra, "-o", file], { cwd: root }));
  const baleFile = path.join(out, `${app.name}.bale`);
  const packed = pack(baleFile, "--validate");
  // The same, framed for transport (`-o NAME.bale.zst`: one zstd frame, entries not
  // compressed again); its stdlib zip is the same.
  const framedFile = path.join(out, `${app.name}-framed.bale.zst`);
  pack(framedFile);
  const sources = path.join(out, `${app.name}-src.bale`);
  pack(sources, "--content", "source", "--compress", "none");
  const zip = packZip(sources, path.join(out, `${app.name}.pack.zip`));
  addLoaderNeeds(stdlibOf(sources));
  const wheels = path.join(out, `${app.name}-wheels`);
  if (app.requirements) download(path.join(root, app.requirements), wheels);

  const [kind, target] = app.module ? ["module", app.module] : ["script", path.basename(app.app)];
  const appRoot = app.module ? path.resolve(root, app.app) : path.dirname(path.resolve(root, app.app));
  // The app's files, listed for the timing script as the packer lists them for it.
  const appFiles = tree(appRoot);
  const appList = path.join(out, `${app.name}-app-files.json`);
  fs.writeFileSync(appList, JSON.stringify({ root: appRoot, files: appFiles.map((f) => path.relative(appRoot, f)) }));
  const starts = {
    bale: [loader, importer, baleFile, stdlibOf(baleFile), kind, target],
    "bale, framed": [loader, importer, framedFile, stdlibOf(framedFile), kind, target],
    wheels: [appList, app.requirements ? wheels : "-", kind, target],
    "pyodide-pack": [zip, stdlibOf(sources), kind, target],
  };
  const times = Object.fromEntries(Object.keys(starts).map((k) => [k, []]));
  for (let i = 0; i < Number(runs); i++) {
    console.error(`==> ${app.name}: run ${i + 1}/${runs}`);
    for (const [mode, args] of Object.entries(starts)) {
      const script = { "pyodide-pack": "zip", "bale, framed": "bale" }[mode] ?? mode;
      const line = execFileSync("node", [timing, script, pyodide, ...args], { cwd: root });
      times[mode].push(JSON.parse(line));
    }
  }
  const medians = mediansOf(times);
  const wheelFiles = app.requirements ? fs.readdirSync(wheels).map((f) => path.join(wheels, f)) : [];
  const transfer = {
    bale: sent([baleFile, stdlibOf(baleFile)]),
    "bale, framed": sent([framedFile, stdlibOf(framedFile)]),
    wheels: sent([...wheelFiles, ...appFiles, path.join(pyodide, "python_stdlib.zip")]),
    "pyodide-pack": sent([zip, stdlibOf(sources)]),
  };
  results.apps.push({ name: app.name, validated: packed.validation.runs.every((r) => r.same_exit && r.same_output), times, medians, transfer });
}
results.pyodide = sent(["pyodide.asm.wasm", "pyodide.asm.mjs", "pyodide.mjs", "pyodide-lock.json"].map((f) => path.join(pyodide, f)));
fs.writeFileSync(resultPath, JSON.stringify(results, null, 2));
print(results);

function stdlibOf(bale) {
  return bale.replace(/\.bale(\.zst)?$/, ".stdlib.zip");
}

// The bale's files (as `bale extract` writes them: sources, data, metadata), but
// not the standard library's, deflated into one zip.
function packZip(sourceBale, zipPath) {
  const dir = sourceBale.replace(/\.bale$/, "");
  fs.rmSync(dir, { recursive: true, force: true });
  execFileSync(bale, ["extract", sourceBale, "-C", dir]);
  execFileSync("python3", ["-c", `
import os, sys, zipfile
root, out = sys.argv[1:3]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for folder, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            full = os.path.join(folder, f)
            z.write(full, os.path.relpath(full, root))
`, dir, zipPath]);
  return zipPath;
}

// pyodide-pack traces its own loader too, so its trimmed standard library holds what
// unpacking a zip needs: zipfile reads names with the cp437 codec, the one module of
// that not already imported at start.
function addLoaderNeeds(stdlibZip) {
  execFileSync("python3", ["-c", `
import sys, zipfile
full, trimmed = sys.argv[1:3]
with zipfile.ZipFile(full) as f, zipfile.ZipFile(trimmed, "a", zipfile.ZIP_DEFLATED) as z:
    if "encodings/cp437.py" not in z.namelist():
        z.writestr("encodings/cp437.py", f.read("encodings/cp437.py"))
`, path.join(pyodide, "python_stdlib.zip"), stdlibZip]);
}

// The wheels of `requirements` for Pyodide's platform, as the packer downloads them.
function download(requirements, dir) {
  const lock = JSON.parse(fs.readFileSync(path.join(pyodide, "pyodide-lock.json")));
  const platform = `pyemscripten_${lock.info.abi_version}_wasm32`;
  execFileSync("python3", ["-m", "pip", "download", "-q", "--disable-pip-version-check", "--only-binary=:all:",
    "--implementation", "cp", "--python-version", lock.info.python.split(".").slice(0, 2).join("."),
    "--platform", platform, "-r", requirements, "-d", dir]);
}

// What a server sends for these files, each compressed on its own where that helps.
function sent(files) {
  const total = { files: files.length, raw: 0, gzip: 0, brotli: 0 };
  for (const f of files) {
    const data = fs.readFileSync(f);
    const gzip = zlib.gzipSync(data, { level: 9 }).length;
    const brotli = zlib.brotliCompressSync(data, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_LGWIN]: 22 },
    }).length;
    total.raw += data.length;
    total.gzip += Math.min(gzip, data.length);
    total.brotli += Math.min(brotli, data.length);
  }
  return total;
}

function print(r) {
  const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
  const ms = (n) => n.toFixed(0);
  console.log(`Pyodide on Node ${r.node}, ${r.date}, median of ${r.runs} starts each\n`);
  console.log("| app | start from | loadPyodide | fetch | prepare | import and run | total | vs wheels | sent (brotli) | vs wheels |");
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const app of r.apps) {
    for (const mode of ["wheels", "pyodide-pack", "bale", "bale, framed"]) {
      const t = app.medians[mode];
      const s = app.transfer[mode];
      console.log(
        `| ${app.name} | ${mode} | ${ms(t.loadPyodide)} | ${ms(t.fetch)} | ${ms(t.prepare)} | ${ms(t.run)} | ${ms(t.total)} | ` +
          `${(t.total / app.medians.wheels.total).toFixed(2)}× | ${kib(s.brotli)} | ${(s.brotli / app.transfer.wheels.brotli).toFixed(2)}× |`,
      );
    }
  }
  console.log(`\nEvery start also downloads Pyodide itself: ${kib(r.pyodide.raw)}, ${kib(r.pyodide.brotli)} with brotli.`);
}
