//! How large files are as they travel: deflated as a wheel holds them, and as a web
//! server sends them (gzip, brotli). The reduction table and the Pyodide target's
//! figures measure with these.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

/// A file's size, and its size as a web server would send it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Transfer {
    pub file: u64,
    pub gzip: u64,
    /// Brotli at quality 9, window 2^22.
    pub brotli: u64,
}

impl Transfer {
    pub fn of(data: &[u8]) -> Transfer {
        Transfer { file: data.len() as u64, gzip: gzip_size(data), brotli: brotli_size(data) }
    }

    pub fn add(&mut self, other: &Transfer) {
        self.file += other.file;
        self.gzip += other.gzip;
        self.brotli += other.brotli;
    }
}

/// The size of `data` compressed with gzip -9.
pub fn gzip_size(data: &[u8]) -> u64 {
    let mut z = flate2::write::GzEncoder::new(Counter(0), flate2::Compression::best());
    let _ = z.write_all(data);
    z.finish().map_or(0, |c| c.0)
}

/// The size of `data` compressed with brotli at quality 9, window 2^22: what a web
/// server's on-the-fly brotli gives.
pub fn brotli_size(data: &[u8]) -> u64 {
    let mut counter = Counter(0);
    {
        let mut w = brotli::CompressorWriter::new(&mut counter, 1 << 16, 9, 22);
        let _ = w.write_all(data);
        let _ = w.flush();
    }
    counter.0
}

/// Each file's size and its size deflated (level 6, as wheels are written), on every
/// core; an unreadable file counts as empty.
pub fn deflated_sizes<P: AsRef<Path> + Sync>(paths: &[P]) -> Vec<(u64, u64)> {
    on_every_core(paths, |p| {
        let data = std::fs::read(p).unwrap_or_default();
        let mut z = flate2::write::DeflateEncoder::new(Counter(0), flate2::Compression::new(6));
        let _ = z.write_all(&data);
        let packed = z.finish().map_or(0, |c| c.0);
        (data.len() as u64, packed.min(data.len() as u64))
    })
}

/// The brotli size of each buffer, on every core.
pub fn brotli_sizes(buffers: &[&[u8]]) -> Vec<u64> {
    on_every_core(buffers, |b| brotli_size(b))
}

/// `f` of each item, in order, on as many threads as there are cores.
fn on_every_core<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|h| h.join().expect("size thread panicked")).collect()
    })
}

/// A writer that only counts.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetitive_data_shrinks() {
        let data = b"import os\n".repeat(1000);
        let t = Transfer::of(&data);
        assert_eq!(t.file, 10_000);
        assert!(t.gzip < 200 && t.brotli < 200, "{t:?}");
        assert_eq!(brotli_sizes(&[&data, &data]), [t.brotli, t.brotli]);
    }
}
