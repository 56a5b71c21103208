//! `bale run` runs a bale with an interpreter of the bale's Python build, whatever
//! `python3` is: found on PATH or among pyenv's, uv's and the system's Pythons; a
//! `--python` that cannot load the bale is refused naming both builds; and when none
//! is installed, the message says which Python is needed and how to give one.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

fn pyenv(version: &str) -> PathBuf {
    let versions = std::env::var_os("HOME").map(PathBuf::from).unwrap().join(".pyenv/versions");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&versions)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&format!("{version}.")))
        .map(|e| e.path().join("bin").join(format!("python{version}")))
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| panic!("CPython {version} from pyenv is needed"))
}

/// A bale of an app that prints the Python running it, packed for CPython 3.12; and a
/// folder whose `python3` is CPython 3.11.
fn setup(dir: &Path) -> (PathBuf, PathBuf) {
    write(dir, "app/main.py", b"import sys\nprint('%d.%d' % sys.version_info[:2])\n", false);
    let bale = dir.join("app.bale");
    let python = pyenv("3.12");
    bale_ok(&["pack", "-q", "--app", s(&dir.join("app/main.py")), "--python", s(&python), "-o", s(&bale)]);
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(pyenv("3.11"), bin.join("python3")).unwrap();
    (bale, bin)
}

fn run(bale: &Path, path: &str, home: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bale"))
        .args(["run", s(bale)])
        .args(extra)
        .env("PATH", path)
        .env("HOME", home)
        .env_remove("PYENV_ROOT")
        .output()
        .unwrap()
}

#[test]
fn bale_run_takes_an_interpreter_of_the_bales_python_not_python3() {
    let dir = tempdir();
    let (bale, bin) = setup(dir.path());
    let home = PathBuf::from(std::env::var_os("HOME").unwrap());
    let out = run(&bale, &format!("{}:/usr/bin:/bin", bin.display()), &home, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3.12\n");
}

#[test]
fn a_python_that_cannot_load_the_bale_is_refused_naming_both() {
    let dir = tempdir();
    let (bale, bin) = setup(dir.path());
    let out = run(&bale, "/usr/bin:/bin", dir.path(), &["--python", s(&bin.join("python3"))]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("cpython-3.12-x86_64-linux-gnu") && stderr.contains("cpython-3.11"), "{stderr}");
}

#[test]
fn without_a_python_of_the_bale_the_message_says_what_is_missing() {
    let dir = tempdir();
    let (bale, bin) = setup(dir.path());
    // No pyenv under this HOME, and only 3.11 on PATH.
    let out = run(&bale, &format!("{}:/bin", bin.display()), dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("no CPython 3.12 was found") && stderr.contains("--python"), "{stderr}");
    assert!(stderr.contains("runs cpython-3.11"), "names what it found instead: {stderr}");
}
