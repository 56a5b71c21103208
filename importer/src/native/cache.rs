//! The per-user cache of native code: each extension module or library a bale holds,
//! written once as a read-only file named by its content, and loaded from that file
//! by every process after. The kernel then keeps one copy of its pages for all of
//! them, as it does for site-packages.
//!
//! ```text
//! $XDG_CACHE_HOME/bale/native/            mode 0700, owned by the user, else unused
//!     KEY-NAME                            mode 0444: the content, then a trailer:
//!         [ content | "balenat1" | content size u64 | XXH3-64 of the content | KEY ]
//! ```
//!
//! KEY is a hash of the payload record (its stored bytes' hash, both sizes, codec and
//! dictionary), so finding an entry reads nothing of the bale. An ELF loader reads only
//! what its headers point at, so the trailer does not disturb `dlopen`.
//!
//! A file is trusted only after it is opened (no symbolic link followed), found to be
//! a regular read-only file of this user and of the right size, and its content hashed
//! through that descriptor equals the trailer's hash (and, for a payload stored
//! uncompressed, the bale's own hash); it is then loaded through the same descriptor,
//! so nothing can swap it in between. A damaged or foreign file is replaced from the
//! bale. Writes go to a temporary file renamed into place, so a reader sees a whole
//! file or none.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use bale_format::{Bale, Codec, Corruption, File, Payload};
use rustix::fs::{Mode, OFlags};
use xxhash_rust::xxh3::xxh3_64;

use super::error::Error;
use super::object::Object;
use crate::storage::Storage;

const MAGIC: [u8; 8] = *b"balenat1";
const TRAILER: usize = 32;

/// Why an entry could not be had from the cache: the bale is damaged (reported as
/// such), or the cache cannot be used (the caller loads from memory instead).
pub enum Failure {
    Bale(Error),
    Cache(Error),
}

pub struct Cache {
    dir: OwnedFd,
    pub path: PathBuf,
}

impl Cache {
    /// The user's cache folder, made if need be; refused if another user owns it.
    pub fn open() -> Result<Cache, Error> {
        let base = match std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from) {
            Some(dir) if dir.is_absolute() => dir,
            _ => match home() {
                Some(home) => home.join(".cache"),
                None => {
                    let why = std::io::Error::new(std::io::ErrorKind::NotFound, "this user has no home folder");
                    return Err(Error::System { step: "HOME is not set".into(), source: why });
                }
            },
        };
        let path = base.join("bale").join("native");
        let fail = |e: std::io::Error| Error::System { step: path.display().to_string(), source: e };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        match rustix::fs::mkdir(&path, Mode::RWXU) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(fail(e.into())),
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let dir = rustix::fs::open(&path, flags, Mode::empty()).map_err(|e| fail(e.into()))?;
        let stat = rustix::fs::fstat(&dir).map_err(|e| fail(e.into()))?;
        let me = rustix::process::geteuid().as_raw();
        if stat.st_uid != me {
            let owner = format!("owned by user {}, not by this user ({me})", stat.st_uid);
            return Err(fail(std::io::Error::new(std::io::ErrorKind::PermissionDenied, owner)));
        }
        if stat.st_mode & 0o077 != 0 {
            rustix::fs::fchmod(&dir, Mode::RWXU).map_err(|e| fail(e.into()))?;
        }
        Ok(Cache { dir, path })
    }

    /// The file's content, from the cache: found and checked, else written from the
    /// bale's checked payload first.
    pub fn object(&self, bale: &Bale<Storage>, file: &File<'_>, payload: &Payload) -> Result<Object, Failure> {
        let key =
            key(bale, payload).map_err(|e| Failure::Bale(Error::Bale { path: file.path.to_owned(), source: e }))?;
        let name = format!("{key:016x}-{}", plain(file.name()));
        let fail = |e| Failure::Cache(Error::System { step: format!("{}/{name}", self.path.display()), source: e });
        if let Some(found) = self.checked(&name, key, payload).map_err(fail)? {
            return Ok(found);
        }
        let content =
            bale.read_file(file).map_err(|e| Failure::Bale(Error::Bale { path: file.path.to_owned(), source: e }))?;
        self.write(&name, key, &content).map_err(fail)?;
        let lost = || std::io::Error::new(std::io::ErrorKind::NotFound, "written, then not found");
        self.checked(&name, key, payload).map_err(fail)?.ok_or_else(|| fail(lost()))
    }

    /// The cached file, if it is there and whole; a damaged one is removed.
    fn checked(&self, name: &str, key: u64, payload: &Payload) -> std::io::Result<Option<Object>> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&self.dir, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let stat = rustix::fs::fstat(&fd)?;
        let whole = usize::try_from(payload.size).ok().and_then(|n| n.checked_add(TRAILER));
        let sound = rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::RegularFile
            && stat.st_uid == rustix::process::geteuid().as_raw()
            && stat.st_mode & 0o222 == 0
            && whole.is_some_and(|n| stat.st_size as u64 == n as u64);
        if sound {
            let object = Object::map(std::fs::File::from(fd), payload.size as usize)?;
            let (content, trailer) = object.whole().split_at(payload.size as usize);
            let hash = xxh3_64(content);
            let word = |i: usize| u64::from_le_bytes(trailer[8 + 8 * i..16 + 8 * i].try_into().unwrap_or_default());
            if trailer[..8] == MAGIC
                && word(0) == payload.size
                && word(1) == hash
                && word(2) == key
                && (payload.codec != Codec::Stored || hash == payload.hash)
            {
                return Ok(Some(object));
            }
        }
        rustix::fs::unlinkat(&self.dir, name, rustix::fs::AtFlags::empty())?;
        Ok(None)
    }

    /// Writes `content` and its trailer under `name`, whole or not at all.
    fn write(&self, name: &str, key: u64, content: &[u8]) -> std::io::Result<()> {
        self.remove_stale();
        let temporary = format!(".{name}.{}.tmp", std::process::id());
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.dir, &temporary, flags, Mode::RUSR | Mode::RGRP | Mode::ROTH)?;
        let mut trailer = [0u8; TRAILER];
        trailer[..8].copy_from_slice(&MAGIC);
        trailer[8..16].copy_from_slice(&(content.len() as u64).to_le_bytes());
        trailer[16..24].copy_from_slice(&xxh3_64(content).to_le_bytes());
        trailer[24..32].copy_from_slice(&key.to_le_bytes());
        let mut out = std::fs::File::from(fd);
        let written = out.write_all(content).and_then(|()| out.write_all(&trailer));
        let placed = written.and_then(|()| Ok(rustix::fs::renameat(&self.dir, &temporary, &self.dir, name)?));
        if placed.is_err() {
            let _ = rustix::fs::unlinkat(&self.dir, &temporary, rustix::fs::AtFlags::empty());
        }
        placed
    }

    /// Removes what writers killed mid-write left: `.NAME.PID.tmp` of a process that
    /// is gone.
    fn remove_stale(&self) {
        let Ok(entries) = std::fs::read_dir(&self.path) else { return };
        for entry in entries.flatten() {
            let file = entry.file_name();
            let Some(file) = file.to_str() else { continue };
            let Some(pid) = file.strip_suffix(".tmp").and_then(|f| f.rsplit_once('.')).map(|(_, pid)| pid) else {
                continue;
            };
            let Some(pid) = pid.parse().ok().and_then(rustix::process::Pid::from_raw) else { continue };
            if file.starts_with('.') && rustix::process::test_kill_process(pid) == Err(rustix::io::Errno::SRCH) {
                let _ = rustix::fs::unlinkat(&self.dir, file, rustix::fs::AtFlags::empty());
            }
        }
    }
}

/// `HOME`, else the user's home folder from the password database (a program made by
/// `bale exe` may be started with no environment at all).
fn home() -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(home));
    }
    let mut buffer = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: an all-zero passwd is a valid value for getpwuid_r to fill.
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; the strings it sets point into `buffer`.
    let status =
        unsafe { libc::getpwuid_r(libc::geteuid(), &mut entry, buffer.as_mut_ptr(), buffer.len(), &mut found) };
    if status != 0 || found.is_null() || entry.pw_dir.is_null() {
        return None;
    }
    // SAFETY: pw_dir is a NUL-terminated string inside `buffer`, alive here.
    let dir = unsafe { std::ffi::CStr::from_ptr(entry.pw_dir) };
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(dir.to_bytes()))).filter(|d| d.is_absolute())
}

/// What names a payload's content without reading it: its record (the hash of its
/// stored bytes, both sizes, the codec) and, for a payload compressed with the bale's
/// dictionary, the dictionary's hash.
pub(super) fn key(bale: &Bale<Storage>, payload: &Payload) -> Result<u64, bale_format::Error> {
    let (codec, dictionary) = match payload.codec {
        Codec::Stored => (0u8, 0),
        Codec::Zstd => (1, 0),
        Codec::ZstdDictionary => {
            let problem = "compressed with a dictionary the bale does not have".to_owned();
            let id = bale.header().dictionary.ok_or(Corruption::Payload { index: payload.id.0, problem })?;
            (2, bale.payload(id)?.hash)
        }
        Codec::Unknown(c) => (c, 0),
    };
    let mut record = Vec::with_capacity(33);
    for word in [payload.hash, payload.stored_size, payload.size, dictionary] {
        record.extend_from_slice(&word.to_le_bytes());
    }
    record.push(codec);
    Ok(xxh3_64(&record))
}

/// A file name made of safe characters only, for the cache entry's readable part.
fn plain(name: &str) -> String {
    name.chars().take(96).map(|c| if c.is_ascii_alphanumeric() || "._+-".contains(c) { c } else { '_' }).collect()
}
