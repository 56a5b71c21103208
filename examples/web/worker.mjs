// The app in a module worker (main.mjs with `worker=1`): Pyodide, the loader and the
// bale all live here, the rest bale's misses fetched by synchronous XMLHttpRequest,
// which a worker may make. Gets the page's query; sends each printed line, then the
// timing and the bytes this worker downloaded, or the error.
import { downloaded, run } from "./app.mjs";

self.onmessage = async ({ data }) => {
  try {
    const timing = await run(new URLSearchParams(data), (line) => self.postMessage({ line }));
    self.postMessage({ timing, bytes: downloaded() });
  } catch (e) {
    self.postMessage({ error: e.message });
  }
};
