//! The reduction table: per distribution (and the app, the standard library, a
//! total), the files and bytes before packing against what the bale holds.
//!
//! "Before" is what the environment has installed (caches left out, and pip,
//! setuptools and wheel, which every virtual environment has, unless used); its packed size
//! is each file deflated, as a wheel holds it. "After" is the bale's entries: raw is
//! their decoded size (source and bytecode both count), packed is what they take in
//! the bale. The total's packed "after" is the whole bale file, index included.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use bale_format::{Bale, PayloadId};
use serde::Serialize;

use crate::collect::is_cache;
use crate::error::PackError;
use crate::sizes::{Transfer, brotli_sizes, deflated_sizes};
use crate::target::SideFile;
use crate::trace::SEEDED;
use crate::trace::select::{Group, RootKind, Selection, Stdlib};

#[derive(Clone, Debug, Default, Serialize)]
pub struct Side {
    pub files: u64,
    /// Python modules: `.py` files before; modules with source or bytecode after.
    pub py: u64,
    /// Extension modules and shared libraries.
    pub so: u64,
    pub raw: u64,
    pub packed: u64,
}

impl Side {
    fn add(&mut self, other: &Side) {
        self.files += other.files;
        self.py += other.py;
        self.so += other.so;
        self.raw += other.raw;
        self.packed += other.packed;
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Row {
    pub name: String,
    pub version: Option<String>,
    /// False for the standard library when the bale does not carry it.
    pub carried: bool,
    pub before: Side,
    pub after: Side,
}

impl Row {
    /// How much smaller the packed size got, in percent.
    pub fn reduction(&self) -> Option<f64> {
        (self.carried && self.before.packed > 0)
            .then(|| (1.0 - self.after.packed as f64 / self.before.packed as f64) * 100.0)
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Table {
    pub rows: Vec<Row>,
    pub total: Row,
    /// The bale file as a web server would send it.
    pub transfer: Transfer,
    /// "Packed" after is the brotli size (the web target), not the stored size.
    pub packed_is_brotli: bool,
    /// The distributions of the environment the app did not use (one row in `rows`).
    pub unused: Vec<Row>,
}

/// `web`: the bale goes over HTTP (`--target pyodide`); then "packed" after is what a
/// web server sends with brotli: each row's entries compressed together, and the
/// whole file for the total.
pub fn table<D: AsRef<[u8]>>(selection: &Selection, bale: &Bale<D>, web: bool) -> Result<Table, PackError> {
    let mut rows: BTreeMap<Group, Row> = BTreeMap::new();
    count_installed(selection, &mut rows);
    count_packed(selection, bale, web, &mut rows)?;

    // The tools every virtual environment is made with count only where the app used
    // them; a row with nothing on either side (a namespace package's) not at all.
    rows.retain(|_, r| !(SEEDED.contains(&r.name.to_lowercase().as_str()) && r.after.files == 0));
    rows.retain(|_, r| r.before.files + r.after.files + r.after.py > 0);
    let mut total = Row { name: "total".into(), carried: true, ..Default::default() };
    for r in rows.values().filter(|r| r.carried) {
        total.before.add(&r.before);
        total.after.add(&r.after);
    }
    let bytes = bale.bytes();
    let transfer = Transfer::of(bytes);
    total.after.packed = if web { transfer.brotli } else { transfer.file };
    let (rows, unused) = in_order(rows);
    Ok(Table { rows, total, transfer, packed_is_brotli: web, unused })
}

/// The row of `group`, made the first time it is asked for.
fn row_of<'r>(rows: &'r mut BTreeMap<Group, Row>, selection: &Selection, group: Group) -> &'r mut Row {
    rows.entry(group).or_insert_with(|| match group {
        Group::App => Row { name: "app".into(), carried: true, ..Default::default() },
        Group::Distribution(i) => {
            let dist = &selection.trace.distributions[i];
            Row { name: dist.name.clone(), version: Some(dist.version.clone()), carried: true, ..Default::default() }
        }
        Group::Stdlib => Row { name: "stdlib".into(), carried: selection.stdlib != Stdlib::None, ..Default::default() },
        Group::Other => Row { name: "other".into(), carried: true, ..Default::default() },
    })
}

/// Before: what is installed.
fn count_installed(selection: &Selection, rows: &mut BTreeMap<Group, Row>) {
    let mut before: Vec<(Group, PathBuf)> = Vec::new();
    for (i, d) in selection.trace.distributions.iter().enumerate() {
        for f in &d.files {
            if let Some((_, rel)) = selection.locate(f)
                && !is_cache(&rel)
                && f.is_file()
            {
                before.push((Group::Distribution(i), f.clone()));
            }
        }
    }
    before.extend(selection.walk(RootKind::App).into_iter().map(|p| (Group::App, p)));
    before.extend(selection.walk(RootKind::Stdlib).into_iter().map(|p| (Group::Stdlib, p)));
    before
        .extend(selection.chosen.values().filter(|c| c.group == Group::Other).map(|c| (Group::Other, c.path.clone())));
    let paths: Vec<&PathBuf> = before.iter().map(|(_, p)| p).collect();
    for ((group, path), (raw, packed)) in before.iter().zip(deflated_sizes(&paths)) {
        let side = &mut row_of(rows, selection, *group).before;
        side.files += 1;
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        side.py += u64::from(name.ends_with(".py"));
        side.so += u64::from(crate::classify::is_shared_library(&name));
        side.raw += raw;
        side.packed += packed;
    }
}

/// After: what the bale holds. For the web, each row's stored bytes, to compress.
fn count_packed<D: AsRef<[u8]>>(
    selection: &Selection,
    bale: &Bale<D>,
    web: bool,
    rows: &mut BTreeMap<Group, Row>,
) -> Result<(), PackError> {
    let mut seen: HashSet<PayloadId> = HashSet::new();
    let mut sent: BTreeMap<Group, Vec<u8>> = BTreeMap::new();
    let mut sizes = |id: PayloadId, group: Group| -> Result<(u64, u64), PackError> {
        let p = bale.payload(id)?;
        if !seen.insert(id) {
            return Ok((p.size, 0));
        }
        if web {
            sent.entry(group).or_default().extend_from_slice(bale.stored(&p)?);
        }
        Ok((p.size, p.stored_size))
    };
    let group_of = |rel: &str| selection.chosen.get(rel).map_or(Group::Other, |c| c.group);
    for m in bale.modules() {
        let m = m?;
        let path = match (m.source, m.extension) {
            (Some(f), _) | (None, Some(f)) => bale.file_by_id(f)?.path.to_owned(),
            _ if m.is_package => format!("{}/__init__.py", m.name.replace('.', "/")),
            _ => format!("{}.py", m.name.replace('.', "/")),
        };
        let group = group_of(&path);
        let side = &mut row_of(rows, selection, group).after;
        if m.source.is_some() || m.bytecode.is_some() {
            side.py += 1;
            if m.source.is_none() {
                side.files += 1; // bytecode standing alone for its source
            }
        }
        if let Some(id) = m.bytecode {
            let (raw, packed) = sizes(id, group)?;
            side.raw += raw;
            side.packed += packed;
        }
    }
    for f in bale.files() {
        let f = f?;
        let Some(id) = f.payload else { continue };
        let group = group_of(f.path);
        let (raw, packed) = sizes(id, group)?;
        let side = &mut row_of(rows, selection, group).after;
        side.files += 1;
        side.so += u64::from(f.kind.is_native());
        side.raw += raw;
        side.packed += packed;
    }

    let sent: Vec<(Group, Vec<u8>)> = sent.into_iter().collect();
    let buffers: Vec<&[u8]> = sent.iter().map(|(_, b)| b.as_slice()).collect();
    for ((group, _), size) in sent.iter().zip(brotli_sizes(&buffers)) {
        if let Some(row) = rows.get_mut(group) {
            row.after.packed = size;
        }
    }
    Ok(())
}

/// The rows to show, and the distributions not used. The app first, then the
/// distributions used by name, the rest, and one row for the distributions not used at
/// all (an interpreter's own site-packages may hold hundreds; --json still lists each).
fn in_order(rows: BTreeMap<Group, Row>) -> (Vec<Row>, Vec<Row>) {
    let (unused, used): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|(g, r): &(Group, Row)| matches!(g, Group::Distribution(_)) && r.after.files + r.after.py == 0);
    let mut rows: Vec<Row> = used.into_iter().map(|(_, r)| r).collect();
    rows.sort_by_key(|r| (r.name != "app", r.name == "stdlib" || r.name == "other", r.name.to_lowercase()));
    if !unused.is_empty() {
        let mut row =
            Row { name: format!("{} distributions not used", unused.len()), carried: true, ..Default::default() };
        for (_, r) in &unused {
            row.before.add(&r.before);
        }
        rows.push(row);
    }
    (rows, unused.into_iter().map(|(_, r)| r).collect())
}

impl Table {
    /// Counts a file that ships beside the bale holding part of the standard library
    /// (the web target's trimmed zip) in the standard library's row and the total (as
    /// sent with brotli, as the web bale counts).
    pub fn add_side_file(&mut self, zip: &SideFile) {
        let total = &mut self.total.after;
        let stdlib = self.rows.iter_mut().find(|r| r.name == "stdlib").map(|r| &mut r.after);
        for side in std::iter::once(total).chain(stdlib) {
            side.files += zip.files;
            side.py += zip.modules;
            side.raw += zip.raw;
            side.packed += zip.transfer.brotli;
        }
    }
}
