//! What a bale is built for: one Python build, named in the header's `target` field
//! (format-spec §4) as `<implementation>-<major>.<minor>-<platform>`, such as
//! `cpython-3.11-x86_64-linux-gnu` or `cpython-3.14-wasm32-emscripten`, or `any` for a
//! bale that holds neither bytecode nor native code.
//!
//! Every part of bale that names a Python derives the name here, from the same facts:
//! the packer and the runner's build from what [`INTROSPECT`] reports, the importer
//! from the running interpreter (the same facts, read without importing anything), and
//! `bale extract` parses it back. So a bale packed for an interpreter is one that
//! interpreter's importer accepts. (The JavaScript loader applies the same rule to the
//! same facts; its tests load bales packed here.)

use std::fmt;
use std::str::FromStr;

/// A Python build, or any.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Pure data: no bytecode, no native code; any Python can read it.
    Any,
    Python(PythonBuild),
}

/// One Python build: what decides whether its bytecode and extension modules load.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PythonBuild {
    /// `sys.implementation.name`: `cpython`.
    pub implementation: String,
    pub major: u32,
    pub minor: u32,
    /// The platform part of the build's ABI tag: `x86_64-linux-gnu`, `wasm32-emscripten`.
    pub platform: String,
}

/// The facts about an interpreter that name its target, as it reports them.
#[derive(Clone, Debug)]
pub struct InterpreterFacts<'a> {
    /// `sys.implementation.name`.
    pub implementation: &'a str,
    /// `sys.version_info[:2]`.
    pub version: (u32, u32),
    /// `importlib.machinery.EXTENSION_SUFFIXES`, in order.
    pub extension_suffixes: &'a [String],
    /// `os.uname().machine` and `sys.platform`, for builds whose extension suffixes
    /// name no platform.
    pub machine: &'a str,
    pub sys_platform: &'a str,
}

/// A Python script that prints, as one line of JSON, an [`Interpreter`]: the facts
/// that name its target and what the packer asks besides. Run it with `python -I -c`.
pub const INTROSPECT: &str = include_str!("../assets/introspect.py");

/// What [`INTROSPECT`] reports.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Interpreter {
    pub implementation: String,
    pub version: (u32, u32, u32),
    /// `importlib.util.MAGIC_NUMBER`, hex-encoded.
    pub magic: String,
    /// `sys.implementation.cache_tag`, e.g. `cpython-311`.
    pub cache_tag: String,
    /// `importlib.machinery.EXTENSION_SUFFIXES`, in the order the path finder tries them.
    pub extension_suffixes: Vec<String>,
    pub machine: String,
    pub sys_platform: String,
    pub executable: std::path::PathBuf,
    pub stdlib: std::path::PathBuf,
    pub platstdlib: std::path::PathBuf,
}

impl Interpreter {
    /// Its bale target, e.g. `cpython-3.11-x86_64-linux-gnu`.
    pub fn target(&self) -> Target {
        Target::of_interpreter(&InterpreterFacts {
            implementation: &self.implementation,
            version: (self.version.0, self.version.1),
            extension_suffixes: &self.extension_suffixes,
            machine: &self.machine,
            sys_platform: &self.sys_platform,
        })
    }

    /// The `.pyc` magic number, or `None` if the report's is not four hex bytes.
    pub fn magic(&self) -> Option<[u8; 4]> {
        let bytes: Vec<u8> = (0..self.magic.len())
            .step_by(2)
            .map(|i| self.magic.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect::<Option<_>>()?;
        bytes.try_into().ok()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a bale target (IMPLEMENTATION-MAJOR.MINOR-PLATFORM, or any)")]
pub struct BadTarget(pub String);

impl Target {
    /// The target of an interpreter. The platform is what its ABI-tagged extension
    /// suffix (`.cpython-311-x86_64-linux-gnu.so`) names after the version, which is
    /// the platform part of `SOABI`; a build with no such suffix gives
    /// `MACHINE-SYS_PLATFORM`.
    pub fn of_interpreter(facts: &InterpreterFacts<'_>) -> Target {
        let (major, minor) = facts.version;
        let tag = format!(".{}-{major}{minor}-", facts.implementation);
        let platform = facts
            .extension_suffixes
            .iter()
            .find_map(|s| {
                let rest = s.strip_prefix(tag.as_str())?;
                rest.rsplit_once('.').map(|(platform, _)| platform.to_owned())
            })
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| format!("{}-{}", facts.machine, facts.sys_platform));
        Target::Python(PythonBuild { implementation: facts.implementation.to_owned(), major, minor, platform })
    }

    /// The Python build, unless any.
    pub fn python(&self) -> Option<&PythonBuild> {
        match self {
            Target::Any => None,
            Target::Python(p) => Some(p),
        }
    }

    /// Whether a bale of this target can be read by an interpreter of `host`: the
    /// same build, or any.
    pub fn runs_on(&self, host: &Target) -> bool {
        matches!(self, Target::Any) || self == host
    }
}

impl PythonBuild {
    /// `sys.implementation.cache_tag`: `cpython-311`, the tag of `__pycache__` files.
    pub fn cache_tag(&self) -> String {
        format!("{}-{}{}", self.implementation, self.major, self.minor)
    }

    /// `3.11`.
    pub fn version(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    /// Whether this is CPython built for WebAssembly with Emscripten (Pyodide).
    pub fn is_emscripten(&self) -> bool {
        self.platform.ends_with("emscripten")
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Any => f.write_str("any"),
            Target::Python(p) => write!(f, "{}-{}.{}-{}", p.implementation, p.major, p.minor, p.platform),
        }
    }
}

impl FromStr for Target {
    type Err = BadTarget;

    fn from_str(s: &str) -> Result<Target, BadTarget> {
        if s == "any" {
            return Ok(Target::Any);
        }
        let bad = || BadTarget(s.to_owned());
        let mut parts = s.splitn(3, '-');
        let (implementation, version, platform) =
            (parts.next().ok_or_else(bad)?, parts.next().ok_or_else(bad)?, parts.next().ok_or_else(bad)?);
        let (major, minor) = version.split_once('.').ok_or_else(bad)?;
        let number = |n: &str| n.parse::<u32>().ok().filter(|_| !n.starts_with('+'));
        let (Some(major), Some(minor)) = (number(major), number(minor)) else { return Err(bad()) };
        let name_ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_graphic());
        if !name_ok(implementation) || !name_ok(platform) {
            return Err(bad());
        }
        Ok(Target::Python(PythonBuild {
            implementation: implementation.to_owned(),
            major,
            minor,
            platform: platform.to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(suffixes: &'a [String], version: (u32, u32)) -> InterpreterFacts<'a> {
        InterpreterFacts {
            implementation: "cpython",
            version,
            extension_suffixes: suffixes,
            machine: "x86_64",
            sys_platform: "linux",
        }
    }

    #[test]
    fn an_interpreter_is_named_by_its_abi_tag() {
        let linux = [".cpython-311-x86_64-linux-gnu.so".to_owned(), ".abi3.so".into(), ".so".into()];
        assert_eq!(Target::of_interpreter(&facts(&linux, (3, 11))).to_string(), "cpython-3.11-x86_64-linux-gnu");
        let pyodide = [".cpython-314-wasm32-emscripten.so".to_owned(), ".abi3.so".into(), ".so".into()];
        assert_eq!(Target::of_interpreter(&facts(&pyodide, (3, 14))).to_string(), "cpython-3.14-wasm32-emscripten");
        // A build whose suffixes carry no platform (neither MULTIARCH nor a platform in SOABI).
        let bare = [".cpython-311.so".to_owned(), ".so".into()];
        assert_eq!(Target::of_interpreter(&facts(&bare, (3, 11))).to_string(), "cpython-3.11-x86_64-linux");
    }

    #[test]
    fn introspection_names_this_interpreter() {
        let out = std::process::Command::new("python3").args(["-I", "-c", INTROSPECT]).output().expect("python3 runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let found: Interpreter = serde_json::from_slice(&out.stdout).expect("introspect.py prints an Interpreter");
        let target = found.target();
        let build = target.python().expect("a Python build");
        assert_eq!((build.major, build.minor), (found.version.0, found.version.1));
        assert_eq!(build.cache_tag(), found.cache_tag);
        assert!(found.magic().is_some());
    }

    #[test]
    fn targets_parse_back() {
        for s in ["any", "cpython-3.11-x86_64-linux-gnu", "cpython-3.14-wasm32-emscripten"] {
            assert_eq!(s.parse::<Target>().unwrap().to_string(), s);
        }
        let t: Target = "cpython-3.11-x86_64-linux-gnu".parse().unwrap();
        assert_eq!(t.python().unwrap().cache_tag(), "cpython-311");
        for bad in ["", "cpython", "cpython-3-x", "cpython-3.x-linux", "cpython-3.11-", "-3.11-linux"] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }
}
