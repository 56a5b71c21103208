//! The packer: turns import roots (a `site-packages` folder, an app folder) and wheels
//! into a bale. It reads the inputs, works out which files are modules and packages
//! as CPython's path finder would, compiles bytecode with the target interpreter, and
//! writes the bale atomically (a temporary file, renamed when complete).
//!
//! The layers, each using only those below it:
//!
//! - [`app`]: `bale pack --app`, one pipeline from the app to a validated bale;
//! - [`run`]: how an app runs from a bale, as `bale run` and `--validate` do;
//! - [`target`]: where the bale will run (this machine's Python, Pyodide), the steps
//!   that differ between the two;
//! - [`trace`]: what an app touched when run, and the files that makes;
//! - [`pack()`] and [`pack_files`]: files to a bale; [`python`], [`process`],
//!   [`sizes`]: the interpreter, helper programs, sizes on the wire.
//!
//! [`report`] summarizes a bale (what `bale inspect` prints and the pack table).

pub mod app;
mod classify;
mod collect;
mod error;
mod output;
mod pack;
pub mod process;
mod python;
pub mod report;
pub mod run;
pub mod sizes;
pub mod target;
pub mod trace;

use std::path::PathBuf;

use bale_format::Compression;

pub use classify::{Plan, PlannedModule, TargetRules, classify, is_identifier, is_shared_library};
pub use collect::{Collected, Filter, InputFile, collect};
pub use error::PackError;
pub use output::AtomicFile;
pub use pack::{PackSummary, pack, pack_files};
pub use python::{CompileOptions, Compiled, Python};

/// What to store for each module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// Source only: portable across Python versions, compiled at import.
    Source,
    /// Bytecode only: smallest and fastest; tracebacks show no source lines.
    Bytecode,
    /// Both: fast imports, and source for tracebacks and `inspect`.
    Both,
    /// Bytecode, and the source of the app's own files too (`pack --app`; the web
    /// target's default): tracebacks show the app's lines, the libraries stay small.
    AppSource,
}

impl Content {
    /// Whether a module's source is stored beside its bytecode; `app` says whether
    /// it is the app's own.
    pub(crate) fn keeps_source(self, app: bool) -> bool {
        match self {
            Content::Source | Content::Both => true,
            Content::Bytecode => false,
            Content::AppSource => app,
        }
    }
}

#[derive(Clone, Debug)]
pub struct PackOptions {
    /// Folders (import roots) and `.whl` files.
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub content: Content,
    /// The interpreter whose bytecode and extension modules the bale is for
    /// (`python3` on `PATH` if unset).
    pub python: Option<PathBuf>,
    pub compression: Compression,
    /// Train a zstd dictionary of this size on the bytecode.
    pub dictionary_size: Option<usize>,
    /// Like `python -O` (1) or `-OO` (2).
    pub optimize: u8,
    /// Cut docstrings out of sources and bytecode (asserts and line numbers kept).
    pub strip_docstrings: bool,
    /// Keep the column ranges of instructions (see [`CompileOptions::debug_ranges`]).
    pub debug_ranges: bool,
    /// Write the bale inside one zstd frame, for transport (format-spec §10.4).
    pub framed: bool,
    /// The app's own files (paths in the bale), for [`Content::AppSource`].
    pub app_files: std::collections::BTreeSet<String>,
    /// Put the importer in the bale (the web target), for the loader to install from
    /// there.
    pub embed_importer: bool,
    /// How the app in the bale starts, recorded in it (`pack --app` knows).
    pub entry: Option<bale_format::EntryPoint>,
    /// The rest bale that belongs to this one, recorded in it (format-spec §4.2): its
    /// file name beside this bale and its `header_hash` (`pack --app --rest`).
    pub rest: Option<(String, u64)>,
    /// Alignment of stored extension modules and libraries;
    /// [`bale_format::layout::NATIVE_ALIGN`] if unset (see
    /// [`bale_format::WriteOptions::native_alignment`]).
    pub native_alignment: Option<u64>,
}

impl PackOptions {
    pub fn compile_options(&self) -> CompileOptions {
        CompileOptions {
            optimize: self.optimize,
            strip_docstrings: self.strip_docstrings,
            debug_ranges: self.debug_ranges,
        }
    }
}

/// A new temporary folder named `<prefix>XXXXXX`, removed when dropped.
pub(crate) fn temporary_dir(prefix: &str) -> Result<tempfile::TempDir, PackError> {
    tempfile::Builder::new().prefix(prefix).tempdir().map_err(|e| PackError::io(&std::env::temp_dir(), e))
}

/// Reports progress of long steps. The command line draws bars on a terminal.
pub trait Progress: Sync {
    /// A new step begins; `total` is the number of items when known.
    fn step(&self, name: &str, total: Option<u64>);
    fn advance(&self, n: u64);
    fn warn(&self, message: &str);
}

/// Progress that goes nowhere.
pub struct Silent;

impl Progress for Silent {
    fn step(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
    fn warn(&self, _: &str) {}
}
