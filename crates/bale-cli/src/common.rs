//! What several commands share: a bale opened with its path in any error, and sizes
//! written for people.

/// Opens a bale file, with the path in any error.
pub fn open(path: &std::path::Path) -> anyhow::Result<bale_format::MappedBale> {
    use anyhow::Context;
    bale_format::Bale::open_path(path).with_context(|| format!("{}", path.display()))
}

/// Sizes for people: `1.5 MiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{size:.1} {}", UNITS[unit]) }
}
