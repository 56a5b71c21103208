//! `bale extract`: the bale's contents back as files, never outside the target folder.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use bale_format::name::{check_path, last_component, parent};
use bale_format::{FileKind, MappedBale};

use crate::{EXIT_DAMAGED, Exit, open};

/// One file to write: its path inside the target folder, its bytes, its mode.
struct Planned<'a> {
    path: String,
    content: std::borrow::Cow<'a, [u8]>,
    executable: bool,
}

pub fn run(bale_path: &Path, dir: &Path, force: bool) -> anyhow::Result<()> {
    let bale = open(bale_path)?;
    // Nothing is written from a damaged bale.
    let problems = bale.verify();
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("{}: {p}", bale_path.display());
        }
        return Err(Exit(EXIT_DAMAGED, format!("{}: damaged, nothing extracted", bale_path.display())).into());
    }
    let (dirs, files) = plan(&bale).with_context(|| bale_path.display().to_string())?;

    if dir.exists() {
        if !dir.is_dir() {
            bail!("{}: not a folder", dir.display());
        }
        for f in &files {
            check_destination(dir, &f.path, force)?;
        }
        write_all(dir, &dirs, &files)?;
    } else {
        // A new folder appears complete or not at all.
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
        let staging = tempfile::Builder::new()
            .prefix(".bale-extract.")
            .tempdir_in(parent)
            .with_context(|| format!("cannot create a folder in {}", parent.display()))?;
        write_all(staging.path(), &dirs, &files)?;
        let staging = staging.keep();
        set_dir_mode(&staging)?;
        fs::rename(&staging, dir).with_context(|| format!("moving {} to {}", staging.display(), dir.display()))?;
    }
    println!("{}: extracted {} files into {}", bale_path.display(), files.len(), dir.display());
    Ok(())
}

/// Every folder and file the bale holds, with bytecode written as CPython would cache
/// it: `__pycache__/NAME.TAG.pyc` beside its source, or `NAME.pyc` in place of a
/// missing source.
fn plan(bale: &MappedBale) -> anyhow::Result<(Vec<String>, Vec<Planned<'_>>)> {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for f in bale.files() {
        let f = f?;
        if f.kind == FileKind::Directory {
            dirs.push(f.path.to_owned());
        } else {
            files.push(Planned { path: f.path.to_owned(), content: bale.read_file(&f)?, executable: f.executable });
        }
    }
    let tag = cache_tag(bale.target());
    for m in bale.modules() {
        let m = m?;
        let Some(code) = m.bytecode else { continue };
        let base = m.name.replace('.', "/");
        let path = match (m.source, &tag) {
            (Some(source), Some(tag)) => {
                let source = bale.file_by_id(source)?;
                let stem = last_component(source.path, '/').trim_end_matches(".py");
                match parent(source.path, '/') {
                    Some(d) => format!("{d}/__pycache__/{stem}.{tag}.pyc"),
                    None => format!("__pycache__/{stem}.{tag}.pyc"),
                }
            }
            _ if m.is_package => format!("{base}/__init__.pyc"),
            _ => format!("{base}.pyc"),
        };
        let content = bale.read(&bale.payload(code)?).with_context(|| format!("module {}", m.name))?;
        files.push(Planned { path, content, executable: false });
    }
    for f in &files {
        check_path(&f.path)?;
    }
    Ok((dirs, files))
}

/// `cpython-3.11-x86_64-linux-gnu` → `cpython-311`, CPython's `sys.implementation.cache_tag`.
fn cache_tag(target: &str) -> Option<String> {
    let target: bale_format::Target = target.parse().ok()?;
    target.python().map(|p| p.cache_tag())
}

/// Refuses to write through a symbolic link, or over a file unless `force`.
fn check_destination(root: &Path, rel: &str, force: bool) -> anyhow::Result<()> {
    let mut at = root.to_path_buf();
    let components: Vec<&str> = rel.split('/').collect();
    for (i, c) in components.iter().enumerate() {
        at.push(c);
        match fs::symlink_metadata(&at) {
            Err(_) => return Ok(()),
            Ok(m) if m.file_type().is_symlink() => {
                bail!("{}: a symbolic link; refusing to write through it", at.display())
            }
            Ok(m) if i + 1 == components.len() && !force => {
                let what = if m.is_dir() { "a folder" } else { "a file" };
                bail!("{}: already exists ({what}); use --force to replace files", at.display())
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

fn write_all(root: &Path, dirs: &[String], files: &[Planned<'_>]) -> anyhow::Result<()> {
    for d in dirs {
        fs::create_dir_all(root.join(d)).with_context(|| root.join(d).display().to_string())?;
    }
    for f in files {
        let dest: PathBuf = root.join(&f.path);
        let folder = dest.parent().expect("inside root");
        fs::create_dir_all(folder).with_context(|| folder.display().to_string())?;
        let mut temp = tempfile::Builder::new()
            .prefix(".bale.")
            .tempfile_in(folder)
            .with_context(|| format!("cannot write in {}", folder.display()))?;
        temp.write_all(&f.content).with_context(|| dest.display().to_string())?;
        set_file_mode(temp.as_file(), f.executable)?;
        temp.persist(&dest).with_context(|| dest.display().to_string())?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_file_mode(file: &fs::File, executable: bool) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(if executable { 0o755 } else { 0o644 }))?;
    Ok(())
}

#[cfg(unix)]
fn set_dir_mode(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))?;
    Ok(())
}

#[cfg(not(unix))]
fn set_file_mode(_: &fs::File, _: bool) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn set_dir_mode(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cache_tags() {
        assert_eq!(super::cache_tag("cpython-3.11-x86_64-linux-gnu").as_deref(), Some("cpython-311"));
        assert_eq!(super::cache_tag("cpython-3.14-wasm32-emscripten").as_deref(), Some("cpython-314"));
        assert_eq!(super::cache_tag("any"), None);
    }
}
