//! `bale pack`.

use std::collections::BTreeMap;

use anyhow::Context;
use bale_pack::PackSummary;
use bale_pack::report::Report;
use serde_json::json;

use crate::args::PackArgs;
use crate::common::{human, open};
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

/// What was written, then a row per package: its input against what the bale holds.
fn print(summary: &PackSummary, report: &Report, inputs: usize) {
    println!("wrote {} ({}, target {})", summary.output.display(), human(summary.written.file_size), summary.target);
    println!(
        "  {} modules ({} compiled), {} files from {} input(s){}",
        summary.modules,
        summary.compiled,
        summary.input_files,
        inputs,
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
}

/// `-47.6%` for a bale 47.6% smaller than its input.
fn change(before: u64, after: u64) -> String {
    if before == 0 {
        return "-".into();
    }
    format!("{:+.1}%", (after as f64 / before as f64 - 1.0) * 100.0)
}
