//! `bale pack --app` on the real example apps (rich, jinja2, numpy and pandas) and on
//! small apps made here: detection, validation from the bale alone, the reduction
//! table, and bad input.
//!
//! The validation runs need the importer: `BALE_IMPORTER` (scripts/test.sh sets it),
//! or else it is built here once, into its own target folder.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;
use serde_json::Value;

/// The importer's extension module.
fn importer() -> &'static Path {
    static IMPORTER: OnceLock<PathBuf> = OnceLock::new();
    IMPORTER.get_or_init(|| {
        if let Some(path) = std::env::var_os("BALE_IMPORTER") {
            return PathBuf::from(path);
        }
        let target = workspace().join("target/importer-for-tests");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo)
            .args(["build", "-q", "-p", "bale-importer", "--features", "extension-module", "--target-dir"])
            .arg(&target)
            .current_dir(workspace())
            .status()
            .unwrap();
        assert!(ok.success(), "building the importer failed");
        target.join("debug/libbale.so")
    })
}

/// `bale pack --app ... --json`, with the importer for validation; the summary.
fn pack_app(args: &[&str]) -> (Value, std::process::Output) {
    let out = Command::new(env!("CARGO_BIN_EXE_bale"))
        .arg("pack")
        .args(args)
        .arg("--json")
        .env("BALE_IMPORTER", importer())
        .output()
        .unwrap();
    let summary = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (summary, out)
}

fn pack_app_ok(args: &[&str]) -> Value {
    let (summary, out) = pack_app(args);
    assert!(
        out.status.success(),
        "bale pack {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        serde_json::to_string_pretty(&summary["validation"]).unwrap()
    );
    summary
}

fn row<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["reduction"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .unwrap_or_else(|| panic!("no row {name} in {}", summary["reduction"]))
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

/// Checks what every validated app must show: every run the same from the bale, and
/// a bale smaller than what it replaces, holding a fraction of the files.
fn assert_validated_and_smaller(summary: &Value) {
    let validation = &summary["validation"];
    let runs = validation["runs"].as_array().unwrap();
    assert!(!runs.is_empty());
    for r in runs {
        assert!(r["same_exit"].as_bool().unwrap() && r["same_output"].as_bool().unwrap(), "{r}");
    }
    let total = &summary["reduction"]["total"];
    assert!(n(&total["after"]["packed"]) < n(&total["before"]["packed"]), "{total}");
    assert!(n(&total["after"]["files"]) < n(&total["before"]["files"]), "{total}");
    assert!(n(&summary["reduction"]["transfer"]["brotli"]) > 0);
}

/// Output of `python ARGS` in the example venv, for comparison with the bale's.
fn run_in_venv(args: &[&str]) -> Vec<u8> {
    let out = Command::new(venv().join("bin/python")).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn bale_run(bale: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bale"))
        .arg("run")
        .arg(bale)
        .args(args)
        .env("BALE_IMPORTER", importer())
        .output()
        .unwrap()
}

#[test]
fn rich_report_from_requirements_with_several_runs() {
    let dir = tempdir();
    let out = dir.path().join("report.bale");
    let requirements = example("rich-report/requirements.txt");
    let script = example("rich-report/report.py");
    let summary = pack_app_ok(&[
        "--app",
        &script,
        "-r",
        &requirements,
        "-o",
        s(&out),
        "--run",
        "--section table --width 60",
        "--run",
        "--section code",
        "--validate",
        "--rest",
    ]);
    assert_validated_and_smaller(&summary);
    assert_eq!(summary["validation"]["runs"].as_array().unwrap().len(), 2);
    for name in ["rich", "pygments", "markdown-it-py"] {
        let r = row(&summary, name);
        assert!(n(&r["after"]["py"]) > 0 && n(&r["after"]["py"]) <= n(&r["before"]["py"]), "{r}");
    }
    // pygments: only the lexer and style the runs used, not all ~600 modules.
    let pygments = row(&summary, "pygments");
    assert!(n(&pygments["after"]["py"]) * 4 < n(&pygments["before"]["py"]), "{pygments}");
    // The bale records how the app starts, and runs it with arguments it was not
    // traced with, the same as python.
    assert_eq!(summary["entry"], "report.py");
    let inspected = bale_ok(&["inspect", s(&out)]);
    assert!(inspected.contains("entry point: script report.py"), "{inspected}");
    assert!(inspected.contains(&format!("written by bale {}", env!("CARGO_PKG_VERSION"))), "{inspected}");
    let ran = bale_run(&out, &["--", "--section", "notes", "--width", "70"]);
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    assert_eq!(ran.stdout, run_in_venv(&[&script, "--section", "notes", "--width", "70"]));

    // A path no run took (a lexer imported by a computed name, a snippet chosen at run
    // time, a plugin found by its entry point) comes from the rest bale, the same as
    // python, and its misses are recorded...
    let appendix = ["--section", "table", "--appendix", "go"];
    let misses = dir.path().join("misses.json");
    let ran = Command::new(env!("CARGO_BIN_EXE_bale"))
        .args(["run", s(&out), "--"])
        .args(appendix)
        .env("BALE_IMPORTER", importer())
        .env("BALE_MISSES", &misses)
        .output()
        .unwrap();
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    let mut expected = vec![script.as_str()];
    expected.extend(appendix);
    assert_eq!(String::from_utf8_lossy(&ran.stdout), String::from_utf8_lossy(&run_in_venv(&expected)));
    let recorded = std::fs::read_to_string(&misses).unwrap();
    for missed in ["pygments/lexers/go.py", "snippets/hello.go", "report_extras.py", "entry_points.txt"] {
        assert!(recorded.contains(missed), "{missed} not in {recorded}");
    }
    // ...for the next pack to fold in: its bale alone then runs that path.
    let again = dir.path().join("again.bale");
    let include = misses.display().to_string();
    pack_app_ok(&["--app", &script, "-r", &requirements, "-o", s(&again), "--include-from", &include]);
    let ran = bale_run(&again, &[&["--"][..], &appendix[..]].concat());
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    assert_eq!(String::from_utf8_lossy(&ran.stdout), String::from_utf8_lossy(&run_in_venv(&expected)));
}

#[test]
fn jinja_site_reads_templates_and_pages_by_path_and_loads_markupsafe_speedups() {
    let dir = tempdir();
    let out = dir.path().join("site.bale");
    let venv = venv().display().to_string();
    let summary = pack_app_ok(&[
        "--app",
        &example("jinja-site"),
        "-m",
        "jinja_site",
        "--venv",
        &venv,
        "-o",
        s(&out),
        "--validate",
    ]);
    assert_validated_and_smaller(&summary);
    let listing = bale_ok(&["inspect", s(&out), "--json"]);
    let markupsafe = row(&summary, "markupsafe");
    assert_eq!(n(&markupsafe["after"]["so"]), 1, "{markupsafe}");
    let app = row(&summary, "app");
    // The package's modules, both templates and both pages, none of requirements.txt.
    assert_eq!(n(&app["after"]["files"]), 6, "{app}\n{listing}");
    let ran = bale_run(&out, &["--", "about"]);
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    let page = String::from_utf8(ran.stdout).unwrap();
    assert!(page.contains("&lt;one file&gt; holding Jinja2 &amp; MarkupSafe"), "{page}");
    assert!(!page.contains("Welcome"), "{page}");
}

#[test]
fn numbers_with_numpy_pandas_and_their_shared_libraries() {
    let dir = tempdir();
    let out = dir.path().join("numbers.bale");
    let venv = venv().display().to_string();
    let summary = pack_app_ok(&[
        "--app",
        &example("numbers/analyse.py"),
        "--venv",
        &venv,
        "-o",
        s(&out),
        "--run",
        "",
        "--run",
        "--station Oslo",
        "--validate",
    ]);
    assert_validated_and_smaller(&summary);
    let numpy = row(&summary, "numpy");
    // Extension modules and the bundled OpenBLAS (numpy.libs) that the run loaded.
    assert!(n(&numpy["after"]["so"]) >= 2, "{numpy}");
    assert!(n(&numpy["after"]["so"]) < n(&numpy["before"]["so"]), "{numpy}");
    assert!(n(&row(&summary, "pandas")["after"]["so"]) > 0);
    // Distributions pandas needs at run time came along; the unused ones did not.
    assert!(n(&row(&summary, "pytz")["after"]["files"]) > 0);
    let unused: Vec<&str> =
        summary["reduction"]["unused"].as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
    assert!(unused.contains(&"rich"), "{unused:?}");
    assert!(
        summary["reduction"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"].as_str().is_some_and(|n| n.ends_with("distributions not used")))
    );
    let ran = bale_run(&out, &["analyse.py", "--", "--station", "Cairo"]);
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    assert_eq!(ran.stdout, run_in_venv(&[&example("numbers/analyse.py"), "--station", "Cairo"]));
}

/// An app folder with a helper imported only by a function the run does not call.
fn lazy_app(root: &Path) {
    write(root, "tool.py", b"import sys\n\ndef unused():\n    import helper\n    import csv\n    return helper\n\nprint('tool', sys.argv[1:])\n", false);
    write(root, "helper.py", b"VALUE = 1\n", false);
    write(root, "notes.txt", b"not code\n", false);
}

#[test]
fn static_analysis_adds_what_the_runs_did_not_reach() {
    let dir = tempdir();
    let app = dir.path().join("app");
    lazy_app(&app);
    let tool = app.join("tool.py");
    let runtime = pack_app_ok(&["--app", s(&tool), "-o", s(&dir.path().join("a.bale")), "--detect", "runtime"]);
    assert_eq!(n(&row(&runtime, "app")["after"]["files"]), 1);
    let both = pack_app_ok(&["--app", s(&tool), "-o", s(&dir.path().join("b.bale")), "--stdlib", "used"]);
    assert_eq!(n(&row(&both, "app")["after"]["files"]), 2, "{}", row(&both, "app"));
    let listing = bale_ok(&["inspect", s(&dir.path().join("b.bale")), "--json"]);
    assert!(listing.contains("\"csv\""), "csv (stdlib, imported in the unused function) missing:\n{listing}");
}

#[test]
fn the_stdlib_can_come_from_the_bale() {
    let dir = tempdir();
    let app = dir.path().join("app");
    let code = "import json, sys, textwrap, decimal\n\
                print(json.dumps(textwrap.wrap('a b c', 3)), decimal.Decimal('1.10') * 3)\n\
                if sys.argv[1:] == ['where']:\n    print(json.__file__, sys.path)\n";
    write(&app, "main.py", code.as_bytes(), false);
    let out = dir.path().join("app.bale");
    let summary = pack_app_ok(&["--app", s(&app.join("main.py")), "-o", s(&out), "--stdlib", "used", "--validate"]);
    let stdlib = row(&summary, "stdlib");
    assert!(stdlib["carried"].as_bool().unwrap());
    // `decimal` needs the `_decimal` extension module from lib-dynload.
    assert!(n(&stdlib["after"]["so"]) >= 1, "{stdlib}");
    assert!(n(&stdlib["after"]["py"]) * 5 < n(&stdlib["before"]["py"]), "{stdlib}");
    let ran = bale_run(&out, &["main.py"]);
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "[\"a b\", \"c\"] 3.30\n");
    // From the bale, with nothing else on sys.path.
    let ran = bale_run(&out, &["main.py", "--", "where"]);
    let stdout = String::from_utf8_lossy(&ran.stdout);
    assert!(stdout.ends_with(&format!("{}/json/__init__.py ['{}']\n", out.display(), out.display())), "{stdout}");
}

#[test]
fn validation_names_what_is_missing_and_the_include_that_adds_it() {
    let dir = tempdir();
    let app = dir.path().join("app");
    write(
        &app,
        "main.py",
        b"import os\nimport helper\nprint(open(os.path.join(os.path.dirname(__file__), 'data.txt')).read())\n",
        false,
    );
    write(&app, "helper.py", b"X = 1\n", false);
    write(&app, "data.txt", b"payload\n", false);
    let out = dir.path().join("app.bale");
    let main = app.join("main.py");
    let (summary, ran) =
        pack_app(&["--app", s(&main), "-o", s(&out), "--exclude", "helper.py", "--exclude", "data.txt", "--validate"]);
    assert_eq!(ran.status.code(), Some(1), "{}", String::from_utf8_lossy(&ran.stderr));
    let missing = summary["validation"]["missing"].to_string();
    assert!(missing.contains("module helper") && missing.contains("\"include\":\"helper.py\""), "{missing}");
    // With the module back, the data file is what is missing next.
    let (summary, _) = pack_app(&["--app", s(&main), "-o", s(&out), "--exclude", "data.txt", "--validate"]);
    let missing = summary["validation"]["missing"].to_string();
    assert!(missing.contains("file data.txt") && missing.contains("\"include\":\"data.txt\""), "{missing}");
    pack_app_ok(&["--app", s(&main), "-o", s(&out), "--validate"]);
}

#[test]
fn strip_docstrings_keeps_line_numbers_and_asserts() {
    let dir = tempdir();
    let app = dir.path().join("app");
    let source = br#""""Module
doc."""
import sys

def f():
    """Only a docstring."""

class C:
    """Class
    doc."""
    def m(self):
        '''m'''
        assert sys.argv[1:] == ['go'], 'asserts stay'
        raise ValueError('line 14')

print(__doc__, f.__doc__, f())
try:
    C().m()
except AssertionError as e:
    print('assert:', e)
"#;
    write(&app, "main.py", source, false);
    let out = dir.path().join("app.bale");
    let main = app.join("main.py");
    // The app prints docstrings, so the bale's output differs: validation says where.
    let (summary, ran) = pack_app(&["--app", s(&main), "-o", s(&out), "--strip-docstrings", "--validate"]);
    assert_eq!(ran.status.code(), Some(1));
    let difference = summary["validation"]["runs"][0]["difference"].as_str().unwrap();
    assert!(difference.contains("traced: Module") && difference.contains("bale:   None None None"), "{difference}");
    let stripped = &summary["stripped_docstrings"];
    assert!(n(&stripped["after"]) < n(&stripped["before"]), "{stripped}");
    // The docstrings are gone, the assert is not.
    let ran = bale_run(&out, &["main.py"]);
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "None None None\nassert: asserts stay\n");
    // With `go` the assert passes and the raise on line 14 is reported there, with
    // its source line from the bale.
    let ran = bale_run(&out, &["main.py", "--", "go"]);
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert_eq!(ran.status.code(), Some(1));
    assert!(stderr.contains("main.py\", line 14, in m") && stderr.contains("raise ValueError('line 14')"), "{stderr}");
}

#[test]
fn an_app_that_fails_while_traced_writes_nothing() {
    let dir = tempdir();
    let app = dir.path().join("bad.py");
    write(dir.path(), "bad.py", b"import sys\nsys.stderr.write('cannot find the config\\n')\nsys.exit(3)\n", false);
    let out = dir.path().join("bad.bale");
    let (_, ran) = pack_app(&["--app", s(&app), "-o", s(&out)]);
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert_eq!(ran.status.code(), Some(1));
    assert!(stderr.contains("exit code 3") && stderr.contains("cannot find the config"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn bad_requirements_and_outputs_fail_clearly_before_work() {
    let dir = tempdir();
    write(dir.path(), "app.py", b"print(1)\n", false);
    write(dir.path(), "req.txt", b"this-package-does-not-exist-bale==0.0.1\n", false);
    let app = dir.path().join("app.py");
    let out = dir.path().join("x.bale");
    let stderr = bale_fails(&["pack", "--app", s(&app), "-r", s(&dir.path().join("req.txt")), "-o", s(&out)], 1);
    assert!(
        stderr.contains("cannot install the requirements") && stderr.contains("this-package-does-not-exist-bale"),
        "{stderr}"
    );
    assert!(!out.exists());
    let stderr = bale_fails(&["pack", "--app", s(&app), "-o", "/nonexistent/folder/x.bale"], 1);
    assert!(stderr.contains("/nonexistent/folder"), "{stderr}");
    let stderr = bale_fails(&["pack", "--app", s(&dir.path().join("missing.py")), "-o", s(&out)], 1);
    assert!(stderr.contains("missing.py"), "{stderr}");
    let stderr = bale_fails(&["pack", "--app", s(dir.path()), "-o", s(&out)], 1);
    assert!(stderr.contains("__main__.py"), "{stderr}");
    bale_fails(&["pack", s(dir.path()), "-o", s(&out), "--validate"], 1);
}

#[test]
fn a_script_packed_as_bytecode_only_runs_from_its_bytecode() {
    let dir = tempdir();
    let app = dir.path().join("app");
    write(&app, "main.py", b"import sys\nprint('ran', __name__, sys.argv[1:])\n", false);
    let out = dir.path().join("app.bale");
    let summary =
        pack_app_ok(&["--app", s(&app.join("main.py")), "-o", s(&out), "--content", "bytecode", "--validate"]);
    assert_eq!(summary["validation"]["runs"][0]["same_output"], true, "{summary}");
    let ran = bale_run(&out, &["main.py", "--", "x"]);
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "ran __main__ ['x']\n");
}

/// `bale pack ARGS --json` without validation (no importer needed): the summary and
/// the output.
fn pack_json(args: &[&str]) -> (Value, std::process::Output) {
    let out = Command::new(env!("CARGO_BIN_EXE_bale")).arg("pack").args(args).arg("--json").output().unwrap();
    (serde_json::from_slice(&out.stdout).unwrap_or(Value::Null), out)
}

#[test]
fn rest_holds_what_the_run_did_not_use_and_include_from_moves_a_miss_into_the_bale() {
    let dir = tempdir();
    let app = dir.path().join("app");
    // `extra` is imported only when named on the command line: no run here names it,
    // and static analysis cannot see it.
    let main = b"import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\nprint('ok')\n";
    write(&app, "main.py", main, false);
    write(&app, "extra.py", b"print('extra')\n", false);
    // An empty site-packages: the rest is the app's folder alone (--stdlib none).
    let venv = dir.path().join("venv");
    let made = Command::new(python()).args(["-m", "venv", "--without-pip"]).arg(&venv).status().unwrap();
    assert!(made.success());
    // The bale goes into the app's folder: neither it nor its rest bale is packed.
    let out = app.join("app.bale");
    let rest_path = app.join("app.rest.bale");
    let script = app.join("main.py");
    let args = ["--app", s(&script), "--venv", s(&venv), "-o", s(&out), "--rest"];

    let (summary, ran) = pack_json(&args);
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    let rest = &summary["rest"];
    assert_eq!(rest["path"], s(&rest_path), "{summary}");
    assert_eq!(n(&rest["files"]), 1, "{rest}");
    assert_eq!(n(&rest["size"]), std::fs::metadata(&rest_path).unwrap().len());
    assert!(n(&rest["index"]) > 256 && n(&rest["index"]) < n(&rest["size"]), "{rest}");
    let bale = bale_format::Bale::open_path(&out).unwrap();
    let rest = bale_format::Bale::open_path(&rest_path).unwrap();
    assert!(bale.module("extra").unwrap().is_none() && bale.file("main.py").unwrap().is_some());
    assert!(rest.module("extra").unwrap().is_some() && rest.file("extra.py").unwrap().is_some());
    assert!(rest.file("main.py").unwrap().is_none() && rest.module("__main__").unwrap().is_none());
    assert_eq!(bale.rest().unwrap(), Some(("app.rest.bale", rest.header().header_hash)));
    assert_eq!((rest.rest().unwrap(), rest.entry_point().unwrap()), (None, None));
    assert!(rest.dictionary_bytes().unwrap().is_none(), "the rest bale has no dictionary");
    drop((bale, rest));

    // What a bale lacked when it ran, as the importer writes it: into the bale.
    let misses = dir.path().join("misses.json");
    let text = serde_json::json!({ "bale": s(&out), "misses": [
        { "module": "extra", "path": "extra.py" },
        { "module": null, "path": "nowhere/x.txt" },
    ]});
    std::fs::write(&misses, text.to_string()).unwrap();
    let (summary, ran) = pack_json(&[&args[..], &["--include-from", s(&misses)]].concat());
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(ran.status.success(), "{stderr}");
    assert!(stderr.contains("nowhere/x.txt") && stderr.contains("in no import root"), "{stderr}");
    assert_eq!(n(&summary["rest"]["files"]), 0, "{summary}");
    let bale = bale_format::Bale::open_path(&out).unwrap();
    let rest = bale_format::Bale::open_path(&rest_path).unwrap();
    assert!(bale.module("extra").unwrap().is_some() && rest.module("extra").unwrap().is_none());
    assert_eq!(bale.rest().unwrap(), Some(("app.rest.bale", rest.header().header_hash)));

    // A misses file that does not parse is named, before any work.
    std::fs::write(&misses, "{\"misses\": [{\"module\": \"x\"}").unwrap();
    let stderr = bale_fails(&[&["pack"][..], &args, &["--include-from", s(&misses)]].concat(), 1);
    assert!(stderr.contains(s(&misses)) && stderr.contains("not a misses file"), "{stderr}");
    let stderr = bale_fails(&["pack", s(&app), "-o", s(&out), "--rest", "--include-from", s(&misses)], 1);
    assert!(stderr.contains("--rest, --include-from need --app or -m"), "{stderr}");
}

/// An app folder as users have it: the app, a folder of notes it reads, a link to
/// that folder (`ln -s notes notes-link`), a helper no run imports, and its virtual
/// environment inside (`.venv`, whose `lib64` links to `lib`). The script.
fn app_with_venv_and_link(root: &Path) -> PathBuf {
    let main = b"import os\nprint(open(os.path.join(os.path.dirname(__file__), 'notes', 'a.txt')).read().strip())\n";
    write(root, "main.py", main, false);
    write(root, "helper.py", b"VALUE = 1\n", false);
    write(root, "notes/a.txt", b"noted\n", false);
    std::os::unix::fs::symlink("notes", root.join("notes-link")).unwrap();
    let made = Command::new(python()).args(["-m", "venv", "--without-pip"]).arg(root.join(".venv")).status().unwrap();
    assert!(made.success());
    assert!(root.join(".venv/lib64").is_symlink(), "python -m venv made no lib64 link");
    root.join("main.py")
}

/// The paths a bale holds files at.
fn files_of(bale: &Path) -> Vec<String> {
    let bale = bale_format::Bale::open_path(bale).unwrap();
    bale.files().map(|f| f.unwrap().path.to_owned()).collect()
}

/// What [`app_with_venv_and_link`] packs to: its own three files, in the bale or the
/// rest bale, and nothing of the venv or through the link.
fn assert_only_the_apps_files(summary: &Value, bale: &Path, rest: &Path) {
    let app = row(summary, "app");
    assert_eq!(n(&app["before"]["files"]), 3, "{app}");
    let packed = files_of(bale);
    let rest = files_of(rest);
    for rel in ["main.py", "notes/a.txt"] {
        assert!(packed.iter().any(|p| p == rel), "{rel} not in the bale: {packed:?}");
    }
    assert!(rest.iter().any(|p| p == "helper.py"), "helper.py not in the rest bale: {rest:?}");
    let stray: Vec<&String> =
        packed.iter().chain(&rest).filter(|p| p.starts_with(".venv") || p.starts_with("notes-link")).collect();
    assert!(stray.is_empty(), "packed from the venv or through the link: {stray:?}");
}

#[test]
fn a_venv_and_a_linked_folder_in_the_app_folder_are_not_the_apps_files() {
    let dir = tempdir();
    let app = dir.path().join("app");
    let main = app_with_venv_and_link(&app);
    // The venv inside the folder is the app's environment, as it most often is.
    let out = dir.path().join("app.bale");
    let venv = app.join(".venv");
    let summary = pack_app_ok(&["--app", s(&main), "--venv", s(&venv), "-o", s(&out), "--validate", "--rest"]);
    assert_only_the_apps_files(&summary, &out, &dir.path().join("app.rest.bale"));
}

/// Pyodide and the importer built for it: `BALE_PYODIDE` (the `pyodide` npm package's
/// folder) and `BALE_PYODIDE_IMPORTER` (scripts/build-pyodide.sh's first line).
/// Without them a test that needs Pyodide says so and passes.
fn pyodide() -> Option<[PathBuf; 2]> {
    let found = ["BALE_PYODIDE", "BALE_PYODIDE_IMPORTER"].map(|v| std::env::var_os(v).map(PathBuf::from));
    match found {
        [Some(pyodide), Some(importer)] => Some([pyodide, importer]),
        _ => {
            eprintln!("skipped: set BALE_PYODIDE and BALE_PYODIDE_IMPORTER to run it");
            None
        }
    }
}

#[test]
fn a_venv_and_a_linked_folder_in_the_app_folder_are_not_the_apps_files_in_pyodide() {
    let Some([pyodide, importer]) = pyodide() else { return };
    let dir = tempdir();
    let app = dir.path().join("app");
    let main = app_with_venv_and_link(&app);
    let out = dir.path().join("app.bale.zst");
    let (summary, ran) = pack_app(&[
        "--app",
        s(&main),
        "--target",
        "pyodide",
        "--pyodide",
        s(&pyodide),
        "--importer",
        s(&importer),
        "--stdlib",
        "none",
        "-o",
        s(&out),
        "--validate",
        "--rest",
    ]);
    assert!(ran.status.success(), "{}\n{summary}", String::from_utf8_lossy(&ran.stderr));
    assert!(summary["web_timing_ms"]["wheels"].is_object(), "the start without a bale was not timed: {summary}");
    assert_only_the_apps_files(&summary, &out, &dir.path().join("app.rest.bale"));
}

#[test]
fn a_pack_that_fails_after_writing_leaves_nothing_behind() {
    let dir = tempdir();
    let app = dir.path().join("app");
    let main = app_with_venv_and_link(&app);
    // An interpreter without the importer: validation cannot start, once the bale and
    // its rest bale are written.
    let bare = dir.path().join("bare");
    let made = Command::new(python()).args(["-m", "venv", "--without-pip"]).arg(&bare).status().unwrap();
    assert!(made.success());
    let out = app.join("app.bale");
    let ran = Command::new(env!("CARGO_BIN_EXE_bale"))
        .args(["pack", "--app", s(&main), "--python", s(&bare.join("bin/python")), "--validate", "--rest", "-o"])
        .arg(&out)
        .env_remove("BALE_IMPORTER")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert_eq!(ran.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("importer is not installed"), "{stderr}");
    let mut left: Vec<String> =
        std::fs::read_dir(&app).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    left.sort();
    assert_eq!(left, [".venv", "helper.py", "main.py", "notes", "notes-link"]);
}

#[test]
fn the_reduction_table_is_the_same_wherever_the_bale_is_written() {
    let dir = tempdir();
    let app = dir.path().join("app");
    lazy_app(&app);
    let tool = app.join("tool.py");
    // An empty site-packages: quicker to measure.
    let venv = dir.path().join("venv");
    let made = Command::new(python()).args(["-m", "venv", "--without-pip"]).arg(&venv).status().unwrap();
    assert!(made.success());
    let table = |out: &Path| {
        let (summary, ran) = pack_json(&["--app", s(&tool), "--venv", s(&venv), "--detect", "runtime", "-o", s(out)]);
        assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
        (row(&summary, "app").clone(), summary["reduction"]["total"]["before"].clone())
    };
    let outside = table(&dir.path().join("app.bale"));
    assert_eq!(n(&outside.0["before"]["files"]), 3, "{}", outside.0);
    // Into the app's folder (README's own command), and again with a bale there, and
    // a framed one (its own table differs: its entries are not compressed twice).
    assert_eq!(table(&app.join("app.bale")), outside);
    table(&app.join("other.bale.zst"));
    assert_eq!(table(&app.join("app.bale")), outside);
}

#[test]
fn bale_run_of_a_damaged_bale_exits_3_in_one_line_before_the_app_starts() {
    let dir = tempdir();
    let app = dir.path().join("app");
    write(&app, "main.py", b"print('ran')\n", false);
    let out = dir.path().join("app.bale");
    let (_, packed) = pack_json(&["--app", s(&app.join("main.py")), "-o", s(&out)]);
    assert!(packed.status.success(), "{}", String::from_utf8_lossy(&packed.stderr));
    let mut bytes = std::fs::read(&out).unwrap();
    let first = bale_format::Bale::open(&bytes[..]).unwrap().payload(bale_format::PayloadId(0)).unwrap();
    bytes[first.offset as usize + first.stored_size as usize / 2] ^= 0x55;
    std::fs::write(&out, &bytes).unwrap();
    let ran = bale_run(&out, &[]);
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert_eq!(ran.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("payload 0: checksum mismatch") && !stderr.contains("Traceback"), "{stderr}");
    assert!(ran.stdout.is_empty(), "nothing ran");
}

#[test]
fn the_pack_summary_names_the_size_on_disk_and_decoded() {
    let dir = tempdir();
    let app = dir.path().join("app");
    write(&app, "main.py", &b"print('ran')\n".repeat(400), false);
    for name in ["app.bale", "app.bale.zst"] {
        let out = dir.path().join(name);
        let packed = Command::new(env!("CARGO_BIN_EXE_bale"))
            .args(["pack", "-q", "--app", s(&app.join("main.py")), "-o", s(&out)])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&packed.stdout);
        assert!(packed.status.success(), "{}", String::from_utf8_lossy(&packed.stderr));
        let on_disk = std::fs::metadata(&out).unwrap().len();
        let decoded = bale_format::Bale::open_path(&out).unwrap().bytes().len() as u64;
        let line = text.lines().find(|l| l.starts_with("the bale file:")).unwrap_or_else(|| panic!("{text}"));
        assert!(line.contains(&format!("{} on disk", human(on_disk))), "{line}");
        assert!(line.contains("gzip -9") && line.contains("brotli -9"), "{line}");
        if name.ends_with(".zst") {
            assert!(on_disk < decoded);
            assert!(line.contains(&format!("{} decoded", human(decoded))), "{line}");
        } else {
            assert_eq!(on_disk, decoded);
            assert!(!line.contains("decoded"), "{line}");
        }
    }
}

/// A size as the command writes it for people (up to a MiB).
fn human(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        _ => format!("{:.1} KiB", bytes as f64 / 1024.0),
    }
}
