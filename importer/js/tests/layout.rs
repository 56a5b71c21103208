//! The loader's constants are the format's: the block between the `layout` markers of
//! `loader.mjs` is generated from `bale_format::layout`, and must match it.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

use bale_format::Codec;
use bale_format::layout::{self, bucket, file, header, key, module, parts, payload, tree};

const BEGIN: &str = "// layout: generated from crates/bale-format/src/layout.rs";
const END: &str = "// layout: end";

/// The constants each JavaScript file reads a bale with, as `(name, value)`.
fn constants(file: &str) -> Vec<(&'static str, u64)> {
    let n = |v: usize| v as u64;
    let header = vec![
        ("MAJOR", u64::from(layout::MAJOR)),
        ("HEADER_SIZE", n(layout::HEADER_SIZE)),
        ("H_MAJOR", n(header::MAJOR)),
        ("H_FILE_SIZE", n(header::FILE_SIZE)),
        ("H_TARGET", n(header::TARGET)),
        ("TARGET_LEN", n(layout::TARGET_LEN)),
    ];
    match file {
        "loader.mjs" => header,
        "embedded.mjs" => vec![
            ("H_HASH", n(header::HEADER_HASH)),
            ("H_PAYLOADS", n(header::PAYLOADS_OFFSET)),
            ("H_PAYLOAD_COUNT", n(header::PAYLOAD_COUNT)),
            ("H_STRINGS", n(header::STRINGS_OFFSET)),
            ("H_STRINGS_SIZE", n(header::STRINGS_SIZE)),
            ("H_FILES", n(header::FILES + tree::RECORDS_OFFSET)),
            ("H_FILE_COUNT", n(header::FILES + tree::COUNT)),
            ("H_FILE_BUCKETS", n(header::FILES + tree::BUCKETS_OFFSET)),
            ("H_FILE_BUCKET_COUNT", n(header::FILES + tree::BUCKET_COUNT)),
            ("B_SIZE", n(bucket::SIZE)),
            ("B_SLOT", n(bucket::SLOT_SIZE)),
            ("B_COUNT", n(bucket::COUNT)),
            ("B_SLOTS", n(bucket::SLOTS)),
            ("K_HASH", n(key::HASH)),
            ("K_OFFSET", n(key::KEY_OFFSET)),
            ("K_LEN", n(key::KEY_LEN)),
            ("F_SIZE", n(file::SIZE)),
            ("F_PAYLOAD", n(file::PAYLOAD)),
            ("P_SIZE", n(payload::RECORD_SIZE)),
            ("P_OFFSET", n(payload::OFFSET)),
            ("P_STORED_SIZE", n(payload::STORED_SIZE)),
            ("P_HASH", n(payload::HASH)),
            ("P_CODEC", n(payload::CODEC)),
            ("NONE", u64::from(layout::NONE)),
            ("STORED", u64::from(Codec::Stored.to_byte())),
        ],
        "rest.mjs" => vec![
            ("MAJOR", u64::from(layout::MAJOR)),
            ("HEADER_SIZE", n(layout::HEADER_SIZE)),
            ("H_MAJOR", n(header::MAJOR)),
            ("H_HEADER_SIZE", n(header::HEADER_SIZE)),
            ("H_PAYLOAD_COUNT", n(header::PAYLOAD_COUNT)),
            ("H_PAYLOADS", n(header::PAYLOADS_OFFSET)),
            ("H_STRINGS", n(header::STRINGS_OFFSET)),
            ("H_STRINGS_SIZE", n(header::STRINGS_SIZE)),
            ("H_MODULES", n(header::MODULES)),
            ("H_FILES", n(header::FILES)),
            ("T_RECORDS", n(tree::RECORDS_OFFSET)),
            ("T_COUNT", n(tree::COUNT)),
            ("T_BUCKETS", n(tree::BUCKETS_OFFSET)),
            ("T_BUCKET_COUNT", n(tree::BUCKET_COUNT)),
            ("M_SIZE", n(module::SIZE)),
            ("F_SIZE", n(file::SIZE)),
            ("P_SIZE", n(payload::RECORD_SIZE)),
            ("B_SIZE", n(bucket::SIZE)),
        ],
        "update.mjs" => update_constants(),
        other => panic!("no constants for {other}"),
    }
}

/// update.mjs reads a parts file (format-spec §15) and a bale's payload records.
fn update_constants() -> Vec<(&'static str, u64)> {
    let n = |v: usize| v as u64;
    vec![
        ("HEADER_SIZE", n(layout::HEADER_SIZE)),
        ("H_FILE_SIZE", n(header::FILE_SIZE)),
        ("H_PAYLOAD_COUNT", n(header::PAYLOAD_COUNT)),
        ("H_PAYLOADS", n(header::PAYLOADS_OFFSET)),
        ("H_HASH", n(header::HEADER_HASH)),
        ("P_SIZE", n(payload::RECORD_SIZE)),
        ("P_OFFSET", n(payload::OFFSET)),
        ("P_STORED_SIZE", n(payload::STORED_SIZE)),
        ("P_HASH", n(payload::HASH)),
        ("P_CHECK", n(payload::CHECK)),
        ("PARTS_VERSION", u64::from(parts::VERSION)),
        ("PARTS_HEADER_SIZE", n(parts::HEADER_SIZE)),
        ("PH_VERSION", n(parts::H_VERSION)),
        ("PH_PAYLOAD_COUNT", n(parts::H_PAYLOAD_COUNT)),
        ("PH_BALE_SIZE", n(parts::H_BALE_SIZE)),
        ("PH_BALE_HASH", n(parts::H_BALE_HASH)),
        ("PH_INDEX_END", n(parts::H_INDEX_END)),
        ("PH_HEAD_SIZE", n(parts::H_HEAD_SIZE)),
        ("PH_HEAD_HASH", n(parts::H_HEAD_HASH)),
        ("PH_HASH", n(parts::H_HASH)),
        ("E_OFFSET", n(parts::E_OFFSET)),
        ("E_SIZE", n(parts::E_SIZE)),
        ("E_FORM", n(parts::E_FORM)),
        ("E_SIZE_OF", n(parts::ENTRY_SIZE)),
        ("DEFLATED", u64::from(parts::DEFLATED)),
    ]
}

/// The block of `file`, as JavaScript.
fn block(file: &str) -> String {
    let mut out = format!("{BEGIN}\n// (BALE_BLESS=1 cargo test -p bale-loader writes it again).\n");
    let bytes = |b: &[u8]| b.iter().map(|b| format!("0x{b:02x}")).collect::<Vec<_>>().join(", ");
    if file == "loader.mjs" || file == "rest.mjs" || file == "update.mjs" {
        out += &format!("const MAGIC = [{}];\n", bytes(&layout::MAGIC));
    }
    if file == "update.mjs" {
        out += &format!("const PARTS_MAGIC = [{}];\n", bytes(&parts::MAGIC));
    }
    for (name, value) in constants(file) {
        out += &format!("const {name} = {value};\n");
    }
    out += END;
    out
}

fn check(file: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let text = std::fs::read_to_string(&path).expect("the file");
    let start = text.find(BEGIN).expect("a layout block");
    let end = text[start..].find(END).expect("the layout block ends") + start + END.len();
    let expected = block(file);
    if std::env::var_os("BALE_BLESS").is_some() {
        std::fs::write(&path, format!("{}{expected}{}", &text[..start], &text[end..])).expect("write");
        return;
    }
    assert_eq!(
        &text[start..end],
        expected,
        "{file}'s layout block differs from bale_format::layout: run with BALE_BLESS=1"
    );
}

#[test]
fn the_loaders_offsets_are_the_formats() {
    check("loader.mjs");
    check("embedded.mjs");
    check("rest.mjs");
    check("update.mjs");
}
