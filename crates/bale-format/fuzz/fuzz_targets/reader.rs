//! Feeds arbitrary bytes to the reader: it must never panic, hang or read out of
//! bounds, whatever it is given. Each input is tried twice: as it is (which exercises
//! the header checks) and resealed, with every checksum rewritten to match (which
//! reaches the index, lookups and decoding behind the checksums).
#![no_main]

use bale_format::Bale;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    exercise(data);
    let mut resealed = data.to_vec();
    bale_format::testing::reseal(&mut resealed);
    exercise(&resealed);
});

fn exercise(data: &[u8]) {
    let Ok(bale) = Bale::open(data) else { return };
    let _ = bale.verify();
    for m in bale.modules().take(256).flatten() {
        let _ = bale.module(m.name);
        for child in bale.module_children(&m).take(64) {
            let _ = child;
        }
        if let Some(p) = m.bytecode {
            let _ = bale.payload(p).and_then(|p| bale.read(&p).map(|c| c.len()));
        }
    }
    for f in bale.files().take(256).flatten() {
        let _ = bale.file(f.path);
        let _ = bale.read_file(&f);
        for child in bale.file_children(&f).take(64) {
            let _ = child;
        }
    }
    for name in ["", "a", "a.b", "greet", "greet.words", "pkg/__init__.py", "../x"] {
        let _ = bale.module(name);
        let _ = bale.file(name);
    }
    let _ = bale.root_modules().take(64).count();
    let _ = bale.root_files().take(64).count();
}
