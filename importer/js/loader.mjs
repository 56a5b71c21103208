// The bale loader for Pyodide: fetches a bale (plain or framed), installs the importer
// (the `bale` package, built as WebAssembly), compiles the bale's extension modules
// and shared libraries asynchronously and in parallel, and installs the bale's finder,
// so that `import app` reads from the bale in memory. No dependencies beyond Pyodide.
//
// Reads of the bale's header follow format-spec/README.md (§4, §6.2, §9).

// layout: generated from crates/bale-format/src/layout.rs
// (BALE_BLESS=1 cargo test -p bale-loader writes it again).
const MAGIC = [0x89, 0x42, 0x41, 0x4c, 0x45, 0x0d, 0x0a, 0x0a];
const MAJOR = 1;
const HEADER_SIZE = 256;
const H_MAJOR = 8;
const H_FILE_SIZE = 16;
const H_TARGET = 32;
const TARGET_LEN = 48;
const H_PAYLOADS = 96;
const H_STRINGS = 104;
const H_FILES = 152;
const H_FILE_COUNT = 160;
const F_SIZE = 40;
const F_KEY_OFFSET = 8;
const F_KEY_LEN = 12;
const F_KIND = 14;
const F_PAYLOAD = 28;
const P_SIZE = 40;
const P_OFFSET = 0;
const P_STORED_SIZE = 8;
const P_CODEC = 32;
const EXTENSION = 2;
const SHARED_LIBRARY = 4;
// layout: end
// A framed bale: a whole bale in one zstd frame (format-spec §10.4).
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
// Where a bale may carry the importer itself, stored uncompressed.
const IMPORTER = "bale/bale.abi3.so";
// One importer per Pyodide instance, however many bales are loaded into it.
const importers = new WeakMap();

/**
 * Loads a bale into a Pyodide instance and installs its finder first on
 * `sys.meta_path`; resolves to the finder (a PyProxy of `bale.BaleFinder`).
 */
export async function loadBale(pyodide, source, options = {}) {
  const name = options.path ?? (typeof source === "string" || source instanceof URL ? String(source) : "bale");
  let [data, target] = await Promise.all([bytes(source), pythonTarget(pyodide)]);
  // A framed bale (one zstd frame, for transport) is decoded by the importer, into a
  // Python bytes object that the finder then reads in place.
  let py, view;
  if (ZSTD.every((b, i) => data[i] === b)) {
    const bale = await importerFor(pyodide, () => options.importer ?? besideLoader());
    const framed = pyodide.toPy(data);
    try {
      py = bale.unframe(framed);
    } catch (e) {
      throw new Error(`loadBale: ${name}: ${String(e.message).trim().split("\n").pop()}`);
    } finally {
      framed.destroy();
    }
    view = py.getBuffer("u8");
    data = view.data;
  }
  let header, files;
  try {
    header = readHeader(data, name, target);
    files = natives(data, header);
  } catch (e) {
    py?.destroy();
    throw e;
  } finally {
    view?.release();
  }
  const bale = await importerFor(pyodide, () => options.importer ?? bundledImporter(data, header, files));
  py ??= pyodide.toPy(data);
  const path = options.path ?? `/bale/${basename(name).replace(/\.zst$/, "")}`;
  let finder;
  try {
    finder = bale.install.callKwargs(py, { path, files: options.files ?? true, prepared: true });
  } finally {
    py.destroy();
  }
  try {
    await prepareNative(pyodide, finder, path, files.filter((f) => f.path !== IMPORTER));
  } catch (e) {
    finder.uninstall();
    finder.destroy();
    throw e;
  }
  return finder;
}

// The importer of this Pyodide, installed from `source()` the first time.
function importerFor(pyodide, source) {
  let importer = importers.get(pyodide);
  if (!importer) {
    importer = installImporter(pyodide, source());
    importers.set(pyodide, importer);
    importer.catch(() => importers.delete(pyodide));
  }
  return importer;
}

function besideLoader() {
  return new URL("bale.abi3.so", import.meta.url);
}

async function bytes(source) {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const url = new URL(source, globalThis.location?.href ?? `file://${globalThis.process?.cwd()}/`);
  if (url.protocol === "file:") {
    // Named through a variable, so that bundlers for the browser leave it alone.
    const fs = "node:fs/promises";
    const { readFile } = await import(fs);
    return new Uint8Array(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`loadBale: fetching ${url} failed: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

// The running Pyodide as a bale target, named by the rule of bale_target::Target:
// the platform its ABI-tagged extension suffix names (`.cpython-314-wasm32-emscripten.so`).
async function pythonTarget(pyodide) {
  const [name, major, minor, suffixes] = pyodide
    .runPython("import sys, _imp; (sys.implementation.name, *sys.version_info[:2], _imp.extension_suffixes())")
    .toJs();
  const tag = `.${name}-${major}${minor}-`;
  const suffix = suffixes.find((s) => s.startsWith(tag));
  const platform = suffix ? suffix.slice(tag.length, suffix.lastIndexOf(".")) : "wasm32-emscripten";
  return `${name}-${major}.${minor}-${platform}`;
}

function readHeader(data, name, target) {
  const fail = (why) => {
    throw new Error(`loadBale: ${name}: ${why}`);
  };
  if (data.length < 8 || MAGIC.some((b, i) => data[i] !== b)) fail("not a bale (bad magic)");
  if (data.length < HEADER_SIZE) fail(`truncated (${data.length} bytes)`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u64 = (at) => Number(view.getBigUint64(at, true));
  const major = view.getUint16(H_MAJOR, true);
  if (major !== MAJOR) fail(`format version ${major} is not supported (this loader reads version ${MAJOR})`);
  if (u64(H_FILE_SIZE) > data.length) fail(`truncated: ${data.length} of ${u64(H_FILE_SIZE)} bytes`);
  const bale = new TextDecoder().decode(data.subarray(H_TARGET, H_TARGET + TARGET_LEN)).replace(/\0+$/, "");
  if (bale !== target && bale !== "any") fail(`built for ${bale}, but this Pyodide runs ${target}`);
  return {
    view,
    u64,
    payloads: u64(H_PAYLOADS),
    strings: u64(H_STRINGS),
    files: u64(H_FILES),
    fileCount: view.getUint32(H_FILE_COUNT, true),
  };
}

// Every file of kind extension or shared library: [{ path, kind, payload }].
function natives(data, { view, strings, files, fileCount }) {
  const out = [];
  const decoder = new TextDecoder();
  for (let i = 0; i < fileCount; i++) {
    const at = files + F_SIZE * i;
    const kind = view.getUint8(at + F_KIND);
    if (kind !== EXTENSION && kind !== SHARED_LIBRARY) continue;
    const key = strings + view.getUint32(at + F_KEY_OFFSET, true);
    const path = decoder.decode(data.subarray(key, key + view.getUint16(at + F_KEY_LEN, true)));
    out.push({ path, kind, payload: view.getUint32(at + F_PAYLOAD, true) });
  }
  return out;
}

// The importer carried in the bale itself, else the one next to this loader.
function bundledImporter(data, header, files) {
  const entry = files.find((n) => n.path === IMPORTER);
  if (entry) {
    const at = header.payloads + P_SIZE * entry.payload;
    if (header.view.getUint8(at + P_CODEC) === 0) {
      const start = header.u64(at + P_OFFSET);
      return data.subarray(start, start + header.u64(at + P_STORED_SIZE));
    }
  }
  return besideLoader();
}

// Writes the importer into site-packages as the package `bale`, compiled
// asynchronously first so that importing it compiles nothing; resolves to the module.
async function installImporter(pyodide, source) {
  const code = await bytes(source);
  const module = pyodide._module;
  // Not sysconfig: a page's trimmed standard library need not hold it.
  const site = pyodide.runPython("import sys; next(p for p in sys.path if p.endswith('/site-packages'))");
  const file = `${site}/bale/bale.abi3.so`;
  const compiled = await WebAssembly.compile(code);
  module.preloadedWasm[file] = await module.loadWebAssemblyModule(compiled, { loadAsync: true, nodelete: true }, file, {});
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
    files.map(async (f) => {
      const buffer = finder.get_data(`${root}/${f.path}`);
      const view = buffer.getBuffer("u8");
      try {
        return { ...f, module: await WebAssembly.compile(view.data) };
      } catch (e) {
        throw new Error(`loadBale: ${root}/${f.path}: not a WebAssembly module for Pyodide: ${e.message}`);
      } finally {
        view.release();
        buffer.destroy();
      }
    }),
  );
  const libraries = new Map(compiled.filter((f) => f.kind === SHARED_LIBRARY).map((f) => [basename(f.path), f]));
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
    compiled.filter((f) => f.kind === EXTENSION).map((f) => load(module, f.module, `${root}/${f.path}`, false)),
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

function basename(path) {
  return String(path).replace(/[?#].*$/, "").split("/").pop();
}
