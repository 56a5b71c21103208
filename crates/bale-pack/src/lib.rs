//! The packer: turns import roots (a `site-packages` folder, an app folder) and wheels
//! into a bale. It reads the inputs, works out which files are modules and packages
//! as CPython's path finder would, compiles bytecode with the target interpreter, and
//! writes the bale atomically (a temporary file, renamed when complete).
//!
//! [`report`] summarizes a bale (what `bale inspect` prints and the pack table).

pub mod app;
mod classify;
mod collect;
mod output;
pub mod pyodide;
mod python;
pub mod report;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use bale_format::name::last_component;
use bale_format::{Compression, FileKind, ModuleSpec, WriteOptions, WriteSummary, Writer};

pub use classify::{Plan, PlannedModule, TargetRules, classify, is_identifier, is_shared_library};
pub use collect::{Collected, Filter, InputFile, collect};
pub use output::AtomicFile;
pub use python::{CompileOptions, Compiled, Python, PythonInfo};

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
    fn keeps_source(self, app: bool) -> bool {
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

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{0}")]
    Usage(String),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{origin}: {reason}")]
    Input { origin: String, reason: String },
    #[error("python {}: {reason}", python.display())]
    Python { python: PathBuf, reason: String },
    #[error("cannot write {}: {reason}", path.display())]
    Output { path: PathBuf, reason: String },
    #[error(transparent)]
    Format(#[from] bale_format::Error),
    /// Preparing, tracing or running the app failed.
    #[error("{0}")]
    App(String),
    #[error("the app failed while traced{} ({status}); nothing was written. Its stderr:\n{stderr}", run_args(args))]
    AppFailed { args: Vec<String>, status: String, stderr: String },
}

fn run_args(args: &[String]) -> String {
    if args.is_empty() { String::new() } else { format!(" with arguments {args:?}") }
}

impl PackError {
    pub fn io(path: &Path, source: std::io::Error) -> PackError {
        PackError::Io { path: path.to_owned(), source }
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

/// What a pack did.
#[derive(Clone, Debug)]
pub struct PackSummary {
    pub output: PathBuf,
    pub target: String,
    pub input_files: usize,
    pub input_bytes: u64,
    /// Input bytes per top-level name (first path component), for the report table.
    pub input_by_top: BTreeMap<String, (usize, u64)>,
    pub filtered: usize,
    pub modules: usize,
    pub compiled: usize,
    /// Sources that did not compile: (path, message). Their source is kept.
    pub compile_failures: Vec<(String, String)>,
    /// With `strip_docstrings`: the bytes of the sources rewritten, before and after.
    pub stripped_docstrings: (u64, u64),
    pub written: WriteSummary,
}

/// Packs `options.inputs` into `options.output`.
pub fn pack(options: &PackOptions, progress: &dyn Progress) -> Result<PackSummary, PackError> {
    // Fail on an unwritable output before any work.
    let output = AtomicFile::create(&options.output)?;

    progress.step("reading inputs", None);
    let filter = Filter::new(&options.include, &options.exclude)?;
    let collected = collect(&options.inputs, &filter, &|n| progress.advance(n as u64))?;
    for w in &collected.warnings {
        progress.warn(w);
    }
    let mut summary = pack_files(output, collected.files, options, progress)?;
    summary.filtered = collected.filtered;
    Ok(summary)
}

/// Packs the files given (by their path from the import root) into `output`; what
/// [`pack`] does once it has read the inputs, and what `pack --app` does with the files
/// it chose.
pub fn pack_files(
    output: AtomicFile,
    mut files: BTreeMap<String, InputFile>,
    options: &PackOptions,
    progress: &dyn Progress,
) -> Result<PackSummary, PackError> {
    let needs_python = options.content != Content::Source
        || files.keys().any(|p| p.ends_with(".pyc") || is_shared_library(last_component(p, '/')));
    let python = match needs_python {
        true => Some(Python::find(options.python.as_deref().unwrap_or(Path::new("python3")))?),
        false => None,
    };
    let no_suffixes = Vec::new();
    let rules = TargetRules {
        extension_suffixes: python.as_ref().map_or(&no_suffixes, |p| &p.info.extension_suffixes),
        magic: python.as_ref().map(|p| p.info.magic()),
    };
    let plan = classify(&files, &rules);

    // Bytecode for every module with source, unless only source is wanted.
    let mut bytecode: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    let mut compile_failures = Vec::new();
    let mut stripped: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    if let (Some(py), true) = (&python, options.content != Content::Source) {
        let jobs: Vec<(&str, &str, &[u8])> = plan
            .modules
            .iter()
            .filter_map(|(name, m)| m.source.as_deref().map(|s| (name.as_str(), s, files[s].content.as_slice())))
            .collect();
        progress.step("compiling", Some(jobs.len() as u64));
        let sources: Vec<(&str, &[u8])> = jobs.iter().map(|(_, path, src)| (*path, *src)).collect();
        let results = py.compile(&sources, options.compile_options(), &|n| progress.advance(n as u64))?;
        for ((module, path, _), result) in jobs.iter().zip(results) {
            match result {
                Ok(compiled) => {
                    bytecode.insert(module, compiled.pyc);
                    if let Some(source) = compiled.source {
                        stripped.insert(path.to_string(), source);
                    }
                }
                Err(message) => {
                    progress.warn(&format!("{path}: kept as source only, it does not compile: {message}"));
                    compile_failures.push((path.to_string(), message));
                }
            }
        }
    }
    for (name, m) in &plan.modules {
        if let Some(pyc) = &m.sourceless {
            bytecode.insert(name, files[pyc].content.clone());
        }
    }
    // The inputs' sizes as they were, for the report.
    let mut input_size: BTreeMap<String, u64> = BTreeMap::new();
    for (path, source) in stripped {
        if let Some(f) = files.get_mut(&path) {
            input_size.insert(path, f.content.len() as u64);
            f.content = source;
        }
    }
    let size_of = |path: &str, f: &InputFile| input_size.get(path).copied().unwrap_or(f.content.len() as u64);

    let has_native = plan.files.values().any(|k| k.is_native());
    let target = match &python {
        Some(py) if !bytecode.is_empty() || has_native => py.info.target(),
        _ => "any".to_owned(),
    };
    let mut writer = Writer::new(&target)?;
    if let Some(py) = &python {
        writer.set_bytecode_magic(py.info.magic());
    }
    let module_of_source: BTreeMap<&str, &str> =
        plan.modules.iter().filter_map(|(name, m)| Some((m.source.as_deref()?, name.as_str()))).collect();
    for (path, kind) in &plan.files {
        // Without its source, a module's source goes in only where it would not compile.
        let compiled = module_of_source.get(path.as_str()).is_some_and(|m| bytecode.contains_key(m));
        if *kind == FileKind::Source && !options.content.keeps_source(options.app_files.contains(path)) && compiled {
            continue;
        }
        let f = &files[path];
        writer.add_file(path, *kind, f.content.clone(), f.executable)?;
    }
    for (name, m) in &plan.modules {
        let code = bytecode.remove(name.as_str());
        let app = m.source.as_ref().is_some_and(|p| options.app_files.contains(p));
        let keep_source = options.content.keeps_source(app) || code.is_none();
        writer.add_module(
            name,
            ModuleSpec {
                package: m.package,
                namespace: m.namespace,
                source: m.source.clone().filter(|_| keep_source),
                bytecode: code,
                extension: m.extension.clone(),
            },
        )?;
    }

    progress.step("writing", None);
    let write_options = WriteOptions {
        compression: options.compression,
        dictionary_size: options.dictionary_size,
        native_alignment: bale_format::layout::NATIVE_ALIGN,
        threads: 0,
    };
    let written = match options.framed {
        false => output.write_with(|out| writer.write(out, &write_options))?,
        true => {
            let mut bale = std::io::Cursor::new(Vec::new());
            let mut written = writer.write(&mut bale, &write_options)?;
            let framed = bale_format::frame::frame(bale.get_ref(), 19)?;
            written.file_size = framed.len() as u64;
            output.write_with(|out| out.write_all(&framed).map_err(|e| PackError::io(&options.output, e)))?;
            written
        }
    };

    // Grouped as the report groups a bale: a module's files under its top-level name,
    // so `six.py` counts for `six`; other files under their first path component.
    let module_of_file: BTreeMap<&str, &str> = plan
        .modules
        .iter()
        .flat_map(|(name, m)| {
            [&m.source, &m.extension, &m.sourceless].into_iter().flatten().map(|p| (p.as_str(), name.as_str()))
        })
        .collect();
    let mut input_by_top: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for (path, f) in &files {
        let top = match module_of_file.get(path.as_str()) {
            Some(module) => module.split('.').next(),
            None => path.split('/').next(),
        };
        let row = input_by_top.entry(top.unwrap_or(path).to_owned()).or_default();
        row.0 += 1;
        row.1 += size_of(path, f);
    }
    Ok(PackSummary {
        output: options.output.clone(),
        target,
        input_files: files.len(),
        input_bytes: files.iter().map(|(p, f)| size_of(p, f)).sum(),
        input_by_top,
        filtered: 0,
        stripped_docstrings: (
            input_size.values().sum(),
            input_size.keys().map(|p| files[p].content.len() as u64).sum(),
        ),
        modules: plan.modules.len(),
        compiled: plan.modules.values().filter(|m| m.source.is_some()).count() - compile_failures.len(),
        compile_failures,
        written,
    })
}
