//! What `bale pack` is asked to do: the inputs, the output and how each module is
//! stored.

use std::path::PathBuf;

use bale_format::Compression;

use crate::python::CompileOptions;

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
