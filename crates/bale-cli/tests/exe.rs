//! `bale exe`: programs made of the example apps, copied alone into an empty folder
//! and run with a clean environment and the Python installation out of reach (a
//! mount namespace hides it under an empty tmpfs); how they behave next to `python`;
//! and damaged programs.
//!
//! The runner comes from `BALE_RUNNERS` (scripts/test.sh sets it), or else
//! `scripts/build-runners.sh` builds it here once, for the test Python.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use common::*;

/// The Python installation the venv comes from: what the programs must not need.
fn python_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| PathBuf::from(python_eval("__import__('sys').base_prefix")))
}

/// `bale pack --app` with the standard library, then `bale exe`; the program, copied
/// alone into a new empty folder.
fn program(dir: &Path, name: &str, pack: &[&str], entry: &str) -> PathBuf {
    program_with(dir, name, &venv().join("bin/python"), pack, entry)
}

/// [`program`] for the Python `python`.
fn program_with(dir: &Path, name: &str, python: &Path, pack: &[&str], entry: &str) -> PathBuf {
    let bale = dir.join(format!("{name}.bale"));
    let mut args = vec!["pack", "-q", "--stdlib", "used", "--python", s(python), "-o", s(&bale)];
    args.extend(pack);
    bale_ok(&args);
    let built = dir.join(format!("{name}-built"));
    let out = bale_exe(&[s(&bale), "-o", s(&built), "--entry", entry]);
    assert!(out.status.success(), "bale exe failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let alone = dir.join(format!("{name}-alone"));
    std::fs::create_dir(&alone).unwrap();
    let program = alone.join(name);
    std::fs::copy(&built, &program).unwrap();
    program
}

/// Runs `program` as a user on another machine would: no environment but PATH and a
/// UTF-8 locale, working in its own folder, and with the Python installation (and
/// the virtual environment) hidden under empty folders in a mount namespace.
fn run_isolated(program: &Path, args: &[&str]) -> Output {
    run_hiding(program, args, &[])
}

/// [`run_isolated`], hiding the folders `more` too.
fn run_hiding(program: &Path, args: &[&str], more: &[PathBuf]) -> Output {
    not_busy(|| isolated(program, args, more).stdin(Stdio::null()).output())
}

/// What `run` gives, run again while the system refuses a program this test process
/// has just written ("text file busy"): another test's thread may fork while the file
/// is still open for writing here, and its child keeps it open until it execs.
fn not_busy(mut run: impl FnMut() -> std::io::Result<Output>) -> Output {
    for _ in 0..200 {
        match run() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {}
            // The same, met by the shell of `unshare ... sh -c 'exec PROGRAM'`.
            Ok(out) if out.status.code() == Some(126) && String::from_utf8_lossy(&out.stderr).contains("busy") => {}
            result => return result.expect("the program runs"),
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the program stayed busy for 4 s")
}

/// The command [`run_hiding`] runs.
fn isolated(program: &Path, args: &[&str], more: &[PathBuf]) -> Command {
    let hidden = [python_home().to_owned(), venv().to_owned()];
    let hide: Vec<String> =
        hidden.iter().chain(more).map(|p| format!("mount -t tmpfs none '{}'", p.display())).collect();
    let script = format!("{} && exec \"$@\"", hide.join(" && "));
    let mut command = Command::new("unshare");
    command
        .args(["--mount", "--propagation", "private", "sh", "-c", &script, "sh"])
        .arg(program)
        .args(args)
        .current_dir(program.parent().unwrap())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LANG", "C.UTF-8");
    command
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn example_programs_run_alone_without_python() {
    let dir = tempdir();
    // The installation is really out of reach in that namespace.
    let probe = run_isolated(Path::new("/bin/ls"), &[s(python_home())]);
    assert_eq!(stdout(&probe), "", "{} is still visible", python_home().display());

    let hello = program(dir.path(), "hello", &["--app", &example("hello"), "-m", "hello"], "hello");
    assert_eq!(stdout(&run_isolated(&hello, &[])), "Hello, Ada!\nBonjour, Grace!\nHola, Guido!\n");

    let report =
        program(dir.path(), "report", &["--app", &example("rich-report/report.py"), "--venv", s(venv())], "report");
    let out = stdout(&run_isolated(&report, &["--section", "table", "--width", "60"]));
    assert!(out.contains("CPython releases") && out.contains("structural pattern matching"), "{out}");
    assert!(!out.contains("Release notes"), "--section table only:\n{out}");

    // MarkupSafe's C speed-ups: a third-party extension module, loaded from the bale.
    let site = program(
        dir.path(),
        "site",
        &["--app", &example("jinja-site"), "-m", "jinja_site", "--venv", s(venv())],
        "jinja_site",
    );
    let out = stdout(&run_isolated(&site, &[]));
    assert!(out.contains("<h1>"), "{out}");

    // numpy and pandas: extension modules and numpy's bundled OpenBLAS (numpy.libs),
    // all loaded from memory; the CSV read by path next to the script.
    let numbers =
        program(dir.path(), "numbers", &["--app", &example("numbers/analyse.py"), "--venv", s(venv())], "analyse");
    let out = stdout(&run_isolated(&numbers, &[]));
    assert!(out.contains("Cairo: +2.629 °C per 30 days from 14.61 °C"), "{out}");
}

/// A small app that reports what `python` would tell it, and exits as asked.
fn probe_app(root: &Path) {
    write(
        root,
        "probe.py",
        r#"import sys, time

def main():
    args = sys.argv[1:]
    if args[:1] == ["sleep"]:
        print("sleeping", flush=True)
        time.sleep(60)
    if args[:1] == ["fail"]:
        raise ValueError("failed on purpose")
    if args[:1] == ["stdin"]:
        print(sys.stdin.read().upper(), end="")
        return 0
    print("argv", sys.argv)
    print("executable", sys.executable)
    print("encoding", sys.stdout.encoding, sys.stdin.encoding)
    print("name", __name__, __file__)
    print("é ü 中")
    return int(args[0]) if args else 0

if __name__ == "__main__":
    sys.exit(main())
"#
        .as_bytes(),
        false,
    );
}

/// The probe app's program, made in `dir` (the app in `dir/app`).
fn probe_program(dir: &Path) -> PathBuf {
    let app = dir.join("app");
    probe_app(&app);
    program(dir, "probe", &["--app", s(&app.join("probe.py"))], "probe")
}

#[test]
fn a_program_behaves_like_python_running_the_app() {
    let dir = tempdir();
    let program = probe_program(dir.path());

    let out = run_isolated(&program, &["7", "ünï"]);
    assert_eq!(out.status.code(), Some(7), "exit code from sys.exit");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("argv ['{}', '7', 'ünï']", program.display())), "{text}");
    assert!(text.contains(&format!("executable {}\n", program.display())), "{text}");
    assert!(text.contains("encoding utf-8 utf-8"), "{text}");
    assert!(text.contains(&format!("name __main__ {}/probe.py", program.display())), "{text}");
    assert!(text.contains("é ü 中"), "{text}");

    // An uncaught exception: the traceback, with the app's source line, and exit 1.
    let out = run_isolated(&program, &["fail"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ValueError: failed on purpose"), "{stderr}");
    assert!(stderr.contains(r#"raise ValueError("failed on purpose")"#), "source line shown:\n{stderr}");

    // stdin, as a pipe.
    let mut child = Command::new(&program).arg("stdin").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), "piped ï\n".as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "PIPED Ï\n");

    // MODULE:FUNCTION: the function's return value is the exit code. And the bale
    // embedded as it was packed (zstd), not written again uncompressed: smaller.
    let built = dir.path().join("probe-main");
    let bale = dir.path().join("probe.bale");
    let ok = bale_exe(&[s(&bale), "-o", s(&built), "--entry", "probe:main", "--keep-compression"]).status;
    assert!(ok.success());
    assert_eq!(Command::new(&built).arg("5").output().unwrap().status.code(), Some(5));
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    assert!(size(&built) < size(&program), "kept compressed: {} against {}", size(&built), size(&program));
}

#[test]
fn ctrl_c_is_keyboard_interrupt_and_ends_the_program_as_python_does() {
    use std::io::BufRead;
    let dir = tempdir();
    let program = probe_program(dir.path());
    let mut command = Command::new(&program);
    command.arg("sleep").stdout(Stdio::piped()).stderr(Stdio::piped());
    // A shell starts a program in the foreground with SIGINT at its default; these
    // tests may run in a background job, where SIGINT is ignored, and Python keeps an
    // ignored SIGINT ignored. So the child gets the default, as from a shell.
    // SAFETY: runs in the forked child before exec; signal() is async-signal-safe.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, "sleeping\n");
    let ok = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("KeyboardInterrupt"), "{stderr}");
    // As `python`: it re-raises SIGINT on itself, so a shell sees 130.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(2), "{:?}", out.status);
}

#[test]
fn extension_modules_load_from_the_user_cache_or_with_native_memory_leave_nothing_on_disk() {
    let dir = tempdir();
    let site = program(
        dir.path(),
        "site",
        &["--app", &example("jinja-site"), "-m", "jinja_site", "--venv", s(venv())],
        "jinja_site",
    );
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let cache = dir.path().join("cache");
    let run = |program: &Path| {
        let out = Command::new(program)
            .env("TMPDIR", &tmp)
            .env("XDG_CACHE_HOME", &cache)
            .current_dir(program.parent().unwrap())
            .output()
            .unwrap();
        assert!(stdout(&out).contains("<h1>"));
        assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let cached = || -> Vec<(String, u64)> {
        let mut files: Vec<_> = std::fs::read_dir(cache.join("bale/native"))
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::os::unix::fs::MetadataExt::ino(&e.metadata().unwrap()),
                )
            })
            .collect();
        files.sort();
        files
    };
    // By default: written once into the user's cache, then loaded from there.
    run(&site);
    let first = cached();
    assert!(first.iter().any(|(name, _)| name.contains("markupsafe") || name.contains("_speedups")), "{first:?}");
    run(&site);
    assert_eq!(cached(), first, "the second run rewrote nothing");
    // With --native memory: nothing written anywhere, not even into the cache.
    std::fs::remove_dir_all(&cache).unwrap();
    let bale = dir.path().join("site.bale");
    let in_memory = dir.path().join("site-memory");
    let out = bale_exe(&[s(&bale), "-o", s(&in_memory), "--entry", "jinja_site", "--native", "memory"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    run(&in_memory);
    assert!(!cache.exists());
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(site.parent().unwrap()).unwrap().count(), 1);
}

#[test]
fn a_damaged_program_stops_at_start() {
    let dir = tempdir();
    let hello = program(dir.path(), "hello", &["--app", &example("hello"), "-m", "hello"], "hello");
    let bytes = std::fs::read(&hello).unwrap();
    let embedded = bale_format::embed::find(&bytes).unwrap().unwrap();
    // A byte in the middle of the bale, and one in the trailer.
    for at in [embedded.bale_offset as usize + embedded.bale_len as usize / 2, bytes.len() - 20] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x01;
        let path = dir.path().join(format!("damaged-{at}"));
        std::fs::write(&path, &damaged).unwrap();
        set_mode(&path, 0o755);
        let out = not_busy(|| Command::new(&path).output());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "flip at {at}: {stderr}");
        assert!(stderr.contains("is damaged") && stderr.contains("cannot run"), "{stderr}");
        assert!(out.stdout.is_empty(), "nothing ran");
    }
}

#[test]
fn bale_exe_refuses_what_cannot_make_a_program() {
    let dir = tempdir();
    let app = dir.path().join("app");
    probe_app(&app);
    // No standard library in the bale.
    let bare = dir.path().join("bare.bale");
    bale_ok(&["pack", "-q", "--app", s(&app.join("probe.py")), "-o", s(&bare)]);
    let out = bale_exe(&[s(&bare), "-o", s(&dir.path().join("p"))]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("carries no standard library") && stderr.contains("--stdlib used"), "{stderr}");

    let bale = dir.path().join("probe.bale");
    bale_ok(&["pack", "-q", "--app", s(&app.join("probe.py")), "--stdlib", "used", "-o", s(&bale)]);
    let p = dir.path().join("p");
    let exe = |args: &[&str]| bale_exe(&[&[s(&bale), "-o", s(&p)], args].concat());
    let out = exe(&["--entry", "nothere"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no module nothere"), "{out:?}");
    let out = exe(&["--entry", "probe:main:x"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = exe(&["--entry", "probe", "--runner", "/bin/ls"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a bale runner"), "{out:?}");
    let out = exe(&["--entry", "probe", "--runner", s(&dir.path().join("missing"))]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"), "{out:?}");
    assert!(!dir.path().join("p").exists(), "nothing written");

    // With no --entry, the program runs what the packer recorded: the script.
    let recorded = dir.path().join("recorded");
    let out = bale_exe(&[s(&bale), "-o", s(&recorded)]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("running probe.py"), "{out:?}");
    let ran = Command::new(&recorded).arg("3").output().unwrap();
    let text = String::from_utf8_lossy(&ran.stdout);
    assert_eq!(ran.status.code(), Some(3), "{ran:?}");
    assert!(text.contains(&format!("name __main__ {}/probe.py", recorded.display())), "{ran:?}");
}

/// Every Python the runners were built for (`BALE_RUNNER_PYTHONS`, set by
/// scripts/test.sh: pyenv's 3.10 to 3.13), or else the test Python: hello as a program
/// of each, run alone.
#[test]
fn a_program_for_each_python() {
    let dir = tempdir();
    let pythons = std::env::var("BALE_RUNNER_PYTHONS").unwrap_or_else(|_| python());
    for (i, python) in pythons.split_whitespace().enumerate() {
        let hello = program_with(
            dir.path(),
            &format!("hello{i}"),
            Path::new(python),
            &["--app", &example("hello"), "-m", "hello"],
            "hello",
        );
        let home = Command::new(python).args(["-c", "import sys; print(sys.base_prefix)"]).output().unwrap();
        let home = PathBuf::from(String::from_utf8(home.stdout).unwrap().trim());
        let out = run_hiding(&hello, &[], &[home]);
        assert_eq!(stdout(&out), "Hello, Ada!\nBonjour, Grace!\nHola, Guido!\n", "{python}");
    }
}

#[test]
fn a_program_carries_its_rest_bale_or_finds_it_beside_itself() {
    let dir = tempdir();
    let app = dir.path().join("app");
    // `--extra NAME` imports a plugin by a computed name and reads a data file it
    // chooses: the traced run (no arguments) touches neither.
    let main = br#"import importlib, os, sys
print("base")
if sys.argv[1:2] == ["--extra"]:
    plugin = importlib.import_module("plugins." + sys.argv[2])
    with open(os.path.join(os.path.dirname(__file__), "data", sys.argv[2] + ".txt")) as f:
        print(plugin.NAME, f.read().strip())
"#;
    write(&app, "main.py", main, false);
    write(&app, "plugins/__init__.py", b"", false);
    write(&app, "plugins/fancy.py", b"NAME = 'fancy'\n", false);
    write(&app, "data/fancy.txt", b"data\n", false);
    let venv = dir.path().join("venv");
    let made = Command::new(python()).args(["-m", "venv", "--without-pip"]).arg(&venv).status().unwrap();
    assert!(made.success());
    let bale = dir.path().join("app.bale");
    bale_ok(&[
        "pack",
        "-q",
        "--app",
        s(&app.join("main.py")),
        "--venv",
        s(&venv),
        "--stdlib",
        "used",
        "--rest",
        "-o",
        s(&bale),
    ]);

    // By default the rest bale goes inside: the program alone runs the path.
    let built = dir.path().join("carried");
    let made = bale_exe(&[s(&bale), "-o", s(&built)]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(String::from_utf8_lossy(&made.stdout).contains("rest bale app.rest.bale"));
    let alone = dir.path().join("carried-alone");
    std::fs::create_dir(&alone).unwrap();
    std::fs::copy(&built, alone.join("app")).unwrap();
    assert_eq!(stdout(&run_isolated(&alone.join("app"), &["--extra", "fancy"])), "base\nfancy data\n");

    // Without it, the program looks beside itself, and says where when it is not there.
    let built = dir.path().join("beside");
    let made = bale_exe(&[s(&bale), "-o", s(&built), "--no-rest"]);
    assert!(String::from_utf8_lossy(&made.stdout).contains("looks for"), "{}", String::from_utf8_lossy(&made.stdout));
    let alone = dir.path().join("beside-alone");
    std::fs::create_dir(&alone).unwrap();
    let program = alone.join("app");
    std::fs::copy(&built, &program).unwrap();
    assert_eq!(stdout(&run_isolated(&program, &[])), "base\n");
    let failed = run_isolated(&program, &["--extra", "fancy"]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(
        stderr.contains("No module named 'plugins'") && stderr.contains("app.rest.bale cannot be read"),
        "{stderr}"
    );
    std::fs::copy(dir.path().join("app.rest.bale"), alone.join("app.rest.bale")).unwrap();
    assert_eq!(stdout(&run_isolated(&program, &["--extra", "fancy"])), "base\nfancy data\n");
}

#[test]
fn packing_and_making_the_program_again_in_the_apps_folder_gives_the_same_program() {
    let dir = tempdir();
    let app = dir.path().join("app");
    write(&app, "main.py", b"print('hello')\n", false);
    write(&app, "unused.py", b"print('not imported')\n", false);
    let venv = dir.path().join("venv");
    let made = Command::new(python()).args(["-m", "venv", "--without-pip"]).arg(&venv).status().unwrap();
    assert!(made.success());
    // README's flow, all in the app's folder: the earlier bales, rest bales and
    // programs there are not the app's files.
    let bale = app.join("app.bale");
    let program = app.join("app");
    let mut sizes = Vec::new();
    for _ in 0..2 {
        let main = app.join("main.py");
        bale_ok(&["pack", "-q", "--app", s(&main), "--venv", s(&venv), "--stdlib", "used", "--rest", "-o", s(&bale)]);
        let made = bale_exe(&[s(&bale), "-o", s(&program)]);
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
        sizes.push(std::fs::metadata(&program).unwrap().len());
        let rest = bale_format::Bale::open_path(app.join("app.rest.bale")).unwrap();
        let files: Vec<String> = rest.files().map(|f| f.unwrap().path.to_owned()).collect();
        assert!(files.contains(&"unused.py".to_owned()), "{files:?}");
        let outputs = ["app", "app.bale", "app.rest.bale"];
        assert!(!files.iter().any(|f| outputs.contains(&f.as_str())), "an earlier output in the rest bale: {files:?}");
    }
    assert!(sizes.windows(2).all(|w| w[0] == w[1]), "the program grew: {sizes:?}");
}

/// `bale exe --interpreter`: a program that is a Python interpreter with the bale
/// installed, as PySpark's `PYSPARK_PYTHON` runs one, takes Python's command lines
/// (`-c`, `-m`, a script, stdin, `-u`, `-I`, `-E`) and `PYTHONPATH`, and gives what
/// the venv's `python` gives, alone, with Python out of reach.
#[test]
fn an_interpreter_program_takes_pythons_command_lines() {
    let dir = tempdir();
    let root = dir.path();
    write(root, "app/mylib/__init__.py", b"def hello():\n    return 'hello'\n", false);
    write(root, "app/main.py", b"import mylib\nprint(mylib.hello())\n", false);
    write(root, "elsewhere/extra/__init__.py", b"X = 42\n", false);
    let python = venv().join("bin/python");
    let bale = root.join("app.bale");
    let pack = |stdlib: &str| {
        bale_ok(
            &["pack", "-q", "--app", s(&root.join("app/main.py")), "--stdlib", stdlib, "--python", s(&python)]
                .into_iter()
                .chain(["-o", s(&bale)])
                .collect::<Vec<_>>(),
        )
    };
    // The part of the standard library an app used is not enough.
    pack("used");
    let out = bale_exe(&[s(&bale), "--interpreter", "-o", s(&root.join("refused"))]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("an interpreter runs code the app never ran") && stderr.contains("--stdlib all"),
        "{stderr}"
    );
    let out = bale_exe(&[s(&bale), "--interpreter", "--entry", "main", "-o", s(&root.join("refused"))]);
    assert_eq!(out.status.code(), Some(2), "--interpreter with --entry is a usage error: {out:?}");
    assert!(!root.join("refused").exists());

    pack("all");
    let built = root.join("pyapp-built");
    let out = bale_exe(&[s(&bale), "--interpreter", "-o", s(&built)]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("a Python interpreter with the bale installed"), "{out:?}");
    std::fs::create_dir(root.join("alone")).unwrap();
    let program = root.join("alone/pyapp");
    std::fs::copy(&built, &program).unwrap();
    write(&root.join("alone"), "script.py", b"import sys, mylib\nprint(mylib.hello(), sys.argv)\n", false);
    let pythonpath = root.join("elsewhere");
    let cases: [(&[&str], bool, &str, &str, i32); 9] = [
        (&["-c", "import mylib, sys; print(mylib.hello(), sys.argv)", "a"], false, "", "hello ['-c', 'a']\n", 0),
        (&["-m", "json.tool", "--compact"], false, "{\"a\": [1, 2]}", "{\"a\":[1,2]}\n", 0),
        (&["script.py", "x"], false, "", "hello ['script.py', 'x']\n", 0),
        (&[], false, "import mylib\nprint(mylib.hello() * 2)\n", "hellohello\n", 0),
        (&["-u", "-c", "import sys; print(sys.stdout.write_through)"], false, "", "True\n", 0),
        (&["-I", "-c", "import sys, mylib; print(sys.flags.isolated)"], false, "", "1\n", 0),
        (&["-c", "import extra; print(extra.X)"], true, "", "42\n", 0),
        (&["-E", "-c", "import extra"], true, "", "", 1),
        (&["-c", "raise SystemExit(7)"], false, "", "", 7),
    ];
    for (args, with_path, stdin, expected, code) in cases {
        let out = not_busy(|| {
            let mut command = isolated(&program, args, &[]);
            if with_path {
                command.env("PYTHONPATH", &pythonpath);
            }
            with_stdin(&mut command, stdin)
        });
        assert_eq!(
            (String::from_utf8_lossy(&out.stdout).as_ref(), out.status.code()),
            (expected, Some(code)),
            "{args:?}: {out:?}"
        );
        // And as the venv's python does it, where it can run.
        if !with_path && !args.contains(&"-I") {
            let mut python = Command::new(&python);
            python.args(args).current_dir(root.join("alone")).env("PYTHONPATH", root.join("app"));
            let out = with_stdin(&mut python, stdin).unwrap();
            assert_eq!(
                (String::from_utf8_lossy(&out.stdout).as_ref(), out.status.code()),
                (expected, Some(code)),
                "python {args:?}"
            );
        }
    }
}

/// Runs `command` with `stdin` as its standard input, and gives what it printed.
fn with_stdin(command: &mut Command, stdin: &str) -> std::io::Result<Output> {
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    std::io::Write::write_all(&mut child.stdin.take().expect("piped"), stdin.as_bytes())?;
    child.wait_with_output()
}
