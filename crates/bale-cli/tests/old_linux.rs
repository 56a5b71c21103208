//! Programs made by `bale exe` on this machine run on every x86-64 Linux from glibc
//! 2.28 on: the runners and the native code of a program need no newer glibc (a
//! symbol-version check), and programs of the examples run in a Debian 11 root
//! (glibc 2.31, no Python, an empty environment) with the same output as here.
//!
//! The root is `BALE_OLD_ROOT`, or else made once by `scripts/debian-root.sh bullseye`
//! (cached outside the checkout).

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use bale_glibc::{FLOOR, newest};
use common::*;

/// A Debian 11 root.
fn old_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        if let Some(dir) = std::env::var_os("BALE_OLD_ROOT") {
            return PathBuf::from(dir);
        }
        let out = Command::new(workspace().join("scripts/debian-root.sh")).arg("bullseye").output().unwrap();
        assert!(out.status.success(), "making the Debian 11 root failed:\n{}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// Runs `program` inside the old root, as its only file from here, with no
/// environment but PATH and a UTF-8 locale (`/proc` mounted, as every system has it).
fn run_in_old_root(program: &Path, args: &[&str]) -> Output {
    let root = old_root();
    let inside = tempfile::Builder::new().prefix("bale-test-").tempdir_in(root.join("tmp")).unwrap();
    let name = program.file_name().unwrap().to_str().unwrap();
    std::fs::copy(program, inside.path().join(name)).unwrap();
    let folder = Path::new("/tmp").join(inside.path().file_name().unwrap());
    let script = r#"root=$1 folder=$2; shift 2; mount -t proc proc "$root/proc" && exec chroot "$root" \
        /usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/root /bin/sh -c 'cd "$0" && exec "$@"' "$folder" "$@""#;
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", script, "sh"])
        .arg(root)
        .arg(&folder)
        .arg(format!("./{name}"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("unshare and chroot (util-linux, coreutils) run the program in the root");
    drop(inside);
    out
}

fn text(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Packs an app with the standard library for the test Python and makes a program.
fn program(dir: &Path, name: &str, pack: &[&str], entry: &str) -> PathBuf {
    let bale = dir.join(format!("{name}.bale"));
    let python = venv().join("bin/python");
    let mut args = vec!["pack", "-q", "--stdlib", "used", "--python", s(&python), "-o", s(&bale)];
    args.extend(pack);
    bale_ok(&args);
    let program = dir.join(name);
    let out = bale_exe(&[s(&bale), "-o", s(&program), "--entry", entry]);
    assert!(out.status.success(), "bale exe failed:\n{}", String::from_utf8_lossy(&out.stderr));
    program
}

/// What the program prints here, which it must print there too.
fn here(program: &Path, args: &[&str]) -> String {
    text(&Command::new(program).args(args).current_dir(program.parent().unwrap()).output().unwrap())
}

#[test]
fn runners_need_no_glibc_newer_than_the_floor() {
    let mut checked = 0;
    for entry in std::fs::read_dir(runners()).unwrap() {
        let path = entry.unwrap().path();
        if !path.file_name().unwrap().to_string_lossy().starts_with("bale-runner-") {
            continue;
        }
        let needs = newest(&std::fs::read(&path).unwrap()).unwrap();
        assert!(needs.is_some_and(|v| v <= FLOOR), "{} needs glibc {needs:?}", path.display());
        checked += 1;
    }
    assert!(checked > 0, "no runner in {}", runners().display());
}

#[test]
fn programs_run_on_debian_11_as_here() {
    let dir = tempdir();
    let programs = [
        program(dir.path(), "batteries", &["--app", &example("batteries/batteries.py")], "batteries"),
        program(dir.path(), "hello", &["--app", &example("hello"), "-m", "hello"], "hello"),
        program(dir.path(), "numbers", &["--app", &example("numbers/analyse.py"), "--venv", s(venv())], "analyse"),
    ];
    for program in &programs {
        // The native code inside the program is at the floor too.
        let bytes = std::fs::read(program).unwrap();
        let embedded = bale_format::embed::find(&bytes).unwrap().unwrap();
        let bale = bale_format::Bale::open(embedded.bale(&bytes)).unwrap();
        let needs = bale_pack::portable::newest_glibc(&bale).unwrap();
        assert!(needs.is_none_or(|v| v <= FLOOR), "{}: its native code needs glibc {needs:?}", program.display());

        let expected = here(program, &[]);
        assert_eq!(text(&run_in_old_root(program, &[])), expected, "{} on Debian 11", program.display());
    }
}

/// What `command` prints, run inside the Debian sid root (scripts/in-root.sh), where
/// CPython 3.14 and 3.15 are.
fn in_sid(command: &[&str]) -> String {
    text(&Command::new(workspace().join("scripts/in-root.sh")).arg("sid").args(command).output().unwrap())
}

#[test]
fn programs_for_the_newest_pythons_run_on_debian_11_as_their_python_runs_the_app() {
    let mut checked = 0;
    for version in ["3.14", "3.15"] {
        let runner = runners().join(format!("bale-runner-cpython-{version}-x86_64-linux-gnu"));
        if !runner.is_file() {
            continue;
        }
        // Under /tmp, which the sid root shares.
        let dir = tempfile::Builder::new().prefix("bale-newest-").tempdir_in("/tmp").unwrap();
        let app = example("batteries/batteries.py");
        let python = format!("/usr/bin/python{version}");
        let expected = in_sid(&[&python, &app]);
        let bale = dir.path().join("batteries.bale");
        in_sid(&[
            env!("CARGO_BIN_EXE_bale"),
            "pack",
            "-q",
            "--app",
            &app,
            "--python",
            &python,
            "--stdlib",
            "used",
            "-o",
            s(&bale),
        ]);
        let program = dir.path().join("batteries");
        let out = bale_exe(&[s(&bale), "-o", s(&program), "--runner", s(&runner)]);
        assert!(out.status.success(), "bale exe failed:\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(expected.contains(&format!("python {version}")), "{expected}");
        assert_eq!(text(&run_in_old_root(&program, &[])), expected, "CPython {version}'s program on Debian 11");
        checked += 1;
    }
    assert!(checked > 0, "no runner for CPython 3.14 or 3.15 in {}", runners().display());
}
