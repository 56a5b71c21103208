//! A whole bale in one zstd frame, for transport (format-spec §10.4).
//!
//! Per-payload compression keeps a bale random-access, but each payload is compressed
//! alone. Over a network the whole file can be compressed at once, as a web server's
//! brotli would: the sympy-solve example's bale is 3.3 MiB framed against 3.9 MiB
//! compressed entry by entry with a dictionary. A reader that sees the zstd magic
//! decodes the frame into memory once and opens the bale it holds.

use zstd::zstd_safe::{self, DCtx};

use crate::error::{Corruption, Error};

/// The first four bytes of a zstd frame (RFC 8878 §3.1.1).
pub const MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// Whether `data` is a framed bale (or any zstd frame) rather than a bale.
pub fn is_framed(data: &[u8]) -> bool {
    data.starts_with(&MAGIC)
}

/// `bale` in one zstd frame at `level`, with a window as large as the decoder
/// accepts by default (2^27 bytes) and long-distance matching, so that the compressor
/// sees across the whole file; the frame declares its content size and carries a
/// checksum of it.
pub fn frame(bale: &[u8], level: i32) -> Result<Vec<u8>, Error> {
    use zstd::zstd_safe::CParameter;
    let mut c = zstd::bulk::Compressor::new(level)?;
    c.include_contentsize(true)?;
    c.include_checksum(true)?;
    c.set_parameter(CParameter::WindowLog(27))?;
    c.set_parameter(CParameter::EnableLongDistanceMatching(true))?;
    Ok(c.compress(bale)?)
}

/// The bytes a framed bale holds. The frame must be one zstd frame, declare its
/// content size (the output is allocated once, at that size, and never grows) and
/// decode to exactly that; its checksum, when present, must match.
pub fn unframe(data: &[u8]) -> Result<Vec<u8>, Error> {
    let size = content_size(data)?;
    let len = usize::try_from(size).map_err(|_| Error::TooLarge { size })?;
    let mut out = Vec::new();
    out.try_reserve_exact(len).map_err(|_| Error::TooLarge { size })?;
    out.resize(len, 0);
    unframe_into(data, &mut out)?;
    Ok(out)
}

/// The size of the bale a framed bale holds, as its frame declares it, once the
/// frame is found to be one whole zstd frame.
pub fn content_size(data: &[u8]) -> Result<u64, Error> {
    let size = match zstd_safe::get_frame_content_size(data) {
        Ok(Some(size)) => size,
        Ok(None) => return Err(corrupt("the zstd frame does not declare its size".into())),
        Err(_) => return Err(corrupt("not a complete zstd frame header".into())),
    };
    match zstd_safe::find_frame_compressed_size(data) {
        Ok(n) if n == data.len() => Ok(size),
        Ok(_) => Err(corrupt("bytes after the zstd frame".into())),
        Err(code) => Err(corrupt(format!("truncated: {}", zstd_safe::get_error_name(code)))),
    }
}

/// Decodes a framed bale into `out`, which must be exactly [`content_size`] bytes
/// long: for a caller that owns the buffer (a Python `bytes` object, say).
pub fn unframe_into(data: &[u8], out: &mut [u8]) -> Result<(), Error> {
    let size = content_size(data)?;
    if out.len() as u64 != size {
        return Err(Error::Write(format!("a buffer of {} bytes for a frame of {size}", out.len())));
    }
    let mut dctx = DCtx::try_create().ok_or(Error::TooLarge { size })?;
    match dctx.decompress(out, data) {
        Ok(n) if n as u64 == size => Ok(()),
        Ok(n) => Err(corrupt(format!("it produced {n} bytes, it declares {size}"))),
        Err(code) => Err(corrupt(zstd_safe::get_error_name(code).to_owned())),
    }
}

fn corrupt(problem: String) -> Error {
    Error::Corrupt(Corruption::Frame(problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect()
    }

    #[test]
    fn frames_and_unframes() {
        let data = sample();
        let framed = frame(&data, 3).unwrap();
        assert!(is_framed(&framed));
        assert!(framed.len() < data.len() / 10);
        assert_eq!(unframe(&framed).unwrap(), data);
    }

    #[test]
    fn refuses_damaged_frames() {
        let framed = frame(&sample(), 3).unwrap();
        let problem = |bytes: &[u8]| match unframe(bytes) {
            Err(Error::Corrupt(Corruption::Frame(p))) => p,
            other => panic!("expected a frame error, got {other:?}"),
        };
        assert!(problem(&framed[..framed.len() - 10]).starts_with("truncated"));
        assert_eq!(problem(&[&framed[..], b"x"].concat()), "bytes after the zstd frame");
        assert_eq!(problem(&MAGIC), "not a complete zstd frame header");
        // A flipped byte in the content is caught by the frame's checksum or by the decoder.
        let mut flipped = framed.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x40;
        assert!(unframe(&flipped).is_err());
        // A frame without a declared size (as a streaming compressor may write).
        let mut streaming = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        std::io::Write::write_all(&mut streaming, b"some bytes").unwrap();
        let streaming = streaming.finish().unwrap();
        if zstd_safe::get_frame_content_size(&streaming).unwrap().is_none() {
            assert_eq!(problem(&streaming), "the zstd frame does not declare its size");
        }
    }
}
