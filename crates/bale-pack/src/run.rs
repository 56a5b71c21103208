//! How an app is run from a bale: as `bale run` does, and as `--validate` does to
//! compare the bale with the traced runs; and with which interpreter, for a bale
//! packed for one CPython.

use std::path::{Path, PathBuf};
use std::process::Command;

use bale_format::{EntryPoint, Target};

use crate::error::PackError;
use crate::python::Python;

/// The command that runs `entry` from `bale` with `args`: `python -I -S` with the
/// importer loaded from its file, so that the app imports from the bale, never from
/// site-packages (nor from the interpreter's standard library where the bale carries
/// its own; `assets/python/run.py` says how).
pub fn command(python: &Path, importer: &Path, bale: &Path, entry: &EntryPoint, args: &[String]) -> Command {
    let mut command = Command::new(python);
    command
        .args(["-I", "-S", "-c", include_str!("../assets/python/run.py")])
        .arg(importer)
        .arg(bale)
        .args(crate::target::entry_args(entry))
        .args(args);
    command
}

/// Where an interpreter was looked for, to say so when none fits.
#[derive(Debug, Default)]
pub struct Search {
    pub looked: Vec<String>,
    /// Interpreters found that run another build, with the build they run.
    pub others: Vec<(PathBuf, String)>,
}

/// The interpreter to run a bale of `target` with: `given` when the user named one
/// (refused, naming both builds, if it cannot load the bale), else the first of
/// `python3` on `PATH`, `python3.X` on `PATH`, pyenv's and uv's Pythons 3.X, and the
/// system's `/usr/bin/python3.X` and `/usr/local/bin/python3.X` that runs the bale's
/// build. A bale for any Python takes `python3`.
pub fn choose_python(target: &Target, given: Option<&Path>) -> Result<Python, PackError> {
    if let Some(given) = given {
        let python = Python::find(given)?;
        let runs = python.info.target();
        if !target.runs_on(&runs) {
            return Err(PackError::Usage(format!(
                "the bale is for {target}; {} runs {runs} and cannot load its bytecode and extension modules",
                given.display()
            )));
        }
        return Ok(python);
    }
    let mut search = Search::default();
    for candidate in candidates(target) {
        search.looked.push(candidate.display().to_string());
        let Ok(python) = Python::find(&candidate) else { continue };
        let runs = python.info.target();
        if target.runs_on(&runs) {
            return Ok(python);
        }
        search.others.push((candidate, runs.to_string()));
    }
    Err(PackError::Usage(no_python_message(target, &search)))
}

/// Where a Python of `target`'s version may be, most likely first.
fn candidates(target: &Target) -> Vec<PathBuf> {
    let mut out = vec![PathBuf::from("python3")];
    let Some(build) = target.python() else { return out };
    let version = build.version();
    let name = format!("python{version}");
    out.push(PathBuf::from(&name));
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let pyenv = std::env::var_os("PYENV_ROOT").map(PathBuf::from).or_else(|| home.as_ref().map(|h| h.join(".pyenv")));
    let uv = std::env::var_os("UV_PYTHON_INSTALL_DIR")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".local/share/uv/python")));
    let installed = |folder: Option<PathBuf>, prefix: &str| -> Vec<PathBuf> {
        let Some(Ok(entries)) = folder.map(std::fs::read_dir) else { return Vec::new() };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
            .map(|e| e.path().join("bin").join(&name))
            .filter(|p| p.is_file())
            .collect();
        // The newest patch release first.
        found.sort();
        found.reverse();
        found
    };
    out.extend(installed(pyenv.map(|p| p.join("versions")), &format!("{version}.")));
    out.extend(installed(uv, &format!("cpython-{version}.")));
    out.extend(["/usr/bin", "/usr/local/bin"].iter().map(|dir| Path::new(dir).join(&name)).filter(|p| p.is_file()));
    out
}

fn no_python_message(target: &Target, search: &Search) -> String {
    let version = target.python().map_or("3".to_owned(), |b| b.version());
    let mut message = format!(
        "the bale is for {target}, and no CPython {version} was found to run it (looked for {}).",
        search.looked.join(", ")
    );
    for (path, runs) in &search.others {
        message += &format!("\n  {} runs {runs}", path.display());
    }
    message += &format!(
        "\nInstall CPython {version} (with pyenv, uv or the system's packages), or give one with --python PYTHON; \
         or pack the app again with the Python you have."
    );
    message
}
