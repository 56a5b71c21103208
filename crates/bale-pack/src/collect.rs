//! Reading the inputs: import roots (folders laid out like `site-packages`) and wheel
//! files, merged into one tree of files keyed by their path from the root.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use bale_format::name::check_path;
use globset::GlobMatcher;

use crate::error::PackError;

/// One input file.
#[derive(Clone, Debug)]
pub struct InputFile {
    pub content: Vec<u8>,
    pub executable: bool,
    /// Where it came from, for messages: a path on disk, or `wheel.whl:member`.
    pub origin: String,
}

/// Every input file by its `/`-separated path from the root, and what was left out.
#[derive(Debug, Default)]
pub struct Collected {
    pub files: BTreeMap<String, InputFile>,
    pub warnings: Vec<String>,
    /// Files dropped by `--exclude` or not matched by `--include`.
    pub filtered: usize,
}

/// `--include` and `--exclude` patterns.
///
/// A pattern with a `/` matches a path from the root (`numpy/*/tests`); one without
/// matches a single name at any depth (`*.pyi`, `tests`). `*` stays within one name,
/// `**` crosses folders. A pattern that matches a folder applies to all it holds.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    include: Vec<Pattern>,
    exclude: Vec<Pattern>,
}

#[derive(Clone, Debug)]
struct Pattern {
    matcher: GlobMatcher,
    whole_path: bool,
}

impl Pattern {
    fn new(glob: &str) -> Result<Pattern, PackError> {
        let trimmed = glob.trim_matches('/');
        let matcher = globset::GlobBuilder::new(trimmed)
            .literal_separator(true)
            .build()
            .map_err(|e| PackError::Usage(format!("bad pattern {glob:?}: {e}")))?
            .compile_matcher();
        Ok(Pattern { matcher, whole_path: trimmed.contains('/') })
    }

    /// True if the pattern matches `path` or any folder on the way to it.
    fn matches(&self, path: &str) -> bool {
        let mut prefix = path;
        loop {
            let candidate = if self.whole_path { prefix } else { bale_format::name::last_component(prefix, '/') };
            if self.matcher.is_match(candidate) {
                return true;
            }
            match prefix.rfind('/') {
                Some(i) => prefix = &prefix[..i],
                None => return false,
            }
        }
    }
}

impl Filter {
    pub fn new(include: &[String], exclude: &[String]) -> Result<Filter, PackError> {
        Ok(Filter {
            include: include.iter().map(|g| Pattern::new(g)).collect::<Result<_, _>>()?,
            exclude: exclude.iter().map(|g| Pattern::new(g)).collect::<Result<_, _>>()?,
        })
    }

    pub fn has_includes(&self) -> bool {
        !self.include.is_empty()
    }

    /// True if an `--include` pattern names `path`.
    pub fn includes(&self, path: &str) -> bool {
        self.include.iter().any(|p| p.matches(path))
    }

    /// True if an `--exclude` pattern names `path`.
    pub fn excludes(&self, path: &str) -> bool {
        self.exclude.iter().any(|p| p.matches(path))
    }

    pub fn accepts(&self, path: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| p.matches(path)))
            && !self.exclude.iter().any(|p| p.matches(path))
    }
}

/// Reads every input. Where two inputs hold the same path, the first wins, as the
/// first entry of `sys.path` does.
pub fn collect(inputs: &[PathBuf], filter: &Filter, progress: &dyn Fn(usize)) -> Result<Collected, PackError> {
    let mut out = Collected::default();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| PackError::io(input, e))?;
        if meta.is_dir() {
            collect_dir(input, filter, &mut out, progress)?;
        } else if input.extension().is_some_and(|e| e == "whl") {
            collect_wheel(input, filter, &mut out, progress)?;
        } else {
            return Err(PackError::Usage(format!(
                "{}: not a folder or a wheel (.whl); pack takes import roots such as a site-packages folder, and wheels",
                input.display()
            )));
        }
    }
    Ok(out)
}

impl Collected {
    /// Whether to read the file at `path`: its name must be valid (a bad name is refused
    /// even where a pattern would drop it), caches are skipped, and the filter decides.
    fn wants(&mut self, path: &str, origin: &dyn Fn() -> String, filter: &Filter) -> Result<bool, PackError> {
        check_path(path).map_err(|e| PackError::Input { origin: origin(), reason: e.to_string() })?;
        if is_cache(path) {
            return Ok(false);
        }
        if !filter.accepts(path) {
            self.filtered += 1;
            return Ok(false);
        }
        Ok(true)
    }

    fn add(&mut self, path: String, file: InputFile) {
        match self.files.get(&path) {
            Some(first) => self.warnings.push(format!("{path}: using {} and ignoring {}", first.origin, file.origin)),
            None => {
                self.files.insert(path, file);
            }
        }
    }
}

/// `__pycache__` folders hold caches of the sources, which the packer compiles itself.
pub(crate) fn is_cache(path: &str) -> bool {
    path.split('/').any(|c| c == "__pycache__")
}

fn collect_dir(root: &Path, filter: &Filter, out: &mut Collected, progress: &dyn Fn(usize)) -> Result<(), PackError> {
    let walker = walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name();
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| root.to_owned());
            PackError::io(&path, e.into())
        })?;
        let path = entry.path();
        let rel = path.strip_prefix(root).expect("walkdir stays under its root");
        if rel.as_os_str().is_empty() {
            continue;
        }
        let Some(rel_str) = rel.to_str() else {
            return Err(PackError::Input {
                origin: path.display().to_string(),
                reason: "file name is not UTF-8".into(),
            });
        };
        let rel_str = rel_str.replace(std::path::MAIN_SEPARATOR, "/");
        let file_type = entry.file_type();
        if file_type.is_dir() {
            continue;
        }
        let meta = if file_type.is_symlink() {
            match std::fs::metadata(path) {
                Ok(m) if m.is_file() => m,
                Ok(_) => {
                    out.warnings.push(format!("{}: skipped a symbolic link to a folder", path.display()));
                    continue;
                }
                Err(_) => {
                    out.warnings.push(format!("{}: skipped a broken symbolic link", path.display()));
                    continue;
                }
            }
        } else {
            entry.metadata().map_err(|e| PackError::io(path, e.into()))?
        };
        if !meta.is_file() {
            continue; // sockets, fifos
        }
        if !out.wants(&rel_str, &|| path.display().to_string(), filter)? {
            continue;
        }
        let content = std::fs::read(path).map_err(|e| PackError::io(path, e))?;
        let file = InputFile { content, executable: is_executable(&meta), origin: path.display().to_string() };
        out.add(rel_str, file);
        progress(1);
    }
    Ok(())
}

#[cfg(unix)]
pub(crate) fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
pub(crate) fn is_executable(_: &std::fs::Metadata) -> bool {
    false
}

/// A wheel is a zip of an import root, plus `NAME.data/` folders: `purelib` and
/// `platlib` go to the root, as an installer puts them; `scripts`, `headers` and `data`
/// install outside `site-packages`, so they are left out, with a warning.
fn collect_wheel(
    wheel: &Path,
    filter: &Filter,
    out: &mut Collected,
    progress: &dyn Fn(usize),
) -> Result<(), PackError> {
    let file = std::fs::File::open(wheel).map_err(|e| PackError::io(wheel, e))?;
    let bad = |reason: String| PackError::Input { origin: wheel.display().to_string(), reason };
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| bad(format!("not a wheel: {e}")))?;
    let mut skipped_data = 0usize;
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        if member.is_dir() {
            continue;
        }
        let name = member.name().to_owned();
        let origin = format!("{}:{name}", wheel.display());
        let mut path = name.as_str();
        if let Some((first, rest)) = path.split_once('/')
            && first.ends_with(".data")
        {
            match rest.split_once('/') {
                Some(("purelib" | "platlib", inner)) => path = inner,
                _ => {
                    skipped_data += 1;
                    continue;
                }
            }
        }
        if !out.wants(path, &|| origin.clone(), filter)? {
            continue;
        }
        let executable = member.unix_mode().is_some_and(|m| m & 0o111 != 0);
        let mut content = Vec::with_capacity(member.size().min(1 << 30) as usize);
        member.read_to_end(&mut content).map_err(|e| bad(format!("{name}: {e}")))?;
        out.add(path.to_owned(), InputFile { content, executable, origin });
        progress(1);
    }
    if skipped_data > 0 {
        out.warnings.push(format!(
            "{}: left out {skipped_data} file(s) of its .data/scripts, headers or data (installed outside site-packages)",
            wheel.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(include: &[&str], exclude: &[&str], path: &str) -> bool {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Filter::new(&s(include), &s(exclude)).unwrap().accepts(path)
    }

    #[test]
    fn patterns_without_a_slash_match_a_name_at_any_depth() {
        assert!(!accepts(&[], &["tests"], "numpy/core/tests/test_x.py"));
        assert!(!accepts(&[], &["*.pyi"], "rich/console.pyi"));
        assert!(accepts(&[], &["*.pyi"], "rich/console.py"));
        assert!(accepts(&[], &["tests"], "numpy/core/testsuite.py"));
    }

    #[test]
    fn patterns_with_a_slash_match_from_the_root() {
        assert!(!accepts(&[], &["numpy/*/tests"], "numpy/core/tests/test_x.py"));
        assert!(accepts(&[], &["numpy/*/tests"], "numpy/core/sub/tests/test_x.py"));
        assert!(!accepts(&[], &["numpy/**/tests"], "numpy/core/sub/tests/test_x.py"));
        assert!(accepts(&[], &["rich/*.py"], "rich/sub/x.py"));
    }

    #[test]
    fn include_selects_and_exclude_wins() {
        assert!(accepts(&["rich"], &[], "rich/console.py"));
        assert!(!accepts(&["rich"], &[], "jinja2/x.py"));
        assert!(!accepts(&["rich"], &["rich/_win*"], "rich/_windows.py"));
        assert!(accepts(&["rich", "rich-*.dist-info"], &[], "rich-13.7.1.dist-info/METADATA"));
    }

    #[test]
    fn caches_are_never_packed() {
        assert!(is_cache("rich/__pycache__/console.cpython-311.pyc"));
        assert!(!is_cache("rich/console.py"));
    }
}
