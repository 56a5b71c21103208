//! `bale extract`: the bale's contents back as files, never outside the target folder.

use std::fs;
use std::path::Path;

use anyhow::{Context, bail};
use bale_format::name::{check_path, last_component, parent};
use bale_format::{FileKind, MappedBale};

use crate::common::open;
use crate::exit::{EXIT_DAMAGED, Exit};
use crate::tree_writer::TreeWriter;

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
        // Refused before anything is written; the writes check again as they go.
        let writer = TreeWriter::open(dir)?;
        for f in &files {
            writer.check(&f.path, force)?;
        }
        write_all(&writer, &dirs, &files, force)?;
    } else {
        // A new folder appears complete or not at all.
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
        let staging = tempfile::Builder::new()
            .prefix(".bale-extract.")
            .tempdir_in(parent)
            .with_context(|| format!("cannot create a folder in {}", parent.display()))?;
        write_all(&TreeWriter::open(staging.path())?, &dirs, &files, false)?;
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

fn write_all(writer: &TreeWriter, dirs: &[String], files: &[Planned<'_>], force: bool) -> anyhow::Result<()> {
    for d in dirs {
        writer.folder(d)?;
    }
    for f in files {
        writer.file(&f.path, &f.content, f.executable, force)?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_dir_mode(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))?;
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
