//! Loading extension modules from a bale in Pyodide (wasm32-unknown-emscripten).
//!
//! A browser must not compile a large WebAssembly module synchronously, and `dlopen`
//! (which CPython calls) does. So the JavaScript loader (`importer/js/loader.mjs`)
//! compiles every extension module of the bale asynchronously before the first import
//! and registers each in Emscripten's table of preloaded modules under its virtual
//! path; `dlopen` of that path finds it there and reads no file. Shared libraries are
//! loaded by that loader too, globally and by file name, as the dynamic linker would.
//!
//! A bale installed from Python alone (`bale.install(data)`, no loader) still imports
//! its extension modules: each is written once to Emscripten's in-memory file system
//! and compiled by `dlopen` there and then, which Node and a worker allow but a
//! browser's main thread may refuse for a large module.

use std::sync::atomic::{AtomicU32, Ordering};

use bale_format::File;

/// Where the in-memory file system keeps modules the loader did not prepare.
const FALLBACK_DIR: &str = "/tmp/bale-native";

/// The path to `dlopen` an extension module by: its virtual path when the JavaScript
/// loader prepared it, otherwise a copy of its bytes (`read`) written to the in-memory
/// file system.
pub fn load_extension(
    file: &File<'_>,
    virtual_path: String,
    prepared: bool,
    read: impl FnOnce() -> Result<Vec<u8>, String>,
) -> Result<String, String> {
    if prepared {
        return Ok(virtual_path);
    }
    // One folder per module keeps the file's own name (an extension's error messages
    // and `dlerror` name it) without clashes between bales.
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = format!("{FALLBACK_DIR}/{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let bytes = read()?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {dir}: {e}"))?;
    let path = format!("{dir}/{}", file.name());
    std::fs::write(&path, &bytes).map_err(|e| format!("writing {path}: {e}"))?;
    Ok(path)
}
