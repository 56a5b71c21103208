//! Putting a bale in place and taking it out: opening what `install` is given (a path,
//! mapped; bytes, read in place; a framed bale, decoded), and everything `install`
//! changes in `sys` (`meta_path`, `path`, `path_hooks`, the path importer cache,
//! `excepthook` before 3.13), undone by `uninstall`.

use std::sync::atomic::Ordering;

#[cfg(not(target_family = "wasm"))]
use pyo3::exceptions::{PyIsADirectoryError, PyOSError};
use pyo3::intern;
use pyo3::prelude::*;

use crate::error::BaleError;
use crate::finder::BaleFinder;
use crate::state::state;
use crate::storage::{Storage, absolute};

/// Opens a path (memory-mapped) or a bytes-like object (used in place), and gives
/// the default virtual path to mount it at and the time its files appear to have.
pub fn open_source(py: Python<'_>, source: &Bound<'_, PyAny>) -> PyResult<(Storage, String, f64)> {
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
        let storage =
            Storage::from_object(&py.import("builtins")?.call_method1("open", (&root, "rb"))?.call_method0("read")?)?;
        let mtime = std::fs::metadata(&root).and_then(|m| m.modified()).map_or(0.0, seconds);
        return Ok((unframed(storage, &path)?, root, mtime));
    }
    let storage = Storage::from_object(source)?;
    let root = format!("/memory/{}.bale", state(py)?.memory_bales.fetch_add(1, Ordering::Relaxed));
    Ok((unframed(storage, &root)?, root, seconds(std::time::SystemTime::now())))
}

/// The bale itself, for a framed bale (format-spec §10.4): decoded into memory.
fn unframed(storage: Storage, name: &str) -> PyResult<Storage> {
    if !bale_format::frame::is_framed(storage.as_ref()) {
        return Ok(storage);
    }
    let bale = bale_format::frame::unframe(storage.as_ref()).map_err(|e| BaleError::new_err(format!("{name}: {e}")))?;
    Ok(Storage::Owned(bale))
}

fn seconds(t: std::time::SystemTime) -> f64 {
    t.duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Puts an already made finder in place (what `install` does after making it).
pub fn activate(py: Python<'_>, finder: &Bound<'_, BaleFinder>, files: bool) -> PyResult<()> {
    let sys = py.import("sys")?;
    sys.getattr("meta_path")?.call_method1("insert", (0, finder))?;
    let state = state(py)?;
    let hooks = sys.getattr("path_hooks")?;
    let hook = crate::path_finder::hook(py)?;
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
    state.installed.bind(py).append(finder)?;
    if files && !finder.get().mounted.swap(true, Ordering::Relaxed) {
        crate::files::mount(py, finder)?;
    }
    Ok(())
}

/// Undoes [`activate`].
pub fn deactivate(py: Python<'_>, finder: &Bound<'_, BaleFinder>) -> PyResult<()> {
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
        crate::files::unmount(py, finder)?;
    }
    let state = state(py)?;
    let list = state.installed.bind(py);
    remove_all(list.as_any(), |item| item.is(finder))?;
    if list.is_empty() {
        let hook = crate::path_finder::hook(py)?;
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

/// The `sys.excepthook` function object, made once.
fn excepthook_fn(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    let hook = state(py)?
        .excepthook
        .get_or_try_init(py, || Ok::<_, PyErr>(wrap_pyfunction!(excepthook, py)?.into_any().unbind()))?;
    Ok(hook.bind(py))
}
