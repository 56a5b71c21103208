//! Writing a bale.
//!
//! Collect modules and files with [`Writer`], then [`Writer::write`] lays out the
//! index (trees in breadth-first order so that every folder's children are adjacent,
//! hash buckets, strings), compresses and deduplicates the payloads on every core, and
//! streams the result.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Seek, SeekFrom, Write};

mod payloads;
mod tree;

use payloads::{HashingWriter, PayloadSet, PayloadUse};
use tree::Tree;

use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::entry::{EntryKind, EntryPoint};
use crate::error::Error;
use crate::layout::{self, FileRecord, KeyFields, ModuleRecord, PayloadRecord, RawHeader};
use crate::name::{self, check_module_name, check_path};
use crate::reader::FileKind;

/// How payloads are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Zstd { level: i32 },
}

/// Choices that change the bytes written but not what they mean.
#[derive(Clone, Debug)]
pub struct WriteOptions {
    pub compression: Compression,
    /// With zstd: train a dictionary of at most this many bytes on the bale's own
    /// bytecode, store it in the bale and compress bytecode with it.
    pub dictionary_size: Option<usize>,
    /// Alignment of stored extension modules and shared libraries (a power of two).
    /// [`layout::NATIVE_ALIGN`] lets a loader map them on any common page size; a
    /// bale for WebAssembly, where nothing is mapped, can use 8.
    pub native_alignment: u64,
    /// Threads to compress with; 0 means one per core.
    pub threads: usize,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            compression: Compression::None,
            dictionary_size: None,
            native_alignment: layout::NATIVE_ALIGN,
            threads: 0,
        }
    }
}

/// A module to add: which files hold its code.
#[derive(Clone, Debug, Default)]
pub struct ModuleSpec {
    pub package: bool,
    /// A PEP 420 namespace package (implies `package`, and no code).
    pub namespace: bool,
    /// Path of its `.py` file, added with [`FileKind::Source`].
    pub source: Option<String>,
    /// A complete `.pyc`: 16-byte header (starting with the bale's bytecode magic),
    /// then the marshalled code object.
    pub bytecode: Option<Vec<u8>>,
    /// Path of its extension module, added with [`FileKind::Extension`].
    pub extension: Option<String>,
}

/// What [`Writer::write`] produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub file_size: u64,
    pub modules: u32,
    pub files: u32,
    pub payloads: u32,
    /// Sum of the payloads' sizes before compression (each distinct payload once).
    pub content_size: u64,
    /// Sum of the payloads' sizes as stored.
    pub stored_size: u64,
    /// Payloads that were identical to another and share its bytes.
    pub deduplicated: u32,
    pub dictionary_size: Option<u64>,
}

struct PendingFile {
    kind: FileKind,
    executable: bool,
    content: Vec<u8>,
}

/// Collects the contents of a bale.
pub struct Writer {
    target: String,
    bytecode_magic: Option<[u8; 4]>,
    files: BTreeMap<String, PendingFile>,
    modules: BTreeMap<String, ModuleSpec>,
    /// Minor 1 (format-spec §4.2): who wrote it, how its app starts, its rest bale.
    writer: Option<[u16; 3]>,
    entry: Option<EntryPoint>,
    rest: Option<(String, u64)>,
}

impl Writer {
    /// `target` names the platform of the bale's bytecode and native code, such as
    /// `cpython-3.11-x86_64-linux-gnu`, or `any`: printable ASCII, at most 48 bytes.
    pub fn new(target: &str) -> Result<Writer, Error> {
        if target.is_empty() || target.len() > layout::TARGET_LEN || !target.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Write(format!("target {target:?} must be 1 to 48 printable ASCII characters")));
        }
        Ok(Writer {
            target: target.to_owned(),
            bytecode_magic: None,
            files: BTreeMap::new(),
            modules: BTreeMap::new(),
            writer: None,
            entry: None,
            rest: None,
        })
    }

    /// A writer holding everything `bale` holds, decoded: to write it again with
    /// other [`WriteOptions`] (uncompressed, for a program that maps it, say).
    pub fn from_bale<D: AsRef<[u8]>>(bale: &crate::reader::Bale<D>) -> Result<Writer, Error> {
        let mut w = Writer::new(bale.target())?;
        if let Some(magic) = bale.bytecode_magic() {
            w.set_bytecode_magic(magic);
        }
        let writer = bale.header().writer;
        w.writer = (writer != [0; 3]).then_some(writer);
        w.entry = bale.entry_point()?;
        w.rest = bale.rest()?.map(|(name, hash)| (name.to_owned(), hash));
        for file in bale.files() {
            let file = file?;
            match file.kind {
                crate::reader::FileKind::Directory => w.add_directory(file.path)?,
                kind => {
                    let content = bale.read_file(&file).map_err(|e| e.in_entry(file.path))?.into_owned();
                    w.add_file(file.path, kind, content, file.executable)?;
                }
            }
        }
        for module in bale.modules() {
            let m = module?;
            let path = |id: Option<crate::reader::FileId>| -> Result<Option<String>, Error> {
                id.map(|id| bale.file_by_id(id).map(|f| f.path.to_owned())).transpose()
            };
            let bytecode = match m.bytecode {
                Some(id) => Some(bale.read(&bale.payload(id)?).map_err(|e| e.in_entry(m.name))?.into_owned()),
                None => None,
            };
            let spec = ModuleSpec {
                package: m.is_package,
                namespace: m.is_namespace,
                source: path(m.source)?,
                bytecode,
                extension: path(m.extension)?,
            };
            w.add_module(m.name, spec)?;
        }
        Ok(w)
    }

    /// Records the version of bale writing it, such as `0.2.0` (`major.minor.patch`).
    pub fn set_writer_version(&mut self, version: &str) -> Result<(), Error> {
        let parts: Vec<u16> = version.split(['.', '-', '+']).take(3).map_while(|p| p.parse().ok()).collect();
        let [major, minor, patch] = parts[..] else {
            return Err(Error::Write(format!("writer version {version:?} is not MAJOR.MINOR.PATCH")));
        };
        self.writer = Some([major, minor, patch]);
        Ok(())
    }

    /// Records how the app in the bale starts.
    pub fn set_entry_point(&mut self, entry: EntryPoint) {
        self.entry = Some(entry);
    }

    /// Records the rest bale that belongs to this one: its file name (beside this
    /// bale) and its `header_hash`.
    pub fn set_rest(&mut self, name: &str, header_hash: u64) -> Result<(), Error> {
        check_path(name)?;
        if name.contains('/') {
            return Err(Error::Write(format!("rest bale {name:?}: a file name, not a path")));
        }
        self.rest = Some((name.to_owned(), header_hash));
        Ok(())
    }

    /// The `.pyc` magic number all bytecode in this bale starts with.
    pub fn set_bytecode_magic(&mut self, magic: [u8; 4]) {
        self.bytecode_magic = Some(magic);
    }

    pub fn add_file(&mut self, path: &str, kind: FileKind, content: Vec<u8>, executable: bool) -> Result<(), Error> {
        check_path(path)?;
        if kind == FileKind::Directory {
            return self.add_directory(path);
        }
        if self.files.contains_key(path) {
            return Err(Error::Write(format!("{path}: added twice")));
        }
        self.files.insert(path.to_owned(), PendingFile { kind, executable, content });
        Ok(())
    }

    /// Adds a folder, empty or not. Folders that hold files are added without asking.
    pub fn add_directory(&mut self, path: &str) -> Result<(), Error> {
        check_path(path)?;
        match self.files.get(path) {
            Some(f) if f.kind != FileKind::Directory => Err(Error::Write(format!("{path}: both a file and a folder"))),
            Some(_) => Ok(()),
            None => {
                self.files.insert(
                    path.to_owned(),
                    PendingFile { kind: FileKind::Directory, executable: false, content: Vec::new() },
                );
                Ok(())
            }
        }
    }

    pub fn add_module(&mut self, name: &str, spec: ModuleSpec) -> Result<(), Error> {
        check_module_name(name)?;
        if self.modules.contains_key(name) {
            return Err(Error::Write(format!("module {name}: added twice")));
        }
        self.modules.insert(name.to_owned(), spec);
        Ok(())
    }

    /// Each file added so far (folders left out), its content to change in place: a
    /// writer [`Writer::from_bale`] made, with some files rewritten.
    pub fn files_mut(&mut self) -> impl Iterator<Item = (&str, FileKind, &mut Vec<u8>)> {
        self.files
            .iter_mut()
            .filter(|(_, f)| f.kind != FileKind::Directory)
            .map(|(path, f)| (path.as_str(), f.kind, &mut f.content))
    }

    pub fn has_file(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    pub fn has_module(&self, name: &str) -> bool {
        self.modules.contains_key(name)
    }

    /// Lays out and writes the bale. `out` is written from its current position to the
    /// end, then the header is written last, at the start.
    pub fn write<W: Write + Seek>(mut self, mut out: W, options: &WriteOptions) -> Result<WriteSummary, Error> {
        if !options.native_alignment.is_power_of_two() || options.native_alignment < layout::PAYLOAD_ALIGN {
            return Err(Error::Write("native alignment must be a power of two of at least 8".into()));
        }
        self.add_implied_directories()?;
        self.check_modules()?;

        let module_tree = Tree::new(self.modules.keys().map(String::as_str), '.')?;
        let file_tree = Tree::new(self.files.keys().map(String::as_str), '/')?;
        let payloads = self.payloads(&module_tree, &file_tree, options)?;
        let index = self.index(module_tree, file_tree, &payloads)?;
        let at = Offsets::lay_out(&index, &payloads.set);

        let start = out.stream_position()?;
        let body_hash = write_body(&mut out, &index, &payloads.set, &at)?;
        let header = self.header(&index, &payloads, &at, body_hash).encode();
        out.seek(SeekFrom::Start(start))?;
        out.write_all(&header)?;
        out.seek(SeekFrom::Start(start + at.end))?;
        out.flush()?;

        let set = &payloads.set;
        Ok(WriteSummary {
            file_size: at.end,
            modules: index.module_tree.len() as u32,
            files: index.file_tree.len() as u32,
            payloads: set.len() as u32,
            content_size: set.items.iter().map(|p| p.size).sum(),
            stored_size: set.items.iter().map(|p| p.stored.len() as u64).sum(),
            deduplicated: set.deduplicated,
            dictionary_size: payloads.dictionary.map(|d| d.len() as u64),
        })
    }

    /// Payloads: bytecode in module order, then files in file order, so that a
    /// package's modules sit next to each other. Identical bytes are stored once. Then
    /// the dictionary, where asked, and every payload compressed.
    fn payloads(
        &self,
        module_tree: &Tree<'_>,
        file_tree: &Tree<'_>,
        options: &WriteOptions,
    ) -> Result<Payloads, Error> {
        let mut set = PayloadSet::default();
        let module_bytecode: Vec<u32> = module_tree
            .order
            .iter()
            .map(|name| match &self.modules[*name].bytecode {
                Some(code) => set.add(code, PayloadUse::Bytecode, layout::PAYLOAD_ALIGN),
                None => layout::NONE,
            })
            .collect();
        let file_payload: Vec<u32> = file_tree
            .order
            .iter()
            .map(|path| {
                let f = &self.files[*path];
                if f.kind == FileKind::Directory {
                    return layout::NONE;
                }
                let align = if f.kind.is_native() { options.native_alignment } else { layout::PAYLOAD_ALIGN };
                set.add(&f.content, PayloadUse::Other, align)
            })
            .collect();

        let dictionary = match (options.compression, options.dictionary_size) {
            (Compression::Zstd { .. }, Some(size)) => set.train_dictionary(size),
            _ => None,
        };
        let dictionary_index = dictionary.as_ref().map(|d| set.add_dictionary(d));
        set.compress(options, dictionary.as_deref())?;
        Ok(Payloads { set, module_bytecode, file_payload, dictionary, dictionary_index })
    }

    /// The records of both trees and the strings they name, in record order; the
    /// header's own strings (minor 1) after the keys.
    fn index<'a>(&self, module_tree: Tree<'a>, file_tree: Tree<'a>, payloads: &Payloads) -> Result<Index<'a>, Error> {
        let mut strings = Vec::new();
        let module_records = self.module_records(&module_tree, &file_tree, &payloads.module_bytecode, &mut strings)?;
        let file_records = self.file_records(&file_tree, &module_tree, &payloads.file_payload, &mut strings)?;
        let header_strings = self.header_strings(&mut strings)?;
        Ok(Index {
            module_buckets: module_tree.buckets(),
            file_buckets: file_tree.buckets(),
            module_tree,
            file_tree,
            module_records,
            file_records,
            strings,
            header_strings,
        })
    }

    /// The module records, in tree order; their keys go to the end of `strings`.
    fn module_records(
        &self,
        module_tree: &Tree<'_>,
        file_tree: &Tree<'_>,
        module_bytecode: &[u32],
        strings: &mut Vec<u8>,
    ) -> Result<Vec<u8>, Error> {
        let file_index: HashMap<&str, u32> = file_tree.order.iter().enumerate().map(|(i, k)| (*k, i as u32)).collect();
        let mut records = vec![0u8; module_tree.len() * ModuleRecord::SIZE];
        for (i, name) in module_tree.order.iter().enumerate() {
            let m = &self.modules[*name];
            let file_id = |p: &Option<String>| p.as_deref().map_or(layout::NONE, |p| file_index[p]);
            let directory = if m.package { file_index[name.replace('.', "/").as_str()] } else { layout::NONE };
            let flags = if m.package { layout::MODULE_PACKAGE } else { 0 }
                | if m.namespace { layout::MODULE_NAMESPACE } else { 0 };
            ModuleRecord {
                key: key_fields(module_tree, i, strings)?,
                flags,
                source: file_id(&m.source),
                bytecode: module_bytecode[i],
                extension: file_id(&m.extension),
                directory,
            }
            .encode(&mut records[i * ModuleRecord::SIZE..][..ModuleRecord::SIZE], i as u32);
        }
        Ok(records)
    }

    /// The file records, in tree order; their keys go to the end of `strings`.
    fn file_records(
        &self,
        file_tree: &Tree<'_>,
        module_tree: &Tree<'_>,
        file_payload: &[u32],
        strings: &mut Vec<u8>,
    ) -> Result<Vec<u8>, Error> {
        // Which module owns each source and extension file, and which package each folder is.
        let mut owner: HashMap<&str, u32> = HashMap::new();
        let mut package_dirs: HashMap<String, u32> = HashMap::new();
        for (i, name) in module_tree.order.iter().enumerate() {
            let m = &self.modules[*name];
            for path in [&m.source, &m.extension].into_iter().flatten() {
                owner.insert(path.as_str(), i as u32);
            }
            if m.package {
                package_dirs.insert(name.replace('.', "/"), i as u32);
            }
        }

        let mut records = vec![0u8; file_tree.len() * FileRecord::SIZE];
        for (i, path) in file_tree.order.iter().enumerate() {
            let f = &self.files[*path];
            let module = match f.kind {
                FileKind::Source | FileKind::Extension => owner[path],
                FileKind::Resource => enclosing_package(path, &package_dirs),
                _ => layout::NONE,
            };
            FileRecord {
                key: key_fields(file_tree, i, strings)?,
                kind: f.kind.to_byte(),
                flags: if f.executable { layout::FILE_EXECUTABLE } else { 0 },
                payload: file_payload[i],
                module,
            }
            .encode(&mut records[i * FileRecord::SIZE..][..FileRecord::SIZE], i as u32);
        }
        Ok(records)
    }

    /// Adds the entry point's text and the rest bale's name to `strings`.
    fn header_strings(&self, strings: &mut Vec<u8>) -> Result<HeaderStrings, Error> {
        let entry_text = self.entry.as_ref().map(|e| e.to_string()).unwrap_or_default();
        let rest_name = self.rest.as_ref().map_or("", |(name, _)| name.as_str());
        Ok(HeaderStrings {
            entry: string_ref(strings, entry_text.as_bytes())?,
            rest: string_ref(strings, rest_name.as_bytes())?,
            check: layout::strings_check(entry_text.as_bytes(), rest_name.as_bytes()),
        })
    }

    /// The header of the bale laid out as `at` says, whose body hashes to `body_hash`.
    fn header(&self, index: &Index<'_>, payloads: &Payloads, at: &Offsets, body_hash: u64) -> RawHeader {
        let mut target = [0u8; layout::TARGET_LEN];
        target[..self.target.len()].copy_from_slice(self.target.as_bytes());
        let has_bytecode = payloads.module_bytecode.iter().any(|&p| p != layout::NONE);
        let minor_1 = self.writer.is_some() || self.entry.is_some() || self.rest.is_some();
        RawHeader {
            major: layout::MAJOR,
            minor: if minor_1 { 1 } else { 0 },
            header_size: layout::HEADER_SIZE as u32,
            file_size: at.end,
            body_hash,
            target,
            bytecode_magic: if has_bytecode { self.bytecode_magic.unwrap_or_default() } else { [0; 4] },
            flags: 0,
            payload_count: payloads.set.len() as u32,
            dictionary: payloads.dictionary_index.unwrap_or(layout::NONE),
            payloads_offset: at.payload_records,
            strings_offset: at.strings,
            strings_size: index.strings.len() as u64,
            modules: index.module_tree.descriptor(at.module_records, at.module_buckets),
            files: index.file_tree.descriptor(at.file_records, at.file_buckets),
            writer: self.writer.unwrap_or_default(),
            entry_kind: self.entry.as_ref().map_or(EntryKind::None, EntryPoint::kind) as u8,
            entry: index.header_strings.entry,
            rest: index.header_strings.rest,
            strings_check: index.header_strings.check,
            rest_hash: self.rest.as_ref().map_or(0, |(_, hash)| *hash),
            header_hash: 0,
        }
    }

    /// Every folder that holds a file, and every package's folder, is in the file tree.
    fn add_implied_directories(&mut self) -> Result<(), Error> {
        let mut wanted: HashSet<String> = HashSet::new();
        for path in self.files.keys() {
            let mut p = path.as_str();
            while let Some(parent) = name::parent(p, '/') {
                if !wanted.insert(parent.to_owned()) {
                    break;
                }
                p = parent;
            }
        }
        for (name, m) in &self.modules {
            if m.package {
                let dir = name.replace('.', "/");
                check_path(&dir)?;
                let mut p = dir.as_str();
                wanted.insert(dir.clone());
                while let Some(parent) = name::parent(p, '/') {
                    wanted.insert(parent.to_owned());
                    p = parent;
                }
            }
        }
        for dir in wanted {
            self.add_directory(&dir)?;
        }
        Ok(())
    }

    /// Every module's code is where it says, and every source and extension file
    /// belongs to exactly one module.
    fn check_modules(&self) -> Result<(), Error> {
        let fail = |name: &str, what: String| Err(Error::Write(format!("module {name}: {what}")));
        let mut claimed: HashMap<&str, &str> = HashMap::new();
        for (name, m) in &self.modules {
            if m.namespace && (!m.package || m.source.is_some() || m.bytecode.is_some() || m.extension.is_some()) {
                return fail(name, "a namespace package has no code".into());
            }
            if let Some(parent) = name::parent(name, '.') {
                match self.modules.get(parent) {
                    Some(p) if p.package => {}
                    Some(_) => return fail(name, format!("its parent {parent} is not a package")),
                    None => return fail(name, format!("its parent {parent} is not in the bale")),
                }
            }
            for (path, kind) in [(&m.source, FileKind::Source), (&m.extension, FileKind::Extension)] {
                let Some(path) = path else { continue };
                match self.files.get(path.as_str()) {
                    Some(f) if f.kind == kind => {}
                    Some(f) => {
                        return fail(name, format!("{path} is a {} file, not {}", f.kind.name(), kind.name()));
                    }
                    None => return fail(name, format!("{path} is not in the bale")),
                }
                if let Some(other) = claimed.insert(path.as_str(), name.as_str()) {
                    return fail(name, format!("{path} already belongs to module {other}"));
                }
            }
            if let Some(code) = &m.bytecode {
                let Some(magic) = self.bytecode_magic else {
                    return fail(name, "has bytecode, but the bale has no bytecode magic".into());
                };
                if code.len() < 16 || code[..4] != magic {
                    return fail(name, "bytecode is not a .pyc with the bale's magic number".into());
                }
            }
        }
        for (path, f) in &self.files {
            if matches!(f.kind, FileKind::Source | FileKind::Extension) && !claimed.contains_key(path.as_str()) {
                return Err(Error::Write(format!("{path}: a {} file that belongs to no module", f.kind.name())));
            }
        }
        Ok(())
    }
}

/// The payloads, compressed, and which of them each module's bytecode and each file is.
struct Payloads {
    set: PayloadSet,
    /// By module record: its bytecode's payload, or [`layout::NONE`].
    module_bytecode: Vec<u32>,
    /// By file record: its payload, or [`layout::NONE`] for a folder.
    file_payload: Vec<u32>,
    dictionary: Option<Vec<u8>>,
    dictionary_index: Option<u32>,
}

/// The index: both trees, their buckets and records, and the string table.
struct Index<'a> {
    module_tree: Tree<'a>,
    file_tree: Tree<'a>,
    module_buckets: Vec<u8>,
    file_buckets: Vec<u8>,
    module_records: Vec<u8>,
    file_records: Vec<u8>,
    strings: Vec<u8>,
    header_strings: HeaderStrings,
}

/// Where the header finds its own strings (minor 1) in the string table, and their check.
struct HeaderStrings {
    entry: layout::StringRef,
    rest: layout::StringRef,
    check: u32,
}

/// Where each section and payload starts, from the start of the bale, and where the
/// bale ends.
struct Offsets {
    module_buckets: u64,
    file_buckets: u64,
    module_records: u64,
    file_records: u64,
    payload_records: u64,
    strings: u64,
    payloads: Vec<u64>,
    end: u64,
}

impl Offsets {
    /// Layout: header, buckets, records, strings, payloads.
    fn lay_out(index: &Index<'_>, payloads: &PayloadSet) -> Offsets {
        let mut at = layout::HEADER_SIZE as u64;
        let mut place = |len: usize, align: u64| {
            let start = layout::align_up(at, align);
            at = start + len as u64;
            start
        };
        let module_buckets = place(index.module_buckets.len(), layout::SECTION_ALIGN);
        let file_buckets = place(index.file_buckets.len(), layout::SECTION_ALIGN);
        let module_records = place(index.module_records.len(), layout::SECTION_ALIGN);
        let file_records = place(index.file_records.len(), layout::SECTION_ALIGN);
        let payload_records = place(payloads.len() * PayloadRecord::SIZE, layout::SECTION_ALIGN);
        let strings = place(index.strings.len(), layout::SECTION_ALIGN);
        let payloads = payloads.items.iter().map(|p| place(p.stored.len(), p.align)).collect();
        Offsets {
            module_buckets,
            file_buckets,
            module_records,
            file_records,
            payload_records,
            strings,
            payloads,
            end: at,
        }
    }
}

/// The fields every tree record starts with, for record `i` of `tree`; its key goes
/// to the end of `strings`.
fn key_fields(tree: &Tree<'_>, i: usize, strings: &mut Vec<u8>) -> Result<KeyFields, Error> {
    let key = tree.order[i];
    let offset = u32::try_from(strings.len()).map_err(|_| Error::Write("more than 4 GiB of names".into()))?;
    strings.extend_from_slice(key.as_bytes());
    Ok(KeyFields {
        hash: tree.hashes[i],
        key_offset: offset,
        key_len: key.len() as u16,
        parent: tree.parent[i],
        first_child: tree.children[i].0,
        child_count: tree.children[i].1,
    })
}

/// One of the header's own strings, added to the end of `strings`; empty when absent.
fn string_ref(strings: &mut Vec<u8>, text: &[u8]) -> Result<layout::StringRef, Error> {
    if text.is_empty() {
        return Ok(layout::StringRef::default());
    }
    let offset = u32::try_from(strings.len()).map_err(|_| Error::Write("more than 4 GiB of names".into()))?;
    let len = u16::try_from(text.len()).map_err(|_| Error::Write("an entry point over 64 KiB".into()))?;
    strings.extend_from_slice(text);
    Ok(layout::StringRef { offset, len })
}

/// The body, hashed as it is written: zeros where the header goes (not hashed), the
/// index's sections, then the payloads, each where `at` places it. Returns its hash.
fn write_body<W: Write>(out: &mut W, index: &Index<'_>, payloads: &PayloadSet, at: &Offsets) -> Result<u64, Error> {
    let mut payload_records = vec![0u8; payloads.len() * PayloadRecord::SIZE];
    for (i, p) in payloads.items.iter().enumerate() {
        PayloadRecord {
            offset: at.payloads[i],
            stored_size: p.stored.len() as u64,
            size: p.size,
            hash: xxh3_64(&p.stored),
            codec: p.codec.to_byte(),
        }
        .encode(&mut payload_records[i * PayloadRecord::SIZE..][..PayloadRecord::SIZE], i as u32);
    }

    let mut body = HashingWriter { out, hash: Xxh3::new(), at: 0 };
    body.write_all(&[0; layout::HEADER_SIZE])?;
    body.hash.reset();
    let sections: [(u64, &[u8]); 6] = [
        (at.module_buckets, &index.module_buckets),
        (at.file_buckets, &index.file_buckets),
        (at.module_records, &index.module_records),
        (at.file_records, &index.file_records),
        (at.payload_records, &payload_records),
        (at.strings, &index.strings),
    ];
    for (offset, bytes) in sections {
        body.pad_to(offset)?;
        body.write_all(bytes)?;
    }
    for (p, &offset) in payloads.items.iter().zip(&at.payloads) {
        body.pad_to(offset)?;
        body.write_all(&p.stored)?;
    }
    Ok(body.hash.digest())
}

/// The package whose folder most closely encloses `path`.
fn enclosing_package(path: &str, package_dirs: &HashMap<String, u32>) -> u32 {
    let mut p = path;
    while let Some(parent) = name::parent(p, '/') {
        if let Some(&m) = package_dirs.get(parent) {
            return m;
        }
        p = parent;
    }
    layout::NONE
}
