//! Packing files into a bale: classify them as CPython's path finder would, compile
//! the sources, write the bale, and count what went in per top-level name.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use bale_format::name::last_component;
use bale_format::{FileKind, ModuleSpec, WriteOptions, WriteSummary, Writer};

use crate::classify::{Plan, TargetRules, classify, is_shared_library};
use crate::collect::{Filter, InputFile, collect};
use crate::error::PackError;
use crate::options::{Content, PackOptions};
use crate::output::AtomicFile;
use crate::progress::Progress;
use crate::python::Python;

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
        magic: python.as_ref().map(|p| p.magic()),
    };
    let plan = classify(&files, &rules);

    // Bytecode for every module with source, unless only source is wanted.
    let mut compiled = match (&python, options.content != Content::Source) {
        (Some(py), true) => compile_sources(py, &plan, &files, options, progress)?,
        _ => Compilation::default(),
    };
    for (name, m) in &plan.modules {
        if let Some(pyc) = &m.sourceless {
            compiled.bytecode.insert(name, files[pyc].content.clone());
        }
    }
    // The inputs' sizes as they were, for the report.
    let mut input_size: BTreeMap<String, u64> = BTreeMap::new();
    for (path, source) in compiled.stripped {
        if let Some(f) = files.get_mut(&path) {
            input_size.insert(path, f.content.len() as u64);
            f.content = source;
        }
    }
    let size_of = |path: &str, f: &InputFile| input_size.get(path).copied().unwrap_or(f.content.len() as u64);

    let has_native = plan.files.values().any(|k| k.is_native());
    let target = match &python {
        Some(py) if !compiled.bytecode.is_empty() || has_native => py.target().to_string(),
        _ => "any".to_owned(),
    };
    let magic = python.as_ref().map(Python::magic);
    let writer = bale_writer(&target, magic, &plan, &files, compiled.bytecode, options)?;
    progress.step("writing", None);
    let written = write_bale(output, writer, options)?;

    let compile_failures = compiled.failures;
    Ok(PackSummary {
        output: options.output.clone(),
        target,
        input_files: files.len(),
        input_bytes: files.iter().map(|(p, f)| size_of(p, f)).sum(),
        input_by_top: input_by_top(&plan, &files, size_of),
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

/// What compiling the sources gave.
#[derive(Default)]
struct Compilation<'p> {
    /// By module name.
    bytecode: BTreeMap<&'p str, Vec<u8>>,
    /// Sources that did not compile: (path, message).
    failures: Vec<(String, String)>,
    /// By path, the sources the bytecode was compiled from, where they were rewritten
    /// (docstrings stripped).
    stripped: BTreeMap<String, Vec<u8>>,
}

/// Compiles the source of every module of `plan` with `py`. A source that does not
/// compile is a warning, and is kept as source only.
fn compile_sources<'p>(
    py: &Python,
    plan: &'p Plan,
    files: &BTreeMap<String, InputFile>,
    options: &PackOptions,
    progress: &dyn Progress,
) -> Result<Compilation<'p>, PackError> {
    let mut compilation = Compilation::default();
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
                compilation.bytecode.insert(module, compiled.pyc);
                if let Some(source) = compiled.source {
                    compilation.stripped.insert(path.to_string(), source);
                }
            }
            Err(message) => {
                progress.warn(&format!("{path}: kept as source only, it does not compile: {message}"));
                compilation.failures.push((path.to_string(), message));
            }
        }
    }
    Ok(compilation)
}

/// A writer holding the bale: the files of `plan` (a module's source only where it is
/// kept) and its modules with their bytecode, and what the bale says of itself.
fn bale_writer(
    target: &str,
    magic: Option<[u8; 4]>,
    plan: &Plan,
    files: &BTreeMap<String, InputFile>,
    mut bytecode: BTreeMap<&str, Vec<u8>>,
    options: &PackOptions,
) -> Result<Writer, PackError> {
    let mut writer = Writer::new(target)?;
    writer.set_writer_version(env!("CARGO_PKG_VERSION"))?;
    if let Some(entry) = &options.entry {
        writer.set_entry_point(entry.clone());
    }
    if let Some((name, hash)) = &options.rest {
        writer.set_rest(name, *hash)?;
    }
    if let Some(magic) = magic {
        writer.set_bytecode_magic(magic);
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
    Ok(writer)
}

/// Writes the bale into `output`; with `options.framed`, in one zstd frame (whose
/// size the summary's `file_size` then is).
fn write_bale(output: AtomicFile, writer: Writer, options: &PackOptions) -> Result<WriteSummary, PackError> {
    let write_options = WriteOptions {
        compression: options.compression,
        dictionary_size: options.dictionary_size,
        native_alignment: options.native_alignment.unwrap_or(bale_format::layout::NATIVE_ALIGN),
        threads: 0,
    };
    let written = match options.framed {
        false => output.write_with(|out| writer.write(out, &write_options))?,
        true => {
            let mut bale = std::io::Cursor::new(Vec::new());
            let mut written = writer.write(&mut bale, &write_options)?;
            let framed = bale_format::frame::frame(bale.get_ref(), bale_format::codec::ZSTD_LEVEL)?;
            written.file_size = framed.len() as u64;
            output.write_with(|out| out.write_all(&framed).map_err(|e| PackError::io(&options.output, e)))?;
            written
        }
    };
    Ok(written)
}

/// Input files and bytes per top-level name, grouped as the report groups a bale: a
/// module's files under its top-level name, so `six.py` counts for `six`; other files
/// under their first path component.
fn input_by_top(
    plan: &Plan,
    files: &BTreeMap<String, InputFile>,
    size_of: impl Fn(&str, &InputFile) -> u64,
) -> BTreeMap<String, (usize, u64)> {
    let module_of_file: BTreeMap<&str, &str> = plan
        .modules
        .iter()
        .flat_map(|(name, m)| {
            [&m.source, &m.extension, &m.sourceless].into_iter().flatten().map(|p| (p.as_str(), name.as_str()))
        })
        .collect();
    let mut input_by_top: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for (path, f) in files {
        let top = match module_of_file.get(path.as_str()) {
            Some(module) => module.split('.').next(),
            None => path.split('/').next(),
        };
        let row = input_by_top.entry(top.unwrap_or(path).to_owned()).or_default();
        row.0 += 1;
        row.1 += size_of(path, f);
    }
    input_by_top
}
