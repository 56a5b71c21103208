//! Reading a bale in place.
//!
//! [`Bale::open`] checks the header and nothing else, so it costs the same for ten
//! entries or a million. Every later read checks what it touches before trusting it:
//! the hash bucket and record a lookup lands on, the key bytes it returns, the payload
//! it hands out. Whatever a call returns has passed its checksum.

use std::borrow::Cow;
use std::sync::OnceLock;

use byteorder::{ByteOrder, LittleEndian as LE};
use xxhash_rust::xxh3::xxh3_64;
use zstd::zstd_safe::DDict;

use crate::codec::{self, Codec};
pub use crate::entries::{File, FileId, FileKind, Header, Module, ModuleId, Payload, PayloadId};
use crate::entries::{Span, decode_file, decode_module, some};
use crate::entry::{EntryKind, EntryPoint};
use crate::error::{Corruption, Error, Table};
use crate::layout::{self, FileRecord, KeyFields, ModuleRecord, PayloadRecord, RawHeader, TreeDescriptor, header as h};
pub struct Bale<D> {
    data: D,
    header: Header,
    dictionary: OnceLock<DDict<'static>>,
}

impl<D: AsRef<[u8]>> Bale<D> {
    /// Checks the header and returns the bale. Costs the same whatever the number of
    /// entries: nothing is read beyond the header until it is asked for.
    pub fn open(data: D) -> Result<Self, Error> {
        let header = parse_header(data.as_ref(), true)?;
        Ok(Bale { data, header, dictionary: OnceLock::new() })
    }

    /// Opens a bale of which only the index is at hand: bytes `0 ..`
    /// [`Header::index_end`] (or more), as a reader over the network fetches them
    /// first. Lookups and listings work as on a whole bale; a payload whose bytes are
    /// not at hand is [`Error::Absent`], and its stored bytes, fetched elsewhere, are
    /// checked and decoded by [`Bale::decode`].
    pub fn open_index(data: D) -> Result<Self, Error> {
        let header = parse_header(data.as_ref(), false)?;
        Ok(Bale { data, header, dictionary: OnceLock::new() })
    }

    /// The bale's bytes (without anything that followed it in the data given to `open`;
    /// only those at hand, for a bale opened by its index).
    pub fn bytes(&self) -> &[u8] {
        let data = self.data.as_ref();
        &data[..data.len().min(self.header.file_size as usize)]
    }

    /// Whether every byte of the bale is at hand (not a bale opened by its index alone).
    pub fn is_whole(&self) -> bool {
        self.data.as_ref().len() as u64 >= self.header.file_size
    }

    /// What the bale was opened from.
    pub fn data(&self) -> &D {
        &self.data
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn target(&self) -> &str {
        self.header.target()
    }

    /// How the app packed in it starts, if the packer recorded it (format-spec §4.2).
    pub fn entry_point(&self) -> Result<Option<EntryPoint>, Error> {
        let (entry, _) = self.header_strings()?;
        let Some(kind) = EntryKind::from_byte(self.header.entry_kind) else {
            return Err(Corruption::Header("unknown entry point kind").into());
        };
        let text = std::str::from_utf8(entry).map_err(|_| Corruption::Header("entry point is not UTF-8"))?;
        EntryPoint::decode(kind, text).map_err(|e| e.in_entry("the entry point"))
    }

    /// The file name of the rest bale that belongs to this one (what the traced runs
    /// did not use), and its `header_hash`; `None` if it has none.
    pub fn rest(&self) -> Result<Option<(&str, u64)>, Error> {
        let (_, rest) = self.header_strings()?;
        if rest.is_empty() {
            return Ok(None);
        }
        let name = std::str::from_utf8(rest).map_err(|_| Corruption::Header("rest bale name is not UTF-8"))?;
        crate::name::check_path(name).map_err(|e| e.in_entry("the rest bale's name"))?;
        if name.contains('/') {
            return Err(Corruption::Header("rest bale name is a path, not a file name").into());
        }
        Ok(Some((name, self.header.rest_hash)))
    }

    /// The entry point's and the rest bale name's bytes, checked against
    /// `strings_check`.
    fn header_strings(&self) -> Result<(&[u8], &[u8]), Error> {
        let at = |s: layout::StringRef| {
            let start = (self.header.strings_offset + u64::from(s.offset)) as usize;
            &self.bytes()[start..start + usize::from(s.len)]
        };
        let (entry, rest) = (at(self.header.entry), at(self.header.rest));
        if layout::strings_check(entry, rest) != self.header.strings_check {
            return Err(Corruption::Header("entry point or rest bale name does not match its check").into());
        }
        Ok((entry, rest))
    }

    /// The `.pyc` magic number of the bale's bytecode, if it holds any.
    pub fn bytecode_magic(&self) -> Option<[u8; 4]> {
        let m = self.header.bytecode_magic;
        (m != [0; 4]).then_some(m)
    }

    pub fn module_count(&self) -> u32 {
        self.header.modules.count
    }

    pub fn file_count(&self) -> u32 {
        self.header.files.count
    }

    pub fn payload_count(&self) -> u32 {
        self.header.payload_count
    }

    /// Looks up a module by its full dotted name.
    pub fn module(&self, name: &str) -> Result<Option<Module<'_>>, Error> {
        let Some((index, bytes)) = self.find(Table::Modules, name)? else {
            return Ok(None);
        };
        let name = self.valid_key(Table::Modules, index, bytes, false)?;
        Ok(Some(decode_module(index, name, bytes)))
    }

    /// Looks up a file or folder by its path.
    pub fn file(&self, path: &str) -> Result<Option<File<'_>>, Error> {
        let Some((index, bytes)) = self.find(Table::Files, path)? else {
            return Ok(None);
        };
        let path = self.valid_key(Table::Files, index, bytes, false)?;
        Ok(Some(decode_file(index, path, bytes)))
    }

    pub fn module_by_id(&self, id: ModuleId) -> Result<Module<'_>, Error> {
        let bytes = self.record(Table::Modules, id.0)?;
        let name = self.valid_key(Table::Modules, id.0, bytes, true)?;
        Ok(decode_module(id.0, name, bytes))
    }

    pub fn file_by_id(&self, id: FileId) -> Result<File<'_>, Error> {
        let bytes = self.record(Table::Files, id.0)?;
        let path = self.valid_key(Table::Files, id.0, bytes, true)?;
        Ok(decode_file(id.0, path, bytes))
    }

    /// The top-level modules, sorted by name.
    pub fn root_modules(&self) -> Children<'_, D, Module<'_>> {
        self.children(Table::Modules, None, Span { first: 0, count: self.header.modules.root_count })
    }

    /// The submodules and subpackages of a package, sorted by name.
    pub fn module_children(&self, module: &Module<'_>) -> Children<'_, D, Module<'_>> {
        self.children(Table::Modules, Some(module.id.0), module.children)
    }

    /// The files and folders at the top of the bale, sorted by name.
    pub fn root_files(&self) -> Children<'_, D, File<'_>> {
        self.children(Table::Files, None, Span { first: 0, count: self.header.files.root_count })
    }

    /// The files and folders inside a folder, sorted by name.
    pub fn file_children(&self, dir: &File<'_>) -> Children<'_, D, File<'_>> {
        self.children(Table::Files, Some(dir.id.0), dir.children)
    }

    /// Every module, in index order (parents before children).
    pub fn modules(&self) -> impl Iterator<Item = Result<Module<'_>, Error>> {
        (0..self.header.modules.count).map(|i| self.module_by_id(ModuleId(i)))
    }

    /// Every file and folder, in index order (parents before children).
    pub fn files(&self) -> impl Iterator<Item = Result<File<'_>, Error>> {
        (0..self.header.files.count).map(|i| self.file_by_id(FileId(i)))
    }

    pub fn payload(&self, id: PayloadId) -> Result<Payload, Error> {
        let b = self.record(Table::Payloads, id.0)?;
        let r = PayloadRecord::decode(b);
        Ok(Payload {
            id,
            offset: r.offset,
            stored_size: r.stored_size,
            size: r.size,
            hash: r.hash,
            codec: Codec::from_byte(r.codec),
        })
    }

    /// The payload's bytes as stored (compressed or not), after checking their hash.
    pub fn stored(&self, payload: &Payload) -> Result<&[u8], Error> {
        let index = payload.id.0;
        let bytes = self.bytes();
        let end = payload.offset.checked_add(payload.stored_size);
        let range = match end {
            Some(end) if payload.offset >= u64::from(self.header.header_size) && end <= self.header.file_size => {
                payload.offset as usize..end as usize
            }
            _ => {
                return Err(structure(Table::Payloads, index, "bytes lie outside the bale"));
            }
        };
        if range.end > bytes.len() {
            return Err(Error::Absent { index });
        }
        let stored = &bytes[range];
        if xxh3_64(stored) != payload.hash {
            return Err(Corruption::PayloadChecksum { index }.into());
        }
        Ok(stored)
    }

    /// The payload's content: borrowed from the bale when stored as is, decompressed
    /// into a buffer of exactly the recorded size otherwise.
    pub fn read(&self, payload: &Payload) -> Result<Cow<'_, [u8]>, Error> {
        let stored = self.stored(payload)?;
        self.decode_checked(payload, stored)
    }

    /// The content of a payload from its stored bytes fetched elsewhere (a bale opened
    /// by its index): checked against the payload's size and hash, then decoded as
    /// [`Bale::read`] does.
    pub fn decode<'s>(&self, payload: &Payload, stored: &'s [u8]) -> Result<Cow<'s, [u8]>, Error> {
        let index = payload.id.0;
        if stored.len() as u64 != payload.stored_size {
            return Err(Corruption::Payload {
                index,
                problem: format!("{} bytes arrived, the record says {}", stored.len(), payload.stored_size),
            }
            .into());
        }
        if xxh3_64(stored) != payload.hash {
            return Err(Corruption::PayloadChecksum { index }.into());
        }
        self.decode_checked(payload, stored)
    }

    fn decode_checked<'s>(&self, payload: &Payload, stored: &'s [u8]) -> Result<Cow<'s, [u8]>, Error> {
        match payload.codec {
            Codec::Stored => {
                if payload.stored_size != payload.size {
                    return Err(structure(Table::Payloads, payload.id.0, "stored payload with two sizes"));
                }
                Ok(Cow::Borrowed(stored))
            }
            Codec::Zstd => Ok(Cow::Owned(codec::decompress(payload.id.0, stored, payload.size, None)?)),
            Codec::ZstdDictionary => {
                let dict = self.dictionary()?;
                Ok(Cow::Owned(codec::decompress(payload.id.0, stored, payload.size, Some(dict))?))
            }
            Codec::Unknown(codec) => {
                Err(Error::UnsupportedCodec { codec, minor: self.header.minor, writer: self.header.writer_version() })
            }
        }
    }

    /// The content of a file, with the file's path in any error.
    pub fn read_file(&self, file: &File<'_>) -> Result<Cow<'_, [u8]>, Error> {
        let Some(id) = file.payload else {
            return Ok(Cow::Borrowed(&[]));
        };
        self.payload(id).and_then(|p| self.read(&p)).map_err(|e| e.in_entry(file.path))
    }

    /// The raw zstd dictionary, if the bale has one.
    pub fn dictionary_bytes(&self) -> Result<Option<&[u8]>, Error> {
        let Some(id) = self.header.dictionary else {
            return Ok(None);
        };
        let p = self.payload(id)?;
        if p.codec != Codec::Stored {
            return Err(structure(Table::Payloads, id.0, "the dictionary must be stored uncompressed"));
        }
        self.stored(&p).map(Some)
    }

    fn dictionary(&self) -> Result<&DDict<'static>, Error> {
        if let Some(d) = self.dictionary.get() {
            return Ok(d);
        }
        let bytes = self
            .dictionary_bytes()?
            .ok_or(Corruption::Header("a payload uses the dictionary, but the bale has none"))?;
        let index = self.header.dictionary.map_or(0, |p| p.0);
        let dict = DDict::try_create(bytes)
            .ok_or_else(|| Corruption::Payload { index, problem: "not a zstd dictionary".into() })?;
        Ok(self.dictionary.get_or_init(|| dict))
    }

    // ---- the index ----

    /// Finds the record whose key is `key`: one bucket read in the common case.
    pub(crate) fn find(&self, table: Table, key: &str) -> Result<Option<(u32, &[u8])>, Error> {
        let tree = self.tree(table);
        let hash = layout::key_hash(key.as_bytes());
        let (mut b, tag) = layout::bucket_and_tag(hash, tree.bucket_count);
        for _ in 0..tree.bucket_count {
            let bucket = self.bucket(table, b)?;
            let count = layout::bucket_count(bucket) as usize;
            if count > layout::BUCKET_SLOTS {
                return Err(Corruption::Index { table, problem: "bucket holds more than seven slots" }.into());
            }
            for slot in 0..count {
                let (slot_tag, index) = layout::bucket_slot(bucket, slot);
                if slot_tag != tag {
                    continue;
                }
                let record = self.record(table, index)?;
                let fields = KeyFields::decode(record);
                if fields.hash != hash {
                    continue;
                }
                let stored_key = &self.bytes()[self.key_range(table, index, &fields)?];
                if stored_key == key.as_bytes() {
                    return Ok(Some((index, record)));
                }
                // Same 64-bit hash, other key: either the key bytes are damaged, or the
                // query collides with a key in the bale (writers refuse collisions inside
                // one bale, but not with names they never saw).
                if xxh3_64(stored_key) != hash {
                    return Err(structure(table, index, "key does not match its hash"));
                }
            }
            if count < layout::BUCKET_SLOTS {
                return Ok(None);
            }
            b = (b + 1) & (tree.bucket_count - 1);
        }
        Ok(None)
    }

    fn tree(&self, table: Table) -> &TreeDescriptor {
        match table {
            Table::Modules => &self.header.modules,
            Table::Files => &self.header.files,
            Table::Payloads => unreachable!("payloads are not a tree"),
        }
    }

    pub(crate) fn bucket(&self, table: Table, index: u32) -> Result<&[u8], Error> {
        let tree = self.tree(table);
        let start = tree.buckets_offset as usize + index as usize * layout::BUCKET_SIZE;
        let bucket = &self.bytes()[start..start + layout::BUCKET_SIZE];
        if !layout::is_sealed(bucket, index) {
            return Err(Corruption::Bucket { table, index }.into());
        }
        Ok(bucket)
    }

    /// The bytes of record `index`, after checking its checksum.
    pub(crate) fn record(&self, table: Table, index: u32) -> Result<&[u8], Error> {
        let (offset, count, size) = match table {
            Table::Modules => (self.header.modules.records_offset, self.header.modules.count, ModuleRecord::SIZE),
            Table::Files => (self.header.files.records_offset, self.header.files.count, FileRecord::SIZE),
            Table::Payloads => (self.header.payloads_offset, self.header.payload_count, PayloadRecord::SIZE),
        };
        if index >= count {
            return Err(Corruption::Index { table, problem: "reference to a record that does not exist" }.into());
        }
        let start = offset as usize + index as usize * size;
        let record = &self.bytes()[start..start + size];
        if !layout::is_sealed(record, index) {
            return Err(Corruption::Record { table, index }.into());
        }
        Ok(record)
    }

    fn key_range(&self, table: Table, index: u32, f: &KeyFields) -> Result<std::ops::Range<usize>, Error> {
        let end = u64::from(f.key_offset) + u64::from(f.key_len);
        if end > self.header.strings_size {
            return Err(structure(table, index, "key lies outside the string table"));
        }
        let start = (self.header.strings_offset + u64::from(f.key_offset)) as usize;
        Ok(start..start + usize::from(f.key_len))
    }

    /// The key of a record, as a name that obeys the rules of [`crate::name`]. A key
    /// reached by index rather than by lookup is first checked against the record's
    /// hash (a lookup already compared it with the name it hashed).
    fn valid_key(&self, table: Table, index: u32, record: &[u8], check_hash: bool) -> Result<&str, Error> {
        let fields = KeyFields::decode(record);
        let key = &self.bytes()[self.key_range(table, index, &fields)?];
        if check_hash && xxh3_64(key) != fields.hash {
            return Err(structure(table, index, "key does not match its hash"));
        }
        let key = std::str::from_utf8(key).map_err(|_| structure(table, index, "key is not UTF-8"))?;
        let valid = match table {
            Table::Modules => crate::name::check_module_name(key),
            _ => crate::name::check_path(key),
        };
        valid.map_err(|e| e.in_entry(format!("{table} record {index}")))?;
        Ok(key)
    }

    fn children<T>(&self, table: Table, parent: Option<u32>, span: Span) -> Children<'_, D, T> {
        Children {
            bale: self,
            table,
            parent,
            next: span.first,
            end: span.first.saturating_add(span.count),
            item: std::marker::PhantomData,
        }
    }
}

/// The children of a package or folder (or the roots of a tree), in name order. Each
/// item is checked: its record, its key, and that it names this parent as its own.
pub struct Children<'a, D, T> {
    bale: &'a Bale<D>,
    table: Table,
    parent: Option<u32>,
    next: u32,
    end: u32,
    item: std::marker::PhantomData<T>,
}

impl<'a, D: AsRef<[u8]>, T: Child<'a>> Iterator for Children<'a, D, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let index = self.next;
        self.next += 1;
        let item = T::load(self.bale, index).and_then(|item| {
            if item.parent_index() == self.parent {
                Ok(item)
            } else {
                Err(structure(self.table, index, "listed under a parent that is not its own"))
            }
        });
        if item.is_err() {
            self.next = self.end;
        }
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.end - self.next) as usize;
        (0, Some(n))
    }
}

/// A record type that can be listed as a child: [`Module`] or [`File`].
pub trait Child<'a>: Sized {
    fn load<D: AsRef<[u8]>>(bale: &'a Bale<D>, index: u32) -> Result<Self, Error>;
    fn parent_index(&self) -> Option<u32>;
}

impl<'a> Child<'a> for Module<'a> {
    fn load<D: AsRef<[u8]>>(bale: &'a Bale<D>, index: u32) -> Result<Self, Error> {
        bale.module_by_id(ModuleId(index))
    }
    fn parent_index(&self) -> Option<u32> {
        self.parent.map(|p| p.0)
    }
}

impl<'a> Child<'a> for File<'a> {
    fn load<D: AsRef<[u8]>>(bale: &'a Bale<D>, index: u32) -> Result<Self, Error> {
        bale.file_by_id(FileId(index))
    }
    fn parent_index(&self) -> Option<u32> {
        self.parent.map(|p| p.0)
    }
}

pub(crate) fn structure(table: Table, index: u32, problem: &'static str) -> Error {
    Corruption::Structure { table, index, problem }.into()
}

/// Checks the fixed header and the shape of every section, touching no other byte.
/// With `whole` false, only the index need be at hand (see [`Bale::open_index`]).
fn parse_header(data: &[u8], whole: bool) -> Result<Header, Error> {
    let found = data.len() as u64;
    let raw = sealed_header(data)?;
    let bad = |what| Error::Corrupt(Corruption::Header(what));
    let (header_size, file_size) = (raw.header_size, raw.file_size);
    if (header_size as usize) < layout::HEADER_SIZE || header_size % 8 != 0 || u64::from(header_size) > file_size {
        return Err(bad("header size out of range"));
    }
    if whole && file_size > found {
        return Err(Error::Truncated { expected: file_size, found });
    }
    let target_len = raw.target.iter().position(|&b| b == 0).unwrap_or(layout::TARGET_LEN);
    if raw.target[target_len..].iter().any(|&b| b != 0)
        || !raw.target[..target_len].iter().all(|b| b.is_ascii_graphic())
    {
        return Err(bad("target is not printable ASCII padded with NUL bytes"));
    }
    let target = String::from_utf8(raw.target[..target_len].to_vec()).map_err(|_| bad("target"))?;

    let header = Header {
        major: raw.major,
        minor: raw.minor,
        header_size,
        file_size,
        body_hash: raw.body_hash,
        target,
        bytecode_magic: raw.bytecode_magic,
        payload_count: raw.payload_count,
        dictionary: some(raw.dictionary).map(PayloadId),
        payloads_offset: raw.payloads_offset,
        strings_offset: raw.strings_offset,
        strings_size: raw.strings_size,
        modules: raw.modules,
        files: raw.files,
        writer: raw.writer,
        entry_kind: raw.entry_kind,
        entry: raw.entry,
        rest: raw.rest,
        strings_check: raw.strings_check,
        rest_hash: raw.rest_hash,
        header_hash: raw.header_hash,
    };
    check_sections(&header)?;
    if usize::try_from(file_size).is_err() {
        return Err(Error::TooLarge { size: file_size });
    }
    if !whole && header.index_end() > found {
        return Err(Error::Truncated { expected: header.index_end(), found });
    }
    Ok(header)
}

/// The header at the start of `data`, decoded: a bale (by its magic) of the major
/// version this crate reads, all of whose header is at hand and matches its checksum.
fn sealed_header(data: &[u8]) -> Result<RawHeader, Error> {
    let found = data.len() as u64;
    let prefix = data.len().min(layout::MAGIC.len());
    if data[..prefix] != layout::MAGIC[..prefix] {
        return Err(Error::NotABale);
    }
    if data.len() < h::MINOR + 2 {
        return Err(Error::Truncated { expected: layout::HEADER_SIZE as u64, found });
    }
    let major = LE::read_u16(&data[h::MAJOR..]);
    let minor = LE::read_u16(&data[h::MINOR..]);
    if major != layout::MAJOR {
        return Err(Error::UnsupportedVersion { major, minor });
    }
    if data.len() < layout::HEADER_SIZE {
        return Err(Error::Truncated { expected: layout::HEADER_SIZE as u64, found });
    }
    let raw = RawHeader::decode(data);
    if raw.header_hash != layout::header_hash(data) {
        return Err(Corruption::HeaderChecksum.into());
    }
    Ok(raw)
}

/// Every section must lie inside the bale, so that later reads can slice without
/// further bounds arithmetic going wrong.
fn check_sections(header: &Header) -> Result<(), Error> {
    let bad = |what| Error::Corrupt(Corruption::Header(what));
    let inside = |offset: u64, count: u64, size: u64| {
        count
            .checked_mul(size)
            .and_then(|len| offset.checked_add(len))
            .is_some_and(|end| offset >= u64::from(header.header_size) && end <= header.file_size)
    };
    for (tree, record_size) in [(&header.modules, ModuleRecord::SIZE), (&header.files, FileRecord::SIZE)] {
        if !tree.bucket_count.is_power_of_two() || tree.bucket_count > 1 << 31 {
            return Err(bad("bucket count is not a power of two"));
        }
        if tree.root_count > tree.count || tree.count == layout::NONE {
            return Err(bad("root count exceeds record count"));
        }
        if tree.records_offset % layout::SECTION_ALIGN != 0 || tree.buckets_offset % layout::SECTION_ALIGN != 0 {
            return Err(bad("index section not aligned"));
        }
        if !inside(tree.records_offset, tree.count.into(), record_size as u64)
            || !inside(tree.buckets_offset, tree.bucket_count.into(), layout::BUCKET_SIZE as u64)
        {
            return Err(bad("index section outside the bale"));
        }
    }
    if !header.payloads_offset.is_multiple_of(layout::SECTION_ALIGN)
        || header.payload_count == layout::NONE
        || !inside(header.payloads_offset, header.payload_count.into(), PayloadRecord::SIZE as u64)
    {
        return Err(bad("payload table outside the bale"));
    }
    if !inside(header.strings_offset, header.strings_size, 1) {
        return Err(bad("string table outside the bale"));
    }
    for string in [header.entry, header.rest] {
        if u64::from(string.offset) + u64::from(string.len) > header.strings_size {
            return Err(bad("entry point or rest bale name outside the string table"));
        }
    }
    if header.dictionary.is_some_and(|d| d.0 >= header.payload_count) {
        return Err(bad("dictionary is not a payload"));
    }
    Ok(())
}
