//! `bale pack --app`: packs only what an app uses, found by running it.
//!
//! The app runs under a tracer (`python/trace.py`) in its own environment (a virtual
//! environment made from a requirements file, or one given), once per representative
//! run; what it imported, opened and mapped, together with a static import analysis
//! of its own code (`python/static.py`), decides the files ([`select`]). They are
//! packed like any other input, the reduction is tabled per distribution
//! ([`reduction`]), and the app can be run again from the bale alone and compared
//! ([`validate`]).

mod environment;
pub mod reduction;
mod select;
mod trace;
pub mod validate;

use std::path::{Path, PathBuf};

pub use environment::{find_importer, tail};
pub use trace::RunRecord;
pub use validate::{Validation, run_command};

use crate::{AtomicFile, PackError, PackOptions, PackSummary, Progress, Python};

/// What to run.
#[derive(Clone, Debug)]
pub enum Entry {
    /// `python SCRIPT`: the script's folder is the app's folder.
    Script(PathBuf),
    /// `python -m MODULE`, with the app's folder (if any) first on `sys.path`. A folder
    /// with a `__main__.py` is `Module { root: Some(dir), module: "__main__" }`.
    Module { root: Option<PathBuf>, module: String },
}

impl Entry {
    /// The app's own folder: its files are the app's code and data.
    pub fn root(&self) -> Option<&Path> {
        match self {
            Entry::Script(script) => script.parent(),
            Entry::Module { root, .. } => root.as_deref(),
        }
    }

    /// How `bale run` starts it from the bale: `("module", name)` or `("script", path in the bale)`.
    pub fn in_bale(&self) -> (&'static str, String) {
        match self {
            Entry::Script(script) => {
                ("script", script.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
            }
            Entry::Module { module, .. } => ("module", module.clone()),
        }
    }
}

/// Where the app's packages come from.
#[derive(Clone, Debug)]
pub enum Environment {
    /// A new virtual environment (removed afterwards) with these requirements installed.
    Requirements(PathBuf),
    /// An existing virtual environment.
    Venv(PathBuf),
    /// The interpreter's own site-packages.
    Interpreter,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detect {
    /// What the traced runs imported, opened and loaded.
    Runtime,
    /// What the app's code imports, followed through every module it reaches.
    Static,
    /// Both: static analysis adds what the app's code imports but the runs did not reach.
    Both,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdlib {
    /// The standard-library modules and files the app used.
    Used,
    /// The whole standard library (but its own tests).
    All,
    /// None: the interpreter's own standard library serves the app.
    None,
}

#[derive(Clone, Debug)]
pub struct AppOptions {
    pub entry: Entry,
    pub environment: Environment,
    /// Arguments of each traced run; at least one run (with no arguments) is made.
    pub runs: Vec<Vec<String>>,
    pub detect: Detect,
    pub stdlib: Stdlib,
    /// Run the app again from the bale alone and compare.
    pub validate: bool,
    /// The importer extension module for validation (found if unset; see [`find_importer`]).
    pub importer: Option<PathBuf>,
    /// Put the importer in the bale (Pyodide), for the loader to install from there.
    pub embed_importer: bool,
    /// Run, compile and validate in this Pyodide distribution (the folder of the
    /// `pyodide` npm package) on Node instead of a native interpreter.
    pub pyodide: Option<PathBuf>,
    /// Output, compression, content, include/exclude and the base interpreter
    /// (`python`). `inputs` is not used.
    pub pack: PackOptions,
}

/// What `pack_app` did.
#[derive(Debug)]
pub struct AppSummary {
    pub pack: PackSummary,
    pub runs: Vec<RunRecord>,
    pub reduction: reduction::Table,
    /// With `--target pyodide` and a standard library carried: the trimmed zip of
    /// what a page imports before the bale, for `loadPyodide`'s `stdLibURL`.
    pub stdlib_zip: Option<crate::pyodide::stdlib::StdlibZip>,
    /// Names the static analysis could not resolve (imports of optional packages).
    pub unresolved: Vec<String>,
    pub validation: Option<Validation>,
    /// For Pyodide with validation: the app's start from the bale and from its wheels.
    pub web_timing: Option<crate::pyodide::WebTiming>,
    /// How to run it: `bale run OUT.bale -m MODULE` or `bale run OUT.bale SCRIPT`;
    /// for Pyodide, the JavaScript that loads it.
    pub run_hint: String,
}

/// Traces the app, packs what it uses into `options.pack.output`, and validates it.
pub fn pack_app(options: &AppOptions, progress: &dyn Progress) -> Result<AppSummary, PackError> {
    // Fail on an unwritable output before any work.
    let output = AtomicFile::create(&options.pack.output)?;
    check_entry(&options.entry)?;
    let pyodide = options.pyodide.as_deref().map(|p| crate::pyodide::PyodidePython::new(p, None, None)).transpose()?;
    let base = match &pyodide {
        Some(p) => Python::find(&p.path)?,
        None => Python::find(options.pack.python.as_deref().unwrap_or(Path::new("python3")))?,
    };
    let version = (base.info.version.0, base.info.version.1);
    // Pyodide's standard library, when the bale carries it: extracted, and split into
    // what a page imports before the bale (the trimmed zip) and the rest (the bale).
    let mut web_stdlib_dir = None;
    let mut web_stdlib = match (&options.pyodide, options.stdlib) {
        (Some(dir), Stdlib::Used | Stdlib::All) => {
            let zip_output = AtomicFile::create(&crate::pyodide::stdlib::zip_path(&options.pack.output))?;
            progress.step("finding what Pyodide imports before the bale", None);
            let importer = importer(options, &base)?;
            let before_bale = crate::pyodide::stdlib::loaded_before_bale(dir, &importer)?;
            let extracted = crate::pyodide::stdlib::extract(dir, version)?;
            Some(WebStdlib { extracted, before_bale, output: zip_output })
        }
        _ => None,
    };
    let env = environment::prepare(&base, &options.environment, options.pyodide.as_deref(), progress)?;

    let runs: Vec<Vec<String>> = if options.runs.is_empty() { vec![Vec::new()] } else { options.runs.clone() };
    let mut records = Vec::new();
    let mut traces = Vec::new();
    for args in &runs {
        progress.step(&format!("tracing run {}/{}", records.len() + 1, runs.len()), None);
        let (record, trace) = trace::run(&env.python, &options.entry, args)?;
        records.push(record);
        traces.push(trace);
    }
    let mut trace = trace::Trace::merge(traces);
    if let Some(w) = &web_stdlib {
        trace.rebase_stdlib(&w.extracted.mount, &w.extracted.root);
    }

    let mut unresolved = Vec::new();
    let statically = match options.detect {
        Detect::Runtime => Vec::new(),
        detect => {
            progress.step("static analysis", None);
            let mut found = trace::analyse(&env.python, &options.entry, &trace, detect == Detect::Static)?;
            if let Some(w) = &web_stdlib {
                let mut modules = trace::Trace { modules: found.modules, ..Default::default() };
                modules.rebase_stdlib(&w.extracted.mount, &w.extracted.root);
                found.modules = modules.modules;
            }
            unresolved = found.unresolved;
            found.modules
        }
    };

    progress.step("choosing files", None);
    let mut selection = select::select(&trace, &statically, options)?;
    for w in &selection.warnings {
        progress.warn(w);
    }
    let in_zip = web_stdlib.as_ref().map(|w| selection.split_stdlib(&w.before_bale));
    let mut pack_options = options.pack.clone();
    pack_options.python = Some(env.python.clone());
    pack_options.app_files = selection.app_files();
    let mut files = selection.read_files()?;
    if options.embed_importer {
        embed_importer(&mut files, &importer(options, &base)?, &options.pack)?;
    }
    let summary = crate::pack_files(output, files, &pack_options, progress)?;
    let stdlib_zip = match (web_stdlib.take(), in_zip) {
        (Some(w), Some(in_zip)) => {
            progress.step("writing the trimmed standard library", None);
            let zip = crate::pyodide::stdlib::write_zip(w.output, &w.extracted.root, &in_zip, &base, &options.pack)?;
            // Kept until the end: the reduction table measures the extracted files.
            web_stdlib_dir = Some(w.extracted);
            Some(zip)
        }
        _ => None,
    };

    progress.step("measuring", None);
    let bale = bale_format::Bale::open_path(&summary.output)?;
    let mut reduction = reduction::table(&selection, &bale, options.pyodide.is_some())?;
    if let Some(zip) = &stdlib_zip {
        reduction.add_stdlib_zip(zip);
    }

    let (kind, target) = options.entry.in_bale();
    let run_hint = match (kind, &options.pyodide) {
        (_, Some(_)) => {
            let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let stdlib = match &stdlib_zip {
                Some(z) => format!("{{ stdLibURL: \"{}\" }}", name(&z.path)),
                None => String::new(),
            };
            let run = match kind {
                "module" => {
                    format!("pyodide.runPython(\"import runpy; runpy.run_module('{target}', run_name='__main__')\")")
                }
                _ => format!(
                    "pyodide.runPython(\"import runpy; runpy.run_path('/bale/{}/{target}', run_name='__main__')\")",
                    // loadBale's default mount: the file's name, without `.zst`.
                    name(&summary.output).trim_end_matches(".zst")
                ),
            };
            format!(
                "const pyodide = await loadPyodide({stdlib}); await loadBale(pyodide, \"{}\"); {run}",
                name(&summary.output)
            )
        }
        ("module", None) => format!("bale run {} -m {target}", summary.output.display()),
        _ => format!("bale run {} {target}", summary.output.display()),
    };
    let mut web_timing = None;
    let validation = if options.validate {
        progress.step("validating", Some(runs.len() as u64));
        let importer = importer(options, &base)?;
        // In Pyodide, from the bale with the trimmed standard library in place of
        // Pyodide's own, as a page would start.
        let validating = match (&options.pyodide, &stdlib_zip) {
            (Some(dir), Some(zip)) => Some(crate::pyodide::PyodidePython::new(dir, None, Some(&zip.path))?),
            _ => None,
        };
        let python = validating.as_ref().map_or(&base.path, |p| &p.path);
        let validation = validate::validate(
            python,
            &importer,
            &summary.output,
            &options.entry,
            &records,
            &trace,
            &selection,
            progress,
        )?;
        // Timed only once it runs the same from the bale.
        if let (Some(pyodide), true) = (&options.pyodide, validation.passed()) {
            progress.step("timing the start from the bale and from the wheels", None);
            web_timing = Some(crate::pyodide::web_timing(
                pyodide,
                &importer,
                (&summary.output, stdlib_zip.as_ref().map(|z| z.path.as_path())),
                options.entry.root(),
                env.wheels().as_deref(),
                (kind, &target),
            )?);
        }
        Some(validation)
    } else {
        None
    };
    drop((env, web_stdlib_dir));
    Ok(AppSummary { pack: summary, runs: records, reduction, stdlib_zip, unresolved, validation, web_timing, run_hint })
}

/// Pyodide's standard library, for a web bale that carries it.
struct WebStdlib {
    extracted: crate::pyodide::stdlib::Extracted,
    /// What a page imports from it before the bale's finder is in place.
    before_bale: std::collections::BTreeSet<String>,
    /// The trimmed zip to write.
    output: AtomicFile,
}

/// Where the loader looks for the importer in a bale (`importer/js/loader.mjs`).
pub const EMBEDDED_IMPORTER: &str = "bale/bale.abi3.so";

/// Adds the importer to the bale's files, where the loader finds it. The loader reads
/// it before anything can decompress, so only an uncompressed bale can carry it.
fn embed_importer(
    files: &mut std::collections::BTreeMap<String, crate::InputFile>,
    importer: &Path,
    pack: &crate::PackOptions,
) -> Result<(), PackError> {
    if pack.compression != bale_format::Compression::None || pack.framed {
        return Err(PackError::Usage(
            "--embed-importer needs --compress none and a name not ending in .zst: the loader reads the importer \
             before anything can decompress"
                .into(),
        ));
    }
    if files.contains_key(EMBEDDED_IMPORTER) {
        return Err(PackError::Usage(format!("--embed-importer: the app already has a file {EMBEDDED_IMPORTER}")));
    }
    let content = std::fs::read(importer).map_err(|e| PackError::io(importer, e))?;
    files.insert(
        EMBEDDED_IMPORTER.into(),
        crate::InputFile { content, executable: false, origin: importer.display().to_string() },
    );
    Ok(())
}

/// The importer extension module that validation (and, for Pyodide, finding what a
/// page imports before the bale) loads.
fn importer(options: &AppOptions, base: &Python) -> Result<PathBuf, PackError> {
    match &options.importer {
        Some(p) => Ok(p.clone()),
        None => find_importer(&base.path),
    }
}

fn check_entry(entry: &Entry) -> Result<(), PackError> {
    let exists = |p: &Path, what: &str| match std::fs::metadata(p) {
        Ok(_) => Ok(()),
        Err(e) => Err(PackError::Usage(format!("{what} {}: {e}", p.display()))),
    };
    match entry {
        Entry::Script(script) => exists(script, "app"),
        Entry::Module { root: Some(root), .. } => exists(root, "app folder"),
        Entry::Module { root: None, .. } => Ok(()),
    }
}
