//! A bale read by its index alone, its payloads fetched elsewhere: how a reader over
//! the network (the Pyodide loader's rest bale) reads one.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

use bale_format::codec::ZSTD_LEVEL;
use bale_format::{Bale, Compression, Error, FileKind, ModuleSpec, WriteOptions, Writer};

fn bale() -> Vec<u8> {
    let mut w = Writer::new("any").unwrap();
    w.add_file("pkg/__init__.py", FileKind::Source, b"x = 1\n".to_vec(), false).unwrap();
    w.add_file("pkg/data.txt", FileKind::Resource, b"some data ".repeat(100), false).unwrap();
    w.add_module("pkg", ModuleSpec { package: true, source: Some("pkg/__init__.py".into()), ..Default::default() })
        .unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    let options = WriteOptions { compression: Compression::Zstd { level: ZSTD_LEVEL }, ..Default::default() };
    w.write(&mut out, &options).unwrap();
    out.into_inner()
}

#[test]
fn the_index_alone_finds_every_entry_and_fetched_payloads_decode() {
    let whole = bale();
    let end = Bale::open(&whole[..]).unwrap().header().index_end() as usize;
    assert!(end < whole.len(), "payloads follow the index");
    let index = Bale::open_index(&whole[..end]).unwrap();
    assert!(!index.is_whole());
    let file = index.file("pkg/data.txt").unwrap().expect("listed");
    assert!(matches!(index.read_file(&file).unwrap_err().root(), Error::Absent { .. }));

    let payload = index.payload(file.payload.unwrap()).unwrap();
    let stored = &whole[payload.offset as usize..(payload.offset + payload.stored_size) as usize];
    assert_eq!(&*index.decode(&payload, stored).unwrap(), "some data ".repeat(100).as_bytes());

    let mut damaged = stored.to_vec();
    damaged[0] ^= 1;
    assert!(index.decode(&payload, &damaged).unwrap_err().is_corruption());
    assert!(index.decode(&payload, &stored[1..]).unwrap_err().is_corruption());
}

#[test]
fn less_than_the_index_is_truncated_and_a_whole_bale_still_needs_every_byte() {
    let whole = bale();
    let end = Bale::open(&whole[..]).unwrap().header().index_end();
    match Bale::open_index(&whole[..end as usize - 1]) {
        Err(Error::Truncated { expected, .. }) => assert_eq!(expected, end),
        other => panic!("expected truncated, got {:?}", other.map(|_| ())),
    }
    assert!(matches!(Bale::open(&whole[..end as usize]), Err(Error::Truncated { .. })));
    assert!(Bale::open_index(&whole[..]).unwrap().is_whole());
}
