//! The rules for module names and file paths inside a bale.
//!
//! The writer refuses a name that breaks them, the reader refuses to hand one out, and
//! `extract` relies on them: a path that passes [`check_path`] can be joined to a
//! folder without leaving it, on Unix and on Windows.

use crate::error::Error;

/// Longest key a record can hold (its length field is 16 bits).
pub const MAX_KEY_LEN: usize = u16::MAX as usize;

/// Checks a file path: `/`-separated, relative, every component a plain name.
///
/// Refused: empty paths and components (so no leading, trailing or doubled `/`),
/// `.` and `..`, NUL and other control characters, `\` (a separator on Windows), a
/// first component like `C:` (a drive on Windows), and paths longer than 65,535 bytes.
pub fn check_path(path: &str) -> Result<(), Error> {
    let fail = |reason| Err(Error::InvalidName { name: path.to_owned(), reason });
    if path.is_empty() {
        return fail("empty path");
    }
    if path.len() > MAX_KEY_LEN {
        return fail("longer than 65535 bytes");
    }
    if path.starts_with('/') {
        return fail("absolute path");
    }
    for (i, component) in path.split('/').enumerate() {
        match component {
            "" => return fail("empty path component"),
            "." | ".." => return fail("`.` or `..` component"),
            _ => {}
        }
        if let Some(reason) = bad_character(component, &['\\']) {
            return fail(reason);
        }
        if i == 0 && is_drive(component) {
            return fail("starts with a drive letter");
        }
    }
    Ok(())
}

/// Checks a module name: `.`-separated non-empty components, no path separators
/// or control characters.
pub fn check_module_name(name: &str) -> Result<(), Error> {
    let fail = |reason| Err(Error::InvalidName { name: name.to_owned(), reason });
    if name.is_empty() {
        return fail("empty module name");
    }
    if name.len() > MAX_KEY_LEN {
        return fail("longer than 65535 bytes");
    }
    if name.split('.').any(str::is_empty) {
        return fail("empty module name component");
    }
    match bad_character(name, &['/', '\\']) {
        Some(reason) => fail(reason),
        None => Ok(()),
    }
}

fn bad_character(s: &str, forbidden: &[char]) -> Option<&'static str> {
    for c in s.chars() {
        if c == '\0' {
            return Some("contains NUL");
        }
        if c.is_control() {
            return Some("contains a control character");
        }
        if forbidden.contains(&c) {
            return Some(if c == '\\' { "contains a backslash" } else { "contains a path separator" });
        }
    }
    None
}

fn is_drive(component: &str) -> bool {
    let b = component.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// The parent of a `/` path or `.` module name, or `None` at the top level.
pub fn parent(key: &str, separator: char) -> Option<&str> {
    key.rfind(separator).map(|i| &key[..i])
}

/// The last component of a `/` path or `.` module name.
pub fn last_component(key: &str, separator: char) -> &str {
    key.rfind(separator).map_or(key, |i| &key[i + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_paths() {
        for p in [
            "rich/console.py",
            "numpy.libs/libopenblas64_p-r0.so",
            "rich-13.7.1.dist-info/METADATA",
            "a",
            "données/é.txt",
            "x/.hidden",
            "x/..y",
            "x/a:b",
        ] {
            check_path(p).unwrap();
        }
    }

    #[test]
    fn refuses_names_that_escape() {
        for p in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            "a//b",
            "a/",
            "..",
            "a\\..\\..\\x",
            "..\\x",
            "C:\\x",
            "C:x",
            "c:/x",
            "a\0b",
            "a/\nb",
        ] {
            assert!(check_path(p).is_err(), "{p:?} should be refused");
        }
        assert!(check_path(&"a".repeat(MAX_KEY_LEN + 1)).is_err());
    }

    #[test]
    fn module_names() {
        for n in ["rich", "rich.console", "_pytest._py.path", "ñ.ü"] {
            check_module_name(n).unwrap();
        }
        for n in ["", ".rich", "rich.", "a..b", "a/b", "a\\b", "a\0b"] {
            assert!(check_module_name(n).is_err(), "{n:?} should be refused");
        }
    }

    #[test]
    fn parents_and_components() {
        assert_eq!(parent("a/b/c", '/'), Some("a/b"));
        assert_eq!(parent("a", '/'), None);
        assert_eq!(last_component("a.b.c", '.'), "c");
        assert_eq!(last_component("a", '.'), "a");
    }
}
