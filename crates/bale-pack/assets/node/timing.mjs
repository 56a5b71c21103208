// One timed start of an app in a fresh Pyodide on Node, for `bale pack --target
// pyodide --validate` and the benchmarks. Prints one line of JSON: milliseconds per
// phase.
//   node timing.mjs bale   PYODIDE_DIR LOADER IMPORTER APP.bale STDLIB_ZIP|- KIND TARGET
//   node timing.mjs wheels PYODIDE_DIR APP_FILES.json|- WHEELS_DIR|- KIND TARGET
//   node timing.mjs zip    PYODIDE_DIR APP.zip STDLIB_ZIP|- KIND TARGET
// KIND is `module` or `script`; the app's output is discarded. STDLIB_ZIP: a trimmed
// standard library (`stdLibURL`); the wheels start with Pyodide's own. APP_FILES.json:
// the app's own files as the packer lists them, `{"root": FOLDER, "files": [PATH,
// ...]}` with paths from FOLDER (no venv, no links, no earlier bales). `zip` is
// pyodide-pack's method, for the benchmarks: the app's files in one zip, unpacked into
// the file system.
import fs from "node:fs";
import path from "node:path";

const [mode, pyodideDir, ...rest] = process.argv.slice(2);
const stdlibArg = { bale: rest[3], zip: rest[1] }[mode];
const stdlib = stdlibArg && stdlibArg !== "-" ? path.resolve(stdlibArg) : undefined;
const now = () => performance.now();
const times = {};
const start = now();
const { loadPyodide } = await import(path.join(path.resolve(pyodideDir), "pyodide.mjs"));
const pyodide = await loadPyodide({ stdout: () => {}, stderr: () => {}, ...(stdlib && { stdLibURL: stdlib }) });
times.loadPyodide = now() - start;

let kind, target, where;
if (mode === "bale") {
  const [loader, importer, bale] = rest;
  [kind, target] = rest.slice(4);
  const { loadBale } = await import(path.resolve(loader));
  let t = now();
  const [data, code] = await Promise.all([fs.promises.readFile(bale), fs.promises.readFile(importer)]);
  times.fetch = now() - t;
  t = now();
  const finder = await loadBale(pyodide, new Uint8Array(data), { importer: new Uint8Array(code), path: "/app.bale" });
  times.prepare = now() - t;
  where = finder.path;
} else if (mode === "zip") {
  [kind, target] = rest.slice(2);
  let t = now();
  const data = new Uint8Array(await fs.promises.readFile(rest[0]));
  times.fetch = now() - t;
  t = now();
  where = "/home/pyodide/app";
  pyodide.unpackArchive(data, "zip", { extractDir: where });
  times.prepare = now() - t;
} else {
  const [appFiles, wheels] = rest;
  [kind, target] = rest.slice(2);
  let t = now();
  const files = wheels === "-" ? [] : fs.readdirSync(wheels).filter((f) => f.endsWith(".whl"));
  const data = await Promise.all(files.map(async (f) => new Uint8Array(await fs.promises.readFile(path.join(wheels, f)))));
  const app = appFiles === "-" ? [] : listed(appFiles);
  times.fetch = now() - t;
  t = now();
  files.forEach((f, i) => pyodide.unpackArchive(data[i], "wheel"));
  where = "/home/pyodide/app";
  for (const [rel, bytes] of app) {
    pyodide.FS.mkdirTree(path.dirname(`${where}/${rel}`));
    pyodide.FS.writeFile(`${where}/${rel}`, bytes);
  }
  times.prepare = now() - t;
}

const t = now();
pyodide.globals.set("timing_args", pyodide.toPy({ mode, kind, target, where }));
pyodide.runPython(`
def _run(a):
    import runpy, sys
    if a["mode"] != "bale":
        sys.path.insert(0, a["where"])
    try:
        if a["kind"] == "module":
            sys.argv = [a["target"]]
            runpy.run_module(a["target"], run_name="__main__", alter_sys=True)
        else:
            file = a["where"] + "/" + a["target"]
            sys.argv = [file]
            if a["mode"] == "bale":
                finder = next(f for f in sys.meta_path if type(f).__name__ == "BaleFinder")
                try:
                    code = compile(finder.get_data(file), file, "exec")
                except FileNotFoundError:  # packed as bytecode only: the module of its name
                    code = finder.get_code(a["target"].removesuffix(".py").replace("/", "."))
            else:
                with open(file, "rb") as f:
                    code = compile(f.read(), file, "exec")
            exec(code, {"__name__": "__main__", "__file__": file})
    except SystemExit as e:
        if e.code:
            raise
_run(timing_args)
`);
times.run = now() - t;
times.total = now() - start;
console.log(JSON.stringify(times));

// The files an APP_FILES.json lists, as [relative path, bytes].
function listed(file) {
  const { root, files } = JSON.parse(fs.readFileSync(file, "utf8"));
  return files.map((rel) => [rel, fs.readFileSync(path.join(root, rel))]);
}
