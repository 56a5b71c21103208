//! The path-entry side (PEP 302 path hooks): `sys.path_hooks` gets [`path_hook`],
//! which makes a [`BalePathFinder`] for a folder of an installed bale, so that the
//! path finder, `pkgutil` and PEP 420 namespace packages spanning the bale and the
//! disk see the bale as folders.

use bale_format::Module;
use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use pyo3::{IntoPyObjectExt, intern};

use crate::finder::BaleFinder;
use crate::state::{runtime, state};

/// The [`path_hook`] function object, made once: what `sys.path_hooks` holds.
pub fn hook(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    let hook = state(py)?
        .path_hook
        .get_or_try_init(py, || Ok::<_, PyErr>(wrap_pyfunction!(path_hook, py)?.into_any().unbind()))?;
    Ok(hook.bind(py))
}

/// The `sys.path_hooks` entry: a path-entry finder for a folder of an installed bale,
/// or ImportError for any other path.
#[pyfunction]
pub fn path_hook(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<BalePathFinder> {
    if let Ok(path) = path.extract::<String>() {
        for finder in state(py)?.installed.bind(py).iter() {
            let finder = finder.cast_into::<BaleFinder>()?;
            let this = finder.get();
            let Some(rel) = this.relative(&path) else { continue };
            let is_dir_in = |f: &BaleFinder| f.bale.file(rel).ok().flatten().is_some_and(|f| f.is_dir());
            let is_dir = rel.is_empty() || is_dir_in(this) || this.rest_finder(py).is_some_and(|r| is_dir_in(r.get()));
            if is_dir {
                return Ok(BalePathFinder { finder: finder.unbind(), dir: rel.to_owned() });
            }
        }
    }
    Err(PyImportError::new_err("not a folder of an installed bale"))
}

/// Submodules of a package (or top-level modules for ""): (name, is_package), as
/// `pkgutil` lists them: namespace packages are not listed, as on disk. Those of the
/// rest bale are listed too, by name only: listing fetches nothing.
pub fn iter_modules(finder: &BaleFinder, py: Python<'_>, package: &str) -> PyResult<Vec<(String, bool)>> {
    let mut out = iter_own_modules(finder, py, package)?;
    if let Some(other) = finder.other(py) {
        out.extend(iter_own_modules(other.get(), py, package).unwrap_or_default());
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0);
    }
    Ok(out)
}

fn iter_own_modules(finder: &BaleFinder, py: Python<'_>, package: &str) -> PyResult<Vec<(String, bool)>> {
    let fail = |e: bale_format::Error| finder.error(py, package, e);
    let children: Vec<Result<Module<'_>, _>> = if package.is_empty() {
        finder.bale.root_modules().collect()
    } else {
        match finder.bale.module(package).map_err(fail)? {
            Some(m) => finder.bale.module_children(&m).collect(),
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

/// The path-entry finder for one virtual folder of a bale.
#[pyclass(frozen, module = "bale")]
pub struct BalePathFinder {
    finder: Py<BaleFinder>,
    /// The folder, relative to the bale's root ("" for the root).
    dir: String,
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
        let Some(m) = this.lookup(py, fullname)? else {
            // A namespace package's portion in the rest bale joins the namespace, as a
            // folder on disk would. Its modules are the rest bale's finder's to serve,
            // last on `sys.meta_path`: never ahead of a later path entry.
            let portion = this
                .rest_finder(py)
                .is_some_and(|rest| rest.get().lookup(py, fullname).ok().flatten().is_some_and(|m| m.is_namespace));
            return if portion { namespace_portion(py, this, fullname).map(Some) } else { Ok(None) };
        };
        if m.is_namespace {
            return namespace_portion(py, this, fullname).map(Some);
        }
        this.spec(py, finder, &m).map(Some)
    }

    /// For `pkgutil.iter_modules`: (qualified name, is_package) of each module here.
    #[pyo3(signature = (prefix = ""))]
    fn iter_modules<'py>(&self, py: Python<'py>, prefix: &str) -> PyResult<Bound<'py, PyList>> {
        let items = iter_modules(self.finder.get(), py, &self.dir.replace('/', "."))?;
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

/// The spec of a namespace package's portion in a bale: no loader, one location.
fn namespace_portion(py: Python<'_>, finder: &BaleFinder, fullname: &str) -> PyResult<Py<PyAny>> {
    let kwargs = PyDict::new(py);
    kwargs.set_item(intern!(py, "is_package"), true)?;
    let spec = runtime(py)?.module_spec.bind(py).call((fullname, py.None()), Some(&kwargs))?;
    let location = finder.virtual_path(&fullname.replace('.', "/"));
    spec.setattr(intern!(py, "submodule_search_locations"), PyList::new(py, [location])?)?;
    Ok(spec.unbind())
}
