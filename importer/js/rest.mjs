// The rest bale (format-spec §4.2, §4.3), for the loader: what an app's traced runs
// did not touch, fetched only when the app turns out to need it. `openRest(url)`
// fetches the rest bale's header and index with one or two HTTP Range requests (never
// its payloads) and gives a `fetch(offset, length)` that brings one payload's bytes
// with one more, synchronously, from inside a Python import: a synchronous
// XMLHttpRequest in a browser (page or worker), a worker thread and `Atomics.wait` in
// Node, a plain read for a file. Loaded by the loader only when asked for a rest bale.
//
// The importer checks every byte it is given: the index's header hash against the one
// the bale records, each record, each payload's hash.

// layout: generated from crates/bale-format/src/layout.rs
// (BALE_BLESS=1 cargo test -p bale-loader writes it again).
const MAGIC = [0x89, 0x42, 0x41, 0x4c, 0x45, 0x0d, 0x0a, 0x0a];
const MAJOR = 1;
const HEADER_SIZE = 256;
const H_MAJOR = 8;
const H_HEADER_SIZE = 12;
const H_PAYLOAD_COUNT = 88;
const H_PAYLOADS = 96;
const H_STRINGS = 104;
const H_STRINGS_SIZE = 112;
const H_MODULES = 120;
const H_FILES = 152;
const T_RECORDS = 0;
const T_COUNT = 8;
const T_BUCKETS = 16;
const T_BUCKET_COUNT = 24;
const M_SIZE = 48;
const F_SIZE = 40;
const P_SIZE = 40;
const B_SIZE = 64;
// layout: end

// The first request's size: the whole index of a small rest bale; a larger one's is
// fetched to its end by a second request once the header says where that is. Both
// happen while Pyodide starts, so the second round trip is hidden; bytes past the
// index are not (16 KiB of payloads at most).
const FIRST = 16 * 1024;

/**
 * Opens the rest bale of the bale at `source` (`rest`: its URL, or `true` for the
 * one beside it): resolves to what the loader tells the importer of it, through
 * `arguments(pyodide, keep)` (`keep` takes each PyProxy made, to destroy later).
 */
export async function openRest(source, rest) {
  const opened = await open(restURL(source, rest));
  return { ...opened, arguments: (pyodide, keep) => restArguments(pyodide, opened, keep) };
}

// The rest bale's URL: as given, or for `true` the bale's own with `.rest.bale` for
// `.bale` (and `.bale.zst`), as `bale pack --rest` names it.
function restURL(source, rest) {
  const base = globalThis.location?.href ?? `file://${globalThis.process?.cwd()}/`;
  if (rest !== true) return new URL(rest, base);
  if (typeof source !== "string" && !(source instanceof URL)) {
    throw new Error("loadBale: rest: true needs the bale's URL; give the rest bale's URL instead");
  }
  const url = new URL(source, base);
  url.pathname = url.pathname.replace(/(\.bale)?(\.zst)?$/, ".rest.bale");
  return url;
}

// `{ url, index, fetch, via }`, or `{ url, whole, via }` when the server ignored the
// Range request and sent the whole file, or `{ url, error }` when it could not be had
// (the importer adds the error to the ImportError of each miss).
async function open(url) {
  try {
    const reader = await readerFor(url);
    const first = await reader.range(0, FIRST);
    if (first.whole) return { url: String(url), whole: first.bytes, via: "memory" };
    const end = indexEnd(first.bytes, url);
    let index = first.bytes;
    if (end > index.length) {
      const more = await reader.range(index.length, end - index.length);
      index = concat(index, more.whole ? more.bytes.subarray(index.length) : more.bytes);
    }
    // Payload bytes that came with the index are kept: the importer reads them there.
    return { url: String(url), index, fetch: reader.sync, via: reader.via };
  } catch (e) {
    return { url: String(url), error: e.message };
  }
}

// The importer's keywords for the rest bale (see `BaleFinder` in importer/src/loader.rs):
// its index and how to fetch a payload, or all of it, or why it is not at hand.
function restArguments(pyodide, rest, keep) {
  const args = { rest_name: rest.url, rest_via: rest.via };
  if (rest.error) return { ...args, rest: keep(keep(pyodide.runPython("OSError"))(rest.error)) };
  if (rest.whole) return { ...args, rest: keep(pyodide.toPy(rest.whole)) };
  // A Uint8Array: the importer takes its bytes (`to_bytes()`), and no proxy is left.
  return { ...args, rest: keep(pyodide.toPy(rest.index)), rest_fetch: rest.fetch };
}

// Where the index ends: the end of the last section the header locates before the
// payloads (format-spec §4.3).
export function indexEnd(data, url) {
  if (data.length < HEADER_SIZE || MAGIC.some((b, i) => data[i] !== b)) throw new Error(`${url}: not a bale`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u64 = (at) => Number(view.getBigUint64(at, true));
  const u32 = (at) => view.getUint32(at, true);
  if (view.getUint16(H_MAJOR, true) !== MAJOR) throw new Error(`${url}: format version not supported`);
  const tree = (at, size) => [
    u64(at + T_RECORDS) + u32(at + T_COUNT) * size,
    u64(at + T_BUCKETS) + u32(at + T_BUCKET_COUNT) * B_SIZE,
  ];
  return Math.max(
    u32(H_HEADER_SIZE),
    ...tree(H_MODULES, M_SIZE),
    ...tree(H_FILES, F_SIZE),
    u64(H_PAYLOADS) + u32(H_PAYLOAD_COUNT) * P_SIZE,
    u64(H_STRINGS) + u64(H_STRINGS_SIZE),
  );
}

// How bytes of `url` are read: `range(start, length)` asynchronously, `sync(start,
// length)` from inside Python, and the name of the way `sync` works.
async function readerFor(url) {
  if (url.protocol === "file:") return fileReader(url);
  let whole; // kept once a server has sent all of it
  const served = (start, length, { status, statusText, body }) => {
    if (status === 206) return { bytes: body };
    if (status === 200) {
      if (!whole) console.warn(`loadBale: ${url}: the server ignores Range requests; the whole rest bale (${body.length} bytes) is kept in memory`);
      whole = body;
      return { bytes: body, whole: true };
    }
    throw new Error(`${url}: HTTP ${status} ${statusText}`.trim());
  };
  const slice = (start, length) => whole.subarray(start, start + length);
  const header = (start, length) => ({ Range: `bytes=${start}-${start + length - 1}` });
  const range = async (start, length) => {
    if (whole) return { bytes: whole, whole: true };
    if (length === 0) return { bytes: new Uint8Array(0) };
    const r = await fetch(url, { headers: header(start, length) });
    return served(start, length, { status: r.status, statusText: r.statusText, body: new Uint8Array(await r.arrayBuffer()) });
  };
  const exact = (start, length, got) => {
    const bytes = got.whole ? slice(start, length) : got.bytes;
    if (bytes.length !== length) throw new Error(`${url}: ${bytes.length} bytes came for a range of ${length}`);
    return bytes;
  };
  if (typeof XMLHttpRequest === "function") {
    const sync = (start, length) => {
      if (whole) return slice(start, length);
      if (length === 0) return new Uint8Array(0); // a range cannot say zero bytes
      const xhr = new XMLHttpRequest();
      xhr.open("GET", url, false);
      xhr.setRequestHeader("Range", header(start, length).Range);
      // A page may not ask a synchronous request for binary; as text in this charset,
      // each byte comes back as one character.
      xhr.overrideMimeType("text/plain; charset=x-user-defined");
      xhr.send();
      const text = xhr.responseText ?? "";
      const body = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) body[i] = text.charCodeAt(i) & 0xff;
      return exact(start, length, served(start, length, { status: xhr.status, statusText: xhr.statusText, body }));
    };
    return { range, sync, via: "XMLHttpRequest" };
  }
  const waiter = await nodeWaiter();
  const answered = (answer) => {
    if (answer.error) throw new Error(`${url}: ${answer.error}`);
    return answer;
  };
  const sync = (start, length) => {
    if (whole) return slice(start, length);
    if (length === 0) return new Uint8Array(0);
    return exact(start, length, served(start, length, answered(waiter.wait(String(url), header(start, length)))));
  };
  // The index comes through the same thread, without blocking: its first request
  // (about 50 ms in a new thread) is then made while Pyodide starts, not on the
  // first miss.
  const viaThread = async (start, length) => {
    if (whole) return { bytes: whole, whole: true };
    return served(start, length, answered(await waiter.ask(String(url), header(start, length))));
  };
  return { range: viaThread, sync, via: "Atomics.wait" };
}

// Node: a worker thread makes the request while this thread waits on shared memory;
// the answer is then taken off its port synchronously. A request that has not
// answered in this long is an error rather than a hang.
const TIMEOUT_MS = 120_000;

async function nodeWaiter() {
  const threads = "node:worker_threads"; // through a variable: bundlers for the browser leave it
  const { Worker, MessageChannel, receiveMessageOnPort } = await import(threads);
  const worker = new Worker(
    `const { parentPort } = require("node:worker_threads");
     parentPort.on("message", async ({ url, headers, signal, port }) => {
       let answer;
       try {
         const r = await fetch(url, { headers, signal: AbortSignal.timeout(${TIMEOUT_MS}) });
         answer = { status: r.status, statusText: r.statusText, body: new Uint8Array(await r.arrayBuffer()) };
       } catch (e) {
         answer = { error: String(e && e.message || e) };
       }
       port.postMessage(answer, answer.body ? [answer.body.buffer] : []);
       port.close();
       Atomics.store(signal, 0, 1);
       Atomics.notify(signal, 0);
     });`,
    { eval: true },
  );
  worker.unref(); // it must not keep the program alive
  const post = (url, headers) => {
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    worker.postMessage({ url, headers, signal, port: port2 }, [port2]);
    return { signal, port: port1 };
  };
  return {
    wait(url, headers) {
      const { signal, port } = post(url, headers);
      const waited = Atomics.wait(signal, 0, 0, TIMEOUT_MS + 5_000);
      const answer = receiveMessageOnPort(port)?.message;
      port.close();
      if (waited === "timed-out") return { error: `no answer in ${TIMEOUT_MS / 1000} s` };
      return answer ?? { error: "the fetching thread gave no answer" };
    },
    ask(url, headers) {
      const { port } = post(url, headers);
      return new Promise((resolve) =>
        port.once("message", (answer) => {
          port.close();
          resolve(answer);
        }),
      );
    },
  };
}

// Node, a file: read where asked.
async function fileReader(url) {
  const name = "node:fs"; // through a variable: bundlers for the browser leave it
  const fs = await import(name);
  const fd = fs.openSync(url, "r");
  const read = (start, length) => {
    const bytes = new Uint8Array(length);
    const got = fs.readSync(fd, bytes, 0, length, start);
    return bytes.subarray(0, got);
  };
  return { range: async (start, length) => ({ bytes: read(start, length) }), sync: read, via: "read" };
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
