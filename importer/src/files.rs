//! Read-only file access under mounted bales: what takes the place of `open`,
//! `io.open`, `io.open_code`, `os.stat`, `os.lstat`, `os.listdir` and `os.scandir`
//! while a bale is installed with `files=True`.
//!
//! Every call in the process goes through these, so they decide in Rust whether the
//! path lies under a mounted bale: if not (nearly always), the original function is
//! called at once; if so, `files.py` serves it from the bale. `files.py` is compiled
//! only then, so installing a bale costs nothing for code that never opens one of its
//! files by path.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};
use pyo3::{intern, wrap_pyfunction};

use crate::finder::BaleFinder;
use crate::state::state;

/// The replaced functions: where each lives, and its name in `files.py`.
const PLACES: [(&str, &str); 7] = [
    ("builtins", "open"),
    ("io", "open"),
    ("io", "open_code"),
    ("os", "stat"),
    ("os", "lstat"),
    ("os", "listdir"),
    ("os", "scandir"),
];

fn replacements(py: Python<'_>) -> PyResult<&'static Vec<Py<PyAny>>> {
    state(py)?.replacements.get_or_try_init(py, || {
        // One `open` for builtins and io, which hold the same function.
        let open = wrap_pyfunction!(open, py)?.into_any().unbind();
        Ok::<_, PyErr>(vec![
            open.clone_ref(py),
            open,
            wrap_pyfunction!(open_code, py)?.into_any().unbind(),
            wrap_pyfunction!(stat, py)?.into_any().unbind(),
            wrap_pyfunction!(lstat, py)?.into_any().unbind(),
            wrap_pyfunction!(listdir, py)?.into_any().unbind(),
            wrap_pyfunction!(scandir, py)?.into_any().unbind(),
        ])
    })
}

/// The functions found at [`PLACES`] at the first mount, kept for the life of the
/// process: ours hand every other path to them, even after an unmount (a caller may
/// still hold ours, or something may have wrapped it), and a later mount must not take
/// a wrapper of ours for the original, which would call itself.
fn originals(py: Python<'_>) -> PyResult<&'static Vec<Py<PyAny>>> {
    state(py)?.originals.get_or_try_init(py, || {
        PLACES.iter().map(|(module, name)| Ok(py.import(*module)?.getattr(*name)?.unbind())).collect()
    })
}

/// The bales mounted for file access.
fn lock(py: Python<'_>) -> PyResult<std::sync::MutexGuard<'static, Vec<Py<PyAny>>>> {
    Ok(state(py)?.mounted.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
}

/// Serves `finder`'s files under its path; the first mount puts the replacements in.
pub fn mount(py: Python<'_>, finder: &Bound<'_, BaleFinder>) -> PyResult<()> {
    if lock(py)?.is_empty() {
        swap(py, originals(py)?, replacements(py)?, true)?;
    }
    lock(py)?.push(finder.clone().into_any().unbind());
    Ok(())
}

/// Stops serving `finder`'s files; the last unmount puts the originals back (where
/// nothing else has replaced ours since).
pub fn unmount(py: Python<'_>, finder: &Bound<'_, BaleFinder>) -> PyResult<()> {
    {
        let mut mounted = lock(py)?;
        mounted.retain(|f| !f.bind(py).is(finder));
        if !mounted.is_empty() {
            return Ok(());
        }
    }
    swap(py, replacements(py)?, originals(py)?, false)
}

/// Puts `new` where `old` is: on builtins, io and os (whatever is there, with
/// `force`); on pathlib's 3.10 accessor, which holds its own copies; and as
/// tokenize's own `open`, how linecache reads a file that `os.stat` says exists (so
/// tracebacks need it).
fn swap(py: Python<'_>, old: &[Py<PyAny>], new: &[Py<PyAny>], force: bool) -> PyResult<()> {
    for (i, (module, name)) in PLACES.iter().enumerate() {
        let module = py.import(*module)?;
        if force || module.getattr(*name)?.is(&old[i]) {
            module.setattr(*name, &new[i])?;
        }
    }
    let modules = py.import("sys")?.getattr(intern!(py, "modules"))?;
    let accessor = modules
        .call_method1(intern!(py, "get"), ("pathlib",))?
        .getattr(intern!(py, "_NormalAccessor")) // Python 3.10
        .ok();
    if let Some(accessor) = accessor {
        // Its open, stat, lstat, listdir and scandir: every function but io's.
        let held = accessor.getattr(intern!(py, "__dict__"))?;
        for (i, (_, name)) in PLACES.iter().enumerate().filter(|(_, (module, _))| *module != "io") {
            if held.call_method1(intern!(py, "get"), (*name,))?.is(&old[i]) {
                accessor.setattr(*name, &new[i])?;
            }
        }
    }
    if let Ok(tokenize) = modules.get_item("tokenize")
        && tokenize.getattr(intern!(py, "_builtin_open")).is_ok_and(|o| o.is(&old[0]))
    {
        tokenize.setattr(intern!(py, "_builtin_open"), &new[0])?;
    }
    Ok(())
}

/// `(finder, path inside the bale, mtime)` for a path under a mounted bale. Paths as
/// `open` takes them: str, bytes or path-like, absolute (a relative path is resolved
/// against the working folder by the system, never under a virtual path); file
/// descriptors never are.
fn locate<'py>(py: Python<'py>, path: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyTuple>>> {
    if lock(py)?.is_empty() {
        return Ok(None);
    }
    let path = if path.is_instance_of::<PyString>() || path.is_instance_of::<PyBytes>() {
        path.clone()
    } else if let Ok(fspath) = path.getattr(intern!(py, "__fspath__")) {
        fspath.call0()?
    } else {
        return Ok(None);
    };
    let text = if let Ok(s) = path.cast::<PyString>() {
        s.to_cow()?.into_owned()
    } else if let Ok(b) = path.cast::<PyBytes>() {
        // A bale's names are UTF-8: bytes that are not cannot name one of its files.
        let Ok(s) = std::str::from_utf8(b.as_bytes()) else { return Ok(None) };
        s.to_owned()
    } else {
        return Ok(None);
    };
    if !text.starts_with('/') {
        return Ok(None);
    }
    let normalized = crate::storage::absolute(&text);
    // Matched under the lock, which runs no Python code; only the finder that holds
    // the path is referenced again.
    let found = lock(py)?.iter().find_map(|finder| {
        let this = finder.bind(py).cast::<BaleFinder>().ok()?.get();
        this.relative(&normalized).map(|rel| (finder.clone_ref(py), rel.to_owned(), this.mtime))
    });
    let Some((finder, rel, mtime)) = found else { return Ok(None) };
    Ok(Some(PyTuple::new(
        py,
        [finder.into_any(), rel.into_pyobject(py)?.into_any().unbind(), mtime.into_pyobject(py)?.into_any().unbind()],
    )?))
}

/// Calls `files.py`'s `name` for a path under a bale, else the original function at
/// `index` of [`PLACES`].
fn dispatch<'py>(
    py: Python<'py>,
    index: usize,
    path: Option<Bound<'py, PyAny>>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(path) = path
        && let Some(found) = locate(py, &path)?
    {
        let mut call: Vec<Bound<'py, PyAny>> = vec![found.into_any()];
        call.extend(args.iter());
        let function = crate::assets::files(py)?.getattr(PLACES[index].1)?;
        return function.call(PyTuple::new(py, call)?, kwargs);
    }
    originals(py)?[index].bind(py).call(args, kwargs)
}

/// The path argument: positional `at`, else the keyword `name`.
fn argument<'py>(
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
    at: usize,
    name: &str,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(value) = args.get_item(at) {
        return Ok(Some(value));
    }
    match kwargs {
        Some(k) => k.get_item(name),
        None => Ok(None),
    }
}

/// Whether the call passes `dir_fd`: then the path is relative to a descriptor, and
/// the original function takes it.
fn has_dir_fd(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
    match kwargs {
        Some(k) => Ok(k.get_item("dir_fd")?.is_some_and(|v| !v.is_none())),
        None => Ok(false),
    }
}

/// The function put in place of `PLACES[$index]`: its path is the first argument or
/// the keyword `$keyword`; with `dir_fd`, a path relative to a descriptor, it is
/// never the bale's.
macro_rules! replacement {
    ($name:ident, $index:expr, $keyword:literal, $takes_dir_fd:expr) => {
        #[pyfunction(signature = (*args, **kwargs))]
        fn $name<'py>(
            py: Python<'py>,
            args: &Bound<'py, PyTuple>,
            kwargs: Option<&Bound<'py, PyDict>>,
        ) -> PyResult<Bound<'py, PyAny>> {
            let path = if $takes_dir_fd && has_dir_fd(kwargs)? { None } else { argument(args, kwargs, 0, $keyword)? };
            dispatch(py, $index, path, args, kwargs)
        }
    };
}

replacement!(open, 0, "file", false);
replacement!(open_code, 2, "path", false);
replacement!(stat, 3, "path", true);
replacement!(lstat, 4, "path", true);
replacement!(listdir, 5, "path", false);
replacement!(scandir, 6, "path", false);
