//! What the installed bales lacked and their rest bales served: each miss once, in the
//! order it happened, kept for `bale.misses()` and for the file `BALE_MISSES` names
//! (written at exit by `rest.rs`), which `bale pack --app ... --include-from` reads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::create_exception;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

create_exception!(
    bale,
    MissWarning,
    pyo3::exceptions::PyUserWarning,
    "A module or file the bale lacked was fetched from its rest bale (shown with BALE_WARN_MISSES=1)."
);

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

impl MissLog {
    pub fn new(bale: String, rest: String) -> MissLog {
        MissLog { bale, rest, seen: Mutex::new(Vec::new()) }
    }

    /// Records a miss the first time it happens, and says whether it was new; warns
    /// of it with `BALE_WARN_MISSES=1`.
    pub fn record(&self, py: Python<'_>, module: Option<&str>, path: &str) -> PyResult<bool> {
        let miss = Miss { module: module.map(str::to_owned), path: path.to_owned() };
        {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            if seen.contains(&miss) {
                return Ok(false);
            }
            seen.push(miss);
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
        Ok(true)
    }

    pub fn misses(&self) -> Vec<Miss> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Every miss log made in the interpreter (an uninstalled bale's misses still count),
/// and whether they are to be written at exit.
#[derive(Default)]
pub struct Misses {
    logs: Mutex<Vec<Arc<MissLog>>>,
    written_at_exit: AtomicBool,
}

impl Misses {
    pub fn register(&self, log: Arc<MissLog>) {
        self.logs.lock().unwrap_or_else(|p| p.into_inner()).push(log);
    }

    pub fn logs(&self) -> Vec<Arc<MissLog>> {
        self.logs.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// True the first time it is asked: the caller then arranges the writing.
    pub fn first_to_write(&self) -> bool {
        !self.written_at_exit.swap(true, Ordering::Relaxed)
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
