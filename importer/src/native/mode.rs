//! Where a finder loads native code from: a per-user cache whose pages processes
//! share, or a private in-memory copy per process (see `native/mod.rs`).

/// Where a finder loads native code from (Linux; Pyodide has one way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeMode {
    Cache,
    Memory,
}

impl NativeMode {
    pub fn parse(text: &str) -> Option<NativeMode> {
        match text {
            "cache" => Some(NativeMode::Cache),
            "memory" => Some(NativeMode::Memory),
            _ => None,
        }
    }

    /// The mode named, else `BALE_NATIVE`'s, else the running program's (`bale exe
    /// --native`), else the cache. An unknown name is refused with where it came from.
    pub fn choose(named: Option<&str>, program: Option<NativeMode>) -> Result<NativeMode, String> {
        let from_env = std::env::var("BALE_NATIVE").ok().filter(|v| !v.is_empty());
        match named.map(|n| (n.to_owned(), "native")).or(from_env.map(|v| (v, "BALE_NATIVE"))) {
            Some((text, source)) => {
                NativeMode::parse(&text).ok_or_else(|| format!("{source} must be 'cache' or 'memory', not '{text}'"))
            }
            None => Ok(program.unwrap_or(NativeMode::Cache)),
        }
    }
}
