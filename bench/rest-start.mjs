// One timed start of an app from its bale in a fresh Pyodide on Node, for bench/rest.mjs:
//   node bench/rest-start.mjs PYODIDE_DIR IMPORTER STDLIB_ZIP BALE_URL REST run SCRIPT [ARGS...]
//   node bench/rest-start.mjs PYODIDE_DIR IMPORTER STDLIB_ZIP BALE_URL REST misses MISSES.json
// The bale comes over HTTP (its server runs in another process: this thread blocks on
// each synchronous fetch of a miss); REST is 1 to load it with `rest: true` (its rest
// bale's index fetched while Pyodide starts, each miss fetched when first needed), 0
// not to. `run` runs the app and prints one line of JSON: ms from before `loadPyodide`
// to Pyodide ready and to the app's end, the app's run alone, its output, and what the
// rest bale served. `misses` does instead the import system's work for each miss of
// MISSES.json, timed inside Python (bench/python/rest_miss.py), and prints the ms each
// took, as a JSON list.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { loadBale } from "../importer/js/loader.mjs";

const [pyodideDir, importer, stdlib, url, rest, mode, script, ...args] = process.argv.slice(2);
const start = performance.now();
const times = {};
const { loadPyodide } = await import(path.join(path.resolve(pyodideDir), "pyodide.mjs"));
const out = [];
const starting = loadPyodide({ stdLibURL: path.resolve(stdlib), stdout: (l) => out.push(l), stderr: (l) => out.push(l) });
starting.then(() => (times.pyodideReady = performance.now() - start));
const finder = await loadBale(starting, url, { importer: path.resolve(importer), path: "/app.bale", rest: rest === "1" });
const pyodide = await starting;
if (mode === "misses") {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const globals = pyodide.runPython("{'__name__': 'rest_miss'}");
  globals.set("finder", finder);
  globals.set("misses_json", fs.readFileSync(script, "utf8"));
  pyodide.runPython(fs.readFileSync(path.join(here, "python/rest_miss.py"), "utf8"), { globals });
  console.log(pyodide.runPython("import json; json.dumps(work(finder, json.loads(misses_json)['misses']))", { globals }));
  process.exit(0);
}
const t = performance.now();
pyodide.globals.set("start_args", pyodide.toPy([`/app.bale/${script}`, ...args]));
pyodide.runPython(`
import sys
sys.argv = list(start_args)
try:
    exec(compile(open(sys.argv[0]).read(), sys.argv[0], "exec"), {"__name__": "__main__", "__file__": sys.argv[0]})
except SystemExit as e:
    if e.code:
        raise
finally:
    sys.stdout.flush()
`);
times.run = performance.now() - t;
times.end = performance.now() - start;
const misses = rest === "1" ? finder.misses().toJs({ dict_converter: Object.fromEntries }) : [];
console.log(JSON.stringify({ ...times, output: out.join("\n"), misses, via: rest === "1" ? finder.rest.via : null }));
