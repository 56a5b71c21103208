//! `bale pack` and `bale exe` killed (SIGKILL) at random moments never leave a
//! partial or damaged file at their destination, and the temporary files a killed run
//! leaves behind are cleaned up by the next run into the same folder.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// How many times each command is killed.
const KILLS: u32 = 50;

/// A pseudo-random sequence, the same at every run.
struct Lcg(u64);

impl Lcg {
    fn next_fraction(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Runs `bale ARGS` to completion and says how long it took.
fn timed(args: &[&str]) -> Duration {
    let start = Instant::now();
    bale_ok(args);
    start.elapsed()
}

/// Kills `bale ARGS` after `delay` (if it has not finished by then).
fn kill_after(args: &[&str], delay: Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bale"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}

/// The destination is absent or a complete bale (or program holding one).
fn assert_whole(path: &Path, what: &str) {
    if !path.exists() {
        return;
    }
    let bytes = std::fs::read(path).unwrap();
    let bale = match bale_format::embed::find(&bytes).unwrap() {
        Some(embedded) => embedded.bale(&bytes).to_vec(),
        None => bytes,
    };
    let opened = bale_format::Bale::open(bale.as_slice()).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(opened.verify().is_empty(), "{what}: a damaged file at the destination");
}

/// Temporary files of `name` left in `dir`.
fn leftovers(dir: &Path, name: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&format!(".{name}.")))
        .collect()
}

/// Kills `args` (writing `out`) at KILLS random moments within a full run's time.
fn kill_repeatedly(args: &[&str], out: &Path, seed: u64) {
    let full = timed(args);
    eprintln!("a full run of bale {}: {full:?}", args[0]);
    std::fs::remove_file(out).unwrap();
    let mut random = Lcg(seed);
    for i in 0..KILLS {
        let delay = full.mul_f64(random.next_fraction() * 1.2);
        kill_after(args, delay);
        assert_whole(out, &format!("kill {i} after {delay:?}"));
    }
    // A run to the end cleans up what the killed runs left, and leaves a whole file.
    bale_ok(args);
    assert_whole(out, "the last run");
    let name = out.file_name().unwrap().to_string_lossy();
    assert_eq!(leftovers(out.parent().unwrap(), &name), Vec::<PathBuf>::new());
}

#[test]
fn a_killed_pack_leaves_nothing_partial() {
    let dir = tempdir();
    let out = dir.path().join("tree.bale");
    // A tree of a few megabytes: a short pack that still has every phase to be killed
    // in (reading, compressing, writing, renaming).
    let input = dir.path().join("input");
    let mut random = Lcg(3);
    for i in 0..2000 {
        let text: String = (0..4000).map(|_| char::from(b'a' + (random.next_fraction() * 26.0) as u8)).collect();
        write(&input, &format!("pkg{}/m{i}.py", i % 20), format!("TEXT = {text:?}\n").as_bytes(), false);
    }
    let args = ["pack", s(&input), "-o", s(&out), "--compress", "zstd:9", "--content", "source", "-q"];
    kill_repeatedly(&args, &out, 7);
}

#[test]
fn a_killed_exe_leaves_nothing_partial() {
    let Some(runners) = std::env::var_os("BALE_RUNNERS") else {
        eprintln!("BALE_RUNNERS is not set: no runner to build programs on");
        return;
    };
    let dir = tempdir();
    let app = dir.path().join("app.py");
    std::fs::write(&app, "print('hi')\n").unwrap();
    let bale = dir.path().join("app.bale");
    bale_ok(&["pack", "-q", "--app", s(&app), "--stdlib", "used", "-o", s(&bale)]);
    let out = dir.path().join("app");
    let args = ["exe", s(&bale), "-o", s(&out), "--runner"];
    let target = bale_format::Bale::open(std::fs::read(&bale).unwrap()).unwrap().target().to_owned();
    let runner = PathBuf::from(runners).join(format!("bale-runner-{target}"));
    let args: Vec<&str> = args.iter().copied().chain([s(&runner)]).collect();
    kill_repeatedly(&args, &out, 11);
}
