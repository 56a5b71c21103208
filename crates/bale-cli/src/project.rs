//! A project's own settings: the `[tool.bale]` table of its `pyproject.toml`, as ruff,
//! uv and maturin read theirs, so that a project that packs the same way every time
//! keeps its flags in one place.
//!
//! ```toml
//! [tool.bale]                 # bale pack
//! app = "app.py"
//! run = ["--width 40"]
//! stdlib = "used"
//! rest = true
//! output = "dist/app.bale"
//!
//! [tool.bale.web]             # bale pack --target pyodide: over [tool.bale]
//! output = "dist/app.bale.zst"
//!
//! [tool.bale.exe]             # bale exe (the bale: [tool.bale]'s output)
//! output = "dist/app"
//! ```
//!
//! Keys are the long flags' names. A flag given on the command line wins over the file,
//! `[tool.bale.web]` over `[tool.bale]` when packing for Pyodide, and the file over
//! the defaults. Paths in the file are relative to its folder. The file is the
//! nearest `pyproject.toml` with a `[tool.bale]` table, from the working folder up,
//! or the one `--config` names; `--no-config` reads none. An unknown key is refused
//! with its name, so that a misspelt setting never goes silently unused.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::ValueEnum;
use serde::Deserialize;

use crate::args::{ContentArg, DetectArg, PackArgs, StdlibArg, TargetArg, YesNo};

/// `[tool.bale]`: `bale pack`'s settings, and its two tables.
#[derive(Debug, Default)]
struct Tool {
    pack: PackTable,
    web: PackTable,
    exe: ExeTable,
}

impl Tool {
    /// Read table by table: serde cannot refuse unknown keys of a flattened struct.
    fn from_table(mut table: toml::Table) -> Result<Tool, String> {
        let mut sub = |name: &str| table.remove(name).unwrap_or_else(|| toml::Value::Table(Default::default()));
        let (web, exe) = (sub("web"), sub("exe"));
        let read = |what: &str, value: toml::Value| -> Result<PackTable, String> {
            PackTable::deserialize(value).map_err(|e| format!("{what}{}", e.message()))
        };
        Ok(Tool {
            web: read("[tool.bale.web]: ", web)?,
            exe: ExeTable::deserialize(exe).map_err(|e| format!("[tool.bale.exe]: {}", e.message()))?,
            pack: read("[tool.bale]: ", toml::Value::Table(table))?,
        })
    }
}

/// The keys of `bale pack`, as in `[tool.bale]` and `[tool.bale.web]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PackTable {
    inputs: Option<Vec<PathBuf>>,
    app: Option<PathBuf>,
    module: Option<String>,
    requirements: Option<PathBuf>,
    venv: Option<PathBuf>,
    run: Option<Vec<String>>,
    detect: Option<String>,
    stdlib: Option<String>,
    validate: Option<bool>,
    rest: Option<bool>,
    include_from: Option<Vec<PathBuf>>,
    target: Option<String>,
    pyodide: Option<PathBuf>,
    importer: Option<PathBuf>,
    embed_importer: Option<bool>,
    output: Option<PathBuf>,
    include: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    content: Option<String>,
    python: Option<PathBuf>,
    compress: Option<String>,
    /// `true` for the default size, or a size in bytes.
    dictionary: Option<Dictionary>,
    optimize: Option<u8>,
    strip_docstrings: Option<bool>,
    debug_ranges: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Dictionary {
    On(bool),
    Size(usize),
}

/// The keys of `bale exe`, in `[tool.bale.exe]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExeTable {
    pub bale: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub entry: Option<String>,
    pub native: Option<String>,
    pub keep_compression: Option<bool>,
    pub rest: Option<bool>,
    pub runner: Option<PathBuf>,
}

/// A `pyproject.toml`'s `[tool.bale]`, read, with the folder its paths are relative to.
pub struct Project {
    pub file: PathBuf,
    folder: PathBuf,
    tool: Tool,
}

/// Which file to read, as the command line says.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ConfigArgs {
    /// The `pyproject.toml` whose `[tool.bale]` holds this project's settings
    /// [default: the nearest one with a `[tool.bale]` table, from the working folder up].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Read no `pyproject.toml`: only the flags given.
    #[arg(long)]
    pub no_config: bool,
}

impl Project {
    /// The project's settings: the file `--config` names, else the nearest
    /// `pyproject.toml` with a `[tool.bale]` table; none with `--no-config` or where
    /// there is no such file.
    pub fn find(config: &ConfigArgs) -> anyhow::Result<Option<Project>> {
        if config.no_config {
            return Ok(None);
        }
        if let Some(file) = &config.config {
            return Project::read(file)?
                .map(Some)
                .with_context(|| format!("{}: no [tool.bale] table in it", file.display()));
        }
        let start = std::env::current_dir().context("the working folder")?;
        for folder in start.ancestors() {
            let file = folder.join("pyproject.toml");
            if file.is_file()
                && let Some(project) = Project::read(&file)?
            {
                return Ok(Some(project));
            }
        }
        Ok(None)
    }

    /// The `[tool.bale]` of a `pyproject.toml`, if it has one.
    fn read(file: &Path) -> anyhow::Result<Option<Project>> {
        let text = std::fs::read_to_string(file).with_context(|| file.display().to_string())?;
        let document: toml::Table = toml::from_str(&text).with_context(|| format!("{}: not TOML", file.display()))?;
        let Some(tool) = document.get("tool").and_then(|t| t.get("bale")) else { return Ok(None) };
        let toml::Value::Table(tool) = tool.clone() else { bail!("{}: tool.bale is not a table", file.display()) };
        let tool = Tool::from_table(tool).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_owned());
        let folder = absolute.parent().map(Path::to_owned).unwrap_or_default();
        Ok(Some(Project { file: absolute, folder, tool }))
    }

    /// `[tool.bale.exe]`, its paths made relative to the working folder, and the bale
    /// it builds from by default: `[tool.bale]`'s output.
    pub fn exe(&self) -> ExeTable {
        let exe = &self.tool.exe;
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| self.folder.join(p));
        ExeTable {
            bale: path(&exe.bale).or_else(|| path(&self.tool.pack.output)),
            output: path(&exe.output),
            entry: exe.entry.clone(),
            native: exe.native.clone(),
            keep_compression: exe.keep_compression,
            rest: exe.rest,
            runner: path(&exe.runner),
        }
    }

    /// `bale pack`'s flags with what they leave unset taken from the file: the web
    /// table's first when packing for Pyodide, then `[tool.bale]`'s.
    pub fn fill(&self, mut args: PackArgs) -> anyhow::Result<PackArgs> {
        let (main, web) = (&self.tool.pack, &self.tool.web);
        if web.target.is_some() {
            bail!(
                "{}: [tool.bale.web]: `target` is what chooses this table; set it in [tool.bale]",
                self.file.display()
            );
        }
        if args.app.target.is_none() {
            args.app.target = parse::<TargetArg>("target", main.target.as_deref())?;
        }
        let tables: Vec<&PackTable> = match args.app.target {
            Some(TargetArg::Pyodide) => vec![web, main],
            _ => vec![main],
        };
        for table in tables {
            self.fill_from(&mut args, table).with_context(|| format!("{}: [tool.bale]", self.file.display()))?;
        }
        Ok(args)
    }

    fn fill_from(&self, args: &mut PackArgs, table: &PackTable) -> anyhow::Result<()> {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| self.folder.join(p));
        let paths = |p: &Option<Vec<PathBuf>>| p.iter().flatten().map(|p| self.folder.join(p)).collect::<Vec<_>>();
        // What to pack is one choice: inputs, an app, or a module (with its folder).
        let chosen = !args.inputs.is_empty() || args.app.app.is_some() || args.app.module.is_some();
        if !chosen {
            args.inputs = paths(&table.inputs);
            args.app.app = path(&table.app);
            args.app.module.clone_from(&table.module);
        }
        // So is the environment the app runs in.
        if args.app.requirements.is_none() && args.app.venv.is_none() {
            args.app.requirements = path(&table.requirements);
            args.app.venv = path(&table.venv);
        }
        fill_list(&mut args.app.runs, &table.run, Clone::clone);
        fill_list(&mut args.app.include_from, &table.include_from, |p| self.folder.join(p));
        fill_list(&mut args.include, &table.include, Clone::clone);
        fill_list(&mut args.exclude, &table.exclude, Clone::clone);
        fill(&mut args.app.detect, parse::<DetectArg>("detect", table.detect.as_deref())?);
        fill(&mut args.app.stdlib, parse::<StdlibArg>("stdlib", table.stdlib.as_deref())?);
        fill(&mut args.content, parse::<ContentArg>("content", table.content.as_deref())?);
        fill(&mut args.app.pyodide, path(&table.pyodide));
        fill(&mut args.app.importer, path(&table.importer));
        fill(&mut args.output, path(&table.output));
        fill(&mut args.python, path_or_command(&self.folder, &table.python));
        if let Some(text) = &table.compress {
            let parsed = crate::args::parse_compression(text).map_err(|e| anyhow::anyhow!("compress: {e}"))?;
            fill(&mut args.compress, Some(parsed));
        }
        match table.dictionary {
            Some(Dictionary::On(true)) => fill(&mut args.dictionary, Some(None)),
            Some(Dictionary::Size(size)) => fill(&mut args.dictionary, Some(Some(size))),
            Some(Dictionary::On(false)) | None => {}
        }
        if let Some(level) = table.optimize
            && level > 2
        {
            bail!("optimize = {level}: expected 0, 1 or 2");
        }
        fill(&mut args.optimize, table.optimize);
        fill(&mut args.debug_ranges, table.debug_ranges.map(|on| if on { YesNo::Yes } else { YesNo::No }));
        args.app.validate |= table.validate.unwrap_or(false);
        args.app.rest |= table.rest.unwrap_or(false);
        args.app.embed_importer |= table.embed_importer.unwrap_or(false);
        args.strip_docstrings |= table.strip_docstrings.unwrap_or(false);
        Ok(())
    }
}

/// Sets `slot` from the file where the command line left it unset.
fn fill<T>(slot: &mut Option<T>, from_file: Option<T>) {
    if slot.is_none() {
        *slot = from_file;
    }
}

fn fill_list<T, F>(slot: &mut Vec<T>, from_file: &Option<Vec<F>>, make: impl Fn(&F) -> T) {
    if slot.is_empty()
        && let Some(items) = from_file
    {
        *slot = items.iter().map(make).collect();
    }
}

/// A value of one of the flags' choices, by the flag's own names (`stdlib = "used"`).
fn parse<T: ValueEnum>(key: &str, text: Option<&str>) -> anyhow::Result<Option<T>> {
    let Some(text) = text else { return Ok(None) };
    T::from_str(text, false).map(Some).map_err(|_| {
        let names: Vec<String> =
            T::value_variants().iter().filter_map(|v| v.to_possible_value()).map(|v| v.get_name().to_owned()).collect();
        anyhow::anyhow!("{key} = {text:?}: expected one of {}", names.join(", "))
    })
}

/// An interpreter named in the file: a path (relative to the file's folder) where it
/// has a `/`, else a command found on PATH (`python3.12`), as on the command line.
fn path_or_command(folder: &Path, python: &Option<PathBuf>) -> Option<PathBuf> {
    let python = python.as_ref()?;
    Some(if python.components().count() > 1 { folder.join(python) } else { python.clone() })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        pack: PackArgs,
    }

    /// A project folder holding `pyproject.toml` with `text`, read.
    fn project(text: &str) -> (tempfile::TempDir, anyhow::Result<Option<Project>>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pyproject.toml"), text).unwrap();
        let read = Project::read(&dir.path().join("pyproject.toml"));
        (dir, read)
    }

    fn flags(args: &[&str]) -> PackArgs {
        Cli::try_parse_from(std::iter::once("pack").chain(args.iter().copied())).unwrap().pack
    }

    const APP: &str = r#"
[project]
name = "report"

[tool.bale]
app = "app.py"
run = ["--width 40", "--fmt grid"]
stdlib = "used"
rest = true
compress = "zstd:12"
output = "dist/app.bale"

[tool.bale.web]
output = "dist/app.bale.zst"
stdlib = "all"
"#;

    #[test]
    fn the_file_fills_what_the_flags_leave_unset_relative_to_its_folder() {
        let (dir, project) = project(APP);
        let args = project.unwrap().unwrap().fill(flags(&[])).unwrap();
        assert_eq!(args.app.app, Some(dir.path().join("app.py")));
        assert_eq!(args.output, Some(dir.path().join("dist/app.bale")));
        assert_eq!(args.app.runs, ["--width 40", "--fmt grid"]);
        assert!(matches!(args.app.stdlib, Some(StdlibArg::Used)));
        assert!(args.app.rest);
        assert_eq!(args.compress, Some(bale_format::Compression::Zstd { level: 12 }));
    }

    #[test]
    fn flags_win_over_the_file() {
        let (_dir, project) = project(APP);
        let args = project.unwrap().unwrap().fill(flags(&["-m", "tool", "-o", "x.bale", "--run", "-v"])).unwrap();
        assert_eq!(args.app.app, None, "-m replaces the file's app");
        assert_eq!(args.app.module.as_deref(), Some("tool"));
        assert_eq!(args.output, Some(PathBuf::from("x.bale")));
        assert_eq!(args.app.runs, ["-v"]);
    }

    #[test]
    fn the_web_table_wins_over_the_main_one_for_pyodide_only() {
        let (dir, project) = project(APP);
        let project = project.unwrap().unwrap();
        let web = project.fill(flags(&["--target", "pyodide"])).unwrap();
        assert_eq!(web.output, Some(dir.path().join("dist/app.bale.zst")));
        assert!(matches!(web.app.stdlib, Some(StdlibArg::All)));
        assert!(web.app.rest, "what the web table leaves unset comes from [tool.bale]");
        let native = project.fill(flags(&[])).unwrap();
        assert!(matches!(native.app.stdlib, Some(StdlibArg::Used)));
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_name() {
        for (text, key) in [
            ("[tool.bale]\noutptu = 'a.bale'\n", "outptu"),
            ("[tool.bale.web]\nstdlb = 'used'\n", "stdlb"),
            ("[tool.bale.exe]\nnatve = 'memory'\n", "natve"),
        ] {
            let (_dir, read) = project(text);
            let error = format!("{:#}", read.err().expect("refused"));
            assert!(error.contains(key), "{error}");
        }
    }

    #[test]
    fn a_bad_value_names_the_key_and_the_choices() {
        let (_dir, read) = project("[tool.bale]\napp = 'a.py'\nstdlib = 'some'\n");
        let error = format!("{:#}", read.unwrap().unwrap().fill(flags(&[])).err().expect("refused"));
        assert!(error.contains("stdlib = \"some\"") && error.contains("used, all, none"), "{error}");
        let (_dir, read) = project("[tool.bale]\noptimize = 3\n");
        let error = format!("{:#}", read.unwrap().unwrap().fill(flags(&[])).err().expect("refused"));
        assert!(error.contains("optimize = 3"), "{error}");
    }

    #[test]
    fn a_pyproject_without_the_table_is_not_a_project_of_bale() {
        let (_dir, project) = project("[project]\nname = 'x'\n");
        assert!(project.unwrap().is_none());
    }

    #[test]
    fn exe_builds_from_the_packs_output_unless_told() {
        let (dir, project) = project(APP);
        let exe = project.unwrap().unwrap().exe();
        assert_eq!(exe.bale, Some(dir.path().join("dist/app.bale")));
    }
}
