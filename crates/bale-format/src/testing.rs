//! Tools for tests and fuzzing, behind the `testing` feature: never for real bales.

use byteorder::{ByteOrder, LittleEndian as LE};
use xxhash_rust::xxh3::xxh3_64;

use crate::layout::{self, FileRecord, ModuleRecord, PayloadRecord, TreeDescriptor, header as h};

/// Rewrites every checksum of `b` to match its bytes, as far as its (possibly
/// nonsensical) header lets it find them: the magic and major version, record key
/// hashes, record and bucket checks, payload hashes, the body and header hashes.
///
/// A fuzzer's random bytes almost never pass a 64-bit checksum; resealed, they reach
/// the code behind the checksums. Never panics, whatever `b` holds.
pub fn reseal(b: &mut [u8]) {
    if b.len() < layout::HEADER_SIZE {
        return;
    }
    b[..8].copy_from_slice(&layout::MAGIC);
    LE::write_u16(&mut b[h::MAJOR..], layout::MAJOR);
    let len = b.len() as u64;
    let file_size = LE::read_u64(&b[h::FILE_SIZE..]);
    if !(layout::HEADER_SIZE as u64..=len).contains(&file_size) {
        LE::write_u64(&mut b[h::FILE_SIZE..], len);
    }
    let strings_offset = LE::read_u64(&b[h::STRINGS_OFFSET..]);
    let strings_size = LE::read_u64(&b[h::STRINGS_SIZE..]);

    for (at, record_size) in [(h::MODULES, ModuleRecord::SIZE), (h::FILES, FileRecord::SIZE)] {
        let tree = TreeDescriptor::decode(&b[at..at + TreeDescriptor::SIZE]);
        for i in 0..tree.count {
            let Some(start) = fits(tree.records_offset, i, record_size, len) else { break };
            let key_offset = u64::from(LE::read_u32(&b[start + layout::key::KEY_OFFSET..]));
            let key_len = u64::from(LE::read_u16(&b[start + layout::key::KEY_LEN..]));
            if key_offset + key_len <= strings_size && strings_offset.saturating_add(key_offset + key_len) <= len {
                let k = (strings_offset + key_offset) as usize;
                let hash = xxh3_64(&b[k..k + key_len as usize]);
                LE::write_u64(&mut b[start + layout::key::HASH..], hash);
            }
            layout::seal(&mut b[start..start + record_size], i);
        }
        for i in 0..tree.bucket_count {
            let Some(start) = fits(tree.buckets_offset, i, layout::BUCKET_SIZE, len) else { break };
            layout::seal(&mut b[start..start + layout::BUCKET_SIZE], i);
        }
    }
    let payloads_offset = LE::read_u64(&b[h::PAYLOADS_OFFSET..]);
    for i in 0..LE::read_u32(&b[h::PAYLOAD_COUNT..]) {
        let Some(start) = fits(payloads_offset, i, PayloadRecord::SIZE, len) else { break };
        let p = PayloadRecord::decode(&b[start..start + PayloadRecord::SIZE]);
        if let Some(end) = p.offset.checked_add(p.stored_size).filter(|&e| e <= len) {
            let hash = xxh3_64(&b[p.offset as usize..end as usize]);
            LE::write_u64(&mut b[start + layout::payload::HASH..], hash);
        }
        layout::seal(&mut b[start..start + PayloadRecord::SIZE], i);
    }
    let body_end = (LE::read_u64(&b[h::FILE_SIZE..]) as usize).min(b.len());
    let body = xxh3_64(&b[layout::HEADER_SIZE..body_end]);
    LE::write_u64(&mut b[h::BODY_HASH..], body);
    layout::seal_header(b);
}

/// Start of element `i` of a table at `offset`, if the element lies inside `len`.
fn fits(offset: u64, i: u32, size: usize, len: u64) -> Option<usize> {
    let start = offset.checked_add(u64::from(i).checked_mul(size as u64)?)?;
    (start.checked_add(size as u64)? <= len).then_some(start as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resealing_a_sound_bale_changes_nothing() {
        let mut w = crate::writer::Writer::new("any").unwrap();
        w.add_file("a/b.txt", crate::reader::FileKind::Data, b"hello".to_vec(), false).unwrap();
        let mut out = std::io::Cursor::new(Vec::new());
        w.write(&mut out, &crate::writer::WriteOptions::default()).unwrap();
        let good = out.into_inner();
        let mut again = good.clone();
        reseal(&mut again);
        assert_eq!(good, again);
    }

    #[test]
    fn resealing_garbage_never_panics() {
        let mut state = 0x9e3779b97f4a7c15u64;
        for len in [0, 100, 255, 256, 300, 1000, 5000] {
            for _ in 0..200 {
                let mut data: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        state as u8
                    })
                    .collect();
                reseal(&mut data);
                if let Ok(bale) = crate::reader::Bale::open(data.as_slice()) {
                    let _ = bale.verify();
                }
            }
        }
    }
}
