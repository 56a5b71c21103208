//! Where a bale's bytes live, for as long as its finder does: a memory-mapped file,
//! an immutable `bytes` object held in place, the program's own mapped bale (`bale
//! exe`), or memory of the importer's own (a copy, or a framed bale decoded).
//!
//! The importer reads a bale long after `install` returns, and trusts bytes it has
//! checked once (a payload's hash, then `marshal`). So it keeps a view of a Python
//! object only when nothing can change it: an exact `bytes`. A `bytearray`, a
//! writable `memoryview`, `mmap` or array could change under it, which would be
//! undefined behaviour and could run a payload changed after its check; those are
//! copied once, at install (a memory copy: about a millisecond for 10 MB).

use std::ffi::{c_int, c_void};

use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// The bytes of an installed bale.
pub enum Storage {
    /// A bale file, mapped; the file is kept so that native code can be copied from it
    /// by the kernel (see `native/memory.rs`).
    #[cfg(not(target_family = "wasm"))]
    Mapped(memmap2::Mmap, std::fs::File),
    /// A `bytes` object, which cannot change, held while the finder lives.
    Buffer(Buffer),
    /// The bale inside the running program (`bale exe`), mapped for its whole life.
    Static(&'static [u8]),
    /// A copy of a buffer that could change, or a framed bale decoded.
    Owned(Vec<u8>),
}

impl AsRef<[u8]> for Storage {
    fn as_ref(&self) -> &[u8] {
        match self {
            #[cfg(not(target_family = "wasm"))]
            Storage::Mapped(map, _) => map,
            Storage::Buffer(b) => b.as_slice(),
            Storage::Static(bytes) => bytes,
            Storage::Owned(bytes) => bytes,
        }
    }
}

impl Storage {
    /// A bytes-like object's bytes: held in place where they cannot change, else
    /// copied once (see the module's documentation). `lasting` is memory known to
    /// stay unchanged for the process's life (the running program's own mapped bale):
    /// a buffer over exactly those bytes is read in place whatever its type.
    pub fn from_object(object: &Bound<'_, PyAny>, lasting: Option<&'static [u8]>) -> PyResult<Storage> {
        let buffer = Buffer::new(object)?;
        let bytes = buffer.as_slice();
        if let Some(lasting) = lasting
            && std::ptr::eq(lasting.as_ptr(), bytes.as_ptr())
            && lasting.len() == bytes.len()
        {
            return Ok(Storage::Static(lasting));
        }
        if object.is_exact_instance_of::<PyBytes>() {
            return Ok(Storage::Buffer(buffer));
        }
        Ok(Storage::Owned(bytes.to_vec()))
    }
}

impl Storage {
    /// The file the bytes are mapped from, if they are.
    #[cfg(not(target_family = "wasm"))]
    pub fn file(&self) -> Option<&std::fs::File> {
        match self {
            Storage::Mapped(_, file) => Some(file),
            _ => None,
        }
    }

    #[cfg(not(target_family = "wasm"))]
    pub fn map(path: &std::path::Path) -> std::io::Result<Storage> {
        let file = std::fs::File::open(path)?;
        if !file.metadata()?.is_file() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
        }
        // SAFETY: read-only map; bales are replaced by renaming, never rewritten in place.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Ok(Storage::Mapped(map, file))
    }
}

// The buffer protocol. PyO3 offers it under the limited API only from Python 3.11,
// and this module is built for the 3.10 stable ABI; the struct and the two functions
// have had the same layout and signature since Python 3.3 and are exported by every
// CPython 3 interpreter, 3.10 included, so they are declared here.
#[repr(C)]
struct PyBufferView {
    buf: *mut c_void,
    obj: *mut ffi::PyObject,
    len: ffi::Py_ssize_t,
    itemsize: ffi::Py_ssize_t,
    readonly: c_int,
    ndim: c_int,
    format: *mut std::ffi::c_char,
    shape: *mut ffi::Py_ssize_t,
    strides: *mut ffi::Py_ssize_t,
    suboffsets: *mut ffi::Py_ssize_t,
    internal: *mut c_void,
}

unsafe extern "C" {
    fn PyObject_GetBuffer(obj: *mut ffi::PyObject, view: *mut PyBufferView, flags: c_int) -> c_int;
    fn PyBuffer_Release(view: *mut PyBufferView);
}

/// `PyBUF_SIMPLE`: one contiguous run of bytes, no format or shape.
const PYBUF_SIMPLE: c_int = 0;

/// A held buffer of a Python object. While it is held, the object cannot be resized
/// (CPython refuses with `BufferError`), so the pointer stays valid; its bytes can
/// still change unless the object is immutable (see [`Storage::from_object`]).
pub struct Buffer {
    view: Box<PyBufferView>,
}

// SAFETY: the view is only read, and it is released with the interpreter attached.
unsafe impl Send for Buffer {}
// SAFETY: as for Send: no method writes through the view.
unsafe impl Sync for Buffer {}

impl Buffer {
    pub fn new(object: &Bound<'_, PyAny>) -> PyResult<Buffer> {
        let mut view = Box::new(PyBufferView {
            buf: std::ptr::null_mut(),
            obj: std::ptr::null_mut(),
            len: 0,
            itemsize: 0,
            readonly: 0,
            ndim: 0,
            format: std::ptr::null_mut(),
            shape: std::ptr::null_mut(),
            strides: std::ptr::null_mut(),
            suboffsets: std::ptr::null_mut(),
            internal: std::ptr::null_mut(),
        });
        // SAFETY: `view` is a valid, writable Py_buffer; the interpreter is attached.
        let status = unsafe { PyObject_GetBuffer(object.as_ptr(), &mut *view, PYBUF_SIMPLE) };
        if status != 0 {
            return Err(PyErr::take(object.py())
                .unwrap_or_else(|| PyBufferError::new_err("the object does not export a contiguous buffer")));
        }
        Ok(Buffer { view })
    }

    pub fn as_slice(&self) -> &[u8] {
        if self.view.len <= 0 || self.view.buf.is_null() {
            return &[];
        }
        // SAFETY: the exporter keeps `len` bytes at `buf` alive and unmoved until release.
        unsafe { std::slice::from_raw_parts(self.view.buf as *const u8, self.view.len as usize) }
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        Python::attach(|_| {
            // SAFETY: the view was filled by PyObject_GetBuffer and is released once.
            unsafe { PyBuffer_Release(&mut *self.view) }
        });
    }
}

/// A time as `os.stat` gives it: seconds since the epoch (0 for a time before it).
pub fn seconds(t: std::time::SystemTime) -> f64 {
    t.duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// When a file was last written, in [`seconds`]; 0 if that cannot be known.
pub fn modified(path: &str) -> f64 {
    std::fs::metadata(path).and_then(|m| m.modified()).map_or(0.0, seconds)
}

/// `os.path.abspath`: joined to the working folder and normalized (`.`, `..`, `//`)
/// without touching the file system.
pub fn absolute(path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_owned()
    } else {
        let cwd = std::env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}
