//! The runner's HACL* functions (`src/hacl.rs`), tested on the host: that module is
//! built into the runner only where its libpython lacks them (`cfg(bale_hacl)`), so it
//! is compiled here on its own, its functions under their Rust names.

#[path = "../src/hacl.rs"]
mod hacl;
