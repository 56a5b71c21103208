//! Bad input: truncated, foreign, newer, damaged and hostile bales. None of them may
//! panic, and each must be told apart from a good bale.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

use std::io::Cursor;
use std::ops::Range;

use bale_format::layout::{self, header as h};
use bale_format::{
    Bale, Codec, Compression, Corruption, EntryPoint, Error, FileKind, ModuleSpec, PayloadId, WriteOptions, Writer,
};
use byteorder::{ByteOrder, LittleEndian as LE};
use xxhash_rust::xxh3::xxh3_64;

const MAGIC: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

/// A small bale with one of everything: packages, source, bytecode compressed with a
/// trained dictionary, a resource, metadata, an extension module, a data file.
fn sample(options: &WriteOptions) -> Vec<u8> {
    let mut w = Writer::new("cpython-3.11-x86_64-linux-gnu").unwrap();
    w.set_bytecode_magic(MAGIC);
    w.add_file("pkg/__init__.py", FileKind::Source, b"from . import m0\n".to_vec(), false).unwrap();
    w.add_module("pkg", ModuleSpec { package: true, source: Some("pkg/__init__.py".into()), ..Default::default() })
        .unwrap();
    for i in 0..10 {
        let mut pyc = MAGIC.to_vec();
        pyc.extend_from_slice(&[0; 12]);
        pyc.extend_from_slice(
            format!("code object {i}: LOAD_CONST LOAD_NAME CALL_FUNCTION RETURN_VALUE ").repeat(4).as_bytes(),
        );
        let source = format!("pkg/m{i}.py");
        w.add_file(&source, FileKind::Source, format!("x = {i}\n").into_bytes(), false).unwrap();
        w.add_module(
            &format!("pkg.m{i}"),
            ModuleSpec { source: Some(source), bytecode: Some(pyc), ..Default::default() },
        )
        .unwrap();
    }
    w.add_file("pkg/data/table.txt", FileKind::Resource, b"resource ".repeat(20), false).unwrap();
    w.add_file("pkg/fast.cpython-311-x86_64-linux-gnu.so", FileKind::Extension, b"\x7fELF not really".to_vec(), true)
        .unwrap();
    w.add_module(
        "pkg.fast",
        ModuleSpec { extension: Some("pkg/fast.cpython-311-x86_64-linux-gnu.so".into()), ..Default::default() },
    )
    .unwrap();
    w.add_file("pkg-1.0.dist-info/METADATA", FileKind::Metadata, b"Name: pkg\nVersion: 1.0\n".to_vec(), false).unwrap();
    w.add_file("notes.txt", FileKind::Data, b"plain".to_vec(), false).unwrap();
    w.set_writer_version("0.2.0").unwrap();
    w.set_entry_point(EntryPoint::parse_module("pkg.cli:main").unwrap());
    w.set_rest("sample.rest.bale", 0x1234_5678_9abc_def0).unwrap();
    let mut out = Cursor::new(Vec::new());
    w.write(&mut out, options).unwrap();
    out.into_inner()
}

fn compressed() -> WriteOptions {
    WriteOptions {
        compression: Compression::Zstd { level: 3 },
        dictionary_size: Some(512),
        native_alignment: 64,
        threads: 1,
    }
}

/// Reads everything a reader can reach, the way an importer and `extract` would.
fn read_everything(bytes: &[u8]) -> Result<(), Error> {
    let bale = Bale::open(bytes)?;
    bale.entry_point()?;
    bale.rest()?;
    for m in bale.modules() {
        let m = m?;
        bale.module(m.name)?.ok_or(Error::Write("lost".into()))?;
        for child in bale.module_children(&m) {
            child?;
        }
        if let Some(p) = m.bytecode {
            bale.read(&bale.payload(p)?)?;
        }
    }
    for f in bale.files() {
        let f = f?;
        bale.file(f.path)?.ok_or(Error::Write("lost".into()))?;
        bale.read_file(&f)?;
        for child in bale.file_children(&f) {
            child?;
        }
    }
    for r in bale.root_modules() {
        r?;
    }
    for r in bale.root_files() {
        r?;
    }
    // Absent names, enough to probe every bucket of both tables.
    for i in 0..200 {
        bale.module(&format!("absent{i}"))?;
        bale.file(&format!("absent/{i}"))?;
    }
    Ok(())
}

/// Byte ranges that some checksum covers during ordinary reads; the rest is padding.
fn checked_ranges(bytes: &[u8]) -> Vec<Range<usize>> {
    let bale = Bale::open(bytes).unwrap();
    let hd = bale.header();
    let mut ranges = Vec::new();
    ranges.push(0..layout::HEADER_SIZE);
    for (t, size) in [(&hd.modules, 48), (&hd.files, 40)] {
        ranges.push(t.records_offset as usize..(t.records_offset as usize + t.count as usize * size));
        ranges.push(t.buckets_offset as usize..(t.buckets_offset as usize + t.bucket_count as usize * 64));
    }
    ranges.push(hd.payloads_offset as usize..hd.payloads_offset as usize + hd.payload_count as usize * 40);
    ranges.push(hd.strings_offset as usize..(hd.strings_offset + hd.strings_size) as usize);
    for i in 0..hd.payload_count {
        let p = bale.payload(PayloadId(i)).unwrap();
        ranges.push(p.offset as usize..(p.offset + p.stored_size) as usize);
    }
    ranges
}

#[test]
fn the_sample_is_sound() {
    for options in [WriteOptions::default(), compressed()] {
        let bytes = sample(&options);
        assert!(Bale::open(bytes.as_slice()).unwrap().verify().is_empty());
        read_everything(&bytes).unwrap();
    }
    let bale_bytes = sample(&compressed());
    let bale = Bale::open(bale_bytes.as_slice()).unwrap();
    assert!(bale.header().dictionary.is_some(), "the sample trains a dictionary");
    let m = bale.module("pkg.m3").unwrap().unwrap();
    assert_eq!(bale.payload(m.bytecode.unwrap()).unwrap().codec, Codec::ZstdDictionary);
}

#[test]
fn every_flipped_byte_is_reported_by_verify() {
    for options in [WriteOptions::default(), compressed()] {
        let good = sample(&options);
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0xff;
            let reported = match Bale::open(bad.as_slice()) {
                Err(_) => true,
                Ok(bale) => !bale.verify().is_empty(),
            };
            assert!(reported, "a flip at byte {i} of {} went unnoticed", good.len());
        }
    }
}

/// Stronger than verify: ordinary reads, which skip the whole-body checksum, notice a
/// flip anywhere except in the padding between structures.
#[test]
fn every_flipped_byte_that_a_read_uses_is_caught_by_that_read() {
    let stored = WriteOptions { native_alignment: 64, ..Default::default() };
    for options in [stored, compressed()] {
        let good = sample(&options);
        let checked = checked_ranges(&good);
        let mut padding = 0;
        for i in 0..good.len() {
            if !checked.iter().any(|r| r.contains(&i)) {
                padding += 1;
                continue;
            }
            let mut bad = good.clone();
            bad[i] ^= 0xff;
            assert!(read_everything(&bad).is_err(), "a flip at byte {i} passed an ordinary read");
        }
        assert!(padding < good.len() / 2, "{padding} bytes of padding");
    }
}

#[test]
fn truncated_bales_are_refused_as_truncated() {
    let good = sample(&WriteOptions::default());
    for len in 0..good.len() {
        match Bale::open(&good[..len]) {
            Err(Error::Truncated { expected, found }) => {
                assert_eq!(found, len as u64);
                assert!(expected > found);
            }
            other => panic!("{len} bytes: {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn foreign_data_is_not_a_bale() {
    for data in [&b"PK\x03\x04 a zip file"[..], b"\x7fELF", b"\x89PNG\r\n\x1a\n....", b"hello world, this is text"] {
        assert!(matches!(Bale::open(data), Err(Error::NotABale)));
    }
}

/// Rewrites the header checksum after the test changed a header field.
fn reseal_header(bytes: &mut [u8]) {
    let at = layout::HEADER_SIZE - 8;
    let hash = xxh3_64(&bytes[..at]);
    LE::write_u64(&mut bytes[at..], hash);
}

/// Rewrites the body checksum, then the header checksum.
fn reseal_body(bytes: &mut [u8]) {
    let hash = xxh3_64(&bytes[layout::HEADER_SIZE..]);
    LE::write_u64(&mut bytes[h::BODY_HASH..], hash);
    reseal_header(bytes);
}

fn reseal_record(bytes: &mut [u8], offset: usize, size: usize, position: u32) {
    let check = layout::check32(&bytes[offset..offset + size - 4], position);
    LE::write_u32(&mut bytes[offset + size - 4..], check);
    reseal_body(bytes);
}

#[test]
fn another_major_version_is_refused_and_a_newer_minor_is_read() {
    let mut bytes = sample(&WriteOptions::default());
    LE::write_u16(&mut bytes[h::MAJOR..], 2);
    reseal_header(&mut bytes);
    match Bale::open(bytes.as_slice()) {
        Err(e @ Error::UnsupportedVersion { major: 2, minor: 1 }) => {
            assert!(e.to_string().contains("version 2.1 is not supported"), "{e}");
        }
        other => panic!("{:?}", other.map(|_| ())),
    }

    let mut bytes = sample(&WriteOptions::default());
    LE::write_u16(&mut bytes[h::MINOR..], 9);
    reseal_header(&mut bytes);
    let bale = Bale::open(bytes.as_slice()).unwrap();
    assert_eq!(bale.header().minor, 9);
    assert!(bale.verify().is_empty());
}

/// The byte offset of the payload record of `path`'s payload.
fn payload_record_of(bytes: &[u8], bytecode_of: &str) -> (usize, u32) {
    let bale = Bale::open(bytes).unwrap();
    let id = bale.module(bytecode_of).unwrap().unwrap().bytecode.unwrap();
    (bale.header().payloads_offset as usize + id.0 as usize * 40, id.0)
}

#[test]
fn a_zstd_frame_that_declares_more_than_the_recorded_size_is_refused() {
    let good = sample(&compressed());
    let (at, index) = payload_record_of(&good, "pkg.m4");
    let size = LE::read_u64(&good[at + 16..]);
    for (recorded, expect) in
        [(size - 1, "declares"), (size + 1, "declares"), (1 << 40, "declares"), (u64::MAX, "declares")]
    {
        let mut bad = good.clone();
        LE::write_u64(&mut bad[at + 16..], recorded);
        reseal_record(&mut bad, at, 40, index);
        let bale = Bale::open(bad.as_slice()).unwrap();
        let err = bale.read(&bale.payload(PayloadId(index)).unwrap()).unwrap_err();
        assert!(err.to_string().contains(expect), "{recorded}: {err}");
        assert!(err.is_corruption());
        assert!(!bale.verify().is_empty());
    }
}

#[test]
fn a_zstd_frame_without_a_declared_size_is_refused() {
    // A frame written in streaming mode does not declare its content size.
    let content = b"abcabcabc".repeat(100);
    let mut frame = Vec::new();
    {
        let mut enc = zstd::stream::Encoder::new(&mut frame, 3).unwrap();
        enc.include_contentsize(false).unwrap();
        std::io::Write::write_all(&mut enc, &content).unwrap();
        enc.finish().unwrap();
    }
    let mut good = sample(&WriteOptions::default());
    // Swap the frame in for the resource's stored bytes, which are longer.
    let bale = Bale::open(good.as_slice()).unwrap();
    let id = bale.file("pkg/data/table.txt").unwrap().unwrap().payload.unwrap();
    let p = bale.payload(id).unwrap();
    assert!(frame.len() <= p.stored_size as usize);
    let at = bale.header().payloads_offset as usize + id.0 as usize * 40;
    good[p.offset as usize..p.offset as usize + frame.len()].copy_from_slice(&frame);
    LE::write_u64(&mut good[at + 8..], frame.len() as u64);
    LE::write_u64(&mut good[at + 16..], content.len() as u64);
    LE::write_u64(&mut good[at + 24..], xxh3_64(&frame));
    good[at + 32] = Codec::Zstd.to_byte();
    reseal_record(&mut good, at, 40, id.0);
    let bale = Bale::open(good.as_slice()).unwrap();
    let err = bale.read(&bale.payload(id).unwrap()).unwrap_err();
    assert!(err.to_string().contains("does not declare its size"), "{err}");
}

#[test]
fn the_header_strings_say_how_the_app_starts_and_which_rest_bale_belongs() {
    let bytes = sample(&WriteOptions::default());
    let bale = Bale::open(bytes.as_slice()).unwrap();
    assert_eq!(bale.header().minor, 1);
    assert_eq!(bale.header().writer_version().as_deref(), Some("0.2.0"));
    assert_eq!(bale.entry_point().unwrap().unwrap().to_string(), "pkg.cli:main");
    assert_eq!(bale.rest().unwrap(), Some(("sample.rest.bale", 0x1234_5678_9abc_def0)));
    // Without any of them, a writer writes 1.0 with the bytes zero.
    let mut w = Writer::new("any").unwrap();
    w.add_file("a.txt", FileKind::Data, b"a".to_vec(), false).unwrap();
    let mut out = Cursor::new(Vec::new());
    w.write(&mut out, &WriteOptions::default()).unwrap();
    let plain = out.into_inner();
    let bale = Bale::open(plain.as_slice()).unwrap();
    assert_eq!((bale.header().minor, bale.header().writer_version()), (0, None));
    assert!(bale.entry_point().unwrap().is_none() && bale.rest().unwrap().is_none());
    assert!(plain[h::WRITER..h::RESERVED].iter().all(|&b| b == 0));
    // Written again from the bale, they are kept.
    let again = Writer::from_bale(&Bale::open(bytes.as_slice()).unwrap()).unwrap();
    let mut out = Cursor::new(Vec::new());
    again.write(&mut out, &WriteOptions::default()).unwrap();
    let copy = out.into_inner();
    let copy = Bale::open(copy.as_slice()).unwrap();
    assert_eq!(copy.entry_point().unwrap().unwrap().to_string(), "pkg.cli:main");
    assert_eq!(copy.rest().unwrap().unwrap().0, "sample.rest.bale");
}

#[test]
fn a_damaged_entry_point_or_kind_is_corrupt() {
    let good = sample(&WriteOptions::default());
    let hd = Bale::open(good.as_slice()).unwrap().header().clone();
    let entry_at = hd.strings_offset as usize + LE::read_u32(&good[h::ENTRY_OFFSET..]) as usize;
    let mut bad = good.clone();
    bad[entry_at] ^= 0x20;
    reseal_body(&mut bad);
    let err = Bale::open(bad.as_slice()).unwrap().entry_point().unwrap_err();
    assert!(err.is_corruption() && err.to_string().contains("does not match its check"), "{err}");
    let mut bad = good.clone();
    bad[h::ENTRY_KIND] = 7;
    reseal_header(&mut bad);
    assert!(Bale::open(bad.as_slice()).unwrap().entry_point().unwrap_err().is_corruption());
    let mut bad = good;
    LE::write_u16(&mut bad[h::ENTRY_LEN..], u16::MAX);
    reseal_header(&mut bad);
    assert!(matches!(Bale::open(bad.as_slice()), Err(Error::Corrupt(Corruption::Header(_)))));
}

#[test]
fn an_unknown_codec_from_a_newer_minor_says_what_to_upgrade() {
    let good = sample(&compressed());
    let (at, index) = payload_record_of(&good, "pkg.m2");
    let mut newer = good.clone();
    newer[at + 32] = 9;
    reseal_record(&mut newer, at, 40, index);
    LE::write_u16(&mut newer[h::MINOR..], 7);
    reseal_header(&mut newer);
    let bale = Bale::open(newer.as_slice()).unwrap();
    let err = bale.read(&bale.payload(PayloadId(index)).unwrap()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("codec 9") && text.contains("format 1.7, written by bale 0.2.0"), "{text}");
    assert!(text.contains(&format!("reads bale format 1.{}", layout::MINOR)), "{text}");
}

#[test]
fn an_unknown_codec_is_reported_without_harming_other_entries() {
    let good = sample(&compressed());
    let (at, index) = payload_record_of(&good, "pkg.m2");
    let mut newer = good.clone();
    newer[at + 32] = 9;
    reseal_record(&mut newer, at, 40, index);
    let bale = Bale::open(newer.as_slice()).unwrap();
    assert!(matches!(
        bale.read(&bale.payload(PayloadId(index)).unwrap()),
        Err(Error::UnsupportedCodec { codec: 9, .. })
    ));
    let other = bale.module("pkg.m3").unwrap().unwrap().bytecode.unwrap();
    bale.read(&bale.payload(other).unwrap()).unwrap();
}

#[test]
fn a_damaged_payload_names_its_file() {
    let mut bytes = sample(&WriteOptions::default());
    let bale = Bale::open(bytes.as_slice()).unwrap();
    let p = bale.payload(bale.file("pkg/data/table.txt").unwrap().unwrap().payload.unwrap()).unwrap();
    bytes[p.offset as usize + 3] ^= 1;
    let bale = Bale::open(bytes.as_slice()).unwrap();
    let f = bale.file("pkg/data/table.txt").unwrap().unwrap();
    let err = bale.read_file(&f).unwrap_err();
    assert_eq!(err.to_string(), format!("pkg/data/table.txt: corrupt bale: payload {}: checksum mismatch", p.id.0));
    let problems: Vec<String> = bale.verify().iter().map(ToString::to_string).collect();
    assert!(problems.iter().any(|p| p.starts_with("pkg/data/table.txt: ")), "{problems:?}");
}

/// A hostile bale whose paths escape: the writer never makes one, so the test forges it
/// with valid checksums. The reader refuses to hand such a name out.
#[test]
fn forged_names_that_escape_are_refused_by_the_reader() {
    let good = sample(&WriteOptions::default());
    for evil in ["../../etc/x", "/etc/passwd", "a/./b", "C:\\Windows", "n\0l"] {
        let mut bad = good.clone();
        let bale = Bale::open(good.as_slice()).unwrap();
        let f = bale.file("notes.txt").unwrap().unwrap();
        let hd = bale.header().clone();
        let at = hd.files.records_offset as usize + f.id.0 as usize * 40;
        let key_at = (hd.strings_offset + u64::from(LE::read_u32(&good[at + 8..]))) as usize;
        // Lengthen or shorten the key in place by pointing it at a fresh copy at the end.
        let key_offset = bad.len() as u64 - hd.strings_offset;
        assert!(key_at > 0);
        bad.extend_from_slice(evil.as_bytes());
        let new_size = bad.len() as u64;
        LE::write_u64(&mut bad[h::FILE_SIZE..], new_size);
        LE::write_u64(&mut bad[h::STRINGS_SIZE..], new_size - hd.strings_offset);
        LE::write_u32(&mut bad[at + 8..], key_offset as u32);
        LE::write_u16(&mut bad[at + 12..], evil.len() as u16);
        LE::write_u64(&mut bad[at..], xxh3_64(evil.as_bytes()));
        reseal_record(&mut bad, at, 40, f.id.0);

        let bale = Bale::open(bad.as_slice()).unwrap();
        let err = bale.file_by_id(f.id).unwrap_err();
        assert!(matches!(err.root(), Error::InvalidName { .. }), "{evil:?}: {err}");
        assert!(bale.files().any(|f| f.is_err()));
        assert!(bale.verify().iter().any(|e| matches!(e.root(), Error::InvalidName { .. })), "{evil:?}");
    }
}

#[test]
fn hostile_section_offsets_are_refused_at_open() {
    let good = sample(&WriteOptions::default());
    for (field, value) in [
        (h::MODULES, u64::MAX - 10),
        (h::FILES + 16, 1 << 40),
        (h::PAYLOADS_OFFSET, good.len() as u64),
        (h::STRINGS_SIZE, u64::MAX),
    ] {
        let mut bad = good.clone();
        LE::write_u64(&mut bad[field..], value);
        reseal_header(&mut bad);
        match Bale::open(bad.as_slice()) {
            Err(Error::Corrupt(Corruption::Header(_))) => {}
            other => panic!("field {field}: {:?}", other.map(|_| ())),
        }
    }
    let mut bad = good.clone();
    LE::write_u32(&mut bad[h::MODULES + 8..], u32::MAX - 1);
    reseal_header(&mut bad);
    assert!(Bale::open(bad.as_slice()).is_err());
}
