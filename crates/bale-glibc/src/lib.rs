//! Lowers the glibc a 64-bit ELF shared object needs, so that a program built on a
//! new Linux runs on an old one.
//!
//! A shared object names the glibc it was linked against twice: in its version
//! requirements (`.gnu.version_r`: "libc.so.6, version GLIBC_2.34"), which the dynamic
//! loader checks when it loads the object and refuses if the system's glibc is older,
//! and in the version of each symbol it takes (`.gnu.version`: `pthread_create` at
//! GLIBC_2.34). Most of those symbols existed long before, under an older version or
//! in another of glibc's libraries (`pthread_create` in `libpthread.so.0` until 2.34);
//! a few are new (`close_range`), and `__isoc23_strtol` is `strtol` with C23's `0b`
//! prefix.
//!
//! [`lower`] rewrites the object in place, without moving a byte:
//!
//! - each requirement of a glibc version newer than the floor is marked weak
//!   (`VER_FLG_WEAK`): the loader no longer refuses an older glibc for it;
//! - each symbol taken at such a version is taken unversioned, so the loader binds it
//!   to the definition the running system has (the default version, in whichever of
//!   glibc's libraries defines it), or to the program's own (the runner's shims for
//!   what an old glibc lacks: `close_range`, `stat`, `arc4random_buf`...);
//! - `__isoc23_NAME` becomes `NAME` (its name string read from 9 bytes further on).
//!
//! [`requirements`] lists what an object requires, for the checks that a program's
//! native code and its runner stay at the floor.

use std::fmt;

/// A glibc version, such as 2.28 or 2.2.5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u16, pub u16, pub u16);

/// The oldest glibc a program made by `bale exe` runs on: RHEL 8's, the oldest of the
/// systems still supported where command-line tools are shipped.
pub const FLOOR: Version = Version(2, 28, 0);

impl Version {
    /// The version a name such as `GLIBC_2.34` stands for; none for another name
    /// (`GLIBC_PRIVATE`, `XCRYPT_2.0`).
    pub fn parse(name: &str) -> Option<Version> {
        let mut parts = name.strip_prefix("GLIBC_")?.split('.').map(|p| p.parse::<u16>().ok());
        let major = parts.next()??;
        let minor = parts.next().unwrap_or(Some(0))?;
        let patch = parts.next().unwrap_or(Some(0))?;
        parts.next().is_none().then_some(Version(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.2 {
            0 => write!(f, "{}.{}", self.0, self.1),
            patch => write!(f, "{}.{}.{patch}", self.0, self.1),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("not a 64-bit little-endian ELF file")]
    NotElf,
    #[error("its {0} lies outside the file")]
    OutOfBounds(&'static str),
    /// The object is part of glibc, or was linked against its internals: it cannot
    /// be moved to another glibc.
    #[error("it takes {symbol} at GLIBC_PRIVATE, an internal of the glibc it was built with")]
    Private { symbol: String },
}

/// One versioned symbol an object takes from a library.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub library: String,
    /// The version's name, such as `GLIBC_2.34`.
    pub version: String,
    pub symbol: String,
    /// Marked weak: the loader does not refuse a library that lacks the version.
    pub weak: bool,
}

impl Requirement {
    /// The glibc version it needs, if it is one of glibc's and not weak.
    pub fn glibc(&self) -> Option<Version> {
        if self.weak { None } else { Version::parse(&self.version) }
    }
}

/// The newest glibc an object needs (weak requirements left out); none for one that
/// needs no versioned glibc symbol.
pub fn newest(elf: &[u8]) -> Result<Option<Version>, Error> {
    Ok(requirements(elf)?.iter().filter_map(Requirement::glibc).max())
}

/// Every versioned symbol the object takes, with the library and version it names.
pub fn requirements(elf: &[u8]) -> Result<Vec<Requirement>, Error> {
    let tables = Tables::find(elf)?;
    let needs = tables.needs(elf)?;
    let mut out = Vec::new();
    for (index, symbol) in tables.symbols(elf)? {
        let Some(need) = needs.iter().find(|n| n.index == symbol.version_index) else { continue };
        out.push(Requirement {
            library: need.library.clone(),
            version: need.name.clone(),
            symbol: tables.string(elf, symbol.name)?.to_owned(),
            weak: need.weak,
        });
        let _ = index;
    }
    Ok(out)
}

/// The libraries an object names in its dynamic section: its `DT_NEEDED` entries, in
/// order, and the folders of its `DT_RUNPATH` or `DT_RPATH` (as written, `$ORIGIN`
/// unexpanded).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dynamic {
    pub needed: Vec<String>,
    pub runpath: Vec<String>,
}

/// What [`Dynamic`] lists of an object.
pub fn dynamic(elf: &[u8]) -> Result<Dynamic, Error> {
    let tables = Tables::find(elf)?;
    let mut out = Dynamic::default();
    let Some((start, size)) = tables.dynamic else { return Ok(out) };
    for entry in 0..size / 16 {
        let tag = read_u64(elf, start, 16 * entry)?;
        let value = read_u64(elf, start, 16 * entry + 8)?;
        let text = || -> Result<String, Error> {
            let offset = u32::try_from(value).map_err(|_| Error::OutOfBounds("a name"))?;
            Ok(tables.string(elf, offset)?.to_owned())
        };
        match tag {
            DT_NULL => break,
            DT_NEEDED => out.needed.push(text()?),
            DT_RPATH | DT_RUNPATH => {
                out.runpath.extend(text()?.split(':').filter(|p| !p.is_empty()).map(str::to_owned))
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The object with every requirement of a glibc newer than `floor` made weak and the
/// symbols taken at those versions unversioned (see the crate's documentation); none
/// if it needs nothing newer.
pub fn lower(elf: &[u8], floor: Version) -> Result<Option<Vec<u8>>, Error> {
    let tables = Tables::find(elf)?;
    let needs = tables.needs(elf)?;
    let newer: Vec<&Need> =
        needs.iter().filter(|n| !n.weak && Version::parse(&n.name).is_some_and(|v| v > floor)).collect();
    if newer.is_empty() {
        return Ok(None);
    }
    let mut out = elf.to_vec();
    for need in &newer {
        let flags = read_u16(elf, need.offset, VNA_FLAGS)?;
        write_u16(&mut out, need.offset + VNA_FLAGS, flags | VER_FLG_WEAK);
    }
    for (index, symbol) in tables.symbols(elf)? {
        let name = tables.string(elf, symbol.name)?;
        if needs.iter().any(|n| n.index == symbol.version_index && n.name == "GLIBC_PRIVATE") {
            return Err(Error::Private { symbol: name.to_owned() });
        }
        if !newer.iter().any(|n| n.index == symbol.version_index) {
            continue;
        }
        write_u16(&mut out, tables.versym + 2 * index, VER_NDX_GLOBAL);
        if let Some(plain) = name.strip_prefix(ISOC23) {
            let new_name = symbol.name + ISOC23.len() as u32;
            debug_assert_eq!(tables.string(elf, new_name), Ok(plain));
            write_u32(&mut out, tables.dynsym + SYM_SIZE * index, new_name);
        }
    }
    Ok(Some(out))
}

/// What C23's headers call their `strtol`, `sscanf`...: the same functions but for
/// binary literals, which older glibcs lack.
const ISOC23: &str = "__isoc23_";

const SHT_DYNAMIC: u32 = 6;
const SHT_DYNSYM: u32 = 11;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_RPATH: u64 = 15;
const DT_RUNPATH: u64 = 29;
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
const SHT_GNU_VERSYM: u32 = 0x6fff_ffff;
const SYM_SIZE: usize = 24;
const VER_NDX_GLOBAL: u16 = 1;
const VER_FLG_WEAK: u16 = 2;
const VNA_FLAGS: usize = 4;

/// Where the tables this crate reads lie in the file.
struct Tables {
    dynsym: usize,
    symbols: usize,
    dynstr: usize,
    dynstr_len: usize,
    versym: usize,
    verneed: Option<(usize, usize)>,
    /// The dynamic section, whose strings are in the same table as the symbols'.
    dynamic: Option<(usize, usize)>,
}

/// One version requirement: a `Vernaux` entry and the library of its `Verneed`.
struct Need {
    library: String,
    name: String,
    /// The version index symbols refer to it by.
    index: u16,
    weak: bool,
    /// The file offset of its `Vernaux` entry.
    offset: usize,
}

/// A dynamic symbol's name offset and version index.
struct Symbol {
    name: u32,
    version_index: u16,
}

impl Tables {
    fn find(elf: &[u8]) -> Result<Tables, Error> {
        if elf.get(..6) != Some(b"\x7fELF\x02\x01".as_slice()) {
            return Err(Error::NotElf);
        }
        let shoff = read_u64(elf, 0x28, 0)? as usize;
        let shentsize = read_u16(elf, 0x3a, 0)? as usize;
        let shnum = read_u16(elf, 0x3c, 0)? as usize;
        let section = |i: usize| -> Result<(u32, usize, usize, u32), Error> {
            let at = shoff.checked_add(i.checked_mul(shentsize).ok_or(Error::OutOfBounds("section table"))?);
            let at = at.ok_or(Error::OutOfBounds("section table"))?;
            Ok((
                read_u32(elf, at, 4)?,
                read_u64(elf, at, 24)? as usize,
                read_u64(elf, at, 32)? as usize,
                read_u32(elf, at, 40)?,
            ))
        };
        let (mut dynsym, mut versym, mut verneed, mut dynamic) = (None, None, None, None);
        for i in 0..shnum {
            let (kind, offset, size, link) = section(i)?;
            match kind {
                SHT_DYNAMIC => dynamic = Some((offset, size)),
                SHT_DYNSYM => dynsym = Some((offset, size, link)),
                SHT_GNU_VERSYM => versym = Some(offset),
                SHT_GNU_VERNEED => verneed = Some((offset, size)),
                _ => {}
            }
        }
        let (dynsym, size, link) = dynsym.ok_or(Error::OutOfBounds("dynamic symbol table"))?;
        let (_, dynstr, dynstr_len, _) = section(link as usize)?;
        let tables = Tables {
            dynsym,
            symbols: size / SYM_SIZE,
            dynstr,
            dynstr_len,
            versym: versym.unwrap_or(0),
            verneed: versym.and(verneed),
            dynamic,
        };
        let ends = |start: usize, len: usize| start.checked_add(len).is_some_and(|end| end <= elf.len());
        if !ends(dynsym, size)
            || !ends(dynstr, dynstr_len)
            || (versym.is_some() && !ends(tables.versym, 2 * tables.symbols))
        {
            return Err(Error::OutOfBounds("dynamic symbol tables"));
        }
        Ok(tables)
    }

    /// Every version requirement of the object.
    fn needs(&self, elf: &[u8]) -> Result<Vec<Need>, Error> {
        let mut out = Vec::new();
        let Some((start, size)) = self.verneed else { return Ok(out) };
        let mut at = start;
        // The counts bound the walk, so a loop in the `next` links cannot hang it.
        for _ in 0..size / 16 {
            let (count, file, aux, next) =
                (read_u16(elf, at, 2)?, read_u32(elf, at, 4)?, read_u32(elf, at, 8)?, read_u32(elf, at, 12)?);
            let library = self.string(elf, file)?.to_owned();
            let mut entry = at.checked_add(aux as usize).ok_or(Error::OutOfBounds("version requirements"))?;
            for _ in 0..count {
                let flags = read_u16(elf, entry, VNA_FLAGS)?;
                out.push(Need {
                    library: library.clone(),
                    name: self.string(elf, read_u32(elf, entry, 8)?)?.to_owned(),
                    index: read_u16(elf, entry, 6)? & 0x7fff,
                    weak: flags & VER_FLG_WEAK != 0,
                    offset: entry,
                });
                let next_aux = read_u32(elf, entry, 12)?;
                if next_aux == 0 {
                    break;
                }
                entry = entry.checked_add(next_aux as usize).ok_or(Error::OutOfBounds("version requirements"))?;
            }
            if next == 0 {
                break;
            }
            at = at.checked_add(next as usize).ok_or(Error::OutOfBounds("version requirements"))?;
        }
        Ok(out)
    }

    /// The undefined dynamic symbols that carry a version index, by table index.
    fn symbols(&self, elf: &[u8]) -> Result<Vec<(usize, Symbol)>, Error> {
        if self.verneed.is_none() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for index in 1..self.symbols {
            let at = self.dynsym + SYM_SIZE * index;
            let defined = read_u16(elf, at, 6)? != 0;
            let version_index = read_u16(elf, self.versym, 2 * index)? & 0x7fff;
            if !defined && version_index > VER_NDX_GLOBAL {
                out.push((index, Symbol { name: read_u32(elf, at, 0)?, version_index }));
            }
        }
        Ok(out)
    }

    /// A string of the dynamic string table.
    fn string<'a>(&self, elf: &'a [u8], offset: u32) -> Result<&'a str, Error> {
        let table = &elf[self.dynstr..self.dynstr + self.dynstr_len];
        let rest = table.get(offset as usize..).ok_or(Error::OutOfBounds("a name"))?;
        let end = rest.iter().position(|&b| b == 0).ok_or(Error::OutOfBounds("a name"))?;
        std::str::from_utf8(&rest[..end]).map_err(|_| Error::OutOfBounds("a name"))
    }
}

/// The `N` bytes at `at + offset`, with no arithmetic that can overflow.
fn bytes<const N: usize>(elf: &[u8], at: usize, offset: usize) -> Result<[u8; N], Error> {
    let at = at.checked_add(offset).ok_or(Error::OutOfBounds("a field"))?;
    let end = at.checked_add(N).ok_or(Error::OutOfBounds("a field"))?;
    elf.get(at..end).and_then(|b| b.try_into().ok()).ok_or(Error::OutOfBounds("a field"))
}

fn read_u16(elf: &[u8], at: usize, offset: usize) -> Result<u16, Error> {
    bytes(elf, at, offset).map(u16::from_le_bytes)
}

fn read_u32(elf: &[u8], at: usize, offset: usize) -> Result<u32, Error> {
    bytes(elf, at, offset).map(u32::from_le_bytes)
}

fn read_u64(elf: &[u8], at: usize, offset: usize) -> Result<u64, Error> {
    bytes(elf, at, offset).map(u64::from_le_bytes)
}

/// Writes at an offset `lower` has read, so within the file.
fn write_u16(out: &mut [u8], at: usize, value: u16) {
    out[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

fn write_u32(out: &mut [u8], at: usize, value: u32) {
    out[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(Version::parse("GLIBC_2.34"), Some(Version(2, 34, 0)));
        assert_eq!(Version::parse("GLIBC_2.2.5"), Some(Version(2, 2, 5)));
        assert_eq!(Version::parse("GLIBC_PRIVATE"), None);
        assert_eq!(Version::parse("XCRYPT_2.0"), None);
        assert!(Version(2, 2, 5) < FLOOR && FLOOR < Version(2, 29, 0));
        assert_eq!(Version(2, 2, 5).to_string(), "2.2.5");
    }

    #[test]
    fn anything_but_elf_is_refused_not_panicked_on() {
        assert_eq!(lower(b"not elf", FLOOR), Err(Error::NotElf));
        let mut header = b"\x7fELF\x02\x01".to_vec();
        header.resize(64, 0xff);
        assert!(lower(&header, FLOOR).is_err());
        for cut in [6, 20, 40, 63] {
            assert!(requirements(&header[..cut]).is_err());
        }
    }
}
