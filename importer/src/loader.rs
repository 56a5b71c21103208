//! The meta-path finder and loader protocol (PEP 451: `find_spec`, `create_module`,
//! `exec_module`; and the `InspectLoader` and `ResourceLoader` methods tracebacks,
//! `runpy` and `pkgutil` use): the whole Python surface of `BaleFinder`. Resources,
//! metadata, path entries and source lines are served by their own files; the methods
//! here hand over to them.

use pyo3::exceptions::PyFileNotFoundError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::finder::{BaleFinder, Code};
use crate::rest_finder::RestFinder;
use crate::state::runtime;

#[pymethods]
impl BaleFinder {
    /// `source`: a path to a `.bale` file (memory-mapped), or any bytes-like object
    /// (used in place, not copied: do not modify it while the finder lives).
    /// `path`: the virtual path the bale is mounted at; defaults to the file's
    /// absolute path, or `/memory/<id>.bale` for bytes.
    /// `prepared`: set by the Pyodide loader, which has already compiled the bale's
    /// extension modules and registered each under its virtual path.
    /// `rest`: the rest bale (what the traced runs did not touch, see `rest.rs`):
    /// by default the file the bale names, beside it; `False` for none; a path; the
    /// bytes of one; or an exception saying why it is not at hand. `rest_fetch`,
    /// `rest_name` and `rest_via` are the Pyodide loader's: with `rest_fetch(offset,
    /// length) -> bytes`, `rest` holds only the rest bale's index.
    #[new]
    #[pyo3(signature = (
        source, *, path = None, prepared = false, native = None,
        rest = None, rest_fetch = None, rest_name = None, rest_via = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        path: Option<String>,
        prepared: bool,
        native: Option<&str>,
        rest: Option<&Bound<'_, PyAny>>,
        rest_fetch: Option<Py<PyAny>>,
        rest_name: Option<String>,
        rest_via: Option<String>,
    ) -> PyResult<Self> {
        let rest = crate::install::RestGiven { rest, fetch: rest_fetch, name: rest_name, via: rest_via };
        crate::install::new_finder(py, crate::install::Given { source, path, prepared, native, rest })
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
        // the path, the bale's included (through the path hook), as on disk. But a
        // folder the bale holds only some files of (data a traced run read by path)
        // is the rest bale's regular package when that holds its `__init__`.
        if m.is_namespace {
            if let Some(rest) = this.rest_finder(py)
                && let Some(regular) = rest.get().lookup(py, fullname).ok().flatten().filter(|r| !r.is_namespace)
            {
                return rest.get().spec(py, rest, &regular).map(Some);
            }
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
        let (name, state) = BaleFinder::spec_of(spec)?;
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
        let (name, state) = BaleFinder::spec_of(&module.getattr(intern!(py, "__spec__"))?)?;
        let m = this.module_for(py, &name, state)?;
        if this.misses.is_some()
            && let Some(path) = this.miss_path(py, &m)?
        {
            this.record_miss(py, Some(&name), &path)?;
        }
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
        let bytes = self.read_file(py, &file)?;
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

    /// The bytes of a file of the bale, by its virtual path; a file the bale lacks
    /// comes from its rest bale.
    fn get_data<'py>(&self, py: Python<'py>, path: &str) -> PyResult<Bound<'py, PyBytes>> {
        let not_found = || PyFileNotFoundError::new_err((2, "No such file in the bale", path.to_owned()));
        let rel = self.relative(path).ok_or_else(not_found)?;
        if let Some(bytes) = self.own_data(py, rel)? {
            return Ok(bytes);
        }
        // The rest bale's file for the bale's finder; the bale's for the rest bale's.
        if let Some(main) = &self.main {
            return main.get().own_data(py, rel)?.ok_or_else(not_found);
        }
        match &self.rest {
            Some(link) => match link.finder(py) {
                Ok(finder) => finder.get().own_data(py, rel)?.ok_or_else(not_found),
                Err(why) => Err(link.rest.file_error(path, why)),
            },
            None => Err(not_found()),
        }
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

    // ---- the rest bale ----

    /// The rest bale's finder (last on `sys.meta_path` once installed), or `None`.
    #[getter]
    fn rest(&self) -> Option<RestFinder> {
        self.rest.as_ref().map(|link| RestFinder { link: link.clone() })
    }

    /// What the bale lacked and its rest bale served, each once, in the order it was
    /// first needed: `{"module": NAME or None, "path": PATH, "bale": PATH}`.
    fn misses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyList>> {
        let logs: Vec<_> = self.rest.iter().map(|link| link.rest.log.clone()).collect();
        crate::misses::misses_list(py, &logs)
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

    /// The code of a script of the bale, by its path inside (`tool.py`), as `python
    /// SCRIPT` would run it: its source compiled; or, for a bale packed with
    /// `--content bytecode`, which holds no script files, the code of the module of its
    /// name. FileNotFoundError if the bale has neither. What `bale run` and the
    /// programs of `bale exe` run.
    fn _script_code(&self, py: Python<'_>, rel: &str) -> PyResult<Py<PyAny>> {
        let path = self.virtual_path(rel);
        match self.get_data(py, &path) {
            Ok(source) => {
                let compile = &runtime(py)?.compile;
                return Ok(compile.bind(py).call1((source, &path, intern!(py, "exec"), 0, true))?.unbind());
            }
            Err(e) if !e.is_instance_of::<PyFileNotFoundError>(py) => return Err(e),
            Err(_) => {}
        }
        let module = rel.strip_suffix(".py").map(|stem| stem.replace('/', "."));
        if let Some(m) = module.as_deref().map(|name| self.lookup(py, name)).transpose()?.flatten()
            && (m.bytecode.is_some() || m.source.is_some())
        {
            return self.code(py, &m);
        }
        Err(PyFileNotFoundError::new_err((2, "No such script in the bale", path)))
    }

    /// The bale's native code, for the Pyodide loader to compile before the first
    /// import: (path, is a shared library rather than an extension module).
    fn _native_files(&self, py: Python<'_>) -> PyResult<Vec<(String, bool)>> {
        crate::native::files_to_prepare(&self.bale).map_err(|e| self.error(py, "", e))
    }

    /// Folder names of the distribution metadata at the top of the bale.
    fn _dist_info(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        crate::metadata::dist_info(self, py)
    }
}
