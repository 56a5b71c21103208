//! `--include-from FILE`: what a bale lacked when it ran, as the importer wrote it at
//! exit, for the next pack to take as if the app had touched it:
//!
//! ```json
//! {"bale": "/abs/app.bale",
//!  "misses": [{"module": "rich.markdown", "path": "rich/markdown.py"},
//!             {"module": null, "path": "app/data/extra.txt"}]}
//! ```
//!
//! `path` is a path inside the bale (`/`-separated, from an import root); `module`,
//! which may be null or absent, only says what was being imported.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::PackError;

/// One file (or folder) the bale lacked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Miss {
    /// Its path inside the bale.
    pub path: String,
    /// The module being imported, if it was a module.
    pub module: Option<String>,
    /// The file that named it.
    pub from: PathBuf,
}

/// The file: `bale` (the bale's path, or a list of them when the misses of several
/// bales were written together) only says where they came from.
#[derive(Deserialize)]
struct MissesFile {
    misses: Vec<MissEntry>,
}

#[derive(Deserialize)]
struct MissEntry {
    #[serde(default)]
    module: Option<String>,
    path: String,
}

/// Reads the misses file `file`; one that does not parse, or names a path that could
/// leave an import root (absolute, `..`), is an error naming it.
pub fn read(file: &Path) -> Result<Vec<Miss>, PackError> {
    let text = std::fs::read(file).map_err(|e| PackError::io(file, e))?;
    parse(&text, file)
}

/// Parses the text of a misses file; `file` names it in errors.
pub fn parse(text: &[u8], file: &Path) -> Result<Vec<Miss>, PackError> {
    let bad = |reason: String| PackError::Input {
        origin: format!("--include-from {}", file.display()),
        reason: format!("not a misses file of the importer: {reason}"),
    };
    let parsed: MissesFile = serde_json::from_slice(text).map_err(|e| bad(e.to_string()))?;
    parsed
        .misses
        .into_iter()
        .map(|m| {
            let path = m.path.trim_end_matches('/').to_owned();
            bale_format::name::check_path(&path).map_err(|e| bad(format!("path {:?}: {e}", m.path)))?;
            Ok(Miss { path, module: m.module, from: file.to_owned() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_modules_and_files() {
        let text = br#"{"bale": "/abs/app.bale", "misses": [
            {"module": "rich.markdown", "path": "rich/markdown.py"},
            {"module": null, "path": "app/data/extra.txt"},
            {"path": "app/templates/"}]}"#;
        let misses = parse(text, Path::new("m.json")).unwrap();
        let several = br#"{"bale": ["/a/app.bale", "/b/app.bale"], "misses": [{"module": null, "path": "x.txt"}]}"#;
        assert_eq!(parse(several, Path::new("m.json")).unwrap().len(), 1);
        let paths: Vec<&str> = misses.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(paths, ["rich/markdown.py", "app/data/extra.txt", "app/templates"]);
        assert_eq!(misses[0].module.as_deref(), Some("rich.markdown"));
        assert_eq!(misses[1].module, None);
        assert_eq!(misses[2].from, PathBuf::from("m.json"));
    }

    #[test]
    fn a_file_that_does_not_parse_is_named() {
        for text in [&b"{not json"[..], br#"{"misses": [{"module": "x"}]}"#, br#"[]"#] {
            let e = parse(text, Path::new("/tmp/misses.json")).unwrap_err().to_string();
            assert!(e.contains("--include-from /tmp/misses.json") && e.contains("not a misses file"), "{e}");
        }
    }

    #[test]
    fn paths_that_leave_the_root_are_refused() {
        for path in ["../etc/passwd", "/etc/passwd", "a/../../b", ""] {
            let text = serde_json::json!({ "misses": [{ "path": path }] }).to_string();
            let e = parse(text.as_bytes(), Path::new("m.json")).unwrap_err().to_string();
            assert!(e.contains("m.json") && e.contains(&format!("{path:?}")), "{e}");
        }
    }
}
