//! A summary of a bale: counts and sizes by kind, by codec and by top-level package.
//! `bale inspect` prints it; `bale pack` prints its package table.

use std::collections::{BTreeMap, HashSet};

use bale_format::{Bale, Codec, EntryKind, Error, File, FileKind, Module, PayloadId};
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub file_size: u64,
    pub format_version: String,
    /// The version of bale that wrote it, where the bale says.
    pub writer: Option<String>,
    /// How the app in it starts, where the packer recorded it.
    pub entry: Option<EntryReport>,
    /// The rest bale that belongs to it, by file name.
    pub rest: Option<String>,
    pub target: String,
    /// The bytecode magic number as CPython prints it (`int.from_bytes(magic[:2], "little")`).
    pub bytecode_magic: Option<u16>,
    pub modules: ModuleCounts,
    pub kinds: Vec<Row>,
    pub codecs: Vec<Row>,
    pub dictionary_size: Option<u64>,
    /// One row per top-level package or module (first path component for other files).
    pub packages: Vec<Row>,
    pub total: Row,
}

/// An entry point: its kind (`module`, `function`, `script`) and its text.
#[derive(Clone, Debug, Serialize)]
pub struct EntryReport {
    pub kind: &'static str,
    pub entry: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ModuleCounts {
    pub total: u32,
    pub packages: u32,
    pub namespace_packages: u32,
    pub with_source: u32,
    pub with_bytecode: u32,
    pub extensions: u32,
}

/// Entries and their sizes: `size` decoded, `stored` as stored in the bale (a payload
/// shared by several entries counts once, for the first).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Row {
    pub name: String,
    pub files: u64,
    pub modules: u64,
    pub size: u64,
    pub stored: u64,
}

impl Row {
    fn add(&mut self, files: u64, modules: u64, size: u64, stored: u64) {
        self.files += files;
        self.modules += modules;
        self.size += size;
        self.stored += stored;
    }
}

pub fn report<D: AsRef<[u8]>>(bale: &Bale<D>) -> Result<Report, Error> {
    let header = bale.header();
    let magic = bale.bytecode_magic().map(|m| u16::from_le_bytes([m[0], m[1]]));
    let mut r = Report {
        file_size: header.file_size,
        format_version: format!("{}.{}", header.major, header.minor),
        writer: header.writer_version(),
        entry: bale.entry_point()?.map(|e| EntryReport {
            kind: match e.kind() {
                EntryKind::Module => "module",
                EntryKind::Function => "function",
                EntryKind::Script => "script",
                EntryKind::None => "none",
            },
            entry: e.to_string(),
        }),
        rest: bale.rest()?.map(|(name, _)| name.to_owned()),
        target: bale.target().to_owned(),
        bytecode_magic: magic,
        ..Default::default()
    };
    let mut tally = Tally::default();
    for m in bale.modules() {
        let m = m?;
        r.modules.count(&m);
        tally.module(bale, &m)?;
    }
    for f in bale.files() {
        tally.file(bale, &f?)?;
    }
    if let Some(dict) = bale.dictionary_bytes()? {
        r.dictionary_size = Some(dict.len() as u64);
        if let Some(id) = header.dictionary
            && tally.seen.insert(id)
        {
            tally.codecs.entry(Codec::Stored.name()).or_default().add(1, 0, dict.len() as u64, dict.len() as u64);
        }
    }
    r.kinds = named(tally.kinds);
    r.codecs = named(tally.codecs);
    r.packages = named(tally.packages);
    r.total = Row { name: "total".into(), ..Default::default() };
    for p in &r.packages {
        r.total.add(p.files, p.modules, p.size, p.stored);
    }
    Ok(r)
}

impl ModuleCounts {
    fn count(&mut self, m: &Module<'_>) {
        self.total += 1;
        self.packages += u32::from(m.is_package);
        self.namespace_packages += u32::from(m.is_namespace);
        self.with_source += u32::from(m.source.is_some());
        self.with_bytecode += u32::from(m.bytecode.is_some());
        self.extensions += u32::from(m.extension.is_some());
    }
}

/// The rows by kind, by codec and by top-level name, as entries are counted.
#[derive(Default)]
struct Tally {
    kinds: BTreeMap<&'static str, Row>,
    codecs: BTreeMap<&'static str, Row>,
    packages: BTreeMap<String, Row>,
    /// The payloads counted so far: a payload shared by several entries is stored once.
    seen: HashSet<PayloadId>,
}

impl Tally {
    /// A payload's size, and its stored size the first time it is counted (0 after),
    /// when it also counts in its codec's row.
    fn payload<D: AsRef<[u8]>>(&mut self, bale: &Bale<D>, id: PayloadId) -> Result<(u64, u64), Error> {
        let p = bale.payload(id)?;
        let first = self.seen.insert(id);
        let stored = if first { p.stored_size } else { 0 };
        if first {
            self.codecs.entry(p.codec.name()).or_default().add(0, 0, p.size, p.stored_size);
            self.codecs.get_mut(p.codec.name()).expect("just added").files += 1;
        }
        Ok((p.size, stored))
    }

    fn module<D: AsRef<[u8]>>(&mut self, bale: &Bale<D>, m: &Module<'_>) -> Result<(), Error> {
        let top = m.name.split('.').next().unwrap_or(m.name).to_owned();
        let (size, stored) = match m.bytecode {
            Some(id) => self.payload(bale, id)?,
            None => (0, 0),
        };
        self.packages.entry(top).or_default().add(0, 1, size, stored);
        if m.bytecode.is_some() {
            self.kinds.entry("bytecode").or_default().add(1, 0, size, stored);
        }
        Ok(())
    }

    fn file<D: AsRef<[u8]>>(&mut self, bale: &Bale<D>, f: &File<'_>) -> Result<(), Error> {
        if f.kind == FileKind::Directory {
            return Ok(());
        }
        let (size, stored) = match f.payload {
            Some(id) => self.payload(bale, id)?,
            None => (0, 0),
        };
        // Group a module's files with its package, so `six.py` sits with module `six`.
        let top = match f.module {
            Some(m) => bale.module_by_id(m)?.name.split('.').next().unwrap_or_default().to_owned(),
            None => f.path.split('/').next().unwrap_or(f.path).to_owned(),
        };
        self.packages.entry(top).or_default().add(1, 0, size, stored);
        self.kinds.entry(f.kind.name()).or_default().add(1, 0, size, stored);
        Ok(())
    }
}

/// Rows keyed by name, as a list with the names filled in.
fn named<K: ToString>(rows: BTreeMap<K, Row>) -> Vec<Row> {
    rows.into_iter().map(|(name, row)| Row { name: name.to_string(), ..row }).collect()
}
