//! Writing a bale.
//!
//! Collect modules and files with [`Writer`], then [`Writer::write`] lays out the
//! index (trees in breadth-first order so that every folder's children are adjacent,
//! hash buckets, strings), compresses and deduplicates the payloads on every core, and
//! streams the result.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Seek, SeekFrom, Write};

use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::codec::{self, Codec};
use crate::layout::{self, FileRecord, KeyFields, ModuleRecord, PayloadRecord, RawHeader, TreeDescriptor};
use crate::name::{self, check_module_name, check_path};
use crate::{Error, FileKind};

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
}

impl Writer {
    /// `target` names the platform of the bale's bytecode and native code, such as
    /// `cpython-3.11-x86_64-linux-gnu`, or `any`: printable ASCII, at most 48 bytes.
    pub fn new(target: &str) -> Result<Writer, Error> {
        if target.is_empty() || target.len() > layout::TARGET_LEN || !target.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Write(format!("target {target:?} must be 1 to 48 printable ASCII characters")));
        }
        Ok(Writer { target: target.to_owned(), bytecode_magic: None, files: BTreeMap::new(), modules: BTreeMap::new() })
    }

    /// A writer holding everything `bale` holds, decoded: to write it again with
    /// other [`WriteOptions`] (uncompressed, for a program that maps it, say).
    pub fn from_bale<D: AsRef<[u8]>>(bale: &crate::Bale<D>) -> Result<Writer, Error> {
        let mut w = Writer::new(bale.target())?;
        if let Some(magic) = bale.bytecode_magic() {
            w.set_bytecode_magic(magic);
        }
        for file in bale.files() {
            let file = file?;
            match file.kind {
                crate::FileKind::Directory => w.add_directory(file.path)?,
                kind => {
                    let content = bale.read_file(&file).map_err(|e| e.in_entry(file.path))?.into_owned();
                    w.add_file(file.path, kind, content, file.executable)?;
                }
            }
        }
        for module in bale.modules() {
            let m = module?;
            let path = |id: Option<crate::FileId>| -> Result<Option<String>, Error> {
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
        let file_index: HashMap<&str, u32> = file_tree.order.iter().enumerate().map(|(i, k)| (*k, i as u32)).collect();

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

        // Payloads: bytecode in module order, then files in file order, so that a
        // package's modules sit next to each other. Identical bytes are stored once.
        let mut payloads = PayloadSet::default();
        let module_bytecode: Vec<u32> = module_tree
            .order
            .iter()
            .map(|name| match &self.modules[*name].bytecode {
                Some(code) => payloads.add(code, PayloadUse::Bytecode, layout::PAYLOAD_ALIGN),
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
                payloads.add(&f.content, PayloadUse::Other, align)
            })
            .collect();

        let dictionary = match (options.compression, options.dictionary_size) {
            (Compression::Zstd { .. }, Some(size)) => payloads.train_dictionary(size),
            _ => None,
        };
        let dictionary_index = dictionary.as_ref().map(|d| payloads.add_dictionary(d));
        payloads.compress(options, dictionary.as_deref())?;

        // Strings, in record order.
        let mut strings = Vec::new();
        let mut key_fields = |tree: &Tree, i: usize| -> Result<KeyFields, Error> {
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
        };

        let mut module_records = vec![0u8; module_tree.len() * ModuleRecord::SIZE];
        for (i, name) in module_tree.order.iter().enumerate() {
            let m = &self.modules[*name];
            let file_id = |p: &Option<String>| p.as_deref().map_or(layout::NONE, |p| file_index[p]);
            let directory = if m.package { file_index[name.replace('.', "/").as_str()] } else { layout::NONE };
            let flags = if m.package { layout::MODULE_PACKAGE } else { 0 }
                | if m.namespace { layout::MODULE_NAMESPACE } else { 0 };
            ModuleRecord {
                key: key_fields(&module_tree, i)?,
                flags,
                source: file_id(&m.source),
                bytecode: module_bytecode[i],
                extension: file_id(&m.extension),
                directory,
            }
            .encode(&mut module_records[i * ModuleRecord::SIZE..][..ModuleRecord::SIZE], i as u32);
        }

        let mut file_records = vec![0u8; file_tree.len() * FileRecord::SIZE];
        for (i, path) in file_tree.order.iter().enumerate() {
            let f = &self.files[*path];
            let module = match f.kind {
                FileKind::Source | FileKind::Extension => owner[path],
                FileKind::Resource => enclosing_package(path, &package_dirs),
                _ => layout::NONE,
            };
            FileRecord {
                key: key_fields(&file_tree, i)?,
                kind: f.kind.to_byte(),
                flags: if f.executable { layout::FILE_EXECUTABLE } else { 0 },
                payload: file_payload[i],
                module,
            }
            .encode(&mut file_records[i * FileRecord::SIZE..][..FileRecord::SIZE], i as u32);
        }

        // Layout: header, buckets, records, strings, payloads.
        let mut at = layout::HEADER_SIZE as u64;
        let mut place = |len: usize, align: u64| {
            let start = layout::align_up(at, align);
            at = start + len as u64;
            start
        };
        let module_buckets = module_tree.buckets();
        let file_buckets = file_tree.buckets();
        let module_buckets_at = place(module_buckets.len(), layout::SECTION_ALIGN);
        let file_buckets_at = place(file_buckets.len(), layout::SECTION_ALIGN);
        let module_records_at = place(module_records.len(), layout::SECTION_ALIGN);
        let file_records_at = place(file_records.len(), layout::SECTION_ALIGN);
        let payload_records_at = place(payloads.len() * PayloadRecord::SIZE, layout::SECTION_ALIGN);
        let strings_at = place(strings.len(), layout::SECTION_ALIGN);
        let payload_at: Vec<u64> = payloads.items.iter().map(|p| place(p.stored.len(), p.align)).collect();
        let file_size = at;

        let mut payload_records = vec![0u8; payloads.len() * PayloadRecord::SIZE];
        for (i, p) in payloads.items.iter().enumerate() {
            PayloadRecord {
                offset: payload_at[i],
                stored_size: p.stored.len() as u64,
                size: p.size,
                hash: xxh3_64(&p.stored),
                codec: p.codec.to_byte(),
            }
            .encode(&mut payload_records[i * PayloadRecord::SIZE..][..PayloadRecord::SIZE], i as u32);
        }

        // The body, hashed as it is written.
        let start = out.stream_position()?;
        let mut body = HashingWriter { out: &mut out, hash: Xxh3::new(), at: 0 };
        body.write_all(&[0; layout::HEADER_SIZE])?;
        body.hash.reset();
        let sections: [(u64, &[u8]); 6] = [
            (module_buckets_at, &module_buckets),
            (file_buckets_at, &file_buckets),
            (module_records_at, &module_records),
            (file_records_at, &file_records),
            (payload_records_at, &payload_records),
            (strings_at, &strings),
        ];
        for (offset, bytes) in sections {
            body.pad_to(offset)?;
            body.write_all(bytes)?;
        }
        for (p, &offset) in payloads.items.iter().zip(&payload_at) {
            body.pad_to(offset)?;
            body.write_all(&p.stored)?;
        }
        let body_hash = body.hash.digest();

        let mut target = [0u8; layout::TARGET_LEN];
        target[..self.target.len()].copy_from_slice(self.target.as_bytes());
        let has_bytecode = module_bytecode.iter().any(|&p| p != layout::NONE);
        let header = RawHeader {
            major: layout::MAJOR,
            minor: layout::MINOR,
            header_size: layout::HEADER_SIZE as u32,
            file_size,
            body_hash,
            target,
            bytecode_magic: if has_bytecode { self.bytecode_magic.unwrap_or_default() } else { [0; 4] },
            flags: 0,
            payload_count: payloads.len() as u32,
            dictionary: dictionary_index.unwrap_or(layout::NONE),
            payloads_offset: payload_records_at,
            strings_offset: strings_at,
            strings_size: strings.len() as u64,
            modules: module_tree.descriptor(module_records_at, module_buckets_at),
            files: file_tree.descriptor(file_records_at, file_buckets_at),
            header_hash: 0,
        }
        .encode();
        out.seek(SeekFrom::Start(start))?;
        out.write_all(&header)?;
        out.seek(SeekFrom::Start(start + file_size))?;
        out.flush()?;

        Ok(WriteSummary {
            file_size,
            modules: module_tree.len() as u32,
            files: file_tree.len() as u32,
            payloads: payloads.len() as u32,
            content_size: payloads.items.iter().map(|p| p.size).sum(),
            stored_size: payloads.items.iter().map(|p| p.stored.len() as u64).sum(),
            deduplicated: payloads.deduplicated,
            dictionary_size: dictionary.map(|d| d.len() as u64),
        })
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

/// One tree (modules or files) in breadth-first order: roots first, then the children
/// of record 0, of record 1, and so on, each group sorted by name. Every record's
/// children are then one contiguous run.
struct Tree<'a> {
    order: Vec<&'a str>,
    hashes: Vec<u64>,
    parent: Vec<u32>,
    children: Vec<(u32, u32)>,
    roots: u32,
}

impl<'a> Tree<'a> {
    /// `keys` must be sorted; siblings then come out sorted too.
    fn new(keys: impl Iterator<Item = &'a str>, separator: char) -> Result<Tree<'a>, Error> {
        let mut by_parent: HashMap<Option<&str>, Vec<&str>> = HashMap::new();
        for key in keys {
            by_parent.entry(name::parent(key, separator)).or_default().push(key);
        }
        let mut order: Vec<&str> = by_parent.remove(&None).unwrap_or_default();
        let roots = order.len() as u32;
        let mut parent = vec![layout::NONE; order.len()];
        let mut children = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let kids = by_parent.remove(&Some(order[i])).unwrap_or_default();
            children.push((if kids.is_empty() { 0 } else { order.len() as u32 }, kids.len() as u32));
            parent.extend(std::iter::repeat_n(i as u32, kids.len()));
            order.extend(kids);
            i += 1;
        }
        if let Some((Some(orphan_parent), _)) = by_parent.iter().next() {
            return Err(Error::Write(format!("{orphan_parent}: missing from the bale, but has children")));
        }
        if order.len() >= layout::NONE as usize {
            return Err(Error::Write("too many entries".into()));
        }
        let hashes: Vec<u64> = order.iter().map(|k| layout::key_hash(k.as_bytes())).collect();
        let mut seen: HashMap<u64, &str> = HashMap::with_capacity(hashes.len());
        for (k, &hash) in order.iter().zip(&hashes) {
            if let Some(other) = seen.insert(hash, k) {
                return Err(Error::Write(format!("{k} and {other} have the same 64-bit hash; rename one")));
            }
        }
        Ok(Tree { order, hashes, parent, children, roots })
    }

    fn len(&self) -> usize {
        self.order.len()
    }

    /// The hash table: each key goes to the first bucket, from its home, with room.
    fn buckets(&self) -> Vec<u8> {
        let count = layout::bucket_count_for(self.len());
        let mut slots: Vec<Vec<(u32, u32)>> = vec![Vec::new(); count as usize];
        for (i, &hash) in self.hashes.iter().enumerate() {
            let (mut b, tag) = layout::bucket_and_tag(hash, count);
            while slots[b as usize].len() == layout::BUCKET_SLOTS {
                b = (b + 1) & (count - 1);
            }
            slots[b as usize].push((tag, i as u32));
        }
        let mut bytes = vec![0u8; count as usize * layout::BUCKET_SIZE];
        for (b, s) in slots.iter().enumerate() {
            layout::write_bucket(&mut bytes[b * layout::BUCKET_SIZE..][..layout::BUCKET_SIZE], s, b as u32);
        }
        bytes
    }

    fn descriptor(&self, records_offset: u64, buckets_offset: u64) -> TreeDescriptor {
        TreeDescriptor {
            records_offset,
            count: self.len() as u32,
            root_count: self.roots,
            buckets_offset,
            bucket_count: layout::bucket_count_for(self.len()),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PayloadUse {
    Bytecode,
    Other,
    Dictionary,
}

struct PendingPayload {
    content: Vec<u8>,
    size: u64,
    align: u64,
    used_as: PayloadUse,
    stored: Vec<u8>,
    codec: Codec,
}

#[derive(Default)]
struct PayloadSet {
    items: Vec<PendingPayload>,
    by_hash: HashMap<(u64, usize), Vec<u32>>,
    deduplicated: u32,
}

impl PayloadSet {
    fn len(&self) -> usize {
        self.items.len()
    }

    fn add(&mut self, content: &[u8], used_as: PayloadUse, align: u64) -> u32 {
        let key = (xxh3_64(content), content.len());
        if let Some(candidates) = self.by_hash.get(&key) {
            for &i in candidates {
                let existing = &mut self.items[i as usize];
                if existing.content == content {
                    existing.align = existing.align.max(align);
                    if used_as != existing.used_as {
                        existing.used_as = PayloadUse::Other;
                    }
                    self.deduplicated += 1;
                    return i;
                }
            }
        }
        let i = self.items.len() as u32;
        self.items.push(PendingPayload {
            content: content.to_vec(),
            size: content.len() as u64,
            align,
            used_as,
            stored: Vec::new(),
            codec: Codec::Stored,
        });
        self.by_hash.entry(key).or_default().push(i);
        i
    }

    fn add_dictionary(&mut self, dict: &[u8]) -> u32 {
        let i = self.items.len() as u32;
        self.items.push(PendingPayload {
            content: dict.to_vec(),
            size: dict.len() as u64,
            align: layout::PAYLOAD_ALIGN,
            used_as: PayloadUse::Dictionary,
            stored: Vec::new(),
            codec: Codec::Stored,
        });
        i
    }

    /// The smallest dictionary trained, however little bytecode there is.
    const MIN_DICTIONARY: usize = 2048;

    /// A zstd dictionary trained on the bytecode, of at most `max_size` bytes and no
    /// more than a hundredth of the bytecode (but 2 KiB): zstd's guidance for training,
    /// and what keeps a small bale from carrying a dictionary larger than what it
    /// saves. `None` when there is too little bytecode to train on.
    fn train_dictionary(&self, max_size: usize) -> Option<Vec<u8>> {
        let samples: Vec<&[u8]> =
            self.items.iter().filter(|p| p.used_as == PayloadUse::Bytecode).map(|p| p.content.as_slice()).collect();
        let hundredth = samples.iter().map(|s| s.len()).sum::<usize>() / 100;
        let size = max_size.min(hundredth.max(Self::MIN_DICTIONARY));
        // zstd's trainer needs a few samples to find anything common to them.
        if samples.len() < 8 {
            return None;
        }
        zstd::dict::from_samples(&samples, size).ok()
    }

    /// Compresses every payload on `options.threads` threads, keeping the compressed
    /// form only where it is smaller.
    fn compress(&mut self, options: &WriteOptions, dictionary: Option<&[u8]>) -> Result<(), Error> {
        let Compression::Zstd { level } = options.compression else {
            for p in &mut self.items {
                p.stored = std::mem::take(&mut p.content);
            }
            return Ok(());
        };
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        // Workers take small chunks in turn, so one large extension module does not
        // leave the other cores idle.
        let chunks = std::sync::Mutex::new(self.items.chunks_mut(4));
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| -> Result<(), Error> {
                        let mut plain = codec::compressor(level, None)?;
                        let mut with_dict = dictionary.map(|d| codec::compressor(level, Some(d))).transpose()?;
                        loop {
                            let Some(chunk) = chunks.lock().expect("no worker panics holding the lock").next() else {
                                return Ok(());
                            };
                            for p in chunk {
                                let (codec, compressor) = match (p.used_as, with_dict.as_mut()) {
                                    (PayloadUse::Dictionary, _) => (Codec::Stored, None),
                                    (PayloadUse::Bytecode, Some(c)) => (Codec::ZstdDictionary, Some(c)),
                                    _ => (Codec::Zstd, Some(&mut plain)),
                                };
                                let compressed = compressor.map(|c| c.compress(&p.content)).transpose()?;
                                match compressed {
                                    Some(c) if c.len() < p.content.len() => {
                                        p.stored = c;
                                        p.codec = codec;
                                        p.content = Vec::new();
                                        // Compressed bytes are decoded, never mapped.
                                        p.align = layout::PAYLOAD_ALIGN;
                                    }
                                    _ => p.stored = std::mem::take(&mut p.content),
                                }
                            }
                        }
                    })
                })
                .collect();
            workers.into_iter().try_for_each(|w| w.join().expect("compression thread panicked"))
        })
    }
}

/// Writes through to `out`, hashing everything and tracking the offset.
struct HashingWriter<'a, W: Write> {
    out: &'a mut W,
    hash: Xxh3,
    at: u64,
}

impl<W: Write> HashingWriter<'_, W> {
    fn pad_to(&mut self, offset: u64) -> std::io::Result<()> {
        const ZEROS: [u8; 4096] = [0; 4096];
        while self.at < offset {
            let n = (offset - self.at).min(ZEROS.len() as u64) as usize;
            self.write_all(&ZEROS[..n])?;
        }
        Ok(())
    }
}

impl<W: Write> Write for HashingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hash.update(&buf[..n]);
        self.at += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
