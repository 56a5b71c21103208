//! Deciding what each input file is: which files are modules (and of which module),
//! which folders are packages, and the kind of everything else. The rules follow
//! CPython's path finder, so the bale imports exactly what the folder would.

use std::collections::{BTreeMap, BTreeSet};

use bale_format::FileKind;
pub use bale_format::is_identifier;
use bale_format::name::{last_component, parent};

use crate::collect::InputFile;

/// A module found in the inputs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlannedModule {
    pub package: bool,
    pub namespace: bool,
    /// Path of its `.py` file.
    pub source: Option<String>,
    /// Path of its extension module.
    pub extension: Option<String>,
    /// Path of a sourceless `.pyc` (no `.py` beside it) whose magic matches the target.
    pub sourceless: Option<String>,
}

/// What the inputs hold.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub modules: BTreeMap<String, PlannedModule>,
    /// Every input file that goes into the bale as a file, with its kind. Sourceless
    /// `.pyc` files used as bytecode are not here: they become module bytecode.
    pub files: BTreeMap<String, FileKind>,
}

/// What the classifier needs to know of the target interpreter.
pub struct TargetRules<'a> {
    /// `importlib.machinery.EXTENSION_SUFFIXES`, in the path finder's order.
    pub extension_suffixes: &'a [String],
    /// The `.pyc` magic number, for sourceless modules.
    pub magic: Option<[u8; 4]>,
}

pub fn classify(files: &BTreeMap<String, InputFile>, rules: &TargetRules<'_>) -> Plan {
    let packages = packages(files, rules);
    let mut plan = Plan::default();
    for (&dir, &namespace) in &packages {
        plan.modules.insert(dir.replace('/', "."), PlannedModule { package: true, namespace, ..Default::default() });
    }
    let module_files = find_modules(files, rules, &packages, &mut plan.modules);

    // A sourceless .pyc only stands in for a missing source; used, it becomes the
    // module's bytecode rather than a file.
    let mut sourceless: BTreeSet<String> = BTreeSet::new();
    for m in plan.modules.values_mut() {
        if m.source.is_some() {
            m.sourceless = None;
        }
        sourceless.extend(m.sourceless.clone());
    }

    for path in files.keys() {
        if sourceless.contains(path) {
            continue;
        }
        plan.files.insert(path.clone(), kind_of(path, &module_files, &packages));
    }
    plan
}

/// Packages: a folder named like an identifier, at the root or in a package. With an
/// `__init__` it is a regular package, without one a namespace package (PEP 420).
/// Returns each package's folder, and whether it is a namespace package.
fn packages<'f>(files: &'f BTreeMap<String, InputFile>, rules: &TargetRules<'_>) -> BTreeMap<&'f str, bool> {
    let dirs: BTreeSet<&str> =
        files.keys().flat_map(|p| std::iter::successors(parent(p, '/'), |d| parent(d, '/'))).collect::<BTreeSet<_>>();
    // Parents sort before their children, so one pass in order sees parents first.
    let mut packages: BTreeMap<&str, bool> = BTreeMap::new();
    for &dir in &dirs {
        let in_package = parent(dir, '/').is_none_or(|p| packages.contains_key(p));
        if in_package && is_identifier(last_component(dir, '/')) {
            let has_init = files.contains_key(&format!("{dir}/__init__.py"))
                || rules.extension_suffixes.iter().any(|s| files.contains_key(&format!("{dir}/__init__{s}")))
                || sourceless_ok(files.get(&format!("{dir}/__init__.pyc")), rules.magic);
            packages.insert(dir, !has_init);
        }
    }
    packages
}

/// Module files: in the root or directly in a package. Records in `modules` the
/// source, extension module or sourceless `.pyc` of each, and returns the source and
/// extension files.
fn find_modules<'f>(
    files: &'f BTreeMap<String, InputFile>,
    rules: &TargetRules<'_>,
    packages: &BTreeMap<&str, bool>,
    modules: &mut BTreeMap<String, PlannedModule>,
) -> BTreeSet<&'f str> {
    let mut module_files: BTreeSet<&str> = BTreeSet::new();
    let mut extension_rank: BTreeMap<String, usize> = BTreeMap::new();
    for (path, file) in files {
        let dir = parent(path, '/');
        if dir.is_some_and(|d| !packages.contains_key(d)) {
            continue;
        }
        let prefix = dir.map_or(String::new(), |d| d.replace('/', ".") + ".");
        let name = last_component(path, '/');
        let module_of = |stem: &str| {
            if stem == "__init__" { dir.map(|d| d.replace('/', ".")) } else { Some(format!("{prefix}{stem}")) }
        };
        // A folder package shadows a module file of the same name, as on disk.
        let shadowed = |stem: &str| {
            stem != "__init__" && packages.contains_key(dir.map_or(stem.to_owned(), |d| format!("{d}/{stem}")).as_str())
        };

        if let Some(stem) = name.strip_suffix(".py").filter(|s| is_stem(s) && !shadowed(s)) {
            if let Some(m) = module_of(stem) {
                modules.entry(m).or_default().source = Some(path.clone());
                module_files.insert(path);
            }
            continue;
        }
        let extension =
            rules.extension_suffixes.iter().enumerate().find_map(|(rank, suffix)| {
                name.strip_suffix(suffix.as_str()).filter(|s| is_stem(s)).map(|s| (rank, s))
            });
        if let Some((rank, stem)) = extension.filter(|(_, s)| !shadowed(s)) {
            if let Some(m) = module_of(stem) {
                // The path finder tries suffixes in order: the earliest wins.
                if extension_rank.get(&m).is_none_or(|&r| rank < r) {
                    extension_rank.insert(m.clone(), rank);
                    let entry = modules.entry(m).or_default();
                    if let Some(previous) = entry.extension.replace(path.clone()) {
                        module_files.remove(previous.as_str());
                    }
                    module_files.insert(path);
                }
            }
            continue;
        }
        if let Some(stem) = name.strip_suffix(".pyc").filter(|s| is_stem(s) && !shadowed(s))
            && sourceless_ok(Some(file), rules.magic)
            && let Some(m) = module_of(stem)
        {
            modules.entry(m).or_default().sourceless = Some(path.clone());
        }
    }
    module_files
}

/// The kind of a file that goes into the bale as a file.
fn kind_of(path: &str, module_files: &BTreeSet<&str>, packages: &BTreeMap<&str, bool>) -> FileKind {
    if module_files.contains(path) {
        if path.ends_with(".py") { FileKind::Source } else { FileKind::Extension }
    } else if is_metadata(path) {
        FileKind::Metadata
    } else if is_shared_library(last_component(path, '/')) {
        FileKind::SharedLibrary
    } else if std::iter::successors(parent(path, '/'), |d| parent(d, '/')).any(|d| packages.contains_key(d)) {
        FileKind::Resource
    } else {
        FileKind::Data
    }
}

/// A file stem that names a module: non-empty and without dots.
fn is_stem(stem: &str) -> bool {
    !stem.is_empty() && !stem.contains('.')
}

fn sourceless_ok(file: Option<&InputFile>, magic: Option<[u8; 4]>) -> bool {
    match (file, magic) {
        (Some(f), Some(m)) => f.content.len() >= 16 && f.content[..4] == m,
        _ => false,
    }
}

fn is_metadata(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or(path);
    first.ends_with(".dist-info") || first.ends_with(".egg-info")
}

/// Native libraries by name: `libx.so`, `libx.so.1.2`, `x.dylib`, `x.dll`, `x.pyd`.
pub fn is_shared_library(name: &str) -> bool {
    if [".dylib", ".dll", ".pyd"].iter().any(|s| name.ends_with(s)) {
        return true;
    }
    match name.find(".so") {
        Some(i) => {
            let rest = &name[i + 3..];
            rest.is_empty()
                || (rest.starts_with('.') && rest[1..].split('.').all(|p| p.chars().all(|c| c.is_ascii_digit())))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUFFIXES: [&str; 3] = [".cpython-311-x86_64-linux-gnu.so", ".abi3.so", ".so"];
    const MAGIC: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

    fn plan(paths: &[&str]) -> Plan {
        let files = paths
            .iter()
            .map(|p| {
                let content = if p.ends_with(".pyc") { [&MAGIC[..], &[0; 20]].concat() } else { b"x".to_vec() };
                (p.to_string(), InputFile { content, executable: false, origin: p.to_string() })
            })
            .collect();
        let suffixes: Vec<String> = SUFFIXES.iter().map(|s| s.to_string()).collect();
        classify(&files, &TargetRules { extension_suffixes: &suffixes, magic: Some(MAGIC) })
    }

    #[test]
    fn a_site_packages_tree() {
        let p = plan(&[
            "six.py",
            "rich/__init__.py",
            "rich/console.py",
            "rich/py.typed",
            "rich/themes/default.ini",
            "rich-13.7.1.dist-info/METADATA",
            "numpy/__init__.py",
            "numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so",
            "numpy/core/__init__.py",
            "numpy.libs/libopenblas64_p-r0-15028c96.3.21.so",
            "google/protobuf/__init__.py",
            "distutils-precedence.pth",
        ]);
        let kinds: Vec<(&str, FileKind)> = p.files.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            kinds,
            [
                ("distutils-precedence.pth", FileKind::Data),
                ("google/protobuf/__init__.py", FileKind::Source),
                ("numpy.libs/libopenblas64_p-r0-15028c96.3.21.so", FileKind::SharedLibrary),
                ("numpy/__init__.py", FileKind::Source),
                ("numpy/core/__init__.py", FileKind::Source),
                ("numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so", FileKind::Extension),
                ("rich-13.7.1.dist-info/METADATA", FileKind::Metadata),
                ("rich/__init__.py", FileKind::Source),
                ("rich/console.py", FileKind::Source),
                ("rich/py.typed", FileKind::Resource),
                ("rich/themes/default.ini", FileKind::Resource),
                ("six.py", FileKind::Source),
            ]
        );
        let names: Vec<&str> = p.modules.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "google",
                "google.protobuf",
                "numpy",
                "numpy.core",
                "numpy.core._multiarray_umath",
                "rich",
                "rich.console",
                "rich.themes",
                "six"
            ]
        );
        assert!(p.modules["google"].namespace && p.modules["google"].package);
        assert!(p.modules["rich.themes"].namespace, "a data folder in a package imports as a namespace package");
        assert!(!p.modules["rich"].namespace && p.modules["rich"].package);
        assert_eq!(p.modules["six"].source.as_deref(), Some("six.py"));
    }

    #[test]
    fn the_earliest_extension_suffix_wins_and_packages_shadow_modules() {
        let p = plan(&["m.abi3.so", "m.cpython-311-x86_64-linux-gnu.so", "pkg.py", "pkg/__init__.py"]);
        assert_eq!(p.modules["m"].extension.as_deref(), Some("m.cpython-311-x86_64-linux-gnu.so"));
        assert_eq!(p.files["m.abi3.so"], FileKind::SharedLibrary);
        assert_eq!(p.modules["pkg"].source.as_deref(), Some("pkg/__init__.py"));
        assert_eq!(p.files["pkg.py"], FileKind::Data);
    }

    #[test]
    fn sourceless_bytecode_stands_in_for_missing_source() {
        let p = plan(&["legacy.pyc", "both.py", "both.pyc", "pkg/__init__.pyc"]);
        assert_eq!(p.modules["legacy"].sourceless.as_deref(), Some("legacy.pyc"));
        assert!(!p.files.contains_key("legacy.pyc"));
        assert_eq!(p.modules["both"].sourceless, None);
        assert_eq!(p.files["both.pyc"], FileKind::Data);
        assert!(p.modules["pkg"].package && !p.modules["pkg"].namespace);
    }

    #[test]
    fn names_that_cannot_be_packages_are_plain_folders() {
        let p = plan(&["my-data/x.py", "1abc/y.py", "pkg/__init__.py", "pkg/sub-dir/z.py"]);
        assert_eq!(p.files["my-data/x.py"], FileKind::Data);
        assert_eq!(p.files["1abc/y.py"], FileKind::Data);
        assert_eq!(p.files["pkg/sub-dir/z.py"], FileKind::Resource);
        assert!(!p.modules.contains_key("my-data.x"));
    }

    #[test]
    fn shared_library_names() {
        for n in ["libx.so", "libx.so.1", "libgfortran-040039e1.so.5.0.0", "x.dylib", "x.dll", "_x.pyd"] {
            assert!(is_shared_library(n), "{n}");
        }
        for n in ["x.soap", "x.so.txt", "notes.txt", "so"] {
            assert!(!is_shared_library(n), "{n}");
        }
    }
}
