//! Loading extension modules and the shared libraries they need straight from a bale,
//! on Linux. Two ways, chosen per finder ([`NativeMode`]):
//!
//! - **cache** (the default): each is written once to a per-user cache, a read-only
//!   file named by its content, and every later process loads that file; the kernel
//!   shares its pages between them, and a start reads no payload (`cache.rs`);
//! - **memory**: each is copied into an anonymous in-memory file per process; nothing
//!   touches the disk, at the price of a private copy (`memory.rs`). It is also what
//!   happens, with a warning, when the cache cannot be used.
//!
//! Either way the file is checked through the descriptor it is then opened by
//! (`/proc/self/fd/N`), and the descriptor stays open for the life of the process:
//! the dynamic loader knows libraries by path, so a number reused for another library
//! would be taken for the first one.
//!
//! An extension module's bundled libraries (auditwheel's `numpy.libs/libopenblas...so`)
//! are found through its `RPATH` relative to its own file, which a file opened this
//! way does not have. So before an extension is opened, each library it names in
//! `DT_NEEDED` that the bale holds is opened first (depth first); the dynamic loader
//! then finds them already loaded, by their `SONAME`. Libraries are known by content:
//! a second bale's different library of a name already loaded is loaded under a
//! private name of the same length, written into its `SONAME` and its dependents'
//! `DT_NEEDED` (`elf.rs`), so each bale gets its own.

mod cache;
mod elf;
mod memory;

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::os::fd::AsRawFd;
use std::sync::Mutex;

use bale_format::{Bale, File, FileId, FileKind, Payload};

use crate::finder::NativeMode;
use crate::storage::Storage;

/// Native code loaded so far in this process (shared by every bale).
#[derive(Default)]
pub struct Loaded {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Libraries loaded, by content: the name their dependents find them by.
    by_content: HashMap<u64, String>,
    /// The names taken by loaded libraries.
    names: HashSet<String>,
    /// The cache, opened on first use, or why it cannot be used.
    cache: Option<Result<cache::Cache, String>>,
    /// Whether the cache's failure has been reported (once per process).
    warned: bool,
}

/// A native file made loadable: the open file holding its content (followed, in the
/// cache, by a trailer), mapped read-only for reading its names.
pub struct Object {
    file: std::fs::File,
    map: memmap2::Mmap,
    len: usize,
}

impl Object {
    fn map(file: std::fs::File, len: usize) -> std::io::Result<Object> {
        // SAFETY: a sealed in-memory file or a read-only cache file of this user's
        // 0700 folder: nothing rewrites it while it is mapped.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        if map.len() < len {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "shorter than its content"));
        }
        Ok(Object { file, map, len })
    }

    fn content(&self) -> &[u8] {
        &self.map[..self.len]
    }

    fn whole(&self) -> &[u8] {
        &self.map
    }

    /// The path to open it by; its descriptor is kept open for the process's life.
    fn keep(self) -> String {
        let path = format!("/proc/self/fd/{}", self.file.as_raw_fd());
        std::mem::forget(self.file);
        path
    }
}

/// One extension module's load: the bale's libraries by name, those on the way down.
struct Load<'a> {
    bale: &'a Bale<Storage>,
    mode: NativeMode,
    libraries: &'a HashMap<String, FileId>,
    visiting: HashSet<String>,
    warnings: Vec<String>,
}

impl Loaded {
    /// Makes an extension module loadable, after the libraries it needs, and returns
    /// the path to open it by, with any warning to show (the cache could not be used).
    /// `libraries` is the bale's [`shared_libraries`], made once per bale.
    pub fn load_extension(
        &self,
        bale: &Bale<Storage>,
        libraries: &HashMap<String, FileId>,
        file: &File<'_>,
        mode: NativeMode,
    ) -> Result<(String, Vec<String>), String> {
        let mut inner = self.inner.lock().map_err(|_| "native code table poisoned".to_string())?;
        let mut load = Load { bale, mode, libraries, visiting: HashSet::new(), warnings: Vec::new() };
        let object = inner.object(&mut load, file)?;
        let renames = inner.needs(&mut load, &object)?;
        let object = if renames.is_empty() {
            object
        } else {
            memory::from_bytes(file.name(), &elf::renamed(object.content(), &renames)?)?
        };
        Ok((object.keep(), load.warnings))
    }
}

impl Inner {
    /// Loads the bale's libraries `object` names, and gives the renames its names need.
    fn needs(&mut self, load: &mut Load<'_>, object: &Object) -> Result<HashMap<String, String>, String> {
        let mut renames = HashMap::new();
        for needed in elf::needed_libraries(object.content()) {
            if let Some(loaded_as) = self.library(load, &needed)?
                && loaded_as != needed
            {
                renames.insert(needed, loaded_as);
            }
        }
        Ok(renames)
    }

    /// Loads a library of the bale (after those it needs) and gives the name it is
    /// known by; none for a library the bale does not hold (a system one).
    fn library(&mut self, load: &mut Load<'_>, name: &str) -> Result<Option<String>, String> {
        let Some(&id) = load.libraries.get(name) else { return Ok(None) };
        let file = load.bale.file_by_id(id).map_err(|e| e.to_string())?;
        let payload = payload(load.bale, &file)?;
        let key = cache::key(load.bale, &payload)?;
        if let Some(loaded_as) = self.by_content.get(&key) {
            return Ok(Some(loaded_as.clone()));
        }
        // Marked before its own needs are loaded, so a cycle ends here.
        if !load.visiting.insert(name.to_owned()) {
            return Ok(Some(name.to_owned()));
        }
        let object = self.object(load, &file)?;
        let mut renames = self.needs(load, &object)?;
        let own = if self.names.contains(name) {
            let private = elf::private_name(name, key)
                .filter(|p| !self.names.contains(p))
                .ok_or_else(|| format!("{}: another library named {name} is loaded already", file.path))?;
            renames.insert(name.to_owned(), private.clone());
            private
        } else {
            name.to_owned()
        };
        let object = if renames.is_empty() {
            object
        } else {
            memory::from_bytes(&own, &elf::renamed(object.content(), &renames)?)?
        };
        open_library(&object.keep()).map_err(|reason| format!("cannot load {} from the bale: {reason}", file.path))?;
        self.by_content.insert(key, own.clone());
        self.names.insert(own.clone());
        Ok(Some(own))
    }

    /// The file's content made loadable the way the finder asks, from the cache
    /// falling back to memory.
    fn object(&mut self, load: &mut Load<'_>, file: &File<'_>) -> Result<Object, String> {
        let payload = payload(load.bale, file)?;
        if load.mode == NativeMode::Cache {
            let failure = match self.cache.get_or_insert_with(cache::Cache::open) {
                Ok(cache) => match cache.object(load.bale, file, &payload) {
                    Ok(object) => return Ok(object),
                    Err(cache::Failure::Bale(e)) => return Err(format!("{}: {e}", file.path)),
                    Err(cache::Failure::Cache(e)) => e,
                },
                Err(e) => e.clone(),
            };
            if !std::mem::replace(&mut self.warned, true) {
                load.warnings.push(format!(
                    "bale: the native code cache cannot be used ({failure}); extension modules load from memory, \
                     a private copy in each process"
                ));
            }
        }
        memory::object(load.bale, file, &payload)
    }
}

fn payload(bale: &Bale<Storage>, file: &File<'_>) -> Result<Payload, String> {
    let id = file.payload.ok_or_else(|| format!("{}: no content", file.path))?;
    bale.payload(id).map_err(|e| format!("{}: {e}", file.path))
}

/// The bale's native files by file name, that a `DT_NEEDED` may name: its shared
/// libraries first, then extension modules, for a library that lives in a package and
/// so looks like one (scipy's `scipy/special/libsf_error_state.so`).
pub fn shared_libraries(bale: &Bale<Storage>) -> Result<HashMap<String, FileId>, String> {
    let mut map = HashMap::new();
    for f in bale.files() {
        let f = f.map_err(|e| e.to_string())?;
        let name = f.path.rsplit('/').next().unwrap_or(f.path);
        match f.kind {
            FileKind::SharedLibrary => {
                map.insert(name.to_owned(), f.id);
            }
            FileKind::Extension => {
                map.entry(name.to_owned()).or_insert(f.id);
            }
            _ => {}
        }
    }
    Ok(map)
}

fn open_library(path: &str) -> Result<(), String> {
    let c_path = CString::new(path).map_err(|e| e.to_string())?;
    // Local scope is enough: the loader matches a later DT_NEEDED against libraries
    // already loaded by SONAME, whatever their scope.
    // SAFETY: dlopen with a valid C string; the handle is kept for the process's life.
    let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        // SAFETY: dlerror returns a thread-local C string or null.
        return Err(unsafe {
            let e = libc::dlerror();
            if e.is_null() {
                "unknown error".into()
            } else {
                std::ffi::CStr::from_ptr(e).to_string_lossy().into_owned()
            }
        });
    }
    Ok(())
}
