// The page's script: starts Pyodide (with the bale's trimmed standard library when
// given), loads the bale with the loader, runs the app and shows its output and the
// time each phase took. `serve.mjs` serves this folder with Pyodide at /pyodide/,
// the loader and the importer at /loader/ and the bales at /bales/.
//
// Query: bale=URL (the bale), stdlib=URL (its stdlib zip, optional), run=script:FILE
// or run=module:NAME, args=ARGS (space-separated).
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
  show("done", `Done in ${Math.round(timing.total)} ms.`);
} catch (e) {
  show("error", `Failed: ${e.message}`);
  throw e;
}

async function run(query) {
  const bale = query.get("bale");
  if (!bale) throw new Error("no bale given (?bale=URL)");
  const [kind, target] = (query.get("run") ?? "").split(":");
  if (!["script", "module"].includes(kind) || !target) throw new Error("?run= must be script:FILE or module:NAME");
  const args = (query.get("args") ?? "").split(" ").filter(Boolean);
  const stdLibURL = query.get("stdlib") ?? undefined;

  const times = {};
  const start = performance.now();
  const { loadPyodide } = await import("/pyodide/pyodide.mjs");
  const write = (line) => (output.textContent += line + "\n");
  const pyodide = await loadPyodide({ indexURL: "/pyodide/", stdLibURL, stdout: write, stderr: write });
  times.loadPyodide = performance.now() - start;

  let t = performance.now();
  const response = await fetch(bale);
  if (!response.ok) throw new Error(`fetching ${bale} failed: HTTP ${response.status}`);
  const data = new Uint8Array(await response.arrayBuffer());
  times.fetch = performance.now() - t;

  t = performance.now();
  const finder = await loadBale(pyodide, data, { importer: "/loader/bale.abi3.so", path: "/app.bale" });
  times.loadBale = performance.now() - t;

  t = performance.now();
  pyodide.globals.set("bale_run", pyodide.toPy({ kind, target, args, root: finder.path }));
  pyodide.runPython(`
def _run(a):
    import sys
    try:
        if a["kind"] == "module":
            import runpy
            sys.argv = [a["target"], *a["args"]]
            runpy.run_module(a["target"], run_name="__main__", alter_sys=True)
        else:
            path = a["root"] + "/" + a["target"]
            sys.argv = [path, *a["args"]]
            try:
                with open(path, "rb") as f:  # the bale's own file, through its importer
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
  times.total = performance.now() - start;
  return times;
}
