//! Pyodide on Node as a `python` command: `assets/node/python.mjs` runs in Pyodide on
//! Node with the host's folders mounted at their own paths, so that introspection,
//! tracing, static analysis, compiling and validation run in the interpreter the bale
//! is for, through the same code as for a native interpreter. And the app's
//! requirements, as wheels that Pyodide can use.

use std::path::Path;
use std::process::Command;

use crate::error::PackError;
use crate::process;

/// A `python` command backed by Pyodide: an executable script in a temporary folder
/// (removed on drop) that runs `node python.mjs PYODIDE_DIR SITE STDLIB`.
pub struct PyodidePython {
    pub path: std::path::PathBuf,
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
        if !process::available("node") {
            return Err(PackError::Usage(
                "--target pyodide runs Pyodide on Node: `node` is not on PATH (install Node.js 18 or later)".into(),
            ));
        }
        let dir = crate::output::temporary_dir("bale-pyodide-")?;
        let shim = process::write_script(dir.path(), "python.mjs", include_str!("../../../assets/node/python.mjs"))
            .map_err(|e| PackError::io(dir.path(), e))?;
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
    let bad = |reason: String| PackError::Input { origin: lock.display().to_string(), reason };
    let json: serde_json::Value = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    let abi = json["info"]["abi_version"].as_str().ok_or_else(|| bad("no info.abi_version".into()))?;
    let family = if version >= (3, 14) { "pyemscripten" } else { "pyodide" };
    Ok(format!("{family}_{abi}_wasm32"))
}

/// Downloads the wheels of `requirements` into `dir/wheels` and installs them into
/// `dir/site` with the pip of `host_python`: wheels only, pure Python or for Pyodide's
/// platform, so a requirement with no such wheel fails here, naming it, rather than
/// in the browser. (Environment markers are the host's: pip has no way to evaluate
/// them for another platform.)
pub fn install_requirements(
    host_python: &Path,
    requirements: &Path,
    dir: &Path,
    version: (u32, u32),
    platform_tag: &str,
) -> Result<(), PackError> {
    let wheels = dir.join("wheels");
    let pip = |action: &str, extra: &[&std::ffi::OsStr]| {
        process::run(
            Command::new(host_python)
                .args(["-m", "pip", action, "--disable-pip-version-check", "--no-input", "-q", "--only-binary=:all:"])
                .args(["--implementation", "cp", "--python-version", &format!("{}.{}", version.0, version.1)])
                .args(["--platform", platform_tag])
                .args(extra)
                .arg("-r")
                .arg(requirements),
        )
        .map_err(PackError::pip(format!(
            "cannot {action} {} for Pyodide (pure-Python wheels or wheels for {platform_tag} only)",
            requirements.display()
        )))
    };
    pip("download", &["-d".as_ref(), wheels.as_os_str()])?;
    let site = dir.join("site");
    pip(
        "install",
        &["--no-index".as_ref(), "--find-links".as_ref(), wheels.as_os_str(), "--target".as_ref(), site.as_os_str()],
    )
}
