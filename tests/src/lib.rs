//! Workspace-level tests live in `tests/`; this library hosts their shared helpers: locating the
//! workspace and the project's CLI binaries ([`bins`]) and driving the independent verifiers in
//! `tests/interop/` ([`interop`]), and running `rosette-agent serve` with a client for its API
//! ([`agent`]).
//!
//! The helpers do process I/O on purpose: that is what they are for.

pub mod agent;
pub mod bins;
pub mod interop;

use std::path::{Path, PathBuf};

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let tests_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    tests_dir.parent().unwrap_or(tests_dir).to_path_buf()
}
