//! The index trees: module names or file paths in breadth-first order, with their
//! hash table.

use std::collections::HashMap;

use crate::error::Error;
use crate::layout::{self, TreeDescriptor};
use crate::name;

/// One tree (modules or files) in breadth-first order: roots first, then the children
/// of record 0, of record 1, and so on, each group sorted by name. Every record's
/// children are then one contiguous run.
pub(super) struct Tree<'a> {
    pub order: Vec<&'a str>,
    pub hashes: Vec<u64>,
    pub parent: Vec<u32>,
    pub children: Vec<(u32, u32)>,
    roots: u32,
}

impl<'a> Tree<'a> {
    /// `keys` must be sorted; siblings then come out sorted too.
    pub fn new(keys: impl Iterator<Item = &'a str>, separator: char) -> Result<Tree<'a>, Error> {
        let mut by_parent: HashMap<Option<&str>, Vec<&str>> = HashMap::new();
        for key in keys {
            by_parent.entry(name::parent(key, separator)).or_default().push(key);
        }
        let mut order: Vec<&str> = by_parent.remove(&None).unwrap_or_default();
        let roots = order.len() as u32;
        let mut parent = vec![layout::NONE; order.len()];
        let mut children = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let kids = by_parent.remove(&Some(order[i])).unwrap_or_default();
            children.push((if kids.is_empty() { 0 } else { order.len() as u32 }, kids.len() as u32));
            parent.extend(std::iter::repeat_n(i as u32, kids.len()));
            order.extend(kids);
            i += 1;
        }
        if let Some((Some(orphan_parent), _)) = by_parent.iter().next() {
            return Err(Error::Write(format!("{orphan_parent}: missing from the bale, but has children")));
        }
        if order.len() >= layout::NONE as usize {
            return Err(Error::Write("too many entries".into()));
        }
        let hashes: Vec<u64> = order.iter().map(|k| layout::key_hash(k.as_bytes())).collect();
        let mut seen: HashMap<u64, &str> = HashMap::with_capacity(hashes.len());
        for (k, &hash) in order.iter().zip(&hashes) {
            if let Some(other) = seen.insert(hash, k) {
                return Err(Error::Write(format!("{k} and {other} have the same 64-bit hash; rename one")));
            }
        }
        Ok(Tree { order, hashes, parent, children, roots })
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// The hash table: each key goes to the first bucket, from its home, with room.
    pub fn buckets(&self) -> Vec<u8> {
        let count = layout::bucket_count_for(self.len());
        let mut slots: Vec<Vec<(u32, u32)>> = vec![Vec::new(); count as usize];
        for (i, &hash) in self.hashes.iter().enumerate() {
            let (mut b, tag) = layout::bucket_and_tag(hash, count);
            while slots[b as usize].len() == layout::BUCKET_SLOTS {
                b = (b + 1) & (count - 1);
            }
            slots[b as usize].push((tag, i as u32));
        }
        let mut bytes = vec![0u8; count as usize * layout::BUCKET_SIZE];
        for (b, s) in slots.iter().enumerate() {
            layout::write_bucket(&mut bytes[b * layout::BUCKET_SIZE..][..layout::BUCKET_SIZE], s, b as u32);
        }
        bytes
    }

    pub fn descriptor(&self, records_offset: u64, buckets_offset: u64) -> TreeDescriptor {
        TreeDescriptor {
            records_offset,
            count: self.len() as u32,
            root_count: self.roots,
            buckets_offset,
            bucket_count: layout::bucket_count_for(self.len()),
        }
    }
}
