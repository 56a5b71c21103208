//! How long steps report their progress (the command line draws bars on a terminal).

/// Reports progress of long steps. The command line draws bars on a terminal.
pub trait Progress: Sync {
    /// A new step begins; `total` is the number of items when known.
    fn step(&self, name: &str, total: Option<u64>);
    fn advance(&self, n: u64);
    fn warn(&self, message: &str);
}

/// Progress that goes nowhere.
pub struct Silent;

impl Progress for Silent {
    fn step(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
    fn warn(&self, _: &str) {}
}
