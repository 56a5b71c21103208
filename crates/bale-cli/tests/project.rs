//! `[tool.bale]` in a project's `pyproject.toml`, read by `bale pack` and `bale exe`
//! run in the project's folder (or below it), as a user runs them.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// `bale ARGS` run in `folder`.
fn bale_in(folder: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bale")).current_dir(folder).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A project: an import root `src/` and a `pyproject.toml` holding `tool`.
fn project(tool: &str) -> tempfile::TempDir {
    let dir = tempdir();
    fixture(&dir.path().join("src"));
    std::fs::write(dir.path().join("pyproject.toml"), format!("[project]\nname = \"demo\"\n\n{tool}")).unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    dir
}

#[test]
fn bale_pack_alone_packs_as_the_project_says_from_any_folder_of_it() {
    let dir = project("[tool.bale]\ninputs = [\"src\"]\noutput = \"dist/demo.bale\"\ncontent = \"source\"\n");
    std::fs::create_dir(dir.path().join("dist")).unwrap();
    // From a folder below the project: paths are the file's, not the working folder's.
    let out = bale_in(&dir.path().join("docs"), &["pack", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bale = dir.path().join("dist/demo.bale");
    let inspected: serde_json::Value = serde_json::from_str(&bale_ok(&["inspect", "--json", s(&bale)])).unwrap();
    assert_eq!(inspected["payloads"]["by_kind"]["bytecode"], serde_json::Value::Null, "content = source: {inspected}");
}

#[test]
fn a_flag_wins_over_the_file() {
    let dir = project("[tool.bale]\ninputs = [\"src\"]\noutput = \"from-file.bale\"\ncontent = \"source\"\n");
    let out = bale_in(dir.path(), &["pack", "-o", "from-flag.bale"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("from-flag.bale").is_file());
    assert!(!dir.path().join("from-file.bale").exists());
}

#[test]
fn an_unknown_key_is_refused_with_its_name_and_nothing_is_written() {
    let dir = project("[tool.bale]\ninputs = [\"src\"]\noutptu = \"demo.bale\"\n");
    let out = bale_in(dir.path(), &["pack", "-o", "demo.bale"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("outptu") && stderr(&out).contains("pyproject.toml"), "{}", stderr(&out));
    assert!(!dir.path().join("demo.bale").exists());
    // --no-config reads no file; --config names one.
    let out = bale_in(dir.path(), &["pack", "src", "--content", "source", "-o", "demo.bale", "--no-config"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let elsewhere = tempdir();
    let out = bale_in(elsewhere.path(), &["pack", "--config", s(&dir.path().join("pyproject.toml"))]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn without_a_project_or_flags_the_missing_argument_is_named() {
    let dir = tempdir();
    let out = bale_in(dir.path(), &["pack", "src"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("-o OUT.bale"), "{}", stderr(&out));
    let out = bale_in(dir.path(), &["exe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no bale"), "{}", stderr(&out));
}

#[test]
fn bale_exe_takes_the_bale_the_project_packs() {
    let dir = project(
        "[tool.bale]\ninputs = [\"src\"]\noutput = \"demo.bale\"\ncontent = \"source\"\n\n[tool.bale.exe]\noutput = \"demo\"\n",
    );
    let out = bale_in(dir.path(), &["pack"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The bale has no standard library, so no program is made: the refusal names the
    // bale the project's settings chose.
    let out = bale_in(dir.path(), &["exe"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("demo.bale"), "{}", stderr(&out));
}
