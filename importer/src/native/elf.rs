//! What the loader needs to know of a 64-bit ELF shared object: the libraries it names
//! (`DT_NEEDED`), and a copy of it with some of those names, and its own `DT_SONAME`,
//! replaced by names of the same length (so that no string table moves).

use std::collections::HashMap;

use object::Endianness;
use object::elf::{DT_NEEDED, DT_SONAME, FileHeader64};
use object::read::elf::{Dyn, FileHeader, SectionHeader};

use super::error::Error;

/// Each `DT_NEEDED` or `DT_SONAME` name of the object, with the file offset of its
/// string; empty for anything that is not a 64-bit ELF object.
/// (`true` for `DT_NEEDED`.)
fn names(data: &[u8]) -> Vec<(bool, String, usize)> {
    let Ok(header) = FileHeader64::<Endianness>::parse(data) else { return Vec::new() };
    let Ok(endian) = header.endian() else { return Vec::new() };
    let Ok(sections) = header.sections(endian, data) else { return Vec::new() };
    let mut out = Vec::new();
    for section in sections.iter() {
        let Ok(Some((entries, link))) = section.dynamic(endian, data) else { continue };
        let Ok(strings) = sections.strings(endian, data, link) else { continue };
        let Ok(table) = sections.section(link) else { continue };
        let table_offset = table.sh_offset(endian);
        for entry in entries {
            let tag = entry.tag(endian);
            if tag != DT_NEEDED && tag != DT_SONAME {
                continue;
            }
            let Ok(name) = entry.string(endian, strings) else { continue };
            let Some(offset) = table_offset.checked_add(entry.d_val(endian)).and_then(|o| usize::try_from(o).ok())
            else {
                continue;
            };
            out.push((tag == DT_NEEDED, String::from_utf8_lossy(name).into_owned(), offset));
        }
    }
    out
}

/// The `DT_NEEDED` names of a 64-bit ELF shared object; empty for anything else.
pub fn needed_libraries(data: &[u8]) -> Vec<String> {
    names(data).into_iter().filter(|(needed, ..)| *needed).map(|(_, name, _)| name).collect()
}

/// A copy of `data` (the file at `path` in the bale) in which each `DT_NEEDED` and
/// `DT_SONAME` name that `renames` holds is replaced by its new name, of the same length.
pub fn renamed(path: &str, data: &[u8], renames: &HashMap<String, String>) -> Result<Vec<u8>, Error> {
    let mut out = data.to_vec();
    for (_, name, offset) in names(data) {
        let Some(new) = renames.get(&name) else { continue };
        let refuse = |reason| Error::Rename { path: path.to_owned(), name: name.clone(), new: new.clone(), reason };
        if new.len() != name.len() {
            return Err(refuse("the names differ in length"));
        }
        let Some(place) = out.get_mut(offset..offset + name.len()) else {
            return Err(refuse("the name lies outside the file"));
        };
        place.copy_from_slice(new.as_bytes());
    }
    Ok(out)
}

/// A name of the same length as `name` that no real library has, made from `key`: what
/// a second, different library of an already loaded name is loaded as.
pub fn private_name(name: &str, key: u64) -> Option<String> {
    if !name.is_ascii() || name.len() < 8 {
        return None;
    }
    let hex = format!("{key:016x}{:016x}", key.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15);
    let n = name.len();
    Some(if n <= hex.len() { hex[..n].to_owned() } else { format!("{}{hex}", &name[..n - hex.len()]) })
}
