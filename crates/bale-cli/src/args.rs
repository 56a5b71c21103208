//! The flags of `bale pack` (clap). What they resolve to is `settings.rs`'s job.

use std::path::PathBuf;

use bale_format::Compression;

#[derive(clap::Args)]
pub struct PackArgs {
    /// Import roots (folders laid out like site-packages, such as an app folder) and
    /// wheel files. Everything under them is packed. Not with --app or -m.
    #[arg(value_name = "INPUT", conflicts_with_all = ["app", "module"])]
    pub inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub app: AppArgs,
    #[command(flatten)]
    pub config: crate::project::ConfigArgs,
    /// The bale to write (replaced atomically when complete). A name ending in `.zst`
    /// (`app.bale.zst`) writes it inside one zstd frame, the smallest to download;
    /// then entries are not compressed again unless --compress says so.
    #[arg(short, long, value_name = "OUT.bale")]
    pub output: Option<PathBuf>,
    /// Pack only files matching GLOB (repeatable). A pattern with `/` matches paths
    /// from the root; one without matches a name at any depth. Matching a folder
    /// matches all it holds.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out files matching GLOB (repeatable; wins over --include).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// What to store for each module: source, bytecode compiled by --python, both, or
    /// (with --app) bytecode and the source of the app's own files [default: both;
    /// with --target pyodide, app-source].
    #[arg(long, value_enum)]
    pub content: Option<ContentArg>,
    /// The interpreter to compile bytecode with and whose extension modules to pick
    /// (default: python3 on PATH).
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
    /// `none`, or `zstd` with an optional level: `zstd:19` [default: none; with --app
    /// or -m, zstd:19 with a dictionary]. For the web, `none` is smaller still where
    /// the server compresses the bale (brotli or gzip), and three times larger where
    /// it does not.
    #[arg(long, value_parser = parse_compression)]
    pub compress: Option<Compression>,
    /// With zstd: train a dictionary of SIZE bytes on the bytecode and store it in the
    /// bale (without SIZE: 110 KiB, as zstd's own tools).
    #[arg(long, value_name = "SIZE", num_args = 0..=1)]
    pub dictionary: Option<Option<usize>>,
    /// Compile as `python -O` (1) or `-OO` (2) [default: 0].
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub optimize: Option<u8>,
    /// Cut docstrings out of sources and bytecode, keeping asserts and line numbers
    /// (tracebacks still point at the right lines; `__doc__` becomes None).
    #[arg(long)]
    pub strip_docstrings: bool,
    /// Keep the column ranges of every instruction in the bytecode (what draws `^^^^`
    /// under the failing part of a line in a traceback); `no` compiles as `python -X
    /// no_debug_ranges`: line numbers stay, and the bytecode compresses about a quarter
    /// smaller [default: yes; with --target pyodide, no].
    #[arg(long, value_enum, value_name = "yes|no")]
    pub debug_ranges: Option<YesNo>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress bars and no warnings.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ContentArg {
    Bytecode,
    Source,
    Both,
    AppSource,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum YesNo {
    Yes,
    No,
}

pub fn parse_compression(s: &str) -> Result<Compression, String> {
    match s.split_once(':') {
        None if s == "none" => Ok(Compression::None),
        None if s == "zstd" => Ok(Compression::Zstd { level: 3 }),
        Some(("zstd", level)) => match level.parse::<i32>() {
            Ok(l) if (1..=22).contains(&l) => Ok(Compression::Zstd { level: l }),
            _ => Err(format!("zstd level must be 1 to 22, not {level:?}")),
        },
        _ => Err(format!("expected none, zstd or zstd:LEVEL, not {s:?}")),
    }
}

#[derive(clap::Args)]
pub struct AppArgs {
    /// Pack only what this app uses, found by running it: a script (run as `python
    /// SCRIPT`) or a folder (its `__main__.py`, or the module given with -m, with the
    /// folder first on sys.path).
    #[arg(long, value_name = "SCRIPT_OR_DIR")]
    pub app: Option<PathBuf>,
    /// Run the app as `python -m MODULE`.
    #[arg(short = 'm', long = "module", value_name = "MODULE")]
    pub module: Option<String>,
    /// Install these requirements into a temporary virtual environment (made with
    /// --python) and run the app there.
    #[arg(short = 'r', long, value_name = "FILE", conflicts_with = "venv")]
    pub requirements: Option<PathBuf>,
    /// Run the app in this existing virtual environment.
    #[arg(long, value_name = "DIR")]
    pub venv: Option<PathBuf>,
    /// Arguments for one traced run, split like a shell does (repeatable: every run
    /// adds what it touches). Default: one run with no arguments.
    #[arg(long = "run", value_name = "ARGS", allow_hyphen_values = true)]
    pub runs: Vec<String>,
    /// What decides the files: the traced runs, static import analysis of the app's
    /// code, or both (static analysis adds what the runs did not reach).
    #[arg(long, value_enum, value_name = "runtime|static|both [default: both]")]
    pub detect: Option<DetectArg>,
    /// Carry the standard-library modules the app used, all of them, or none (the
    /// interpreter's own serve it). With --target pyodide (default: used), what a page
    /// imports before the bale also goes, as bytecode, into OUT.stdlib.zip, for
    /// loadPyodide's stdLibURL.
    #[arg(long, value_enum, value_name = "used|all|none [default: none; pyodide: used]")]
    pub stdlib: Option<StdlibArg>,
    /// Run the app again from the bale alone and compare exit code and output.
    #[arg(long)]
    pub validate: bool,
    /// Also write OUT.rest.bale beside the bale (for OUT.bale or OUT.bale.zst): every
    /// file of the app's environment it could import or read that the bale does not
    /// hold, compressed entry by entry. The bale records the rest bale's name and
    /// header hash, so the importer takes only the rest bale packed with it.
    #[arg(long)]
    pub rest: bool,
    /// Take the files a bale lacked when it ran, as the importer wrote them at exit
    /// (JSON, `{"misses": [{"module": ..., "path": ...}]}`), as if the app had touched
    /// them (repeatable).
    #[arg(long, value_name = "FILE")]
    pub include_from: Vec<PathBuf>,
    /// Where the app will run: this machine's interpreter (--python), or Pyodide on
    /// Node: then the app is traced, compiled and validated in Pyodide, and -r
    /// installs pure-Python wheels (or wheels built for Pyodide).
    #[arg(long, value_enum, value_name = "native|pyodide [default: native]")]
    pub target: Option<TargetArg>,
    /// The Pyodide distribution for --target pyodide: the folder of the `pyodide` npm
    /// package. Default: $BALE_PYODIDE, else ./node_modules/pyodide.
    #[arg(long, value_name = "DIR")]
    pub pyodide: Option<PathBuf>,
    /// The importer extension module that --validate loads (for Pyodide, the
    /// WebAssembly build). Default: $BALE_IMPORTER, else the installed `bale` package.
    #[arg(long, value_name = "FILE")]
    pub importer: Option<PathBuf>,
    /// With --target pyodide: put the importer in the bale (`bale/bale.abi3.so`,
    /// stored uncompressed), so that `loadBale` needs nothing else to install it.
    #[arg(long)]
    pub embed_importer: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetArg {
    Native,
    Pyodide,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DetectArg {
    Runtime,
    Static,
    Both,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum StdlibArg {
    Used,
    All,
    None,
}

impl AppArgs {
    pub fn is_app(&self) -> bool {
        self.app.is_some() || self.module.is_some()
    }
}

/// Where a bale's extension modules and libraries load from (`bale run`, `bale exe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NativeArg {
    /// A per-user cache of read-only files named by content: processes share their
    /// pages, and a start after the first reads nothing of them from the bale.
    Cache,
    /// A private in-memory copy per process: nothing on disk.
    Memory,
}

impl NativeArg {
    pub fn name(self) -> &'static str {
        match self {
            NativeArg::Cache => "cache",
            NativeArg::Memory => "memory",
        }
    }
}
