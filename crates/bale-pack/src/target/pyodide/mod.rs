//! The Pyodide target (`bale pack --target pyodide`): CPython built for WebAssembly,
//! run on Node. Every step runs in Pyodide itself through a `python` command of its
//! own ([`node`]); the requirements are wheels Pyodide can use; the standard library
//! is split between the bale and a trimmed zip a page starts from ([`stdlib`]); a
//! validated bale's start is timed against the app's wheels ([`timing`]).

pub mod node;
pub mod stdlib;
pub mod timing;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bale_format::{Compression, EntryPoint};

use super::{Environment, Prepared, RunHint, StartTiming, StdlibSplit, Target, Written, file_name};
use crate::collect::InputFile;
use crate::error::PackError;
use crate::options::PackOptions;
use crate::progress::Progress;
use crate::python::Python;
use crate::target::native::check_requirements;
use crate::trace::select::Stdlib;
use node::PyodidePython;

/// Where the loader looks for the importer in a bale (`importer/js/loader.mjs`).
pub const EMBEDDED_IMPORTER: &str = "bale/bale.abi3.so";

pub struct Pyodide {
    /// The folder of the `pyodide` npm package.
    distribution: PathBuf,
    /// Its own `python` command, with the interpreter's description.
    shim: PyodidePython,
    python: Python,
    /// The importer built for Pyodide (WebAssembly).
    importer: Option<PathBuf>,
}

impl Pyodide {
    pub fn new(distribution: &Path, importer: Option<PathBuf>) -> Result<Pyodide, PackError> {
        let shim = PyodidePython::new(distribution, None, None)?;
        let python = Python::find(&shim.path)?;
        Ok(Pyodide { distribution: distribution.to_owned(), shim, python, importer })
    }
}

impl Target for Pyodide {
    fn python(&self) -> &Python {
        &self.python
    }

    fn over_the_web(&self) -> bool {
        true
    }

    fn importer(&self) -> Result<PathBuf, PackError> {
        self.importer.clone().ok_or_else(|| {
            PackError::Importer(
                "--target pyodide needs the importer built for Pyodide (WebAssembly): name it with --importer".into(),
            )
        })
    }

    /// The requirements' wheels, downloaded (kept in `wheels/`, for the start
    /// without a bale) and installed into `site/` with the host's pip, and a Pyodide
    /// `python` that has that folder on its path.
    fn prepare(&self, environment: &Environment, progress: &dyn Progress) -> Result<Prepared, PackError> {
        let requirements = match environment {
            Environment::Interpreter => return Ok(Prepared::new(self.shim.path.clone())),
            Environment::Venv(dir) => {
                return Err(PackError::Usage(format!(
                    "--venv {}: a virtual environment of this machine cannot run in Pyodide; give its requirements with -r",
                    dir.display()
                )));
            }
            Environment::Requirements(r) => r,
        };
        check_requirements(requirements)?;
        let dir = crate::output::temporary_dir("bale-pyodide-env-")?;
        progress.step("installing requirements for Pyodide", None);
        let version = self.python.version();
        let platform = node::platform_tag(&self.distribution, version)?;
        node::install_requirements(Path::new("python3"), requirements, dir.path(), version, &platform)?;
        let shim = PyodidePython::new(&self.distribution, Some(&dir.path().join("site")), None)?;
        let mut prepared = Prepared::new(shim.path.clone());
        prepared.wheels = Some(dir.path().join("wheels")).filter(|w| w.is_dir());
        Ok(prepared.keeping(shim).keeping(dir))
    }

    /// With the standard library carried: what a page imports before the bale goes
    /// into a trimmed zip of bytecode, the rest into the bale.
    fn split_stdlib(
        &self,
        stdlib: Stdlib,
        output: &Path,
        progress: &dyn Progress,
    ) -> Result<Option<Box<dyn StdlibSplit>>, PackError> {
        if stdlib == Stdlib::None {
            return Ok(None);
        }
        progress.step("finding what Pyodide imports before the bale", None);
        let split = stdlib::WebStdlib::new(&self.distribution, &self.importer()?, self.python.version(), output)?;
        Ok(Some(Box::new(split)))
    }

    /// With `--embed-importer`: the importer, where the loader finds it. The loader
    /// reads it before anything can decompress, so only an uncompressed bale can
    /// carry it.
    fn extra_files(&self, options: &PackOptions, files: &mut BTreeMap<String, InputFile>) -> Result<(), PackError> {
        if !options.embed_importer {
            return Ok(());
        }
        if options.compression != Compression::None || options.framed {
            return Err(PackError::Usage(
                "--embed-importer needs --compress none and a name not ending in .zst: the loader reads the importer \
                 before anything can decompress"
                    .into(),
            ));
        }
        if files.contains_key(EMBEDDED_IMPORTER) {
            return Err(PackError::Usage(format!("--embed-importer: the app already has a file {EMBEDDED_IMPORTER}")));
        }
        let importer = self.importer()?;
        let content = std::fs::read(&importer).map_err(|e| PackError::io(&importer, e))?;
        files.insert(
            EMBEDDED_IMPORTER.into(),
            InputFile { content, executable: false, origin: importer.display().to_string() },
        );
        Ok(())
    }

    /// A fresh Pyodide started from the bale's trimmed standard library, as a page
    /// starts.
    fn validator(&self, written: &Written<'_>) -> Result<Prepared, PackError> {
        match written.side {
            Some(zip) => {
                let shim = PyodidePython::new(&self.distribution, None, Some(&zip.path))?;
                Ok(Prepared::new(shim.path.clone()).keeping(shim))
            }
            None => Ok(Prepared::new(self.python.path.clone())),
        }
    }

    fn time_start(
        &self,
        written: &Written<'_>,
        app_root: Option<&Path>,
        prepared: &Prepared,
        entry: &EntryPoint,
        progress: &dyn Progress,
    ) -> Result<Option<StartTiming>, PackError> {
        progress.step("timing the start from the bale and from the wheels", None);
        let side = written.side.map(|z| z.path.as_path());
        let timing = timing::time_start(
            &self.distribution,
            &self.importer()?,
            (written.bale, side),
            app_root,
            prepared.wheels.as_deref(),
            entry,
        )?;
        Ok(Some(timing))
    }

    /// What a page runs: Pyodide from the trimmed standard library, the bale through
    /// the loader (mounted at its default path, `/bale/NAME` without `.zst`), then the
    /// app.
    fn run_hint(&self, written: &Written<'_>, entry: &EntryPoint) -> RunHint {
        let bale = file_name(written.bale);
        let quoted = |s: &str| serde_json::Value::from(s).to_string();
        let run = match entry {
            EntryPoint::Script(script) => {
                let path = format!("/bale/{}/{script}", bale.trim_end_matches(".zst"));
                format!("import runpy; runpy.run_path({}, run_name='__main__')", quoted(&path))
            }
            EntryPoint::Module(module) => {
                format!("import runpy; runpy.run_module({}, run_name='__main__')", quoted(module))
            }
            EntryPoint::Function { module, function } => {
                format!("from {module} import {function}; raise SystemExit({function}())")
            }
        };
        // An app's `sys.exit(0)` is no error in a page.
        let python = format!("try:\n    {run}\nexcept SystemExit as e:\n    if e.code:\n        raise\n");
        RunHint::Page {
            bale,
            stdlib: written.side.map(|z| file_name(&z.path)),
            rest: written.rest.is_some(),
            integrity: written.parts.map(|p| p.integrity.clone()),
            python,
        }
    }
}
