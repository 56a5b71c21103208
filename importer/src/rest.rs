//! The rest bale (format-spec §4.2, §4.3): what an app could import or read but its
//! traced runs did not touch, packed beside its bale by `bale pack --app --rest`. What
//! the bale lacks is served from it, so a path the trace missed costs time instead of
//! an ImportError: natively from the file, mapped at the first miss; in Pyodide from
//! its index, which the loader fetched, each payload fetched when first needed by the
//! loader's `fetch` function (one HTTP Range request).
//!
//! This file knows where a rest bale is, opens and checks it, and records what it
//! served. The bale's finder holds it and makes a finder of it at the first miss
//! (`finder.rs`); its meta-path finder, last on `sys.meta_path` so that it never
//! shadows what the interpreter itself would import, is `rest_finder.rs`. Each miss is
//! recorded once (`bale.misses()`, `BALE_MISSES=FILE` writes them at exit), for `bale
//! pack --app ... --include-from FILE`; `BALE_WARN_MISSES=1` names each as it is
//! fetched.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bale_format::Bale;
use pyo3::exceptions::{PyFileNotFoundError, PyModuleNotFoundError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::misses::{MissLog, misses_list};
use crate::state::state;
use crate::storage::Storage;

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
    pub via: String,
    source: Mutex<Option<RestSource>>,
    pub log: Arc<MissLog>,
    /// Whether the warning that the rest bale cannot be read was given.
    warned: AtomicBool,
}

/// A rest bale opened and found to be the bale's.
pub struct Opened {
    pub bale: Bale<Storage>,
    /// For a rest bale opened by its index: what fetches its payloads.
    pub fetch: Option<Py<PyAny>>,
    /// The time its files appear to have.
    pub mtime: f64,
}

impl Rest {
    /// `bale` names the bale in messages; `name` the rest (its path or URL). Its misses
    /// count in `bale.misses()` from now on.
    pub fn new(
        py: Python<'_>,
        bale: &Bale<Storage>,
        root: &str,
        name: String,
        source: RestSource,
        via: Option<String>,
    ) -> PyResult<Rest> {
        let via = via.unwrap_or_else(|| {
            match &source {
                RestSource::Path(_) => "file",
                RestSource::Bytes { fetch: Some(_), .. } => "fetch",
                RestSource::Bytes { .. } => "memory",
                RestSource::Unavailable(_) => "none",
            }
            .to_owned()
        });
        let log = Arc::new(MissLog::new(root.to_owned(), name));
        state(py)?.misses.register(log.clone());
        Ok(Rest {
            root: root.to_owned(),
            expected: bale.header().rest_hash,
            target: bale.target().to_owned(),
            via,
            source: Mutex::new(Some(source)),
            log,
            warned: AtomicBool::new(false),
        })
    }

    pub fn name(&self) -> &str {
        &self.log.rest
    }

    /// Opens the rest bale and checks that it is the one the bale was packed with;
    /// called once (the source is taken), by the bale's finder at the first miss.
    pub fn open(&self) -> Result<Opened, String> {
        let name = self.name();
        let source = self.source.lock().unwrap_or_else(|p| p.into_inner()).take();
        let opened = match source {
            None => return Err("it was not opened".into()),
            Some(RestSource::Unavailable(why)) => return Err(why),
            #[cfg(not(target_family = "wasm"))]
            Some(RestSource::Path(path)) => {
                let storage = Storage::map(std::path::Path::new(&path)).map_err(|e| e.to_string())?;
                let bale = Bale::open(storage).map_err(|e| e.to_string())?;
                Opened { bale, fetch: None, mtime: crate::storage::modified(&path) }
            }
            #[cfg(target_family = "wasm")]
            Some(RestSource::Path(path)) => {
                let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
                Opened { bale: Bale::open(Storage::Owned(bytes)).map_err(|e| e.to_string())?, fetch: None, mtime: 0.0 }
            }
            Some(RestSource::Bytes { storage, fetch }) => {
                let bale = match fetch {
                    Some(_) => Bale::open_index(storage),
                    None => Bale::open(storage),
                };
                Opened { bale: bale.map_err(|e| e.to_string())?, fetch, mtime: 0.0 }
            }
        };
        let found = opened.bale.header().header_hash;
        if found != self.expected {
            return Err(format!(
                "{name} is not the rest bale of {}: it comes from another pack (its header hash is {found:016x}, \
                 the bale names {:016x}); put the rest bale packed with this bale beside it",
                self.root, self.expected
            ));
        }
        if opened.bale.target() != self.target {
            return Err(format!("{name} is for {}, the bale for {}", opened.bale.target(), self.target));
        }
        Ok(opened)
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

    /// The error for a module of the bale's packages when the rest bale cannot be read.
    pub fn module_error(&self, py: Python<'_>, name: &str, why: &str) -> PyErr {
        let message =
            format!("No module named '{name}' in {}; its rest bale {} cannot be read: {why}", self.root, self.name());
        let err = PyModuleNotFoundError::new_err(message);
        let _ = err.value(py).setattr(intern!(py, "name"), name);
        err
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

/// Records that `log`'s rest bale served a module or a file; the first miss in the
/// interpreter with `BALE_MISSES=FILE` set arranges for all of them to be written at
/// exit.
pub fn record_miss(py: Python<'_>, log: &MissLog, module: Option<&str>, path: &str) -> PyResult<()> {
    if log.record(py, module, path)?
        && std::env::var_os("BALE_MISSES").is_some_and(|v| !v.is_empty())
        && state(py)?.misses.first_to_write()
    {
        py.import("atexit")?.call_method1("register", (wrap_pyfunction!(write_misses, py)?,))?;
    }
    Ok(())
}

/// The misses of every bale with a rest bale, installed now or before.
pub fn all_misses(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    misses_list(py, &state(py)?.misses.logs())
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
