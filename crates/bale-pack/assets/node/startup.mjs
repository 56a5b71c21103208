// What of Pyodide's standard library a page imports before a bale's finder is in
// place, for `bale pack --target pyodide --stdlib used|all`: those modules must come
// from the stdlib zip (`loadPyodide`'s `stdLibURL`), everything after can come from
// the bale.
//   node startup.mjs PYODIDE_DIR LOADER IMPORTER EMPTY.bale
// Starts Pyodide with its full standard library, loads an empty bale through the
// loader exactly as a page does (installing the importer), and prints one line of
// JSON: the paths, inside the stdlib zip, of every module then imported from it.
import fs from "node:fs";
import path from "node:path";

const [pyodideDir, loader, importer, bale] = process.argv.slice(2);
const { loadPyodide } = await import(path.join(path.resolve(pyodideDir), "pyodide.mjs"));
const { loadBale } = await import(path.resolve(loader));
const pyodide = await loadPyodide({ stdout: () => {}, stderr: () => {} });
const finder = await loadBale(pyodide, new Uint8Array(fs.readFileSync(bale)), {
  importer: new Uint8Array(fs.readFileSync(importer)),
});
finder.destroy();
const found = pyodide.runPython(`
def _stdlib_files():
    import sys
    zip = next(p for p in sys.path if p.endswith(".zip"))
    prefix = zip + "/"
    files = set()
    for module in list(sys.modules.values()):
        origin = getattr(getattr(module, "__spec__", None), "origin", None)
        if isinstance(origin, str) and origin.startswith(prefix):
            files.add(origin[len(prefix):])
    return {"zip": zip, "files": sorted(files)}
_stdlib_files()
`);
console.log(JSON.stringify(found.toJs({ dict_converter: Object.fromEntries })));
