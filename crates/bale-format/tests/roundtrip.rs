//! Round trips over arbitrary import trees: whatever goes into a bale comes back out,
//! by lookup, by listing and by iteration, under every compression mode.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use bale_format::{Bale, Compression, FileKind, ModuleSpec, WriteOptions, Writer};
use proptest::prelude::*;

const MAGIC: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

#[derive(Clone, Debug)]
struct Tree {
    modules: BTreeMap<String, ModuleSpec>,
    files: BTreeMap<String, (FileKind, Vec<u8>, bool)>,
}

fn pyc(body: &[u8]) -> Vec<u8> {
    let mut v = MAGIC.to_vec();
    v.extend_from_slice(&[0; 12]);
    v.extend_from_slice(body);
    v
}

fn content() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..300),
        // Repetitive text, so zstd and the dictionary have something to work with.
        ("[a-z ]{1,20}", 1usize..200).prop_map(|(s, n)| s.repeat(n).into_bytes()),
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    let names = proptest::collection::vec(proptest::collection::vec("[a-dé_]{1,3}", 1..4), 0..25);
    let variants = proptest::collection::vec((0u8..5, content(), content(), any::<bool>()), 64);
    let resources =
        proptest::collection::vec((0usize..64, "[a-z]{1,4}(/[a-z][a-z.]{0,3}){0,2}", content(), any::<bool>()), 0..12);
    let extras = proptest::collection::vec(
        (
            prop_oneof![Just(FileKind::Data), Just(FileKind::Metadata), Just(FileKind::SharedLibrary)],
            "[a-z]{1,5}",
            content(),
        ),
        0..6,
    );
    (names, variants, resources, extras).prop_map(|(names, variants, resources, extras)| {
        let mut all: BTreeSet<String> = BTreeSet::new();
        for parts in &names {
            for i in 1..=parts.len() {
                all.insert(parts[..i].join("."));
            }
        }
        let has_children: BTreeSet<&str> = all.iter().filter_map(|n| n.rsplit_once('.').map(|(p, _)| p)).collect();
        let mut t = Tree { modules: BTreeMap::new(), files: BTreeMap::new() };
        for (i, name) in all.iter().enumerate() {
            let (variant, source, code, leaf_is_package) = &variants[i % variants.len()];
            let package = has_children.contains(name.as_str()) || *leaf_is_package;
            let base = name.replace('.', "/");
            let source_path = if package { format!("{base}/__init__.py") } else { format!("{base}.py") };
            let mut spec = ModuleSpec { package, ..Default::default() };
            match variant {
                0 => spec.source = Some(source_path.clone()),
                1 => {
                    spec.source = Some(source_path.clone());
                    spec.bytecode = Some(pyc(code));
                }
                2 => spec.bytecode = Some(pyc(code)),
                3 if !package => {
                    let so = format!("{base}.cpython-311-x86_64-linux-gnu.so");
                    t.files.insert(so.clone(), (FileKind::Extension, code.clone(), true));
                    spec.extension = Some(so);
                }
                _ if package => spec.namespace = true,
                _ => spec.source = Some(source_path.clone()),
            }
            if let Some(s) = &spec.source {
                t.files.insert(s.clone(), (FileKind::Source, source.clone(), false));
            }
            t.modules.insert(name.clone(), spec);
        }
        let packages: Vec<String> =
            t.modules.iter().filter(|(_, m)| m.package).map(|(n, _)| n.replace('.', "/")).collect();
        for (p, rel, data, exec) in resources {
            if packages.is_empty() {
                break;
            }
            let path = format!("{}/res_{rel}", packages[p % packages.len()]);
            // A resource path may not pass through a subpackage's folder or a file.
            if t.files.keys().any(|k| k.starts_with(&format!("{path}/")) || path.starts_with(&format!("{k}/"))) {
                continue;
            }
            t.files.insert(path, (FileKind::Resource, data, exec));
        }
        for (kind, name, data) in extras {
            let path = match kind {
                FileKind::Metadata => format!("{name}-1.0.dist-info/METADATA"),
                FileKind::SharedLibrary => format!("{name}.libs/lib{name}.so"),
                _ => format!("data/{name}.txt"),
            };
            t.files.insert(path, (kind, data, false));
        }
        t
    })
}

fn options() -> impl Strategy<Value = WriteOptions> {
    prop_oneof![
        Just(WriteOptions::default()),
        (1i32..6).prop_map(|level| WriteOptions { compression: Compression::Zstd { level }, ..Default::default() }),
        Just(WriteOptions {
            compression: Compression::Zstd { level: 3 },
            dictionary_size: Some(1024),
            threads: 2,
            ..Default::default()
        }),
    ]
}

fn write(t: &Tree, options: &WriteOptions) -> Vec<u8> {
    let mut w = Writer::new("cpython-3.11-x86_64-linux-gnu").unwrap();
    w.set_bytecode_magic(MAGIC);
    for (path, (kind, data, exec)) in &t.files {
        w.add_file(path, *kind, data.clone(), *exec).unwrap();
    }
    for (name, spec) in &t.modules {
        w.add_module(name, spec.clone()).unwrap();
    }
    let mut out = Cursor::new(Vec::new());
    w.write(&mut out, options).unwrap();
    out.into_inner()
}

/// Folders implied by the files and the packages.
fn expected_dirs(t: &Tree) -> BTreeSet<String> {
    let mut dirs = BTreeSet::new();
    let packages = t.modules.iter().filter(|(_, m)| m.package).map(|(n, _)| n.replace('.', "/") + "/x");
    for path in t.files.keys().cloned().chain(packages) {
        let mut p = path.as_str();
        while let Some((parent, _)) = p.rsplit_once('/') {
            dirs.insert(parent.to_owned());
            p = parent;
        }
    }
    dirs
}

fn check(t: &Tree, bytes: &[u8]) {
    let bale = Bale::open(bytes).unwrap();
    assert_eq!(bale.target(), "cpython-3.11-x86_64-linux-gnu");
    let problems = bale.verify();
    assert!(problems.is_empty(), "{problems:?}");

    let dirs = expected_dirs(t);
    assert_eq!(bale.file_count() as usize, t.files.len() + dirs.len());
    assert_eq!(bale.module_count() as usize, t.modules.len());

    for (path, (kind, data, exec)) in &t.files {
        let f = bale.file(path).unwrap().unwrap_or_else(|| panic!("{path} missing"));
        assert_eq!((f.path, f.kind, f.executable), (path.as_str(), *kind, *exec));
        assert_eq!(&*bale.read_file(&f).unwrap(), data.as_slice(), "{path}");
    }
    for dir in &dirs {
        let f = bale.file(dir).unwrap().unwrap_or_else(|| panic!("folder {dir} missing"));
        assert!(f.is_dir());
        let listed: Vec<String> = bale.file_children(&f).map(|c| c.unwrap().path.to_owned()).collect();
        let mut expected: Vec<String> = t
            .files
            .keys()
            .chain(dirs.iter())
            .filter(|p| p.rsplit_once('/').is_some_and(|(parent, _)| parent == dir))
            .cloned()
            .collect();
        expected.sort();
        expected.dedup();
        assert_eq!(listed, expected, "children of {dir}");
    }
    for (name, spec) in &t.modules {
        let m = bale.module(name).unwrap().unwrap_or_else(|| panic!("module {name} missing"));
        assert_eq!((m.name, m.is_package, m.is_namespace), (name.as_str(), spec.package, spec.namespace));
        let path_of = |id| bale.file_by_id(id).unwrap().path.to_owned();
        assert_eq!(m.source.map(path_of), spec.source);
        assert_eq!(m.extension.map(path_of), spec.extension);
        let code = m.bytecode.map(|p| bale.read(&bale.payload(p).unwrap()).unwrap().into_owned());
        assert_eq!(code, spec.bytecode);
        if spec.package {
            assert_eq!(path_of(m.directory.unwrap()), name.replace('.', "/"));
        }
        let children: Vec<String> = bale.module_children(&m).map(|c| c.unwrap().name.to_owned()).collect();
        let expected: Vec<String> =
            t.modules.keys().filter(|k| k.rsplit_once('.').is_some_and(|(p, _)| p == name)).cloned().collect();
        assert_eq!(children, expected, "submodules of {name}");
    }
    let roots: Vec<String> = bale.root_modules().map(|m| m.unwrap().name.to_owned()).collect();
    assert_eq!(roots, t.modules.keys().filter(|k| !k.contains('.')).cloned().collect::<Vec<_>>());
    for absent in ["zzz", "a.zzz", "é.b.zzzz", ""] {
        assert!(bale.module(absent).unwrap().is_none() || t.modules.contains_key(absent));
    }
    assert!(bale.file("no/such/file").unwrap().is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn whatever_goes_in_comes_out(t in tree(), options in options()) {
        check(&t, &write(&t, &options));
    }

    #[test]
    fn a_bale_written_again_holds_the_same(t in tree(), options in options(), again in options()) {
        let first = write(&t, &options);
        let mut out = std::io::Cursor::new(Vec::new());
        Writer::from_bale(&Bale::open(&first[..]).unwrap()).unwrap().write(&mut out, &again).unwrap();
        check(&t, &out.into_inner());
    }

    #[test]
    fn writing_is_deterministic(t in tree()) {
        let options = WriteOptions { compression: Compression::Zstd { level: 3 }, threads: 2, ..Default::default() };
        prop_assert_eq!(write(&t, &options), write(&t, &options));
    }
}

#[test]
fn stored_native_code_is_page_aligned() {
    let mut w = Writer::new("cpython-3.11-x86_64-linux-gnu").unwrap();
    w.add_file("a.txt", FileKind::Data, vec![1; 13], false).unwrap();
    w.add_file("m.cpython-311-x86_64-linux-gnu.so", FileKind::Extension, vec![7; 5000], true).unwrap();
    w.add_file("x.libs/libx.so", FileKind::SharedLibrary, vec![9; 100], true).unwrap();
    w.add_module("m", ModuleSpec { extension: Some("m.cpython-311-x86_64-linux-gnu.so".into()), ..Default::default() })
        .unwrap();
    let mut out = Cursor::new(Vec::new());
    w.write(&mut out, &WriteOptions::default()).unwrap();
    let bytes = out.into_inner();
    let bale = Bale::open(bytes.as_slice()).unwrap();
    for path in ["m.cpython-311-x86_64-linux-gnu.so", "x.libs/libx.so", "a.txt"] {
        let f = bale.file(path).unwrap().unwrap();
        let p = bale.payload(f.payload.unwrap()).unwrap();
        let align = if f.kind.is_native() { bale_format::layout::NATIVE_ALIGN } else { 8 };
        assert_eq!(p.offset % align, 0, "{path} at {}", p.offset);
    }
}

#[test]
fn identical_payloads_are_stored_once() {
    let mut w = Writer::new("any").unwrap();
    for i in 0..10 {
        w.add_file(&format!("d{i}/LICENSE"), FileKind::Data, b"MIT License...".repeat(50), false).unwrap();
    }
    let mut out = Cursor::new(Vec::new());
    let summary = w.write(&mut out, &WriteOptions::default()).unwrap();
    assert_eq!(summary.payloads, 1);
    assert_eq!(summary.deduplicated, 9);
    let bale = Bale::open(out.into_inner()).unwrap();
    assert!(bale.verify().is_empty());
    assert_eq!(bale.read_file(&bale.file("d7/LICENSE").unwrap().unwrap()).unwrap().len(), 700);
}

#[test]
fn an_empty_bale_opens() {
    let mut out = Cursor::new(Vec::new());
    Writer::new("any").unwrap().write(&mut out, &WriteOptions::default()).unwrap();
    let bale = Bale::open(out.into_inner()).unwrap();
    assert_eq!((bale.module_count(), bale.file_count(), bale.payload_count()), (0, 0, 0));
    assert!(bale.module("x").unwrap().is_none());
    assert_eq!(bale.root_files().count(), 0);
    assert!(bale.verify().is_empty());
}
