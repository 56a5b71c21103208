//! `BaleFinder`: the meta-path finder and loader of one bale (PEP 451: `find_spec`,
//! `create_module`, `exec_module`; and the `InspectLoader` and `ResourceLoader` methods
//! tracebacks, `runpy` and `pkgutil` use). Its `#[pymethods]` are the whole Python
//! surface of the class; the other protocols' work lives in their own files
//! (`path_finder.rs`, `resources.rs`, `metadata.rs`, `linecache.rs`, `native.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bale_format::{Bale, File, FileId, Module, ModuleId};
use pyo3::exceptions::{PyFileNotFoundError, PyImportError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::BaleError;
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
    /// Extension modules already loaded, by file record: the path they were opened by.
    native: Mutex<HashMap<u32, String>>,
    /// Modules run before `linecache` was imported, waiting to be registered with it
    /// (see `linecache.rs`).
    pub(crate) pending_lines: Mutex<Vec<(String, String)>>,
    /// When the bale was written (or installed, for bytes): `os.stat` answers with it.
    pub(crate) mtime: f64,
    /// Whether file access under `root` is served (see `files.rs`).
    pub(crate) mounted: std::sync::atomic::AtomicBool,
    /// Whether the JavaScript loader has prepared the extension modules (Pyodide only).
    #[cfg_attr(not(target_os = "emscripten"), allow(dead_code))]
    prepared: bool,
}

/// Where a module's code comes from, decided once per lookup.
enum Code<'a> {
    Extension(File<'a>),
    Bytecode,
    Source,
    Namespace,
}

impl BaleFinder {
    pub fn new(bale: Bale<Storage>, root: String, mtime: f64, prepared: bool) -> BaleFinder {
        BaleFinder {
            bale: Arc::new(bale),
            root,
            native: Mutex::new(HashMap::new()),
            pending_lines: Mutex::new(Vec::new()),
            mtime,
            mounted: std::sync::atomic::AtomicBool::new(false),
            prepared,
        }
    }

    /// An error naming the bale and the entry, as an ImportError subclass.
    pub(crate) fn error(&self, py: Python<'_>, name: &str, message: impl std::fmt::Display) -> PyErr {
        let err = BaleError::new_err(format!("{}: {name}: {message}", self.root));
        let value = err.value(py);
        let _ = value.setattr(intern!(py, "name"), name);
        let _ = value.setattr(intern!(py, "path"), &self.root);
        err
    }

    pub(crate) fn lookup(&self, py: Python<'_>, name: &str) -> PyResult<Option<Module<'_>>> {
        self.bale.module(name).map_err(|e| self.error(py, name, e))
    }

    fn file(&self, py: Python<'_>, id: FileId, name: &str) -> PyResult<File<'_>> {
        self.bale.file_by_id(id).map_err(|e| self.error(py, name, e))
    }

    fn code_kind<'a>(&'a self, py: Python<'_>, m: &Module<'a>) -> PyResult<Code<'a>> {
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
        let rest = path.strip_prefix(self.root.as_str())?;
        if rest.is_empty() {
            return Some("");
        }
        rest.strip_prefix('/')
    }

    /// True if `path` (a package's `__path__`, or None for the top level) holds the
    /// bale's folder for `name`'s parent, so that `name` is looked for in this bale.
    fn parent_is_here(&self, name: &str, path: &Bound<'_, PyAny>) -> PyResult<bool> {
        if path.is_none() {
            return Ok(!name.contains('.'));
        }
        let Some((parent, _)) = name.rsplit_once('.') else { return Ok(true) };
        for entry in path.try_iter()? {
            let entry = entry?;
            let Ok(entry) = entry.cast::<pyo3::types::PyString>() else { continue };
            let entry = entry.to_cow()?;
            if let Some(rel) = self.relative(&entry)
                && rel.len() == parent.len()
                && rel.bytes().zip(parent.bytes()).all(|(a, b)| a == b || (a == b'/' && b == b'.'))
            {
                return Ok(true);
            }
        }
        Ok(false)
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
    fn code(&self, py: Python<'_>, m: &Module<'_>) -> PyResult<Py<PyAny>> {
        let rt = runtime(py)?;
        let origin = self.origin(py, m)?.unwrap_or_default();
        if let Some(id) = m.bytecode {
            let payload = self.bale.payload(id).map_err(|e| self.error(py, m.name, e))?;
            let pyc = self.bale.read(&payload).map_err(|e| self.error(py, m.name, e))?;
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
        let bytes = self.bale.read_file(&file).map_err(|e| self.error(py, m.name, e))?;
        let compiled = rt.compile.bind(py).call1((PyBytes::new(py, &bytes), &origin, intern!(py, "exec"), 0, true));
        Ok(compiled?.unbind())
    }

    /// The path to `dlopen` an extension module by, made once per module (see
    /// `native.rs` for Linux, `native_emscripten.rs` for Pyodide).
    #[cfg(any(target_os = "linux", target_os = "emscripten"))]
    fn native_path(&self, py: Python<'_>, name: &str, file: &File<'_>) -> PyResult<String> {
        // Locked only around the table: loading makes Python errors. The import lock of
        // the module keeps two threads from loading the same one at once.
        let lock = || self.native.lock().map_err(|_| PyImportError::new_err("native module table poisoned"));
        if let Some(path) = lock()?.get(&file.id.0) {
            return Ok(path.clone());
        }
        #[cfg(target_os = "linux")]
        let path = crate::native::load_extension(&crate::state::state(py)?.native, &self.bale, file);
        #[cfg(target_os = "emscripten")]
        let path = crate::native::load_extension(&self.bale, file, self.virtual_path(file.path), self.prepared);
        let path = path.map_err(|e| self.error(py, name, e))?;
        lock()?.insert(file.id.0, path.clone());
        Ok(path)
    }

    #[cfg(not(any(target_os = "linux", target_os = "emscripten")))]
    fn native_path(&self, py: Python<'_>, name: &str, _: &File<'_>) -> PyResult<String> {
        let _ = &self.native;
        Err(self.error(py, name, "loading extension modules from a bale is supported on Linux and in Pyodide only"))
    }

    /// The name and the module record index a spec carries.
    fn spec_of(spec: &Bound<'_, PyAny>) -> PyResult<(String, Option<u32>)> {
        let py = spec.py();
        let name: String = spec.getattr(intern!(py, "name"))?.extract()?;
        let state: Option<u32> = spec.getattr(intern!(py, "loader_state"))?.extract().ok();
        Ok((name, state))
    }
}

#[pymethods]
impl BaleFinder {
    /// `source`: a path to a `.bale` file (memory-mapped), or any bytes-like object
    /// (used in place, not copied: do not modify it while the finder lives).
    /// `path`: the virtual path the bale is mounted at; defaults to the file's
    /// absolute path, or `/memory/<id>.bale` for bytes.
    /// `prepared`: set by the Pyodide loader, which has already compiled the bale's
    /// extension modules and registered each under its virtual path.
    #[new]
    #[pyo3(signature = (source, *, path = None, prepared = false))]
    fn py_new(py: Python<'_>, source: &Bound<'_, PyAny>, path: Option<String>, prepared: bool) -> PyResult<Self> {
        let (storage, default_root, mtime) = crate::install::open_source(py, source)?;
        let root = path.unwrap_or(default_root);
        if root.is_empty() || root.ends_with('/') {
            return Err(PyValueError::new_err(format!("the mount path {root:?} must not be empty or end with '/'")));
        }
        let bale = Bale::open(storage).map_err(|e| BaleError::new_err(format!("{root}: {e}")))?;
        Ok(BaleFinder::new(bale, root, mtime, prepared))
    }

    /// The virtual path the bale is mounted at.
    #[getter]
    fn path(&self) -> &str {
        &self.root
    }

    /// What the bale was built for, such as `cpython-3.11-x86_64-linux-gnu`, or `any`.
    #[getter]
    fn target(&self) -> &str {
        self.bale.target()
    }

    fn __repr__(&self) -> String {
        format!("<BaleFinder {} ({} modules, {})>", self.root, self.bale.module_count(), self.bale.target())
    }

    // ---- the meta-path finder ----

    #[pyo3(signature = (fullname, path = None, target = None))]
    fn find_spec(
        slf: &Bound<'_, Self>,
        fullname: &str,
        path: Option<&Bound<'_, PyAny>>,
        target: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let _ = target;
        let py = slf.py();
        let this = slf.get();
        let Some(m) = this.lookup(py, fullname)? else {
            if fullname == "linecache" {
                return crate::linecache::find_spec(slf);
            }
            return Ok(None);
        };
        // Namespace packages are assembled by the path finder from every portion on
        // the path, the bale's included (through the path hook), as on disk.
        if m.is_namespace {
            return Ok(None);
        }
        let none = py.None().into_bound(py);
        if !this.parent_is_here(fullname, path.unwrap_or(&none))? {
            return Ok(None);
        }
        this.spec(py, slf, &m).map(Some)
    }

    fn invalidate_caches(&self) {}

    // ---- the loader ----

    fn create_module(slf: &Bound<'_, Self>, spec: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        let py = slf.py();
        let this = slf.get();
        let (name, state) = Self::spec_of(spec)?;
        let m = this.module_for(py, &name, state)?;
        let Code::Extension(file) = this.code_kind(py, &m)? else { return Ok(None) };
        let rt = runtime(py)?;
        // As the path finder would: the file is `<module><suffix>` for one of this
        // interpreter's suffixes (`fast.cpython-39-x86_64-linux-gnu.so` ends in `.so`,
        // but is not `fast.so`).
        let stem = if m.is_package { "__init__" } else { name.rsplit_once('.').map_or(name.as_str(), |(_, s)| s) };
        let fits = rt.extension_suffixes.iter().any(|s| file.name().strip_prefix(stem) == Some(s.as_str()));
        if !fits {
            return Err(this.error(
                py,
                &name,
                format!(
                    "{} is an extension module for {}; this interpreter is {} (extension suffixes {:?})",
                    file.path,
                    this.bale.target(),
                    rt.host_target,
                    rt.extension_suffixes
                ),
            ));
        }
        let memory_path = this.native_path(py, &name, &file)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item(intern!(py, "origin"), &memory_path)?;
        let load_spec = rt.module_spec.bind(py).call((&name, slf), Some(&kwargs))?;
        let module = rt.create_dynamic.bind(py).call1((load_spec,))?;
        // Single-phase modules get `__file__` from the path they were loaded from.
        module.setattr(intern!(py, "__file__"), this.virtual_path(file.path))?;
        Ok(Some(module.unbind()))
    }

    fn exec_module(slf: &Bound<'_, Self>, module: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let this = slf.get();
        let (name, state) = Self::spec_of(&module.getattr(intern!(py, "__spec__"))?)?;
        let m = this.module_for(py, &name, state)?;
        let rt = runtime(py)?;
        if m.extension.is_some() {
            rt.exec_dynamic.bind(py).call1((module,))?;
            return Ok(());
        }
        let code = this.code(py, &m)?;
        if m.source.is_some() {
            crate::linecache::register(slf, Some((this.origin(py, &m)?.unwrap_or_default(), name.clone())))?;
        }
        rt.exec.bind(py).call1((code, module.getattr(intern!(py, "__dict__"))?))?;
        if name == "linecache" {
            crate::linecache::register(slf, None)?;
        }
        Ok(())
    }

    /// The code object of a module; `None` for extension modules.
    fn get_code(&self, py: Python<'_>, fullname: &str) -> PyResult<Option<Py<PyAny>>> {
        let m = self.module_for(py, fullname, None)?;
        match self.code_kind(py, &m)? {
            Code::Extension(_) => Ok(None),
            Code::Namespace => Err(self.error(py, fullname, "has no code (a namespace package)")),
            Code::Bytecode | Code::Source => self.code(py, &m).map(Some),
        }
    }

    /// The module's source text, decoded as Python decodes source, or `None`.
    fn get_source(&self, py: Python<'_>, fullname: &str) -> PyResult<Option<Py<PyAny>>> {
        let m = self.module_for(py, fullname, None)?;
        let Some(source) = m.source else { return Ok(None) };
        let file = self.file(py, source, fullname)?;
        let bytes = self.bale.read_file(&file).map_err(|e| self.error(py, fullname, e))?;
        let rt = runtime(py)?;
        Ok(Some(rt.decode_source.bind(py).call1((PyBytes::new(py, &bytes),))?.unbind()))
    }

    fn is_package(&self, py: Python<'_>, fullname: &str) -> PyResult<bool> {
        Ok(self.module_for(py, fullname, None)?.is_package)
    }

    fn get_filename(&self, py: Python<'_>, fullname: &str) -> PyResult<String> {
        let m = self.module_for(py, fullname, None)?;
        self.origin(py, &m)?.ok_or_else(|| self.error(py, fullname, "a namespace package has no file"))
    }

    /// The bytes of a file of the bale, by its virtual path.
    fn get_data<'py>(&self, py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyBytes>> {
        let not_found = || PyFileNotFoundError::new_err((2, "No such file in the bale", path.to_owned()));
        let rel = self.relative(path).ok_or_else(not_found)?;
        let file = self.bale.file(rel).map_err(|e| self.error(py, rel, e))?.ok_or_else(not_found)?;
        if file.is_dir() {
            return Err(not_found());
        }
        let bytes = self.bale.read_file(&file).map_err(|e| self.error(py, rel, e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    // ---- resources and metadata ----

    /// `importlib.resources` support: the package's folder as a Traversable.
    fn get_resource_reader(slf: &Bound<'_, Self>, fullname: &str) -> PyResult<Py<PyAny>> {
        crate::resources::reader(slf, fullname)
    }

    /// `importlib.metadata` support: the distributions whose `.dist-info` the bale holds.
    #[pyo3(signature = (context = None))]
    fn find_distributions(slf: &Bound<'_, Self>, context: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        crate::metadata::find_distributions(slf, context)
    }

    // ---- installing ----

    /// Puts this finder on `sys.meta_path` (as `bale.install` does).
    #[pyo3(signature = (*, files = true))]
    fn install(slf: &Bound<'_, Self>, files: bool) -> PyResult<()> {
        crate::install::activate(slf.py(), slf, files)
    }

    /// Removes this finder from `sys.meta_path`, its path from `sys.path` and the
    /// path importer cache, and the path hook if no bale is left installed. Modules
    /// already imported stay imported.
    fn uninstall(slf: &Bound<'_, Self>) -> PyResult<()> {
        crate::install::deactivate(slf.py(), slf)
    }

    // ---- primitives for the Python helpers (support.py, files.py, run.py) ----

    /// What is at `rel` in the bale: `None`, or `(is_folder, size)` ("" is the root).
    fn _entry(&self, py: Python<'_>, rel: &str) -> PyResult<Option<(bool, u64)>> {
        crate::resources::entry(self, py, rel)
    }

    /// The path inside the bale of a virtual path under its root, or None.
    #[pyo3(name = "_relative")]
    fn py_relative(&self, path: &str) -> Option<String> {
        self.relative(path).map(str::to_owned)
    }

    /// The names in a folder of the bale, sorted.
    fn _listdir(&self, py: Python<'_>, rel: &str) -> PyResult<Vec<String>> {
        crate::resources::listdir(self, py, rel)
    }

    fn _read<'py>(&self, py: Python<'py>, rel: &str) -> PyResult<Bound<'py, PyBytes>> {
        self.get_data(py, &self.virtual_path(rel))
    }

    /// Submodules of a package (or top-level modules for ""): (name, is_package), as
    /// `pkgutil` lists them.
    fn _iter_modules(&self, py: Python<'_>, package: &str) -> PyResult<Vec<(String, bool)>> {
        crate::path_finder::iter_modules(self, py, package)
    }

    /// Folder names of the distribution metadata at the top of the bale.
    fn _dist_info(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        crate::metadata::dist_info(self, py)
    }
}
