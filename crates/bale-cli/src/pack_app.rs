//! `bale pack --app`: the options, and the reduction table it prints.

use std::path::PathBuf;

use bale_pack::app::reduction::{Row, Side, Table};
use bale_pack::app::{AppOptions, AppSummary, Validation};
use bale_pack::sizes::Transfer;
use bale_pack::target::{StartTime, StartTiming, TargetChoice};
use serde_json::json;

use crate::common::human;
use crate::exit::Exit;
use crate::inspect::sizes;
use crate::progress;

pub fn run(
    options: &AppOptions,
    target: &TargetChoice,
    importer: Option<PathBuf>,
    json: bool,
    quiet: bool,
) -> anyhow::Result<()> {
    let progress = progress::Terminal::new(quiet || json);
    let silent = bale_pack::Silent;
    let reporter: &dyn bale_pack::Progress = if quiet { &silent } else { &progress };
    let summary = bale_pack::target::open(target, importer)
        .and_then(|target| bale_pack::app::pack_app(options, target.as_ref(), reporter));
    progress.finish();
    let summary = summary?;
    if json {
        println!("{}", serde_json::to_string_pretty(&as_json(&summary))?);
    } else {
        print(&summary, options.pack.framed);
    }
    match &summary.validation {
        Some(v) if !v.passed() => {
            Err(Exit(1, "validation failed: the app behaves differently from the bale".into()).into())
        }
        _ => Ok(()),
    }
}

fn as_json(s: &AppSummary) -> serde_json::Value {
    json!({
        "output": s.pack.output,
        "target": s.pack.target,
        "modules": s.pack.modules,
        "files": s.pack.input_files,
        "compile_failures": s.pack.compile_failures,
        "stripped_docstrings": { "before": s.pack.stripped_docstrings.0, "after": s.pack.stripped_docstrings.1 },
        "reduction": s.reduction,
        "stdlib_zip": s.side_file,
        "rest": s.rest,
        "parts": s.parts,
        "runs": s.runs.iter().map(|r| json!({"args": r.args, "exit": r.code, "seconds": r.time.as_secs_f64()})).collect::<Vec<_>>(),
        "unresolved_imports": s.unresolved,
        "validation": s.validation,
        "web_timing_ms": s.start_timing,
        "entry": s.entry.to_string(),
        "run": s.run_hint.to_string(),
    })
}

/// The summary for people (without `--json`). `framed`: the bale was written in one
/// zstd frame, so its size on disk is not the bale's (decoded) size.
fn print(s: &AppSummary, framed: bool) {
    let decoded = s.reduction.transfer.file;
    println!(
        "wrote {} ({}, target {})",
        s.pack.output.display(),
        sizes(s.pack.written.file_size, decoded),
        s.pack.target
    );
    println!();
    print_reduction(&s.reduction, framed);
    print_transfer(&s.reduction.transfer, s.pack.written.file_size, framed);
    print_side_files(s);
    print_notes(s);
    if let Some(v) = &s.validation {
        print_validation(v);
    }
    if let Some(w) = &s.start_timing {
        print_start_timing(w, s);
    }
    println!("run it: {}", s.run_hint);
}

/// The reduction table, a row per package and the total, and what its columns measure.
fn print_reduction(t: &Table, framed: bool) {
    let width =
        t.rows.iter().map(|r| r.name.len() + r.version.as_ref().map_or(0, |v| v.len() + 1)).max().unwrap_or(5).max(12);
    println!(
        "{:<width$}  {:>13}  {:>11}  {:>9}  {:>21}  {:>21}  {:>9}",
        "", "files", ".py", ".so", "size raw", "size packed", "reduction"
    );
    for r in t.rows.iter().chain(std::iter::once(&t.total)) {
        let name = match &r.version {
            Some(v) => format!("{} {v}", r.name),
            None => r.name.clone(),
        };
        if !r.carried {
            println!(
                "{name:<width$}  {:>13}  {:>11}  {:>9}  {:>21}  {:>21}  {:>9}",
                r.before.files,
                r.before.py,
                r.before.so,
                human(r.before.raw),
                "not carried",
                "-"
            );
            continue;
        }
        println!(
            "{name:<width$}  {:>13}  {:>11}  {:>9}  {:>21}  {:>21}  {:>9}",
            arrow(&r.before, &r.after, |s| s.files.to_string()),
            arrow(&r.before, &r.after, |s| s.py.to_string()),
            arrow(&r.before, &r.after, |s| s.so.to_string()),
            arrow(&r.before, &r.after, |s| human(s.raw)),
            arrow(&r.before, &r.after, |s| human(s.packed)),
            reduction(r),
        );
    }
    println!();
    println!(
        "size raw: installed files (caches left out; pip and setuptools only if used) -> the bale's entries\n\
         decoded (source and bytecode);"
    );
    // The table measures the bale decoded, framed or not.
    let bale = if framed { "the bale decoded from its frame" } else { "the bale file" };
    if t.packed_is_brotli {
        println!(
            "size packed: those files deflated as in a wheel -> as a web server sends the bale with brotli -9\n\
             (each row's entries compressed together; the total: {bale} and its stdlib zip)"
        );
    } else {
        let total = if framed { bale } else { "the whole file" };
        println!("size packed: those files deflated as in a wheel -> as stored in the bale (the total: {total})");
    }
}

/// The bale's sizes, each named: on disk, decoded (a framed bale), and over the wire.
fn print_transfer(t: &Transfer, on_disk: u64, framed: bool) {
    let (gzip, brotli) = (human(t.gzip), human(t.brotli));
    match framed {
        false => {
            println!("the bale file: {} on disk; over the wire: gzip -9 {gzip}, brotli -9 {brotli}", human(on_disk))
        }
        true => println!(
            "the bale file: {} on disk, a zstd frame sent as it is; {} decoded, which over the wire would be \
             gzip -9 {gzip}, brotli -9 {brotli}",
            human(on_disk),
            human(t.file)
        ),
    }
}

/// The files written beside the bale: the stdlib zip, the rest bale, the parts file.
fn print_side_files(s: &AppSummary) {
    if let Some(z) = &s.side_file {
        println!(
            "wrote {}: what a page imports before the bale, {} modules as bytecode, for loadPyodide's stdLibURL \
             ({} on disk; over the wire gzip -9 {}, brotli -9 {}; counted in the stdlib row)",
            z.path.display(),
            z.modules,
            human(z.transfer.file),
            human(z.transfer.gzip),
            human(z.transfer.brotli)
        );
    }
    if let Some(r) = &s.rest {
        println!(
            "wrote {}: {} files of the environment the bale does not hold, for the importer to serve what it lacks \
             ({}; its index {}, what is fetched before any file)",
            r.path.display(),
            r.files,
            human(r.size),
            human(r.index)
        );
    }
    if let Some(p) = &s.parts {
        println!(
            "wrote {}: upload it beside the bale; a returning visitor's loader fetches from it only what a new \
             version changed ({}; its index {}); the bale's integrity: {}",
            p.path.display(),
            human(p.size),
            human(p.head),
            p.integrity
        );
    }
}

/// What the pack did to the sources, the traced runs, and imports it could not resolve.
fn print_notes(s: &AppSummary) {
    let (before, after) = s.pack.stripped_docstrings;
    if before > 0 {
        println!("docstrings stripped: sources {} -> {}", human(before), human(after));
    }
    if !s.pack.compile_failures.is_empty() {
        println!("{} source file(s) did not compile and are kept as source only", s.pack.compile_failures.len());
    }
    let traced: f64 = s.runs.iter().map(|r| r.time.as_secs_f64()).sum();
    println!("traced {} run(s) in {traced:.2} s", s.runs.len());
    if !s.unresolved.is_empty() {
        println!("imports found by static analysis but not installed (optional?): {}", s.unresolved.join(", "));
    }
}

/// Each run again from the bale against its traced run, and what the bale lacked.
fn print_validation(v: &Validation) {
    for r in &v.runs {
        let args = if r.args.is_empty() {
            "(no arguments)".to_owned()
        } else {
            shlex::try_join(r.args.iter().map(String::as_str)).unwrap_or_default()
        };
        if r.same_exit && r.same_output {
            println!(
                "validated {args}: same exit code ({}) and output; {:.2} s from the bale, {:.2} s traced",
                r.exit.map_or("-".into(), |c| c.to_string()),
                r.bale_time.as_secs_f64(),
                r.traced_time.as_secs_f64()
            );
        } else {
            println!("VALIDATION FAILED {args}:\n{}", r.difference.as_deref().unwrap_or_default());
        }
    }
    for m in &v.missing {
        match &m.include {
            Some(glob) => println!("missing from the bale: {} (add it with --include '{glob}')", m.what),
            None => println!("missing from the bale: {} (not found in the environment either)", m.what),
        }
    }
}

/// The web target's start from the bale against the start from wheels, and what each
/// transfers.
fn print_start_timing(w: &StartTiming, s: &AppSummary) {
    println!("start in a fresh Pyodide on Node, ms: loadPyodide + fetch + prepare + import and run = total");
    let row = |what: &str, prepare: &str, t: &StartTime| {
        println!(
            "  {what:<12} {:>8.0} + {:>6.0} + {:>6.0} ({prepare}) + {:>6.0} = {:>8.0}",
            t.load_pyodide, t.fetch, t.prepare, t.run, t.total
        )
    };
    row("bale", "loadBale", &w.bale);
    row("wheels", "unpack", &w.wheels);
    println!("  bale / wheels: {:.2}× in total, {:.2}× after loadPyodide", w.bale.total / w.wheels.total, {
        let after = |t: &StartTime| t.total - t.load_pyodide;
        after(&w.bale) / after(&w.wheels)
    });
    let mut bale = s.reduction.transfer.clone();
    if let Some(z) = &s.side_file {
        bale.add(&z.transfer);
    }
    let what = match &s.side_file {
        Some(_) => "bale and its stdlib zip against wheels, app files and Pyodide's python_stdlib.zip",
        None => "bale against wheels and app files",
    };
    println!(
        "  transfer ({what}): brotli {} against {} ({:.2}×), gzip {} against {} ({:.2}×)",
        human(bale.brotli),
        human(w.wheels_transfer.brotli),
        bale.brotli as f64 / w.wheels_transfer.brotli as f64,
        human(bale.gzip),
        human(w.wheels_transfer.gzip),
        bale.gzip as f64 / w.wheels_transfer.gzip as f64,
    );
}

fn arrow(before: &Side, after: &Side, f: impl Fn(&Side) -> String) -> String {
    format!("{} → {}", f(before), f(after))
}

fn reduction(r: &Row) -> String {
    r.reduction().map_or("-".into(), |p| format!("{p:.1}%"))
}
