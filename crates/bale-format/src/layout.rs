//! Byte layout of a bale, version 1.0: every constant and field offset of
//! `format-spec/README.md`, and the functions that encode and decode the fixed-width
//! structures. Everything is little-endian.
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
/// The minor version this crate writes. A reader accepts any minor of its major.
pub const MINOR: u16 = 0;

/// Size of the version 1.0 header. Later minors may grow it; readers use the
/// `header_size` field, never this constant, to find the header checksum.
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
    //! Offsets of the header fields.
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
    /// Bytes 184..248 are reserved: zero when written, ignored when read.
    pub const RESERVED: usize = 184;
    /// The header checksum sits in the last eight bytes of the header.
    pub const HASH_FROM_END: usize = 8;
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
    pub const SIZE: usize = 32;

    pub fn decode(b: &[u8]) -> Self {
        TreeDescriptor {
            records_offset: LE::read_u64(&b[0..]),
            count: LE::read_u32(&b[8..]),
            root_count: LE::read_u32(&b[12..]),
            buckets_offset: LE::read_u64(&b[16..]),
            bucket_count: LE::read_u32(&b[24..]),
        }
    }

    pub fn encode(&self, b: &mut [u8]) {
        LE::write_u64(&mut b[0..], self.records_offset);
        LE::write_u32(&mut b[8..], self.count);
        LE::write_u32(&mut b[12..], self.root_count);
        LE::write_u64(&mut b[16..], self.buckets_offset);
        LE::write_u32(&mut b[24..], self.bucket_count);
        LE::write_u32(&mut b[28..], 0);
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
            hash: LE::read_u64(&b[0..]),
            key_offset: LE::read_u32(&b[8..]),
            key_len: LE::read_u16(&b[12..]),
            parent: LE::read_u32(&b[16..]),
            first_child: LE::read_u32(&b[20..]),
            child_count: LE::read_u32(&b[24..]),
        }
    }

    fn encode(&self, b: &mut [u8]) {
        LE::write_u64(&mut b[0..], self.hash);
        LE::write_u32(&mut b[8..], self.key_offset);
        LE::write_u16(&mut b[12..], self.key_len);
        LE::write_u32(&mut b[16..], self.parent);
        LE::write_u32(&mut b[20..], self.first_child);
        LE::write_u32(&mut b[24..], self.child_count);
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

pub const MODULE_PACKAGE: u8 = 1 << 0;
pub const MODULE_NAMESPACE: u8 = 1 << 1;

impl ModuleRecord {
    pub const SIZE: usize = 48;

    pub fn decode(b: &[u8]) -> Self {
        ModuleRecord {
            key: KeyFields::decode(b),
            flags: b[14],
            source: LE::read_u32(&b[28..]),
            bytecode: LE::read_u32(&b[32..]),
            extension: LE::read_u32(&b[36..]),
            directory: LE::read_u32(&b[40..]),
        }
    }

    pub fn encode(&self, b: &mut [u8], position: u32) {
        self.key.encode(b);
        b[14] = self.flags;
        b[15] = 0;
        LE::write_u32(&mut b[28..], self.source);
        LE::write_u32(&mut b[32..], self.bytecode);
        LE::write_u32(&mut b[36..], self.extension);
        LE::write_u32(&mut b[40..], self.directory);
        seal(b, position);
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

pub const FILE_EXECUTABLE: u8 = 1 << 0;

impl FileRecord {
    pub const SIZE: usize = 40;

    pub fn decode(b: &[u8]) -> Self {
        FileRecord {
            key: KeyFields::decode(b),
            kind: b[14],
            flags: b[15],
            payload: LE::read_u32(&b[28..]),
            module: LE::read_u32(&b[32..]),
        }
    }

    pub fn encode(&self, b: &mut [u8], position: u32) {
        self.key.encode(b);
        b[14] = self.kind;
        b[15] = self.flags;
        LE::write_u32(&mut b[28..], self.payload);
        LE::write_u32(&mut b[32..], self.module);
        seal(b, position);
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
    pub const SIZE: usize = 40;

    pub fn decode(b: &[u8]) -> Self {
        PayloadRecord {
            offset: LE::read_u64(&b[0..]),
            stored_size: LE::read_u64(&b[8..]),
            size: LE::read_u64(&b[16..]),
            hash: LE::read_u64(&b[24..]),
            codec: b[32],
        }
    }

    pub fn encode(&self, b: &mut [u8], position: u32) {
        LE::write_u64(&mut b[0..], self.offset);
        LE::write_u64(&mut b[8..], self.stored_size);
        LE::write_u64(&mut b[16..], self.size);
        LE::write_u64(&mut b[24..], self.hash);
        b[32] = self.codec;
        b[33..36].fill(0);
        seal(b, position);
    }
}

/// Hash buckets: 64 bytes, seven slots of (tag, record index), a count and a check.
pub const BUCKET_SIZE: usize = 64;
pub const BUCKET_SLOTS: usize = 7;
pub const BUCKET_COUNT_AT: usize = 56;

/// Reads slot `i` of a bucket: (tag, record index).
#[inline]
pub fn bucket_slot(bucket: &[u8], i: usize) -> (u32, u32) {
    (LE::read_u32(&bucket[i * 8..]), LE::read_u32(&bucket[i * 8 + 4..]))
}

pub fn write_bucket(b: &mut [u8], slots: &[(u32, u32)], position: u32) {
    debug_assert!(slots.len() <= BUCKET_SLOTS);
    b[..BUCKET_SIZE].fill(0);
    for (i, &(tag, index)) in slots.iter().enumerate() {
        LE::write_u32(&mut b[i * 8..], tag);
        LE::write_u32(&mut b[i * 8 + 4..], index);
    }
    LE::write_u32(&mut b[BUCKET_COUNT_AT..], slots.len() as u32);
    seal(&mut b[..BUCKET_SIZE], position);
}

/// Writes the check field (the last four bytes) of a fixed-width structure.
fn seal(b: &mut [u8], position: u32) {
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
