//! The on-disk backend, on sled 0.34.
//!
//! sled is unmaintained, so it stays behind [`Store`] and every sled type stays in this file.
//! Each table is a sled tree. Every write (insert, remove, CAS, batch) is committed in a sled
//! transaction across the trees it touches plus the bookkeeping tree, together with the writes
//! of concurrent callers (group commit, `group.rs`); sled recovers a transaction whole or not
//! at all (the crash tests check this with SIGKILL).
//!
//! sled cannot tell an empty store from one whose files were emptied, so a store carries a
//! format marker, written before the store first becomes visible at its path: a new store is
//! built in a sibling staging directory, flushed, and renamed into place. A store directory
//! without the marker is therefore damaged, never new, and [`SledStore::open`] refuses it.
//!
//! sled also recovers a damaged log silently: measured, a cut log reopens holding only the
//! records before the cut, and a garbled segment in the middle reverts some pages to older
//! versions (records vanish, no error). Two checks turn that into errors:
//! - the flush seal (see `seal.rs`) notices when flushed writes are lost from the log's end;
//! - a content digest notices lost or reverted records anywhere: every write updates, in the
//!   same sled transaction, an order-independent digest of all entries and a per-table count,
//!   and [`SledStore::open`] recomputes both with a full scan. A transaction is recovered whole
//!   or not at all, so a crash never makes them disagree; damage does.
//!
//! Two sled 0.34.7 defects are worked around here: it panics on some damaged files (every sled
//! call runs under `catch_unwind` and a panic becomes [`StorageError::StoreCorrupted`]), and it
//! chokes on the half-written snapshot a crash can leave (see `remove_partial_snapshots`).
//! The store takes its own lock (on the seal file) before touching any file.

use std::fmt;
use std::fs;
use std::io;
use std::ops::Bound;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use crate::digest::entry_hash;
use crate::files::{new_store_id, panic_message, sync_parent};
use crate::group::{Applied, GroupCommit, Outcome, Request, duplicate, unconditional_conflict};
use crate::seal::{SEAL_FILE, Seal, SealState, StoreId};
use crate::store::{Entry, MAX_SCAN_LIMIT, WriteBatch};
use crate::{CasConflict, RequirementFailed, StorageError, Store, Table};

/// The tree holding the store's own bookkeeping; table names cannot start with `_`.
const META_TREE: &[u8] = b"__rosette_meta";
const FORMAT_KEY: &[u8] = b"format";
/// How many [`SledStore::flush`] calls completed, as a big-endian `u64`; mirrored by the seal.
const FLUSHES_KEY: &[u8] = b"flushes";
/// The store's random id (16 bytes), also in the seal.
const ID_KEY: &[u8] = b"id";
/// XOR of [`entry_hash`] over every entry of every table, as a big-endian `u64`.
const DIGEST_KEY: &[u8] = b"digest";
/// Prefix of the per-table entry counts (`count/<table>`, big-endian `u64`).
const COUNT_PREFIX: &[u8] = b"count/";
/// sled's own default tree, unused by the store.
const SLED_DEFAULT_TREE: &[u8] = b"__sled__default";
/// The on-disk format this build reads and writes.
const FORMAT: &[u8] = b"rosette-storage/sled-0.34/2";
/// sled's log file inside the store directory.
const SLED_LOG_FILE: &str = "db";
/// Suffix of the staging directory a new store is built in.
const STAGING_SUFFIX: &str = ".rosette-init";

/// A [`Store`] in a directory on disk, backed by sled 0.34.
///
/// One process may hold a store open at a time; a second [`open`](SledStore::open) fails with
/// [`StorageError::Locked`]. Share one `SledStore` (as `Arc<dyn Store>`) between threads.
/// Writes are durable once [`flush`](Store::flush) returns; sled also flushes by itself every
/// 500 ms.
///
/// Every write is committed in a sled transaction that also updates the store's digest and the
/// table's count, so writes are serialized (sled transactions take a global lock) and
/// [`len`](Store::len) is O(1). Writes that arrive while one commits are committed together as
/// the next transaction: each sled transaction costs two log-buffer writes handed to sled's IO
/// threads, and grouping pays that once per group instead of once per write. Opening a store reads all of it once to check the digest.
pub struct SledStore {
    db: sled::Db,
    path: PathBuf,
    /// Held for the whole of a flush, so that flush counters reach the seal in order.
    seal: Mutex<SealWriter>,
    /// Concurrent writes waiting to be committed together.
    group: GroupCommit<Request, Outcome>,
}

#[derive(Debug)]
struct SealWriter {
    seal: Seal,
    flushes: u64,
}

impl SledStore {
    /// Opens the store in directory `path`, creating it if `path` is absent or an empty
    /// directory.
    ///
    /// Reads every entry once to check the content digest, so the time taken grows with the
    /// store's size. Fails with [`StorageError::StoreCorrupted`] if the files are damaged or
    /// are not a Rosette store, and with [`StorageError::Locked`] if another process has it
    /// open.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        let path = path.as_ref();
        if is_absent_or_empty(path)? {
            create(path)?;
        }
        // Refuse before sled writes its own files into a directory that is not a store.
        for required in [SLED_LOG_FILE, SEAL_FILE] {
            if !path.join(required).is_file() {
                return Err(StorageError::StoreCorrupted {
                    reason: format!(
                        "{} is not empty but has no {required} file: it is not a Rosette store, \
                         or its files were removed",
                        path.display()
                    ),
                });
            }
        }
        let corrupted = |reason: String| StorageError::StoreCorrupted {
            reason: format!("{}: {reason}", path.display()),
        };
        // Our own lock first, so that nothing below touches files another process is using.
        let Some((seal, seal_state)) =
            Seal::open(path).map_err(|source| StorageError::Io { source })?
        else {
            return Err(corrupted(format!("the seal file {SEAL_FILE} is missing")));
        };
        if !seal
            .try_lock()
            .map_err(|source| StorageError::Io { source })?
        {
            return Err(StorageError::Locked {
                path: path.to_path_buf(),
            });
        }
        remove_partial_snapshots(path)?;
        let db = open_db(path)?;
        let (format, id, flushes) = guard(|| {
            let meta = db.open_tree(META_TREE)?;
            Ok((
                meta.get(FORMAT_KEY)?,
                meta.get(ID_KEY)?,
                meta.get(FLUSHES_KEY)?,
            ))
        })?;
        match format {
            Some(format) if format.as_ref() == FORMAT => {}
            Some(other) => {
                return Err(corrupted(format!(
                    "holds format {:?}, this build reads {:?}",
                    String::from_utf8_lossy(&other),
                    String::from_utf8_lossy(FORMAT)
                )));
            }
            None => {
                return Err(corrupted(
                    "has store files but no format marker: they were truncated, damaged or are not \
                     a Rosette store"
                        .to_owned(),
                ));
            }
        }
        let Some(id) = id.and_then(|id| StoreId::try_from(id.as_ref()).ok()) else {
            return Err(corrupted("the store id is missing or damaged".to_owned()));
        };
        let Some(flushes) = flushes.and_then(|f| <[u8; 8]>::try_from(f.as_ref()).ok()) else {
            return Err(corrupted(
                "the flush counter is missing or damaged".to_owned(),
            ));
        };
        let flushes = u64::from_be_bytes(flushes);
        match seal_state {
            SealState::Damaged => {
                return Err(corrupted(format!("the seal file {SEAL_FILE} is damaged")));
            }
            SealState::Sealed { id: sealed_id, .. } if sealed_id != id => {
                return Err(corrupted(format!(
                    "the log belongs to another store than the seal file {SEAL_FILE}"
                )));
            }
            SealState::Sealed {
                flushes: sealed, ..
            } if sealed > flushes => {
                return Err(corrupted(format!(
                    "flushed writes were lost: the log ends at flush {flushes}, the seal records \
                     flush {sealed}"
                )));
            }
            SealState::Sealed { .. } => {}
        }
        verify_digest(&db).map_err(|e| match e {
            StorageError::StoreCorrupted { reason } => corrupted(reason),
            other => other,
        })?;
        Ok(Self {
            db,
            path: path.to_path_buf(),
            seal: Mutex::new(SealWriter { seal, flushes }),
            group: GroupCommit::new(),
        })
    }

    /// The store's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes the store's files take on disk.
    pub fn size_on_disk(&self) -> Result<u64, StorageError> {
        guard(|| self.db.size_on_disk())
    }

    fn tree(&self, table: Table) -> Result<sled::Tree, StorageError> {
        guard(|| self.db.open_tree(table.as_str()))
    }

    fn meta(&self) -> Result<sled::Tree, StorageError> {
        guard(|| self.db.open_tree(META_TREE))
    }

    /// Commits `request` (its checks, then its writes) with the digest and count updates it
    /// implies, grouped with the requests of concurrent callers into one sled transaction (see
    /// `group.rs`). Returns the value the request's first write replaced.
    fn write(&self, request: Request) -> Outcome {
        self.group.submit(
            request,
            |group| self.commit(&group),
            || {
                Err(StorageError::EngineBug {
                    reason: "a grouped write got no outcome".to_owned(),
                })
            },
        )
    }

    /// One sled transaction for a whole group: each request's checks are read through the
    /// transaction (so they see the writes of the requests before it in the group); a request
    /// whose check fails writes nothing and the others go on. The digest and counts are
    /// updated once, for all the group's writes.
    fn commit(&self, group: &[Request]) -> Vec<Outcome> {
        match self.commit_group(group) {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(e) => group.iter().map(|_| Err(duplicate(&e))).collect(),
        }
    }

    fn commit_group(&self, group: &[Request]) -> Result<Vec<Applied>, StorageError> {
        let mut tables: Vec<Table> = Vec::new();
        for table in group.iter().flat_map(|r| {
            r.writes
                .iter()
                .map(|w| w.table)
                .chain(r.checks.iter().map(|c| c.table))
        }) {
            if !tables.contains(&table) {
                tables.push(table);
            }
        }
        let mut trees = tables
            .iter()
            .map(|&t| self.tree(t))
            .collect::<Result<Vec<_>, _>>()?;
        trees.push(self.meta()?);
        let slot = |table: Table| tables.iter().position(|&t| t == table);
        let meta_slot = tables.len();
        let outcome = guard(|| {
            let result = trees.as_slice().transaction(|views| {
                let meta = views.get(meta_slot).ok_or(abort(Abort::NoView))?;
                let view = |table: Table| {
                    slot(table)
                        .and_then(|i| views.get(i).map(|v| (i, v)))
                        .ok_or(abort(Abort::NoView))
                };
                let mut digest = 0u64;
                let mut counts: Vec<i64> = vec![0; tables.len()];
                let mut outcomes = Vec::with_capacity(group.len());
                'requests: for request in group {
                    for check in &request.checks {
                        let (_, view) = view(check.table)?;
                        let current = view.get(&check.key)?;
                        if current.as_deref() != check.expected.as_deref() {
                            outcomes.push(Err(RequirementFailed {
                                table: check.table,
                                key: check.key.clone(),
                                current: current.map(|v| v.to_vec()),
                            }));
                            continue 'requests;
                        }
                    }
                    let mut first_old = None;
                    for (n, w) in request.writes.iter().enumerate() {
                        let (i, view) = view(w.table)?;
                        let old = match &w.value {
                            Some(value) => view.insert(w.key.as_slice(), value.as_slice())?,
                            None => view.remove(w.key.as_slice())?,
                        };
                        let table = w.table.as_str().as_bytes();
                        if let Some(old) = &old {
                            digest ^= entry_hash(table, &w.key, old);
                        }
                        if let Some(new) = &w.value {
                            digest ^= entry_hash(table, &w.key, new);
                        }
                        if let Some(c) = counts.get_mut(i) {
                            *c += i64::from(w.value.is_some()) - i64::from(old.is_some());
                        }
                        if n == 0 {
                            first_old = old.map(|v| v.to_vec());
                        }
                    }
                    outcomes.push(Ok(first_old));
                }
                if digest != 0 {
                    let current = read_u64(meta.get(DIGEST_KEY)?).ok_or(abort(Abort::BadMeta))?;
                    meta.insert(DIGEST_KEY, &(current ^ digest).to_be_bytes())?;
                }
                for (table, delta) in tables.iter().zip(&counts) {
                    if *delta == 0 {
                        continue;
                    }
                    let key = count_key(table.as_str().as_bytes());
                    let current = match meta.get(&key)? {
                        None => 0,
                        some => read_u64(some).ok_or(abort(Abort::BadMeta))?,
                    };
                    let next = current
                        .checked_add_signed(*delta)
                        .ok_or(abort(Abort::BadMeta))?;
                    meta.insert(key, &next.to_be_bytes())?;
                }
                Ok(outcomes)
            });
            match result {
                Ok(outcomes) => Ok(Ok(outcomes)),
                Err(TransactionError::Abort(reason)) => Ok(Err(reason)),
                Err(TransactionError::Storage(e)) => Err(e),
            }
        })?;
        outcome.map_err(|reason| match reason {
            Abort::NoView => StorageError::EngineBug {
                reason: "a write had no transaction view".to_owned(),
            },
            Abort::BadMeta => StorageError::StoreCorrupted {
                reason: format!(
                    "{}: the digest or a table count is damaged",
                    self.path.display()
                ),
            },
        })
    }
}

/// Why a write transaction gave up.
#[derive(Debug, Clone, Copy)]
enum Abort {
    NoView,
    BadMeta,
}

fn abort(reason: Abort) -> ConflictableTransactionError<Abort> {
    ConflictableTransactionError::Abort(reason)
}

fn read_u64(bytes: Option<sled::IVec>) -> Option<u64> {
    Some(u64::from_be_bytes(
        <[u8; 8]>::try_from(bytes?.as_ref()).ok()?,
    ))
}

fn count_key(table: &[u8]) -> Vec<u8> {
    [COUNT_PREFIX, table].concat()
}

/// Recomputes the digest and the counts from every entry and compares them with the stored
/// ones.
fn verify_digest(db: &sled::Db) -> Result<(), StorageError> {
    let corrupted = |reason: String| StorageError::StoreCorrupted { reason };
    let (stored_digest, stored_counts, computed_digest, computed_counts) = guard(|| {
        let meta = db.open_tree(META_TREE)?;
        let stored_digest = read_u64(meta.get(DIGEST_KEY)?);
        let mut stored_counts = std::collections::BTreeMap::new();
        for entry in meta.scan_prefix(COUNT_PREFIX) {
            let (k, v) = entry?;
            let table = k.get(COUNT_PREFIX.len()..).unwrap_or_default().to_vec();
            stored_counts.insert(table, read_u64(Some(v)));
        }
        let mut digest = 0u64;
        let mut counts = std::collections::BTreeMap::new();
        for name in db.tree_names() {
            if name.as_ref() == META_TREE || name.as_ref() == SLED_DEFAULT_TREE {
                continue;
            }
            let mut n = 0u64;
            for entry in db.open_tree(&name)?.iter() {
                let (k, v) = entry?;
                digest ^= entry_hash(&name, &k, &v);
                n += 1;
            }
            if n > 0 {
                counts.insert(name.to_vec(), n);
            }
        }
        Ok((stored_digest, stored_counts, digest, counts))
    })?;
    let Some(stored_digest) = stored_digest else {
        return Err(corrupted(
            "the content digest is missing or damaged".to_owned(),
        ));
    };
    let mut stored = std::collections::BTreeMap::new();
    for (table, count) in stored_counts {
        let name = String::from_utf8_lossy(&table).into_owned();
        match count {
            Some(0) => {}
            Some(n) => {
                stored.insert(table, n);
            }
            None => return Err(corrupted(format!("the count of table {name} is damaged"))),
        }
    }
    if stored != computed_counts {
        let differing: Vec<String> = stored
            .keys()
            .chain(computed_counts.keys())
            .filter(|t| stored.get(*t) != computed_counts.get(*t))
            .map(|t| {
                format!(
                    "{} holds {} entries, {} were written",
                    String::from_utf8_lossy(t),
                    computed_counts.get(t).copied().unwrap_or(0),
                    stored.get(t).copied().unwrap_or(0)
                )
            })
            .collect();
        return Err(corrupted(format!(
            "records were lost or resurrected: {}",
            differing.join("; ")
        )));
    }
    if stored_digest != computed_digest {
        return Err(corrupted(
            "the content digest does not match: records were lost, reverted or altered".to_owned(),
        ));
    }
    Ok(())
}

impl Drop for SledStore {
    /// A clean close seals the last writes; an error here has nowhere to go, and the writes
    /// are still in sled's log.
    fn drop(&mut self) {
        let _ = self.flush();
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
    fn tables(&self) -> Result<Vec<String>, StorageError> {
        let mut names: Vec<String> = self
            .db
            .tree_names()
            .into_iter()
            .filter(|n| n.as_ref() != META_TREE && n.as_ref() != SLED_DEFAULT_TREE)
            .map(|n| String::from_utf8_lossy(&n).into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let tree = self.tree(table)?;
        guard(|| Ok(tree.get(key)?.map(|v| v.to_vec())))
    }

    fn insert(
        &self,
        table: Table,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, StorageError> {
        self.write(Request::write(table, key, Some(value)))?
            .map_err(unconditional_conflict)
    }

    fn remove(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.write(Request::write(table, key, None))?
            .map_err(unconditional_conflict)
    }

    fn scan_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StorageError> {
        let limit = limit.min(MAX_SCAN_LIMIT);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let lower = match start_after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        let tree = self.tree(table)?;
        guard(|| {
            let mut out = Vec::new();
            for entry in tree.range::<&[u8], _>((lower, Bound::Unbounded)) {
                let (k, v) = entry?;
                if !k.starts_with(prefix) {
                    break;
                }
                out.push((k.to_vec(), v.to_vec()));
                if out.len() == limit {
                    break;
                }
            }
            Ok(out)
        })
    }

    fn compare_and_swap(
        &self,
        table: Table,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<Result<(), CasConflict>, StorageError> {
        let outcome = self.write(Request::compare_and_swap(table, key, expected, new))?;
        Ok(outcome.map(drop).map_err(|failed| CasConflict {
            current: failed.current,
        }))
    }

    fn apply_checked(
        &self,
        batch: WriteBatch,
    ) -> Result<Result<(), RequirementFailed>, StorageError> {
        if batch.is_empty() && batch.requirements.is_empty() {
            return Ok(Ok(()));
        }
        Ok(self.write(Request::batch(batch))?.map(drop))
    }

    fn flush(&self) -> Result<(), StorageError> {
        // A panic cannot leave the writer half-updated: `flushes` changes only after success.
        let mut writer = self.seal.lock().unwrap_or_else(PoisonError::into_inner);
        let next = writer.flushes.saturating_add(1);
        guard(|| {
            let meta = self.db.open_tree(META_TREE)?;
            meta.insert(FLUSHES_KEY, &next.to_be_bytes())?;
            self.db.flush()
        })?;
        writer
            .seal
            .record(next)
            .map_err(|source| StorageError::Io { source })?;
        writer.flushes = next;
        Ok(())
    }

    fn len(&self, table: Table) -> Result<usize, StorageError> {
        let meta = self.meta()?;
        let count = guard(|| meta.get(count_key(table.as_str().as_bytes())))?;
        match count {
            None => Ok(0),
            some => read_u64(some)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| StorageError::StoreCorrupted {
                    reason: format!(
                        "{}: the count of table {table} is damaged",
                        self.path.display()
                    ),
                }),
        }
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
        let id = new_store_id();
        let db = open_db(&staging)?;
        guard(|| {
            let meta = db.open_tree(META_TREE)?;
            meta.insert(FORMAT_KEY, FORMAT)?;
            meta.insert(ID_KEY, &id)?;
            meta.insert(FLUSHES_KEY, &0u64.to_be_bytes())?;
            meta.insert(DIGEST_KEY, &0u64.to_be_bytes())?;
            db.flush()
        })?;
        Seal::create(&staging, id).map_err(|source| StorageError::Io { source })?;
    }
    // POSIX rename replaces an empty directory atomically.
    fs::rename(&staging, path).map_err(|source| StorageError::Io { source })?;
    sync_parent(path)
}

/// Removes snapshot files sled left half-written.
///
/// sled 0.34.7 writes a snapshot to `snap.<lsn>.generating`, fsyncs it and renames it to
/// `snap.<lsn>`; but when reading it picks the last `snap.*` name in sort order without
/// skipping `.generating` files. A crash while a snapshot is being written (seen when SIGKILL
/// hits a process that just opened the store) leaves an empty `.generating` file that sled
/// then reports as corruption, forever. The previous snapshot is only removed after the
/// rename, so dropping the partial file lets sled recover from the previous one (or the log).
/// Called only while holding the store's lock.
fn remove_partial_snapshots(path: &Path) -> Result<(), StorageError> {
    let io = |source| StorageError::Io { source };
    for entry in fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            fs::remove_file(entry.path()).map_err(io)?;
        }
    }
    Ok(())
}

/// Runs a sled call, turning its panics (seen on damaged files) into errors.
fn guard<R>(op: impl FnOnce() -> sled::Result<R>) -> Result<R, StorageError> {
    match catch_unwind(AssertUnwindSafe(op)) {
        Ok(result) => result.map_err(map_err),
        Err(panic) => Err(StorageError::StoreCorrupted {
            reason: format!("the storage engine failed: {}", panic_message(&*panic)),
        }),
    }
}

/// Opens sled at `path`, turning its panics on damaged files into errors.
///
/// We already hold our own lock on the store, so sled's lock can only be held by a sled handle
/// of this process that is still shutting down (sled releases its file lock from a background
/// thread after the last `Db` is dropped): wait briefly for it instead of failing.
fn open_db(path: &Path) -> Result<sled::Db, StorageError> {
    const ATTEMPTS: u32 = 100;
    for attempt in 1..=ATTEMPTS {
        let config = sled::Config::new().path(path);
        match guard(|| config.open()) {
            Err(StorageError::Io { source })
                if source.to_string().contains("could not acquire lock") =>
            {
                if attempt == ATTEMPTS {
                    return Err(StorageError::Locked {
                        path: path.to_path_buf(),
                    });
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
    Err(StorageError::Locked {
        path: path.to_path_buf(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Requirement, Write as StoredWrite};

    fn put(table: Table, key: &[u8], value: &[u8]) -> StoredWrite {
        StoredWrite {
            table,
            key: key.to_vec(),
            value: Some(value.to_vec()),
        }
    }

    fn require(table: Table, key: &[u8], expected: Option<&[u8]>) -> Requirement {
        Requirement {
            table,
            key: key.to_vec(),
            expected: expected.map(<[u8]>::to_vec),
        }
    }

    /// One group, three callers: the second's check sees the first's write and fails without
    /// writing; the third still lands; digest and counts match a reopen's full scan.
    #[test]
    fn a_group_applies_requests_in_order_and_isolates_a_failed_check() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s");
        let codes = Table::new("codes");
        let tokens = Table::new("tokens");
        {
            let store = SledStore::open(&path).expect("open");
            let group = [
                Request {
                    writes: vec![put(codes, b"c1", b"used"), put(tokens, b"t1", b"a")],
                    checks: vec![require(codes, b"c1", None)],
                },
                Request {
                    writes: vec![put(codes, b"c1", b"used"), put(tokens, b"t2", b"b")],
                    checks: vec![require(codes, b"c1", None)],
                },
                Request {
                    writes: vec![put(tokens, b"t3", b"c")],
                    checks: vec![require(codes, b"c1", Some(b"used"))],
                },
            ];
            let outcomes = store.commit(&group);
            assert!(matches!(outcomes.first(), Some(Ok(Ok(None)))));
            assert!(
                matches!(outcomes.get(1), Some(Ok(Err(failed))) if failed.current.as_deref() == Some(&b"used"[..]))
            );
            assert!(matches!(outcomes.get(2), Some(Ok(Ok(None)))));
            assert_eq!(store.get(tokens, b"t2").expect("get"), None);
            assert_eq!(store.len(tokens).expect("len"), 2);
            assert_eq!(store.len(codes).expect("len"), 1);
            store.flush().expect("flush");
        }
        // Reopening recomputes digest and counts with a full scan.
        let store = SledStore::open(&path).expect("reopen");
        assert_eq!(store.len(tokens).expect("len"), 2);
        assert_eq!(
            store.get(tokens, b"t3").expect("get").as_deref(),
            Some(&b"c"[..])
        );
    }
}
