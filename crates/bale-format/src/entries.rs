//! What a read returns: the decoded header, modules, files and payloads, each
//! checked before it is handed out (see `reader.rs`), and their kinds.

use crate::codec::Codec;
use crate::layout::{self, FileRecord, ModuleRecord, TreeDescriptor};

/// Index of a module record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleId(pub u32);
/// Index of a file record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);
/// Index of a payload record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PayloadId(pub u32);

/// The decoded, checked header.
#[derive(Clone, Debug)]
pub struct Header {
    pub major: u16,
    pub minor: u16,
    pub header_size: u32,
    pub file_size: u64,
    pub body_hash: u64,
    pub(crate) target: String,
    /// The first four bytes of every `.pyc` in the bale, or zeros if it has none.
    pub bytecode_magic: [u8; 4],
    pub payload_count: u32,
    pub dictionary: Option<PayloadId>,
    pub payloads_offset: u64,
    pub strings_offset: u64,
    pub strings_size: u64,
    pub modules: TreeDescriptor,
    pub files: TreeDescriptor,
    /// Minor 1: the version of bale that wrote it, `[0, 0, 0]` if unsaid.
    pub writer: [u16; 3],
    pub(crate) entry_kind: u8,
    pub(crate) entry: layout::StringRef,
    pub(crate) rest: layout::StringRef,
    pub(crate) strings_check: u32,
    /// The `header_hash` of the rest bale that belongs to this one, or 0.
    pub rest_hash: u64,
    /// This bale's own `header_hash`: what a bale whose rest bale this is records.
    pub header_hash: u64,
}

impl Header {
    /// The platform the bale's bytecode and native code were built for, such as
    /// `cpython-3.11-x86_64-linux-gnu`, or `any` when it holds neither.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Where the index ends: the end of the last section before the payloads (hash
    /// buckets, records, strings), wherever the writer put them. A reader that has
    /// bytes `0 .. index_end` can look up and list every entry (see
    /// [`crate::Bale::open_index`]).
    pub fn index_end(&self) -> u64 {
        let end = |offset: u64, count: u32, size: usize| offset + u64::from(count) * size as u64;
        [
            end(self.modules.buckets_offset, self.modules.bucket_count, layout::BUCKET_SIZE),
            end(self.files.buckets_offset, self.files.bucket_count, layout::BUCKET_SIZE),
            end(self.modules.records_offset, self.modules.count, ModuleRecord::SIZE),
            end(self.files.records_offset, self.files.count, FileRecord::SIZE),
            end(self.payloads_offset, self.payload_count, layout::PayloadRecord::SIZE),
            self.strings_offset + self.strings_size,
            u64::from(self.header_size),
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }

    /// The version of bale that wrote it, such as `0.2.0`, if it says.
    pub fn writer_version(&self) -> Option<String> {
        (self.writer != [0; 3]).then(|| format!("{}.{}.{}", self.writer[0], self.writer[1], self.writer[2]))
    }
}

/// A module: a name, whether it is a package, and where its code is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Module<'a> {
    pub id: ModuleId,
    /// The full dotted name, such as `rich.console`.
    pub name: &'a str,
    pub is_package: bool,
    /// A PEP 420 namespace package: a package with no `__init__`.
    pub is_namespace: bool,
    pub parent: Option<ModuleId>,
    /// The `.py` file (kind [`FileKind::Source`]).
    pub source: Option<FileId>,
    /// A complete `.pyc` file: 16-byte header, then the marshalled code object.
    pub bytecode: Option<PayloadId>,
    /// The extension module (kind [`FileKind::Extension`]).
    pub extension: Option<FileId>,
    /// For packages: the folder that holds the package's files.
    pub directory: Option<FileId>,
    pub(crate) children: Span,
}

impl Module<'_> {
    pub fn child_count(&self) -> u32 {
        self.children.count
    }
}

/// What a file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    Directory,
    /// The source of a module.
    Source,
    /// An extension module (`.so`, `.pyd`).
    Extension,
    /// A data file inside a package (`importlib.resources`).
    Resource,
    /// A shared library outside any package, such as `numpy.libs/libopenblas.so`.
    SharedLibrary,
    /// A file of a `*.dist-info` folder.
    Metadata,
    /// Any other file, at a path relative to the bale's root.
    Data,
    /// A kind from a newer version of the format; readers treat it as [`FileKind::Data`].
    Unknown(u8),
}

impl FileKind {
    pub fn from_byte(b: u8) -> FileKind {
        match b {
            0 => FileKind::Directory,
            1 => FileKind::Source,
            2 => FileKind::Extension,
            3 => FileKind::Resource,
            4 => FileKind::SharedLibrary,
            5 => FileKind::Metadata,
            6 => FileKind::Data,
            other => FileKind::Unknown(other),
        }
    }

    pub fn to_byte(self) -> u8 {
        match self {
            FileKind::Directory => 0,
            FileKind::Source => 1,
            FileKind::Extension => 2,
            FileKind::Resource => 3,
            FileKind::SharedLibrary => 4,
            FileKind::Metadata => 5,
            FileKind::Data => 6,
            FileKind::Unknown(b) => b,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FileKind::Directory => "directory",
            FileKind::Source => "source",
            FileKind::Extension => "extension",
            FileKind::Resource => "resource",
            FileKind::SharedLibrary => "shared-library",
            FileKind::Metadata => "metadata",
            FileKind::Data => "data",
            FileKind::Unknown(_) => "unknown",
        }
    }

    /// Native code: stored page-aligned so it can be mapped in place.
    pub fn is_native(self) -> bool {
        matches!(self, FileKind::Extension | FileKind::SharedLibrary)
    }
}

/// A file or folder at a `/`-separated path relative to the bale's root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct File<'a> {
    pub id: FileId,
    pub path: &'a str,
    pub kind: FileKind,
    /// The file had its executable bit set when packed.
    pub executable: bool,
    pub parent: Option<FileId>,
    /// The bytes of the file; `None` for folders.
    pub payload: Option<PayloadId>,
    /// For source and extension files, their module; for resources, the package
    /// whose folder holds them.
    pub module: Option<ModuleId>,
    pub(crate) children: Span,
}

impl File<'_> {
    pub fn is_dir(&self) -> bool {
        self.kind == FileKind::Directory
    }

    pub fn child_count(&self) -> u32 {
        self.children.count
    }

    /// The last component of the path.
    pub fn name(&self) -> &str {
        crate::name::last_component(self.path, '/')
    }
}

/// Where a payload's bytes are and how to decode them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payload {
    pub id: PayloadId,
    pub offset: u64,
    pub stored_size: u64,
    pub size: u64,
    pub hash: u64,
    pub codec: Codec,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) first: u32,
    pub(crate) count: u32,
}

/// A bale opened over any bytes: a slice, a `Vec`, a memory map.
pub(crate) fn some(index: u32) -> Option<u32> {
    (index != layout::NONE).then_some(index)
}

pub(crate) fn decode_module<'a>(index: u32, name: &'a str, bytes: &[u8]) -> Module<'a> {
    let r = ModuleRecord::decode(bytes);
    Module {
        id: ModuleId(index),
        name,
        is_package: r.flags & layout::MODULE_PACKAGE != 0,
        is_namespace: r.flags & layout::MODULE_NAMESPACE != 0,
        parent: some(r.key.parent).map(ModuleId),
        source: some(r.source).map(FileId),
        bytecode: some(r.bytecode).map(PayloadId),
        extension: some(r.extension).map(FileId),
        directory: some(r.directory).map(FileId),
        children: Span { first: r.key.first_child, count: r.key.child_count },
    }
}

pub(crate) fn decode_file<'a>(index: u32, path: &'a str, bytes: &[u8]) -> File<'a> {
    let r = FileRecord::decode(bytes);
    File {
        id: FileId(index),
        path,
        kind: FileKind::from_byte(r.kind),
        executable: r.flags & layout::FILE_EXECUTABLE != 0,
        parent: some(r.key.parent).map(FileId),
        payload: some(r.payload).map(PayloadId),
        module: some(r.module).map(ModuleId),
        children: Span { first: r.key.first_child, count: r.key.child_count },
    }
}
