//! How an app is run from a bale: as `bale run` does, and as `--validate` does to
//! compare the bale with the traced runs.

use std::path::Path;
use std::process::Command;

use bale_format::EntryPoint;

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
