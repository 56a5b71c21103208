//! The rest bale (`--rest`): every file of the app's environment that the app could
//! import or read and that the main bale does not hold, for the importer to serve
//! what the traced runs never reached.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::select::{self, Chosen, Group, RootKind, Selection, Stdlib, is_stdlib_test};
use crate::collect::is_cache;
use crate::collect::{Filter, InputFile};
use crate::error::PackError;

/// The files of a rest bale, by path in the bale.
#[derive(Debug, Default)]
pub struct Rest {
    pub files: BTreeMap<String, Chosen>,
}

impl Rest {
    /// The app's own files, by path in the bale.
    pub fn app_files(&self) -> BTreeSet<String> {
        self.files.iter().filter(|(_, c)| c.group == Group::App).map(|(rel, _)| rel.clone()).collect()
    }

    pub fn read_files(&self) -> Result<BTreeMap<String, InputFile>, PackError> {
        select::read_files(&self.files)
    }
}

/// Where the rest bale of `bale` goes: beside it, `NAME.rest.bale` for `NAME.bale`
/// and `NAME.bale.zst`.
pub fn rest_path(bale: &Path) -> PathBuf {
    crate::output::beside(bale, "rest.bale")
}

impl Selection {
    /// The rest: every file [`Selection::walk`] finds under the app's and
    /// site-packages' roots, and under the standard library's unless it is not
    /// carried (the interpreter's own then serves it), but what the main bale holds
    /// (or shadows: a path the bale has from an earlier root), what the file beside
    /// the bale serves (`served`, paths from the standard library's root), the
    /// standard library's own tests, caches, what `exclude` matches, and the files
    /// the pack writes (`outputs`, and their temporary files) where they lie under a
    /// root, and pip, setuptools and wheel unless the app used them. A path found
    /// under several roots comes from the first on `sys.path`.
    pub fn rest(&self, exclude: &[String], served: &BTreeSet<String>, outputs: &[PathBuf]) -> Result<Rest, PackError> {
        let filter = Filter::new(&[], exclude)?;
        let outputs = Outputs::new(outputs);
        let mut kinds = vec![RootKind::App, RootKind::Site];
        if self.stdlib != Stdlib::None {
            kinds.push(RootKind::Stdlib);
        }
        // The tools every virtual environment is made with are not the app's, unless it
        // used them: left out, as from the reduction table.
        let dists = &self.trace.distributions;
        let used: BTreeSet<Group> = self.chosen.values().map(|c| c.group).collect();
        let seeded = |group: Group| match group {
            Group::Distribution(i) => {
                super::SEEDED.iter().any(|s| dists[i].name.eq_ignore_ascii_case(s)) && !used.contains(&group)
            }
            _ => false,
        };
        let mut rest: BTreeMap<String, (usize, Chosen)> = BTreeMap::new();
        for kind in kinds {
            for path in self.walk(kind) {
                let Some((root, rel)) = self.locate(&path) else { continue };
                let stdlib = self.roots[root].kind == RootKind::Stdlib;
                if rel.is_empty()
                    || is_cache(&rel)
                    || self.chosen.contains_key(&rel)
                    || (stdlib && (is_stdlib_test(&rel) || served.contains(&rel)))
                    || filter.excludes(&rel)
                    || bale_format::name::check_path(&rel).is_err()
                    || outputs.contains(&path)
                {
                    continue;
                }
                if rest.get(&rel).is_some_and(|(first, _)| *first <= root) {
                    continue;
                }
                let group = self.group_of(&path, root);
                if seeded(group) {
                    continue;
                }
                rest.insert(rel, (root, Chosen { path, group }));
            }
        }
        Ok(Rest { files: rest.into_iter().map(|(rel, (_, chosen))| (rel, chosen)).collect() })
    }
}

/// The files a pack writes, and their temporary files (`.NAME.PID.XXXXXX.tmp`), by
/// folder: an app folder may hold its own bale.
struct Outputs {
    files: Vec<(PathBuf, String)>,
}

impl Outputs {
    fn new(outputs: &[PathBuf]) -> Outputs {
        let files = outputs
            .iter()
            .filter_map(|o| {
                let o = std::path::absolute(o).ok()?;
                let dir = o.parent()?;
                let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
                Some((dir, o.file_name()?.to_string_lossy().into_owned()))
            })
            .collect();
        Outputs { files }
    }

    fn contains(&self, path: &Path) -> bool {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else { return false };
        let mut dir = None;
        self.files.iter().any(|(out_dir, out)| {
            let named = *name == **out
                || name
                    .strip_prefix('.')
                    .and_then(|n| n.strip_prefix(out.as_str()))
                    .is_some_and(|n| n.starts_with('.') && n.ends_with(".tmp"));
            named && {
                let dir = dir.get_or_insert_with(|| {
                    let parent = path.parent().unwrap_or(Path::new("."));
                    parent.canonicalize().unwrap_or_else(|_| parent.to_owned())
                });
                dir == out_dir
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::misses::{self, Miss};
    use crate::trace::select::{Choice, Detect};
    use crate::trace::{Distribution, SeenModule, Trace};

    /// An environment in a folder: an app, a standard library, a site-packages with
    /// a distribution the app uses and one it does not.
    struct Env {
        dir: tempfile::TempDir,
    }

    impl Env {
        fn new() -> Env {
            let env = Env { dir: tempfile::tempdir().unwrap() };
            for rel in [
                "app/main.py",
                "app/helper.py",
                "app/data.txt",
                "app/app.bale",
                "app/.app.bale.1.x.tmp",
                "stdlib/json/__init__.py",
                "stdlib/csv.py",
                "stdlib/encodings/utf_8.py",
                "stdlib/test/test_csv.py",
                "stdlib/idlelib/idle_test/test_x.py",
                "stdlib/__pycache__/csv.cpython-311.pyc",
                "site/pkg/__init__.py",
                "site/pkg/used.py",
                "site/pkg/unused.py",
                "site/pkg/tests/test_pkg.py",
                "site/pkg-1.0.dist-info/METADATA",
                "site/other/__init__.py",
                "site/other/data/table.csv",
                "site/other-2.0.dist-info/METADATA",
                "site/json/__init__.py",
                "site/pip/__init__.py",
                "site/pip-24.0.dist-info/METADATA",
            ] {
                let path = env.path(rel);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, rel).unwrap();
            }
            env
        }

        fn path(&self, rel: &str) -> PathBuf {
            self.dir.path().join(rel)
        }

        fn distribution(&self, name: &str, version: &str, files: &[&str]) -> Distribution {
            let metadata = format!("site/{name}-{version}.dist-info");
            Distribution {
                name: name.into(),
                version: version.into(),
                files: files.iter().map(|f| self.path(f)).chain([self.path(&format!("{metadata}/METADATA"))]).collect(),
                metadata_dir: Some(self.path(&metadata)),
            }
        }

        /// The trace of a run that imported `main`, `json` and `pkg.used`.
        fn trace(&self) -> Trace {
            let module = |name: &str, rel: &str| SeenModule {
                name: name.into(),
                origin: Some(self.path(rel)),
                package: rel.ends_with("__init__.py"),
            };
            Trace {
                modules: vec![
                    module("__main__", "app/main.py"),
                    module("json", "stdlib/json/__init__.py"),
                    module("pkg", "site/pkg/__init__.py"),
                    module("pkg.used", "site/pkg/used.py"),
                ],
                stdlib: vec![self.path("stdlib")],
                site: vec![self.path("site")],
                sys_path: vec![self.path("app"), self.path("stdlib"), self.path("site")],
                distributions: vec![
                    // What `python -m venv` installs: the app's only if it uses it.
                    self.distribution("pip", "24.0", &["site/pip/__init__.py"]),
                    self.distribution(
                        "pkg",
                        "1.0",
                        &["site/pkg/__init__.py", "site/pkg/used.py", "site/pkg/unused.py"],
                    ),
                    self.distribution("other", "2.0", &["site/other/__init__.py", "site/other/data/table.csv"]),
                ],
                ..Default::default()
            }
        }

        fn select(&self, stdlib: Stdlib, exclude: &[String], misses: &[Miss]) -> Selection {
            let app = self.path("app");
            let choice = Choice { app: Some(&app), detect: Detect::Runtime, stdlib, include: &[], exclude, misses };
            select::select(&self.trace(), &[], &choice).unwrap()
        }

        fn rest(&self, selection: &Selection, exclude: &[String], served: &[&str]) -> Vec<String> {
            let served = served.iter().map(|s| s.to_string()).collect();
            let rest = selection.rest(exclude, &served, &[self.path("app/app.bale")]).unwrap();
            for (rel, chosen) in &rest.files {
                assert!(!selection.chosen.contains_key(rel), "{rel} in the bale and the rest");
                assert!(chosen.path.ends_with(rel), "{rel}: {}", chosen.path.display());
            }
            rest.files.into_keys().collect()
        }
    }

    fn keys(selection: &Selection) -> Vec<&str> {
        selection.chosen.keys().map(String::as_str).collect()
    }

    #[test]
    fn the_rest_holds_what_the_bale_does_not() {
        let env = Env::new();
        let selection = env.select(Stdlib::Used, &[], &[]);
        assert_eq!(
            keys(&selection),
            ["json/__init__.py", "main.py", "pkg-1.0.dist-info/METADATA", "pkg/__init__.py", "pkg/used.py"]
        );
        let rest = env.rest(&selection, &[], &[]);
        assert_eq!(
            rest,
            [
                "csv.py",
                "data.txt",
                "encodings/utf_8.py",
                "helper.py",
                // The distribution the bale has no file of: its metadata whole.
                "other-2.0.dist-info/METADATA",
                "other/__init__.py",
                "other/data/table.csv",
                "pkg/tests/test_pkg.py",
                "pkg/unused.py",
            ],
            "no stdlib tests, no caches, no output, no site json/ shadowed by the bale's"
        );
        let rest = selection.rest(&[], &BTreeSet::new(), &[env.path("app/app.bale")]).unwrap();
        assert_eq!(rest.app_files(), ["data.txt", "helper.py"].map(String::from).into());
    }

    #[test]
    fn the_rest_leaves_out_an_uncarried_stdlib_what_a_side_file_serves_and_exclusions() {
        let env = Env::new();
        let selection = env.select(Stdlib::None, &[], &[]);
        let rest = env.rest(&selection, &[], &[]);
        assert!(!rest.iter().any(|r| r == "csv.py" || r.starts_with("encodings/")), "{rest:?}");
        // Not carried, json comes from the interpreter: site-packages' json is in the rest.
        assert!(rest.contains(&"json/__init__.py".to_owned()), "{rest:?}");

        let exclude = ["*.csv".to_owned(), "helper.py".to_owned()];
        let selection = env.select(Stdlib::Used, &exclude, &[]);
        let rest = env.rest(&selection, &exclude, &["encodings/utf_8.py"]);
        assert_eq!(
            rest,
            [
                "csv.py",
                "data.txt",
                "other-2.0.dist-info/METADATA",
                "other/__init__.py",
                "pkg/tests/test_pkg.py",
                "pkg/unused.py",
            ]
        );
    }

    #[test]
    fn misses_go_into_the_bale_with_their_distributions_metadata() {
        let env = Env::new();
        let text = serde_json::json!({ "bale": "/x/app.bale", "misses": [
            { "module": "pkg.unused", "path": "pkg/unused.py" },
            { "module": null, "path": "other/data" },
            { "path": "csv.py" },
            { "module": "gone", "path": "gone.py" },
        ]})
        .to_string();
        let misses = misses::parse(text.as_bytes(), Path::new("misses.json")).unwrap();
        let selection = env.select(Stdlib::Used, &[], &misses);
        for rel in ["pkg/unused.py", "other/data/table.csv", "other-2.0.dist-info/METADATA", "csv.py"] {
            assert!(selection.chosen.contains_key(rel), "{rel} not in {:?}", keys(&selection));
        }
        assert!(!selection.chosen.contains_key("other/__init__.py"));
        assert_eq!(
            selection.warnings,
            ["gone.py (module gone), named by misses.json: in no import root of the environment, left out"]
        );
        let rest = env.rest(&selection, &[], &[]);
        assert!(rest.contains(&"other/__init__.py".to_owned()) && !rest.contains(&"pkg/unused.py".to_owned()));

        // The standard library not carried: its paths are passed over, silently.
        let selection = env.select(Stdlib::None, &[], &misses);
        assert!(!selection.chosen.contains_key("csv.py"));
        assert_eq!(selection.warnings.len(), 1, "{:?}", selection.warnings);
    }

    /// Writes the outputs of earlier packs into the app's folder, under other names
    /// than this pack's: a bale, a framed one, a rest bale, a program from `bale exe`
    /// and a trimmed standard library.
    fn earlier_outputs(env: &Env) {
        let mut w = bale_format::Writer::new("any").unwrap();
        w.add_file("x.txt", bale_format::FileKind::Resource, b"x".to_vec(), false).unwrap();
        let mut bale = std::io::Cursor::new(Vec::new());
        w.write(&mut bale, &bale_format::WriteOptions::default()).unwrap();
        let bale = bale.into_inner();
        let entry = bale_format::embed::Start::Entry(bale_format::EntryPoint::Module("main".into()));
        let outputs = [
            ("old.bale", bale.clone()),
            ("old.bale.zst", bale_format::frame::frame(&bale, 3).unwrap()),
            ("old.rest.bale", bale.clone()),
            ("old", bale_format::embed::append(b"\x7fELF runner", &bale, &entry, false, Some(&bale))),
            ("old.stdlib.zip", b"PK\x03\x04 a zip".to_vec()),
        ];
        for (name, bytes) in outputs {
            std::fs::write(env.path("app").join(name), bytes).unwrap();
        }
    }

    #[test]
    fn earlier_outputs_in_the_app_folder_are_not_the_apps_unless_included_by_path() {
        let env = Env::new();
        earlier_outputs(&env);
        let selection = env.select(Stdlib::Used, &[], &[]);
        let rest = env.rest(&selection, &[], &[]);
        assert!(!rest.iter().any(|r| r.starts_with("old")), "{rest:?}");
        assert!(rest.contains(&"helper.py".to_owned()), "{rest:?}");
        assert!(!selection.walk(RootKind::App).iter().any(|p| p.ends_with("old") || p.ends_with("old.bale")));

        // A glob does not take them; their own path does.
        let app = env.path("app");
        let include = ["old*".to_owned(), "*.zip".to_owned(), "old.bale".to_owned()];
        let choice = Choice {
            app: Some(&app),
            detect: Detect::Runtime,
            stdlib: Stdlib::Used,
            include: &include,
            exclude: &[],
            misses: &[],
        };
        let selection = select::select(&env.trace(), &[], &choice).unwrap();
        let taken: Vec<&str> = keys(&selection).into_iter().filter(|k| k.starts_with("old")).collect();
        assert_eq!(taken, ["old.bale"]);
    }

    #[test]
    fn rest_path_sits_next_to_the_bale() {
        assert_eq!(rest_path(Path::new("out/report.bale")), PathBuf::from("out/report.rest.bale"));
        assert_eq!(rest_path(Path::new("/srv/app.bale.zst")), PathBuf::from("/srv/app.rest.bale"));
        assert_eq!(rest_path(Path::new("app")), PathBuf::from("app.rest.bale"));
        assert_eq!(rest_path(Path::new("x.zst")), PathBuf::from("x.rest.bale"));
    }

    #[test]
    fn outputs_and_their_temporary_files_are_known_by_folder() {
        let dir = tempfile::tempdir().unwrap();
        let outputs = Outputs::new(&[dir.path().join("app.bale"), dir.path().join("app.rest.bale")]);
        assert!(outputs.contains(&dir.path().join("app.bale")));
        assert!(outputs.contains(&dir.path().join(".app.rest.bale.123.abcdef.tmp")));
        assert!(!outputs.contains(&dir.path().join("app.py")));
        assert!(!outputs.contains(&dir.path().join(".app.bale.swp")));
        assert!(!outputs.contains(&dir.path().join("sub/app.bale")));
    }
}
