use std::fmt;

use crate::layout;

/// Everything that can go wrong reading or writing a bale.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("not a bale: the data does not start with the bale signature")]
    NotABale,
    #[error("truncated bale: {found} bytes, the header says {expected}")]
    Truncated { expected: u64, found: u64 },
    #[error("bale format version {major}.{minor} is not supported: this reader reads version {}.x", layout::MAJOR)]
    UnsupportedVersion { major: u16, minor: u16 },
    /// Not the `Corruption` as its source as well: a message with its causes
    /// (`{:#}`) would say it twice.
    #[error("corrupt bale: {0}")]
    Corrupt(Corruption),
    /// A codec from a newer minor version of the format (§12 says what to tell).
    #[error(
        "compression codec {codec} is unknown to this reader, which reads bale format {}.{}; the bale is format \
         {}.{minor}{}: read it with a newer bale",
        layout::MAJOR, layout::MINOR, layout::MAJOR, writer.as_ref().map(|w| format!(", written by bale {w}")).unwrap_or_default()
    )]
    UnsupportedCodec { codec: u8, minor: u16, writer: Option<String> },
    /// A payload of a bale opened by its index alone (`Bale::open_index`): its bytes
    /// are elsewhere.
    #[error("payload {index} is not at hand: only the bale's index was read")]
    Absent { index: u32 },
    #[error("an entry of {size} bytes does not fit in this process's memory")]
    TooLarge { size: u64 },
    #[error("invalid name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("{0}")]
    Write(String),
    /// Another error, with the module or file it happened to.
    #[error("{entry}: {error}")]
    Entry { entry: String, error: Box<Error> },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<Corruption> for Error {
    fn from(c: Corruption) -> Error {
        Error::Corrupt(c)
    }
}

impl Error {
    /// Names the entry this error belongs to, for messages such as
    /// `rich/console.py: corrupt bale: payload 17: checksum mismatch`.
    pub fn in_entry(self, entry: impl Into<String>) -> Error {
        Error::Entry { entry: entry.into(), error: Box::new(self) }
    }

    /// The error without the entry names wrapped around it.
    pub fn root(&self) -> &Error {
        match self {
            Error::Entry { error, .. } => error.root(),
            other => other,
        }
    }

    /// True for damage to the bale itself, as opposed to a bale this reader cannot read.
    pub fn is_corruption(&self) -> bool {
        matches!(self.root(), Error::Corrupt(_) | Error::Truncated { .. })
    }
}

/// Which fixed-width table a record belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Modules,
    Files,
    Payloads,
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Table::Modules => "module",
            Table::Files => "file",
            Table::Payloads => "payload",
        })
    }
}

/// A check that failed: the bale's bytes are not what its writer wrote.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Corruption {
    #[error("header checksum mismatch")]
    HeaderChecksum,
    #[error("header: {0}")]
    Header(&'static str),
    #[error("{table} record {index}: checksum mismatch")]
    Record { table: Table, index: u32 },
    #[error("{table} hash bucket {index}: checksum mismatch")]
    Bucket { table: Table, index: u32 },
    #[error("{table} record {index}: {problem}")]
    Structure { table: Table, index: u32, problem: &'static str },
    #[error("{table} index: {problem}")]
    Index { table: Table, problem: &'static str },
    #[error("payload {index}: checksum mismatch")]
    PayloadChecksum { index: u32 },
    #[error("payload {index}: {problem}")]
    Payload { index: u32, problem: String },
    /// The body checksum alone was checked ([`Bale::check_body`](crate::Bale::check_body)),
    /// which cannot say where the bytes changed.
    #[error("body checksum mismatch: bytes after the header changed")]
    Body,
    /// A full verification found nothing else: the bytes changed are covered by the
    /// body checksum alone (padding, header bytes this reader does not know).
    #[error("body checksum mismatch: bytes outside every checked structure changed")]
    BodyUnchecked,
    /// A full verification found other damage, which changed the body's bytes (and
    /// may not be all that did).
    #[error("body checksum mismatch: the bytes changed include those of the other problems found")]
    BodyDamaged,
    /// A framed bale (a whole bale in one zstd frame) that does not decode.
    #[error("zstd frame: {0}")]
    Frame(String),
    /// The trailer that finds the bale inside a program (`bale exe`).
    #[error("the program's bale trailer: {0}")]
    Trailer(&'static str),
    /// A parts file (format-spec §15), or what it rebuilds.
    #[error("parts file: {0}")]
    Parts(String),
}
