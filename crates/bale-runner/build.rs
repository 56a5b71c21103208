//! Builds `start.c` against the headers of the Python this runner is for (`PYO3_PYTHON`,
//! else `python3`), and links that Python into the program: statically, the whole of
//! `libpython3.X.a`, where the build ships one (pyenv's and Debian's do), with its
//! symbols exported so that extension modules loaded from the bale find them;
//! otherwise against `libpython3.X.so`, which the program then needs at run time (said
//! here as a warning, and by `bale exe`).
//!
//! A Python installed in another root (Debian sid's 3.14 and 3.15, in a root made by
//! `scripts/debian-root.sh`) is asked through `PYO3_PYTHON` (a command that runs it
//! there) and found on disk under `BALE_RUNNER_ROOT`: the paths it answers are inside
//! that root.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Asks the interpreter for its build's paths and libraries, one per line.
const QUERY: &str = r#"
import sysconfig as s
v = lambda k: " ".join(str(s.get_config_var(k) or "").split())
keys = ("INCLUDEPY", "LIBPL", "LIBRARY", "LIBDIR", "LDLIBRARY", "LIBS", "SYSLIBS", "MODLIBS", "VERSION", "MULTIARCH")
print("\n".join(v(k) for k in keys))
"#;

/// glibc's libraries, by their `-l` names.
const GLIBC: [&str; 8] = ["c", "m", "dl", "pthread", "rt", "util", "resolv", "crypt"];

/// What `python -c CODE` prints.
fn ask(python: &str, code: &str) -> String {
    let out = Command::new(python)
        .args(["-c", code])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} (PYO3_PYTHON) to configure the runner: {e}"));
    assert!(out.status.success(), "{python}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("Python answers in UTF-8")
}

/// What the interpreter's build says, its paths on this machine's disk.
struct Build {
    include: PathBuf,
    libpl: PathBuf,
    library: String,
    libdir: PathBuf,
    ldlibrary: String,
    /// `-l` flags of libpython itself and of the modules built into it.
    libs: Vec<String>,
    module_libs: Vec<String>,
    version: String,
    multiarch: String,
    root: Option<PathBuf>,
}

impl Build {
    fn ask(python: &str) -> Build {
        let text = ask(python, QUERY);
        let v: Vec<&str> = text.lines().collect();
        let [include, libpl, library, libdir, ldlibrary, libs, syslibs, modlibs, version, multiarch] = v[..] else {
            panic!("unexpected sysconfig answer from {python}: {text}")
        };
        let root = std::env::var_os("BALE_RUNNER_ROOT").map(PathBuf::from);
        let on_disk = |p: &str| match &root {
            Some(root) => root.join(p.trim_start_matches('/')),
            None => PathBuf::from(p),
        };
        let flags =
            |text: &str| text.split_whitespace().filter_map(|f| f.strip_prefix("-l")).map(str::to_owned).collect();
        let mut libs: Vec<String> = flags(libs);
        libs.extend(flags(syslibs));
        let mut module_libs: Vec<String> = flags(modlibs);
        module_libs.sort();
        module_libs.dedup();
        Build {
            include: on_disk(include),
            libpl: on_disk(libpl),
            library: library.to_owned(),
            libdir: on_disk(libdir),
            ldlibrary: ldlibrary.to_owned(),
            libs,
            module_libs,
            version: version.to_owned(),
            multiarch: multiarch.to_owned(),
            root,
        }
    }

    /// Include folders: Python's own, and one where `pyconfig.h` finds the
    /// multiarch header Debian moves it to (`<x86_64-linux-gnu/python3.14/pyconfig.h>`)
    /// without the root's C library headers coming along.
    fn includes(&self, out: &Path) -> Vec<PathBuf> {
        let mut includes = vec![self.include.clone()];
        let name = format!("python{}", self.version);
        if let Some(root) = &self.root
            && !self.multiarch.is_empty()
        {
            let real = root.join("usr/include").join(&self.multiarch).join(&name);
            let folder = out.join("multiarch");
            let link = folder.join(&self.multiarch).join(&name);
            let _ = std::fs::remove_file(&link);
            std::fs::create_dir_all(link.parent().expect("a parent")).expect("OUT_DIR is writable");
            std::os::unix::fs::symlink(&real, &link).expect("OUT_DIR is writable");
            includes.push(folder);
        }
        includes
    }

    /// A static archive of a library the modules built into libpython use (`-lexpat`,
    /// `-lz`), where the build's system has one: linked in, so the program does not
    /// need the library where it runs.
    fn static_archive(&self, lib: &str) -> Option<PathBuf> {
        // glibc's own are linked as zig has them, for the runner's glibc.
        if GLIBC.contains(&lib) {
            return None;
        }
        let folders = [self.libdir.clone(), self.libpl.clone()];
        folders.iter().map(|f| f.join(format!("lib{lib}.a"))).find(|p| p.is_file())
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-env-changed=BALE_RUNNER_ROOT");
    println!("cargo:rerun-if-changed=src/start.c");
    println!("cargo:rerun-if-changed=src/compat.c");
    // Set where libpython calls CPython's HACL* hash functions without holding them.
    println!("cargo::rustc-check-cfg=cfg(bale_hacl)");
    let python = std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".into());
    let build = Build::ask(&python);
    // Named by the same facts and rule as the packer names a bale's Python.
    let interpreter: bale_target::Interpreter =
        serde_json::from_str(&ask(&python, bale_target::INTROSPECT)).expect("introspect.py prints JSON");
    let target = interpreter.target();
    // The bale target this runner runs, as the packer names it; `bale exe` checks it.
    println!("cargo:rustc-env=BALE_RUNNER_TARGET={target}");

    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    cc::Build::new().file("src/start.c").includes(build.includes(&out)).warnings(true).compile("bale_start");
    // Whole: nothing in the runner calls most of it; the native code of the bale does,
    // through the program's exported symbols.
    cc::Build::new()
        .file("src/compat.c")
        .std("gnu11")
        .warnings(true)
        .link_lib_modifier("+whole-archive")
        .compile("bale_compat");
    link_python(&build);
    println!("cargo:rustc-link-arg=-Wl,--export-dynamic");
}

/// Links libpython, and what it needs.
fn link_python(build: &Build) {
    // Debian ships its objects twice: `libpython3.X.a` built for a fixed address, which
    // a position-independent program cannot link, and `libpython3.X-pic.a`.
    let pic = build.libpl.join(build.library.replace(".a", "-pic.a"));
    let archive = if pic.is_file() { pic } else { build.libpl.join(&build.library) };
    if build.library.ends_with(".a") && archive.is_file() {
        // All of it: extension modules in the bale use parts the runner itself does not.
        println!("cargo:rustc-link-arg=-Wl,--whole-archive");
        println!("cargo:rustc-link-arg={}", archive.display());
        println!("cargo:rustc-link-arg=-Wl,--no-whole-archive");
        println!("cargo:rustc-env=BALE_RUNNER_LINKED=static {}", archive.display());
        if lacks_hacl(&archive) {
            println!("cargo:rustc-cfg=bale_hacl");
        }
        // zstd (3.15's `_zstd`, built in) is in the program already: bale-format links it.
        for lib in build.module_libs.iter().filter(|lib| *lib != "zstd") {
            match build.static_archive(lib) {
                Some(path) => println!("cargo:rustc-link-arg={}", path.display()),
                None => println!("cargo:rustc-link-lib={lib}"),
            }
        }
    } else {
        println!(
            "cargo:warning=no static libpython{} in {}: the runner links {} and needs it at run time",
            build.version,
            build.libpl.display(),
            build.ldlibrary
        );
        println!("cargo:rustc-link-search=native={}", build.libdir.display());
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", build.libdir.display());
        println!("cargo:rustc-link-lib=dylib=python{}", build.version);
        println!("cargo:rustc-env=BALE_RUNNER_LINKED=shared {}/{}", build.libdir.display(), build.ldlibrary);
    }
    // `-lcrypt` is in 3.10's LIBS where its build host had libcrypt, for the `crypt`
    // module, which is an extension of lib-dynload that links libcrypt itself:
    // libpython never calls it, and zig has no libcrypt for an old glibc. Were that
    // wrong, the link would fail on `crypt`, not pass silently.
    for lib in build.libs.iter().filter(|lib| *lib != "crypt") {
        println!("cargo:rustc-link-lib={lib}");
    }
}

/// One function of each of CPython's HACL* hash modules (`_md5`, `_sha1`, `_sha2`,
/// `_sha3`, `_blake2`), by the name `python_hacl_namespaces.h` gives it.
const HACL: [&[u8]; 5] = [
    b"_Py_LibHacl_Hacl_Hash_MD5_malloc",
    b"_Py_LibHacl_Hacl_Hash_SHA1_malloc",
    b"_Py_LibHacl_Hacl_Hash_SHA2_malloc_256",
    b"_Py_LibHacl_Hacl_Hash_SHA3_malloc",
    b"_Py_LibHacl_Hacl_Hash_Blake2b_malloc_with_params_and_key",
];

/// Whether a static libpython calls CPython's HACL* hash functions without holding
/// them, as Debian's 3.14 and 3.15 do (their `_md5`, `_sha2`, ... are built in, HACL*
/// itself only into the shared library): then the runner brings its own
/// (`src/hacl.rs`). A name the archive holds (in a member's string table) but does not
/// define (in its symbol index) is one its members call.
fn lacks_hacl(archive: &Path) -> bool {
    let Ok(bytes) = std::fs::read(archive) else {
        return false;
    };
    let defined = defined_symbols(&bytes);
    let prefix = b"_Py_LibHacl_Hacl_Hash_";
    let mut named = std::collections::BTreeSet::new();
    let mut at = 0;
    while let Some(found) = bytes[at..].windows(prefix.len()).position(|w| w == prefix) {
        let start = at + found;
        let end = bytes[start..].iter().position(|&b| b == 0).map_or(bytes.len(), |n| start + n);
        named.insert(&bytes[start..end]);
        at = end;
    }
    HACL.iter().any(|name| named.contains(name) && !defined.contains(name))
}

/// The names a GNU archive's symbol index lists (the first member, `/` or `/SYM64/`: a
/// big-endian count, as many member offsets, then the names, each ended by a NUL): what
/// its members define.
fn defined_symbols(bytes: &[u8]) -> std::collections::BTreeSet<&[u8]> {
    let mut names = std::collections::BTreeSet::new();
    let (Some(magic), Some(header)) = (bytes.get(..8), bytes.get(8..68)) else {
        return names;
    };
    let word = match &header[..16] {
        _ if magic != b"!<arch>\n" => return names,
        name if name.starts_with(b"/SYM64/ ") => 8,
        name if name.starts_with(b"/ ") => 4,
        _ => return names,
    };
    let size = std::str::from_utf8(&header[48..58]).ok().and_then(|s| s.trim().parse::<usize>().ok());
    let Some(body) = size.and_then(|size| bytes.get(68..68 + size)) else {
        return names;
    };
    let count = body.get(..word).map_or(0, |c| c.iter().fold(0usize, |n, &b| n << 8 | usize::from(b)));
    if let Some(table) = body.get(word + word * count..) {
        names.extend(table.split(|&b| b == 0).filter(|name| !name.is_empty()).take(count));
    }
    names
}
