//! Moving a store's contents into another store, verified: every table's entries are copied
//! byte for byte, then both stores are summarized (entry count and digest per table) and must
//! agree.
//!
//! [`copy_store`] works between any two backends; [`migrate_sled_store`] is the one-off move of
//! a sled store (made before redb was the engine) into a new [`RedbStore`](crate::RedbStore)
//! file, built with the `sled` feature.

use std::path::Path;

use crate::{ContentSummary, StorageError, Store, Table, WriteBatch, content_summary};

/// Entries copied per write batch: large enough to amortize a commit, small enough to keep a
/// batch's memory bounded.
const COPY_BATCH: usize = 1_000;

/// What a verified migration copied: per table, the entry count and digest that the source
/// and the target both have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Per table: entries and digest, equal in source and target.
    pub tables: ContentSummary,
}

impl MigrationReport {
    /// Entries copied over all tables.
    pub fn entries(&self) -> u64 {
        self.tables.values().map(|t| t.entries).sum()
    }
}

/// Why a migration did not happen or did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// The target already holds entries; a migration only fills a new store.
    #[error(
        "the target store is not empty (table {table} holds entries); migrate into a new store"
    )]
    TargetNotEmpty {
        /// A table of the target that holds entries.
        table: String,
    },
    /// The target file already exists.
    #[error(
        "{path} already exists; the migration writes a new store there and will not replace one"
    )]
    TargetExists {
        /// The target's path.
        path: String,
    },
    /// After copying, the target does not hold what the source holds.
    #[error("the copy does not match the source: {details}")]
    Mismatch {
        /// The tables that differ, and how.
        details: String,
    },
    /// This build has no sled engine to read the old store with.
    #[error(
        "this build cannot read sled stores: rosette-storage was built without its `sled` feature"
    )]
    SledNotBuilt,
    /// Reading the source or writing the target failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Copies every entry of every table of `from` into `to`, which must be empty, then checks
/// that both hold the same entries (count and digest per table, and `to`'s own counts).
///
/// Nobody may write either store meanwhile. On error, `to` may hold part of the copy: migrate
/// into a fresh store and discard it on failure.
pub fn copy_store(from: &dyn Store, to: &dyn Store) -> Result<MigrationReport, MigrationError> {
    for name in to.tables()? {
        let table = Table::interned(&name).map_err(StorageError::from)?;
        if !to.is_empty(table)? {
            return Err(MigrationError::TargetNotEmpty { table: name });
        }
    }
    for name in from.tables()? {
        let table = Table::interned(&name).map_err(StorageError::from)?;
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = from.scan_prefix(table, b"", after.as_deref(), COPY_BATCH)?;
            if page.is_empty() {
                break;
            }
            let last = page.last().map(|(k, _)| k.clone());
            let full = page.len() == COPY_BATCH;
            let mut batch = WriteBatch::new();
            for (key, value) in page {
                batch.insert(table, key, value);
            }
            to.apply(batch)?;
            if !full {
                break;
            }
            after = last;
        }
    }
    to.flush()?;
    verify_copy(from, to)
}

/// Checks that `to` holds exactly what `from` holds: the same tables with the same entry counts
/// and digests, and `to`'s own per-table counts agree.
pub fn verify_copy(from: &dyn Store, to: &dyn Store) -> Result<MigrationReport, MigrationError> {
    let source = content_summary(from)?;
    let target = content_summary(to)?;
    let mut differences = Vec::new();
    for name in source
        .keys()
        .chain(target.keys().filter(|t| !source.contains_key(*t)))
    {
        let (s, t) = (source.get(name), target.get(name));
        if s != t {
            differences.push(format!(
                "table {name}: source {} entries (digest {:016x}), target {} entries (digest {:016x})",
                s.map_or(0, |s| s.entries),
                s.map_or(0, |s| s.digest),
                t.map_or(0, |t| t.entries),
                t.map_or(0, |t| t.digest),
            ));
        }
    }
    for (name, summary) in &target {
        let counted = to.len(Table::interned(name).map_err(StorageError::from)?)?;
        if counted as u64 != summary.entries {
            differences.push(format!(
                "table {name}: the target counts {counted} entries but holds {}",
                summary.entries
            ));
        }
    }
    if differences.is_empty() {
        Ok(MigrationReport { tables: source })
    } else {
        Err(MigrationError::Mismatch {
            details: differences.join("; "),
        })
    }
}

/// Migrates the sled store in directory `sled_dir` into a new redb store file at `target`.
///
/// The copy is built in `<target>.migrating`, verified, closed, reopened (which checks it
/// again) and only then renamed to `target`, so `target` appears complete or not at all. The
/// sled directory is left as it is. Fails with [`MigrationError::SledNotBuilt`] in builds
/// without the `sled` feature.
pub fn migrate_sled_store(
    sled_dir: &Path,
    target: &Path,
) -> Result<MigrationReport, MigrationError> {
    #[cfg(feature = "sled")]
    {
        sled_migration::run(sled_dir, target)
    }
    #[cfg(not(feature = "sled"))]
    {
        let _ = (sled_dir, target);
        Err(MigrationError::SledNotBuilt)
    }
}

#[cfg(feature = "sled")]
mod sled_migration {
    use std::ffi::OsString;
    use std::io;
    use std::path::Path;

    use super::{MigrationError, MigrationReport, copy_store};
    use crate::{RedbStore, SledStore, StorageError, content_summary};

    pub(super) fn run(sled_dir: &Path, target: &Path) -> Result<MigrationReport, MigrationError> {
        let io = |source: io::Error| MigrationError::Storage(StorageError::Io { source });
        if target.exists() {
            return Err(MigrationError::TargetExists {
                path: target.display().to_string(),
            });
        }
        let mut staging: OsString = target.as_os_str().to_owned();
        staging.push(".migrating");
        let staging = Path::new(&staging).to_path_buf();
        // A leftover of an interrupted migration: never became the store.
        match std::fs::remove_file(&staging) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
        let source = SledStore::open(sled_dir)?;
        let report = {
            let copy = RedbStore::open(&staging)?;
            copy_store(&source, &copy)?
        };
        // Reopening runs the engine's own checks (page checksums, stored digest and counts).
        let reopened = RedbStore::open(&staging)?;
        if content_summary(&reopened)? != report.tables {
            return Err(MigrationError::Mismatch {
                details: "the new store differs from the copy after reopening".to_owned(),
            });
        }
        drop(reopened);
        std::fs::rename(&staging, target).map_err(io)?;
        crate::files::sync_parent(target)?;
        Ok(report)
    }
}
