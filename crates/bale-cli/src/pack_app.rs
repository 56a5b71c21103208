//! `bale pack --app`: the options, and the reduction table it prints.

use std::path::PathBuf;

use bale_pack::app::reduction::{Row, Side, Table};
use bale_pack::app::{AppOptions, AppSummary};
use bale_pack::target::{StartTime, TargetChoice};
use serde_json::json;

use crate::{Exit, human, progress};

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

pub fn run(
    options: &AppOptions,
    target: &TargetChoice,
    importer: Option<PathBuf>,
    json: bool,
    quiet: bool,
) -> anyhow::Result<()> {
    let progress = progress::Terminal::new(quiet || json);
    let silent = bale_pack::Silent;
    let reporter: &dyn bale_pack::Progress = if quiet { &silent } else { &progress };
    let summary = bale_pack::target::open(target, importer)
        .and_then(|target| bale_pack::app::pack_app(options, target.as_ref(), reporter));
    progress.finish();
    let summary = summary?;
    if json {
        println!("{}", serde_json::to_string_pretty(&as_json(&summary))?);
    } else {
        print(&summary);
    }
    match &summary.validation {
        Some(v) if !v.passed() => {
            Err(Exit(1, "validation failed: the app behaves differently from the bale".into()).into())
        }
        _ => Ok(()),
    }
}

fn as_json(s: &AppSummary) -> serde_json::Value {
    json!({
        "output": s.pack.output,
        "target": s.pack.target,
        "modules": s.pack.modules,
        "files": s.pack.input_files,
        "compile_failures": s.pack.compile_failures,
        "stripped_docstrings": { "before": s.pack.stripped_docstrings.0, "after": s.pack.stripped_docstrings.1 },
        "reduction": s.reduction,
        "stdlib_zip": s.side_file,
        "runs": s.runs.iter().map(|r| json!({"args": r.args, "exit": r.code, "seconds": r.time.as_secs_f64()})).collect::<Vec<_>>(),
        "unresolved_imports": s.unresolved,
        "validation": s.validation,
        "web_timing_ms": s.start_timing,
        "entry": s.entry.to_string(),
        "run": s.run_hint.to_string(),
    })
}

fn print(s: &AppSummary) {
    let t: &Table = &s.reduction;
    println!("wrote {} ({}, target {})", s.pack.output.display(), human(s.pack.written.file_size), s.pack.target);
    println!();
    let width =
        t.rows.iter().map(|r| r.name.len() + r.version.as_ref().map_or(0, |v| v.len() + 1)).max().unwrap_or(5).max(12);
    println!(
        "{:<width$}  {:>13}  {:>11}  {:>9}  {:>21}  {:>21}  {:>9}",
        "", "files", ".py", ".so", "size raw", "size packed", "reduction"
    );
    for r in t.rows.iter().chain(std::iter::once(&t.total)) {
        let name = match &r.version {
            Some(v) => format!("{} {v}", r.name),
            None => r.name.clone(),
        };
        if !r.carried {
            println!(
                "{name:<width$}  {:>13}  {:>11}  {:>9}  {:>21}  {:>21}  {:>9}",
                r.before.files,
                r.before.py,
                r.before.so,
                human(r.before.raw),
                "not carried",
                "-"
            );
            continue;
        }
        println!(
            "{name:<width$}  {:>13}  {:>11}  {:>9}  {:>21}  {:>21}  {:>9}",
            arrow(&r.before, &r.after, |s| s.files.to_string()),
            arrow(&r.before, &r.after, |s| s.py.to_string()),
            arrow(&r.before, &r.after, |s| s.so.to_string()),
            arrow(&r.before, &r.after, |s| human(s.raw)),
            arrow(&r.before, &r.after, |s| human(s.packed)),
            reduction(r),
        );
    }
    println!();
    println!(
        "size raw: installed files (caches left out; pip and setuptools only if used) -> the bale's entries\n\
         decoded (source and bytecode);"
    );
    if t.packed_is_brotli {
        println!(
            "size packed: those files deflated as in a wheel -> as a web server sends the bale with brotli -9\n\
             (each row's entries compressed together; the total: the bale file and its stdlib zip)"
        );
    } else {
        println!(
            "size packed: those files deflated as in a wheel -> as stored in the bale (the total: the whole file)"
        );
    }
    println!(
        "transfer: {} (gzip -9 {}, brotli -9 {})",
        human(t.transfer.file),
        human(t.transfer.gzip),
        human(t.transfer.brotli)
    );
    if let Some(z) = &s.side_file {
        println!(
            "wrote {}: what a page imports before the bale, {} modules as bytecode, for loadPyodide's stdLibURL \
             ({}, gzip -9 {}, brotli -9 {}; counted in the stdlib row)",
            z.path.display(),
            z.modules,
            human(z.transfer.file),
            human(z.transfer.gzip),
            human(z.transfer.brotli)
        );
    }
    let (before, after) = s.pack.stripped_docstrings;
    if before > 0 {
        println!("docstrings stripped: sources {} -> {}", human(before), human(after));
    }
    if !s.pack.compile_failures.is_empty() {
        println!("{} source file(s) did not compile and are kept as source only", s.pack.compile_failures.len());
    }
    let traced: f64 = s.runs.iter().map(|r| r.time.as_secs_f64()).sum();
    println!("traced {} run(s) in {traced:.2} s", s.runs.len());
    if !s.unresolved.is_empty() {
        println!("imports found by static analysis but not installed (optional?): {}", s.unresolved.join(", "));
    }
    if let Some(v) = &s.validation {
        for r in &v.runs {
            let args = if r.args.is_empty() {
                "(no arguments)".to_owned()
            } else {
                shlex::try_join(r.args.iter().map(String::as_str)).unwrap_or_default()
            };
            if r.same_exit && r.same_output {
                println!(
                    "validated {args}: same exit code ({}) and output; {:.2} s from the bale, {:.2} s traced",
                    r.exit.map_or("-".into(), |c| c.to_string()),
                    r.bale_time.as_secs_f64(),
                    r.traced_time.as_secs_f64()
                );
            } else {
                println!("VALIDATION FAILED {args}:\n{}", r.difference.as_deref().unwrap_or_default());
            }
        }
        for m in &v.missing {
            match &m.include {
                Some(glob) => println!("missing from the bale: {} (add it with --include '{glob}')", m.what),
                None => println!("missing from the bale: {} (not found in the environment either)", m.what),
            }
        }
    }
    if let Some(w) = &s.start_timing {
        println!("start in a fresh Pyodide on Node, ms: loadPyodide + fetch + prepare + import and run = total");
        let row = |what: &str, prepare: &str, t: &StartTime| {
            println!(
                "  {what:<12} {:>8.0} + {:>6.0} + {:>6.0} ({prepare}) + {:>6.0} = {:>8.0}",
                t.load_pyodide, t.fetch, t.prepare, t.run, t.total
            )
        };
        row("bale", "loadBale", &w.bale);
        row("wheels", "unpack", &w.wheels);
        println!("  bale / wheels: {:.2}× in total, {:.2}× after loadPyodide", w.bale.total / w.wheels.total, {
            let after = |t: &StartTime| t.total - t.load_pyodide;
            after(&w.bale) / after(&w.wheels)
        });
        let mut bale = t.transfer.clone();
        if let Some(z) = &s.side_file {
            bale.add(&z.transfer);
        }
        let what = match &s.side_file {
            Some(_) => "bale and its stdlib zip against wheels, app files and Pyodide's python_stdlib.zip",
            None => "bale against wheels and app files",
        };
        println!(
            "  transfer ({what}): brotli {} against {} ({:.2}×), gzip {} against {} ({:.2}×)",
            human(bale.brotli),
            human(w.wheels_transfer.brotli),
            bale.brotli as f64 / w.wheels_transfer.brotli as f64,
            human(bale.gzip),
            human(w.wheels_transfer.gzip),
            bale.gzip as f64 / w.wheels_transfer.gzip as f64,
        );
    }
    println!("run it: {}", s.run_hint);
}

fn arrow(before: &Side, after: &Side, f: impl Fn(&Side) -> String) -> String {
    format!("{} → {}", f(before), f(after))
}

fn reduction(r: &Row) -> String {
    r.reduction().map_or("-".into(), |p| format!("{p:.1}%"))
}
