//! How a command ends: 0 success, 1 failure, 2 bad usage (clap's, or a command's
//! own, an entry point the bale lacks among them), 3 the bale is damaged (corrupt or
//! truncated). `bale run`, once the app runs, ends with the app's own code.

/// A failure whose exit code is not 1.
#[derive(Debug)]
pub struct Exit(pub u8, pub String);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.1)
    }
}

impl std::error::Error for Exit {}

pub const EXIT_USAGE: u8 = 2;

/// `bale run` or `bale exe` told to run what the bale does not hold (a module, a
/// script): bad usage, whatever its kind, as for `python nosuch.py`.
pub const EXIT_NO_ENTRY: u8 = EXIT_USAGE;

pub const EXIT_DAMAGED: u8 = 3;

/// The exit code of a failure, decided here for every command: 3 for a damaged bale,
/// a command's own code, 1 for anything else (clap gives 2 for bad usage).
pub fn code_of(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(Exit(code, _)) = cause.downcast_ref::<Exit>() {
            return *code;
        }
        if cause.downcast_ref::<bale_format::Error>().is_some_and(bale_format::Error::is_corruption)
            || cause.downcast_ref::<bale_pack::PackError>().is_some_and(bale_pack::PackError::is_corruption)
        {
            return EXIT_DAMAGED;
        }
    }
    1
}
