//! The environment the app runs in while traced: a virtual environment made from a
//! requirements file (removed when done), one given, or the interpreter's own.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Environment;
use crate::pyodide::PyodidePython;
use crate::{PackError, Progress, Python};

/// The interpreter to trace the app with, and the temporary folder it lives in (if
/// any), removed on drop.
pub struct Prepared {
    pub python: PathBuf,
    _temporary: Option<tempfile::TempDir>,
    _pyodide: Option<PyodidePython>,
}

/// `pyodide`: the Pyodide distribution to run the app in (`--target pyodide`), with
/// `base` its own `python` command.
pub fn prepare(
    base: &Python,
    environment: &Environment,
    pyodide: Option<&Path>,
    progress: &dyn Progress,
) -> Result<Prepared, PackError> {
    if let Some(pyodide) = pyodide {
        return prepare_pyodide(base, environment, pyodide, progress);
    }
    match environment {
        Environment::Interpreter => Ok(Prepared { python: base.path.clone(), _temporary: None, _pyodide: None }),
        Environment::Venv(dir) => {
            let python = dir.join("bin/python");
            if !python.exists() {
                return Err(PackError::Usage(format!(
                    "{}: not a virtual environment (no bin/python in it)",
                    dir.display()
                )));
            }
            Ok(Prepared { python, _temporary: None, _pyodide: None })
        }
        Environment::Requirements(requirements) => {
            check_requirements(requirements)?;
            let dir = crate::temporary_dir("bale-venv-")?;
            progress.step("creating a virtual environment", None);
            run_quietly(
                Command::new(&base.path).args(["-m", "venv"]).arg(dir.path()),
                "cannot create a virtual environment",
            )?;
            let python = dir.path().join("bin/python");
            progress.step("installing requirements", None);
            run_quietly(
                Command::new(&python)
                    .args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q", "-r"])
                    .arg(requirements),
                &format!("cannot install the requirements in {}", requirements.display()),
            )?;
            Ok(Prepared { python, _temporary: Some(dir), _pyodide: None })
        }
    }
}

/// For Pyodide: the requirements' wheels downloaded (kept in `wheels/`, for the
/// load-time baseline) and installed into `site/` with the host's pip, and a Pyodide
/// `python` that has that folder on its path.
fn prepare_pyodide(
    base: &Python,
    environment: &Environment,
    pyodide: &Path,
    progress: &dyn Progress,
) -> Result<Prepared, PackError> {
    let requirements = match environment {
        Environment::Interpreter => {
            return Ok(Prepared { python: base.path.clone(), _temporary: None, _pyodide: None });
        }
        Environment::Venv(dir) => {
            return Err(PackError::Usage(format!(
                "--venv {}: a virtual environment of this machine cannot run in Pyodide; give its requirements with -r",
                dir.display()
            )));
        }
        Environment::Requirements(r) => r,
    };
    check_requirements(requirements)?;
    let dir = crate::temporary_dir("bale-pyodide-env-")?;
    progress.step("installing requirements for Pyodide", None);
    let version = (base.info.version.0, base.info.version.1);
    crate::pyodide::install_requirements(
        requirements,
        dir.path(),
        version,
        &crate::pyodide::platform_tag(pyodide, version)?,
    )?;
    let shim = PyodidePython::new(pyodide, Some(&dir.path().join("site")), None)?;
    Ok(Prepared { python: shim.path.clone(), _temporary: Some(dir), _pyodide: Some(shim) })
}

impl Prepared {
    /// Where `prepare` downloaded the requirements' wheels (for Pyodide), if it did.
    pub fn wheels(&self) -> Option<PathBuf> {
        self._temporary.as_ref().map(|d| d.path().join("wheels")).filter(|w| w.is_dir())
    }
}

fn check_requirements(requirements: &Path) -> Result<(), PackError> {
    match requirements.is_file() {
        true => Ok(()),
        false => Err(PackError::Usage(format!("requirements {}: no such file", requirements.display()))),
    }
}

fn run_quietly(command: &mut Command, what: &str) -> Result<(), PackError> {
    let out = command.stdin(Stdio::null()).output().map_err(|e| PackError::App(format!("{what}: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let said = if stderr.trim().is_empty() { stdout } else { stderr };
    Err(PackError::App(format!("{what}:\n{}", tail(said.trim(), 20))))
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The importer's extension module: `BALE_IMPORTER`, or the `bale` package installed
/// for `python`.
pub fn find_importer(python: &Path) -> Result<PathBuf, PackError> {
    if let Some(path) = std::env::var_os("BALE_IMPORTER") {
        return Ok(PathBuf::from(path));
    }
    let out = Command::new(python)
        .args(["-c", "import bale.bale as m; print(m.__file__)"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| PackError::Python { python: python.to_owned(), reason: format!("cannot run it: {e}") })?;
    if !out.status.success() {
        return Err(PackError::App(format!(
            "the bale importer is not installed for {}: install the `bale` Python package (importer/), \
             or set BALE_IMPORTER to its extension module",
            python.display()
        )));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}
