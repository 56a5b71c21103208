//! Reading a bale's contents: decoding every bytecode payload of a standard-library
//! bale stored as is, zstd-compressed, and zstd-compressed with a trained dictionary
//! (decompression throughput), and reading a file by its path (as `get_data` and
//! `importlib.resources` do), from bales prepared by `bench/import-bench.sh`
//! (`BALE_BENCH_DIR`).
//!
//! `cargo bench -p bale-bench --bench payloads`; figures in `bench/README.md`.

#![allow(clippy::unwrap_used, reason = "a benchmark: a failure is a panic")]

use std::hint::black_box;
use std::path::PathBuf;

use bale_format::{Bale, FileKind, MappedBale};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const BALES: [(&str, &str); 3] =
    [("stored", "stdlib.bale"), ("zstd", "stdlib-zstd-nodict.bale"), ("zstd+dict", "stdlib-zstd.bale")];

/// The prepared folder of one CPython (the first found).
fn prepared() -> PathBuf {
    let root = PathBuf::from(std::env::var_os("BALE_BENCH_DIR").expect("BALE_BENCH_DIR: run bench/import-bench.sh"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("BALE_BENCH_DIR")
        .flatten()
        .map(|e| e.path())
        .filter(|d| d.join("stdlib.bale").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter().next().expect("no prepared bale in BALE_BENCH_DIR")
}

fn bytecode_payloads(bale: &MappedBale) -> Vec<bale_format::Payload> {
    bale.modules().filter_map(|m| m.ok()?.bytecode).map(|id| bale.payload(id).expect("payload record")).collect()
}

fn decode(c: &mut Criterion) {
    let dir = prepared();
    let mut group = c.benchmark_group("decode all bytecode");
    group.sample_size(20);
    for (label, file) in BALES {
        let bale = Bale::open_path(dir.join(file)).expect(file);
        let payloads = bytecode_payloads(&bale);
        let bytes: u64 = payloads.iter().map(|p| p.size).sum();
        group.throughput(Throughput::Bytes(bytes));
        group.bench_with_input(BenchmarkId::new(label, payloads.len()), &payloads, |b, payloads| {
            b.iter(|| {
                for p in payloads {
                    black_box(bale.read(p).expect("decodes"));
                }
            })
        });
    }
    group.finish();
}

fn resource(c: &mut Criterion) {
    let dir = prepared();
    let mut group = c.benchmark_group("read a file by path");
    for (label, file) in BALES {
        let bale = Bale::open_path(dir.join(file)).expect(file);
        // The largest file, found by its path and read whole: what `get_data`,
        // `importlib.resources` and `open` under the bale's path do. (The benchmark's
        // standard-library tree holds modules only, so it is a source.)
        let (path, size) = bale
            .files()
            .filter_map(|f| f.ok())
            .filter(|f| f.kind != FileKind::Directory)
            .filter_map(|f| Some((f.path.to_owned(), bale.payload(f.payload?).ok()?.size)))
            .max_by_key(|(_, size)| *size)
            .expect("a file");
        group.throughput(Throughput::Bytes(size));
        group.bench_function(BenchmarkId::new(label, &path), |b| {
            b.iter(|| {
                let f = bale.file(black_box(&path)).expect("lookup").expect("present");
                black_box(bale.read_file(&f).expect("reads"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decode, resource);
criterion_main!(benches);
