//! Writing an output file so that it appears complete or not at all, and the
//! temporary folders the packer works in.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::PackError;

/// A file that ships beside `bale`: `NAME.SUFFIX` for `NAME.bale` and `NAME.bale.zst`
/// (`app.SUFFIX` for a bale named `.bale`), as the stdlib zip, the rest bale and the
/// parts file are named.
pub fn beside(bale: &Path, suffix: &str) -> PathBuf {
    let name = bale.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = name.strip_suffix(".zst").unwrap_or(&name);
    let stem = stem.strip_suffix(".bale").unwrap_or(stem);
    bale.with_file_name(format!("{}.{suffix}", if stem.is_empty() { "app" } else { stem }))
}

/// A file written under a temporary name in the destination's folder, and renamed
/// over the destination only once complete. Dropped before that, it leaves nothing.
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
    executable: bool,
}

impl AtomicFile {
    /// Creates the temporary file now, so an unwritable destination fails before any
    /// work is done.
    pub fn create(path: &Path) -> Result<AtomicFile, PackError> {
        let fail = |reason: String| PackError::Output { path: path.to_owned(), reason };
        if path.is_dir() {
            return Err(fail("it is a folder".into()));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = path.file_name().ok_or_else(|| fail("no file name".into()))?.to_string_lossy();
        remove_stale(dir, &name);
        // The writer's process id in the name: a run killed before it renamed its file
        // leaves it behind, and the next run into the folder knows it for stale.
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}.{}.", std::process::id()))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| fail(e.to_string()))?;
        Ok(AtomicFile { temp, path: path.to_owned(), executable: false })
    }

    /// Makes the output a program (0755), set before it is renamed into place, so it
    /// never appears without that.
    pub fn executable(mut self) -> AtomicFile {
        self.executable = true;
        self
    }

    /// The destination.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the content with `write`, flushes it to disk and renames it into place.
    pub fn write_with<T, E>(self, write: impl FnOnce(&mut BufWriter<&File>) -> Result<T, E>) -> Result<T, PackError>
    where
        PackError: From<E>,
    {
        let fail = |reason: String| PackError::Output { path: self.path.clone(), reason };
        let mut out = BufWriter::with_capacity(1 << 20, self.temp.as_file());
        let value = write(&mut out)?;
        out.flush().map_err(|e| fail(e.to_string()))?;
        drop(out);
        self.temp.as_file().sync_all().map_err(|e| fail(e.to_string()))?;
        set_mode(self.temp.as_file(), self.executable).map_err(|e| fail(e.to_string()))?;
        self.temp.persist(&self.path).map_err(|e| fail(e.error.to_string()))?;
        Ok(value)
    }
}

/// Removes the temporary files of `name` left in `dir` by writers that were killed:
/// `.NAME.PID.XXXXXX.tmp` whose process no longer runs.
fn remove_stale(dir: &Path, name: &str) {
    // Without /proc there is no telling a live writer from a dead one: leave them.
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(&prefix)).and_then(|r| r.strip_suffix(".tmp"))
        else {
            continue;
        };
        let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
        let running = Path::new("/proc").join(pid.to_string()).exists();
        if !running && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Temporary files are private (0600); the output is an ordinary file (0644) or a
/// program (0755).
#[cfg(unix)]
fn set_mode(file: &File, executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(if executable { 0o755 } else { 0o644 }))
}

#[cfg(not(unix))]
fn set_mode(_: &File, _: bool) -> std::io::Result<()> {
    Ok(())
}

/// A new temporary folder named `<prefix>XXXXXX`, removed when dropped.
pub(crate) fn temporary_dir(prefix: &str) -> Result<tempfile::TempDir, PackError> {
    tempfile::Builder::new().prefix(prefix).tempdir().map_err(|e| PackError::io(&std::env::temp_dir(), e))
}
