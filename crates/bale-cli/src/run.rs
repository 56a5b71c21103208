//! `bale run`: runs an app from a bale, with nothing else on the import path but the
//! interpreter's standard library (or not even that, where the bale carries it).

use std::os::unix::process::CommandExt;
use std::path::PathBuf;

use anyhow::Context;

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
    /// The interpreter to run (default: python3 on PATH). The `bale` Python package
    /// (the importer) must be installed for it, or named by `BALE_IMPORTER`.
    #[arg(long, value_name = "PYTHON", default_value = "python3")]
    python: PathBuf,
    /// Where extension modules load from (default: `BALE_NATIVE`, else cache).
    #[arg(long, value_enum, value_name = "cache|memory")]
    native: Option<crate::args::NativeArg>,
    /// Arguments for the app (after `--`).
    #[arg(last = true)]
    args: Vec<String>,
}

pub fn run(args: RunArgs, env: &crate::settings::Env) -> anyhow::Result<()> {
    let bale = std::path::absolute(&args.bale).with_context(|| args.bale.display().to_string())?;
    let given = crate::settings::Given { module: args.module, function: args.entry, script: args.script };
    let entry = crate::settings::entry_point(given, &crate::common::open(&bale)?, &args.bale)?;
    let importer = crate::settings::run_importer(&args.python, env)?;
    let mut command = bale_pack::run::command(&args.python, &importer, &bale, &entry, &args.args);
    if let Some(native) = args.native {
        command.env("BALE_NATIVE", native.name());
    }
    let error = command.exec();
    Err(error).with_context(|| format!("cannot run {}", args.python.display()))
}
