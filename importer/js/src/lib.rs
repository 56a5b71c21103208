//! The bale loader for Pyodide, `loader.mjs` (this folder is also its npm package),
//! and its TypeScript types, as text: the packer writes the loader out to run Pyodide
//! on Node exactly as a page would.
//!
//! The loader's byte offsets are generated from `bale_format::layout`; this crate's
//! tests fail when the two differ (`BALE_BLESS=1 cargo test -p bale-loader` writes
//! the loader's block again).

/// `loader.mjs`: `loadBale(pyodide, source, options)`.
pub const LOADER: &str = include_str!("../loader.mjs");

/// `loader.d.mts`: the loader's types.
pub const TYPES: &str = include_str!("../loader.d.mts");
