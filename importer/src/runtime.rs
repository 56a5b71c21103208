//! What the finder needs from the running interpreter, looked up once: the import
//! system's own classes and functions, and the facts that decide whether a bale's
//! bytecode and extension modules fit this interpreter.
//!
//! Everything comes from modules that exist before any file is read (`_imp`,
//! `marshal`, `builtins`, the frozen `importlib`), so the finder can be installed before
//! the standard library is reachable.

use std::ffi::c_char;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::{ffi, intern};

pub struct Runtime {
    pub module_spec: Py<PyAny>,
    pub marshal_loads: Py<PyAny>,
    pub fix_co_filename: Py<PyAny>,
    pub create_dynamic: Py<PyAny>,
    pub exec_dynamic: Py<PyAny>,
    pub compile: Py<PyAny>,
    pub exec: Py<PyAny>,
    pub decode_source: Py<PyAny>,
    /// `importlib.util.MAGIC_NUMBER`.
    pub magic: [u8; 4],
    /// `importlib.machinery.EXTENSION_SUFFIXES`.
    pub extension_suffixes: Vec<String>,
    /// This interpreter as a bale target, e.g. `cpython-3.11-x86_64-linux-gnu`.
    pub host_target: String,
}

static RUNTIME: PyOnceLock<Runtime> = PyOnceLock::new();

/// `PyBUF_READ` of CPython's memoryobject.h.
const PYBUF_READ: std::ffi::c_int = 0x100;

impl Runtime {
    pub fn get(py: Python<'_>) -> PyResult<&'static Runtime> {
        RUNTIME.get_or_try_init(py, || Runtime::load(py))
    }

    fn load(py: Python<'_>) -> PyResult<Runtime> {
        let bootstrap = py.import("_frozen_importlib")?;
        let external = py.import("_frozen_importlib_external")?;
        let imp = py.import("_imp")?;
        let builtins = py.import("builtins")?;
        let magic: Vec<u8> = external.getattr("MAGIC_NUMBER")?.extract()?;
        let extension_suffixes: Vec<String> = imp.call_method0("extension_suffixes")?.extract()?;
        let implementation = py.import("sys")?.getattr("implementation")?;
        let name: String = implementation.getattr("name")?.extract()?;
        let version = implementation.getattr("version")?;
        let (major, minor): (u32, u32) = (version.get_item(0)?.extract()?, version.get_item(1)?.extract()?);
        Ok(Runtime {
            module_spec: bootstrap.getattr("ModuleSpec")?.unbind(),
            marshal_loads: py.import("marshal")?.getattr("loads")?.unbind(),
            fix_co_filename: imp.getattr("_fix_co_filename")?.unbind(),
            create_dynamic: imp.getattr("create_dynamic")?.unbind(),
            exec_dynamic: imp.getattr("exec_dynamic")?.unbind(),
            compile: builtins.getattr("compile")?.unbind(),
            exec: builtins.getattr("exec")?.unbind(),
            decode_source: external.getattr("decode_source")?.unbind(),
            magic: magic.try_into().map_err(|_| pyo3::exceptions::PyRuntimeError::new_err("odd MAGIC_NUMBER"))?,
            host_target: format!("{name}-{major}.{minor}-{}", platform(&name, major, minor, &extension_suffixes)),
            extension_suffixes,
        })
    }

    /// Unmarshals a code object straight from the bale's bytes, through a memoryview
    /// that is released before returning, so nothing can keep it past the call.
    pub fn unmarshal<'py>(&self, py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        // SAFETY: a read-only view of `bytes`, which outlive the view: it is released
        // below, before `bytes` can go away.
        let view = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                ffi::PyMemoryView_FromMemory(bytes.as_ptr() as *mut c_char, bytes.len() as ffi::Py_ssize_t, PYBUF_READ),
            )?
        };
        let result = self.marshal_loads.bind(py).call1((&view,));
        view.call_method0(intern!(py, "release"))?;
        result
    }
}

/// The platform part of this interpreter's target, read off its first extension
/// suffix (`.cpython-311-x86_64-linux-gnu.so` gives `x86_64-linux-gnu`), which is what
/// the packer records from `sysconfig`, without importing `sysconfig`.
fn platform(name: &str, major: u32, minor: u32, suffixes: &[String]) -> String {
    let tag = format!(".{name}-{major}{minor}-");
    suffixes
        .iter()
        .find_map(|s| s.strip_prefix(tag.as_str()).and_then(|rest| rest.strip_suffix(".so")))
        .unwrap_or("unknown")
        .to_owned()
}
