//! `BaleFinder`: one installed bale, and reading its modules: their specs, their code
//! (bytecode in place, or source compiled), their extension modules. The import
//! protocols are built on it in their own files; `loader.rs` holds its Python
//! methods.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bale_format::{Bale, File, FileId, Module, ModuleId, PayloadId};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::error::BaleError;
use crate::misses::MissLog;
use crate::native::{NativeMode, Natives};
use crate::rest::Rest;
use crate::state::runtime;
use crate::storage::Storage;

/// Finds and loads the modules of one bale, and serves its files, resources and
/// distribution metadata. One object per installed bale: it is both the finder on
/// `sys.meta_path` and the loader of every module it finds.
#[pyclass(frozen, module = "bale")]
pub struct BaleFinder {
    pub(crate) bale: Arc<Bale<Storage>>,
    /// The virtual path the bale is mounted at: module `a.b` is `{root}/a/b.py`.
    pub(crate) root: String,
    /// Its extension modules and the libraries they need (see `native/`).
    native: Natives,
    /// Modules run before `linecache` was imported, waiting to be registered with it
    /// (see `linecache.rs`).
    pub(crate) pending_lines: Mutex<Vec<(String, String)>>,
    /// When the bale was written (or installed, for bytes): `os.stat` answers with it.
    pub(crate) mtime: f64,
    /// Whether file access under `root` is served (see `files.rs`).
    pub(crate) mounted: std::sync::atomic::AtomicBool,
    /// The bale's rest bale, if it has one.
    pub(crate) rest: Option<Arc<RestLink>>,
    /// For the finder of a rest bale: where its misses are recorded, and the bale's
    /// finder, whose files it also serves.
    pub(crate) misses: Option<Arc<MissLog>>,
    pub(crate) main: Option<Py<BaleFinder>>,
    /// For a rest bale opened by its index: `fetch(offset, length) -> bytes`, which
    /// brings a payload's stored bytes (the Pyodide loader's Range requests).
    fetch: Option<Py<PyAny>>,
    /// What `fetch` brought, decoded, by payload: each payload is fetched once.
    fetched: Mutex<HashMap<u32, Arc<[u8]>>>,
}

/// A bale's rest bale as the bale's finder holds it: where it is and what it served
/// (`rest.rs`), and its own finder, made at the first miss.
pub struct RestLink {
    pub rest: Rest,
    /// Where the rest bale's native code loads from: as the bale's.
    native: NativeMode,
    opened: PyOnceLock<Result<Py<BaleFinder>, String>>,
    /// The bale's finder, once installed (see [`RestLink::set_main`]).
    main: PyOnceLock<Py<BaleFinder>>,
}

impl RestLink {
    pub fn new(rest: Rest, native: NativeMode) -> RestLink {
        RestLink { rest, native, opened: PyOnceLock::new(), main: PyOnceLock::new() }
    }

    /// The rest bale's finder, opened and checked the first time; or why it cannot be.
    pub fn finder<'py>(&self, py: Python<'py>) -> Result<&Bound<'py, BaleFinder>, &str> {
        let opened = self.opened.get_or_init(py, || {
            let opened = self.rest.open()?;
            // The JavaScript loader prepares only the bale's own native files.
            let natives = Natives::new(self.native, false);
            let mut finder = BaleFinder::new(opened.bale, self.rest.root.clone(), opened.mtime, natives);
            finder.misses = Some(self.rest.log.clone());
            finder.fetch = opened.fetch;
            finder.main = self.main.get(py).map(|m| m.clone_ref(py));
            Py::new(py, finder).map_err(|e| e.to_string())
        });
        match opened {
            Ok(finder) => Ok(finder.bind(py)),
            Err(why) => Err(why.as_str()),
        }
    }

    /// The module `name` from the rest bale: its finder and record; an error that says
    /// why when the rest bale cannot be read.
    pub fn find<'a, 'py>(
        &'a self,
        py: Python<'py>,
        name: &str,
    ) -> PyResult<Option<(&'a Bound<'py, BaleFinder>, Module<'a>)>> {
        let finder = self.finder(py).map_err(|why| self.rest.module_error(py, name, why))?;
        Ok(finder.get().lookup(py, name)?.map(|m| (finder, m)))
    }

    /// Links the rest bale's finder back to the bale's (set when the bale is
    /// installed): a module from the rest bale may read files the bale holds.
    pub fn set_main(&self, py: Python<'_>, main: &Bound<'_, BaleFinder>) {
        let _ = self.main.set(py, main.clone().unbind());
    }
}

/// Where a module's code comes from, decided once per lookup.
pub(crate) enum Code<'a> {
    Extension(File<'a>),
    Bytecode,
    Source,
    Namespace,
}

impl BaleFinder {
    pub fn new(bale: Bale<Storage>, root: String, mtime: f64, native: Natives) -> BaleFinder {
        BaleFinder {
            bale: Arc::new(bale),
            root,
            native,
            pending_lines: Mutex::new(Vec::new()),
            mtime,
            mounted: std::sync::atomic::AtomicBool::new(false),
            rest: None,
            misses: None,
            main: None,
            fetch: None,
            fetched: Mutex::new(HashMap::new()),
        }
    }

    /// The rest bale's finder, when the bale has a rest bale that can be read: what
    /// file access and listings fall back on.
    pub(crate) fn rest_finder<'py>(&self, py: Python<'py>) -> Option<&Bound<'py, BaleFinder>> {
        let rest = self.rest.as_ref()?;
        match rest.finder(py) {
            Ok(finder) => Some(finder),
            Err(why) => {
                // Said once; a filter that makes warnings errors cannot fail a listing.
                let _ = rest.rest.warn_unavailable(py, why);
                None
            }
        }
    }

    /// The other half of what a bale and its rest bale hold together, for listings
    /// and file access: the rest bale's finder for the bale's, the bale's for the
    /// rest bale's. Each serves its own entries and then the other's own, never more,
    /// so that neither asks the other back.
    pub(crate) fn other<'py>(&'py self, py: Python<'py>) -> Option<Bound<'py, BaleFinder>> {
        match &self.main {
            Some(main) => Some(main.bind(py).clone()),
            None => self.rest_finder(py).cloned(),
        }
    }

    /// A file of this bale alone by its path inside, read (a miss recorded for a rest
    /// bale's); `None` if it holds no such file.
    pub(crate) fn own_data<'py>(&self, py: Python<'py>, rel: &str) -> PyResult<Option<Bound<'py, PyBytes>>> {
        match self.bale.file(rel).map_err(|e| self.error(py, rel, e))? {
            Some(file) if !file.is_dir() => {
                self.record_miss(py, None, rel)?;
                let bytes = self.read_file(py, &file)?;
                Ok(Some(PyBytes::new(py, &bytes)))
            }
            _ => Ok(None),
        }
    }

    /// A payload's content: from the bale's bytes, or, for a rest bale opened by its
    /// index, fetched, then checked and decoded.
    pub(crate) fn read_payload(&self, py: Python<'_>, id: PayloadId, entry: &str) -> PyResult<Cow<'_, [u8]>> {
        let payload = self.bale.payload(id).map_err(|e| self.error(py, entry, e))?;
        match (self.bale.read(&payload), &self.fetch) {
            // Nothing to fetch (an HTTP range cannot even say zero bytes).
            (Err(_), _) if payload.stored_size == 0 => {
                let content = self.bale.decode(&payload, &[]).map_err(|e| self.error(py, entry, e))?;
                Ok(Cow::Owned(content.into_owned()))
            }
            (Err(e), Some(fetch)) if matches!(e.root(), bale_format::Error::Absent { .. }) => {
                let cache = || self.fetched.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(content) = cache().get(&id.0) {
                    return Ok(Cow::Owned(content.to_vec()));
                }
                let fetched = fetch.bind(py).call1((payload.offset, payload.stored_size)).map_err(|e| {
                    // An interrupt or a lack of memory stays what it is.
                    if !e.is_instance_of::<pyo3::exceptions::PyException>(py) {
                        return e;
                    }
                    self.error(py, entry, format!("fetching it from the rest bale failed: {}", e.value(py)))
                })?;
                // Pyodide hands a JavaScript Uint8Array over as a proxy: its bytes.
                let fetched = match fetched.hasattr(intern!(py, "to_bytes"))? {
                    true => fetched.call_method0(intern!(py, "to_bytes"))?,
                    false => fetched,
                };
                let buffer = crate::storage::Buffer::new(&fetched)?;
                let content = self.bale.decode(&payload, buffer.as_slice()).map_err(|e| self.error(py, entry, e))?;
                let content: Arc<[u8]> = content.into();
                cache().insert(id.0, content.clone());
                Ok(Cow::Owned(content.to_vec()))
            }
            (read, _) => read.map_err(|e| self.error(py, entry, e)),
        }
    }

    /// A file's content (see [`BaleFinder::read_payload`]).
    pub(crate) fn read_file(&self, py: Python<'_>, file: &File<'_>) -> PyResult<Cow<'_, [u8]>> {
        match file.payload {
            Some(id) => self.read_payload(py, id, file.path),
            None => Ok(Cow::Borrowed(&[])),
        }
    }

    /// An error naming the bale and the entry, as an ImportError subclass.
    pub(crate) fn error(&self, py: Python<'_>, name: &str, message: impl std::fmt::Display) -> PyErr {
        // A rest bale's entries are under the bale's path, but the damage is in it.
        let bale = self.misses.as_ref().map_or(self.root.as_str(), |log| log.rest.as_str());
        let err = BaleError::new_err(format!("{bale}: {name}: {message}"));
        let value = err.value(py);
        let _ = value.setattr(intern!(py, "name"), name);
        let _ = value.setattr(intern!(py, "path"), &self.root);
        err
    }

    pub(crate) fn lookup(&self, py: Python<'_>, name: &str) -> PyResult<Option<Module<'_>>> {
        self.bale.module(name).map_err(|e| self.error(py, name, e))
    }

    pub(crate) fn file(&self, py: Python<'_>, id: FileId, name: &str) -> PyResult<File<'_>> {
        self.bale.file_by_id(id).map_err(|e| self.error(py, name, e))
    }

    pub(crate) fn code_kind<'a>(&'a self, py: Python<'_>, m: &Module<'a>) -> PyResult<Code<'a>> {
        Ok(if let Some(ext) = m.extension {
            Code::Extension(self.file(py, ext, m.name)?)
        } else if m.bytecode.is_some() {
            Code::Bytecode
        } else if m.source.is_some() {
            Code::Source
        } else {
            Code::Namespace
        })
    }

    pub(crate) fn virtual_path(&self, rel: &str) -> String {
        if rel.is_empty() { self.root.clone() } else { format!("{}/{rel}", self.root) }
    }

    /// The file a module's `__file__` names: its extension, its source, or where its
    /// `.pyc` would be for a module with bytecode only (as CPython's sourceless loader).
    pub(crate) fn origin(&self, py: Python<'_>, m: &Module<'_>) -> PyResult<Option<String>> {
        Ok(match (m.extension, m.source) {
            (Some(f), _) | (None, Some(f)) => Some(self.virtual_path(self.file(py, f, m.name)?.path)),
            (None, None) if m.bytecode.is_some() => {
                let base = m.name.replace('.', "/");
                Some(self.virtual_path(&if m.is_package {
                    format!("{base}/__init__.pyc")
                } else {
                    format!("{base}.pyc")
                }))
            }
            _ => None,
        })
    }

    /// A relative path inside the bale for a virtual path under its root.
    pub(crate) fn relative<'p>(&self, path: &'p str) -> Option<&'p str> {
        relative(&self.root, path)
    }

    /// True if `path` (a package's `__path__`, or None for the top level) holds the
    /// bale's folder for `name`'s parent, so that `name` is looked for in this bale.
    pub(crate) fn parent_is_here(&self, name: &str, path: &Bound<'_, PyAny>) -> PyResult<bool> {
        parent_is_here(&self.root, name, path)
    }

    pub(crate) fn spec(&self, py: Python<'_>, slf: &Bound<'_, Self>, m: &Module<'_>) -> PyResult<Py<PyAny>> {
        let rt = runtime(py)?;
        let origin = self.origin(py, m)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item(intern!(py, "origin"), &origin)?;
        kwargs.set_item(intern!(py, "loader_state"), m.id.0)?;
        kwargs.set_item(intern!(py, "is_package"), m.is_package)?;
        let spec = rt.module_spec.bind(py).call((m.name, slf), Some(&kwargs))?;
        if origin.is_some() {
            spec.setattr(intern!(py, "has_location"), true)?;
        }
        if m.is_package {
            let dir = m.name.replace('.', "/");
            spec.setattr(intern!(py, "submodule_search_locations"), PyList::new(py, [self.virtual_path(&dir)])?)?;
        }
        Ok(spec.unbind())
    }

    /// The module a spec or name refers to: by the record index the spec carries, or
    /// by name for specs made elsewhere.
    pub(crate) fn module_for(&self, py: Python<'_>, name: &str, state: Option<u32>) -> PyResult<Module<'_>> {
        if let Some(id) = state
            && let Ok(m) = self.bale.module_by_id(ModuleId(id))
            && m.name == name
        {
            return Ok(m);
        }
        self.lookup(py, name)?.ok_or_else(|| self.error(py, name, "no such module in this bale"))
    }

    /// The code object of a module with bytecode or source.
    pub(crate) fn code(&self, py: Python<'_>, m: &Module<'_>) -> PyResult<Py<PyAny>> {
        let rt = runtime(py)?;
        let origin = self.origin(py, m)?.unwrap_or_default();
        if let Some(id) = m.bytecode {
            let pyc = self.read_payload(py, id, m.name)?;
            if pyc.len() >= 16 && pyc[..4] == rt.magic {
                let code = rt
                    .unmarshal(py, &pyc[16..])
                    .map_err(|e| self.error(py, m.name, format!("bytecode does not load: {}", e.value(py))))?;
                rt.fix_co_filename.bind(py).call1((&code, &origin))?;
                return Ok(code.unbind());
            }
            if m.source.is_none() {
                return Err(self.error(
                    py,
                    m.name,
                    format!(
                        "the bale was packed for {} and holds this module as bytecode only; \
                         this interpreter is {} and cannot load that bytecode (repack with --content both or source)",
                        self.bale.target(),
                        rt.host_target
                    ),
                ));
            }
        }
        let Some(source) = m.source else {
            return Err(self.error(py, m.name, "has no code (a namespace package)"));
        };
        let file = self.file(py, source, m.name)?;
        let bytes = self.read_file(py, &file)?;
        let compiled = rt.compile.bind(py).call1((PyBytes::new(py, &bytes), &origin, intern!(py, "exec"), 0, true));
        Ok(compiled?.unbind())
    }

    /// The path to `dlopen` an extension module by (see `native/`), made once per
    /// module; a warning the native code asks for is given here.
    pub(crate) fn native_path(&self, py: Python<'_>, name: &str, file: &File<'_>) -> PyResult<String> {
        let read = || self.read_file(py, file).map(Cow::into_owned).map_err(|e| e.value(py).to_string());
        let process = &crate::state::state(py)?.native;
        let loadable = self.native.load(process, &self.bale, file, self.virtual_path(file.path), read);
        let loadable = loadable.map_err(|e| self.error(py, name, e))?;
        for warning in loadable.warnings {
            let warning = std::ffi::CString::new(warning).unwrap_or_default();
            let _ = PyErr::warn(py, &py.get_type::<pyo3::exceptions::PyRuntimeWarning>(), &warning, 1);
        }
        Ok(loadable.path)
    }

    /// Records that this finder, a rest bale's, served a module or a file the bale
    /// lacked; nothing for a bale's own finder.
    pub(crate) fn record_miss(&self, py: Python<'_>, module: Option<&str>, path: &str) -> PyResult<()> {
        match &self.misses {
            Some(log) => crate::rest::record_miss(py, log, module, path),
            None => Ok(()),
        }
    }

    /// The file a module's miss names: what `bale pack --include-from` adds. Its
    /// extension module or source, else the source its bytecode was compiled from
    /// (`a/b.py`, `a/b/__init__.py`). A namespace package has none (its submodules are
    /// misses of their own).
    pub(crate) fn miss_path(&self, py: Python<'_>, m: &Module<'_>) -> PyResult<Option<String>> {
        if let Some(id) = m.extension.or(m.source) {
            return Ok(Some(self.file(py, id, m.name)?.path.to_owned()));
        }
        let base = m.name.replace('.', "/");
        Ok(match (m.bytecode, m.is_package) {
            (None, _) => None,
            (Some(_), true) => Some(format!("{base}/__init__.py")),
            (Some(_), false) => Some(format!("{base}.py")),
        })
    }

    /// The name and the module record index a spec carries.
    pub(crate) fn spec_of(spec: &Bound<'_, PyAny>) -> PyResult<(String, Option<u32>)> {
        let py = spec.py();
        let name: String = spec.getattr(intern!(py, "name"))?.extract()?;
        let state: Option<u32> = spec.getattr(intern!(py, "loader_state"))?.extract().ok();
        Ok((name, state))
    }
}

/// A relative path inside a bale mounted at `root`, for a virtual path under it.
fn relative<'p>(root: &str, path: &'p str) -> Option<&'p str> {
    let inside = path.strip_prefix(root)?;
    if inside.is_empty() {
        return Some("");
    }
    inside.strip_prefix('/')
}

/// True if `path` (a package's `__path__`, or None for the top level) holds the folder
/// of a bale mounted at `root` for `name`'s parent, so that `name` is looked for there.
pub(crate) fn parent_is_here(root: &str, name: &str, path: &Bound<'_, PyAny>) -> PyResult<bool> {
    if path.is_none() {
        return Ok(!name.contains('.'));
    }
    let Some((parent, _)) = name.rsplit_once('.') else { return Ok(true) };
    for entry in path.try_iter()? {
        let entry = entry?;
        let Ok(entry) = entry.cast::<pyo3::types::PyString>() else { continue };
        let entry = entry.to_cow()?;
        if let Some(rel) = relative(root, &entry)
            && rel.len() == parent.len()
            && rel.bytes().zip(parent.bytes()).all(|(a, b)| a == b || (a == b'/' && b == b'.'))
        {
            return Ok(true);
        }
    }
    Ok(false)
}
