// XXH3-64 with a seed, the hash every check of a bale is made of (format-spec §2), in
// plain JavaScript with BigInt: for the loader to check a bale's records and the
// importer a bale carries before anything runs. A port of the reference algorithm
// (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md); its results are
// compared with the Rust crate's by importer/js/tests/xxh3.rs and the loader's tests.

const M = (1n << 64n) - 1n;
const P32_1 = 0x9e3779b1n;
const P32_2 = 0x85ebca77n;
const P32_3 = 0xc2b2ae3dn;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;
const SECRET = Uint8Array.from(
  atob(
    "uP5sOSOkS758AYEs9yGtHN7UbemDkJfbckCkpLezZx/LeeZOzMDleIJa0H3M/3IhuAhGdPdDJI7gNZDmgTomTDwoUruRwwDLiNBlixtTLqNxZEiXog35TjgZ70ap3qzY" +
      "qPp2P+OcND/53LvHxwtPHYpR4EvNtFkxyJ9+ydl4c2TqxayDNNPrw8WBoP/6E2PrFw3dUbfw2knTFlUmKdRonisWvlh9R6H8j/i40XrQMc5FyzqPlRYEKK/X+8q7S0B+",
  ),
  (c) => c.charCodeAt(0),
);

const mul = (a, b) => (a * b) & M;
const u32 = (b, at) => BigInt(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) & 0xffffffffn;
const u64 = (b, at) => u32(b, at) | (u32(b, at + 4) << 32n);
const fold = (a, b) => {
  const p = a * b;
  return (p ^ (p >> 64n)) & M;
};
const avalanche = (h) => {
  h = mul(h ^ (h >> 37n), 0x165667919e3779f9n);
  return h ^ (h >> 32n);
};
const avalanche64 = (h) => {
  h = mul(h ^ (h >> 33n), P2);
  h = mul(h ^ (h >> 29n), P3);
  return h ^ (h >> 32n);
};
const rotl = (v, r) => ((v << r) | (v >> (64n - r))) & M;
const swap = (v, bytes) => {
  let out = 0n;
  for (let i = 0n; i < bytes; i++) out |= ((v >> (8n * i)) & 0xffn) << (8n * (bytes - 1n - i));
  return out;
};
const mix16 = (b, at, s, sat, seed) =>
  fold(u64(b, at) ^ ((u64(s, sat) + seed) & M), u64(b, at + 8) ^ ((u64(s, sat + 8) - seed) & M));

/** XXH3-64 of `b` (a Uint8Array) with `seed` (a number or BigInt), as a BigInt. */
export function xxh3(b, seed = 0n) {
  seed = BigInt(seed) & M;
  const n = b.length;
  const len = BigInt(n);
  const s = SECRET;
  if (n <= 16) {
    if (n > 8) {
      const lo = u64(b, 0) ^ (((u64(s, 24) ^ u64(s, 32)) + seed) & M);
      const hi = u64(b, n - 8) ^ (((u64(s, 40) ^ u64(s, 48)) - seed) & M);
      return avalanche((len + swap(lo, 8n) + hi + fold(lo, hi)) & M);
    }
    if (n >= 4) {
      seed ^= swap(seed & 0xffffffffn, 4n) << 32n;
      const keyed = ((u32(b, n - 4) + (u32(b, 0) << 32n)) & M) ^ (((u64(s, 8) ^ u64(s, 16)) - seed) & M);
      let h = keyed ^ rotl(keyed, 49n) ^ rotl(keyed, 24n);
      h = mul(h, 0x9fb21c651e98df25n);
      h ^= (h >> 35n) + len;
      h = mul(h, 0x9fb21c651e98df25n);
      return h ^ (h >> 28n);
    }
    if (n > 0) {
      const combo = (BigInt(b[0]) << 16n) | (BigInt(b[n >> 1]) << 24n) | BigInt(b[n - 1]) | (len << 8n);
      return avalanche64(combo ^ (((u32(s, 0) ^ u32(s, 4)) + seed) & M));
    }
    return avalanche64(seed ^ u64(s, 56) ^ u64(s, 64));
  }
  let acc = mul(len, P1);
  if (n <= 128) {
    const at = [0, 16, 32, 48];
    const pairs = n > 96 ? 4 : n > 64 ? 3 : n > 32 ? 2 : 1;
    for (let i = 0; i < pairs; i++) {
      acc += mix16(b, at[i], s, 32 * i, seed) + mix16(b, n - 16 - at[i], s, 32 * i + 16, seed);
    }
    return avalanche(acc & M);
  }
  if (n <= 240) {
    for (let i = 0; i < 8; i++) acc += mix16(b, 16 * i, s, 16 * i, seed);
    acc = avalanche(acc & M);
    for (let i = 8; i < n >> 4; i++) acc += mix16(b, 16 * i, s, 16 * (i - 8) + 3, seed);
    return avalanche((acc + mix16(b, n - 16, s, 119, seed)) & M);
  }
  return long(b, seed ? custom(seed) : s);
}

// The default secret with the seed added to its low and taken from its high halves.
function custom(seed) {
  const out = new Uint8Array(192);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 192; i += 16) {
    view.setBigUint64(i, (u64(SECRET, i) + seed) & M, true);
    view.setBigUint64(i + 8, (u64(SECRET, i + 8) - seed) & M, true);
  }
  return out;
}

function long(b, s) {
  const acc = [P32_3, P1, P2, P3, P4, P32_2, P5, P32_1];
  const stripe = (at, sat) => {
    for (let i = 0; i < 8; i++) {
      const data = u64(b, at + 8 * i);
      const key = data ^ u64(s, sat + 8 * i);
      acc[i ^ 1] = (acc[i ^ 1] + data) & M;
      acc[i] = (acc[i] + (key & 0xffffffffn) * (key >> 32n)) & M;
    }
  };
  const n = b.length;
  const blocks = Math.floor((n - 1) / 1024);
  for (let block = 0; block < blocks; block++) {
    for (let i = 0; i < 16; i++) stripe(block * 1024 + 64 * i, 8 * i);
    for (let i = 0; i < 8; i++) acc[i] = mul((acc[i] ^ (acc[i] >> 47n)) ^ u64(s, 128 + 8 * i), P32_1);
  }
  const last = Math.floor((n - 1 - 1024 * blocks) / 64);
  for (let i = 0; i < last; i++) stripe(blocks * 1024 + 64 * i, 8 * i);
  stripe(n - 64, 121);
  let result = mul(BigInt(n), P1);
  for (let i = 0; i < 4; i++) result += fold(acc[2 * i] ^ u64(s, 11 + 16 * i), acc[2 * i + 1] ^ u64(s, 19 + 16 * i));
  return avalanche(result & M);
}
