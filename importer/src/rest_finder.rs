//! `RestFinder`: the meta-path finder of a rest bale (see `rest.rs`). It goes at the
//! end of `sys.meta_path`, after every other finder, so that it serves only what no
//! other finder found and never shadows what the interpreter itself would import.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::finder::{RestLink, parent_is_here};
use crate::misses::misses_list;

#[pyclass(frozen, module = "bale")]
pub struct RestFinder {
    pub(crate) link: Arc<RestLink>,
}

#[pymethods]
impl RestFinder {
    /// The rest bale's path or URL.
    #[getter]
    fn path(&self) -> &str {
        self.link.rest.name()
    }

    /// How its payloads are read: `file` (mapped), `memory`, or how the Pyodide loader
    /// fetches them (`XMLHttpRequest`, `Atomics.wait`, `read`).
    #[getter]
    fn via(&self) -> &str {
        &self.link.rest.via
    }

    fn __repr__(&self) -> String {
        format!("<RestFinder {} for {}>", self.link.rest.name(), self.link.rest.root)
    }

    #[pyo3(signature = (fullname, path = None, target = None))]
    fn find_spec(
        &self,
        py: Python<'_>,
        fullname: &str,
        path: Option<&Bound<'_, PyAny>>,
        target: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let _ = target;
        let none = py.None().into_bound(py);
        let link = &self.link;
        // The rest bale serves a submodule whatever its package's `__path__` says: the
        // package may come from elsewhere (Pyodide's trimmed standard library holds
        // `encodings`, the rest bale its other codecs), and every other finder has
        // already failed. Only for names under the bale is its absence an error.
        let found = match link.finder(py) {
            Ok(_) => link.find(py, fullname)?,
            // A submodule of a package of the bale: the error names why.
            Err(_) if fullname.contains('.') && parent_is_here(&link.rest.root, fullname, path.unwrap_or(&none))? => {
                link.find(py, fullname)?
            }
            Err(why) => {
                let why = why.to_owned();
                link.rest.warn_unavailable(py, &why)?;
                return Ok(None);
            }
        };
        match found {
            // Namespace packages are assembled by the path finder (see path_finder.rs).
            Some((finder, m)) if !m.is_namespace => finder.get().spec(py, finder, &m).map(Some),
            _ => Ok(None),
        }
    }

    fn invalidate_caches(&self) {}

    /// What was fetched from this rest bale so far.
    fn misses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        misses_list(py, std::slice::from_ref(&self.link.rest.log))
    }
}
