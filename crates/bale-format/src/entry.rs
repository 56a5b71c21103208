//! How an app starts from a bale: a script, a module run as `python -m` runs it, or a
//! function called as a console script calls it. `bale pack --app` records it, and
//! `bale run` and the programs `bale exe` makes use it.

use std::fmt;

use crate::error::Error;
use crate::name::{check_module_name, check_path};

/// An app's entry point.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EntryPoint {
    /// A script, by its path in the bale (`report.py`), run as `python SCRIPT` runs it.
    Script(String),
    /// A module, run as `python -m MODULE` runs it (a package's `__main__`).
    Module(String),
    /// `MODULE:FUNCTION`: the function is called, and what it returns is the exit
    /// code, as for a console script.
    Function { module: String, function: String },
}

/// The kind byte stored with an entry point's text (format-spec §4.2, §14).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum EntryKind {
    None = 0,
    Module = 1,
    Function = 2,
    Script = 3,
}

impl EntryKind {
    pub fn from_byte(b: u8) -> Option<EntryKind> {
        Some(match b {
            0 => EntryKind::None,
            1 => EntryKind::Module,
            2 => EntryKind::Function,
            3 => EntryKind::Script,
            _ => return None,
        })
    }
}

impl EntryPoint {
    /// `MODULE` or `MODULE:FUNCTION`, checked: every part an identifier.
    pub fn parse_module(text: &str) -> Result<EntryPoint, Error> {
        let bad = |reason| Error::InvalidName { name: text.to_owned(), reason };
        let (module, function) = match text.split_once(':') {
            Some((m, f)) => (m, Some(f)),
            None => (text, None),
        };
        if !module.split('.').all(is_identifier) {
            return Err(bad("expected MODULE or MODULE:FUNCTION, each part a Python identifier"));
        }
        check_module_name(module)?;
        match function {
            None => Ok(EntryPoint::Module(module.to_owned())),
            Some(f) if is_identifier(f) => {
                Ok(EntryPoint::Function { module: module.to_owned(), function: f.to_owned() })
            }
            Some(_) => Err(bad("the function after ':' must be a Python identifier")),
        }
    }

    /// A script by its path in the bale.
    pub fn script(path: &str) -> Result<EntryPoint, Error> {
        check_path(path)?;
        Ok(EntryPoint::Script(path.to_owned()))
    }

    /// From the kind and text a bale stores; `None` for [`EntryKind::None`].
    pub fn decode(kind: EntryKind, text: &str) -> Result<Option<EntryPoint>, Error> {
        let entry = match kind {
            EntryKind::None => return Ok(None),
            EntryKind::Script => EntryPoint::script(text)?,
            EntryKind::Module | EntryKind::Function => EntryPoint::parse_module(text)?,
        };
        match entry.kind() == kind {
            true => Ok(Some(entry)),
            false => Err(Error::InvalidName { name: text.to_owned(), reason: "does not match its entry kind" }),
        }
    }

    pub fn kind(&self) -> EntryKind {
        match self {
            EntryPoint::Script(_) => EntryKind::Script,
            EntryPoint::Module(_) => EntryKind::Module,
            EntryPoint::Function { .. } => EntryKind::Function,
        }
    }

    /// The module whose code runs first: the script's own name for a script.
    pub fn module(&self) -> Option<&str> {
        match self {
            EntryPoint::Script(_) => None,
            EntryPoint::Module(m) | EntryPoint::Function { module: m, .. } => Some(m),
        }
    }
}

/// The stored text: the script's path, `MODULE`, or `MODULE:FUNCTION`.
impl fmt::Display for EntryPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryPoint::Script(path) => f.write_str(path),
            EntryPoint::Module(m) => f.write_str(m),
            EntryPoint::Function { module, function } => write!(f, "{module}:{function}"),
        }
    }
}

/// A name Python can import: letters, digits and `_`, not starting with a digit.
/// (`str.isidentifier` also accepts other Unicode letters, as this does.)
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic()) && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_parse_and_print_back() {
        for text in ["app", "app.cli", "app.cli:main"] {
            let e = EntryPoint::parse_module(text).unwrap();
            assert_eq!(e.to_string(), text);
            assert_eq!(EntryPoint::decode(e.kind(), text).unwrap(), Some(e));
        }
        assert_eq!(EntryPoint::script("bin/report.py").unwrap().to_string(), "bin/report.py");
        for bad in ["", "app:", ":main", "app:main:x", "app.cli:main.x", "a b", "1app", "app..x", "app\0"] {
            assert!(EntryPoint::parse_module(bad).is_err(), "{bad:?}");
        }
        assert!(EntryPoint::script("../escape.py").is_err());
        assert!(EntryPoint::decode(EntryKind::Module, "app:main").is_err());
        assert_eq!(EntryPoint::decode(EntryKind::None, "").unwrap(), None);
    }
}
