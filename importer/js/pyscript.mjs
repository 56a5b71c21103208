// The bale plugin for PyScript (@pyscript/core 0.7): a page names the bale of a
// `<script type="py">` in an attribute, and the bale is installed in that script's
// interpreter before its code runs, on the main thread or in a worker (`worker`):
//
//   <script type="py" src="main.py" config="pyscript.toml" bale="app.bale.zst" bale-rest></script>
//
// `bale` is the bale's URL, relative to the page as `src` is; `bale-rest`, if present,
// the rest bale's URL, or nothing for NAME.rest.bale beside the bale. Load this module
// before PyScript's core.js; it imports PyScript's hooks from "@pyscript/core" (an
// import map names it, without a bundler).
//
// Attributes rather than a key of pyscript.toml: PyScript names what concerns one
// script in its attributes (`worker`, `config`, `target`), and they are in the DOM when
// this module runs. So every bale's download starts at once, worker or not, while
// PyScript reads its config, before it downloads Pyodide: as `loadBale`, given the
// promise of a Pyodide, overlaps its start. A worker's config is parsed inside
// PyScript, where no hook sees it, and a worker's hooks run once its Pyodide is ready.
//
// On the main thread, `loadBale` gets a promise of the interpreter, which `onReady`
// (awaited by PyScript before the code runs) fulfils. For a worker, the page downloads
// the bale and the importer while the worker starts, and hands them over as blob: URLs
// when the worker asks (`xworker.sync`), from `onBeforeRunAsync`, which PyScript awaits
// before the worker's code: so a worker must be async, as PyScript's are by default.
import { loadBale } from "./loader.mjs";

const SCRIPTS = 'script[type="py"][bale], py-script[bale]';
const LOADER = new URL("loader.mjs", import.meta.url).href;
const IMPORTER = new URL("bale.abi3.so", import.meta.url).href;
let interpreterReady;
const interpreter = new Promise((resolve) => (interpreterReady = resolve));
const started = new WeakMap(); // script → its bale, loading (main thread) or downloaded (worker)

// The bale of a script, started once: at once for the scripts in the page; for a
// script added later, when PyScript gets to it.
function start(script) {
  if (!started.has(script)) {
    const url = new URL(script.getAttribute("bale"), document.baseURI).href;
    const rest = script.getAttribute("bale-rest"); // null: none; "": the one beside the bale
    const options = { rest: rest === null ? undefined : rest === "" || new URL(rest, document.baseURI).href };
    const bale = script.hasAttribute("worker") ? download(url, options.rest) : loadBale(interpreter, url, options);
    bale.catch(() => {}); // reported where it is awaited
    started.set(script, bale);
  }
  return started.get(script);
}
document.querySelectorAll(SCRIPTS).forEach(start);
// PyScript's hooks, imported only now: its core.js fetches and parses the page's
// config before it resolves, and the downloads above need not wait for that. PyScript
// reads the hooks only when it calls them, once an interpreter or a worker is made.
const { hooks } = await import("@pyscript/core");

// What a worker's loadBale gets: the bytes as blob: URLs (any size, no copy through
// the worker's channel), the path and the rest bale's URL the page's URL would give.
async function download(url, rest) {
  const blob = async (from) => {
    const response = await fetch(from);
    if (!response.ok) throw new Error(`loadBale: fetching ${from} failed: HTTP ${response.status} ${response.statusText}`);
    return URL.createObjectURL(await response.blob());
  };
  // Without an importer beside this module, the worker's loader takes the bale's own.
  const [bale, importer] = await Promise.all([blob(url), blob(IMPORTER).catch(() => undefined)]);
  const { pathname } = new URL(url);
  if (rest === true) rest = new URL(pathname.replace(/(\.bale)?(\.zst)?$/, ".rest.bale"), url).href; // as loadBale names it
  return { loader: LOADER, bale, options: { importer, rest, path: `/bale/${pathname.split("/").pop().replace(/\.zst$/, "")}` } };
}

let failed; // why the main thread's bales could not be loaded

hooks.main.onReady.add(async (wrap) => {
  if (wrap.type !== "py") return; // MicroPython's scripts (`mpy`) share these hooks
  interpreterReady(wrap.interpreter);
  // All main-thread scripts share one interpreter: each one's code waits for every bale.
  const main = [...document.querySelectorAll(SCRIPTS)].filter((s) => !s.hasAttribute("worker"));
  await Promise.all(main.map(start)).catch((e) => (failed = e));
});

// A failure is reported once every onReady hook has run, PyScript's error plugin's
// too, which from then on shows on the page what `io.stderr` gets; and the code, which
// needs the bale, does not run.
const stop = (wrap) => {
  if (failed && wrap.type === "py") {
    wrap.io.stderr(failed);
    throw failed;
  }
};
hooks.main.onBeforeRun.add(stop);
hooks.main.onBeforeRunAsync.add(stop);

hooks.main.onWorker.add((_, xworker) => {
  let asked = false;
  // Called from the worker; PyScript has set `xworker` on its script by then.
  xworker.sync.bale_loader = () => {
    const script = !asked && [...document.querySelectorAll(SCRIPTS)].find((s) => s.xworker === xworker);
    asked = true;
    if (!script) return null;
    const bale = start(script);
    // The blob: URLs, once the worker has run its code (or failed).
    const revoke = () =>
      bale.then(({ bale, options }) => [bale, options.importer].forEach((u) => u && URL.revokeObjectURL(u)), () => {});
    xworker.ready.then(revoke, revoke);
    return bale;
  };
});

// Runs in the worker, from its source text: it can use nothing of this module's.
hooks.worker.onBeforeRunAsync.add(async (wrap, xworker) => {
  try {
    const bale = await xworker.sync.bale_loader();
    if (!bale) return;
    const { loadBale } = await import(/* webpackIgnore: true */ bale.loader);
    await loadBale(wrap.interpreter, bale.bale, bale.options);
  } catch (e) {
    wrap.io.stderr(e); // on the console, where PyScript reports a worker's errors
    throw e; // and the code that needs the bale does not run
  }
});
