//! Everything that can stop a pack, by kind, so that the command line gives each its
//! exit code and message in one place.

use std::path::{Path, PathBuf};

use crate::process::HelperError;

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The options or inputs given cannot work together, or are missing.
    #[error("{0}")]
    Usage(String),
    /// Not a `source`: its message is in this one's, and `{:#}` would say it twice.
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },
    /// An input that cannot be read as what it claims to be.
    #[error("{origin}: {reason}")]
    Input { origin: String, reason: String },
    /// An interpreter that does not run, or does not describe itself.
    #[error("python {}: {reason}", python.display())]
    Python { python: PathBuf, reason: String },
    #[error("cannot write {}: {reason}", path.display())]
    Output { path: PathBuf, reason: String },
    #[error(transparent)]
    Format(#[from] bale_format::Error),
    /// Making the app's environment: a virtual environment, or its requirements.
    #[error("{step}: {error}")]
    Pip { step: String, error: HelperError },
    /// A step run in Pyodide on Node.
    #[error("{step} (in Pyodide on Node): {error}")]
    Node { step: String, error: HelperError },
    /// The tracer, the static analysis or the compiler gave no usable answer.
    #[error("{step}: {error}")]
    Helper { step: String, error: HelperError },
    /// The importer that validation and the web target load cannot be found.
    #[error("{0}")]
    Importer(String),
    /// The app itself failed while traced.
    #[error("the app failed while traced{} ({status}); nothing was written. Its stderr:\n{stderr}", run_args(args))]
    AppFailed { args: Vec<String>, status: String, stderr: String },
}

fn run_args(args: &[String]) -> String {
    if args.is_empty() { String::new() } else { format!(" with arguments {args:?}") }
}

impl PackError {
    /// True for a damaged bale (corrupt or truncated; see
    /// [`bale_format::Error::is_corruption`]), as opposed to any other failure: what the
    /// command line exits with 3 for.
    pub fn is_corruption(&self) -> bool {
        matches!(self, PackError::Format(e) if e.is_corruption())
    }

    pub fn io(path: &Path, source: std::io::Error) -> PackError {
        PackError::Io { path: path.to_owned(), error: source }
    }

    /// A failed helper program, with the step it was doing.
    pub fn helper(step: impl Into<String>) -> impl FnOnce(HelperError) -> PackError {
        move |error| PackError::Helper { step: step.into(), error }
    }

    pub fn node(step: impl Into<String>) -> impl FnOnce(HelperError) -> PackError {
        move |error| PackError::Node { step: step.into(), error }
    }

    pub fn pip(step: impl Into<String>) -> impl FnOnce(HelperError) -> PackError {
        move |error| PackError::Pip { step: step.into(), error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_bale_is_corruption_and_nothing_else_is() {
        let truncated = || bale_format::Error::Truncated { expected: 2, found: 1 };
        assert!(PackError::Format(truncated()).is_corruption());
        assert!(PackError::Format(truncated().in_entry("app.py")).is_corruption());
        assert!(!PackError::Format(bale_format::Error::NotABale).is_corruption());
        assert!(!PackError::Usage("no inputs".into()).is_corruption());
    }
}
