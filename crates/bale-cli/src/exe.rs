//! `bale exe`: one executable holding CPython, the importer and an app's bale.
//!
//! The program is a prebuilt runner (`crates/bale-runner`, one per Python version:
//! `scripts/build-runners.sh`) with the bale and the entry point appended
//! (format-spec §14). Nothing is compiled here.

use std::path::PathBuf;

use anyhow::{Context, bail};
use bale_format::embed;

use crate::common::{human, open};
use crate::run::{check_runs_here, refuse_damaged};

#[derive(clap::Args)]
pub struct ExeArgs {
    /// The bale to embed: packed with the standard library (`pack --app ... --stdlib
    /// used`, or `all`), for the Python of a runner [default: `bale` of
    /// [tool.bale.exe], else `output` of [tool.bale], in pyproject.toml].
    bale: Option<PathBuf>,
    /// The program to write (replaced atomically when complete).
    #[arg(short, long, value_name = "PROGRAM")]
    output: Option<PathBuf>,
    /// What the program runs: `MODULE` (as `python -m MODULE`) or `MODULE:FUNCTION`
    /// (its return value is the exit code, as for a console script). Default: the
    /// bale's `__main__` module.
    #[arg(long, value_name = "MODULE[:FUNC]")]
    entry: Option<String>,
    /// Make a program that behaves as a Python interpreter with the bale installed:
    /// its arguments are Python's (`-m MODULE`, `-c CODE`, a script, stdin, `-u`,
    /// `-I`...) and `PYTHONPATH` is searched after the bale; for engines that start
    /// workers as `PYTHON -m ...` (`PYSPARK_PYTHON=./PROGRAM`). The bale must carry
    /// the whole standard library (`pack --stdlib all`): workers run code the app
    /// never ran.
    #[arg(long, conflicts_with = "entry")]
    interpreter: bool,
    /// Embed the bale as it is, compressed entries and all: a smaller program, which
    /// decompresses each module as it imports it. By default the bale goes in written
    /// again without compression, read in place from the mapped program: faster (for
    /// rich-report, a fifth fewer instructions at start), and larger.
    #[arg(long)]
    keep_compression: bool,
    /// Where the program's extension modules load from: a per-user cache whose pages
    /// its processes share (the default), or memory, a private copy per process with
    /// nothing on disk. `BALE_NATIVE` overrides it when the program runs.
    #[arg(long, value_enum, value_name = "cache|memory [default: cache]")]
    native: Option<crate::args::NativeArg>,
    /// The runner to build on. Default: `bale-runner-TARGET` (TARGET the bale's, such
    /// as cpython-3.11-x86_64-linux-gnu) in $BALE_RUNNERS, else next to this program.
    #[arg(long, value_name = "FILE")]
    runner: Option<PathBuf>,
    /// Leave out the bale's rest bale (`pack --app ... --rest`), which goes inside the
    /// program by default when it lies beside the bale; the program then looks for
    /// `PROGRAM.rest.bale` beside itself.
    #[arg(long)]
    no_rest: bool,
    #[command(flatten)]
    config: crate::project::ConfigArgs,
}

/// `bale exe`'s settings, from its flags and the project's `[tool.bale.exe]`.
struct Settings {
    bale: PathBuf,
    output: PathBuf,
    entry: Option<String>,
    interpreter: bool,
    keep_compression: bool,
    native: crate::args::NativeArg,
    runner: Option<PathBuf>,
    no_rest: bool,
}

impl Settings {
    /// Flags over the file over the defaults; a file that cannot be used, or a bale or
    /// program named by neither, is a usage error (exit code 2).
    fn resolve(args: ExeArgs) -> anyhow::Result<Settings> {
        let usage = |message: String| anyhow::Error::new(crate::exit::Exit(2, message));
        let project = crate::project::Project::find(&args.config).map_err(|e| usage(format!("{e:#}")))?;
        let file = project.as_ref().map(crate::project::Project::exe).unwrap_or_default();
        let native = match (args.native, &file.native) {
            (Some(native), _) => native,
            (None, Some(name)) => clap::ValueEnum::from_str(name, false)
                .map_err(|_| usage(format!("[tool.bale.exe]: native = {name:?}: expected cache or memory")))?,
            (None, None) => crate::args::NativeArg::Cache,
        };
        Ok(Settings {
            bale: args.bale.or(file.bale).ok_or_else(|| {
                usage("no bale to make a program of: name one, or set `output` in [tool.bale] of pyproject.toml".into())
            })?,
            output: args.output.or(file.output).ok_or_else(|| {
                usage("no program to write: give -o PROGRAM, or `output` in [tool.bale.exe] of pyproject.toml".into())
            })?,
            entry: args.entry.or(file.entry),
            interpreter: args.interpreter,
            keep_compression: args.keep_compression || file.keep_compression.unwrap_or(false),
            native,
            runner: args.runner.or(file.runner),
            no_rest: args.no_rest || file.rest == Some(false),
        })
    }
}

pub fn run(args: ExeArgs, env: &crate::settings::Env) -> anyhow::Result<()> {
    let args = Settings::resolve(args)?;
    let bale = open(&args.bale)?;
    refuse_damaged(bale.verify(), &args.bale, "not embedded")?;
    // Before any runner is looked for: there is none to install for such a bale.
    check_runs_here(&bale, &args.bale)?;
    let target = bale.target().to_owned();
    if !target.starts_with("cpython-") {
        bail!("{}: built for {target}: a program needs a bale of bytecode for one CPython", args.bale.display());
    }
    // What is wrong with the bale first: installing a runner would not mend it.
    if bale.module("encodings")?.is_none() {
        bail!(
            "{}: carries no standard library, which a program has nowhere else to find: pack it with \
             `--stdlib used` (or `all`)",
            args.bale.display()
        );
    }
    if args.interpreter {
        check_whole_stdlib(&bale, &args.bale)?;
    }
    let runner = match args.runner {
        Some(r) => r,
        None => find_runner(&target, &crate::settings::runner_folders(env))?,
    };
    let start = match args.interpreter {
        true => embed::Start::Interpreter,
        false => {
            let given = crate::settings::Given { module: None, function: args.entry, script: None };
            embed::Start::Entry(crate::settings::entry_point(given, &bale, &args.bale)?)
        }
    };

    let program = std::fs::read(&runner).with_context(|| format!("runner {}", runner.display()))?;
    match runner_target(&program) {
        Some(t) if t == target => {}
        Some(t) => bail!("{}: a runner for {t}, but the bale is for {target}", runner.display()),
        None => bail!("{}: not a bale runner", runner.display()),
    }
    if embed::find(&program).ok().flatten().is_some() {
        bail!("{}: already a program with a bale in it; give the runner itself", runner.display());
    }
    let (embedded, portable) = program_bale(&bale, args.keep_compression)?;
    let rest = match args.no_rest {
        true => None,
        false => rest_beside(&bale, &args.bale)?,
    };
    let in_memory = args.native == crate::args::NativeArg::Memory;
    let out = embed::append(&program, &embedded, &start, in_memory, rest.as_ref().map(|(_, r)| &r[..]));
    let file = bale_pack::AtomicFile::create(&args.output)?.executable();
    file.write_with(|w| std::io::Write::write_all(w, &out).map_err(|e| bale_pack::PackError::io(&args.output, e)))?;
    let carried = match &rest {
        Some((name, bytes)) => format!(", rest bale {name} {}", human(bytes.len() as u64)),
        None => String::new(),
    };
    let running = match &start {
        embed::Start::Entry(entry) => format!("running {entry}"),
        embed::Start::Interpreter => "a Python interpreter with the bale installed".into(),
    };
    println!(
        "wrote {} ({}: runner {}, bale {}{carried}), {running}",
        args.output.display(),
        human(out.len() as u64),
        human(program.len() as u64),
        human(embedded.len() as u64)
    );
    report_portable(&portable);
    if let (None, Ok(Some((name, _)))) = (&rest, bale.rest()) {
        println!(
            "the bale's rest bale {name} is not inside: the program looks for {}.rest.bale beside itself",
            args.output.display()
        );
    }
    Ok(())
}

/// Refuses, for an interpreter program, a bale that carries only the part of the
/// standard library its app used: the modules here are what starting `-m`, `-c` and
/// the workers of engines need, and what `--stdlib used` leaves out for most apps.
fn check_whole_stdlib<D: AsRef<[u8]>>(bale: &bale_format::Bale<D>, path: &std::path::Path) -> anyhow::Result<()> {
    const NEEDED: [&str; 7] = ["runpy", "pkgutil", "pickle", "socket", "selectors", "subprocess", "json"];
    let mut missing = Vec::new();
    for name in NEEDED {
        if bale.module(name)?.is_none() {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        bail!(
            "{}: lacks {} of the standard library; an interpreter runs code the app never ran: pack it with \
             `--stdlib all`",
            path.display(),
            missing.join(", ")
        );
    }
    Ok(())
}

/// The bale as the program carries it: its native code made to run on every Linux
/// from glibc 2.28 on (`bale_pack::portable`), written again without compression,
/// read in place from the mapped program; or, with `keep_compression`, compressed
/// (as it is, where nothing had to change).
fn program_bale<D: AsRef<[u8]>>(
    bale: &bale_format::Bale<D>,
    keep_compression: bool,
) -> anyhow::Result<(Vec<u8>, bale_pack::portable::Portable)> {
    let mut writer = bale_format::Writer::from_bale(bale)?;
    let portable = bale_pack::portable::make_portable(&mut writer)?;
    let unchanged = portable.lowered == 0 && portable.carried.is_empty();
    if keep_compression && unchanged {
        return Ok((bale.bytes().to_vec(), portable));
    }
    let compression = match keep_compression {
        true => bale_format::Compression::Zstd { level: bale_format::codec::ZSTD_LEVEL },
        false => bale_format::Compression::None,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    writer.write(&mut out, &bale_format::WriteOptions { compression, ..Default::default() })?;
    Ok((out.into_inner(), portable))
}

/// Says what was done to the bale's native code, and what the program will need
/// where it runs.
fn report_portable(portable: &bale_pack::portable::Portable) {
    if portable.lowered > 0 {
        let floor = bale_pack::portable::FLOOR;
        println!("native code: {} files lowered to run on glibc {floor}", portable.lowered);
    }
    for (name, from, size) in &portable.carried {
        println!("carried {name} ({}, from {})", human(*size), from.display());
    }
    if !portable.missing.is_empty() {
        eprintln!(
            "warning: the bale's native code links {}, which this machine does not have: the program needs \
             them where it runs",
            portable.missing.join(", ")
        );
    }
}

/// The rest bale the bale names, from beside it, checked whole and against the hash
/// the bale records: `None` if it names none or the file is not there.
fn rest_beside<D: AsRef<[u8]>>(
    bale: &bale_format::Bale<D>,
    path: &std::path::Path,
) -> anyhow::Result<Option<(String, Vec<u8>)>> {
    let Some((name, hash)) = bale.rest()? else { return Ok(None) };
    let file = path.parent().unwrap_or(std::path::Path::new(".")).join(name);
    let bytes = match std::fs::read(&file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(anyhow::Error::new(e).context(file.display().to_string())),
    };
    let rest = bale_format::Bale::open(&bytes[..]).with_context(|| file.display().to_string())?;
    if rest.header().header_hash != hash {
        bail!("{}: not the rest bale of {}: it comes from another pack", file.display(), path.display());
    }
    refuse_damaged(rest.verify(), &file, "not embedded")?;
    Ok(Some((name.to_owned(), bytes)))
}

/// `bale-runner-TARGET` in the first of `places` that has it.
fn find_runner(target: &str, places: &[PathBuf]) -> anyhow::Result<PathBuf> {
    let name = format!("bale-runner-{target}");
    for dir in places {
        let path = dir.join(&name);
        if path.is_file() {
            return Ok(path);
        }
    }
    bail!(
        "no runner for {target} is installed: `pip install {}` gives it (or give --runner FILE)",
        crate::installed::runner_package(target)
    )
}

/// The target a runner was built for, from the marker it carries.
fn runner_target(program: &[u8]) -> Option<String> {
    const MARK: &[u8] = b"\0bale-runner-target=";
    let at = program.windows(MARK.len()).position(|w| w == MARK)? + MARK.len();
    let end = program[at..].iter().position(|&b| b == 0)?;
    String::from_utf8(program[at..at + end].to_vec()).ok()
}
