//! A bale's native code made to run on every x86-64 Linux from glibc 2.28 on, for a
//! program made by `bale exe`, whatever machine built its extension modules.
//!
//! Two things tie native code to the system it was built on: the glibc version of
//! the symbols it takes, and the libraries it links that are not glibc's (the
//! standard library's `_ssl` links `libssl.so.3`, which Debian 11 lacks, and `_ctypes`
//! `libffi.so.8`, where Debian 11 has 7). So, as auditwheel does for a wheel, the
//! libraries the bale's native code needs, other than glibc's own and the C++
//! runtime every system has, are carried in the bale (under `bale.libs/`, where the
//! importer finds them by name, as it finds numpy's `numpy.libs/`), taken from this
//! machine as its dynamic loader would find them. Then every native file, those
//! carried included, is lowered to the floor (`bale-glibc`): what it takes at a newer
//! glibc it takes unversioned, and the runner defines what an old glibc lacks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use bale_format::{FileKind, Writer};
pub use bale_glibc::FLOOR;
use bale_glibc::Version;

use crate::collect::InputFile;
use crate::error::PackError;

/// Where carried libraries go in the bale.
const CARRIED: &str = "bale.libs";

/// Libraries every Linux has and a program links the system's of: glibc's own, and the
/// C++ and GCC runtimes (as the manylinux policies say), whose newest version runs
/// what an older one built.
const SYSTEM: [&str; 14] = [
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
    "libresolv.so.2",
    "libnsl.so.1",
    "libanl.so.1",
    "libmvec.so.1",
    "ld-linux-x86-64.so.2",
    "linux-vdso.so.1",
    "libgcc_s.so.1",
    "libstdc++.so.6",
];

/// What [`make_portable`] did.
#[derive(Debug, Default)]
pub struct Portable {
    /// Native files whose glibc requirements came down to the floor.
    pub lowered: usize,
    /// Libraries taken from this machine: name, where from, size.
    pub carried: Vec<(String, PathBuf, u64)>,
    /// Libraries the native code needs that this machine does not have either: the
    /// program needs them where it runs.
    pub missing: Vec<String>,
}

/// Carries the libraries the writer's native files need and lowers every native file
/// to glibc [`FLOOR`].
pub fn make_portable(writer: &mut Writer) -> Result<Portable, PackError> {
    let mut portable = Portable::default();
    carry_libraries(writer, &mut portable)?;
    for (path, kind, content) in writer.files_mut() {
        if !kind.is_native() {
            continue;
        }
        let lowered = bale_glibc::lower(content, FLOOR).map_err(|e| PackError::Input {
            origin: path.to_owned(),
            reason: format!("cannot be made to run on glibc {FLOOR}: {e}"),
        })?;
        if let Some(lowered) = lowered {
            *content = lowered;
            portable.lowered += 1;
        }
    }
    Ok(portable)
}

/// Adds to the writer, under [`CARRIED`], every library its native files need (and
/// those need, in turn) that neither the bale nor every system has.
fn carry_libraries(writer: &mut Writer, portable: &mut Portable) -> Result<(), PackError> {
    let mut held: BTreeSet<String> = BTreeSet::new();
    let mut wanted: Vec<(String, Vec<String>)> = Vec::new();
    for (path, kind, content) in writer.files_mut() {
        if !kind.is_native() {
            continue;
        }
        held.insert(file_name(path).to_owned());
        // Not an ELF object (a test's stand-in): nothing it links is known.
        if let Ok(listed) = bale_glibc::dynamic(content) {
            wanted.extend(listed.needed.into_iter().map(|name| (name, absolute_folders(&listed.runpath))));
        }
    }
    let search = Search::new();
    let mut carried: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    while let Some((name, runpath)) = wanted.pop() {
        if SYSTEM.contains(&name.as_str()) || !held.insert(name.clone()) {
            continue;
        }
        let Some(found) = search.find(&name, &runpath) else {
            portable.missing.push(name);
            continue;
        };
        let content = std::fs::read(&found).map_err(|e| PackError::io(&found, e))?;
        let listed = bale_glibc::dynamic(&content).map_err(|e| PackError::Input {
            origin: found.display().to_string(),
            reason: format!("not a library to carry: {e}"),
        })?;
        wanted.extend(listed.needed.into_iter().map(|n| (n, absolute_folders(&listed.runpath))));
        portable.carried.push((name.clone(), found, content.len() as u64));
        carried.insert(name, content);
    }
    for (name, content) in carried {
        writer.add_file(&format!("{CARRIED}/{name}"), FileKind::SharedLibrary, content, false)?;
    }
    Ok(())
}

/// For a bale that carries the standard library (one meant to run where its Python is
/// not, as a program): adds to `files`, under [`CARRIED`], the libraries its native
/// files need (and those need) that not every system has, as `python`'s dynamic loader
/// finds them in the app's environment, which is where those files were built for
/// (a Debian sid's `_ssl` needs sid's libssl, not this machine's). Returns what it
/// carried: name, path, size.
pub fn carry_from_environment(
    files: &mut BTreeMap<String, InputFile>,
    python: &Path,
) -> Result<Vec<(String, PathBuf, u64)>, PackError> {
    let mut held: BTreeSet<String> = BTreeSet::new();
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let needs = |content: &[u8]| bale_glibc::dynamic(content).map(|d| d.needed).unwrap_or_default();
    for (path, file) in files.iter() {
        if crate::classify::is_shared_library(file_name(path)) {
            held.insert(file_name(path).to_owned());
            wanted.extend(needs(&file.content));
        }
    }
    let mut carried = Vec::new();
    loop {
        let ask: Vec<String> =
            wanted.iter().filter(|n| !SYSTEM.contains(&n.as_str()) && !held.contains(*n)).cloned().collect();
        if ask.is_empty() {
            return Ok(carried);
        }
        wanted.clear();
        for (name, found) in find_libraries(python, &ask)? {
            held.insert(name.clone());
            // One this environment cannot load: `bale exe` says so, from this machine.
            let Some(found) = found else { continue };
            let content = std::fs::read(&found).map_err(|e| PackError::io(&found, e))?;
            wanted.extend(needs(&content));
            carried.push((name.clone(), found.clone(), content.len() as u64));
            let file = InputFile { content, executable: false, origin: found.display().to_string() };
            files.insert(format!("{CARRIED}/{name}"), file);
        }
    }
}

/// Where `python`'s dynamic loader finds each of `names` (`assets/python/find_libraries.py`).
fn find_libraries(python: &Path, names: &[String]) -> Result<BTreeMap<String, Option<PathBuf>>, PackError> {
    let script = include_str!("../assets/python/find_libraries.py");
    crate::process::json(std::process::Command::new(python).args(["-I", "-c", script]).args(names), &[])
        .map_err(PackError::helper("finding the libraries the native code links"))
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The folders of a `DT_RUNPATH` that name a place on this machine (`$ORIGIN` means the
/// object's own folder, which a file in a bale no longer has).
fn absolute_folders(runpath: &[String]) -> Vec<String> {
    runpath.iter().filter(|p| p.starts_with('/')).cloned().collect()
}

/// Where this machine's dynamic loader finds libraries: `LD_LIBRARY_PATH`, its cache
/// (`ldconfig -p`), then the default folders.
struct Search {
    library_path: Vec<PathBuf>,
    cache: BTreeMap<String, PathBuf>,
}

impl Search {
    fn new() -> Search {
        let library_path = std::env::var("LD_LIBRARY_PATH")
            .unwrap_or_default()
            .split(':')
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect();
        Search { library_path, cache: ldconfig_cache() }
    }

    /// The library `name`, as the loader would find it for an object whose
    /// `DT_RUNPATH` holds `runpath`.
    fn find(&self, name: &str, runpath: &[String]) -> Option<PathBuf> {
        let folders = self.library_path.iter().cloned().chain(runpath.iter().map(PathBuf::from));
        if let Some(found) = folders.map(|f| f.join(name)).find(|p| p.is_file()) {
            return Some(found);
        }
        if let Some(found) = self.cache.get(name).filter(|p| p.is_file()) {
            return Some(found.clone());
        }
        ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"]
            .iter()
            .map(|dir| Path::new(dir).join(name))
            .find(|p| p.is_file())
    }
}

/// The x86-64 libraries of the loader's cache, by name, as `ldconfig -p` lists them:
/// `\tlibssl.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so.3`.
fn ldconfig_cache() -> BTreeMap<String, PathBuf> {
    let listing = ["/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"]
        .iter()
        .find_map(|ldconfig| std::process::Command::new(ldconfig).arg("-p").output().ok())
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    let mut cache = BTreeMap::new();
    for line in listing.lines() {
        let Some((left, path)) = line.trim().split_once(" => ") else { continue };
        let Some((name, kind)) = left.split_once(" (") else { continue };
        if kind.contains("x86-64") {
            cache.entry(name.to_owned()).or_insert_with(|| PathBuf::from(path));
        }
    }
    cache
}

/// The newest glibc any native file of a bale needs, for checks.
pub fn newest_glibc<D: AsRef<[u8]>>(bale: &bale_format::Bale<D>) -> Result<Option<Version>, PackError> {
    let mut newest = None;
    for file in bale.files() {
        let file = file?;
        if file.kind.is_native() {
            let content = bale.read_file(&file)?;
            newest = newest.max(bale_glibc::newest(&content).ok().flatten());
        }
    }
    Ok(newest)
}
