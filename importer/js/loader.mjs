// The bale loader for Pyodide: fetches a bale (plain or framed), installs the importer
// (the `bale` package, built as WebAssembly), compiles the bale's extension modules
// and shared libraries asynchronously and in parallel, and installs the bale's finder,
// so that `import app` reads from the bale in memory. No dependencies beyond Pyodide.
//
// The loader reads the bale's header (format-spec §4) only to refuse, early and
// plainly, what is not a bale for this Pyodide; the importer checks the header hash
// and every record before it uses them, and lists the native files to compile. Only
// a bale's own importer is found by reading records here, in `embedded.mjs`, which
// checks each of them and the importer's payload hash before anything runs.

// layout: generated from crates/bale-format/src/layout.rs
// (BALE_BLESS=1 cargo test -p bale-loader writes it again).
const MAGIC = [0x89, 0x42, 0x41, 0x4c, 0x45, 0x0d, 0x0a, 0x0a];
const MAJOR = 1;
const HEADER_SIZE = 256;
const H_MAJOR = 8;
const H_FILE_SIZE = 16;
const H_TARGET = 32;
const TARGET_LEN = 48;
// layout: end
// A framed bale: a whole bale in one zstd frame (format-spec §10.4).
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
// Where a bale may carry the importer itself, stored uncompressed (embedded.mjs).
const IMPORTER = "bale/bale.abi3.so";
// One importer per Pyodide instance, however many bales are loaded into it.
const importers = new WeakMap();
// The Pyodide ABIs (pyodide-lock.json's `abi_version`: Emscripten's and CPython's)
// this importer is built for: Pyodide 0.29 and the 314.0 series.
const ABIS = ["2025_0", "2026_0"];

/**
 * Loads a bale into a Pyodide instance and installs its finder first on
 * `sys.meta_path`; resolves to the finder (a PyProxy of `bale.BaleFinder`).
 * `pyodide` may be a promise of one (`loadPyodide(...)` not awaited): the bale and the
 * importer then download, and the importer compiles, while Pyodide starts.
 */
export async function loadBale(pyodide, source, options = {}) {
  const name = options.path ?? (typeof source === "string" || source instanceof URL ? String(source) : "bale");
  // What was kept of it on an earlier visit, brought up to date (update.mjs), or the
  // download; with an integrity named, checked against it.
  const visiting = keeps(source, options) ? startVisit(source, options) : undefined;
  const fetched = visiting ? visiting.then((v) => v.data) : bytes(source);
  // The importer too, unless this Pyodide (given itself) has it already; and the rest
  // bale's index, when asked for.
  const installed = options.importer === "installed";
  const early = importers.has(pyodide) || installed ? undefined : fetchImporter(options);
  const rest = options.rest ? import("./rest.mjs").then((r) => r.openRest(source, options.rest)) : undefined;
  // Settled later; marked handled now so that a failure while Pyodide starts is not
  // reported as unhandled before it is awaited.
  fetched.catch(() => {});
  early?.catch(() => {});
  rest?.catch(() => {});
  pyodide = await pyodide;
  checkAbi(pyodide);
  if (installed && !importers.has(pyodide)) importers.set(pyodide, Promise.resolve(installedImporter(pyodide)));
  let data = await fetched;
  const visit = await visiting;
  const target = pythonTarget(pyodide);
  // A framed bale (one zstd frame, for transport) is decoded by the importer, into a
  // Python bytes object that the finder then reads in place.
  let py, view;
  if (ZSTD.every((b, i) => data[i] === b)) {
    const bale = await importerFor(pyodide, () => early ?? fetchImporter(options));
    const framed = pyodide.toPy(data);
    try {
      py = bale.unframe(framed);
    } catch (e) {
      throw new Error(`loadBale: ${name}: ${lastLine(e.message)}`);
    } finally {
      framed.destroy();
    }
    view = py.getBuffer("u8");
    data = view.data;
  }
  try {
    checkHeader(data, name, target);
    // A fresh download is checked, and kept, as decoded: a copy, as Python's memory
    // may move while that happens.
    if (visit?.fresh) await visit.accept(data.slice());
  } catch (e) {
    py?.destroy();
    throw e;
  } finally {
    view?.release();
  }
  const bale = await importerFor(pyodide, () =>
    (early ?? fetchImporter(options)).catch((missing) => carried(options, data, name, missing)),
  );
  py ??= pyodide.toPy(data);
  const path = options.path ?? `/bale/${basename(name).replace(/\.zst$/, "")}`;
  let finder;
  const made = [py];
  try {
    const kwargs = { path, files: options.files ?? true, prepared: true };
    if (rest) Object.assign(kwargs, (await rest).arguments(pyodide, (proxy) => (made.push(proxy), proxy)));
    finder = bale.install.callKwargs(py, kwargs);
  } finally {
    made.forEach((p) => p.destroy());
  }
  try {
    const natives = finder._native_files().toJs().filter(([file]) => file !== IMPORTER);
    await prepareNative(pyodide, finder, path, natives);
  } catch (e) {
    finder.uninstall();
    finder.destroy();
    throw /^loadBale: /.test(e.message) ? e : new Error(`loadBale: ${name}: ${lastLine(e.message)}`);
  }
  markLoaded(pyodide, path);
  return finder;
}

// update.mjs, once loaded: what it is still writing to the store.
let updates;

/**
 * Resolves once the bales loaded so far are kept for the next visit (the store is
 * written in the background, after `loadBale` resolves).
 */
export function storing() {
  return updates ? updates.storing() : Promise.resolve();
}

// Whether the loader keeps the bale for the next visit (a URL, where the Cache API is
// or a store is given, unless `cache: false`), or checks its integrity.
function keeps(source, options) {
  return Boolean(options.integrity) || Boolean(store(source, options));
}

function store(source, options) {
  const cache = options.cache ?? (globalThis.caches ? true : false);
  return /^https?:$/.test(urlOf(source)?.protocol ?? "") && cache;
}

// The visit, through update.mjs. A first visit's download starts at once, not once
// update.mjs has come: only a bale the store may hold (its pointer, as update.mjs
// writes it) is looked for first.
async function startVisit(source, options) {
  const url = urlOf(source);
  const update = import("./update.mjs").then((u) => (updates = u));
  update.catch(() => {});
  const cache = store(source, options);
  let held = typeof cache === "object";
  try {
    const pointer = `/.bale-store/url/${encodeURIComponent(url.origin + url.pathname)}`;
    held ||= Boolean(cache && (await (await caches.open(cache === true ? "bale" : cache)).match(new URL(pointer, location.origin))));
  } catch {
    held = true; // update.mjs says why
  }
  const fetched = held ? undefined : bytes(source);
  fetched?.catch(() => {});
  return (await update).visit(url, options, () => fetched ?? bytes(source));
}

function urlOf(source) {
  if (typeof source !== "string" && !(source instanceof URL)) return undefined;
  return new URL(source, globalThis.location?.href ?? `file://${globalThis.process?.cwd()}/`);
}

// Pyodide loads the packages of its own distribution that `import` statements name
// (`loadPackagesFromImports`, which JupyterLite's kernel runs before every cell), though
// the bale's are the ones imported: those the bale holds are marked loaded, from
// "bale", so that nothing is fetched for them.
function markLoaded(pyodide, path) {
  const found = pyodide.runPython(`[m.name for m in __import__("pkgutil").iter_modules([${JSON.stringify(path)}])]`);
  const tops = new Set(found.toJs());
  found.destroy();
  for (const info of Object.values(pyodide.lockfile?.packages ?? {})) {
    if (!pyodide.loadedPackages[info.name] && info.imports?.some((m) => tops.has(m))) pyodide.loadedPackages[info.name] = "bale";
  }
}

// Refuses a Pyodide this importer is not built for, naming both, before anything of
// it is loaded: a WebAssembly module of another ABI would fail to link, or worse.
function checkAbi(pyodide) {
  const abi = pyodide.lockfile?.info?.abi_version ?? pyodide._api?.abiVersion;
  if (abi && !ABIS.includes(abi)) {
    throw new Error(
      `loadBale: this is Pyodide ${pyodide.version}, of ABI ${abi}; the bale importer is built for Pyodide ABI ` +
        `${ABIS.join(" and ")} (Pyodide 0.29 and 314.0.x): use one of those, or a bale release built for this one`,
    );
  }
}

// The `bale` package this Pyodide already has, installed from its wheel (micropip,
// PyScript's `packages`, JupyterLite's `%pip`): what `bale.load` asks for.
function installedImporter(pyodide) {
  try {
    return pyodide.pyimport("bale");
  } catch {
    throw new Error("loadBale: importer: 'installed', but this Pyodide has no `bale` package: install its wheel first");
  }
}

// The importer of this Pyodide, installed from `source()` the first time.
function importerFor(pyodide, source) {
  let importer = importers.get(pyodide);
  if (!importer) {
    importer = source().then((found) => installImporter(pyodide, found));
    importers.set(pyodide, importer);
    importer.catch(() => importers.delete(pyodide));
  }
  return importer;
}

// The importer named, else the one beside this loader (the npm package and the bale
// wheel ship one): its bytes, and their compilation, started as they arrive; while
// they arrive where the server types them application/wasm, which compileStreaming
// requires.
function fetchImporter(options) {
  return open(options.importer ?? new URL("bale.abi3.so", import.meta.url)).then(async (found) => {
    if (found instanceof Uint8Array) return compiling(found);
    const streamed = /^application\/wasm\b/.test(found.headers.get("content-type")) && WebAssembly.compileStreaming(found.clone());
    const code = new Uint8Array(await found.arrayBuffer());
    return compiling(code, streamed || undefined);
  });
}

function compiling(code, compiled = WebAssembly.compile(code)) {
  compiled.catch(() => {});
  return { code, compiled };
}

// Without one of its own at hand, the loader takes the one the bale carries, checked.
async function carried(options, data, name, missing) {
  const found = !options.importer && (await import("./embedded.mjs")).embeddedImporter(data, name);
  if (!found) throw missing;
  return compiling(found);
}

async function bytes(source) {
  const found = await open(source);
  return found instanceof Uint8Array ? found : new Uint8Array(await found.arrayBuffer());
}

// A source's bytes, if they are at hand or in a file; else the HTTP response that
// brings them.
async function open(source) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const url = urlOf(source);
  if (url.protocol === "file:") {
    // Named through a variable, so that bundlers for the browser leave it alone.
    const fs = "node:fs/promises";
    const { readFile } = await import(fs);
    return new Uint8Array(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`loadBale: fetching ${url} failed: HTTP ${response.status} ${response.statusText}`);
  return response;
}

// The running Pyodide as a bale target, named by the rule of bale_target::Target:
// the platform its ABI-tagged extension suffix names (`.cpython-314-wasm32-emscripten.so`).
function pythonTarget(pyodide) {
  const [name, major, minor, suffixes] = pyodide
    .runPython("import sys, _imp; (sys.implementation.name, *sys.version_info[:2], _imp.extension_suffixes())")
    .toJs();
  const tag = `.${name}-${major}${minor}-`;
  const suffix = suffixes.find((s) => s.startsWith(tag));
  const platform = suffix ? suffix.slice(tag.length, suffix.lastIndexOf(".")) : "wasm32-emscripten";
  return `${name}-${major}.${minor}-${platform}`;
}

// Refuses, before anything is imported, what is not a bale for this Pyodide.
function checkHeader(data, name, target) {
  const fail = (why) => {
    throw new Error(`loadBale: ${name}: ${why}`);
  };
  if (data.length < 8 || MAGIC.some((b, i) => data[i] !== b)) fail("not a bale (bad magic)");
  if (data.length < HEADER_SIZE) fail(`truncated (${data.length} bytes)`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const major = view.getUint16(H_MAJOR, true);
  if (major !== MAJOR) fail(`format version ${major} is not supported (this loader reads version ${MAJOR})`);
  const size = Number(view.getBigUint64(H_FILE_SIZE, true));
  if (size > data.length) fail(`truncated: ${data.length} of ${size} bytes`);
  const bale = new TextDecoder().decode(data.subarray(H_TARGET, H_TARGET + TARGET_LEN)).replace(/\0+$/, "");
  if (bale !== target && bale !== "any") fail(`built for ${bale}, but this Pyodide runs ${target}`);
}

// Writes the importer into site-packages as the package `bale`, compiled
// asynchronously first so that importing it compiles nothing; resolves to the module.
async function installImporter(pyodide, { code, compiled }) {
  const module = pyodide._module;
  // Not sysconfig: a page's trimmed standard library need not hold it.
  const site = pyodide.runPython("import sys; next(p for p in sys.path if p.endswith('/site-packages'))");
  const file = `${site}/bale/bale.abi3.so`;
  module.preloadedWasm[file] = await module.loadWebAssemblyModule(await compiled, { loadAsync: true, nodelete: true }, file, {});
  pyodide.FS.mkdirTree(`${site}/bale`);
  pyodide.FS.writeFile(`${site}/bale/__init__.py`, "from .bale import *\nfrom .bale import __version__\n");
  pyodide.FS.writeFile(file, code);
  return pyodide.pyimport("bale");
}

// Compiles every native file in parallel (bytes read through the finder, so checked
// against their hashes and decompressed), then instantiates the shared libraries
// (globally, by file name, dependencies first) and registers the extension modules
// under their virtual paths, where `dlopen` finds them (see native_emscripten.rs).
async function prepareNative(pyodide, finder, root, files) {
  const module = pyodide._module;
  const compiled = await Promise.all(
    files.map(async ([path, library]) => {
      const buffer = finder.get_data(`${root}/${path}`);
      const view = buffer.getBuffer("u8");
      try {
        return { path, library, module: await WebAssembly.compile(view.data) };
      } catch (e) {
        throw new Error(`loadBale: ${root}/${path}: not a WebAssembly module for Pyodide: ${e.message}`);
      } finally {
        view.release();
        buffer.destroy();
      }
    }),
  );
  const libraries = new Map(compiled.filter((f) => f.library).map((f) => [basename(f.path), f]));
  const loading = new Map();
  const loadLibrary = (name) => {
    if (!loading.has(name)) {
      const lib = libraries.get(name);
      const needed = module.getDylinkMetadata(lib.module).neededDynlibs.filter((n) => libraries.has(n));
      loading.set(name, Promise.all(needed.map(loadLibrary)).then(() => load(module, lib.module, name, true)));
    }
    return loading.get(name);
  };
  await Promise.all([...libraries.keys()].map(loadLibrary));
  await Promise.all(
    compiled.filter((f) => !f.library).map((f) => load(module, f.module, `${root}/${f.path}`, false)),
  );
}

// Instantiates a compiled side module as Emscripten's own preloading does, so that
// `dlopen(name)` finds it ready; a global library is also loaded now, its symbols
// made visible to every module loaded after it.
async function load(module, compiled, name, global) {
  const flags = { loadAsync: true, nodelete: true, global };
  module.preloadedWasm[name] = await module.loadWebAssemblyModule(compiled, flags, name, {});
  if (global) await module.loadDynamicLibrary(name, flags);
}

// The last line of a Python error's message: the exception itself.
function lastLine(message) {
  return String(message).trim().split("\n").pop();
}

function basename(path) {
  return String(path).replace(/[?#].*$/, "").split("/").pop();
}
