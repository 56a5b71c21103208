//! `bale inspect` and `bale verify`.

use std::path::Path;

use bale_pack::report::{Report, Row, report};

use crate::common::{human, open};
use crate::exit::{EXIT_DAMAGED, Exit};

pub fn run(path: &Path, json: bool) -> anyhow::Result<()> {
    let bale = open(path)?;
    let r = report(&bale).map_err(|e| anyhow::Error::new(e).context(path.display().to_string()))?;
    // The report's `file_size` is the bale's own; a framed bale is smaller on disk.
    let on_disk = std::fs::metadata(path).map_or(r.file_size, |m| m.len());
    // What a page names as `integrity`: the bale's own hash, whichever form it travels in.
    let integrity = bale_pack::parts::integrity(bale.bytes());
    if json {
        let mut value = serde_json::to_value(&r)?;
        value["file_size_on_disk"] = on_disk.into();
        value["integrity"] = integrity.into();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_report(path, &r, on_disk);
        println!();
        println!("integrity (loadBale's option): {integrity}");
    }
    Ok(())
}

/// A bale's size, labelled: `3.1 KiB on disk`, or for a framed bale (one zstd frame)
/// `226.8 KiB on disk, 800.2 KiB decoded`.
pub fn sizes(on_disk: u64, decoded: u64) -> String {
    match on_disk == decoded {
        true => format!("{} on disk", human(on_disk)),
        false => format!("{} on disk, {} decoded", human(on_disk), human(decoded)),
    }
}

fn print_report(path: &Path, r: &Report, on_disk: u64) {
    let writer = r.writer.as_ref().map(|w| format!(", written by bale {w}")).unwrap_or_default();
    println!("{}: {}, bale format {}{writer}", path.display(), sizes(on_disk, r.file_size), r.format_version);
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
        // The file records count folders too: said apart, the files are those packed.
        let folders = bale.files().flatten().filter(|f| f.is_dir()).count();
        println!(
            "{}: ok ({} modules, {} files and {folders} folders, {} payloads, every checksum matches)",
            path.display(),
            bale.module_count(),
            bale.file_count() as usize - folders,
            bale.payload_count()
        );
        return Ok(());
    }
    for p in &problems {
        eprintln!("{}: {p}", path.display());
    }
    Err(Exit(EXIT_DAMAGED, format!("{}: {} problem(s) found", path.display(), problems.len())).into())
}
