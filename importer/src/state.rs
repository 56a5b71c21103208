//! The importer's state in the interpreter it is loaded into: the installed finders,
//! the functions it puts in place, what it has compiled or loaded once. One object,
//! made on first use and kept for the life of the interpreter.
//!
//! A PyO3 module is loaded into one interpreter per process (PyO3 refuses to be
//! imported into a sub-interpreter), so this one object is that interpreter's state.
//! Nothing in it relies on the GIL for its consistency (each part is a once-cell, an
//! atomic, a mutex or a Python list, which locks itself on a free-threaded build).
//! The only process-wide state outside it is what `bale exe` sets before Python
//! starts (`program.rs`).

use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;

use crate::misses::Misses;
use crate::native::Process;
use crate::runtime::Runtime;

pub struct State {
    /// The installed finders, in the order they were installed: what the path hook
    /// and file access serve.
    pub installed: Py<PyList>,
    /// The `sys.path_hooks` entry, as registered (made by `path_finder.rs`).
    pub path_hook: PyOnceLock<Py<PyAny>>,
    /// The `sys.excepthook` put in place on Python < 3.13 (made by `install.rs`).
    pub excepthook: PyOnceLock<Py<PyAny>>,
    /// What the import system and this interpreter are, looked up once.
    pub runtime: PyOnceLock<Runtime>,
    /// `support.py`, compiled on first use (resources and metadata).
    pub support: PyOnceLock<Py<PyModule>>,
    /// `files.py`, compiled when a path under a bale is first opened.
    pub files: PyOnceLock<Py<PyModule>>,
    /// The finders (`BaleFinder`) whose files are served by path.
    pub mounted: Mutex<Vec<Py<PyAny>>>,
    /// The functions file access puts in place, and those it found there at the first
    /// mount (kept for the life of the process: see `files.rs`).
    pub replacements: PyOnceLock<Vec<Py<PyAny>>>,
    pub originals: PyOnceLock<Vec<Py<PyAny>>>,
    /// Native code loaded so far (see `native/mod.rs`).
    pub native: Process,
    /// Numbers the bales installed from bytes: `/memory/N.bale`.
    pub memory_bales: AtomicUsize,
    /// What the rest bales served (see `misses.rs`).
    pub misses: Misses,
}

static STATE: PyOnceLock<State> = PyOnceLock::new();

/// The state, made on first use.
pub fn state(py: Python<'_>) -> PyResult<&'static State> {
    STATE.get_or_try_init(py, || {
        Ok::<_, PyErr>(State {
            installed: PyList::empty(py).unbind(),
            path_hook: PyOnceLock::new(),
            excepthook: PyOnceLock::new(),
            runtime: PyOnceLock::new(),
            support: PyOnceLock::new(),
            files: PyOnceLock::new(),
            mounted: Mutex::new(Vec::new()),
            replacements: PyOnceLock::new(),
            originals: PyOnceLock::new(),
            native: Process::default(),
            memory_bales: AtomicUsize::new(0),
            misses: Misses::default(),
        })
    })
}

/// The interpreter's facts and import machinery.
pub fn runtime(py: Python<'_>) -> PyResult<&'static Runtime> {
    state(py)?.runtime.get_or_try_init(py, || Runtime::load(py))
}
