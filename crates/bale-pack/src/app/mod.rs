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
    /// Names the static analysis could not resolve (imports of optional packages).
    pub unresolved: Vec<String>,
    pub validation: Option<Validation>,
    /// For Pyodide with validation: the app's start from the bale and from its wheels.
    pub web_timing: Option<crate::pyodide::WebTiming>,
    /// How to run it: `bale run OUT.bale -m MODULE` or `bale run OUT.bale SCRIPT`.
    pub run_hint: String,
}

/// Traces the app, packs what it uses into `options.pack.output`, and validates it.
pub fn pack_app(options: &AppOptions, progress: &dyn Progress) -> Result<AppSummary, PackError> {
    // Fail on an unwritable output before any work.
    let output = AtomicFile::create(&options.pack.output)?;
    check_entry(&options.entry)?;
    let pyodide = options.pyodide.as_deref().map(|p| crate::pyodide::PyodidePython::new(p, None)).transpose()?;
    if pyodide.is_some() && options.stdlib != Stdlib::None {
        return Err(PackError::Usage(
            "--target pyodide packs no standard library yet (--stdlib none): Pyodide's own serves it".into(),
        ));
    }
    let base = match &pyodide {
        Some(p) => Python::find(&p.path)?,
        None => Python::find(options.pack.python.as_deref().unwrap_or(Path::new("python3")))?,
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
    let trace = trace::Trace::merge(traces);

    let mut unresolved = Vec::new();
    let statically = match options.detect {
        Detect::Runtime => Vec::new(),
        detect => {
            progress.step("static analysis", None);
            let found = trace::analyse(&env.python, &options.entry, &trace, detect == Detect::Static)?;
            unresolved = found.unresolved;
            found.modules
        }
    };

    progress.step("choosing files", None);
    let selection = select::select(&trace, &statically, options)?;
    for w in &selection.warnings {
        progress.warn(w);
    }
    let mut pack_options = options.pack.clone();
    pack_options.python = Some(env.python.clone());
    let files = selection.read_files()?;
    let summary = crate::pack_files(output, files, &pack_options, progress)?;

    progress.step("measuring", None);
    let bale = bale_format::Bale::open_path(&summary.output)?;
    let reduction = reduction::table(&selection, &bale)?;

    let (kind, target) = options.entry.in_bale();
    let run_hint = match kind {
        "module" => format!("bale run {} -m {target}", summary.output.display()),
        _ => format!("bale run {} {target}", summary.output.display()),
    };
    let mut web_timing = None;
    let validation = if options.validate {
        progress.step("validating", Some(runs.len() as u64));
        let importer = match &options.importer {
            Some(p) => p.clone(),
            None => find_importer(&base.path)?,
        };
        let validation = validate::validate(
            &base.path,
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
                &summary.output,
                options.entry.root(),
                env.wheels().as_deref(),
                (kind, &target),
            )?);
        }
        Some(validation)
    } else {
        None
    };
    drop(env);
    Ok(AppSummary { pack: summary, runs: records, reduction, unresolved, validation, web_timing, run_hint })
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
