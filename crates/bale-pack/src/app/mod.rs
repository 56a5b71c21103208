//! `bale pack --app`: packs only what an app uses, found by running it.
//!
//! One pipeline, read top to bottom in [`pack_app`]: prepare the app's environment,
//! trace its runs, analyse its code, select the files, pack what the app did not use
//! into a rest bale (with `--rest`), pack the files it used, measure the
//! reduction ([`reduction`]), validate the bale by running the app again from it
//! alone ([`validate`]), and say how to start it. Where the bale will run is a
//! [`Target`], which supplies the steps that differ; nothing here knows which.

pub mod reduction;
pub mod validate;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bale_format::{Compression, EntryPoint};
use serde::Serialize;

pub use validate::Validation;

use crate::error::PackError;
use crate::options::PackOptions;
use crate::output::AtomicFile;
use crate::pack::PackSummary;
use crate::progress::Progress;
use crate::target::{Environment, Prepared, RunHint, SideFile, StartTiming, StdlibSplit, Target, Written};
use crate::trace::select::{self, Choice, Detect, Selection, Stdlib};
use crate::trace::{self, Entry, RunRecord, SeenModule, Trace, misses, rest};

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
    /// Also write the rest bale beside the bale: every file of the environment the
    /// app could import or read that the bale does not hold.
    pub rest: bool,
    /// Misses files the importer wrote (what a bale lacked when it ran): their paths
    /// are taken as if the app had touched them.
    pub include_from: Vec<PathBuf>,
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
    /// The rest bale, with `--rest`.
    pub rest: Option<RestBale>,
    /// The parts file, for a bale for the web: what returning visitors update from.
    pub parts: Option<crate::parts::PartsFile>,
    /// Names the static analysis could not resolve (imports of optional packages).
    pub unresolved: Vec<String>,
    pub validation: Option<Validation>,
    /// A validated start, timed from the bale and without it (the web target).
    pub start_timing: Option<StartTiming>,
    /// How the app starts from the bale.
    pub entry: EntryPoint,
    pub run_hint: RunHint,
}

/// The rest bale written beside the bale.
#[derive(Clone, Debug, Serialize)]
pub struct RestBale {
    pub path: PathBuf,
    /// Its files (modules' sources, data, metadata), as read from the environment.
    pub files: usize,
    /// Its size on disk.
    pub size: u64,
    /// The size of its index (header, hash buckets, records, strings): what a page
    /// fetches of it before it needs any file.
    pub index: u64,
    /// Its `header_hash`, which the bale records.
    #[serde(skip)]
    pub header_hash: u64,
}

/// Traces the app, packs what it uses into `options.pack.output`, and validates it.
pub fn pack_app(options: &AppOptions, target: &dyn Target, progress: &dyn Progress) -> Result<AppSummary, PackError> {
    // Fail on an unwritable output, an app that is not there, or a misses file that
    // does not parse, before any work.
    let output = AtomicFile::create(&options.pack.output)?;
    let rest_output = match options.rest {
        true => Some(AtomicFile::create(&rest::rest_path(&options.pack.output))?),
        false => None,
    };
    // A page's returning visitors update their stored copy from it.
    let parts_output = target
        .over_the_web()
        .then(|| AtomicFile::create(&crate::parts::parts_path(&options.pack.output)))
        .transpose()?;
    options.entry.check()?;
    let mut misses = Vec::new();
    for file in &options.include_from {
        misses.extend(misses::read(file)?);
    }
    let mut split = target.split_stdlib(options.stdlib, &options.pack.output, progress)?;
    let env = target.prepare(&options.environment, progress)?;

    let (records, trace) = trace_runs(&env, options, split.as_deref(), progress)?;
    let (statically, unresolved) = analyse(&env, options, &trace, split.as_deref(), progress)?;

    let selection = choose(options, (&trace, &statically, &misses), split.as_deref_mut(), progress)?;

    // What is written from here is removed again if the pack then fails.
    let mut written_files = WrittenFiles::default();
    // The rest first: the bale records its header's hash.
    let rest = match rest_output {
        Some(out) => Some(pack_rest(out, &selection, split.as_deref(), &env, options, target, progress)?),
        None => None,
    };
    written_files.add(rest.as_ref().map(|r| r.path.as_path()));
    let rest_name = rest.as_ref().map(|r| (crate::target::file_name(&r.path), r.header_hash));
    let summary = pack(output, &selection, &env, options, rest_name, target, progress)?;
    written_files.add(Some(&summary.output));
    let parts = parts_output.map(|out| crate::parts::write_parts(&summary.output, out, progress)).transpose()?;
    written_files.add(parts.as_ref().map(|p| p.path.as_path()));
    let side_file = match split.as_deref_mut() {
        Some(split) => Some(split.write(target.python(), &options.pack, progress)?),
        None => None,
    };
    written_files.add(side_file.as_ref().map(|s| s.path.as_path()));
    let written = Written {
        bale: &summary.output,
        side: side_file.as_ref(),
        rest: rest.as_ref().map(|r| r.path.as_path()),
        parts: parts.as_ref(),
    };

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
    written_files.keep();
    Ok(AppSummary {
        pack: summary,
        runs: records,
        reduction,
        side_file,
        rest,
        parts,
        unresolved,
        validation,
        start_timing,
        entry,
        run_hint,
    })
}

/// The files a pack has written (the bale, its rest bale, the file beside it): a pack
/// that fails after writing them removes them, and leaves nothing behind that does
/// not go together.
#[derive(Default)]
struct WrittenFiles(Vec<PathBuf>);

impl WrittenFiles {
    fn add(&mut self, path: Option<&Path>) {
        self.0.extend(path.map(Path::to_owned));
    }

    /// The pack succeeded: its files stay.
    fn keep(mut self) {
        self.0.clear();
    }
}

impl Drop for WrittenFiles {
    fn drop(&mut self) {
        for path in &self.0 {
            // Best effort: the pack's own error is the one to report.
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The files the bale holds: what the runs touched and the analysis found, with the
/// user's includes and excludes, less what goes beside the bale.
fn choose(
    options: &AppOptions,
    (trace, statically, misses): (&Trace, &[SeenModule], &[misses::Miss]),
    split: Option<&mut (dyn StdlibSplit + 'static)>,
    progress: &dyn Progress,
) -> Result<Selection, PackError> {
    progress.step("choosing files", None);
    let choice = Choice {
        app: options.entry.root(),
        detect: options.detect,
        stdlib: options.stdlib,
        include: &options.pack.include,
        exclude: &options.pack.exclude,
        misses,
    };
    let mut selection = select::select(trace, statically, &choice)?;
    for w in &selection.warnings {
        progress.warn(w);
    }
    if let Some(split) = split {
        split.split(&mut selection);
    }
    Ok(selection)
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

/// Packs the selected files, compiled by the app's environment's interpreter; `rest`:
/// the rest bale's file name and header hash, to record.
fn pack(
    output: AtomicFile,
    selection: &Selection,
    env: &Prepared,
    options: &AppOptions,
    rest: Option<(String, u64)>,
    target: &dyn Target,
    progress: &dyn Progress,
) -> Result<PackSummary, PackError> {
    let mut pack_options = options.pack.clone();
    pack_options.python = Some(env.python.clone());
    pack_options.app_files = selection.app_files();
    pack_options.entry = Some(options.entry.in_bale());
    pack_options.rest = rest;
    let mut files = selection.read_files()?;
    target.extra_files(&options.pack, &mut files)?;
    crate::pack_files(output, files, &pack_options, progress)
}

/// Packs the rest: what the environment holds that the bale does not (see
/// [`Selection::rest`]), compiled as the bale is, but compressed entry by entry
/// (zstd 19, no dictionary: a page that fetches the index and one entry needs nothing
/// else), never framed, with no entry point and no importer.
fn pack_rest(
    output: AtomicFile,
    selection: &Selection,
    split: Option<&dyn StdlibSplit>,
    env: &Prepared,
    options: &AppOptions,
    target: &dyn Target,
    progress: &dyn Progress,
) -> Result<RestBale, PackError> {
    progress.step("choosing the rest", None);
    let empty = BTreeSet::new();
    let (served, side) = split.map_or((&empty, None), |s| {
        let (served, path) = s.served();
        (served, Some(path))
    });
    let path = output.path().to_owned();
    let outputs: Vec<PathBuf> =
        [options.pack.output.as_path(), path.as_path()].into_iter().chain(side).map(Path::to_owned).collect();
    let rest = selection.rest(&options.pack.exclude, served, &outputs)?;

    let mut pack_options = options.pack.clone();
    pack_options.output = path.clone();
    pack_options.python = Some(env.python.clone());
    pack_options.app_files = rest.app_files();
    pack_options.entry = None;
    pack_options.rest = None;
    pack_options.compression = Compression::Zstd { level: bale_format::codec::ZSTD_LEVEL };
    pack_options.dictionary_size = None;
    pack_options.framed = false;
    pack_options.embed_importer = false;
    // Over the web nothing is mapped from the file: no page-sized gaps to download.
    pack_options.native_alignment = target.over_the_web().then_some(bale_format::layout::PAYLOAD_ALIGN);
    let files = rest.read_files()?;
    let summary = crate::pack_files(output, files, &pack_options, progress)?;
    let bale = bale_format::Bale::open_path(&path)?;
    let header = bale.header();
    Ok(RestBale {
        path,
        files: summary.input_files,
        size: summary.written.file_size,
        index: header.index_end(),
        header_hash: header.header_hash,
    })
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
