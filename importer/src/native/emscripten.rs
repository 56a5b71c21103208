//! Loading extension modules from a bale in Pyodide (wasm32-unknown-emscripten).
//!
//! A browser must not compile a large WebAssembly module synchronously, and `dlopen`
//! (which CPython calls) does. So the JavaScript loader (`importer/js/loader.mjs`,
//! `prepareNative`) compiles every native file the bale lists ([`super::files_to_prepare`])
//! asynchronously before the first import and registers each in Emscripten's table of
//! preloaded modules under its virtual path; `dlopen` of that path finds it there and
//! reads no file. Shared libraries are loaded by that loader too, globally and by file
//! name, as the dynamic linker would.
//!
//! What the loader did not prepare (a bale installed from Python alone, with
//! `bale.install(data)`, or a rest bale's module fetched on a miss) is written once to
//! Emscripten's in-memory file system and compiled by `dlopen` there and then, which
//! Node and a worker allow but a browser's main thread may refuse for a large module.

use std::sync::atomic::{AtomicU32, Ordering};

use bale_format::File;

use super::error::Error;

/// Where the in-memory file system keeps modules the loader did not prepare.
const FALLBACK_DIR: &str = "/tmp/bale-native";

/// What this process has written for `dlopen` so far.
#[derive(Default)]
pub struct Process {
    /// The number of the next folder under [`FALLBACK_DIR`].
    next: AtomicU32,
}

impl Process {
    /// The path to `dlopen` an extension module by: its virtual path when the
    /// JavaScript loader prepared it, otherwise a copy of its bytes (`read`) written to
    /// the in-memory file system.
    pub fn load_extension(
        &self,
        file: &File<'_>,
        virtual_path: String,
        prepared: bool,
        read: impl FnOnce() -> Result<Vec<u8>, String>,
    ) -> Result<String, Error> {
        if prepared {
            return Ok(virtual_path);
        }
        // One folder per module keeps the file's own name (an extension's error
        // messages and `dlerror` name it) without clashes between bales.
        let dir = format!("{FALLBACK_DIR}/{}", self.next.fetch_add(1, Ordering::Relaxed));
        let bytes = read().map_err(Error::Read)?;
        std::fs::create_dir_all(&dir).map_err(Error::system(format!("creating {dir}")))?;
        let path = format!("{dir}/{}", file.name());
        std::fs::write(&path, &bytes).map_err(Error::system(format!("writing {path}")))?;
        Ok(path)
    }
}
