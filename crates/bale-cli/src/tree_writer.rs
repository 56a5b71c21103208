//! Writing files under a folder through directory descriptors (`openat`,
//! `mkdirat`, `renameat`), never through a path: every folder on the way is opened
//! with `O_NOFOLLOW`, so a symbolic link swapped in between a check and a write is
//! refused rather than followed, and a file goes into place by one `renameat`, which
//! refuses to replace an existing file unless asked (`RENAME_NOREPLACE`).

use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};
use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

/// A folder, opened; the files written are under it.
pub struct TreeWriter {
    root: OwnedFd,
    /// For messages.
    shown: std::path::PathBuf,
}

/// Makes temporary names unique within this process.
static NEXT: AtomicU64 = AtomicU64::new(0);

fn open_dir(at: &impl std::os::fd::AsFd, name: &str) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat(at, name, OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
}

impl TreeWriter {
    /// Opens `dir`, the folder the user named (a link to one is taken as named: what
    /// is guarded is every path below it).
    pub fn open(dir: &Path) -> anyhow::Result<TreeWriter> {
        let root = rustix::fs::openat(CWD, dir, OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
            .with_context(|| format!("{}: not a folder", dir.display()))?;
        Ok(TreeWriter { root, shown: dir.to_owned() })
    }

    /// The folder holding `rel`'s last component, made where missing (mode 0755), each
    /// step opened without following links.
    fn parent_of(&self, rel: &str, create: bool) -> anyhow::Result<(OwnedFd, String)> {
        let mut parts: Vec<&str> = rel.split('/').collect();
        let name = parts.pop().unwrap_or_default().to_owned();
        let mut dir = rustix::io::dup(&self.root).context("dup")?;
        let mut at = self.shown.clone();
        for part in parts {
            at.push(part);
            if create {
                match rustix::fs::mkdirat(&dir, part, Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(e).with_context(|| at.display().to_string()),
                }
            }
            dir = open_dir(&dir, part).map_err(|e| refusal(e, &at))?;
        }
        Ok((dir, name))
    }

    /// Makes the folder `rel` and those above it.
    pub fn folder(&self, rel: &str) -> anyhow::Result<()> {
        let (dir, name) = self.parent_of(rel, true)?;
        let at = self.shown.join(rel);
        match rustix::fs::mkdirat(&dir, name.as_str(), Mode::from_raw_mode(0o755)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(e).with_context(|| at.display().to_string()),
        }
        open_dir(&dir, name.as_str()).map_err(|e| refusal(e, &at))?;
        Ok(())
    }

    /// Fails if writing `rel` would replace something (unless `force`) or write
    /// through a symbolic link. Writing checks again, atomically; this lets a caller
    /// refuse before writing anything.
    pub fn check(&self, rel: &str, force: bool) -> anyhow::Result<()> {
        let (dir, name) = match self.parent_of(rel, false) {
            Ok(found) => found,
            // A folder on the way is missing: it will be made, and nothing is replaced.
            Err(e) if is_missing(&e) => return Ok(()),
            Err(e) => return Err(e),
        };
        let at = self.shown.join(rel);
        match rustix::fs::statat(&dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(e).with_context(|| at.display().to_string()),
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {
                bail!("{}: a symbolic link; refusing to write through it", at.display())
            }
            Ok(st) if !force => {
                let what =
                    if FileType::from_raw_mode(st.st_mode) == FileType::Directory { "a folder" } else { "a file" };
                bail!("{}: already exists ({what}); use --force to replace files", at.display())
            }
            Ok(_) => Ok(()),
        }
    }

    /// Writes `content` as `rel` (mode 0755 or 0644): into a new temporary file in the
    /// same folder, then renamed into place in one step.
    pub fn file(&self, rel: &str, content: &[u8], executable: bool, force: bool) -> anyhow::Result<()> {
        let (dir, name) = self.parent_of(rel, true)?;
        let at = self.shown.join(rel);
        let temp = format!(".bale.{}.{}.tmp", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&dir, temp.as_str(), flags, Mode::from_raw_mode(0o600))
            .with_context(|| format!("cannot write in {}", at.parent().unwrap_or(&at).display()))?;
        let written = (|| -> anyhow::Result<()> {
            let mut file = std::fs::File::from(fd);
            file.write_all(content)?;
            rustix::fs::fchmod(&file, Mode::from_raw_mode(if executable { 0o755 } else { 0o644 }))?;
            let flags = if force { RenameFlags::empty() } else { RenameFlags::NOREPLACE };
            match rustix::fs::renameat_with(&dir, temp.as_str(), &dir, name.as_str(), flags) {
                Ok(()) => Ok(()),
                Err(Errno::EXIST) => bail!("{}: already exists; use --force to replace files", at.display()),
                Err(e) => Err(e.into()),
            }
        })();
        if written.is_err() {
            let _ = rustix::fs::unlinkat(&dir, temp.as_str(), AtFlags::empty());
        }
        written.with_context(|| at.display().to_string())
    }
}

/// A refused open, said plainly: a link where a folder should be.
fn refusal(e: Errno, at: &Path) -> anyhow::Error {
    match e {
        Errno::LOOP | Errno::NOTDIR => {
            anyhow::anyhow!("{}: a symbolic link or not a folder; refusing to write through it", at.display())
        }
        e => anyhow::Error::new(e).context(at.display().to_string()),
    }
}

fn is_missing(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<Errno>() == Some(&Errno::NOENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_swapped_in_after_the_check_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        std::fs::create_dir(&outside).unwrap();
        let writer = TreeWriter::open(&root).unwrap();
        writer.check("pkg/data.txt", false).unwrap();
        // Between the check and the write, the folder becomes a link out of the root.
        std::fs::remove_dir(root.join("pkg")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("pkg")).unwrap();
        let err = writer.file("pkg/data.txt", b"x", false, false).unwrap_err();
        assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
        let err = writer.folder("pkg/deeper").unwrap_err();
        assert!(format!("{err:#}").contains("symbolic link"), "{err:#}");
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "nothing written outside");
    }

    #[test]
    fn a_file_appearing_after_the_check_is_not_replaced_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let writer = TreeWriter::open(dir.path()).unwrap();
        writer.check("a.txt", false).unwrap();
        std::fs::write(dir.path().join("a.txt"), b"theirs").unwrap();
        assert!(writer.file("a.txt", b"ours", false, false).is_err());
        assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), b"theirs");
        writer.file("a.txt", b"ours", true, true).unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), b"ours");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, ["a.txt"], "no temporary file left");
    }

    #[test]
    fn the_root_is_the_folder_named_even_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link")).unwrap();
        TreeWriter::open(&dir.path().join("link")).unwrap().file("a/b.txt", b"b", false, false).unwrap();
        assert_eq!(std::fs::read(dir.path().join("real/a/b.txt")).unwrap(), b"b");
        assert!(TreeWriter::open(&dir.path().join("missing")).is_err());
    }
}
