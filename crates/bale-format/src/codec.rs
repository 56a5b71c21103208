//! Payload compression: the codec numbers, bounded zstd decoding, and encoding.

use std::cell::RefCell;

use zstd::zstd_safe::{self, DCtx, DDict};

use crate::error::{Corruption, Error};

/// The zstd level bale compresses with where it picks the level: an app's bale (with
/// a dictionary), its rest bale, and a bale in one frame (`.bale.zst`).
pub const ZSTD_LEVEL: i32 = 19;

/// The largest dictionary bale trains where it picks the size (`--dictionary` without
/// one, an app's bale): 110 KiB, the size zstd's own tools default to.
pub const DICTIONARY_SIZE: usize = 112_640;

/// How a payload's bytes are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Codec {
    /// The bytes as they are.
    Stored,
    /// One zstd frame that declares its content size.
    Zstd,
    /// One zstd frame compressed with the bale's dictionary.
    ZstdDictionary,
    /// A codec from a newer version of the format.
    Unknown(u8),
}

impl Codec {
    pub fn from_byte(b: u8) -> Codec {
        match b {
            0 => Codec::Stored,
            1 => Codec::Zstd,
            2 => Codec::ZstdDictionary,
            other => Codec::Unknown(other),
        }
    }

    pub fn to_byte(self) -> u8 {
        match self {
            Codec::Stored => 0,
            Codec::Zstd => 1,
            Codec::ZstdDictionary => 2,
            Codec::Unknown(b) => b,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Codec::Stored => "stored",
            Codec::Zstd => "zstd",
            Codec::ZstdDictionary => "zstd+dict",
            Codec::Unknown(_) => "unknown",
        }
    }
}

thread_local! {
    // One decompression context per thread: creating one costs more than decoding a
    // typical module, and importing decodes hundreds.
    static DCTX: RefCell<Option<DCtx<'static>>> = const { RefCell::new(None) };
}

/// Decodes one zstd payload into exactly `size` bytes.
///
/// The output buffer is allocated once, at the recorded size, before decoding starts,
/// and zstd may not write past it: a frame that declares or produces any other size is
/// refused, so no input can make this allocate more than the record promised.
pub fn decompress(index: u32, src: &[u8], size: u64, dict: Option<&DDict<'_>>) -> Result<Vec<u8>, Error> {
    let corrupt = |problem: String| Error::Corrupt(Corruption::Payload { index, problem });
    match zstd_safe::get_frame_content_size(src) {
        Ok(Some(declared)) if declared == size => {}
        Ok(Some(declared)) => {
            return Err(corrupt(format!("zstd frame declares {declared} bytes, the record says {size}")));
        }
        Ok(None) => return Err(corrupt("zstd frame does not declare its size".into())),
        Err(_) => return Err(corrupt("not a zstd frame".into())),
    }
    match zstd_safe::find_frame_compressed_size(src) {
        Ok(n) if n == src.len() => {}
        Ok(_) => return Err(corrupt("bytes after the zstd frame".into())),
        Err(code) => {
            return Err(corrupt(format!("zstd: {}", zstd_safe::get_error_name(code))));
        }
    }
    let len = usize::try_from(size).map_err(|_| Error::TooLarge { size })?;
    let mut out = Vec::new();
    out.try_reserve_exact(len).map_err(|_| Error::TooLarge { size })?;
    let result = DCTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = DCtx::try_create();
        }
        let dctx = slot.as_mut().ok_or(Error::TooLarge { size })?;
        let result = match dict {
            Some(d) => dctx.decompress_using_ddict(&mut out, src, d),
            None => dctx.decompress(&mut out, src),
        };
        Ok::<_, Error>(result)
    })?;
    match result {
        Ok(n) if n == len => Ok(out),
        Ok(n) => Err(corrupt(format!("zstd frame produced {n} bytes, the record says {size}"))),
        Err(code) => Err(corrupt(format!("zstd: {}", zstd_safe::get_error_name(code)))),
    }
}

/// A zstd compressor that writes frames the way a bale requires: one frame per
/// payload, with its content size declared and no zstd checksum (the payload hash
/// already covers the bytes). Make one per thread and reuse it.
pub fn compressor(level: i32, dictionary: Option<&[u8]>) -> std::io::Result<zstd::bulk::Compressor<'static>> {
    let mut compressor = match dictionary {
        Some(d) => zstd::bulk::Compressor::with_dictionary(level, d)?,
        None => zstd::bulk::Compressor::new(level)?,
    };
    compressor.include_contentsize(true)?;
    compressor.include_checksum(false)?;
    Ok(compressor)
}
