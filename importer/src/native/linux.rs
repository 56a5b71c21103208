//! The process's table of native code loaded from bales on Linux, and the walk that
//! loads an extension module's libraries before it (see `native/mod.rs`).

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::sync::Mutex;

use bale_format::{Bale, File, FileId, FileKind, Payload};

use super::error::Error;
use super::mode::NativeMode;
use super::object::Object;
use super::{cache, elf, memory};
use crate::storage::Storage;

/// Native code loaded so far in this process (shared by every bale).
#[derive(Default)]
pub struct Process {
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

/// One extension module's load: the bale's libraries by name, those on the way down.
struct Load<'a> {
    bale: &'a Bale<Storage>,
    mode: NativeMode,
    libraries: &'a HashMap<String, FileId>,
    visiting: HashSet<String>,
    warnings: Vec<String>,
}

impl Process {
    /// Makes an extension module loadable, after the libraries it needs, and returns
    /// the path to open it by, with any warning to show (the cache could not be used).
    /// `libraries` is the bale's [`shared_libraries`], made once per bale.
    pub fn load_extension(
        &self,
        bale: &Bale<Storage>,
        libraries: &HashMap<String, FileId>,
        file: &File<'_>,
        mode: NativeMode,
    ) -> Result<(String, Vec<String>), Error> {
        let mut inner = self.inner.lock().map_err(|_| Error::Poisoned)?;
        let mut load = Load { bale, mode, libraries, visiting: HashSet::new(), warnings: Vec::new() };
        let object = inner.object(&mut load, file)?;
        let renames = inner.needs(&mut load, &object)?;
        let object = if renames.is_empty() {
            object
        } else {
            memory::from_bytes(file.name(), &elf::renamed(file.path, object.content(), &renames)?)?
        };
        Ok((object.keep(), load.warnings))
    }
}

impl Inner {
    /// Loads the bale's libraries `object` names, and gives the renames its names need.
    fn needs(&mut self, load: &mut Load<'_>, object: &Object) -> Result<HashMap<String, String>, Error> {
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
    fn library(&mut self, load: &mut Load<'_>, name: &str) -> Result<Option<String>, Error> {
        let Some(&id) = load.libraries.get(name) else { return Ok(None) };
        let file = load.bale.file_by_id(id).map_err(Error::bale(name))?;
        let payload = payload(load.bale, &file)?;
        let key = cache::key(load.bale, &payload).map_err(Error::bale(file.path))?;
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
                .ok_or_else(|| Error::NameTaken { path: file.path.to_owned(), name: name.to_owned() })?;
            renames.insert(name.to_owned(), private.clone());
            private
        } else {
            name.to_owned()
        };
        let object = if renames.is_empty() {
            object
        } else {
            memory::from_bytes(&own, &elf::renamed(file.path, object.content(), &renames)?)?
        };
        open_library(&object.keep()).map_err(|reason| Error::Load { path: file.path.to_owned(), reason })?;
        self.by_content.insert(key, own.clone());
        self.names.insert(own.clone());
        Ok(Some(own))
    }

    /// The file's content made loadable the way the finder asks, from the cache
    /// falling back to memory.
    fn object(&mut self, load: &mut Load<'_>, file: &File<'_>) -> Result<Object, Error> {
        let payload = payload(load.bale, file)?;
        if load.mode == NativeMode::Cache {
            let opened = self.cache.get_or_insert_with(|| cache::Cache::open().map_err(|e| e.to_string()));
            let failure = match opened {
                Ok(cache) => match cache.object(load.bale, file, &payload) {
                    Ok(object) => return Ok(object),
                    Err(cache::Failure::Bale(e)) => return Err(e),
                    Err(cache::Failure::Cache(e)) => e.to_string(),
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

fn payload(bale: &Bale<Storage>, file: &File<'_>) -> Result<Payload, Error> {
    let id = file.payload.ok_or_else(|| Error::NoContent { path: file.path.to_owned() })?;
    bale.payload(id).map_err(Error::bale(file.path))
}

/// The bale's native files by file name, that a `DT_NEEDED` may name: its shared
/// libraries first, then extension modules, for a library that lives in a package and
/// so looks like one (scipy's `scipy/special/libsf_error_state.so`).
pub fn shared_libraries(bale: &Bale<Storage>) -> Result<HashMap<String, FileId>, bale_format::Error> {
    let mut map = HashMap::new();
    for f in bale.files() {
        let f = f?;
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

/// `dlopen`s a library by path, globally known by its `SONAME` from then on; the
/// dynamic loader's message if it refuses.
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
