//! The native target: a CPython on this machine. The app runs in a virtual
//! environment made from its requirements (removed when done), one given, or the
//! interpreter's own; validation runs it with `bale run`'s command; the standard
//! library, when carried, goes in the bale.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bale_format::EntryPoint;

use super::{Environment, Prepared, RunHint, StartTiming, StdlibSplit, Target, Written};
use crate::collect::InputFile;
use crate::error::PackError;
use crate::options::PackOptions;
use crate::process;
use crate::progress::Progress;
use crate::python::Python;
use crate::trace::select::Stdlib;

pub struct Native {
    python: Python,
    importer: Option<PathBuf>,
}

impl Native {
    /// `python`: the interpreter (`python3` on `PATH` if none); `importer`: its
    /// importer extension module, else the one installed for it.
    pub fn new(python: Option<&Path>, importer: Option<PathBuf>) -> Result<Native, PackError> {
        let python = Python::find(python.unwrap_or(Path::new("python3")))?;
        Ok(Native { python, importer })
    }
}

impl Target for Native {
    fn python(&self) -> &Python {
        &self.python
    }

    fn over_the_web(&self) -> bool {
        false
    }

    fn importer(&self) -> Result<PathBuf, PackError> {
        match &self.importer {
            Some(p) => Ok(p.clone()),
            None => installed_importer(&self.python.path),
        }
    }

    fn prepare(&self, environment: &Environment, progress: &dyn Progress) -> Result<Prepared, PackError> {
        match environment {
            Environment::Interpreter => Ok(Prepared::new(self.python.path.clone())),
            Environment::Venv(dir) => {
                let python = dir.join("bin/python");
                if !python.exists() {
                    return Err(PackError::Usage(format!(
                        "{}: not a virtual environment (no bin/python in it)",
                        dir.display()
                    )));
                }
                Ok(Prepared::new(python))
            }
            Environment::Requirements(requirements) => {
                check_requirements(requirements)?;
                let dir = crate::output::temporary_dir("bale-venv-")?;
                progress.step("creating a virtual environment", None);
                process::run(Command::new(&self.python.path).args(["-m", "venv"]).arg(dir.path()))
                    .map_err(PackError::pip("cannot create a virtual environment"))?;
                let python = dir.path().join("bin/python");
                progress.step("installing requirements", None);
                process::run(
                    Command::new(&python)
                        .args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q", "-r"])
                        .arg(requirements),
                )
                .map_err(PackError::pip(format!("cannot install the requirements in {}", requirements.display())))?;
                Ok(Prepared::new(python).keeping(dir))
            }
        }
    }

    fn split_stdlib(&self, _: Stdlib, _: &Path, _: &dyn Progress) -> Result<Option<Box<dyn StdlibSplit>>, PackError> {
        Ok(None)
    }

    /// A bale that carries the standard library is one to run where its Python is not
    /// (a program of `bale exe`): the libraries its native code links come with it,
    /// as this interpreter finds them.
    fn extra_files(&self, _: &PackOptions, files: &mut BTreeMap<String, InputFile>) -> Result<(), PackError> {
        if files.contains_key("encodings/__init__.py") {
            crate::portable::carry_from_environment(files, &self.python.path)?;
        }
        Ok(())
    }

    fn validator(&self, _: &Written<'_>) -> Result<Prepared, PackError> {
        Ok(Prepared::new(self.python.path.clone()))
    }

    fn time_start(
        &self,
        _: &Written<'_>,
        _: Option<&Path>,
        _: &Prepared,
        _: &EntryPoint,
        _: &dyn Progress,
    ) -> Result<Option<StartTiming>, PackError> {
        Ok(None)
    }

    fn run_hint(&self, written: &Written<'_>, entry: &EntryPoint) -> RunHint {
        RunHint::Command { bale: written.bale.to_owned(), entry: entry.clone() }
    }
}

pub(crate) fn check_requirements(requirements: &Path) -> Result<(), PackError> {
    match requirements.is_file() {
        true => Ok(()),
        false => Err(PackError::Usage(format!("requirements {}: no such file", requirements.display()))),
    }
}

/// The importer's extension module of the `bale` package installed for `python`.
pub fn installed_importer(python: &Path) -> Result<PathBuf, PackError> {
    let found = process::output(Command::new(python).args(["-c", "import bale.bale as m; print(m.__file__)"]), &[])
        .map_err(|e| PackError::Python { python: python.to_owned(), reason: e.to_string() })?;
    if !found.status.success() {
        return Err(PackError::Importer(format!(
            "the bale importer is not installed for {}: install the `bale` Python package, or name its \
             extension module with --importer",
            python.display()
        )));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&found.stdout).trim()))
}
