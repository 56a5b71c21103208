//! Checking a whole bale: every checksum, every reference, every payload decoded.

use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_64;

use crate::error::{Corruption, Error, Table};
use crate::layout;
use crate::name::{check_module_name, check_path, parent};
use crate::reader::{Bale, FileId, FileKind, ModuleId, PayloadId, structure};

impl<D: AsRef<[u8]>> Bale<D> {
    /// Checks the body checksum alone: one pass of XXH3 over every byte after the
    /// header (a few milliseconds for tens of megabytes), which together with the
    /// header's own check, made at open, covers every byte of the bale. What a
    /// program that embeds a bale does before it starts.
    pub fn check_body(&self) -> Result<(), Error> {
        let body = &self.bytes()[layout::HEADER_SIZE..];
        match xxh3_64(body) == self.header().body_hash {
            true => Ok(()),
            false => Err(Corruption::Body.into()),
        }
    }

    /// Checks everything: the body checksum, every hash bucket and record, that every
    /// key is found where the index says, that the trees are well formed, and that
    /// every payload matches its hash and decodes to its recorded size.
    ///
    /// Returns every problem found, each naming the entry it belongs to, the body
    /// checksum's last (saying whether the others changed its bytes); an empty list
    /// means the bale is intact.
    pub fn verify(&self) -> Vec<Error> {
        let mut problems = Vec::new();
        let mut payload_users: HashMap<u32, String> = HashMap::new();
        self.verify_tree(Table::Modules, &mut problems);
        self.verify_tree(Table::Files, &mut problems);
        self.verify_modules(&mut problems, &mut payload_users);
        self.verify_files(&mut problems, &mut payload_users);
        if let Some(dict) = self.header().dictionary {
            payload_users.entry(dict.0).or_insert_with(|| "the zstd dictionary".into());
        }
        for index in 0..self.payload_count() {
            let result = self.payload(PayloadId(index)).and_then(|p| self.read(&p).map(|_| ()));
            if let Err(e) = result {
                problems.push(match payload_users.get(&index) {
                    Some(user) => e.in_entry(user.clone()),
                    None => e,
                });
            }
        }
        if let Err(e) = self.dictionary_bytes() {
            problems.push(e.in_entry("the zstd dictionary"));
        }
        // Last: what the other checks found says where the body's bytes changed, and
        // a message that shows only the first problem then shows one naming an entry.
        if self.check_body().is_err() {
            problems.push(
                match problems.is_empty() {
                    true => Corruption::BodyUnchecked,
                    false => Corruption::BodyDamaged,
                }
                .into(),
            );
        }
        problems
    }

    fn verify_tree(&self, table: Table, problems: &mut Vec<Error>) {
        let tree = *match table {
            Table::Modules => &self.header().modules,
            _ => &self.header().files,
        };
        let mut slots = 0u64;
        for b in 0..tree.bucket_count {
            match self.bucket(table, b) {
                Ok(bucket) => slots += u64::from(layout::bucket_count(bucket)),
                Err(e) => problems.push(e),
            }
        }
        if slots != u64::from(tree.count) {
            problems.push(Corruption::Index { table, problem: "hash table and record count disagree" }.into());
        }
        let separator = if table == Table::Modules { '.' } else { '/' };
        // Children of consecutive records are consecutive runs after the roots.
        let mut next_child = tree.root_count;
        for index in 0..tree.count {
            let fail = |problem| structure(table, index, problem);
            let (key, parent_index, count) = match table {
                Table::Modules => match self.module_by_id(ModuleId(index)) {
                    Ok(m) => (m.name, m.parent.map(|p| p.0), m.child_count()),
                    Err(e) => {
                        problems.push(e);
                        continue;
                    }
                },
                _ => match self.file_by_id(FileId(index)) {
                    Ok(f) => (f.path, f.parent.map(|p| p.0), f.child_count()),
                    Err(e) => {
                        problems.push(e);
                        continue;
                    }
                },
            };
            let named = |e: Error| e.in_entry(key.to_owned());
            let valid = if table == Table::Modules { check_module_name(key) } else { check_path(key) };
            if let Err(e) = valid {
                problems.push(named(e));
            }
            match self.find_index(table, key) {
                Ok(Some(found)) if found == index => {}
                Ok(_) => problems.push(named(fail("not reachable through the hash table"))),
                Err(e) => problems.push(named(e)),
            }
            if (index < tree.root_count) != parent_index.is_none() {
                problems.push(named(fail("roots and parents disagree")));
            }
            if let Some(p) = parent_index {
                let parent_key = parent(key, separator);
                let parent_ok = match table {
                    Table::Modules => self.module_by_id(ModuleId(p)).is_ok_and(|m| Some(m.name) == parent_key),
                    _ => self.file_by_id(FileId(p)).is_ok_and(|f| Some(f.path) == parent_key),
                };
                if !parent_ok {
                    problems.push(named(fail("parent record does not hold the parent name")));
                }
            }
            if count > 0 {
                let first = self.first_child(table, index);
                if first != next_child || u64::from(first) + u64::from(count) > u64::from(tree.count) {
                    problems.push(named(fail("children are not where breadth-first order puts them")));
                }
                next_child = next_child.saturating_add(count);
            }
        }
        if next_child != tree.count {
            problems.push(Corruption::Index { table, problem: "children runs do not cover the tree" }.into());
        }
    }

    fn verify_modules(&self, problems: &mut Vec<Error>, payload_users: &mut HashMap<u32, String>) {
        for m in self.modules().flatten() {
            let fail = |problem| structure(Table::Modules, m.id.0, problem).in_entry(format!("module {}", m.name));
            if m.is_namespace && (!m.is_package || m.source.is_some() || m.bytecode.is_some() || m.extension.is_some())
            {
                problems.push(fail("a namespace package with code"));
            }
            for (file, kind) in [(m.source, FileKind::Source), (m.extension, FileKind::Extension)] {
                let Some(file) = file else { continue };
                if !self.file_by_id(file).is_ok_and(|f| f.kind == kind && f.module == Some(m.id)) {
                    problems.push(fail("points at a file that does not point back"));
                }
            }
            if m.is_package != m.directory.is_some()
                || m.directory.is_some_and(|d| !self.file_by_id(d).is_ok_and(|f| f.is_dir()))
            {
                problems.push(fail("package folder missing or not a folder"));
            }
            if let Some(p) = m.bytecode {
                payload_users.entry(p.0).or_insert_with(|| format!("module {} (bytecode)", m.name));
                let magic = self.header().bytecode_magic;
                let starts_ok =
                    self.payload(p).and_then(|p| self.read(&p)).map(|code| code.len() >= 16 && code[..4] == magic);
                if let Ok(false) = starts_ok {
                    problems.push(fail("bytecode does not start with the bale's magic number"));
                }
            }
        }
    }

    fn verify_files(&self, problems: &mut Vec<Error>, payload_users: &mut HashMap<u32, String>) {
        for f in self.files().flatten() {
            let fail = |problem| structure(Table::Files, f.id.0, problem).in_entry(f.path.to_owned());
            if f.is_dir() != f.payload.is_none() || (!f.is_dir() && f.child_count() > 0) {
                problems.push(fail("folders have children, files have bytes"));
            }
            if let Some(p) = f.payload {
                payload_users.entry(p.0).or_insert_with(|| f.path.to_owned());
            }
            if let Some(m) = f.module {
                if self.module_by_id(m).is_err() {
                    problems.push(fail("belongs to a module that does not exist"));
                }
            } else if matches!(f.kind, FileKind::Source | FileKind::Extension) {
                problems.push(fail("a module file without its module"));
            }
        }
    }

    /// Lookup by key, returning the record index.
    fn find_index(&self, table: Table, key: &str) -> Result<Option<u32>, Error> {
        Ok(match table {
            Table::Modules => self.module(key)?.map(|m| m.id.0),
            _ => self.file(key)?.map(|f| f.id.0),
        })
    }

    fn first_child(&self, table: Table, index: u32) -> u32 {
        self.record(table, index).map_or(0, |r| layout::KeyFields::decode(r).first_child)
    }
}
