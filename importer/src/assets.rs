//! The importer's Python helpers (`assets/support.py`, `assets/files.py`), compiled
//! from the source held in this extension on first use, so that importing `bale`
//! needs no other file and costs nothing until resources, metadata or file access are
//! asked for.

use std::ffi::CString;

use pyo3::prelude::*;

use crate::state::state;

/// `support.py`: the `importlib.resources` and `importlib.metadata` classes.
pub fn support(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    let module = state(py)?.support.get_or_try_init(py, || {
        let code = CString::new(include_str!("../assets/support.py")).expect("no NUL in support.py");
        Ok::<_, PyErr>(PyModule::from_code(py, &code, c"<bale>/bale/_support.py", c"bale._support")?.unbind())
    })?;
    Ok(module.bind(py))
}

/// `files.py`: read-only file access under mounted bales.
pub fn files(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    let module = state(py)?.files.get_or_try_init(py, || {
        let code = CString::new(include_str!("../assets/files.py")).expect("no NUL in files.py");
        Ok::<_, PyErr>(PyModule::from_code(py, &code, c"<bale>/bale/_files.py", c"bale._files")?.unbind())
    })?;
    Ok(module.bind(py))
}
