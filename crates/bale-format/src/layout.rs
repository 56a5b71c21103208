//! Byte layout of a bale, version 1: every constant and field offset of
//! `format-spec/README.md`, and the functions that encode and decode the header and
//! each fixed-width structure. Everything is little-endian.
//!
//! This module is the one place offsets are written down. The reader, the writer, the
//! test tools and the JavaScript loader's constants (checked against this module by
//! the loader crate's tests) all take them from here.
//!
//! (Longer than most files, on purpose: one place for every offset, each struct with
//! its encode and decode beside it.)
//!
//! Nothing here validates meaning; it only moves bytes. The reader decides what a
//! decoded value is allowed to be.

use byteorder::{ByteOrder, LittleEndian as LE};
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// First eight bytes of every bale: a non-ASCII byte (catches 7-bit transports),
/// the name, then CR LF LF (catches line-ending conversion in either direction).
pub const MAGIC: [u8; 8] = *b"\x89BALE\r\n\n";
/// The major version this crate reads and writes. A reader refuses any other.
pub const MAJOR: u16 = 1;
/// The newest minor version this crate reads and writes. A reader accepts any minor
/// of its major; a writer writes the lowest minor whose fields it uses (1.0 when it
/// sets none of the header strings of 1.1).
pub const MINOR: u16 = 1;

/// Size of the version 1.0 header. Later minors may grow it; readers use the
/// `header_size` field, never this constant, to find the end of the header.
pub const HEADER_SIZE: usize = 256;
/// "No entry" in every 32-bit index field.
pub const NONE: u32 = u32::MAX;

/// Sections of the index start on a 64-byte boundary: buckets are one cache line each.
pub const SECTION_ALIGN: u64 = 64;
/// Alignment of every payload.
pub const PAYLOAD_ALIGN: u64 = 8;
/// Alignment of stored (uncompressed) extension modules and shared libraries, so a
/// loader may map them straight from the file: the largest common page size.
pub const NATIVE_ALIGN: u64 = 16384;

/// Size of the target field in the header, ASCII padded with NUL bytes.
pub const TARGET_LEN: usize = 48;

pub mod header {
    //! Offsets of the header fields (format-spec §4).
    pub const MAGIC: usize = 0;
    pub const MAJOR: usize = 8;
    pub const MINOR: usize = 10;
    pub const HEADER_SIZE: usize = 12;
    pub const FILE_SIZE: usize = 16;
    pub const BODY_HASH: usize = 24;
    pub const TARGET: usize = 32;
    pub const BYTECODE_MAGIC: usize = 80;
    pub const FLAGS: usize = 84;
    pub const PAYLOAD_COUNT: usize = 88;
    pub const DICTIONARY: usize = 92;
    pub const PAYLOADS_OFFSET: usize = 96;
    pub const STRINGS_OFFSET: usize = 104;
    pub const STRINGS_SIZE: usize = 112;
    /// The module tree's descriptor (see [`super::TreeDescriptor`]).
    pub const MODULES: usize = 120;
    /// The file tree's descriptor.
    pub const FILES: usize = 152;
    // From minor 1 (format-spec §4.2); zero in a 1.0 bale.
    /// The writer's version: three u16 (major, minor, patch).
    pub const WRITER: usize = 184;
    /// The entry point's kind (u8, `EntryKind`).
    pub const ENTRY_KIND: usize = 190;
    /// The entry point's text: u32 offset from `strings_offset`, u16 length.
    pub const ENTRY_OFFSET: usize = 192;
    pub const ENTRY_LEN: usize = 196;
    /// The rest bale's file name: u16 length, u32 offset from `strings_offset`.
    pub const REST_LEN: usize = 198;
    pub const REST_OFFSET: usize = 200;
    /// `check32` of the entry point's bytes then the rest bale's name, position 0.
    pub const STRINGS_CHECK: usize = 204;
    /// The rest bale's `header_hash`: which rest bale belongs to this one.
    pub const REST_HASH: usize = 208;
    /// Bytes 216..248 are reserved: zero when written, ignored when read.
    pub const RESERVED: usize = 216;
    /// The header checksum: always at this offset, whatever `header_size` says.
    pub const HEADER_HASH: usize = 248;
}

pub mod key {
    //! Offsets of the fields every tree record starts with (format-spec §6).
    pub const HASH: usize = 0;
    pub const KEY_OFFSET: usize = 8;
    pub const KEY_LEN: usize = 12;
    pub const PARENT: usize = 16;
    pub const FIRST_CHILD: usize = 20;
    pub const CHILD_COUNT: usize = 24;
}

pub mod module {
    //! Offsets of a module record's own fields (format-spec §6.1).
    pub const FLAGS: usize = 14;
    pub const SOURCE: usize = 28;
    pub const BYTECODE: usize = 32;
    pub const EXTENSION: usize = 36;
    pub const DIRECTORY: usize = 40;
    pub const CHECK: usize = 44;
    pub const SIZE: usize = 48;
    /// Flag bits.
    pub const PACKAGE: u8 = 1 << 0;
    pub const NAMESPACE: u8 = 1 << 1;
}

pub mod file {
    //! Offsets of a file record's own fields (format-spec §6.2).
    pub const KIND: usize = 14;
    pub const FLAGS: usize = 15;
    pub const PAYLOAD: usize = 28;
    pub const MODULE: usize = 32;
    pub const CHECK: usize = 36;
    pub const SIZE: usize = 40;
    /// Flag bits.
    pub const EXECUTABLE: u8 = 1 << 0;
}

pub mod payload {
    //! Offsets of a payload record's fields (format-spec §9).
    pub const OFFSET: usize = 0;
    pub const STORED_SIZE: usize = 8;
    pub const SIZE: usize = 16;
    pub const HASH: usize = 24;
    pub const CODEC: usize = 32;
    pub const CHECK: usize = 36;
    pub const RECORD_SIZE: usize = 40;
}

pub mod tree {
    //! Offsets inside a tree descriptor (format-spec §4).
    pub const RECORDS_OFFSET: usize = 0;
    pub const COUNT: usize = 8;
    pub const ROOT_COUNT: usize = 12;
    pub const BUCKETS_OFFSET: usize = 16;
    pub const BUCKET_COUNT: usize = 24;
    pub const SIZE: usize = 32;
}

pub mod bucket {
    //! A hash bucket (format-spec §7): seven slots of (tag, record index), a count
    //! and a check, in one 64-byte cache line.
    pub const SLOTS: usize = 7;
    pub const SLOT_SIZE: usize = 8;
    pub const COUNT: usize = 56;
    pub const CHECK: usize = 60;
    pub const SIZE: usize = 64;
}

/// Hash buckets: 64 bytes, seven slots of (tag, record index), a count and a check.
pub const BUCKET_SIZE: usize = bucket::SIZE;
pub const BUCKET_SLOTS: usize = bucket::SLOTS;
pub const BUCKET_COUNT_AT: usize = bucket::COUNT;

pub const MODULE_PACKAGE: u8 = module::PACKAGE;
pub const MODULE_NAMESPACE: u8 = module::NAMESPACE;
pub const FILE_EXECUTABLE: u8 = file::EXECUTABLE;

/// The fixed 256-byte header, field by field, as stored. Encoding computes the
/// header hash; decoding reads it and checks nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawHeader {
    pub major: u16,
    pub minor: u16,
    pub header_size: u32,
    pub file_size: u64,
    pub body_hash: u64,
    /// The target field, NUL padding included.
    pub target: [u8; TARGET_LEN],
    pub bytecode_magic: [u8; 4],
    pub flags: u32,
    pub payload_count: u32,
    pub dictionary: u32,
    pub payloads_offset: u64,
    pub strings_offset: u64,
    pub strings_size: u64,
    pub modules: TreeDescriptor,
    pub files: TreeDescriptor,
    /// Minor 1: the writer's version, the entry point and the rest bale.
    pub writer: [u16; 3],
    pub entry_kind: u8,
    pub entry: StringRef,
    pub rest: StringRef,
    pub strings_check: u32,
    pub rest_hash: u64,
    pub header_hash: u64,
}

/// A string of the string table named by the header: offset from `strings_offset`
/// and length; empty when absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StringRef {
    pub offset: u32,
    pub len: u16,
}

impl Default for RawHeader {
    fn default() -> Self {
        RawHeader {
            major: 0,
            minor: 0,
            header_size: 0,
            file_size: 0,
            body_hash: 0,
            target: [0; TARGET_LEN],
            bytecode_magic: [0; 4],
            flags: 0,
            payload_count: 0,
            dictionary: 0,
            payloads_offset: 0,
            strings_offset: 0,
            strings_size: 0,
            modules: TreeDescriptor::default(),
            files: TreeDescriptor::default(),
            writer: [0; 3],
            entry_kind: 0,
            entry: StringRef::default(),
            rest: StringRef::default(),
            strings_check: 0,
            rest_hash: 0,
            header_hash: 0,
        }
    }
}

impl RawHeader {
    /// Decodes the first [`HEADER_SIZE`] bytes of `b` (which must hold them).
    pub fn decode(b: &[u8]) -> RawHeader {
        use header as h;
        let b = &b[..HEADER_SIZE];
        RawHeader {
            major: LE::read_u16(&b[h::MAJOR..]),
            minor: LE::read_u16(&b[h::MINOR..]),
            header_size: LE::read_u32(&b[h::HEADER_SIZE..]),
            file_size: LE::read_u64(&b[h::FILE_SIZE..]),
            body_hash: LE::read_u64(&b[h::BODY_HASH..]),
            target: b[h::TARGET..h::TARGET + TARGET_LEN].try_into().expect("48 bytes"),
            bytecode_magic: b[h::BYTECODE_MAGIC..h::BYTECODE_MAGIC + 4].try_into().expect("4 bytes"),
            flags: LE::read_u32(&b[h::FLAGS..]),
            payload_count: LE::read_u32(&b[h::PAYLOAD_COUNT..]),
            dictionary: LE::read_u32(&b[h::DICTIONARY..]),
            payloads_offset: LE::read_u64(&b[h::PAYLOADS_OFFSET..]),
            strings_offset: LE::read_u64(&b[h::STRINGS_OFFSET..]),
            strings_size: LE::read_u64(&b[h::STRINGS_SIZE..]),
            modules: TreeDescriptor::decode(&b[h::MODULES..]),
            files: TreeDescriptor::decode(&b[h::FILES..]),
            writer: [
                LE::read_u16(&b[h::WRITER..]),
                LE::read_u16(&b[h::WRITER + 2..]),
                LE::read_u16(&b[h::WRITER + 4..]),
            ],
            entry_kind: b[h::ENTRY_KIND],
            entry: StringRef { offset: LE::read_u32(&b[h::ENTRY_OFFSET..]), len: LE::read_u16(&b[h::ENTRY_LEN..]) },
            rest: StringRef { offset: LE::read_u32(&b[h::REST_OFFSET..]), len: LE::read_u16(&b[h::REST_LEN..]) },
            strings_check: LE::read_u32(&b[h::STRINGS_CHECK..]),
            rest_hash: LE::read_u64(&b[h::REST_HASH..]),
            header_hash: LE::read_u64(&b[h::HEADER_HASH..]),
        }
    }

    /// The header's bytes, magic included and `header_hash` computed over them (the
    /// field's own value is ignored).
    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        use header as h;
        let mut b = [0u8; HEADER_SIZE];
        b[h::MAGIC..h::MAGIC + 8].copy_from_slice(&MAGIC);
        LE::write_u16(&mut b[h::MAJOR..], self.major);
        LE::write_u16(&mut b[h::MINOR..], self.minor);
        LE::write_u32(&mut b[h::HEADER_SIZE..], self.header_size);
        LE::write_u64(&mut b[h::FILE_SIZE..], self.file_size);
        LE::write_u64(&mut b[h::BODY_HASH..], self.body_hash);
        b[h::TARGET..h::TARGET + TARGET_LEN].copy_from_slice(&self.target);
        b[h::BYTECODE_MAGIC..h::BYTECODE_MAGIC + 4].copy_from_slice(&self.bytecode_magic);
        LE::write_u32(&mut b[h::FLAGS..], self.flags);
        LE::write_u32(&mut b[h::PAYLOAD_COUNT..], self.payload_count);
        LE::write_u32(&mut b[h::DICTIONARY..], self.dictionary);
        LE::write_u64(&mut b[h::PAYLOADS_OFFSET..], self.payloads_offset);
        LE::write_u64(&mut b[h::STRINGS_OFFSET..], self.strings_offset);
        LE::write_u64(&mut b[h::STRINGS_SIZE..], self.strings_size);
        self.modules.encode(&mut b[h::MODULES..h::MODULES + tree::SIZE]);
        self.files.encode(&mut b[h::FILES..h::FILES + tree::SIZE]);
        for (i, part) in self.writer.iter().enumerate() {
            LE::write_u16(&mut b[h::WRITER + 2 * i..], *part);
        }
        b[h::ENTRY_KIND] = self.entry_kind;
        LE::write_u32(&mut b[h::ENTRY_OFFSET..], self.entry.offset);
        LE::write_u16(&mut b[h::ENTRY_LEN..], self.entry.len);
        LE::write_u32(&mut b[h::REST_OFFSET..], self.rest.offset);
        LE::write_u16(&mut b[h::REST_LEN..], self.rest.len);
        LE::write_u32(&mut b[h::STRINGS_CHECK..], self.strings_check);
        LE::write_u64(&mut b[h::REST_HASH..], self.rest_hash);
        seal_header(&mut b);
        b
    }
}

/// Writes `header_hash` over the first 248 bytes of a header.
pub fn seal_header(b: &mut [u8]) {
    let hash = header_hash(b);
    LE::write_u64(&mut b[header::HEADER_HASH..], hash);
}

/// What `header_hash` must hold for the header at the start of `b`.
pub fn header_hash(b: &[u8]) -> u64 {
    xxh3_64(&b[..header::HEADER_HASH])
}

/// What `strings_check` holds for the entry point's and the rest bale name's bytes;
/// 0 when both are empty, as in a 1.0 bale.
pub fn strings_check(entry: &[u8], rest: &[u8]) -> u32 {
    if entry.is_empty() && rest.is_empty() {
        return 0;
    }
    let mut both = Vec::with_capacity(entry.len() + rest.len());
    both.extend_from_slice(entry);
    both.extend_from_slice(rest);
    check32(&both, 0)
}

/// Where one tree (modules or files) lives: 32 bytes in the header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TreeDescriptor {
    pub records_offset: u64,
    pub count: u32,
    pub root_count: u32,
    pub buckets_offset: u64,
    pub bucket_count: u32,
}

impl TreeDescriptor {
    pub const SIZE: usize = tree::SIZE;

    pub fn decode(b: &[u8]) -> Self {
        TreeDescriptor {
            records_offset: LE::read_u64(&b[tree::RECORDS_OFFSET..]),
            count: LE::read_u32(&b[tree::COUNT..]),
            root_count: LE::read_u32(&b[tree::ROOT_COUNT..]),
            buckets_offset: LE::read_u64(&b[tree::BUCKETS_OFFSET..]),
            bucket_count: LE::read_u32(&b[tree::BUCKET_COUNT..]),
        }
    }

    pub fn encode(&self, b: &mut [u8]) {
        LE::write_u64(&mut b[tree::RECORDS_OFFSET..], self.records_offset);
        LE::write_u32(&mut b[tree::COUNT..], self.count);
        LE::write_u32(&mut b[tree::ROOT_COUNT..], self.root_count);
        LE::write_u64(&mut b[tree::BUCKETS_OFFSET..], self.buckets_offset);
        LE::write_u32(&mut b[tree::BUCKET_COUNT..], self.bucket_count);
        LE::write_u32(&mut b[tree::BUCKET_COUNT + 4..], 0);
    }
}

/// The hash of a module name or file path: XXH3-64 of its UTF-8 bytes, seed 0.
#[inline]
pub fn key_hash(key: &[u8]) -> u64 {
    xxh3_64(key)
}

/// Checksum of one fixed-width structure (record or bucket): the low 32 bits of
/// XXH3-64 over its bytes before the check field, seeded with its position so that a
/// structure copied to the wrong place does not pass.
#[inline]
pub fn check32(bytes: &[u8], position: u32) -> u32 {
    xxh3_64_with_seed(bytes, u64::from(position)) as u32
}

/// Fields every tree record starts with, at the same offsets for modules and files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyFields {
    pub hash: u64,
    pub key_offset: u32,
    pub key_len: u16,
    pub parent: u32,
    pub first_child: u32,
    pub child_count: u32,
}

impl KeyFields {
    /// Decodes the key fields at the start of a module or file record.
    pub fn decode(b: &[u8]) -> Self {
        KeyFields {
            hash: LE::read_u64(&b[key::HASH..]),
            key_offset: LE::read_u32(&b[key::KEY_OFFSET..]),
            key_len: LE::read_u16(&b[key::KEY_LEN..]),
            parent: LE::read_u32(&b[key::PARENT..]),
            first_child: LE::read_u32(&b[key::FIRST_CHILD..]),
            child_count: LE::read_u32(&b[key::CHILD_COUNT..]),
        }
    }

    fn encode(&self, b: &mut [u8]) {
        LE::write_u64(&mut b[key::HASH..], self.hash);
        LE::write_u32(&mut b[key::KEY_OFFSET..], self.key_offset);
        LE::write_u16(&mut b[key::KEY_LEN..], self.key_len);
        LE::write_u32(&mut b[key::PARENT..], self.parent);
        LE::write_u32(&mut b[key::FIRST_CHILD..], self.first_child);
        LE::write_u32(&mut b[key::CHILD_COUNT..], self.child_count);
    }
}

/// A module record: 48 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleRecord {
    pub key: KeyFields,
    pub flags: u8,
    pub source: u32,
    pub bytecode: u32,
    pub extension: u32,
    pub directory: u32,
}

impl ModuleRecord {
    pub const SIZE: usize = module::SIZE;

    pub fn decode(b: &[u8]) -> Self {
        ModuleRecord {
            key: KeyFields::decode(b),
            flags: b[module::FLAGS],
            source: LE::read_u32(&b[module::SOURCE..]),
            bytecode: LE::read_u32(&b[module::BYTECODE..]),
            extension: LE::read_u32(&b[module::EXTENSION..]),
            directory: LE::read_u32(&b[module::DIRECTORY..]),
        }
    }

    pub fn encode(&self, b: &mut [u8], position: u32) {
        self.key.encode(b);
        b[module::FLAGS] = self.flags;
        b[module::FLAGS + 1] = 0;
        LE::write_u32(&mut b[module::SOURCE..], self.source);
        LE::write_u32(&mut b[module::BYTECODE..], self.bytecode);
        LE::write_u32(&mut b[module::EXTENSION..], self.extension);
        LE::write_u32(&mut b[module::DIRECTORY..], self.directory);
        seal(&mut b[..module::SIZE], position);
    }
}

/// A file record: 40 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileRecord {
    pub key: KeyFields,
    pub kind: u8,
    pub flags: u8,
    pub payload: u32,
    pub module: u32,
}

impl FileRecord {
    pub const SIZE: usize = file::SIZE;

    pub fn decode(b: &[u8]) -> Self {
        FileRecord {
            key: KeyFields::decode(b),
            kind: b[file::KIND],
            flags: b[file::FLAGS],
            payload: LE::read_u32(&b[file::PAYLOAD..]),
            module: LE::read_u32(&b[file::MODULE..]),
        }
    }

    pub fn encode(&self, b: &mut [u8], position: u32) {
        self.key.encode(b);
        b[file::KIND] = self.kind;
        b[file::FLAGS] = self.flags;
        LE::write_u32(&mut b[file::PAYLOAD..], self.payload);
        LE::write_u32(&mut b[file::MODULE..], self.module);
        seal(&mut b[..file::SIZE], position);
    }
}

/// A payload record: 40 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadRecord {
    pub offset: u64,
    pub stored_size: u64,
    pub size: u64,
    pub hash: u64,
    pub codec: u8,
}

impl PayloadRecord {
    pub const SIZE: usize = payload::RECORD_SIZE;

    pub fn decode(b: &[u8]) -> Self {
        PayloadRecord {
            offset: LE::read_u64(&b[payload::OFFSET..]),
            stored_size: LE::read_u64(&b[payload::STORED_SIZE..]),
            size: LE::read_u64(&b[payload::SIZE..]),
            hash: LE::read_u64(&b[payload::HASH..]),
            codec: b[payload::CODEC],
        }
    }

    pub fn encode(&self, b: &mut [u8], position: u32) {
        LE::write_u64(&mut b[payload::OFFSET..], self.offset);
        LE::write_u64(&mut b[payload::STORED_SIZE..], self.stored_size);
        LE::write_u64(&mut b[payload::SIZE..], self.size);
        LE::write_u64(&mut b[payload::HASH..], self.hash);
        b[payload::CODEC] = self.codec;
        b[payload::CODEC + 1..payload::CHECK].fill(0);
        seal(&mut b[..payload::RECORD_SIZE], position);
    }
}

/// Reads slot `i` of a bucket: (tag, record index).
#[inline]
pub fn bucket_slot(b: &[u8], i: usize) -> (u32, u32) {
    let at = i * bucket::SLOT_SIZE;
    (LE::read_u32(&b[at..]), LE::read_u32(&b[at + 4..]))
}

/// The number of slots a bucket says it uses.
#[inline]
pub fn bucket_count(b: &[u8]) -> u32 {
    LE::read_u32(&b[bucket::COUNT..])
}

pub fn write_bucket(b: &mut [u8], slots: &[(u32, u32)], position: u32) {
    debug_assert!(slots.len() <= bucket::SLOTS);
    b[..bucket::SIZE].fill(0);
    for (i, &(tag, index)) in slots.iter().enumerate() {
        let at = i * bucket::SLOT_SIZE;
        LE::write_u32(&mut b[at..], tag);
        LE::write_u32(&mut b[at + 4..], index);
    }
    LE::write_u32(&mut b[bucket::COUNT..], slots.len() as u32);
    seal(&mut b[..bucket::SIZE], position);
}

/// Writes the check field (the last four bytes) of a fixed-width structure.
pub fn seal(b: &mut [u8], position: u32) {
    let n = b.len() - 4;
    let check = check32(&b[..n], position);
    LE::write_u32(&mut b[n..], check);
}

/// True when the check field of a fixed-width structure matches its bytes.
#[inline]
pub fn is_sealed(b: &[u8], position: u32) -> bool {
    let n = b.len() - 4;
    LE::read_u32(&b[n..]) == check32(&b[..n], position)
}

/// The bucket a key hash starts probing at, and the tag stored in its slot.
#[inline]
pub fn bucket_and_tag(hash: u64, bucket_count: u32) -> (u32, u32) {
    ((hash as u32) & (bucket_count - 1), (hash >> 32) as u32)
}

/// Number of buckets for `n` keys: a power of two with the table at most about
/// 70% full, so that nearly every lookup reads one bucket.
pub fn bucket_count_for(n: usize) -> u32 {
    let wanted = n.div_ceil(5).max(1);
    wanted.next_power_of_two() as u32
}

pub fn align_up(x: u64, to: u64) -> u64 {
    x.div_ceil(to) * to
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_round_trips() {
        let mut raw = RawHeader {
            major: MAJOR,
            minor: MINOR,
            header_size: HEADER_SIZE as u32,
            file_size: 4096,
            body_hash: 7,
            bytecode_magic: *b"abcd",
            payload_count: 3,
            dictionary: NONE,
            payloads_offset: 640,
            strings_offset: 768,
            strings_size: 12,
            modules: TreeDescriptor {
                records_offset: 320,
                count: 2,
                root_count: 1,
                buckets_offset: 256,
                bucket_count: 1,
            },
            files: TreeDescriptor {
                records_offset: 448,
                count: 4,
                root_count: 2,
                buckets_offset: 384,
                bucket_count: 1,
            },
            ..Default::default()
        };
        raw.target[..3].copy_from_slice(b"any");
        raw.writer = [0, 2, 3];
        raw.entry_kind = 1;
        raw.entry = StringRef { offset: 9, len: 3 };
        raw.rest = StringRef { offset: 2, len: 7 };
        raw.strings_check = 99;
        raw.rest_hash = 12345;
        let bytes = raw.encode();
        assert_eq!(bytes[..8], MAGIC);
        let back = RawHeader::decode(&bytes);
        assert_eq!(back.header_hash, header_hash(&bytes));
        raw.header_hash = back.header_hash;
        assert_eq!(back, raw);
    }

    #[test]
    fn records_end_with_their_check() {
        assert_eq!(module::CHECK + 4, module::SIZE);
        assert_eq!(file::CHECK + 4, file::SIZE);
        assert_eq!(payload::CHECK + 4, payload::RECORD_SIZE);
        assert_eq!(bucket::CHECK + 4, bucket::SIZE);
        assert_eq!(header::HEADER_HASH + 8, HEADER_SIZE);
        assert_eq!(header::REST_HASH + 8, header::RESERVED);
        assert_eq!(bucket::SLOTS * bucket::SLOT_SIZE, bucket::COUNT);
    }
}

/// A bale's parts file (format-spec §15): what a reader holding an earlier bale
/// fetches, entry by entry, to rebuild a newer one.
pub mod parts {
    /// `\x89BALP\r\n\n`: the bale signature with P (parts) for E, so neither file is
    /// taken for the other.
    pub const MAGIC: [u8; 8] = *b"\x89BALP\r\n\n";
    pub const VERSION: u16 = 1;
    pub const HEADER_SIZE: usize = 64;
    /// Header fields, by offset.
    pub const H_VERSION: usize = 8;
    pub const H_PAYLOAD_COUNT: usize = 12;
    pub const H_BALE_SIZE: usize = 16;
    pub const H_BALE_HASH: usize = 24;
    pub const H_INDEX_END: usize = 32;
    pub const H_HEAD_SIZE: usize = 40;
    pub const H_HEAD_HASH: usize = 48;
    pub const H_HASH: usize = 56;
    /// A part table entry: where the part is, its size, its form.
    pub const E_OFFSET: usize = 0;
    pub const E_SIZE: usize = 8;
    pub const E_FORM: usize = 12;
    pub const ENTRY_SIZE: usize = 16;
    /// Part forms: the payload's stored bytes as they are, or a zlib stream of them.
    pub const STORED: u8 = 0;
    pub const DEFLATED: u8 = 1;
}
