//! Opening an index and looking names up in it, at 1k, 10k and 100k entries: a bale
//! against a zip's central directory (the `zip` crate, as zipimport reads it) and
//! PyOxidizer's packed resources (`python-packed-resources`, parsed and indexed into a
//! hash map as its importer does at start-up). Each holds the same modules, each with
//! the same small source.
//!
//! `cargo bench -p bale-bench --bench index`; figures in `bench/README.md`.

#![allow(clippy::unwrap_used, reason = "a benchmark: a failure is a panic")]

use std::borrow::Cow;
use std::collections::HashMap;
use std::hint::black_box;
use std::io::{Cursor, Write};

use bale_format::{Bale, FileKind, ModuleSpec, WriteOptions, Writer};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
const LOOKUPS: usize = 1_000;
const SOURCE: &[u8] = b"def f(x):\n    return x + 1\n";

/// Module names spread over packages of 100 modules, as in a real site-packages.
fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("pkg{:04}.mod{:03}", i / 100, i % 100)).collect()
}

fn packages(n: usize) -> impl Iterator<Item = String> {
    (0..n.div_ceil(100)).map(|p| format!("pkg{p:04}"))
}

/// The names looked up: spread over the whole index, with a tenth that are absent.
fn queries(names: &[String]) -> Vec<String> {
    (0..LOOKUPS)
        .map(|i| {
            let j = (i * 7919) % names.len();
            if i % 10 == 9 { format!("{}_absent", names[j]) } else { names[j].clone() }
        })
        .collect()
}

fn bale_bytes(names: &[String]) -> Vec<u8> {
    let mut w = Writer::new("any").unwrap();
    for p in packages(names.len()) {
        let init = format!("{p}/__init__.py");
        w.add_file(&init, FileKind::Source, SOURCE.to_vec(), false).unwrap();
        w.add_module(&p, ModuleSpec { package: true, source: Some(init), ..Default::default() }).unwrap();
    }
    for name in names {
        let path = format!("{}.py", name.replace('.', "/"));
        w.add_file(&path, FileKind::Source, SOURCE.to_vec(), false).unwrap();
        w.add_module(name, ModuleSpec { source: Some(path), ..Default::default() }).unwrap();
    }
    let mut out = Cursor::new(Vec::new());
    w.write(&mut out, &WriteOptions::default()).unwrap();
    out.into_inner()
}

fn zip_bytes(names: &[String]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for p in packages(names.len()) {
        zip.start_file(format!("{p}/__init__.py"), stored).unwrap();
        zip.write_all(SOURCE).unwrap();
    }
    for name in names {
        zip.start_file(format!("{}.py", name.replace('.', "/")), stored).unwrap();
        zip.write_all(SOURCE).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn packed_resources_bytes(names: &[String]) -> Vec<u8> {
    let module = |name: String, package: bool| python_packed_resources::Resource::<u8> {
        name: Cow::Owned(name),
        is_python_module: true,
        is_python_package: package,
        in_memory_source: Some(Cow::Borrowed(SOURCE)),
        ..Default::default()
    };
    let resources: Vec<_> =
        packages(names.len()).map(|p| module(p, true)).chain(names.iter().map(|n| module(n.clone(), false))).collect();
    let mut out = Vec::new();
    python_packed_resources::write_packed_resources_v3(&resources, &mut out, None).unwrap();
    out
}

fn bench(c: &mut Criterion) {
    let mut open = c.benchmark_group("open");
    for n in SIZES {
        let bale = bale_bytes(&names(n));
        open.bench_with_input(BenchmarkId::new("bale", n), &bale, |b, bytes| {
            b.iter(|| black_box(Bale::open(black_box(bytes.as_slice())).unwrap().module_count()))
        });
        // What a whole-index checksum at open would cost: the reason the format
        // checks each structure when it is used instead.
        let index_end =
            Bale::open(bale.as_slice()).unwrap().payload(bale_format::PayloadId(0)).unwrap().offset as usize;
        open.bench_with_input(BenchmarkId::new("hash whole bale index", n), &bale, |b, bytes| {
            b.iter(|| black_box(xxhash(&bytes[256..index_end])))
        });
    }
    open.finish();

    let mut group = c.benchmark_group("open+1000 lookups");
    for n in SIZES {
        let names = names(n);
        let queries = queries(&names);
        let paths: Vec<String> = queries.iter().map(|q| format!("{}.py", q.replace('.', "/"))).collect();

        let bale = bale_bytes(&names);
        group.bench_with_input(BenchmarkId::new("bale", n), &bale, |b, bytes| {
            b.iter(|| {
                let bale = Bale::open(bytes.as_slice()).unwrap();
                queries.iter().filter(|q| bale.module(q).unwrap().is_some()).count()
            })
        });

        let zip = zip_bytes(&names);
        group.bench_with_input(BenchmarkId::new("zip central directory", n), &zip, |b, bytes| {
            b.iter(|| {
                let archive = zip::ZipArchive::new(Cursor::new(bytes.as_slice())).unwrap();
                paths.iter().filter(|p| archive.index_for_name(p).is_some()).count()
            })
        });

        let packed = packed_resources_bytes(&names);
        group.bench_with_input(BenchmarkId::new("python-packed-resources", n), &packed, |b, bytes| {
            b.iter(|| {
                let mut index: HashMap<Cow<'_, str>, python_packed_resources::Resource<'_, u8>> = HashMap::new();
                for resource in python_packed_resources::load_resources(bytes).unwrap() {
                    let resource = resource.unwrap();
                    index.insert(resource.name.clone(), resource);
                }
                queries.iter().filter(|q| index.contains_key(q.as_str())).count()
            })
        });

        // All three must agree on what they found.
        let found = |bale: &[u8]| {
            let b = Bale::open(bale).unwrap();
            queries.iter().filter(|q| b.module(q).unwrap().is_some()).count()
        };
        assert_eq!(found(&bale), LOOKUPS - LOOKUPS / 10);
    }
    group.finish();
}

fn xxhash(bytes: &[u8]) -> u64 {
    // The same hash the format uses, through its public layout helpers.
    bale_format::layout::key_hash(bytes)
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
