//! A bale's parts file (format-spec §15): the bale's index, then each of its payloads
//! compressed on its own, so that a reader holding an earlier bale (a browser's stored
//! copy) rebuilds a newer one by fetching, with HTTP Range requests, only the payloads
//! it does not have.
//!
//! A framed bale is the smallest first download but can only be fetched whole; the
//! parts file is what a later visit reads instead. The rebuilt bale is byte for byte
//! the bale the parts file was written from: its index is copied, each payload is
//! placed at its offset, and what lies between is zero, as the writer pads.
//!
//! Parts are deflated (zlib, RFC 1950) rather than zstd-compressed: a browser inflates
//! them natively (`DecompressionStream("deflate")`), so the loader rebuilds the bale
//! while Pyodide starts, before any WebAssembly of its own is ready.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::ops::Range;

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Corruption, Error};
use crate::layout::parts as p;
use crate::reader::Bale;

/// The parts file's 64-byte header, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The number of payload records of the bale (and entries of the part table).
    pub payload_count: u32,
    /// The bale's `file_size`.
    pub bale_size: u64,
    /// The bale's `header_hash`: which bale this rebuilds.
    pub bale_hash: u64,
    /// Where the bale's index ends (format-spec §4.3): bytes `0 .. index_end` are in the head.
    pub index_end: u64,
    /// The size of the head (the index and the part table, deflated together).
    pub head_size: u32,
    /// `XXH3_64` of the head as stored.
    pub head_hash: u64,
}

impl Header {
    /// Checks and reads the first 64 bytes of a parts file (more may follow).
    pub fn parse(data: &[u8]) -> Result<Header, Error> {
        if data.len() < p::MAGIC.len() || data[..p::MAGIC.len()] != p::MAGIC {
            return Err(corrupt("not a parts file (bad signature)"));
        }
        if data.len() < p::HEADER_SIZE {
            return Err(Error::Truncated { expected: p::HEADER_SIZE as u64, found: data.len() as u64 });
        }
        let version = u16_at(data, p::H_VERSION);
        if version != p::VERSION {
            return Err(corrupt(format!("version {version} is not supported (this reader reads {})", p::VERSION)));
        }
        if xxh3_64(&data[..p::H_HASH]) != u64_at(data, p::H_HASH) {
            return Err(corrupt("header checksum mismatch"));
        }
        Ok(Header {
            payload_count: u32_at(data, p::H_PAYLOAD_COUNT),
            bale_size: u64_at(data, p::H_BALE_SIZE),
            bale_hash: u64_at(data, p::H_BALE_HASH),
            index_end: u64_at(data, p::H_INDEX_END),
            head_size: u32_at(data, p::H_HEAD_SIZE),
            head_hash: u64_at(data, p::H_HEAD_HASH),
        })
    }

    /// Where the head lies in the parts file.
    pub fn head(&self) -> Range<u64> {
        p::HEADER_SIZE as u64..p::HEADER_SIZE as u64 + u64::from(self.head_size)
    }

    /// Where the parts start: part offsets count from here.
    pub fn parts_start(&self) -> u64 {
        self.head().end
    }

    fn encode(&self) -> [u8; p::HEADER_SIZE] {
        let mut out = [0u8; p::HEADER_SIZE];
        out[..p::MAGIC.len()].copy_from_slice(&p::MAGIC);
        out[p::H_VERSION..p::H_VERSION + 2].copy_from_slice(&p::VERSION.to_le_bytes());
        out[p::H_PAYLOAD_COUNT..p::H_PAYLOAD_COUNT + 4].copy_from_slice(&self.payload_count.to_le_bytes());
        out[p::H_BALE_SIZE..p::H_BALE_SIZE + 8].copy_from_slice(&self.bale_size.to_le_bytes());
        out[p::H_BALE_HASH..p::H_BALE_HASH + 8].copy_from_slice(&self.bale_hash.to_le_bytes());
        out[p::H_INDEX_END..p::H_INDEX_END + 8].copy_from_slice(&self.index_end.to_le_bytes());
        out[p::H_HEAD_SIZE..p::H_HEAD_SIZE + 4].copy_from_slice(&self.head_size.to_le_bytes());
        out[p::H_HEAD_HASH..p::H_HEAD_HASH + 8].copy_from_slice(&self.head_hash.to_le_bytes());
        let hash = xxh3_64(&out[..p::H_HASH]);
        out[p::H_HASH..].copy_from_slice(&hash.to_le_bytes());
        out
    }
}

/// Where one payload's part lies, from [`Header::parts_start`], and its form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    pub offset: u64,
    pub size: u32,
    /// A zlib stream of the payload's stored bytes, rather than those bytes.
    pub deflated: bool,
}

/// The head, inflated and checked: the bale's index and its part table.
pub struct Head {
    /// Bytes `0 .. index_end` of the bale.
    pub index: Vec<u8>,
    /// One part per payload record, in record order.
    pub parts: Vec<Part>,
}

/// Writes the parts file of `bale` (a whole bale, not framed). Refuses a bale it could
/// not rebuild byte for byte: one with a payload inside its index, or bytes other
/// than zeros outside its index and payloads.
pub fn write(bale: &[u8]) -> Result<Vec<u8>, Error> {
    let opened = Bale::open(bale)?;
    let header = opened.header();
    let index_end = header.index_end();
    let bale = opened.bytes();
    // One part per distinct stored range: payload records that share bytes share a part.
    let mut ranges: BTreeMap<(u64, u64), Option<Part>> = BTreeMap::new();
    let mut of_record = Vec::with_capacity(header.payload_count as usize);
    for id in 0..header.payload_count {
        let payload = opened.payload(crate::PayloadId(id))?;
        opened.stored(&payload)?;
        if payload.stored_size > 0 && payload.offset < index_end {
            return Err(corrupt(format!(
                "payload {id} lies inside the bale's index, which the parts file copies whole"
            )));
        }
        ranges.insert((payload.offset, payload.stored_size), None);
        of_record.push((payload.offset, payload.stored_size));
    }
    let mut covered = index_end;
    let mut parts = Vec::new();
    for (&(offset, size), part) in ranges.iter_mut() {
        if size > 0 && offset > covered && bale[covered as usize..offset as usize].iter().any(|&b| b != 0) {
            return Err(corrupt(format!(
                "bytes {covered}..{offset} of the bale are not zero: they could not be rebuilt"
            )));
        }
        if size > 0 {
            covered = covered.max(offset + size);
        }
        let stored = &bale[offset as usize..(offset + size) as usize];
        let deflated = deflate(stored)?;
        let (bytes, is_deflated) = match deflated.len() < stored.len() {
            true => (deflated, true),
            false => (stored.to_vec(), false),
        };
        let size = u32::try_from(bytes.len()).map_err(|_| corrupt("a payload larger than 4 GiB"))?;
        *part = Some(Part { offset: parts.len() as u64, size, deflated: is_deflated });
        parts.extend_from_slice(&bytes);
    }
    if bale[covered as usize..].iter().any(|&b| b != 0) {
        return Err(corrupt("bytes after the last payload are not zero: they could not be rebuilt"));
    }
    let mut table = Vec::with_capacity(of_record.len() * p::ENTRY_SIZE);
    for key in &of_record {
        let part = ranges[key].ok_or_else(|| corrupt("a payload without its part"))?;
        let mut entry = [0u8; p::ENTRY_SIZE];
        entry[p::E_OFFSET..p::E_OFFSET + 8].copy_from_slice(&part.offset.to_le_bytes());
        entry[p::E_SIZE..p::E_SIZE + 4].copy_from_slice(&part.size.to_le_bytes());
        entry[p::E_FORM] = if part.deflated { p::DEFLATED } else { p::STORED };
        table.extend_from_slice(&entry);
    }
    let head = deflate(&[&bale[..index_end as usize], &table].concat())?;
    let head_size = u32::try_from(head.len()).map_err(|_| corrupt("an index larger than 4 GiB"))?;
    let top = Header {
        payload_count: header.payload_count,
        bale_size: header.file_size,
        bale_hash: header.header_hash,
        index_end,
        head_size,
        head_hash: xxh3_64(&head),
    };
    Ok([&top.encode()[..], &head, &parts].concat())
}

/// Checks and inflates the head (bytes [`Header::head`] of the parts file), and checks
/// that the index it holds is the bale the header names.
pub fn read_head(header: &Header, head: &[u8]) -> Result<Head, Error> {
    if head.len() != header.head_size as usize {
        return Err(Error::Truncated { expected: u64::from(header.head_size), found: head.len() as u64 });
    }
    if xxh3_64(head) != header.head_hash {
        return Err(corrupt("head checksum mismatch"));
    }
    let table_size = u64::from(header.payload_count) * p::ENTRY_SIZE as u64;
    let expected = header.index_end.checked_add(table_size).ok_or_else(|| corrupt("sizes overflow"))?;
    let len = usize::try_from(expected).map_err(|_| Error::TooLarge { size: expected })?;
    let mut inflated = Vec::new();
    inflated.try_reserve_exact(len).map_err(|_| Error::TooLarge { size: expected })?;
    // One byte more than expected is read, so a head that inflates to more is seen.
    ZlibDecoder::new(head).take(expected + 1).read_to_end(&mut inflated).map_err(|e| corrupt(format!("head: {e}")))?;
    if inflated.len() != len {
        return Err(corrupt(format!("the head inflates to {} bytes, not {expected}", inflated.len())));
    }
    let table = inflated.split_off(header.index_end as usize);
    let index = Bale::open_index(&inflated[..])?;
    let h = index.header();
    if h.header_hash != header.bale_hash || h.file_size != header.bale_size || h.index_end() != header.index_end {
        return Err(corrupt("the index in the head is not the bale the header names"));
    }
    if h.payload_count != header.payload_count {
        return Err(corrupt("the part table and the bale's payloads differ in number"));
    }
    let parts = table
        .chunks_exact(p::ENTRY_SIZE)
        .enumerate()
        .map(|(i, e)| {
            let deflated = match e[p::E_FORM] {
                p::STORED => false,
                p::DEFLATED => true,
                form => return Err(corrupt(format!("part {i}: unknown form {form}"))),
            };
            if e[p::E_FORM + 1..].iter().any(|&b| b != 0) {
                return Err(corrupt(format!("part {i}: reserved bytes are not zero")));
            }
            Ok(Part { offset: u64_at(e, p::E_OFFSET), size: u32_at(e, p::E_SIZE), deflated })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Head { index: inflated, parts })
}

/// A bale rebuilt from its parts file and an earlier bale.
pub struct Rebuilt {
    pub bale: Vec<u8>,
    /// The ranges of the parts file read for payloads the earlier bale did not have
    /// (what a reader over HTTP fetches, before merging adjacent ranges).
    pub fetched: Vec<Range<u64>>,
}

/// Rebuilds the bale of `parts` (a whole parts file), taking every payload `have` (an
/// earlier bale) holds from it: the reference of what a reader over the network does.
/// Every payload is checked against its hash before it is placed.
pub fn rebuild(parts: &[u8], have: Option<&[u8]>) -> Result<Rebuilt, Error> {
    let header = Header::parse(parts)?;
    let head_range = header.head();
    let head = read_head(&header, slice(parts, head_range)?)?;
    let index = Bale::open_index(&head.index[..])?;
    // Each payload the earlier bale has, by hash and size: where its bytes are.
    let mut stored: HashMap<(u64, u64), &[u8]> = HashMap::new();
    if let Some(have) = have {
        let opened = Bale::open(have)?;
        for id in 0..opened.payload_count() {
            let payload = opened.payload(crate::PayloadId(id))?;
            // Damage in the earlier bale is not carried over: its payload is fetched.
            if opened.stored(&payload).is_ok() {
                let at = payload.offset as usize..(payload.offset + payload.stored_size) as usize;
                stored.insert((payload.hash, payload.stored_size), &have[at]);
            }
        }
    }
    let len = usize::try_from(header.bale_size).map_err(|_| Error::TooLarge { size: header.bale_size })?;
    let mut bale = Vec::new();
    bale.try_reserve_exact(len).map_err(|_| Error::TooLarge { size: header.bale_size })?;
    bale.resize(len, 0);
    bale[..head.index.len()].copy_from_slice(&head.index);
    let mut fetched = Vec::new();
    for (id, part) in head.parts.iter().enumerate() {
        let payload = index.payload(crate::PayloadId(id as u32))?;
        let at = payload.offset as usize..(payload.offset + payload.stored_size) as usize;
        if at.end > len || (payload.stored_size > 0 && payload.offset < header.index_end) {
            return Err(corrupt(format!("payload {id} lies outside the bale's payloads")));
        }
        if let Some(bytes) = stored.get(&(payload.hash, payload.stored_size)) {
            bale[at].copy_from_slice(bytes);
            continue;
        }
        let start = header.parts_start() + part.offset;
        let range = start..start + u64::from(part.size);
        let bytes = slice(parts, range.clone())?;
        fetched.push(range);
        let bytes = match part.deflated {
            true => inflate(bytes, payload.stored_size).map_err(|e| e.in_entry(format!("payload {id}")))?,
            false => bytes.to_vec(),
        };
        if bytes.len() as u64 != payload.stored_size || xxh3_64(&bytes) != payload.hash {
            return Err(Corruption::PayloadChecksum { index: id as u32 }.into());
        }
        bale[at].copy_from_slice(&bytes);
    }
    fetched.sort_by_key(|r| r.start);
    fetched.dedup();
    Ok(Rebuilt { bale, fetched })
}

fn deflate(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// Inflates a part to exactly `size` bytes, or fails.
fn inflate(bytes: &[u8], size: u64) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    ZlibDecoder::new(bytes).take(size + 1).read_to_end(&mut out).map_err(|e| corrupt(format!("part: {e}")))?;
    Ok(out)
}

fn slice(data: &[u8], range: Range<u64>) -> Result<&[u8], Error> {
    match (usize::try_from(range.start), usize::try_from(range.end)) {
        (Ok(start), Ok(end)) if end <= data.len() => Ok(&data[start..end]),
        _ => Err(Error::Truncated { expected: range.end, found: data.len() as u64 }),
    }
}

fn corrupt(why: impl Into<String>) -> Error {
    Corruption::Parts(why.into()).into()
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a failure is a panic")]

    use super::*;
    use crate::{FileKind, ModuleSpec, WriteOptions, Writer};

    /// A bale of an app module and a library of `n` modules, the library's text
    /// depending on `version`.
    fn bale(app: &str, version: u32, options: &WriteOptions) -> Vec<u8> {
        let mut w = Writer::new("any").unwrap();
        w.add_file("app.py", FileKind::Source, app.as_bytes().to_vec(), false).unwrap();
        w.add_module("app", ModuleSpec { source: Some("app.py".into()), ..Default::default() }).unwrap();
        for i in 0..20 {
            let text = format!(
                "# lib module {i}, version {}\n{}",
                if i == 3 { version } else { 1 },
                "x = 1\n".repeat(200 + i)
            );
            w.add_file(&format!("lib/m{i}.py"), FileKind::Source, text.into_bytes(), false).unwrap();
            w.add_module(
                &format!("lib.m{i}"),
                ModuleSpec { source: Some(format!("lib/m{i}.py")), ..Default::default() },
            )
            .unwrap();
        }
        w.add_file("lib/__init__.py", FileKind::Source, Vec::new(), false).unwrap();
        w.add_module("lib", ModuleSpec { package: true, source: Some("lib/__init__.py".into()), ..Default::default() })
            .unwrap();
        let mut out = std::io::Cursor::new(Vec::new());
        w.write(&mut out, options).unwrap();
        out.into_inner()
    }

    fn each_compression() -> Vec<WriteOptions> {
        vec![WriteOptions { compression: crate::Compression::None, ..Default::default() }, WriteOptions::default()]
    }

    #[test]
    fn rebuilds_the_bale_byte_for_byte_from_nothing() {
        for options in each_compression() {
            let new = bale("print('hi')\n", 1, &options);
            let parts = write(&new).unwrap();
            let rebuilt = rebuild(&parts, None).unwrap();
            assert_eq!(rebuilt.bale, new);
            assert!(Bale::open(&rebuilt.bale[..]).unwrap().verify().is_empty());
        }
    }

    #[test]
    fn an_app_only_change_fetches_the_app_alone() {
        for options in each_compression() {
            let old = bale("print('hi')\n", 1, &options);
            let new = bale("print('hello')\n", 1, &options);
            let parts = write(&new).unwrap();
            let rebuilt = rebuild(&parts, Some(&old)).unwrap();
            assert_eq!(rebuilt.bale, new);
            assert_eq!(rebuilt.fetched.len(), 1, "{:?}", rebuilt.fetched);
            // The same bale again: nothing to fetch.
            assert!(rebuild(&parts, Some(&new)).unwrap().fetched.is_empty());
            // A library change: that module alone.
            let bumped = bale("print('hello')\n", 2, &options);
            let rebuilt = rebuild(&write(&bumped).unwrap(), Some(&new)).unwrap();
            assert_eq!(rebuilt.bale, bumped);
            assert_eq!(rebuilt.fetched.len(), 1, "{:?}", rebuilt.fetched);
        }
    }

    #[test]
    fn a_damaged_earlier_bale_is_not_carried_over() {
        let options = WriteOptions { compression: crate::Compression::None, ..Default::default() };
        let mut old = bale("print('hi')\n", 1, &options);
        let new = bale("print('hello')\n", 1, &options);
        // Damage one library module's bytes in the earlier bale: it is fetched again.
        let opened = Bale::open(&old[..]).unwrap();
        let file = opened.file("lib/m5.py").unwrap().unwrap();
        let payload = opened.payload(file.payload.unwrap()).unwrap();
        drop(opened);
        old[payload.offset as usize + 3] ^= 0xff;
        let rebuilt = rebuild(&write(&new).unwrap(), Some(&old)).unwrap();
        assert_eq!(rebuilt.bale, new);
        assert_eq!(rebuilt.fetched.len(), 2, "{:?}", rebuilt.fetched);
    }

    #[test]
    fn damage_to_the_parts_file_is_an_error_never_a_wrong_bale() {
        let new = bale("print('hello')\n", 1, &WriteOptions::default());
        let parts = write(&new).unwrap();
        let head = Header::parse(&parts).unwrap().head();
        // Every byte of the header, a byte of the head, a byte of each part.
        let mut positions: Vec<usize> = (0..p::HEADER_SIZE).collect();
        positions.push(head.start as usize + 5);
        positions.extend((head.end as usize..parts.len()).step_by(97));
        for at in positions {
            let mut damaged = parts.clone();
            damaged[at] ^= 0x40;
            match rebuild(&damaged, None) {
                Err(e) => assert!(e.is_corruption() || matches!(e, Error::Truncated { .. }), "byte {at}: {e}"),
                Ok(r) => assert_eq!(r.bale, new, "byte {at}: a damaged parts file rebuilt another bale"),
            }
        }
        for len in [0, 7, 63, head.end as usize - 1, parts.len() - 1] {
            assert!(rebuild(&parts[..len], None).is_err(), "{len} bytes");
        }
    }

    #[test]
    fn the_header_says_what_it_rebuilds() {
        let new = bale("print('hello')\n", 1, &WriteOptions::default());
        let parts = write(&new).unwrap();
        let header = Header::parse(&parts).unwrap();
        let opened = Bale::open(&new[..]).unwrap();
        assert_eq!(header.bale_hash, opened.header().header_hash);
        assert_eq!(header.bale_size, new.len() as u64);
        assert_eq!(header.index_end, opened.header().index_end());
        assert!(Header::parse(&new).unwrap_err().to_string().contains("not a parts file"));
    }
}
