//! Extension modules and the shared libraries they need, loaded straight from a bale.
//! [`Natives::load`] is the one entry: the finder calls it when an extension module
//! is imported, and it answers with the path CPython's `dlopen` is to open.
//!
//! **On Linux** (`linux.rs`) there are two ways, chosen per finder ([`NativeMode`]):
//!
//! - **cache** (the default): each is written once to a per-user cache, a read-only
//!   file named by its content, and every later process loads that file; the kernel
//!   shares its pages between them, and a start reads no payload (`cache.rs`);
//! - **memory**: each is copied into an anonymous in-memory file per process; nothing
//!   touches the disk, at the price of a private copy (`memory.rs`). It is also what
//!   happens, with a warning, when the cache cannot be used.
//!
//! Either way the file is checked through the descriptor it is then opened by
//! (`/proc/self/fd/N`, `object.rs`), and the descriptor stays open for the life of
//! the process.
//!
//! An extension module's bundled libraries (auditwheel's `numpy.libs/libopenblas...so`)
//! are found through its `RPATH` relative to its own file, which a file opened this
//! way does not have. So before an extension is opened, each library it names in
//! `DT_NEEDED` that the bale holds is opened first (depth first); the dynamic loader
//! then finds them already loaded, by their `SONAME`. Libraries are known by content:
//! a second bale's different library of a name already loaded is loaded under a
//! private name of the same length, written into its `SONAME` and its dependents'
//! `DT_NEEDED` (`elf.rs`), so each bale gets its own.
//!
//! **In Pyodide** (`emscripten.rs`) the JavaScript loader compiles the bale's native
//! files before the first import, from the list [`files_to_prepare`] gives; what it
//! did not prepare is written to Emscripten's in-memory file system.

#[cfg(target_os = "linux")]
mod cache;
#[cfg(target_os = "linux")]
mod elf;
#[cfg(target_os = "emscripten")]
mod emscripten;
mod error;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
mod memory;
mod mode;
#[cfg(target_os = "linux")]
mod object;

use std::collections::HashMap;
use std::sync::Mutex;

use bale_format::{Bale, File, FileKind};

pub use error::Error;
pub use mode::NativeMode;

use crate::storage::Storage;

#[cfg(target_os = "emscripten")]
pub use emscripten::Process;
/// The native code loaded so far in this process, shared by every bale (kept in the
/// importer's state).
#[cfg(target_os = "linux")]
pub use linux::Process;
#[cfg(not(any(target_os = "linux", target_os = "emscripten")))]
#[derive(Default)]
pub struct Process;

/// One bale's native code: where it loads from, and the path each of its extension
/// modules was made loadable at.
pub struct Natives {
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    mode: NativeMode,
    /// Whether the JavaScript loader has compiled the bale's native files (Pyodide).
    #[cfg_attr(not(target_os = "emscripten"), allow(dead_code))]
    prepared: bool,
    /// Extension modules made loadable, by file record: the path to open them by.
    opened: Mutex<HashMap<u32, String>>,
    /// The bale's libraries by file name, found on the first extension module's load.
    #[cfg(target_os = "linux")]
    libraries: std::sync::OnceLock<HashMap<String, bale_format::FileId>>,
}

/// An extension module made loadable: the path to `dlopen` it by, and what to warn of
/// (the native code cache could not be used).
pub struct Loadable {
    pub path: String,
    pub warnings: Vec<String>,
}

impl Natives {
    pub fn new(mode: NativeMode, prepared: bool) -> Natives {
        Natives {
            mode,
            prepared,
            opened: Mutex::new(HashMap::new()),
            #[cfg(target_os = "linux")]
            libraries: std::sync::OnceLock::new(),
        }
    }

    /// Makes the extension module `file` of `bale` loadable (once per module), after
    /// the libraries it needs. `virtual_path` is its path under the bale's mount;
    /// `read` gives its content where the bale's bytes do not hold it (a payload
    /// fetched from a rest bale in Pyodide). The table is locked only around its own
    /// reads and writes: the import lock of the module keeps two threads from loading
    /// the same one at once.
    pub fn load(
        &self,
        process: &Process,
        bale: &Bale<Storage>,
        file: &File<'_>,
        virtual_path: String,
        read: impl FnOnce() -> Result<Vec<u8>, String>,
    ) -> Result<Loadable, Error> {
        let opened = || self.opened.lock().map_err(|_| Error::Poisoned);
        if let Some(path) = opened()?.get(&file.id.0) {
            return Ok(Loadable { path: path.clone(), warnings: Vec::new() });
        }
        let loadable = self.make_loadable(process, bale, file, virtual_path, read)?;
        opened()?.insert(file.id.0, loadable.path.clone());
        Ok(loadable)
    }

    #[cfg(target_os = "linux")]
    fn make_loadable(
        &self,
        process: &Process,
        bale: &Bale<Storage>,
        file: &File<'_>,
        _virtual_path: String,
        _read: impl FnOnce() -> Result<Vec<u8>, String>,
    ) -> Result<Loadable, Error> {
        let libraries = match self.libraries.get() {
            Some(libraries) => libraries,
            None => {
                let found = linux::shared_libraries(bale).map_err(Error::bale(file.path))?;
                self.libraries.get_or_init(|| found)
            }
        };
        let (path, warnings) = process.load_extension(bale, libraries, file, self.mode)?;
        Ok(Loadable { path, warnings })
    }

    #[cfg(target_os = "emscripten")]
    fn make_loadable(
        &self,
        process: &Process,
        _bale: &Bale<Storage>,
        file: &File<'_>,
        virtual_path: String,
        read: impl FnOnce() -> Result<Vec<u8>, String>,
    ) -> Result<Loadable, Error> {
        let path = process.load_extension(file, virtual_path, self.prepared, read)?;
        Ok(Loadable { path, warnings: Vec::new() })
    }

    #[cfg(not(any(target_os = "linux", target_os = "emscripten")))]
    fn make_loadable(
        &self,
        _process: &Process,
        _bale: &Bale<Storage>,
        _file: &File<'_>,
        _virtual_path: String,
        _read: impl FnOnce() -> Result<Vec<u8>, String>,
    ) -> Result<Loadable, Error> {
        Err(Error::Unsupported)
    }
}

/// The bale's native files, for the Pyodide loader to compile before the first
/// import: (path, is a shared library rather than an extension module).
pub fn files_to_prepare(bale: &Bale<Storage>) -> Result<Vec<(String, bool)>, bale_format::Error> {
    let mut out = Vec::new();
    for f in bale.files() {
        let f = f?;
        if f.kind.is_native() {
            out.push((f.path.to_owned(), f.kind == FileKind::SharedLibrary));
        }
    }
    Ok(out)
}
