//! The program `bale exe` makes: this executable, with an app's bale and its entry
//! point appended (format-spec §14). At start it maps its own file, finds the bale,
//! checks it whole (a damaged program stops here, before Python starts), and starts
//! the CPython it is linked with, with the bale's finder installed before the
//! standard library is needed (`start.c`), so that every module, the standard
//! library's included, comes from the mapped bale and nothing is read from or written
//! to disk.

use std::ffi::{CString, c_char, c_int};
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

// CPython's HACL* hash functions, for a libpython that leaves them out (`build.rs`
// says which).
#[cfg(bale_hacl)]
mod hacl;

unsafe extern "C" {
    fn bale_run(
        argc: c_int,
        argv: *mut *mut c_char,
        executable: *const c_char,
        folder: *const c_char,
        bale: *const u8,
        len: usize,
        program: *const c_char,
        entry_kind: *const c_char,
        entry: *const c_char,
    ) -> c_int;
}

/// The Python code that runs the entry point, given to it as data.
const RUN_ENTRY: &str = include_str!("../assets/run_entry.py");

// The importer, linked in: `start.c` registers its module, `PyInit_bale`, as built
// in; named here too, so that the linker keeps it.
unsafe extern "C" {
    fn PyInit_bale() -> *mut std::ffi::c_void;
}
#[used]
static KEEP_IMPORTER: unsafe extern "C" fn() -> *mut std::ffi::c_void = PyInit_bale;

/// The bale target this runner runs, between markers `bale exe` looks for.
#[used]
static TARGET: &str = concat!("\0bale-runner-target=", env!("BALE_RUNNER_TARGET"), "\0");

fn main() -> ExitCode {
    let args: Vec<CString> =
        std::env::args_os().map(|a| CString::new(a.as_bytes()).expect("arguments hold no NUL byte")).collect();
    let program = args.first().map_or("bale program".into(), |a| a.to_string_lossy().into_owned());
    match prepare() {
        // The runner alone (no bale appended) answers what it runs, for the build.
        Err((_, None)) if args.get(1).is_some_and(|a| a.as_bytes() == b"--target") => {
            println!("{}", env!("BALE_RUNNER_TARGET"));
            ExitCode::SUCCESS
        }
        Ok((executable, map, embedded)) => {
            let (kind, text) = start_args(&embedded.start);
            let kind = CString::new(kind).expect("a kind has no NUL");
            let text = CString::new(text).expect("embed::find refuses a NUL");
            let run_entry = CString::new(RUN_ENTRY).expect("run_entry.py holds no NUL");
            let executable_path = executable.clone();
            let folder = executable
                .parent()
                .map_or(CString::default(), |f| CString::new(f.as_os_str().as_bytes()).unwrap_or_default());
            let executable = CString::new(executable.as_os_str().as_bytes()).unwrap_or_default();
            // Mapped for the process's life: the importer reads the bale in place.
            let map: &'static memmap2::Mmap = Box::leak(Box::new(map));
            let bale = embedded.bale(map);
            // The rest bale, if the bale names one: inside the program, else beside it.
            let rest = match embedded.rest(map) {
                Some(rest) => bale::program::ProgramRest::Carried(rest),
                None => bale::program::ProgramRest::Beside(format!("{}.rest.bale", executable_path.display())),
            };
            let native = if embedded.native_in_memory { bale::NativeMode::Memory } else { bale::NativeMode::Cache };
            bale::program::set(bale::program::Program { bale, rest, native });
            let mut argv: Vec<*mut c_char> = args.iter().map(|a| a.as_ptr() as *mut c_char).collect();
            argv.push(std::ptr::null_mut());
            // SAFETY: every pointer outlives the call (the map lives for the process, the
            // strings until `main` returns, after the interpreter has finished).
            let code = unsafe {
                bale_run(
                    args.len() as c_int,
                    argv.as_mut_ptr(),
                    executable.as_ptr(),
                    folder.as_ptr(),
                    bale.as_ptr(),
                    bale.len(),
                    run_entry.as_ptr(),
                    kind.as_ptr(),
                    text.as_ptr(),
                )
            };
            ExitCode::from(code.clamp(0, 255) as u8)
        }
        Err((code, message)) => {
            let message = message.unwrap_or_else(|| {
                "this is the bale runner alone: `bale exe APP.bale -o PROGRAM` makes a program of it".into()
            });
            eprintln!("{program}: {message}");
            ExitCode::from(code)
        }
    }
}

/// Why a program cannot start: its exit code (3 for a damaged program, as `bale
/// verify` gives for a damaged bale) and what to say; nothing for a runner with no
/// bale appended.
type Failure = (u8, Option<String>);

/// This program's path, its bytes mapped, and where its bale is.
fn prepare() -> Result<(std::path::PathBuf, memmap2::Mmap, bale_format::embed::Embedded), Failure> {
    let executable = std::fs::read_link("/proc/self/exe")
        .or_else(|_| std::env::current_exe())
        .map_err(|e| (1, Some(format!("cannot find this program's file: {e}"))))?;
    let file = std::fs::File::open("/proc/self/exe")
        .or_else(|_| std::fs::File::open(&executable))
        .map_err(|e| (1, Some(format!("cannot open {}: {e}", executable.display()))))?;
    // SAFETY: a read-only map of this program's own file, which the system does not
    // let anyone rewrite while it runs.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| (1, Some(format!("cannot map this program: {e}"))))?;
    let damaged = |e: bale_format::Error| {
        let message =
            format!("{} is damaged: {e}; it cannot run. Build it again with `bale exe`.", executable.display());
        (3, Some(message))
    };
    let embedded = bale_format::embed::find(&map).map_err(damaged)?.ok_or((1, None))?;
    let bale = bale_format::Bale::open(embedded.bale(&map)).map_err(damaged)?;
    // Every byte, checked once before Python starts: a damaged program stops here
    // rather than on the import that happens to read the damage.
    bale.check_body().map_err(damaged)?;
    Ok((executable, map, embedded))
}

/// What the program does as `start.c` is told it: the entry point as a kind
/// (`module`, `function`, `script`) and its text, both as data, read by
/// `run_entry.py`; or `interpreter`, for a program that is a Python interpreter.
fn start_args(start: &bale_format::embed::Start) -> (&'static str, String) {
    use bale_format::EntryPoint;
    let entry = match start {
        bale_format::embed::Start::Interpreter => return ("interpreter", String::new()),
        bale_format::embed::Start::Entry(entry) => entry,
    };
    let kind = match entry {
        EntryPoint::Module(_) => "module",
        EntryPoint::Function { .. } => "function",
        EntryPoint::Script(_) => "script",
    };
    (kind, entry.to_string())
}
