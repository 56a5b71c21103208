//! `--validate`: runs the app again in a clean process with only the bale (the
//! interpreter's standard library too, unless the bale carries it; never
//! site-packages), compares exit code and output with the traced runs, and on a
//! difference names what was missing and the `--include` that adds it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bale_format::EntryPoint;
use serde::{Deserialize, Serialize};

use crate::error::PackError;
use crate::process;
use crate::progress::Progress;
use crate::trace::select::Selection;
use crate::trace::{RunRecord, Trace};

#[derive(Clone, Debug, Serialize)]
pub struct Validation {
    pub runs: Vec<Compared>,
    /// What the bale lacked, each with the `--include` that adds it.
    pub missing: Vec<Missing>,
}

impl Validation {
    pub fn passed(&self) -> bool {
        self.runs.iter().all(|r| r.same_exit && r.same_output)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Compared {
    pub args: Vec<String>,
    pub same_exit: bool,
    pub same_output: bool,
    pub exit: Option<i32>,
    /// Where the output first differs, and the end of the run's stderr, when it differs.
    pub difference: Option<String>,
    pub traced_time: Duration,
    pub bale_time: Duration,
}

#[derive(Clone, Debug, Serialize)]
pub struct Missing {
    /// `module NAME` or `file PATH`.
    pub what: String,
    pub include: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RunReport {
    missing: Vec<String>,
    absent_files: Vec<String>,
}

/// How to run the bale again: with which interpreter and importer, and what to run.
pub struct Runner<'a> {
    pub python: &'a Path,
    pub importer: &'a Path,
    pub bale: &'a Path,
    pub entry: &'a EntryPoint,
}

/// Runs each traced run again from the bale and compares.
pub fn validate(
    runner: &Runner<'_>,
    traced: &[RunRecord],
    trace: &Trace,
    selection: &Selection,
    progress: &dyn Progress,
) -> Result<Validation, PackError> {
    let python = runner.python;
    let dir = crate::output::temporary_dir("bale-validate-")?;
    let mut runs = Vec::new();
    let mut missing_names = std::collections::BTreeSet::new();
    let mut absent_files = std::collections::BTreeSet::new();
    for (i, record) in traced.iter().enumerate() {
        let report_path = dir.path().join(format!("run-{i}.json"));
        let start = Instant::now();
        let out = process::output(
            crate::run::command(python, runner.importer, runner.bale, runner.entry, &record.args)
                .env("BALE_RUN_REPORT", &report_path),
            &[],
        )
        .map_err(|e| PackError::Python { python: python.to_owned(), reason: e.to_string() })?;
        let bale_time = start.elapsed();
        let report: RunReport =
            std::fs::read(&report_path).ok().and_then(|t| serde_json::from_slice(&t).ok()).unwrap_or_default();
        missing_names.extend(report.missing.into_iter().filter(|n| !trace.missing.contains(n)));
        absent_files.extend(report.absent_files);
        let same_exit = out.status.code() == record.code;
        let same_output = out.stdout == record.stdout;
        let difference = (!same_exit || !same_output).then(|| {
            let mut d = String::new();
            if !same_exit {
                d += &format!("exit code {:?}, traced {:?}\n", out.status.code(), record.code);
            }
            if !same_output {
                d += &first_difference(&record.stdout, &out.stdout);
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            if !stderr.trim().is_empty() {
                d += &format!("stderr:\n{}\n", process::tail(stderr.trim_end(), 15));
            }
            d
        });
        runs.push(Compared {
            args: record.args.clone(),
            same_exit,
            same_output,
            exit: out.status.code(),
            difference,
            traced_time: record.time,
            bale_time,
        });
        progress.advance(1);
    }
    let mut missing = Vec::new();
    for name in missing_names {
        missing.push(Missing { include: include_for_module(&name, trace, selection), what: format!("module {name}") });
    }
    for rel in absent_files {
        let exists = selection.roots.iter().any(|r| r.path.join(&rel).is_file());
        missing.push(Missing { include: exists.then(|| rel.clone()), what: format!("file {rel}") });
    }
    Ok(Validation { runs, missing })
}

/// The `--include` for a module the bale lacked: its file, as the traced run found it
/// (or a package's whole folder).
fn include_for_module(name: &str, trace: &Trace, selection: &Selection) -> Option<String> {
    let origin: Option<PathBuf> = trace.modules.iter().find(|m| m.name == name).and_then(|m| m.origin.clone());
    let origin = origin.or_else(|| {
        let rel = name.replace('.', "/");
        selection.roots.iter().find_map(|r| {
            [format!("{rel}.py"), format!("{rel}/__init__.py")]
                .into_iter()
                .map(|p| r.path.join(p))
                .find(|p| p.is_file())
        })
    })?;
    let (_, rel) = selection.locate(&origin)?;
    Some(match rel.strip_suffix("/__init__.py") {
        Some(folder) => format!("{folder}/**"),
        None => rel,
    })
}

/// The first line where two outputs differ, both ways.
fn first_difference(expected: &[u8], got: &[u8]) -> String {
    let expected = String::from_utf8_lossy(expected);
    let got = String::from_utf8_lossy(got);
    let mut e = expected.lines();
    let mut g = got.lines();
    for line in 1.. {
        match (e.next(), g.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => return "output differs only in line endings\n".into(),
            (a, b) => {
                return format!(
                    "output differs at line {line}:\n  traced: {}\n  bale:   {}\n",
                    a.unwrap_or("(end of output)"),
                    b.unwrap_or("(end of output)")
                );
            }
        }
    }
    unreachable!("the loop returns")
}
