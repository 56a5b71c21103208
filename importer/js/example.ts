// Type-checked by scripts/test-pyodide.sh: the loader's types as a page uses them.
import { loadPyodide } from "pyodide";
import { loadBale } from "./loader.mjs";

export async function start(): Promise<string> {
  const pyodide = await loadPyodide();
  const finder = await loadBale(pyodide, "app.bale", { path: "/app.bale" });
  pyodide.runPython("import app");
  return `${finder.path} (${finder.target})`;
}
