//! A bale inside a program (format-spec §14): the runner `bale exe` makes is an
//! ordinary executable with a bale and its entry point appended, found at run time
//! through a fixed-size trailer at the very end of the file.
//!
//! ```text
//! [ the runner executable | zero padding | the bale | entry (UTF-8) | trailer (64) ]
//!                                         ^ aligned to NATIVE_ALIGN from the file's
//!                                           start, so the bale's own alignment holds
//!                                           in the mapped executable
//! ```
//!
//! A program may also carry the bale's rest bale (format-spec §4.3), between the
//! runner and the bale, aligned the same way: `[ runner | rest bale | bale | entry |
//! trailer ]`.
//!
//! The trailer is checked by its own hash; the bale is then opened and checked as any
//! other (its header hash at open, its body hash by the runner before it starts).

use byteorder::{ByteOrder, LittleEndian as LE};
use xxhash_rust::xxh3::xxh3_64;

use crate::entry::{EntryKind, EntryPoint};
use crate::error::{Corruption, Error};
use crate::layout;

/// The trailer's first eight bytes.
pub const TRAILER_MAGIC: [u8; 8] = *b"BALEEXE\x01";
/// Size of the trailer.
pub const TRAILER_SIZE: usize = 64;
/// The trailer's byte 30: the program runs its entry point (0, as every program
/// before the interpreter mode), or is an interpreter (1).
const MODE_ENTRY: u8 = 0;
const MODE_INTERPRETER: u8 = 1;

/// What a program does when it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// Runs the app's entry point, with the program's arguments as the app's.
    Entry(EntryPoint),
    /// Behaves as a Python interpreter with the bale installed: its arguments are
    /// Python's (`-m`, `-c`, a script, `-u`, `-I`...), and `PYTHONPATH` is searched
    /// after the bale. For engines that run workers as `PYTHON -m ...` (PySpark's
    /// `PYSPARK_PYTHON`).
    Interpreter,
}

/// Where the bale and the entry point sit in a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embedded {
    pub bale_offset: u64,
    pub bale_len: u64,
    /// What the program runs.
    pub start: Start,
    /// Whether its native code loads into memory rather than from the user's cache.
    pub native_in_memory: bool,
    /// Where the rest bale the program carries is, and its size.
    pub rest: Option<(u64, u64)>,
}

/// Appends `bale` and what the program does (`start`) to `program` (a runner
/// executable), aligned as the format requires, and the trailer that finds them;
/// `rest`, the bale's rest bale, goes before the bale.
pub fn append(program: &[u8], bale: &[u8], start: &Start, native_in_memory: bool, rest: Option<&[u8]>) -> Vec<u8> {
    let (kind, mode, entry) = match start {
        // A script's path is told apart by its kind; a module and a function by their
        // text, as a 1.0 program holds them.
        Start::Entry(entry @ EntryPoint::Script(_)) => (EntryKind::Script as u8, MODE_ENTRY, entry.to_string()),
        Start::Entry(entry) => (0, MODE_ENTRY, entry.to_string()),
        Start::Interpreter => (0, MODE_INTERPRETER, String::new()),
    };
    let align = |n: usize| n.next_multiple_of(layout::NATIVE_ALIGN as usize);
    let rest_start = align(program.len());
    let start = align(rest_start + rest.map_or(0, <[u8]>::len));
    let mut out = Vec::with_capacity(start + bale.len() + entry.len() + TRAILER_SIZE);
    out.extend_from_slice(program);
    if let Some(rest) = rest {
        out.resize(rest_start, 0);
        out.extend_from_slice(rest);
    }
    out.resize(start, 0);
    out.extend_from_slice(bale);
    out.extend_from_slice(entry.as_bytes());
    let mut trailer = [0u8; TRAILER_SIZE];
    trailer[..8].copy_from_slice(&TRAILER_MAGIC);
    LE::write_u64(&mut trailer[8..16], start as u64);
    LE::write_u64(&mut trailer[16..24], bale.len() as u64);
    LE::write_u32(&mut trailer[24..28], entry.len() as u32);
    trailer[28] = kind;
    trailer[29] = u8::from(native_in_memory);
    trailer[30] = mode;
    // Byte 31 is reserved (zero).
    if let Some(rest) = rest {
        LE::write_u64(&mut trailer[32..40], rest_start as u64);
        LE::write_u64(&mut trailer[40..48], rest.len() as u64);
    }
    // Bytes 48..56 are reserved (zero).
    let hash = xxh3_64(&trailer[..56]);
    LE::write_u64(&mut trailer[56..64], hash);
    out.extend_from_slice(&trailer);
    out
}

/// Finds the bale and the entry point in a program's bytes. `Ok(None)` when the
/// program carries no trailer at all; an error when it carries a damaged one.
pub fn find(program: &[u8]) -> Result<Option<Embedded>, Error> {
    let Some(at) = program.len().checked_sub(TRAILER_SIZE) else { return Ok(None) };
    let trailer = &program[at..];
    if trailer[..8] != TRAILER_MAGIC {
        return Ok(None);
    }
    let damaged = |what: &'static str| Error::Corrupt(Corruption::Trailer(what));
    if xxh3_64(&trailer[..56]) != LE::read_u64(&trailer[56..64]) {
        return Err(damaged("checksum mismatch"));
    }
    let bale_offset = LE::read_u64(&trailer[8..16]);
    let bale_len = LE::read_u64(&trailer[16..24]);
    let entry_len = u64::from(LE::read_u32(&trailer[24..28]));
    let end = bale_offset.checked_add(bale_len).and_then(|e| e.checked_add(entry_len));
    if end != Some(at as u64) || bale_offset % layout::NATIVE_ALIGN != 0 {
        return Err(damaged("the bale and entry do not end where the trailer starts"));
    }
    let entry_at = (bale_offset + bale_len) as usize;
    let text = std::str::from_utf8(&program[entry_at..at]).map_err(|_| damaged("the entry point is not UTF-8"))?;
    let start = match (trailer[30], trailer[28]) {
        (MODE_INTERPRETER, 0) if text.is_empty() => Start::Interpreter,
        (MODE_INTERPRETER, _) => return Err(damaged("an interpreter program with an entry point")),
        (MODE_ENTRY, kind) => Start::Entry(entry_point(kind, text).map_err(|e| match e {
            Error::Corrupt(e) => Error::Corrupt(e),
            _ => damaged("the entry point is not MODULE, MODULE:FUNCTION or a script in the bale"),
        })?),
        _ => return Err(damaged("unknown start mode")),
    };
    // Any other value is a choice of a newer writer: the default then.
    let native_in_memory = trailer[29] == 1;
    let (rest_offset, rest_len) = (LE::read_u64(&trailer[32..40]), LE::read_u64(&trailer[40..48]));
    let rest = match rest_len {
        0 => None,
        _ if rest_offset % layout::NATIVE_ALIGN != 0
            || rest_offset.checked_add(rest_len).is_none_or(|end| end > bale_offset) =>
        {
            return Err(damaged("the rest bale does not lie before the bale"));
        }
        _ => Some((rest_offset, rest_len)),
    };
    Ok(Some(Embedded { bale_offset, bale_len, start, native_in_memory, rest }))
}

/// The entry point of kind `kind` (the trailer's byte 28), checked here, where it is
/// read: a module or function name of identifiers, or a script's path that stays
/// inside the bale; never a NUL (it becomes a C string).
fn entry_point(kind: u8, text: &str) -> Result<EntryPoint, Error> {
    match kind {
        0 => EntryPoint::parse_module(text),
        k if k == EntryKind::Script as u8 => EntryPoint::script(text),
        _ => Err(Error::Corrupt(Corruption::Trailer("unknown entry point kind"))),
    }
}

impl Embedded {
    /// The bale's bytes within the program's.
    pub fn bale<'a>(&self, program: &'a [u8]) -> &'a [u8] {
        &program[self.bale_offset as usize..(self.bale_offset + self.bale_len) as usize]
    }

    /// The rest bale's bytes within the program's, if it carries one.
    pub fn rest<'a>(&self, program: &'a [u8]) -> Option<&'a [u8]> {
        let (offset, len) = self.rest?;
        Some(&program[offset as usize..(offset + len) as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_finds() {
        let program = vec![0x7f; 1000];
        let bale = b"\x89BALE\r\n\n and the rest".to_vec();
        let entries = [EntryPoint::parse_module("app:main").unwrap(), EntryPoint::script("bin/run.py").unwrap()];
        let starts = entries.map(Start::Entry).into_iter().chain([Start::Interpreter]);
        for (start, in_memory) in starts.zip([false, true, false]) {
            let out = append(&program, &bale, &start, in_memory, None);
            let found = find(&out).unwrap().unwrap();
            assert_eq!(found.bale_offset, layout::NATIVE_ALIGN);
            assert_eq!(found.bale(&out), &bale[..]);
            assert_eq!(found.start, start);
            assert_eq!(found.native_in_memory, in_memory);
            assert_eq!(found.rest(&out), None);
        }
        assert_eq!(find(&program).unwrap(), None, "no trailer");
        // With a rest bale, before the bale, both aligned.
        let rest = vec![0x55; 20_000];
        let out = append(&program, &bale, &Start::Entry(EntryPoint::Module("app".into())), false, Some(&rest));
        let found = find(&out).unwrap().unwrap();
        assert_eq!(found.rest(&out), Some(&rest[..]));
        assert_eq!(found.rest, Some((layout::NATIVE_ALIGN, rest.len() as u64)));
        assert_eq!(found.bale_offset, 3 * layout::NATIVE_ALIGN);
        assert_eq!(found.bale(&out), &bale[..]);
    }

    #[test]
    fn a_damaged_trailer_is_an_error() {
        let out = append(&[1, 2, 3], b"bale", &Start::Entry(EntryPoint::Module("app".into())), true, Some(b"rest"));
        for i in out.len() - TRAILER_SIZE + 8..out.len() {
            let mut bad = out.clone();
            bad[i] ^= 1;
            assert!(find(&bad).is_err(), "flip at {i}");
        }
        // Entry points that are not names, or escape the bale (a NUL would become the
        // end of a C string), are damage.
        let modules = ["a\0p", "os.system('x')", "a b", "app:"].map(|t| EntryPoint::Module(t.into()));
        let scripts = ["a\0p.py", "../x.py", "/abs.py"].map(|t| EntryPoint::Script(t.into()));
        for entry in modules.into_iter().chain(scripts) {
            let out = append(&[1, 2, 3], b"bale", &Start::Entry(entry.clone()), false, None);
            assert!(matches!(find(&out), Err(Error::Corrupt(Corruption::Trailer(_)))), "{entry:?}");
        }
    }

    #[test]
    fn an_unknown_mode_or_an_interpreter_with_an_entry_is_an_error() {
        let entry = Start::Entry(EntryPoint::Module("app".into()));
        for (start, mode) in [(&entry, 2), (&entry, MODE_INTERPRETER), (&Start::Interpreter, 7)] {
            let mut out = append(&[1, 2, 3], b"bale", start, false, None);
            let at = out.len() - TRAILER_SIZE;
            out[at + 30] = mode;
            let hash = xxh3_64(&out[at..at + 56]);
            LE::write_u64(&mut out[at + 56..], hash);
            assert!(matches!(find(&out), Err(Error::Corrupt(Corruption::Trailer(_)))), "{start:?} as mode {mode}");
        }
    }
}
