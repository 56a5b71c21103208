// The importer a bale carries (`bale pack --embed-importer`: `bale/bale.abi3.so`,
// stored), found and checked as format-spec says before any of it runs: the header
// hash (§4.1), the hash bucket and the file record a lookup reads with their checks
// (§7, §6.2), the key's hash, the payload record's check and the payload's hash (§9,
// §11). Loaded by the loader only when it has no importer of its own at hand.
import { xxh3 } from "./xxh3.mjs";

// layout: generated from crates/bale-format/src/layout.rs
// (BALE_BLESS=1 cargo test -p bale-loader writes it again).
const H_HASH = 248;
const H_PAYLOADS = 96;
const H_PAYLOAD_COUNT = 88;
const H_STRINGS = 104;
const H_STRINGS_SIZE = 112;
const H_FILES = 152;
const H_FILE_COUNT = 160;
const H_FILE_BUCKETS = 168;
const H_FILE_BUCKET_COUNT = 176;
const B_SIZE = 64;
const B_SLOT = 8;
const B_COUNT = 56;
const B_SLOTS = 7;
const K_HASH = 0;
const K_OFFSET = 8;
const K_LEN = 12;
const F_SIZE = 40;
const F_PAYLOAD = 28;
const P_SIZE = 40;
const P_OFFSET = 0;
const P_STORED_SIZE = 8;
const P_HASH = 24;
const P_CODEC = 32;
const NONE = 4294967295;
const STORED = 0;
// layout: end

const PATH = "bale/bale.abi3.so";

/**
 * The importer's bytes from `data` (a bale, not framed), checked; `null` when the bale
 * carries none. Throws, naming the bale, when a structure or the payload is damaged.
 */
export function embeddedImporter(data, name) {
  const fail = (why) => {
    throw new Error(`loadBale: ${name}: ${PATH}: damaged (${why}); the importer it carries was not installed`);
  };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u32 = (at) => view.getUint32(at, true);
  const u64 = (at) => view.getBigUint64(at, true);
  const slice = (at, len) => {
    const start = Number(at);
    if (!(start >= 0 && start + len <= data.length)) fail("outside the bale");
    return data.subarray(start, start + len);
  };
  // A record or bucket whose last four bytes are check32 of the rest, seeded with its index.
  const checked = (at, size, index, what) => {
    const bytes = slice(at, size);
    if ((xxh3(bytes.subarray(0, size - 4), index) & 0xffffffffn) !== BigInt(u32(Number(at) + size - 4))) {
      fail(`${what} ${index}: checksum mismatch`);
    }
    return Number(at);
  };
  if (xxh3(slice(0, H_HASH)) !== u64(H_HASH)) fail("header checksum mismatch");
  const key = new TextEncoder().encode(PATH);
  const hash = xxh3(key);
  const buckets = u32(H_FILE_BUCKET_COUNT);
  const records = u64(H_FILES);
  const strings = u64(H_STRINGS);
  let b = Number(hash & BigInt(buckets - 1));
  for (let probe = 0; probe < buckets; probe++, b = (b + 1) % buckets) {
    const bucket = checked(u64(H_FILE_BUCKETS) + BigInt(b * B_SIZE), B_SIZE, b, "file hash bucket");
    const used = u32(bucket + B_COUNT);
    if (used > B_SLOTS) fail(`file hash bucket ${b}: more than ${B_SLOTS} slots`);
    for (let slot = 0; slot < used; slot++) {
      if (u32(bucket + slot * B_SLOT) !== Number(hash >> 32n)) continue;
      const index = u32(bucket + slot * B_SLOT + 4);
      if (index >= u32(H_FILE_COUNT)) fail("a slot names no record");
      const record = checked(records + BigInt(index * F_SIZE), F_SIZE, index, "file record");
      if (u64(record + K_HASH) !== hash) continue;
      const len = view.getUint16(record + K_LEN, true);
      if (u32(record + K_OFFSET) + len > Number(u64(H_STRINGS_SIZE))) fail("key outside the string table");
      const stored = slice(strings + BigInt(u32(record + K_OFFSET)), len);
      if (len !== key.length || stored.some((byte, i) => byte !== key[i])) continue;
      return payload(u32(record + F_PAYLOAD));
    }
    if (used < B_SLOTS) return null;
  }
  return null;

  function payload(index) {
    if (index === NONE || index >= u32(H_PAYLOAD_COUNT)) fail("no payload");
    const record = checked(u64(H_PAYLOADS) + BigInt(index * P_SIZE), P_SIZE, index, "payload record");
    if (view.getUint8(record + P_CODEC) !== STORED) fail("compressed: a loader cannot decompress before it has an importer");
    const bytes = slice(u64(record + P_OFFSET), Number(u64(record + P_STORED_SIZE)));
    if (xxh3(bytes) !== u64(record + P_HASH)) fail(`payload ${index}: checksum mismatch`);
    return bytes;
  }
}
