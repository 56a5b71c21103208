//! `bale inspect` and `bale verify`.

use std::path::Path;

use bale_pack::report::{Report, Row, report};

use crate::common::{human, open};
use crate::exit::{EXIT_DAMAGED, Exit};

pub fn run(path: &Path, json: bool) -> anyhow::Result<()> {
    let bale = open(path)?;
    let r = report(&bale).map_err(|e| anyhow::Error::new(e).context(path.display().to_string()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print_report(path, &r);
    }
    Ok(())
}

fn print_report(path: &Path, r: &Report) {
    let writer = r.writer.as_ref().map(|w| format!(", written by bale {w}")).unwrap_or_default();
    println!("{}: {}, bale format {}{writer}", path.display(), human(r.file_size), r.format_version);
    if let Some(e) = &r.entry {
        println!("entry point: {} {}", e.kind, e.entry);
    }
    if let Some(rest) = &r.rest {
        println!("rest bale: {rest}");
    }
    match r.bytecode_magic {
        Some(m) => println!("target: {} (bytecode magic {m})", r.target),
        None => println!("target: {} (no bytecode)", r.target),
    }
    let m = &r.modules;
    println!(
        "modules: {} ({} packages, {} namespace), {} with source, {} with bytecode, {} extension modules",
        m.total, m.packages, m.namespace_packages, m.with_source, m.with_bytecode, m.extensions
    );
    if let Some(d) = r.dictionary_size {
        println!("zstd dictionary: {}", human(d));
    }
    println!();
    table("kind", &r.kinds, false);
    println!();
    table("codec", &r.codecs, false);
    println!();
    table("package", &r.packages, true);
}

fn table(title: &str, rows: &[Row], modules: bool) {
    let count = if modules { "files" } else { "entries" };
    if modules {
        println!("{title:<28} {count:>8} {:>8} {:>11} {:>11}", "modules", "size", "stored");
    } else {
        println!("{title:<28} {count:>8} {:>11} {:>11}", "size", "stored");
    }
    for row in rows {
        if modules {
            println!(
                "{:<28} {:>8} {:>8} {:>11} {:>11}",
                row.name,
                row.files,
                row.modules,
                human(row.size),
                human(row.stored)
            );
        } else {
            println!("{:<28} {:>8} {:>11} {:>11}", row.name, row.files, human(row.size), human(row.stored));
        }
    }
}

pub fn verify(path: &Path) -> anyhow::Result<()> {
    let bale = open(path)?;
    let problems = bale.verify();
    if problems.is_empty() {
        println!(
            "{}: ok ({} modules, {} files, {} payloads, every checksum matches)",
            path.display(),
            bale.module_count(),
            bale.file_count(),
            bale.payload_count()
        );
        return Ok(());
    }
    for p in &problems {
        eprintln!("{}: {p}", path.display());
    }
    Err(Exit(EXIT_DAMAGED, format!("{}: {} problem(s) found", path.display(), problems.len())).into())
}
