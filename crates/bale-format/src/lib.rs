//! The bale format: one indexed, checksummed file holding a Python import tree
//! (module source and bytecode, package data, extension modules, shared libraries,
//! distribution metadata), read in place from memory or a memory map.
//!
//! [`Bale::open`] checks the fixed-size header and nothing else, so opening costs the
//! same for any number of entries. Lookups by module name or file path go through a
//! hash table stored in the file; folders and packages list their children without a
//! scan. Every structure a read touches is checked against its checksum first, and
//! [`Bale::verify`] checks them all. [`Writer`] builds bales.
//!
//! The byte-level specification is `format-spec/README.md`; [`layout`] holds its
//! constants. The reader needs no file system, and builds for WebAssembly.
//!
//! ```
//! use bale_format::{Bale, FileKind, ModuleSpec, WriteOptions, Writer};
//!
//! let mut w = Writer::new("any")?;
//! w.add_file("hello/__init__.py", FileKind::Source, b"print('hi')\n".to_vec(), false)?;
//! w.add_file("hello/data.txt", FileKind::Resource, b"some data".to_vec(), false)?;
//! w.add_module("hello", ModuleSpec { package: true, source: Some("hello/__init__.py".into()), ..Default::default() })?;
//! let mut bytes = std::io::Cursor::new(Vec::new());
//! w.write(&mut bytes, &WriteOptions::default())?;
//!
//! let bale = Bale::open(bytes.into_inner())?;
//! let module = bale.module("hello")?.expect("packed");
//! let source = bale.file_by_id(module.source.expect("has source"))?;
//! assert_eq!(&*bale.read_file(&source)?, b"print('hi')\n");
//! # Ok::<(), bale_format::Error>(())
//! ```

pub mod codec;
pub mod embed;
mod entries;
mod entry;
mod error;
pub mod frame;
pub mod layout;
#[cfg(feature = "mmap")]
mod mmap;
pub mod name;
pub mod parts;
mod reader;
pub mod sniff;
#[cfg(any(test, feature = "testing"))]
#[doc(hidden)]
pub mod testing;
mod verify;
mod writer;

pub use bale_target::{INTROSPECT, Interpreter, InterpreterFacts, PythonBuild, Target};
pub use codec::Codec;
pub use entry::{EntryKind, EntryPoint, is_identifier};
pub use error::{Corruption, Error, Table};
#[cfg(feature = "mmap")]
pub use mmap::{FileBytes, MappedBale};
pub use reader::{Bale, Child, Children, File, FileId, FileKind, Header, Module, ModuleId, Payload, PayloadId};
pub use writer::{Compression, ModuleSpec, WriteOptions, WriteSummary, Writer};
