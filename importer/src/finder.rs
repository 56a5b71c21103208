//! `BaleFinder`: the meta-path finder and loader of one bale, and `BalePathFinder`,
//! its path-entry finder for the bale's virtual folders.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bale_format::{Bale, File, FileKind, Module, ModuleId};
use pyo3::exceptions::{PyFileNotFoundError, PyImportError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::{IntoPyObjectExt, intern};

use crate::BaleError;
use crate::runtime::Runtime;
use crate::storage::Storage;

/// Finds and loads the modules of one bale, and serves its files, resources and
/// distribution metadata. One object per installed bale: it is both the finder on
/// `sys.meta_path` and the loader of every module it finds.
#[pyclass(frozen, module = "bale")]
pub struct BaleFinder {
    pub(crate) bale: Arc<Bale<Storage>>,
    /// The virtual path the bale is mounted at: module `a.b` is `{root}/a/b.py`.
    pub(crate) root: String,
    /// Extension modules already written to memory files, by file record.
    native: Mutex<HashMap<u32, String>>,
    /// Modules run before `linecache` was imported, as (file, module name): registered
    /// with `linecache.lazycache` once it is (see `lines`).
    pending_lines: Mutex<Vec<(String, String)>>,
    /// When the bale was written (or installed, for bytes): `os.stat` answers with it.
    pub(crate) mtime: f64,
    /// Whether file access under `root` is served (see `files.py`).
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
    fn error(&self, py: Python<'_>, name: &str, message: impl std::fmt::Display) -> PyErr {
        let err = BaleError::new_err(format!("{}: {name}: {message}", self.root));
        let value = err.value(py);
        let _ = value.setattr(intern!(py, "name"), name);
        let _ = value.setattr(intern!(py, "path"), &self.root);
        err
    }

    fn lookup(&self, py: Python<'_>, name: &str) -> PyResult<Option<Module<'_>>> {
        self.bale.module(name).map_err(|e| self.error(py, name, e))
    }

    fn file(&self, py: Python<'_>, id: bale_format::FileId, name: &str) -> PyResult<File<'_>> {
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
    fn origin(&self, py: Python<'_>, m: &Module<'_>) -> PyResult<Option<String>> {
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
            let Ok(entry) = entry.cast::<PyString>() else { continue };
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
        let rt = Runtime::get(py)?;
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
    fn module_for(&self, py: Python<'_>, name: &str, state: Option<u32>) -> PyResult<Module<'_>> {
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
        let rt = Runtime::get(py)?;
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

    /// Lets `linecache` find the source of a module by file name alone, as warnings
    /// look lines up, through `linecache.lazycache`. Until `linecache` is imported
    /// (importing it early would cost more than a whole small app), modules wait in
    /// `pending_lines`; the import of `linecache` flushes them (see `find_spec`).
    pub(crate) fn register_lines(slf: &Bound<'_, Self>, new: Option<(String, String)>) -> PyResult<()> {
        let py = slf.py();
        // The lock is never held across a call into Python: such a call can let
        // another thread run, and that thread may wait here while holding the GIL.
        let lock = || slf.get().pending_lines.lock().map_err(|_| PyImportError::new_err("line table poisoned"));
        lock()?.extend(new);
        let modules = py.import("sys")?.getattr(intern!(py, "modules"))?;
        // While `linecache` itself runs (from this bale), it is in sys.modules without
        // `lazycache` yet: the entries wait for the end of its exec_module.
        let Ok(lazycache) =
            modules.get_item(intern!(py, "linecache")).and_then(|m| m.getattr(intern!(py, "lazycache")))
        else {
            return Ok(());
        };
        let pending = std::mem::take(&mut *lock()?);
        for (origin, name) in pending {
            let globals = PyDict::new(py);
            globals.set_item(intern!(py, "__name__"), name)?;
            globals.set_item(intern!(py, "__loader__"), slf)?;
            lazycache.call1((origin, globals))?;
        }
        Ok(())
    }

    /// The spec the rest of the import system gives `linecache`, with its loader
    /// wrapped so that pending modules are registered as soon as it has run.
    fn hook_linecache(&self, slf: &Bound<'_, Self>) -> PyResult<Option<Py<PyAny>>> {
        let py = slf.py();
        let meta_path = py.import("sys")?.getattr(intern!(py, "meta_path"))?;
        let mut after_me = false;
        for finder in meta_path.try_iter()? {
            let finder = finder?;
            if finder.is(slf) {
                after_me = true;
                continue;
            }
            if !after_me || !finder.hasattr(intern!(py, "find_spec"))? {
                continue;
            }
            let spec = finder.call_method1(intern!(py, "find_spec"), ("linecache", py.None(), py.None()))?;
            if spec.is_none() {
                continue;
            }
            let loader = spec.getattr(intern!(py, "loader"))?;
            if !loader.is_none() {
                let hook = Bound::new(
                    py,
                    crate::finder::LinecacheLoader { loader: loader.unbind(), finder: slf.clone().unbind() },
                )?;
                spec.setattr(intern!(py, "loader"), hook)?;
            }
            return Ok(Some(spec.unbind()));
        }
        Ok(None)
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
        let path = crate::native::load_extension(&self.bale, file);
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
        let (storage, default_root, mtime) = crate::open_source(py, source)?;
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
            if fullname == "linecache" && !this.pending_lines.lock().map(|p| p.is_empty()).unwrap_or(true) {
                return this.hook_linecache(slf);
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

    fn create_module(slf: &Bound<'_, Self>, spec: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        let py = slf.py();
        let this = slf.get();
        let name: String = spec.getattr(intern!(py, "name"))?.extract()?;
        let state: Option<u32> = spec.getattr(intern!(py, "loader_state"))?.extract().ok();
        let m = this.module_for(py, &name, state)?;
        let Code::Extension(file) = this.code_kind(py, &m)? else { return Ok(None) };
        let rt = Runtime::get(py)?;
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
        let spec = module.getattr(intern!(py, "__spec__"))?;
        let name: String = spec.getattr(intern!(py, "name"))?.extract()?;
        let state: Option<u32> = spec.getattr(intern!(py, "loader_state"))?.extract().ok();
        let m = this.module_for(py, &name, state)?;
        let rt = Runtime::get(py)?;
        if m.extension.is_some() {
            rt.exec_dynamic.bind(py).call1((module,))?;
            return Ok(());
        }
        let code = this.code(py, &m)?;
        if m.source.is_some() {
            Self::register_lines(slf, Some((this.origin(py, &m)?.unwrap_or_default(), name.clone())))?;
        }
        rt.exec.bind(py).call1((code, module.getattr(intern!(py, "__dict__"))?))?;
        if name == "linecache" {
            Self::register_lines(slf, None)?;
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
        let rt = Runtime::get(py)?;
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

    /// `importlib.resources` support: the package's folder as a Traversable.
    fn get_resource_reader(slf: &Bound<'_, Self>, fullname: &str) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let m = this.module_for(py, fullname, None)?;
        let dir = if m.is_package {
            m.name.replace('.', "/")
        } else {
            m.name.rsplit_once('.').map_or(String::new(), |(p, _)| p.replace('.', "/"))
        };
        Ok(crate::support::module(py)?.getattr(intern!(py, "resource_reader"))?.call1((slf, dir))?.unbind())
    }

    /// `importlib.metadata` support: the distributions whose `.dist-info` the bale holds.
    #[pyo3(signature = (context = None))]
    fn find_distributions(slf: &Bound<'_, Self>, context: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let support = crate::support::module(py)?;
        Ok(support.getattr(intern!(py, "find_distributions"))?.call1((slf, context))?.unbind())
    }

    fn invalidate_caches(&self) {}

    /// Puts this finder on `sys.meta_path` (as `bale.install` does).
    #[pyo3(signature = (*, files = true))]
    fn install(slf: &Bound<'_, Self>, files: bool) -> PyResult<()> {
        crate::activate(slf.py(), slf, files)
    }

    /// Removes this finder from `sys.meta_path`, its path from `sys.path` and the
    /// path importer cache, and the path hook if no bale is left installed. Modules
    /// already imported stay imported.
    fn uninstall(slf: &Bound<'_, Self>) -> PyResult<()> {
        crate::deactivate(slf.py(), slf)
    }

    // ---- primitives for the Python helpers ----

    /// 0 if `rel` is not in the bale, 1 for a file, 2 for a folder ("" is the root).
    fn _kind(&self, py: Python<'_>, rel: &str) -> PyResult<u8> {
        if rel.is_empty() {
            return Ok(2);
        }
        Ok(match self.bale.file(rel).map_err(|e| self.error(py, rel, e))? {
            None => 0,
            Some(f) if f.kind == FileKind::Directory => 2,
            Some(_) => 1,
        })
    }

    /// The path inside the bale of a virtual path under its root, or None.
    #[pyo3(name = "_relative")]
    fn py_relative(&self, path: &str) -> Option<String> {
        self.relative(path).map(str::to_owned)
    }

    /// The size in bytes of a file of the bale, without reading it.
    fn _size(&self, py: Python<'_>, rel: &str) -> PyResult<u64> {
        let file = self.bale.file(rel).map_err(|e| self.error(py, rel, e))?;
        let Some(id) = file.and_then(|f| f.payload) else { return Ok(0) };
        Ok(self.bale.payload(id).map_err(|e| self.error(py, rel, e))?.size)
    }

    /// The names in a folder of the bale, sorted.
    fn _listdir(&self, py: Python<'_>, rel: &str) -> PyResult<Vec<String>> {
        let fail = |e: bale_format::Error| self.error(py, rel, e);
        let children: Vec<Result<File<'_>, _>> = if rel.is_empty() {
            self.bale.root_files().collect()
        } else {
            match self.bale.file(rel).map_err(fail)? {
                Some(dir) if dir.is_dir() => self.bale.file_children(&dir).collect(),
                _ => {
                    return Err(PyFileNotFoundError::new_err((
                        2,
                        "No such folder in the bale",
                        self.virtual_path(rel),
                    )));
                }
            }
        };
        children.into_iter().map(|c| c.map(|c| c.name().to_owned()).map_err(fail)).collect()
    }

    fn _read<'py>(&self, py: Python<'py>, rel: &str) -> PyResult<Bound<'py, PyBytes>> {
        self.get_data(py, &self.virtual_path(rel))
    }

    /// Submodules of a package (or top-level modules for ""): (name, is_package), as
    /// `pkgutil` lists them: namespace packages are not listed, as on disk.
    fn _iter_modules(&self, py: Python<'_>, package: &str) -> PyResult<Vec<(String, bool)>> {
        let fail = |e: bale_format::Error| self.error(py, package, e);
        let children: Vec<Result<Module<'_>, _>> = if package.is_empty() {
            self.bale.root_modules().collect()
        } else {
            match self.bale.module(package).map_err(fail)? {
                Some(m) => self.bale.module_children(&m).collect(),
                None => return Ok(Vec::new()),
            }
        };
        let mut out = Vec::new();
        for child in children {
            let child = child.map_err(fail)?;
            if !child.is_namespace {
                let short = child.name.rsplit_once('.').map_or(child.name, |(_, s)| s);
                out.push((short.to_owned(), child.is_package));
            }
        }
        Ok(out)
    }

    /// Folder names of the distribution metadata at the top of the bale.
    fn _dist_info(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let mut out = Vec::new();
        for f in self.bale.root_files() {
            let f = f.map_err(|e| self.error(py, "", e))?;
            if f.is_dir() && (f.path.ends_with(".dist-info") || f.path.ends_with(".egg-info")) {
                out.push(f.path.to_owned());
            }
        }
        Ok(out)
    }
}

/// The path-entry finder for one virtual folder of a bale, made by the `sys.path_hooks`
/// entry. It lets the path finder, `pkgutil` and namespace packages see into the bale.
#[pyclass(frozen, module = "bale")]
pub struct BalePathFinder {
    finder: Py<BaleFinder>,
    /// The folder, relative to the bale's root ("" for the root).
    dir: String,
}

impl BalePathFinder {
    pub fn new(finder: Py<BaleFinder>, dir: String) -> BalePathFinder {
        BalePathFinder { finder, dir }
    }
}

#[pymethods]
impl BalePathFinder {
    #[getter]
    fn path(&self) -> String {
        self.finder.get().virtual_path(&self.dir)
    }

    fn __repr__(&self) -> String {
        format!("<BalePathFinder {}>", self.path())
    }

    #[pyo3(signature = (fullname, target = None))]
    fn find_spec(
        &self,
        py: Python<'_>,
        fullname: &str,
        target: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let _ = target;
        let parent = fullname.rsplit_once('.').map_or("", |(p, _)| p);
        if parent.replace('.', "/") != self.dir {
            return Ok(None);
        }
        let finder = self.finder.bind(py);
        let this = finder.get();
        let Some(m) = this.lookup(py, fullname)? else { return Ok(None) };
        if m.is_namespace {
            // A portion of a namespace package: no loader, one location.
            let rt = Runtime::get(py)?;
            let kwargs = PyDict::new(py);
            kwargs.set_item(intern!(py, "is_package"), true)?;
            let spec = rt.module_spec.bind(py).call((fullname, py.None()), Some(&kwargs))?;
            let location = this.virtual_path(&fullname.replace('.', "/"));
            spec.setattr(intern!(py, "submodule_search_locations"), PyList::new(py, [location])?)?;
            return Ok(Some(spec.unbind()));
        }
        this.spec(py, finder, &m).map(Some)
    }

    /// For `pkgutil.iter_modules`: (qualified name, is_package) of each module here.
    #[pyo3(signature = (prefix = ""))]
    fn iter_modules<'py>(&self, py: Python<'py>, prefix: &str) -> PyResult<Bound<'py, PyList>> {
        let this = self.finder.get();
        let package = self.dir.replace('/', ".");
        let items = this._iter_modules(py, &package)?;
        let tuples: Vec<Bound<'py, PyTuple>> = items
            .into_iter()
            .map(|(name, is_package)| {
                PyTuple::new(py, [format!("{prefix}{name}").into_bound_py_any(py)?, is_package.into_bound_py_any(py)?])
            })
            .collect::<PyResult<_>>()?;
        PyList::new(py, tuples)
    }

    fn invalidate_caches(&self) {}
}

/// The loader of `linecache` as the rest of the import system found it, wrapped so
/// that the bale's modules run before it was imported are registered with it at once.
#[pyclass(frozen, module = "bale")]
pub struct LinecacheLoader {
    loader: Py<PyAny>,
    finder: Py<BaleFinder>,
}

#[pymethods]
impl LinecacheLoader {
    fn create_module(&self, py: Python<'_>, spec: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let loader = self.loader.bind(py);
        if loader.hasattr(intern!(py, "create_module"))? {
            return Ok(loader.call_method1(intern!(py, "create_module"), (spec,))?.unbind());
        }
        Ok(py.None())
    }

    fn exec_module(&self, py: Python<'_>, module: &Bound<'_, PyAny>) -> PyResult<()> {
        self.loader.bind(py).call_method1(intern!(py, "exec_module"), (module,))?;
        // `linecache` is in sys.modules while it runs; register the waiting modules.
        BaleFinder::register_lines(self.finder.bind(py), None)
    }

    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        Ok(self.loader.bind(py).getattr(name)?.unbind())
    }
}
