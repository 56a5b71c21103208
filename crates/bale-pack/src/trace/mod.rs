//! What an app touches: it runs under the tracer (`assets/python/trace.py`), its code
//! is read by the static analysis (`assets/python/static.py`), and [`select`] turns
//! what they saw into the files of the bale.

pub mod misses;
pub mod rest;
pub mod select;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bale_format::EntryPoint;
use serde::Deserialize;

use crate::error::PackError;
use crate::process;

/// How the app is started on this machine, to be traced.
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

    /// How it starts from the bale: the script by its name at the bale's root (the
    /// app's folder is the bale's root), or the module.
    pub fn in_bale(&self) -> EntryPoint {
        match self {
            Entry::Script(script) => {
                EntryPoint::Script(script.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
            }
            Entry::Module { module, .. } => EntryPoint::Module(module.clone()),
        }
    }

    /// Fails, naming it, when the script or folder does not exist.
    pub fn check(&self) -> Result<(), PackError> {
        let exists = |p: &Path, what: &str| match std::fs::metadata(p) {
            Ok(_) => Ok(()),
            Err(e) => Err(PackError::Usage(format!("{what} {}: {e}", p.display()))),
        };
        match self {
            Entry::Script(script) => exists(script, "app"),
            Entry::Module { root: Some(root), .. } => exists(root, "app folder"),
            Entry::Module { root: None, .. } => Ok(()),
        }
    }

    /// The arguments that start it for `trace.py` and `static.py`: ROOT KIND TARGET.
    fn args(&self) -> [String; 3] {
        let root = self.root().map_or("-".into(), |r| r.display().to_string());
        match self {
            Entry::Script(script) => [root, "script".into(), script.display().to_string()],
            Entry::Module { module, .. } => [root, "module".into(), module.clone()],
        }
    }
}

/// One run of the app: its arguments and what it did.
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub time: Duration,
}

/// A module as the tracer or the static analysis saw it.
#[derive(Clone, Debug, Deserialize)]
pub struct SeenModule {
    pub name: String,
    /// Its file; none for built-in, frozen and namespace modules.
    pub origin: Option<PathBuf>,
    pub package: bool,
}

/// Distributions `python -m venv` installs by itself: not the app's unless it used them.
pub(crate) const SEEDED: [&str; 3] = ["pip", "setuptools", "wheel"];

#[derive(Clone, Debug, Deserialize)]
pub struct Distribution {
    pub name: String,
    pub version: String,
    /// Its `.dist-info` folder.
    pub metadata_dir: Option<PathBuf>,
    /// Every file it installed (from `RECORD`), as absolute paths.
    pub files: Vec<PathBuf>,
}

/// What the tracer reports (`python/trace.py`), merged over all runs.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Trace {
    pub modules: Vec<SeenModule>,
    pub opened: Vec<PathBuf>,
    pub libraries: Vec<PathBuf>,
    /// Imports no finder satisfied.
    pub missing: Vec<String>,
    pub stdlib: Vec<PathBuf>,
    pub site: Vec<PathBuf>,
    pub sys_path: Vec<PathBuf>,
    pub distributions: Vec<Distribution>,
}

impl Trace {
    /// One trace holding everything any run saw (the environment is the same in all).
    pub fn merge(traces: Vec<Trace>) -> Trace {
        let mut traces = traces.into_iter();
        let mut all = traces.next().unwrap_or_default();
        let mut modules: BTreeMap<String, SeenModule> = all.modules.drain(..).map(|m| (m.name.clone(), m)).collect();
        let mut opened: BTreeSet<PathBuf> = all.opened.drain(..).collect();
        let mut libraries: BTreeSet<PathBuf> = all.libraries.drain(..).collect();
        let mut missing: BTreeSet<String> = all.missing.drain(..).collect();
        for t in traces {
            for m in t.modules {
                modules.entry(m.name.clone()).or_insert(m);
            }
            opened.extend(t.opened);
            libraries.extend(t.libraries);
            missing.extend(t.missing);
        }
        all.modules = modules.into_values().collect();
        all.opened = opened.into_iter().collect();
        all.libraries = libraries.into_iter().collect();
        all.missing = missing.into_iter().collect();
        all
    }
}

impl Trace {
    /// Paths under `from` (where the traced interpreter saw them) as the same paths
    /// under `to` (where the packer reads them), and `to` counted as standard library:
    /// Pyodide's standard library is a zip inside it, extracted for the packer.
    pub fn rebase_stdlib(&mut self, from: &Path, to: &Path) {
        let moved = |p: &mut PathBuf| {
            if let Ok(rel) = p.strip_prefix(from) {
                *p = to.join(rel);
            }
        };
        self.modules.iter_mut().filter_map(|m| m.origin.as_mut()).for_each(moved);
        self.opened.iter_mut().for_each(moved);
        self.sys_path.iter_mut().for_each(moved);
        self.stdlib.push(to.to_owned());
    }
}

/// Runs the app once under the tracer. A run that fails (non-zero exit) is an error
/// carrying its exit code and the end of its stderr.
pub fn run(python: &Path, entry: &Entry, args: &[String]) -> Result<(RunRecord, Trace), PackError> {
    let dir = crate::output::temporary_dir("bale-trace-")?;
    let report = dir.path().join("trace.json");
    let start = Instant::now();
    let out = process::output(
        Command::new(python)
            .args(["-I", "-c", include_str!("../../assets/python/trace.py")])
            .arg(&report)
            .args(entry.args())
            .args(args),
        &[],
    )
    .map_err(PackError::helper("tracing the app"))?;
    let record = RunRecord {
        args: args.to_vec(),
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
        time: start.elapsed(),
    };
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&record.stderr);
        return Err(PackError::AppFailed {
            args: args.to_vec(),
            status: process::status(&out.status),
            stderr: process::tail(stderr.trim_end(), 30),
        });
    }
    let text = std::fs::read(&report).map_err(|e| PackError::io(&report, e))?;
    let trace: Trace = serde_json::from_slice(&text)
        .map_err(|e| PackError::helper("tracing the app")(process::HelperError::Answer(e.to_string())))?;
    Ok((record, trace))
}

#[derive(Debug, Deserialize)]
pub struct Analysis {
    pub modules: Vec<SeenModule>,
    pub unresolved: Vec<String>,
}

/// Static import analysis from the app's entry. With `expand_all`, every module found
/// is followed; otherwise modules the runs imported are not (their imports were seen).
pub fn analyse(python: &Path, entry: &Entry, trace: &Trace, expand_all: bool) -> Result<Analysis, PackError> {
    let seeds: Vec<PathBuf> = match entry {
        Entry::Script(script) => vec![script.clone()],
        Entry::Module { .. } => Vec::new(), // found by name
    };
    let request = serde_json::json!({
        "seeds": seeds,
        "known": trace.modules.iter().map(|m| &m.name).collect::<Vec<_>>(),
        "expand_known": expand_all,
        "entry": match entry { Entry::Module { module, .. } => Some(module), _ => None },
    });
    let [root, _, _] = entry.args();
    process::json(
        Command::new(python).args(["-I", "-c", include_str!("../../assets/python/static.py"), &root]),
        request.to_string().as_bytes(),
    )
    .map_err(PackError::helper("static analysis"))
}
