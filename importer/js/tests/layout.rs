//! The loader's constants are the format's: the block between the `layout` markers of
//! `loader.mjs` is generated from `bale_format::layout`, and must match it.

use bale_format::FileKind;
use bale_format::layout::{self, file, header, key, payload, tree};

const BEGIN: &str = "// layout: generated from crates/bale-format/src/layout.rs";
const END: &str = "// layout: end";

/// The constants the loader reads a bale with, as JavaScript.
fn block() -> String {
    let magic: Vec<String> = layout::MAGIC.iter().map(|b| format!("0x{b:02x}")).collect();
    let numbers: [(&str, usize); 19] = [
        ("MAJOR", layout::MAJOR as usize),
        ("HEADER_SIZE", layout::HEADER_SIZE),
        ("H_MAJOR", header::MAJOR),
        ("H_FILE_SIZE", header::FILE_SIZE),
        ("H_TARGET", header::TARGET),
        ("TARGET_LEN", layout::TARGET_LEN),
        ("H_PAYLOADS", header::PAYLOADS_OFFSET),
        ("H_STRINGS", header::STRINGS_OFFSET),
        ("H_FILES", header::FILES + tree::RECORDS_OFFSET),
        ("H_FILE_COUNT", header::FILES + tree::COUNT),
        ("F_SIZE", file::SIZE),
        ("F_KEY_OFFSET", key::KEY_OFFSET),
        ("F_KEY_LEN", key::KEY_LEN),
        ("F_KIND", file::KIND),
        ("F_PAYLOAD", file::PAYLOAD),
        ("P_SIZE", payload::RECORD_SIZE),
        ("P_OFFSET", payload::OFFSET),
        ("P_STORED_SIZE", payload::STORED_SIZE),
        ("P_CODEC", payload::CODEC),
    ];
    let kinds = [("EXTENSION", FileKind::Extension), ("SHARED_LIBRARY", FileKind::SharedLibrary)];
    let mut out = format!("{BEGIN}\n// (BALE_BLESS=1 cargo test -p bale-loader writes it again).\n");
    out += &format!("const MAGIC = [{}];\n", magic.join(", "));
    for (name, value) in numbers {
        out += &format!("const {name} = {value};\n");
    }
    for (name, kind) in kinds {
        out += &format!("const {name} = {};\n", kind.to_byte());
    }
    out += END;
    out
}

#[test]
fn the_loaders_offsets_are_the_formats() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("loader.mjs");
    let text = std::fs::read_to_string(&path).expect("loader.mjs");
    let start = text.find(BEGIN).expect("loader.mjs has a layout block");
    let end = text[start..].find(END).expect("the layout block ends") + start + END.len();
    let expected = block();
    if std::env::var_os("BALE_BLESS").is_some() {
        std::fs::write(&path, format!("{}{expected}{}", &text[..start], &text[end..])).expect("write loader.mjs");
        return;
    }
    assert_eq!(
        &text[start..end],
        expected,
        "loader.mjs's layout block differs from bale_format::layout: run with BALE_BLESS=1"
    );
}
