//! The packer: turns import roots (a `site-packages` folder, an app folder) and wheels
//! into a bale. It reads the inputs, works out which files are modules and packages
//! as CPython's path finder would, compiles bytecode with the target interpreter, and
//! writes the bale atomically (a temporary file, renamed when complete).
//!
//! The layers, each using only those below it:
//!
//! - [`app`]: `bale pack --app`, one pipeline from the app to a validated bale;
//! - [`run`]: how an app runs from a bale, as `bale run` and `--validate` do;
//! - [`target`]: where the bale will run (this machine's Python, Pyodide), the steps
//!   that differ between the two;
//! - [`trace`]: what an app touched when run, and the files that makes;
//! - [`pack()`] and [`pack_files`]: files to a bale; [`python`], [`process`],
//!   [`sizes`]: the interpreter, helper programs, sizes on the wire.
//!
//! [`report`] summarizes a bale (what `bale inspect` prints and the pack table).

pub mod app;
mod classify;
mod collect;
mod error;
mod options;
mod output;
mod pack;
pub mod parts;
pub mod portable;
pub mod process;
mod progress;
mod python;
pub mod report;
pub mod run;
pub mod sizes;
pub mod target;
pub mod trace;

pub use classify::{Plan, PlannedModule, TargetRules, classify, is_identifier, is_shared_library};
pub use collect::{Collected, Filter, InputFile, collect};
pub use error::PackError;
pub use options::{Content, PackOptions};
pub use output::AtomicFile;
pub use pack::{PackSummary, pack, pack_files};
pub use progress::{Progress, Silent};
pub use python::{CompileOptions, Compiled, Python};
