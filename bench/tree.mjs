// The files under a folder, for what the Pyodide benchmarks count as downloaded
// (bench/pyodide.mjs, bench/rest.mjs).
import fs from "node:fs";
import path from "node:path";

// Every file under `dir`, at any depth, but none in a `__pycache__` folder.
export function tree(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "__pycache__" ? [] : tree(p);
    return [p];
  });
}
