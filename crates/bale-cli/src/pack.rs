//! `bale pack`.

use std::collections::BTreeMap;

use anyhow::Context;
use bale_pack::PackSummary;
use bale_pack::report::Report;
use serde_json::json;

use crate::args::PackArgs;
use crate::common::{human, open};
use crate::inspect::sizes;
use crate::progress;
use crate::settings::{self, Env};

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
        println!("{}", serde_json::to_string_pretty(&as_json(&summary, &report))?);
    } else {
        print(&summary, &report, args.inputs.len());
    }
    Ok(())
}

fn as_json(summary: &PackSummary, report: &Report) -> serde_json::Value {
    let inputs: BTreeMap<&str, serde_json::Value> = summary
        .input_by_top
        .iter()
        .map(|(k, (files, bytes))| (k.as_str(), json!({"files": files, "size": bytes})))
        .collect();
    json!({
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
    })
}

/// What was written, then a row per package: its input against what the bale holds,
/// and what those figures measure.
fn print(summary: &PackSummary, report: &Report, inputs: usize) {
    let on_disk = summary.written.file_size;
    let framed = on_disk != report.file_size;
    println!("wrote {} ({}, target {})", summary.output.display(), sizes(on_disk, report.file_size), summary.target);
    println!(
        "  {} files from {} input(s){}; {} modules, {} compiled to bytecode",
        summary.input_files,
        inputs,
        match summary.filtered {
            0 => String::new(),
            n => format!(", {n} left out by --include/--exclude"),
        },
        summary.modules,
        summary.compiled,
    );
    if !summary.compile_failures.is_empty() {
        println!("  {} source file(s) did not compile and are kept as source only", summary.compile_failures.len());
    }
    println!();
    print_table(summary, report);
    println!(
        "input: the files packed (caches left out); bale: what the bale stores for them{}; total: the whole {}",
        if framed { ", decoded from its zstd frame" } else { "" },
        if framed { "file on disk, the frame" } else { "file on disk, with its index" },
    );
    if on_disk > summary.input_bytes {
        println!("{}", why_larger(report));
    }
}

fn print_table(summary: &PackSummary, report: &Report) {
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
}

/// Why a bale came out larger than the files it holds (small packages, above all):
/// the bytecode it holds besides, and its index.
fn why_larger(r: &Report) -> String {
    let bytecode = r.kinds.iter().find(|k| k.name == "bytecode").map_or(0, |k| k.stored);
    let entries: u64 = r.codecs.iter().map(|c| c.stored).sum();
    let mut holds = Vec::new();
    if bytecode > 0 {
        holds.push(match r.modules.with_source {
            0 => format!("its modules' bytecode ({})", human(bytecode)),
            _ => format!(
                "its modules' bytecode ({}) beside their source (--content both: `--content bytecode` or \
                 `source` keeps one)",
                human(bytecode)
            ),
        });
    }
    holds.push(format!("an index and header ({})", human(r.file_size.saturating_sub(entries))));
    format!("the bale is larger than its input: it holds {}", holds.join(", and "))
}

/// `-47.6%` for a bale 47.6% smaller than its input.
fn change(before: u64, after: u64) -> String {
    if before == 0 {
        return "-".into();
    }
    format!("{:+.1}%", (after as f64 / before as f64 - 1.0) * 100.0)
}
