//! Why native code could not be loaded from a bale. The finder turns each into a
//! `BaleError` naming the bale and the module.

/// Why an extension module or a library it needs could not be made loadable or loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bale cannot give the file: it is damaged, or its records point nowhere.
    #[error("{path}: {source}")]
    Bale { path: String, source: bale_format::Error },
    /// A native file whose record has no content.
    #[error("{path}: no content")]
    NoContent { path: String },
    /// The system refused a step: making, writing, sealing or mapping the file the
    /// code is loaded from.
    #[error("{step}: {source}")]
    System { step: String, source: std::io::Error },
    /// A library's `DT_NEEDED` or `DT_SONAME` names cannot be rewritten in place.
    #[error("{path}: cannot rename {name} to {new}: {reason}")]
    Rename { path: String, name: String, new: String, reason: &'static str },
    /// Another library of this name is loaded, and no private name of the same length
    /// could be made for this one.
    #[error("{path}: another library named {name} is loaded already")]
    NameTaken { path: String, name: String },
    /// The dynamic loader refused the file.
    #[error("cannot load {path} from the bale: {reason}")]
    Load { path: String, reason: String },
    /// Reading the file's content through its finder failed (in Pyodide, a payload
    /// fetched from the rest bale).
    #[error("{0}")]
    Read(String),
    /// A thread panicked while it held the table of loaded native code.
    #[error("the table of loaded native code is poisoned: a thread panicked while loading")]
    Poisoned,
    /// No way to load native code from memory on this platform.
    #[error("loading extension modules from a bale is supported on Linux and in Pyodide only")]
    Unsupported,
}

impl Error {
    pub fn system(step: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        move |source| Error::System { step: step.into(), source }
    }

    pub fn bale(path: &str) -> impl FnOnce(bale_format::Error) -> Error {
        move |source| Error::Bale { path: path.to_owned(), source }
    }
}
