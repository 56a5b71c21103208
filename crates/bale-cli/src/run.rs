//! `bale run`: runs an app from a bale, with nothing else on the import path but the
//! interpreter's standard library (or not even that, where the bale carries it).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use bale_format::{Bale, Target};

#[derive(clap::Args)]
pub struct RunArgs {
    /// The bale to run from.
    bale: PathBuf,
    /// Run this module as `python -m` does.
    #[arg(short = 'm', value_name = "MODULE", conflicts_with_all = ["script", "entry"])]
    module: Option<String>,
    /// Call this function and exit with what it returns, as a console script does.
    #[arg(long, value_name = "MODULE:FUNC", conflicts_with = "script")]
    entry: Option<String>,
    /// Run this file of the bale (a path inside it, such as `app/main.py`). Default:
    /// the entry point `bale pack --app` recorded in the bale.
    script: Option<String>,
    /// The interpreter to run. Default: one that runs the bale's Python build:
    /// `python3` or `python3.X` on PATH, else pyenv's, uv's or the system's CPython
    /// 3.X. The importer comes with the `bale` command (any CPython 3.10 and later),
    /// or from `BALE_IMPORTER`.
    #[arg(long, value_name = "PYTHON")]
    python: Option<PathBuf>,
    /// Where extension modules load from (default: `BALE_NATIVE`, else cache).
    #[arg(long, value_enum, value_name = "cache|memory")]
    native: Option<crate::args::NativeArg>,
    /// Arguments for the app (after `--`).
    #[arg(last = true)]
    args: Vec<String>,
}

pub fn run(args: RunArgs, env: &crate::settings::Env) -> anyhow::Result<()> {
    let bale = std::path::absolute(&args.bale).with_context(|| args.bale.display().to_string())?;
    let opened = crate::common::open(&bale)?;
    // As a program made by `bale exe` does at start: one pass over every byte, so
    // that damage stops the run here, in one line, rather than as an ImportError
    // halfway through the app. The full verification only names what is damaged.
    if opened.check_body().is_err() {
        refuse_damaged(opened.verify(), &args.bale, "not run")?;
    }
    check_runs_here(&opened, &args.bale)?;
    let given = crate::settings::Given { module: args.module, function: args.entry, script: args.script };
    let entry = crate::settings::entry_point(given, &opened, &args.bale)?;
    let target: Target = opened.target().parse().with_context(|| args.bale.display().to_string())?;
    let python = bale_pack::run::choose_python(&target, args.python.as_deref())?.path;
    let importer = crate::settings::run_importer(&python, env)?;
    let mut command = bale_pack::run::command(&python, &importer, &bale, &entry, &args.args);
    if let Some(native) = args.native {
        command.env("BALE_NATIVE", native.name());
    }
    let error = command.exec();
    Err(error).with_context(|| format!("cannot run {}", python.display()))
}

/// Fails for a damaged bale (exit code 3), with its first problem, the most precise
/// one (see `Bale::verify`), and how many there are; `consequence` says what was not
/// done. `Ok` when `problems` is empty.
pub fn refuse_damaged(problems: Vec<bale_format::Error>, path: &Path, consequence: &str) -> anyhow::Result<()> {
    let count = problems.len();
    let Some(first) = problems.into_iter().next() else { return Ok(()) };
    let more = match count {
        1 => String::new(),
        n => format!(" ({n} problems, which `bale verify` lists)"),
    };
    Err(anyhow::Error::new(first).context(format!("{}: damaged{more}; {consequence}", path.display())))
}

/// Refuses, before anything runs, a bale this machine cannot run: one for Pyodide,
/// or for another platform, whose bytecode or extension modules no interpreter here
/// loads. A bale for any Python runs anywhere; one for another CPython version of
/// this platform is the interpreter's to refuse (the importer names the Python the
/// bale needs, and `--python` gives it).
pub fn check_runs_here<D: AsRef<[u8]>>(bale: &Bale<D>, path: &Path) -> anyhow::Result<()> {
    let target: Target = bale.target().parse().with_context(|| path.display().to_string())?;
    let Some(build) = target.python() else { return Ok(()) };
    if build.is_emscripten() {
        bail!(
            "{}: a bale for Pyodide ({target}): it runs in a browser or in Node.js, installed with the loader's \
             loadBale (npm package bale-loader), not here; to run the app here or make a program of it, pack it \
             again without --target pyodide",
            path.display()
        );
    }
    let (arch, os) = architecture_and_system(&build.platform);
    if (arch, os) != (std::env::consts::ARCH, std::env::consts::OS) {
        bail!(
            "{}: a bale for {target}, and this machine is {}-{}: its bytecode and extension modules load only \
             there; to run it here, pack it again here, for this machine's Python",
            path.display(),
            std::env::consts::ARCH,
            std::env::consts::OS
        );
    }
    Ok(())
}

/// A platform as CPython names it (`x86_64-linux-gnu`, `i386-linux-gnu`, `darwin`),
/// as Rust names an architecture and a system (`std::env::consts`): the C library
/// and ABI after them are left to the interpreter, which refuses what it cannot load.
fn architecture_and_system(platform: &str) -> (&str, &str) {
    let (arch, rest) = platform.split_once('-').unwrap_or(("", platform));
    let arch = match arch {
        "i386" | "i486" | "i586" | "i686" => "x86",
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "powerpc64le" | "ppc64le" | "ppc64" => "powerpc64",
        a if a.starts_with("arm") => "arm",
        a => a,
    };
    let os = rest.split('-').next().unwrap_or(rest);
    (arch, os)
}

#[cfg(test)]
mod tests {
    use super::architecture_and_system;

    #[test]
    fn platforms_as_cpython_names_them_compare_as_rust_names_this_machine() {
        for (platform, expected) in [
            ("x86_64-linux-gnu", ("x86_64", "linux")),
            ("x86_64-linux", ("x86_64", "linux")),
            ("x86_64-linux-musl", ("x86_64", "linux")),
            ("i386-linux-gnu", ("x86", "linux")),
            ("arm-linux-gnueabihf", ("arm", "linux")),
            ("aarch64-linux-gnu", ("aarch64", "linux")),
            ("wasm32-emscripten", ("wasm32", "emscripten")),
            ("darwin", ("", "darwin")),
        ] {
            assert_eq!(architecture_and_system(platform), expected, "{platform}");
        }
    }
}
