//! What `pip install bale` put beside this command, so that it works with nothing
//! else said: pip puts the command in `PREFIX/bin` and the `bale` package in
//! `PREFIX/lib/pythonX.Y/site-packages` (or, with `--target DIR`, `DIR/bin` and
//! `DIR/bale`). The package holds the importer, and under `_data/web/` the loader and
//! the importer built for Pyodide; the companion wheels `bale-runner-cpXY` hold the
//! runners of `bale exe` in packages `bale_runner_cpXY` beside it.
//!
//! And Pyodide, for `--target pyodide`, installed once with npm into a per-user cache.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The Pyodide the importer in the wheel is built and tested for.
pub const PYODIDE_VERSION: &str = "314.0.7";

/// The installed `bale` package this command came with.
pub struct Installed {
    /// `site-packages/bale`.
    package: PathBuf,
}

impl Installed {
    /// The package installed with the running command, if it was installed by pip.
    pub fn find() -> Option<Installed> {
        let exe = std::env::current_exe().ok()?;
        let bin = exe.parent()?;
        let prefix = bin.parent()?;
        let mut sites = vec![prefix.to_owned()];
        for lib in ["lib", "lib64"] {
            let Ok(entries) = std::fs::read_dir(prefix.join(lib)) else { continue };
            let mut pythons: Vec<PathBuf> = entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
                .map(|e| e.path().join("site-packages"))
                .collect();
            pythons.sort();
            sites.extend(pythons);
        }
        sites
            .into_iter()
            .map(|site| site.join("bale"))
            .find(|package| package.join("_data/web/loader.mjs").is_file())
            .map(|package| Installed { package })
    }

    /// The importer extension module (abi3: for any CPython 3.10 and later).
    pub fn importer(&self) -> Option<PathBuf> {
        Some(self.package.join("bale.abi3.so")).filter(|p| p.is_file())
    }

    /// The importer built for Pyodide (WebAssembly).
    pub fn web_importer(&self) -> Option<PathBuf> {
        Some(self.package.join("_data/web/bale.abi3.so")).filter(|p| p.is_file())
    }

    /// The folder of the runner packages: site-packages.
    pub fn runner_folders(&self) -> Vec<PathBuf> {
        let Some(site) = self.package.parent() else { return Vec::new() };
        let Ok(entries) = std::fs::read_dir(site) else { return Vec::new() };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("bale_runner_cp"))
            .map(|e| e.path())
            .collect();
        found.sort();
        found
    }
}

/// The companion wheel that holds the runner for `target` (`cpython-3.11-...`).
pub fn runner_package(target: &str) -> String {
    let version = target.split('-').nth(1).unwrap_or("3.X").replace('.', "");
    format!("bale-runner-cp{version}")
}

/// Pyodide from the per-user cache (`$XDG_CACHE_HOME/bale/pyodide-VERSION`), installed
/// there with npm the first time, with npm's progress on stderr.
pub fn cached_pyodide(cache_home: &Path) -> anyhow::Result<PathBuf> {
    let home = cache_home.join("bale").join(format!("pyodide-{PYODIDE_VERSION}"));
    let distribution = home.join("node_modules/pyodide");
    if distribution.join("pyodide.mjs").is_file() {
        return Ok(distribution);
    }
    for tool in ["node", "npm"] {
        if !bale_pack::process::available(tool) {
            bail!(
                "--target pyodide runs Pyodide on Node.js, and `{tool}` is not on PATH: install Node.js 18 or \
                 later (it brings npm), or name a Pyodide distribution with --pyodide DIR"
            );
        }
    }
    let parent = home.parent().expect("under the cache");
    std::fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
    // Installed into a fresh folder and renamed into place, so that an interrupted
    // install leaves nothing that looks finished.
    let staging = tempfile::Builder::new()
        .prefix(".pyodide-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot write in {}", parent.display()))?;
    eprintln!("installing Pyodide {PYODIDE_VERSION} with npm into {} (once)", home.display());
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
        .arg(staging.path())
        .arg(format!("pyodide@{PYODIDE_VERSION}"))
        .status()
        .context("cannot run npm")?;
    if !status.success() {
        bail!("npm could not install pyodide@{PYODIDE_VERSION} ({status}); or name one with --pyodide DIR");
    }
    match std::fs::rename(staging.path(), &home) {
        Ok(()) => {
            let _ = staging.keep();
        }
        // Another bale installed it meanwhile: theirs serves.
        Err(_) if distribution.join("pyodide.mjs").is_file() => {}
        Err(e) => return Err(e).with_context(|| format!("moving Pyodide into {}", home.display())),
    }
    Ok(distribution)
}
