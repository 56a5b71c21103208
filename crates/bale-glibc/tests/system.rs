//! `lower` on the system's own libraries, which this machine's glibc (newer than the
//! floor) built: after it, none needs a glibc newer than the floor, what it takes is
//! the same names (`__isoc23_` ones as their plain names), and a second pass changes
//! nothing.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

use bale_glibc::{FLOOR, Version, dynamic, lower, newest, requirements};

/// Libraries of the stdlib's extension modules, as a Debian 12 or newer has them.
const LIBRARIES: [&str; 4] = ["libcrypto.so.3", "libsqlite3.so.0", "liblzma.so.5", "libssl.so.3"];

fn system_libraries() -> Vec<(String, Vec<u8>)> {
    let found: Vec<_> = LIBRARIES
        .iter()
        .flat_map(|name| ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu"].map(|dir| format!("{dir}/{name}")))
        .filter_map(|path| std::fs::read(&path).ok().map(|data| (path, data)))
        .collect();
    assert!(!found.is_empty(), "none of {LIBRARIES:?} on this machine");
    found
}

#[test]
fn system_libraries_come_down_to_the_floor() {
    let mut lowered_any = false;
    for (path, data) in system_libraries() {
        let before = requirements(&data).unwrap();
        let Some(lowered) = lower(&data, FLOOR).unwrap() else { continue };
        lowered_any = true;
        assert_eq!(lowered.len(), data.len(), "{path}: nothing moves");
        assert!(newest(&data).unwrap() > Some(FLOOR), "{path}");
        assert!(newest(&lowered).unwrap() <= Some(FLOOR), "{path}: {:?}", newest(&lowered));
        // The requirements still there are all but those of a newer glibc, unchanged.
        let kept: Vec<_> = before.iter().filter(|r| r.glibc().is_none_or(|v| v <= FLOOR)).cloned().collect();
        let after = requirements(&lowered).unwrap();
        assert_eq!(kept, after, "{path}");
        assert!(lower(&lowered, FLOOR).unwrap().is_none(), "{path}: a second pass changes nothing");
    }
    assert!(lowered_any, "no library here needs a glibc newer than {FLOOR}: the test proves nothing");
}

#[test]
fn a_floor_above_every_requirement_changes_nothing() {
    for (path, data) in system_libraries() {
        assert!(lower(&data, Version(99, 0, 0)).unwrap().is_none(), "{path}");
    }
}

#[test]
fn damaged_objects_are_refused_or_read_never_panicked_on() {
    let (_, data) = system_libraries().into_iter().min_by_key(|(_, data)| data.len()).unwrap();
    let shoff = u64::from_le_bytes(data[0x28..0x30].try_into().unwrap()) as usize;
    // The header, the section table and the start of the dynamic tables: where a
    // damaged value sends the reader somewhere else.
    let places: Vec<usize> = (0..64).chain(shoff..data.len().min(shoff + 64 * 40)).chain(0x200..0x2000).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..3000 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let mut damaged = data.clone();
        let at = places[(seed >> 33) as usize % places.len()];
        damaged[at] ^= (seed >> 8) as u8 | 1;
        let _ = requirements(&damaged);
        let _ = lower(&damaged, FLOOR);
    }
}

#[test]
fn the_libraries_an_object_names_are_listed() {
    for (path, data) in system_libraries() {
        let listed = dynamic(&data).unwrap();
        assert!(listed.needed.iter().any(|n| n == "libc.so.6"), "{path}: {listed:?}");
        assert_eq!(dynamic(&lower(&data, FLOOR).unwrap().unwrap_or(data.clone())).unwrap(), listed, "{path}");
    }
}
