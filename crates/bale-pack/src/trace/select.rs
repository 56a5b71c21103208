//! Choosing the files: every path the app touched, mapped to the import root it lies
//! under (the app's folder, the standard library, site-packages) and to the
//! distribution that installed it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::misses::Miss;
use super::{SeenModule, Trace};
use crate::collect::is_cache;
use crate::collect::{Filter, InputFile};
use crate::error::PackError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detect {
    /// What the traced runs imported, opened and loaded.
    Runtime,
    /// What the app's code imports, followed through every module it reaches.
    Static,
    /// Both: static analysis adds what the app's code imports but the runs did not reach.
    Both,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdlib {
    /// The standard-library modules and files the app used.
    Used,
    /// The whole standard library (but its own tests).
    All,
    /// None: the interpreter's own standard library serves the app.
    None,
}

/// What decides the selection besides the trace.
#[derive(Clone, Debug)]
pub struct Choice<'a> {
    /// The app's own folder.
    pub app: Option<&'a Path>,
    pub detect: Detect,
    pub stdlib: Stdlib,
    pub include: &'a [String],
    pub exclude: &'a [String],
    /// Paths inside the bale to take as if the app had touched them: what a bale
    /// lacked when it ran (`--include-from`).
    pub misses: &'a [Miss],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// The app's own folder.
    App,
    /// A distribution, by its index in [`Trace::distributions`].
    Distribution(usize),
    Stdlib,
    /// Files under site-packages that no distribution claims.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootKind {
    App,
    Stdlib,
    Site,
}

#[derive(Clone, Debug)]
pub struct Root {
    pub path: PathBuf,
    pub kind: RootKind,
}

/// A chosen file: where it is on disk and whose it is.
#[derive(Clone, Debug)]
pub struct Chosen {
    pub path: PathBuf,
    pub group: Group,
}

#[derive(Debug)]
pub struct Selection {
    /// Import roots in `sys.path` order.
    pub roots: Vec<Root>,
    /// By path in the bale (from its root).
    pub chosen: BTreeMap<String, Chosen>,
    pub trace: Trace,
    pub stdlib: Stdlib,
    pub warnings: Vec<String>,
    /// Which distribution installed each file.
    owner: HashMap<PathBuf, usize>,
}

pub fn select(trace: &Trace, statically: &[SeenModule], options: &Choice<'_>) -> Result<Selection, PackError> {
    let filter = Filter::new(options.include, options.exclude)?;
    let roots = roots(trace, options.app);
    let mut owner = HashMap::new();
    for (i, d) in trace.distributions.iter().enumerate() {
        for f in &d.files {
            owner.insert(f.clone(), i);
        }
    }
    let mut s = Selection {
        roots,
        chosen: BTreeMap::new(),
        trace: trace.clone(),
        stdlib: options.stdlib,
        warnings: Vec::new(),
        owner,
    };

    let mut touched: BTreeSet<PathBuf> = BTreeSet::new();
    if options.detect != Detect::Static {
        touched.extend(trace.modules.iter().filter_map(|m| m.origin.clone()));
        touched.extend(trace.opened.iter().filter_map(|p| source_of(p)));
        touched.extend(trace.libraries.iter().cloned());
    }
    touched.extend(statically.iter().filter_map(|m| m.origin.clone()));
    // A distribution is used when any file it installed was: then its metadata goes
    // in whole, for importlib.metadata.
    let mut used = vec![false; trace.distributions.len()];
    for path in &touched {
        if let Some(i) = s.distribution_of(path) {
            used[i] = true;
        }
    }
    for path in touched {
        s.choose(&path, false);
    }
    if options.stdlib == Stdlib::All {
        for path in s.walk(RootKind::Stdlib) {
            let rel = s.locate(&path).map(|(_, rel)| rel).unwrap_or_default();
            if !is_stdlib_test(&rel) {
                s.choose(&path, false);
            }
        }
    }
    for kind in [RootKind::App, RootKind::Site, RootKind::Stdlib] {
        if filter.has_includes() {
            for path in s.walk(kind) {
                if let Some((_, rel)) = s.locate(&path)
                    && filter.includes(&rel)
                {
                    if let Some(i) = s.distribution_of(&path) {
                        used[i] = true;
                    }
                    s.choose(&path, true);
                }
            }
        }
    }
    for path in named_outputs(&s.roots, options.include) {
        s.choose(&path, true);
    }
    for miss in options.misses {
        for path in s.find_miss(miss) {
            if let Some(i) = s.distribution_of(&path) {
                used[i] = true;
            }
            s.choose(&path, false);
        }
    }
    for (i, d) in trace.distributions.iter().enumerate() {
        if let (true, Some(dir)) = (used[i], &d.metadata_dir) {
            for entry in walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().flatten() {
                if entry.file_type().is_file() {
                    s.choose(entry.path(), false);
                }
            }
        }
    }
    s.chosen.retain(|rel, _| !filter.excludes(rel));
    Ok(s)
}

/// Whether a path inside the standard library lies in one of its own test folders,
/// which neither `--stdlib all` nor the rest bale carries.
pub(crate) fn is_stdlib_test(rel: &str) -> bool {
    rel.split('/').any(|c| c == "test" || c == "tests" || c == "idle_test")
}

/// The import roots, from the traced `sys.path`.
fn roots(trace: &Trace, app: Option<&Path>) -> Vec<Root> {
    let mut out: Vec<Root> = Vec::new();
    for path in &trace.sys_path {
        if !path.is_dir() || out.iter().any(|r| &r.path == path) {
            continue;
        }
        let kind = if Some(path.as_path()) == app {
            RootKind::App
        } else if trace.site.contains(path) {
            RootKind::Site
        } else if trace.stdlib.iter().any(|s| path.starts_with(s)) {
            RootKind::Stdlib
        } else {
            RootKind::Site
        };
        out.push(Root { path: path.clone(), kind });
    }
    out
}

/// A file the tracer saw opened, as the file to pack: a cached `.pyc` stands for its
/// source; folders and files that no longer exist are dropped.
fn source_of(path: &Path) -> Option<PathBuf> {
    let parent = path.parent()?;
    if parent.file_name().is_some_and(|n| n == "__pycache__") {
        let stem = path.file_name()?.to_str()?.split('.').next()?;
        let source = parent.parent()?.join(format!("{stem}.py"));
        return source.is_file().then_some(source);
    }
    path.is_file().then(|| path.to_owned())
}

impl Selection {
    /// The root `path` lies under (the deepest, since site-packages may lie inside the
    /// standard library's folder) and its path from there, `/`-separated.
    pub fn locate(&self, path: &Path) -> Option<(usize, String)> {
        let (i, root) = self
            .roots
            .iter()
            .enumerate()
            .filter(|(_, r)| path.starts_with(&r.path))
            .max_by_key(|(_, r)| r.path.components().count())?;
        let rel = path.strip_prefix(&root.path).ok()?;
        let rel: Vec<&str> = rel.iter().map(|c| c.to_str()).collect::<Option<_>>()?;
        Some((i, rel.join("/")))
    }

    pub fn distribution_of(&self, path: &Path) -> Option<usize> {
        if let Some(&i) = self.owner.get(path) {
            return Some(i);
        }
        self.trace.distributions.iter().position(|d| d.metadata_dir.as_deref().is_some_and(|m| path.starts_with(m)))
    }

    /// Whose a file is.
    pub fn group_of(&self, path: &Path, root: usize) -> Group {
        if let Some(i) = self.distribution_of(path) {
            return Group::Distribution(i);
        }
        match self.roots[root].kind {
            RootKind::App => Group::App,
            RootKind::Stdlib => Group::Stdlib,
            RootKind::Site => Group::Other,
        }
    }

    /// Adds a file unless it lies outside every root, is a cache, is the standard
    /// library's and that is not carried (unless `forced` by --include), or another
    /// root earlier on `sys.path` already gave that path.
    fn choose(&mut self, path: &Path, forced: bool) {
        let Some((root, rel)) = self.locate(path) else { return };
        if rel.is_empty() || is_cache(&rel) || !path.is_file() {
            return;
        }
        let kind = self.roots[root].kind;
        if kind == RootKind::Stdlib && self.stdlib == Stdlib::None && !forced {
            return;
        }
        if let Err(e) = bale_format::name::check_path(&rel) {
            self.warnings.push(format!("{}: left out: {e}", path.display()));
            return;
        }
        let group = self.group_of(path, root);
        match self.chosen.get(&rel) {
            Some(first) if first.path != path => {
                let first_root = self.locate(&first.path).map_or(usize::MAX, |(r, _)| r);
                if root < first_root {
                    self.warnings.push(format!(
                        "{rel}: using {} and ignoring {}",
                        path.display(),
                        first.path.display()
                    ));
                    self.chosen.insert(rel, Chosen { path: path.to_owned(), group });
                }
            }
            Some(_) => {}
            None => {
                self.chosen.insert(rel, Chosen { path: path.to_owned(), group });
            }
        }
    }

    /// The files a miss names, from the first root in `sys.path` order that has its
    /// path (a folder: every file under it that [`walk_root`] finds). The standard
    /// library's roots are passed over when it is not carried: the interpreter's own
    /// serves it. A path in no root is left out with a warning.
    fn find_miss(&mut self, miss: &Miss) -> Vec<PathBuf> {
        let mut in_stdlib = false;
        let mut found = None;
        for root in &self.roots {
            let path = root.path.join(&miss.path);
            if !path.exists() {
                continue;
            }
            if root.kind == RootKind::Stdlib && self.stdlib == Stdlib::None {
                in_stdlib = true;
                continue;
            }
            found = Some((path, root.kind));
            break;
        }
        let Some((path, kind)) = found else {
            if !in_stdlib {
                let module = miss.module.as_ref().map_or(String::new(), |m| format!(" (module {m})"));
                self.warnings.push(format!(
                    "{}{module}, named by {}: in no import root of the environment, left out",
                    miss.path,
                    miss.from.display()
                ));
            }
            return Vec::new();
        };
        if !path.is_dir() {
            return vec![path];
        }
        walk_root(&path, kind, &[])
    }

    /// The app's own files, by path in the bale.
    pub fn app_files(&self) -> BTreeSet<String> {
        self.chosen.iter().filter(|(_, c)| c.group == Group::App).map(|(rel, _)| rel.clone()).collect()
    }

    /// Takes out of the bale what goes into a Pyodide bale's trimmed stdlib zip, and
    /// returns it (paths from the standard library's root): the files `before_bale`
    /// names (what a page imports before the bale's finder is in place), and the
    /// chosen files of every package among them. A package imported from the zip
    /// finds its submodules on its `__path__`, which is in the zip: `encodings` finds
    /// its codecs, `importlib` its `resources` there.
    pub fn split_stdlib(&mut self, before_bale: &BTreeSet<String>) -> BTreeSet<String> {
        let packages: BTreeSet<&str> = before_bale.iter().filter_map(|rel| Some(rel.split_once('/')?.0)).collect();
        let mut zip = before_bale.clone();
        self.chosen.retain(|rel, c| {
            let in_zip = c.group == Group::Stdlib
                && (before_bale.contains(rel) || rel.split_once('/').is_some_and(|(top, _)| packages.contains(top)));
            if in_zip {
                zip.insert(rel.clone());
            }
            !in_zip
        });
        zip
    }

    /// Every file under the roots of `kind` that could be packed ([`walk_root`]), each
    /// root without the roots inside it.
    pub fn walk(&self, kind: RootKind) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for (i, root) in self.roots.iter().enumerate().filter(|(_, r)| r.kind == kind) {
            let nested: Vec<&Path> =
                self.roots.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, r)| r.path.as_path()).collect();
            out.extend(walk_root(&root.path, kind, &nested));
        }
        out
    }

    /// The chosen files' contents, by path in the bale.
    pub fn read_files(&self) -> Result<BTreeMap<String, InputFile>, PackError> {
        read_files(&self.chosen)
    }
}

/// Every file under `root`, a root of `kind`, that could be packed: no caches, no
/// hidden folders, no virtual environments, no site-packages inside the standard
/// library, not the standard library's build folder (`config-3.X-...`), none of the
/// `nested` roots, no symbolic links (a venv's `lib64` is its `lib`), and in the app's
/// folder no earlier outputs ([`is_output`]). The one list of an app's files: what is
/// packed, the rest, the reduction table and Pyodide's start without a bale all take it.
pub fn walk_root(root: &Path, kind: RootKind, nested: &[&Path]) -> Vec<PathBuf> {
    let walker = walkdir::WalkDir::new(root).sort_by_file_name().into_iter().filter_entry(|e| {
        if e.depth() == 0 || !e.file_type().is_dir() {
            return true;
        }
        let name = e.file_name().to_string_lossy();
        !(name.starts_with('.')
            || name == "__pycache__"
            || name == "site-packages"
            || (kind == RootKind::Stdlib && e.depth() == 1 && name.starts_with("config-"))
            || e.path().join("pyvenv.cfg").exists()
            || nested.contains(&e.path()))
    });
    walker
        .flatten()
        .filter(|e| e.file_type().is_file() && !(kind == RootKind::App && is_output(e.path())))
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// Whether a file is what `bale pack` or `bale exe` wrote: a bale (framed, or inside
/// a program) or a trimmed standard library (`NAME.stdlib.zip`). Written into the
/// app's folder, an earlier output is not the app's: packed again, each bale would
/// carry the last. Only the app's folder is sniffed: what a distribution installed is
/// its own, bale or not.
fn is_output(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.to_string_lossy().ends_with(".stdlib.zip"))
        || bale_format::sniff::file_holds_bale(path).unwrap_or(false)
}

/// The earlier outputs in the app's folder that an `--include` names by their path
/// (no pattern takes them).
fn named_outputs(roots: &[Root], include: &[String]) -> Vec<PathBuf> {
    let literal = include
        .iter()
        .map(|g| g.trim_matches('/'))
        .filter(|g| !g.is_empty() && !g.contains(['*', '?', '[', ']', '{', '}', '\\']));
    let app: Vec<&Path> = roots.iter().filter(|r| r.kind == RootKind::App).map(|r| r.path.as_path()).collect();
    literal
        .flat_map(|rel| app.iter().map(move |root| root.join(rel)))
        .filter(|path| path.is_file() && is_output(path))
        .collect()
}

/// The contents of `chosen` files, by path in the bale.
pub fn read_files(chosen: &BTreeMap<String, Chosen>) -> Result<BTreeMap<String, InputFile>, PackError> {
    let mut files = BTreeMap::new();
    for (rel, chosen) in chosen {
        let content = std::fs::read(&chosen.path).map_err(|e| PackError::io(&chosen.path, e))?;
        let meta = std::fs::metadata(&chosen.path).map_err(|e| PackError::io(&chosen.path, e))?;
        files.insert(
            rel.clone(),
            InputFile {
                content,
                executable: crate::collect::is_executable(&meta),
                origin: chosen.path.display().to_string(),
            },
        );
    }
    Ok(files)
}
