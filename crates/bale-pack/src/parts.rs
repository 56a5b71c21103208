//! What a page's returning visitors need beside a bale for the web: its parts file
//! (format-spec §15), from which the loader fetches only the payloads a deploy
//! changed, and the bale's `integrity` value, which a page may name so that the
//! loader refuses any other bale and, when its stored copy has that hash, asks the
//! server nothing at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use bale_format::{frame, parts};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::PackError;
use crate::output::AtomicFile;
use crate::progress::Progress;

/// The parts file written beside a bale.
#[derive(Clone, Debug, Serialize)]
pub struct PartsFile {
    pub path: PathBuf,
    /// Its size on disk.
    pub size: u64,
    /// The size of its header and head: what a returning visitor's loader fetches
    /// after a deploy before any payload.
    pub head: u64,
    /// `sha256-BASE64` of the bale (decoded, if framed): the loader's `integrity`.
    pub integrity: String,
}

/// Where the parts file of `bale` goes: beside it, `NAME.parts` for `NAME.bale` and
/// `NAME.bale.zst`.
pub fn parts_path(bale: &Path) -> PathBuf {
    crate::output::beside(bale, "parts")
}

/// Writes the parts file of the bale at `bale` (framed or not) to `out`.
pub fn write_parts(bale: &Path, out: AtomicFile, progress: &dyn Progress) -> Result<PartsFile, PackError> {
    progress.step("writing the parts file", None);
    let data = std::fs::read(bale).map_err(|e| PackError::io(bale, e))?;
    let data = match frame::is_framed(&data) {
        true => frame::unframe(&data)?,
        false => data,
    };
    let written = parts::write(&data)?;
    let header = parts::Header::parse(&written)?;
    let path = out.path().to_owned();
    out.write_with(|w| w.write_all(&written).map_err(|e| PackError::io(&path, e)))?;
    Ok(PartsFile { path, size: written.len() as u64, head: header.parts_start(), integrity: integrity(&data) })
}

/// The `integrity` of a bale, as `fetch` and `<script>` name a resource's (Subresource
/// Integrity): `sha256-` and the digest in base64.
pub fn integrity(bale: &[u8]) -> String {
    format!("sha256-{}", base64(&Sha256::digest(bale)))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            match i <= chunk.len() {
                true => out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char),
                false => out.push('='),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_sit_next_to_the_bale() {
        assert_eq!(parts_path(Path::new("out/report.bale")), PathBuf::from("out/report.parts"));
        assert_eq!(parts_path(Path::new("/srv/app.bale.zst")), PathBuf::from("/srv/app.parts"));
    }

    #[test]
    fn integrity_is_subresource_integritys_sha256() {
        // `printf abc | openssl dgst -sha256 -binary | base64`
        assert_eq!(integrity(b"abc"), "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }
}
