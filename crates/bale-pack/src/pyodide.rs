//! The Pyodide target (`bale pack --target pyodide`): a `python` command that runs
//! in Pyodide on Node (`pyodide/python.mjs`), so that introspection, tracing, static
//! analysis, compiling bytecode and validation run in the interpreter the bale is for,
//! through the same code as for a native interpreter; and an environment for it.

pub mod stdlib;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::PackError;
use crate::app::reduction::Transfer;

/// A `python` command backed by Pyodide: an executable script in a temporary folder
/// (removed on drop) that runs `node python.mjs PYODIDE_DIR SITE STDLIB`.
pub struct PyodidePython {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl PyodidePython {
    /// `pyodide`: the folder of the `pyodide` npm package (holding `pyodide.mjs`);
    /// `site`: a folder of installed packages appended to `sys.path`; `stdlib`: a
    /// standard-library zip to start with instead of Pyodide's own.
    pub fn new(pyodide: &Path, site: Option<&Path>, stdlib: Option<&Path>) -> Result<PyodidePython, PackError> {
        if !pyodide.join("pyodide.mjs").is_file() {
            return Err(PackError::Usage(format!(
                "{}: not a Pyodide distribution (no pyodide.mjs in it); give the folder of the `pyodide` npm package",
                pyodide.display()
            )));
        }
        let node = Command::new("node").arg("--version").stdin(Stdio::null()).output();
        if !node.is_ok_and(|o| o.status.success()) {
            return Err(PackError::Usage("--target pyodide runs Pyodide on Node: `node` is not on PATH".into()));
        }
        let dir = crate::temporary_dir("bale-pyodide-")?;
        let shim = dir.path().join("python.mjs");
        std::fs::write(&shim, include_str!("pyodide/python.mjs")).map_err(|e| PackError::io(&shim, e))?;
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
        let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', r"'\''"));
        let site = site.map_or("-".into(), |s| quote(&absolute(s)));
        let stdlib = stdlib.map_or("-".into(), |s| quote(&absolute(s)));
        let script =
            format!("#!/bin/sh\nexec node {} {} {site} {stdlib} \"$@\"\n", quote(&shim), quote(&absolute(pyodide)));
        let path = dir.path().join("python");
        std::fs::write(&path, script).map_err(|e| PackError::io(&path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| PackError::io(&path, e))?;
        }
        Ok(PyodidePython { path, _dir: dir })
    }
}

/// The wheel platform tag of a Pyodide distribution, from its `pyodide-lock.json`:
/// `pyemscripten_2026_0_wasm32` for Pyodide 314, `pyodide_2025_0_wasm32` before.
pub fn platform_tag(pyodide: &Path, version: (u32, u32)) -> Result<String, PackError> {
    let lock = pyodide.join("pyodide-lock.json");
    let text = std::fs::read(&lock).map_err(|e| PackError::io(&lock, e))?;
    let json: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| PackError::App(format!("{}: {e}", lock.display())))?;
    let abi = json["info"]["abi_version"]
        .as_str()
        .ok_or_else(|| PackError::App(format!("{}: no info.abi_version", lock.display())))?;
    let family = if version >= (3, 14) { "pyemscripten" } else { "pyodide" };
    Ok(format!("{family}_{abi}_wasm32"))
}

/// Downloads the wheels of `requirements` into `dir/wheels` and installs them into
/// `dir/site` with the host's pip: wheels only, pure Python or for Pyodide's
/// platform, so a requirement with no such wheel fails here, naming it, rather than
/// in the browser. (Environment markers are the host's: pip has no way to evaluate
/// them for another platform.)
pub fn install_requirements(
    requirements: &Path,
    dir: &Path,
    version: (u32, u32),
    platform_tag: &str,
) -> Result<(), PackError> {
    let wheels = dir.join("wheels");
    let pip = |action: &str, extra: &[&std::ffi::OsStr]| {
        let out = Command::new("python3")
            .args(["-m", "pip", action, "--disable-pip-version-check", "--no-input", "-q", "--only-binary=:all:"])
            .args(["--implementation", "cp", "--python-version", &format!("{}.{}", version.0, version.1)])
            .args(["--platform", platform_tag])
            .args(extra)
            .arg("-r")
            .arg(requirements)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| PackError::App(format!("cannot run pip (python3 -m pip): {e}")))?;
        if !out.status.success() {
            return Err(PackError::App(format!(
                "cannot {action} {} for Pyodide (pure-Python wheels or wheels for {platform_tag} only):\n{}",
                requirements.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(())
    };
    pip("download", &["-d".as_ref(), wheels.as_os_str()])?;
    let site = dir.join("site");
    pip(
        "install",
        &["--no-index".as_ref(), "--find-links".as_ref(), wheels.as_os_str(), "--target".as_ref(), site.as_os_str()],
    )
}

/// Milliseconds per phase of one start of the app in a fresh Pyodide on Node.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartTime {
    pub load_pyodide: f64,
    /// Reading the bale (or the wheels and the app's files).
    pub fetch: f64,
    /// `loadBale` (or unpacking the wheels and writing the app's files).
    pub prepare: f64,
    /// Importing and running the app.
    pub run: f64,
    pub total: f64,
}

/// The app started from the bale through the loader (with its trimmed standard
/// library, if any), and from its wheels as `pyodide.unpackArchive` installs them
/// (with Pyodide's own), each in its own Node process.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WebTiming {
    pub bale: StartTime,
    pub wheels: StartTime,
    /// What the wheel start downloads that the bale replaces, each file as a web
    /// server would send it: the wheels and the app's own files, and Pyodide's
    /// `python_stdlib.zip` when the bale comes with a trimmed one.
    pub wheels_transfer: Transfer,
}
/// Times the app's start from `bale` and from `wheels` (the folder `prepare`
/// downloaded them to; none when the app has no requirements) plus its own folder.
pub fn web_timing(
    pyodide: &Path,
    importer: &Path,
    (bale, stdlib): (&Path, Option<&Path>),
    app_root: Option<&Path>,
    wheels: Option<&Path>,
    (kind, target): (&str, &str),
) -> Result<WebTiming, PackError> {
    let dir = crate::temporary_dir("bale-timing-")?;
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).map(|_| path.clone()).map_err(|e| PackError::io(&path, e))
    };
    let script = write("timing.mjs", include_str!("pyodide/timing.mjs"))?;
    let loader = write("loader.mjs", include_str!("../../../importer/js/loader.mjs"))?;
    let dash = |p: Option<&Path>| p.map_or("-".into(), |p| p.as_os_str().to_owned());
    let run = |args: Vec<std::ffi::OsString>| -> Result<StartTime, PackError> {
        let out = Command::new("node")
            .arg(&script)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| PackError::App(format!("cannot run node: {e}")))?;
        let line = String::from_utf8_lossy(&out.stdout);
        match (out.status.success(), serde_json::from_str(line.trim())) {
            (true, Ok(t)) => Ok(t),
            _ => Err(PackError::App(format!(
                "timing the app in Pyodide ({}) failed:\n{}",
                args[0].to_string_lossy(),
                // Node quotes the line of a failing minified script: keep lines short.
                crate::app::tail(String::from_utf8_lossy(&out.stderr).trim(), 20)
                    .lines()
                    .map(|l| l.chars().take(300).collect::<String>())
                    .collect::<Vec<_>>()
                    .join("\n")
            ))),
        }
    };
    let bale = run(vec![
        "bale".into(),
        pyodide.into(),
        loader.into(),
        importer.into(),
        bale.into(),
        dash(stdlib),
        kind.into(),
        target.into(),
    ])?;
    let wheels_dir = wheels;
    let wheels = run(vec!["wheels".into(), pyodide.into(), dash(app_root), dash(wheels), kind.into(), target.into()])?;
    let mut replaced: Vec<PathBuf> = Vec::new();
    for dir in wheels_dir.into_iter().chain(app_root) {
        let files = walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().filter_entry(|e| {
            e.depth() == 0 || !(e.file_name() == "__pycache__" || e.file_name().to_string_lossy().starts_with('.'))
        });
        replaced.extend(files.flatten().filter(|e| e.file_type().is_file()).map(|e| e.into_path()));
    }
    if stdlib.is_some() {
        replaced.push(pyodide.join("python_stdlib.zip"));
    }
    let mut wheels_transfer = Transfer::default();
    for path in replaced {
        let bytes = std::fs::read(&path).map_err(|e| PackError::io(&path, e))?;
        wheels_transfer.file += bytes.len() as u64;
        wheels_transfer.gzip += crate::app::reduction::gzip_size(&bytes);
        wheels_transfer.brotli += crate::app::reduction::brotli_size(&bytes);
    }
    Ok(WebTiming { bale, wheels, wheels_transfer })
}
