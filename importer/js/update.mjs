// Returning visitors: the loader keeps each bale it has verified (the Cache API, keyed
// by the bale's SHA-256), and on a later visit asks the server only whether the bale
// changed: the first 64 bytes of its parts file (format-spec §15), conditionally, or
// nothing at all when the page names the bale's `integrity` and the stored copy has
// it. After a deploy it fetches the new bale's index, then only the payloads the
// stored bale does not have (adjacent ones in one range, many ranges per request where
// the server answers multipart/byteranges), rebuilds the new bale byte for byte from
// the two, checks each payload fetched against its hash and the whole against the
// integrity named, and stores it in place of the old one.
//
// Anything that goes wrong on the way (no parts file, a server that ignores Range, a
// full or unavailable store, a damaged stored copy, a rebuilt bale that does not
// match) falls back to downloading the bale whole, as a first visit does, said once on
// the console; never a failure. Loaded by the loader only when there is a store or an
// integrity to check.
import { xxh3 } from "./xxh3.mjs";

// layout: generated from crates/bale-format/src/layout.rs
// (BALE_BLESS=1 cargo test -p bale-loader writes it again).
const MAGIC = [0x89, 0x42, 0x41, 0x4c, 0x45, 0x0d, 0x0a, 0x0a];
const PARTS_MAGIC = [0x89, 0x42, 0x41, 0x4c, 0x50, 0x0d, 0x0a, 0x0a];
const HEADER_SIZE = 256;
const H_FILE_SIZE = 16;
const H_PAYLOAD_COUNT = 88;
const H_PAYLOADS = 96;
const H_HASH = 248;
const P_SIZE = 40;
const P_OFFSET = 0;
const P_STORED_SIZE = 8;
const P_HASH = 24;
const P_CHECK = 36;
const PARTS_VERSION = 1;
const PARTS_HEADER_SIZE = 64;
const PH_VERSION = 8;
const PH_PAYLOAD_COUNT = 12;
const PH_BALE_SIZE = 16;
const PH_BALE_HASH = 24;
const PH_INDEX_END = 32;
const PH_HEAD_SIZE = 40;
const PH_HEAD_HASH = 48;
const PH_HASH = 56;
const E_OFFSET = 0;
const E_SIZE = 8;
const E_FORM = 12;
const E_SIZE_OF = 16;
const DEFLATED = 1;
// layout: end

// With an integrity named and a stored copy that lacks it, the first request guesses
// the new head's size from the last one's (a deploy changes it little), so that one
// request brings the header and head; bytes past the head are the first parts, used
// if they are among those missing.
const HEAD_GUESS = 1.05;
// Missing parts closer than this are fetched in one range: a few bytes more, a range
// fewer.
const GAP = 1024;
// Ranges per request: a Range header stays well under servers' header limits.
const RANGES = 32;
// Requests in flight at once.
const PARALLEL = 4;

const said = new Set();
function sayOnce(text) {
  if (said.has(text)) return;
  said.add(text);
  console.warn(`loadBale: ${text}`);
}

// Writes to the store still under way: `storing()` waits for them.
const pending = new Set();
export function storing() {
  return Promise.all([...pending]).then(() => undefined);
}

/**
 * The bale at `url` (a URL, or undefined for bytes at hand) for this visit: `{ data,
 * fresh, accept(bale) }`. `data` is a bale from the store (`fresh` false: verified
 * against its hash, rebuilt from the parts file if the server has a newer one) or
 * the download of `url` as it is (`fresh` true: framed or not, the loader decodes it). `accept(bale)` is given the decoded
 * bale before anything of it is used: it checks the integrity named (rejecting a bale
 * that does not match) and stores a fresh one for the next visit.
 */
export async function visit(url, options, download) {
  // Only what came over HTTP(S) is kept: a file or bytes at hand are their own copy.
  const web = url && /^https?:$/.test(url.protocol);
  const store = web ? await openStore(options.cache) : undefined;
  const integrity = parseIntegrity(options.integrity);
  const partsURL = web && options.parts !== false ? partsOf(url, options.parts) : undefined;
  const key = web && pointerKey(url);
  let pointer, stored;
  if (store) {
    try {
      pointer = await readPointer(store, key);
      stored = pointer && (await readStored(store, pointer));
    } catch (e) {
      sayOnce(`the stored bale could not be read (${e.message})`);
    }
  }
  const fresh = async (why) => {
    if (why) sayOnce(why);
    // What the store holds intact, if anything: a damaged copy is written again.
    const held = stored && pointer;
    return { data: await download(), fresh: true, accept: (bale) => accept(bale, { store, key, integrity, pointer, held, url }) };
  };
  if (!stored) return fresh();
  const kept = (data) => ({ data, fresh: false, accept: async () => {} });
  if (integrity && (await matches(stored.bytes, integrity))) return kept(stored.bytes);
  if (!partsURL) return fresh();
  let update;
  try {
    update = await newer(partsURL, stored, pointer, integrity);
  } catch (e) {
    if (e instanceof Offline && !integrity) {
      sayOnce(`${partsURL} could not be reached (${e.message}): using the stored bale`);
      return kept(stored.bytes);
    }
    return fresh(`${e.message}: downloading ${url} whole`);
  }
  if (!update.bale) {
    // The server has the stored bale, but the page names another: never imported.
    if (integrity) return fresh(`${partsURL} names the stored bale, not the integrity the page names: downloading ${url} whole`);
    // The same bale: the server's validator is kept, for a 304 next time.
    if (update.etag !== pointer.partsETag || update.head !== pointer.head) {
      keep(store, key, { ...pointer, partsETag: update.etag, head: update.head }, stored.bytes, pointer);
    }
    return kept(stored.bytes);
  }
  if (integrity && !(await matches(update.bale, integrity))) {
    return fresh(`the bale rebuilt from ${partsURL} does not match the integrity the page names: downloading ${url} whole`);
  }
  const sha = await digest(update.bale, "SHA-256");
  keep(store, key, { sha, partsETag: update.etag, head: update.head, ranges: update.ranges ?? pointer.ranges }, update.bale, pointer);
  return kept(update.bale);
}

// The decoded bale of a fresh download (a copy the store may keep): refused if it does
// not match the integrity named, else stored (in the background) for the next visit.
async function accept(bale, { store, key, integrity, pointer, held, url }) {
  if (integrity && !(await matches(bale, integrity))) {
    throw new Error(`loadBale: ${url ?? "the bale"}: it does not match the integrity the page names (${integrity.text})`);
  }
  if (!store) return;
  const sha = await digest(bale, "SHA-256");
  keep(store, key, { sha, ranges: pointer?.ranges }, bale, held);
}

// Whether the server has a newer bale than `stored`: `{ etag, head }` if not, else
// `{ bale, etag, head, ranges }`, the new bale rebuilt. Throws Offline when the server
// cannot be reached, and an Error saying why when it cannot update (the caller then
// downloads the bale whole).
async function newer(partsURL, stored, pointer, integrity) {
  // With an integrity named the stored copy is known to be old: the probe is skipped,
  // and the first request brings the header with the head, if its size is guessed.
  const guess = integrity && pointer.head ? Math.ceil(pointer.head * HEAD_GUESS) : PARTS_HEADER_SIZE;
  const first = await range(partsURL, 0, guess, integrity ? undefined : pointer.partsETag);
  if (first.status === 304) return { etag: pointer.partsETag, head: pointer.head };
  const header = partsHeader(first.bytes, partsURL);
  const headEnd = PARTS_HEADER_SIZE + header.headSize;
  if (header.baleHash === headerHash(stored.bytes) && header.baleSize === stored.bytes.length) return { etag: first.etag, head: headEnd };
  let head = first.bytes.subarray(PARTS_HEADER_SIZE, headEnd);
  if (head.length < header.headSize) {
    const more = await range(partsURL, PARTS_HEADER_SIZE + head.length, header.headSize - head.length);
    head = concat(head, more.bytes);
  }
  if (head.length !== header.headSize) throw new Error(`${partsURL}: the head came short`);
  if (xxh3(head) !== header.headHash) throw new Error(`${partsURL}: head checksum mismatch`);
  const inflated = await inflate(head, header.indexEnd + header.payloadCount * E_SIZE_OF, `${partsURL}: head`);
  const index = inflated.subarray(0, header.indexEnd);
  const table = inflated.subarray(header.indexEnd);
  checkIndex(index, header, partsURL);
  const have = storedPayloads(stored.bytes);
  const bale = new Uint8Array(header.baleSize);
  bale.set(index);
  const missing = new Map(); // part offset → { part, payloads: [record] }
  for (const record of payloadRecords(index, header.payloadCount, partsURL)) {
    const got = have.get(`${record.hash}:${record.storedSize}`);
    if (record.storedSize > 0 && record.offset < header.indexEnd) throw new Error(`${partsURL}: payload ${record.id} lies in the index`);
    if (record.offset + record.storedSize > header.baleSize) throw new Error(`${partsURL}: payload ${record.id} lies outside the bale`);
    if (got !== undefined) {
      bale.set(stored.bytes.subarray(got, got + record.storedSize), record.offset);
      continue;
    }
    const part = partEntry(table, record.id, partsURL);
    const start = headEnd + part.offset;
    if (!missing.has(start)) missing.set(start, { start, end: start + part.size, deflated: part.deflated, payloads: [] });
    missing.get(start).payloads.push(record);
  }
  const wanted = [...missing.values()].filter((p) => p.end > p.start).sort((a, b) => a.start - b.start);
  const fetched = await fetchRanges(partsURL, merge(wanted), pointer, { start: 0, bytes: first.bytes });
  for (const part of missing.values()) {
    const raw = part.end > part.start ? fetched.take(part.start, part.end) : new Uint8Array(0);
    const [first] = part.payloads;
    const bytes = part.deflated ? await inflate(raw, first.storedSize, `${partsURL}: payload ${first.id}`) : raw;
    // Each payload checked before it is placed: records sharing a part share its bytes.
    for (const record of part.payloads) {
      if (bytes.length !== record.storedSize || xxh3(bytes) !== record.hash) {
        throw new Error(`${partsURL}: payload ${record.id}: checksum mismatch`);
      }
      bale.set(bytes, record.offset);
    }
  }
  return { bale, etag: first.etag, head: headEnd, ranges: fetched.ranges };
}

// Adjacent missing parts as ranges: [start, end) each, parts closer than GAP joined.
function merge(parts) {
  const ranges = [];
  for (const p of parts) {
    const last = ranges[ranges.length - 1];
    if (last && p.start - last[1] <= GAP) last[1] = Math.max(last[1], p.end);
    else ranges.push([p.start, p.end]);
  }
  return ranges;
}

// Fetches `ranges` of `url`, many per request where the server answers
// multipart/byteranges (else one each, remembered for the next visit in `ranges`);
// gives `take(start, end)` for any part inside them.
async function fetchRanges(url, ranges, pointer, have) {
  const chunks = [have];
  // What came already is not asked again.
  const end = have.start + have.bytes.length;
  ranges = ranges.filter(([s, e]) => !(s >= have.start && e <= end)).map(([s, e]) => [s < end && s >= have.start ? end : s, e]);
  let many = pointer?.ranges !== "single";
  const batches = [];
  for (let i = 0; i < ranges.length; i += many ? RANGES : 1) batches.push(ranges.slice(i, i + (many ? RANGES : 1)));
  const one = async (batch) => {
    const got = await multiRange(url, batch);
    if (got) return chunks.push(...got);
    // The server took many ranges as none (200) or fewer than asked: one each.
    many = false;
    for (const [start, end] of batch) {
      const r = await range(url, start, end - start);
      chunks.push({ start, bytes: r.bytes });
    }
  };
  for (let i = 0; i < batches.length; i += PARALLEL) await Promise.all(batches.slice(i, i + PARALLEL).map(one));
  return {
    ranges: many ? "many" : "single",
    take(start, end) {
      const c = chunks.find((c) => c.start <= start && c.start + c.bytes.length >= end);
      if (!c) throw new Error(`${url}: bytes ${start}-${end - 1} did not come`);
      return c.bytes.subarray(start - c.start, end - c.start);
    },
  };
}

// One request for `batch` (several ranges): the chunks, or undefined if the server did
// not answer them all as asked.
async function multiRange(url, batch) {
  if (batch.length === 1) {
    const [start, end] = batch[0];
    const r = await range(url, start, end - start);
    return [{ start, bytes: r.bytes }];
  }
  const controller = new AbortController();
  const response = await request(url, { Range: `bytes=${batch.map(([s, e]) => `${s}-${e - 1}`).join(",")}` }, controller);
  if (response.status !== 206) {
    // A server that ignores Range sends the whole file: stop it at once.
    controller.abort();
    if (response.status === 200) return undefined;
    throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
  }
  const body = new Uint8Array(await response.arrayBuffer());
  const type = response.headers.get("content-type") ?? "";
  const boundary = /multipart\/byteranges;\s*boundary="?([^";]+)"?/i.exec(type)?.[1];
  const chunks = boundary ? byteranges(body, boundary, url) : single(body, response.headers.get("content-range"), url);
  const covered = batch.every(([s, e]) => chunks.some((c) => c.start <= s && c.start + c.bytes.length >= e));
  return covered ? chunks : undefined;
}

function single(body, contentRange, url) {
  const m = /^bytes (\d+)-(\d+)\//.exec(contentRange ?? "");
  if (!m || Number(m[2]) - Number(m[1]) + 1 !== body.length) throw new Error(`${url}: a 206 answer without a matching Content-Range`);
  return [{ start: Number(m[1]), bytes: body }];
}

// The parts of a multipart/byteranges body (RFC 9110 §14.6): each a Content-Range and
// its bytes, between boundaries.
function byteranges(body, boundary, url) {
  const text = (from, to) => new TextDecoder("latin1").decode(body.subarray(from, to));
  const find = (needle, from) => {
    const bytes = new TextEncoder().encode(needle);
    outer: for (let i = from; i + bytes.length <= body.length; i++) {
      for (let j = 0; j < bytes.length; j++) if (body[i + j] !== bytes[j]) continue outer;
      return i;
    }
    return -1;
  };
  const chunks = [];
  let at = find(`--${boundary}`, 0);
  while (at >= 0) {
    at += boundary.length + 2;
    if (text(at, at + 2) === "--") break;
    const headersEnd = find("\r\n\r\n", at);
    if (headersEnd < 0) throw new Error(`${url}: a multipart/byteranges part without its headers`);
    const m = /content-range:\s*bytes (\d+)-(\d+)\//i.exec(text(at, headersEnd));
    if (!m) throw new Error(`${url}: a multipart/byteranges part without Content-Range`);
    const start = Number(m[1]);
    const length = Number(m[2]) - start + 1;
    const from = headersEnd + 4;
    if (from + length > body.length) throw new Error(`${url}: a multipart/byteranges part came short`);
    chunks.push({ start, bytes: body.subarray(from, from + length) });
    at = find(`--${boundary}`, from + length);
  }
  return chunks;
}

// One Range request: `{ status, bytes, etag }`. 304 when `etag` (If-None-Match)
// matches. A server that ignores Range (200) is stopped and reported.
async function range(url, start, length, etag) {
  const controller = new AbortController();
  const headers = { Range: `bytes=${start}-${start + length - 1}` };
  if (etag) headers["If-None-Match"] = etag;
  const response = await request(url, headers, controller);
  if (response.status === 304) return { status: 304 };
  if (response.status === 200) {
    controller.abort();
    throw new Error(`the server ignores Range requests for ${url}`);
  }
  if (response.status === 416) throw new Error(`${url} is shorter than its header says`);
  if (response.status !== 206) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: 206, bytes, etag: response.headers.get("etag") ?? undefined };
}

class Offline extends Error {}

// A request past the browser's HTTP cache (the store is the cache): a network
// failure is Offline.
async function request(url, headers, controller) {
  try {
    return await fetch(url, { headers, cache: "no-store", signal: controller.signal });
  } catch (e) {
    throw new Offline(e.message);
  }
}

function partsHeader(bytes, url) {
  if (bytes.length < PARTS_HEADER_SIZE || PARTS_MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${url} is not a parts file`);
  const view = dataView(bytes);
  if (view.getUint16(PH_VERSION, true) !== PARTS_VERSION) throw new Error(`${url}: parts file version not supported`);
  if (xxh3(bytes.subarray(0, PH_HASH)) !== view.getBigUint64(PH_HASH, true)) throw new Error(`${url}: header checksum mismatch`);
  return {
    payloadCount: view.getUint32(PH_PAYLOAD_COUNT, true),
    baleSize: Number(view.getBigUint64(PH_BALE_SIZE, true)),
    baleHash: view.getBigUint64(PH_BALE_HASH, true),
    indexEnd: Number(view.getBigUint64(PH_INDEX_END, true)),
    headSize: view.getUint32(PH_HEAD_SIZE, true),
    headHash: view.getBigUint64(PH_HEAD_HASH, true),
  };
}

// The new bale's index is the bale the parts header names.
function checkIndex(index, header, url) {
  if (index.length < HEADER_SIZE || MAGIC.some((b, i) => index[i] !== b)) throw new Error(`${url}: the head holds no bale`);
  if (xxh3(index.subarray(0, H_HASH)) !== headerHash(index)) throw new Error(`${url}: the bale's header checksum mismatch`);
  const view = dataView(index);
  if (headerHash(index) !== header.baleHash || Number(view.getBigUint64(H_FILE_SIZE, true)) !== header.baleSize) {
    throw new Error(`${url}: the head holds another bale than its header names`);
  }
  if (view.getUint32(H_PAYLOAD_COUNT, true) !== header.payloadCount) throw new Error(`${url}: part table and payloads differ`);
}

// Each payload record of a bale's index, checked (format-spec §9).
function* payloadRecords(index, count, url) {
  const view = dataView(index);
  const at = Number(view.getBigUint64(H_PAYLOADS, true));
  if (at + count * P_SIZE > index.length) throw new Error(`${url}: payload records outside the index`);
  for (let id = 0; id < count; id++) {
    const r = at + id * P_SIZE;
    if (url && (xxh3(index.subarray(r, r + P_CHECK), BigInt(id)) & 0xffffffffn) !== BigInt(view.getUint32(r + P_CHECK, true))) {
      throw new Error(`${url}: payload record ${id}: checksum mismatch`);
    }
    yield {
      id,
      offset: Number(view.getBigUint64(r + P_OFFSET, true)),
      storedSize: Number(view.getBigUint64(r + P_STORED_SIZE, true)),
      hash: view.getBigUint64(r + P_HASH, true),
    };
  }
}

// The stored bale's payloads by hash and size: where their bytes are. The stored bale
// was checked whole against its SHA-256 when read.
function storedPayloads(bale) {
  const view = dataView(bale);
  const have = new Map();
  for (const r of payloadRecords(bale, view.getUint32(H_PAYLOAD_COUNT, true))) {
    if (r.offset + r.storedSize <= bale.length) have.set(`${r.hash}:${r.storedSize}`, r.offset);
  }
  return have;
}

function partEntry(table, id, url) {
  const at = id * E_SIZE_OF;
  const view = dataView(table);
  const form = table[at + E_FORM];
  if (form > DEFLATED || table.subarray(at + E_FORM + 1, at + E_SIZE_OF).some((b) => b !== 0)) {
    throw new Error(`${url}: part ${id}: unknown form`);
  }
  return { offset: Number(view.getBigUint64(at + E_OFFSET, true)), size: view.getUint32(at + E_SIZE, true), deflated: form === DEFLATED };
}

// Inflates a zlib stream natively, to exactly `size` bytes.
async function inflate(bytes, size, what) {
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    const out = new Uint8Array(await new Response(stream).arrayBuffer());
    if (out.length !== size) throw new Error(`${out.length} bytes, not ${size}`);
    return out;
  } catch (e) {
    throw new Error(`${what}: does not inflate (${e.message})`);
  }
}

// The store: the Cache API's cache `name` ("bale" unless named), or one the page
// gives (`{ get(key), put(key, bytes), delete(key), keys() }`, bytes as Uint8Array).
async function openStore(option) {
  if (option === false) return undefined;
  if (option && typeof option === "object") return option;
  if (!globalThis.caches) {
    if (option) sayOnce("this page has no Cache API (not a secure context?): nothing is kept for the next visit");
    return undefined;
  }
  try {
    const cache = await caches.open(typeof option === "string" ? option : "bale");
    const at = (key) => new Request(new URL(`/.bale-store/${key}`, location.origin));
    return {
      async get(key) {
        const found = await cache.match(at(key));
        return found && new Uint8Array(await found.arrayBuffer());
      },
      put: (key, bytes) => cache.put(at(key), new Response(bytes)),
      delete: (key) => cache.delete(at(key)),
      // Keys are URL-safe as made (`pointerKey` encodes the URL): the path is the key.
      keys: async () => (await cache.keys()).map((r) => new URL(r.url).pathname.replace(/^\/\.bale-store\//, "")),
    };
  } catch (e) {
    sayOnce(`the browser's storage is unavailable (${e.message}): nothing is kept for the next visit`);
    return undefined;
  }
}

// The store holds `bale/SHA` (a bale, by its SHA-256 in hex) and `url/URL` (what the
// bale at URL was last, JSON: `{ sha, partsETag, head, ranges }`: its hash, the parts
// file's ETag and head size, and whether its server takes many ranges at once).
// loader.mjs looks for that key in the Cache API itself, before this module has come:
// keep the two alike.
const pointerKey = (url) => `url/${encodeURIComponent(url.origin + url.pathname)}`;

async function readPointer(store, key) {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  try {
    const pointer = JSON.parse(new TextDecoder().decode(bytes));
    return typeof pointer.sha === "string" ? pointer : undefined;
  } catch {
    return undefined;
  }
}

// The stored bale the pointer names, checked against its SHA-256: a damaged copy is
// deleted, said, and not used.
async function readStored(store, pointer) {
  const bytes = await store.get(`bale/${pointer.sha}`);
  if (!bytes) return undefined;
  if ((await digest(bytes, "SHA-256")) !== pointer.sha) {
    sayOnce("the stored bale is damaged: fetching it again");
    await store.delete(`bale/${pointer.sha}`);
    return undefined;
  }
  return { bytes };
}

// Stores `bale` under its hash (unless `old`, what the store holds intact, is it) and
// points `key` at it, in the background, then removes every stored bale no pointer
// names. A full store is said once, never a failure.
function keep(store, key, pointer, bale, old) {
  const write = (async () => {
    try {
      if (old?.sha !== pointer.sha) await store.put(`bale/${pointer.sha}`, bale);
      await store.put(key, new TextEncoder().encode(JSON.stringify(pointer)));
      const keys = await store.keys();
      const named = new Set();
      for (const k of keys.filter((k) => k.startsWith("url/"))) {
        const p = k === key ? pointer : await readPointer(store, k);
        if (p) named.add(`bale/${p.sha}`);
      }
      for (const k of keys) if (k.startsWith("bale/") && !named.has(k)) await store.delete(k);
    } catch (e) {
      sayOnce(`the bale could not be kept for the next visit (${e.name === "QuotaExceededError" ? "the browser's storage is full" : e.message})`);
      try {
        await store.delete(`bale/${pointer.sha}`);
      } catch {}
    }
  })();
  pending.add(write);
  write.finally(() => pending.delete(write));
}

// `integrity`: "sha256-BASE64" (or sha384, sha512), as fetch and <script> take it; several,
// separated by spaces, match if any does.
function parseIntegrity(text) {
  if (!text) return undefined;
  const hashes = String(text)
    .trim()
    .split(/\s+/)
    .map((h) => /^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})$/.exec(h))
    .filter(Boolean)
    .map(([, algorithm, value]) => ({ algorithm: `SHA-${algorithm.slice(3)}`, value }));
  if (!hashes.length) throw new Error(`loadBale: integrity ${JSON.stringify(text)} names no sha256, sha384 or sha512 hash`);
  return { hashes, text: String(text) };
}

async function matches(bytes, integrity) {
  for (const { algorithm, value } of integrity.hashes) {
    if (base64(await digestBytes(bytes, algorithm)) === value) return true;
  }
  return false;
}

async function digest(bytes, algorithm) {
  return [...(await digestBytes(bytes, algorithm))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function digestBytes(bytes, algorithm) {
  if (!globalThis.crypto?.subtle) throw new Error("loadBale: checking a bale's hash needs crypto.subtle (a secure context)");
  return new Uint8Array(await crypto.subtle.digest(algorithm, bytes));
}

function base64(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

function headerHash(bale) {
  return dataView(bale).getBigUint64(H_HASH, true);
}

// The parts file's URL: as given, or for `true`/unset `NAME.parts` beside `NAME.bale`
// or `NAME.bale.zst`, as `bale pack` writes it.
function partsOf(url, parts) {
  if (parts && parts !== true) return new URL(parts, url);
  const found = new URL(url);
  found.search = "";
  found.pathname = found.pathname.replace(/(\.bale)?(\.zst)?$/, ".parts");
  return found;
}

function dataView(bytes) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
