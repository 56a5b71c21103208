// The app's start, the same on the page and in a module worker: starts Pyodide (with
// the bale's trimmed standard library when given), loads the bale with the loader,
// runs the app, and gives the time each phase took. `write` gets each line the app
// prints. The query is main.mjs's (see there).
//
// Every form downloads what it needs while Pyodide starts (the bale through
// `loadBale`, given the promise of a Pyodide), its best case. The timing gives the
// moments, in ms from the page's navigation (a worker's: from its own start), when
// Pyodide was ready, the app's files were in place, the app printed its first line,
// and it ended.
import { loadBale, storing } from "/loader/loader.mjs";

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url} failed: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

export async function run(query, write) {
  const bale = query.get("bale");
  const list = (key) => (query.get(key) ?? "").split(",").filter(Boolean);
  const wheels = list("wheels");
  const files = list("files");
  if (!bale && !wheels.length && !files.length && !query.get("zip")) throw new Error("no bale given (?bale=URL)");
  const [kind, target] = (query.get("run") ?? "").split(":");
  if (!["script", "module"].includes(kind) || !target) throw new Error("?run= must be script:FILE or module:NAME");
  const args = (query.get("args") ?? "").split(" ").filter(Boolean);
  const stdLibURL = query.get("stdlib") ?? undefined;

  const times = {};
  const start = performance.now();
  const { loadPyodide } = await import("/pyodide/pyodide.mjs");
  const print = (line) => {
    times.firstOutput ??= performance.now();
    write(line);
  };
  const starting = loadPyodide({ indexURL: "/pyodide/", stdLibURL, stdout: print, stderr: print });
  starting.then(() => (times.pyodideReady = performance.now()));
  const zip = query.get("zip");
  let root;
  let pyodide;
  if (bale) {
    const rest = query.get("rest") === "1" ? true : (query.get("rest") ?? undefined);
    const finder = query.has("pip")
      ? await fromPython(await starting, bale, rest, list("pip"))
      : await loadBale(starting, bale, { importer: "/loader/bale.abi3.so", path: "/app.bale", rest, ...keeping(query) });
    root = finder.path;
    pyodide = await starting;
    if (rest) {
      // What the rest bale served, and how, once the app has run.
      times.misses = () => ({ via: finder.rest.via, misses: finder.misses().toJs({ dict_converter: Object.fromEntries }) });
    }
  } else {
    const [wheelData, fileData, zipData] = await Promise.all([
      Promise.all(wheels.map(fetchBytes)),
      Promise.all(files.map(fetchBytes)),
      zip ? fetchBytes(zip) : null,
    ]);
    times.fetched = performance.now();
    pyodide = await starting;
    for (const data of wheelData) pyodide.unpackArchive(data, "wheel");
    root = "/home/pyodide/app";
    pyodide.FS.mkdirTree(root);
    files.forEach((url, i) => pyodide.FS.writeFile(`${root}/${url.split("/").pop()}`, fileData[i]));
    if (zipData) pyodide.unpackArchive(zipData, "zip", { extractDir: root });
  }
  times.prepared = performance.now();
  // The phases as before, for bench/browser.mjs: Pyodide's start, then what the start
  // of the app's files took beyond it, then the app.
  times.loadPyodide = times.pyodideReady - start;
  times.prepare = times.prepared - times.pyodideReady;
  let t = performance.now();
  pyodide.globals.set("bale_run", pyodide.toPy({ kind, target, args, root, fromBale: Boolean(bale) }));
  pyodide.runPython(`
def _run(a):
    import sys
    if not a["fromBale"]:
        sys.path.insert(0, a["root"])
    try:
        if a["kind"] == "module":
            import runpy
            sys.argv = [a["target"], *a["args"]]
            runpy.run_module(a["target"], run_name="__main__", alter_sys=True)
        else:
            path = a["root"] + "/" + a["target"]
            sys.argv = [path, *a["args"]]
            try:
                with open(path, "rb") as f:  # under the bale: its own file, through its importer
                    code = compile(f.read(), path, "exec")
            except FileNotFoundError:  # packed as bytecode only: the module of its name
                finder = next(f for f in sys.meta_path if type(f).__name__ == "BaleFinder")
                code = finder.get_code(a["target"].removesuffix(".py").replace("/", "."))
            exec(code, {"__name__": "__main__", "__file__": path})
    except SystemExit as e:
        if e.code:
            raise
    finally:
        sys.stdout.flush()
_run(bale_run)
del bale_run
`);
  times.run = performance.now() - t;
  times.end = performance.now();
  if (times.misses) times.misses = times.misses();
  times.total = times.end - start;
  // The last byte of anything downloaded, from the navigation.
  times.lastByte = Math.max(...performance.getEntriesByType("resource").map((e) => e.responseEnd));
  // What the loader keeps for the next visit is written in the background: done
  // before the page says it is.
  await storing();
  return times;
}

// What the loader keeps for a returning visitor: `integrity=` (the bale's hash, as
// `bale pack` prints it), `cache=0` (keep nothing), `parts=0` (no parts file).
function keeping(query) {
  const options = {};
  if (query.has("integrity")) options.integrity = query.get("integrity");
  if (query.get("cache") === "0") options.cache = false;
  if (query.get("parts") === "0") options.parts = false;
  return options;
}

// Bytes over the wire (compressed as sent) of everything this page or worker fetched,
// and of those, Pyodide's own files, the same for every start (its standard library
// aside).
// The bale loaded as a page without JavaScript of its own would: micropip installs
// bale's Pyodide wheel (the last of `wheels`; those before it are micropip and what
// it needs, as Pyodide's own index would give them), then Python awaits `bale.load`.
async function fromPython(pyodide, bale, rest, wheels) {
  const absolute = (url) => new URL(url, location.href).href;
  await pyodide.loadPackage(wheels.slice(0, -1).map(absolute), { messageCallback: () => {} }); // not the app's output
  pyodide.globals.set("bale_args", pyodide.toPy({ wheel: absolute(wheels.at(-1)), bale, rest: rest ?? null }));
  return await pyodide.runPythonAsync(`
import micropip
await micropip.install(bale_args["wheel"])
import bale
await bale.load(bale_args["bale"], rest=bale_args["rest"], path="/app.bale")`);
}

export function downloaded() {
  const resources = performance.getEntriesByType("resource");
  const bytes = (list) => list.reduce((sum, e) => sum + e.encodedBodySize, 0);
  return { all: bytes(resources), pyodide: bytes(resources.filter((e) => /\/pyodide\/(?!python_stdlib\.zip)/.test(e.name))) };
}
