//! The standard library of a Pyodide bale (`--target pyodide --stdlib used|all`).
//!
//! Pyodide ships its standard library as `python_stdlib.zip`, all source: every start
//! compiles the modules Pyodide imports for itself (about 125, from `asyncio` to
//! `typing`) before the page runs a line. The packer splits it in two. What a page
//! imports before a bale's finder is in place (Pyodide's own start and the loader's)
//! goes into a trimmed zip of bytecode compiled by Pyodide's CPython, which
//! `loadPyodide({ stdLibURL })` loads instead of the full one; the rest of what the
//! app uses goes into the bale like any other module.
//!
//! Inside Pyodide the standard library is the zip at `/lib/pythonXY.zip`; the packer
//! extracts the distribution's copy into a folder, so that what the app is traced
//! opening there maps onto files the selection can read.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::PackError;
use crate::options::{Content, PackOptions};
use crate::output::AtomicFile;
use crate::process;
use crate::progress::Progress;
use crate::python::Python;
use crate::sizes::Transfer;
use crate::target::{SideFile, StdlibSplit};
use crate::trace::Trace;
use crate::trace::select::Selection;

/// Pyodide's standard library split: what a page imports before the bale goes into
/// the trimmed zip, the rest of what the app uses into the bale.
pub struct WebStdlib {
    extracted: Extracted,
    /// What a page imports from it before the bale's finder is in place.
    before_bale: BTreeSet<String>,
    /// The files of the zip, once the selection is split.
    in_zip: BTreeSet<String>,
    /// The trimmed zip, claimed before any work so that an unwritable one fails first.
    output: Option<AtomicFile>,
    /// Where it goes.
    path: PathBuf,
}

impl WebStdlib {
    /// Extracts the standard library of the Pyodide distribution `pyodide` (for
    /// CPython `version`) and finds what a page imports before the bale, with
    /// `importer`.
    pub fn new(pyodide: &Path, importer: &Path, version: (u32, u32), bale: &Path) -> Result<WebStdlib, PackError> {
        let path = zip_path(bale);
        let output = AtomicFile::create(&path)?;
        let before_bale = loaded_before_bale(pyodide, importer)?;
        let extracted = extract(pyodide, version)?;
        Ok(WebStdlib { extracted, before_bale, in_zip: BTreeSet::new(), output: Some(output), path })
    }
}

impl StdlibSplit for WebStdlib {
    fn rebase(&self, trace: &mut Trace) {
        trace.rebase_stdlib(&self.extracted.mount, &self.extracted.root);
    }

    fn split(&mut self, selection: &mut Selection) {
        self.in_zip = selection.split_stdlib(&self.before_bale);
    }

    fn served(&self) -> (&BTreeSet<String>, &Path) {
        (&self.in_zip, &self.path)
    }

    fn write(&mut self, python: &Python, pack: &PackOptions, progress: &dyn Progress) -> Result<SideFile, PackError> {
        progress.step("writing the trimmed standard library", None);
        let output = self.output.take().expect("written once");
        write_zip(output, &self.extracted.root, &self.in_zip, python, pack)
    }
}

/// Pyodide's standard library, extracted.
struct Extracted {
    /// The folder holding it (what `/lib/pythonXY.zip` holds inside Pyodide).
    pub root: PathBuf,
    /// Where Pyodide has it: `/lib/pythonXY.zip`.
    pub mount: PathBuf,
    _dir: tempfile::TempDir,
}

/// Extracts `python_stdlib.zip` of the Pyodide distribution `pyodide` (for CPython
/// `version`).
fn extract(pyodide: &Path, version: (u32, u32)) -> Result<Extracted, PackError> {
    let zip_path = pyodide.join("python_stdlib.zip");
    let file = std::fs::File::open(&zip_path).map_err(|e| PackError::io(&zip_path, e))?;
    let bad = |reason: String| PackError::Input { origin: zip_path.display().to_string(), reason };
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| bad(e.to_string()))?;
    let dir = crate::output::temporary_dir("bale-pyodide-stdlib-")?;
    let root = dir.path().join("stdlib");
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        let name = entry.name().trim_end_matches('/').to_owned();
        if entry.is_dir() || name.is_empty() {
            continue;
        }
        // A name that would leave the folder is refused, not followed.
        bale_format::name::check_path(&name).map_err(|e| bad(format!("{name}: {e}")))?;
        let path = root.join(&name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| PackError::io(parent, e))?;
        }
        let mut out = std::fs::File::create(&path).map_err(|e| PackError::io(&path, e))?;
        std::io::copy(&mut entry, &mut out).map_err(|e| PackError::io(&path, e))?;
    }
    Ok(Extracted { root, mount: mount(version), _dir: dir })
}

/// Where Pyodide (like any CPython) has its standard library zip: `/lib/pythonXY.zip`.
pub fn mount(version: (u32, u32)) -> PathBuf {
    PathBuf::from(format!("/lib/python{}{}.zip", version.0, version.1))
}

/// The files of the standard library (paths inside it) that a page has imported when
/// `loadBale` returns: Pyodide's own start-up, the loader and the importer. Found by
/// doing just that in Pyodide on Node, with `importer` and an empty bale.
fn loaded_before_bale(pyodide: &Path, importer: &Path) -> Result<BTreeSet<String>, PackError> {
    let dir = crate::output::temporary_dir("bale-startup-")?;
    let write = |name: &str, text: &str| {
        process::write_script(dir.path(), name, text).map_err(|e| PackError::io(dir.path(), e))
    };
    let script = write("startup.mjs", include_str!("../../../assets/node/startup.mjs"))?;
    let loader = write("loader.mjs", bale_loader::LOADER)?;
    let mut empty = Vec::new();
    bale_format::Writer::new("any")?.write(std::io::Cursor::new(&mut empty), &Default::default())?;
    let bale = dir.path().join("empty.bale");
    std::fs::write(&bale, &empty).map_err(|e| PackError::io(&bale, e))?;
    #[derive(serde::Deserialize)]
    struct Found {
        files: BTreeSet<String>,
    }
    let found: Found =
        process::json(Command::new("node").arg(&script).arg(pyodide).arg(&loader).arg(importer).arg(&bale), &[])
            .map_err(PackError::node(format!(
                "finding what Pyodide imports before the bale (with the importer {})",
                importer.display()
            )))?;
    Ok(found.files)
}

/// Writes the trimmed standard library: each module of `files` (paths under `root`)
/// as bytecode compiled by `python` (Pyodide's CPython) as `pack` says, next to its
/// source if `pack.content` keeps the libraries' sources. Entries are deflated, as in
/// Pyodide's own zip, unless the bale is neither compressed nor framed (`--compress
/// none`: the server compresses, and its brotli does better on the whole file than
/// deflate on each entry). The bytecode is
/// unchecked hash-based (PEP 552): zipimport then uses it without reading the
/// source, which is there for tracebacks only.
fn write_zip(
    output: AtomicFile,
    root: &Path,
    files: &BTreeSet<String>,
    python: &Python,
    pack: &PackOptions,
) -> Result<SideFile, PackError> {
    let path = output.path().to_owned();
    let path = path.as_path();
    let deflate = pack.compression != bale_format::Compression::None || pack.framed;
    let mut sources = Vec::new();
    for rel in files {
        let file = root.join(rel);
        sources.push((rel.as_str(), std::fs::read(&file).map_err(|e| PackError::io(&file, e))?));
    }
    // Modules are compiled (unless only sources are wanted), with the module's path
    // inside Pyodide as the code's file name, as zipimport gives it.
    let mount = mount(python.version());
    let modules: Vec<usize> = match pack.content {
        Content::Source => Vec::new(),
        _ => (0..sources.len()).filter(|&i| sources[i].0.ends_with(".py")).collect(),
    };
    let names: Vec<String> = modules.iter().map(|&i| format!("{}/{}", mount.display(), sources[i].0)).collect();
    let jobs: Vec<(&str, &[u8])> =
        modules.iter().zip(&names).map(|(&i, n)| (n.as_str(), sources[i].1.as_slice())).collect();
    let mut compiled: Vec<Option<Result<crate::python::Compiled, String>>> = (0..sources.len()).map(|_| None).collect();
    for (&i, result) in modules.iter().zip(python.compile(&jobs, pack.compile_options(), &|_| ())?) {
        compiled[i] = Some(result);
    }

    let options = match deflate {
        true => zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(9)),
        false => zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
    };
    let fail = |e: zip::result::ZipError| PackError::Output { path: path.to_owned(), reason: e.to_string() };
    let mut bytes = Vec::new();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bytes));
    let (mut modules, mut count, mut raw) = (0, 0, 0);
    for ((rel, source), result) in sources.iter().zip(compiled) {
        let (pyc, source) = match result {
            Some(Ok(c)) => {
                let source = c.source.unwrap_or_else(|| source.clone());
                (Some(unchecked(c.pyc)), source)
            }
            // Data, sources only, or a source that does not compile (zipimport then
            // compiles it, as from Pyodide's own zip).
            _ => (None, source.clone()),
        };
        if let (Some(pyc), Some(stem)) = (&pyc, rel.strip_suffix(".py")) {
            zip.start_file(format!("{stem}.pyc"), options).map_err(fail)?;
            zip.write_all(pyc).map_err(|e| PackError::io(path, e))?;
            (modules, count, raw) = (modules + 1, count + 1, raw + pyc.len() as u64);
        }
        if pyc.is_none() || pack.content.keeps_source(false) || !rel.ends_with(".py") {
            zip.start_file(rel.to_string(), options).map_err(fail)?;
            zip.write_all(&source).map_err(|e| PackError::io(path, e))?;
            (count, raw) = (count + 1, raw + source.len() as u64);
        }
    }
    zip.finish().map_err(fail)?;
    let transfer = Transfer::of(&bytes);
    output.write_with(|out| out.write_all(&bytes).map_err(|e| PackError::io(path, e)))?;
    Ok(SideFile { path: path.to_owned(), modules, files: count, raw, transfer })
}

/// A checked hash-based `.pyc` made unchecked: its flags word (bytes 4 to 8) says
/// "hash-based, do not check the source".
fn unchecked(mut pyc: Vec<u8>) -> Vec<u8> {
    if pyc.len() >= 8 {
        pyc[4..8].copy_from_slice(&1u32.to_le_bytes());
    }
    pyc
}

/// Where the trimmed standard library goes: next to the bale, `NAME.stdlib.zip` for
/// `NAME.bale` and `NAME.bale.zst`.
pub fn zip_path(bale: &Path) -> PathBuf {
    crate::output::beside(bale, "stdlib.zip")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_path_sits_next_to_the_bale() {
        assert_eq!(zip_path(Path::new("out/report.bale")), PathBuf::from("out/report.stdlib.zip"));
        assert_eq!(zip_path(Path::new("app")), PathBuf::from("app.stdlib.zip"));
        assert_eq!(zip_path(Path::new("/srv/app.bale.zst")), PathBuf::from("/srv/app.stdlib.zip"));
    }

    #[test]
    fn unchecked_sets_only_the_flags() {
        let pyc = [vec![1, 2, 3, 4], 3u32.to_le_bytes().to_vec(), vec![9; 12]].concat();
        let out = unchecked(pyc.clone());
        assert_eq!(&out[4..8], &1u32.to_le_bytes());
        assert_eq!(out[..4], pyc[..4]);
        assert_eq!(out[8..], pyc[8..]);
    }
}
