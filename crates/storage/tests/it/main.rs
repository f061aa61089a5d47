//! One integration-test binary for rosette-storage.
//!
//! Every suite is one generic body run over every engine, through the factories below:
//! `conformance` (behaviour of any `Store`), `files` (reopen, locking and damaged files of an
//! on-disk engine) and `crash` (SIGKILL during batched writes). A new engine (PostgreSQL, say)
//! joins by adding a factory and a line to each suite's engine list. `sled_files` keeps the
//! sled-only checks (its seal file and snapshots), with the `sled` feature.

mod conformance;
mod crash;
mod files;
mod migrate;
mod postgres;
mod records;
#[cfg(feature = "sled-tests")]
mod sled_files;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rosette_storage::{MemoryStore, RedbStore, StorageError, Store};
use tempfile::TempDir;

/// A fresh backend, with the directory that must outlive it (if any).
pub(crate) struct Backend {
    pub(crate) store: Arc<dyn Store>,
    _dir: Option<TempDir>,
}

/// An on-disk engine: how to open (creating if absent) its store at a path, and which file
/// holds its data (the one the damage tests cut and garble).
#[derive(Clone, Copy)]
pub(crate) struct DiskEngine {
    pub(crate) name: &'static str,
    pub(crate) open: fn(&Path) -> Result<Arc<dyn Store>, StorageError>,
    pub(crate) data_file: fn(&Path) -> PathBuf,
}

impl DiskEngine {
    /// Where a fresh store of this engine goes: a path in a new temporary directory (kept
    /// alive by the second value), or for PostgreSQL a new database's URL.
    pub(crate) fn location(self) -> (PathBuf, Option<TempDir>) {
        if self.name == POSTGRES.name {
            return (
                PathBuf::from(rosette_test_postgres::Cluster::fresh_database()),
                None,
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        (dir.path().join("store"), Some(dir))
    }

    /// A fresh store of this engine in a temporary directory.
    pub(crate) fn fresh(self) -> Backend {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = (self.open)(&dir.path().join("store")).expect("open a new store");
        Backend {
            store,
            _dir: Some(dir),
        }
    }
}

pub(crate) const REDB: DiskEngine = DiskEngine {
    name: "redb",
    open: |path| Ok(Arc::new(RedbStore::open(path)?)),
    data_file: Path::to_path_buf,
};

/// redb with commits made durable by `flush` only (what the agent runs).
pub(crate) const REDB_ON_FLUSH: DiskEngine = DiskEngine {
    name: "redb-on-flush",
    open: |path| {
        Ok(Arc::new(RedbStore::open_with(
            path,
            rosette_storage::Durability::OnFlush,
        )?))
    },
    data_file: Path::to_path_buf,
};

#[cfg(feature = "sqlite")]
pub(crate) const SQLITE: DiskEngine = DiskEngine {
    name: "sqlite",
    open: |path| {
        Ok(Arc::new(rosette_storage::SqliteStore::open_with(
            path,
            rosette_storage::Durability::OnReturn,
        )?))
    },
    data_file: Path::to_path_buf,
};

#[cfg(feature = "sqlite")]
pub(crate) fn sqlite() -> Backend {
    SQLITE.fresh()
}

#[cfg(feature = "sled-tests")]
pub(crate) const SLED: DiskEngine = DiskEngine {
    name: "sled",
    open: |path| Ok(Arc::new(rosette_storage::SledStore::open(path)?)),
    data_file: |path| path.join("db"),
};

/// PostgreSQL through the crash suite: the "path" is the database's URL, and a killed
/// process is a killed client (the server keeps what it committed).
pub(crate) const POSTGRES: DiskEngine = DiskEngine {
    name: "postgres",
    open: |url| {
        Ok(Arc::new(rosette_storage::PgStore::connect(
            url.to_str().unwrap_or_default(),
            rosette_storage::PgOptions::default(),
        )?))
    },
    data_file: Path::to_path_buf,
};

/// The engine named by `name` (as the crash child gets it from its environment).
pub(crate) fn disk_engine(name: &str) -> DiskEngine {
    match name {
        "redb" => REDB,
        "redb-on-flush" => REDB_ON_FLUSH,
        "postgres" => POSTGRES,
        #[cfg(feature = "sqlite")]
        "sqlite" => SQLITE,
        #[cfg(feature = "sled-tests")]
        "sled" => SLED,
        other => panic!("no disk engine {other:?} in this build"),
    }
}

/// A fresh database on the test process's PostgreSQL cluster.
pub(crate) fn postgres() -> Backend {
    let url = rosette_test_postgres::Cluster::fresh_database();
    let store = rosette_storage::PgStore::connect(&url, rosette_storage::PgOptions::default())
        .expect("connect to the test cluster");
    Backend {
        store: Arc::new(store),
        _dir: None,
    }
}

pub(crate) fn memory() -> Backend {
    Backend {
        store: Arc::new(MemoryStore::new()),
        _dir: None,
    }
}

pub(crate) fn redb() -> Backend {
    REDB.fresh()
}

pub(crate) fn redb_on_flush() -> Backend {
    REDB_ON_FLUSH.fresh()
}

#[cfg(feature = "sled-tests")]
pub(crate) fn sled() -> Backend {
    SLED.fresh()
}

/// A store wrapped in the deadlock watchdog behaves like the store itself.
pub(crate) fn watched_redb() -> Backend {
    let Backend { store, _dir } = REDB.fresh();
    let watchdog = rosette_storage::watch::Watchdog::new(
        rosette_storage::watch::DEFAULT_STALL_AFTER,
        Arc::new(rosette_storage::watch::SystemMonotonic),
    );
    Backend {
        store: Arc::new(rosette_storage::watch::WatchedStore::new(store, watchdog)),
        _dir,
    }
}
