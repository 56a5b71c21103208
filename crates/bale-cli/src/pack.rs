//! `bale pack`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use bale_format::Compression;
use serde_json::json;

use crate::settings::{self, Env};
use crate::{human, open, progress};

#[derive(clap::Args)]
pub struct PackArgs {
    /// Import roots (folders laid out like site-packages, such as an app folder) and
    /// wheel files. Everything under them is packed. Not with --app or -m.
    #[arg(value_name = "INPUT", required_unless_present_any = ["app", "module"], conflicts_with_all = ["app", "module"])]
    pub inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub app: crate::pack_app::AppArgs,
    /// The bale to write (replaced atomically when complete). A name ending in `.zst`
    /// (`app.bale.zst`) writes it inside one zstd frame, the smallest to download;
    /// then entries are not compressed again unless --compress says so.
    #[arg(short, long, value_name = "OUT.bale")]
    pub output: PathBuf,
    /// Pack only files matching GLOB (repeatable). A pattern with `/` matches paths
    /// from the root; one without matches a name at any depth. Matching a folder
    /// matches all it holds.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out files matching GLOB (repeatable; wins over --include).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// What to store for each module: source, bytecode compiled by --python, both, or
    /// (with --app) bytecode and the source of the app's own files [default: both;
    /// with --target pyodide, app-source].
    #[arg(long, value_enum)]
    pub content: Option<ContentArg>,
    /// The interpreter to compile bytecode with and whose extension modules to pick
    /// (default: python3 on PATH).
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
    /// `none`, or `zstd` with an optional level: `zstd:19` [default: none; with --app
    /// or -m, zstd:19 with a dictionary]. For the web, `none` is smaller still where
    /// the server compresses the bale (brotli or gzip), and three times larger where
    /// it does not.
    #[arg(long, value_parser = parse_compression)]
    pub compress: Option<Compression>,
    /// With zstd: train a dictionary of SIZE bytes on the bytecode and store it in the bale.
    #[arg(long, value_name = "SIZE", num_args = 0..=1, default_missing_value = "112640")]
    pub dictionary: Option<usize>,
    /// Compile as `python -O` (1) or `-OO` (2).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub optimize: u8,
    /// Cut docstrings out of sources and bytecode, keeping asserts and line numbers
    /// (tracebacks still point at the right lines; `__doc__` becomes None).
    #[arg(long)]
    pub strip_docstrings: bool,
    /// Keep the column ranges of every instruction in the bytecode (what draws `^^^^`
    /// under the failing part of a line in a traceback); `no` compiles as `python -X
    /// no_debug_ranges`: line numbers stay, and the bytecode compresses about a quarter
    /// smaller [default: yes; with --target pyodide, no].
    #[arg(long, value_enum, value_name = "yes|no")]
    pub debug_ranges: Option<YesNo>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress bars and no warnings.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ContentArg {
    Bytecode,
    Source,
    Both,
    AppSource,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum YesNo {
    Yes,
    No,
}

fn parse_compression(s: &str) -> Result<Compression, String> {
    match s.split_once(':') {
        None if s == "none" => Ok(Compression::None),
        None if s == "zstd" => Ok(Compression::Zstd { level: 3 }),
        Some(("zstd", level)) => match level.parse::<i32>() {
            Ok(l) if (1..=22).contains(&l) => Ok(Compression::Zstd { level: l }),
            _ => Err(format!("zstd level must be 1 to 22, not {level:?}")),
        },
        _ => Err(format!("expected none, zstd or zstd:LEVEL, not {s:?}")),
    }
}

pub fn run(args: PackArgs, env: &Env) -> anyhow::Result<()> {
    let options = match settings::pack(&args, env)? {
        settings::Pack::Inputs(options) => options,
        settings::Pack::App { options, target, importer } => {
            return crate::pack_app::run(&options, &target, importer, args.json, args.quiet);
        }
    };
    let progress = progress::Terminal::new(args.quiet || args.json);
    let silent = bale_pack::Silent;
    let reporter: &dyn bale_pack::Progress = if args.quiet { &silent } else { &progress };
    let summary = bale_pack::pack(&options, reporter);
    progress.finish();
    let summary = summary?;

    let bale = open(&summary.output)?;
    let report = bale_pack::report::report(&bale).context("reading back the bale just written")?;
    if args.json {
        let inputs: BTreeMap<&str, serde_json::Value> = summary
            .input_by_top
            .iter()
            .map(|(k, (files, bytes))| (k.as_str(), json!({"files": files, "size": bytes})))
            .collect();
        let out = json!({
            "output": summary.output,
            "target": summary.target,
            "input": { "files": summary.input_files, "size": summary.input_bytes, "filtered": summary.filtered, "by_package": inputs },
            "modules": summary.modules,
            "compiled": summary.compiled,
            "compile_failures": summary.compile_failures,
            "bale": {
                "size": summary.written.file_size,
                "payloads": summary.written.payloads,
                "deduplicated": summary.written.deduplicated,
                "dictionary_size": summary.written.dictionary_size,
            },
            "report": report,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }

    println!("wrote {} ({}, target {})", summary.output.display(), human(summary.written.file_size), summary.target);
    println!(
        "  {} modules ({} compiled), {} files from {} input(s){}",
        summary.modules,
        summary.compiled,
        summary.input_files,
        args.inputs.len(),
        match summary.filtered {
            0 => String::new(),
            n => format!("; {n} left out by --include/--exclude"),
        }
    );
    if !summary.compile_failures.is_empty() {
        println!("  {} source file(s) did not compile and are kept as source only", summary.compile_failures.len());
    }
    println!();
    println!("{:<28} {:>7} {:>8} {:>11} {:>11} {:>8}", "package", "files", "modules", "input", "bale", "change");
    let names: std::collections::BTreeSet<&str> = report
        .packages
        .iter()
        .map(|r| r.name.as_str())
        .chain(summary.input_by_top.keys().map(String::as_str))
        .collect();
    for name in names {
        let row = report.packages.iter().find(|r| r.name == name);
        let (files, bytes) = summary.input_by_top.get(name).copied().unwrap_or_default();
        let (modules, stored) = row.map_or((0, 0), |r| (r.modules, r.stored));
        println!(
            "{:<28} {:>7} {:>8} {:>11} {:>11} {:>8}",
            name,
            files,
            modules,
            human(bytes),
            human(stored),
            change(bytes, stored)
        );
    }
    println!(
        "{:<28} {:>7} {:>8} {:>11} {:>11} {:>8}",
        "total",
        summary.input_files,
        summary.modules,
        human(summary.input_bytes),
        human(summary.written.file_size),
        change(summary.input_bytes, summary.written.file_size)
    );
    Ok(())
}

/// `-47.6%` for a bale 47.6% smaller than its input.
fn change(before: u64, after: u64) -> String {
    if before == 0 {
        return "-".into();
    }
    format!("{:+.1}%", (after as f64 / before as f64 - 1.0) * 100.0)
}
