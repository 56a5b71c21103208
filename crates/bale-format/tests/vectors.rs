//! The test vectors of `format-spec/vectors/`: small bales with their expected
//! decoding. This reader must decode each committed bale to its committed JSON, and
//! this writer must reproduce the uncompressed bales byte for byte.
//!
//! To regenerate after a deliberate format change:
//! `BALE_REGENERATE_VECTORS=1 cargo test -p bale-format --test vectors`

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

use std::io::Cursor;
use std::path::PathBuf;

use bale_format::codec::ZSTD_LEVEL;
use bale_format::layout::{self, header as h};
use bale_format::{Bale, Codec, Compression, Error, FileKind, ModuleSpec, PayloadId, WriteOptions, Writer};
use byteorder::{ByteOrder, LittleEndian as LE};
use serde_json::{Value, json};
use xxhash_rust::xxh3::xxh3_64;

/// CPython 3.11's `.pyc` magic number.
const MAGIC_311: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

struct Vector {
    name: &'static str,
    description: &'static str,
    build: fn() -> Vec<u8>,
    /// The writer must reproduce it exactly (no zstd output, which may vary between
    /// zstd versions without the format changing).
    reproducible: bool,
}

fn vectors() -> Vec<Vector> {
    vec![
        Vector { name: "empty", description: "No modules, no files.", build: empty, reproducible: true },
        Vector {
            name: "basic",
            description: "A pure-Python package: source, a resource in a subfolder, an executable data file, dist-info metadata, two identical files sharing one payload.",
            build: basic,
            reproducible: true,
        },
        Vector {
            name: "bytecode",
            description: "Modules with source and bytecode, bytecode only (sourceless), nested packages, a namespace package; target cpython-3.11.",
            build: bytecode,
            reproducible: true,
        },
        Vector {
            name: "native",
            description: "An extension module and a shared library, stored on 16 KiB boundaries.",
            build: native,
            reproducible: true,
        },
        Vector {
            name: "zstd",
            description: "The basic tree, every payload zstd-compressed where that is smaller.",
            build: zstd,
            reproducible: false,
        },
        Vector {
            name: "zstd-dictionary",
            description: "Bytecode compressed with a zstd dictionary trained on it and stored in the bale.",
            build: zstd_dictionary,
            reproducible: false,
        },
        Vector {
            name: "bad-magic",
            description: "A zip file: not a bale.",
            build: || b"PK\x03\x04\x14\x00\x00\x00".to_vec(),
            reproducible: true,
        },
        Vector {
            name: "truncated",
            description: "The basic bale cut short by one byte.",
            build: truncated,
            reproducible: true,
        },
        Vector {
            name: "version-2",
            description: "A bale claiming major version 2.",
            build: version_2,
            reproducible: true,
        },
        Vector {
            name: "corrupt-header",
            description: "The basic bale with one header byte flipped.",
            build: corrupt_header,
            reproducible: true,
        },
        Vector {
            name: "corrupt-payload",
            description: "The basic bale with one byte of a resource flipped: opens, that read fails, verify names the file.",
            build: corrupt_payload,
            reproducible: true,
        },
        Vector {
            name: "zstd-size-mismatch",
            description: "A zstd frame that declares more bytes than its payload record (checksums valid): reading it must fail without decoding.",
            build: zstd_size_mismatch,
            reproducible: false,
        },
        Vector {
            name: "escaping-name",
            description: "A hostile bale (checksums valid) whose data file is named ../evil: a reader must refuse the name.",
            build: escaping_name,
            reproducible: true,
        },
    ]
}

fn write(w: Writer, options: &WriteOptions) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    w.write(&mut out, options).unwrap();
    out.into_inner()
}

fn pyc(body: &str) -> Vec<u8> {
    // Flags 3: an unchecked hash-based pyc; then an 8-byte source hash.
    let mut v = MAGIC_311.to_vec();
    v.extend_from_slice(&[3, 0, 0, 0]);
    v.extend_from_slice(&xxh3_64(body.as_bytes()).to_le_bytes());
    v.extend_from_slice(body.as_bytes());
    v
}

fn empty() -> Vec<u8> {
    write(Writer::new("any").unwrap(), &WriteOptions::default())
}

fn basic_writer() -> Writer {
    let mut w = Writer::new("any").unwrap();
    let files: [(&str, FileKind, &[u8], bool); 7] = [
        ("greet/__init__.py", FileKind::Source, b"from greet.words import hello\n", false),
        ("greet/words.py", FileKind::Source, b"def hello(name):\n    return f'hello, {name}'\n", false),
        ("greet/data/messages.txt", FileKind::Resource, b"hello\nbonjour\nhola\n", false),
        ("greet/py.typed", FileKind::Resource, b"", false),
        (
            "greet-1.0.dist-info/METADATA",
            FileKind::Metadata,
            b"Metadata-Version: 2.1\nName: greet\nVersion: 1.0\n",
            false,
        ),
        ("greet-1.0.dist-info/LICENSE", FileKind::Metadata, b"Public domain.\n", false),
        ("bin/greet", FileKind::Data, b"#!/bin/sh\necho hello\n", true),
    ];
    for (path, kind, content, exec) in files {
        w.add_file(path, kind, content.to_vec(), exec).unwrap();
    }
    w.add_file("COPYING", FileKind::Data, b"Public domain.\n".to_vec(), false).unwrap();
    w.add_module("greet", ModuleSpec { package: true, source: Some("greet/__init__.py".into()), ..Default::default() })
        .unwrap();
    w.add_module("greet.words", ModuleSpec { source: Some("greet/words.py".into()), ..Default::default() }).unwrap();
    w
}

fn basic() -> Vec<u8> {
    write(basic_writer(), &WriteOptions::default())
}

fn bytecode_writer() -> Writer {
    let mut w = Writer::new("cpython-3.11-x86_64-linux-gnu").unwrap();
    w.set_bytecode_magic(MAGIC_311);
    w.add_file("app/__init__.py", FileKind::Source, b"VERSION = 1\n".to_vec(), false).unwrap();
    w.add_module(
        "app",
        ModuleSpec {
            package: true,
            source: Some("app/__init__.py".into()),
            bytecode: Some(pyc("code:app")),
            ..Default::default()
        },
    )
    .unwrap();
    w.add_module("app.core", ModuleSpec { package: true, bytecode: Some(pyc("code:app.core")), ..Default::default() })
        .unwrap();
    w.add_module("app.core.engine", ModuleSpec { bytecode: Some(pyc("code:app.core.engine")), ..Default::default() })
        .unwrap();
    w.add_file("app/cli.py", FileKind::Source, b"def main(): pass\n".to_vec(), false).unwrap();
    w.add_module(
        "app.cli",
        ModuleSpec { source: Some("app/cli.py".into()), bytecode: Some(pyc("code:app.cli")), ..Default::default() },
    )
    .unwrap();
    w.add_module("plugins", ModuleSpec { package: true, namespace: true, ..Default::default() }).unwrap();
    w.add_file("plugins/extra.py", FileKind::Source, b"NAME = 'extra'\n".to_vec(), false).unwrap();
    w.add_module("plugins.extra", ModuleSpec { source: Some("plugins/extra.py".into()), ..Default::default() })
        .unwrap();
    w
}

fn bytecode() -> Vec<u8> {
    write(bytecode_writer(), &WriteOptions::default())
}

fn native() -> Vec<u8> {
    let mut w = Writer::new("cpython-3.11-x86_64-linux-gnu").unwrap();
    let so = "fast/_speedups.cpython-311-x86_64-linux-gnu.so";
    w.add_file(so, FileKind::Extension, b"\x7fELF\x02\x01\x01 (not a real library)".to_vec(), true).unwrap();
    w.add_file("fast/__init__.py", FileKind::Source, b"from fast._speedups import *\n".to_vec(), false).unwrap();
    w.add_file("fast.libs/libhelper-1a2b3c.so.1", FileKind::SharedLibrary, b"\x7fELF helper".to_vec(), true).unwrap();
    w.add_module("fast", ModuleSpec { package: true, source: Some("fast/__init__.py".into()), ..Default::default() })
        .unwrap();
    w.add_module("fast._speedups", ModuleSpec { extension: Some(so.into()), ..Default::default() }).unwrap();
    write(w, &WriteOptions::default())
}

fn zstd() -> Vec<u8> {
    let mut w = basic_writer();
    w.add_file("greet/data/big.txt", FileKind::Resource, b"all work and no play ".repeat(200), false).unwrap();
    write(w, &WriteOptions { compression: Compression::Zstd { level: ZSTD_LEVEL }, ..Default::default() })
}

fn zstd_dictionary() -> Vec<u8> {
    let mut w = Writer::new("cpython-3.11-x86_64-linux-gnu").unwrap();
    w.set_bytecode_magic(MAGIC_311);
    w.add_module("mods", ModuleSpec { package: true, namespace: true, ..Default::default() }).unwrap();
    for i in 0..24 {
        let body =
            format!("LOAD_CONST {i} STORE_NAME value_{i} LOAD_NAME print CALL 1 POP_TOP RETURN_CONST None ").repeat(6);
        w.add_module(&format!("mods.m{i:02}"), ModuleSpec { bytecode: Some(pyc(&body)), ..Default::default() })
            .unwrap();
    }
    let options = WriteOptions {
        compression: Compression::Zstd { level: ZSTD_LEVEL },
        dictionary_size: Some(2048),
        threads: 1,
        ..Default::default()
    };
    write(w, &options)
}

fn truncated() -> Vec<u8> {
    let mut b = basic();
    b.pop();
    b
}

fn reseal_header(b: &mut [u8]) {
    let hash = xxh3_64(&b[..248]);
    LE::write_u64(&mut b[248..], hash);
}

fn reseal_all(b: &mut [u8], record_at: usize, record_size: usize, index: u32) {
    let check = layout::check32(&b[record_at..record_at + record_size - 4], index);
    LE::write_u32(&mut b[record_at + record_size - 4..], check);
    let body = xxh3_64(&b[layout::HEADER_SIZE..]);
    LE::write_u64(&mut b[h::BODY_HASH..], body);
    reseal_header(b);
}

fn version_2() -> Vec<u8> {
    let mut b = basic();
    LE::write_u16(&mut b[h::MAJOR..], 2);
    reseal_header(&mut b);
    b
}

fn corrupt_header() -> Vec<u8> {
    let mut b = basic();
    b[h::TARGET] ^= 0x20;
    b
}

fn corrupt_payload() -> Vec<u8> {
    let mut b = basic();
    let bale = Bale::open(b.as_slice()).unwrap();
    let p = bale.payload(bale.file("greet/data/messages.txt").unwrap().unwrap().payload.unwrap()).unwrap();
    b[p.offset as usize] ^= 0x01;
    b
}

fn zstd_size_mismatch() -> Vec<u8> {
    let mut b = zstd();
    let bale = Bale::open(b.as_slice()).unwrap();
    let id = bale.file("greet/data/big.txt").unwrap().unwrap().payload.unwrap();
    assert_eq!(bale.payload(id).unwrap().codec, Codec::Zstd);
    let at = bale.header().payloads_offset as usize + id.0 as usize * 40;
    let size = LE::read_u64(&b[at + 16..]);
    LE::write_u64(&mut b[at + 16..], size / 2);
    reseal_all(&mut b, at, 40, id.0);
    b
}

fn escaping_name() -> Vec<u8> {
    // "COPYING" and "../evil" have the same length, so the key is rewritten in place.
    let mut b = basic();
    let (index, at, key_at) = {
        let bale = Bale::open(b.as_slice()).unwrap();
        let f = bale.file("COPYING").unwrap().unwrap();
        let at = bale.header().files.records_offset as usize + f.id.0 as usize * 40;
        (f.id.0, at, (bale.header().strings_offset + u64::from(LE::read_u32(&b[at + 8..]))) as usize)
    };
    let evil = b"../evil";
    b[key_at..key_at + evil.len()].copy_from_slice(evil);
    LE::write_u64(&mut b[at..], xxh3_64(evil));
    reseal_all(&mut b, at, 40, index);
    b
}

fn class(e: &Error) -> &'static str {
    match e.root() {
        Error::NotABale => "not-a-bale",
        Error::Truncated { .. } => "truncated",
        Error::UnsupportedVersion { .. } => "unsupported-version",
        _ => "corrupt",
    }
}

fn content(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(s) => json!({ "utf8": s }),
        Err(_) => json!({ "hex": hex(bytes) }),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn read_payload<D: AsRef<[u8]>>(bale: &Bale<D>, id: PayloadId) -> Value {
    match bale.payload(id).and_then(|p| bale.read(&p).map(|c| c.into_owned())) {
        Ok(c) => content(&c),
        Err(e) => json!({ "error": e.to_string() }),
    }
}

/// The reference decoding of a bale, as the vectors' JSON records it.
fn decode(bytes: &[u8]) -> Value {
    let bale = match Bale::open(bytes) {
        Ok(b) => b,
        Err(e) => return json!({ "open": class(&e), "message": e.to_string() }),
    };
    let hd = bale.header();
    let opt = |id: Option<u32>| id.map_or(Value::Null, |i| json!(i));
    let modules: Vec<Value> = bale
        .modules()
        .map(|m| match m {
            Err(e) => json!({ "error": e.to_string() }),
            Ok(m) => json!({
                "index": m.id.0,
                "name": m.name,
                "package": m.is_package,
                "namespace": m.is_namespace,
                "parent": opt(m.parent.map(|p| p.0)),
                "children": bale.module_children(&m).map(|c| c.map(|c| c.name.to_owned()).unwrap_or_else(|e| e.to_string())).collect::<Vec<_>>(),
                "source": opt(m.source.map(|f| f.0)),
                "extension": opt(m.extension.map(|f| f.0)),
                "directory": opt(m.directory.map(|f| f.0)),
                "bytecode": m.bytecode.map_or(Value::Null, |p| json!({ "payload": p.0, "content": read_payload(&bale, p) })),
            }),
        })
        .collect();
    let files: Vec<Value> = bale
        .files()
        .map(|f| match f {
            Err(e) => json!({ "error": e.to_string() }),
            Ok(f) => json!({
                "index": f.id.0,
                "path": f.path,
                "kind": f.kind.name(),
                "executable": f.executable,
                "parent": opt(f.parent.map(|p| p.0)),
                "children": bale.file_children(&f).map(|c| c.map(|c| c.path.to_owned()).unwrap_or_else(|e| e.to_string())).collect::<Vec<_>>(),
                "module": opt(f.module.map(|m| m.0)),
                "payload": opt(f.payload.map(|p| p.0)),
                "content": f.payload.map_or(Value::Null, |p| read_payload(&bale, p)),
            }),
        })
        .collect();
    let payloads: Vec<Value> = (0..bale.payload_count())
        .map(|i| match bale.payload(PayloadId(i)) {
            Err(e) => json!({ "error": e.to_string() }),
            Ok(p) => json!({
                "index": i,
                "offset": p.offset,
                "stored_size": p.stored_size,
                "size": p.size,
                "codec": p.codec.name(),
                "hash": format!("{:016x}", p.hash),
            }),
        })
        .collect();
    json!({
        "open": "ok",
        "header": {
            "version": [hd.major, hd.minor],
            "header_size": hd.header_size,
            "file_size": hd.file_size,
            "body_hash": format!("{:016x}", hd.body_hash),
            "target": hd.target(),
            "bytecode_magic": bale.bytecode_magic().map(|m| hex(&m)),
            "payload_count": hd.payload_count,
            "dictionary": opt(hd.dictionary.map(|d| d.0)),
            "modules": { "count": hd.modules.count, "root_count": hd.modules.root_count, "bucket_count": hd.modules.bucket_count },
            "files": { "count": hd.files.count, "root_count": hd.files.root_count, "bucket_count": hd.files.bucket_count },
        },
        "modules": modules,
        "files": files,
        "payloads": payloads,
        "verify": bale.verify().iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../format-spec/vectors")
}

#[test]
fn every_vector_decodes_as_recorded() {
    let regenerate = std::env::var_os("BALE_REGENERATE_VECTORS").is_some();
    for v in vectors() {
        let bale_path = dir().join(format!("{}.bale", v.name));
        let json_path = dir().join(format!("{}.json", v.name));
        if regenerate {
            let bytes = (v.build)();
            let mut expected = decode(&bytes);
            expected["description"] = json!(v.description);
            std::fs::write(&bale_path, &bytes).unwrap();
            std::fs::write(&json_path, serde_json::to_string_pretty(&expected).unwrap() + "\n").unwrap();
        }
        let bytes = std::fs::read(&bale_path).unwrap_or_else(|e| panic!("{}: {e}", bale_path.display()));
        let mut expected: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
        expected.as_object_mut().unwrap().remove("description");
        assert_eq!(decode(&bytes), expected, "vector {}", v.name);
    }
}

#[test]
fn the_writer_reproduces_the_uncompressed_vectors() {
    for v in vectors().into_iter().filter(|v| v.reproducible) {
        let committed = std::fs::read(dir().join(format!("{}.bale", v.name))).unwrap();
        assert!((v.build)() == committed, "vector {} no longer matches the writer", v.name);
    }
}

#[test]
fn the_vectors_say_what_they_claim() {
    let read = |name: &str| decode(&std::fs::read(dir().join(format!("{name}.bale"))).unwrap());
    assert_eq!(read("bad-magic")["open"], "not-a-bale");
    assert_eq!(read("truncated")["open"], "truncated");
    assert_eq!(read("version-2")["open"], "unsupported-version");
    assert_eq!(read("corrupt-header")["open"], "corrupt");
    let corrupt = read("corrupt-payload");
    let messages = corrupt["files"].as_array().unwrap().iter().filter(|f| f["path"] == "greet/data/messages.txt");
    assert!(messages.map(|f| &f["content"]["error"]).all(|e| e.as_str().unwrap().contains("checksum mismatch")));
    assert!(
        corrupt["verify"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().starts_with("greet/data/messages.txt:"))
    );
    let mismatch = read("zstd-size-mismatch");
    let big = mismatch["files"].as_array().unwrap().iter().find(|f| f["path"] == "greet/data/big.txt").unwrap();
    assert!(big["content"]["error"].as_str().unwrap().contains("zstd frame declares"));
    let escaping = read("escaping-name");
    assert!(
        escaping["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["error"].as_str().is_some_and(|e| e.contains("`.` or `..`")))
    );
    let dict = read("zstd-dictionary");
    assert!(dict["header"]["dictionary"].is_number());
    assert!(dict["payloads"].as_array().unwrap().iter().any(|p| p["codec"] == "zstd+dict"));
    let native = read("native");
    for p in
        native["files"].as_array().unwrap().iter().filter(|f| f["kind"] == "extension" || f["kind"] == "shared-library")
    {
        let offset = native["payloads"][p["payload"].as_u64().unwrap() as usize]["offset"].as_u64().unwrap();
        assert_eq!(offset % 16384, 0);
    }
}
