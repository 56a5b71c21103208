//! What the finder needs from the running interpreter, looked up once: the import
//! system's own classes and functions, and the facts that decide whether a bale's
//! bytecode and extension modules fit this interpreter (its target, named by
//! `bale_format::Target` as the packer names it).
//!
//! Everything comes from modules that exist before any file is read (`_imp`,
//! `marshal`, `builtins`, the frozen `importlib`), so the finder can be installed before
//! the standard library is reachable.

use std::ffi::c_char;

use bale_format::{InterpreterFacts, Target};
use pyo3::prelude::*;
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
    pub host_target: Target,
}

/// `PyBUF_READ` of CPython's memoryobject.h.
const PYBUF_READ: std::ffi::c_int = 0x100;

impl Runtime {
    /// Looks everything up; `state::runtime` keeps the result.
    pub(crate) fn load(py: Python<'_>) -> PyResult<Runtime> {
        let bootstrap = py.import("_frozen_importlib")?;
        let external = py.import("_frozen_importlib_external")?;
        let imp = py.import("_imp")?;
        let builtins = py.import("builtins")?;
        let magic: Vec<u8> = external.getattr("MAGIC_NUMBER")?.extract()?;
        let extension_suffixes: Vec<String> = imp.call_method0("extension_suffixes")?.extract()?;
        let sys = py.import("sys")?;
        let implementation = sys.getattr("implementation")?;
        let name: String = implementation.getattr("name")?.extract()?;
        let version = implementation.getattr("version")?;
        let (major, minor): (u32, u32) = (version.get_item(0)?.extract()?, version.get_item(1)?.extract()?);
        // `posix` is built in: no file is read to ask the machine's name.
        let machine: String = py.import("posix")?.call_method0("uname")?.getattr("machine")?.extract()?;
        let sys_platform: String = sys.getattr("platform")?.extract()?;
        let host_target = Target::of_interpreter(&InterpreterFacts {
            implementation: &name,
            version: (major, minor),
            extension_suffixes: &extension_suffixes,
            machine: &machine,
            sys_platform: &sys_platform,
        });
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
            host_target,
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
