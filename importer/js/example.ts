// Type-checked by scripts/test-pyodide.sh: the loader's types as a page uses them.
import { loadPyodide } from "pyodide";
import { loadBale } from "./loader.mjs";

export async function start(): Promise<string> {
  const starting = loadPyodide();
  const finder = await loadBale(starting, "app.bale", { path: "/app.bale" });
  (await starting).runPython("import app");
  return `${finder.path} (${finder.target})`;
}
