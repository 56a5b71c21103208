//! Loading extension modules and the shared libraries they need straight from a bale,
//! on Linux: each is copied into an anonymous in-memory file (`memfd_create`) and
//! opened from `/proc/self/fd/N`. Nothing touches the disk, and nothing is left behind
//! when the process ends, however it ends.
//!
//! An extension module's bundled libraries (auditwheel's `numpy.libs/libopenblas...so`)
//! are found through its `RPATH` relative to its own file, which an in-memory file does
//! not have. So before an extension is opened, each library it names in `DT_NEEDED`
//! that the bale holds is opened first (depth first); the dynamic loader then finds
//! them already loaded, by their `SONAME`.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::io::Write;
use std::os::fd::{FromRawFd, IntoRawFd};
use std::sync::Mutex;

use bale_format::{Bale, File, FileId, FileKind};
use object::Endianness;
use object::elf::{DT_NEEDED, FileHeader64};
use object::read::elf::{Dyn, FileHeader, SectionHeader};

use crate::storage::Storage;

/// Libraries opened so far in this process, by file name (shared by every bale).
#[derive(Default)]
pub struct Loaded {
    libraries: Mutex<HashSet<String>>,
}

/// Writes an extension module (after the libraries it needs) to an in-memory file and
/// returns the path to open it by.
pub fn load_extension(loaded: &Loaded, bale: &Bale<Storage>, file: &File<'_>) -> Result<String, String> {
    let bytes = bale.read_file(file).map_err(|e| e.to_string())?;
    let libraries = shared_libraries(bale)?;
    let mut opened = loaded.libraries.lock().map_err(|_| "library table poisoned".to_string())?;
    for needed in needed_libraries(&bytes) {
        preload(bale, &libraries, &needed, &mut opened)?;
    }
    memory_file(file.name(), &bytes)
}

/// The bale's shared libraries by file name.
fn shared_libraries(bale: &Bale<Storage>) -> Result<HashMap<String, FileId>, String> {
    let mut map = HashMap::new();
    for f in bale.files() {
        let f = f.map_err(|e| e.to_string())?;
        if f.kind == FileKind::SharedLibrary {
            map.entry(f.name().to_owned()).or_insert(f.id);
        }
    }
    Ok(map)
}

fn preload(
    bale: &Bale<Storage>,
    libraries: &HashMap<String, FileId>,
    name: &str,
    opened: &mut HashSet<String>,
) -> Result<(), String> {
    let Some(&id) = libraries.get(name) else { return Ok(()) }; // a system library
    // Marked before its own needs are loaded, so a cycle ends here.
    if !opened.insert(name.to_owned()) {
        return Ok(());
    }
    let file = bale.file_by_id(id).map_err(|e| e.to_string())?;
    let bytes = bale.read_file(&file).map_err(|e| format!("{}: {e}", file.path))?;
    for needed in needed_libraries(&bytes) {
        preload(bale, libraries, &needed, opened)?;
    }
    let path = memory_file(name, &bytes)?;
    let c_path = CString::new(path).map_err(|e| e.to_string())?;
    // Local scope is enough: the loader matches a later DT_NEEDED against libraries
    // already loaded by SONAME, whatever their scope.
    // SAFETY: dlopen with a valid C string; the handle is kept for the process's life.
    let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        // SAFETY: dlerror returns a thread-local C string or null.
        let reason = unsafe {
            let e = libc::dlerror();
            if e.is_null() {
                "unknown error".into()
            } else {
                std::ffi::CStr::from_ptr(e).to_string_lossy().into_owned()
            }
        };
        opened.remove(name);
        return Err(format!("cannot load {} from the bale: {reason}", file.path));
    }
    Ok(())
}

/// Copies `bytes` into a new anonymous in-memory file and returns `/proc/self/fd/N`.
///
/// The descriptor stays open for the life of the process: the dynamic loader knows
/// libraries by path, so a number reused for another library would be taken for the
/// first one.
fn memory_file(name: &str, bytes: &[u8]) -> Result<String, String> {
    let c_name = CString::new(name.replace('\0', "_")).map_err(|e| e.to_string())?;
    // Through syscall(2): glibc wraps memfd_create only from 2.27, and the wheel is
    // built for glibc 2.17 (manylinux2014); the kernel call exists since Linux 3.17.
    // SAFETY: memfd_create with a valid name; the result is checked.
    let fd = unsafe { libc::syscall(libc::SYS_memfd_create, c_name.as_ptr(), libc::MFD_CLOEXEC) } as libc::c_int;
    if fd < 0 {
        return Err(format!("memfd_create: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: `fd` is a new descriptor owned here.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(bytes).map_err(|e| format!("writing {name} to memory: {e}"))?;
    let fd = file.into_raw_fd();
    Ok(format!("/proc/self/fd/{fd}"))
}

/// The `DT_NEEDED` names of a 64-bit ELF shared object; empty for anything else.
pub fn needed_libraries(data: &[u8]) -> Vec<String> {
    let Ok(header) = FileHeader64::<Endianness>::parse(data) else { return Vec::new() };
    let Ok(endian) = header.endian() else { return Vec::new() };
    let Ok(sections) = header.sections(endian, data) else { return Vec::new() };
    let mut out = Vec::new();
    for section in sections.iter() {
        let Ok(Some((entries, link))) = section.dynamic(endian, data) else { continue };
        let Ok(strings) = sections.strings(endian, data, link) else { continue };
        for entry in entries {
            if entry.tag(endian) == DT_NEEDED
                && let Ok(name) = entry.string(endian, strings)
            {
                out.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    }
    out
}
