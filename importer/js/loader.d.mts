// Types of the bale loader for Pyodide (loader.mjs).
import type { PyodideAPI } from "pyodide";
import type { PyProxy } from "pyodide/ffi";

/**
 * Where a bale or the importer comes from: a URL (fetched; `file:` URLs read from disk
 * in Node) or its bytes. A bale may be framed (`bale pack -o app.bale.zst`: the whole
 * bale in one zstd frame, the smallest download); the importer decodes it.
 */
export type BaleSource = string | URL | ArrayBuffer | Uint8Array;

export interface LoadBaleOptions {
  /**
   * The importer (the `bale` package's extension module built for Pyodide). Default:
   * the one the bale carries at `bale/bale.abi3.so`, else `bale.abi3.so` next to this
   * loader. Installed once per Pyodide instance. `"installed"`: the `bale` package this
   * Pyodide already has, from its wheel (micropip, PyScript's `packages`, JupyterLite's
   * `%pip install`), as `await bale.load(...)` in Python uses it.
   */
  importer?: BaleSource | "installed";
  /** The virtual path the bale is mounted at (`__file__` of its modules). Default: `/bale/<file name>`. */
  path?: string;
  /** Serve `open`, `os.stat` and `os.listdir` under that path from the bale (default true). */
  files?: boolean;
  /**
   * The rest bale (`bale pack --app ... --rest`): its URL, or `true` for the one beside
   * the bale (`app.rest.bale` for `app.bale` or `app.bale.zst`). Its index is fetched
   * with one or two Range requests while Pyodide starts; what the bale lacks is then
   * fetched from it when first needed, one Range request per entry, synchronously
   * (a synchronous XMLHttpRequest in a browser, a worker thread in Node).
   */
  rest?: string | URL | true;
}

/** A miss: what the bale lacked and its rest bale served. */
export interface Miss {
  module: string | null;
  path: string;
  bale: string;
}

/** The installed finder: `bale.BaleFinder`, first on `sys.meta_path`. */
export interface BaleFinder extends PyProxy {
  readonly path: string;
  readonly target: string;
  /** The rest bale's finder, if any: its URL (`path`) and how payloads are fetched (`via`). */
  readonly rest: (PyProxy & { readonly path: string; readonly via: string }) | undefined;
  /** What was fetched from the rest bale so far (a Python list; `.toJs()` for an array of Maps). */
  misses(): PyProxy;
  uninstall(): void;
}

/**
 * Loads a bale into Pyodide: checks that it was built for this Pyodide's Python,
 * installs the importer, compiles the bale's extension modules and shared libraries
 * asynchronously and in parallel, and installs the bale's finder. Rejects, with the
 * URL and HTTP status, if a fetch fails; with a clear message, before anything is
 * imported, if the bale is for another Python or platform or is not a bale.
 *
 * Given a promise of a Pyodide (`loadPyodide(...)` not awaited), it starts the bale's
 * download and the importer's download and compilation at once, while Pyodide starts:
 * ```js
 * const pyodide = loadPyodide({ stdLibURL: "app.stdlib.zip" });
 * await loadBale(pyodide, "app.bale.zst");
 * ```
 */
export function loadBale(
  pyodide: PyodideAPI | Promise<PyodideAPI>,
  source: BaleSource,
  options?: LoadBaleOptions,
): Promise<BaleFinder>;
