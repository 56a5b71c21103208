//! The Python package `bale`: imports modules, resources, distribution metadata and
//! extension modules straight from a bale held in memory or memory-mapped.
//!
//! ```python
//! import bale
//! finder = bale.install("app.bale")   # or any bytes-like object
//! import rich                         # from the bale
//! finder.uninstall()
//! ```
//!
//! The files, bottom to top; each uses only those above it in this list:
//!
//! | file | what it is |
//! | --- | --- |
//! | `error.rs` | `BaleError` |
//! | `storage.rs` | where a bale's bytes live: mapped, held in place, or owned |
//! | `runtime.rs` | what the finder needs of the running interpreter, looked up once |
//! | `native/` | extension modules and their libraries: Linux's cache and memory, Pyodide's |
//! | `misses.rs` | what the rest bales served (`bale.misses()`) |
//! | `program.rs` | what `bale exe` tells the importer before Python starts |
//! | `state.rs` | the importer's state in its interpreter: one object |
//! | `assets.rs` | the Python helpers (`assets/support.py`, `assets/files.py`) |
//! | `rest.rs` | the rest bale: where it is, opened and checked, its misses recorded |
//! | `finder.rs` | `BaleFinder`: one bale's modules, their specs and code, its rest bale's finder |
//! | `linecache.rs`, `resources.rs`, `metadata.rs`, `path_finder.rs`, `files.rs`, `rest_finder.rs` | one protocol each: source lines for tracebacks, `importlib.resources`, `importlib.metadata`, path hooks and `pkgutil`, file access by path, the rest bale's meta-path finder |
//! | `install.rs` | a finder made from what `install` is given, put in place and taken out |
//! | `loader.rs` | `BaleFinder`'s Python methods: the meta-path finder and loader protocol |
//! | `lib.rs` | the module `bale` |

mod assets;
mod error;
mod files;
mod finder;
mod install;
mod linecache;
mod loader;
mod metadata;
mod misses;
mod native;
mod path_finder;
pub mod program;
mod resources;
mod rest;
mod rest_finder;
mod runtime;
mod state;
mod storage;

use pyo3::prelude::*;

pub use error::BaleError;
pub use finder::BaleFinder;
pub use native::NativeMode;
pub use path_finder::BalePathFinder;

/// Installs a bale: its finder goes first on `sys.meta_path`, its virtual path first
/// on `sys.path`. `source` is a path or a bytes-like object; `path` overrides the
/// virtual path it is mounted at. With `files` (the default), `open`, `os.stat`,
/// `os.listdir` and `os.scandir` also read the bale's files under that path, for code
/// that finds its data next to `__file__`. `native` is where extension modules load
/// from: `"cache"` (a per-user cache whose pages processes share; the default) or
/// `"memory"` (a private copy per process, nothing on disk); `BALE_NATIVE` sets the
/// default. `rest` is the rest bale (what the traced runs did not touch), looked in
/// last: by default the one the bale names, beside it; `False` for none (see
/// `BaleFinder`). Returns the finder (`finder.uninstall()` undoes it all).
#[pyfunction(name = "install")]
#[pyo3(signature = (
    source, *, path = None, files = true, prepared = false, native = None,
    rest = None, rest_fetch = None, rest_name = None, rest_via = None,
))]
#[allow(clippy::too_many_arguments)]
fn install_bale<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    path: Option<String>,
    files: bool,
    prepared: bool,
    native: Option<String>,
    rest: Option<Bound<'py, PyAny>>,
    rest_fetch: Option<Bound<'py, PyAny>>,
    rest_name: Option<String>,
    rest_via: Option<String>,
) -> PyResult<Bound<'py, BaleFinder>> {
    let finder_type = py.get_type::<BaleFinder>();
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("path", path)?;
    kwargs.set_item("prepared", prepared)?;
    kwargs.set_item("native", native)?;
    kwargs.set_item("rest", rest)?;
    kwargs.set_item("rest_fetch", rest_fetch)?;
    kwargs.set_item("rest_name", rest_name)?;
    kwargs.set_item("rest_via", rest_via)?;
    let finder = finder_type.call((source,), Some(&kwargs))?.cast_into::<BaleFinder>()?;
    install::activate(py, &finder, files)?;
    Ok(finder)
}

/// The bale inside a framed bale (one zstd frame, format-spec §10.4), as `bytes`:
/// what the Pyodide loader reads the header of before installing it. The input is
/// read only during this call, which holds the GIL throughout: no Python code can
/// change it meanwhile, so it is read in place.
#[pyfunction]
fn unframe<'py>(py: Python<'py>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let buffer = storage::Buffer::new(data)?;
    let framed = buffer.as_slice();
    let fail = |e: bale_format::Error| BaleError::new_err(format!("framed bale: {e}"));
    let size = bale_format::frame::content_size(framed).map_err(fail)?;
    let len = usize::try_from(size).map_err(|_| fail(bale_format::Error::TooLarge { size }))?;
    pyo3::types::PyBytes::new_with(py, len, |out| bale_format::frame::unframe_into(framed, out).map_err(fail))
}

/// Checks a whole bale's bytes (its header, then one pass of XXH3 over the rest) and
/// gives its `header_hash` as 16 hex digits: the name of its content, under which a
/// cluster node keeps the one copy its workers share. A damaged or truncated bale
/// raises `BaleError`, so a cached copy is never used unchecked. Read in place, with
/// the GIL held, as `unframe` reads.
#[pyfunction]
fn check(data: &Bound<'_, PyAny>) -> PyResult<String> {
    let buffer = storage::Buffer::new(data)?;
    let fail = |e: bale_format::Error| BaleError::new_err(format!("not an intact bale: {e}"));
    let bale = bale_format::Bale::open(buffer.as_slice()).map_err(fail)?;
    bale.check_body().map_err(fail)?;
    Ok(format!("{:016x}", bale.header().header_hash))
}

/// This interpreter as a bale target, such as `cpython-3.11-x86_64-linux-gnu`: the
/// bales whose bytecode and extension modules it can load.
#[pyfunction]
fn host_target(py: Python<'_>) -> PyResult<String> {
    Ok(state::runtime(py)?.host_target.to_string())
}

/// What the installed bales lacked and their rest bales served, each once, in the
/// order first needed: `{"module": NAME or None, "path": PATH, "bale": PATH}`. With
/// `BALE_MISSES=FILE` they are written to FILE at exit, for `bale pack --include-from`.
#[pyfunction(name = "misses")]
fn all_misses(py: Python<'_>) -> PyResult<Bound<'_, pyo3::types::PyList>> {
    rest::all_misses(py)
}

/// Declared not to need the GIL: the importer's own state is once-cells, atomics,
/// mutexes and Python lists (see `state.rs`), so a free-threaded build of it (which
/// the abi3 wheel is not) would need no redesign.
#[pymodule(gil_used = false)]
fn bale(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BaleFinder>()?;
    m.add_class::<BalePathFinder>()?;
    m.add_class::<rest_finder::RestFinder>()?;
    m.add_function(wrap_pyfunction!(all_misses, m)?)?;
    m.add("MissWarning", m.py().get_type::<misses::MissWarning>())?;
    m.add_function(wrap_pyfunction!(install_bale, m)?)?;
    m.add_function(wrap_pyfunction!(unframe, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(host_target, m)?)?;
    m.add("path_hook", path_finder::hook(m.py())?)?;
    m.add("BaleError", m.py().get_type::<BaleError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
