//! The interpreter a bale is for: what it is (its bale target, bytecode magic,
//! extension suffixes, asked of it with `bale_target::INTROSPECT`) and compiling
//! sources with it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bale_format::{Interpreter, Target};

use crate::error::PackError;

/// How to compile.
#[derive(Clone, Copy, Debug)]
pub struct CompileOptions {
    /// Like `python -O` (1) or `-OO` (2).
    pub optimize: u8,
    /// Cut docstrings out of sources and bytecode (asserts and line numbers kept).
    pub strip_docstrings: bool,
    /// Keep the column ranges of every instruction (what draws `^^^^` under the failing
    /// part of a line in tracebacks). Without them (`python -X no_debug_ranges`) line
    /// numbers stay and bytecode compresses about a quarter smaller with brotli.
    pub debug_ranges: bool,
}

/// One compiled source.
#[derive(Clone, Debug)]
pub struct Compiled {
    pub pyc: Vec<u8>,
    /// The source the bytecode was compiled from, where it was rewritten (docstrings
    /// stripped).
    pub source: Option<Vec<u8>>,
}

/// An interpreter the packer runs.
#[derive(Clone, Debug)]
pub struct Python {
    pub path: PathBuf,
    pub info: Interpreter,
    magic: [u8; 4],
}

impl Python {
    /// Asks the interpreter at `path` (or a name found on `PATH`) to describe itself.
    pub fn find(path: &Path) -> Result<Python, PackError> {
        let fail = |reason: String| PackError::Python { python: path.to_owned(), reason };
        let info: Interpreter =
            crate::process::json(Command::new(path).args(["-I", "-c", bale_format::INTROSPECT]), &[])
                .map_err(|e| fail(e.to_string()))?;
        let magic =
            info.magic().filter(|m| m != &[0; 4]).ok_or_else(|| fail("it reported no bytecode magic number".into()))?;
        if info.version < (3, 10, 0) {
            return Err(fail(format!(
                "Python {}.{} is too old: bale packs for CPython 3.10 and later",
                info.version.0, info.version.1
            )));
        }
        Ok(Python { path: path.to_owned(), info, magic })
    }

    /// The bale target of this interpreter, e.g. `cpython-3.11-x86_64-linux-gnu`.
    pub fn target(&self) -> Target {
        self.info.target()
    }

    /// `importlib.util.MAGIC_NUMBER`.
    pub fn magic(&self) -> [u8; 4] {
        self.magic
    }

    /// `(major, minor)`.
    pub fn version(&self) -> (u32, u32) {
        (self.info.version.0, self.info.version.1)
    }

    /// Compiles each `(name, source)` to a checked hash-based `.pyc`, with `name` as the
    /// code's file name; with `strip_docstrings`, from the source with its docstrings
    /// cut out (line numbers kept), which comes back too. Runs one interpreter per
    /// core; a source that does not compile gets `Err` with the interpreter's message.
    pub fn compile(
        &self,
        sources: &[(&str, &[u8])],
        options: CompileOptions,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<Result<Compiled, String>>, PackError> {
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(sources.len().max(1));
        let chunk = sources.len().div_ceil(workers).max(1);
        let results = std::thread::scope(|scope| {
            let handles: Vec<_> = sources
                .chunks(chunk)
                .map(|part| scope.spawn(move || self.compile_batch(part, options, progress)))
                .collect();
            handles.into_iter().map(|h| h.join().expect("compile thread panicked")).collect::<Vec<_>>()
        });
        let mut all = Vec::with_capacity(sources.len());
        for r in results {
            all.extend(r?);
        }
        Ok(all)
    }

    fn compile_batch(
        &self,
        sources: &[(&str, &[u8])],
        options: CompileOptions,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<Result<Compiled, String>>, PackError> {
        let fail = |reason: String| PackError::Python { python: self.path.clone(), reason };
        let strip_docstrings = options.strip_docstrings;
        let strip = if strip_docstrings { "1" } else { "0" };
        // Code compiled by an interpreter so started carries no column ranges.
        let ranges: &[&str] = if options.debug_ranges { &[] } else { &["-X", "no_debug_ranges"] };
        let mut child = Command::new(&self.path)
            .arg("-I")
            .args(ranges)
            .args(["-c", include_str!("../assets/python/compile.py"), &options.optimize.to_string(), strip])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| fail(format!("cannot run it: {e}")))?;
        let mut stdin = child.stdin.take().expect("piped");
        let mut stdout = child.stdout.take().expect("piped");
        // Feed requests from another thread: the interpreter answers while it reads, and
        // a full pipe in each direction would otherwise deadlock.
        let results = std::thread::scope(|scope| {
            scope.spawn(move || {
                for (name, source) in sources {
                    let ok = stdin
                        .write_all(&(name.len() as u32).to_le_bytes())
                        .and_then(|_| stdin.write_all(name.as_bytes()))
                        .and_then(|_| stdin.write_all(&(source.len() as u32).to_le_bytes()))
                        .and_then(|_| stdin.write_all(source));
                    if ok.is_err() {
                        break; // the reader below reports why the interpreter stopped
                    }
                }
            });
            let mut results = Vec::with_capacity(sources.len());
            let mut read_block = |len: usize| {
                let mut body = vec![0u8; len];
                stdout.read_exact(&mut body).map(|_| body)
            };
            for _ in sources {
                let Ok(head) = read_block(5) else { break };
                let len = u32::from_le_bytes(head[1..5].try_into().expect("4 bytes")) as usize;
                let Ok(body) = read_block(len) else { break };
                if head[0] != 0 {
                    results.push(Err(String::from_utf8_lossy(&body).into_owned()));
                } else if strip_docstrings {
                    let Ok(len) = read_block(4) else { break };
                    let Ok(source) = read_block(u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize) else {
                        break;
                    };
                    results.push(Ok(Compiled { pyc: body, source: Some(source) }));
                } else {
                    results.push(Ok(Compiled { pyc: body, source: None }));
                }
                progress(1);
            }
            results
        });
        let output = child.wait_with_output().map_err(|e| fail(e.to_string()))?;
        if results.len() != sources.len() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(fail(format!("the compiler stopped early: {}", stderr.trim())));
        }
        Ok(results)
    }
}
