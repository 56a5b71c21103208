//! Packing a real site-packages: pip installs real packages (rich, jinja2, certifi,
//! numpy with its bundled libraries) into a fresh virtual environment; the bale of its
//! site-packages verifies, extracts to the same files byte for byte, and the extracted
//! tree runs those packages.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A virtual environment with `tests/site-packages.txt` installed; returns its
/// site-packages folder.
fn install(dir: &Path) -> PathBuf {
    let venv = dir.join("venv");
    let ok = Command::new(python()).args(["-m", "venv"]).arg(&venv).status().unwrap();
    assert!(ok.success(), "python -m venv failed");
    let requirements = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/site-packages.txt");
    let out = Command::new(venv.join("bin/python"))
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--only-binary=:all:", "-r"])
        .arg(&requirements)
        .output()
        .unwrap();
    assert!(out.status.success(), "pip install failed (is PyPI reachable?):\n{}", String::from_utf8_lossy(&out.stderr));
    let version = python_eval("'%d.%d' % __import__('sys').version_info[:2]");
    venv.join(format!("lib/python{version}/site-packages"))
}

/// Real work with each package, run with only the stdlib and `root` on the path.
fn use_packages(root: &Path) {
    let code = r#"
import io, sys
import certifi, jinja2, numpy, rich
from rich.console import Console
from rich.table import Table
assert all(p.startswith(sys.argv[1]) for p in (certifi.__file__, jinja2.__file__, numpy.__file__, rich.__file__))
console = Console(file=io.StringIO(), width=60, color_system=None)
table = Table("name", "value")
table.add_row("pi", "3.14159")
console.print(table)
assert "3.14159" in console.file.getvalue()
template = jinja2.Environment(autoescape=True).from_string("<b>{{ who }}</b>")
assert template.render(who="<x>") == "<b>&lt;x&gt;</b>"
assert open(certifi.where()).read().count("BEGIN CERTIFICATE") > 100
a = numpy.arange(12.0).reshape(3, 4)
assert numpy.linalg.matrix_rank(a) == 2
print("ok", numpy.__version__)
"#;
    let out = Command::new(python()).args(["-S", "-c", code]).arg(root).env("PYTHONPATH", root).output().unwrap();
    assert!(out.status.success(), "packages failed from {}:\n{}", root.display(), String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok "));
}

#[test]
fn a_real_site_packages_packs_verifies_and_extracts_identically() {
    let dir = tempdir();
    let site = install(dir.path());
    let venv_python = dir.path().join("venv/bin/python");
    for (name, extra) in [("plain", vec![]), ("zstd-dict", vec!["--compress", "zstd:3", "--dictionary"])] {
        let out = dir.path().join(format!("{name}.bale"));
        let mut args = vec!["pack", s(&site), "-o", s(&out), "--python", s(&venv_python), "--quiet"];
        args.extend(extra);
        let table = bale_ok(&args);
        for package in ["rich", "jinja2", "certifi", "numpy", "numpy.libs", "total"] {
            assert!(table.lines().any(|l| l.starts_with(&format!("{package} "))), "{package} missing from:\n{table}");
        }
        bale_ok(&["verify", s(&out)]);
        let dest = dir.path().join(format!("{name}-out"));
        bale_ok(&["extract", s(&out), "-C", s(&dest)]);
        assert_same_tree(&site, &dest);
        use_packages(&dest);
    }
}
