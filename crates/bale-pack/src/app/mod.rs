//! `bale pack --app`: packs only what an app uses, found by running it.
//!
//! One pipeline, read top to bottom in [`pack_app`]: prepare the app's environment,
//! trace its runs, analyse its code, select the files, pack them, measure the
//! reduction ([`reduction`]), validate the bale by running the app again from it
//! alone ([`validate`]), and say how to start it. Where the bale will run is a
//! [`Target`], which supplies the steps that differ; nothing here knows which.

pub mod reduction;
pub mod validate;

use std::path::PathBuf;

use bale_format::EntryPoint;

pub use validate::{Validation, run_command};

use crate::target::{Environment, Prepared, RunHint, SideFile, StartTiming, StdlibSplit, Target, Written};
use crate::trace::select::{self, Choice, Detect, Selection, Stdlib};
use crate::trace::{self, Entry, RunRecord, SeenModule, Trace};
use crate::{AtomicFile, PackError, PackOptions, PackSummary, Progress};

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
    /// Output, compression, content and include/exclude. `inputs` and `python` are
    /// not used: the target decides the interpreter.
    pub pack: PackOptions,
}

/// What `pack_app` did.
#[derive(Debug)]
pub struct AppSummary {
    pub pack: PackSummary,
    pub runs: Vec<RunRecord>,
    pub reduction: reduction::Table,
    /// A file that ships beside the bale: the web target's trimmed standard library.
    pub side_file: Option<SideFile>,
    /// Names the static analysis could not resolve (imports of optional packages).
    pub unresolved: Vec<String>,
    pub validation: Option<Validation>,
    /// A validated start, timed from the bale and without it (the web target).
    pub start_timing: Option<StartTiming>,
    /// How the app starts from the bale.
    pub entry: EntryPoint,
    pub run_hint: RunHint,
}

/// Traces the app, packs what it uses into `options.pack.output`, and validates it.
pub fn pack_app(options: &AppOptions, target: &dyn Target, progress: &dyn Progress) -> Result<AppSummary, PackError> {
    // Fail on an unwritable output, or an app that is not there, before any work.
    let output = AtomicFile::create(&options.pack.output)?;
    options.entry.check()?;
    let mut split = target.split_stdlib(options.stdlib, &options.pack.output, progress)?;
    let env = target.prepare(&options.environment, progress)?;

    let (records, trace) = trace_runs(&env, options, split.as_deref(), progress)?;
    let (statically, unresolved) = analyse(&env, options, &trace, split.as_deref(), progress)?;

    progress.step("choosing files", None);
    let choice = Choice {
        app: options.entry.root(),
        detect: options.detect,
        stdlib: options.stdlib,
        include: &options.pack.include,
        exclude: &options.pack.exclude,
    };
    let mut selection = select::select(&trace, &statically, &choice)?;
    for w in &selection.warnings {
        progress.warn(w);
    }
    if let Some(split) = split.as_deref_mut() {
        split.split(&mut selection);
    }

    let summary = pack(output, &selection, &env, options, target, progress)?;
    let side_file = match split.as_deref_mut() {
        Some(split) => Some(split.write(target.python(), &options.pack, progress)?),
        None => None,
    };
    let written = Written { bale: &summary.output, side: side_file.as_ref() };

    progress.step("measuring", None);
    let bale = bale_format::Bale::open_path(&summary.output)?;
    let mut reduction = reduction::table(&selection, &bale, target.over_the_web())?;
    if let Some(side) = &side_file {
        reduction.add_side_file(side);
    }

    let entry = options.entry.in_bale();
    let (validation, start_timing) = match options.validate {
        true => validate(&written, &entry, &env, options, target, (&records, &trace, &selection), progress)?,
        false => (None, None),
    };
    let run_hint = target.run_hint(&written, &entry);
    // The split goes last: the reduction measured the files it extracted.
    drop((env, split));
    Ok(AppSummary {
        pack: summary,
        runs: records,
        reduction,
        side_file,
        unresolved,
        validation,
        start_timing,
        entry,
        run_hint,
    })
}

/// Runs the app once per `--run` (once with no arguments if none), traced, and merges
/// what the runs saw.
fn trace_runs(
    env: &Prepared,
    options: &AppOptions,
    split: Option<&dyn StdlibSplit>,
    progress: &dyn Progress,
) -> Result<(Vec<RunRecord>, Trace), PackError> {
    let runs: Vec<Vec<String>> = if options.runs.is_empty() { vec![Vec::new()] } else { options.runs.clone() };
    let mut records = Vec::new();
    let mut traces = Vec::new();
    for args in &runs {
        progress.step(&format!("tracing run {}/{}", records.len() + 1, runs.len()), None);
        let (record, trace) = trace::run(&env.python, &options.entry, args)?;
        records.push(record);
        traces.push(trace);
    }
    let mut trace = Trace::merge(traces);
    if let Some(split) = split {
        split.rebase(&mut trace);
    }
    Ok((records, trace))
}

/// The static import analysis, unless detection is by the runs alone: the modules it
/// found, and the names it could not resolve.
fn analyse(
    env: &Prepared,
    options: &AppOptions,
    trace: &Trace,
    split: Option<&dyn StdlibSplit>,
    progress: &dyn Progress,
) -> Result<(Vec<SeenModule>, Vec<String>), PackError> {
    if options.detect == Detect::Runtime {
        return Ok((Vec::new(), Vec::new()));
    }
    progress.step("static analysis", None);
    let found = trace::analyse(&env.python, &options.entry, trace, options.detect == Detect::Static)?;
    let mut modules = Trace { modules: found.modules, ..Default::default() };
    if let Some(split) = split {
        split.rebase(&mut modules);
    }
    Ok((modules.modules, found.unresolved))
}

/// Packs the selected files, compiled by the app's environment's interpreter.
fn pack(
    output: AtomicFile,
    selection: &Selection,
    env: &Prepared,
    options: &AppOptions,
    target: &dyn Target,
    progress: &dyn Progress,
) -> Result<PackSummary, PackError> {
    let mut pack_options = options.pack.clone();
    pack_options.python = Some(env.python.clone());
    pack_options.app_files = selection.app_files();
    pack_options.entry = Some(options.entry.in_bale());
    let mut files = selection.read_files()?;
    target.extra_files(&options.pack, &mut files)?;
    crate::pack_files(output, files, &pack_options, progress)
}

/// Runs the app again from the bale alone and compares; a start that runs the same is
/// then timed, where the target times starts.
fn validate(
    written: &Written<'_>,
    entry: &EntryPoint,
    env: &Prepared,
    options: &AppOptions,
    target: &dyn Target,
    (records, trace, selection): (&[RunRecord], &Trace, &Selection),
    progress: &dyn Progress,
) -> Result<(Option<Validation>, Option<StartTiming>), PackError> {
    progress.step("validating", Some(records.len() as u64));
    let importer: PathBuf = target.importer()?;
    let validator = target.validator(written)?;
    let runner = validate::Runner { python: &validator.python, importer: &importer, bale: written.bale, entry };
    let validation = validate::validate(&runner, records, trace, selection, progress)?;
    let timing = match validation.passed() {
        true => target.time_start(written, options.entry.root(), env, entry, progress)?,
        false => None,
    };
    Ok((Some(validation), timing))
}
