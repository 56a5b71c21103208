//! Where every choice of a command comes from: its flags, then the environment
//! (`BALE_*` variables, read here and nowhere else), then the defaults, resolved once
//! into the options the library takes.

use std::path::{Path, PathBuf};

use anyhow::bail;
use bale_format::{Compression, codec};
use bale_pack::app::AppOptions;
use bale_pack::target::{Environment, TargetChoice};
use bale_pack::trace::Entry;
use bale_pack::trace::select::{Detect, Stdlib};
use bale_pack::{Content, PackOptions};

use crate::args::{AppArgs, ContentArg, DetectArg, PackArgs, StdlibArg, TargetArg, YesNo};
use crate::installed::Installed;

/// The `BALE_*` variables: overrides of where bale finds its parts.
#[derive(Clone, Debug, Default)]
pub struct Env {
    /// `BALE_IMPORTER`: the importer extension module to load.
    pub importer: Option<PathBuf>,
    /// `BALE_PYODIDE`: the Pyodide distribution for `--target pyodide`.
    pub pyodide: Option<PathBuf>,
    /// `BALE_RUNNERS`: the folder holding the runners `bale exe` builds on.
    pub runners: Option<PathBuf>,
    /// Where per-user caches go: `$XDG_CACHE_HOME`, else `$HOME/.cache`.
    pub cache_home: Option<PathBuf>,
}

impl Env {
    pub fn read() -> Env {
        let path = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        Env {
            importer: path("BALE_IMPORTER"),
            pyodide: path("BALE_PYODIDE"),
            runners: path("BALE_RUNNERS"),
            cache_home: path("XDG_CACHE_HOME").or_else(|| path("HOME").map(|h| h.join(".cache"))),
        }
    }
}

/// What `bale pack` will do.
pub enum Pack {
    /// Pack import roots and wheels.
    Inputs(PackOptions),
    /// Pack what an app uses (`--app`, `-m`).
    App { options: AppOptions, target: TargetChoice, importer: Option<PathBuf> },
}

/// Resolves `bale pack`'s flags.
pub fn pack(args: &PackArgs, env: &Env) -> anyhow::Result<Pack> {
    check_app_only(&args.app)?;
    let pack = pack_options(args)?;
    if !args.app.is_app() {
        return Ok(Pack::Inputs(pack));
    }
    app_pack(args, env, pack)
}

/// How the bale is written, for inputs and apps alike.
fn pack_options(args: &PackArgs) -> anyhow::Result<PackOptions> {
    let app = &args.app;
    let is_app = app.is_app();
    let web = app.target == Some(TargetArg::Pyodide);
    // Usage errors (exit code 2), as clap gives for a missing argument.
    let Some(output) = args.output.clone() else {
        let message = "no bale to write: give -o OUT.bale, or `output` in [tool.bale] of pyproject.toml";
        return Err(crate::exit::Exit(2, message.into()).into());
    };
    if !is_app && args.inputs.is_empty() {
        let message = "nothing to pack: give import roots or wheels, --app or -m (or `inputs`, `app` or `module` \
                       in [tool.bale] of pyproject.toml)";
        return Err(crate::exit::Exit(2, message.into()).into());
    }
    let framed = output.extension().is_some_and(|e| e == "zst");
    // `--dictionary` alone: the size bale picks.
    let dictionary = args.dictionary.map(|size| size.unwrap_or(codec::DICTIONARY_SIZE));
    let (compression, dictionary_size) = match (args.compress, dictionary) {
        (Some(c), d) => (c, d),
        (None, None) if is_app && !framed => {
            (Compression::Zstd { level: codec::ZSTD_LEVEL }, Some(codec::DICTIONARY_SIZE))
        }
        (None, d) => (Compression::None, d),
    };
    let content = args.content.unwrap_or(if web { ContentArg::AppSource } else { ContentArg::Both });
    if content == ContentArg::AppSource && !is_app {
        bail!("--content app-source needs --app or -m: it keeps the source of the app's own files");
    }
    if dictionary_size.is_some() && compression == Compression::None {
        bail!("--dictionary needs --compress zstd");
    }
    Ok(PackOptions {
        inputs: args.inputs.clone(),
        output,
        include: args.include.clone(),
        exclude: args.exclude.clone(),
        content: match content {
            ContentArg::Bytecode => Content::Bytecode,
            ContentArg::Source => Content::Source,
            ContentArg::Both => Content::Both,
            ContentArg::AppSource => Content::AppSource,
        },
        python: args.python.clone(),
        compression,
        dictionary_size,
        optimize: args.optimize.unwrap_or(0),
        strip_docstrings: args.strip_docstrings,
        debug_ranges: args.debug_ranges.map_or(!web, |d| d == YesNo::Yes),
        framed,
        app_files: Default::default(),
        embed_importer: app.embed_importer,
        entry: None,
        rest: None,
        native_alignment: None,
    })
}

/// What `--app` or `-m` packs with: the target, how the app is traced and validated,
/// and the importer.
fn app_pack(args: &PackArgs, env: &Env, pack: PackOptions) -> anyhow::Result<Pack> {
    let app = &args.app;
    let web = app.target == Some(TargetArg::Pyodide);
    let installed = Installed::find();
    let (target, installed_importer) = match app.target.unwrap_or(TargetArg::Native) {
        TargetArg::Native => {
            // The app's environment's interpreter is the one its bale is for.
            let venv_python = app.venv.as_deref().map(|v| absolute(v).join("bin/python"));
            let python = args.python.clone().or(venv_python);
            (TargetChoice::Native { python }, installed.as_ref().and_then(Installed::importer))
        }
        TargetArg::Pyodide => (
            TargetChoice::Pyodide { distribution: absolute(&pyodide(app, env)?) },
            installed.as_ref().and_then(Installed::web_importer),
        ),
    };
    let options = AppOptions {
        entry: entry(app)?,
        environment: match (&app.requirements, &app.venv) {
            (Some(r), _) => Environment::Requirements(absolute(r)),
            (None, Some(v)) => Environment::Venv(absolute(v)),
            (None, None) => Environment::Interpreter,
        },
        runs: app
            .runs
            .iter()
            .map(|r| shlex::split(r).ok_or_else(|| anyhow::anyhow!("--run {r:?}: unbalanced quotes")))
            .collect::<anyhow::Result<Vec<_>>>()?,
        detect: match app.detect.unwrap_or(DetectArg::Both) {
            DetectArg::Runtime => Detect::Runtime,
            DetectArg::Static => Detect::Static,
            DetectArg::Both => Detect::Both,
        },
        // For the web, carrying the standard library is what lets a page start from
        // bytecode (the trimmed zip) instead of compiling Pyodide's sources.
        stdlib: match app.stdlib.unwrap_or(if web { StdlibArg::Used } else { StdlibArg::None }) {
            StdlibArg::Used => Stdlib::Used,
            StdlibArg::All => Stdlib::All,
            StdlibArg::None => Stdlib::None,
        },
        validate: app.validate,
        rest: app.rest,
        include_from: app.include_from.iter().map(|f| absolute(f)).collect(),
        pack,
    };
    let importer = app.importer.as_deref().map(absolute).or_else(|| env.importer.clone()).or(installed_importer);
    Ok(Pack::App { options, target, importer })
}

/// The Pyodide distribution to pack with: `--pyodide`, `BALE_PYODIDE`,
/// `./node_modules/pyodide`, else the one in the per-user cache (installed there once).
fn pyodide(app: &AppArgs, env: &Env) -> anyhow::Result<PathBuf> {
    if let Some(dir) = app.pyodide.clone().or_else(|| env.pyodide.clone()) {
        return Ok(dir);
    }
    let local = PathBuf::from("node_modules/pyodide");
    if local.join("pyodide.mjs").is_file() {
        return Ok(local);
    }
    let Some(cache) = &env.cache_home else {
        bail!("--target pyodide: name a Pyodide distribution with --pyodide DIR (no $HOME to cache one in)");
    };
    crate::installed::cached_pyodide(cache)
}

/// Options that mean something only with `--app` or `-m`, or only for one target:
/// one table, so the message names exactly the options it checks.
fn check_app_only(app: &AppArgs) -> anyhow::Result<()> {
    let app_only: [(&str, bool); 12] = [
        ("-r", app.requirements.is_some()),
        ("--venv", app.venv.is_some()),
        ("--run", !app.runs.is_empty()),
        ("--detect", app.detect.is_some()),
        ("--stdlib", app.stdlib.is_some()),
        ("--validate", app.validate),
        ("--target", app.target.is_some()),
        ("--pyodide", app.pyodide.is_some()),
        ("--importer", app.importer.is_some()),
        ("--embed-importer", app.embed_importer),
        ("--rest", app.rest),
        ("--include-from", !app.include_from.is_empty()),
    ];
    let given: Vec<&str> = app_only.iter().filter(|(_, given)| *given).map(|(name, _)| *name).collect();
    if !given.is_empty() && !app.is_app() {
        bail!("{} need{} --app or -m", given.join(", "), if given.len() == 1 { "s" } else { "" });
    }
    let web_only: [(&str, bool); 2] = [("--pyodide", app.pyodide.is_some()), ("--embed-importer", app.embed_importer)];
    let given: Vec<&str> = web_only.iter().filter(|(_, given)| *given).map(|(name, _)| *name).collect();
    if !given.is_empty() && app.target != Some(TargetArg::Pyodide) {
        bail!("{} need{} --target pyodide", given.join(" and "), if given.len() == 1 { "s" } else { "" });
    }
    Ok(())
}

/// How the app is started while traced.
fn entry(app: &AppArgs) -> anyhow::Result<Entry> {
    let entry = match (&app.app, &app.module) {
        (Some(dir), module) if dir.is_dir() => {
            Entry::Module { root: Some(absolute(dir)), module: module.clone().unwrap_or_else(|| "__main__".into()) }
        }
        (Some(script), None) => Entry::Script(absolute(script)),
        (Some(app), Some(_)) => bail!("{}: with -m, --app names the app's folder", app.display()),
        (None, Some(module)) => Entry::Module { root: None, module: module.clone() },
        (None, None) => unreachable!("only called for an app"),
    };
    if let (Entry::Module { root: Some(root), module }, None) = (&entry, &app.module)
        && module == "__main__"
        && !root.join("__main__.py").is_file()
    {
        bail!("{}: a folder given to --app needs a __main__.py, or -m MODULE", root.display());
    }
    Ok(entry)
}

/// What a command was told to run, if anything.
pub struct Given {
    pub module: Option<String>,
    /// `MODULE` or `MODULE:FUNC` (`--entry`).
    pub function: Option<String>,
    pub script: Option<String>,
}

/// What `bale run` and `bale exe` run: what they were told, else the entry point the
/// bale records, else its `__main__` module; checked to be in the bale.
pub fn entry_point<D: AsRef<[u8]>>(
    given: Given,
    bale: &bale_format::Bale<D>,
    path: &Path,
) -> anyhow::Result<bale_format::EntryPoint> {
    use crate::exit::{EXIT_NO_ENTRY, EXIT_USAGE};
    use bale_format::EntryPoint;
    let usage = |message: String| crate::exit::Exit(EXIT_USAGE, message);
    let entry = match given {
        Given { module: Some(m), .. } => EntryPoint::parse_module(&m).map_err(|e| usage(format!("-m {m:?}: {e}")))?,
        Given { function: Some(f), .. } => EntryPoint::parse_module(&f)
            .map_err(|_| usage(format!("--entry {f:?}: expected MODULE or MODULE:FUNCTION")))?,
        Given { script: Some(s), .. } => {
            let s = s.trim_start_matches("./");
            EntryPoint::script(s).map_err(|e| usage(format!("{s:?}: {e}")))?
        }
        _ => match bale.entry_point()? {
            Some(recorded) => recorded,
            None if bale.module("__main__")?.is_some() => EntryPoint::Module("__main__".into()),
            None => {
                return Err(usage(format!(
                    "{}: records no entry point and has no __main__ module: say what to run, a script (SCRIPT), \
                     a module (-m MODULE) or a function (--entry MODULE:FUNC)",
                    path.display()
                ))
                .into());
            }
        },
    };
    let missing = match &entry {
        EntryPoint::Script(script) => (bale.file(script)?.is_none() && !script_as_module(bale, script)?)
            .then(|| format!("no script {script} in it")),
        EntryPoint::Module(m) => match bale.module(m)? {
            None => Some(format!("no module {m} in it")),
            // `python -m PACKAGE` runs the package's __main__.
            Some(p) if p.is_package && bale.module(&format!("{m}.__main__"))?.is_none() => {
                Some(format!("no module {m}.__main__ in it, which the package {m} runs as"))
            }
            Some(_) => None,
        },
        EntryPoint::Function { module: m, .. } => bale.module(m)?.is_none().then(|| format!("no module {m} in it")),
    };
    // One exit code for an entry the bale lacks, whatever its kind (Python's own
    // differ: 1 for a module, 2 for a script).
    match missing {
        Some(what) => Err(crate::exit::Exit(EXIT_NO_ENTRY, format!("{}: {what}", path.display())).into()),
        None => Ok(entry),
    }
}

/// Whether a script packed as bytecode only is there as the module of its name.
fn script_as_module<D: AsRef<[u8]>>(bale: &bale_format::Bale<D>, script: &str) -> anyhow::Result<bool> {
    let Some(stem) = script.strip_suffix(".py") else { return Ok(false) };
    Ok(bale.module(&stem.replace('/', "."))?.is_some())
}

/// The importer `bale run` loads for `python`: `BALE_IMPORTER`, else the one installed
/// with this command (abi3: it serves any CPython 3.10+), else the one installed for
/// `python`.
pub fn run_importer(python: &Path, env: &Env) -> anyhow::Result<PathBuf> {
    if let Some(path) = env.importer.clone().or_else(|| Installed::find().and_then(|i| i.importer())) {
        return Ok(path);
    }
    Ok(bale_pack::target::native::installed_importer(python)?)
}

/// Where `bale exe` looks for runners: `BALE_RUNNERS`, the runner packages installed
/// beside this command, then this command's folder.
pub fn runner_folders(env: &Env) -> Vec<PathBuf> {
    let mut places: Vec<PathBuf> = env.runners.iter().cloned().collect();
    places.extend(Installed::find().map(|i| i.runner_folders()).unwrap_or_default());
    if let Some(dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_owned)) {
        places.push(dir);
    }
    places
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}
