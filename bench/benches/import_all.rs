//! Importing the same ~470 standard-library modules in a fresh interpreter per
//! iteration, through PathFinder (with a warm `.pyc` cache), zipimport (a stored zip
//! of `.py` and `.pyc`) and the bale importer (over a memory map, over bytes, and with
//! zstd and a dictionary), all in one run so that their ratios hold on a noisy machine.
//!
//! Each iteration starts `python -I -S` and times, inside it, from before the finder
//! is set up (loading the bale extension included) to after the last import
//! (`bench/python/import_all.py`); interpreter start-up is not timed.
//!
//! Prepared by `bench/import-bench.sh`, which runs this with `BALE_BENCH_DIR` set.

#![allow(clippy::unwrap_used, reason = "a benchmark: a failure is a panic")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

struct Setup {
    version: String,
    python: PathBuf,
    dir: PathBuf,
    modules: usize,
}

const MODES: [(&str, &str, &str); 5] = [
    ("PathFinder, warm .pyc", "pathfinder", "-"),
    ("zipimport", "zipimport", "stdlib.zip"),
    ("bale, mmap", "bale-mmap", "stdlib.bale"),
    ("bale, bytes", "bale-bytes", "stdlib.bale"),
    ("bale, zstd+dict, mmap", "bale-mmap", "stdlib-zstd.bale"),
];

fn setups(root: &Path) -> Vec<Setup> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root).expect("BALE_BENCH_DIR").flatten() {
        let dir = entry.path();
        let Ok(python) = std::fs::read_to_string(dir.join("python.txt")) else { continue };
        let modules = std::fs::read_to_string(dir.join("modules.txt")).expect("modules.txt").lines().count();
        out.push(Setup {
            version: entry.file_name().to_string_lossy().into_owned(),
            python: PathBuf::from(python.trim()),
            dir,
            modules,
        });
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    out
}

/// One fresh interpreter importing everything; the time it reports.
fn once(setup: &Setup, mode: &str, artifact: &str, importer: &Path) -> Duration {
    let artifact = if artifact == "-" { "-".into() } else { setup.dir.join(artifact).display().to_string() };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/import_all.py");
    let out = Command::new(&setup.python)
        .args(["-I", "-S", "-W", "ignore"])
        .arg(script)
        .args([mode, &artifact])
        .arg(setup.dir.join("modules.txt"))
        .arg(importer)
        .output()
        .expect("run python");
    assert!(out.status.success(), "{mode}: {}", String::from_utf8_lossy(&out.stderr));
    Duration::from_nanos(String::from_utf8_lossy(&out.stdout).trim().parse().expect("nanoseconds"))
}

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(std::env::var("BALE_BENCH_DIR").expect("run bench/import-bench.sh"));
    let importer = root.join("bale.abi3.so");
    let samples: Mutex<BTreeMap<(String, &str), Vec<Duration>>> = Mutex::new(BTreeMap::new());
    for setup in setups(&root) {
        let mut group =
            c.benchmark_group(format!("import {} stdlib modules, CPython {}", setup.modules, setup.version));
        group.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(20));
        for (name, mode, artifact) in MODES {
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let t = once(&setup, mode, artifact, &importer);
                        samples.lock().unwrap().entry((setup.version.clone(), name)).or_default().push(t);
                        total += t;
                    }
                    total
                })
            });
        }
        group.finish();
    }
    report(&samples.into_inner().unwrap());
}

/// Medians per finder and the ratios the targets are stated in, also written to
/// `target/import-all.json` for `bench/README.md`.
fn report(samples: &BTreeMap<(String, &str), Vec<Duration>>) {
    let median = |v: &Vec<Duration>| {
        let mut v = v.clone();
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    let mut json = Vec::new();
    let versions: std::collections::BTreeSet<&String> = samples.keys().map(|(v, _)| v).collect();
    println!("\nmedian ms per iteration (iterations), and ratio to zipimport and to PathFinder:");
    for version in versions {
        let get = |name: &str| samples.get(&(version.clone(), name)).map(median);
        let (zip, path) = (get("zipimport"), get("PathFinder, warm .pyc"));
        for (name, _, _) in MODES {
            let Some(v) = samples.get(&(version.clone(), name)) else { continue };
            let m = median(v);
            let vs_zip = zip.map_or(f64::NAN, |z| m / z);
            let vs_path = path.map_or(f64::NAN, |p| m / p);
            println!(
                "  CPython {version}  {name:<24} {m:8.1} ms ({:3})  {vs_zip:5.2}x zipimport  {vs_path:5.2}x PathFinder",
                v.len()
            );
            json.push(format!(
                r#"{{"python": "{version}", "finder": "{name}", "median_ms": {m:.2}, "iterations": {}, "vs_zipimport": {vs_zip:.3}, "vs_pathfinder": {vs_path:.3}}}"#,
                v.len()
            ));
        }
    }
    // A `--test` pass (one iteration each, to prove the benchmark runs) must not
    // replace the figures of a real run.
    if std::env::args().any(|a| a == "--test") {
        return;
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/import-all.json");
    let _ = std::fs::write(out, format!("[\n  {}\n]\n", json.join(",\n  ")));
}

criterion_group!(benches, bench);
criterion_main!(benches);
