//! Putting a bale in place and taking it out: opening what `install` is given (a path,
//! mapped; bytes, read in place; a framed bale, decoded) and its rest bale into a
//! finder, and everything `install` changes in `sys` (`meta_path`, `path`,
//! `path_hooks`, the path importer cache, `excepthook` before 3.13), undone by
//! `uninstall`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use pyo3::exceptions::{PyBaseException, PyValueError};
#[cfg(not(target_family = "wasm"))]
use pyo3::exceptions::{PyIsADirectoryError, PyOSError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};

use crate::error::BaleError;
use crate::finder::{BaleFinder, RestLink};
use crate::native::{NativeMode, Natives};
use crate::program::{self, ProgramRest};
use crate::rest::{Rest, RestSource};
use crate::rest_finder::RestFinder;
use crate::state::state;
use crate::storage::{Storage, absolute, modified, seconds};

/// What a finder is made of, as `BaleFinder(...)` and `install(...)` take it (see
/// `BaleFinder.__new__`).
pub struct Given<'a, 'py> {
    pub source: &'a Bound<'py, PyAny>,
    pub path: Option<String>,
    pub prepared: bool,
    pub native: Option<&'a str>,
    pub rest: RestGiven<'a, 'py>,
}

/// Opens a bale and its rest bale into a finder, not yet installed.
pub fn new_finder(py: Python<'_>, given: Given<'_, '_>) -> PyResult<BaleFinder> {
    let native = NativeMode::choose(given.native, program::get().map(|p| p.native)).map_err(PyValueError::new_err)?;
    let opened = open_source(py, given.source)?;
    let root = given.path.unwrap_or(opened.root);
    if root.is_empty() || root.ends_with('/') {
        return Err(PyValueError::new_err(format!("the mount path {root:?} must not be empty or end with '/'")));
    }
    let program = matches!(opened.storage, Storage::Static(_));
    let bale = bale_format::Bale::open(opened.storage).map_err(|e| BaleError::new_err(format!("{root}: {e}")))?;
    let beside = RestDefault { file: opened.file.as_deref(), program };
    let rest = rest_of(py, &bale, &root, beside, given.rest)?;
    let mut finder = BaleFinder::new(bale, root, opened.mtime, Natives::new(native, given.prepared));
    finder.rest = rest.map(|rest| Arc::new(RestLink::new(rest, native)));
    Ok(finder)
}

/// What `install` was given, opened.
pub struct Opened {
    pub storage: Storage,
    /// The default virtual path to mount it at: the file's absolute path, or
    /// `/memory/N.bale` for bytes.
    pub root: String,
    /// The time its files appear to have.
    pub mtime: f64,
    /// The file's absolute path, when given a path.
    pub file: Option<String>,
}

/// Opens a path (memory-mapped) or a bytes-like object (used in place).
pub fn open_source(py: Python<'_>, source: &Bound<'_, PyAny>) -> PyResult<Opened> {
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
        let storage = map_file(py, &root, &path)?;
        let mtime = modified(&root);
        return Ok(Opened { storage: unframed(storage, &path)?, root: root.clone(), mtime, file: Some(root) });
    }
    let storage = Storage::from_object(source, program::get().map(|p| p.bale))?;
    let root = format!("/memory/{}.bale", state(py)?.memory_bales.fetch_add(1, Ordering::Relaxed));
    Ok(Opened { storage: unframed(storage, &root)?, root, mtime: seconds(std::time::SystemTime::now()), file: None })
}

/// A bale file's bytes: mapped, or read where nothing maps (WebAssembly). Errors as
/// `open` would raise them.
fn map_file(py: Python<'_>, root: &str, path: &str) -> PyResult<Storage> {
    #[cfg(not(target_family = "wasm"))]
    return Storage::map(std::path::Path::new(root)).map_err(|e| {
        let strerror = |code: i32| py.import("os")?.call_method1("strerror", (code,))?.extract::<String>();
        match e.raw_os_error() {
            Some(code) => PyOSError::new_err((code, strerror(code).unwrap_or_else(|_| e.to_string()), path.to_owned())),
            None if std::path::Path::new(root).is_dir() => {
                PyIsADirectoryError::new_err((21, "Is a directory", path.to_owned()))
            }
            None => PyOSError::new_err(format!("{path}: {e}")),
        }
    });
    #[cfg(target_family = "wasm")]
    {
        let _ = path;
        Storage::from_object(&py.import("builtins")?.call_method1("open", (root, "rb"))?.call_method0("read")?, None)
    }
}

/// The rest bale `install` was told of (see `BaleFinder.__new__`).
pub struct RestGiven<'a, 'py> {
    pub rest: Option<&'a Bound<'py, PyAny>>,
    pub fetch: Option<Py<PyAny>>,
    pub name: Option<String>,
    pub via: Option<String>,
}

/// Where a bale's rest bale is when nothing is said: beside the bale's file, or
/// beside the running program (`PROGRAM.rest.bale`) for the program's own bale.
pub struct RestDefault<'a> {
    pub file: Option<&'a str>,
    pub program: bool,
}

/// The rest bale of `bale`, if it names one and one is to be used.
pub fn rest_of(
    py: Python<'_>,
    bale: &bale_format::Bale<Storage>,
    root: &str,
    beside: RestDefault<'_>,
    given: RestGiven<'_, '_>,
) -> PyResult<Option<Rest>> {
    let off = given.rest.is_some_and(|r| r.is_instance_of::<PyBool>() && !r.is_truthy().unwrap_or(true));
    let auto = given.rest.is_none_or(|r| r.is_instance_of::<PyBool>());
    let named = bale.rest().map_err(|e| BaleError::new_err(format!("{root}: {e}")))?;
    let Some((file_name, _)) = named else {
        if !auto {
            return Err(PyValueError::new_err(format!("{root} names no rest bale: it was packed without --rest")));
        }
        return Ok(None);
    };
    if off {
        return Ok(None);
    }
    let source = match given.rest {
        Some(r) if !auto && r.is_instance_of::<PyBaseException>() => RestSource::Unavailable(r.str()?.to_string()),
        Some(r) if !auto && (r.is_instance_of::<PyString>() || r.hasattr(intern!(py, "__fspath__"))?) => {
            let path: String = py.import("os")?.call_method1("fspath", (r,))?.extract()?;
            RestSource::Path(absolute(&path))
        }
        Some(r) if !auto => RestSource::Bytes { storage: Storage::from_object(r, None)?, fetch: given.fetch },
        _ => match (beside.file, beside.program, program::get().map(|p| &p.rest)) {
            (Some(file), _, _) => {
                let folder = file.rsplit_once('/').map_or("", |(folder, _)| folder);
                RestSource::Path(format!("{folder}/{file_name}"))
            }
            (None, true, Some(ProgramRest::Beside(path))) => RestSource::Path(path.clone()),
            (None, true, Some(ProgramRest::Carried(bytes))) => {
                RestSource::Bytes { storage: Storage::Static(bytes), fetch: None }
            }
            _ => return Ok(None),
        },
    };
    let name = given.name.unwrap_or_else(|| match &source {
        RestSource::Path(path) => path.clone(),
        RestSource::Bytes { storage: Storage::Static(_), .. } => format!("{file_name} (inside this program)"),
        _ => file_name.to_owned(),
    });
    Ok(Some(Rest::new(py, bale, root, name, source, given.via)?))
}

/// The bale itself, for a framed bale (format-spec §10.4): decoded into memory.
fn unframed(storage: Storage, name: &str) -> PyResult<Storage> {
    if !bale_format::frame::is_framed(storage.as_ref()) {
        return Ok(storage);
    }
    let bale = bale_format::frame::unframe(storage.as_ref()).map_err(|e| BaleError::new_err(format!("{name}: {e}")))?;
    Ok(Storage::Owned(bale))
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
    // The rest bale is looked in last, after every other finder.
    if let Some(link) = &finder.get().rest {
        link.set_main(py, finder);
        sys.getattr("meta_path")?.call_method1("append", (RestFinder { link: link.clone() },))?;
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
    let rest = finder.get().rest.clone();
    remove_all(&sys.getattr("meta_path")?, |item| {
        item.is(finder)
            || item.cast::<RestFinder>().is_ok_and(|r| rest.as_ref().is_some_and(|own| Arc::ptr_eq(&r.get().link, own)))
    })?;
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
