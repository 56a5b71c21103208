// node smoke.mjs NODE_DIR IMPORTER.so APP.bale MODULE
// Loads Pyodide in Node, installs the WebAssembly importer as the package `bale`,
// installs the bale from bytes and runs MODULE from it (as `python -m`).
import fs from "node:fs";
import path from "node:path";

const [nodeDir, importer, balePath, module] = process.argv.slice(2);
const { loadPyodide } = await import(path.resolve(nodeDir, "node_modules/pyodide/pyodide.mjs"));
let pyodide;
try {
  pyodide = await loadPyodide();
} catch (e) {
  console.error("loadPyodide failed:", String(e.message ?? e).slice(0, 500));
  process.exit(1);
}
const site = pyodide.runPython("import sysconfig; sysconfig.get_paths()['purelib']");
pyodide.FS.mkdirTree(`${site}/bale`);
pyodide.FS.writeFile(`${site}/bale/__init__.py`, "from .bale import *\n");
pyodide.FS.writeFile(`${site}/bale/bale.abi3.so`, fs.readFileSync(importer));
pyodide.globals.set("bale_bytes", new Uint8Array(fs.readFileSync(balePath)));
pyodide.globals.set("module", module);
try {
  pyodide.runPython(`
import bale, runpy, sys
finder = bale.install(bale_bytes.to_bytes(), path="/app.bale")
print("bale", bale.__version__, "target", finder.target, "on", sys.version.split()[0], sys.platform)
runpy.run_module(module, run_name="__main__")
`);
} catch (e) {
  console.error(String(e.message ?? e));
  process.exit(1);
}
