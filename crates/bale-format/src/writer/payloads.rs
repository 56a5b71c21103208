//! Payloads as the writer gathers them: deduplicated, compressed on every core (with a
//! dictionary trained on the bale's own bytecode, where asked), and hashed as they
//! are written out.

use std::collections::HashMap;
use std::io::Write;

use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use super::{Compression, WriteOptions};
use crate::codec::{self, Codec};
use crate::error::Error;
use crate::layout;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum PayloadUse {
    Bytecode,
    Other,
    Dictionary,
}

pub(super) struct PendingPayload {
    pub content: Vec<u8>,
    pub size: u64,
    pub align: u64,
    pub used_as: PayloadUse,
    pub stored: Vec<u8>,
    pub codec: Codec,
}

#[derive(Default)]
pub(super) struct PayloadSet {
    pub items: Vec<PendingPayload>,
    by_hash: HashMap<(u64, usize), Vec<u32>>,
    pub deduplicated: u32,
}

impl PayloadSet {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn add(&mut self, content: &[u8], used_as: PayloadUse, align: u64) -> u32 {
        let key = (xxh3_64(content), content.len());
        if let Some(candidates) = self.by_hash.get(&key) {
            for &i in candidates {
                let existing = &mut self.items[i as usize];
                if existing.content == content {
                    existing.align = existing.align.max(align);
                    if used_as != existing.used_as {
                        existing.used_as = PayloadUse::Other;
                    }
                    self.deduplicated += 1;
                    return i;
                }
            }
        }
        let i = self.items.len() as u32;
        self.items.push(PendingPayload {
            content: content.to_vec(),
            size: content.len() as u64,
            align,
            used_as,
            stored: Vec::new(),
            codec: Codec::Stored,
        });
        self.by_hash.entry(key).or_default().push(i);
        i
    }

    pub fn add_dictionary(&mut self, dict: &[u8]) -> u32 {
        let i = self.items.len() as u32;
        self.items.push(PendingPayload {
            content: dict.to_vec(),
            size: dict.len() as u64,
            align: layout::PAYLOAD_ALIGN,
            used_as: PayloadUse::Dictionary,
            stored: Vec::new(),
            codec: Codec::Stored,
        });
        i
    }

    /// The smallest dictionary trained, however little bytecode there is.
    const MIN_DICTIONARY: usize = 2048;

    /// A zstd dictionary trained on the bytecode, of at most `max_size` bytes and no
    /// more than a hundredth of the bytecode (but 2 KiB): zstd's guidance for training,
    /// and what keeps a small bale from carrying a dictionary larger than what it
    /// saves. `None` when there is too little bytecode to train on.
    pub fn train_dictionary(&self, max_size: usize) -> Option<Vec<u8>> {
        let samples: Vec<&[u8]> =
            self.items.iter().filter(|p| p.used_as == PayloadUse::Bytecode).map(|p| p.content.as_slice()).collect();
        let hundredth = samples.iter().map(|s| s.len()).sum::<usize>() / 100;
        let size = max_size.min(hundredth.max(Self::MIN_DICTIONARY));
        // zstd's trainer needs a few samples to find anything common to them.
        if samples.len() < 8 {
            return None;
        }
        zstd::dict::from_samples(&samples, size).ok()
    }

    /// Compresses every payload on `options.threads` threads, keeping the compressed
    /// form only where it is smaller.
    pub fn compress(&mut self, options: &WriteOptions, dictionary: Option<&[u8]>) -> Result<(), Error> {
        let Compression::Zstd { level } = options.compression else {
            for p in &mut self.items {
                p.stored = std::mem::take(&mut p.content);
            }
            return Ok(());
        };
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        // Workers take small chunks in turn, so one large extension module does not
        // leave the other cores idle.
        let chunks = std::sync::Mutex::new(self.items.chunks_mut(4));
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| -> Result<(), Error> {
                        let mut plain = codec::compressor(level, None)?;
                        let mut with_dict = dictionary.map(|d| codec::compressor(level, Some(d))).transpose()?;
                        loop {
                            let Some(chunk) = chunks.lock().expect("no worker panics holding the lock").next() else {
                                return Ok(());
                            };
                            for p in chunk {
                                let (codec, compressor) = match (p.used_as, with_dict.as_mut()) {
                                    (PayloadUse::Dictionary, _) => (Codec::Stored, None),
                                    (PayloadUse::Bytecode, Some(c)) => (Codec::ZstdDictionary, Some(c)),
                                    _ => (Codec::Zstd, Some(&mut plain)),
                                };
                                let compressed = compressor.map(|c| c.compress(&p.content)).transpose()?;
                                match compressed {
                                    Some(c) if c.len() < p.content.len() => {
                                        p.stored = c;
                                        p.codec = codec;
                                        p.content = Vec::new();
                                        // Compressed bytes are decoded, never mapped.
                                        p.align = layout::PAYLOAD_ALIGN;
                                    }
                                    _ => p.stored = std::mem::take(&mut p.content),
                                }
                            }
                        }
                    })
                })
                .collect();
            workers.into_iter().try_for_each(|w| w.join().expect("compression thread panicked"))
        })
    }
}

/// Writes through to `out`, hashing everything and tracking the offset.
pub(super) struct HashingWriter<'a, W: Write> {
    pub out: &'a mut W,
    pub hash: Xxh3,
    pub at: u64,
}

impl<W: Write> HashingWriter<'_, W> {
    pub fn pad_to(&mut self, offset: u64) -> std::io::Result<()> {
        const ZEROS: [u8; 4096] = [0; 4096];
        while self.at < offset {
            let n = (offset - self.at).min(ZEROS.len() as u64) as usize;
            self.write_all(&ZEROS[..n])?;
        }
        Ok(())
    }
}

impl<W: Write> Write for HashingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hash.update(&buf[..n]);
        self.at += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
