//! Opening a bale file through a memory map.

use std::fs::File;
use std::path::Path;

use memmap2::Mmap;

use crate::error::Error;
use crate::reader::Bale;

/// A bale file's bytes: a read-only memory map (pages are read from disk when first
/// touched, and shared with every other process mapping the same file), or, for a
/// framed bale (`frame`), the bale decoded from it into memory.
pub enum FileBytes {
    Mapped(Mmap),
    Decoded(Vec<u8>),
}

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map,
            FileBytes::Decoded(bytes) => bytes,
        }
    }
}

/// A bale read from a file.
pub type MappedBale = Bale<FileBytes>;

impl Bale<FileBytes> {
    /// Maps `path` and opens it; a framed bale is decoded into memory first. The file
    /// must not be truncated or rewritten in place while it is open (writers replace
    /// bales by renaming, which is safe).
    pub fn open_path(path: impl AsRef<Path>) -> Result<Self, Error> {
        let file = File::open(path.as_ref())?;
        if !file.metadata()?.is_file() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file").into());
        }
        // SAFETY: the map is read-only; a file changed underneath it is the one case the
        // caller must exclude (see above), as with every memory-mapped reader.
        let map = unsafe { Mmap::map(&file)? };
        if crate::frame::is_framed(&map) {
            return Bale::open(FileBytes::Decoded(crate::frame::unframe(&map)?));
        }
        Bale::open(FileBytes::Mapped(map))
    }
}
