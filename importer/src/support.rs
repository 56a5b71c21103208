//! The Python helpers of the importer (`support.py`, `files.py`), compiled from the source held
//! in this extension on first use, so that importing `bale` needs no other file and
//! costs nothing until resources or metadata are asked for.

use std::ffi::CString;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

static SUPPORT: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

static FILES: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// `files.py`: read-only file access under mounted bales.
pub fn files(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    FILES
        .get_or_try_init(py, || {
            let code = CString::new(include_str!("files.py")).expect("no NUL in files.py");
            Ok(PyModule::from_code(py, &code, c"<bale>/bale/_files.py", c"bale._files")?.unbind())
        })
        .map(|m| m.bind(py))
}

pub fn module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    SUPPORT
        .get_or_try_init(py, || {
            let code = CString::new(include_str!("support.py")).expect("no NUL in support.py");
            Ok(PyModule::from_code(py, &code, c"<bale>/bale/_support.py", c"bale._support")?.unbind())
        })
        .map(|m| m.bind(py))
}
