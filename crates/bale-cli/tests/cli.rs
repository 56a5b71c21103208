//! `bale pack`, `inspect`, `verify` and `extract`, run as a user runs them.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn inspect_json(bale: &Path) -> Value {
    serde_json::from_str(&bale_ok(&["inspect", "--json", s(bale)])).unwrap()
}

#[test]
fn pack_verify_extract_gives_back_every_file() {
    let dir = tempdir();
    let root = dir.path().join("site");
    fixture(&root);
    for (name, extra) in [
        ("plain", vec![]),
        ("zstd", vec!["--compress", "zstd:5"]),
        ("dict", vec!["--compress", "zstd:19", "--dictionary", "4096"]),
    ] {
        let out = dir.path().join(format!("{name}.bale"));
        let mut args = vec!["pack", s(&root), "-o", s(&out)];
        args.extend(extra);
        let stdout = bale_ok(&args);
        assert!(stdout.contains("did not compile"), "app/broken.py must be reported:\n{stdout}");
        bale_ok(&["verify", s(&out)]);
        let dest = dir.path().join(format!("{name}-out"));
        bale_ok(&["extract", s(&out), "-C", s(&dest)]);
        assert_same_tree(&root, &dest);
        // The bytecode is written where CPython looks for it, and it imports.
        let tag = python_eval("__import__('sys').implementation.cache_tag");
        assert!(dest.join(format!("app/__pycache__/core.{tag}.pyc")).is_file());
        assert!(!dest.join(format!("app/__pycache__/broken.{tag}.pyc")).exists());
        let got = python_in(&dest, "import top, nsp.plugin, legacy; print(nsp.plugin.NAME, legacy.LEGACY)");
        assert_eq!(got, "top ran\nplugin True\n");
    }
}

#[test]
fn a_framed_bale_is_smaller_and_reads_as_the_bale_it_holds() {
    let dir = tempdir();
    let root = dir.path().join("site");
    fixture(&root);
    let plain = dir.path().join("app.bale");
    let framed = dir.path().join("app.bale.zst");
    bale_ok(&["pack", s(&root), "-o", s(&plain)]);
    bale_ok(&["pack", s(&root), "-o", s(&framed)]);
    let bytes = std::fs::read(&framed).unwrap();
    assert_eq!(bytes[..4], [0x28, 0xB5, 0x2F, 0xFD], "a zstd frame");
    assert!(bytes.len() < std::fs::metadata(&plain).unwrap().len() as usize / 2);
    // The frame holds exactly the bale packed plainly.
    assert_eq!(zstd::decode_all(&bytes[..]).unwrap(), std::fs::read(&plain).unwrap());
    bale_ok(&["verify", s(&framed)]);
    assert_eq!(inspect_json(&framed)["modules"], inspect_json(&plain)["modules"]);
    let dest = dir.path().join("out");
    bale_ok(&["extract", s(&framed), "-C", s(&dest)]);
    assert_same_tree(&root, &dest);
    // Damage anywhere in the frame is caught before anything is read.
    let mut damaged = bytes.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x55;
    let bad = dir.path().join("bad.bale.zst");
    std::fs::write(&bad, &damaged).unwrap();
    let stderr = bale_fails(&["verify", s(&bad)], 3);
    assert!(stderr.contains("zstd frame"), "{stderr}");
    std::fs::write(&bad, &bytes[..bytes.len() - 7]).unwrap();
    let stderr = bale_fails(&["inspect", s(&bad)], 3);
    assert!(stderr.contains("zstd frame: truncated"), "{stderr}");
}

#[test]
fn inspect_reports_kinds_packages_and_target() {
    let dir = tempdir();
    let root = dir.path().join("site");
    fixture(&root);
    let out = dir.path().join("a.bale");
    bale_ok(&["pack", s(&root), "-o", s(&out)]);
    let r = inspect_json(&out);
    let version = python_eval("'%d.%d' % __import__('sys').version_info[:2]");
    assert!(r["target"].as_str().unwrap().starts_with(&format!("cpython-{version}-")), "{r}");
    let m = &r["modules"];
    // app, app.core, app.broken, app._speed, app.data, app.templates, nsp, nsp.plugin,
    // top, legacy, and the folders bin and données: named like identifiers, so the path
    // finder imports them as namespace packages too.
    assert_eq!(m["total"], 12, "{m}");
    assert_eq!(m["namespace_packages"], 5, "app.data, app.templates, nsp, bin, données: {m}");
    assert_eq!(m["extensions"], 1);
    assert_eq!(m["with_bytecode"], 5, "app, core, nsp.plugin, top, legacy (sourceless), not broken: {m}");
    let kinds: Vec<(&str, u64)> = r["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["name"].as_str().unwrap(), k["files"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("bytecode", 5), ("extension", 1), ("metadata", 2), ("resource", 5), ("shared-library", 1), ("source", 5)]
    );
    let text = bale_ok(&["inspect", s(&out)]);
    assert!(text.contains("modules: 12 (6 packages, 5 namespace)"), "{text}");

    // Into a pipe nobody reads any more, as after `| head -1`: the command ends by
    // SIGPIPE, quietly, as any Unix tool does.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let piped = std::process::Command::new(env!("CARGO_BIN_EXE_bale"))
        .args(["inspect", s(&out)])
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    use std::os::unix::process::ExitStatusExt;
    const SIGPIPE: i32 = 13;
    assert_eq!(piped.status.signal(), Some(SIGPIPE), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn content_modes() {
    let dir = tempdir();
    let root = dir.path().join("site");
    fixture(&root);

    let bytecode = dir.path().join("bytecode.bale");
    bale_ok(&["pack", s(&root), "-o", s(&bytecode), "--content", "bytecode"]);
    let m = inspect_json(&bytecode)["modules"].clone();
    assert_eq!(m["with_source"], 1, "only the module that does not compile keeps its source: {m}");
    let dest = dir.path().join("bytecode-out");
    bale_ok(&["extract", s(&bytecode), "-C", s(&dest)]);
    assert!(dest.join("app/core.pyc").is_file() && !dest.join("app/core.py").exists());
    assert!(dest.join("app/broken.py").is_file());
    assert_eq!(python_in(&dest, "import app; print(app.run())"), "ran\n");

    let source = dir.path().join("source.bale");
    bale_ok(&["pack", s(&root), "-o", s(&source), "--content", "source"]);
    assert_eq!(inspect_json(&source)["modules"]["with_bytecode"], 1, "the sourceless module keeps its bytecode");

    // A tree with no native code packed as source is for any Python.
    let pure = dir.path().join("pure");
    write(&pure, "p/__init__.py", b"X = 1\n", false);
    let out = dir.path().join("pure.bale");
    bale_ok(&["pack", s(&pure), "-o", s(&out), "--content", "source"]);
    assert_eq!(inspect_json(&out)["target"], "any");
}

#[test]
fn include_and_exclude() {
    let dir = tempdir();
    let root = dir.path().join("site");
    fixture(&root);
    let out = dir.path().join("a.bale");
    let stdout = bale_ok(&[
        "pack",
        s(&root),
        "-o",
        s(&out),
        "--include",
        "app",
        "--exclude",
        "*.json",
        "--exclude",
        "app/templates",
    ]);
    assert!(stdout.contains("left out by --include/--exclude"), "{stdout}");
    let dest = dir.path().join("out");
    bale_ok(&["extract", s(&out), "-C", s(&dest)]);
    let files: Vec<String> = tree(&dest).into_keys().collect();
    assert!(files.iter().all(|f| f.starts_with("app/")), "{files:?}");
    assert!(files.contains(&"app/core.py".to_owned()));
    assert!(!files.iter().any(|f| f.ends_with(".json") || f.starts_with("app/templates")), "{files:?}");
}

#[test]
fn wheels_are_packed_as_installed() {
    use std::io::Write;
    let dir = tempdir();
    let wheel = dir.path().join("demo-1.0-py3-none-any.whl");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&wheel).unwrap());
    let opts = zip::write::SimpleFileOptions::default().unix_permissions(0o644);
    for (name, content) in [
        ("demo/__init__.py", "VALUE = 7\n"),
        ("demo-1.0.data/purelib/demo_extra.py", "EXTRA = 1\n"),
        ("demo-1.0.data/scripts/demo-cli", "#!python\n"),
        ("demo-1.0.dist-info/METADATA", "Name: demo\nVersion: 1.0\n"),
    ] {
        zip.start_file(name, opts).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    let out = dir.path().join("w.bale");
    let result = bale(&["pack", s(&wheel), "-o", s(&out)]);
    assert!(result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains("left out 1 file"), "the script is reported");
    let dest = dir.path().join("out");
    bale_ok(&["extract", s(&out), "-C", s(&dest)]);
    let files: Vec<String> = tree(&dest).into_keys().collect();
    assert_eq!(files, ["demo-1.0.dist-info/METADATA", "demo/__init__.py", "demo_extra.py"]);
    assert_eq!(python_in(&dest, "import demo, demo_extra; print(demo.VALUE + demo_extra.EXTRA)"), "8\n");
}

#[test]
fn pack_json_summarizes() {
    let dir = tempdir();
    let root = dir.path().join("site");
    fixture(&root);
    let out = dir.path().join("a.bale");
    let v: Value = serde_json::from_str(&bale_ok(&["pack", s(&root), "-o", s(&out), "--json"])).unwrap();
    assert_eq!(v["modules"], 12);
    assert_eq!(v["compile_failures"].as_array().unwrap().len(), 1);
    assert_eq!(v["bale"]["size"].as_u64().unwrap(), std::fs::metadata(&out).unwrap().len());
    assert!(v["input"]["by_package"]["app"]["files"].as_u64().unwrap() >= 7);
}

// ---- bad input ----

#[test]
fn names_that_escape_are_refused_at_pack() {
    use std::io::Write;
    let dir = tempdir();
    for evil in ["../evil.py", "/abs.py", "a/../../x.py", "a\\..\\x.py", "ok/./x.py"] {
        let wheel = dir.path().join("evil-1.0-py3-none-any.whl");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&wheel).unwrap());
        zip.start_file(evil, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(b"x = 1\n").unwrap();
        zip.finish().unwrap();
        let out = dir.path().join("evil.bale");
        let stderr = bale_fails(&["pack", s(&wheel), "-o", s(&out)], 1);
        assert!(stderr.contains("invalid name"), "{evil}: {stderr}");
        assert!(!out.exists(), "nothing written for {evil}");
    }
    // A backslash is a legal file name on Linux, and a separator on Windows.
    let root = dir.path().join("tricky");
    write(&root, "pkg/..\\..\\x.py", b"", false);
    let out = dir.path().join("tricky.bale");
    let stderr = bale_fails(&["pack", s(&root), "-o", s(&out)], 1);
    assert!(stderr.contains("backslash"), "{stderr}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!leftovers.iter().any(|n| n.to_string_lossy().ends_with(".tmp")), "{leftovers:?}");
}

#[test]
fn an_unwritable_output_fails_before_any_work() {
    let dir = tempdir();
    let root = dir.path().join("site");
    fixture(&root);
    let missing = dir.path().join("no/such/folder/a.bale");
    let stderr = bale_fails(&["pack", s(&root), "-o", s(&missing)], 1);
    assert!(stderr.contains("cannot write"), "{stderr}");
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    set_mode(&locked, 0o555);
    let target = locked.join("a.bale");
    // An interpreter that does not exist: if the packer got as far as compiling, the
    // error would name it instead.
    let out = bale(&["pack", s(&root), "-o", s(&target), "--python", "/nonexistent/python"]);
    set_mode(&locked, 0o755);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if nix_is_root() {
        // root writes anywhere; the interpreter error shows the order instead.
        assert!(stderr.contains("/nonexistent/python"), "{stderr}");
    } else {
        assert!(stderr.contains("cannot write"), "{stderr}");
    }
    assert!(!out.status.success());
    let dir_as_output = dir.path().join("site");
    assert!(bale_fails(&["pack", s(&root), "-o", s(&dir_as_output)], 1).contains("folder"));
}

fn nix_is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

#[test]
fn missing_inputs_and_bad_options_are_reported() {
    let dir = tempdir();
    let out = dir.path().join("a.bale");
    let stderr = bale_fails(&["pack", "/no/such/input", "-o", s(&out)], 1);
    assert!(stderr.contains("/no/such/input"), "{stderr}");
    bale_fails(&["pack", "x", "-o", s(&out), "--compress", "zstd:99"], 2);
    bale_fails(&["pack", "x", "-o", s(&out), "--compress", "brotli"], 2);
    let stderr = bale_fails(&["pack", s(dir.path()), "-o", s(&out), "--dictionary"], 1);
    assert!(stderr.contains("--dictionary needs --compress zstd"), "{stderr}");
    let stderr = bale_fails(&["pack", s(dir.path()), "-o", s(&out), "--python", "/nonexistent/python"], 1);
    assert!(stderr.contains("/nonexistent/python"), "{stderr}");
    let stderr = bale_fails(&["verify", "/no/such.bale"], 1);
    assert!(stderr.contains("/no/such.bale"), "{stderr}");
    let stderr = bale_fails(&["inspect", s(dir.path())], 1);
    assert!(stderr.contains("not a regular file"), "{stderr}");
    // A Python bale cannot be packed for: refused before any work.
    if let Ok(old) = which_python("3.9") {
        let stderr = bale_fails(&["pack", s(dir.path()), "-o", s(&out), "--python", &old], 1);
        assert!(stderr.contains("Python 3.9 is too old: bale packs for CPython 3.10 and later"), "{stderr}");
    }
}

/// A pyenv CPython of `version`, if the machine has one.
fn which_python(version: &str) -> Result<String, ()> {
    let home = std::env::var("HOME").map_err(|_| ())?;
    let versions = std::fs::read_dir(format!("{home}/.pyenv/versions")).map_err(|_| ())?;
    versions
        .flatten()
        .map(|e| e.path().join(format!("bin/python{version}")))
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
        .ok_or(())
}

#[test]
fn run_without_an_entry_point_names_the_choices_in_one_line() {
    let dir = tempdir();
    write(dir.path(), "tool.py", b"print('tool')\n", false);
    let out = dir.path().join("tool.bale");
    bale_ok(&["pack", s(dir.path()), "-o", s(&out), "--content", "source"]);
    assert!(!bale_ok(&["inspect", s(&out)]).contains("entry point"));
    let stderr = bale_fails(&["run", s(&out)], 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("records no entry point") && stderr.contains("-m MODULE"), "{stderr}");
    assert!(stderr.contains("--entry MODULE:FUNC") && !stderr.contains("Traceback"), "{stderr}");
    let stderr = bale_fails(&["run", s(&out), "--entry", "tool:"], 2);
    assert!(stderr.contains("expected MODULE or MODULE:FUNCTION"), "{stderr}");
    let stderr = bale_fails(&["run", s(&out), "-m", "absent"], 2);
    assert!(stderr.contains("no module absent"), "{stderr}");
}

#[test]
fn damaged_bales_exit_3_and_name_the_entry() {
    let v = vectors();
    let stderr = bale_fails(&["verify", s(&v.join("corrupt-payload.bale"))], 3);
    assert!(stderr.contains("greet/data/messages.txt: corrupt bale: payload"), "{stderr}");
    let stderr = bale_fails(&["verify", s(&v.join("truncated.bale"))], 3);
    assert!(stderr.contains("truncated bale: 1914 bytes, the header says 1915"), "{stderr}");
    let stderr = bale_fails(&["inspect", s(&v.join("corrupt-header.bale"))], 3);
    assert!(stderr.contains("header checksum mismatch"), "{stderr}");
    let stderr = bale_fails(&["verify", s(&v.join("zstd-size-mismatch.bale"))], 3);
    assert!(stderr.contains("zstd frame declares"), "{stderr}");
    // Not damaged, just not readable here.
    let stderr = bale_fails(&["inspect", s(&v.join("version-2.bale"))], 1);
    assert!(stderr.contains("version 2.0 is not supported"), "{stderr}");
    let stderr = bale_fails(&["verify", s(&v.join("bad-magic.bale"))], 1);
    assert!(stderr.contains("not a bale"), "{stderr}");
}

#[test]
fn every_flipped_byte_of_a_packed_bale_fails_verify() {
    let dir = tempdir();
    let root = dir.path().join("site");
    write(&root, "m/__init__.py", b"A = 1\n", false);
    write(&root, "m/d.txt", b"data", false);
    let good = dir.path().join("good.bale");
    bale_ok(&["pack", s(&root), "-o", s(&good), "--compress", "zstd"]);
    let bytes = std::fs::read(&good).unwrap();
    let bad = dir.path().join("bad.bale");
    // Every byte of the index and payloads; stride through the rest of the padding.
    for i in (0..bytes.len()).step_by(if bytes.len() > 4096 { 3 } else { 1 }) {
        let mut b = bytes.clone();
        b[i] ^= 0x55;
        std::fs::write(&bad, &b).unwrap();
        let out = bale(&["verify", s(&bad)]);
        assert!(!out.status.success(), "flip at {i} of {} passed verify", bytes.len());
    }
}

#[test]
fn extract_refuses_escaping_names_and_writes_nothing() {
    let dir = tempdir();
    let dest = dir.path().join("out");
    let stderr = bale_fails(&["extract", s(&vectors().join("escaping-name.bale")), "-C", s(&dest)], 3);
    assert!(stderr.contains("../evil"), "{stderr}");
    assert!(!dest.exists());
    assert!(!dir.path().join("evil").exists());
    let stderr = bale_fails(&["extract", s(&vectors().join("corrupt-payload.bale")), "-C", s(&dest)], 3);
    assert!(stderr.contains("nothing extracted"), "{stderr}");
    assert!(!dest.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no staging folder left behind");
}

#[test]
fn extract_into_an_existing_folder() {
    let dir = tempdir();
    let bale_path = vectors().join("basic.bale");
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    // Through a symbolic link: refused.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dest.join("greet")).unwrap();
    let stderr = bale_fails(&["extract", s(&bale_path), "-C", s(&dest)], 1);
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    std::fs::remove_file(dest.join("greet")).unwrap();
    // Over an existing file: refused, then allowed with --force.
    write(&dest, "COPYING", b"mine", false);
    let stderr = bale_fails(&["extract", s(&bale_path), "-C", s(&dest)], 1);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(std::fs::read(dest.join("COPYING")).unwrap(), b"mine");
    bale_ok(&["extract", s(&bale_path), "-C", s(&dest), "--force"]);
    assert_eq!(std::fs::read(dest.join("COPYING")).unwrap(), b"Public domain.\n");
    assert!(dest.join("greet/data/messages.txt").is_file());
}

// ---- bales that cannot run here, damaged bales, entries a bale lacks ----

/// A bale written for `target`: one module, `app`, with its source (and, for a Python
/// build, bytecode that only has to start with a magic number), recorded as the entry.
fn bale_for(target: &str, path: &Path) {
    use bale_format::{EntryPoint, FileKind, ModuleSpec, WriteOptions, Writer};
    let mut w = Writer::new(target).unwrap();
    w.add_file("app.py", FileKind::Source, b"print('ran')\n".to_vec(), false).unwrap();
    let mut spec = ModuleSpec { source: Some("app.py".into()), ..Default::default() };
    if target != "any" {
        let magic = [0x2b, 0x0e, 0x0d, 0x0a];
        w.set_bytecode_magic(magic);
        spec.bytecode = Some([&magic[..], &[0; 12], b"not really marshalled code"].concat());
    }
    w.add_module("app", spec).unwrap();
    w.set_entry_point(EntryPoint::Module("app".into()));
    let mut out = std::io::Cursor::new(Vec::new());
    w.write(&mut out, &WriteOptions::default()).unwrap();
    std::fs::write(path, out.into_inner()).unwrap();
}

/// `bale ARGS` with no runner to be found but in `runners` (an empty folder).
fn bale_without_runners(args: &[&str], runners: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_bale")).args(args).env("BALE_RUNNERS", runners).output().unwrap()
}

#[test]
fn a_bale_for_pyodide_or_another_platform_is_refused_before_anything_runs() {
    let dir = tempdir();
    let runners = dir.path().join("runners");
    std::fs::create_dir(&runners).unwrap();
    let program = dir.path().join("program");
    let other_arch = if std::env::consts::ARCH == "aarch64" { "x86_64" } else { "aarch64" };
    let other = format!("cpython-3.11-{other_arch}-linux-gnu");
    for (target, says) in [
        ("cpython-3.14-wasm32-emscripten", &["for Pyodide", "loadBale", "without --target pyodide"][..]),
        (&other, &[other.as_str(), "this machine", "pack it"][..]),
    ] {
        let bale = dir.path().join("app.bale");
        bale_for(target, &bale);
        // The interpreter does not exist: whatever tried to start it would say so.
        let stderr = bale_fails(&["run", s(&bale), "--python", "/nonexistent/python"], 1);
        let exe = bale_without_runners(&["exe", s(&bale), "-o", s(&program)], &runners);
        let exe_stderr = String::from_utf8_lossy(&exe.stderr);
        assert_eq!(exe.status.code(), Some(1), "{exe_stderr}");
        for stderr in [&stderr[..], &exe_stderr[..]] {
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            for said in says {
                assert!(stderr.contains(said), "{target}: {said:?} not in {stderr}");
            }
            assert!(!stderr.contains("/nonexistent/python") && !stderr.contains("Traceback"), "{stderr}");
            assert!(!stderr.contains("pip install") && !stderr.contains("runner"), "{stderr}");
        }
        assert!(!program.exists());
    }
    // A bale for any Python (source only) runs anywhere: it gets as far as the interpreter.
    let any = dir.path().join("any.bale");
    bale_for("any", &any);
    let stderr = bale_fails(&["run", s(&any), "--python", "/nonexistent/python"], 1);
    assert!(stderr.contains("/nonexistent/python"), "{stderr}");
}

#[test]
fn bale_run_of_a_damaged_bale_exits_3_before_running() {
    let dir = tempdir();
    let root = dir.path().join("site");
    write(&root, "app.py", b"print('ran')\n", false);
    let good = dir.path().join("good.bale");
    bale_ok(&["pack", s(&root), "-o", s(&good)]);
    let mut bytes = std::fs::read(&good).unwrap();
    let first = bale_format::Bale::open(&bytes[..]).unwrap().payload(bale_format::PayloadId(0)).unwrap();
    bytes[first.offset as usize] ^= 0x55;
    let bad = dir.path().join("bad.bale");
    std::fs::write(&bad, &bytes).unwrap();
    // Checked before the interpreter starts: a missing one is never reached.
    for args in [&["run", s(&bad), "app.py"][..], &["run", s(&bad)], &["run", s(&bad), "-m", "app"]] {
        let stderr = bale_fails(&[args, &["--python", "/nonexistent/python"]].concat(), 3);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("damaged") && stderr.contains("payload 0: checksum mismatch"), "{stderr}");
        assert!(!stderr.contains("/nonexistent/python"), "{stderr}");
    }
}

#[test]
fn damage_is_said_once_and_where_it_is() {
    let dir = tempdir();
    let runners = dir.path().join("runners");
    std::fs::create_dir(&runners).unwrap();
    let corrupt = vectors().join("corrupt-payload.bale");
    let out = bale_without_runners(&["exe", s(&corrupt), "-o", s(&dir.path().join("p"))], &runners);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(stderr.matches("checksum mismatch").count(), 1, "said once: {stderr}");
    assert!(stderr.contains("greet/data/messages.txt: corrupt bale: payload 6: checksum mismatch"), "{stderr}");
    let stderr = bale_fails(&["inspect", s(&vectors().join("corrupt-header.bale"))], 3);
    assert_eq!(stderr.matches("header checksum mismatch").count(), 1, "said once: {stderr}");

    // The body checksum fails for the payload verify names with it: the changed bytes
    // are inside a checked structure, not outside every one.
    let stderr = bale_fails(&["verify", s(&corrupt)], 3);
    assert!(stderr.contains("greet/data/messages.txt: corrupt bale: payload 6: checksum mismatch"), "{stderr}");
    assert!(stderr.contains("body checksum mismatch") && !stderr.contains("outside"), "{stderr}");
    // A byte of padding between two payloads: only the body checksum covers it.
    let basic = std::fs::read(vectors().join("basic.bale")).unwrap();
    let bale = bale_format::Bale::open(&basic[..]).unwrap();
    let payloads: Vec<_> =
        (0..bale.payload_count()).map(|i| bale.payload(bale_format::PayloadId(i)).unwrap()).collect();
    let gap = payloads
        .windows(2)
        .map(|p| p[0].offset + p[0].stored_size)
        .zip(payloads[1..].iter().map(|p| p.offset))
        .find(|(end, next)| end < next)
        .map(|(end, _)| end as usize)
        .unwrap();
    let mut padded = basic.clone();
    padded[gap] ^= 0x55;
    let path = dir.path().join("padding.bale");
    std::fs::write(&path, &padded).unwrap();
    let stderr = bale_fails(&["verify", s(&path)], 3);
    assert!(stderr.contains("body checksum mismatch: bytes outside every checked structure changed"), "{stderr}");
}

#[test]
fn an_entry_the_bale_lacks_exits_2_whatever_its_kind() {
    let dir = tempdir();
    let root = dir.path().join("site");
    write(&root, "tool.py", b"print('tool')\n", false);
    write(&root, "pkg/__init__.py", b"", false);
    let out = dir.path().join("tool.bale");
    bale_ok(&["pack", s(&root), "-o", s(&out), "--content", "source"]);
    for (args, says) in [
        (&["-m", "absent"][..], "no module absent in it"),
        (&["absent.py"], "no script absent.py in it"),
        (&["--entry", "absent:main"], "no module absent in it"),
        // A package runs as its __main__, which this one lacks.
        (&["-m", "pkg"], "no module pkg.__main__ in it"),
    ] {
        let stderr = bale_fails(&[&["run", s(&out)], args, &["--python", "/nonexistent/python"]].concat(), 2);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

// ---- sizes and counts that say what they measure ----

#[test]
fn counts_and_sizes_say_what_they_count() {
    let dir = tempdir();
    // The demo's bale: examples/hello, source and bytecode, zstd.
    let hello = dir.path().join("hello.bale");
    let packed = bale_ok(&["pack", &example("hello"), "-o", s(&hello), "--compress", "zstd:19"]);
    assert!(packed.contains("5 files from 1 input(s)") && packed.contains("3 compiled to bytecode"), "{packed}");
    // Why the bale is larger than its five small files.
    let larger = packed.lines().find(|l| l.contains("larger than its input")).unwrap_or_else(|| panic!("{packed}"));
    assert!(larger.contains("bytecode") && larger.contains("source") && larger.contains("index"), "{larger}");
    assert!(packed.contains(&format!("{} on disk", size_of(&hello))), "{packed}");
    let verified = bale_ok(&["verify", s(&hello)]);
    assert!(verified.contains("4 modules, 5 files and 2 folders, 8 payloads"), "{verified}");
    let inspected = bale_ok(&["inspect", s(&hello)]);
    assert!(inspected.lines().next().unwrap().contains(&format!("{} on disk", size_of(&hello))), "{inspected}");

    // A framed bale: the file on disk and the bale it decodes to, each named.
    let framed = dir.path().join("hello.bale.zst");
    let packed = bale_ok(&["pack", &example("hello"), "-o", s(&framed)]);
    let decoded = inspect_json(&framed)["file_size"].as_u64().unwrap();
    let on_disk = std::fs::metadata(&framed).unwrap().len();
    assert!(on_disk < decoded);
    let wrote = packed.lines().next().unwrap();
    assert!(wrote.contains(&format!("{} on disk", size_of(&framed))), "{wrote}");
    assert!(wrote.contains(&format!("{} decoded", human(decoded))), "{wrote}");
    let first = bale_ok(&["inspect", s(&framed)]).lines().next().unwrap().to_owned();
    assert!(first.contains(&format!("{} on disk", size_of(&framed))), "{first}");
    assert!(first.contains(&format!("{} decoded", human(decoded))), "{first}");
    assert_eq!(inspect_json(&framed)["file_size_on_disk"].as_u64(), Some(on_disk));
}

/// A file's size as the command writes it for people.
fn size_of(path: &Path) -> String {
    human(std::fs::metadata(path).unwrap().len())
}

/// A size as the command writes it for people (up to a MiB).
fn human(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        _ => format!("{:.1} KiB", bytes as f64 / 1024.0),
    }
}
