//! Whether a file holds a bale, from its first and last bytes alone: a bale, a framed
//! bale (a zstd frame whose first bytes decode to a bale's magic), or a program from
//! `bale exe` (the trailer at its end). The packer leaves such files out of what it
//! packs from an app's folder, where earlier outputs lie.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::{embed, frame, layout};

/// How much of a framed bale's start decodes its first bytes: the frame header (at
/// most 18 bytes), a block header (3) and the first block, which holds at most 128
/// KiB (RFC 8878 §3.1.1.2.3, `Block_Maximum_Size`).
pub const FRAME_HEAD: usize = 18 + 3 + 128 * 1024;

/// Whether a file whose first bytes are `head` (up to [`FRAME_HEAD`]; a bale's
/// magic needs the first 8) and last bytes `tail` (the last
/// [`embed::TRAILER_SIZE`]) holds a bale. A damaged bale still counts: what matters
/// is where it came from, not whether it opens.
pub fn holds_bale(head: &[u8], tail: &[u8]) -> bool {
    head.starts_with(&layout::MAGIC) || framed_bale(head) || program(tail)
}

/// [`holds_bale`] for a file on disk, reading at most [`FRAME_HEAD`] bytes from its
/// start (only when it starts as a zstd frame; 8 otherwise) and
/// [`embed::TRAILER_SIZE`] from its end.
pub fn file_holds_bale(path: &Path) -> io::Result<bool> {
    let mut file = File::open(path)?;
    let mut head = Vec::with_capacity(layout::MAGIC.len());
    (&mut file).take(layout::MAGIC.len() as u64).read_to_end(&mut head)?;
    if head.starts_with(&frame::MAGIC) {
        (&mut file).take((FRAME_HEAD - head.len()) as u64).read_to_end(&mut head)?;
    }
    let mut tail = [0u8; embed::TRAILER_SIZE];
    let len = file.metadata()?.len();
    let tail = match len.checked_sub(embed::TRAILER_SIZE as u64) {
        Some(at) => {
            file.seek(SeekFrom::Start(at))?;
            file.read_exact(&mut tail)?;
            &tail[..]
        }
        None => &[],
    };
    Ok(holds_bale(&head, tail))
}

/// A zstd frame whose content starts with a bale's magic. A zstd decoder gives out
/// the first block once it has it whole, so the head need not be the whole frame.
fn framed_bale(head: &[u8]) -> bool {
    if !head.starts_with(&frame::MAGIC) {
        return false;
    }
    let mut first = [0u8; layout::MAGIC.len()];
    zstd::stream::read::Decoder::with_buffer(head).and_then(|mut d| d.read_exact(&mut first)).is_ok()
        && first == layout::MAGIC
}

/// `bale exe`'s trailer at the end: its magic is enough, checksum or not.
fn program(tail: &[u8]) -> bool {
    tail.len().checked_sub(embed::TRAILER_SIZE).is_some_and(|at| tail[at..].starts_with(&embed::TRAILER_MAGIC))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EntryPoint;

    /// A real bale of some size, so that its framed form spans several zstd blocks.
    fn bale() -> Vec<u8> {
        let mut w = crate::Writer::new("any").unwrap();
        let data: Vec<u8> = (0..400_000u32).flat_map(|i| (i.wrapping_mul(2_654_435_761) >> 7).to_le_bytes()).collect();
        w.add_file("data.bin", crate::FileKind::Resource, data, false).unwrap();
        let mut out = io::Cursor::new(Vec::new());
        w.write(&mut out, &crate::WriteOptions::default()).unwrap();
        out.into_inner()
    }

    fn on_disk(bytes: &[u8]) -> bool {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        file_holds_bale(&path).unwrap()
    }

    #[test]
    fn a_bale_a_framed_bale_and_a_program_hold_one() {
        let bale = bale();
        let framed = frame::frame(&bale, 3).unwrap();
        assert!(framed.len() > FRAME_HEAD, "the frame is larger than what is read of it");
        let program = embed::append(
            b"\x7fELF runner",
            &bale,
            &embed::Start::Entry(EntryPoint::Module("app".into())),
            false,
            None,
        );
        for bytes in [&bale, &framed, &program] {
            assert!(on_disk(bytes));
        }
        // A damaged program is still one.
        let mut damaged = program.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert!(on_disk(&damaged));
    }

    #[test]
    fn other_files_hold_none() {
        let any_frame = frame::frame(b"not a bale, only compressed", 3).unwrap();
        let mut trailer_too_short = embed::TRAILER_MAGIC.to_vec();
        trailer_too_short.extend([0; 10]);
        for bytes in [&b""[..], b"\x89BAL", b"print('hello')\n", &any_frame, &frame::MAGIC, &trailer_too_short] {
            assert!(!on_disk(bytes), "{bytes:?}");
        }
        // The magic somewhere else than at the start or in the trailer.
        let mut inside = b"# ".to_vec();
        inside.extend(layout::MAGIC);
        inside.extend([b'x'; 100]);
        assert!(!on_disk(&inside));
    }
}
