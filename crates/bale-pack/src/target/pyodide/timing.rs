//! One start of the app timed in a fresh Pyodide on Node, from the bale through the
//! loader and from its wheels as `pyodide.unpackArchive` installs them
//! (`assets/node/timing.mjs`), each in its own Node process.

use std::path::{Path, PathBuf};
use std::process::Command;

use bale_format::EntryPoint;

use crate::error::PackError;
use crate::process;
use crate::sizes::Transfer;
use crate::target::{StartTime, StartTiming};
use crate::trace::select::{self, RootKind};

/// Times the app's start from the bale (with its trimmed standard library, if any)
/// and from `wheels` (the folder `prepare` downloaded them to; none when the app has
/// no requirements) plus its own folder's files: those the packer takes for the app's
/// ([`select::walk_root`]), which both the start and the bytes it sends count.
pub fn time_start(
    pyodide: &Path,
    importer: &Path,
    (bale, stdlib): (&Path, Option<&Path>),
    app_root: Option<&Path>,
    wheels: Option<&Path>,
    entry: &EntryPoint,
) -> Result<StartTiming, PackError> {
    let dir = crate::output::temporary_dir("bale-timing-")?;
    let write = |name: &str, text: &str| {
        process::write_script(dir.path(), name, text).map_err(|e| PackError::io(dir.path(), e))
    };
    let script = write("timing.mjs", include_str!("../../../assets/node/timing.mjs"))?;
    let loader = write("loader.mjs", bale_loader::LOADER)?;
    let app_files = app_root.map(|root| (root, select::walk_root(root, RootKind::App, &[])));
    let listed = match &app_files {
        Some((root, files)) => Some(write("app-files.json", &app_list(root, files).to_string())?),
        None => None,
    };
    let [kind, target] = crate::target::entry_args(entry);
    let dash = |p: Option<&Path>| p.map_or("-".into(), |p| p.as_os_str().to_owned());
    let run = |mode: &str, args: Vec<std::ffi::OsString>| -> Result<StartTime, PackError> {
        process::json(Command::new("node").arg(&script).arg(mode).args(&args).arg(&kind).arg(&target), &[])
            .map_err(PackError::node(format!("timing the app's start ({mode})")))
    };
    let from_bale = run("bale", vec![pyodide.into(), loader.into(), importer.into(), bale.into(), dash(stdlib)])?;
    let from_wheels = run("wheels", vec![pyodide.into(), dash(listed.as_deref()), dash(wheels)])?;
    let mut replaced: Vec<PathBuf> = Vec::new();
    if let Some(dir) = wheels {
        let files = walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().filter_entry(|e| {
            e.depth() == 0 || !(e.file_name() == "__pycache__" || e.file_name().to_string_lossy().starts_with('.'))
        });
        replaced.extend(files.flatten().filter(|e| e.file_type().is_file()).map(|e| e.into_path()));
    }
    replaced.extend(app_files.into_iter().flat_map(|(_, files)| files));
    if stdlib.is_some() {
        replaced.push(pyodide.join("python_stdlib.zip"));
    }
    let mut wheels_transfer = Transfer::default();
    for path in replaced {
        let bytes = std::fs::read(&path).map_err(|e| PackError::io(&path, e))?;
        wheels_transfer.add(&Transfer::of(&bytes));
    }
    Ok(StartTiming { bale: from_bale, wheels: from_wheels, wheels_transfer })
}

/// What `timing.mjs` copies into Pyodide's file system for the start without a
/// bale: the app's folder and its files' paths from there, `/`-separated.
fn app_list(root: &Path, files: &[PathBuf]) -> serde_json::Value {
    let relative = files.iter().filter_map(|f| {
        let parts: Option<Vec<&str>> = f.strip_prefix(root).ok()?.iter().map(|c| c.to_str()).collect();
        Some(parts?.join("/"))
    });
    serde_json::json!({ "root": root.to_string_lossy(), "files": relative.collect::<Vec<_>>() })
}
