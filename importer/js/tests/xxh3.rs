//! `xxh3.mjs` computes what the format's hash is: the Rust crate's XXH3-64, for every
//! input length up to past two blocks and for several seeds. Runs `node`.

#![allow(clippy::unwrap_used, reason = "a test: a failure is a panic")]

use std::io::Write;
use std::process::{Command, Stdio};

use xxhash_rust::xxh3::xxh3_64_with_seed;

#[test]
fn the_javascript_xxh3_is_the_formats() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("xxh3.mjs");
    let lengths: Vec<usize> = (0..300).chain([500, 1023, 1024, 1025, 2047, 2048, 2049, 4096, 10_000]).collect();
    let seeds = [0u64, 1, 7, 255, 0xFFFF_FFFF, 0x1234_5678_9ABC_DEF0];
    let input: Vec<u8> = (0..10_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    // As text: seeds past 2^53 are not JavaScript numbers.
    let seed_text: Vec<String> = seeds.iter().map(u64::to_string).collect();
    let program = format!(
        "const {{ xxh3 }} = await import({:?});\n\
         const input = Uint8Array.from(JSON.parse(require('node:fs').readFileSync(0, 'utf8')));\n\
         const out = [];\n\
         for (const n of {lengths:?}) for (const s of {seed_text:?}) out.push(xxh3(input.subarray(0, n), BigInt(s)).toString());\n\
         console.log(out.join(' '));",
        format!("file://{}", script.display())
    );
    let mut node = Command::new("node")
        .args(["--input-type=commonjs", "-e", &format!("(async () => {{ {program} }})()")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    node.stdin.take().unwrap().write_all(serde_json_array(&input).as_bytes()).unwrap();
    let out = node.wait_with_output().unwrap();
    assert!(out.status.success(), "node failed");
    let got: Vec<u64> = String::from_utf8(out.stdout).unwrap().split_whitespace().map(|h| h.parse().unwrap()).collect();
    let mut expected = Vec::new();
    for &n in &lengths {
        for &s in &seeds {
            expected.push(xxh3_64_with_seed(&input[..n], s));
        }
    }
    let first = got.iter().zip(&expected).position(|(g, e)| g != e);
    assert_eq!(first, None, "first difference at case {first:?}");
    assert_eq!(got.len(), expected.len());
}

fn serde_json_array(bytes: &[u8]) -> String {
    let items: Vec<String> = bytes.iter().map(|b| b.to_string()).collect();
    format!("[{}]", items.join(","))
}
