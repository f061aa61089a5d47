//! One integration-test binary for rosette-storage.
//!
//! `conformance` runs the same checks against every backend; `sled_files` and `crash` test the
//! on-disk backend against reopen, damaged files and SIGKILL.

mod conformance;
mod crash;
mod records;
mod sled_files;

use std::sync::Arc;

use rosette_storage::{MemoryStore, SledStore, Store};
use tempfile::TempDir;

/// A fresh backend, with the directory that must outlive it (if any).
pub(crate) struct Backend {
    pub(crate) store: Arc<dyn Store>,
    _dir: Option<TempDir>,
}

pub(crate) fn memory() -> Backend {
    Backend {
        store: Arc::new(MemoryStore::new()),
        _dir: None,
    }
}

pub(crate) fn sled() -> Backend {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::open(dir.path().join("store")).expect("open sled store");
    Backend {
        store: Arc::new(store),
        _dir: Some(dir),
    }
}
