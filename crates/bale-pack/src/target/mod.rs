//! Where a bale will run: the seam of `bale pack --app`. The pipeline (`app`) is the
//! same for every target; a [`Target`] supplies the steps that differ: the
//! interpreter the app is traced and compiled with, the environment it runs in, how
//! the standard library travels, what validation runs, how a user starts the app,
//! and what a start is timed against.
//!
//! Two targets: [`native`] (a CPython on this machine) and [`pyodide`] (CPython in
//! WebAssembly, run on Node). A third (a WASI build, say) is one more module here and
//! one more [`TargetChoice`].

pub mod native;
pub mod pyodide;

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use bale_format::EntryPoint;
use serde::Serialize;

use crate::collect::InputFile;
use crate::error::PackError;
use crate::options::PackOptions;
use crate::progress::Progress;
use crate::python::Python;
use crate::sizes::Transfer;
use crate::trace::Trace;
use crate::trace::select::{Selection, Stdlib};

/// Which target to pack for, as the command line chose it.
#[derive(Clone, Debug)]
pub enum TargetChoice {
    /// This machine's interpreter (`python3` on `PATH` if none is named).
    Native { python: Option<PathBuf> },
    /// Pyodide, run on Node from this distribution (the folder of the `pyodide` npm
    /// package).
    Pyodide { distribution: PathBuf },
}

/// Opens the target chosen. `importer`: the importer extension module to validate
/// with (built for that target), found by the target where not given.
pub fn open(choice: &TargetChoice, importer: Option<PathBuf>) -> Result<Box<dyn Target>, PackError> {
    Ok(match choice {
        TargetChoice::Native { python } => Box::new(native::Native::new(python.as_deref(), importer)?),
        TargetChoice::Pyodide { distribution } => Box::new(pyodide::Pyodide::new(distribution, importer)?),
    })
}

/// Where the app's packages come from.
#[derive(Clone, Debug)]
pub enum Environment {
    /// A new environment (removed afterwards) with these requirements installed.
    Requirements(PathBuf),
    /// An existing virtual environment.
    Venv(PathBuf),
    /// The interpreter's own site-packages.
    Interpreter,
}

/// An interpreter ready to run the app, and what must live as long as it does.
pub struct Prepared {
    /// The `python` command to run.
    pub python: PathBuf,
    /// Where the requirements' wheels were downloaded, when they were: what a start
    /// without a bale installs.
    pub wheels: Option<PathBuf>,
    /// Temporary folders and shims, removed when this is dropped.
    _keep: Vec<Box<dyn Any>>,
}

impl Prepared {
    pub fn new(python: PathBuf) -> Prepared {
        Prepared { python, wheels: None, _keep: Vec::new() }
    }

    /// Keeps `thing` (a temporary folder, a shim) until this is dropped.
    pub fn keeping(mut self, thing: impl Any) -> Prepared {
        self._keep.push(Box::new(thing));
        self
    }
}

/// A file written beside the bale that ships with it, such as the Pyodide target's
/// trimmed standard library.
#[derive(Clone, Debug, Serialize)]
pub struct SideFile {
    pub path: PathBuf,
    /// Modules stored in it as bytecode.
    pub modules: u64,
    /// Its files, and their size uncompressed.
    pub files: u64,
    pub raw: u64,
    /// Its size, and as a web server would send it.
    pub transfer: Transfer,
}

/// Milliseconds per phase of one start of the app.
#[derive(Clone, Debug, serde::Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartTime {
    /// Starting the interpreter.
    pub load_pyodide: f64,
    /// Reading the bale (or the wheels and the app's files).
    pub fetch: f64,
    /// Loading the bale (or unpacking the wheels and writing the app's files).
    pub prepare: f64,
    /// Importing and running the app.
    pub run: f64,
    pub total: f64,
}

/// The app started from the bale and, for comparison, from its wheels.
#[derive(Clone, Debug, Serialize)]
pub struct StartTiming {
    pub bale: StartTime,
    pub wheels: StartTime,
    /// What the start from wheels downloads that the bale replaces, as a web server
    /// sends it.
    pub wheels_transfer: Transfer,
}

/// What a pack wrote: the bale and what ships beside it.
pub struct Written<'a> {
    pub bale: &'a Path,
    pub side: Option<&'a SideFile>,
    /// The rest bale, beside the bale (`--rest`).
    pub rest: Option<&'a Path>,
    /// The parts file, beside a bale for the web.
    pub parts: Option<&'a crate::parts::PartsFile>,
}

/// How a user starts the app from what was written, for the summary's last line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunHint {
    /// `bale run BALE [-m MODULE | SCRIPT]`.
    Command { bale: PathBuf, entry: EntryPoint },
    /// JavaScript for a page: Pyodide started (with the trimmed standard library, if
    /// any), the bale loaded (with its rest bale, if any: `{ rest: true }`, and the
    /// bale's `integrity`, if known), the app run by Python code.
    Page { bale: String, stdlib: Option<String>, rest: bool, integrity: Option<String>, python: String },
}

/// The steps of `bale pack --app` that depend on where the bale will run.
pub trait Target {
    /// The interpreter the bale is for: it describes the target, and compiles.
    fn python(&self) -> &Python;

    /// Whether the bale travels over HTTP: then the reduction table counts what a web
    /// server sends (brotli).
    fn over_the_web(&self) -> bool;

    /// The importer extension module, built for this target, that validation loads.
    fn importer(&self) -> Result<PathBuf, PackError>;

    /// The environment the app runs in while traced.
    fn prepare(&self, environment: &Environment, progress: &dyn Progress) -> Result<Prepared, PackError>;

    /// How the standard library travels, when the target splits it between the bale
    /// and a file beside it; `None` when the selection alone decides.
    fn split_stdlib(
        &self,
        stdlib: Stdlib,
        output: &Path,
        progress: &dyn Progress,
    ) -> Result<Option<Box<dyn StdlibSplit>>, PackError>;

    /// Files the bale carries besides the app's (the importer, for a page that loads
    /// nothing else).
    fn extra_files(&self, options: &PackOptions, files: &mut BTreeMap<String, InputFile>) -> Result<(), PackError>;

    /// The interpreter that runs the app again from what was written.
    fn validator(&self, written: &Written<'_>) -> Result<Prepared, PackError>;

    /// After a validation that passed: one start timed from the bale and one without.
    fn time_start(
        &self,
        written: &Written<'_>,
        app_root: Option<&Path>,
        prepared: &Prepared,
        entry: &EntryPoint,
        progress: &dyn Progress,
    ) -> Result<Option<StartTiming>, PackError>;

    /// How a user starts the app.
    fn run_hint(&self, written: &Written<'_>, entry: &EntryPoint) -> RunHint;
}

/// A standard library split between the bale and a file shipped beside it.
pub trait StdlibSplit {
    /// Paths where the traced interpreter saw the standard library, made the paths the
    /// packer reads them at.
    fn rebase(&self, trace: &mut Trace);

    /// Takes out of the selection what goes beside the bale.
    fn split(&mut self, selection: &mut Selection);

    /// What the file beside the bale holds once split (paths from the standard
    /// library's root), and where it goes: the rest bale leaves both out.
    fn served(&self) -> (&BTreeSet<String>, &Path);

    /// Writes the file beside the bale. (The split lives on until the reduction is
    /// measured: it may hold the files it was made from.)
    fn write(&mut self, python: &Python, pack: &PackOptions, progress: &dyn Progress) -> Result<SideFile, PackError>;
}

impl std::fmt::Display for RunHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunHint::Command { bale, entry } => {
                let bale = shell_word(&bale.display().to_string());
                match entry {
                    EntryPoint::Script(script) => write!(f, "bale run {bale} {}", shell_word(script)),
                    EntryPoint::Module(module) => write!(f, "bale run {bale} -m {module}"),
                    EntryPoint::Function { .. } => write!(f, "bale run {bale} --entry {entry}"),
                }
            }
            RunHint::Page { bale, stdlib, rest, integrity, python } => {
                // Every string goes in as a JSON string, which is a JavaScript literal.
                let options =
                    stdlib.as_ref().map_or(String::new(), |s| serde_json::json!({ "stdLibURL": s }).to_string());
                let mut named = Vec::new();
                if *rest {
                    named.push("rest: true".to_owned());
                }
                if let Some(integrity) = integrity {
                    named.push(format!("integrity: {}", serde_json::Value::from(integrity.as_str())));
                }
                let named = match named.is_empty() {
                    true => String::new(),
                    false => format!(", {{ {} }}", named.join(", ")),
                };
                write!(
                    f,
                    "const pyodide = loadPyodide({options}); await loadBale(pyodide, {}{named}); (await pyodide).runPython({});",
                    serde_json::Value::from(bale.as_str()),
                    serde_json::Value::from(python.as_str()),
                )
            }
        }
    }
}

/// `word` as one word of a POSIX shell command line.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    if plain { word.to_owned() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

/// How the packer's helper scripts (`run.py`, `timing.mjs`) take an entry point: KIND
/// and TARGET, `script PATH`, `module NAME` or `function MODULE:FUNC`.
pub(crate) fn entry_args(entry: &EntryPoint) -> [String; 2] {
    let kind = match entry {
        EntryPoint::Script(_) => "script",
        EntryPoint::Module(_) => "module",
        EntryPoint::Function { .. } => "function",
    };
    [kind.to_owned(), entry.to_string()]
}

/// A file's name as a page would fetch it: its last component.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_loads_the_rest_bale_when_there_is_one() {
        let hint = |rest| RunHint::Page {
            bale: "app.bale.zst".into(),
            stdlib: Some("app.stdlib.zip".into()),
            rest,
            integrity: None,
            python: "import app".into(),
        };
        let with = hint(true).to_string();
        assert!(with.contains(r#"await loadBale(pyodide, "app.bale.zst", { rest: true });"#), "{with}");
        let without = hint(false).to_string();
        assert!(without.contains(r#"await loadBale(pyodide, "app.bale.zst");"#), "{without}");
        assert!(without.starts_with(r#"const pyodide = loadPyodide({"stdLibURL":"app.stdlib.zip"});"#), "{without}");
    }
}
