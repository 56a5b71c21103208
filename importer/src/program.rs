//! What a program made by `bale exe` tells the importer about itself before Python
//! starts: its own bale, its rest bale and where native code loads from.
//!
//! This is the one piece of process-wide state outside `state.rs`, because it is set
//! before the interpreter (and so the state, which lives in it) exists.

use std::sync::OnceLock;

use crate::native::NativeMode;

/// The running program, as its runner describes it.
pub struct Program {
    /// Its own bale: a read-only mapping of the program's file, which the system does
    /// not let anyone rewrite while it runs, kept for the process's life. A buffer over
    /// exactly these bytes is read in place rather than copied.
    pub bale: &'static [u8],
    /// Where its rest bale is, if the bale names one.
    pub rest: ProgramRest,
    /// Where its native code loads from (`bale exe --native`); `BALE_NATIVE` and a
    /// finder's own `native=` still take precedence.
    pub native: NativeMode,
}

/// Where the running program's rest bale is.
pub enum ProgramRest {
    /// Inside the program's file, mapped with it for the process's life.
    Carried(&'static [u8]),
    /// Beside the program: `PROGRAM.rest.bale`.
    Beside(String),
}

static PROGRAM: OnceLock<Program> = OnceLock::new();

/// Describes the running program, once, before Python starts (later calls are
/// ignored: a process runs one program).
pub fn set(program: Program) {
    let _ = PROGRAM.set(program);
}

/// The running program, if this process is one made by `bale exe`.
pub fn get() -> Option<&'static Program> {
    PROGRAM.get()
}
