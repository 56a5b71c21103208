//! Builds `start.c` against the headers of the Python this runner is for (`PYO3_PYTHON`,
//! else `python3`), and links that Python into the program: statically, the whole of
//! `libpython3.X.a`, where the build ships one (pyenv's builds do), with its symbols
//! exported so that extension modules loaded from the bale find them; otherwise
//! against `libpython3.X.so`, which the program then needs at run time (said here as a
//! warning, and by `bale exe`).

use std::path::PathBuf;
use std::process::Command;

/// Asks the interpreter for its build's paths and libraries, one per line.
const QUERY: &str = r#"
import sysconfig as s
v = lambda k: str(s.get_config_var(k) or "")
keys = ("INCLUDEPY", "LIBPL", "LIBRARY", "LIBDIR", "LDLIBRARY", "LIBS", "SYSLIBS", "VERSION")
print("\n".join(v(k) for k in keys))
"#;

/// What `python -c CODE` prints.
fn ask(python: &str, code: &str) -> String {
    let out = Command::new(python)
        .args(["-c", code])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} (PYO3_PYTHON) to configure the runner: {e}"));
    assert!(out.status.success(), "{python}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("Python answers in UTF-8")
}

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-changed=src/start.c");
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".into());
    let text = ask(&python, QUERY);
    let v: Vec<&str> = text.lines().collect();
    let [include, libpl, library, libdir, ldlibrary, libs, syslibs, version] = v[..] else {
        panic!("unexpected sysconfig answer from {python}: {text}")
    };
    // Named by the same facts and rule as the packer names a bale's Python.
    let interpreter: bale_target::Interpreter =
        serde_json::from_str(&ask(&python, bale_target::INTROSPECT)).expect("introspect.py prints JSON");
    let target = interpreter.target();
    // The bale target this runner runs, as the packer names it; `bale exe` checks it.
    println!("cargo:rustc-env=BALE_RUNNER_TARGET={target}");

    println!("cargo:rerun-if-changed=src/compat.c");
    cc::Build::new().file("src/start.c").include(include).warnings(true).compile("bale_start");
    // Whole: nothing in the runner calls most of it; the native code of the bale does,
    // through the program's exported symbols.
    cc::Build::new()
        .file("src/compat.c")
        .std("gnu11")
        .warnings(true)
        .link_lib_modifier("+whole-archive")
        .compile("bale_compat");

    let archive = PathBuf::from(libpl).join(library);
    if library.ends_with(".a") && archive.is_file() {
        // All of it: extension modules in the bale use parts the runner itself does not.
        println!("cargo:rustc-link-arg=-Wl,--whole-archive");
        println!("cargo:rustc-link-arg={}", archive.display());
        println!("cargo:rustc-link-arg=-Wl,--no-whole-archive");
        println!("cargo:rustc-env=BALE_RUNNER_LINKED=static {}", archive.display());
    } else {
        println!(
            "cargo:warning=no static libpython{version} in {libpl}: the runner links {ldlibrary} and needs it at run time"
        );
        println!("cargo:rustc-link-search=native={libdir}");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{libdir}");
        println!("cargo:rustc-link-lib=dylib=python{version}");
        println!("cargo:rustc-env=BALE_RUNNER_LINKED=shared {libdir}/{ldlibrary}");
    }
    // What libpython itself needs, and its symbols visible to what `dlopen` loads.
    for flag in libs.split_whitespace().chain(syslibs.split_whitespace()) {
        if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={lib}");
        }
    }
    println!("cargo:rustc-link-arg=-Wl,--export-dynamic");
}
