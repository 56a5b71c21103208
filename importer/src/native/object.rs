//! A native file made loadable on Linux: an open file holding its content, in the
//! per-user cache or in memory, kept open for the life of the process.

use std::os::fd::AsRawFd;

/// A native file made loadable: the open file holding its content (followed, in the
/// cache, by a trailer), mapped read-only for reading its names.
pub struct Object {
    file: std::fs::File,
    map: memmap2::Mmap,
    len: usize,
}

impl Object {
    pub fn map(file: std::fs::File, len: usize) -> std::io::Result<Object> {
        // SAFETY: a sealed in-memory file or a read-only cache file of this user's
        // 0700 folder: nothing rewrites it while it is mapped.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        if map.len() < len {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "shorter than its content"));
        }
        Ok(Object { file, map, len })
    }

    pub fn content(&self) -> &[u8] {
        &self.map[..self.len]
    }

    pub fn whole(&self) -> &[u8] {
        &self.map
    }

    /// The path to open it by. Its descriptor is kept open for the process's life:
    /// the dynamic loader knows libraries by path, so a number reused for another
    /// library would be taken for the first one.
    pub fn keep(self) -> String {
        let path = format!("/proc/self/fd/{}", self.file.as_raw_fd());
        std::mem::forget(self.file);
        path
    }
}
