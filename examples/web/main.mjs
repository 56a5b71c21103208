// The page's script: runs the app (app.mjs) on the page, or in a module worker with
// `worker=1`, and shows its output, the time each phase took and what was downloaded.
// `serve.mjs` serves this folder with Pyodide at /pyodide/, the loader and the
// importer at /loader/, the bales at /bales/ and the example apps at /examples/.
//
// Query: bale=URL (the bale), stdlib=URL (its stdlib zip, optional), rest=URL or
// rest=1 (its rest bale, or the one beside it: what the bale lacks is fetched from it
// when first needed), integrity=HASH, cache=0 and parts=0 (what the loader keeps for
// a returning visitor: see app.mjs), run=script:FILE or run=module:NAME, args=ARGS (space-separated),
// worker=1 (Pyodide and the bale in a module worker, the page kept responsive, as
// Pyodide's documentation recommends), pip=URL,URL... (micropip's wheels, then bale's
// Pyodide wheel: micropip installs bale, and Python loads the bale with `await
// bale.load(...)`, the importer from the wheel). Or, for comparison, the app from its wheels as
// a page without bale would start it: wheels=URL,URL... (unpacked into site-packages)
// and files=URL,URL... (the app's own files, written to one folder); or as
// pyodide-pack ships it: zip=URL (one zip of the app's and its libraries' sources,
// unpacked into one folder).
import { downloaded, run } from "./app.mjs";

const query = new URLSearchParams(location.search);
const status = document.getElementById("status");
const output = document.getElementById("output");
const show = (state, text) => {
  status.dataset.state = state;
  status.textContent = text;
};
const write = (line) => (output.textContent += line + "\n");

try {
  const { timing, bytes } = query.get("worker") === "1" ? await inWorker(query) : { timing: await run(query, write), bytes: downloaded() };
  document.getElementById("timing").textContent = JSON.stringify(timing, null, 2);
  // A worker's downloads are in its own timeline, not the page's: it counts them.
  status.dataset.downloaded = bytes.all;
  status.dataset.pyodide = bytes.pyodide;
  show("done", `Done in ${Math.round(timing.total)} ms, ${Math.round(bytes.all / 1024)} KiB downloaded.`);
} catch (e) {
  show("error", `Failed: ${e.message}`);
  throw e;
}

// Runs the app in worker.mjs: its lines come as messages, then its timing and bytes.
function inWorker(query) {
  const worker = new Worker("./worker.mjs", { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      if ("line" in data) write(data.line);
      else if ("error" in data) reject(new Error(data.error));
      else resolve(data);
    };
    worker.onerror = (e) => reject(new Error(`the worker failed: ${e.message}`));
    worker.postMessage(query.toString());
  }).finally(() => worker.terminate());
}
