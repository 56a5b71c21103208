//! Source lines for tracebacks and warnings: `linecache` finds a module's source by
//! its file name through `linecache.lazycache`, which needs the module's loader. A
//! module run before `linecache` is imported (importing it early would cost more than
//! a whole small app) waits in the finder's `pending_lines`; the import of `linecache`
//! registers them all.

use pyo3::exceptions::PyImportError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::finder::BaleFinder;

/// Registers `new` (a module's file and name) and everything waiting, once
/// `linecache` is there to take them.
pub fn register(slf: &Bound<'_, BaleFinder>, new: Option<(String, String)>) -> PyResult<()> {
    let py = slf.py();
    // The lock is never held across a call into Python: such a call can let another
    // thread run, and that thread may wait here while holding the GIL.
    let lock = || slf.get().pending_lines.lock().map_err(|_| PyImportError::new_err("line table poisoned"));
    lock()?.extend(new);
    let modules = py.import("sys")?.getattr(intern!(py, "modules"))?;
    // While `linecache` itself runs (from this bale), it is in sys.modules without
    // `lazycache` yet: the entries wait for the end of its exec_module.
    let Ok(lazycache) = modules.get_item(intern!(py, "linecache")).and_then(|m| m.getattr(intern!(py, "lazycache")))
    else {
        return Ok(());
    };
    let pending = std::mem::take(&mut *lock()?);
    let module_spec = crate::state::runtime(py)?.module_spec.bind(py);
    for (origin, name) in pending {
        let globals = PyDict::new(py);
        // A spec whose loader is `__loader__`: from 3.15, `linecache` warns (importing
        // `warnings` to do so) about module globals without one.
        let spec = module_spec.call1((&name, slf))?;
        globals.set_item(intern!(py, "__name__"), name)?;
        globals.set_item(intern!(py, "__loader__"), slf)?;
        globals.set_item(intern!(py, "__spec__"), spec)?;
        lazycache.call1((origin, globals))?;
    }
    Ok(())
}

/// `find_spec("linecache")` for a bale that does not hold it: while modules wait, the
/// spec the rest of the import system gives, with its loader wrapped so that they are
/// registered as soon as `linecache` has run; otherwise none.
pub fn find_spec(slf: &Bound<'_, BaleFinder>) -> PyResult<Option<Py<PyAny>>> {
    let py = slf.py();
    if slf.get().pending_lines.lock().map(|p| p.is_empty()).unwrap_or(true) {
        return Ok(None);
    }
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
            let hook = Bound::new(py, LinecacheLoader { loader: loader.unbind(), finder: slf.clone().unbind() })?;
            spec.setattr(intern!(py, "loader"), hook)?;
        }
        return Ok(Some(spec.unbind()));
    }
    Ok(None)
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
        register(self.finder.bind(py), None)
    }

    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        Ok(self.loader.bind(py).getattr(name)?.unbind())
    }
}
