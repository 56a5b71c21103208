//! The rest bale (format-spec §4.2, §4.3): what an app could import or read but its
//! traced runs did not touch, packed beside its bale by `bale pack --app --rest`. What
//! the bale lacks is served from it, so a path the trace missed costs time instead of
//! an ImportError: natively from the file, mapped at the first miss; in Pyodide from
//! its index, which the loader fetched, each payload fetched when first needed by the
//! loader's `fetch` function (one HTTP Range request).
//!
//! The rest is found last: its [`RestFinder`] goes at the end of `sys.meta_path`, after
//! every other finder, so it never shadows what the interpreter itself would import.
//! The bale's own finder asks it for files, folders and distributions it lacks. Each
//! miss is recorded once (`bale.misses()`, `BALE_MISSES=FILE` writes them at exit),
//! for `bale pack --app ... --include-from FILE`; `BALE_WARN_MISSES=1` names each as
//! it is fetched.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bale_format::{Bale, Module};
use pyo3::exceptions::{PyFileNotFoundError, PyModuleNotFoundError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use pyo3::{create_exception, intern};

use crate::finder::{BaleFinder, NativeMode, parent_is_here};
use crate::storage::Storage;

create_exception!(
    bale,
    MissWarning,
    pyo3::exceptions::PyUserWarning,
    "A module or file the bale lacked was fetched from its rest bale (shown with BALE_WARN_MISSES=1)."
);

/// Where the rest bale's bytes come from.
pub enum RestSource {
    /// A file (beside the bale, or named), mapped at the first miss.
    Path(String),
    /// Bytes at hand: the whole rest bale, or its index alone with `fetch(offset,
    /// length) -> bytes` for its payloads (the Pyodide loader's Range requests).
    Bytes { storage: Storage, fetch: Option<Py<PyAny>> },
    /// Why it is not at hand (the loader's fetch failed): said on every miss.
    Unavailable(String),
}

/// One thing the bale lacked, served from the rest bale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Miss {
    /// The module, for an import; `None` for a file read.
    pub module: Option<String>,
    /// Its file's path in the bale (a module's source, or where it would be).
    pub path: String,
}

/// The misses of one bale, each once, in the order they happened.
pub struct MissLog {
    /// The bale's and the rest bale's names, for the warning and `misses()`.
    pub bale: String,
    pub rest: String,
    seen: Mutex<Vec<Miss>>,
}

/// Whether the function that writes `BALE_MISSES` at exit is registered.
static AT_EXIT: AtomicBool = AtomicBool::new(false);

impl MissLog {
    /// Records a miss the first time it happens; warns when asked to.
    pub fn record(&self, py: Python<'_>, module: Option<&str>, path: &str) -> PyResult<()> {
        let miss = Miss { module: module.map(str::to_owned), path: path.to_owned() };
        {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            if seen.contains(&miss) {
                return Ok(());
            }
            seen.push(miss);
        }
        if std::env::var_os("BALE_MISSES").is_some_and(|v| !v.is_empty()) && !AT_EXIT.swap(true, Ordering::Relaxed) {
            py.import("atexit")?.call_method1("register", (wrap_pyfunction!(write_misses, py)?,))?;
        }
        if std::env::var("BALE_WARN_MISSES").is_ok_and(|v| !v.is_empty() && v != "0") {
            let what = match module {
                Some(m) => format!("module {m}"),
                None => format!("file {path}"),
            };
            let message = format!("{what} is not in {}: fetched from its rest bale {}", self.bale, self.rest);
            let message = std::ffi::CString::new(message).unwrap_or_default();
            PyErr::warn(py, &py.get_type::<MissWarning>(), &message, 1)?;
        }
        Ok(())
    }

    pub fn misses(&self) -> Vec<Miss> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The rest bale of one installed bale, opened at the first miss.
pub struct Rest {
    /// The bale's virtual path: the rest's entries appear under it, as the bale's do.
    pub root: String,
    /// The rest bale's `header_hash`, as the bale records it.
    expected: u64,
    /// The bale's target: the rest's must be the same.
    target: String,
    /// How the loader fetches payloads (for `RestFinder.via`): a file mapped, bytes in
    /// memory, or what the Pyodide loader says.
    via: String,
    source: Mutex<Option<RestSource>>,
    opened: PyOnceLock<Result<Py<BaleFinder>, String>>,
    native_mode: NativeMode,
    pub log: Arc<MissLog>,
    /// The bale's finder, once installed (see [`Rest::set_main`]).
    main: PyOnceLock<Py<BaleFinder>>,
    /// Whether the warning that the rest bale cannot be read was given.
    warned: AtomicBool,
}

impl Rest {
    /// `bale` names the bale in messages; `name` the rest (its path or URL).
    pub fn new(bale: &Bale<Storage>, root: &str, name: String, source: RestSource, via: Option<String>) -> Rest {
        let via = via.unwrap_or_else(|| {
            match &source {
                RestSource::Path(_) => "file",
                RestSource::Bytes { fetch: Some(_), .. } => "fetch",
                RestSource::Bytes { .. } => "memory",
                RestSource::Unavailable(_) => "none",
            }
            .to_owned()
        });
        Rest {
            root: root.to_owned(),
            expected: bale.header().rest_hash,
            target: bale.target().to_owned(),
            via,
            source: Mutex::new(Some(source)),
            opened: PyOnceLock::new(),
            native_mode: NativeMode::Cache,
            log: Arc::new(MissLog { bale: root.to_owned(), rest: name, seen: Mutex::new(Vec::new()) }),
            main: PyOnceLock::new(),
            warned: AtomicBool::new(false),
        }
    }

    /// Counts this rest bale's misses in `bale.misses()` and the file written at exit.
    pub fn register(self) -> Rest {
        LOGS.lock().unwrap_or_else(|p| p.into_inner()).push(self.log.clone());
        self
    }

    pub fn with_native_mode(mut self, mode: NativeMode) -> Rest {
        self.native_mode = mode;
        self
    }

    pub fn name(&self) -> &str {
        &self.log.rest
    }

    /// The rest bale's finder, opened and checked the first time; or why it cannot be.
    pub fn finder<'py>(&self, py: Python<'py>) -> Result<&Bound<'py, BaleFinder>, &str> {
        let opened = self.opened.get_or_init(py, || self.open(py));
        match opened {
            Ok(finder) => Ok(finder.bind(py)),
            Err(why) => Err(why.as_str()),
        }
    }

    fn open(&self, py: Python<'_>) -> Result<Py<BaleFinder>, String> {
        let name = self.name();
        let source = self.source.lock().unwrap_or_else(|p| p.into_inner()).take();
        let (bale, fetch, mtime) = match source {
            None => return Err("it was not opened".into()),
            Some(RestSource::Unavailable(why)) => return Err(why),
            #[cfg(not(target_family = "wasm"))]
            Some(RestSource::Path(path)) => {
                let storage = Storage::map(std::path::Path::new(&path)).map_err(|e| e.to_string())?;
                let mtime = std::fs::metadata(&path).and_then(|m| m.modified()).map_or(0.0, crate::install::seconds);
                (Bale::open(storage).map_err(|e| e.to_string())?, None, mtime)
            }
            #[cfg(target_family = "wasm")]
            Some(RestSource::Path(path)) => {
                let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
                (Bale::open(Storage::Owned(bytes)).map_err(|e| e.to_string())?, None, 0.0)
            }
            Some(RestSource::Bytes { storage, fetch }) => {
                let bale = match fetch {
                    Some(_) => Bale::open_index(storage),
                    None => Bale::open(storage),
                };
                (bale.map_err(|e| e.to_string())?, fetch, 0.0)
            }
        };
        let found = bale.header().header_hash;
        if found != self.expected {
            return Err(format!(
                "{name} is not the rest bale of {}: it comes from another pack (its header hash is {found:016x}, \
                 the bale names {:016x}); put the rest bale packed with this bale beside it",
                self.root, self.expected
            ));
        }
        if bale.target() != self.target {
            return Err(format!("{name} is for {}, the bale for {}", bale.target(), self.target));
        }
        let mut finder = BaleFinder::new(bale, self.root.clone(), mtime, false, self.native_mode);
        finder.misses = Some(self.log.clone());
        finder.fetch = fetch;
        finder.main = self.main.get(py).map(|m| m.clone_ref(py));
        Py::new(py, finder).map_err(|e| e.to_string())
    }

    /// The module `name` from the rest bale: its finder and record. The miss is
    /// recorded when the module is loaded (`exec_module`), not when it is found: a
    /// probe (`importlib.util.find_spec`, `pkgutil`) imports nothing.
    pub fn find<'a, 'py>(
        &'a self,
        py: Python<'py>,
        name: &str,
    ) -> PyResult<Option<(&'a Bound<'py, BaleFinder>, Module<'a>)>> {
        let finder = self.finder(py).map_err(|why| {
            let message = format!(
                "No module named '{name}' in {}; its rest bale {} cannot be read: {why}",
                self.root,
                self.name()
            );
            let err = PyModuleNotFoundError::new_err(message);
            let _ = err.value(py).setattr(intern!(py, "name"), name);
            err
        })?;
        Ok(finder.get().lookup(py, name)?.map(|m| (finder, m)))
    }

    /// Says once, as a warning, why the rest bale cannot be read: for a top-level
    /// name, whose absence is not an error (an optional import, a probe), the
    /// `ModuleNotFoundError` is Python's own.
    pub fn warn_unavailable(&self, py: Python<'_>, why: &str) -> PyResult<()> {
        if self.warned.swap(true, Ordering::Relaxed) {
            return Ok(());
        }
        let message =
            format!("the rest bale {} cannot be read: {why} (what {} lacks is not served)", self.name(), self.root);
        let message = std::ffi::CString::new(message).unwrap_or_default();
        PyErr::warn(py, &py.get_type::<pyo3::exceptions::PyRuntimeWarning>(), &message, 1)
    }

    /// Links the rest bale's finder back to the bale's (set when the bale is
    /// installed): a module from the rest bale may read files the bale holds.
    pub fn set_main(&self, py: Python<'_>, main: &Bound<'_, BaleFinder>) {
        let _ = self.main.set(py, main.clone().unbind());
    }

    /// The error for a file the bale lacks when the rest bale cannot be read.
    pub fn file_error(&self, path: &str, why: &str) -> PyErr {
        PyFileNotFoundError::new_err((
            2,
            format!("No such file in the bale; its rest bale {} cannot be read: {why}", self.name()),
            path.to_owned(),
        ))
    }
}

/// The file a module's miss names: what `bale pack --include-from` adds. Its extension
/// module or source, else the source its bytecode was compiled from (`a/b.py`,
/// `a/b/__init__.py`). A namespace package has none (its submodules are misses of
/// their own).
pub fn module_path(finder: &BaleFinder, py: Python<'_>, m: &Module<'_>) -> PyResult<Option<String>> {
    if let Some(id) = m.extension.or(m.source) {
        return Ok(Some(finder.file(py, id, m.name)?.path.to_owned()));
    }
    let base = m.name.replace('.', "/");
    Ok(match (m.bytecode, m.is_package) {
        (None, _) => None,
        (Some(_), true) => Some(format!("{base}/__init__.py")),
        (Some(_), false) => Some(format!("{base}.py")),
    })
}

/// The meta-path finder of a rest bale: last on `sys.meta_path`, so that it serves
/// only what no other finder found.
#[pyclass(frozen, module = "bale")]
pub struct RestFinder {
    pub(crate) rest: Arc<Rest>,
}

#[pymethods]
impl RestFinder {
    /// The rest bale's path or URL.
    #[getter]
    fn path(&self) -> &str {
        self.rest.name()
    }

    /// How its payloads are read: `file` (mapped), `memory`, or how the Pyodide loader
    /// fetches them (`XMLHttpRequest`, `Atomics.wait`, `read`).
    #[getter]
    fn via(&self) -> &str {
        &self.rest.via
    }

    fn __repr__(&self) -> String {
        format!("<RestFinder {} for {}>", self.rest.name(), self.rest.root)
    }

    #[pyo3(signature = (fullname, path = None, target = None))]
    fn find_spec(
        &self,
        py: Python<'_>,
        fullname: &str,
        path: Option<&Bound<'_, PyAny>>,
        target: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let _ = target;
        let none = py.None().into_bound(py);
        // The rest bale serves a submodule whatever its package's `__path__` says: the
        // package may come from elsewhere (Pyodide's trimmed standard library holds
        // `encodings`, the rest bale its other codecs), and every other finder has
        // already failed. Only for names under the bale is its absence an error.
        let found = match self.rest.finder(py) {
            Ok(_) => self.rest.find(py, fullname)?,
            // A submodule of a package of the bale: the error names why.
            Err(_) if fullname.contains('.') && parent_is_here(&self.rest.root, fullname, path.unwrap_or(&none))? => {
                self.rest.find(py, fullname)?
            }
            Err(why) => {
                let why = why.to_owned();
                self.rest.warn_unavailable(py, &why)?;
                return Ok(None);
            }
        };
        match found {
            // Namespace packages are assembled by the path finder (see path_finder.rs).
            Some((finder, m)) if !m.is_namespace => finder.get().spec(py, finder, &m).map(Some),
            _ => Ok(None),
        }
    }

    fn invalidate_caches(&self) {}

    /// What was fetched from this rest bale so far.
    fn misses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        misses_list(py, std::slice::from_ref(&self.rest.log))
    }
}

/// Misses as `{"module": ..., "path": ..., "bale": ...}` dicts.
pub fn misses_list<'py>(py: Python<'py>, logs: &[Arc<MissLog>]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for log in logs {
        for miss in log.misses() {
            let d = PyDict::new(py);
            d.set_item("module", miss.module)?;
            d.set_item("path", miss.path)?;
            d.set_item("bale", &log.bale)?;
            out.append(d)?;
        }
    }
    Ok(out)
}

/// Every miss log made in this process: an uninstalled bale's misses still count.
static LOGS: Mutex<Vec<Arc<MissLog>>> = Mutex::new(Vec::new());

/// The misses of every bale with a rest bale, installed now or before.
pub fn all_misses(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let logs = LOGS.lock().unwrap_or_else(|p| p.into_inner()).clone();
    misses_list(py, &logs)
}

/// At exit, with `BALE_MISSES=FILE`: the misses written to FILE as JSON, added to
/// those it holds from earlier runs, for `bale pack --include-from FILE`.
#[pyfunction]
fn write_misses(py: Python<'_>) -> PyResult<()> {
    let Some(path) = std::env::var_os("BALE_MISSES").filter(|v| !v.is_empty()) else { return Ok(()) };
    let misses = all_misses(py)?;
    let support = crate::assets::support(py)?;
    support.getattr(intern!(py, "write_misses"))?.call1((path, misses))?;
    Ok(())
}
