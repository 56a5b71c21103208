//! Native code in anonymous in-memory files (`memfd_create`): nothing on disk and
//! nothing left behind when the process ends, however it ends; but a private copy
//! per process. The file is sealed once written, so that it cannot change between
//! its check and `dlopen`.
//!
//! A payload stored uncompressed in a bale file is copied by the kernel (`sendfile`:
//! `copy_file_range` refuses to copy between file systems of two kinds), never passing through this process's memory, and hashed
//! through the sealed descriptor; any other is read from the bale (checked) and
//! written.

use std::io::Write;

use bale_format::{Bale, Codec, File, Payload};
use rustix::fs::{MemfdFlags, SealFlags};
use xxhash_rust::xxh3::xxh3_64;

use super::error::Error;
use super::object::Object;
use crate::storage::Storage;

/// The file's content in a new sealed in-memory file.
pub fn object(bale: &Bale<Storage>, file: &File<'_>, payload: &Payload) -> Result<Object, Error> {
    if payload.codec == Codec::Stored
        && let Some(source) = bale.data().file()
    {
        let fd = memfd(file.name())?;
        if copy(source, payload.offset, &fd, payload.size).is_ok() {
            let object = sealed(fd, file.name(), payload.size)?;
            if xxh3_64(object.content()) != payload.hash {
                let damage = bale_format::Corruption::PayloadChecksum { index: payload.id.0 };
                return Err(Error::Bale { path: file.path.to_owned(), source: damage.into() });
            }
            return Ok(object);
        }
        // A file system that cannot copy within the kernel: through memory instead.
    }
    let content = bale.read_file(file).map_err(Error::bale(file.path))?;
    from_bytes(file.name(), &content)
}

/// `bytes` (already checked) in a new sealed in-memory file.
pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Object, Error> {
    let mut out = std::fs::File::from(memfd(name)?);
    out.write_all(bytes).map_err(Error::system(format!("writing {name} to memory")))?;
    sealed(out.into(), name, bytes.len() as u64)
}

fn memfd(name: &str) -> Result<std::os::fd::OwnedFd, Error> {
    // rustix calls the kernel directly: glibc wraps memfd_create only from 2.27, and
    // the wheel is built for glibc 2.17 (manylinux2014).
    rustix::fs::memfd_create(name.replace('\0', "_"), MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)
        .map_err(|e| Error::System { step: "memfd_create".into(), source: e.into() })
}

fn copy(source: &std::fs::File, offset: u64, out: &std::os::fd::OwnedFd, len: u64) -> rustix::io::Result<()> {
    let mut from = offset;
    let mut left = len;
    while left > 0 {
        let chunk = usize::try_from(left.min(1 << 30)).unwrap_or(1 << 30);
        let done = rustix::fs::sendfile(out, source, Some(&mut from), chunk)?;
        if done == 0 {
            return Err(rustix::io::Errno::NODATA);
        }
        left -= done as u64;
    }
    Ok(())
}

fn sealed(fd: std::os::fd::OwnedFd, name: &str, len: u64) -> Result<Object, Error> {
    let seals = SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE | SealFlags::SEAL;
    rustix::fs::fcntl_add_seals(&fd, seals)
        .map_err(|e| Error::System { step: format!("sealing {name} in memory"), source: e.into() })?;
    Object::map(std::fs::File::from(fd), len as usize).map_err(Error::system(format!("mapping {name}")))
}
