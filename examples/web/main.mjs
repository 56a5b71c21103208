// The page's script: starts Pyodide (with the bale's trimmed standard library when
// given), loads the bale with the loader, runs the app and shows its output, the time
// each phase took and what the page downloaded. `serve.mjs` serves this folder with
// Pyodide at /pyodide/, the loader and the importer at /loader/, the bales at /bales/
// and the example apps at /examples/.
//
// Query: bale=URL (the bale), stdlib=URL (its stdlib zip, optional), rest=URL or
// rest=1 (its rest bale, or the one beside it: what the bale lacks is fetched from it
// when first needed), run=script:FILE or run=module:NAME, args=ARGS (space-separated). Or, for comparison, the app from
// its wheels as a page without bale would start it: wheels=URL,URL... (unpacked into
// site-packages) and files=URL,URL... (the app's own files, written to one folder); or
// as pyodide-pack ships it: zip=URL (one zip of the app's and its libraries' sources,
// unpacked into one folder).
//
// Every form downloads what it needs while Pyodide starts (the bale through
// `loadBale`, given the promise of a Pyodide), its best case. The timing gives the
// moments, in ms from the page's navigation, when Pyodide was ready, the app's files
// were in place, the app printed its first line, and it ended.
import { loadBale } from "/loader/loader.mjs";

const query = new URLSearchParams(location.search);
const status = document.getElementById("status");
const output = document.getElementById("output");
const show = (state, text) => {
  status.dataset.state = state;
  status.textContent = text;
};

try {
  const timing = await run(query);
  document.getElementById("timing").textContent = JSON.stringify(timing, null, 2);
  // Bytes over the wire (compressed as sent) for everything the page fetched, and of
  // those, Pyodide's own files, the same for every start (its standard library aside).
  const resources = performance.getEntriesByType("resource");
  const bytes = (list) => list.reduce((sum, e) => sum + e.encodedBodySize, 0);
  const downloaded = bytes(resources);
  status.dataset.downloaded = downloaded;
  status.dataset.pyodide = bytes(resources.filter((e) => /\/pyodide\/(?!python_stdlib\.zip)/.test(e.name)));
  show("done", `Done in ${Math.round(timing.total)} ms, ${Math.round(downloaded / 1024)} KiB downloaded.`);
} catch (e) {
  show("error", `Failed: ${e.message}`);
  throw e;
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url} failed: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function run(query) {
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
  const write = (line) => {
    times.firstOutput ??= performance.now();
    output.textContent += line + "\n";
  };
  const starting = loadPyodide({ indexURL: "/pyodide/", stdLibURL, stdout: write, stderr: write });
  starting.then(() => (times.pyodideReady = performance.now()));
  const zip = query.get("zip");
  let root;
  let pyodide;
  if (bale) {
    const rest = query.get("rest") === "1" ? true : (query.get("rest") ?? undefined);
    const finder = await loadBale(starting, bale, { importer: "/loader/bale.abi3.so", path: "/app.bale", rest });
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
  return times;
}
