//! The on-disk backend, on sled 0.34.
//!
//! sled is unmaintained, so it stays behind [`Store`] and every sled type stays in this file.
//! Each table is a sled tree; [`Store::apply`] is a sled transaction across the trees it
//! touches; CAS is sled's own.
//!
//! sled cannot tell an empty store from one whose files were emptied, so a store carries a
//! format marker, written before the store first becomes visible at its path: a new store is
//! built in a sibling staging directory, flushed, and renamed into place. A store directory
//! without the marker is therefore damaged, never new, and [`SledStore::open`] refuses it.

use std::fmt;
use std::fs;
use std::io;
use std::ops::Bound;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use crate::store::{MAX_SCAN_LIMIT, WriteBatch};
use crate::{CasConflict, StorageError, Store, Table};

/// The tree holding the store's own bookkeeping; table names cannot start with `_`.
const META_TREE: &[u8] = b"__rosette_meta";
const FORMAT_KEY: &[u8] = b"format";
/// The on-disk format this build reads and writes.
const FORMAT: &[u8] = b"rosette-storage/sled-0.34/1";
/// Suffix of the staging directory a new store is built in.
const STAGING_SUFFIX: &str = ".rosette-init";

/// A [`Store`] in a directory on disk, backed by sled 0.34.
///
/// One process may hold a store open at a time; a second [`open`](SledStore::open) fails with
/// [`StorageError::Locked`]. Share one `SledStore` (as `Arc<dyn Store>`) between threads.
/// Writes are durable once [`flush`](Store::flush) returns; sled also flushes by itself every
/// 500 ms.
pub struct SledStore {
    db: sled::Db,
    path: PathBuf,
}

impl SledStore {
    /// Opens the store in directory `path`, creating it if `path` is absent or an empty
    /// directory.
    ///
    /// Fails with [`StorageError::StoreCorrupted`] if the files are damaged or are not a
    /// Rosette store, and with [`StorageError::Locked`] if another process has it open.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        let path = path.as_ref();
        if is_absent_or_empty(path)? {
            create(path)?;
        }
        let db = open_db(path)?;
        let marker = db
            .open_tree(META_TREE)
            .and_then(|meta| meta.get(FORMAT_KEY))
            .map_err(map_err)?;
        match marker {
            Some(format) if format.as_ref() == FORMAT => Ok(Self {
                db,
                path: path.to_path_buf(),
            }),
            Some(other) => Err(StorageError::StoreCorrupted {
                reason: format!(
                    "{} holds format {:?}, this build reads {:?}",
                    path.display(),
                    String::from_utf8_lossy(&other),
                    String::from_utf8_lossy(FORMAT)
                ),
            }),
            None => Err(StorageError::StoreCorrupted {
                reason: format!(
                    "{} has store files but no format marker: they were truncated, damaged or \
                     are not a Rosette store",
                    path.display()
                ),
            }),
        }
    }

    /// The store's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes the store's files take on disk.
    pub fn size_on_disk(&self) -> Result<u64, StorageError> {
        self.db.size_on_disk().map_err(map_err)
    }

    fn tree(&self, table: Table) -> Result<sled::Tree, StorageError> {
        self.db.open_tree(table.as_str()).map_err(map_err)
    }
}

impl fmt::Debug for SledStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SledStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store for SledStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .tree(table)?
            .get(key)
            .map_err(map_err)?
            .map(|v| v.to_vec()))
    }

    fn insert(
        &self,
        table: Table,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .tree(table)?
            .insert(key, value)
            .map_err(map_err)?
            .map(|v| v.to_vec()))
    }

    fn remove(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .tree(table)?
            .remove(key)
            .map_err(map_err)?
            .map(|v| v.to_vec()))
    }

    fn scan_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let limit = limit.min(MAX_SCAN_LIMIT);
        let lower = match start_after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        for entry in self
            .tree(table)?
            .range::<&[u8], _>((lower, Bound::Unbounded))
        {
            let (k, v) = entry.map_err(map_err)?;
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    fn compare_and_swap(
        &self,
        table: Table,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<Result<(), CasConflict>, StorageError> {
        let outcome = self
            .tree(table)?
            .compare_and_swap(key, expected, new)
            .map_err(map_err)?;
        Ok(outcome.map_err(|conflict| CasConflict {
            current: conflict.current.map(|v| v.to_vec()),
        }))
    }

    fn apply(&self, batch: WriteBatch) -> Result<(), StorageError> {
        if batch.is_empty() {
            return Ok(());
        }
        let tables = batch.tables();
        let trees = tables
            .iter()
            .map(|&t| self.tree(t))
            .collect::<Result<Vec<_>, _>>()?;
        // The view of each write's tree, by position in `tables`.
        let slots: Vec<usize> = batch
            .writes
            .iter()
            .map(|w| {
                tables
                    .iter()
                    .position(|&t| t == w.table)
                    .unwrap_or(usize::MAX)
            })
            .collect();
        let result = trees.as_slice().transaction(|views| {
            for (write, &slot) in batch.writes.iter().zip(&slots) {
                let Some(view) = views.get(slot) else {
                    return Err(ConflictableTransactionError::Abort(()));
                };
                match &write.value {
                    Some(value) => view.insert(write.key.as_slice(), value.as_slice())?,
                    None => view.remove(write.key.as_slice())?,
                };
            }
            Ok(())
        });
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Abort(())) => Err(StorageError::EngineBug {
                reason: "a batch write had no transaction view".to_owned(),
            }),
            Err(TransactionError::Storage(e)) => Err(map_err(e)),
        }
    }

    fn flush(&self) -> Result<(), StorageError> {
        self.db.flush().map(drop).map_err(map_err)
    }

    fn len(&self, table: Table) -> Result<usize, StorageError> {
        Ok(self.tree(table)?.len())
    }
}

fn is_absent_or_empty(path: &Path) -> Result<bool, StorageError> {
    match fs::read_dir(path) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(source) => Err(StorageError::Io { source }),
    }
}

/// Builds a new store next to `path` and renames it into place, so that a directory at `path`
/// always holds the format marker.
fn create(path: &Path) -> Result<(), StorageError> {
    let Some(name) = path.file_name() else {
        return Err(StorageError::Unsupported {
            reason: format!("store path {} has no final component", path.display()),
        });
    };
    let mut staging_name = name.to_os_string();
    staging_name.push(STAGING_SUFFIX);
    let staging = path.with_file_name(staging_name);
    // A leftover from a crash during an earlier creation: it never became the store.
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|source| StorageError::Io { source })?;
    }
    {
        let db = open_db(&staging)?;
        let meta = db.open_tree(META_TREE).map_err(map_err)?;
        meta.insert(FORMAT_KEY, FORMAT).map_err(map_err)?;
        db.flush().map_err(map_err)?;
    }
    // POSIX rename replaces an empty directory atomically.
    fs::rename(&staging, path).map_err(|source| StorageError::Io { source })?;
    sync_parent(path)
}

/// Makes the rename of a new store durable.
fn sync_parent(path: &Path) -> Result<(), StorageError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match fs::File::open(parent).and_then(|dir| dir.sync_all()) {
        Ok(()) => Ok(()),
        // Some platforms cannot fsync a directory; the rename is still atomic there.
        Err(e)
            if e.kind() == io::ErrorKind::InvalidInput
                || e.kind() == io::ErrorKind::PermissionDenied =>
        {
            Ok(())
        }
        Err(source) => Err(StorageError::Io { source }),
    }
}

/// Opens sled at `path`, turning its panics on damaged files into errors.
fn open_db(path: &Path) -> Result<sled::Db, StorageError> {
    let config = sled::Config::new().path(path);
    match catch_unwind(AssertUnwindSafe(|| config.open())) {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(sled::Error::Io(e))) if e.to_string().contains("could not acquire lock") => {
            Err(StorageError::Locked {
                path: path.to_path_buf(),
            })
        }
        Ok(Err(e)) => Err(map_err(e)),
        Err(panic) => Err(StorageError::StoreCorrupted {
            reason: format!(
                "the storage engine crashed reading {}: {}",
                path.display(),
                panic_message(&*panic)
            ),
        }),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

fn map_err(e: sled::Error) -> StorageError {
    match e {
        sled::Error::Io(source) => StorageError::Io { source },
        sled::Error::Corruption { at, .. } => StorageError::StoreCorrupted {
            reason: match at {
                Some(at) => format!("the storage engine found damaged data at {at:?}"),
                None => "the storage engine found damaged data".to_owned(),
            },
        },
        sled::Error::Unsupported(reason) => StorageError::Unsupported { reason },
        sled::Error::ReportableBug(reason) => StorageError::EngineBug { reason },
        sled::Error::CollectionNotFound(name) => StorageError::EngineBug {
            reason: format!("tree {:?} vanished", String::from_utf8_lossy(&name)),
        },
    }
}
