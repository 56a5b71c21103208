//! `bale`: pack Python import trees into one indexed file; inspect, verify, extract
//! and run them; make one executable of one.
//!
//! Exit codes: 0 success, 1 failure, 2 bad usage, 3 the bale is damaged (corrupt or
//! truncated).

mod args;
mod common;
mod exe;
mod exit;
mod extract;
mod inspect;
mod installed;
mod pack;
mod pack_app;
mod progress;
mod project;
mod run;
mod settings;
mod tree_writer;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "bale", version, about = "Pack Python apps into one indexed, checksummed file that imports fast.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a bale from import roots (site-packages, app folders) and wheels, or with
    /// --app, of only what an app uses, found by running it.
    Pack(Box<args::PackArgs>),
    /// Show what is inside a bale: entries by kind, sizes per package, target Python.
    Inspect {
        bale: PathBuf,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Check every checksum and structure; name each damaged entry.
    Verify { bale: PathBuf },
    /// Run an app from a bale, with nothing else on the import path.
    Run(run::RunArgs),
    /// Make one executable of a bale: CPython, the importer and the bale, importing
    /// everything from its own mapped bytes.
    Exe(exe::ExeArgs),
    /// Write the bale's contents back as files, never outside DIR.
    Extract {
        bale: PathBuf,
        /// Folder to extract into (created if missing).
        #[arg(short = 'C', long = "directory", value_name = "DIR")]
        dir: PathBuf,
        /// Replace files that already exist in DIR.
        #[arg(long)]
        force: bool,
    },
}

fn main() -> ExitCode {
    // Output into a closed pipe (`bale inspect x.bale | head`) ends the command quietly,
    // as for any Unix tool, rather than as a failed write.
    // SAFETY: done first, before any other thread exists; SIG_DFL is always valid.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let env = settings::Env::read();
    let result = match cli.command {
        Command::Pack(args) => with_project(*args).and_then(|args| pack::run(args, &env)),
        Command::Inspect { bale, json } => inspect::run(&bale, json),
        Command::Verify { bale } => inspect::verify(&bale),
        Command::Extract { bale, dir, force } => extract::run(&bale, &dir, force),
        Command::Run(args) => run::run(args, &env),
        Command::Exe(args) => exe::run(args, &env),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::code_of(&e))
        }
    }
}

/// `bale pack`'s flags, with what they leave unset taken from the project's
/// `[tool.bale]` (see `project.rs`).
fn with_project(args: args::PackArgs) -> anyhow::Result<args::PackArgs> {
    // A settings file that cannot be used is a usage error, as a bad flag is.
    let usage = |e: anyhow::Error| anyhow::Error::new(exit::Exit(2, format!("{e:#}")));
    match project::Project::find(&args.config).map_err(usage)? {
        Some(project) => project.fill(args).map_err(usage),
        None => Ok(args),
    }
}
