//! The Python package `bale`: imports modules, resources, distribution metadata and
//! extension modules straight from a bale held in memory or memory-mapped.
//!
//! ```python
//! import bale
//! finder = bale.install("app.bale")   # or any bytes-like object
//! import rich                         # from the bale
//! finder.uninstall()
//! ```
//!
//! `install` puts a [`BaleFinder`] first on `sys.meta_path`, where it finds and loads
//! every module of the bale (the hot path, in Rust), puts the bale's virtual path on
//! `sys.path` and adds a `sys.path_hooks` entry for it, so that path-based tools
//! (`pkgutil`, namespace packages spanning the bale and the disk, `importlib.metadata`)
//! see the bale as a folder. `importlib.resources` and `importlib.metadata` objects
//! come from `support.py`, compiled on first use.

mod files;
mod finder;
#[cfg(target_os = "linux")]
mod native;
#[cfg(target_os = "emscripten")]
#[path = "native_emscripten.rs"]
mod native;
mod runtime;
mod storage;
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::exceptions::PyImportError;
#[cfg(not(target_family = "wasm"))]
use pyo3::exceptions::{PyIsADirectoryError, PyOSError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;
use pyo3::{create_exception, intern};

pub use finder::{BaleFinder, BalePathFinder};
use storage::Storage;

create_exception!(
    bale,
    BaleError,
    PyImportError,
    "A bale cannot be read: damaged, truncated, of an unknown format version, or built for another Python."
);

/// The installed finders, which the path hook serves.
static INSTALLED: PyOnceLock<Py<PyList>> = PyOnceLock::new();
/// The `path_hook` function object, as registered in `sys.path_hooks`.
static HOOK: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn hook(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    HOOK.get_or_try_init(py, || Ok::<_, PyErr>(wrap_pyfunction!(path_hook, py)?.into_any().unbind()))
        .map(|h| h.bind(py))
}

fn installed(py: Python<'_>) -> &Bound<'_, PyList> {
    INSTALLED.get_or_init(py, || PyList::empty(py).unbind()).bind(py)
}

/// Opens a path (memory-mapped) or a bytes-like object (used in place), and gives
/// the default virtual path to mount it at and the time its files appear to have.
pub(crate) fn open_source(py: Python<'_>, source: &Bound<'_, PyAny>) -> PyResult<(Storage, String, f64)> {
    // A path is a str or an os.PathLike; nothing is imported to find out, so that
    // installing a bale early (before `os` or `pathlib`) stays cheap.
    let path: Option<String> = if let Ok(s) = source.cast::<pyo3::types::PyString>() {
        Some(s.to_str()?.to_owned())
    } else if source.hasattr(intern!(py, "__fspath__"))? {
        Some(source.call_method0(intern!(py, "__fspath__"))?.extract()?)
    } else {
        None
    };
    if let Some(path) = path {
        let root = absolute(&path);
        #[cfg(not(target_family = "wasm"))]
        let storage = Storage::map(std::path::Path::new(&root)).map_err(|e| {
            let strerror = |code: i32| py.import("os")?.call_method1("strerror", (code,))?.extract::<String>();
            match e.raw_os_error() {
                Some(code) => {
                    PyOSError::new_err((code, strerror(code).unwrap_or_else(|_| e.to_string()), path.clone()))
                }
                None if std::path::Path::new(&root).is_dir() => {
                    PyIsADirectoryError::new_err((21, "Is a directory", path.clone()))
                }
                None => PyOSError::new_err(format!("{path}: {e}")),
            }
        })?;
        #[cfg(target_family = "wasm")]
        let storage = Storage::Buffer(storage::Buffer::new(
            &py.import("builtins")?.call_method1("open", (&root, "rb"))?.call_method0("read")?,
        )?);
        let mtime = std::fs::metadata(&root).and_then(|m| m.modified()).map_or(0.0, seconds);
        return Ok((unframed(storage, &path)?, root, mtime));
    }
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let storage = Storage::Buffer(storage::Buffer::new(source)?);
    let root = format!("/memory/{}.bale", COUNT.fetch_add(1, Ordering::Relaxed));
    Ok((unframed(storage, &root)?, root, seconds(std::time::SystemTime::now())))
}

/// The bale itself, for a framed bale (format-spec §10.4): decoded into memory.
fn unframed(storage: Storage, name: &str) -> PyResult<Storage> {
    if !bale_format::frame::is_framed(storage.as_ref()) {
        return Ok(storage);
    }
    let bale = bale_format::frame::unframe(storage.as_ref()).map_err(|e| BaleError::new_err(format!("{name}: {e}")))?;
    Ok(Storage::Decoded(bale))
}

/// The bale inside a framed bale (one zstd frame, format-spec §10.4), as `bytes`:
/// what the Pyodide loader reads the header of before installing it.
#[pyfunction]
fn unframe<'py>(py: Python<'py>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let buffer = storage::Buffer::new(data)?;
    let framed = buffer.as_slice();
    let fail = |e: bale_format::Error| BaleError::new_err(format!("framed bale: {e}"));
    let size = bale_format::frame::content_size(framed).map_err(fail)?;
    let len = usize::try_from(size).map_err(|_| fail(bale_format::Error::TooLarge { size }))?;
    pyo3::types::PyBytes::new_with(py, len, |out| bale_format::frame::unframe_into(framed, out).map_err(fail))
}

/// `os.path.abspath`: joined to the working folder and normalized (`.`, `..`, `//`)
/// without touching the file system.
pub(crate) fn absolute(path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_owned()
    } else {
        let cwd = std::env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn seconds(t: std::time::SystemTime) -> f64 {
    t.duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Installs a bale: its finder goes first on `sys.meta_path`, its virtual path first
/// on `sys.path`. `source` is a path or a bytes-like object; `path` overrides the
/// virtual path it is mounted at. With `files` (the default), `open`, `os.stat`,
/// `os.listdir` and `os.scandir` also read the bale's files under that path, for code
/// that finds its data next to `__file__`. Returns the finder (`finder.uninstall()`
/// undoes it all).
#[pyfunction]
#[pyo3(signature = (source, *, path = None, files = true, prepared = false))]
fn install<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    path: Option<String>,
    files: bool,
    prepared: bool,
) -> PyResult<Bound<'py, BaleFinder>> {
    let finder_type = py.get_type::<BaleFinder>();
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("path", path)?;
    kwargs.set_item("prepared", prepared)?;
    let finder = finder_type.call((source,), Some(&kwargs))?.cast_into::<BaleFinder>()?;
    activate(py, &finder, files)?;
    Ok(finder)
}

/// Puts an already made finder in place (what `install` does after making it).
pub(crate) fn activate(py: Python<'_>, finder: &Bound<'_, BaleFinder>, files: bool) -> PyResult<()> {
    let sys = py.import("sys")?;
    sys.getattr("meta_path")?.call_method1("insert", (0, finder))?;
    let hooks = sys.getattr("path_hooks")?;
    let hook = hook(py)?;
    if !hooks.contains(hook)? {
        hooks.call_method1("insert", (0, hook))?;
    }
    // Before 3.13 an uncaught exception's traceback is printed by C code that reads
    // source lines from the file system only, not through the loader as `traceback`
    // does; this hook prints through `traceback`, so the bale's lines show.
    if py.version_info() < (3, 13) && sys.getattr("excepthook")?.is(&sys.getattr("__excepthook__")?) {
        sys.setattr("excepthook", excepthook_fn(py)?)?;
    }
    let root = finder.get().root.clone();
    sys.getattr("path")?.call_method1("insert", (0, &root))?;
    sys.getattr("path_importer_cache")?.call_method1("pop", (&root, py.None()))?;
    installed(py).append(finder)?;
    if files && !finder.get().mounted.swap(true, Ordering::Relaxed) {
        files::mount(py, finder)?;
    }
    Ok(())
}

/// Undoes [`activate`].
pub(crate) fn deactivate(py: Python<'_>, finder: &Bound<'_, BaleFinder>) -> PyResult<()> {
    let sys = py.import("sys")?;
    let root = finder.get().root.clone();
    remove_all(&sys.getattr("meta_path")?, |item| item.is(finder))?;
    remove_all(&sys.getattr("path")?, |item| item.extract::<String>().is_ok_and(|p| p == root))?;
    let cache = sys.getattr("path_importer_cache")?;
    let prefix = format!("{root}/");
    for key in cache.call_method0("keys")?.try_iter()?.collect::<PyResult<Vec<_>>>()? {
        if key.extract::<String>().is_ok_and(|k| k == root || k.starts_with(&prefix)) {
            cache.del_item(key)?;
        }
    }
    if finder.get().mounted.swap(false, Ordering::Relaxed) {
        files::unmount(py, finder)?;
    }
    let list = installed(py);
    remove_all(list.as_any(), |item| item.is(finder))?;
    if list.is_empty() {
        let hook = hook(py)?;
        remove_all(&sys.getattr("path_hooks")?, |item| item.is(hook))?;
        if sys.getattr("excepthook")?.is(excepthook_fn(py)?) {
            sys.setattr("excepthook", sys.getattr("__excepthook__")?)?;
        }
    }
    Ok(())
}

fn remove_all(list: &Bound<'_, PyAny>, matches: impl Fn(&Bound<'_, PyAny>) -> bool) -> PyResult<()> {
    let len = list.len()?;
    for i in (0..len).rev() {
        if matches(&list.get_item(i)?) {
            list.del_item(i)?;
        }
    }
    Ok(())
}

/// `sys.excepthook` while a bale is installed on Python < 3.13: the default printing,
/// done by the `traceback` module so that source lines come through the loaders.
#[pyfunction]
fn excepthook(
    py: Python<'_>,
    kind: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
    tb: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let printed = py.import("traceback").and_then(|t| t.call_method1("print_exception", (kind, value, tb)));
    if printed.is_err() {
        py.import("sys")?.getattr("__excepthook__")?.call1((kind, value, tb))?;
    }
    Ok(())
}

static EXCEPTHOOK: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn excepthook_fn(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    EXCEPTHOOK
        .get_or_try_init(py, || Ok::<_, PyErr>(wrap_pyfunction!(excepthook, py)?.into_any().unbind()))
        .map(|h| h.bind(py))
}

/// The `sys.path_hooks` entry: a path-entry finder for a folder of an installed bale,
/// or ImportError for any other path.
#[pyfunction]
fn path_hook(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<BalePathFinder> {
    if let Ok(path) = path.extract::<String>() {
        for finder in installed(py).iter() {
            let finder = finder.cast_into::<BaleFinder>()?;
            let this = finder.get();
            let Some(rel) = this.relative(&path) else { continue };
            let is_dir = rel.is_empty() || this.bale.file(rel).ok().flatten().is_some_and(|f| f.is_dir());
            if is_dir {
                return Ok(BalePathFinder::new(finder.unbind(), rel.to_owned()));
            }
        }
    }
    Err(PyImportError::new_err("not a folder of an installed bale"))
}

#[pymodule]
fn bale(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BaleFinder>()?;
    m.add_class::<BalePathFinder>()?;
    m.add_function(wrap_pyfunction!(install, m)?)?;
    m.add_function(wrap_pyfunction!(unframe, m)?)?;
    m.add("path_hook", hook(m.py())?)?;
    m.add("BaleError", m.py().get_type::<BaleError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
