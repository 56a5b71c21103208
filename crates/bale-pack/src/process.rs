//! Running the helper programs the packer drives (an interpreter with one of the
//! packer's scripts, Node with a Pyodide script, pip): each answers with JSON on
//! stdout, or fails and says why on stderr, whose end becomes the error.

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde::de::DeserializeOwned;

/// What went wrong running a helper: it could not start, it failed (with the end
/// of what it said), or its answer was not what was expected.
#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    #[error("cannot run {program}: {source}")]
    Start { program: String, source: std::io::Error },
    #[error("it failed ({status}):\n{said}")]
    Failed { status: String, said: String },
    #[error("its answer is unreadable: {0}")]
    Answer(String),
}

/// Runs `command` with `input` on its stdin (none if empty) and returns its output,
/// successful or not.
pub fn output(command: &mut Command, input: &[u8]) -> Result<Output, HelperError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let start = |source| HelperError::Start { program: program.clone(), source };
    if input.is_empty() {
        return command.stdin(Stdio::null()).output().map_err(start);
    }
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(start)?;
    let mut stdin = child.stdin.take().expect("piped");
    // Written from another thread: a helper that answers while it reads would fill
    // its stdout pipe and wait for us while we wait for it.
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let _ = stdin.write_all(input);
        });
        child.wait_with_output().map_err(start)
    })
}

/// Runs `command` and parses its stdout as JSON; a failure carries the end of what
/// it said on stderr (or stdout, where stderr is empty).
pub fn json<T: DeserializeOwned>(command: &mut Command, input: &[u8]) -> Result<T, HelperError> {
    let out = succeeded(output(command, input)?)?;
    serde_json::from_slice(&out.stdout).map_err(|e| HelperError::Answer(e.to_string()))
}

/// Runs `command` for its effect alone.
pub fn run(command: &mut Command) -> Result<(), HelperError> {
    succeeded(output(command, &[])?).map(|_| ())
}

/// The output of a run that succeeded, or why it did not.
pub fn succeeded(out: Output) -> Result<Output, HelperError> {
    if out.status.success() {
        return Ok(out);
    }
    Err(HelperError::Failed { status: status(&out.status), said: said(&out, 20) })
}

/// `exit code 2`, or `killed by a signal`.
pub fn status(status: &std::process::ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "killed by a signal".into(),
    }
}

/// The last `lines` lines of what a program said on stderr (stdout if stderr is
/// empty), each cut to 300 characters: Node quotes the line of a failing minified
/// script, which can be one very long line.
pub fn said(out: &Output, lines: usize) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let text = if stderr.trim().is_empty() { String::from_utf8_lossy(&out.stdout) } else { stderr };
    tail(text.trim_end(), lines).lines().map(|l| l.chars().take(300).collect::<String>()).collect::<Vec<_>>().join("\n")
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Whether `program --version` runs: to name a missing tool before a step needs it.
pub fn available(program: impl AsRef<OsStr>) -> bool {
    Command::new(program).arg("--version").stdin(Stdio::null()).output().is_ok_and(|o| o.status.success())
}

/// Writes `text` as the file `name` in `dir` and returns its path.
pub fn write_script(dir: &Path, name: &str, text: &str) -> std::io::Result<std::path::PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_says_the_end_of_stderr() {
        let e = json::<serde_json::Value>(Command::new("sh").args(["-c", "echo one >&2; echo two >&2; exit 3"]), &[])
            .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("exit code 3") && text.ends_with("one\ntwo"), "{text}");
    }

    #[test]
    fn input_is_fed_while_output_is_read() {
        let big = vec![b'x'; 1 << 20];
        let out = output(&mut Command::new("cat"), &big).unwrap();
        assert_eq!(out.stdout.len(), big.len());
        let answer: Vec<u32> =
            json(Command::new("sh").args(["-c", "cat >/dev/null; echo '[1, 2]'"]), b"ignored").unwrap();
        assert_eq!(answer, [1, 2]);
    }

    #[test]
    fn a_missing_program_is_named() {
        let e = run(&mut Command::new("/nonexistent/bale-helper")).unwrap_err();
        assert!(e.to_string().starts_with("cannot run /nonexistent/bale-helper"), "{e}");
        assert!(!available("/nonexistent/bale-helper"));
    }
}
