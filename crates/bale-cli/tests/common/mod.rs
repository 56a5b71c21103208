//! Helpers for the command-line tests: running `bale`, building input trees, and
//! comparing an extracted tree with its original.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn bale(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bale")).args(args).output().expect("run bale")
}

/// Runs `bale`, expecting success, and returns its stdout.
pub fn bale_ok(args: &[&str]) -> String {
    let out = bale(args);
    assert!(out.status.success(), "bale {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `bale`, expecting exit code `code`, and returns its stderr.
pub fn bale_fails(args: &[&str], code: i32) -> String {
    let out = bale(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "bale {args:?}: stderr:\n{stderr}");
    stderr
}

pub fn python() -> String {
    std::env::var("BALE_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Asks the test interpreter a question.
pub fn python_eval(expr: &str) -> String {
    let out = Command::new(python()).args(["-c", &format!("print({expr})")]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Runs `code` in the test interpreter with only `root` added to the import path.
pub fn python_in(root: &Path, code: &str) -> String {
    let out = Command::new(python())
        .args(["-c", code])
        .env("PYTHONPATH", root)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "python failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

pub fn write(root: &Path, rel: &str, content: &[u8], executable: bool) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    set_mode(&path, if executable { 0o755 } else { 0o644 });
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A small import root with one of everything the packer must tell apart.
pub fn fixture(root: &Path) {
    let ext = python_eval("__import__('importlib.machinery').machinery.EXTENSION_SUFFIXES[0]");
    let files: Vec<(String, &[u8], bool)> = vec![
        ("app/__init__.py".into(), b"from app.core import run\nVERSION = '1.0'\n", false),
        ("app/core.py".into(), b"def run():\n    return 'ran'\n", false),
        ("app/broken.py".into(), b"def oops(:\n    pass\n", false),
        ("app/data/config.json".into(), b"{\"answer\": 42}\n", false),
        ("app/templates/page.html".into(), b"<p>{{ name }}</p>\n", false),
        ("app/py.typed".into(), b"", false),
        (format!("app/_speed{ext}"), b"\x7fELF not a real extension", true),
        ("nsp/plugin.py".into(), b"NAME = 'plugin'\n", false),
        ("top.py".into(), b"import app\nprint('top', app.run())\n", false),
        ("app-1.0.dist-info/METADATA".into(), b"Metadata-Version: 2.1\nName: app\nVersion: 1.0\n", false),
        ("app-1.0.dist-info/entry_points.txt".into(), b"[console_scripts]\napp = app:run\n", false),
        ("app.libs/libfake-1234.so.1".into(), b"\x7fELF fake library", true),
        ("bin/tool".into(), b"#!/bin/sh\necho tool\n", true),
        ("données/é.txt".into(), "unicode names ✓\n".as_bytes(), false),
    ];
    for (rel, content, exec) in files {
        write(root, &rel, content, exec);
    }
    // A sourceless module, compiled by the interpreter the tests pack for.
    write(root, "legacy_src.py", b"LEGACY = True\n", false);
    let out = Command::new(python())
        .args(["-c", "import py_compile,sys; py_compile.compile(sys.argv[1], sys.argv[2], doraise=True)"])
        .arg(root.join("legacy_src.py"))
        .arg(root.join("legacy.pyc"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_file(root.join("legacy_src.py")).unwrap();
}

/// Every file under `root` (skipping `__pycache__`), with its bytes and executable bit.
pub fn tree(root: &Path) -> BTreeMap<String, (Vec<u8>, bool)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(root).unwrap().to_str().unwrap().to_owned();
        if rel.split('/').any(|c| c == "__pycache__") {
            continue;
        }
        let exec = entry.metadata().unwrap().permissions().mode() & 0o111 != 0;
        out.insert(rel, (std::fs::read(entry.path()).unwrap(), exec));
    }
    out
}

/// Asserts that `extracted` holds every file of `original`, byte for byte and with
/// the same executable bit, and nothing else.
pub fn assert_same_tree(original: &Path, extracted: &Path) {
    let a = tree(original);
    let b = tree(extracted);
    let only_a: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let only_b: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    assert!(only_a.is_empty() && only_b.is_empty(), "missing after extract: {only_a:?}; extra: {only_b:?}");
    for (path, (content, exec)) in &a {
        let (c2, e2) = &b[path];
        assert!(content == c2, "{path}: content differs");
        assert_eq!(exec, e2, "{path}: executable bit differs");
    }
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("bale-test.").tempdir().unwrap()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

pub fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../format-spec/vectors")
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

pub fn example(rel: &str) -> String {
    workspace().join("examples").join(rel).display().to_string()
}

/// One virtual environment with every example's requirements, made once.
pub fn venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let venv = workspace().join("target/app-tests/venv");
        let python = venv.join("bin/python");
        if !python.exists() {
            let ok = Command::new(self::python()).args(["-m", "venv"]).arg(&venv).status().unwrap();
            assert!(ok.success(), "python -m venv failed");
        }
        let mut pip = Command::new(&python);
        pip.args(["-m", "pip", "install", "-q", "--disable-pip-version-check", "--only-binary=:all:"]);
        for app in ["rich-report", "jinja-site", "numbers"] {
            pip.arg("-r").arg(example(&format!("{app}/requirements.txt")));
        }
        let out = pip.output().unwrap();
        assert!(out.status.success(), "pip install failed:\n{}", String::from_utf8_lossy(&out.stderr));
        venv
    })
}

/// The folder of `bale exe`'s runners, with one for the test Python: `BALE_RUNNERS`
/// (scripts/test.sh sets it), or else built here once by `scripts/build-runners.sh`.
pub fn runners() -> &'static Path {
    static RUNNERS: OnceLock<PathBuf> = OnceLock::new();
    RUNNERS.get_or_init(|| {
        if let Some(dir) = std::env::var_os("BALE_RUNNERS") {
            return PathBuf::from(dir);
        }
        let version = python_eval("'%d.%d' % __import__('sys').version_info[:2]");
        let out = Command::new(workspace().join("scripts/build-runners.sh")).arg(&version).output().unwrap();
        assert!(out.status.success(), "building the runner failed:\n{}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// `bale exe ARGS`, with the runners the tests build.
pub fn bale_exe(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bale")).arg("exe").args(args).env("BALE_RUNNERS", runners()).output().unwrap()
}
