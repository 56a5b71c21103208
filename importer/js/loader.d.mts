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
  /**
   * Where the loader keeps the bale it verified for the next visit: the Cache API's
   * cache of this name (default `"bale"`, where the page has the Cache API: a secure
   * context, on the main thread or in a worker), a store of the page's own, or
   * `false` for none. A later visit asks the server only whether the bale changed
   * (the first 64 bytes of its parts file, conditionally) and, after a deploy, fetches
   * only the payloads the stored bale lacks; a full or unavailable store, a server
   * that ignores Range or a missing parts file fall back to the whole download, said
   * once on the console. Old versions are removed from the store.
   */
  cache?: boolean | string | BaleStore;
  /**
   * The bale's expected hash, as `fetch` and `<script>` take one (`sha256-BASE64`;
   * sha384 and sha512 too; several, space-separated, match if any does): the hash of
   * the bale itself, decoded if framed, as `bale pack` prints it and `bale inspect`
   * shows it. A bale that does not match is never imported: a download is refused, a
   * stored copy is updated or fetched again. With it, a visit whose stored copy
   * matches sends no request at all (and works offline).
   */
  integrity?: string;
  /**
   * The parts file a later visit updates the stored bale from (`bale pack` writes
   * `NAME.parts` beside `NAME.bale.zst`): its URL, the one beside the bale (default),
   * or `false` for none (a changed bale is then downloaded whole).
   */
  parts?: string | URL | boolean;
}

/** A store for `cache`: bytes by key. `put` may throw (a full store): the loader says so and goes on. */
export interface BaleStore {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
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

/** Resolves once the bales loaded so far are kept in the store (written after `loadBale` resolves). */
export function storing(): Promise<void>;
